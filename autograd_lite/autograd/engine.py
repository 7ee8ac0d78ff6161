"""The backward engine: one iterative pass over the graph in decreasing node creation order,
out-of-place accumulation, unbroadcast in one place, and release of saved arrays once a node has
run (unless retain_graph)."""
from heapq import heapify, heappop, heappush

import numpy as np

from . import function as _function
from .. import backend as _backend
from .function import Function, FREED_MESSAGE, _first, check_versions
from .grad_mode import state as _state

__all__ = ["run_backward", "sum_to"]


def sum_to(grad, shape, node=None):
    """Sums a broadcast gradient down to `shape` (leading axes and size-1 axes)."""
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if lead >= 0 and axes:
        grad = grad.sum(axis=axes, keepdims=True).reshape(shape)
    if grad.shape != shape:
        who = node.name() if node is not None else "backward"
        raise RuntimeError(f"{who}: gradient of shape {tuple(grad.shape)} does not match its input "
                           f"of shape {tuple(shape)}")
    return grad


_SCALAR_ONES = {}


def ones_like(data):
    """The seed gradient of a one-element output; 0-d ones are cached read-only per dtype (the
    engine never writes into a node's gradient, and copies it before it becomes a .grad)."""
    if data.shape == () and type(data) is np.ndarray:
        one = _SCALAR_ONES.get(data.dtype)
        if one is None:
            one = _SCALAR_ONES[data.dtype] = np.ones((), data.dtype)
            one.flags.writeable = False
        return one
    return _backend.backend_of(data).xp.ones(data.shape, data.dtype)


def _wrap(array):
    return _function.Tensor._make(array)


def _run_hooks(hooks, grad):
    for hook in hooks:
        out = hook(_wrap(grad))
        if out is not None:
            grad = out._data
    return grad


def run_backward(roots, retain_graph=False, capture=None):
    """Propagates `roots` (a list of (tensor, grad array)) to the leaves.

    Nodes run in decreasing creation order (`Function._seq`): a node's inputs are always older than
    the node, so when a node leaves the heap every node that feeds it a gradient has run. One pass,
    no separate topological sort, and only the nodes a gradient reaches are visited.

    Without `capture`, gradients accumulate into the leaves' `.grad`. With `capture` (a dict keyed
    by leaf Tensors and graph nodes), the total gradient of each key is stored there instead and
    no `.grad` is touched: that is `autograd.grad`."""
    grads, leaf_grads, claimed, heap = {}, {}, set(), []
    for tensor, g in roots:
        claimed.add(id(g))
        target = tensor.grad_fn or tensor
        if isinstance(target, Function):
            prev = grads.get(target)
            if prev is None:
                grads[target] = g
                heap.append((-target._seq, target))
            else:
                grads[target] = prev + g
        else:
            prev = leaf_grads.get(target)
            leaf_grads[target] = g if prev is None else prev + g
    heapify(heap)
    prev_enabled, _state.enabled = _state.enabled, False     # backward math records no graph
    try:
        while heap:
            node = heappop(heap)[1]
            g = grads.pop(node)
            if node._hooks:
                g = _run_hooks(node._hooks, g)
            if node._retained is not None:
                _retain(node, g)
            if capture is not None and node in capture:
                capture[node] = g
            saved = node._saved
            if saved is None:
                raise RuntimeError(FREED_MESSAGE)
            versions = node._versions
            if versions is not None and tuple(map(_first, versions[0])) != versions[1]:
                check_versions(node)                # raises
            in_grads = node.backward(node, g)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            for entry, gi in zip(node._inputs, in_grads):
                if entry is None or gi is None:
                    continue
                target, shape, dtype = entry
                if gi.shape != shape:
                    gi = sum_to(gi, shape, node)
                if gi.dtype is not dtype and gi.dtype != dtype:
                    gi = gi.astype(dtype)
                if isinstance(target, Function):
                    prev = grads.get(target)
                    if prev is None:
                        grads[target] = gi
                        heappush(heap, (-target._seq, target))
                    else:
                        grads[target] = prev + gi
                else:
                    prev = leaf_grads.get(target)
                    leaf_grads[target] = gi if prev is None else prev + gi
            if saved and not retain_graph:
                node._saved = None
    finally:
        _state.enabled = prev_enabled
    if capture is not None:
        for leaf, g in leaf_grads.items():
            if leaf in capture:
                capture[leaf] = g
        return capture
    make = _function.Tensor._make
    for leaf, g in leaf_grads.items():
        if leaf._hooks:
            g = _run_hooks(leaf._hooks, g)
        grad = leaf._grad
        if grad is None:
            # a leaf's .grad must be its own array: copy views and arrays handed out twice
            if g.base is not None or id(g) in claimed or type(g) not in _backend.array_types:
                g = _backend.backend_of(leaf._data).xp.array(g)
            claimed.add(id(g))
            leaf._grad = make(g)
        elif grad._data.shape == g.shape and grad._data.flags.writeable:
            grad._data += g                 # the leaf's own array: accumulate in place
        else:
            leaf._grad = _wrap(grad._data + g)
    return None


def _retain(node, g):
    tensor = node._retained()
    if tensor is None:
        return
    tensor._grad = _wrap(g.copy()) if tensor._grad is None else _wrap(tensor._grad._data + g)
