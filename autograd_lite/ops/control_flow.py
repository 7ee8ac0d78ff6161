"""torch.cond and torch.while_loop, eagerly (as torch runs them outside torch.compile): a branch or a loop of
ordinary Python calls, so autograd records whatever the branches compute."""
from .. import _api
from ..tensor import Tensor

declare = _api.declare


def _leaves(tree):
    if isinstance(tree, (tuple, list)):
        return [x for t in tree for x in _leaves(t)]
    if isinstance(tree, dict):
        return [x for t in tree.values() for x in _leaves(t)]
    return [tree]


@declare(method=False)
def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if pred else ``false_fn(*operands)``; pred a bool or a one-element tensor.

    Example: ``autograd_lite.cond(x.sum() > 0, lambda x: x.sin(), lambda x: x.cos(), (x,))``"""
    if not isinstance(pred, (bool, Tensor)):
        raise RuntimeError(f"Expected pred to be bool or tensor, but got {pred}.")
    if isinstance(pred, Tensor) and pred.numel() != 1:
        raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got {pred}.")
    if not callable(true_fn) or not callable(false_fn):
        raise RuntimeError("Expect both branches to be callable.")
    if not isinstance(operands, (tuple, list)) or any(not isinstance(t, Tensor) for t in _leaves(operands)):
        raise RuntimeError("Expect operands to be a tuple of possibly nested dict/list/tuple that only consists of "
                           f"tensor leaves, but got {operands}.")
    return true_fn(*operands) if pred else false_fn(*operands)


def _check_pred(pred):
    if isinstance(pred, bool) or isinstance(pred, Tensor) and pred.ndim == 0 and pred.dtype.name == "bool":
        return bool(pred)
    raise RuntimeError(f"cond_fn must return a boolean scalar tensor or a boolean but got {pred}")


@declare(method=False)
def while_loop(cond_fn, body_fn, carried_inputs):
    """Runs ``carried = body_fn(*carried)`` while ``cond_fn(*carried)`` is True; returns the final tuple (copies of
    the inputs when the loop never runs).

    Example: ``i, x = autograd_lite.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x * 2), (i0, x0))``"""
    if not callable(cond_fn) or not callable(body_fn):
        raise RuntimeError("Expect cond_fn and body_fn to be callable.")
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"carried_inputs must be a tuple or list but got {type(carried_inputs)}")
    if any(not isinstance(t, (Tensor, int)) for t in _leaves(carried_inputs)):
        raise RuntimeError("Expect carried_inputs to be a tuple of possibly nested dict/list/tuple that only"
                           f"consists of tensor or int leaves, but got {carried_inputs}.")
    carried = tuple(carried_inputs)
    if not _check_pred(cond_fn(*carried)):
        return tuple(v.clone() if isinstance(v, Tensor) else v for v in carried)
    while True:
        out = body_fn(*carried)
        if not isinstance(out, tuple):
            raise AssertionError(f"body_fn should return a tuple but got {type(out)}")
        if len(out) != len(carried_inputs):
            raise AssertionError(f"body_fn should return the same number of elements as carried_inputs, got "
                                 f"{len(out)} vs {len(carried_inputs)}")
        carried = out
        if not _check_pred(cond_fn(*carried)):
            return carried
