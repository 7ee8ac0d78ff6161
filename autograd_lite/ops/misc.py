"""Views of parts of a tensor (split, chunk, unbind, narrow) and nonzero."""
from .. import _api
from .. import _float8
from .._args import canon_dim
from ..tensor import Tensor
from ._util import xp_of
from .indexing import index

declare = _api.declare


def _check_dims(x, op):
    if x.ndim == 0:
        raise RuntimeError(f"{op} expects at least a 1-dimensional tensor")


@declare
def split(x, split_size, dim=0):
    """Views of x along `dim`: pieces of `split_size` (the last one shorter), or of each size in a list:
    ``x.split([1, 3], dim=1)``."""
    _check_dims(x, "split")
    d = canon_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size, Tensor):
        split_size = int(split_size.item())
    if isinstance(split_size, int):
        if split_size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={split_size}")
        if split_size == 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        if n == 0:
            sizes = [0]
        else:
            sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])
    else:
        sizes = [int(s) for s in split_size]
        if any(s < 0 for s in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={sizes}")
        if sum(sizes) != n:
            raise RuntimeError(f"split: split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(index(x, (slice(None),) * d + (slice(start, start + s),)))
        start += s
    return tuple(out)


@declare
def chunk(x, chunks, dim=0):
    """At most `chunks` views of x along `dim`, of ceil(size / chunks) elements each (the last one shorter)."""
    _check_dims(x, "chunk")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = x.shape[canon_dim(dim, x.ndim, "chunk")]
    if n == 0:                      # as PyTorch: `chunks` empty pieces
        return split(x, [0] * chunks, dim)
    return split(x, -(-n // chunks), dim)


@declare
def unbind(x, dim=0):
    """The slices of x along `dim` (that dim removed), as a tuple of views."""
    if x.ndim == 0:
        raise IndexError("unbind: Dimension specified as 0 but tensor has no dimensions")
    d = canon_dim(dim, x.ndim, "unbind")
    return tuple(index(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))


@declare
def narrow(x, dim, start, length):
    """The `length` elements of x from `start` along `dim` (a view): ``x.narrow(1, 1, 2)`` is ``x[:, 1:3]``."""
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = canon_dim(dim, x.ndim, "narrow")
    if isinstance(start, Tensor):
        if start.ndim or start.dtype.is_floating_point or start.dtype.name == "bool":
            raise RuntimeError("narrow(): start must be an 0-dim integral Tensor.")
        start = int(start.item())
    n = x.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"narrow(): start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    start = start + n if start < 0 else start
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return index(x, (slice(None),) * d + (slice(start, start + length),))


@declare
def nonzero(x, as_tuple=False):
    _float8.refuse("nonzero", x)
    if x.ndim == 0:             # as PyTorch: a 0-d input has rows of no coordinates
        xp = xp_of(x._data)
        rows = int(bool(x._data))
        return (Tensor._make(xp.zeros(rows, "int64")),) if as_tuple else Tensor._make(xp.zeros((rows, 0), "int64"))
    idx = xp_of(x._data).nonzero(x._data)
    if as_tuple:
        return tuple(Tensor._make(i) for i in idx)
    return Tensor._make(xp_of(x._data).stack(idx, axis=1) if idx else xp_of(x._data).zeros((0, 0), "int64"))


@declare
def split_with_sizes(x, split_sizes, dim=0):
    """Views of x along `dim` of the given sizes (which must add up to its size): ``x.split_with_sizes([1, 3])``."""
    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                           f"split_sizes={sizes}")
    _check_dims(x, "split_with_sizes")
    d = canon_dim(dim, x.ndim, "split_with_sizes")
    if sum(sizes) != x.shape[d]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {x.shape[d]} (input tensor's "
                           f"size at dimension {d}), but got split_sizes={sizes}")
    return split(x, sizes, dim)


def _tensor_split_arg(arg):
    if isinstance(arg, Tensor):
        if arg.dtype.name != "int64":
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{arg.dtype.scalar_type}")
        if arg.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {arg.ndim} dims")
        return int(arg.item()) if arg.ndim == 0 else [int(i) for i in arg.tolist()]
    if isinstance(arg, bool) or not isinstance(arg, (int, list, tuple)):
        raise TypeError(f"tensor_split() received an invalid combination of arguments - got (Tensor, "
                        f"{type(arg).__name__}), but expected one of:\n"
                        " * (Tensor input, tuple of ints indices, int dim = 0)\n"
                        " * (Tensor input, Tensor tensor_indices_or_sections, int dim = 0)\n"
                        " * (Tensor input, int sections, int dim = 0)\n")
    return arg


@declare
def tensor_split(x, indices_or_sections, dim=0):
    """Views of x along `dim`: `n` nearly equal pieces (the first ``size % n`` one longer), or the pieces between
    the given indices: ``torch.tensor_split(torch.arange(7), 3)``, ``x.tensor_split([1, 5], dim=1)``."""
    if x.ndim == 0:
        raise RuntimeError(f"tensor_split expected at least a 1-dimensional tensor, but got a tensor with "
                           f"{x.ndim} dims")
    arg = _tensor_split_arg(indices_or_sections)
    d = canon_dim(dim, x.ndim, "tensor_split")
    lead = (slice(None),) * d
    if isinstance(arg, int):
        if arg <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {arg}")
        n = x.shape[d]
        size, extra = divmod(n, arg)
        out, start = [], 0
        for i in range(arg):
            step = size + (i < extra)
            out.append(index(x, lead + (slice(start, start + step),)))
            start += step
        return tuple(out)
    bounds = [None] + [int(i) for i in arg] + [None]
    return tuple(index(x, lead + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:]))


def _directional_split(name, dim_of, min_dims):
    def op(input, indices_or_sections):
        if input.ndim < min_dims:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor "
                               f"with {input.ndim} dimensions!")
        d = dim_of(input)
        arg = indices_or_sections
        if isinstance(arg, int) and not isinstance(arg, bool):
            n = input.shape[d]
            if arg == 0 or n % arg:
                raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the "
                                   f"dimension {n} is not divisible by the split_size {arg}!")
        return tensor_split(input, arg, d)
    op.__name__ = op.__qualname__ = name
    return op


hsplit = _directional_split("hsplit", lambda x: 1 if x.ndim > 1 else 0, 1)
vsplit = _directional_split("vsplit", lambda x: 0, 2)
dsplit = _directional_split("dsplit", lambda x: 2, 3)
hsplit.__doc__ = "``tensor_split`` along dim 1 (dim 0 of a 1-d tensor); sections must divide it: ``x.hsplit(2)``."
vsplit.__doc__ = "``tensor_split`` along dim 0 of a tensor of 2 or more dims; sections must divide it: ``x.vsplit(2)``."
dsplit.__doc__ = "``tensor_split`` along dim 2 of a tensor of 3 or more dims; sections must divide it: ``x.dsplit(2)``."
for _op in (hsplit, vsplit, dsplit):
    declare(_op)


@declare
def argwhere(input):
    """The indices of the nonzero elements of input, one row each (``nonzero(input)``):
    ``torch.argwhere(torch.tensor([[1, 0], [0, 3]]))`` gives ``[[0, 0], [1, 1]]``."""
    return nonzero(input)
