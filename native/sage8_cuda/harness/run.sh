#!/usr/bin/env bash
# Builds the standalone harness and the probes (mma_probe, race_probe) with nvcc (sm_90a, about a minute) and runs
# the chosen steps on the GPU of this machine:
#   check    kernels vs the C++ model of the sage8 numerics and vs exact attention   -> check.txt
#   bench    TFLOP/s table                                                        -> bench.txt, bench.jsonl
#   memcheck compute-sanitizer memcheck on four small odd-length cases         -> memcheck.txt
#   racecheck, synccheck  the same cases under compute-sanitizer's shared-memory race and barrier checkers
#                                                                      -> racecheck.txt, synccheck.txt
#            (racecheck also runs race_probe, the kernels' slot-reuse handshake alone -> race-probe.txt)
#   probe    INT8/BF16 mma.sync and INT8 wgmma rates, wgmma descriptor check       -> probe.txt
#   profile  ncu sections of the forward, dV and dK/dQ kernels (hd 128, N 4K)      -> ncu.txt
#   stalls   ncu warp stall reasons of the wgmma kernels (same shapes)             -> stalls.txt
# Usage: run.sh [output folder [steps...]]   (default: ./sage8-harness-out, steps check bench memcheck; the step
# `build` only builds). build.txt (compiler output), registers.txt (registers and spills per kernel) and
# sass-forward_wgmma.txt (the wgmma forward's machine code) land there too. SAGE8_NVCC_FLAGS adds nvcc flags.
# SAGE8_BUILD_DIR keeps the build there and reuses it if it holds one: several variants can then build in
# parallel (`build`) and run their GPU steps one after another.
# Exits non-zero if a build or a step fails; a step that times out (a hang) ends the run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
out=${1:-$PWD/sage8-harness-out}
shift
steps=${*:-check bench memcheck}
mkdir -p "$out"
build=${SAGE8_BUILD_DIR:-$(mktemp -d)}
mkdir -p "$build"
if [ ! -x "$build/harness" ]; then  # the build, unless SAGE8_BUILD_DIR holds one
arch=(-gencode=arch=compute_90a,code=sm_90a)
flags=(-O3 -std=c++17 "${arch[@]}" -lineinfo -Xptxas -v -Xcompiler -fopenmp ${SAGE8_NVCC_FLAGS:-})

declare -A jobs
for f in "$src"/quantize.cu "$src"/forward.cu "$src"/forward_wgmma.cu "$src"/backward.cu "$src"/backward_dv_wgmma.cu "$src"/backward_dkdq_wgmma.cu "$src"/pipeline.cu "$here"/harness.cu "$here"/mma_probe.cu "$here"/race_probe.cu; do
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
    case ${jobs[$pid]} in mma_probe|race_probe) ;; *) failed=1 ;; esac  # the probes are optional
  fi
done
for log in "$build"/log-*.txt; do echo "== $log"; cat "$log"; done > "$out/build.txt"
[ "$failed" = 0 ] || exit 1
nvcc "${arch[@]}" -Xcompiler -fopenmp "$build"/{quantize,forward,forward_wgmma,backward,backward_dv_wgmma,backward_dkdq_wgmma,pipeline,harness,reference}.o -o "$build/harness" || exit 1
for probe in mma_probe race_probe; do
  [ ! -f "$build/$probe.o" ] || nvcc "${arch[@]}" "$build/$probe.o" -o "$build/$probe"
done

# Registers, spills and shared memory per kernel.
cat "$build"/log-{quantize,forward,forward_wgmma,backward,backward_dv_wgmma,backward_dkdq_wgmma}.txt |
  grep -E "Compiling entry|spill|Used [0-9]+ registers" |
  sed -E 's/.*entry function .(_Z[A-Za-z0-9_]*). for.*/\1/' | { command -v cu++filt >/dev/null && cu++filt || cat; } |
  sed -E 's/^ptxas info *: //' > "$out/registers.txt"
grep -E "spill" "$out/registers.txt" | sort | uniq -c
grep -iE "warning" "$out/build.txt" | sort | uniq -c | head -20
! command -v cuobjdump >/dev/null || { cuobjdump --dump-sass "$build/forward_wgmma.o" > "$out/sass-forward_wgmma.txt"; for o in backward_dv_wgmma backward_dkdq_wgmma; do cuobjdump --dump-sass "$build/$o.o"; done > "$out/sass-backward_wgmma.txt"; }
fi  # the build

status=0
run_step() {  # name, timeout, output file, command...
  local name=$1 limit=$2 file=$3
  shift 3
  echo "== $name"
  timeout "$limit" "$@" > "$out/$file" 2>&1
  local rc=$?
  [ $rc = 0 ] || status=1
  if [ $rc = 124 ]; then
    tail -20 "$out/$file"
    echo "$name timed out: a hang; the remaining steps are skipped"
    exit 1
  fi
}
for step in $steps; do
  case $step in
    check) run_step check 170 check.txt "$build/harness" check; cat "$out/check.txt" ;;
    bench) run_step bench 150 bench.txt "$build/harness" bench "$out/bench.jsonl"; cat "$out/bench.txt" ;;
    memcheck) run_step memcheck 100 memcheck.txt compute-sanitizer --tool memcheck "$build/harness" check --small
      tail -3 "$out/memcheck.txt" ;;
    racecheck|synccheck) run_step $step 300 $step.txt compute-sanitizer --tool $step "$build/harness" check --small
      tail -3 "$out/$step.txt"
      if [ $step = racecheck ]; then
        for mode in mbarrier syncthreads; do
          echo "== race_probe $mode"; timeout 60 compute-sanitizer --tool racecheck "$build/race_probe" $mode
        done > "$out/race-probe.txt" 2>&1
        grep -E "^== |sums exact|SUMMARY" "$out/race-probe.txt"
      fi ;;
    probe) run_step probe 60 probe.txt "$build/mma_probe"; cat "$out/probe.txt" ;;
    profile) run_step profile 150 ncu.txt ncu --clock-control none -k "regex:forward_kernel|forward_wgmma_kernel|dv_kernel|dkdq_kernel|dv_wgmma_kernel|dkdq_wgmma_kernel" -c 3 \
      --section SpeedOfLight --section ComputeWorkloadAnalysis --section WarpStateStats --section Occupancy \
      "$build/harness" profile
      grep -E "dkdq_kernel|dv_kernel|forward_kernel|forward_wgmma_kernel|Throughput|Pipe|Stall|Warp Cycles|Issued" "$out/ncu.txt" | head -60 ;;
    stalls) run_step stalls 150 stalls.txt ncu --clock-control none -k "regex:forward_wgmma_kernel|dv_wgmma_kernel|dkdq_wgmma_kernel" -c 3 \
      --section WarpStateStats --print-details all "$build/harness" profile
      grep -E "wgmma_kernel|Stall|stalled|Warp Cycles" "$out/stalls.txt" | head -80 ;;
    build) ;;
    *) echo "unknown step $step"; status=1 ;;
  esac
done
exit $status
