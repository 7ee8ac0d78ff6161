"""as_strided (a view of a tensor's storage with any sizes and strides), its in-place form and as_strided_scatter.

The storage is the C-contiguous array a CPU tensor's array views (its root NumPy base): exactly torch's storage for
a contiguous tensor and its views, with torch's default offset (``x.storage_offset()``). Elsewhere (a GPU array, a
base that is not C-contiguous) the storage is the tensor's own elements in row-major order, starting at offset 0."""
import numpy as np

from .. import _api
from .._api import TOP
from .._args import shape_arg
from ..autograd.op_function import Function, TensorBase
from ..creation import zeros as _zeros
from ..tensor import Tensor
from ._util import wrap, xp_of

declare = _api.declare


def _storage(d):
    """(the flat storage array, the offset of d's first element in it, whether that storage is d's memory)."""
    if type(d) is np.ndarray:
        root = d
        while isinstance(root.base, np.ndarray):
            root = root.base
        if root.dtype == d.dtype and root.flags.c_contiguous:
            return root.reshape(-1), (int(d.__array_interface__["data"][0]) -
                                      int(root.__array_interface__["data"][0])) // d.itemsize, True
    if d.flags.c_contiguous:
        return d.reshape(-1), 0, True
    return xp_of(d).ascontiguousarray(d).reshape(-1), 0, False


def _overlaps(size, stride):
    """Whether two elements of the (size, stride) geometry may share a location (dims of size 1 do not count)."""
    dims = sorted((st, s) for s, st in zip(size, stride) if s > 1)
    extent = 1
    for st, s in dims:
        if st < extent:
            return True
        extent = st * s
    return False


def _check(size, stride, offset, n, itemsize):
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and strides={list(stride)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    need = 0 if 0 in size else offset + sum((s - 1) * st for s, st in zip(size, stride)) + 1
    if need > n:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {itemsize} requiring a storage size of {need * itemsize} are out of bounds for "
                           f"storage of size {n * itemsize}")


def _strided(flat, size, stride, offset):
    """The view of 1-d `flat` with element sizes/strides from `offset` (read-only where elements overlap)."""
    b = flat.itemsize
    out = xp_of(flat).lib.stride_tricks.as_strided(flat[offset:], tuple(size), tuple(s * b for s in stride))
    return out if type(out) is type(flat) else out.view(type(flat))      # NumPy's drops an array subclass


def _positions(n, size, stride, offset, like):
    """For each element of the strided view: its position in a storage of n elements (an int64 array)."""
    return _strided(xp_of(like).arange(n, dtype=np.int64), size, stride, offset)


class AsStrided(Function):
    """out = view of x's storage; the gradient sums g into the storage positions, then reads x's positions back."""
    is_view = True

    @staticmethod
    def forward(ctx, x, size, stride, offset):
        flat, start, shared = _storage(x)
        offset = start if offset is None else offset
        _check(size, stride, offset, flat.size, x.itemsize)
        in_stride = tuple(s // x.itemsize for s in x.strides) if shared else None
        ctx.geometry = (flat.size, size, stride, offset, x.shape, in_stride, start)
        out = _strided(flat, size, stride, offset)
        if not shared:
            return out.copy()            # a copy's view: not x's memory, so not a view of x
        if _overlaps(size, stride) and isinstance(out, np.ndarray):     # (CuPy's arrays have no such flag)
            out.flags.writeable = False          # elements share a location: in-place writes fail, as torch's
        return out

    @staticmethod
    def backward(ctx, g):
        n, size, stride, offset, in_shape, in_stride, start = ctx.geometry
        data = g._data if isinstance(g, TensorBase) else g
        xp = xp_of(data)
        out_pos = _positions(n, size, stride, offset, data).reshape(-1)
        if in_stride is None:                   # x was copied into a storage of its own, row-major
            in_pos = xp.arange(n, dtype=np.int64).reshape(in_shape)
        else:
            in_pos = _positions(n, in_shape, in_stride, start, data)
        share = None               # x's elements that alias one location (x expanded) split its gradient, as torch's
        if in_stride is not None and _overlaps(in_shape, in_stride):
            share = (1 / xp.bincount(in_pos.reshape(-1), minlength=n)[in_pos]).astype(data.dtype)
        if isinstance(g, TensorBase):
            storage = _zeros(n, dtype=g.dtype, device=g.device)
            storage = TOP["index_add"](storage, 0, wrap(xp.ascontiguousarray(out_pos), data), g.reshape(-1))
            gx = TOP["take"](storage, wrap(xp.ascontiguousarray(in_pos), data))
            return (gx if share is None else gx * wrap(share, data)), None, None, None
        flat = data.reshape(-1)
        if flat.dtype.kind == "c":              # bincount weighs with reals: the two parts apart
            storage = (xp.bincount(out_pos, weights=flat.real, minlength=n)
                       + 1j * xp.bincount(out_pos, weights=flat.imag, minlength=n)).astype(data.dtype, copy=False)
        else:
            storage = xp.bincount(out_pos, weights=flat, minlength=n).astype(data.dtype, copy=False)
        gx = storage[in_pos]
        return (gx if share is None else gx * share), None, None, None


def _args(op, size, stride, storage_offset):
    size, stride = shape_arg((size,), op), tuple(int(s) for s in stride)
    return size, stride, None if storage_offset is None else int(storage_offset)


@declare(inplace=False)
def as_strided(input, size, stride, storage_offset=None):
    """A view of input's storage with the given sizes and strides (in elements) from `storage_offset` (default:
    input's own); elements may repeat. The gradient sums over repeats.

    Example: ``autograd_lite.as_strided(autograd_lite.arange(6.), (2, 3), (1, 1))`` is ``[[0, 1, 2], [1, 2, 3]]``"""
    return AsStrided.apply(input, *_args("as_strided", size, stride, storage_offset))


def as_strided_(input, size, stride, storage_offset=None):
    """In place: input becomes the strided view of its own storage (sizes, strides and offset as ``as_strided``).

    Example: ``x = autograd_lite.zeros(6); x.as_strided_((2, 2), (1, 2))``"""
    size, stride, offset = _args("as_strided_", size, stride, storage_offset)
    if input.requires_grad and input.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    out = AsStrided.apply(input, size, stride, offset)
    input._data, input.grad_fn, input._rg = out._data, out.grad_fn, out._rg
    return input


Tensor.as_strided_ = as_strided_
TOP["as_strided_"] = as_strided_


@declare
def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of input with its strided view (sizes, strides, offset as ``as_strided``) replaced by src; gradients
    flow to both (input's outside the view, src's from it).

    Example: ``autograd_lite.as_strided_scatter(autograd_lite.zeros(6), autograd_lite.ones(2, 2), (2, 2), (1, 2))``"""
    size, stride, offset = _args("as_strided_scatter", size, stride, storage_offset)
    if tuple(src.shape) != size:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(size)}")
    out = input.clone()
    view = AsStrided.apply(out, size, stride, offset)
    if not view._data.flags.writeable:
        raise RuntimeError("as_strided_scatter: the view's elements overlap; torch leaves this undefined")
    view.copy_(src)
    return out
