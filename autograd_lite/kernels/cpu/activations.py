"""relu, sigmoid, tanh: forwards, and backwards from the forward's output y.

Dispatch: NumPy's ufuncs below NUMBA_MIN elements (less call overhead), the fused single-pass numba loop from
there (NumPy's formula makes a pass and a temporary per operator), in parallel from PAR_MIN.
sigmoid_forward always takes the numba path, tanh_forward always NumPy's np.tanh. The figures behind these rules
(bench_kernels.py --paths): benchmarks/RESULTS.md, Kernel design notes: activations.
"""
import numpy as np

from ._fastmath import exp_nonpos
from ._jit import _F32, PAR_MIN, check, elementwise, nd, prange, same_shape, twins

# Elements from which the fused loop outruns NumPy's lower call overhead (relu_backward: always). Parallel from
# _jit.PAR_MIN.
NUMBA_MIN = {"relu_forward": 1 << 10, "relu_backward": 0, "sigmoid_backward": 1 << 8, "tanh_backward": 1 << 8}


# Constants are typed out.dtype.type(...): a plain 0 or 1 would compute float32 kernels in float64 (slower).
@twins(PAR_MIN, loop=lambda x, out: out.size)
def _relu_fwd(x, out):
    zero = out.dtype.type(0)
    for i in prange(out.size):
        v = x[i]
        out[i] = zero if v < zero else v  # NaN < 0 is false: NaN stays NaN


@twins(PAR_MIN, loop=lambda x: x.size)
def _relu_inplace(x):  # one array (see _sigmoid32_inplace): nn.ReLU(inplace=True) without autograd
    zero = x.dtype.type(0)
    for i in prange(x.size):
        v = x[i]
        x[i] = zero if v < zero else v


@twins(PAR_MIN, loop=lambda g, y, out: out.size)
def _relu_bwd(g, y, out):
    zero = out.dtype.type(0)
    for i in prange(out.size):
        out[i] = g[i] if y[i] > zero else zero


@twins(PAR_MIN, loop=lambda x, out: out.size)
def _neg_abs(x, out):
    for i in prange(out.size):
        out[i] = -abs(x[i])


@twins(PAR_MIN, loop=lambda x, out: out.size)
def _sigmoid32(x, out):  # float32, one pass with _fastmath's exp
    one = out.dtype.type(1)
    for i in prange(out.size):
        v = x[i]
        e = exp_nonpos(-abs(v))  # in (0, 1]: never overflows
        out[i] = (one if v >= 0 else e) / (one + e)  # NaN: e is NaN


# In place, a kernel of one array, never out= an input: LLVM checks array overlap at run time and runs the
# scalar loop, not the vector one, when out and an input are the same array.
@twins(PAR_MIN, loop=lambda x: x.size)
def _sigmoid32_inplace(x):
    one = x.dtype.type(1)
    for i in prange(x.size):
        v = x[i]
        e = exp_nonpos(-abs(v))
        x[i] = (one if v >= 0 else e) / (one + e)


@twins(PAR_MIN, loop=lambda x, e: e.size)
def _sigmoid_into_e(x, e):  # e = exp(-|x|) (never overflows) becomes sigmoid(x)
    one = e.dtype.type(1)
    for i in prange(e.size):
        r = one / (one + e[i])
        e[i] = r if x[i] >= 0 else e[i] * r


@twins(PAR_MIN, loop=lambda x, e: x.size)
def _sigmoid_into_x(x, e):  # x becomes sigmoid(x), from e = exp(-|x|)
    one = x.dtype.type(1)
    for i in prange(x.size):
        r = one / (one + e[i])
        x[i] = r if x[i] >= 0 else e[i] * r


@twins(PAR_MIN, loop=lambda g, y, out: out.size)
def _sigmoid_bwd(g, y, out):
    one = out.dtype.type(1)
    for i in prange(out.size):
        out[i] = g[i] * y[i] * (one - y[i])


@twins(PAR_MIN, loop=lambda g, y, out: out.size)
def _tanh_bwd(g, y, out):
    one = out.dtype.type(1)
    for i in prange(out.size):
        out[i] = g[i] * (one - y[i] * y[i])


