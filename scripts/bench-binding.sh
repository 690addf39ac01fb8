#!/usr/bin/env bash
# Binding-overhead benchmark (issue 2): builds the C++ half (native/bench, against the same libtorch through
# find_package(Torch)) and runs it interleaved with the C# half (TrainSage.Benchmarks, through tools/BindingBench),
# then writes docs/results/binding-overhead.json and .md. Usage: scripts/bench-binding.sh [rounds]
# For a libtorch outside CMake's default search path (the GPU machine's PyTorch) set CMAKE_PREFIX_PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-}
build=native/bench/build
mkdir -p "$build"
cmake -S native/bench -B "$build" -DCMAKE_BUILD_TYPE=Release >"$build/configure.log" 2>&1 || { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" >/dev/null

# Building the tool builds the native shim too (skip with TRAINSAGE_SKIP_NATIVE_BUILD=1 where it is built already).
dotnet build tools/BindingBench -c Release -nologo -v quiet -clp:ErrorsOnly
mkdir -p docs/results
# Both processes (the C++ one inherits the affinity) run on one core: their rounds alternate and never overlap, so
# each side sees the same core, caches and clock, whatever else the machine is doing on its other cores.
core=$(( $(nproc) - 1 ))
taskset -c "$core" dotnet tools/BindingBench/bin/Release/net10.0/BindingBench.dll "$build/binding_overhead" \
  docs/results/binding-overhead "scripts/bench-binding.sh${rounds:+ $rounds} (both processes on core $core)" ${rounds:+"$rounds"}
