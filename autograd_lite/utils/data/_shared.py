"""How a worker's batch reaches the main process: large NumPy arrays (and the arrays under Tensors)
travel through POSIX shared memory, written once by the worker and mapped, not copied, by the main
process, which unlinks the block as it maps it (the mapping lives as long as the array). Small
arrays, and every array where POSIX shared memory is missing, are pickled through the queue."""
from multiprocessing.reduction import ForkingPickler

import numpy as np

from ... import _shm
from ..._shm import map_once as _from_shared, write_once as _to_shared
from ...tensor import Tensor

SHARE_MIN_BYTES = 1 << 16           # below this, pickling costs less than a shared block


def _shareable(array):
    return _shm._posixshmem is not None and array.nbytes >= SHARE_MIN_BYTES and \
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

