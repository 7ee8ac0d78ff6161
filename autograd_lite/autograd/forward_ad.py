"""Forward-mode AD, as ``torch.autograd.forward_ad``: dual_level, make_dual, unpack_dual (a namedtuple
``UnpackedDualTensor(primal, tangent)``), enter_dual_level and exit_dual_level.

autograd_lite has no per-op forward rules. A tangent is computed when unpack_dual asks for it, from the graph reverse
mode records, by the double-vjp trick: the vector-Jacobian product ``v(u) = u^T J`` is linear in a dummy cotangent
u, so the gradient of ``<v(u), t>`` with respect to u is ``J t``. Every op's backward is differentiable, so this
holds for all of them; it costs two backward passes per unpack_dual.

Example::

    >>> import autograd_lite.autograd.forward_ad as fwAD
    >>> x, t = autograd_lite.tensor([0., 1.]), autograd_lite.tensor([1., 1.])
    >>> with fwAD.dual_level():
    ...     y = fwAD.make_dual(x, t).sin()
    ...     fwAD.unpack_dual(y).tangent            # cos(x) * t
    tensor([1.0000, 0.5403])

What differs from PyTorch, because the tangent comes from the recorded graph:

- a dual tensor made from a primal that does not require grad is a leaf that requires grad (its gradient is never
  used), so it and the tensors computed from it report ``requires_grad=True`` where PyTorch says False;
- dual_level turns grad mode on inside it (PyTorch's forward AD also works under no_grad); a result computed under
  a no_grad() nested inside the level has no tangent, and unpack_dual says so when it runs under that no_grad();
- a custom Function's ``jvp`` staticmethod is not used: its backward is;
- a tangent is returned in the dtype of the result it belongs to.
"""
import functools
from collections import namedtuple

from .. import backend as _backend
from .op_function import Function, TensorBase
from .grad_mode import is_grad_enabled, state as _grad_state

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = """What unpack_dual returns: ``(primal, tangent)``, the tangent None for a tensor
without one."""

_levels = []        # the open level (PyTorch allows one): its duals, id(dual) -> (dual, primal, tangent)
_NO_GRAD = ("unpack_dual: no tangent can be computed for a tensor made under no_grad(): autograd_lite computes "
            "forward-mode tangents from the graph reverse mode records. Run the computation between make_dual and "
            "unpack_dual with grad mode enabled.")


class _Level:
    __slots__ = ("index", "duals", "prev_grad")

    def __init__(self, index, prev_grad):
        self.index, self.duals, self.prev_grad = index, {}, prev_grad


def _current_level():
    return _levels[-1].index if _levels else -1


def _level(level):
    if not _levels or level is not None and level != _levels[-1].index:
        return None
    return _levels[-1]


def enter_dual_level():
    """Opens the forward AD level (only one at a time) and returns its number; make_dual and unpack_dual use it.

    Example: ``level = enter_dual_level(); ...; exit_dual_level(level=level)``"""
    if _levels:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _levels.append(_Level(0, _grad_state.enabled))
    _grad_state.enabled = True          # the tangents are read from the graph: record it
    return 0


def exit_dual_level(*, level=None):
    """Closes the forward AD level: its tangents are dropped (unpack_dual then gives None)."""
    if not _levels:
        raise RuntimeError("Dual level must be a positive number.")
    if level is not None and level != _levels[-1].index:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    _grad_state.enabled = _levels.pop().prev_grad


class dual_level:
    """Context manager (and decorator) for forward AD: make_dual and unpack_dual work inside it; its tangents are
    dropped at its exit. Grad mode is on inside it (the tangents are computed from the recorded graph).

    Example::

        >>> with dual_level():
        ...     out = f(make_dual(x, v))
        ...     jvp = unpack_dual(out).tangent
    """

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with dual_level():
                return func(*args, **kwargs)
        return wrapper


def _check_floating(t, what):
    if not isinstance(t, TensorBase):
        raise TypeError(f"make_dual(): argument '{what}' must be Tensor, not {type(t).__name__}")
    if not (t.is_floating_point() or t.is_complex()):
        raise ValueError(f"Expected {what} to be floating point or complex, but got: {t.dtype}")


