"""Statistics composed of the reductions, sort and gather (so every order of gradient comes with them): nansum,
nanmean, count_nonzero, std_mean, var_mean, quantile, nanquantile, nanmedian, msort, cov, corrcoef.

Example::

    autograd_lite.quantile(autograd_lite.tensor([1.0, 2.0, 3.0, 4.0]), 0.25)       # tensor(1.7500)
"""
from .. import _api, return_types
from .. import _float8
from .._args import canon_dim, canon_dims
from ..tensor import Tensor
from ._util import cast, quiet, refuse_complex, to_float, wrap, xp_of
from .arithmetic import clamp
from .indexing import gather, where
from .math import sqrt
from .reduction import mean, std, sum as _sum, var, _numpy_names
from .shape import diag, movedim, reshape, squeeze, unsqueeze
from .sorting import sort

declare = _api.declare


def _nan_zeroed(x):
    if x._data.dtype.kind not in "fV":
        return x
    return where(wrap(xp_of(x._data).isnan(x._data), x._data), 0.0, x)


@declare
def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """The sum over `dim` (or all) with NaN counted as zero (and given a zero gradient).

    Example: ``autograd_lite.nansum(autograd_lite.tensor([1.0, float('nan'), 2.0]))`` gives ``3.``."""
    refuse_complex(input, "nansum on CPU does not support complex inputs", RuntimeError)
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = input.to(dtype)
    return _sum(_nan_zeroed(input), dim, keepdim)


@declare
def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """The mean over `dim` (or all) of the elements that are not NaN (NaN where all are).

    Example: ``autograd_lite.nanmean(autograd_lite.tensor([1.0, float('nan'), 2.0]))`` gives ``1.5``."""
    dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind not in "fV":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{input.dtype.scalar_type}")
    d = input._data
    dims = canon_dims(dim, input.ndim, "nanmean")
    count = (~xp_of(d).isnan(d)).sum(axis=dims, keepdims=keepdim).astype(d.dtype)
    with quiet(xp_of(d)):
        return _sum(_nan_zeroed(input), dim, keepdim) / wrap(count, d)


@declare
def count_nonzero(input, dim=None):
    """The number of nonzero elements over `dim` (an int or a tuple; all by default), as int64.

    Example: ``autograd_lite.count_nonzero(autograd_lite.tensor([0, 1, 2]))`` gives ``2``."""
    dims = canon_dims(dim, input.ndim, "count_nonzero")
    _float8.refuse("count_nonzero", input)
    d = input._data
    return wrap(xp_of(d).asarray((d != 0).sum(axis=dims)).astype("int64"), d)


def _spread_mean(spread, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):               # std_mean(x, False): the old unbiased positional
        dim, unbiased = None, dim
    return spread(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


@declare(method=False)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over `dim`, as std and mean give them (Bessel's correction unless correction=0).

    Example: ``s, m = autograd_lite.std_mean(x, dim=1)``"""
    return _spread_mean(std, input, dim, unbiased, keepdim, correction)


@declare(method=False)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over `dim`, as var and mean give them (Bessel's correction unless correction=0).

    Example: ``v, m = autograd_lite.var_mean(x, dim=1)``"""
    return _spread_mean(var, input, dim, unbiased, keepdim, correction)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, op):
    if input._data.dtype.kind not in "fV":
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    xp, dt = xp_of(input._data), input._data.dtype
    scalar_q = not isinstance(q, Tensor)
    if scalar_q:
        qs = xp.asarray([float(q)], dtype=dt)
    else:
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        if q._data.dtype != dt:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        scalar_q = q.ndim == 0
        qs = q._data.reshape(-1)
    if qs.size and bool(((qs < 0) | (qs > 1)).any()):
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]" if not scalar_q or isinstance(q, Tensor)
                           else f"{op}() q must be in the range [0, 1] but got {float(q)}")
    if input.numel() == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if dim is None:
        x, d = reshape(input, (-1,)), 0
    else:
        x, d = input, canon_dim(dim, input.ndim, op)
        if x.ndim == 0:
            x = reshape(x, (1,))
    s = movedim(sort(x, d).values, d, -1)               # NaN sorts last
    n = s.shape[-1]
    nan = xp.isnan(s._data)
    count = (n - nan.sum(axis=-1, keepdims=True)) if ignore_nan else xp.full(s.shape[:-1] + (1,), n)
    ranks = qs * (count.astype(dt) - 1)                  # (..., Q)
    if interpolation == "lower":
        ranks = xp.floor(ranks)
    elif interpolation == "higher":
        ranks = xp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = xp.round(ranks)
    lo = xp.clip(xp.floor(ranks), 0, n - 1).astype("int64")
    hi = xp.clip(xp.ceil(ranks), 0, n - 1).astype("int64")
    weight = (ranks - xp.floor(ranks)) if interpolation == "linear" else \
        xp.where(lo == hi, 0, 0.5).astype(dt) if interpolation == "midpoint" else xp.zeros_like(ranks)
    batch = tuple(s.shape[:-1]) + (qs.size,)
    low = gather(s, -1, wrap(xp.broadcast_to(lo, batch), lo))
    high = gather(s, -1, wrap(xp.broadcast_to(hi, batch), hi))
    out = low + (high - low) * wrap(weight.astype(dt), weight)
    invalid = (count == 0) if ignore_nan else nan.any(axis=-1, keepdims=True)
    if bool(invalid.any()):
        out = where(wrap(xp.broadcast_to(invalid, batch), invalid), float("nan"), out)
    out = movedim(out, -1, 0)                            # (Q, ...)
    if keepdim:
        out = unsqueeze(out, d + 1) if dim is not None else reshape(out, (qs.size,) + (1,) * input.ndim)
    return squeeze(out, 0) if scalar_q else out


