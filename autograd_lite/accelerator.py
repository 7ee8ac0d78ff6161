"""``autograd_lite.accelerator``: torch.accelerator's device-agnostic API, on ``autograd_lite.cuda`` (the one
accelerator: a GPU through CuPy).

PyTorch's accelerator is fixed when PyTorch is built; ours is found at run time, so ``current_accelerator()`` is
``device('cuda')`` exactly when ``cuda.is_available()``, with or without ``check_available``. Without one,
every function answers as a CPU-only PyTorch does: ``is_available()`` False, ``current_accelerator()`` None,
``device_count()`` 0, and the rest raise ``RuntimeError``.

Example::

    device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
    model.to(device)
"""
import warnings

from . import cuda
from .backend import device as _device

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "device_count", "device_index",
           "is_available", "set_device_idx", "set_device_index", "synchronize"]

_NO_ACCELERATOR = "Cannot access accelerator device when none is available."


def is_available():
    """True when an accelerator (a CUDA GPU that CuPy can run) is usable."""
    return cuda.is_available()


def current_accelerator(check_available=False):
    """``device('cuda')`` (no index: see `current_device_index()`) when a GPU is usable, else None.

    Args:
        check_available (bool): accepted for PyTorch's signature; the accelerator is always checked at run time.

    Example::

        >>> if (acc := torch.accelerator.current_accelerator(check_available=True)) is not None:
        ...     model.to(acc)
    """
    return _device("cuda") if cuda.is_available() else None


def device_count():
    """The number of accelerator devices; 0 without an accelerator."""
    return cuda.device_count() if cuda.is_available() else 0


def _require():
    if not cuda.is_available():
        raise RuntimeError(_NO_ACCELERATOR)


def current_device_index():
    """The index of the current accelerator device (RuntimeError without an accelerator)."""
    _require()
    return cuda.current_device()


def _device_index(device, optional):
    """torch.accelerator's reading of a device argument: an int as is; a str or device of the accelerator's type
    gives its index, or (optional) the current one when it has none."""
    if isinstance(device, int):
        return device
    if isinstance(device, str):
        device = _device(device)
    index = None
    if isinstance(device, _device):
        acc = current_accelerator()
        if acc is None:
            raise RuntimeError("Accelerator expected")
        if acc.type != device.type:
            raise ValueError(f"{device.type} doesn't match the current accelerator {acc}.")
        index = device.index
    if index is None:
        if not optional:
            raise ValueError(f"Expected a torch.device with a specified index or an integer, but got:{device}")
        return current_device_index()
    return index


def _set(index):
    """Makes device `index` current; a negative index is a no-op, as in PyTorch."""
    if index < 0:
        return
    _require()
    count = cuda.device_count()
    if index >= count:
        raise RuntimeError(f"CUDA error: invalid device ordinal: cuda:{index} ({count} device(s) available)")
    cuda.set_device(index)


def set_device_index(device, /):
    """Makes `device` (an int, 'cuda:N' or a device with an index) the current accelerator device; a negative
    index is a no-op.

    Example::

        >>> torch.accelerator.set_device_index(0)
    """
    _set(_device_index(device, optional=False))


def synchronize(device=None, /):
    """Waits for every kernel queued on `device` (default: the current accelerator device) to finish.

    Example::

        >>> torch.accelerator.synchronize()
    """
    index = _device_index(device, optional=True)
    _require()
    cuda.synchronize(index if index >= 0 else cuda.current_device())


def current_device_idx():
    """Deprecated: use `current_device_index()`."""
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def set_device_idx(device, /):
    """Deprecated: use `set_device_index()`."""
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)


class device_index:
    """Context manager: makes device `device` (an int) current inside the block, and the previous one current
    again after it; None changes nothing.

    Example::

        >>> with torch.accelerator.device_index(0):
        ...     y = model(x.to("cuda:0"))
    """

    def __init__(self, device, /):
        if device is not None and not isinstance(device, int):
            raise TypeError(f"device_index expects an int or None, but got {type(device).__name__}")
        self.idx = device
        self.prev_idx = -1

    def __enter__(self):
        if self.idx is not None:
            self.prev_idx = current_device_index()
            _set(self.idx)

    def __exit__(self, *exc_info):
        if self.idx is not None:
            _set(self.prev_idx)
