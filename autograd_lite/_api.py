"""Where each public function appears. A function is written once (an op in ops/, a creation function in
creation.py); `declare` attaches it as a Tensor method, an in-place method and operators, and lists it for
``autograd_lite.X`` and ``autograd_lite.nn.functional.X``. tensor.py names none of them, and no name is written
twice.

Example::

    @declare(inplace=True, operators=("__abs__",))
    def abs(x):
        return Abs.apply(x)         # autograd_lite.abs, Tensor.abs, Tensor.abs_, abs(t)
"""
from .autograd import autocast_state
from .tensor import Tensor

TOP = {}            # autograd_lite.X
FUNCTIONAL = {}     # autograd_lite.nn.functional.X


def declare(fn=None, *, name=None, method=True, inplace=None, top=True, functional=False, operators=(),
            reflected=(), inplace_operators=(), aliases=()):
    """Decorator that attaches `fn` where it appears.

    name: its name (default: the function's). method: a Tensor method of that name (True) or of another name (a
    string). inplace: True for ``name_`` running fn through Tensor._inplace, or the in-place function itself.
    top / functional: listed for autograd_lite.X / nn.functional.X. operators: dunders bound to fn; reflected:
    dunders bound to fn with the operands swapped (``__rsub__``); inplace_operators: dunders bound to the in-place
    method (``__iadd__``). aliases: other names, wherever it appears."""
    def attach(fn):
        names = (name or fn.__name__,) + tuple(aliases)
        fn = autocast_state.with_policy(fn, names[0])
        for n in names:
            if method:
                setattr(Tensor, n if method is True else method, fn)
            if inplace:
                setattr(Tensor, n + "_", _inplace_method(fn, n) if inplace is True else inplace)
            if top:
                TOP[n] = fn
            if functional:
                FUNCTIONAL[n] = fn
        for dunder in operators:
            setattr(Tensor, dunder, fn)
        for dunder in reflected:
            setattr(Tensor, dunder, _swapped(fn, dunder))
        for dunder in inplace_operators:
            setattr(Tensor, dunder, getattr(Tensor, names[0] + "_"))
        return fn
    return attach(fn) if fn is not None else attach


def attach_property(name, fget, doc=None):
    """A read-only Tensor property (``x.T``)."""
    setattr(Tensor, name, property(fget, doc=doc or fget.__doc__))


def _inplace_method(fn, name):
    def method(self, *args, **kwargs):
        return self._inplace(fn, *args, **kwargs)
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place :func:`{name}`: writes the result into this tensor."
    return method


def _swapped(fn, dunder):
    def method(self, other):
        return fn(other, self)
    method.__name__ = dunder
    return method
