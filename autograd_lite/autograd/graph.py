"""``torch.autograd.graph``: hooks on what ops save for backward (`saved_tensors_hooks`, `save_on_cpu`,
`disable_saved_tensors_hooks`), `Node` (the type of every ``grad_fn``) with its hooks, and `register_multi_grad_hook`.

Example::

    with torch.autograd.graph.saved_tensors_hooks(lambda t: t.numpy(), lambda a: torch.from_numpy(a)):
        y = (x * x).exp()           # pack runs as each op saves a tensor, unpack when backward reads it
    y.sum().backward()
    isinstance(y.grad_fn, torch.autograd.graph.Node)     # True
"""
import abc
import collections
import contextlib
import threading

from .. import backend as _backend
from . import op_function as _function
from .engine import queue_callback, sum_to
from .op_function import AccumulateGrad, Function, Packed, TensorBase, accumulate_grad

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks", "register_multi_grad_hook", "Node",
           "GradientEdge", "get_gradient_edge", "increment_version"]


class Node(abc.ABC):
    """The type of every ``grad_fn`` and of the leaves' AccumulateGrad nodes: ``name()``, ``next_functions``,
    ``metadata``, ``register_hook(fn(grad_inputs, grad_outputs))`` and ``register_prehook(fn(grad_outputs))``.

    Example: ``isinstance((x * 2).grad_fn, torch.autograd.graph.Node)`` is True."""

    @abc.abstractmethod
    def name(self):
        """The node's name, e.g. ``'MulBackward0'``."""


Node.register(Function)
Node.register(AccumulateGrad)

GradientEdge = collections.namedtuple("GradientEdge", ("node", "output_nr"))


def get_gradient_edge(tensor):
    """The edge through which gradients reach `tensor`: its grad_fn (a leaf's AccumulateGrad) and output number."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require gradients")
    return GradientEdge(tensor.grad_fn or accumulate_grad(tensor), 0)


def increment_version(tensor):
    """Bumps the tensor's version counter, as an in-place write does (saved copies of it then refuse backward)."""
    for t in tensor if isinstance(tensor, (list, tuple)) else (tensor,):
        t._version[0] += 1


class _Handle:
    """Removes a hook from the list it was added to."""

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


# ---- saved-tensor hooks ----------------------------------------------------------------------------------------

class _Local(threading.local):
    def __init__(self):
        self.hooks = []             # (pack_hook, unpack_hook) of the open scopes, innermost last
        self.disabled = []          # error messages of the open disable_saved_tensors_hooks scopes
        self.packing = False        # a pack hook is running: the ops it runs save nothing through hooks


_local = _Local()


def _pack(node, out, args):
    """Function.apply's hook (while some thread has a scope open): runs the innermost pack hook on each array the new
    node saved (as a Tensor: the input or output it is, else a constant) and keeps its values instead."""
    local = _local
    if not local.hooks or local.packing:
        return
    pack_hook, unpack_hook = local.hooks[-1]
    items, ids = [], []
    local.packing = True
    try:
        for s in node._saved:
            if type(s) not in _backend.array_types:
                items.append(s)
                ids.append(None)
                continue
            if s is out._data:
                t = out
            else:
                t = next((a for a in args if isinstance(a, TensorBase) and a._data is s), None)
                if t is None:
                    t = out._make(s)
            items.append(pack_hook(t))
            ids.append(id(s))
    finally:
        local.packing = False
    node._saved = Packed(tuple(items), ids, unpack_hook)


_scopes = 0         # open saved_tensors_hooks scopes, over all threads
_scopes_lock = threading.Lock()


