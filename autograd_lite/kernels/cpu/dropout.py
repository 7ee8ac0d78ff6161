"""Inverted dropout from random draws made by the caller, either uniform floats in [0, 1) (keep x[i] where
u[i] >= p) or uniform 16-bit integers (keep where u[i] >= round(p * 65536): half the bytes of float32 uniforms,
so cheaper to draw; p resolved to 2**-16); kept elements are scaled by 1 / (1 - p). The forward writes the
output and the keep-mask (bool) in one pass; the backward is g * mask * scale. p = 1 drops everything (x * 0,
as PyTorch: NaN and inf give NaN).

Dispatch: the fused numba loops at every size (NumPy's formula makes a pass and a temporary per operator), in
parallel from PAR_MIN elements. Figures (bench_losses.py --paths): benchmarks/RESULTS.md, "Loss kernels" and
Kernel design notes: dropout.
"""
import numpy as np

from ._jit import PAR_MIN, check, prange, twins


@twins(PAR_MIN, loop=lambda x, u, p, scale, mask, out: out.size)
def _dropout_fwd(x, u, p, scale, mask, out):
    zero = out.dtype.type(0)
    for i in prange(out.size):
        keep = u[i] >= p
        mask[i] = keep
        out[i] = x[i] * (scale if keep else zero)


@twins(PAR_MIN, loop=lambda g, mask, scale, out: out.size)
def _dropout_bwd(g, mask, scale, out):
    zero = out.dtype.type(0)
    for i in prange(out.size):
        out[i] = g[i] * (scale if mask[i] else zero)


def _scale(p, dtype):
    """1 / (1 - p) in dtype, as PyTorch rounds it (0 for p = 1: nothing is kept)."""
    return dtype.type(0) if p >= 1 else dtype.type(1) / dtype.type(1 - p)


def _threshold(u, p):
    """Keep where u >= this: p for uniform floats, round(p * 65536) for uniform uint16 draws."""
    return u.dtype.type(p) if u.dtype.kind == "f" else np.int64(round(p * 65536))


def _forward_numba(x, u, p):
    mask = np.empty(x.shape, np.bool_)
    out = np.empty(x.shape, x.dtype)
    _dropout_fwd(x.ravel(), u.ravel(), _threshold(u, p), _scale(p, x.dtype), mask.ravel(), out.ravel())
    return out, mask


def _forward_np(x, u, p):
    mask = u >= _threshold(u, p)
    return x * (mask * _scale(p, x.dtype)), mask


def _backward_numba(g, mask, p):
    out = np.empty(g.shape, g.dtype)
    _dropout_bwd(g.ravel(), mask.ravel(), _scale(p, g.dtype), out.ravel())
    return out


# op: {path: fn}; the dispatchers below run "numba", tests and benchmarks/bench_losses.py call each.
PATHS = {
    "dropout_forward": {"numba": _forward_numba, "numpy": _forward_np},
    "dropout_backward": {"numba": _backward_numba,
                         "numpy": lambda g, mask, p: g * (mask * _scale(p, g.dtype))},
}


def _shapes(op, a, b):
    if a.shape != b.shape:
        raise ValueError(f"{op}: shapes must match, got {a.dtype}{list(a.shape)}, {b.dtype}{list(b.shape)}")


def dropout_forward(x, u, p):
    """(x * mask / (1 - p), mask) with mask = u >= p (bool); u of x's shape: uniform randoms in [0, 1)
    (float32/float64), or uniform uint16 draws (mask = u >= round(p * 65536))."""
    (x,) = check("dropout_forward", x)
    u = np.asarray(u)
    if u.dtype != np.uint16:
        (u,) = check("dropout_forward", u)
    _shapes("dropout_forward", x, u)
    if not 0 <= p <= 1:
        raise ValueError(f"dropout_forward: p must be in [0, 1], got {p}")
    return PATHS["dropout_forward"]["numba"](x, u, float(p))


def dropout_backward(g, mask, p):
    """g * mask / (1 - p) (0 for p = 1), mask = the forward's."""
    (g,) = check("dropout_backward", g)
    mask = np.asarray(mask, np.bool_)
    _shapes("dropout_backward", g, mask)
    return PATHS["dropout_backward"]["numba"](g, mask, float(p))
