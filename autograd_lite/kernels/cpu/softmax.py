"""softmax and log_softmax along one dim, forwards and backwards (y is the forward's output).

The numba path runs row kernels over the last axis of a C-contiguous (rows, n) view, with NumPy's SIMD
exp between them (numba's exp is a scalar libm call); sums accumulate in float64, the rest runs in the
input's dtype. For another dim it moves that axis last and back (a transposed view of a fresh buffer).
0-d input: softmax is 1, log_softmax 0, like PyTorch.
"""
import numpy as np

from ._jit import PAR_MIN, check, jit, nd, prange, rows, same_shape, twins

# Measured: on the last dim the numba path beats NumPy's (per-row reductions, a pass per operator) at every
# size, most on short rows (3-4x at 4096x10); on another dim NumPy's strided reductions beat the numba
# path's transposing copies (but for very short rows), so other dims take the NumPy path.
# Parallel (over rows) from _jit.PAR_MIN elements. Row maxima of rows from ROWMAX_NUMPY_MIN columns: NumPy's
# (64x1024: 19 us against numba's 98; 64x10: numba 1.9 us against 13).
ROWMAX_NUMPY_MIN = 64


@jit
def _rowmax(x, r):  # four running maxima: a single one is a latency-bound chain, 3x slower
    n, m0 = x.shape[1], x.dtype.type(-np.inf)  # typed: a float64 -inf would make float32 compare in float64
    m1 = m2 = m3 = m0
    for j in range(0, n - 3, 4):
        m0, m1, m2, m3 = max(m0, x[r, j]), max(m1, x[r, j + 1]), max(m2, x[r, j + 2]), max(m3, x[r, j + 3])
    for j in range(n - n % 4, n):
        m0 = max(m0, x[r, j])
    return max(max(m0, m1), max(m2, m3))


@twins(PAR_MIN)
def _shift(x, out):  # out = x - rowmax(x)
    for r in prange(x.shape[0]):
        m = _rowmax(x, r)
        for j in range(x.shape[1]):
            out[r, j] = x[r, j] - m


@twins(PAR_MIN)
def _normalize(e):  # e /= rowsum(e), in place
    for r in prange(e.shape[0]):
        s = 0.0
        for j in range(e.shape[1]):
            s += e[r, j]
        inv = e.dtype.type(1 / s)
        for j in range(e.shape[1]):
            e[r, j] *= inv


@twins(PAR_MIN)
def _sub_log_sum(out, e):  # out -= log(rowsum(e))
    for r in prange(out.shape[0]):
        s = 0.0
        for j in range(e.shape[1]):
            s += e[r, j]
        ls = out.dtype.type(np.log(s))
        for j in range(out.shape[1]):
            out[r, j] -= ls


@twins(PAR_MIN)
def _softmax_bwd(g, y, out):  # y * (g - rowsum(g * y))
    for r in prange(out.shape[0]):
        s = 0.0
        for j in range(y.shape[1]):
            s += g[r, j] * y[r, j]
        c = y.dtype.type(s)
        for j in range(y.shape[1]):
            out[r, j] = y[r, j] * (g[r, j] - c)


@twins(PAR_MIN)
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


def _shifted(x):
    """x - rowmax(x), a new array. Long rows take NumPy's SIMD max (numba's float max stays a scalar,
    latency-bound loop without the 'nnan' flag: ~1.5 ns an element against ~0.3)."""
    out = np.empty_like(x)
    if x.shape[1] >= ROWMAX_NUMPY_MIN:
        with np.errstate(invalid="ignore"):   # an all -inf row: NaN, silently, as on the numba path
            np.subtract(x, x.max(axis=1, keepdims=True), out=out)
    else:
        _shift(x, out)
    return out


def _softmax(x):
    out = _shifted(x)
    np.exp(out, out=out)
    _normalize(out)
    return out


def _log_softmax(x):
    out = _shifted(x)
    _sub_log_sum(out, np.exp(out))
    return out


def _softmax_bwd_rows(g, y):
    out = np.empty_like(y)
    _softmax_bwd(g, y, out)
    return out


def _log_softmax_bwd_rows(g, y):
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