class saved_tensors_hooks:
    """Within this context, ``pack_hook(tensor)`` runs on every tensor an op saves for backward and its result is
    kept instead; ``unpack_hook(packed)`` gives the tensor back when backward needs it. Scopes nest (the innermost
    applies) and are per thread.

    Example::

        with torch.autograd.graph.saved_tensors_hooks(lambda t: t * 1, lambda t: t):
            y = x.exp()
    """

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        global _scopes
        if _local.disabled:
            raise RuntimeError(_local.disabled[-1])
        _local.hooks.append((self.pack_hook, self.unpack_hook))
        with _scopes_lock:
            _scopes += 1
            _function.pack_saved = _pack
        _function.observe(1)
        return self

    def __exit__(self, *exc):
        global _scopes
        _local.hooks.pop()
        with _scopes_lock:
            _scopes -= 1
            if not _scopes:
                _function.pack_saved = None
        _function.observe(-1)


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors go to the CPU in the forward and back to their device when backward reads them (GPU memory
    for CPU memory and copies). pin_memory is accepted (copies are synchronous here).

    Example::

        with torch.autograd.graph.save_on_cpu():
            loss = model(x.cuda()).sum()
        loss.backward()
    """

    def __init__(self, pin_memory=False, device_type="cuda"):
        def pack(t):
            return t.device, (t.detach() if t.device.type == "cpu" else t.detach().cpu())

        def unpack(packed):
            device, t = packed
            return t if t.device == device else t.to(device)
        super().__init__(pack, unpack)


class disable_saved_tensors_hooks(contextlib.ContextDecorator):
    """Within this context (or decorated function), opening a saved_tensors_hooks scope raises
    ``RuntimeError(error_message)``.

    Example: ``with torch.autograd.graph.disable_saved_tensors_hooks("not supported here"): ...``"""

    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        _local.disabled.append(self.error_message)
        return self

    def __exit__(self, *exc):
        _local.disabled.pop()


# ---- Node hooks ------------------------------------------------------------------------------------------------

def _tensor_class():
    """The Tensor class (autograd names nothing above it): the TensorBase subclass whose results are its own."""
    return next(c for c in TensorBase.__subclasses__() if c._result_class is c)


def register_node_prehook(node, fn):
    """Node.register_prehook: runs with the node's gradient hooks (the output's tensor hooks), as a one-tuple."""
    def prehook(grad):
        out = fn((grad,))
        return None if out is None else out[0]
    if node._hooks is None:
        node._hooks = []
    node._hooks.append(prehook)
    return _Handle(node._hooks, prehook)


def register_node_hook(node, fn):
    """Node.register_hook: the node's backward (both: on arrays, and the formula under create_graph) is wrapped, on
    this node only, to show ``fn`` its gradients per input (summed to the input's shape) and its output gradient."""
    hooks = node.__dict__.get("_post_hooks")
    if hooks is None:
        hooks = node._post_hooks = []
        cls = type(node)
        node._raw = _with_post_hooks(cls._raw, hooks, True)
        node.backward = _with_post_hooks(cls.backward, hooks, False)
    hooks.append(fn)
    return _Handle(hooks, fn)


def _with_post_hooks(backward, hooks, raw):
    def run(node, grad):
        grads = backward(node, grad)
        if type(grads) is not tuple:
            grads = (grads,)
        grads = grads + (None,) * (len(node._inputs) - len(grads))
        make = _tensor_class()._make if raw else None
        inputs = tuple(None if e is None or g is None else sum_to(g, e[1], node) for e, g in zip(node._inputs, grads))
        if make is not None:
            inputs, grad = tuple(None if g is None else make(g) for g in inputs), make(grad)
        for hook in list(hooks):
            out = hook(inputs, (grad,))
            if out is not None:
                inputs = tuple(out)
        return tuple(None if g is None else g._data for g in inputs) if raw else inputs
    return run


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """mode "all": ``fn(grads)`` once per backward that reaches any of `tensors`, with each one's gradient (None
    where backward did not reach it). mode "any": ``fn(grad)`` with the first gradient computed for any of them.

    Example: ``register_multi_grad_hook((a, b), lambda grads: print([g is None for g in grads]))``"""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    state = {"grads": None}
    if mode == "any":
        def make(i):
            def hook(grad):
                if state["grads"] is None:        # the first of this backward
                    state["grads"] = True
                    queue_callback(lambda: state.update(grads=None))
                    fn(grad)
            return hook
    else:
        def make(i):
            def hook(grad):
                if state["grads"] is None:
                    state["grads"] = [None] * len(tensors)
                    queue_callback(finish)
                state["grads"][i] = grad
            return hook

        def finish():
            grads, state["grads"] = state["grads"], None
            fn(tuple(grads))
    handles = [t.register_hook(make(i)) for i, t in enumerate(tensors) if t.requires_grad]
    return _MultiHandle(handles)


class _MultiHandle:
    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for h in self.handles:
            h.remove()
