"""cross_entropy and dropout, forward + backward, against PyTorch, our own two-op composition and bare NumPy.

    python benchmarks/bench_losses.py           # the tables of benchmarks/RESULTS.md, "Loss kernels"
    python benchmarks/bench_losses.py --paths   # each kernel path by size: the data behind the dispatch

Op level ("ours", "log_softmax+nll", torch): a leaf that requires grad, the loss (mean over the batch; dropout:
its sum), then backward(); the autograd overhead is included. "numpy" is the bare formula on arrays (the
forward and the gradient, no autograd): what a NumPy-only implementation would pay at best. Dropout's
NumPy formula and ours both draw the same float32 uniforms (PCG64). Times are medians (_timing.median_time)
after warm-up calls, which also compile the numba kernels; read the ratios, not the times. PyTorch runs on
one thread unless --torch-threads says otherwise: our kernels run serially below 16M elements, and on this
shared 2-core VM torch's second thread, when it finds the other core busy, stalls small ops for ~10 ms.
"""
import argparse
import os
import platform
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import autograd_lite as al  # noqa: E402
from autograd_lite import ops  # noqa: E402
from autograd_lite.kernels import cpu  # noqa: E402
from autograd_lite.kernels.cpu._jit import forced  # noqa: E402
from _timing import median_time  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

CE_SHAPES = [(64, 10), (256, 10), (4096, 1000)]
DROPOUT_SHAPES = [(64, 128), (256, 784), (1024, 4096)]
NAN = float("nan")


def _data(shape, dtype):
    rng = np.random.default_rng(0)
    return rng.standard_normal(shape).astype(dtype), rng.integers(0, shape[1], shape[0])


def _step(loss_fn, x):
    """One forward + backward of a loss of the leaf x, from a fresh .grad."""
    def run():
        x.grad = None
        loss_fn(x).backward()
    return run


def _ce_numpy(x, t):
    """The bare formula: mean cross-entropy and its gradient (softmax - onehot) / N."""
    n = x.shape[0]
    s = x - x.max(1, keepdims=True)
    e = np.exp(s)
    z = e.sum(1, keepdims=True)
    loss = (np.log(z[:, 0]) - s[np.arange(n), t]).mean()
    g = e / z
    g[np.arange(n), t] -= 1
    g /= n
    return loss, g


def _dropout_numpy(x, p, rng):
    u = rng.random(x.shape, dtype=np.float32)
    mask = u >= np.float32(p)
    scale = x.dtype.type(1) / x.dtype.type(1 - p)
    out = x * mask * scale
    return out, np.ones_like(x) * mask * scale          # the gradient of out.sum()


def _medians(fns, rounds=5):
    """Median seconds per call of each fn: the median over rounds that each time each fn in turn (blocks
    alternate, so a burst of load from the other sessions on this machine hits them all alike)."""
    runs = [[median_time(f, repeat=7) for f in fns] for _ in range(rounds)]
    return [float(np.median(col)) for col in zip(*runs)]


def _row(cells):
    print("| " + " | ".join(cells) + " |", flush=True)


def ce_table():
    _row(["cross_entropy fwd+bwd", "dtype", "ours us", "log_softmax+nll us", "numpy us", "torch us",
          "ours/composition", "ours/numpy", "ours/torch"])
    _row(["---", "---"] + ["--:"] * 7)
    for dtype in (np.float32, np.float64):
        for shape in CE_SHAPES:
            xa, ta = _data(shape, dtype)
            x, t = al.tensor(xa, requires_grad=True), al.tensor(ta)
            fns = [_step(lambda v: ops.cross_entropy(v, t), x),
                   _step(lambda v: ops.nll_loss(ops.log_softmax(v, 1), t), x), lambda: _ce_numpy(xa, ta)]
            if torch:
                tx, tt_ = torch.tensor(xa, requires_grad=True), torch.tensor(ta)
                fns.append(_step(lambda v: F.cross_entropy(v, tt_), tx))
            ours, comp, npy, tt = _medians(fns) + [NAN] * (4 - len(fns))
            _row([str(shape), np.dtype(dtype).name] + [f"{v * 1e6:.1f}" for v in (ours, comp, npy, tt)] +
                 [f"{ours / comp:.2f}", f"{ours / npy:.2f}", f"{ours / tt:.2f}"])


