"""Tensors joined, rearranged and expanded, composed of the shape and indexing ops (so every order of gradient comes
with them): atleast_1d/2d/3d, hstack/vstack/dstack/column_stack, ravel, select, take, broadcast_tensors, rot90,
kron, block_diag, cartesian_prod, diag_embed, diagflat, vander; and the index makers tril_indices, triu_indices,
unravel_index.

Example::

    autograd_lite.hstack([autograd_lite.ones(2), autograd_lite.zeros(3)])      # shape (5,)
"""
from .. import _api, _dtype
from .. import _float8
from .._args import canon_dim, shape_arg
from ..creation import tensor as _tensor, zeros
from ..tensor import Tensor
from ._util import cast, wrap, xp_of
from .indexing import broadcast_shapes, index
from .reduction import cumprod
from .shape import OntoDiagonal, cat, expand, flip, meshgrid, reshape, stack, transpose, _common_dtype

declare = _api.declare


def _tensor_list(tensors, op):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return tuple(tensors)


def _atleast(n):
    def op(*tensors):
        ts = _tensor_list(tensors, f"atleast_{n}d")
        out = tuple(_at_least(t, n) for t in ts)
        return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out
    op.__name__ = op.__qualname__ = f"atleast_{n}d"
    op.__doc__ = (f"The tensor (or each of several) with at least {n} dims, size-1 dims added as NumPy does.\n\n"
                  f"Example: ``autograd_lite.atleast_{n}d(autograd_lite.tensor(1.0))``")
    return declare(op, method=False)


def _at_least(t, n):
    if t.ndim >= n:
        return t
    shape = tuple(t.shape)
    if n == 1:
        return reshape(t, (1,))
    if n == 2:
        return reshape(t, (1,) + (shape or (1,)))
    if t.ndim == 0:
        return reshape(t, (1, 1, 1))
    return reshape(t, (1,) + shape + (1,) if t.ndim == 1 else shape + (1,))


atleast_1d, atleast_2d, atleast_3d = _atleast(1), _atleast(2), _atleast(3)


def _nonempty(tensors, op):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return tensors


@declare(method=False)
def hstack(tensors):
    """The tensors joined column-wise: along dim 0 for 1-D tensors, dim 1 otherwise (0-d ones become 1-D).

    Example: ``autograd_lite.hstack([a, b])``"""
    ts = [_at_least(t, 1) for t in _nonempty(tensors, "hstack")]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


@declare(method=False, aliases=("row_stack",))
def vstack(tensors):
    """The tensors joined row-wise (dim 0), 0-d and 1-D ones made rows first.

    Example: ``autograd_lite.vstack([a, b])``"""
    return cat([_at_least(t, 2) for t in _nonempty(tensors, "vstack")], 0)


@declare(method=False)
def dstack(tensors):
    """The tensors joined depth-wise (dim 2), each made at least 3-D first.

    Example: ``autograd_lite.dstack([a, b])``"""
    return cat([_at_least(t, 3) for t in _nonempty(tensors, "dstack")], 2)


@declare(method=False)
def column_stack(tensors):
    """The tensors as columns: 0-d and 1-D ones become (n, 1) columns, then joined along dim 1.

    Example: ``autograd_lite.column_stack([a, b])`` of two (3,) tensors is (3, 2)."""
    ts = _nonempty(tensors, "column_stack")
    return cat([reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in ts], 1)


@declare
def ravel(input):
    """The tensor flattened to 1-D (a view where the layout allows).

    Example: ``autograd_lite.ravel(autograd_lite.zeros(2, 3)).shape`` is ``(6,)``."""
    return reshape(input, (-1,))


