#!/usr/bin/env bash
# Builds the standalone harness with nvcc (sm_90a, seconds) and runs it on the GPU of this machine:
#   1. check: kernels vs the C++ model of the sage8 numerics and vs exact attention
#   2. bench: TFLOP/s table (JSON lines in bench.jsonl)
#   3. compute-sanitizer memcheck on a small and an odd-length case
# Usage: run.sh [output folder]   (default: ./sage8-harness-out). Six files land there: build.txt (compiler
# output), registers.txt (registers and spills per kernel), check.txt, bench.txt, bench.jsonl, memcheck.txt.
# Exits non-zero if a build or a check fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
out=${1:-$PWD/sage8-harness-out}
mkdir -p "$out"
build=$(mktemp -d)
arch=(-gencode=arch=compute_90a,code=sm_90a)
flags=(-O3 -std=c++17 "${arch[@]}" -lineinfo -Xptxas -v -Xcompiler -fopenmp)

declare -A jobs
for f in "$src"/quantize.cu "$src"/forward.cu "$src"/backward.cu "$src"/pipeline.cu "$here"/harness.cu; do
  name=$(basename "$f" .cu)
  nvcc "${flags[@]}" -c "$f" -o "$build/$name.o" > "$build/log-$name.txt" 2>&1 &
  jobs[$!]=$name
done
g++ -O3 -march=native -std=c++17 -fopenmp -c "$here/reference.cpp" -o "$build/reference.o" > "$build/log-reference.txt" 2>&1 &
jobs[$!]=reference
failed=0
for pid in "${!jobs[@]}"; do
  if ! wait "$pid"; then
    echo "BUILD FAILED: ${jobs[$pid]}"
    grep -E "error|Error" "$build/log-${jobs[$pid]}.txt" | head -40
    failed=1
  fi
done
for log in "$build"/log-*.txt; do echo "== $log"; cat "$log"; done > "$out/build.txt"
[ "$failed" = 0 ] || exit 1
nvcc "${arch[@]}" -Xcompiler -fopenmp "$build"/*.o -o "$build/harness" || exit 1

# Registers, spills and shared memory per kernel.
cat "$build"/log-{quantize,forward,backward}.txt |
  grep -E "Compiling entry|spill|Used [0-9]+ registers" |
  sed -E 's/.*entry function .(_Z[A-Za-z0-9_]*). for.*/\1/' | { command -v cu++filt >/dev/null && cu++filt || cat; } |
  sed -E 's/^ptxas info *: //' > "$out/registers.txt"
grep -E "spill" "$out/registers.txt" | sort | uniq -c

status=0
echo "== check"
timeout 170 "$build/harness" check 2>&1 | tee "$out/check.txt"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
echo "== bench"
timeout 150 "$build/harness" bench "$out/bench.jsonl" 2>&1 | tee "$out/bench.txt"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
if command -v compute-sanitizer >/dev/null; then
  echo "== memcheck"
  timeout 100 compute-sanitizer --tool memcheck "$build/harness" check --small > "$out/memcheck.txt" 2>&1
  [ $? = 0 ] || status=1
  tail -5 "$out/memcheck.txt"
fi
exit $status