def sigmoid_into(x, out):
    """out = sigmoid(x) for x and a C-contiguous out of one shape and dtype; out may be x. Returns out."""
    xf, of = x.ravel(), out.ravel()
    in_place = np.may_share_memory(xf, of)
    if x.dtype is _F32:
        _sigmoid32_inplace(of) if in_place else _sigmoid32(xf, of)
        return out
    e = np.empty_like(of) if in_place else of  # float64: NumPy's SIMD exp between two numba passes
    _neg_abs(xf, e)
    np.exp(e, out=e)
    (_sigmoid_into_x if in_place else _sigmoid_into_e)(xf, e)
    return out


def _sigmoid(x):
    out = np.empty(x.shape, x.dtype)
    if x.dtype is _F32:  # out is new: sigmoid_into's overlap check is not needed
        _sigmoid32(x.ravel(), out.ravel())
        return out
    return sigmoid_into(x, out)


def _sigmoid_numpy(x):
    e = np.exp(-np.abs(x))
    return nd(np.where(x >= 0, 1, e) / (1 + e))


# op: {path: fn}; the dispatchers below pick one, tests and benchmarks/bench_kernels.py call each.
PATHS = {
    "relu_forward": {"numba": lambda x: elementwise(_relu_fwd, x), "numpy": lambda x: nd(np.maximum(x, 0))},
    "relu_backward": {"numba": lambda g, y: elementwise(_relu_bwd, g, y), "numpy": lambda g, y: nd(g * (y > 0))},
    # numba at every size. float32: one fused pass on _fastmath's vectorised exp (NumPy's formula makes 6 passes);
    # float64: NumPy's SIMD exp between two numba passes (numba's is a scalar libm call).
    "sigmoid_forward": {"numba": _sigmoid, "numpy": _sigmoid_numpy},
    "sigmoid_backward": {"numba": lambda g, y: elementwise(_sigmoid_bwd, g, y),
                         "numpy": lambda g, y: nd(g * y * (1 - y))},
    # numpy only: its SIMD tanh beats numba's scalar libm tanh, even in parallel, and a fused loop on _fastmath's
    # exp, (1 - e) / (1 + e) with e = exp(-2|x|), which pays for the division.
    "tanh_forward": {"numpy": lambda x: nd(np.tanh(x))},
    "tanh_backward": {"numba": lambda g, y: elementwise(_tanh_bwd, g, y), "numpy": lambda g, y: nd(g * (1 - y * y))},
}


def _run(op, *xs):
    return PATHS[op]["numba" if xs[0].size >= NUMBA_MIN[op] else "numpy"](*xs)


def relu_forward(x, inplace=False):
    """max(x, 0); NaN stays NaN. inplace: written into x (any layout), which is returned."""
    (x,) = check("relu_forward", x)
    if inplace:
        if x.flags.c_contiguous and x.size >= NUMBA_MIN["relu_forward"]:
            _relu_inplace(x.reshape(-1))
        else:
            np.maximum(x, 0, out=x)
        return x
    return elementwise(_relu_fwd, x) if x.size >= NUMBA_MIN["relu_forward"] else nd(np.maximum(x, 0))


def relu_backward(g, y):
    """g * (y > 0), y = relu_forward(x)."""
    return _run("relu_backward", *same_shape("relu_backward", g, y))


def sigmoid_forward(x):
    """1 / (1 + exp(-x)), as exp(-|x|) ratios: no overflow, exactly 0 and 1 in the limits, NaN stays NaN."""
    (x,) = same_shape("sigmoid_forward", x)
    return PATHS["sigmoid_forward"]["numba"](x)


def sigmoid_backward(g, y):
    """g * y * (1 - y), y = sigmoid_forward(x)."""
    return _run("sigmoid_backward", *same_shape("sigmoid_backward", g, y))


def tanh_forward(x):
    """tanh(x)."""
    (x,) = same_shape("tanh_forward", x)
    return PATHS["tanh_forward"]["numpy"](x)


def tanh_backward(g, y):
    """g * (1 - y * y), y = tanh_forward(x)."""
    return _run("tanh_backward", *same_shape("tanh_backward", g, y))
