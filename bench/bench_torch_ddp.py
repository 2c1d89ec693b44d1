#!/usr/bin/env python3
"""bench_torch_ddp.py — bench_ddp.c's workload in PyTorch: the 784-256-128-10 MLP, batch 128 per
rank, cross entropy, SGD, DistributedDataParallel over the gloo backend on CPU processes, one BLAS
thread per process. Prints the same "name value" lines as bench_ddp.c for 1 and 2 ranks:
    python3 bench/bench_torch_ddp.py 1;  python3 bench/bench_torch_ddp.py 2
Run by ./build.sh bench when python3 has torch."""
import os
import statistics
import sys
import time

# one BLAS thread per process, as bench_ddp.c runs: torch.set_num_threads(1) below limits PyTorch's
# own threads, not those of the BLAS library it calls (OpenBLAS reads this before torch loads it)
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import torch  # noqa: E402 (after the environment it reads)
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402
import torch.nn.functional as F  # noqa: E402

BATCH, STEPS, RUNS = 128, 10, 7


def run(rank, world, port, out):
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.manual_seed(123)
    mlp = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                              torch.nn.ReLU(), torch.nn.Linear(128, 10))
    model = torch.nn.parallel.DistributedDataParallel(mlp)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    g = torch.Generator().manual_seed(1000 + rank)
    x, y = torch.randn(BATCH, 784, generator=g), torch.randint(0, 10, (BATCH,), generator=g)
    flat = torch.zeros(sum(p.numel() for p in mlp.parameters()))
    steps, reduces = [], []
    for run_ in range(-1, RUNS):
        dist.barrier()
        t0 = time.perf_counter()
        for _ in range(STEPS):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        t1 = time.perf_counter()
        for _ in range(STEPS):
            dist.all_reduce(flat)
        t2 = time.perf_counter()
        if run_ >= 0:
            steps.append(1e3 * (t1 - t0) / STEPS)
            reduces.append(1e3 * (t2 - t1) / STEPS)
    mine = torch.tensor([statistics.median(steps), statistics.median(reduces)], dtype=torch.float64)
    every = [torch.zeros_like(mine) for _ in range(world)]
    dist.all_gather(every, mine)
    step, reduce = (max(float(t[i]) for t in every) for i in (0, 1))   # the slowest rank sets the pace
    if rank == 0:
        out.put((step, reduce))
    dist.destroy_process_group()


def main():
    world = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    port = 29500 + os.getpid() % 1000
    procs = [ctx.Process(target=run, args=(r, world, port, out)) for r in range(world)]
    for p in procs:
        p.start()
    step, reduce = out.get()
    for p in procs:
        p.join()
    print(f"ddp_ranks {world}")
    print(f"ddp_step_ms {step:.3f}")
    print(f"ddp_allreduce_ms {reduce:.3f}")
    print(f"ddp_samples_s {world * BATCH / (step / 1e3):.0f}")


if __name__ == "__main__":
    main()
