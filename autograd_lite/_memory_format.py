"""torch's layouts (``strided``, ``sparse_coo``, ...) and memory formats (``contiguous_format``, ``channels_last``,
...) as objects, and what a memory format means for an array.

Every tensor here is strided (dense). ``channels_last`` is real: ``x.contiguous(memory_format=channels_last)`` gives
an NHWC-strided array (NumPy and CuPy arrays carry any strides), with torch's ``stride()`` and
``is_contiguous(memory_format=...)``; ops take any strides, so results compute the same either way (their own
outputs are C-contiguous, where torch's often keep channels_last)."""
import numpy as np


class _Named:
    """A named singleton that prints and pickles as its module-level name."""
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"autograd_lite.{self.name}"

    def __reduce__(self):
        return self.name


class layout(_Named):
    """A tensor layout: ``autograd_lite.strided`` (the only one tensors here have), ``sparse_coo``, ..."""
    __slots__ = ()


class memory_format(_Named):
    """A memory format: ``contiguous_format``, ``channels_last`` (NHWC), ``channels_last_3d`` (NDHWC),
    ``preserve_format``, ``legacy_contiguous_format``."""
    __slots__ = ()


strided, sparse_coo, sparse_csr, sparse_csc, sparse_bsr, sparse_bsc, jagged = (
    layout(n) for n in ("strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "jagged"))
contiguous_format, channels_last, channels_last_3d, preserve_format, legacy_contiguous_format = (
    memory_format(n) for n in ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
                               "legacy_contiguous_format"))
LAYOUTS = ("strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "jagged")
FORMATS = ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format", "legacy_contiguous_format")


def check(fmt, op):
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{op}(): argument 'memory_format' must be torch.memory_format, not {type(fmt).__name__}")


def _channels_last_rank(fmt):
    return 4 if fmt is channels_last else 5 if fmt is channels_last_3d else None


def is_in_format(array, fmt):
    """Whether `array` is contiguous in memory format `fmt` (torch's is_contiguous(memory_format=fmt))."""
    check(fmt, "is_contiguous")
    if fmt is preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    rank = _channels_last_rank(fmt)
    if rank is None:
        return bool(array.flags.c_contiguous)
    if array.ndim != rank:
        return False
    order = (0,) + tuple(range(2, rank)) + (1,)         # N, (D,) H, W, C from slowest to fastest
    expected, size = {}, array.itemsize
    for d in reversed(order):
        expected[d] = size
        size *= array.shape[d]
    return all(array.shape[d] == 1 or array.strides[d] == expected[d] for d in range(rank))


def suggest(array):
    """The memory format an array of these strides is in (preserve_format keeps it)."""
    for fmt in (channels_last, channels_last_3d):
        if array.ndim == _channels_last_rank(fmt) and not array.flags.c_contiguous and is_in_format(array, fmt):
            return fmt
    return contiguous_format


def to_format(array, fmt, xp=np):
    """`array` laid out in memory format `fmt` (itself when already so): channels_last is an NHWC array's NCHW view."""
    check(fmt, "contiguous")
    if fmt is preserve_format:
        fmt = suggest(array)
    rank = _channels_last_rank(fmt)
    if rank is None:
        return array if array.flags.c_contiguous else xp.ascontiguousarray(array)
    if array.ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format")
    if is_in_format(array, fmt):
        return array
    order = (0,) + tuple(range(2, rank)) + (1,)
    back = tuple(int(i) for i in np.argsort(order))
    return xp.ascontiguousarray(array.transpose(order)).transpose(back)
