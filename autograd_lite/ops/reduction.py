"""Reductions: sum mean prod var std logsumexp, max/min (full and along a dim), argmax argmin
topk, all any."""
import builtins
import math

import numpy as np

from .. import _api, return_types
from .. import _float8
from .._args import canon_dim, canon_dims
from ..autograd.op_function import Function, saved_variants
from ..tensor import Tensor
from . import _formula as m
from ._util import broadcast_to, quiet, refuse_complex, xp_of, to_float
from .indexing import gather
from .shape import squeeze

_FILL_MAX = 4096      # elements: below, a loss's sum fills its gradient (see Sum.backward_raw)
declare = _api.declare


def _expand_grad(g, shape, dims, keepdim):
    """Broadcasts a reduced gradient back over the reduced dims."""
    if dims is not None and not keepdim:
        g = m.expand_dims(g, dims)
    return m.broadcast_to(g, shape)


_DIM_NAMES = {"dim": "dims", "keepdim": "keepdim", "self_sym_sizes": "shape"}
_NUMEL = {"self_sym_numel": lambda node: math.prod(node.shape)}


def _over_dims(node):
    return "all" if node.dims is None else "dims"


class Sum(Function):
    saved_names = saved_variants(_over_dims, all={"self_sym_sizes": "shape"}, dims=_DIM_NAMES)

    def name(self):
        return "SumBackward0" if self.dims is None else "SumBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim, ctx.size = x.shape, dims, keepdim, x.size
        if type(x) is np.ndarray and x.dtype.kind == "f":  # the ufunc itself: ndarray.sum adds a Python layer
            return np.add.reduce(x, dims, None, None, keepdim)
        if x.dtype.kind in "biu":
            return x.sum(axis=dims, keepdims=keepdim, dtype="int64")
        return x.sum(dims, None, None, keepdim)

    @staticmethod
    def backward(ctx, g):
        if ctx.dims is None:                # the loss's sum: no dims to restore
            return m.broadcast_to(g, ctx.shape), None, None
        return _expand_grad(g, ctx.shape, ctx.dims, ctx.keepdim), None, None

    @staticmethod
    def backward_raw(ctx, g):              # the loss's sum (a backward per step): as cheap as it gets
        if ctx.dims is None:
            if ctx.size <= _FILL_MAX and type(g) is np.ndarray and not g.ndim:
                out = np.empty(ctx.shape, g.dtype)
                out.fill(g)                 # a small array: filling beats making a read-only zero-stride view
                return out, None, None
            return broadcast_to(g, ctx.shape), None, None
        return Sum.backward(ctx, g)


