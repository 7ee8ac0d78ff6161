"""One optimizer step on an MNIST MLP's parameters (784x128 + 128 + 128x10 + 10, float32), side by side:
autograd_lite's optimizer (one fused numba kernel per parameter), its kernels alone, the optimizers' own rules
on the array module (autograd_lite/optim/*.py, torch.optim's single-tensor code op by op), and torch.optim
with its default (for CPU tensors: the single-tensor for-loop) and with foreach=True. Medians and ratios.

    python benchmarks/bench_optim.py [--threads N] [--rounds R]

Each row times the implementations in alternating rounds (median of the rounds' medians); these machines
are shared and noisy, so read the ratios, not the times.
"""
import argparse
import os
import platform
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import autograd_lite as al  # noqa: E402
from autograd_lite import optim  # noqa: E402
from autograd_lite.kernels import cpu  # noqa: E402
from autograd_lite.optim.adagrad import adagrad_update  # noqa: E402
from autograd_lite.optim.adam import adam_update  # noqa: E402
from autograd_lite.optim.rmsprop import rmsprop_update  # noqa: E402
from autograd_lite.optim.sgd import sgd_update  # noqa: E402
from _timing import median_time  # noqa: E402

try:
    import torch
except ImportError:
    torch = None

SHAPES = [(128, 784), (128,), (10, 128), (10,)]
RULES = {"sgd_update": sgd_update, "adam_update": adam_update, "rmsprop_update": rmsprop_update,
         "adagrad_update": adagrad_update}

# name: (optimizer class name, kwargs, kernel name, {state key: index in the kernel's buffer arguments},
#        scalars of the kernel call at step t for the kwargs)
CASES = {
    "SGD": ("SGD", dict(lr=1e-3), "sgd_update", [None],
            lambda kw, t: (kw["lr"], 0.0, 0.0, 0.0, False, False, False)),
    "SGD momentum+nesterov": ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True), "sgd_update", ["momentum_buffer"],
                              lambda kw, t: (kw["lr"], 0.9, 0.0, 0.0, True, False, False)),
    "Adam": ("Adam", dict(lr=1e-3), "adam_update", ["exp_avg", "exp_avg_sq", None],
             lambda kw, t: (0.9, 0.999, 1e-8, 0.0, 1.0, kw["lr"] / (1 - 0.9 ** t), (1 - 0.999 ** t) ** 0.5, False)),
    "Adam amsgrad": ("Adam", dict(lr=1e-3, amsgrad=True), "adam_update", ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
                     lambda kw, t: (0.9, 0.999, 1e-8, 0.0, 1.0, kw["lr"] / (1 - 0.9 ** t), (1 - 0.999 ** t) ** 0.5,
                                    False)),
    "AdamW": ("AdamW", dict(lr=1e-3), "adam_update", ["exp_avg", "exp_avg_sq", None],
              lambda kw, t: (0.9, 0.999, 1e-8, 0.0, 1 - 1e-5, kw["lr"] / (1 - 0.9 ** t), (1 - 0.999 ** t) ** 0.5,
                             False)),
    "RMSprop": ("RMSprop", dict(lr=1e-3), "rmsprop_update", ["square_avg", None, None],
                lambda kw, t: (kw["lr"], 0.99, 1e-8, 0.0, 0.0, False)),
    "RMSprop centered+momentum": ("RMSprop", dict(lr=1e-3, momentum=0.9, centered=True), "rmsprop_update",
                                  ["square_avg", "grad_avg", "momentum_buffer"],
                                  lambda kw, t: (kw["lr"], 0.99, 1e-8, 0.0, 0.9, False)),
    "Adagrad": ("Adagrad", dict(lr=1e-3), "adagrad_update", ["sum"], lambda kw, t: (kw["lr"], 1e-10, 0.0, False)),
}


def _arrays(seed=0):
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal(s) * 0.05).astype(np.float32) for s in SHAPES]
    grads = [(rng.standard_normal(s) * 0.01).astype(np.float32) for s in SHAPES]
    return params, grads


def _ours(name, kw):
    params, grads = _arrays()
    ps = [al.tensor(p, requires_grad=True) for p in params]
    for p, g in zip(ps, grads):
        p.grad = al.tensor(g)
    opt = getattr(optim, name)(ps, **kw)
    opt.step()                                            # creates the state, compiles (or loads) the kernel
    return opt.step, opt, ps


def _kernel_only(opt, ps, kernel, keys, scalars, kw):
    """The kernels on the optimizer's own arrays: the optimizer's cost minus its Python bookkeeping."""
    fn = getattr(cpu, kernel)
    calls = [(p._data, p.grad._data, [None if k is None else opt.state[p][k]._data for k in keys]) for p in ps]
    args = scalars(kw, 10)

    def step():
        for p, g, bufs in calls:
            fn(p, g, *bufs, *args)
    return step


def _numpy(kernel, keys, scalars, kw):
    fn = RULES[kernel]
    params, grads = _arrays()
    calls = [(p, g, [None if k is None else np.full(p.shape, 0.1, np.float32) for k in keys])
             for p, g in zip(params, grads)]
    args = scalars(kw, 10)

    def step():
        for p, g, bufs in calls:
            fn(p, g, *bufs, *args)
    return step


def _torch(name, kw, **extra):
    params, grads = _arrays()
    ps = [torch.tensor(p, requires_grad=True) for p in params]
    for p, g in zip(ps, grads):
        p.grad = torch.tensor(g)
    opt = getattr(torch.optim, name)(ps, **kw, **extra)
    opt.step()
    return opt.step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if torch is not None and args.threads:
        torch.set_num_threads(args.threads)
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          + (f"torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else "no torch"))
    print(f"one step over {' + '.join('x'.join(map(str, s)) for s in SHAPES)} float32 "
          f"({sum(int(np.prod(s)) for s in SHAPES)} elements); median us\n")
    cols = ["ours", "kernels only", "numpy formula", "torch default", "torch foreach"]
    print("| optimizer | " + " | ".join(cols) + " | ours/numpy | ours/torch | ours/torch foreach |")
    print("|---|" + "--:|" * (len(cols) + 3))
    for label, (name, kw, kernel, keys, scalars) in CASES.items():
        step, opt, ps = _ours(name, kw)
        fns = {"ours": step, "kernels only": _kernel_only(opt, ps, kernel, keys, scalars, kw),
               "numpy formula": _numpy(kernel, keys, scalars, kw)}
        if torch is not None:
            fns["torch default"] = _torch(name, kw)
            fns["torch foreach"] = _torch(name, kw, foreach=True)
        times = {k: [] for k in fns}
        for _ in range(args.rounds):
            for k, fn in fns.items():
                times[k].append(median_time(fn, repeat=7, target_s=0.01))
        t = {k: statistics.median(v) * 1e6 for k, v in times.items()}
        ratio = lambda k: f"{t['ours'] / t[k]:.2f}" if k in t else "-"  # noqa: E731
        print(f"| {label} | " + " | ".join(f"{t[c]:.1f}" if c in t else "-" for c in cols)
              + f" | {ratio('numpy formula')} | {ratio('torch default')} | {ratio('torch foreach')} |")


if __name__ == "__main__":
    main()
