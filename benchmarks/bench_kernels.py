"""CPU kernels against the plain NumPy formula (cpu.PATHS[name]["numpy"]) and PyTorch's CPU op, in one process.

    python benchmarks/bench_kernels.py           # table: median times and ratios, per kernel and shape class
    python benchmarks/bench_kernels.py --paths   # each dispatch path by size: the data behind the thresholds
    python benchmarks/bench_kernels.py --parallel  # serial vs parallel loops in a warm, busy or idle process
    python benchmarks/bench_kernels.py --only relu_forward,matmul

Times are medians of repeats in alternating blocks, after warm-up calls (which also compile the numba kernels);
these machines are shared and noisy, so read the ratios, not the times.
"""
import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from autograd_lite.kernels import cpu  # noqa: E402
from autograd_lite.kernels.cpu._jit import forced  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None


def _randn(dtype, *shapes):
    rng = np.random.default_rng(0)
    return tuple(rng.standard_normal(s).astype(dtype) for s in shapes)


_TACT = {None: lambda y: y, "relu": lambda y: torch.relu(y), "sigmoid": lambda y: torch.sigmoid(y),
         "tanh": lambda y: torch.tanh(y)}


def _unary(shape, dt):
    return _randn(dt, shape)


def _grad_of(fwd):  # (g, y = fwd(x))
    def make(shape, dt):
        g, x = _randn(dt, shape, shape)
        return g, fwd(x)
    return make


def _rows(spec, dt):
    return _randn(dt, spec[0]) + (spec[1],)


def _rows_grad_of(fwd):
    def make(spec, dt):
        g, x = _randn(dt, spec[0], spec[0])
        return g, fwd(x, spec[1]), spec[1]
    return make


def _matmul(spec, dt):
    m, k, n = spec
    return _randn(dt, (m, k), (k, n))


def _linear(spec, dt):
    (n, i, o), act = spec
    return _randn(dt, (n, i), (o, i), (o,)) + (act,)


EW = [(64, 128), (256, 784), (4096, 4096)]
EW_SWEEP = [(1, 1 << k) for k in range(6, 24, 2)] + [(1, 1 << 13), (1, 1 << 15)]
ROWS = [((64, 10), -1), ((256, 784), -1), ((4096, 4096), -1), ((256, 784), 0)]
ROWS_SWEEP = [((256, 784), 0), ((4096, 4), 0)] + [((r, c), -1) for r, c in (
    (1, 8), (1, 64), (1, 512), (1, 4096), (8, 64), (64, 4), (64, 10), (64, 32), (64, 128), (64, 1000),
    (4096, 4), (4096, 10), (2048, 32), (512, 128), (256, 256), (256, 784), (64, 1024), (16, 4096),
    (16384, 10), (1024, 1024))]
MM = [(8, 8, 8), (64, 784, 128), (512, 512, 512), (1024, 1024, 1024)]
MM_SWEEP = [(s, s, s) for s in (2, 4, 8, 12, 16, 24, 32, 64, 128, 256, 512)]
LIN = [((64, 784, 128), "relu"), ((64, 784, 128), "sigmoid"), ((8, 8, 8), None), ((256, 784, 512), "tanh"),
       ((1024, 1024, 1024), "relu")]
LIN_SWEEP = [((n, i, o), "relu") for n, i, o in ((1, 8, 8), (8, 8, 8), (16, 32, 32), (64, 128, 128), (64, 784, 128),
                                                 (256, 784, 512), (1024, 1024, 1024))]
aten = torch.ops.aten if torch else None
# name: (inputs(spec, dtype), PyTorch op, table specs, --paths specs); the NumPy formula is cpu.PATHS[name]["numpy"]
OPS = {
    "relu_forward": (_unary, lambda x: torch.relu(x), EW, EW_SWEEP),
    "relu_backward": (_grad_of(cpu.relu_forward), lambda g, y: aten.threshold_backward(g, y, 0), EW, EW_SWEEP),
    "sigmoid_forward": (_unary, lambda x: torch.sigmoid(x), EW, EW_SWEEP),
    "sigmoid_backward": (_grad_of(cpu.sigmoid_forward), lambda g, y: aten.sigmoid_backward(g, y), EW, EW_SWEEP),
    "tanh_forward": (_unary, lambda x: torch.tanh(x), EW, EW_SWEEP),
    "tanh_backward": (_grad_of(cpu.tanh_forward), lambda g, y: aten.tanh_backward(g, y), EW, EW_SWEEP),
    "softmax_forward": (_rows, lambda x, d: torch.softmax(x, d), ROWS, ROWS_SWEEP),
    "softmax_backward": (_rows_grad_of(cpu.softmax_forward),
                         lambda g, y, d: aten._softmax_backward_data(g, y, d, y.dtype), ROWS, ROWS_SWEEP),
    "log_softmax_forward": (_rows, lambda x, d: torch.log_softmax(x, d), ROWS, ROWS_SWEEP),
    "log_softmax_backward": (_rows_grad_of(cpu.log_softmax_forward),
                             lambda g, y, d: aten._log_softmax_backward_data(g, y, d, y.dtype), ROWS, ROWS_SWEEP),
    "bias_add": (lambda s, dt: _randn(dt, s, s[-1:]), lambda x, b: x + b, EW,
                 [(r, 256) for r in (1, 16, 64, 256, 1024, 4096, 16384)]),
    "bias_grad": (_unary, lambda g: g.sum(0), EW, [(r, 128) for r in (1, 8, 64, 512, 4096, 32768)]),
    "matmul": (_matmul, lambda a, b: torch.mm(a, b), MM, MM_SWEEP),
    "matmul_blocked": (_matmul, lambda a, b: torch.mm(a, b), MM, []),
    "linear_forward": (_linear, lambda x, w, b, act: _TACT[act](F.linear(x, w, b)), LIN, LIN_SWEEP),
}


