"""The IDX format of MNIST-style files: a magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the values, big-endian, row-major."""
import math
import struct

import numpy as np

from .utils import UncompressedReader

__all__ = ["read_idx", "check_idx"]

_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_TYPE_NAMES = "0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float, 0x0e double"
_CHUNK = 1 << 18        # read by chunks: memory grows with the data there, not the data claimed


def read_idx(path):
    """Reads an IDX file, gzipped or not, into a NumPy array of the type and shape its header
    gives (native byte order, writable).

    Example: ``read_idx("train-images-idx3-ubyte.gz").shape == (60000, 28, 28)`` (uint8).
    Raises ValueError naming the file when it is not IDX (as torchvision: 1 to 3 dimensions, a
    known type code), truncated or longer than its header says. Memory grows with the data found,
    never with what the header claims, and a gzip file is inflated no further than its header
    says (one byte more tells it is too long)."""
    with open(path, "rb") as f:
        reader = UncompressedReader(f, path)
        dtype, shape = _header(reader)
        data = bytearray()
        for chunk in _data(reader, dtype, shape):
            data += chunk
    if math.prod(d for d in shape if d) * dtype.itemsize > np.iinfo(np.intp).max:   # empty, NumPy still refuses
        raise ValueError(f"{path}: its header gives shape {shape}, more than an array can hold")
    array = np.frombuffer(data, dtype).reshape(shape)
    return array.byteswap(inplace=True).view(dtype.newbyteorder("="))


def check_idx(reader):
    """Reads the IDX stream `reader` (an UncompressedReader) to its end with the checks and caps
    of read_idx, keeping nothing: the `drain` of utils.check_integrity and utils.fetch."""
    dtype, shape = _header(reader)
    for _ in _data(reader, dtype, shape):
        pass


def _header(reader):
    """``(dtype, shape)`` from the header at the start of `reader`."""
    magic = reader.read(4)
    if len(magic) < 4:
        raise ValueError(f"{reader.source}: truncated: {len(magic)} bytes, shorter than the 4-byte "
                         "IDX magic number")
    if magic[:2] != b"\0\0" or magic[2] not in _TYPES or not 1 <= magic[3] <= 3:
        raise ValueError(f"{reader.source}: not an IDX file: wrong magic number 0x{magic.hex()}; "
                         f"IDX files start with two zero bytes, a type code ({_TYPE_NAMES}) "
                         "and the number of dimensions (1 to 3)")
    ndim = magic[3]
    dims = reader.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError(f"{reader.source}: truncated: the header of a {ndim}-d IDX file takes "
                         f"{4 + 4 * ndim} bytes, the file holds {4 + len(dims)}")
    return _TYPES[magic[2]], struct.unpack(f">{ndim}I", dims)


def _data(reader, dtype, shape):
    """Yields the data that follows the header in chunks, then checks that the stream ends."""
    size = math.prod(shape) * dtype.itemsize        # a Python int: no header overflows it
    done = 0
    while done < size:
        chunk = reader.read(min(size - done, _CHUNK))
        if not chunk:
            raise _wrong_size(reader, "truncated", dtype, shape, size, done)
        done += len(chunk)
        yield chunk
    if reader.read(1):
        raise _wrong_size(reader, "wrong count", dtype, shape, size, f"more than {size}")


def _wrong_size(reader, problem, dtype, shape, size, found):
    return ValueError(f"{reader.source}: {problem}: its header gives shape {shape} of "
                      f"{dtype.newbyteorder('=').name} ({size} bytes of data), the file holds "
                      f"{found} bytes after the header")
