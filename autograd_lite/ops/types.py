"""Questions about dtypes, values and storage: result_type, is_floating_point, is_complex, is_nonzero, is_signed,
is_same_size, is_cpu, itemsize, nbytes, ndimension, get_device, data_ptr, storage_offset."""
import numbers

import numpy as np

from .. import _api, _dtype
from ..tensor import Tensor

declare = _api.declare


@declare(method=False)
def result_type(tensor1, tensor2):
    """The dtype an arithmetic op on the two (tensors or numbers) gives, by PyTorch's promotion rules.

    Example: ``torch.result_type(torch.tensor([1, 2]), 1.0)`` is float32."""
    dims, zero_dims, scalars = [], [], []
    for x in (tensor1, tensor2):
        if isinstance(x, Tensor):
            (dims if x.ndim else zero_dims).append(x.dtype)
        elif isinstance(x, numbers.Number):
            scalars.append(x)
        else:
            raise TypeError(f"result_type(): argument must be Tensor or Number, not {type(x).__name__}")
    return _dtype.result_type(dims, zero_dims, scalars)


@declare
def is_floating_point(input):
    """Whether input's dtype is a floating point one. Example: ``torch.is_floating_point(torch.ones(1))``"""
    return input.dtype.is_floating_point


@declare
def is_complex(input):
    """Whether input's dtype is complex: always False here (no complex dtypes)."""
    return input.dtype.is_complex


@declare
def is_nonzero(input):
    """Whether a one-element tensor is nonzero. Example: ``torch.is_nonzero(torch.tensor([1.]))`` is True."""
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


@declare
def is_signed(input):
    """Whether input's dtype holds negative numbers (floats, complex and signed integers; not uint8 or bool)."""
    return input.dtype.is_signed


@declare
def is_same_size(input, other):
    """Whether the two tensors have the same shape. Example: ``x.is_same_size(torch.zeros_like(x))`` is True."""
    return tuple(input.shape) == tuple(other.shape)



# ---- storage and device queries (PyTorch's Tensor attributes) ---------------------------------------------------------

_api.attach_property("is_cpu", lambda self: self.device.type == "cpu", "Whether this tensor is on the CPU.")
_api.attach_property("itemsize", lambda self: self._data.itemsize, "Bytes per element.")
_api.attach_property("nbytes", lambda self: int(self._data.nbytes), "Bytes of all the elements.")


@declare(top=False)
def ndimension(input):
    """The number of dims (``dim()``)."""
    return input._data.ndim


@declare
def get_device(input):
    """The CUDA device index of the tensor, -1 on the CPU: ``x.get_device()``."""
    dev = input.device
    return -1 if dev.type == "cpu" else (dev.index or 0)


@declare(top=False)
def data_ptr(input):
    """The address of the tensor's first element (0 for an empty one, as PyTorch)."""
    d = input._data
    if d.size == 0:
        return 0
    return int(d.ctypes.data) if type(d) is np.ndarray else int(d.data.ptr)


@declare(top=False)
def storage_offset(input):
    """How many elements into its storage the tensor (a view) starts: ``x[1].storage_offset()``."""
    from ..storage import _root_of       # the storage's start: untyped_storage().data_ptr()
    d = input._data
    ptr = int(d.ctypes.data) if isinstance(d, np.ndarray) else int(d.data.ptr)
    return (ptr - _root_of(d)[1]) // d.itemsize
