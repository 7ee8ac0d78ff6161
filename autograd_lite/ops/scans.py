"""Scans and differences along a dim: cummax, cummin (values with the indices they came from), logcumsumexp, diff,
trapezoid / trapz and cumulative_trapezoid.

Example::

    values, indices = autograd_lite.cummax(autograd_lite.tensor([1.0, 3.0, 2.0]), 0)    # [1, 3, 3], [0, 1, 1]
"""
from .. import _api, return_types
from .._args import canon_dim
from ..autograd.op_function import Function
from ..tensor import Tensor
from . import _formula as m
from ._util import as_tensor, not_implemented, quiet, refuse_complex, to_float, wrap, xp_of
from .indexing import gather, index
from .math import logical_xor
from .reduction import cumsum, sum as _sum
from .shape import cat, reshape

declare = _api.declare


def _running_index(x, d, largest):
    """The running max (min) of array x along d and the index it came from: the last of equal values, and a NaN
    once seen (PyTorch's order)."""
    xp = xp_of(x)
    values = (xp.maximum if largest else xp.minimum).accumulate(x, axis=d)
    hit = values == x
    if x.dtype.kind == "f":
        hit |= xp.isnan(x)
    shape = [1] * x.ndim
    shape[d] = x.shape[d]
    positions = xp.arange(x.shape[d]).reshape(shape)
    return xp.maximum.accumulate(xp.where(hit, positions, 0), axis=d).astype("int64")


def _cumulative_extreme(x, dim, largest, op, result):
    if x.ndim == 0:
        canon_dim(dim, 0, op)
        return result._of(x.clone(), wrap(xp_of(x._data).zeros((), "int64"), x._data))
    refuse_complex(x, f"\"{op}_cpu\" not implemented for '{{type}}'")
    d = canon_dim(dim, x.ndim, op)
    if x.shape[d] == 0:
        return result._of(x.clone(), wrap(xp_of(x._data).zeros(x.shape, "int64"), x._data))
    idx = Tensor._make(_running_index(x._data, d, largest))
    return result._of(gather(x, d, idx), idx)


@declare
def cummax(input, dim):
    """(values, indices): the running maximum along `dim` and where each came from (differentiable values).

    Example: ``autograd_lite.cummax(autograd_lite.tensor([1.0, 3.0, 2.0]), 0).values`` gives ``[1., 3., 3.]``."""
    return _cumulative_extreme(input, dim, True, "cummax", return_types.cummax)


@declare
def cummin(input, dim):
    """(values, indices): the running minimum along `dim` and where each came from (differentiable values).

    Example: ``autograd_lite.cummin(autograd_lite.tensor([3.0, 1.0, 2.0]), 0).values`` gives ``[3., 1., 1.]``."""
    return _cumulative_extreme(input, dim, False, "cummin", return_types.cummin)


def _lcse_array(x, d):
    xp = xp_of(x)
    if x.dtype.kind == "c":                     # PyTorch's scan of its complex logaddexp, one step per element
        from .special import logaddexp_complex
        out = xp.moveaxis(x, d, 0).copy()
        with quiet(xp):
            for k in range(1, out.shape[0]):
                out[k] = logaddexp_complex(xp, out[k], out[k - 1])
        return xp.moveaxis(out, 0, d)
    with quiet(xp):
        if hasattr(xp.logaddexp, "accumulate"):
            return xp.logaddexp.accumulate(x, axis=d).astype(x.dtype, copy=False)
        top = xp.max(x, axis=d, keepdims=True)               # a device without the ufunc's accumulate
        top = xp.where(xp.isfinite(top), top, 0)
        return (xp.log(xp.cumsum(xp.exp(x - top), axis=d)) + top).astype(x.dtype, copy=False)