@declare
def select(input, dim, index_):
    """The slice at `index` along `dim` (that dim removed): ``x.select(1, 0)`` is ``x[:, 0]``.

    Example: ``autograd_lite.select(autograd_lite.zeros(2, 3), 1, 2).shape`` is ``(2,)``."""
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = canon_dim(dim, input.ndim, "select")
    n = input.shape[d]
    if isinstance(index_, Tensor):
        index_ = int(index_.item())
    if not -n <= index_ < n:
        raise IndexError(f"select(): index {index_} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    return index(input, (slice(None),) * d + (int(index_),))


@declare
def take(input, index_):
    """The elements of input, read as 1-D, at `index` (an int64 tensor; negative counts from the end); the result
    has index's shape.

    Example: ``autograd_lite.take(autograd_lite.tensor([[1., 2.], [3., 4.]]), autograd_lite.tensor([0, 3]))``
    gives ``[1., 4.]``."""
    if not isinstance(index_, Tensor) or index_.dtype.name != "int64":
        got = index_.dtype.scalar_type if isinstance(index_, Tensor) else type(index_).__name__
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {got}")
    _float8.refuse("take", input)
    n = input.numel()
    d = index_._data
    if d.size:
        bad = d[(d >= n) | (d < -n)]
        if bad.size:
            raise IndexError(f"out of range: tried to access index {int(bad.reshape(-1)[0])} on a tensor of {n} "
                             "elements.")
    return index(reshape(input, (-1,)), index_)


@declare(method=False)
def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views).

    Example: ``a, b = autograd_lite.broadcast_tensors(autograd_lite.zeros(2, 1), autograd_lite.zeros(3))``"""
    ts = _tensor_list(tensors, "broadcast_tensors")
    shape = ()
    for t in ts:
        try:
            shape = broadcast_shapes(shape, tuple(t.shape), "broadcast_tensors")
        except RuntimeError as e:              # PyTorch's message names no op
            raise RuntimeError(str(e).split(": ", 1)[1]) from None
    return tuple(t if tuple(t.shape) == shape else expand(t, shape) for t in ts)


@declare
def rot90(input, k=1, dims=(0, 1)):
    """The tensor rotated by k * 90 degrees in the plane of `dims`, from the first dim towards the second.

    Example: ``autograd_lite.rot90(autograd_lite.tensor([[1, 2], [3, 4]]))`` gives ``[[2, 4], [1, 3]]``."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = canon_dim(dims[0], input.ndim, "rot90"), canon_dim(dims[1], input.ndim, "rot90")
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(transpose(input, d0, d1), (d1,))
    return input.clone()


@declare
def kron(input, other):
    """The Kronecker product: every element of input times the whole of other, laid out block by block.

    Example: ``autograd_lite.kron(autograd_lite.eye(2), autograd_lite.ones(2, 2))`` is a (4, 4) block matrix."""
    n = max(input.ndim, other.ndim)
    a = reshape(input, (1,) * (n - input.ndim) + tuple(input.shape))
    b = reshape(other, (1,) * (n - other.ndim) + tuple(other.shape))
    inter_a = tuple(s for d in a.shape for s in (d, 1))
    inter_b = tuple(s for d in b.shape for s in (1, d))
    out = reshape(a, inter_a) * reshape(b, inter_b)
    return reshape(out, tuple(x * y for x, y in zip(a.shape, b.shape)))


@declare(method=False)
def block_diag(*tensors):
    """The tensors (0-d, 1-D or 2-D) placed along the diagonal of one matrix, zeros elsewhere.

    Example: ``autograd_lite.block_diag(autograd_lite.ones(2, 2), autograd_lite.tensor(3.0)).shape`` is
    ``(3, 3)``."""
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions")
    if not tensors:
        return zeros(1, 0)
    mats = [reshape(t, (1, -1) if t.ndim <= 1 else tuple(t.shape)) for t in _common_dtype(tensors)]
    width = sum(t.shape[1] for t in mats)
    rows, left = [], 0
    like = mats[0]
    for t in mats:
        r, c = t.shape
        pad_l = zeros(r, left, dtype=like.dtype, device=like.device)
        pad_r = zeros(r, width - left - c, dtype=like.dtype, device=like.device)
        rows.append(cat([pad_l, t, pad_r], 1))
        left += c
    return cat(rows, 0)


@declare(method=False)
def cartesian_prod(*tensors):
    """Every combination of the elements of the 1-D tensors, one per row (itertools.product's order).

    Example: ``autograd_lite.cartesian_prod(autograd_lite.tensor([1, 2]), autograd_lite.tensor([3, 4]))`` gives
    ``[[1, 3], [1, 4], [2, 3], [2, 4]]``."""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if len(tensors) == 1:
        return tensors[0]
    return stack([reshape(g, (-1,)) for g in meshgrid(*tensors, indexing="ij")], 1)


