"""NCCL's own all-reduce bus bandwidth on N GPUs of this machine (PyTorch's NCCL, one process per GPU).

busbw = 2 (N-1)/N * bytes / time, as nccl-tests reports it. Run by scripts/bench/scaling/run.sh.
"""
import argparse
import json
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def worker(rank, world, sizes, result_path, port):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.cuda.set_device(rank)
    dist.init_process_group("nccl", rank=rank, world_size=world)
    rows = []
    for size in sizes:
        x = torch.ones(size // 4, device="cuda")
        for _ in range(5):
            dist.all_reduce(x)
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        iters = 20
        start.record()
        for _ in range(iters):
            dist.all_reduce(x)
        end.record()
        torch.cuda.synchronize()
        seconds = start.elapsed_time(end) / 1000 / iters
        rows.append({"bytes": size, "time_ms": seconds * 1000, "busbw_gbs": 2 * (world - 1) / world * size / seconds / 1e9})
    if rank == 0:
        with open(result_path, "w") as f:
            json.dump({"gpus": world, "rows": rows}, f, indent=1)
    dist.destroy_process_group()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--gpus", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.gpus < 2:
        raise SystemExit("bus bandwidth needs at least 2 GPUs")
    mp.spawn(worker, args=(args.gpus, [25 << 20, 256 << 20, 1 << 30], args.out, 29511), nprocs=args.gpus)
