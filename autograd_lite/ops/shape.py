"""Shape ops: view/reshape (and flatten, unflatten, squeeze, unsqueeze), expand/broadcast_to, transpose/permute,
cat, stack, contiguous, clone, flip/roll/movedim, tril/triu, diagonal/diag/trace and unfold (sliding windows)."""
import itertools
import math
import numbers

from .. import _api, _dtype
from .. import _memory_format as _mf
from .._args import canon_dim, shape_arg
from ..autograd.op_function import Function
from ..autograd.grad_mode import state as _grad_state
from ..tensor import LEAF_INPLACE_MESSAGE, Tensor
from . import _formula as m
from ._util import cast, not_implemented, xp_of

declare = _api.declare


def _infer_shape(shape, numel, op):
    """Resolves one -1; PyTorch's error when the element count does not match."""
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1:
        raise RuntimeError(f"{op}: only one dimension can be inferred")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"{op}: invalid shape dimension {min(shape)}")
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"{op}: shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Function):
    """Output may share the input's storage (always does for `view`)."""
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class View(Reshape):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        out = x.view()
        try:
            out.shape = shape           # raises instead of copying
        except AttributeError:
            raise RuntimeError(
                f"view: view size is not compatible with input tensor's size and stride "
                f"(shape {tuple(x.shape)} -> {tuple(shape)}). Use .reshape(...) instead.") from None
        return out


class Squeeze(Reshape):
    pass


class Unsqueeze(Reshape):
    pass


@declare
def reshape(x, *shape):
    """The same elements in another shape (one size may be -1); a view when the strides allow."""
    shape = _infer_shape(shape_arg(shape, "reshape"), x.numel(), "reshape")
    return x if shape == x.shape else Reshape.apply(x, shape)


@declare(top=False)
def view(x, *shape):
    """A view of the same storage in another shape (``view(dtype)``: the same bits as another dtype)."""
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):     # x.view(dtype): same bits
        dt = shape[0]
        if dt.itemsize != x.dtype.itemsize:
            raise RuntimeError(f"view: cannot view a tensor of {x.dtype.name} as {dt.name} "
                               "(different element sizes)")
        return Tensor._make(x._data.view(dt.np))
    return View.apply(x, _infer_shape(shape_arg(shape, "view"), x.numel(), "view"))


