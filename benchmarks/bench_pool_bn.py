"""Max pool backward and batch norm backward: against torch, and the parallel twins against the serial kernels.

    python benchmarks/bench_pool_bn.py cases      # run.py's conv-section pool/bn cases at 1 and 2 threads, vs torch
    python benchmarks/bench_pool_bn.py shapes     # batch norm backward at DenseNet's shapes, vs torch (1 thread)
    python benchmarks/bench_pool_bn.py kernels    # _scatter and _bn_bwd serial vs parallel, alone and after BLAS

cases: benchmarks/cases_conv.py's max_pool2d 3x3/2 pad 1 (8x64x112x112) and batch_norm training (8x128x56x56)
cases, forward and backward, timed with run.py's harness (interleaved blocks, medians) in this one process, torch
beside; x torch = torch's time / ours. shapes: the batch norm backward kernel call (the table's function) and torch's
autograd.grad at the shapes of DenseNet-121's batch norms, batch 8. kernels: as bench_conv_threads.py kernels, at
2 threads: each kernel's serial and parallel twin, interleaved medians, alone and right after a 2-thread product.
The machine's load from other processes is printed beside each row ("others' cores"): rows far from 0 are noise.
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402

import autograd_lite as al  # noqa: E402
import bench_conv_threads as bct  # noqa: E402
import cases_conv  # noqa: E402
from _harness import OURS, measure  # noqa: E402
from autograd_lite.kernels.cpu import _jit, normalization, pooling  # noqa: E402
from autograd_lite.kernels.cpu.conv import matmul_into  # noqa: E402


def _torch():
    import torch
    return torch


def cases(threads):
    torch = _torch()
    names = [c for c in cases_conv.cases() if c.name.startswith(("max_pool2d", "batch_norm"))]
    print("| case | threads | autograd_lite, ms | torch, ms | x torch | others' cores |\n|---|--:|--:|--:|--:|--:|")
    busy = bct.others()
    for n in threads:
        al.set_num_threads(n)
        torch.set_num_threads(n)
        for case in names:
            times, load = bct.quietly(lambda: measure(case, rounds=9, only=(OURS, "torch")), busy)
            print(f"| {case.name} | {n} | {times[OURS] * 1e3:.2f} | {times['torch'] * 1e3:.2f} | "
                  f"{times['torch'] / times[OURS]:.2f} | {load:.2f} |", flush=True)


DENSENET_BN = [(8, 64, 112, 112), (8, 128, 56, 56), (8, 256, 56, 56), (8, 128, 28, 28), (8, 512, 28, 28),
               (8, 256, 14, 14), (8, 1024, 14, 14), (8, 512, 7, 7), (8, 1024, 7, 7)]


def shapes():
    torch = _torch()
    al.set_num_threads(1)
    torch.set_num_threads(1)
    print("| shape | autograd_lite kernel, us | torch autograd.grad, us | x torch | others' cores |\n|---|--:|--:|--:|--:|")
    busy = bct.others()
    for shape in DENSENET_BN:
        rng = np.random.default_rng(4)
        c = shape[1]
        x, g = rng.standard_normal(shape, dtype=np.float32), rng.standard_normal(shape, dtype=np.float32)
        mean = x.mean((0, 2, 3)).astype(np.float32)
        inv = (1 / np.sqrt(x.var((0, 2, 3)) + 1e-5)).astype(np.float32)
        w = np.ones(c, np.float32)
        xt, wt, bt = torch.from_numpy(x).requires_grad_(), torch.ones(c, requires_grad=True), torch.zeros(c, requires_grad=True)
        yt = torch.nn.functional.batch_norm(xt, torch.zeros(c), torch.ones(c), wt, bt, training=True)
        gt = torch.from_numpy(g)
        fns = {"ours": lambda: normalization.batch_norm_backward(g, x, mean, inv, w, True),
               "torch": lambda: torch.autograd.grad(yt, (xt, wt, bt), gt, retain_graph=True)}

        def run():
            runs = {k: [] for k in fns}
            for f in fns.values():
                f()
            for r in range(15):
                for k in (("ours", "torch") if r % 2 else ("torch", "ours")):
                    t = time.perf_counter()
                    fns[k]()
                    runs[k].append(time.perf_counter() - t)
            return {k: statistics.median(v) for k, v in runs.items()}
        m, load = bct.quietly(run, busy)
        print(f"| {'x'.join(map(str, shape))} | {m['ours'] * 1e6:,.0f} | {m['torch'] * 1e6:,.0f} | "
              f"{m['torch'] / m['ours']:.2f} | {load:.2f} |", flush=True)


def _scatter_args(shape, kernel, stride, padding):
    x = np.random.default_rng(4).standard_normal(shape, dtype=np.float32)
    out = tuple(al.ops.pooling.out_length(shape[-2 + i], kernel[i], padding[i], stride[i], 1, False) for i in (0, 1))
    y, idx = pooling.max_pool2d_forward(x, kernel, stride, padding, (1, 1), out)
    g = np.ones_like(y).reshape(-1, *out)
    first, end = pooling.max_windows(shape[-2], out[0], kernel[0], stride[0], padding[0], 1)
    return [g, idx.reshape(g.shape), pooling._reach(first, end, shape[-2]),
            np.empty((g.shape[0], *shape[-2:]), np.float32)]


def _bn_args(shape):
    rng = np.random.default_rng(4)
    c = shape[1]
    x = rng.standard_normal(shape, dtype=np.float32).reshape(shape[0], c, -1)
    g = rng.standard_normal(x.shape, dtype=np.float32)
    return [g, x, x.mean((0, 2)).astype(np.float32), np.ones(c, np.float32), np.ones(c, np.float32), True, g, False,
            np.zeros(c), np.zeros(c), np.empty_like(x)]


def kernels():
    al.set_num_threads(2)
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((64, 288), dtype=np.float32), rng.standard_normal((288, 847), dtype=np.float32)
    c = np.empty((64, 847), np.float32)
    product = lambda: matmul_into(a, b, c)  # noqa: E731   15.6M multiply-adds: 2 BLAS threads
    rows = [("_scatter 3x3/2 pad 1", pooling._scatter, _scatter_args(s, (3, 3), (2, 2), (1, 1)))
            for s in [(8, 64, 112, 112), (8, 64, 56, 56), (2, 64, 112, 112)]]
    rows += [("_bn_bwd", normalization._bn_bwd, _bn_args(s)) for s in DENSENET_BN]
    print("us per call, medians (serial / parallel = the gain), 2 threads\n")
    print("| kernel | size | alone: serial | parallel | gain | after BLAS: serial | parallel | gain | now | "
          "others' cores |\n|---|--:|--:|--:|--:|--:|--:|--:|---|--:|")
    busy = bct.others()
    _jit.Parallel.forced = True
    try:
        for name, t, args in rows:
            size = args[-1].size
            (alone, after), load = bct.quietly(lambda: (bct.compare(t, args, None), bct.compare(t, args, product)),
                                               busy)
            us = lambda s: f"{s * 1e6:,.0f}"  # noqa: E731
            print(f"| {name} | {size:,} | {us(alone['serial'])} | {us(alone['parallel'])} | "
                  f"{alone['serial'] / alone['parallel']:.2f} | {us(after['serial'])} | {us(after['parallel'])} | "
                  f"{after['serial'] / after['parallel']:.2f} | {'parallel' if size >= t.par_min else 'serial'} | "
                  f"{load:.2f} |", flush=True)
    finally:
        _jit.Parallel.forced = False


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=("cases", "shapes", "kernels"))
    ap.add_argument("--threads", default="1,2", help="cases: comma-separated thread counts")
    args = ap.parse_args()
    if args.part == "cases":
        cases([int(n) for n in args.threads.split(",")])
    elif args.part == "shapes":
        shapes()
    else:
        kernels()


if __name__ == "__main__":
    main()
