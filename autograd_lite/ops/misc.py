"""Views of parts of a tensor (split, chunk, unbind, narrow) and nonzero."""
from .. import _api
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
    idx = xp_of(x._data).nonzero(x._data)
    if as_tuple:
        return tuple(Tensor._make(i) for i in idx)
    return Tensor._make(xp_of(x._data).stack(idx, axis=1) if idx else xp_of(x._data).zeros((0, 0), "int64"))
