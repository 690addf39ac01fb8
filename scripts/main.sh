#!/usr/bin/env bash
# The main job on a CPU machine: sets up what is missing, then trains the CPU Shakespeare recipe twice (sage8
# 8-bit attention and the exact baseline, same seed and data order) and writes the loss-curve comparison to
# runs/shakespeare-char-cpu-compare/ (loss-curves.svg, summary.md, summary.json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet run --project src/TrainSage.Cli -c Release --no-build -- compare recipes/shakespeare-char-cpu/recipe.yaml --backends flash sage8 "$@"
