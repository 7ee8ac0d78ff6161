"""Sorting, selection and counting: sort argsort kthvalue median mode (their values are a gather of the input, so
differentiable to any order), unique, bincount, histc (counts: no gradient, as PyTorch)."""
import math

from .. import _api, return_types
from .. import _float8
from .._args import canon_dim
from ..autograd.op_function import Function
from ..tensor import Tensor
from . import _formula as m
from ._util import not_implemented, refuse_complex, wrap, xp_of
from .indexing import gather
from .shape import squeeze

declare = _api.declare


SortResult = return_types.sort._of              # SortResult(values, indices): autograd_lite.return_types.sort
KthvalueResult = return_types.kthvalue._of
MedianResult = return_types.median._of
ModeResult = return_types.mode._of


def order(a, dim, descending=False):
    """The stable sorting permutation of array `a` along `dim` (int64). Descending keeps equal elements in their
    order too, and puts NaN first (PyTorch's order: NaN is the largest)."""
    if a.dtype.kind == "c":             # complex numbers have no order (NumPy's would be lexicographic)
        raise RuntimeError(" Sort does not support complex dtypes on CPU")
    xp = xp_of(a)
    if not descending:
        return xp.argsort(a, axis=dim, kind="stable").astype("int64", copy=False)
    n = a.shape[dim]
    flipped = xp.argsort(xp.flip(a, dim), axis=dim, kind="stable")    # equal elements: last one first
    return xp.flip(n - 1 - flipped, dim).astype("int64", copy=False)


def _index(array):
    return Tensor._make(array)


def _selected(x, d, idx, keepdim, result):
    """(x gathered at the keepdim-shaped `idx` along d, idx), squeezed unless keepdim: differentiable values."""
    idx_t = _index(idx)
    values = gather(x, d, idx_t)
    if keepdim or x.ndim == 0:
        return result(values, idx_t)
    return result(squeeze(values, d), _index(idx.squeeze(d)))


def _zero_index(x):
    return _index(xp_of(x._data).zeros((), dtype="int64"))


def _nonempty_dim(x, d, op):
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


