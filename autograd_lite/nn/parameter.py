"""Parameter: a leaf Tensor that a Module registers as one of its learnable weights."""
from ..autograd.op_function import TensorBase
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning one to a Module attribute registers it.

    Example::

        >>> w = nn.Parameter(autograd_lite.zeros(3, 2))
        >>> w.requires_grad
        True
    """
    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from ..creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: data must be a Tensor, got {type(data).__name__}")
        self = object.__new__(cls)
        self._init(data._data, False)
        if requires_grad:
            self.requires_grad = True
        return self

    def __init__(self, *args, **kwargs):    # built in __new__, as torch's: a subclass's __new__ calls it, then reads it
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._host(), self._rg))


def _rebuild_parameter(array, requires_grad):
    from ..tensor import Tensor as _T
    return Parameter(_T._make(array), requires_grad)


class Buffer(Tensor):
    """A Tensor that, assigned to a Module attribute, is registered as a buffer (persistent unless told not).

    Example::

        >>> m = nn.Module(); m.steps = nn.Buffer(autograd_lite.zeros(2))
        >>> list(m.state_dict())
        ['steps']
    """
    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent=True):
        if data is None:
            from ..creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: data must be a Tensor, got {type(data).__name__}")
        self._init(data._data, data._rg)
        self.persistent = persistent

    def __reduce_ex__(self, protocol):
        return (_rebuild_buffer, (self._host(), self._rg, self.persistent))


def _rebuild_buffer(array, requires_grad, persistent):
    return Buffer(Tensor._make(array, requires_grad), persistent=persistent)


# ---- lazy (uninitialised) parameters and buffers ------------------------------------------------------------------
_RAW = TensorBase._data                    # the slot itself: the mixin's `_data` property guards it


def _raw(t):
    return _RAW.__get__(t)


def _uninitialized_use(cls):
    import os
    import sys
    package, frame, where = os.path.dirname(os.path.dirname(__file__)), sys._getframe(2), "?"
    while frame is not None and frame.f_code.co_filename.startswith(package):    # the outermost library call
        where, frame = frame.f_code.co_name, frame.f_back
    return ValueError(
        f"Attempted to use an uninitialized parameter in {where}. This error happens when you are using a "
        f"`LazyModule` or explicitly manipulating `torch.nn.parameter.{cls.__name__}` objects. When using "
        "LazyModules Call `forward` with a dummy batch to initialize the parameters before calling torch functions")


class UninitializedTensorMixin:
    """What UninitializedParameter and UninitializedBuffer share: no data until ``materialize(shape)``; any op on one
    raises PyTorch's ValueError; dtype, device, requires_grad, size() and the conversions (to, cpu, cuda, float,
    double, half) work."""
    __slots__ = ()
    cls_to_become = None

    @property
    def _data(self):
        raise _uninitialized_use(type(self))

    @_data.setter
    def _data(self, value):
        _RAW.__set__(self, value)

    def materialize(self, shape, device=None, dtype=None):
        """Gives it data of `shape` (uninitialised values) on its device and dtype or those given; it becomes a
        Parameter (a Tensor for a buffer), the same object."""
        from .. import creation
        plain = Tensor._make(_raw(self))
        data = creation.empty(shape, device=device if device is not None else plain.device,
                              dtype=dtype if dtype is not None else plain.dtype)
        _RAW.__set__(self, data._data)
        self._version[0] += 1
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
            "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
            "`forward` to initialize the parameters before accessing their attributes.")

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize "
                           "the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        return (type(self), (self._rg,))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = self._like(_raw(self))
        return memo[id(self)]

    def _like(self, raw):
        out = type(self).__new__(type(self))
        Tensor._init(out, raw, self._rg)
        return out

    def _convert_(self, fn):
        """Applies a conversion (Module._apply's fn) to the placeholder, in place."""
        out = fn(Tensor._make(_raw(self)))
        _RAW.__set__(self, _raw(out))

    def _converted(name):               # noqa: N805 (builds the conversion methods below)
        def method(self, *args, **kwargs):
            return self._like(_raw(getattr(Tensor._make(_raw(self)), name)(*args, **kwargs)))
        method.__name__ = name
        return method

    to, cpu, cuda, float, double, half, type = map(_converted, ("to", "cpu", "cuda", "float", "double", "half",
                                                                "type"))
    del _converted

    @property
    def dtype(self):
        return Tensor._make(_raw(self)).dtype

    @property
    def device(self):
        return Tensor._make(_raw(self)).device

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def size(self, dim=None):
        return Tensor._make(_raw(self)).size(dim)

    def is_floating_point(self):
        return _raw(self).dtype.kind in "fV"        # "V": bfloat16

    def detach(self):
        return self           # (state_dict of a lazy module holds the placeholder itself, as torch's)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet (a lazy module's, until its first forward).

    Example::

        >>> p = nn.parameter.UninitializedParameter()
        >>> p.materialize((2, 3)); p.shape
        autograd_lite.Size([2, 3])
    """
    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return Tensor.__new__(cls)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        from ..creation import empty
        Tensor._init(self, _raw(empty(0, device=device, dtype=dtype)), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy batch norm's running stats, until its first forward)."""
    __slots__ = ()
    cls_to_become = Tensor
    persistent = True

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        return Tensor.__new__(cls)

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        from ..creation import empty
        Tensor._init(self, _raw(empty(0, device=device, dtype=dtype)), requires_grad)


def is_lazy(param):
    """Whether `param` is an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, UninitializedTensorMixin)
