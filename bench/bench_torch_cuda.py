#!/usr/bin/env python3
"""bench_torch_cuda.py — bench_gpu.c's workloads in PyTorch, CUDA eager, on the same GPU, printed the
same way ("name value unit"). Run by ./build.sh bench when python3 has torch and a GPU."""
import statistics
import time

import torch
import torch.nn.functional as F

from bench_torch import NeuralNetwork, step


def bench_tutorial_step(dev):
    torch.manual_seed(123)
    model = NeuralNetwork(2, 2).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    x = torch.tensor([[-1.2, 3.1], [2.3, -1.1]], device=dev)
    y = torch.tensor([0, 1], device=dev)
    for _ in range(200):
        step(model, opt, x, y)
    runs = []
    for _ in range(7):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(2000):
            step(model, opt, x, y)
        torch.cuda.synchronize()
        runs.append((time.perf_counter() - t0) / 2000 * 1e6)
    return statistics.median(runs)


def bench_mlp(dev):
    torch.manual_seed(0)
    n, batch = 60000, 128
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10)).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    X = torch.rand(n, 784).to(dev)
    Y = torch.randint(0, 10, (n,)).to(dev)
    runs = []
    for _ in range(3):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for b in range(0, n - batch + 1, batch):
            step(model, opt, X[b:b + batch], Y[b:b + batch])
        torch.cuda.synchronize()
        runs.append((n // batch * batch) / (time.perf_counter() - t0))
    return statistics.median(runs)


def bench_matmul(dev):
    m = 4096
    a, b = torch.rand(m, m, device=dev), torch.rand(m, m, device=dev)
    a @ b
    runs = []
    for _ in range(9):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        a @ b
        torch.cuda.synchronize()
        runs.append(2.0 * m ** 3 / (time.perf_counter() - t0) / 1e9)
    return statistics.median(runs)


if __name__ == "__main__":
    if not torch.cuda.is_available():
        print("skipped: PyTorch sees no CUDA device")
    else:
        torch.backends.cuda.matmul.allow_tf32 = False   # float32 products in float32, as Torchlet's
        print(f"gpu_step_us {bench_tutorial_step('cuda'):.2f} us/step", flush=True)
        print(f"gpu_mlp_samples_s {bench_mlp('cuda'):.0f} samples/s", flush=True)
        print(f"gpu_matmul_gflops {bench_matmul('cuda'):.1f} GFLOP/s", flush=True)
