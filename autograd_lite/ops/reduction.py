"""Reductions: sum mean prod var std logsumexp, max/min (full and along a dim), argmax argmin
topk, all any."""
import builtins
import collections

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from ._util import quiet, broadcast_to, canon_dim, canon_dims, xp_of, to_float
from .indexing import gather
from .shape import squeeze

MaxMin = collections.namedtuple("MaxMin", ["values", "indices"])  # like torch.return_types.max


def _expand_grad(g, shape, dims, keepdim):
    """Broadcasts a reduced gradient back over the reduced dims."""
    if dims is not None and not keepdim:
        g = xp_of(g).expand_dims(g, dims)
    return broadcast_to(g, shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keepdim = x.shape, dims, keepdim
        if x.dtype.kind in "biu":
            return x.sum(axis=dims, keepdims=keepdim, dtype="int64")
        if type(x) is np.ndarray:           # the ufunc itself: ndarray.sum adds a Python layer (numpy._methods)
            return np.add.reduce(x, dims, None, None, keepdim)
        return x.sum(dims, None, None, keepdim)

    @staticmethod
    def backward(ctx, g):
        if ctx.dims is None:                # the loss's sum: no dims to restore
            return broadcast_to(g, ctx.shape), None, None
        return _expand_grad(g, ctx.shape, ctx.dims, ctx.keepdim), None, None


class Mean(Function):
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
        xp = xp_of(x)
        dim = ctx.dim
        flat = x.reshape(-1) if dim is None else xp.moveaxis(x, dim, -1)
        ones = xp.ones_like(flat[..., :1])
        # product of all the other elements = exclusive cumprod from the left times from the right
        left = xp.concatenate([ones, xp.cumprod(flat[..., :-1], axis=-1)], axis=-1)
        right = xp.flip(xp.concatenate([ones, xp.cumprod(xp.flip(flat[..., 1:], -1), axis=-1)], -1), -1)
        others = left * right
        if dim is None:
            return (g * others).reshape(x.shape), None, None
        gd = g if ctx.keepdim else xp.expand_dims(g, dim)
        return xp.moveaxis(others, -1, dim) * gd, None, None


class Var(Function):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        mean = x.mean(axis=dims, keepdims=True)
        n = x.size // builtins.max(1, _count_out(x.shape, dims))
        ctx.save_for_backward(x, mean)
        ctx.dims, ctx.keepdim, ctx.denom = dims, keepdim, builtins.max(n - correction, 0)
        with quiet(xp_of(x)):
            return x.var(axis=dims, ddof=correction, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x, mean = ctx._saved
        g = _expand_grad(g, x.shape, ctx.dims, ctx.keepdim)
        with quiet(xp_of(x)):
            return g * (2 * (x - mean) / x.dtype.type(ctx.denom)), None, None, None


class Std(Function):
    @staticmethod
    def forward(ctx, x, dims, correction, keepdim):
        mean = x.mean(axis=dims, keepdims=True)
        n = x.size // builtins.max(1, _count_out(x.shape, dims))
        with quiet(xp_of(x)):
            out = x.std(axis=dims, ddof=correction, keepdims=keepdim)
        ctx.save_for_backward(x, mean, out)
        ctx.dims, ctx.keepdim, ctx.denom = dims, keepdim, builtins.max(n - correction, 0)
        return out

    @staticmethod
    def backward(ctx, g):
        x, mean, out = ctx._saved
        xp = xp_of(x)
        std = out if ctx.dims is None or ctx.keepdim else xp.expand_dims(out, ctx.dims)
        g = _expand_grad(g, x.shape, ctx.dims, ctx.keepdim)
        with quiet(xp_of(x)):
            return g * (x - mean) / (x.dtype.type(ctx.denom) * std), None, None, None


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, dims, keepdim):
        xp = xp_of(x)
        m = x.max(axis=dims, keepdims=True) if x.size else xp.zeros_like(x.sum(axis=dims, keepdims=True))
        m = xp.where(xp.isfinite(m), m, 0)
        out = xp.log(xp.exp(x - m).sum(axis=dims, keepdims=True)) + m
        ctx.save_for_backward(x, out)
        ctx.dims, ctx.keepdim = dims, keepdim
        return out if keepdim else out.reshape([s for i, s in enumerate(out.shape) if i not in dims])

    @staticmethod
    def backward(ctx, g):
        x, out = ctx._saved
        xp = xp_of(x)
        if not ctx.keepdim:
            g = xp.expand_dims(g, ctx.dims)
        return g * xp.exp(x - out), None, None


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
        x, out = ctx._saved
        mask = x == out
        return g * mask / mask.sum().astype(g.dtype), None

    def name(self):
        return "MaxBackward1"


def sum(x, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = x.to(dtype)
    return Sum.apply(x, canon_dims(dim, x.ndim, "sum"), keepdim)


def mean(x, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {x.dtype.name}")
    return Mean.apply(x, canon_dims(dim, x.ndim, "mean"), keepdim)


def prod(x, dim=None, keepdim=False):
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


def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):           # torch.var(x, False): the old unbiased positional
        dim, unbiased = None, dim
    return Var.apply(_float_spread("var", x), canon_dims(dim, x.ndim, "var"), _correction(unbiased, correction),
                     keepdim)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return Std.apply(_float_spread("std", x), canon_dims(dim, x.ndim, "std"), _correction(unbiased, correction),
                     keepdim)


def logsumexp(x, dim, keepdim=False):
    dims = canon_dims(dim, x.ndim, "logsumexp")
    return LogSumExp.apply(to_float(x), dims if dims is not None else (), keepdim)


def _max_min(x, dim, keepdim, largest, op):
    if dim is None:
        return FullMax.apply(x, largest)
    if isinstance(dim, Tensor):             # torch.max(a, b): the elementwise maximum
        from .elementwise import maximum, minimum
        return (maximum if largest else minimum)(x, dim)
    d = canon_dim(dim, x.ndim, op)
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
    xp = xp_of(x._data)
    if x.ndim == 0:
        return MaxMin(x.clone(), Tensor._make(xp.zeros((), dtype="int64")))
    idx = (xp.argmax if largest else xp.argmin)(x._data, axis=d, keepdims=True)
    values = gather(x, d, Tensor._make(idx))
    if keepdim:
        return MaxMin(values, Tensor._make(idx))
    return MaxMin(squeeze(values, d), Tensor._make(idx.squeeze(d)))


def max(x, dim=None, keepdim=False):
    return _max_min(x, dim, keepdim, True, "max")


def min(x, dim=None, keepdim=False):
    return _max_min(x, dim, keepdim, False, "min")


def _arg(x, dim, keepdim, largest, op):
    xp = xp_of(x._data)
    fn = xp.argmax if largest else xp.argmin
    if dim is None:
        out = fn(x._data.reshape(-1))
        return Tensor._make(xp.asarray(out, dtype="int64").reshape((1,) * x.ndim if keepdim else ()))
    d = canon_dim(dim, x.ndim, op)
    return Tensor._make(xp.asarray(fn(x._data, axis=d if x.ndim else None, keepdims=keepdim),
                                   dtype="int64"))


def argmax(x, dim=None, keepdim=False):
    return _arg(x, dim, keepdim, True, "argmax")


def argmin(x, dim=None, keepdim=False):
    return _arg(x, dim, keepdim, False, "argmin")


def topk(x, k, dim=-1, largest=True, sorted=True):
    d = canon_dim(dim, x.ndim, "topk")
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk: k ({k}) is out of range for dimension {d} of size {n}")
    xp = xp_of(x._data)
    data = x._data if x.ndim else x._data.reshape(1)
    order = xp.argsort(-data if largest else data, axis=d, kind="stable")
    idx = xp.take(order, xp.arange(k), axis=d)
    idx_t = Tensor._make(idx.reshape(idx.shape if x.ndim else ()))
    values = gather(x, d, idx_t) if x.ndim else x.clone()
    return MaxMin(values, idx_t)


def all(x, dim=None, keepdim=False):
    dims = canon_dims(dim, x.ndim, "all")
    return Tensor._make(xp_of(x._data).asarray(x._data.all(axis=dims, keepdims=keepdim)))


def any(x, dim=None, keepdim=False):
    dims = canon_dims(dim, x.ndim, "any")
    return Tensor._make(xp_of(x._data).asarray(x._data.any(axis=dims, keepdims=keepdim)))
