"""Reverse-mode autograd: Function, the engine (`backward`, `grad`), grad mode, gradcheck and gradgradcheck,
`functional` (jacobian, hessian, vjp, jvp, hvp, vhp), and the legacy `Variable`."""
import warnings

from .op_function import TensorBase
from .function import Function      # the user-facing class (Tensors); ops subclass op_function.Function
from .variable import Variable      # legacy: Variable(t) is a Tensor; isinstance(any Tensor, Variable) holds
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode,
                        is_inference_mode_enabled)
from .engine import run_backward, ones_like
from .gradcheck import gradcheck, gradgradcheck
from .anomaly_mode import detect_anomaly, set_detect_anomaly, is_anomaly_enabled, is_anomaly_check_nan_enabled
from . import functional
from . import graph, profiler    # torch.autograd.graph (saved-tensor hooks, Node), torch.autograd.profiler
from . import forward_ad       # torch.autograd.forward_ad: dual tensors, tangents by the double-vjp trick
from .. import backend as _backend

__all__ = ["Function", "Variable", "backward", "grad", "gradcheck", "gradgradcheck", "functional", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode", "is_inference_mode_enabled",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]


def _root_grad(t, g, op, create_graph):
    """The gradient that seeds backward from output `t`: ones for a scalar, else `g` checked; an array, or with
    create_graph a Tensor (the user's own, graph included, when given one)."""
    if t.grad_fn is None and not t._rg:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    xp = _backend.backend_of(t._data).xp
    if g is None:
        if t._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        if t._data.dtype.kind == "c":
            raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {t.dtype}")
        g = ones_like(t._data)
        return t._make(g) if create_graph else g
    if isinstance(g, TensorBase):
        if create_graph and g._data.shape == t._data.shape:       # the caller's own, graph included
            return g if g._data.dtype == t._data.dtype else g.to(t.dtype)
        g = g._data
    elif type(g) not in _backend.array_types:
        raise TypeError(f"{op}: gradient must be a Tensor or None, got {type(g).__name__}")
    g = xp.asarray(g, dtype=t._data.dtype)
    if g.shape != t._data.shape:
        raise RuntimeError(f"{op}: Mismatch in shape: grad_output[0] has a shape of "
                           f"{tuple(g.shape)} and output[0] has a shape of {tuple(t._data.shape)}.")
    return t._make(g) if create_graph else g


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates the gradients of `tensors` into the `.grad` of the graph's leaves; with `create_graph`, those
    gradients are themselves part of the graph (for higher-order derivatives)."""
    tensors = _as_list(tensors)
    grads = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(tensors)
    retain_graph = create_graph if retain_graph is None else retain_graph
    if inputs is not None:
        captured = grad(tensors, _as_list(inputs), grads, retain_graph, create_graph, allow_unused=True)
        for leaf, g in zip(_as_list(inputs), captured):
            if g is not None:
                leaf.grad = g if leaf._grad is None else leaf._grad + g
        return
    roots = [(t, _root_grad(t, g, "backward", create_graph)) for t, g in zip(tensors, grads)]
    if create_graph:
        warnings.warn("Using backward() with create_graph=True will create a reference cycle between the parameter "
                      "and its gradient which can cause a memory leak. We recommend using autograd.grad when "
                      "creating the graph to avoid this. If you have to use this function, make sure to reset the "
                      ".grad fields of your parameters to None after use to break the cycle and avoid the leak.",
                      UserWarning, stacklevel=3)
    run_backward(roots, retain_graph=bool(retain_graph), create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None):
    """Returns d(outputs)/d(inputs) as a tuple, without touching any `.grad`; with `create_graph`, the
    gradients are part of the graph, so they can be differentiated again.

    Example: ``gx, = autograd.grad((x * x).sum(), [x])``;
    ``gx, = grad(y, x, create_graph=True); gxx, = grad(gx.sum(), x)``."""
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    gos = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outputs)
    retain_graph = create_graph if retain_graph is None else retain_graph
    roots = [(t, _root_grad(t, g, "grad", create_graph)) for t, g in zip(outputs, gos)]
    for i, x in enumerate(inputs):
        if not x._rg:
            raise RuntimeError(f"grad: input {i} does not require grad")
    keys = [x.grad_fn or x for x in inputs]
    capture = run_backward(roots, retain_graph=bool(retain_graph), capture=dict.fromkeys(keys),
                           create_graph=create_graph)
    result, claimed = [], {id(g) for _, g in roots}
    for i, k in enumerate(keys):
        g = capture[k]
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: One of the differentiated Tensors (input {i}) appears to not "
                               "have been used in the graph. Set allow_unused=True if this is the "
                               "desired behavior.")
        if g is not None and not create_graph:
            # each result an array of its own: views, the caller's gradients and arrays handed out twice are
            # copied (NumPy's 0-d arithmetic gives scalars); a fresh array of the backward is returned as it is
            if type(g) not in _backend.array_types or g.base is not None or id(g) in claimed:
                g = _backend.backend_of(inputs[i]._data).xp.array(g)
            claimed.add(id(g))
            g = inputs[i]._make(g)
        result.append(g)
    return tuple(result)
