#!/usr/bin/env bash
# Side-by-side strip throughput on the same files, in one go:
#   sanitizer strip -o DIR FILE...            (one process)
#   exiftool -all= -o DIR/ -@ list            (one process; the fastest correct anchor)
#   jpegtran -copy none, one process per file (as ../shared/research/strip-anchors.md ran it)
# then the peak memory of `sanitizer strip` on a generated ~200 MB JPEG.
#
# Usage: tests/bench/strip_side_by_side.sh [FILES_DIR]   (default ../shared/corpus/files)
# Needs bin/sanitizer (make build), exiftool and jpegtran. RUNS=7 by default;
# median and best wall time and median CPU time are reported, page cache warm.
set -euo pipefail
cd "$(dirname "$0")/../.."
files_dir=${1:-../shared/corpus/files}
runs=${RUNS:-7}
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

# measure CMD...: runs CMD $runs times in a fresh output dir and prints the
# median and the best wall seconds and the median CPU seconds (user+sys,
# children included): on a shared machine the best run and the CPU time are
# the steadier figures.
measure() {
  local walls=() cpus=()
  for _ in $(seq "$runs"); do
    rm -rf "$work/out" && mkdir -p "$work/out"
    /usr/bin/time -f '%e %U %S' -o "$work/t" "$@" >/dev/null 2>&1 || true # rejected files make every tool exit non-zero
    local e u s
    read -r e u s < <(tail -1 "$work/t")
    walls+=("$e")
    cpus+=("$(echo "$u + $s" | bc -l)")
  done
  local mid=$(( (runs + 1) / 2 ))
  echo "$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "${mid}p") $(printf '%s\n' "${walls[@]}" | sort -g | head -1) $(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "${mid}p")"
}

export work
jpegtran_each='while read -r f; do jpegtran -copy none -outfile "$work/out/$(basename "$f")" "$f" 2>/dev/null || true; done < "$work/list"'

# The default orientation mode transforms oriented photos in the DCT domain
# (no other tool does); -orientation keep is the pure segment strip.
read -r san san_best san_cpu < <(measure "$bin" strip -o "$work/out" $(cat "$work/list"))
san_out=$(ls "$work/out" | wc -l)
read -r sank sank_best sank_cpu < <(measure "$bin" strip -orientation keep -o "$work/out" $(cat "$work/list"))
sank_out=$(ls "$work/out" | wc -l)
read -r et et_best et_cpu < <(measure exiftool -q -q -all= -o "$work/out/" -@ "$work/list")
et_out=$(ls "$work/out" | wc -l)
read -r jt jt_best jt_cpu < <(measure bash -c "$jpegtran_each")
jt_out=$(ls "$work/out" | wc -l)

mbs() { echo "scale=0; $bytes / 1000000 / $1" | bc -l; }
ratio() { echo "scale=1; $1 / $2" | bc -l; }
echo "strip side by side: $nfiles files, $(echo "scale=1; $bytes/1000000" | bc) MB, median of $runs runs (load: $(cut -d' ' -f1 /proc/loadavg))"
printf '  %-40s %7s %7s %7s %7s %s\n' "" "wall s" "MB/s" "best s" "cpu s" "outputs"
row() { printf '  %-40s %7.3f %7s %7.3f %7.3f %4d\n' "$1" "$2" "$(mbs "$2")" "$3" "$4" "$5"; }
row "sanitizer strip -o (default: transform)" "$san" "$san_best" "$san_cpu" "$san_out"
row "sanitizer strip -o -orientation keep" "$sank" "$sank_best" "$sank_cpu" "$sank_out"
row "exiftool -all= -o DIR/ -@ list" "$et" "$et_best" "$et_cpu" "$et_out"
row "jpegtran -copy none (a process per file)" "$jt" "$jt_best" "$jt_cpu" "$jt_out"
for x in "exiftool et" "jpegtran jt"; do
  set -- $x
  eval "w=\$$2 b=\$${2}_best c=\$${2}_cpu"
  echo "  sanitizer vs $1: transform $(ratio "$w" "$san")x wall, $(ratio "$b" "$san_best")x best, $(ratio "$c" "$san_cpu")x cpu;" \
    "keep $(ratio "$w" "$sank")x wall, $(ratio "$b" "$sank_best")x best, $(ratio "$c" "$sank_cpu")x cpu"
done
echo "  (target: >= 4x exiftool's batch throughput)"

# Peak memory on a ~200 MB JPEG (streaming: the target is < 32 MB).
go run ./tests/bench/genjpeg -o "$work/big.jpg"
big=$(stat -c %s "$work/big.jpg")
/usr/bin/time -f '%M %e' -o "$work/time" "$bin" strip "$work/big.jpg" "$work/big-out.jpg"
read -r kb secs < "$work/time"
echo "peak memory: sanitizer strip of a $(echo "scale=1; $big/1000000" | bc) MB JPEG: $(echo "scale=1; $kb/1024" | bc) MB max RSS, $secs s (target < 32 MB)"
