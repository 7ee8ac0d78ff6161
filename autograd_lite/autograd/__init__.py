"""Reverse-mode autograd: Function, the engine (`backward`, `grad`), grad mode, gradcheck."""
from .function import Function
from .grad_mode import no_grad, enable_grad, set_grad_enabled, is_grad_enabled
from .engine import run_backward, ones_like
from .gradcheck import gradcheck
from .. import backend as _backend

__all__ = ["Function", "backward", "grad", "gradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled"]


def _root_grad(t, g, op):
    """The gradient that seeds backward from output `t`: ones for a scalar, else `g` checked."""
    from . import function
    from ..backend import backend_of
    if t.grad_fn is None and not t._rg:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    xp = backend_of(t._data).xp
    if g is None:
        if t._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return ones_like(t._data)
    if isinstance(g, function.Tensor):
        g = g._data
    elif type(g) not in _backend.array_types:
        raise TypeError(f"{op}: gradient must be a Tensor or None, got {type(g).__name__}")
    g = xp.asarray(g, dtype=t._data.dtype)
    if g.shape != t._data.shape:
        raise RuntimeError(f"{op}: Mismatch in shape: grad_output[0] has a shape of "
                           f"{tuple(g.shape)} and output[0] has a shape of {tuple(t._data.shape)}.")
    return g


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates the gradients of `tensors` into the `.grad` of the graph's leaves."""
    if create_graph:
        raise RuntimeError("backward: create_graph=True (higher-order gradients) is not supported "
                           "by autograd_lite: backward formulas run on raw arrays")
    tensors = _as_list(tensors)
    grads = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(tensors)
    roots = [(t, _root_grad(t, g, "backward")) for t, g in zip(tensors, grads)]
    if inputs is not None:
        captured = grad(tensors, _as_list(inputs), [g for _, g in roots], retain_graph,
                        allow_unused=True)
        for leaf, g in zip(_as_list(inputs), captured):
            if g is not None:
                leaf.grad = g if leaf.grad is None else leaf.grad + g
        return
    run_backward(roots, retain_graph=bool(retain_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None):
    """Returns d(outputs)/d(inputs) as a tuple, without touching any `.grad`.

    Example: ``gx, = autograd.grad((x * x).sum(), [x])``."""
    if create_graph:
        raise RuntimeError("grad: create_graph=True (higher-order gradients) is not supported by "
                           "autograd_lite: backward formulas run on raw arrays")
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    gos = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outputs)
    roots = [(t, _root_grad(t, g, "grad")) for t, g in zip(outputs, gos)]
    for i, x in enumerate(inputs):
        if not x._rg:
            raise RuntimeError(f"grad: input {i} does not require grad")
    keys = [x.grad_fn or x for x in inputs]
    capture = run_backward(roots, retain_graph=bool(retain_graph), capture=dict.fromkeys(keys))
    from . import function
    result = []
    for i, k in enumerate(keys):
        g = capture[k]
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: One of the differentiated Tensors (input {i}) appears to not "
                               "have been used in the graph. Set allow_unused=True if this is the "
                               "desired behavior.")
        result.append(None if g is None else function.Tensor._make(g.copy()))
    return tuple(result)
