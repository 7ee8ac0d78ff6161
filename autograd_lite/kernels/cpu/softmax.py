"""softmax and log_softmax along one dim, forwards and backwards (y is the forward's output).

The numba path runs row kernels over the last axis of a C-contiguous (rows, n) view: float32 rows from
FUSED_MIN columns in one fused pass per row with _fastmath's exp, the rest with NumPy's SIMD exp between
numba passes (numba's float64 exp is a scalar libm call). Sums accumulate in float64 (float32 ones over
blocks of BLOCK columns at most), the rest runs in the input's dtype. For another dim it moves that axis
last and back (a transposed view of a fresh buffer).
0-d input: softmax is 1, log_softmax 0, like PyTorch.
"""
import numpy as np

from ._fastmath import exp, exp_nonpos, from_key, order_key, strict_sub
from ._jit import _F32, PAR_MIN, check, jit, nd, prange, rows, same_shape, twins

# The last dim takes the numba path (NumPy's makes per-row reductions and a pass per operator); other dims take
# NumPy's, whose strided reductions beat the numba path's transposing copies. Parallel (over rows) from
# _jit.PAR_MIN elements. Columns from which float32 rows take the fused kernels: the fused loops' exp of a shorter
# row runs in their scalar remainder, so those take the NumPy-exp passes. RESULTS.md, Kernel design notes: softmax.
FUSED_MIN = 32


@jit
def _rowmax(x, r):
    """max(x[r]) as a max of order keys, which vectorises (a float max stays a scalar, latency-bound loop
    without 'nnan'); it also beats the NumPy max long rows took before (RESULTS.md, Kernel design notes: softmax).
    -inf for an empty row; a NaN in the row makes the row's results NaN either way."""
    k = order_key(x.dtype.type(-np.inf))
    for j in range(x.shape[1]):
        v = order_key(x[r, j])
        k = v if v > k else k
    return from_key(k, x.dtype.type(0))


# Sums of exp: in float32 over blocks of BLOCK columns, whose sums add up in float64. A float64 accumulator
# in the exp loop makes LLVM vectorise it 8 floats wide, not 16. The blocks are slices: a loop over range(b, e)
# indexes x[r, j] with a j LLVM cannot prove >= 0, and numba's negative-index wraparound then turns the loads
# into gathers (RESULTS.md, Kernel design notes: softmax).
BLOCK = 1024


@twins(PAR_MIN, loop=lambda x, out: x.shape[0])
def _softmax32(x, out):
    for r in prange(x.shape[0]):
        m = _rowmax(x, r)
        s = 0.0
        for b in range(0, x.shape[1], BLOCK):
            xb, ob = x[r, b:b + BLOCK], out[r, b:b + BLOCK]
            sb = out.dtype.type(0)
            for j in range(xb.size):
                e = exp_nonpos(xb[j] - m)  # an all -inf row: exp(NaN), NaN
                ob[j] = e
                sb += e
            s += sb
        inv = out.dtype.type(1 / s)
        for j in range(x.shape[1]):
            out[r, j] *= inv


@twins(PAR_MIN, loop=lambda x, out: x.shape[0])
def _log_softmax32(x, out):
    for r in prange(x.shape[0]):
        m = _rowmax(x, r)
        s = 0.0
        for b in range(0, x.shape[1], BLOCK):
            xb = x[r, b:b + BLOCK]
            sb = out.dtype.type(0)
            for j in range(xb.size):
                sb += exp_nonpos(xb[j] - m)
            s += sb
        ls = out.dtype.type(np.log(s))
        for j in range(x.shape[1]):
            out[r, j] = strict_sub(strict_sub(x[r, j], m), ls)


@twins(PAR_MIN, loop=lambda g, y, out: out.shape[0])
def _log_softmax_bwd32(g, y, out):  # g - exp(y) * rowsum(g)
    for r in prange(out.shape[0]):
        s = 0.0
        for j in range(g.shape[1]):
            s += g[r, j]
        c = g.dtype.type(s)
        for j in range(g.shape[1]):
            out[r, j] = g[r, j] - exp(y[r, j]) * c


@twins(PAR_MIN, loop=lambda x, out: x.shape[0])
def _shift(x, out):  # out = x - rowmax(x)
    for r in prange(x.shape[0]):
        m = _rowmax(x, r)
        for j in range(x.shape[1]):
            out[r, j] = x[r, j] - m


@twins(PAR_MIN, loop=lambda e: e.shape[0])
def _normalize(e):  # e /= rowsum(e), in place
    for r in prange(e.shape[0]):
        s = 0.0
        for j in range(e.shape[1]):
            s += e[r, j]
        inv = e.dtype.type(1 / s)
        for j in range(e.shape[1]):
            e[r, j] *= inv


@twins(PAR_MIN, loop=lambda out, e: out.shape[0])
def _sub_log_sum(out, e):  # out -= log(rowsum(e))
    for r in prange(out.shape[0]):
        s = 0.0
        for j in range(e.shape[1]):
            s += e[r, j]
        ls = out.dtype.type(np.log(s))
        for j in range(out.shape[1]):
            out[r, j] -= ls


