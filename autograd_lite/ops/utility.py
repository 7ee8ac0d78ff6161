"""Small utilities scripts call as ``torch.X``: combinations, broadcast_shapes, gradient (differentiable: composed
of slices and arithmetic), histogram / histogramdd (counts: no gradient, as PyTorch), typename, is_storage."""
import itertools
import math
import numbers

import numpy as np

from .. import _api, return_types
from ..tensor import Size, Tensor
from ._util import not_implemented, wrap, xp_of

declare = _api.declare


@declare(method=False)
def combinations(input, r=2, with_replacement=False):
    """The length-`r` combinations of the elements of the 1-D `input` (as itertools.combinations, or
    combinations_with_replacement), one per row: ``torch.combinations(torch.tensor([1, 2, 3]))`` is
    ``tensor([[1, 2], [1, 3], [2, 3]])``. Differentiable."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input[:0]
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = np.fromiter(itertools.chain.from_iterable(pick(range(input.shape[0]), r)), dtype=np.int64)
    return input[Tensor._make(index.reshape(-1, r))]


@declare(method=False)
def broadcast_shapes(*shapes):
    """The shape that tensors of these shapes broadcast to (each shape a sequence of ints, or an int):
    ``torch.broadcast_shapes((2, 1), (3,))`` is ``torch.Size([2, 3])``."""
    shapes = [(int(s),) if isinstance(s, numbers.Integral) else tuple(int(n) for n in s) for s in shapes]
    for s in shapes:
        if any(n < 0 for n in s):
            raise RuntimeError(f"Trying to create tensor with negative dimension {min(s)}: {list(s)}")
    out = [1] * max((len(s) for s in shapes), default=0)
    for k, s in enumerate(shapes):
        for j in range(1, len(s) + 1):
            n = s[-j]
            if n == out[-j] or n == 1:
                continue
            if out[-j] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {n} at {-j}! Mismatching argument "
                                   f"at index {k} had {s}; but expected shape should be broadcastable to {out}")
            out[-j] = n
    return Size(out)


# ---- gradient -------------------------------------------------------------------------------------------------------

def _dims(input, dim):
    if dim is None:
        return list(range(input.ndim))
    dims = [dim] if isinstance(dim, numbers.Integral) else list(dim)
    return [d + input.ndim if d < 0 else d for d in dims]


def _spacings(input, spacing, dims, given_dim):
    """Per dim: a number (uniform steps) or the coordinates (a 1-D Tensor)."""
    if isinstance(spacing, (numbers.Number, Tensor)) and not (isinstance(spacing, Tensor) and spacing.ndim):
        return [spacing.item() if isinstance(spacing, Tensor) else spacing] * len(dims)
    spacing = list(spacing)
    if len(spacing) != len(dims):
        what = (f"'self.dim() = {input.ndim}', since dim argument was not given" if not given_dim else
                f"'dim.size() = {len(dims)}', since dim argument was given")
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal "
                           f"to {what}, but got a list of length {len(spacing)}")
    return [s.item() if isinstance(s, Tensor) and s.ndim == 0 else s for s in spacing]


def _shaped(c, d, ndim):
    """1-D coordinates c as a tensor that broadcasts along dim d of an ndim-dim tensor."""
    return c.reshape((-1,) + (1,) * (ndim - d - 1))


def _uniform(f, d, h, edge_order):
    n = f.shape[d]
    part = f.narrow
    inner = (part(d, 2, n - 2) - part(d, 0, n - 2)) / (2 * h)
    if edge_order == 1:
        first = (part(d, 1, 1) - part(d, 0, 1)) / h
        last = (part(d, n - 1, 1) - part(d, n - 2, 1)) / h
    else:
        first = (-1.5 * part(d, 0, 1) + 2 * part(d, 1, 1) - 0.5 * part(d, 2, 1)) / h
        last = (0.5 * part(d, n - 3, 1) - 2 * part(d, n - 2, 1) + 1.5 * part(d, n - 1, 1)) / h
    return first, inner, last


def _coordinates(f, d, x, edge_order):
    """NumPy's second-order differences on the coordinates x (a 1-D tensor of f.shape[d] values)."""
    n, nd = f.shape[d], f.ndim
    x = x.to(f.dtype)
    dx = x[1:] - x[:-1]
    dx1, dx2 = _shaped(dx[:-1], d, nd), _shaped(dx[1:], d, nd)
    part = f.narrow
    a, b, c = -dx2 / (dx1 * (dx1 + dx2)), (dx2 - dx1) / (dx1 * dx2), dx1 / (dx2 * (dx1 + dx2))
    inner = a * part(d, 0, n - 2) + b * part(d, 1, n - 2) + c * part(d, 2, n - 2)
    if edge_order == 1:
        first = (part(d, 1, 1) - part(d, 0, 1)) / dx[0]
        last = (part(d, n - 1, 1) - part(d, n - 2, 1)) / dx[-1]
    else:
        d1, d2 = dx[0], dx[1]
        first = (-(2 * d1 + d2) / (d1 * (d1 + d2)) * part(d, 0, 1) + (d1 + d2) / (d1 * d2) * part(d, 1, 1)
                 - d1 / (d2 * (d1 + d2)) * part(d, 2, 1))
        d1, d2 = dx[-2], dx[-1]
        last = (d2 / (d1 * (d1 + d2)) * part(d, n - 3, 1) - (d2 + d1) / (d1 * d2) * part(d, n - 2, 1)
                + (2 * d2 + d1) / (d2 * (d1 + d2)) * part(d, n - 1, 1))
    return first, inner, last