@declare
def flatten(x, start_dim=0, end_dim=-1):
    """Dims start_dim..end_dim merged into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    s, e = canon_dim(start_dim, x.ndim, "flatten"), canon_dim(end_dim, x.ndim, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:]
    return reshape(x, shape)


@declare
def squeeze(x, dim=None):
    """Size-1 dims removed (all, or those in `dim`)."""
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dims = {canon_dim(d, x.ndim, "squeeze") for d in ((dim,) if isinstance(dim, int) else dim)}
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    return x if shape == x.shape else Squeeze.apply(x, shape)


@declare
def unsqueeze(x, dim):
    """A size-1 dim inserted at `dim`."""
    d = canon_dim(dim, x.ndim + 1, "unsqueeze")
    return Unsqueeze.apply(x, x.shape[:d] + (1,) + x.shape[d:])


class Expand(Function):
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return xp_of(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None                 # the engine sums it back to the input's shape


@declare(top=False)
def expand(x, *sizes):
    """A broadcast view to `sizes` (-1 keeps a dim); the gradient sums the copies."""
    sizes = shape_arg(sizes, "expand")
    if len(sizes) < x.ndim:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({x.ndim})")
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    for i in range(x.ndim):
        if x.shape[i] != 1 and x.shape[i] != shape[lead + i]:
            raise RuntimeError(f"expand: the expanded size of the tensor ({shape[lead + i]}) must match "
                               f"the existing size ({x.shape[i]}) at non-singleton dimension {lead + i}. "
                               f"Target sizes: {list(sizes)}. Tensor sizes: {list(x.shape)}")
    return Expand.apply(x, shape)


@declare(top=False)
def expand_as(x, other):
    return expand(x, other.shape)


@declare(top=False)
def view_as(x, other):
    return view(x, other.shape)


@declare(top=False)
def reshape_as(x, other):
    return reshape(x, other.shape)


class Permute(Function):
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return m.permute(g, tuple(inverse)), None


class Transpose(Permute):
    pass


class T(Permute):
    pass


@declare
def permute(x, *dims):
    """The dims reordered: ``x.permute(2, 0, 1)``."""
    dims = tuple(canon_dim(d, x.ndim, "permute") for d in shape_arg(dims, "permute"))
    if sorted(dims) != list(range(x.ndim)):
        raise RuntimeError(f"permute: dims {dims} are not a permutation of the {x.ndim} dims of "
                           f"a tensor of shape {tuple(x.shape)}")
    return Permute.apply(x, dims)


@declare(aliases=("swapaxes", "swapdims"))
def transpose(x, dim0, dim1):
    """dims dim0 and dim1 swapped (a view)."""
    if x.ndim == 0:
        return x
    d0, d1 = canon_dim(dim0, x.ndim, "transpose"), canon_dim(dim1, x.ndim, "transpose")
    dims = list(range(x.ndim))
    dims[d0], dims[d1] = d1, d0
    return Transpose.apply(x, tuple(dims))


@declare
def t(x):
    """The transpose of a matrix (0-d and 1-d tensors as they are)."""
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return x if x.ndim < 2 else T.apply(x, (1, 0))


class Cat(Function):
    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return xp_of(arrays[0]).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        ends = list(itertools.accumulate(ctx.sizes))
        lead = (slice(None),) * ctx.dim
        return tuple(g[lead + (slice(end - size, end),)] for size, end in zip(ctx.sizes, ends))


def _check_same(tensors, op, dim, stacking):
    if not tensors:
        raise RuntimeError(f"{op}(): expected a non-empty list of Tensors")
    ref = tensors[0]
    for i, t_ in enumerate(tensors):
        if not isinstance(t_, Tensor):
            raise TypeError(f"{op}(): expected a sequence of Tensors, but element {i} is "
                            f"{type(t_).__name__}")
        same = t_.shape == ref.shape if stacking else (
            t_.ndim == ref.ndim and all(a == b for k, (a, b) in enumerate(zip(t_.shape, ref.shape))
                                        if k != dim))
        if not same:
            raise RuntimeError(f"{op}(): Sizes of tensors must match except in dimension {dim}. "
                               f"Got tensors of shapes {tuple(ref.shape)} and {tuple(t_.shape)} "
                               f"(tensor number {i} in the list)")


def _common_dtype(tensors):
    rt = _dtype.result_type([t_.dtype for t_ in tensors])
    return [cast(t_, rt) for t_ in tensors]


@declare(method=False, aliases=("concat", "concatenate"))
def cat(tensors, dim=0):
    """The tensors joined along an existing dim."""
    tensors = [t_ for t_ in tensors if not (t_.ndim == 1 and t_.shape[0] == 0)] or list(tensors)[:1]
    d = canon_dim(dim, tensors[0].ndim if tensors else 1, "cat")
    _check_same(tensors, "cat", d, False)
    return Cat.apply(*_common_dtype(tensors), dim=d)


@declare(method=False)
def stack(tensors, dim=0):
    """The tensors (of one shape) joined along a new dim."""
    tensors = list(tensors)
    _check_same(tensors, "stack", dim, True)
    d = canon_dim(dim, tensors[0].ndim + 1, "stack")
    return Cat.apply(*(unsqueeze(t_, d) for t_ in _common_dtype(tensors)), dim=d)


class Contiguous(Function):
    @staticmethod
    def forward(ctx, x, memory_format=_mf.contiguous_format):
        return _mf.to_format(x, memory_format, xp_of(x))

    @staticmethod
    def backward(ctx, g):
        return g, None


@declare(top=False)
def contiguous(x, memory_format=_mf.contiguous_format):
    """x, or a C-contiguous copy of it (``memory_format=autograd_lite.channels_last``: an NHWC-strided copy)."""
    if memory_format is _mf.contiguous_format:          # the common call, kept cheap
        return x if x._data.flags.c_contiguous else Contiguous.apply(x)
    return x if _mf.is_in_format(x._data, memory_format) else Contiguous.apply(x, memory_format)


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


@declare
def clone(x, *, memory_format=_mf.preserve_format):
    """A copy with its own storage (C-contiguous, or in `memory_format`, preserving channels_last by default); the
    gradient flows through."""
    fmt = _mf.suggest(x._data) if memory_format is _mf.preserve_format else memory_format
    out = Clone.apply(x)
    return out if fmt is _mf.contiguous_format else contiguous(out, fmt)


@declare(top=False)
def repeat(x, *sizes):
    """``x.repeat(2, 3)``: x tiled sizes[i] times along each dim (leading sizes add dims), as in PyTorch; a
    broadcast view and a reshape, so the gradient sums the tiles."""
    sizes = shape_arg(sizes, "repeat")
    if len(sizes) < x.ndim:
        raise RuntimeError(f"repeat: Number of dimensions of repeat dims can not be smaller than number of dimensions "
                           f"of tensor ({len(sizes)} < {x.ndim})")
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"repeat: Trying to create tensor with negative dimension {min(sizes)}: {list(sizes)}")
    shape = (1,) * (len(sizes) - x.ndim) + tuple(x.shape)
    pairs = tuple(itertools.chain.from_iterable((1, s) for s in shape))
    tiled = tuple(itertools.chain.from_iterable(zip(sizes, shape)))
    return reshape(expand(reshape(x, pairs), tiled), tuple(r * s for r, s in zip(sizes, shape)))


@declare
def tile(x, dims):
    """``torch.tile``: repeat, with missing leading dims taken as 1."""
    dims = shape_arg((dims,) if isinstance(dims, int) else dims, "tile")
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


@declare
def repeat_interleave(x, repeats, dim=None):
    """Each element repeated `repeats` (an int) times in a row along `dim` (None: of the flattened tensor)."""
    if not isinstance(repeats, int):
        if isinstance(repeats, Tensor) and repeats.numel() == 1:
            repeats = int(repeats.item())
        else:
            raise TypeError("repeat_interleave: only an int number of repeats is supported")
    if repeats < 0:
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    if dim is None:
        x, dim = reshape(x, (-1,)), 0
    d = canon_dim(dim, x.ndim, "repeat_interleave")
    shape = tuple(x.shape)
    wide = expand(unsqueeze(x, d + 1), shape[:d + 1] + (repeats,) + shape[d + 1:])
    return reshape(wide, shape[:d] + (shape[d] * repeats,) + shape[d + 1:])


@declare(method=False)
def meshgrid(*tensors, indexing="ij"):
    """``torch.meshgrid``: 1-D tensors broadcast to a grid; indexing 'ij' (matrix) or 'xy' (Cartesian)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D")
    flat = [reshape(t, (-1,)) for t in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(t.shape[0] for t in flat)
    grids = [expand(reshape(t, tuple(-1 if j == i else 1 for j in range(len(flat)))), shape)
             for i, t in enumerate(flat)]
    if swap:                                 # 'xy': the grid of (b, a, ...), outputs back in the inputs' order
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


class Flip(Function):
    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return xp_of(x).flip(x, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return flip(g, ctx.dims) if m.is_graph(g) else xp_of(g).flip(g, ctx.dims), None


@declare
def flip(x, *dims_, dims=None):
    """x with the order of its elements reversed along `dims` (a copy, as PyTorch): ``x.flip(0, -1)``,
    ``torch.flip(x, (0,))``, ``torch.flip(x, dims=[1])``."""
    if dims is None and not dims_:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    dims = tuple(canon_dim(d, x.ndim, "flip") for d in shape_arg(dims_ if dims is None else (dims,), "flip"))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"flip: dim {next(d for d in dims if dims.count(d) > 1)} appears multiple times in the "
                           "list of dims")
    return Flip.apply(x, dims if x.ndim else ())          # a 0-d tensor takes dim 0 and stays as it is


@declare
def fliplr(x):
    """x flipped left-right (dim 1)."""
    if x.ndim < 2:
        raise RuntimeError("fliplr: Input must be >= 2-d.")
    return flip(x, (1,))


@declare
def flipud(x):
    """x flipped up-down (dim 0)."""
    if x.ndim < 1:
        raise RuntimeError("flipud: Input must be >= 1-d.")
    return flip(x, (0,))


@declare(aliases=("moveaxis",))
def movedim(x, source, destination):
    """x with dim(s) `source` moved to `destination`, the other dims in their order (a view)."""
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    for what, given in (("source", src), ("destination", dst)):
        if len({canon_dim(d, x.ndim, "movedim") for d in given}) != len(given):
            raise RuntimeError(f"movedim: repeated dim in `{what}` ({list(given)})")
    src = [canon_dim(d, x.ndim, "movedim") for d in src]
    dst = [canon_dim(d, x.ndim, "movedim") for d in dst]
    order = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(x, tuple(order))


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return xp_of(x).roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts)
        return (Roll.apply(g, back, ctx.dims) if m.is_graph(g) else xp_of(g).roll(g, back, ctx.dims)), None, None


