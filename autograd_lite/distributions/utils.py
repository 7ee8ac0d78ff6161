"""Helpers of torch.distributions.utils: broadcast_all, probs <-> logits, clamp_probs, lazy_property."""
import numbers
from functools import update_wrapper

import numpy as np

import autograd_lite as al

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]


def broadcast_all(*values):
    """Tensors of the values (numbers become tensors of the first Tensor's dtype and device, else of the default
    dtype), broadcast to one shape. Example: ``loc, scale = broadcast_all(torch.zeros(3), 1.0)``"""
    if not all(isinstance(v, (al.Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
                         "implementing __torch_function__.")
    if not all(isinstance(v, al.Tensor) for v in values):
        options = dict(dtype=al.get_default_dtype())
        for v in values:
            if isinstance(v, al.Tensor):
                options = dict(dtype=v.dtype, device=v.device)
                break
        values = [v if isinstance(v, al.Tensor) else al.tensor(v, **options) for v in values]
    return al.broadcast_tensors(*values)


def _sum_rightmost(value, dim):
    """`value` summed over its `dim` rightmost dims."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1)


def _xlogy(x, y):
    """x * log(y), 0 where x == 0 and y <= 0, with PyTorch's gradient log(y) w.r.t. x (also where x == 0)."""
    mask = ((x == 0) & (y <= 0)).detach()
    return al.where(mask, 0.0, x * al.log(al.where(mask, 1.0, y)))


def logits_to_probs(logits, is_binary=False):
    """Probabilities from logits: sigmoid when `is_binary`, else softmax over the last dim."""
    if is_binary:
        return al.sigmoid(logits)
    return al.softmax(logits, dim=-1)


def clamp_probs(probs):
    """`probs` clamped into [eps, 1 - eps] of its dtype."""
    eps = al.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Logits from probabilities: log p - log(1 - p) when `is_binary`, else log p (probabilities clamped)."""
    ps = clamp_probs(probs)
    if is_binary:
        return al.log(ps) - al.log1p(-ps)
    return al.log(ps)


class lazy_property:
    """A property computed once on first access and then stored on the instance (``probs`` from ``logits``)."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with al.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def tril_matrix_to_vec(mat, diag=0):
    """The lower-triangular entries of `mat` (from diagonal `diag`), row by row, as a vector."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    rows, cols = np.tril_indices(n, diag)
    return mat[..., al.tensor(rows, device=mat.device), al.tensor(cols, device=mat.device)]


def vec_to_tril_matrix(vec, diag=0):
    """The inverse of tril_matrix_to_vec: a square lower-triangular matrix from its entries."""
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    eps = al.finfo(vec.dtype).eps
    if not al.isclose(al.tensor(n), al.tensor(round(n)), atol=eps):
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    n = round(n)
    rows, cols = np.tril_indices(n, diag)
    flat = al.tensor(rows * n + cols, device=vec.device)
    out = vec.new_zeros(tuple(vec.shape[:-1]) + (n * n,))
    out = out.index_add(-1, flat, vec) if hasattr(out, "index_add") else out.scatter(-1, flat.expand(
        tuple(vec.shape[:-1]) + (flat.shape[0],)), vec)
    return out.reshape(tuple(vec.shape[:-1]) + (n, n))


def enumerate_values(values, batch_shape, expand=True):
    """The support `values` (1-d) as the leading dim of a (len(values),) + batch_shape tensor, expanded or with
    size-1 batch dims (the body of ``enumerate_support``)."""
    values = values.view((-1,) + (1,) * len(batch_shape))
    return values.expand((-1,) + tuple(batch_shape)) if expand else values