class LogCumSumExp(Function):
    """y_k = log sum_{i <= k} exp(x_i); its gradient is sum_{k >= i} g_k exp(x_i - y_k). On arrays it is summed in
    log space, the positive and negative parts of g apart (as PyTorch); under create_graph, as the masked (n, n)
    matrix of exp(x_i - y_k), whose gradients are plain (exp of -inf where masked, so nothing overflows)."""

    @staticmethod
    def forward(ctx, x, d):
        y = _lcse_array(x, d)
        ctx.save_for_backward(x, y)
        ctx.d = d
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx._saved
        d = ctx.d
        if m.is_graph(g):
            xs, ys, gs = (m.movedim(v, d, -1) for v in (x, y, g))
            n = xs.shape[-1]
            upper = xp_of(m.data(x)).triu(xp_of(m.data(x)).ones((n, n), dtype=bool))
            gaps = m.where(upper, xs.unsqueeze(-1) - ys.unsqueeze(-2), float("-inf"))
            return m.movedim((m.exp(gaps) * gs.unsqueeze(-2)).sum(-1), -1, d), None
        xp = xp_of(g)
        with quiet(xp):
            def reverse_lcse(v):
                return xp.flip(_lcse_array(xp.flip(v, d), d), d)
            if g.dtype.kind == "c":             # (given conj(g) by `holomorphic`) no sign split needed
                return xp.exp(reverse_lcse(xp.log(g) - y) + x).astype(x.dtype, copy=False), None
            pos = xp.exp(reverse_lcse(xp.where(g > 0, xp.log(xp.where(g > 0, g, 1)), -xp.inf) - y) + x)
            neg = xp.exp(reverse_lcse(xp.where(g < 0, xp.log(xp.where(g < 0, -g, 1)), -xp.inf) - y) + x)
            return (pos - neg).astype(x.dtype, copy=False), None


@declare
def logcumsumexp(input, dim):
    """``log(cumsum(exp(input), dim))``, without overflow or underflow.

    Example: ``autograd_lite.logcumsumexp(autograd_lite.tensor([0.0, 0.0]), 0)`` gives ``[0.0000, 0.6931]``."""
    if input._data.dtype.kind not in "fVc":
        raise not_implemented("logcumsumexp_out_cpu", input)
    if input.ndim == 0:
        canon_dim(dim, 0, "logcumsumexp")
        return input.clone()
    return LogCumSumExp.apply(input, canon_dim(dim, input.ndim, "logcumsumexp"))


@declare
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along `dim` (``x[1:] - x[:-1]``, n times), after joining prepend and append;
    bools give their XOR.

    Example: ``autograd_lite.diff(autograd_lite.tensor([1, 3, 6]))`` gives ``[2, 3]``."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = canon_dim(dim, input.ndim, "diff")
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat([as_tensor(t, input) if isinstance(t, Tensor) else _scalar_edge(t, input, d) for t in parts], d) \
        if len(parts) > 1 else input
    lead = (slice(None),) * d
    for _ in range(n):
        if x.shape[d] == 0:
            break
        later, earlier = index(x, lead + (slice(1, None),)), index(x, lead + (slice(None, -1),))
        x = logical_xor(later, earlier) if x.dtype.name == "bool" else later - earlier
    return x


def _scalar_edge(value, like, d):
    shape = list(like.shape)
    shape[d] = 1
    return as_tensor(value, like).expand(tuple(shape))


def _spacing(y, x, d):
    """The widths between the samples of y along d, from their positions x: a tensor broadcasting against the
    (n - 1) pairs."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[d] = -1
        return reshape(diff(x), tuple(shape))
    return diff(x, dim=d - y.ndim)


def _pairs(y, d):
    lead = (slice(None),) * d
    return (index(y, lead + (slice(1, None),)) + index(y, lead + (slice(None, -1),))) * 0.5


def _trapezoid_args(y, x, dx, dim, op):
    if x is not None and dx is not None:
        raise TypeError(f"{op}() received an invalid combination of arguments: x and dx both given")
    y = to_float(y)
    return y, canon_dim(dim, y.ndim, op), (to_float(x) if isinstance(x, Tensor) else x)


@declare(method=False, aliases=("trapz",))
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along `dim`: samples y at points x (a tensor), or spaced dx (default 1) apart.

    Example: ``autograd_lite.trapezoid(autograd_lite.tensor([1.0, 2.0, 3.0]))`` gives ``4.``."""
    y, d, x = _trapezoid_args(y, x, dx, dim, "trapezoid")
    if x is not None:
        return _sum(_pairs(y, d) * _spacing(y, x, d), d)
    if y.shape[d] == 0:
        return _sum(y, d)
    lead = (slice(None),) * d          # PyTorch's sum for even spacing (its NaN where inf meets -inf too)
    ends = index(y, lead + (0,)) + index(y, lead + (-1,))
    with quiet(xp_of(y._data)):
        return (_sum(y, d) - ends * 0.5) * (1 if dx is None else dx)


@declare(method=False)
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal rule along `dim` (one fewer element than y there).

    Example: ``autograd_lite.cumulative_trapezoid(autograd_lite.tensor([1.0, 2.0, 3.0]))`` gives ``[1.5, 4.]``."""
    y, d, x = _trapezoid_args(y, x, dx, dim, "cumulative_trapezoid")
    return cumsum(_pairs(y, d) * (_spacing(y, x, d) if x is not None else 1 if dx is None else dx), d)
