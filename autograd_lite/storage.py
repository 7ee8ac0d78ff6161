"""Storages, as torch's: ``Tensor.untyped_storage()`` (the bytes a tensor's memory lives in) and the deprecated
``Tensor.storage()`` (a TypedStorage: the same bytes seen as elements of one dtype).

A tensor here holds a NumPy (or CuPy) array; its storage is the memory of the array at the root of its ``.base``
chain, so every view of a tensor reports the same ``data_ptr()`` as its base: the test users (safetensors, HF)
write to find tensors that share memory. Storages read that memory; they do not own or move it.

Example::

    >>> x = autograd_lite.zeros(2, 3)
    >>> x[1].untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    True
"""
import ctypes
import warnings

import numpy as np

from . import _dtype, _shm
from .tensor import Tensor

_warned = [False]


def _warn_typed_storage_removal(stacklevel=2):
    """torch's UserWarning, once per process, when a TypedStorage is made."""
    if not _warned[0]:
        warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the "
                      "only storage class. This should only matter to you if you are using storages directly.  To "
                      "access UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()",
                      UserWarning, stacklevel=stacklevel + 1)
        _warned[0] = True


def _root_of(data):
    """(root array: the last of the `.base` chain, address of its first byte, its size in bytes)."""
    root = data
    while isinstance(root.base, (np.ndarray, type(data))):
        root = root.base
    if not isinstance(root, np.ndarray):            # CuPy: the root array's memory
        return root, int(root.data.ptr), int(root.nbytes)
    lo, hi = np.lib.array_utils.byte_bounds(root)
    if isinstance(root.base, memoryview) and _shm.block_of(root) is not None:
        lo += _shm.HEADER           # a shared-memory block: the tensor's bytes start after its header
    return root, lo, hi - lo


def _host_bytes(storage):
    """The storage's bytes as a host uint8 array (a view on the CPU, a copy from the GPU)."""
    root, n = storage._root, storage._nbytes
    if n == 0:
        return np.zeros(0, np.uint8)
    if isinstance(root, np.ndarray):       # the memory stays alive: `root` is held by the storage
        return np.ctypeslib.as_array((ctypes.c_uint8 * n).from_address(storage._ptr))
    import cupy
    return cupy.ndarray((n,), cupy.uint8, memptr=root.data).get()


class UntypedStorage:
    """The bytes a tensor lives in: ``x.untyped_storage()``, or a new zeroed one, ``UntypedStorage(8)``, or one
    holding the byte values of a sequence, ``UntypedStorage([1, 2, 3])``.

    Example: ``a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()`` tells whether two tensors share
    memory."""

    def __init__(self, *args, device=None):
        if len(args) > 1:
            raise TypeError(f"torch.UntypedStorage(): expected at most 1 argument, got {len(args)}")
        arg = args[0] if args else 0
        if isinstance(arg, (int, np.integer)) and not isinstance(arg, bool):
            values = np.zeros(int(arg), np.uint8)
        else:
            for v in arg:
                if not isinstance(v, (int, np.integer)):
                    raise RuntimeError(f"torch.UntypedStorage(): tried to construct a storage from a sequence "
                                       f"({type(arg).__name__}), but one of the items was of type "
                                       f"{type(v).__name__} instead of int")
            values = np.array(list(arg), np.int64).astype(np.uint8)
        t = Tensor._make(values)
        self._set(t if device is None else t.to(device), None)

    @classmethod
    def _of(cls, tensor):
        s = cls.__new__(cls)
        s._set(tensor, tensor)
        return s

    def _set(self, tensor, owner):
        self._root, self._ptr, self._nbytes = _root_of(tensor._data)
        self._device, self._owner = tensor.device, owner

    def data_ptr(self):
        """The address of the first byte (0 for an empty storage)."""
        return self._ptr if self._nbytes else 0

    def nbytes(self):
        return self._nbytes

    def size(self):
        return self._nbytes

    def __len__(self):
        return self._nbytes

    def element_size(self):
        return 1

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            raise RuntimeError("slices are only supported on a tensor here: use the tensor's own view")
        n = self._nbytes
        i = int(idx)
        if not -n <= i < n:
            raise IndexError(f"index {idx} out of range for storage of size {n}")
        return int(_host_bytes(self)[i])

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self):
        return _host_bytes(self).tolist()

    def is_shared(self):
        """Whether the bytes are in shared memory (``share_memory_``); CUDA storages count as shared, as torch's."""
        if self._device.type == "cuda":
            return True
        return _shm.block_of(self._root) is not None

    def share_memory_(self):
        """Moves the tensor this storage came from into shared memory (``Tensor.share_memory_``): views made of it
        before keep the old memory, as the arrays here cannot be re-pointed. Returns self."""
        if not self.is_shared() and self._owner is not None:
            if self._owner._data.base is not None:      # moving a view would cut it off from its base
                raise RuntimeError("share_memory_(): the storage of a view cannot be moved into shared memory "
                                   "here; call share_memory_() on the tensor that owns the memory")
            self._owner.share_memory_()
            self._set(self._owner, self._owner)
        return self

    def type(self, dtype=None, non_blocking=False):
        return "autograd_lite.storage.UntypedStorage" if dtype is None else TypedStorage(
            wrap_storage=self, dtype=dtype).type()

    def untyped(self):
        return self

    def cpu(self):
        return self if self._device.type == "cpu" else UntypedStorage(self.tolist())

    def __repr__(self):
        return f"[autograd_lite.storage.UntypedStorage(device={self._device}) of size {self._nbytes}]"

    def __str__(self):
        values = self.tolist()
        return "\n".join(f" {v}" for v in values) + ("\n" if values else "") + repr(self)


