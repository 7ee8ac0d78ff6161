"""Small helpers shared by the op modules: array module and kernel table of an array, dtype promotion, casts."""
import contextlib
import warnings

import numpy as np

from .. import _dtype
from .. import _float8
from ..autograd.op_function import Function
from ..backend import backend_of
from ..creation import tensor
from ..tensor import Tensor

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3, "V": 2}     # "V": bfloat16 (ml_dtypes), the one such dtype
_SCALARS = (bool, int, float, np.generic)


def xp_of(array):
    return backend_of(array).xp


def kernels_of(array):
    return backend_of(array).kernels


def quiet(xp):
    """Silences NumPy's floating-point warnings (log(0), 0 ** -1, ...): PyTorch returns inf and
    nan without a word. Only around the ops that produce them: errstate costs about 1 us."""
    return np.errstate(all="ignore") if xp is np else contextlib.nullcontext()


def wrap(array, like):
    """A non-differentiable result as a Tensor; NumPy's scalars become 0-d arrays."""
    if type(array) is not type(like):
        array = backend_of(like).xp.asarray(array)
    return Tensor._make(array)


def broadcast_to(g, shape):
    """`g` broadcast to `shape` as a read-only view. For a one-element NumPy `g` (the gradient of
    a full reduction) this builds the zero-stride view directly: 5x cheaper than np.broadcast_to,
    on the backward path of every loss."""
    if type(g) is np.ndarray and g.size == 1:
        out = np.ndarray(shape, g.dtype, g, 0, (0,) * len(shape))
        out.flags.writeable = False
        return out
    return backend_of(g).xp.broadcast_to(g, shape)


def as_tensor(x, like=None):
    """Tensors pass through; scalars and arrays become (non-grad) Tensors on `like`'s device."""
    if isinstance(x, Tensor):
        return x
    dev = like.device if like is not None else None
    if isinstance(x, _SCALARS) and like is not None and not isinstance(x, (bool, np.bool_)) and \
            (like.dtype.is_floating_point and not isinstance(x, complex) or like.dtype.is_complex):
        return tensor(x, dtype=like.dtype, device=dev)
    return tensor(x, device=dev)


def _astype(x, dtype):
    """x.astype(dtype); complex to real keeps the real part with PyTorch's warning (not NumPy's ComplexWarning)."""
    if x.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=4)
        x = x.real
    if _float8.is_float8(x.dtype) or _float8.is_float8(np.dtype(dtype)):
        return _float8.astype(x, dtype)         # PyTorch's float8 rounding, through float32
    if x.dtype.kind == "V" and np.dtype(dtype).kind in "biu":     # bfloat16 to integers as float32's cast does
        x = x.astype(np.float32)
    return x.astype(dtype)


class Cast(Function):
    op_name = "to"
    opmath = False          # a conversion: bfloat16 as it is

    @staticmethod
    def forward(ctx, x, dtype):
        return _astype(x, dtype)

    @staticmethod
    def backward(ctx, g):
        if ctx._inputs[0][2].kind != "c" and getattr(g, "_data", g).dtype.kind == "c":
            return g.real       # complex to a real input: its real part (PyTorch's), not NumPy's warning cast
        return g            # the engine casts the gradient back to the input's dtype


def cast(x, dt):
    """`x` converted to autograd_lite dtype `dt` (differentiable between float and complex types)."""
    if x._data.dtype == dt.np:
        return x
    if dt.category >= 2 and x._data.dtype.kind in "fcV":
        return Cast.apply(x, dt.np)
    return Tensor._make(_astype(x._data, dt.np))


def category(x):
    return _CATEGORY[x._data.dtype.kind]


def promote_pair(a, b):
    """(a, b) with PyTorch's result dtype: `a` a Tensor; `b` a Tensor or a Python scalar, which
    stays a Python scalar so that NumPy treats it as weakly typed."""
    if isinstance(b, Tensor):
        da, db = a._data.dtype, b._data.dtype
        if da is db or da == db:
            return a, b
        ta, tb = a.dtype, b.dtype
        dims = [t.dtype for t in (a, b) if t._data.ndim]
        zeros = [t.dtype for t in (a, b) if not t._data.ndim]
        rt = _dtype.result_type(dims, zeros)
        return cast(a, rt) if ta is not rt else a, cast(b, rt) if tb is not rt else b
    if isinstance(b, _SCALARS):
        if isinstance(b, np.generic):
            b = b.item()
        c = _dtype.scalar_category(b)
        if c > category(a):
            a = cast(a, _dtype.result_type((a.dtype,), (), (b,)))
        return a, b
    return promote_pair(a, as_tensor(b, a))


def via_kernel_dtype(fn, x, *args):
    """`fn(x, *args)` for float32/float64 `x`; other floats (float16) go through float32, as the
    kernels take only those two."""
    if x._data.dtype.itemsize >= 4:
        return fn(x, *args)
    return cast(fn(cast(x, _dtype.float32), *args), x.dtype)


def not_implemented(op, x):
    """PyTorch's error for an op without a kernel for x's dtype (e.g. softmax of an int64 tensor)."""
    return NotImplementedError(f'"{op}" not implemented for \'{x.dtype.scalar_type}\'')


def refuse_complex(x, message, kind=NotImplementedError):
    """PyTorch's refusal of a complex tensor by an op of real numbers (orderings: max, clamp, <), in its words:
    `message` may name the dtype as {type}."""
    if isinstance(x, Tensor) and x._data.dtype.kind == "c":
        raise kind(message.format(type=x.dtype.scalar_type))


BERNOULLI_COMPLEX = "\"bernoulli_scalar_cpu_\" not implemented for '{type}'"     # dropout's mask of complex input


def to_float(x):
    """Int and bool tensors become float32 (PyTorch's rule for exp, log, sqrt, division, ...). NumPy kind 'V' is
    bfloat16's (ml_dtypes), the one such tensor dtype: the ops' floating checks read kind in "fV"."""
    return x if x._data.dtype.kind in "fcV" else cast(x, _dtype.get_default_dtype())
