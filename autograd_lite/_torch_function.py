"""The ``__torch_function__`` protocol (torch.overrides): Tensor subclasses, tensor-like objects and function modes.

The public functions (``autograd_lite.X``, ``nn.functional.X``, ``linalg``/``fft``/``special``) are wrappers from
import on (`install`): each consults ``__torch_function__`` of its arguments' types (torch's order: subclasses first,
then left to right) and the mode stack, and passes itself as ``func``; for plain tensors it costs one loop over the
arguments (~0.25 us). Being there from the start, they keep their identity (handler tables keyed by ``torch.add``,
``from autograd_lite import add`` taken at import, tensor-like classes that are not Tensor subclasses all work) and
they pickle by name, as torch's. Tensor's methods, operators and properties are looked up at each call, so they are
swapped only when a user subclass of Tensor is created, a TorchFunctionMode is entered or autograd_lite.overrides is
imported (`enable`): until then ``a + b`` pays nothing.
"""
import sys
import threading
import types as _types

from . import _subclass
from ._subclass import LIBRARY, _disabled_torch_function_impl, _overrides, state
from .tensor import Tensor

ENABLED = False
_enable_lock = threading.Lock()
_PLAIN = frozenset((int, float, bool, type(None), str, slice))      # never dispatched on


def _insert(found, a):
    """torch's _get_overloaded_args step: one argument per type, a subclass before its superclasses."""
    t = type(a)
    if found is None:
        return [a]
    index = len(found)
    for i, old in enumerate(found):
        old_t = type(old)
        if old_t is t:
            return found
        if issubclass(t, old_t) and index == len(found):
            index = i
    found.insert(index, a)
    return found


def overloaded_args(args, kwargs=None):
    """The arguments (and list/tuple elements) whose types override __torch_function__, in dispatch order; None if
    none (an exact Tensor never does)."""
    found = None
    for a in (args if not kwargs else (*args, *kwargs.values())):
        t = type(a)
        if t is Tensor:
            continue
        if t is list or t is tuple:
            for b in a:
                if type(b) is not Tensor and _overrides(type(b)):
                    found = _insert(found, b)
        elif _overrides(t):
            found = _insert(found, a)
    return found


def dispatch(public, qual, style, args, kwargs, found, binary=False):
    """Runs the innermost mode, then each overloaded argument's __torch_function__, until one returns something other
    than NotImplemented; torch's TypeError when none does (or NotImplemented for a binary operator)."""
    types = tuple(type(a) for a in found) if found else ()
    mode = None
    if state.modes and not state.all_off:
        mode = state.modes.pop()        # the handler runs with its own mode off, as torch's
        try:
            result = mode.__torch_function__(public, types, args, kwargs)
        finally:
            state.modes.append(mode)
        if result is not NotImplemented:
            return result
    for a in found or ():
        result = a.__torch_function__(public, types, args, kwargs)
        if result is not NotImplemented:
            return result
    if binary:
        return NotImplemented
    if style == "python":
        msg = (f"no implementation found for '{qual}' on types that implement __torch_function__: "
               f"{[type(a) for a in found or ()]}")
        raise TypeError(msg + (f" nor in mode {mode}" if mode is not None else ""))
    lines = ([f"  - mode object {mode!r}\n"] if mode is not None else []) + \
        [f"  - tensor subclass {type(a)!r}\n" for a in found or ()]
    raise TypeError(f"Multiple dispatch failed for '{qual}'; all __torch_function__ handlers returned "
                    f"NotImplemented:\n\n{''.join(lines)}\nFor more information, try re-running with "
                    "TORCH_LOGS=not_implemented")


def wrap(impl, qual, style="c", public=None, binary=False):
    """impl as a public callable that dispatches; `public` (default: the wrapper) is the func handlers receive."""
    def wrapper(*args, **kwargs):
        if not _subclass.busy:
            for a in args:
                if type(a) is not Tensor and type(a) not in _PLAIN:
                    break
            else:
                if not kwargs:
                    return impl(*args)
            found = overloaded_args(args, kwargs)
            if found is None:
                return impl(*args, **kwargs)
            return dispatch(public or wrapper, qual, style, args, kwargs, found, binary)
        st = state
        if st.all_off:
            return impl(*args, **kwargs)
        found = None if st.subclass_off else overloaded_args(args, kwargs)
        if found is None and not st.modes:
            return impl(*args, **kwargs)
        return dispatch(public or wrapper, qual, style, args, kwargs, found, binary)
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        try:
            setattr(wrapper, attr, getattr(impl, attr))
        except (AttributeError, TypeError):
            pass
    wrapper.__dict__.update(getattr(impl, "__dict__", {}))
    wrapper.__wrapped__ = impl
    wrapper._torch_function_impl = impl
    return wrapper


def _wrap_property(prop, qual):
    fget = prop.fget

    def get(self):
        if type(self) is Tensor and not _subclass.busy:
            return fget(self)
        st = state
        if st.all_off or type(self) is Tensor and not st.modes:
            return fget(self)
        found = None if st.subclass_off else overloaded_args((self,))
        if found is None and not st.modes:
            return fget(self)
        return dispatch(new.__get__, qual, "c", (self,), {}, found)
    new = property(get, prop.fset, prop.fdel, prop.__doc__)
    return new


# Tensor.__add__ is dispatched as Tensor.add (torch's func for ``a + b``); the other operators as themselves.
_OPERATOR_METHODS = {"__add__": "add", "__radd__": "add", "__sub__": "sub", "__mul__": "mul", "__rmul__": "mul",
                     "__truediv__": "div", "__neg__": "neg", "__abs__": "abs", "__matmul__": "matmul",
                     "__pow__": "pow", "__lt__": "lt", "__le__": "le", "__gt__": "gt", "__ge__": "ge"}