class TypedStorage:
    """A storage seen as elements of one dtype (deprecated in torch, warns once): ``x.storage()``, a new one
    ``TypedStorage(3)`` / ``TypedStorage([1., 2.])`` (the default dtype unless `dtype` is given), or
    ``TypedStorage(wrap_storage=untyped, dtype=autograd_lite.int32)``.

    Example: ``autograd_lite.arange(3.).storage().tolist()`` is ``[0.0, 1.0, 2.0]``."""

    def __init__(self, *args, device=None, dtype=None, wrap_storage=None, _internal=False):
        if not _internal:
            _warn_typed_storage_removal()
        self.dtype = _dtype.get_default_dtype() if dtype is None else _dtype.to_dtype(dtype)
        if wrap_storage is not None:
            if args:
                raise RuntimeError("TypedStorage(): No positional arguments are allowed when `wrap_storage` is "
                                   "given")
            if not isinstance(wrap_storage, UntypedStorage):
                raise TypeError(f"expected a Storage object for argument 'wrap_storage', but got "
                                f"{type(wrap_storage).__name__}")
            self._untyped_storage = wrap_storage
            return
        if len(args) > 1:
            raise TypeError(f"TypedStorage(): expected at most 1 argument, got {len(args)}")
        arg = args[0] if args else 0
        if isinstance(arg, (int, np.integer)) and not isinstance(arg, bool):
            t = Tensor._make(np.zeros(int(arg), self.dtype.np))
        else:
            t = Tensor._make(np.asarray(list(arg)).astype(self.dtype.np))
        self._untyped_storage = UntypedStorage._of(t if device is None else t.to(device))

    @classmethod
    def _of(cls, tensor):
        return cls(wrap_storage=UntypedStorage._of(tensor), dtype=tensor.dtype, _internal=True)

    def untyped(self):
        return self._untyped_storage

    def data_ptr(self):
        return self._untyped_storage.data_ptr()

    def nbytes(self):
        return self._untyped_storage.nbytes()

    def element_size(self):
        return self.dtype.itemsize

    def size(self):
        return self._untyped_storage.nbytes() // self.dtype.itemsize

    def __len__(self):
        return self.size()

    @property
    def device(self):
        return self._untyped_storage.device

    @property
    def is_cuda(self):
        return self._untyped_storage.is_cuda

    def _values(self):
        b = _host_bytes(self._untyped_storage)
        return b[:self.size() * self.dtype.itemsize].view(self.dtype.np)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        n = self.size()
        i = int(idx)
        if not -n <= i < n:
            raise IndexError(f"index {idx} out of range for storage of size {n}")
        return self._values()[i].item()

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self):
        return self._values().tolist()

    def is_shared(self):
        return self._untyped_storage.is_shared()

    def share_memory_(self):
        self._untyped_storage.share_memory_()
        return self

    def type(self, dtype=None, non_blocking=False):
        """``'autograd_lite.FloatStorage'`` and the like (torch's legacy class name)."""
        prefix = "autograd_lite.cuda." if self.is_cuda else "autograd_lite."
        return f"{prefix}{self.dtype.scalar_type}Storage"

    def __repr__(self):
        return f"[autograd_lite.storage.TypedStorage(dtype={self.dtype}, device={self.device}) of size " \
               f"{self.size()}]"

    def __str__(self):
        values = self.tolist()
        return "\n".join(f" {v}" for v in values) + ("\n" if values else "") + repr(self)


def untyped_storage(self):
    """The bytes this tensor lives in (shared by all views of one base): ``x.untyped_storage().data_ptr()``."""
    return UntypedStorage._of(self)


def storage(self):
    """This tensor's storage as a TypedStorage of its dtype (deprecated in torch: warns once, as torch's).

    Example: ``x.storage().tolist()``"""
    _warn_typed_storage_removal()
    return TypedStorage._of(self)


Tensor.untyped_storage = untyped_storage
Tensor.storage = storage
