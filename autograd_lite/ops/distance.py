"""Distances and similarities as torch.nn.functional has them: normalize, cosine_similarity, pairwise_distance, pdist.
Each is composed of differentiable ops (vector_norm, arithmetic, indexing), so it has gradients of every order."""
import numpy as np

from .. import _api
from .._args import canon_dim
from ._util import promote_pair, to_float, wrap
from .linalg import _broadcast_error, vector_norm

declare = _api.declare


@declare(method=False, top=False, functional=True)
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p, eps)`` along `dim`: unit vectors (rows, for the default dim 1).

    Example: ``F.normalize(autograd_lite.tensor([[3.0, 4.0]]))`` gives ``[[0.6, 0.8]]``."""
    denom = vector_norm(input, p, dim, True).clamp(min=eps)
    result = input / denom
    if out is not None:
        out.copy_(result)
        return out
    return result


def floor_values(t, eps):
    """t with its values raised to eps where smaller, its gradient still t's own (what PyTorch's in-place clamp
    under no_grad does: the norms of cosine_similarity, gaussian_nll_loss's variance)."""
    low = t._data < eps
    if not low.any():
        return t
    return t + wrap((eps - t._data) * low, t._data)


def _float_common(op_error, x1, x2):
    x1, x2 = promote_pair(x1, x2)
    if not x1.dtype.is_floating_point:
        raise RuntimeError(op_error(x1))
    return x1, x2


@declare(method=False, functional=True)
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """The cosine of the angle between x1 and x2 (broadcast together) along `dim`: each divided by its norm (at
    least eps), then their products summed.

    Example: ``F.cosine_similarity(a, b, dim=1)`` for two (N, D) batches gives N cosines."""
    x1, x2 = _float_common(lambda t: "expected common dtype to be floating point, yet common dtype is "
                           f"{t.dtype.scalar_type}", x1, x2)
    shape = tuple(x1.shape)
    if x1.shape != x2.shape:
        error = _broadcast_error(tuple(x1.shape), tuple(x2.shape))
        if error is not None:
            raise error
        shape = np.broadcast_shapes(shape, tuple(x2.shape))
    dim = canon_dim(dim, len(shape), "cosine_similarity")
    if tuple(x1.shape) != shape:
        x1 = x1.expand(shape)
    if tuple(x2.shape) != shape:
        x2 = x2.expand(shape)
    n1 = floor_values(vector_norm(x1, 2, dim, True), eps)
    n2 = floor_values(vector_norm(x2, 2, dim, True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


@declare(method=False, functional=True)
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """The p-norm distance ``||x1 - x2 + eps||_p`` along the last dim (x1 and x2 broadcast together).

    Example: ``F.pairwise_distance(a, b)`` for two (N, D) batches gives N distances."""
    dim = max(x1.ndim, x2.ndim) - 1
    return vector_norm(to_float(x1 - x2) + eps, p, dim, keepdim)


@declare(method=False, functional=True)
def pdist(input, p=2):
    """The p-norm distances between the rows of the (N, M) input, for each pair i < j in row-major order:
    N (N - 1) / 2 of them.

    Example: ``F.pdist(autograd_lite.tensor([[0.0, 0.0], [3.0, 4.0]]))`` gives ``[5.0]``."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if not input.dtype.is_floating_point:
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(input.shape[0], 1)
    return vector_norm(input[i] - input[j], p, 1)