def dropout_table(p=0.5):
    _row([f"dropout p={p} fwd+bwd", "dtype", "ours us", "numpy us", "torch us", "ours/numpy", "ours/torch"])
    _row(["---", "---"] + ["--:"] * 5)
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        for shape in DROPOUT_SHAPES:
            xa = _data(shape, dtype)[0]
            x = al.tensor(xa, requires_grad=True)
            fns = [_step(lambda v: ops.dropout(v, p).sum(), x), lambda: _dropout_numpy(xa, p, rng)]
            if torch:
                tx = torch.tensor(xa, requires_grad=True)
                fns.append(_step(lambda v: F.dropout(v, p).sum(), tx))
            ours, npy, tt = _medians(fns) + [NAN] * (3 - len(fns))
            _row([str(shape), np.dtype(dtype).name] + [f"{v * 1e6:.1f}" for v in (ours, npy, tt)] +
                 [f"{ours / npy:.2f}", f"{ours / tt:.2f}"])


def paths():
    """Every path of every loss and dropout kernel, on raw arrays (forward and backward separately)."""
    _row(["kernel", "dtype", "shape"] + [f"{k} us" for k in ("numpy", "numba", "numba_scalar_exp",
                                                             "numba parallel")] + ["best"])
    _row(["---"] * 3 + ["--:"] * 4 + ["---"])
    for dtype in (np.float32, np.float64):
        for shape in [(1, 10), (64, 10), (256, 10), (4096, 10), (256, 784), (64, 1000), (4096, 1000)]:
            x, t = _data(shape, dtype)
            w = np.empty(0, dtype)
            probs = cpu.cross_entropy_forward(x, t)[1]
            g = np.asarray(1 / shape[0], dtype)
            _path_row("cross_entropy_forward", dtype, shape, lambda fn: fn(x, t, w, -100, 0.0))
            _path_row("cross_entropy_backward", dtype, shape, lambda fn: fn(g, probs, t, w, -100, 0.0))
            _path_row("nll_loss_forward", dtype, shape, lambda fn: fn(x, t, w, -100))
            _path_row("nll_loss_backward", dtype, shape, lambda fn: fn(g, t, w, -100, shape[1]))
        for shape in [(1, 64), (64, 128), (256, 784), (1024, 4096)]:
            x = _data(shape, dtype)[0]
            u = np.random.default_rng(1).random(shape, dtype=np.float32)
            mask = u >= 0.5
            _path_row("dropout_forward", dtype, shape, lambda fn: fn(x, u, 0.5))
            _path_row("dropout_backward", dtype, shape, lambda fn: fn(x, mask, 0.5))


def _path_row(name, dtype, shape, call):
    impl, ts = cpu.PATHS[name], {}
    for label in ("numpy", "numba", "numba_scalar_exp"):
        if label in impl:
            ts[label] = median_time(lambda: call(impl[label]), repeat=11)
    with forced(True):
        ts["numba parallel"] = median_time(lambda: call(impl["numba"]), repeat=11)
    cols = [f"{ts[k] * 1e6:.1f}" if k in ts else "-" for k in ("numpy", "numba", "numba_scalar_exp", "numba parallel")]
    _row([name, np.dtype(dtype).name, str(shape)] + cols + [min(ts, key=ts.get)])


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--paths", action="store_true", help="time every kernel path by size")
    ap.add_argument("--torch-threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    a = ap.parse_args()
    if torch:
        torch.set_num_threads(a.torch_threads)
    print(f"<!-- {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; numpy {np.__version__}"
          f"{', torch ' + torch.__version__ + f' ({torch.get_num_threads()} threads)' if torch else ''} -->\n")
    if a.paths:
        paths()
    else:
        ce_table()
        print()
        dropout_table()
