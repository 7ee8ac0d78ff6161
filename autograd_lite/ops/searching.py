"""Searching sorted and repeated values (integer or bool results, no gradient): searchsorted, bucketize, isin,
unique_consecutive.

Example::

    autograd_lite.bucketize(autograd_lite.tensor([3, 6, 9]), autograd_lite.tensor([1, 3, 5, 7]))   # [1, 3, 4]
"""
from .. import _api
from .._args import canon_dim
from ..tensor import Tensor
from ._util import as_tensor, refuse_complex, wrap, xp_of

declare = _api.declare


def _side(side, right):
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
    if right and side == "left":
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left while "
                           "right was True")
    return side


@declare(method=False)
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where each value of input would go in sorted_sequence (its last dim) to keep it sorted: the first such
    place, or the last with right=True (side='right'). A 1-D sequence serves every value; an N-D one holds a
    sequence per row of input's leading dims.

    Example: ``autograd_lite.searchsorted(autograd_lite.tensor([1, 3, 5]), autograd_lite.tensor([3, 6]))`` gives
    ``[1, 3]``."""
    for t in (sorted_sequence, input):
        refuse_complex(t, "\"searchsorted_out_cpu\" not implemented for '{type}'")
    side = _side(side, right)
    scalar = not isinstance(input, Tensor)
    values = as_tensor(input, sorted_sequence)._data
    seq = sorted_sequence._data
    xp = xp_of(seq)
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
    if sorter is not None:
        if tuple(sorter.shape) != tuple(seq.shape):
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)}and got sorter tensor {list(sorter.shape)}")
        seq = xp.take_along_axis(seq, sorter._data, axis=-1)
    if seq.ndim == 1:
        out = xp.searchsorted(seq, values, side=side)
    else:
        if scalar or seq.shape[:-1] != values.shape[:-1]:
            raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                               "dimensions of boundaries tensor and input value tensor must match, but we got "
                               f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
        rows, vals = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        out = xp.stack([xp.searchsorted(r, v, side=side) for r, v in zip(rows, vals)]).reshape(values.shape) \
            if rows.shape[0] else xp.zeros(values.shape, "int64")
    return wrap(xp.asarray(out).astype("int32" if out_int32 else "int64"), seq)


@declare(method=False)
def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value of input among the sorted 1-D boundaries: i with boundaries[i-1] < x <=
    boundaries[i] (with right=True: boundaries[i-1] <= x < boundaries[i]).

    Example: ``autograd_lite.bucketize(autograd_lite.tensor([3, 6]), autograd_lite.tensor([1, 3, 5]))`` gives
    ``[1, 3]``."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


@declare(method=False)
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element of `elements` is in `test_elements` (either may be a number), as a bool tensor of
    elements' shape; invert=True for the opposite.

    Example: ``autograd_lite.isin(autograd_lite.tensor([1, 2, 3]), autograd_lite.tensor([2, 5]))`` gives
    ``[False, True, False]``."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin() received an invalid combination of arguments: expected at least one Tensor")
    like = elements if isinstance(elements, Tensor) else test_elements
    a, b = as_tensor(elements, like)._data, as_tensor(test_elements, like)._data
    if "c" in (a.dtype.kind, b.dtype.kind):
        raise RuntimeError(f"Unsupported input type encountered for isin(): {like.dtype.scalar_type}")
    xp = xp_of(a)
    return wrap(xp.isin(a, b, assume_unique=assume_unique, invert=invert), a)


@declare
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """The tensor with each run of equal consecutive elements (slices along `dim`, when given) kept once; with
    return_inverse, the run each element belongs to; with return_counts, the length of each run.

    Example: ``autograd_lite.unique_consecutive(autograd_lite.tensor([1, 1, 2, 1]))`` gives ``[1, 2, 1]``."""
    refuse_complex(input, "\"unique\" not implemented for '{type}'" if dim is None else
                   "\"unique_dim\" not implemented for '{type}'")
    d = input._data
    xp = xp_of(d)
    if dim is None:
        flat = d.reshape(-1)
        change = flat[1:] != flat[:-1]
        shape_inverse = d.shape
        axis = 0
        data = flat
    else:
        axis = canon_dim(dim, d.ndim, "unique_consecutive")
        data = xp.moveaxis(d, axis, 0)
        n = data.shape[0]
        change = (data[1:] != data[:-1]).reshape(max(n - 1, 0), -1).any(axis=1)
        shape_inverse = (n,)
    n = data.shape[0]
    if n == 0:
        starts = xp.zeros(0, "int64")
    else:
        starts = xp.concatenate([xp.zeros(1, "int64"), xp.nonzero(change)[0].astype("int64") + 1])
    values = data[starts]
    if dim is not None:
        values = xp.moveaxis(values, 0, axis)
    out = [wrap(xp.ascontiguousarray(values), d)]
    if return_inverse:
        run = xp.cumsum(xp.concatenate([xp.zeros(1, "int64"), change.astype("int64")]))[:n] if n else \
            xp.zeros(0, "int64")
        out.append(wrap(run.reshape(shape_inverse), d))
    if return_counts:
        out.append(wrap(xp.diff(xp.concatenate([starts, xp.asarray([n], dtype="int64")])), d))
    return out[0] if len(out) == 1 else tuple(out)
