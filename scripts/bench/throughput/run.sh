#!/usr/bin/env bash
# Training throughput, TrainSage vs PyTorch eager, on one GPU: for each config it trains the same recipe with the
# published `trainsage` CLI and with pytorch_gpt.py (its PyTorch eager twin), then summarize.py writes
# throughput-h200.json and .md under $OUT and prints the table last.
#
# On the GPU machine, in the repository root, after `bash scripts/gpu/publish.sh` on the CPU machine (the device
# call carries .device-carry):
#   bash scripts/bench/throughput/run.sh
# Environment knobs:
#   OUT             results folder (a device call provides it; default runs/throughput-bench/out)
#   STEPS           optimizer steps per run (100); WARMUP: steps left out of the median (20)
#   ATTENTION       attention backend of every layer on both sides: flash (default) or math
#   CONFIGS         which configs, in order (default: shakespeare-char-gpu gpt2-small)
#   PYTORCH_ADAMW   torch.optim.AdamW implementations to run (default: "default for-loop"; also foreach, fused)
#   EXTRA_SET       more recipe overrides for both sides, space-separated key=value
#   TRAINSAGE       how to launch the CLI (default: bash scripts/gpu/run.sh); PYTHON: the interpreter (python3)
#   RUN_TIMEOUT     seconds one run may take before it is stopped and counted as failed (120)
#   TRAINSAGE_COMMIT  the commit to record (default: git rev-parse, when the tree has a .git)
# A CPU smoke test of the plumbing (tiny fp32 model; needs a Python with torch and yaml):
#   TRAINSAGE=src/TrainSage.Cli/bin/Release/net10.0/trainsage ATTENTION=math STEPS=30 WARMUP=5 EXTRA_SET="device=cpu
#   model.n_layer=2 model.n_embd=64 model.n_head=4 model.block_size=64 training.batch_size=8" bash scripts/bench/throughput/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=scripts/bench/throughput

steps=${STEPS:-100}
warmup=${WARMUP:-20}
attention=${ATTENTION:-flash}
configs=${CONFIGS:-shakespeare-char-gpu gpt2-small}
adamw_variants=${PYTORCH_ADAMW:-default for-loop}
python=${PYTHON:-python3}
run_timeout=${RUN_TIMEOUT:-120}
read -r -a trainsage <<< "${TRAINSAGE:-bash scripts/gpu/run.sh}"
runs_root=$PWD/runs/throughput-bench
out=${OUT:-$runs_root/out}
commit=${TRAINSAGE_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}

recipe_of() {
  case $1 in
    shakespeare-char-gpu) echo recipes/shakespeare-char-gpu/recipe.yaml ;;
    gpt2-small) echo recipes/gpt2-small-throughput/recipe.yaml ;;
    *) echo "run.sh: unknown config '$1'; allowed: shakespeare-char-gpu, gpt2-small" >&2; return 1 ;;
  esac
}

# Fail before any run when something is missing, with the fix.
for config in $configs; do recipe_of "$config" >/dev/null; done
if [ -z "${TRAINSAGE:-}" ] && [ ! -x .device-carry/cli/trainsage ]; then
  echo "run.sh: .device-carry/cli/trainsage is missing: run 'bash scripts/gpu/publish.sh' on the CPU machine and carry .device-carry" >&2
  exit 2
fi
"$python" -c 'import torch, yaml' 2>/dev/null || { echo "run.sh: $python cannot import torch and yaml" >&2; exit 2; }
[ "$steps" -gt $((warmup + 5)) ] || { echo "run.sh: STEPS ($steps) must exceed WARMUP ($warmup) by more than 5" >&2; exit 2; }

sets=(--set "training.max_steps=$steps" --set training.log_interval=1 --set eval.interval=0
      --set checkpoint.interval=0 --set checkpoint.keep_last=1 --set "model.attention.default=$attention")
for assignment in ${EXTRA_SET:-}; do sets+=(--set "$assignment"); done

mkdir -p "$out/logs" "$out/raw"
manifest=$out/raw/manifest.tsv
: > "$manifest"
command_line="STEPS=$steps WARMUP=$warmup ATTENTION=$attention${EXTRA_SET:+ EXTRA_SET=\"$EXTRA_SET\"} bash $here/run.sh"
echo "throughput benchmark at $commit: configs [$configs], $steps steps (median after $warmup), attention $attention"
nvidia-smi --query-gpu=name,driver_version,memory.used,memory.total --format=csv,noheader 2>/dev/null || echo "(no nvidia-smi)"

# Runs one side; appends its manifest line; never stops the benchmark (a failed run is a FAILED row).
record() {  # record CONFIG FRAMEWORK VARIANT METRICS LOG -- COMMAND...
  local config=$1 framework=$2 variant=$3 metrics=$4 log=$5 status=ok start=$SECONDS code=0
  shift 6
  echo "== $config / $framework / $variant"
  timeout --kill-after=10 "$run_timeout" "$@" >"$log" 2>&1 || code=$?
  if [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; then echo "run.sh: stopped after RUN_TIMEOUT=$run_timeout s" >>"$log"; fi
  [ "$code" -eq 0 ] || status=failed
  if [ "$framework" = trainsage ] && [ "$status" = ok ]; then
    cp "$runs_root/$config/metrics.jsonl" "$metrics" || status=failed
  fi
  if [ "$status" = ok ]; then
    tail -n 2 "$log" | cut -c1-240
  else
    echo "   FAILED (exit status or missing metrics); the end of $log:"
    tail -n 30 "$log" | cut -c1-240 | sed 's/^/   | /'
  fi
  echo "   $status in $((SECONDS - start)) s"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$config" "$framework" "$variant" "$status" "$metrics" "$log" >>"$manifest"
}

for config in $configs; do
  recipe=$(recipe_of "$config")
  mkdir -p "$out/raw/$config"
  rm -rf "${runs_root:?}/$config"
  record "$config" trainsage "libtorch-adamw" "$out/raw/$config/trainsage.jsonl" "$out/logs/$config-trainsage.log" -- \
    "${trainsage[@]}" pretrain "$recipe" "${sets[@]}" --set "out_dir=$runs_root" --set "name=$config"
  rm -rf "${runs_root:?}/$config"  # the final checkpoint is not needed (GPT-2 small's is 1.5 GB)
  for variant in $adamw_variants; do
    record "$config" pytorch "adamw-$variant" "$out/raw/$config/pytorch-adamw-$variant.jsonl" \
      "$out/logs/$config-pytorch-adamw-$variant.log" -- \
      "$python" "$here/pytorch_gpt.py" "$recipe" "${sets[@]}" --adamw "$variant" \
      --metrics "$out/raw/$config/pytorch-adamw-$variant.jsonl"
  done
done

echo
echo "== results (written to $out/throughput-h200.json and .md)"
status=0
"$python" "$here/summarize.py" --manifest "$manifest" --warmup "$warmup" --steps "$steps" --attention "$attention" \
  --command "$command_line" --commit "$commit" --out-dir "$out" || status=$?
exit "$status"