@twins(PAR_MIN, loop=lambda g, y, out: out.shape[0])
def _softmax_bwd(g, y, out):  # y * (g - rowsum(g * y))
    for r in prange(out.shape[0]):
        s = 0.0
        for j in range(y.shape[1]):
            s += g[r, j] * y[r, j]
        c = y.dtype.type(s)
        for j in range(y.shape[1]):
            out[r, j] = y[r, j] * (g[r, j] - c)


@twins(PAR_MIN, loop=lambda g, e: e.shape[0])
def _log_softmax_bwd(g, e):  # e = exp(y) becomes g - e * rowsum(g); in place (see activations.py)
    for r in prange(e.shape[0]):
        s = 0.0
        for j in range(g.shape[1]):
            s += g[r, j]
        c = g.dtype.type(s)
        for j in range(g.shape[1]):
            e[r, j] = g[r, j] - e[r, j] * c


def _rowwise(body):
    """Numba path for one op: body(*(rows, n) arrays) -> (rows, n) array, with dim moved last and back."""

    def path(*args):
        *xs, dim = args
        if dim % xs[0].ndim == xs[0].ndim - 1:
            return body(*map(rows, xs)).reshape(xs[0].shape)
        moved = [np.moveaxis(x, dim, -1) for x in xs]
        return np.moveaxis(body(*map(rows, moved)).reshape(moved[0].shape), -1, dim)

    return path


def _fused(x):
    return x.dtype is _F32 and x.shape[1] >= FUSED_MIN


def _softmax(x):
    out = np.empty_like(x)
    if _fused(x):
        _softmax32(x, out)
        return out
    _shift(x, out)
    np.exp(out, out=out)
    _normalize(out)
    return out


def _log_softmax(x):
    out = np.empty_like(x)
    if _fused(x):
        _log_softmax32(x, out)
        return out
    _shift(x, out)
    _sub_log_sum(out, np.exp(out))
    return out


def _softmax_bwd_rows(g, y):
    out = np.empty_like(y)
    _softmax_bwd(g, y, out)
    return out


def _log_softmax_bwd_rows(g, y):
    if _fused(y):
        out = np.empty_like(y)
        _log_softmax_bwd32(g, y, out)
        return out
    e = np.exp(y)
    _log_softmax_bwd(g, e)
    return e


def _softmax_np(x, dim):
    with np.errstate(invalid="ignore"):  # an all -inf row gives NaN silently, as on the numba path
        e = x - x.max(dim, keepdims=True, initial=-np.inf)
    np.exp(e, out=e)
    return nd(e / e.sum(dim, keepdims=True))


def _log_softmax_np(x, dim):
    with np.errstate(invalid="ignore"):
        s = x - x.max(dim, keepdims=True, initial=-np.inf)
    return nd(s - np.log(np.exp(s).sum(dim, keepdims=True)))


# op: {path: fn}; the dispatchers below pick one, tests and benchmarks/bench_kernels.py call each.
PATHS = {
    "softmax_forward": {"numba": _rowwise(_softmax), "numpy": _softmax_np},
    "softmax_backward": {"numba": _rowwise(_softmax_bwd_rows),
                         "numpy": lambda g, y, dim: nd(y * (g - (g * y).sum(dim, keepdims=True)))},
    "log_softmax_forward": {"numba": _rowwise(_log_softmax), "numpy": _log_softmax_np},
    "log_softmax_backward": {"numba": _rowwise(_log_softmax_bwd_rows),
                             "numpy": lambda g, y, dim: nd(g - np.exp(y) * g.sum(dim, keepdims=True))},
}


def _dim(op, x, dim):
    n = max(x.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} out of range for a {x.ndim}-d array of shape {x.shape}")
    return dim % n


def _run(op, xs, dim):
    dim = _dim(op, xs[0], dim)
    if xs[0].ndim == 0:
        return _run(op, [x.reshape(1) for x in xs], 0).reshape(())
    return PATHS[op]["numba" if dim == xs[0].ndim - 1 else "numpy"](*xs, dim)


def softmax_forward(x, dim):
    """exp(x - max) / sum(exp(x - max)) along dim."""
    return _run("softmax_forward", check("softmax_forward", x), dim)


def softmax_backward(g, y, dim):
    """y * (g - sum(g * y, dim, keepdims)), y = softmax_forward(x, dim)."""
    return _run("softmax_backward", same_shape("softmax_backward", g, y), dim)


def log_softmax_forward(x, dim):
    """x - max - log(sum(exp(x - max))) along dim: stable for huge logits; -inf entries stay -inf."""
    return _run("log_softmax_forward", check("log_softmax_forward", x), dim)


def log_softmax_backward(g, y, dim):
    """g - exp(y) * sum(g, dim, keepdims), y = log_softmax_forward(x, dim)."""
    return _run("log_softmax_backward", same_shape("log_softmax_backward", g, y), dim)
