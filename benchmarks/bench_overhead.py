"""Per-op overhead: ((a * b).sum()).backward() on (64, 128) float32 tensors, side by side with
PyTorch (CPU), a minimal NumPy autograd (_minimal_autograd.py) and the bare NumPy calls, in
one process. Reports medians and ratios.

    python benchmarks/bench_overhead.py
"""
import numpy as np

import autograd_lite as al
from _minimal_autograd import MiniTensor
from _timing import fmt_us, median_time

SHAPE = (64, 128)


def bench_autograd_lite(a_np, b_np):
    a = al.tensor(a_np, requires_grad=True)
    b = al.tensor(b_np, requires_grad=True)

    def step():
        a.grad = b.grad = None
        (a * b).sum().backward()
    return step


def bench_torch(a_np, b_np):
    import torch
    torch.set_num_threads(1)
    a = torch.tensor(a_np, requires_grad=True)
    b = torch.tensor(b_np, requires_grad=True)

    def step():
        a.grad = b.grad = None
        (a * b).sum().backward()
    return step


def bench_minimal(a_np, b_np):
    a, b = MiniTensor(a_np), MiniTensor(b_np)

    def step():
        a.grad = b.grad = None
        (a * b).sum().backward()
    return step


def bench_numpy(a_np, b_np):
    """The floor: the same forward and backward as bare NumPy calls, no graph at all."""
    def step():
        out = a_np * b_np
        s = out.sum()
        g = np.broadcast_to(np.ones((), np.float32), SHAPE)
        ga, gb = g * b_np, g * a_np
        return s, ga, gb
    return step


def main():
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal(SHAPE).astype(np.float32)
    b_np = rng.standard_normal(SHAPE).astype(np.float32)
    results = {"autograd_lite": median_time(bench_autograd_lite(a_np, b_np)),
               "minimal autograd": median_time(bench_minimal(a_np, b_np)),
               "numpy (no graph)": median_time(bench_numpy(a_np, b_np))}
    try:
        results["torch"] = median_time(bench_torch(a_np, b_np))
    except ImportError:
        pass
    print(f"((a * b).sum()).backward(), a and b {SHAPE} float32; median per iteration")
    ours = results["autograd_lite"]
    for name, t in results.items():
        print(f"  {name:18s} {fmt_us(t)}   autograd_lite / this = {ours / t:5.2f}")


if __name__ == "__main__":
    main()