_BINARY = {f"__{p}{n}__" for n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
                                   "xor", "lshift", "rshift", "div") for p in ("", "r", "i")} | \
    {"__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"}
_NOT_DISPATCHED = {"__init__", "__new__", "__init_subclass__", "__torch_function__", "__getattr__", "__setattr__",
                   "__delattr__", "__class_getitem__", "__hash__", "as_subclass",
                   "grad"}      # its non-leaf warning names the user's line (stacklevel); torch never converts it


_SWAPPED = []      # (name, what Tensor had): what enable replaced, for restore
_WRAPPERS = {}     # id(op) -> its wrapper, one per op (torch.pixel_shuffle is F.pixel_shuffle)


def install(module_name, names=None, style="c"):
    """Makes the public functions `names` of the module `module_name` (default: its __all__) dispatching wrappers.
    Each namespace calls it as it is filled, so no later code of the library keeps an unwrapped op (a default
    argument such as TransformerEncoderLayer's activation=F.relu)."""
    module = sys.modules[module_name]
    ns = vars(module)
    for name in (names if names is not None else module.__all__):
        v = ns.get(name)
        if isinstance(v, _types.FunctionType) and not hasattr(v, "_torch_function_impl"):
            w = _WRAPPERS.get(id(v))
            if w is None:
                w = _WRAPPERS[id(v)] = wrap(v, f"{module.__name__}.{name}", style)
                w.__module__, w.__name__, w.__qualname__ = module.__name__, name, name    # pickle finds it there
            ns[name] = w


def top_names():
    """The package's public functions: the declared ops, torch's aliases and the creation functions."""
    from . import _api, creation
    from .ops import torch_aliases
    return sorted(set(_api.TOP) | set(torch_aliases.top_names()) | {
        n for n, v in vars(creation).items() if isinstance(v, _types.FunctionType) and not n.startswith("_")})


def enable():
    """Switches the protocol on for Tensor's methods, operators and properties (see the module docstring)."""
    global ENABLED
    with _enable_lock:
        if ENABLED:
            return
        methods = {}
        for name, v in list(vars(Tensor).items()):
            public = not name.startswith("_") or name.startswith("__") and name.endswith("__")
            if not public or name in _NOT_DISPATCHED:
                continue
            if isinstance(v, _types.FunctionType) and name not in _OPERATOR_METHODS:
                methods[name] = wrap(v, f"{LIBRARY}.Tensor.{name}", binary=name in _BINARY)
            elif isinstance(v, property) and v.fget is not None:
                methods[name] = _wrap_property(v, f"{LIBRARY}.Tensor.{name}.__get__")
        for name, method in _OPERATOR_METHODS.items():
            v = vars(Tensor).get(name)
            if isinstance(v, _types.FunctionType):
                target = methods.get(method)
                methods[name] = wrap(v, f"{LIBRARY}.Tensor.{method if target else name}", public=target,
                                     binary=name in _BINARY)
        for name, v in methods.items():
            _SWAPPED.append((name, vars(Tensor)[name]))
            setattr(Tensor, name, v)
        ENABLED = True          # last: another thread returns early only once every method is swapped


def restore():
    """Undoes enable (the test suite's clean-up: subclasses made before it are no longer dispatched on)."""
    global ENABLED
    with _enable_lock:
        for name, v in reversed(_SWAPPED):
            setattr(Tensor, name, v)
        _SWAPPED.clear()
        ENABLED = False


def has_torch_function(relevant_args):
    """True when a call with these arguments must dispatch: a mode is on, or one of them overrides
    __torch_function__ (an exact Tensor never does)."""
    st = state
    if st.all_off:
        return False
    if st.modes:
        return True
    return not st.subclass_off and any(type(a) is not Tensor and _overrides(type(a)) for a in relevant_args)


def has_torch_function_unary(a):
    """has_torch_function((a,))."""
    return has_torch_function((a,))


def has_torch_function_variadic(*args):
    """has_torch_function(args)."""
    return has_torch_function(args)


def _get_overloaded_args(relevant_args, get_type_fn=type):
    """torch.overrides._get_overloaded_args: as torch's Python version, plain Tensors included."""
    found = []
    for a in relevant_args:
        t = get_type_fn(a)
        if getattr(t, "__torch_function__", _disabled_torch_function_impl) is _disabled_torch_function_impl:
            continue
        if any(get_type_fn(o) is t for o in found):
            continue
        index = next((i for i, o in enumerate(found) if issubclass(t, get_type_fn(o))), len(found))
        found.insert(index, a)
    return found


def handle_torch_function(public_api, relevant_args, *args, **kwargs):
    """Dispatches a Python function to the mode stack and the __torch_function__ of `relevant_args` (torch's
    protocol for functions written in Python).

    Example::

        def my_op(x):
            if has_torch_function_unary(x):
                return handle_torch_function(my_op, (x,), x)
            return x * 2
    """
    if not state.subclass_off:
        found = _get_overloaded_args(relevant_args)
    else:
        found = [a for a in _get_overloaded_args(relevant_args) if type(a) is Tensor]
    name = f"{getattr(public_api, '__module__', None)}.{getattr(public_api, '__name__', public_api)}"
    return dispatch(public_api, name, "python", args, kwargs, found)


_subclass.USER_SUBCLASS_HOOKS.append(enable)
