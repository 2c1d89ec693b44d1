#!/usr/bin/env python3
"""bench_torch.py — the same workloads as bench_train.c, in PyTorch (CPU eager), printed the same
way: "name value unit". Run by ./build.sh bench when python3 has torch."""
import statistics
import time

import torch
import torch.nn.functional as F


class NeuralNetwork(torch.nn.Module):
    def __init__(self, num_inputs, num_outputs):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(num_inputs, 30), torch.nn.ReLU(),
            torch.nn.Linear(30, 20), torch.nn.ReLU(),
            torch.nn.Linear(20, num_outputs))

    def forward(self, x):
        return self.layers(x)


def step(model, opt, x, y):
    loss = F.cross_entropy(model(x), y)
    # set_to_none=True: PyTorch 2.x's default (the tutorial's zero_grad()) and what tl_sgd_zero_grad
    # does; PyTorch 1.13's default would zero the gradients in place instead, about 3 us slower
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def bench_tutorial_step():
    torch.manual_seed(123)
    model = NeuralNetwork(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    x = torch.tensor([[-1.2, 3.1], [2.3, -1.1]])
    y = torch.tensor([0, 1])
    for _ in range(500):
        step(model, opt, x, y)
    runs = []
    for _ in range(7):
        n = 2000
        t0 = time.perf_counter()
        for _ in range(n):
            step(model, opt, x, y)
        runs.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(runs)


def bench_mlp():
    torch.manual_seed(0)
    n, batch = 60000, 128
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    X = torch.rand(n, 784)
    Y = torch.randint(0, 10, (n,))
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        for b in range(0, n - batch + 1, batch):
            step(model, opt, X[b:b + batch], Y[b:b + batch])
        runs.append((n // batch * batch) / (time.perf_counter() - t0))
    return statistics.median(runs)


def bench_matmul():
    m = 1024
    a, b = torch.rand(m, m), torch.rand(m, m)
    a @ b
    runs = []
    for _ in range(9):
        t0 = time.perf_counter()
        a @ b
        runs.append(2.0 * m ** 3 / (time.perf_counter() - t0) / 1e9)
    return statistics.median(runs)


if __name__ == "__main__":
    print(f"step_us {bench_tutorial_step():.2f} us/step", flush=True)
    print(f"mlp_samples_s {bench_mlp():.0f} samples/s", flush=True)
    print(f"matmul_gflops {bench_matmul():.1f} GFLOP/s", flush=True)
