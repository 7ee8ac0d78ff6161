"""Linear layer kernels: bias_add, bias_grad, linear_forward (BLAS matmul, then one fused epilogue pass),
activation_bias_backward (an activation's backward and the bias gradient in one pass)."""
import numba
import numpy as np

from . import activations, softmax
from ._fastmath import exp, exp_nonpos
from ._jit import PAR_MIN, check, jit, nd, prange, rows, same_shape, twins
from ._threads import blas_for
from .activations import sigmoid_into
from .softmax import _rowmax
from ..shapes import ACTIVATIONS, check_linear

# Elements from which numba's loops outrun NumPy's lower call overhead; parallel from _jit.PAR_MIN. linear_forward's
# fused epilogue always runs (never slower than NumPy's passes), and serially: the matmul before it leaves OpenBLAS's
# worker spinning on the other core. Figures: RESULTS.md, Kernel design notes: linear.
NUMBA_MIN = {"bias_add": 1 << 14, "bias_grad": 1 << 10}


@twins(PAR_MIN, loop=lambda x, *_: x.shape[0])
def _bias_act(x, b, relu, out):  # out = x + b (then relu) by rows; out is not x (see activations.py)
    zero = out.dtype.type(0)  # typed: a plain 0 would make float32 compute in float64
    for r in prange(x.shape[0]):
        for j in range(x.shape[1]):
            v = x[r, j] + b[j]
            out[r, j] = (zero if v < zero else v) if relu else v


@twins(PAR_MIN, loop=lambda y, *_: y.shape[0])
def _bias_act_(y, b, relu):  # y = y + b (then relu), in place
    zero = y.dtype.type(0)
    for r in prange(y.shape[0]):
        for j in range(y.shape[1]):
            v = y[r, j] + b[j]
            y[r, j] = (zero if v < zero else v) if relu else v