def median_times(fns, min_time=0.3, rounds=3):
    """Median seconds per call of each fn: `rounds` rounds of one block per fn (a warm-up call, then repeats
    for min_time / rounds). Blocks, not single calls, alternate: numba's, BLAS's and torch's thread pools
    each spin a while after a parallel call, and would slow whichever library ran next."""
    times = [[] for _ in fns]
    for _ in range(rounds):
        for f, ts in zip(fns, times):
            f()
            t0 = time.perf_counter()
            while len(ts) < 3 or time.perf_counter() - t0 < min_time / rounds:
                s = time.perf_counter()
                f()
                ts.append(time.perf_counter() - s)
    return [float(np.median(ts)) for ts in times]


def _us(t):
    return f"{t * 1e6:.1f}"


def _dt(dtype):
    return np.dtype(dtype).name


def table(ops):
    print("| kernel | dtype | shape | ours us | numpy us | torch us | ours/numpy | ours/torch |")
    print("|---|---|---|--:|--:|--:|--:|--:|")
    for name, (make, torch_fn, specs, _) in ops.items():
        np_fn = cpu.PATHS[name.replace("matmul_blocked", "matmul")]["numpy"]
        for dtype in (np.float32, np.float64):
            for spec in specs:
                args = make(spec, dtype)
                fns = [lambda: getattr(cpu, name)(*args), lambda: np_fn(*args)]
                if torch:
                    targs = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
                    fns.append(lambda: torch_fn(*targs))
                ours, npy, tt = median_times(fns) + ([] if torch else [float("nan")])
                print(f"| {name} | {_dt(dtype)} | {spec} | {_us(ours)} | {_us(npy)} | {_us(tt)} "
                      f"| {ours / npy:.2f} | {ours / tt:.2f} |", flush=True)


def paths(ops):
    print("| kernel | dtype | shape | numpy us | numba us | numba parallel us | best |")
    print("|---|---|---|--:|--:|--:|---|")
    for name, (make, _, _, sweep) in ops.items():
        impl = cpu.PATHS.get(name)
        for dtype in (np.float32, np.float64):
            for spec in sweep:
                args, ts = make(spec, dtype), {}
                if "numpy" in impl:
                    ts["numpy"] = median_times([lambda: impl["numpy"](*args)], min_time=0.1)[0]
                for label, parallel in (("numba", False), ("numba parallel", True)) if "numba" in impl else ():
                    with forced(parallel):
                        ts[label] = median_times([lambda: impl["numba"](*args)], min_time=0.1)[0]
                cols = " | ".join(_us(ts[k]) if k in ts else "-" for k in ("numpy", "numba", "numba parallel"))
                print(f"| {name} | {_dt(dtype)} | {spec} | {cols} | {min(ts, key=ts.get)} |", flush=True)


def parallel(sizes=(1 << 18, 1 << 20, 1 << 22, 1 << 24)):
    """Serial vs parallel numba loops when the other core is warm (calls back to back), busy (right after a
    matmul, whose OpenBLAS worker then spins) or asleep (after a pause): the data behind _jit.PAR_MIN."""
    a, w = _randn(np.float32, (128, 256), (256, 256))
    before = {"back to back": lambda: None, "after a matmul": lambda: a @ w,
              "after 0.3 s idle": lambda: time.sleep(0.3)}
    cases = {"relu_forward": lambda n: _unary((n // 1024, 1024), np.float32),
             "softmax_forward": lambda n: _rows(((n // 1024, 1024), -1), np.float32)}
    print("| kernel (float32) | elements | calls | numba us | numba parallel us | parallel/serial |")
    print("|---|--:|---|--:|--:|--:|")
    for name, make in cases.items():
        for n in sizes:
            args, fn = make(n), cpu.PATHS[name]["numba"]
            for label, pre in before.items():
                ts = []
                for par in (False, True):
                    with forced(par):
                        fn(*args)
                        runs = []
                        for _ in range(5 if "idle" in label else 25):
                            pre()
                            s = time.perf_counter()
                            fn(*args)
                            runs.append(time.perf_counter() - s)
                    ts.append(float(np.median(runs)))
                print(f"| {name} | {n} | {label} | {_us(ts[0])} | {_us(ts[1])} | {ts[1] / ts[0]:.2f} |", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paths", action="store_true", help="time every dispatch path by size")
    ap.add_argument("--parallel", action="store_true", help="serial vs parallel loops after a matmul or a pause")
    ap.add_argument("--only", default="", help="comma-separated kernel names")
    a = ap.parse_args()
    ops = {k: v for k, v in OPS.items() if not a.only or k in a.only.split(",")}
    print(f"{time.strftime('%Y-%m-%d')}: {platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else 'absent'} ({torch.get_num_threads() if torch else 0} threads)\n")
    parallel() if a.parallel else (paths if a.paths else table)(ops)
