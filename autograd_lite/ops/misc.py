"""Device moves, remainder, logical ops, allclose, split/chunk/unbind, nonzero."""
from ..autograd.function import Function
from ..backend import backend_of, device as _device, get_backend
from ..tensor import Tensor
from ._util import quiet, canon_dim, promote_pair, xp_of, as_tensor, wrap
from .indexing import index


class ToDevice(Function):
    """A copy on another device (through host memory); the gradient goes back to the source device."""
    op_name = "to"

    @staticmethod
    def forward(ctx, x, backend, index):
        ctx.source = source = backend_of(x)
        ctx.index = source.device_of(x).index
        return backend.from_host(source.to_host(x), index)

    @staticmethod
    def backward(ctx, g):
        return ctx.source.from_host(backend_of(g).to_host(g), ctx.index), None, None


def to_device(x, device):
    dev = _device(device)
    be, src = get_backend(dev), backend_of(x._data)
    if be is src and (dev.index is None or src.device_of(x._data) == dev):
        return x
    return ToDevice.apply(x, be, dev.index)


def remainder(a, b):
    a = as_tensor(a, b if isinstance(b, Tensor) else None)
    a, b = promote_pair(a, b)
    bd = b._data if isinstance(b, Tensor) else b
    if a._data.dtype.kind in "biu" and not xp_of(a._data).all(bd != 0):
        raise ZeroDivisionError("ZeroDivisionError: integer modulo by zero")
    with quiet(xp_of(a._data)):
        return wrap(xp_of(a._data).remainder(a._data, bd), a._data)


def logical_not(a):
    """``~x``: logical not of a bool tensor, bitwise not of an integer one (as in PyTorch)."""
    d = a._data
    return wrap(~d if d.dtype.kind in "biu" else d == 0, d)


def _bitwise(fn):
    def op(a, b):
        b = as_tensor(b, a)
        return wrap(fn(a._data, b._data), a._data)
    return op


logical_and = _bitwise(lambda a, b: a & b)
logical_or = _bitwise(lambda a, b: a | b)
logical_xor = _bitwise(lambda a, b: a ^ b)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    b = as_tensor(b, a)
    return bool(xp_of(a._data).allclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    b = as_tensor(b, a)
    return wrap(xp_of(a._data).isclose(a._data, b._data, rtol=rtol, atol=atol,
                                               equal_nan=equal_nan))


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


def chunk(x, chunks, dim=0):
    n = x.shape[canon_dim(dim, x.ndim, "chunk")]
    return split(x, max(1, -(-n // chunks)), dim)


def unbind(x, dim=0):
    d = canon_dim(dim, x.ndim, "unbind")
    return tuple(index(x, (slice(None),) * d + (i,)) for i in range(x.shape[d]))


def nonzero(x, as_tuple=False):
    idx = xp_of(x._data).nonzero(x._data)
    if as_tuple:
        return tuple(Tensor._make(i) for i in idx)
    return Tensor._make(xp_of(x._data).stack(idx, axis=1) if idx else xp_of(x._data).zeros((0, 0), "int64"))


def equal(a, b):
    """``torch.equal``: True when a and b have the same shape and elements."""
    return a.equal(b)