@declare
def roll(x, shifts, dims=None):
    """x with its elements shifted by `shifts` along `dims` (None: of the flattened tensor), wrapping around."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return reshape(Roll.apply(reshape(x, -1), shifts, (0,)), tuple(x.shape))
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if x.ndim == 0:
        raise IndexError("roll: Dimension specified as 0 but tensor has no dimensions")
    if len(dims) != len(shifts):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    return Roll.apply(x, shifts, tuple(canon_dim(d, x.ndim, "roll") for d in dims))


def _mT(x):
    if x.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {x.ndim}-D tensor.")
    return transpose(x, -2, -1)


_api.attach_property("T", lambda x: permute(x, tuple(reversed(range(x.ndim)))), "The dims reversed.")
_api.attach_property("mT", _mT, "The last two dims swapped (a batch of matrices).")


@declare
def broadcast_to(x, shape):
    """``torch.broadcast_to(x, (2, 3, 4))``: x broadcast to `shape` (a view; -1 keeps a dim), as ``expand``."""
    return expand(x, shape_arg((shape,) if isinstance(shape, int) else shape, "broadcast_to"))


@declare
def unflatten(x, dim, sizes):
    """Dim `dim` split into the dims `sizes` (one may be -1): ``x.unflatten(1, (2, 2))`` of a (3, 4) tensor is
    (3, 2, 2)."""
    if x.ndim == 0:
        raise RuntimeError("unflatten: Dimension specified as 0 but tensor has no dimensions")
    d = canon_dim(dim, x.ndim, "unflatten")
    sizes = shape_arg((sizes,) if isinstance(sizes, int) else sizes, "unflatten")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten: only one dimension can be inferred")
    if any(s < -1 for s in sizes):
        raise RuntimeError(f"unflatten: invalid shape dimension {min(sizes)} in sizes {list(sizes)}")
    known, n = math.prod(s for s in sizes if s != -1), x.shape[d]
    if (known != n) if -1 not in sizes else (known == 0 or n % known):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} ({n}) "
                           "in the input tensor")
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1:])


# triangular parts -------------------------------------------------------------------------------------------------

def _triangle(x, k, lower):
    """The lower (or upper) triangle of the last two dims of array x, from diagonal k on; the rest zeros."""
    xp = xp_of(x)
    rows, cols = x.shape[-2:]
    keep = xp.tri(rows, cols, k, dtype=bool) if lower else ~xp.tri(rows, cols, k - 1, dtype=bool)
    return xp.where(keep, x, xp.zeros((), dtype=x.dtype))      # where, not a product: inf * 0 would be nan


class Tril(Function):
    lower = True

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return _triangle(x, k, ctx.lower)

    @staticmethod
    def backward(ctx, g):
        return (type(ctx).apply(g, ctx.k) if m.is_graph(g) else _triangle(g, ctx.k, ctx.lower)), None


class Triu(Tril):
    lower = False


def _check_matrix(x, op):
    if x.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")


@declare(inplace=True)
def tril(x, diagonal=0):
    """The lower triangle of (each matrix of) x, the diagonal `diagonal` included (0: the main one, > 0 above it);
    zeros elsewhere: ``torch.tril(x, -1)``."""
    _check_matrix(x, "tril")
    return Tril.apply(x, int(diagonal))


@declare(inplace=True)
def triu(x, diagonal=0):
    """The upper triangle of (each matrix of) x, from the diagonal `diagonal` up; zeros elsewhere."""
    _check_matrix(x, "triu")
    return Triu.apply(x, int(diagonal))


# diagonals --------------------------------------------------------------------------------------------------------

def _as_strided(x, shape, strides):
    """A view of array x with the given shape and strides (bytes), of x's array type (NumPy's as_strided drops
    subclasses)."""
    out = xp_of(x).lib.stride_tricks.as_strided(x, tuple(shape), tuple(strides))
    return out if type(out) is type(x) else out.view(type(x))


def _diagonal_view(x, offset, d1, d2):
    """The diagonal `offset` of array x over dims d1, d2, as its last dim: a writable view."""
    first, second = (0, offset) if offset >= 0 else (-offset, 0)
    n = max(min(x.shape[d1] - first, x.shape[d2] - second), 0)
    if n:
        key = [slice(None)] * x.ndim
        key[d1], key[d2] = slice(first, None), slice(second, None)
        x = x[tuple(key)]
    rest = [i for i in range(x.ndim) if i not in (d1, d2)]
    return _as_strided(x, [x.shape[i] for i in rest] + [n], [x.strides[i] for i in rest] + [x.strides[d1] +
                                                                                              x.strides[d2]])


class Diagonal(Function):
    """A view of a diagonal; its gradient puts g on the diagonal of zeros."""
    is_view = True

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.shape, ctx.where = x.shape, (offset, d1, d2)
        return _diagonal_view(x, offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        return _onto_diagonal(g, ctx.shape, *ctx.where), None, None, None


class OntoDiagonal(Function):
    """zeros(shape) with g on a diagonal: the gradient of diagonal (its own gradient is the diagonal again), and
    diag of a vector."""
    op_name = "diag_embed"

    @staticmethod
    def forward(ctx, g, shape, offset, d1, d2):
        ctx.where = (offset, d1, d2)
        out = xp_of(g).zeros(shape, dtype=g.dtype)
        _diagonal_view(out, offset, d1, d2)[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        offset, d1, d2 = ctx.where
        return (Diagonal.apply(gg, offset, d1, d2) if m.is_graph(gg) else _diagonal_view(gg, offset, d1, d2)), \
            None, None, None, None


def _onto_diagonal(g, shape, offset, d1, d2):
    if m.is_graph(g):
        return OntoDiagonal.apply(g, shape, offset, d1, d2)
    return OntoDiagonal.forward(Function.__new__(OntoDiagonal), g, shape, offset, d1, d2)


@declare
def diagonal(x, offset=0, dim1=0, dim2=1):
    """The diagonal `offset` (> 0 above the main one) over dims dim1 and dim2, as the last dim (a view):
    ``torch.diagonal(x)`` of a matrix, ``x.diagonal(0, -2, -1)`` of a batch."""
    d1, d2 = canon_dim(dim1, x.ndim, "diagonal"), canon_dim(dim2, x.ndim, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal: diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(x, int(offset), d1, d2)


@declare
def diag(x, diagonal=0):
    """A vector's square matrix with the vector on diagonal `diagonal`, or a matrix's diagonal `diagonal` (a copy):
    ``torch.diag(torch.tensor([1., 2.]))``."""
    k = int(diagonal)
    if x.ndim == 1:
        n = x.shape[0] + abs(k)
        return OntoDiagonal.apply(x, (n, n), k, 0, 1)
    if x.ndim == 2:
        return clone(Diagonal.apply(x, k, 0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")


@declare
def trace(x):
    """The sum of a matrix's main diagonal (integers sum to int64, as ``sum``)."""
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    if x.dtype.name == "bool":
        raise not_implemented("trace", x)
    return Diagonal.apply(x, 0, 0, 1).sum()


