#!/usr/bin/env python3
"""Turns the runs of the throughput benchmark (run.sh's manifest) into <name>.json and <name>.md, and prints the table.

A manifest line (tab-separated): config, framework, variant, status (ok or failed), metrics.jsonl, log file.
tokens_per_s is the median of the per-step rates after the first --warmup steps (both sides time a step the same
way, see pytorch_gpt.py); tokens_per_s_wall is tokens over wall time across those same steps, as a cross-check.
ratio is a row's tokens_per_s over that of the config's reference row (PyTorch with its default AdamW).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess

REFERENCE = ("pytorch", "adamw-default")
ATTENTION = {
    "flash": "PyTorch's scaled_dot_product_attention with only its flash kernel enabled, and TrainSage's `flash` backend",
    "math": "TrainSage's exact attention (bf16 scores, fp32 masked softmax, bf16 product with v) on both sides",
}
MIN_MEASURED_STEPS = 5


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def measure(metrics_path, warmup):
    """(numbers, None) from a run's metrics, or (None, why not)."""
    if not os.path.isfile(metrics_path):
        return None, f"no metrics file at {metrics_path}"
    records = read_jsonl(metrics_path)
    measured = [r for r in records if r["step"] > warmup]
    if len(measured) < MIN_MEASURED_STEPS:
        return None, (f"{len(measured)} logged steps after the {warmup} warmup steps (need {MIN_MEASURED_STEPS}); "
                      "run more steps with training.log_interval=1")
    before = [r for r in records if r["step"] <= warmup]
    start = before[-1] if before else measured[0]
    end = measured[-1]
    tokens_per_step = end["tokens"] / end["step"]
    tokens_per_s = statistics.median(r["tokens_per_s"] for r in measured)
    wall = end["wall_time_s"] - start["wall_time_s"]
    numbers = {
        "tokens_per_s": round(tokens_per_s, 1),
        "ms_per_step": round(1000 * tokens_per_step / tokens_per_s, 3),
        "tokens_per_s_wall": round((end["tokens"] - start["tokens"]) / wall, 1) if wall > 0 else None,
        "tokens_per_step": int(tokens_per_step),
        "steps_measured": len(measured),
        "final_train_loss": round(end["train_loss"], 4),
    }
    return numbers, None


def meta_of(metrics_path):
    """What pytorch_gpt.py records beside its metrics (TrainSage runs have none)."""
    path = os.path.splitext(metrics_path)[0] + ".meta.json"
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def machine():
    info = {"host_cpus": os.cpu_count(), "platform": platform.platform()}
    try:
        import torch
        info.update(torch=torch.__version__, cuda=torch.version.cuda,
                    gpu=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
    except ImportError:
        info["torch"] = None
    try:
        smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,power.limit,clocks.max.sm",
                              "--format=csv,noheader", "-i", "0"], capture_output=True, text=True, timeout=20)
        if smi.returncode == 0:
            info["nvidia_smi"] = smi.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    return info


def rows_from(manifest, warmup):
    rows = []
    with open(manifest, encoding="utf-8") as f:
        entries = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    metas = {metrics: meta_of(metrics) for *_, metrics, _ in entries}
    # Both sides train the same model, so the PyTorch twin's FLOPs per token hold for the TrainSage row too.
    flops = {config: metas[metrics]["flops_per_token"] for config, *_, metrics, _ in entries if "flops_per_token" in metas[metrics]}
    for config, framework, variant, status, metrics, log in entries:
        row = {"config": config, "framework": framework, "variant": variant, "log": os.path.basename(log)}
        numbers, why = measure(metrics, warmup) if status == "ok" else (None, f"the run failed; see {os.path.basename(log)}")
        row.update(numbers or {"tokens_per_s": None, "ms_per_step": None, "error": why})
        if numbers and config in flops:
            row["model_tflops"] = round(flops[config] * numbers["tokens_per_s"] / 1e12, 1)
        if "adamw" in metas[metrics]:
            row["adamw"] = metas[metrics]["adamw"]
        rows.append(row)
    for row in rows:
        reference = next((r for r in rows if r["config"] == row["config"] and (r["framework"], r["variant"]) == REFERENCE), None)
        for key, ratio in (("tokens_per_s", "ratio"), ("tokens_per_s_wall", "ratio_wall")):
            ok = reference and reference.get(key) and row.get(key)
            row[ratio] = round(row[key] / reference[key], 3) if ok else None
    return rows


