"""Products composed of matmul and the shape ops: inner, tensordot, cross (and linalg.cross), so that their gradients
of every order come with them.

Example::

    autograd_lite.tensordot(a, b, dims=([1], [0]))      # a @ b for matrices
"""
import warnings

import numpy as np

from .. import _api
from .._api import TOP
from .._args import canon_dim
from ..tensor import Tensor
from .indexing import broadcast_shapes, index
from .linalg import matmul
from .shape import expand, permute, reshape, stack
from ._util import promote_pair, xp_of

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


# ---- beta * input + alpha * product, composed (gradients of every order) ----------------------------------------------

def _scaled_sum(input, product, beta, alpha, shape):
    """beta * input + alpha * product, input broadcast to `shape`; beta == 0 ignores input (NaN included), as
    PyTorch."""
    if tuple(np.broadcast_shapes(tuple(input.shape), shape)) != tuple(shape):
        raise RuntimeError(f"The expanded size of the tensor ({shape[-1] if shape else 0}) must match the existing "
                           f"size ({input.shape[-1]}) at non-singleton dimension {input.ndim - 1}.  Target sizes: "
                           f"{list(shape)}.  Tensor sizes: {list(input.shape)}")
    if input.dtype.category < 2:
        beta, alpha = int(beta), int(alpha)
    out = product if alpha == 1 else product * alpha
    if beta == 0:                   # input's values unused (a NaN stays out), its gradient zero
        return TOP["where"](Tensor._make(xp_of(out._data).ones((), dtype=bool)), out, input)
    return out + (input if beta == 1 else input * beta)


def _same_dtype(op, *tensors):
    first = tensors[0]
    for t in tensors[1:]:
        if t.dtype is not first.dtype:
            raise RuntimeError(f"{op}: expected all tensors to have the same dtype, but got {first.dtype.scalar_type} "
                               f"and {t.dtype.scalar_type}")


@declare(inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)``: ``torch.addmv(b, W, x)``."""
    if mat.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, {vec.ndim}")
    if mat.shape[1] != vec.shape[0] or input.ndim > 1 or input.ndim == 1 and input.shape[0] not in (1, mat.shape[0]):
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), mat "
                           f"({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    if not input.dtype is mat.dtype is vec.dtype:
        names = [t.dtype.scalar_type for t in (input, mat, vec)]
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {names[0]}, {names[1]}, and "
                           f"{names[2]}")
    return _scaled_sum(input, TOP["mv"](mat, vec), beta, alpha, (mat.shape[0],))


@declare(inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)``: ``torch.addr(M, u, v)``."""
    if vec1.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1.ndim}-D" if vec1.ndim != 1 else
                           f"addr: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    _same_dtype("addr", input, vec1, vec2)
    if input.dtype.name == "bool":              # PyTorch: logical and / or for bool tensors
        return TOP["logical_or"](input & bool(beta), TOP["outer"](vec1, vec2) & bool(alpha))
    return _scaled_sum(input, TOP["outer"](vec1, vec2), beta, alpha, (vec1.shape[0], vec2.shape[0]))


@declare(inplace=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``: ``torch.addbmm(M, A, B)``."""
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if batch1.ndim != 3 else "batch2 must be a 3D tensor")
    _same_dtype("addbmm", input, batch1, batch2)
    product = TOP["bmm"](batch1, batch2).sum(0)
    return _scaled_sum(input, product, beta, alpha, (batch1.shape[1], batch2.shape[2]))


for _name in ("addmv_",):
    _api.TOP[_name] = getattr(Tensor, _name)


@declare
def vdot(input, other):
    """The dot product of two 1-D tensors (real: the same as dot): ``torch.vdot(a, b)``."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {input.dtype.scalar_type} and "
                           f"{other.dtype.scalar_type}")
    return TOP["dot"](TOP["conj"](input), other)        # conj: a no-op on real tensors


def multi_dot(tensors):
    """``linalg.multi_dot``: the product of a list of matrices (the first and last may be vectors), left to right:
    ``torch.linalg.multi_dot([A, B, v])``."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        ok = t.ndim == 2 or t.ndim == 1 and i in (0, len(tensors) - 1)
        if not ok:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D" if 0 < i < len(tensors) - 1
                               else f"multi_dot(): the {'first' if i == 0 else 'last'} tensor must be 1D or 2D but "
                               f"got {t.ndim}D")
    out = tensors[0]
    for t in tensors[1:]:
        out = TOP["matmul"](out, t)
    return out


@declare(method=False)
def chain_matmul(*matrices):
    """The product of 2-D matrices, left to right (deprecated in PyTorch for linalg.multi_dot)."""
    if len(matrices) == 1:
        return matrices[0].clone()
    for i, t in enumerate(matrices):
        if t.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {t.ndim}, expected 2 instead.")
    return multi_dot(matrices)


@declare
def matrix_power(input, n):
    """The n-th power of square matrices (batches: the last two dims), by repeated squaring; n < 0 inverts first:
    ``torch.matrix_power(A, 3)``. Differentiable to any order."""
    if input.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{input.shape[-2] if input.ndim >= 2 else 1} by {input.shape[-1] if input.ndim else 1} matrices")
    if n == 0:
        eye = xp_of(input._data).broadcast_to(xp_of(input._data).eye(input.shape[-1], dtype=input._data.dtype),
                                               tuple(input.shape)).copy()
        return Tensor._make(eye)
    base = TOP["inverse"](input) if n < 0 else input
    n, out = abs(n), None
    while n:
        if n & 1:
            out = base if out is None else TOP["matmul"](out, base)
        n >>= 1
        if n:
            base = TOP["matmul"](base, base)
    return out
