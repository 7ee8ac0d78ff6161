"""Products composed of matmul and the shape ops: inner, tensordot, cross (and linalg.cross), so that their gradients
of every order come with them.

Example::

    autograd_lite.tensordot(a, b, dims=([1], [0]))      # a @ b for matrices
"""
import warnings

from .. import _api
from .._args import canon_dim
from ..tensor import Tensor
from .indexing import broadcast_shapes, index
from .linalg import matmul
from .shape import expand, permute, reshape, stack
from ._util import promote_pair

declare = _api.declare


@declare
def inner(input, other):
    """The sums of products over the last dims of both (the dot product of vectors; a 0-d operand scales).

    Example: ``autograd_lite.inner(autograd_lite.ones(2, 3), autograd_lite.ones(4, 3)).shape`` is ``(2, 4)``."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    n = input.shape[-1]
    out = matmul(reshape(input, (-1, n)), reshape(other, (-1, n)).mT)
    return reshape(out, tuple(input.shape[:-1]) + tuple(other.shape[:-1]))


def _dims_lists(a, b, dims):
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    da, db = dims
    da = [da] if isinstance(da, int) else list(da)
    db = [db] if isinstance(db, int) else list(db)
    if len(da) != len(db):
        raise RuntimeError(f"both dimension lists should have same length, but got {len(da)} and {len(db)}")
    return [canon_dim(d, a.ndim, "tensordot") for d in da], [canon_dim(d, b.ndim, "tensordot") for d in db]


@declare(method=False)
def tensordot(a, b, dims=2):
    """The sums of products of a and b over the dims `dims` names: an int n (a's last n with b's first n) or a
    pair of lists ``([a dims], [b dims])``.

    Example: ``autograd_lite.tensordot(a, b, dims=([1, 0], [0, 1]))``"""
    da, db = _dims_lists(a, b, dims)
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[x]} in dim {x} "
                               f"and second has size {b.shape[y]} in dim {y}")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = 1
    for d in da:
        k *= a.shape[d]
    left = reshape(permute(a, free_a + da), (-1, k))
    right = reshape(permute(b, db + free_b), (k, -1))
    return reshape(matmul(left, right), tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b))


def _cross(a, b, d):
    def part(t, i):
        return index(t, (slice(None),) * d + (i,))
    a0, a1, a2 = (part(a, i) for i in range(3))
    b0, b1, b2 = (part(b, i) for i in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def _broadcast_pair(a, b, op):
    if a.ndim != b.ndim:
        raise RuntimeError(f"{op}: inputs must have the same number of dimensions.")
    a, b = promote_pair(a, b)
    shape = broadcast_shapes(tuple(a.shape), tuple(b.shape), op)
    return (a if tuple(a.shape) == shape else expand(a, shape)), (b if tuple(b.shape) == shape else expand(b, shape))


@declare
def cross(input, other, dim=None):
    """The cross product of 3-vectors along `dim` (default: the first dim of size 3, deprecated as in PyTorch),
    broadcasting.

    Example: ``autograd_lite.cross(autograd_lite.tensor([1., 0, 0]), autograd_lite.tensor([0., 1, 0]), dim=0)``
    gives ``[0., 0., 1.]``."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        a, b = _broadcast_pair(input, other, "linalg.cross")
        dim = next((i for i, s in enumerate(a.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
        return _cross(a, b, dim)
    return linalg_cross(input, other, dim=dim)


def linalg_cross(input, other, *, dim=-1):
    """``autograd_lite.linalg.cross``: the cross product along `dim` (default the last), broadcasting.

    Example: ``autograd_lite.linalg.cross(autograd_lite.eye(3), autograd_lite.ones(3))``"""
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = canon_dim(dim, input.ndim, "linalg.cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
                           f"{other.shape[d]}")
    a, b = _broadcast_pair(input, other, "linalg.cross")
    return _cross(a, b, d)