# sliding windows --------------------------------------------------------------------------------------------------

def _windows(x, d, size, step):
    """The windows of array x along dim d as a view: that dim becomes the window count, a new last dim of `size`.
    Overlapping windows are read-only where the array type allows (a write would land twice)."""
    n = (x.shape[d] - size) // step + 1
    st = x.strides
    out = _as_strided(x, x.shape[:d] + (n,) + x.shape[d + 1:] + (size,),
                      st[:d] + (st[d] * step,) + st[d + 1:] + (st[d],))
    if step < size and n > 1 and hasattr(out.flags, "writeable"):
        out.flags.writeable = False
    return out


class Unfold(Function):
    """The windows of x as a view; the gradient sums each window's gradient back in place (overlaps add)."""
    is_view = True

    @staticmethod
    def forward(ctx, x, d, size, step):
        ctx.shape, ctx.how = x.shape, (d, size, step)
        return _windows(x, d, size, step)

    @staticmethod
    def backward(ctx, g):
        if m.is_graph(g):
            return FoldWindows.apply(g, ctx.shape, *ctx.how), None, None, None
        return _fold_array(g, ctx.shape, *ctx.how), None, None, None


class FoldWindows(Function):
    """The windows' values summed back into an array of `shape`: unfold's gradient; its own gradient is unfold."""
    op_name = "unfold_backward"

    @staticmethod
    def forward(ctx, g, shape, d, size, step):
        ctx.how = (d, size, step)
        return _fold_array(g, shape, d, size, step)

    @staticmethod
    def backward(ctx, gg):
        return (Unfold.apply(gg, *ctx.how) if m.is_graph(gg) else _windows(gg, *ctx.how)), None, None, None, None


