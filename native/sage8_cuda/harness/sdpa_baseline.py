"""Times libtorch's scaled_dot_product_attention in bf16 (flash and cuDNN backends) on the shapes the harness's
bench uses (batch x tokens = 16K, 16 heads), so the sage8 numbers have their baselines from the same machine.

Usage: python3 sdpa_baseline.py [out.jsonl]
TFLOP/s count the forward as 4*B*H*N^2*D (halved when causal), the backward as 2.5x that.
"""
import json
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel


def median_ms(fn, reps=10):
    for _ in range(2):
        fn()
    times = []
    for _ in range(reps):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return sorted(times)[reps // 2]


def measure(backend, head_dim, seq_len, causal, heads=16, tokens=16384):
    batch = tokens // seq_len
    q, k, v = (torch.randn(batch, heads, seq_len, head_dim, device="cuda", dtype=torch.bfloat16,
                           requires_grad=True) for _ in range(3))
    grad = torch.randn_like(q)
    with sdpa_kernel(backend):
        def forward():
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal)

        def forward_backward():
            return torch.autograd.grad(forward(), (q, k, v), grad)

        with torch.no_grad():
            fwd_ms = median_ms(forward)
        fwd_bwd_ms = median_ms(forward_backward)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        forward_backward()
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    flops = 4.0 * batch * heads * seq_len * seq_len * head_dim / (2 if causal else 1)
    return {"head_dim": head_dim, "seq_len": seq_len, "causal": causal, "fwd_ms": fwd_ms,
            "bwd_ms": fwd_bwd_ms - fwd_ms, "fwd_tflops": flops / fwd_ms / 1e9,
            "bwd_tflops": 2.5 * flops / (fwd_bwd_ms - fwd_ms) / 1e9,
            "fwd_bwd_tflops": 3.5 * flops / fwd_bwd_ms / 1e9, "peak_mem_mb": peak_mb}


def main():
    out = open(sys.argv[1], "w") if len(sys.argv) > 1 else None
    print(f"{'backend':>7} {'D':>4} {'N':>6} {'causal':>6} | {'fwd TF/s':>9} {'bwd TF/s':>9} {'f+b TF/s':>9} | peak MB")
    for name, backend in (("flash", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION)):
        for head_dim in (64, 128):
            for seq_len in (1024, 4096, 16384):
                for causal in (False, True):
                    row = {"backend": name, **measure(backend, head_dim, seq_len, causal)}
                    print(f"{name:>7} {head_dim:>4} {seq_len:>6} {str(causal):>6} | {row['fwd_tflops']:9.1f} "
                          f"{row['bwd_tflops']:9.1f} {row['fwd_bwd_tflops']:9.1f} | {row['peak_mem_mb']:.0f}",
                          flush=True)
                    if out:
                        out.write(json.dumps(row) + "\n")
    if out:
        out.close()


if __name__ == "__main__":
    main()
