"""``RemovableHandle``, as ``torch.utils.hooks``: what the ``register_*_hook`` functions of modules and optimizers
return. The caller stores its hook in the dict under ``handle.id``; ``handle.remove()`` (or leaving a ``with
handle:`` block) takes it out again.

Example::

    handle = model.register_forward_hook(lambda m, inp, out: print(out.shape))
    model(x)
    handle.remove()
"""
import itertools
import weakref

__all__ = ["RemovableHandle"]


def _ref(d):
    """A weak reference to the dict where it allows one (OrderedDict), else a strong one."""
    try:
        return weakref.ref(d)
    except TypeError:
        return lambda: d


class RemovableHandle:
    """Removes the hook registered under its ``id`` from ``hooks_dict`` (and from each of ``extra_dict``)."""
    _ids = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = _ref(hooks_dict)
        self.id = next(RemovableHandle._ids)
        extra = () if extra_dict is None else extra_dict if isinstance(extra_dict, (list, tuple)) else (extra_dict,)
        self.extra_dict_ref = tuple(_ref(d) for d in extra)

    def remove(self):
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __getstate__(self):     # the dicts themselves: a deepcopy of their owner points the copy at its copies
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state):
        hooks_dict, self.id, extra = state
        self.hooks_dict_ref = _ref({} if hooks_dict is None else hooks_dict)
        self.extra_dict_ref = tuple(_ref(d) for d in extra if d is not None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
