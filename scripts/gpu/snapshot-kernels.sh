#!/usr/bin/env bash
# Here: copies the committed native/sage8_cuda into .device-carry/committed, so that a device call can build the
# kernels as committed even while work on them is under way in the working tree (see scripts/gpu/run.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .device-carry/committed && mkdir -p .device-carry/committed
git archive HEAD native/sage8_cuda | tar -x -C .device-carry/committed
