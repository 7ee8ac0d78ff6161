"""What Tensor itself knows of the ``__torch_function__`` protocol (torch.overrides): the dispatch state (modes, the
disable contexts), construction in ``__new__``, the default ``Tensor.__torch_function__``, ``as_subclass`` and
``_make_subclass``, through SubclassProtocol, Tensor's base. The wrappers that dispatch public functions sit above the
op layer (autograd_lite/_torch_function.py); its `enable` is in USER_SUBCLASS_HOOKS, called when a user's subclass
overriding ``__torch_function__`` is created."""
import threading

from .autograd import grad_mode as _grad_mode
from .autograd.op_function import Function, TensorBase

_new = object.__new__
LIBRARY = __name__.rpartition(".")[0]
USER_SUBCLASS_HOOKS = []


class _State(threading.local):
    def __init__(self):
        self.modes = []             # the mode stack of this thread, innermost last
        self.subclass_off = 0       # depth of DisableTorchFunctionSubclass
        self.all_off = 0            # depth of DisableTorchFunction


state = _State()
busy = 0        # modes pushed and disable contexts entered, over all threads: while 0, no thread-local is read
_busy_lock = threading.Lock()


class _DisabledImpl:
    """torch._C._disabled_torch_function_impl: a class whose ``__torch_function__`` is this one is not dispatched
    on (nn.Parameter's); called, it runs func with subclass dispatch off. Not a function, so it never binds."""
    __slots__ = ()

    def __call__(self, func, types, args=(), kwargs=None):
        with DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))

    def __repr__(self):
        return "<built-in function _disabled_torch_function_impl>"


_disabled_torch_function_impl = _DisabledImpl()


class DisableTorchFunctionSubclass:
    """Within it, subclasses' ``__torch_function__`` are not consulted (modes still are).

    Example: ``with DisableTorchFunctionSubclass(): type(sub + 1)  # Tensor``"""

    def __enter__(self):
        state.subclass_off += 1
        add_busy(1)
        return self

    def __exit__(self, *exc):
        state.subclass_off -= 1
        add_busy(-1)


class DisableTorchFunction:
    """Within it, neither subclasses' ``__torch_function__`` nor modes are consulted.

    Example: ``with DisableTorchFunction(): x + 1  # no mode sees it``"""

    def __enter__(self):
        state.all_off += 1
        add_busy(1)
        return self

    def __exit__(self, *exc):
        state.all_off -= 1
        add_busy(-1)


def add_busy(n):
    global busy
    with _busy_lock:
        busy += n


def _overrides(t):
    tf = getattr(t, "__torch_function__", None)
    return tf is not None and tf is not _disabled_torch_function_impl


class SubclassProtocol:
    """Tensor's base: construction in ``__new__`` (a user subclass's ``__new__`` calls ``super().__new__(cls, data)``,
    as torch's) and the protocol's methods. The library's own subclasses (Parameter, sparse, quantized) construct in
    their ``__init__`` and are not dispatched on, as torch's Parameter."""
    __slots__ = ()
    _ctor_in_new = True

    def __new__(cls, *args, **kwargs):
        if cls._ctor_in_new and len(args) == 1 and not kwargs and isinstance(args[0], TensorBase):
            return as_subclass(args[0], cls)        # Tensor(t): an alias of t (torch's AliasBackward0)
        self = _new(cls)
        if cls._ctor_in_new:
            self._construct(*args, **kwargs)
        return self

    def __init__(self, *args, **kwargs):
        if not type(self)._ctor_in_new:
            self._construct(*args, **kwargs)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if SubclassProtocol in cls.__bases__:           # Tensor itself
            return
        if cls.__module__.split(".")[0] == LIBRARY:
            if "__torch_function__" not in vars(cls):
                cls.__torch_function__ = _disabled_torch_function_impl
            if "_ctor_in_new" not in vars(cls):
                cls._ctor_in_new = False
        elif _overrides(cls):
            for hook in USER_SUBCLASS_HOOKS:
                hook()

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        """torch's default: func with subclass dispatch off, its Tensor results converted to `cls` (see
        autograd_lite.overrides)."""
        return default_torch_function(cls, func, types, args, kwargs, cls.grad.__get__)

    def as_subclass(self, cls):
        """This tensor as a `cls` instance sharing its storage and autograd history.

        Example: ``y = x.as_subclass(MyTensor); (y * 2).sum().backward()  # x.grad``"""
        return as_subclass(self, cls)

    @staticmethod
    def _make_subclass(cls, data, require_grad=False, *args, **kwargs):
        """A detached `cls` instance sharing `data`'s storage (torch's, as nn.Parameter uses it)."""
        return make_subclass(cls, data, require_grad)


