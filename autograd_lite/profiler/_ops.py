"""While a profiler records, each call of a declared op through its public names (``autograd_lite.X``, Tensor
methods and operators, in-place methods, ``nn.functional.X``) is an event named by that name (``aten::mm``,
``aten::add_``): the names are swapped for recording wrappers as a recording starts and back as it stops, so ops pay
nothing for it otherwise. Fast paths that make no graph node are seen too; Function.apply inside such a call records
no second event."""
import functools
import sys

from .. import _api
from ..autograd import profiler as _legacy
from ..tensor import Tensor

_swapped = []       # (owner, attribute, original) while a recording runs


def _wrap(fn, name):
    label = "aten::" + name

    @functools.wraps(fn)
    def op(*args, **kwargs):
        trace = _legacy._current
        if trace is None:
            return fn(*args, **kwargs)
        event = trace.declared_op(label, args)
        try:
            out = fn(*args, **kwargs)
        except BaseException:
            trace.end(event)
            raise
        trace.end_op(event, out)
        return out
    return op


def _targets():
    """(owner, attribute, function, event name) of every public name of a declared op."""
    names = {}
    for table in (_api.TOP, _api.FUNCTIONAL):
        for name, fn in table.items():
            names.setdefault(id(fn), name)
            inner = getattr(fn, "__wrapped__", None)       # a dispatching wrapper's op (sparse): the Tensor method
            if inner is not None:
                names.setdefault(id(inner), name)
    out = []
    for attr, value in list(vars(Tensor).items()):
        key = id(getattr(value, "_torch_function_impl", value))        # (the method, or its dispatching wrapper)
        if key in names:
            out.append((Tensor, attr, value, names[key] if attr.startswith("__") else attr))
        elif attr.endswith("_") and not attr.startswith("_") and attr[:-1] in _api.TOP and callable(value):
            out.append((Tensor, attr, value, attr))           # the in-place method
    for module, table in ((sys.modules.get("autograd_lite"), _api.TOP),
                          (sys.modules.get("autograd_lite.nn.functional"), _api.FUNCTIONAL)):
        if module is not None:
            for name, fn in table.items():          # the public name's function: fn, or the wrapper dispatching to it
                public = module.__dict__.get(name)
                if public is fn or getattr(public, "_torch_function_impl", None) is fn:
                    out.append((module, name, public, name))
    return out


def start():
    for owner, attr, fn, name in _targets():
        _swapped.append((owner, attr, fn))
        setattr(owner, attr, _wrap(fn, name))


def stop():
    while _swapped:
        owner, attr, fn = _swapped.pop()
        setattr(owner, attr, fn)


def install():
    """Has every recording swap the declared ops in and out (once)."""
    if (start, stop) not in _legacy.RECORDING_HOOKS:
        _legacy.RECORDING_HOOKS.append((start, stop))
