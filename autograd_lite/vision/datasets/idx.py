"""The IDX format of MNIST-style files: a magic number (two zero bytes, a type code, the number of
dimensions), one big-endian int32 per dimension, then the values, big-endian, row-major."""
import numpy as np

from .utils import read_uncompressed

__all__ = ["read_idx", "parse_idx"]

_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_TYPE_NAMES = "0x08 ubyte, 0x09 byte, 0x0b short, 0x0c int, 0x0d float, 0x0e double"


def read_idx(path):
    """Reads an IDX file, gzipped or not, into a NumPy array of the type and shape its header
    gives (native byte order, writable).

    Example: ``read_idx("train-images-idx3-ubyte.gz").shape == (60000, 28, 28)`` (uint8).
    Raises ValueError naming the file when it is not IDX, truncated or longer than its header
    says."""
    return parse_idx(read_uncompressed(path), path)


def parse_idx(content, source="<bytes>"):
    """The array held by the IDX bytes `content`; `source` names them in errors."""
    if len(content) < 4:
        raise ValueError(f"{source}: truncated: {len(content)} bytes, shorter than the 4-byte "
                         "IDX magic number")
    if content[0] or content[1] or content[2] not in _TYPES:
        raise ValueError(f"{source}: not an IDX file: wrong magic number 0x{content[:4].hex()}; "
                         f"IDX files start with two zero bytes, a type code ({_TYPE_NAMES}) "
                         "and the number of dimensions")
    dtype, ndim = _TYPES[content[2]], content[3]
    offset = 4 + 4 * ndim
    if len(content) < offset:
        raise ValueError(f"{source}: truncated: the header of a {ndim}-d IDX file takes {offset} "
                         f"bytes, the file holds {len(content)}")
    shape = tuple(int(d) for d in np.frombuffer(content, ">i4", ndim, 4))
    if any(d < 0 for d in shape):
        raise ValueError(f"{source}: corrupt IDX header: negative size in shape {shape}")
    count = int(np.prod(shape, dtype=np.int64))
    expected, found = count * dtype.itemsize, len(content) - offset
    if found != expected:
        problem = "truncated" if found < expected else "wrong count"
        raise ValueError(f"{source}: {problem}: its header gives shape {shape} of "
                         f"{dtype.newbyteorder('=').name} ({expected} bytes of data), the file "
                         f"holds {found} bytes after the header")
    return np.frombuffer(content, dtype, count, offset).astype(dtype.newbyteorder("="))\
        .reshape(shape)
