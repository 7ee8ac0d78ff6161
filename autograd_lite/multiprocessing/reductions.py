"""How Tensors cross process boundaries (Process arguments, Queue.put): registered with multiprocessing's
ForkingPickler, as torch's. A CPU tensor is moved into shared memory first (``share_memory_``, in place, as
torch does for tensors put on a queue) and sent by name: the receiver maps the same block, so writes on either
side are seen by the other. CUDA tensors are sent by value and rebuilt on their device (no CUDA IPC here)."""
from multiprocessing.reduction import ForkingPickler

import numpy as np

from .. import _shm
from ..nn.parameter import Parameter
from ..tensor import Tensor

NON_LEAF_MESSAGE = ("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does not "
                    "support crossing process boundaries.  If you just want to transfer the data, call detach() on "
                    "the tensor before serializing (e.g., putting it on the queue).")


def _make(cls, data, requires_grad):
    t = cls.__new__(cls)
    t._init(data, requires_grad)
    return t


def rebuild_tensor(cls, description, requires_grad):
    """A `cls` tensor over the shared block `description` names (mapped, not copied)."""
    return _make(cls, _shm.map_shared(*description), requires_grad)


def rebuild_device_tensor(cls, array, device, requires_grad):
    t = _make(cls, array, False).to(device)
    return _make(cls, t._data, requires_grad)


def reduce_tensor(t):
    if t.requires_grad and t.grad_fn is not None:
        raise RuntimeError(NON_LEAF_MESSAGE)
    if type(t._data) is not np.ndarray:
        return rebuild_device_tensor, (type(t), t._host(), str(t.device), t._rg)
    if _shm._posixshmem is None:                # no shared memory on this platform: by value
        return _make, (type(t), t._data, t._rg)
    t.share_memory_()
    return rebuild_tensor, (type(t), _shm.describe(t._data), t._rg)


def init_reductions():
    """Registers the Tensor and Parameter reductions (done when autograd_lite.multiprocessing is imported)."""
    for cls in (Tensor, Parameter):
        ForkingPickler.register(cls, reduce_tensor)
