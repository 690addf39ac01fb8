#!/usr/bin/env bash
# Weak scaling of data-parallel training on one multi-GPU machine: the GPT-2-small recipe with the same per-GPU
# batch on 1, 2, ... GPUs (mpiexec, NCCL), tokens/s from each run's metrics.jsonl, plus NCCL's own all-reduce
# bus bandwidth on the same GPUs (PyTorch's NCCL, for the ceiling). Writes scaling-h200.json/.md under $OUT.
# On the GPU machine, after scripts/gpu/publish.sh here:  GPUS="1 2 4" bash scripts/bench/scaling/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=${OUT:-runs/scaling/out}
gpus=${GPUS:-"1 2 4"}
steps=${STEPS:-40}
per_gpu_batch=${PER_GPU_BATCH:-16}
mkdir -p "$out"
# NVLink multicast stays off on shared hosts (see the device notes).
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

bash scripts/gpu/run.sh smoke --device cuda:0 > "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
for n in $gpus; do
  echo "== $n GPU(s)"
  TRAINSAGE_SKIP_BUILD=1 timeout 240 mpiexec --bind-to none -n "$n" bash scripts/gpu/run.sh pretrain recipes/gpt2-small-throughput/recipe.yaml \
    --set name=scaling-$n --set training.batch_size=$((per_gpu_batch * n)) --set training.max_steps="$steps" \
    --set eval.interval=0 --set training.log_interval=1 > "$out/scaling-$n.log" 2>&1 || { tail -20 "$out/scaling-$n.log"; echo "FAILED on $n GPUs"; }
  cp runs/scaling-$n/metrics.jsonl "$out/metrics-$n.jsonl" 2>/dev/null || true
  rm -rf runs/scaling-$n/checkpoints
done

python3 scripts/bench/scaling/nccl_busbw.py --gpus "$(echo $gpus | awk '{print $NF}')" --out "$out/nccl-busbw.json" || echo "nccl bandwidth probe failed"
python3 scripts/bench/scaling/summarize.py --out "$out" --gpus $gpus --per-gpu-batch "$per_gpu_batch" --steps "$steps"
