#!/usr/bin/env bash
# Side-by-side strip throughput on the same files, in one go:
#   sanitizer strip -o DIR FILE...            (one process)
#   exiftool -all= -o DIR/ -@ list            (one process; the fastest correct anchor)
#   jpegtran -copy none, one process per file (as ../shared/research/strip-anchors.md ran it)
# then the peak memory of `sanitizer strip` on a generated ~200 MB JPEG.
#
# Usage: tests/bench/strip_side_by_side.sh [FILES_DIR]   (default ../shared/corpus/files)
# Needs bin/sanitizer (make build), exiftool and jpegtran. RUNS=3 by default; the
# median wall time of the runs is reported, page cache warm.
set -euo pipefail
cd "$(dirname "$0")/../.."
files_dir=${1:-../shared/corpus/files}
runs=${RUNS:-3}
bin=bin/sanitizer
if [ ! -d "$files_dir" ]; then echo "strip_side_by_side: $files_dir not found: skipped"; exit 0; fi
for t in exiftool jpegtran; do command -v $t >/dev/null || { echo "strip_side_by_side: $t missing (make tools)"; exit 1; }; done
[ -x "$bin" ] || go build -o "$bin" ./cmd/sanitizer

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$files_dir" -maxdepth 1 -type f | sort > "$work/list"
nfiles=$(wc -l < "$work/list")
bytes=$(xargs stat -c %s < "$work/list" | awk '{s+=$1} END {print s}')
xargs cat < "$work/list" > /dev/null # warm the page cache

# median_seconds NAME CMD...: runs CMD $runs times in a fresh output dir, prints the median wall seconds.
median_seconds() {
  local name=$1; shift
  local times=()
  for _ in $(seq "$runs"); do
    rm -rf "$work/out" && mkdir -p "$work/out"
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true # rejected files make every tool exit non-zero
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk -v n="$runs" 'NR == int((n+1)/2)'
}

jpegtran_each() {
  while read -r f; do jpegtran -copy none -outfile "$work/out/$(basename "$f")" "$f" 2>/dev/null || true; done < "$work/list"
}

# The default orientation mode transforms oriented photos in the DCT domain
# (no other tool does); -orientation keep is the pure segment strip.
san=$(median_seconds sanitizer "$bin" strip -o "$work/out" $(cat "$work/list"))
san_out=$(ls "$work/out" | wc -l)
sank=$(median_seconds sanitizer "$bin" strip -orientation keep -o "$work/out" $(cat "$work/list"))
sank_out=$(ls "$work/out" | wc -l)
et=$(median_seconds exiftool exiftool -q -q -all= -o "$work/out/" -@ "$work/list")
et_out=$(ls "$work/out" | wc -l)
jt=$(median_seconds jpegtran jpegtran_each)
jt_out=$(ls "$work/out" | wc -l)

mbs() { echo "scale=1; $bytes / 1000000 / $1" | bc -l; }
echo "strip side by side: $nfiles files, $(echo "scale=1; $bytes/1000000" | bc) MB, median of $runs runs"
printf '  %-34s %8.3f s %8s MB/s  %3d outputs\n' "sanitizer strip -o (transform)" "$san" "$(mbs "$san")" "$san_out"
printf '  %-34s %8.3f s %8s MB/s  %3d outputs\n' "sanitizer strip -o (-orientation keep)" "$sank" "$(mbs "$sank")" "$sank_out"
printf '  %-34s %8.3f s %8s MB/s  %3d outputs\n' "exiftool -all= -o DIR/ -@ list" "$et" "$(mbs "$et")" "$et_out"
printf '  %-34s %8.3f s %8s MB/s  %3d outputs\n' "jpegtran -copy none (per file)" "$jt" "$(mbs "$jt")" "$jt_out"
echo "  ratio sanitizer/exiftool: $(echo "scale=1; $et / $san" | bc -l)x transform, $(echo "scale=1; $et / $sank" | bc -l)x keep   (target >= 4x)"
echo "  ratio sanitizer/jpegtran: $(echo "scale=1; $jt / $san" | bc -l)x transform, $(echo "scale=1; $jt / $sank" | bc -l)x keep"

# Peak memory on a ~200 MB JPEG (streaming: the target is < 32 MB).
go run ./tests/bench/genjpeg -o "$work/big.jpg"
big=$(stat -c %s "$work/big.jpg")
/usr/bin/time -f '%M %e' -o "$work/time" "$bin" strip "$work/big.jpg" "$work/big-out.jpg"
read -r kb secs < "$work/time"
echo "peak memory: sanitizer strip of a $(echo "scale=1; $big/1000000" | bc) MB JPEG: $(echo "scale=1; $kb/1024" | bc) MB max RSS, $secs s (target < 32 MB)"
