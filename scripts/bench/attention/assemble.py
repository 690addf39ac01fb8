"""Merges one device call's sage8 harness bench (bench.jsonl) and SDPA baseline (sdpa.jsonl) into
docs/results/attention-bench-h200.json and .md. Both inputs come from the same call:
    bash native/sage8_cuda/harness/run.sh $OUT/h check bench
    python3 native/sage8_cuda/harness/sdpa_baseline.py > $OUT/sdpa.txt
"""
import argparse
import json

parser = argparse.ArgumentParser()
parser.add_argument("--sage8", required=True)
parser.add_argument("--sdpa", required=True)
parser.add_argument("--out", required=True, help="path without extension")
parser.add_argument("--command", required=True)
args = parser.parse_args()


def read(path):
    return [json.loads(line) for line in open(path) if line.strip().startswith("{")]


rows = []
for r in read(args.sage8):
    rows.append({"backend": "sage8", "head_dim": r["head_dim"], "seq_len": r["seq_len"], "causal": r["causal"],
                 "fwd_tflops": r["fwd_tflops"], "bwd_tflops": r["bwd_tflops"], "fwd_bwd_tflops": r["fwd_bwd_tflops"],
                 "peak_mem_mb": None, "workspace_mb": max(r["fwd_workspace_mb"], r["bwd_workspace_mb"]), "fwd_kernel": r.get("fwd_kernel")})
# sdpa_baseline.py prints one table row per case: backend D N causal | fwd bwd f+b | peak MB
for line in open(args.sdpa):
    cells = line.replace("|", " ").split()
    if len(cells) != 8 or cells[0] not in ("flash", "cudnn"):
        continue
    backend, d, n, causal, fwd, bwd, fb, peak = cells
    rows.append({"backend": backend, "head_dim": int(d), "seq_len": int(n), "causal": causal == "True",
                 "fwd_tflops": float(fwd), "bwd_tflops": float(bwd), "fwd_bwd_tflops": float(fb),
                 "peak_mem_mb": float(peak), "workspace_mb": None})
rows.sort(key=lambda r: (r["head_dim"], r["seq_len"], r["causal"], r["backend"]))
json.dump({"command": args.command, "machine": "one NVIDIA H200 (device kind nvidia-h200), PyTorch 2.11.0+cu130",
           "shape": "batch x seq_len = 16K tokens, 16 heads; forward FLOPs 4*B*H*N^2*D, halved when causal; backward 2.5x forward",
           "rows": rows}, open(args.out + ".json", "w"), indent=1)

lines = ["# Attention speed on one H200: sage8 fused kernels vs libtorch SDPA (flash, cuDNN)", "",
         f"Command (one device call): `{args.command}`", "",
         "Batch x N = 16K tokens, 16 heads. TFLOP/s with forward counted 4*B*H*N^2*D (halved when causal) and backward 2.5x forward. "
         "sage8 times include its quantization passes. sage8 has no N x N buffer: its extra memory is the workspace column "
         "(O(N*D) per head); SDPA's peak is PyTorch's peak allocation for the whole call (inputs and gradients included).", "",
         "| D | N | causal | sage8 fwd | flash fwd | cuDNN fwd | sage8 bwd | flash bwd | cuDNN bwd | sage8 f+b | flash f+b | cuDNN f+b | sage8 workspace MB | flash / cuDNN peak MB |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
by = {(r["backend"], r["head_dim"], r["seq_len"], r["causal"]): r for r in rows}
for (backend, d, n, c) in sorted({k for k in by if k[0] == "sage8"}, key=lambda k: (k[1], k[2], k[3])):
    s, f, u = by.get(("sage8", d, n, c)), by.get(("flash", d, n, c)), by.get(("cudnn", d, n, c))
    def v(r, key):
        return f"{r[key]:.0f}" if r and r.get(key) is not None else "-"
    lines.append(f"| {d} | {n} | {'yes' if c else 'no'} | {v(s,'fwd_tflops')} | {v(f,'fwd_tflops')} | {v(u,'fwd_tflops')} | "
                 f"{v(s,'bwd_tflops')} | {v(f,'bwd_tflops')} | {v(u,'bwd_tflops')} | {v(s,'fwd_bwd_tflops')} | {v(f,'fwd_bwd_tflops')} | "
                 f"{v(u,'fwd_bwd_tflops')} | {v(s,'workspace_mb')} | {v(f,'peak_mem_mb')} / {v(u,'peak_mem_mb')} |")
open(args.out + ".md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
