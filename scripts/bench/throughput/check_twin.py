#!/usr/bin/env python3
"""Checks that pytorch_gpt.py's model computes what TrainSage's does: loads a TrainSage run's last checkpoint into
the twin and recomputes the validation loss TrainSage logged for that step, over the same evaluation windows.

On the CPU (fp32), after a short TrainSage run that evaluates at its last step, e.g.
  trainsage pretrain R --set device=cpu --set training.max_steps=3 --set eval.interval=3 --set eval.batches=2 ...
  python3 scripts/bench/throughput/check_twin.py R --set (the same overrides) --run <that run's folder>
Exits 1 when the two losses differ by more than --tolerance.
"""
import argparse
import glob
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_gpt import GPT, fail, layer_backends, load_recipe  # noqa: E402

SAFETENSORS_DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16, "I64": torch.int64}
SHARD_HEADER_BYTES = 128
SHARD_DTYPES = {1: torch.int16, 2: torch.int32}  # token dtype codes of a TrainSage shard (uint16, uint32)
CONV1D_WEIGHTS = (".attn.c_attn.weight", ".attn.c_proj.weight", ".mlp.c_fc.weight", ".mlp.c_proj.weight")


def read_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        payload = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(payload[begin:end]), dtype=SAFETENSORS_DTYPES[entry["dtype"]]).reshape(entry["shape"])
    return tensors


def read_shard(path):
    with open(path, "rb") as f:
        header = f.read(SHARD_HEADER_BYTES)
        if header[:8] != b"TSTOKENS":
            fail(f"{path} is not a TrainSage token shard")
        dtype_code, _vocab = struct.unpack_from("<II", header, 12)
        (count,) = struct.unpack_from("<Q", header, 24)
        raw = torch.frombuffer(bytearray(f.read()), dtype=SHARD_DTYPES[dtype_code])[:count]
    return raw.to(torch.int64) & (0xFFFF if dtype_code == 1 else 0xFFFFFFFF)  # the shard's tokens are unsigned


def evaluation_windows(shards, seq_len, batch, max_batches):
    """EvaluationBatches on one rank: consecutive windows j * seq_len of each shard in order, whole batches only."""
    starts = [(shard, j * seq_len) for shard in shards for j in range(max(0, (len(shard) - 1) // seq_len))]
    count = min(len(starts) // batch, max_batches)
    for b in range(count):
        windows = torch.stack([shard[s:s + seq_len + 1] for shard, s in starts[b * batch:(b + 1) * batch]])
        yield windows[:, :-1], windows[:, 1:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--run", required=True, help="the TrainSage run folder (holds metrics.jsonl and checkpoints/)")
    parser.add_argument("--tolerance", type=float, default=1e-7, help="fp32 on the same libtorch agrees exactly; 1e-7 allows for rounding")
    args = parser.parse_args()

    recipe = load_recipe(args.recipe, args.set)
    checkpoints = sorted(glob.glob(os.path.join(args.run, "checkpoints", "step-*")))
    if not checkpoints:
        fail(f"no checkpoint under {args.run}/checkpoints")
    step = int(os.path.basename(checkpoints[-1]).split("-")[1])
    with open(os.path.join(args.run, "metrics.jsonl"), encoding="utf-8") as f:
        logged = [r for r in map(json.loads, filter(str.strip, f)) if r["step"] == step and r.get("val_loss") is not None]
    if not logged:
        fail(f"metrics.jsonl has no validation loss at step {step}; run with eval.interval > 0 (the trainer then also evaluates at its last step)")

    model = GPT(recipe["model"], layer_backends(recipe["model"]))
    state = {name: t.t().contiguous() if name.endswith(CONV1D_WEIGHTS) else t
             for name, t in read_safetensors(os.path.join(checkpoints[-1], "model.safetensors")).items()}
    model.load_state_dict(state, strict=True)
    model.eval()

    dataset = os.path.join(os.path.dirname(os.path.abspath(args.recipe)), recipe["data"]["dataset"])
    with open(os.path.join(dataset, "dataset.json"), encoding="utf-8") as f:
        shards = [read_shard(os.path.join(dataset, name)) for name in json.load(f)["val"]["shards"]]
    seq_len = recipe["training"]["seq_len"] or recipe["model"]["block_size"]
    with torch.no_grad():
        losses = [model.loss(x, y).item() for x, y in evaluation_windows(shards, seq_len, recipe["training"]["batch_size"], recipe["eval"]["batches"])]
    twin, trainsage = sum(losses) / len(losses), logged[0]["val_loss"]
    print(f"step {step}: validation loss over {len(losses)} batches: TrainSage {trainsage:.8f}, PyTorch twin {twin:.8f}, "
          f"difference {abs(twin - trainsage):.2e} (tolerance {args.tolerance:g})")
    return 0 if abs(twin - trainsage) <= args.tolerance else 1


if __name__ == "__main__":
    raise SystemExit(main())
