"""Top-level functions torch keeps for older scripts and for exchange with other libraries: ``range`` (deprecated,
end inclusive), ``set_default_tensor_type`` (deprecated), DLPack exchange (``from_dlpack`` / ``to_dlpack`` and the
Tensor's ``__dlpack__``, through NumPy's and CuPy's own DLPack support) and ``get_device_module``."""
import importlib
import math
import warnings

import numpy as np

from . import _dtype, _flags
from . import backend as _backend
from .creation import _finish
from .tensor import Tensor

__all__ = ["range", "set_default_tensor_type", "from_dlpack", "to_dlpack", "get_device_module"]


def range(start, end, step=1, *, dtype=None, layout=None, device=None, requires_grad=False):  # noqa: A001
    """Values from start to end *inclusive* by step (deprecated in torch, as here: use arange, end exclusive);
    the default float dtype unless `dtype` says otherwise.

    Example: ``autograd_lite.range(1, 4)`` is ``tensor([1., 2., 3., 4.])``"""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    n = int(math.floor((end - start) / step)) + 1
    values = (start + step * np.arange(n, dtype=np.float64)).astype(dt.np)
    return _finish(values, dt, device, requires_grad)


_TENSOR_TYPES = {"FloatTensor": _dtype.float32, "DoubleTensor": _dtype.float64, "HalfTensor": _dtype.float16}


def set_default_tensor_type(t):
    """Deprecated (as in torch 2.1+): sets the default dtype (and device, for ``cuda.FloatTensor`` types) from a
    tensor type or its name. Example: ``autograd_lite.set_default_tensor_type('torch.DoubleTensor')``"""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    name = t if isinstance(t, str) else f"{getattr(t, '__module__', '')}.{getattr(t, '__name__', t)}"
    parts = name.split(".")
    if parts[-1] not in _TENSOR_TYPES:
        if parts[-1].endswith("Tensor"):
            raise TypeError("only floating-point types are supported as the default type")
        raise TypeError(f"invalid type: '{name}'")
    _dtype.set_default_dtype(_TENSOR_TYPES[parts[-1]])
    _flags.set_default_device("cuda" if "cuda" in parts else None)


class _Capsule:
    """A bare DLPack capsule dressed as an object with ``__dlpack__`` (NumPy takes only those); assumed on the CPU."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)


def from_dlpack(ext_tensor):
    """A tensor sharing the memory of `ext_tensor`: any object with ``__dlpack__`` (a NumPy or CuPy array, a torch
    or JAX tensor) or a DLPack capsule (taken as CPU memory). Example: ``autograd_lite.from_dlpack(np.arange(3))``"""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack__"):
        ext_tensor = _Capsule(ext_tensor)
    kind = ext_tensor.__dlpack_device__()[0]
    if kind == 1:                          # kDLCPU
        array = np.from_dlpack(ext_tensor)
    elif kind in (2, 3):                   # kDLCUDA, kDLCUDAHost
        array = importlib.import_module("cupy").from_dlpack(ext_tensor)
    else:
        raise RuntimeError(f"from_dlpack: unsupported DLPack device type {kind} (only CPU and CUDA memory)")
    return Tensor._make(array)


def to_dlpack(tensor):
    """A DLPack capsule of the tensor's memory (for ``other_library.from_dlpack``). Example:
    ``torch.from_dlpack(autograd_lite.to_dlpack(x))``"""
    return tensor._data.__dlpack__()


def _dlpack(self, *, stream=None, **kwargs):
    if self._rg:
        raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
    return self._data.__dlpack__(**kwargs) if stream is None else self._data.__dlpack__(stream=stream, **kwargs)


Tensor.__dlpack__ = _dlpack
Tensor.__dlpack_device__ = lambda self: self._data.__dlpack_device__()


def get_device_module(device=None):
    """The module of a device type: ``autograd_lite.cuda``, ``cpu``, ``mps``, ``xpu`` or ``mtia`` (None: the GPU's
    when one is usable). Example: ``autograd_lite.get_device_module('cuda').is_available()``"""
    import importlib
    from . import cpu, cuda
    if device is None:
        return cuda if cuda.is_available() else cpu
    kind = device.type if isinstance(device, _backend.device) else str(device).split(":")[0]
    if kind in ("cuda", "cpu", "mps", "xpu", "mtia"):
        return importlib.import_module(f"{__name__.rpartition('.')[0]}.{kind}")
    raise RuntimeError(f"Device '{kind}' does not have a corresponding module registered as 'torch.{kind}'.")
