"""Process-wide switches scripts set through ``torch.X``: the default device of the creation functions,
deterministic algorithms, float32 matmul precision, warn-always, flush-denormal. They hold what a script asks and
answer it back, as PyTorch does; the library's CPU and CuPy ops are deterministic already, and its float32 matmul
is always full precision.

Example::

    torch.set_default_device("cuda")
    torch.zeros(3).device              # device(type='cuda', index=0)
"""
import threading
import warnings

__all__ = ["set_default_device", "get_default_device", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "set_float32_matmul_precision", "get_float32_matmul_precision", "set_warn_always",
           "is_warn_always_enabled", "set_flush_denormal", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode"]

_local = threading.local()        # the default device is per thread, as PyTorch's
_state = {"deterministic": False, "warn_only": False, "precision": "highest", "warn_always": False}


def set_default_device(device):
    """The device the creation functions (zeros, tensor, arange, ...) use when given none; None for the CPU again.

    Example: ``torch.set_default_device('cuda'); torch.ones(2).is_cuda`` is True."""
    from .backend import device as _device
    _local.device = None if device is None else _device(device)


def default_device():
    """The device set by set_default_device, or None (the CPU): what the creation functions read."""
    return getattr(_local, "device", None)


def get_default_device():
    """The default device of the creation functions: ``device(type='cpu')`` unless set_default_device said otherwise
    (a CUDA device without an index: the current one)."""
    from .backend import device as _device
    dev = default_device()
    if dev is None:
        return _device("cpu")
    if dev.index is None:                    # the device a new array lands on: the current one
        from .backend import get_backend
        be = get_backend(dev)
        return be.device_of(be.xp.empty(0))
    return dev


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Asks for deterministic algorithms (warn_only: warn instead of raising where an op has none). Every
    autograd_lite op is deterministic already, so this only records the request."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' must be bool, not {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'warn_only' must be bool, not "
                        f"{type(warn_only).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled():
    """True after ``use_deterministic_algorithms(True)``."""
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    """True after ``use_deterministic_algorithms(True, warn_only=True)``."""
    return _state["warn_only"]


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode):
    """use_deterministic_algorithms by level: "default"/0 (off), "warn"/1 (warn_only), "error"/2 (on).

    Example: ``torch.set_deterministic_debug_mode("warn"); torch.get_deterministic_debug_mode()`` is 1."""
    if not isinstance(debug_mode, (int, str)):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    _state["deterministic"], _state["warn_only"] = debug_mode != 0, debug_mode == 1


def get_deterministic_debug_mode():
    """0, 1 or 2: off, warn_only, on (what use_deterministic_algorithms / set_deterministic_debug_mode set)."""
    if not _state["deterministic"]:
        return 0
    return 1 if _state["warn_only"] else 2


_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision):
    """'highest', 'high' or 'medium' (recorded: float32 products always run in full float32 here); any other value
    warns and changes nothing, as in PyTorch."""
    if precision not in _PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _state["precision"] = precision


def get_float32_matmul_precision():
    """The precision set_float32_matmul_precision recorded: 'highest' by default."""
    return _state["precision"]


def set_warn_always(b):
    """When True, warnings PyTorch gives once per process are given every time (recorded for scripts)."""
    _state["warn_always"] = bool(b)


def is_warn_always_enabled():
    return _state["warn_always"]


def set_flush_denormal(mode):
    """Flushing denormal floats to zero is not supported here: True for mode=False (denormals are kept), False for
    mode=True, as PyTorch answers on a CPU without the instruction."""
    if not isinstance(mode, bool):
        raise TypeError(f"set_flush_denormal(): argument 'mode' must be bool, not {type(mode).__name__}")
    return not mode
