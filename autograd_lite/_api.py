"""Where each public function appears. A function is written once (an op in ops/, a creation function in
creation.py); `declare` attaches it as a Tensor method, an in-place method and operators, and lists it for
``autograd_lite.X`` and ``autograd_lite.nn.functional.X``. tensor.py names none of them, and no name is written
twice.

Example::

    @declare(inplace=True, operators=("__abs__",))
    def abs(x):
        return Abs.apply(x)         # autograd_lite.abs, Tensor.abs, Tensor.abs_, abs(t)
"""
import functools

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


def route(name, cls, fn, operand="first", tables=(TOP,)):
    """Sends the op `name` (every alias of it) in each of `tables` to fn when its routed operand is a `cls`: the
    layouts with implementations of their own (sparse, quantized) hook in here, and an op is wrapped once however
    many layouts route it. operand: "first" (the first argument), "either" (the first or the second: mm(dense,
    sparse)) or "list" (the first tensor of a list first argument: cat, stack). A dense call pays a dict lookup or
    two. Example: ``route("t", SparseTensor, lambda a: a.t(), "either")``"""
    for table in tables:
        current = table.get(name)
        if current is None:
            continue
        router = current if hasattr(current, "routes") else _router(current)
        for key in (("first", "second") if operand == "either" else (operand,)):
            router.routes[key][cls] = fn
        for alias, f in list(table.items()):
            if f is current:
                table[alias] = router


def dense(name, table=TOP):
    """The op `name` without the layouts' routes (what a layout's implementation runs on its plain arrays)."""
    fn = table[name]
    return getattr(fn, "dense", fn)


def _router(dense_fn):
    first, second, listed = {}, {}, {}

    @functools.wraps(dense_fn)          # its name, docstring and autocast policy (and __wrapped__: the profiler's)
    def op(*args, **kwargs):
        a = args[0] if args else next(iter(kwargs.values()), None)
        target = first.get(type(a))
        if target is None and second and len(args) > 1:
            target = second.get(type(args[1]))
        if target is None and listed and type(a) in (list, tuple) and a:
            target = listed.get(type(a[0]))
        return (dense_fn if target is None else target)(*args, **kwargs)
    op.routes, op.dense = {"first": first, "second": second, "list": listed}, dense_fn
    return op
