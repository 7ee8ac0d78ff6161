"""torch.overrides: the ``__torch_function__`` protocol's public helpers and TorchFunctionMode.

Importing this module switches the protocol on (as a Tensor subclass or an entered mode does): a tensor-like class
that is not a Tensor subclass (torch's docs' ScalarTensor / DiagonalTensor) is dispatched on from then on.

Example::

    from autograd_lite.overrides import TorchFunctionMode

    class Log(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            print(func.__name__)
            return func(*args, **(kwargs or {}))

    with Log():
        autograd_lite.ones(2) + 1          # prints ones, add
"""
import contextlib
import warnings

from . import _subclass, _torch_function as _tf
from ._subclass import DisableTorchFunction, DisableTorchFunctionSubclass, _disabled_torch_function_impl
from ._torch_function import (_get_overloaded_args, handle_torch_function, has_torch_function,
                              has_torch_function_unary, has_torch_function_variadic)
from .tensor import Tensor

__all__ = ["get_ignored_functions", "get_overridable_functions", "get_default_nowrap_functions",
           "handle_torch_function", "has_torch_function", "has_torch_function_unary", "has_torch_function_variadic",
           "is_tensor_like", "is_tensor_method_or_property", "wrap_torch_function", "TorchFunctionMode",
           "BaseTorchFunctionMode", "DisableTorchFunction", "DisableTorchFunctionSubclass"]
_has_torch_function, _has_torch_function_unary, _has_torch_function_variadic = (
    has_torch_function, has_torch_function_unary, has_torch_function_variadic)
_ = (_disabled_torch_function_impl, _get_overloaded_args)      # re-exported under torch's private names

_tf.enable()


def is_tensor_like(inp):
    """True for a Tensor and for any object whose type has ``__torch_function__``.

    Example: ``is_tensor_like(autograd_lite.ones(1))  # True``"""
    return type(inp) is Tensor or hasattr(inp, "__torch_function__")


def is_tensor_method_or_property(func):
    """True for a Tensor method or property getter (as torch's: methods take ``self`` first)."""
    return func in set(get_overridable_functions().get(Tensor, ())) or getattr(func, "__name__", None) == "__get__"


def get_default_nowrap_functions():
    """What Tensor.__torch_function__ returns without converting to the subclass (``Tensor.grad``'s getter)."""
    return {Tensor.grad.__get__}


_IGNORED = ("typename", "is_tensor", "is_storage", "set_default_tensor_type", "set_default_device", "set_rng_state",
            "get_rng_state", "manual_seed", "initial_seed", "seed", "save", "load", "set_printoptions",
            "get_default_dtype", "set_default_dtype", "promote_types", "can_cast", "is_grad_enabled",
            "set_grad_enabled", "compile", "get_num_threads", "set_num_threads", "get_num_interop_threads",
            "set_num_interop_threads", "from_numpy", "from_dlpack", "is_inference_mode_enabled", "is_anomaly_enabled")


def get_ignored_functions():
    """The public functions that never dispatch (no Tensor argument to dispatch on, or global state)."""
    import importlib
    lib = importlib.import_module(_tf.LIBRARY)
    return {getattr(lib, n) for n in _IGNORED if hasattr(lib, n)}


def get_overridable_functions():
    """{namespace: [its functions that dispatch]}: autograd_lite, nn.functional, linalg, fft, special, Tensor."""
    out = {}
    for ns, name, _old in _tf._SWAPPED:
        owner = ns if ns is Tensor else _module_of(ns)
        out.setdefault(owner, []).append(vars(Tensor)[name] if ns is Tensor else ns[name])
    return out


def _module_of(namespace):
    import sys
    return next(m for m in list(sys.modules.values()) if getattr(m, "__dict__", None) is namespace)


def wrap_torch_function(dispatcher):
    """Decorator: the function dispatches on the arguments ``dispatcher(*args, **kwargs)`` returns.

    Example::

        @wrap_torch_function(lambda x: (x,))
        def double(x):
            return x * 2
    """
    import functools

    def inner(func):
        @functools.wraps(func)
        def wrapped(*args, **kwargs):
            relevant = dispatcher(*args, **kwargs)
            if has_torch_function(relevant):
                return handle_torch_function(wrapped, relevant, *args, **kwargs)
            return func(*args, **kwargs)
        return wrapped
    return inner


# ---- modes -----------------------------------------------------------------------------------------------------

class TorchFunctionMode:
    """Sees every public call made inside ``with mode:`` (its own calls run with it off). Subclass it and write
    ``__torch_function__(self, func, types, args=(), kwargs=None)``.

    Example: see the module docstring."""

    def __init__(self):
        pass

    def __torch_function__(self, func, types, args=(), kwargs=None):
        raise NotImplementedError()

    def __enter__(self):
        _push_mode(self)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        _pop_mode()

    @classmethod
    def push(cls, *args, **kwargs):
        warnings.warn("`Mode.push()` is no longer necessary and can be replaced with just `with Mode()`",
                      stacklevel=2)
        return cls(*args, **kwargs)


class BaseTorchFunctionMode(TorchFunctionMode):
    """A mode that runs every call unchanged (subclass it to override a few)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


def _push_mode(mode):
    _tf.enable()
    _subclass.state.modes.append(mode)
    _subclass.add_busy(1)


def _pop_mode(k=None):
    mode = _subclass.state.modes.pop()
    _subclass.add_busy(-1)
    return mode


@contextlib.contextmanager
def _pop_mode_temporarily(k=None):
    old = _pop_mode()
    try:
        yield old
    finally:
        _push_mode(old)


def _get_current_function_mode():
    stack = _subclass.state.modes
    return stack[-1] if stack else None


def _get_current_function_mode_stack():
    return list(_subclass.state.modes)


def _len_torch_function_stack():
    return len(_subclass.state.modes)


def _is_torch_function_mode_enabled():
    return bool(_subclass.state.modes) and not _subclass.state.all_off