def default_torch_function(cls, func, types, args, kwargs, nowrap):
    """torch.Tensor.__torch_function__: func with subclass dispatch off, its Tensor results made `cls`."""
    if kwargs is None:
        kwargs = {}
    if not all(issubclass(cls, t) for t in types):
        return NotImplemented
    with DisableTorchFunctionSubclass():
        ret = func(*args, **kwargs)
        if func == nowrap:        # get_default_nowrap_functions(): Tensor.grad's getter
            return ret
        return convert(ret, cls)


def convert(ret, cls):
    """torch's _convert: Tensor results (also inside tuples and lists) as `cls` instances."""
    if SubclassProtocol in cls.__bases__:       # Tensor itself
        return ret
    if isinstance(ret, TensorBase) and not isinstance(ret, cls):
        ret = ret.as_subclass(cls)
    if isinstance(ret, (tuple, list)):
        items = [convert(r, cls) for r in ret]
        ret = type(ret)._make(items) if hasattr(type(ret), "_fields") else type(ret)(items)
    return ret


class Alias(Function):
    """as_subclass's node (torch's AliasBackward0): the same values, the gradient passed through."""
    is_view = True

    @staticmethod
    def forward(ctx, x):
        return x.view()

    @staticmethod
    def backward(ctx, g):
        return g


def as_subclass(self, cls):
    if not (isinstance(cls, type) and issubclass(cls, TensorBase)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not "
                        "possible. Make sure your class inherits from Tensor.")
    src = Alias.apply(self) if self._rg and _grad_mode.state.enabled else self
    out = _new(cls)
    out._data, out._rg, out._grad, out._hooks = src._data, src._rg, None, None
    out.grad_fn = src.grad_fn if src is not self else None
    out._version, out._base = self._version, src._base
    return out


def make_subclass(cls, data, require_grad=False, *args, **kwargs):
    if not (isinstance(cls, type) and issubclass(cls, TensorBase)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not "
                        "possible. Make sure your class inherits from Tensor.")
    if not isinstance(data, TensorBase):
        raise TypeError(f"_make_subclass(): argument 'data' (position 2) must be Tensor, not {type(data).__name__}")
    out = _new(cls)
    out._init(data._data, False)
    out._version = data._version         # shares storage and version counter, as detach()
    if require_grad:
        out.requires_grad = True
    return out


def reduce(t, rebuild):
    """How a user subclass's instance pickles: its data as a Tensor's (`rebuild`), its type and its attributes, as
    torch's _rebuild_from_type_v2."""
    return (_rebuild_subclass, (rebuild, (t._host(), t._rg), type(t), getattr(t, "__dict__", None) or None))


def _rebuild_subclass(rebuild, args, cls, state):
    t = rebuild(*args)
    out = make_subclass(cls, t, t._rg)
    if state:
        out.__dict__.update(state)
    return out


def copy_attributes(src, dst, memo):
    """deepcopy of a user subclass's instance: its attributes too."""
    state = getattr(src, "__dict__", None)
    if state:
        import copy
        dst.__dict__.update(copy.deepcopy(state, memo))
