"""Writes scaling-h200.json and .md from the runs of scripts/bench/scaling/run.sh (weak scaling, tokens/s)."""
import argparse
import json
import os
import statistics
import subprocess

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--gpus", nargs="+", type=int, required=True)
parser.add_argument("--per-gpu-batch", type=int, required=True)
parser.add_argument("--steps", type=int, required=True)
parser.add_argument("--machine", help="GPU names and driver (default: from nvidia-smi)")
args = parser.parse_args()

warmup = 10
rows = []
for n in args.gpus:
    path = os.path.join(args.out, f"metrics-{n}.jsonl")
    if not os.path.exists(path):
        rows.append({"gpus": n, "tokens_per_s": None, "failed": True})
        continue
    records = [json.loads(line) for line in open(path)]
    rates = [r["tokens_per_s"] for r in records if r["step"] > warmup]
    rows.append({"gpus": n, "tokens_per_s": statistics.median(rates), "ms_per_step": statistics.median(
        [r["tokens"] / max(1, r["step"]) / r["tokens_per_s"] * 1000 for r in records if r["step"] > warmup]),
        "final_loss": records[-1]["train_loss"]})
base = next((r["tokens_per_s"] for r in rows if r["gpus"] == 1 and r["tokens_per_s"]), None)
for r in rows:
    if base and r.get("tokens_per_s"):
        r["speedup"] = r["tokens_per_s"] / base
        r["efficiency"] = r["tokens_per_s"] / (base * r["gpus"])
busbw = None
bw_path = os.path.join(args.out, "nccl-busbw.json")
if os.path.exists(bw_path):
    busbw = json.load(open(bw_path))
gpu = args.machine.split(";") if args.machine else subprocess.run(
    ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"], capture_output=True, text=True).stdout.strip().splitlines()
# Every parameter of the recipe's model (12 x 768, vocab 50304 tied, block 1024, bias: false), all of whose fp32
# gradients are all-reduced each step: token and position tables, 12 x (two LayerNorm weights + c_attn, c_proj,
# c_fc, mlp c_proj weights), ln_f. (124,439,808 is GPT-2 small with biases and vocab 50257, not this model.)
params = 50304 * 768 + 1024 * 768 + 12 * (2 * 768 + 12 * 768 * 768) + 768  # 124,373,760
command = f'GPUS="{" ".join(map(str, args.gpus))}" STEPS={args.steps} PER_GPU_BATCH={args.per_gpu_batch} bash scripts/bench/scaling/run.sh'
result = {"command": command, "machine": gpu, "recipe": "recipes/gpt2-small-throughput/recipe.yaml", "attention": "flash",
          "per_gpu_batch": args.per_gpu_batch, "seq_len": 1024, "rows": rows, "nccl_allreduce": busbw,
          "gradient_bytes_per_step": params * 4,
          "overlap": "none: gradients are all-reduced in 25 MB buckets after backward (the binding has no autograd hooks)"}
lines = ["# Data-parallel weak scaling on H200 (GPT-2 small, NCCL)", "", f"Command (device call, after `bash scripts/gpu/publish.sh`): `{command}`", "",
         f"Machine: {len(gpu)} x {gpu[0] if gpu else '?'}. Recipe `recipes/gpt2-small-throughput/recipe.yaml` (12 layers, 768 wide, seq 1024, bf16, flash attention), "
         f"{args.per_gpu_batch} sequences per GPU per step, {args.steps} steps, median tokens/s after step {warmup}.", "",
         "| GPUs | tokens/s | ms/step | speedup | scaling efficiency |", "|---|---|---|---|---|"]
for r in rows:
    if r.get("tokens_per_s"):
        lines.append(f"| {r['gpus']} | {r['tokens_per_s']:,.0f} | {r['ms_per_step']:.1f} | {r.get('speedup', 0):.2f}x | {r.get('efficiency', 0):.1%} |")
    else:
        lines.append(f"| {r['gpus']} | failed | | | |")
if busbw:
    lines += ["", f"NCCL all-reduce on {busbw['gpus']} GPUs (PyTorch's NCCL, nccl-tests' bus-bandwidth formula):", "",
              "| bytes | time (ms) | bus bandwidth (GB/s) |", "|---|---|---|"]
    lines += [f"| {r['bytes']:,} | {r['time_ms']:.2f} | {r['busbw_gbs']:.0f} |" for r in busbw["rows"]]
lines += ["", f"Each step all-reduces {params * 4 / 1e6:.0f} MB of fp32 gradients in 25 MB buckets after the backward pass (no overlap)."]
widest = max((r for r in rows if r.get("ms_per_step")), key=lambda r: r["gpus"], default=None)
single = next((r for r in rows if r["gpus"] == 1 and r.get("ms_per_step")), None)
if widest and single and widest["gpus"] > 1 and widest["ms_per_step"] > single["ms_per_step"]:
    n = widest["gpus"]
    sync_ms = widest["ms_per_step"] - single["ms_per_step"]
    achieved = 2 * (n - 1) / n * params * 4 / (sync_ms / 1000) / 1e9
    result["gradient_sync_ms_estimate"] = sync_ms
    result["achieved_busbw_gbs_estimate"] = achieved
    lines += [f"The step on {n} GPUs is {sync_ms:.1f} ms longer than on one; taking all of it as gradient all-reduce time, the trainer's "
              f"buckets reach at least {achieved:.0f} GB/s of bus bandwidth (a lower bound: the difference also holds the extra bucket copies)."]
with open(os.path.join(args.out, "scaling-h200.json"), "w") as f:
    json.dump(result, f, indent=1)
with open(os.path.join(args.out, "scaling-h200.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