class Mean(Function):
    saved_names = saved_variants(_over_dims, all={"self_sym_sizes": "shape", **_NUMEL}, dims={**_DIM_NAMES, **_NUMEL})

    def name(self):
        return "MeanBackward0" if self.dims is None else "MeanBackward1"

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        ctx.count = x.size // builtins.max(1, _count_out(x.shape, dims))
        return x.mean(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _expand_grad(g / ctx.count, ctx.shape, ctx.dims, ctx.keepdim), None, None


def _count_out(shape, dims):
    if dims is None:
        return 1
    n = 1
    for i, s in enumerate(shape):
        if i not in dims:
            n *= s
    return n


class Prod(Function):
    @staticmethod
    def forward(ctx, x, dim, keepdim):
        ctx.save_for_backward(x)
        ctx.dim, ctx.keepdim = dim, keepdim
        return x.prod() if dim is None else x.prod(axis=dim, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x, = ctx._saved
        dim = ctx.dim
        flat = x.reshape(-1) if dim is None else m.movedim(x, dim, -1)
        ones = m.ones_like(flat[..., :1])
        # product of all the other elements = exclusive cumprod from the left times from the right (zeros welcome)
        left = m.cat([ones, m.cumprod(flat[..., :-1], -1)], -1)
        right = m.flip(m.cat([ones, m.cumprod(m.flip(flat[..., 1:], -1), -1)], -1), -1)
        others = left * right
        if dim is None:
            return (g * others).reshape(tuple(x.shape)), None, None
        gd = g if ctx.keepdim else m.expand_dims(g, (dim,))
        return m.movedim(others, -1, dim) * gd, None, None


def _centered(x, dims):
    """x minus its mean over dims, in the formula namespace (so that its own derivative is right too)."""
    count = 1
    for d in (range(x.ndim) if dims is None else dims):
        count *= x.shape[d]
    return x - m.sum(x, dims, True) / builtins.max(count, 1)


class Var(Function):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        n = x.size // builtins.max(1, _count_out(x.shape, dims))
        ctx.save_for_backward(x)
        ctx.dims, ctx.keepdim, ctx.denom = dims, keepdim, builtins.max(n - correction, 0)
        with quiet(xp_of(x)):
            return x.var(axis=dims, ddof=correction, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x, = ctx._saved
        g = _expand_grad(g, tuple(x.shape), ctx.dims, ctx.keepdim)
        with quiet(xp_of(m.data(x))):
            return g * (2 * _centered(x, ctx.dims) / ctx.denom), None, None, None


class Std(Function):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        n = x.size // builtins.max(1, _count_out(x.shape, dims))
        with quiet(xp_of(x)):
            out = x.std(axis=dims, ddof=correction, keepdims=keepdim)
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim, ctx.denom = dims, keepdim, builtins.max(n - correction, 0)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx._saved
        std = out if ctx.dims is None or ctx.keepdim else m.expand_dims(out, ctx.dims)
        g = _expand_grad(g, tuple(x.shape), ctx.dims, ctx.keepdim)
        with quiet(xp_of(m.data(x))):
            return g * _centered(x, ctx.dims) / (ctx.denom * std), None, None, None


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = xp_of(x)
        top = x.max(axis=dims, keepdims=True) if x.size else xp.zeros_like(x.sum(axis=dims, keepdims=True))
        top = xp.where(xp.isfinite(top), top, 0)
        out = xp.log(xp.exp(x - top).sum(axis=dims, keepdims=True)) + top
        out = out if keepdim else out.reshape([s for i, s in enumerate(out.shape) if i not in dims])
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx._saved
        if not ctx.keepdim:
            g, out = m.expand_dims(g, ctx.dims), m.expand_dims(out, ctx.dims)
        return g * m.exp(x - out), None, None


class FullMax(Function):
    """max()/min() over all elements; ties share the gradient evenly, as in PyTorch."""
    op_name = "max"

    @staticmethod
    def forward(ctx, x, largest):
        if x.size == 0:
            raise RuntimeError("max(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        out = x.max() if largest else x.min()
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = (m.data(v) for v in ctx._saved)
        mask = x == out                             # piecewise constant: the ties share the gradient
        return g * (mask / mask.sum()).astype(x.dtype), None

    def name(self):
        return "MaxBackward1"


def _numpy_names(dim, keepdim, axis, keepdims):
    """PyTorch also takes NumPy's names: axis= for dim=, keepdims= for keepdim=."""
    return (dim if axis is None else axis), (keepdim if keepdims is None else keepdims)


@declare
def sum(x, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    """The sum over `dim` (an int, a tuple, or None for all); integers and bools sum in int64.

    Example: ``x.sum(dim=1, keepdim=True)``"""
    if dim is None and dtype is None and axis is None and keepdims is None:
        return Sum.apply(x, None, keepdim)      # a loss's sum: nothing to check
    if axis is not None or keepdims is not None:
        dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    if dtype is not None:
        x = x.to(dtype)
    return Sum.apply(x, canon_dims(dim, x.ndim, "sum"), keepdim)


@declare
def mean(x, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    """The mean over `dim` (float tensors only, as PyTorch)."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind not in "fcV":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {x.dtype.scalar_type}")
    return Mean.apply(x, canon_dims(dim, x.ndim, "mean"), keepdim)


@declare
def prod(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The product over one dim, or all; differentiable where elements are zero too."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    d = None if dim is None or x.ndim == 0 else canon_dim(dim, x.ndim, "prod")
    if x._data.dtype.kind in "bui":
        x = x.long()
    return Prod.apply(x, d, keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return int(correction)
    return 1 if unbiased is None or unbiased else 0


def _float_spread(op, x):
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{op}: std and var only support floating point and complex dtypes, got "
                           f"{x.dtype.scalar_type}")
    return x


@declare
def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """The variance over `dim`, with Bessel's correction unless unbiased=False (or correction=0)."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    if isinstance(dim, bool):           # torch.var(x, False): the old unbiased positional
        dim, unbiased = None, dim
    if x._data.dtype.kind == "c":       # the spread of |x - mean|^2: the real parts' plus the imaginary parts'
        return var(x.real, dim, unbiased, keepdim, correction=correction) + \
            var(x.imag, dim, unbiased, keepdim, correction=correction)
    return Var.apply(_float_spread("var", x), canon_dims(dim, x.ndim, "var"), _correction(unbiased, correction),
                     keepdim)


@declare
def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """The standard deviation over `dim` (see var)."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if x._data.dtype.kind == "c":
        return var(x, dim, unbiased, keepdim, correction=correction).sqrt()
    return Std.apply(_float_spread("std", x), canon_dims(dim, x.ndim, "std"), _correction(unbiased, correction),
                     keepdim)


@declare
def logsumexp(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """``log(exp(x).sum(dim))``, stable."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    if dim is None:                     # required, as PyTorch; optional only so that axis= can name it
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    dims = canon_dims(dim, x.ndim, "logsumexp")
    return LogSumExp.apply(to_float(x), dims if dims is not None else (), keepdim)


def _max_min(x, dim, keepdim, largest, op):
    if x._data.dtype.kind == "c":
        refuse_complex(x, f'"{op}_all" not implemented for \'{{type}}\'' if dim is None else
                       f"{op}(): does not support complex input", NotImplementedError if dim is None else RuntimeError)
    if dim is None:
        return FullMax.apply(x, largest)
    if isinstance(dim, Tensor):             # torch.max(a, b): the elementwise maximum
        return (_api.TOP["maximum"] if largest else _api.TOP["minimum"])(x, dim)
    d = canon_dim(dim, x.ndim, op)
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    xp = xp_of(x._data)
    result = (return_types.max if largest else return_types.min)._of      # (values, indices)
    if x.ndim == 0:
        return result(x.clone(), Tensor._make(xp.zeros((), dtype="int64")))
    idx = (xp.argmax if largest else xp.argmin)(x._data, axis=d, keepdims=True)
    values = gather(x, d, Tensor._make(idx))
    if keepdim:
        return result(values, Tensor._make(idx))
    return result(squeeze(values, d), Tensor._make(idx.squeeze(d)))


@declare
def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The largest element; along a dim, (values, indices); of two tensors, the elementwise maximum."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    return _max_min(x, dim, keepdim, True, "max")


@declare
def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The smallest element; along a dim, (values, indices); of two tensors, the elementwise minimum."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    return _max_min(x, dim, keepdim, False, "min")


@declare
def amax(x, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """The largest values over `dim` (all dims by default); ties share the gradient."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    return _extreme(x, dim, keepdim, True)


@declare
def amin(x, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """The smallest values over `dim` (all dims by default); ties share the gradient."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    return _extreme(x, dim, keepdim, False)


def _extreme(x, dim, keepdim, largest):
    refuse_complex(x, f'"{"max" if largest else "min"}_values_cpu" not implemented for \'{{type}}\'')
    dims = canon_dims(dim, x.ndim, "amax" if largest else "amin") if dim != () else None
    if dims is None:
        out = FullMax.apply(x, largest)
        return out.reshape((1,) * x.ndim) if keepdim else out
    return Extreme.apply(x, dims, keepdim, largest)


class Extreme(Function):
    """amax / amin over dims: ties share the gradient evenly, as in PyTorch."""
    op_name = "amax"

    @staticmethod
    def forward(ctx, x, dims, keepdim, largest):
        out = (x.max if largest else x.min)(axis=dims, keepdims=True)
        ctx.save_for_backward(x)
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.top = out
        return out if keepdim else out.reshape([s for i, s in enumerate(out.shape) if i not in dims])

    @staticmethod
    def backward(ctx, g):
        x = m.data(ctx._saved[0])
        mask = x == ctx.top                                     # piecewise constant
        share = (mask / mask.sum(axis=ctx.dims, keepdims=True)).astype(x.dtype)
        return _expand_grad(g, x.shape, ctx.dims, ctx.keepdim) * share, None, None, None


def _arg(x, dim, keepdim, largest, op):
    refuse_complex(x, f"{op}(): does not support complex input", RuntimeError)
    _float8.refuse(op, x)
    xp = xp_of(x._data)
    fn = xp.argmax if largest else xp.argmin
    if dim is None:
        out = fn(x._data.reshape(-1))
        return Tensor._make(xp.asarray(out, dtype="int64").reshape((1,) * x.ndim if keepdim else ()))
    d = canon_dim(dim, x.ndim, op)
    return Tensor._make(xp.asarray(fn(x._data, axis=d if x.ndim else None, keepdims=keepdim),
                                   dtype="int64"))


@declare
def argmax(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The index of the largest element (of the flattened tensor, or along `dim`)."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    return _arg(x, dim, keepdim, True, "argmax")


@declare
def argmin(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The index of the smallest element (of the flattened tensor, or along `dim`)."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    return _arg(x, dim, keepdim, False, "argmin")


@declare
def topk(x, k, dim=-1, largest=True, sorted=True):
    """The k largest (or smallest) elements along `dim`, as (values, indices); values are differentiable."""
    d = canon_dim(dim, x.ndim, "topk")
    refuse_complex(x, "topk does not support complex dtypes on CPU", RuntimeError)
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {d} of size {n}")
    xp = xp_of(x._data)
    data = x._data if x.ndim else x._data.reshape(1)
    order = xp.argsort(-data if largest else data, axis=d, kind="stable")
    idx = xp.take(order, xp.arange(k), axis=d)
    idx_t = Tensor._make(idx.reshape(idx.shape if x.ndim else ()))
    values = gather(x, d, idx_t) if x.ndim else x.clone()
    return return_types.topk._of(values, idx_t)


# ---- scans --------------------------------------------------------------------------------------

class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return xp_of(x).cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, g):                       # each input reaches every later output: a reversed cumsum
        return m.flip(m.cumsum(m.flip(g, ctx.dim), ctx.dim), ctx.dim), None


class Cumprod(Function):
    """Its gradient: d out_k / d x_i = out_{i-1} * prod_{i < j <= k} x_j (k >= i), summed by the recurrence
    S_i = g_i + x_{i+1} S_{i+1}: exact where x has zeros, differentiable again (PyTorch divides by x only where it
    has none; so do we, as the acceleration)."""

    @staticmethod
    def forward(ctx, x, dim):
        out = xp_of(x).cumprod(x, axis=dim)
        ctx.save_for_backward(x, out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = (m.movedim(v, ctx.dim, -1) for v in ctx._saved)
        g = m.movedim(g, ctx.dim, -1)
        n = x.shape[-1]
        if n == 0:
            return m.movedim(g, -1, ctx.dim), None
        sums = [g[..., n - 1]]
        for i in range(n - 2, -1, -1):
            sums.append(g[..., i] + x[..., i + 1] * sums[-1])
        sums.reverse()
        grads = [sums[0]] + [out[..., i - 1] * sums[i] for i in range(1, n)]
        return m.movedim(m.stack(grads, -1), -1, ctx.dim), None

    @staticmethod
    def backward_raw(ctx, g):
        x, out = ctx._saved
        if x.size and not (x == 0).any():
            xp = xp_of(x)
            d = ctx.dim
            return xp.flip(xp.cumsum(xp.flip(g * out, d), axis=d), d) / x, None
        return Cumprod.backward(ctx, g)


def _scan(cls, x, dim, dtype, op):
    if dtype is not None:
        x = x.to(dtype)
    elif x._data.dtype.kind in "biu":
        x = x.long()                            # integers accumulate in int64, as PyTorch
    return cls.apply(x, canon_dim(dim, x.ndim, op)) if x.ndim else cls.apply(x.reshape(1), 0).reshape(())


@declare
def cumsum(x, dim, dtype=None):
    """Running sums along `dim`: out[i] = x[0] + ... + x[i]."""
    return _scan(Cumsum, x, dim, dtype, "cumsum")


@declare
def cumprod(x, dim, dtype=None):
    """Running products along `dim`: out[i] = x[0] * ... * x[i] (differentiable where x has zeros)."""
    return _scan(Cumprod, x, dim, dtype, "cumprod")


def _truth(name, x, dim, keepdim):
    dims = canon_dims(dim, x.ndim, name)
    return Tensor._make(xp_of(x._data).asarray(getattr(x._data, name)(axis=dims, keepdims=keepdim)))


@declare
def all(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Whether every element (over `dim`, or all) is nonzero, as a bool tensor."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    return _truth("all", x, dim, keepdim)


@declare
def any(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Whether some element (over `dim`, or all) is nonzero, as a bool tensor."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    return _truth("any", x, dim, keepdim)


def _scan_inplace(op):
    def method(self, dim, dtype=None):
        if dtype is not None and _dtype_name(dtype) != self.dtype.name:
            raise RuntimeError(f"Bad in-place call: input tensor dtype {_C_NAME.get(self.dtype.name, self.dtype.name)}"
                               f" and output tensor dtype {_C_NAME.get(_dtype_name(dtype), _dtype_name(dtype))} "
                               "should match")
        return self._inplace(lambda x, d: op(x, d, dtype=x.dtype), dim)
    method.__name__ = method.__qualname__ = op.__name__ + "_"
    method.__doc__ = f"In-place :func:`{op.__name__}` along `dim`, in this tensor's dtype."
    return method


_C_NAME = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
           "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _dtype_name(dtype):
    return str(dtype).split(".")[-1]


declare(cumsum, method=False, top=False, inplace=_scan_inplace(cumsum))
declare(cumprod, method=False, top=False, inplace=_scan_inplace(cumprod))


@declare
def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) of input, over all elements or along `dim`, as ``return_types.aminmax`` (fields ``min`` and
    ``max``); differentiable as amin / amax: ``torch.aminmax(x, dim=1)``."""
    if input.numel() == 0:
        if dim is None:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                               "identity.")
        d = canon_dim(dim, input.ndim, "aminmax")
        if input.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    if dim is None:
        lo, hi = amin(input), amax(input)
        if keepdim:
            shape = (1,) * input.ndim
            lo, hi = lo.reshape(shape), hi.reshape(shape)
        return return_types.aminmax._of(lo, hi)
    return return_types.aminmax._of(amin(input, dim, keepdim), amax(input, dim, keepdim))


@declare(top=False)
def sum_to_size(input, *size):
    """input summed down to `size`, a shape it broadcasts from (the gradient of a broadcast):
    ``torch.ones(2, 3).sum_to_size(1, 3)`` gives ``[[2., 2., 2.]]``."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    have = tuple(input.shape)
    lead = len(have) - len(shape)
    if lead < 0 or builtins.any(s != 1 and s != h for s, h in zip(shape, have[lead:])):
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(have)}}}.")
    out = sum(input, tuple(range(lead))) if lead else input
    dims = tuple(i for i, (s, h) in enumerate(zip(shape, have[lead:])) if s == 1 and h != 1)
    return sum(out, dims, keepdim=True) if dims else out
