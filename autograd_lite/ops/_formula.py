"""The functions backward formulas are written in. Each takes raw arrays (the backward at full speed) or Tensors
(under create_graph: recorded ops, so the gradient can be differentiated again), so a formula is written once:

    return g * m.cos(x)             # the derivative of sin, for arrays and for Tensors alike

Operators (+ - * / ** @ comparisons), ``.reshape`` and ``.T`` already work on both; this module adds the rest.
Every op of a table (the unary math, the activations) is here by its name too: ``m.exp``, ``m.sigmoid``.
"""
from .._api import TOP
from ..creation import ones_like as _ones_like
from ..autograd.op_function import TensorBase
from ._util import broadcast_to as _broadcast_array, xp_of

RAW = {}        # name -> the op's formula on raw arrays, registered by the tables of unary ops


def is_graph(*xs):
    """Whether the formula runs on Tensors (create_graph)."""
    for x in xs:
        if isinstance(x, TensorBase):
            return True
    return False


def data(x):
    """The raw array of x: what a piecewise-constant factor (a mask, a sign) is computed from in both modes."""
    return x._data if isinstance(x, TensorBase) else x


def where(cond, a, b):
    if is_graph(a, b):
        return TOP["where"](data(cond), a, b)
    return xp_of(a if hasattr(a, "dtype") else b).where(cond, a, b)


def sum(x, dims, keepdim=False):
    """x summed over `dims` (a tuple, or None for all)."""
    if isinstance(x, TensorBase):
        return x.sum(dims, keepdim)
    return x.sum(axis=dims, keepdims=keepdim)


def expand_dims(x, dims):
    """x with size-1 dims inserted at the sorted positions `dims` (a reduction's dims, restored)."""
    if isinstance(x, TensorBase):
        shape = list(x.shape)
        for d in dims:
            shape.insert(d, 1)
        return x.reshape(tuple(shape))
    return xp_of(x).expand_dims(x, dims)


def broadcast_to(x, shape):
    return x.expand(shape) if isinstance(x, TensorBase) else _broadcast_array(x, shape)


def permute(x, dims):
    return x.permute(dims) if isinstance(x, TensorBase) else x.transpose(dims)


def maximum(x, y):
    return TOP["maximum"](x, y) if is_graph(x, y) else xp_of(x).maximum(x, y)


def minimum(x, y):
    return TOP["minimum"](x, y) if is_graph(x, y) else xp_of(x).minimum(x, y)


def mT(x):
    """The last two dims swapped (a matrix transposed, or each matrix of a batch)."""
    return x.mT if isinstance(x, TensorBase) else xp_of(x).swapaxes(x, -1, -2)


def movedim(x, source, destination):
    return TOP["movedim"](x, source, destination) if is_graph(x) else xp_of(x).moveaxis(x, source, destination)


def flip(x, dim):
    return TOP["flip"](x, (dim,)) if is_graph(x) else xp_of(x).flip(x, dim)


def cumsum(x, dim):
    return TOP["cumsum"](x, dim) if is_graph(x) else xp_of(x).cumsum(x, axis=dim)


def cumprod(x, dim):
    return TOP["cumprod"](x, dim) if is_graph(x) else xp_of(x).cumprod(x, axis=dim)


def cat(xs, dim):
    return TOP["cat"](xs, dim) if is_graph(*xs) else xp_of(xs[0]).concatenate(xs, axis=dim)


def stack(xs, dim):
    return TOP["stack"](xs, dim) if is_graph(*xs) else xp_of(xs[0]).stack(xs, axis=dim)


def ones_like(x):
    return _ones_like(x) if is_graph(x) else xp_of(x).ones_like(x)


def zeros_like(x):
    return x * 0 if isinstance(x, TensorBase) else xp_of(x).zeros_like(x)


def astype(x, dtype):
    """x in the NumPy dtype `dtype`."""
    return x.to(dtype) if isinstance(x, TensorBase) else x.astype(dtype, copy=False)


def __getattr__(name):
    """m.<op> for the ops of the tables: the op on Tensors, its raw formula on arrays."""
    raw = RAW.get(name)
    if raw is None:
        raise AttributeError(f"no formula function {name!r}")
    op = TOP[name]

    def dual(x, *args):
        return op(x, *args) if isinstance(x, TensorBase) else raw(x, *args)
    dual.__name__ = name
    globals()[name] = dual
    return dual
