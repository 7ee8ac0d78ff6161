"""Per-op overhead: ((a * b).sum()).backward() on tiny tensors, in microseconds per iteration.

autograd_lite against PyTorch, a ~40-line NumPy autograd (_minimal_autograd.py: the floor for a
Python engine) and the bare NumPy calls of the same forward and backward (no graph at all).

    cd benchmarks && python cases_overhead.py
"""
import numpy as np

from _harness import Case, measure
from _minimal_autograd import MiniTensor

SHAPES = {"4 elements": (4,), "64x128": (64, 128)}


def _inputs(shape):
    rng = np.random.default_rng(0)
    return (rng.standard_normal(shape, dtype=np.float32), rng.standard_normal(shape, dtype=np.float32))


def _graph_step(a, b):
    def step():
        a.grad = b.grad = None
        (a * b).sum().backward()
    return step


def _ours(shape):
    import autograd_lite as al
    a, b = (al.tensor(x, requires_grad=True) for x in _inputs(shape))
    return _graph_step(a, b)


def _torch(shape):
    import torch
    a, b = (torch.tensor(x, requires_grad=True) for x in _inputs(shape))
    return _graph_step(a, b)


def _minimal(shape):
    return _graph_step(*(MiniTensor(x) for x in _inputs(shape)))


def _numpy(shape):
    a, b = _inputs(shape)

    def step():                      # forward, then d(sum)/d(a*b) broadcast, then the two products
        s = (a * b).sum()
        g = np.broadcast_to(np.ones((), np.float32), shape)
        return s, g * b, g * a
    return step


def cases(quick=False):
    return [Case("overhead", "((a*b).sum()).backward()", label, "us", 0.0,
                 {"autograd_lite": lambda s=shape: _ours(s), "torch": lambda s=shape: _torch(s),
                  "minimal autograd": lambda s=shape: _minimal(s), "numpy": lambda s=shape: _numpy(s)})
            for label, shape in SHAPES.items()]


if __name__ == "__main__":
    for case in cases():
        times = measure(case)
        print(case.name, case.size, {k: f"{v * 1e6:.1f} us" for k, v in times.items()})