@declare
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonals (over dims dim1, dim2 of the result) are input's last dim, zeros elsewhere.

    Example: ``autograd_lite.diag_embed(autograd_lite.ones(4, 3)).shape`` is ``(4, 3, 3)``."""
    n = input.ndim + 1
    d1, d2 = canon_dim(dim1, n, "diag_embed"), canon_dim(dim2, n, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    size = (input.shape[-1] if input.ndim else 1) + abs(int(offset))
    rest = iter(tuple(input.shape[:-1]))
    shape = tuple(size if i in (d1, d2) else next(rest) for i in range(n))
    return OntoDiagonal.apply(input if input.ndim else reshape(input, (1,)), shape, int(offset), d1, d2)


@declare
def diagflat(input, offset=0):
    """A square matrix with the flattened input on diagonal `offset`.

    Example: ``autograd_lite.diagflat(autograd_lite.ones(2, 2)).shape`` is ``(4, 4)``."""
    flat = reshape(input, (-1,))
    n = flat.shape[0] + abs(int(offset))
    return OntoDiagonal.apply(flat, (n, n), int(offset), 0, 1)


@declare(method=False)
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D tensor: column j is ``x ** (N - 1 - j)`` (``x ** j`` when increasing);
    integers stay int64.

    Example: ``autograd_lite.vander(autograd_lite.tensor([1, 2, 3]))`` gives ``[[1, 1, 1], [4, 2, 1], [9, 3, 1]]``."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if x._data.dtype.kind in "biu":
        x = cast(x, _dtype.int64)
    if n == 0:
        return zeros(x.shape[0], 0, dtype=x.dtype, device=x.device)
    ones = reshape(x.new_ones(x.shape[0]), (-1, 1))
    if n == 1:
        out = ones
    else:
        cols = expand(reshape(x, (-1, 1)), (x.shape[0], n - 1))
        out = cat([ones, cumprod(cols, 1)], 1)
    return out if increasing else flip(out, (1,))


def _index_dtype(dtype, op):
    dt = _dtype.int64 if dtype is None else _dtype.to_dtype(dtype)
    if dt.name not in ("int64", "int32"):
        raise NotImplementedError(f'"{op}" not implemented for \'{dt.scalar_type}\'')
    return dt


def _triangle_indices(op, row, col, offset, dtype, device, lower):
    dt = _index_dtype(dtype, op)
    if row < 0 or col < 0:
        raise RuntimeError(f"{op}: row and col must be non-negative, got row={row}, col={col}")
    ref = zeros(0, device=device)._data
    xp = xp_of(ref)
    rows = xp.arange(row)[:, None]
    cols = xp.arange(col)[None, :]
    mask = (cols - rows <= offset) if lower else (cols - rows >= offset)
    r, c = xp.nonzero(mask)
    return wrap(xp.stack([r, c]).astype(dt.np) if r.size else xp.zeros((2, 0), dt.np), ref)


@declare(method=False)
def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) row and column indices of the lower triangle of a row x col matrix (diagonal `offset` included),
    row by row.

    Example: ``autograd_lite.tril_indices(2, 2)`` gives ``[[0, 1, 1], [0, 0, 1]]``."""
    return _triangle_indices("tril_indices", row, col, offset, dtype, device, True)


@declare(method=False)
def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) row and column indices of the upper triangle of a row x col matrix (from diagonal `offset`).

    Example: ``autograd_lite.triu_indices(2, 2)`` gives ``[[0, 0, 1], [0, 1, 1]]``."""
    return _triangle_indices("triu_indices", row, col, offset, dtype, device, False)


@declare(method=False)
def unravel_index(indices, shape):
    """Flat indices as a tuple of coordinate tensors, one per dim of `shape` (NumPy's unravel_index).

    Example: ``autograd_lite.unravel_index(autograd_lite.tensor([4, 7]), (2, 4))`` gives
    ``(tensor([1, 1]), tensor([0, 3]))``."""
    if not isinstance(indices, Tensor):
        indices = _tensor(indices)
    if indices._data.dtype.kind not in "iu" or indices.dtype.name == "bool":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = shape_arg((shape,) if isinstance(shape, int) else shape, "unravel_index")
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(tuple(shape)))
    d = indices._data.astype("int64")
    out = []
    for s in reversed(shape):
        out.append(d % s if s else d * 0)
        d = d // s if s else d
    return tuple(wrap(o, indices._data) for o in reversed(out))