@declare(method=False)
def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The derivative of the sampled function `input` along each dim (or the dims `dim`) by central differences
    (one-sided of order `edge_order` at the ends), one tensor per dim: `spacing` is the step (a number, one per dim)
    or the sample coordinates (a 1-D tensor per dim). Differentiable.

    Example: ``torch.gradient(torch.tensor([1., 2., 4., 8.]))`` is ``(tensor([1., 1.5, 3., 4.]),)``."""
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    dims = _dims(input, dim)
    spacings = _spacings(input, spacing, dims, dim is not None)
    if any(input.shape[d] < edge_order + 1 for d in dims):
        raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    f = input if input.is_floating_point() or input.is_complex() else input.to("float32")
    from .joining import cat
    out = []
    for d, h in zip(dims, spacings):
        if isinstance(h, Tensor):
            if h.ndim != 1 or h.shape[0] != input.shape[d]:
                raise RuntimeError(f"torch.gradient expected each tensor to be on the same device and of size "
                                   f"{input.shape[d]} along dim {d}, but got {list(h.shape)}")
            first, inner, last = _coordinates(f, d, h, edge_order)
        else:
            first, inner, last = _uniform(f, d, h, edge_order)
        out.append(cat([first, inner, last], d))
    return tuple(out)


# ---- histogram / histogramdd ----------------------------------------------------------------------------------------

def _edges(xp, data, d, bins, lo_hi, dtype):
    """The bin edges of dim d: the given 1-D tensor, or `bins` equal bins over lo_hi (over data's range where None;
    a zero-width range widened by 0.5 each side, as PyTorch)."""
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.shape[0] < 1:
            raise RuntimeError(f"torch.histogramdd(): bins tensor should have one dimension, but got "
                               f"{bins.ndim} dimensions in the bins tensor for dimension {d}")
        return bins._data.astype(dtype, copy=False)
    bins = int(bins)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension {d}")
    if lo_hi is None:
        column = data[:, d]
        lo, hi = (float(column.min()), float(column.max())) if column.size else (0.0, 0.0)
    else:
        lo, hi = lo_hi
        if lo > hi:
            raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for "
                               f"dimension {d}")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension {d}'s range [{lo:g}, {hi:g}] is not finite")
    if lo == hi:
        lo, hi = (0.0, 1.0) if lo_hi is None and not data.size else (lo - 0.5, hi + 0.5)
    return xp.linspace(lo, hi, bins + 1).astype(dtype)


def _histogramdd(input, bins, range, weight, density, op):
    if not input.is_floating_point():
        raise not_implemented("histogramdd", input)
    data = input._data
    xp = xp_of(data)
    n_dims = data.shape[-1] if data.ndim else 1
    data = data.reshape(-1, n_dims)
    per_dim = list(bins) if isinstance(bins, (list, tuple)) else [bins] * n_dims
    if len(per_dim) != n_dims:
        raise RuntimeError(f"{op}(): expected {n_dims} sequences of bin edges for each of the {n_dims} dimensions "
                           f"of input, but got {len(per_dim)}")
    if range is not None and len(range) != 2 * n_dims:
        raise RuntimeError(f"{op}(): for a {n_dims}-dimensional histogram, range should have {2 * n_dims} elements, "
                           f"but got {len(range)}")
    edges = [_edges(xp, data, d, b, None if range is None else (float(range[2 * d]), float(range[2 * d + 1])),
                    data.dtype) for d, b in enumerate(per_dim)]
    sizes = [e.shape[0] - 1 for e in edges]
    keep = xp.ones(data.shape[0], dtype=bool)
    flat = xp.zeros(data.shape[0], dtype=np.int64)
    for d, e in enumerate(edges):
        column = data[:, d]
        keep &= (column >= e[0]) & (column <= e[-1])
        pos = xp.clip(xp.searchsorted(e, column, side="right") - 1, 0, sizes[d] - 1)   # the last bin closed
        flat = flat * sizes[d] + pos
    w = None
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape[:-1] if input.ndim > 1 else input.shape):
            raise RuntimeError(f"{op}(): if weight tensor is provided it should have the same shape as the input "
                               f"tensor excluding its innermost dimension, but got input with shape "
                               f"{list(input.shape)} and weight with shape {list(weight.shape)}")
        w = weight._data.reshape(-1)[keep].astype(np.float64)
    hist = xp.bincount(flat[keep], weights=w, minlength=math.prod(sizes)).astype(data.dtype).reshape(sizes)
    if density:
        total = hist.sum()
        for d, e in enumerate(edges):
            shape = [1] * n_dims
            shape[d] = -1
            hist = hist / (e[1:] - e[:-1]).reshape(shape)
        hist = hist / total
    return wrap(hist.astype(data.dtype, copy=False), data), [wrap(e, data) for e in edges]


@declare
def histogram(input, bins=100, *, range=None, weight=None, density=False):  # noqa: A002  (PyTorch's names)
    """A histogram of `input`: `bins` equal bins over `range` (default: input's min and max) or the given bin edges
    (a 1-D tensor), the last bin closed; optional `weight` per element; density=True divides by the total and the
    bin widths. Returns (hist, bin_edges). Not differentiable.

    Example: ``torch.histogram(torch.tensor([1., 2., 1.]), bins=4, range=(0., 3.))`` has ``hist`` ``[0, 2, 1, 0]``."""
    if isinstance(bins, Tensor) and bins.ndim != 1:
        raise RuntimeError(f"torch.histogram(): bins tensor should have one dimension, but got {bins.ndim} "
                           "dimensions in the bins tensor")
    flat = input.reshape(-1, 1)
    hist, edges = _histogramdd(flat, [bins], range, None if weight is None else weight.reshape(-1), density,
                               "torch.histogram")
    return return_types.histogram._of(hist, edges[0])


@declare(method=False)
def histogramdd(input, bins, *, range=None, weight=None, density=False):  # noqa: A002
    """A D-dimensional histogram of the points `input` (..., D): bins per dim (an int for all, a list of ints, or a
    list of 1-D edge tensors), `range` a flat list (min0, max0, min1, max1, ...). Returns (hist, bin_edges).

    Example: ``torch.histogramdd(torch.rand(100, 2), bins=[3, 4]).hist.shape`` is ``torch.Size([3, 4])``."""
    hist, edges = _histogramdd(input, bins, range, weight, density, "torch.histogramdd")
    return return_types.histogramdd._of(hist, tuple(edges))


# ---- typename / is_storage ------------------------------------------------------------------------------------------

@declare(method=False)
def typename(obj):
    """The type name of obj: a tensor's legacy type ('autograd_lite.FloatTensor'), else module and qualified name
    ('int', 'autograd_lite.nn.modules.linear.Linear')."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module, qualname = obj.__class__.__module__ or "", obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


@declare(method=False)
def is_storage(obj):
    """False: autograd_lite has no storage objects (a tensor's memory is its array), so nothing is one."""
    return False