@declare
def sort(x, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along `dim`; equal elements keep their order (every sort here is stable).

    Example: ``values, indices = x.sort(dim=1, descending=True)``"""
    d = canon_dim(dim, x.ndim, "sort")
    if x.ndim == 0:
        return SortResult(gather(x, 0, _zero_index(x)), _zero_index(x))
    idx = _index(order(x._data, d, descending))
    return SortResult(gather(x, d, idx), idx)


@declare
def argsort(x, dim=-1, descending=False, stable=False):
    """The indices that sort x along `dim` (``x.sort(...).indices``)."""
    d = canon_dim(dim, x.ndim, "argsort")
    if x.ndim == 0:
        return _zero_index(x)
    return _index(order(x._data, d, descending))


@declare
def kthvalue(x, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest element along `dim` (k counts from 1).

    Example: ``torch.kthvalue(x, 2, dim=0)``"""
    refuse_complex(x, "\"kthvalue_cpu\" not implemented for '{type}'")
    d = canon_dim(dim, x.ndim, "kthvalue")
    n = x.shape[d] if x.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if x.ndim == 0:
        return KthvalueResult(gather(x, 0, _zero_index(x)), _zero_index(x))
    xp = xp_of(x._data)
    idx = xp.take(order(x._data, d), xp.arange(k - 1, k), axis=d)
    return _selected(x, d, idx, keepdim, KthvalueResult)


class Median(Function):
    """median() of all elements: the lower median; NaN if any element is; elements equal to it share the
    gradient evenly, as in PyTorch."""

    @staticmethod
    def forward(ctx, x):
        xp = xp_of(x)
        flat = x.reshape(-1)
        n = flat.size
        if n == 0 or (x.dtype.kind == "f" and bool(xp.isnan(flat).any())):
            out = xp.full((), math.nan, dtype=x.dtype)
        else:
            k = (n - 1) // 2
            out = xp.asarray(xp.partition(flat, k)[k])
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = (m.data(v) for v in ctx._saved)
        xp = xp_of(x)
        mask = xp.isnan(x) if bool(xp.isnan(out)) else x == out      # piecewise constant
        return g * (mask / mask.sum()).astype(x.dtype)


@declare
def median(x, dim=None, keepdim=False):
    """The lower median of all elements (a tensor); along `dim`, (values, indices). NaN wins where present.

    Example: ``torch.median(torch.tensor([1., 4., 2., 3.]))`` is ``tensor(2.)``"""
    refuse_complex(x, "\"median_cpu\" not implemented for '{type}'" if dim is None else
                   "\"median_out\" not implemented for '{type}'")
    if dim is None:
        return Median.apply(x)
    d = canon_dim(dim, x.ndim, "median")
    _nonempty_dim(x, d, "median")
    if x.ndim == 0:
        return MedianResult(gather(x, 0, _zero_index(x)), _zero_index(x))
    data = x._data
    xp = xp_of(data)
    n = data.shape[d]
    pos = xp.full((1,) * data.ndim, (n - 1) // 2, dtype="int64")
    if data.dtype.kind == "f":              # sorted last: the first NaN of the slice is the median
        nans = xp.isnan(data).sum(axis=d, keepdims=True)
        pos = xp.where(nans > 0, n - nans, pos)
    shape = list(data.shape)
    shape[d] = 1
    idx = xp.take_along_axis(order(data, d), xp.broadcast_to(pos, tuple(shape)), axis=d)
    return _selected(x, d, idx, keepdim, MedianResult)


def _mode_index(data, d):
    """The index (keepdim shape) of the mode along d: the most frequent value, the smallest among equally frequent
    ones; its last occurrence (PyTorch's choice for small inputs)."""
    xp = xp_of(data)
    a = xp.moveaxis(data, d, -1)
    lead, n = a.shape[:-1], a.shape[-1]
    rows = a.reshape(-1, n)
    count = rows.shape[0]
    perm = order(rows, 1)
    s = xp.take_along_axis(rows, perm, axis=1)
    new = xp.ones(s.shape, dtype=bool)
    new[:, 1:] = s[:, 1:] != s[:, :-1]
    runs = xp.cumsum(new, axis=1) - 1 + xp.arange(count)[:, None] * n      # run ids, increasing over all rows
    flat = runs.reshape(-1)
    start = xp.searchsorted(flat, flat, side="left").reshape(count, n)
    end = xp.searchsorted(flat, flat, side="right").reshape(count, n)
    best = xp.argmax(end - start, axis=1)[:, None]                        # first longest run: the smallest value
    last = xp.take_along_axis(end, best, axis=1) - 1 - xp.arange(count)[:, None] * n
    idx = xp.take_along_axis(perm, last, axis=1)
    return xp.moveaxis(idx.reshape(lead + (1,)), -1, d)


@declare
def mode(x, dim=-1, keepdim=False):
    """(values, indices) of the most frequent value along `dim` (the smallest one on ties of frequency).

    Example: ``torch.mode(torch.tensor([1, 2, 2, 3]))`` gives values ``tensor(2)``"""
    refuse_complex(x, "\"mode_cpu\" not implemented for '{type}'")
    d = canon_dim(dim, x.ndim, "mode")
    _nonempty_dim(x, d, "mode")
    if x.ndim == 0:
        return ModeResult(gather(x, 0, _zero_index(x)), _zero_index(x))
    data = x._data
    if data.size == 0:              # an empty other dim: empty results
        shape = list(data.shape)
        shape[d] = 1
        return _selected(x, d, xp_of(data).zeros(shape, dtype="int64"), keepdim, ModeResult)
    return _selected(x, d, _mode_index(data, d), keepdim, ModeResult)


@declare
def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or distinct slices along `dim`), sorted; optionally the index of each input element
    in them (inverse) and how often each occurs (counts). Not differentiable.

    Example: ``values, counts = torch.unique(t, return_counts=True)``"""
    refuse_complex(x, "\"unique\" not implemented for '{type}'" if dim is None else
                   "\"unique_dim\" not implemented for '{type}'")
    _float8.refuse("unique", x)
    data = x._data
    xp = xp_of(data)
    nan = {"equal_nan": False} if data.dtype.kind == "f" else {}      # each NaN distinct, as PyTorch
    if dim is None:
        values, inverse, counts = xp.unique(data.reshape(-1), return_inverse=True, return_counts=True, **nan)
        inverse = inverse.reshape(data.shape)
    else:
        if x.ndim == 0:
            raise IndexError(f"unique(): Dimension specified as {dim} but tensor has no dimensions")
        d = canon_dim(dim, x.ndim, "unique")
        values, inverse, counts = xp.unique(data, return_inverse=True, return_counts=True, axis=d, **nan)
        inverse = inverse.reshape(-1)
    out = (wrap(values, data),)
    if return_inverse:
        out += (wrap(inverse.astype("int64", copy=False), data),)
    if return_counts:
        out += (wrap(counts.astype("int64", copy=False), data),)
    return out[0] if len(out) == 1 else out


@declare
def bincount(x, weights=None, minlength=0):
    """How often each value 0, 1, ..., max(x) occurs in the 1-D non-negative integer tensor x (the sum of `weights`
    at those positions, if given); at least `minlength` bins.

    Example: ``torch.bincount(torch.tensor([0, 2, 2]))`` is ``tensor([1, 0, 2])``"""
    data = x._data
    if data.dtype.kind not in "iu":
        raise not_implemented("bincount", x)
    xp = xp_of(data)
    if data.ndim != 1 or (data.size and int(data.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return wrap(xp.bincount(data, minlength=minlength).astype("int64", copy=False), data)
    w = weights._data
    if w.ndim != 1 or w.shape[0] != data.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if type(w) is not type(data):
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{x.device} and {weights.device}! (in bincount)")
    dt = w.dtype if w.dtype.kind == "f" and w.dtype.itemsize >= 4 else "float64"      # PyTorch's result dtypes
    return wrap(xp.bincount(data, weights=w, minlength=minlength).astype(dt, copy=False), data)


@declare
def histc(x, bins=100, min=0, max=0):  # noqa: A002  (PyTorch's argument names)
    """A histogram of x: `bins` equal bins over [min, max] (over x's own range when min == max), the last bin closed;
    elements outside (and NaN) are left out. Not differentiable.

    Example: ``torch.histc(torch.tensor([1., 2., 1.]), bins=4, min=0, max=3)`` is ``tensor([0., 2., 1., 0.])``"""
    data = x._data
    if data.dtype.kind not in "fV":
        raise not_implemented("histc", x)
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, but got {bins}")
    xp = xp_of(data)
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"histc: range of [{lo:g}, {hi:g}] is not finite")
    if not lo < hi:
        raise RuntimeError("histc: max must be larger than min")
    flat = data.reshape(-1)
    left, right = xp.asarray(lo, dtype=data.dtype), xp.asarray(hi, dtype=data.dtype)
    inside = flat[(flat >= left) & (flat <= right)]
    # PyTorch's arithmetic, in x's dtype: (x - left) * bins / (right - left), the right edge in the last bin
    pos = ((inside - left) * xp.asarray(bins, dtype=data.dtype) / (right - left)).astype("int64")
    pos = xp.minimum(pos, bins - 1)
    return wrap(xp.bincount(pos, minlength=bins).astype(data.dtype), data)
