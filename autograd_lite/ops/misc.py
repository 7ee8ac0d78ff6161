"""Splitting a tensor into views (split, chunk, unbind) and nonzero."""
from .. import _api
from .._args import canon_dim
from ..tensor import Tensor
from ._util import xp_of
from .indexing import index

declare = _api.declare


@declare
def split(x, split_size, dim=0):
    d = canon_dim(dim, x.ndim, "split")
    n = x.shape[d]
    if isinstance(split_size, int):
        sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])
    else:
        sizes = list(split_size)
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
    n = x.shape[canon_dim(dim, x.ndim, "chunk")]
    return split(x, max(1, -(-n // chunks)), dim)


@declare
def unbind(x, dim=0):
    d = canon_dim(dim, x.ndim, "unbind")
    return tuple(index(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))


@declare
def nonzero(x, as_tuple=False):
    idx = xp_of(x._data).nonzero(x._data)
    if as_tuple:
        return tuple(Tensor._make(i) for i in idx)
    return Tensor._make(xp_of(x._data).stack(idx, axis=1) if idx else xp_of(x._data).zeros((0, 0), "int64"))