def _fold_array(g, shape, d, size, step):
    out = xp_of(g).zeros(shape, dtype=g.dtype)
    n = g.shape[d]
    if n == 0 or size == 0:
        return out
    lead = (slice(None),) * d
    if step >= size:                              # disjoint windows: one strided write
        _windows(out, d, size, step)[...] = g
    elif size <= n:                               # a loop over the window's offsets...
        for k in range(size):
            out[lead + (slice(k, k + step * (n - 1) + 1, step),)] += g[..., k]
    else:                                         # ...or over the windows, whichever is shorter
        xp = xp_of(g)
        for j in range(n):
            out[lead + (slice(j * step, j * step + size),)] += xp.moveaxis(g[lead + (j,)], -1, d)
    return out


@declare(top=False)
def unfold(x, dimension, size, step):
    """``x.unfold(dim, size, step)``: the windows of `size` elements every `step` along `dim`; that dim becomes
    the window count and a new last dim of `size` holds each window (a view). ``arange(5).unfold(0, 2, 2)`` is
    ``[[0, 1], [2, 3]]``."""
    d = canon_dim(dimension, x.ndim, "unfold")
    n = x.shape[d] if x.ndim else 1
    if size < 0:
        raise RuntimeError(f"unfold: size is {size} but must be >= 0")
    if size > n:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    if x.ndim == 0:                               # a 0-d tensor unfolds as one element: (size,)
        return Unfold.apply(reshape(x, 1), 0, size, step)[0]
    return Unfold.apply(x, d, size, step)


