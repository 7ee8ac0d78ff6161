"""How a worker's batch reaches the main process: large NumPy arrays (and the arrays under Tensors)
travel through POSIX shared memory, written once by the worker and mapped, not copied, by the main
process, which unlinks the block as it maps it (the mapping lives as long as the array). Small
arrays, and every array where POSIX shared memory is missing, are pickled through the queue."""
import itertools
import mmap
import os
from multiprocessing.reduction import ForkingPickler

import numpy as np

from ...tensor import Tensor

try:
    import _posixshmem
except ImportError:                 # not POSIX: pickling only
    _posixshmem = None

SHARE_MIN_BYTES = 1 << 16           # below this, pickling costs less than a shared block
_counter = itertools.count()


def _to_shared(array):
    """The name of a new shared block holding a copy of `array` (C-contiguous, at least 1 byte)."""
    name = f"/al_dl_{os.getpid()}_{next(_counter)}"
    fd = _posixshmem.shm_open(name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode=0o600)
    try:
        os.ftruncate(fd, array.nbytes)
        with mmap.mmap(fd, array.nbytes) as block:
            np.frombuffer(block, array.dtype, array.size).reshape(array.shape)[...] = array
    except BaseException:
        _posixshmem.shm_unlink(name)
        raise
    finally:
        os.close(fd)
    return name


def _from_shared(name, shape, dtype):
    """The array in shared block `name`, mapped; the name is unlinked at once."""
    fd = _posixshmem.shm_open(name, os.O_RDWR, mode=0o600)
    try:
        _posixshmem.shm_unlink(name)
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        block = mmap.mmap(fd, size)
    finally:
        os.close(fd)
    return np.frombuffer(block, dtype, int(np.prod(shape))).reshape(shape)


def _shareable(array):
    return _posixshmem is not None and array.nbytes >= SHARE_MIN_BYTES and \
        array.dtype.kind in "biufc"


def _reduce_array(array):
    if not _shareable(array):
        return array.__reduce_ex__(4)
    return _from_shared, (_to_shared(np.ascontiguousarray(array)), array.shape, array.dtype.str)


def _rebuild_tensor(array, requires_grad):
    return Tensor._make(array, requires_grad)


def _reduce_tensor(t):
    return _rebuild_tensor, (t._host(), t.requires_grad)


def register_reducers():
    """Makes multiprocessing's pickler (the queues') send arrays and Tensors through shared memory:
    called once in each worker process."""
    ForkingPickler.register(np.ndarray, _reduce_array)
    ForkingPickler.register(Tensor, _reduce_tensor)