def table(rows):
    header = ["config", "framework", "variant", "tokens/s", "ms/step", "ratio", "wall tokens/s", "wall ratio", "model TFLOP/s",
              "final loss"]
    lines = [header]
    for r in rows:
        if r["tokens_per_s"] is None:
            lines.append([r["config"], r["framework"], r["variant"], "FAILED: " + r["error"]] + [""] * (len(header) - 4))
            continue
        resolved = r.get("adamw", "")  # "default (foreach)": show what PyTorch's default chose
        variant = r["variant"] + (resolved[len("default"):] if resolved.startswith("default (") else "")
        lines.append([r["config"], r["framework"], variant, f"{r['tokens_per_s']:,.0f}", f"{r['ms_per_step']:.2f}",
                      "" if r["ratio"] is None else f"{r['ratio']:.3f}", f"{r['tokens_per_s_wall'] or 0:,.0f}",
                      "" if r["ratio_wall"] is None else f"{r['ratio_wall']:.3f}",
                      str(r.get("model_tflops", "")), f"{r['final_train_loss']:.4f}"])
    return lines


def markdown(report, lines):
    verdicts = [f"- {r['config']}: TrainSage reaches {r['ratio']:.3f}x PyTorch eager's tokens/s "
                f"({'meets' if r['ratio'] >= 0.9 else 'misses'} the 0.9x target); by wall clock {r['ratio_wall']}x"
                for r in report["rows"] if r["framework"] == "trainsage" and r["ratio"] is not None]
    rendered = ["| " + " | ".join(lines[0]) + " |", "|" + "---|" * len(lines[0])] + ["| " + " | ".join(l) + " |" for l in lines[1:]]
    m = report["machine"]
    return "\n".join([
        "# Training throughput on one H200: TrainSage vs PyTorch eager", "",
        f"Measured {report['date']} at commit `{report['commit']}`, in one device call.", "",
        f"Machine: {m.get('gpu') or 'no GPU'}; nvidia-smi (name, driver, power limit, max SM clock): "
        f"{m.get('nvidia_smi', 'n/a')}; PyTorch {m.get('torch')} "
        f"(CUDA {m.get('cuda')}), {m['host_cpus']} host CPUs; {m['platform']}.", "",
        "Command (after `bash scripts/gpu/publish.sh` on the CPU machine, with `.device-carry` carried):", "",
        "```", report["command"], "```", "",
        *rendered, "",
        *verdicts, "",
        "How it is measured: each run trains from scratch for "
        f"{report['settings']['steps']} steps with evaluation off and attention `{report['settings']['attention']}`; "
        f"tokens/s is the median of the per-step rates after the first {report['settings']['warmup']} steps, each step "
        "timed on the host from its start (LR, batch sampling, host-to-device copy) to the return of the optimizer "
        "step; every step reads its loss and gradient norm back to the host on both sides. `wall tokens/s` counts the "
        "same steps by wall clock, so it also sees what happens between steps (metrics, logging, garbage collection) "
        "and is pulled down by slow outlier steps that the median ignores. `ratio` and `wall ratio` divide by PyTorch's "
        "with its default AdamW for the same config. "
        f"Attention: {ATTENTION.get(report['settings']['attention'], report['settings']['attention'])}. "
        "Both sides run the same model in the same precision: fp32 master weights, bf16 inputs and weights for every "
        "linear, fp32 residual stream, norms, softmax and loss (explicit casts, no autocast). TrainSage's AdamW is "
        "libtorch's C++ optimizer (one parameter at a time); the `adamw-for-loop` row is PyTorch's equivalent "
        "single-tensor AdamW. `model TFLOP/s` uses nanoGPT's 6N + 12 L d T FLOPs per token. "
        "Scripts: scripts/bench/throughput/ (run.sh, pytorch_gpt.py, summarize.py).", ""])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--warmup", type=int, required=True, help="steps left out before measuring")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--attention", required=True)
    parser.add_argument("--command", required=True, help="the command that ran the benchmark, for the record")
    parser.add_argument("--commit", default="unknown")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--name", default="throughput-h200")
    args = parser.parse_args()

    rows = rows_from(args.manifest, args.warmup)
    report = {
        "benchmark": "training throughput (tokens/s), TrainSage vs PyTorch eager, same model, optimizer, batch and bf16",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": args.commit, "command": args.command, "machine": machine(),
        "settings": {"steps": args.steps, "warmup": args.warmup, "attention": args.attention},
        "rows": rows,
    }
    os.makedirs(args.out_dir, exist_ok=True)
    with open(os.path.join(args.out_dir, args.name + ".json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    lines = table(rows)
    with open(os.path.join(args.out_dir, args.name + ".md"), "w", encoding="utf-8") as f:
        f.write(markdown(report, lines))
    widths = [max(len(l[i]) for l in lines) for i in range(len(lines[0]))]
    print("\n".join("  ".join(cell.ljust(w) for cell, w in zip(l, widths)).rstrip() for l in lines))
    return 0 if all(r["tokens_per_s"] is not None for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