@declare
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles (q a number or a 1-D tensor in [0, 1]) over `dim` (or all), interpolated between the
    order statistics; NaN where a reduced row has a NaN. A tensor q gives its dim first.

    Example: ``autograd_lite.quantile(autograd_lite.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)`` gives ``2.5``."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@declare
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile with the NaNs left out (NaN only where a reduced row is all NaN).

    Example: ``autograd_lite.nanquantile(autograd_lite.tensor([1.0, float('nan'), 3.0]), 0.5)`` gives ``2.``."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


@declare
def nanmedian(input, dim=None, keepdim=False):
    """The lower median of the elements that are not NaN; along a dim, (values, indices).

    Example: ``autograd_lite.nanmedian(autograd_lite.tensor([1.0, float('nan'), 3.0, 2.0]))`` gives ``2.``."""
    refuse_complex(input, "\"median_cpu\" not implemented for '{type}'")
    xp = xp_of(input._data)
    if dim is None:
        flat = reshape(input, (-1,))
        if flat.numel() == 0:
            return wrap(xp.asarray(float("nan"), input._data.dtype), input._data) \
                if input.dtype.is_floating_point else flat.sum() * 0
        values = sort(flat, 0).values
        k = int(flat.numel() - (xp.isnan(flat._data).sum() if flat._data.dtype.kind in "fV" else 0))
        return values[max(k - 1, 0) // 2]
    d = canon_dim(dim, input.ndim, "nanmedian")
    x = input if input.ndim else reshape(input, (1,))
    if x.shape[d] == 0:
        raise IndexError(f"nanmedian(): Expected reduction dim {d} to have non-zero size.")
    ordered = sort(x, d)
    data = x._data
    k = data.shape[d] - (xp.isnan(data).sum(axis=d, keepdims=True) if data.dtype.kind == "f" else 0)
    pos = wrap(xp.broadcast_to(xp.maximum(k - 1, 0) // 2, data.shape[:d] + (1,) + data.shape[d + 1:])
               .astype("int64"), data)
    values, indices = gather(ordered.values, d, pos), gather(ordered.indices, d, pos)
    if not keepdim or input.ndim == 0:
        values, indices = squeeze(values, d), squeeze(indices, d)
    return return_types.nanmedian._of(values, indices)


@declare
def msort(input):
    """The tensor sorted along its first dim (``sort(input, dim=0).values``).

    Example: ``autograd_lite.msort(autograd_lite.tensor([[2, 1], [1, 3]]))`` gives ``[[1, 1], [2, 3]]``."""
    return sort(input, 0).values


@declare
def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in input's rows (observations in its columns), optionally weighted
    by integer frequency weights and float observation weights; a 1-D input is one variable (a 0-d result).

    Example: ``autograd_lite.cov(autograd_lite.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))`` gives
    ``[[1., -1.], [-1., 1.]]``."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    x = to_float(input) if input.ndim == 2 else reshape(to_float(input), (1, -1))
    n_obs = x.shape[1]
    w = None
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is None:
            continue
        if weights.ndim > 1:
            raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                               f"{weights.ndim} dimensions")
        if weights.numel() != n_obs:
            raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations in the "
                               f"input but got {weights.numel()} != {n_obs}")
        if name == "fweights" and weights.dtype.is_floating_point:
            raise RuntimeError("cov(): expected fweights to have integral dtype")
        if name == "aweights" and not weights.dtype.is_floating_point:
            raise RuntimeError("cov(): expected aweights to have floating point dtype")
        if bool((weights._data < 0).any()):
            raise RuntimeError(f"cov(): {name} cannot be negative")
        weights = cast(weights, x.dtype)
        w = weights if w is None else w * weights
    if w is None:
        avg, w_sum = mean(x, 1), n_obs
        norm = w_sum - correction
    else:
        w_sum = _sum(w)
        avg = _sum(x * w, 1) / w_sum
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * _sum(w * cast(aweights, x.dtype)) / w_sum
    if (float(norm.item()) if isinstance(norm, Tensor) else norm) <= 0:
        norm = norm * 0 if isinstance(norm, Tensor) else 0
    with quiet(xp_of(x._data)):
        xm = x - unsqueeze(avg, 1)
        c = ((xm * w if w is not None else xm) @ (xm.mH if xm.is_complex() else xm.mT)) / norm
    return squeeze(c) if input.ndim < 2 else c


@declare
def corrcoef(input):
    """The Pearson correlation coefficients of the variables in input's rows, clipped to [-1, 1].

    Example: ``autograd_lite.corrcoef(autograd_lite.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))`` gives
    ``[[1., -1.], [-1., 1.]]``."""
    c = cov(input)
    with quiet(xp_of(c._data)):
        if c.ndim == 0:
            return c / c
        d = diag(c)
        sd = sqrt(d.real if d.is_complex() else d)
        c = c / unsqueeze(sd, 1) / unsqueeze(sd, 0)
    if c.is_complex():                          # each part clipped, as PyTorch
        return _api.TOP["complex"](clamp(c.real, -1, 1), clamp(c.imag, -1, 1))
    return clamp(c, -1, 1)
