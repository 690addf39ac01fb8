#!/usr/bin/env bash
# On the GPU machine (a device call), in the repository root: builds the native shim with CUDA against the
# installed PyTorch's libtorch, then runs the published CLI (scripts/gpu/publish.sh, carried in .device-carry)
# with the given arguments. Usage: bash scripts/gpu/run.sh smoke --device cuda:0
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${TRAINSAGE_GPU_BUILD_DIR:-/tmp/trainsage-native}
if [ -d .device-carry/committed/native/sage8_cuda ]; then  # scripts/gpu/snapshot-kernels.sh
  rm -rf native/sage8_cuda && cp -r .device-carry/committed/native/sage8_cuda native/sage8_cuda
fi
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
start=$(date +%s)
if [ ! -f "$build/libtrainsage_native.so" ] || [ "${TRAINSAGE_REBUILD:-0}" = 1 ]; then
  cmake -S native -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_CUDA_ARCHITECTURES=90a >"$build.cmake.log" 2>&1 || { cat "$build.cmake.log"; exit 1; }
fi
[ "${TRAINSAGE_SKIP_BUILD:-0}" = 1 ] || cmake --build "$build" -j"$(nproc)" >"$build.log" 2>&1 || { grep -E "error|FAILED" -A3 "$build.log" | head -80; exit 1; }
[ "${TRAINSAGE_SKIP_BUILD:-0}" = 1 ] || echo "native shim built in $(( $(date +%s) - start )) s"
export TRAINSAGE_NATIVE_LIB="$build/libtrainsage_native.so"
torch_lib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export LD_LIBRARY_PATH="$torch_lib:${LD_LIBRARY_PATH:-}"
export DOTNET_BUNDLE_EXTRACT_BASE_DIR=/tmp/dotnet-bundle
exec .device-carry/cli/trainsage "$@"