@twins(PAR_MIN, loop=lambda g, acc: acc.shape[0])
def _col_sums(g, acc):  # acc[t] += sum of g's t-th slab of rows, for t < len(acc)
    nt, nr = acc.shape[0], g.shape[0]
    for t in prange(nt):
        for r in range(t * nr // nt, (t + 1) * nr // nt):
            for j in range(g.shape[1]):
                acc[t, j] += g[r, j]


# out = dL/dz (kind 1 relu, 2 sigmoid, 3 tanh, 4 log_softmax); acc += its column sums
@jit
def _act_bias_bwd(g, y, kind, out, acc):
    zero, one = out.dtype.type(0), out.dtype.type(1)
    if kind == 4:                           # y = log_softmax(z): dz = g - exp(y) * rowsum(g)
        for r in range(g.shape[0]):
            s = zero
            for j in range(g.shape[1]):
                s += g[r, j]
            for j in range(g.shape[1]):
                v = g[r, j] - exp(y[r, j]) * s
                out[r, j] = v
                acc[j] += v
        return
    for r in range(g.shape[0]):
        for j in range(g.shape[1]):
            v, u = g[r, j], y[r, j]
            if kind == 1:
                v = v if u > zero else zero
            elif kind == 2:
                v = v * u * (one - u)
            else:
                v = v * (one - u * u)
            out[r, j] = v
            acc[j] += v


@jit
def _bias_log_softmax(y, b, out):  # out[r] = log_softmax(y[r] + b) (b of size 0: no bias); out is not y
    n, nb = y.shape[1], b.size
    for r in range(y.shape[0]):
        for j in range(n):
            out[r, j] = y[r, j] + b[j] if nb else y[r, j]
        m = _rowmax(out, r)
        s = 0.0
        for j in range(n):
            s += exp_nonpos(out[r, j] - m)  # an all -inf row: exp(NaN), NaN, as PyTorch
        ls = out.dtype.type(np.log(s))
        for j in range(n):
            out[r, j] = (out[r, j] - m) - ls


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
    _col_sums.parallel(g2, acc)  # sums in g's dtype, as NumPy and PyTorch do: float64 partials slow float32 down
    return acc.sum(0)


def _linear_numba(x, w, b, activation):
    flat = x.ndim == 2
    blas_for(x.size * w.shape[0])
    y = np.matmul(x if flat else rows(x), w.T)  # BLAS, into a fresh C-contiguous (rows, out) array
    if activation == "log_softmax":         # bias and log_softmax over the features in one pass, into a new array
        out = np.empty_like(y)
        _bias_log_softmax(y, _NO_BIAS[y.dtype.type] if b is None else b, out)
        y = out
    else:
        relu = activation == "relu"
        if b is not None or relu:
            _bias_act_.serial(y, np.zeros(w.shape[0], y.dtype) if b is None else b, relu)  # one pass, in place
        if activation == "sigmoid":
            sigmoid_into(y, y)
        elif activation == "tanh":
            np.tanh(y, out=y)
    return y if flat else y.reshape(x.shape[:-1] + (w.shape[0],))


_NO_BIAS = {np.float32: np.empty(0, np.float32), np.float64: np.empty(0, np.float64)}


_NP_ACT = {None: lambda y: y, **{a: activations.PATHS[a + "_forward"]["numpy"] for a in ACTIVATIONS[1:4]},
           "log_softmax": lambda y: softmax.PATHS["log_softmax_forward"]["numpy"](y, -1)}

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
    """act(x @ w.T + b) for x (..., in), w (out, in), b (out,) or None; act in None, 'relu', 'sigmoid', 'tanh',
    'log_softmax' (over the output features)."""
    no_bias = b is None
    x, w, b = check("linear_forward", x, w, w if no_bias else b)
    if no_bias:
        b = None
    check_linear(x, w, b, activation)
    return _linear_numba(x, w, b, activation)


_ACT_CODES = {"relu": 1, "sigmoid": 2, "tanh": 3, "log_softmax": 4}


def activation_bias_backward(g, y, activation):
    """(dz, db) for y = act(z), z = x @ w.T + b, from g = dL/dy: dz = g * act'(y) (log_softmax over the last axis:
    g - exp(y) * rowsum(g); y is the forward's output, as the activation backwards take it), db = the sums of dz
    over all leading axes (bias_grad). One pass for both below _jit.PAR_MIN elements; act in 'relu', 'sigmoid',
    'tanh', 'log_softmax'."""
    g, y = same_shape("activation_bias_backward", g, y)
    code = _ACT_CODES.get(activation)
    if code is None:
        raise ValueError(f"activation_bias_backward: activation must be one of {tuple(_ACT_CODES)}, got {activation!r}")
    if g.ndim == 0:
        raise ValueError("activation_bias_backward: expected g (..., F), got a 0-d array")
    return PATHS["activation_bias_backward"]["numba" if g.size < PAR_MIN else "separate"](g, y, activation)


def _act_bias_numba(g, y, activation):
    g2 = rows(g)
    out, acc = np.empty(g2.shape, g.dtype), np.zeros(g2.shape[1], g.dtype)
    _act_bias_bwd(g2, rows(y), _ACT_CODES[activation], out, acc)
    return out.reshape(g.shape), acc


def _act_backward(activation, g, y, path):
    """dL/dz from g = dL/dy through the activation's own backward: its dispatcher (path "numba") or NumPy formula."""
    if activation == "log_softmax":
        return softmax.log_softmax_backward(g, y, -1) if path == "numba" else \
            softmax.PATHS["log_softmax_backward"]["numpy"](g, y, -1)
    return getattr(activations, activation + "_backward")(g, y) if path == "numba" else \
        activations.PATHS[activation + "_backward"]["numpy"](g, y)


def _act_bias_separate(g, y, activation):  # from PAR_MIN: the parallel activation backward, then bias_grad
    dz = _act_backward(activation, g, y, "numba")
    return dz, bias_grad(dz)


def _act_bias_numpy(g, y, activation):
    dz = _act_backward(activation, g, y, "numpy")
    return dz, nd(dz.sum(axis=tuple(range(dz.ndim - 1))))


PATHS["activation_bias_backward"] = {"numba": _act_bias_numba, "separate": _act_bias_separate,
                                     "numpy": _act_bias_numpy}