def _check_factor(x, factor, op, arg):
    """PyTorch's checks of pixel_shuffle/pixel_unshuffle's input and factor, in its order; the factor as an int."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    # an int as torch's parser takes one: Python or NumPy ints and 0-d integer tensors, never a bool
    integral = (isinstance(factor, Tensor) and factor.ndim == 0 and factor.dtype.np.kind in "iu") or (
        isinstance(factor, numbers.Integral) and not isinstance(factor, bool))
    if not integral:
        raise TypeError(f"{op}(): argument '{arg}' (position 2) must be int, not {type(factor).__name__}")
    factor = int(factor)
    if x.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input with {x.ndim} "
                           "dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {arg}, but got {factor}")
    return factor


@declare(method=False, functional=True)
def pixel_shuffle(input, upscale_factor):
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r), as ``F.pixel_shuffle`` (sub-pixel convolution)."""
    r = _check_factor(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    if r * r >= 2 ** 63:
        raise ValueError(f"upscale factor is too large, (upscale_factor)^2 overflowed: upscale_factor={r}")
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(batch)
    x = reshape(input, *batch, c // (r * r), r, r, h, w)
    x = permute(x, *range(n), n, n + 3, n + 1, n + 4, n + 2)
    return reshape(x, *batch, c // (r * r), h * r, w * r)


@declare(method=False, functional=True)
def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W): ``F.pixel_shuffle`` undone, as ``F.pixel_unshuffle``."""
    r = _check_factor(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    *batch, c, h, w = input.shape
    for name, size, d in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({d})={size} is not divisible by {r}")
    n = len(batch)
    x = reshape(input, *batch, c, h // r, r, w // r, r)
    x = permute(x, *range(n), n, n + 2, n + 4, n + 1, n + 3)
    return reshape(x, *batch, c * r * r, h // r, w // r)


# ---- in-place views: the tensor itself takes the new shape (and, under autograd, the view's history) -------------

def _inplace_view(fn, name, check=None):
    def method(self, *args, **kwargs):
        if check is not None:
            check(self)
        if _grad_state.enabled and self._rg and self.grad_fn is None:
            raise RuntimeError(LEAF_INPLACE_MESSAGE)
        out = fn(self, *args, **kwargs)
        self._data = out._data
        if out._rg:
            self.grad_fn, self._rg = out.grad_fn, out._rg
        self._version[0] += 1
        return self
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place :func:`{name}`: this tensor takes the new shape."
    return method


def _check_t(x):
    if x.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")


for _name, _fn, _check in (("squeeze", squeeze, None), ("unsqueeze", unsqueeze, None), ("t", t, _check_t),
                           ("transpose", transpose, None), ("swapaxes", transpose, None),
                           ("swapdims", transpose, None)):
    declare(_fn, name=_name, method=False, top=False, inplace=_inplace_view(_fn, _name, _check))


@declare(method=False, top=True, functional=True, aliases=("native_channel_shuffle",))
def channel_shuffle(input, groups):
    """Splits the C channels of (N, C, *) into `groups` groups and interleaves them (ShuffleNet): channel
    ``g * (C // groups) + k`` moves to ``k * groups + g``.

    Example: ``F.channel_shuffle(x, 2)`` on channels [0, 1, 2, 3] gives [0, 2, 1, 3]."""
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)
