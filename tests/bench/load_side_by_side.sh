#!/usr/bin/env bash
# Side-by-side load runs of two sanitizer binaries, interleaved: A, B, A, B, ...
#
# On a shared virtual machine the same binary's throughput drifts by 10-20%
# over minutes, so two runs far apart say little; runs taken in turns do.
# Each run is `sanitizer load --spawn` (a stack of its own, data in a fresh
# directory, removed after). Printed per run: images/s, upload→clean p50 and
# p99, the stack's CPU per image; then, per pair, B's throughput and CPU per
# image as ratios of A's, and their medians.
#
# Usage: tests/bench/load_side_by_side.sh BIN_A BIN_B [PAIRS] [N] [RATE]
#   PAIRS 3, N 3000 uploads, RATE 0 (as fast as they go) by default.
#   LOAD_ARGS adds flags to both, e.g. LOAD_ARGS='--fault-s3-error-rate 0.1'.
# Build the two with e.g. `git worktree add /tmp/a <commit> && (cd /tmp/a && go build -o /tmp/sanitizer-a ./cmd/sanitizer)`.
set -euo pipefail
if [ $# -lt 2 ]; then sed -n 2,15p "$0"; exit 2; fi
a=$1 b=$2 pairs=${3:-3} n=${4:-3000} rate=${5:-0}
for bin in "$a" "$b"; do [ -x "$bin" ] || { echo "load_side_by_side: $bin is not an executable"; exit 1; }; done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run BIN OUT: one load run; its JSON summary goes to OUT.
run() {
	# shellcheck disable=SC2086 # LOAD_ARGS is a list of flags
	"$1" load --spawn --data "$work/data" -n "$n" -c 32 --rate "$rate" ${LOAD_ARGS:-} > "$2" 2> "$work/log" ||
		{ echo "load_side_by_side: $1 failed:"; tail -5 "$work/log"; exit 1; }
	rm -rf "$work/data"
	python3 - "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
u = d["upload_to_clean_ms"]
print("%.1f images/s, p50 %.2f s, p99 %.2f s, stack %.1f ms/image, lost %d, leaked %d" % (
    d["images_per_s"], u["p50"] / 1e3, u["p99"] / 1e3, d.get("stack_cpu_ms_per_image", 0), d["lost"], d["leaked"]))
EOF
}

for i in $(seq "$pairs"); do
	printf 'pair %d A: ' "$i"; run "$a" "$work/a$i.json"
	printf 'pair %d B: ' "$i"; run "$b" "$work/b$i.json"
done

python3 - "$work" "$pairs" <<'EOF'
import json, statistics, sys
work, pairs = sys.argv[1], int(sys.argv[2])
tput, cpu = [], []
for i in range(1, pairs + 1):
    a = json.load(open(f"{work}/a{i}.json"))
    b = json.load(open(f"{work}/b{i}.json"))
    tput.append(b["images_per_s"] / a["images_per_s"])
    if a.get("stack_cpu_ms_per_image") and b.get("stack_cpu_ms_per_image"):
        cpu.append(b["stack_cpu_ms_per_image"] / a["stack_cpu_ms_per_image"])
print("B/A images/s per pair: " + ", ".join("%.3f" % r for r in tput) + "; median %.3f" % statistics.median(tput))
if cpu:
    print("B/A stack CPU per image per pair: " + ", ".join("%.3f" % r for r in cpu) + "; median %.3f" % statistics.median(cpu))
EOF
