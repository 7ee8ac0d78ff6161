"""Linear layer kernels: bias_add, bias_grad, linear_forward (BLAS matmul, then one fused epilogue pass)."""
import numba
import numpy as np

from . import activations
from ._jit import PAR_MIN, check, nd, prange, rows, twins
from .activations import sigmoid_into

# Elements. Measured: NumPy's lower call overhead wins bias_add up to 4K elements, numba from 16K (1.3-2x);
# NumPy wins bias_grad on a single row, numba from 8 rows (1K elements, 1.3-2x). Parallel from
# _jit.PAR_MIN. linear_forward's fused epilogue measured 5-30% faster than NumPy's x @ w.T + b then
# activation from 16x32x32 up, a tie below: it always runs, and serially, as the matmul before it
# leaves OpenBLAS's worker spinning on the other core.
NUMBA_MIN = {"bias_add": 1 << 14, "bias_grad": 1 << 10}
ACTIVATIONS = (None, "relu", "sigmoid", "tanh")


@twins(PAR_MIN)
def _bias_act(x, b, relu, out):  # out = x + b (then relu) by rows; out is not x (see activations.py)
    zero = out.dtype.type(0)  # typed: a plain 0 would make float32 compute in float64
    for r in prange(x.shape[0]):
        for j in range(x.shape[1]):
            v = x[r, j] + b[j]
            out[r, j] = (zero if v < zero else v) if relu else v


@twins(PAR_MIN)
def _bias_act_(y, b, relu):  # y = y + b (then relu), in place
    zero = y.dtype.type(0)
    for r in prange(y.shape[0]):
        for j in range(y.shape[1]):
            v = y[r, j] + b[j]
            y[r, j] = (zero if v < zero else v) if relu else v


@twins(PAR_MIN)
def _col_sums(g, acc):  # acc[t] += sum of g's t-th slab of rows, for t < len(acc)
    nt, nr = acc.shape[0], g.shape[0]
    for t in prange(nt):
        for r in range(t * nr // nt, (t + 1) * nr // nt):
            for j in range(g.shape[1]):
                acc[t, j] += g[r, j]


def _bias_add_numba(x, b):
    out = np.empty(x.shape, x.dtype)
    _bias_act(rows(x), np.ascontiguousarray(b), False, rows(out))
    return out


def _bias_grad_numba(g):
    g2 = rows(g)
    n = g2.shape[1]
    if g2.size < _col_sums.par_min:  # one row of sums, returned as it is (not a view: a .grad can keep it)
        out = np.zeros(n, g.dtype)
        _col_sums.serial(g2, out.reshape(1, n))
        return out
    acc = np.zeros((numba.get_num_threads(), n), g.dtype)
    _col_sums.parallel(g2, acc)  # sums in g's dtype, as NumPy and PyTorch do: float64 partials ~2x slower on float32
    return acc.sum(0)


def _linear_numba(x, w, b, activation):
    flat = x.ndim == 2
    y = np.matmul(x if flat else rows(x), w.T)  # BLAS, into a fresh C-contiguous (rows, out) array
    relu = activation == "relu"
    if b is not None or relu:
        _bias_act_.serial(y, np.zeros(w.shape[0], y.dtype) if b is None else b, relu)  # one pass, in place
    if activation is None or relu:
        pass
    elif activation == "sigmoid":
        sigmoid_into(y, y)
    else:
        np.tanh(y, out=y)
    return y if flat else y.reshape(x.shape[:-1] + (w.shape[0],))


_NP_ACT = {None: lambda y: y, **{a: activations.PATHS[a + "_forward"]["numpy"] for a in ACTIVATIONS[1:]}}

PATHS = {
    "bias_add": {"numba": _bias_add_numba, "numpy": lambda x, b: nd(x + b)},
    "bias_grad": {"numba": _bias_grad_numba, "numpy": lambda g: nd(g.sum(axis=tuple(range(g.ndim - 1))))},
    "linear_forward": {"numba": _linear_numba,
                       "numpy": lambda x, w, b, a: nd(_NP_ACT[a](x @ w.T if b is None else x @ w.T + b))},
}


def bias_add(x, b):
    """x + b for x (..., F), b (F,)."""
    x, b = check("bias_add", x, b)
    if b.ndim != 1 or x.ndim == 0 or x.shape[-1] != b.shape[0]:
        raise ValueError(f"bias_add: expected x (..., F) and b (F,), got x {x.shape}, b {b.shape}")
    return PATHS["bias_add"]["numba" if x.size >= NUMBA_MIN["bias_add"] else "numpy"](x, b)


def bias_grad(g):
    """sum of g (..., F) over all leading axes -> (F,): the gradient of bias_add's b."""
    (g,) = check("bias_grad", g)
    if g.ndim == 0:
        raise ValueError("bias_grad: expected g (..., F), got a 0-d array")
    return PATHS["bias_grad"]["numba" if g.size >= NUMBA_MIN["bias_grad"] else "numpy"](g)


def linear_forward(x, w, b=None, activation=None):
    """act(x @ w.T + b) for x (..., in), w (out, in), b (out,) or None; act in None, 'relu', 'sigmoid', 'tanh'."""
    no_bias = b is None
    x, w, b = check("linear_forward", x, w, w if no_bias else b)
    if no_bias:
        b = None
    if activation not in ACTIVATIONS:
        raise ValueError(f"linear_forward: activation must be one of {ACTIVATIONS}, got {activation!r}")
    ws = w.shape
    if len(ws) != 2 or not x.ndim or x.shape[-1] != ws[1] or (b is not None and b.shape != ws[:1]):
        got = f"x {x.shape}, w {ws}, b {None if b is None else b.shape}"
        raise ValueError(f"linear_forward: expected x (..., in), w (out, in), b (out,) or None, got {got}")
    return _linear_numba(x, w, b, activation)