def make_dual(tensor, tangent, *, level=None):
    """A tensor with `tensor`'s values that carries `tangent` (same shape) as its forward gradient, for the
    functions of it that unpack_dual reads. Backward-differentiable with respect to `tensor` (and the tangents
    computed from it with respect to `tangent`).

    Example::

        >>> with dual_level():
        ...     y = make_dual(x, v) ** 2
        ...     unpack_dual(y).tangent                 # 2 * x * v
    """
    lv = _level(level)
    if lv is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    _check_floating(tensor, "primal")
    _check_floating(tangent, "tangent")
    if tuple(tensor.shape) != tuple(tangent.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    entry = lv.duals.get(id(tensor))
    if entry is not None and entry[0] is tensor:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {lv.index} is not supported.")
    if tensor.requires_grad and is_grad_enabled():
        dual = tensor.view_as(tensor)           # gradients reach the primal through it
    else:
        dual = tensor.detach().requires_grad_()     # a leaf the tangent is read at, sharing the primal's storage
    lv.duals[id(dual)] = (dual, tensor, tangent)
    return dual


def unpack_dual(tensor, *, level=None):
    """``UnpackedDualTensor(primal, tangent)``: `tensor`'s value and its forward gradient (the Jacobian of tensor
    with respect to the level's dual tensors, applied to their tangents), or None for a tensor that depends on no
    dual tensor, or outside a level. Backward-differentiable when a primal or tangent requires grad.

    Example: ``primal, tangent = unpack_dual(f(make_dual(x, v)))``"""
    lv = _level(level)
    if lv is None:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, TensorBase):
        raise TypeError(f"_unpack_dual(): argument 'dual' (position 1) must be Tensor, not {type(tensor).__name__}")
    entry = lv.duals.get(id(tensor))
    if entry is not None and entry[0] is tensor:
        return UnpackedDualTensor(entry[1], entry[2])
    if tensor.grad_fn is None:
        if lv.duals and not is_grad_enabled():
            raise RuntimeError(_NO_GRAD)
        return UnpackedDualTensor(tensor, None)
    duals = list(lv.duals.values())
    hidden = {id(d) for d, _, _ in duals if d.grad_fn is None}
    # a graph only where something the caller can differentiate is involved: else the tangent stays plain
    keep = any(t.requires_grad for _, _, t in duals) or _reaches_other_leaf(tensor, hidden)
    tangent, = jvps([tensor], [d for d, _, _ in duals], [t for _, _, t in duals], create_graph=keep,
                    retain_graph=True)
    return UnpackedDualTensor(tensor, tangent)


def _reaches_other_leaf(t, hidden):
    """Whether t's graph reaches a leaf requiring grad that is not in `hidden` (ids)."""
    seen, stack = set(), [t.grad_fn]
    while stack:
        for entry in getattr(stack.pop(), "_inputs", ()):
            if entry is None:
                continue
            target = entry[0]
            if isinstance(target, Function):
                if id(target) not in seen:
                    seen.add(id(target))
                    stack.append(target)
            elif id(target) not in hidden:
                return True
    return False


# ---- the double-vjp trick, shared with autograd_lite.func's jvp and linearize ------------------------------------

def vjp_graph(outputs, inputs):
    """(dummy cotangents u, one per output requiring grad, and ``u^T J`` per input (None where unused)), with a
    graph linear in u: for jvp_from."""
    from . import grad
    live = [o for o in outputs if o.requires_grad]
    if not live:
        return [], [None] * len(inputs)
    us = [o._make(_backend.backend_of(o._data).xp.zeros_like(o._data), True) for o in live]   # value never used
    return us, list(grad(live, inputs, us, retain_graph=True, create_graph=True, allow_unused=True))


def jvp_from(outputs, us, vs, tangents, create_graph=False, retain_graph=None):
    """``J t`` per output (None for one independent of the inputs): the gradient of ``sum <v_i, t_i>`` in u."""
    from . import grad
    pairs = [(v, t) for v, t in zip(vs, tangents) if v is not None and v.requires_grad]
    jts = iter([None] * len(us) if not pairs else
               grad([v for v, _ in pairs], us, [t for _, t in pairs], retain_graph=retain_graph,
                    create_graph=create_graph, allow_unused=True))
    return [next(jts) if o.requires_grad else None for o in outputs]


def jvps(outputs, inputs, tangents, create_graph=False, retain_graph=None):
    """The Jacobian-vector products ``J t`` of `outputs` with respect to `inputs` (Tensors requiring grad) along
    `tangents`: one per output, None for one independent of the inputs."""
    us, vs = vjp_graph(outputs, inputs)
    return jvp_from(outputs, us, vs, tangents, create_graph, retain_graph)
