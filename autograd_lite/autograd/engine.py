"""The backward engine: one iterative pass over the graph in decreasing node creation order,
out-of-place accumulation, unbroadcast in one place, and release of saved arrays once a node has
run (unless retain_graph).

Gradients flow as raw arrays (the nodes' `backward_raw` accelerations where they have one), or, with
`create_graph`, as Tensors: each node's backward formula then runs on Tensor ops with grad mode on, so the
gradients are themselves differentiable (higher-order gradients)."""
from heapq import heapify, heappop, heappush

import numpy as np

from .. import backend as _backend
from . import op_function as _function
from .op_function import Function, FREED_MESSAGE, Packed, TensorBase, _first, check_versions, POST_ACCUMULATE_HOOKS
from .op_function import accumulate_grad, saved_as_tensor
from .grad_mode import enable_grad, state as _state
from .anomaly_mode import _state as _anomaly, check_gradients

__all__ = ["run_backward", "sum_to", "stand_in", "queue_callback"]

_callbacks = []     # per running backward (nested ones stack): what queue_callback asked to run at its end
_capturing = []     # per running backward: whether it captures gradients (autograd.grad) instead of accumulating


def capturing():
    """Whether the running backward is autograd.grad's (gradients captured, no .grad written)."""
    return bool(_capturing) and _capturing[-1]


def queue_callback(callback):
    """Runs ``callback()`` once the running backward has accumulated every gradient (PyTorch's
    ``Variable._execution_engine.queue_callback``; DistributedDataParallel waits for its all-reduces there)."""
    if not _callbacks:
        raise RuntimeError("Final callbacks can only be installed during backward pass.")
    _callbacks[-1].append(callback)


def sum_to(grad, shape, node=None):
    """Sums a broadcast gradient (an array or a Tensor) down to `shape` (leading axes and size-1 axes)."""
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if lead >= 0 and axes:
        grad = (grad.sum(axes, keepdim=True) if isinstance(grad, TensorBase) else
                grad.sum(axis=axes, keepdims=True)).reshape(shape)
    if tuple(grad.shape) != shape:
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


def _run_hooks(hooks, grad, make):
    """Each hook gets the gradient as a Tensor; one it returns replaces it (make: None when it is one already)."""
    for hook in hooks:
        out = hook(grad if make is None else make(grad))
        if out is not None:
            grad = out if make is None else out._data
    return grad


def saved_as_tensors(node, make):
    """The node's saved arrays as Tensors of the graph, for its backward formula under create_graph: an input's
    array is that input (its node's output, or the leaf itself), the output's array is an output of this node, and
    anything else (a mask, a target) a constant."""
    return tuple(saved_as_tensor(node, s, make) if isinstance(s, _backend.array_types) else s for s in node._saved)


def stand_in(node, i, array, like):
    """Under create_graph: a Tensor of value `array` through which gradients reach input i of `node` as they would
    through that input itself (for a formula that needs a function of the input the node did not save: softmax
    is the same of the logits and of the log-probabilities it saved). None when input i needs no gradient.
    like: a Tensor of the graph (makes the result's class)."""
    entry = node._inputs[i]
    if entry is None:
        return None
    target = entry[0]
    if isinstance(target, TensorBase):                 # a leaf: the leaf itself, shifted by a constant
        return target + like._make(array - target._data)
    t = like._make(array)
    t.grad_fn, t._rg = target, True
    return t


def run_backward(roots, retain_graph=False, capture=None, create_graph=False):
    """Propagates `roots` (a list of (tensor, grad)) to the leaves; grads are arrays, or Tensors with
    `create_graph`.

    Nodes run in decreasing creation order (`Function._seq`): a node's inputs are always older than
    the node, so when a node leaves the heap every node that feeds it a gradient has run. One pass,
    no separate topological sort, and only the nodes a gradient reaches are visited.

    Without `capture`, gradients accumulate into the leaves' `.grad`. With `capture` (a dict keyed
    by leaf Tensors and graph nodes), the total gradient of each key is stored there instead and
    no `.grad` is touched: that is `autograd.grad`."""
    make = roots[0][0]._make
    wrap = None if create_graph else make           # how hooks get a gradient as a Tensor
    leaf_grads, claimed = {}, {id(g) for _, g in roots}
    node = roots[0][0].grad_fn
    if len(roots) == 1 and node is not None:        # the common case: one loss
        grads, heap = {node: roots[0][1]}, [(-node._seq, node)]
    else:
        grads, heap = {}, []
        for tensor, g in roots:
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
    # autograd.grad runs only the nodes between the roots and its inputs, as PyTorch's engine: the others keep their
    # saved arrays for a later call (and cost nothing)
    runs = _nodes_to_run(heap, capture) if capture is not None else None
    if runs is not None:
        heap = [item for item in heap if item[1] in runs or item[1] in capture]
    # leaves with post-accumulate hooks get their .grad (and run the hooks) as soon as no pending node feeds them
    pending = _pending_counts(heap) if POST_ACCUMULATE_HOOKS and capture is None and not create_graph else None
    _callbacks.append([])
    _capturing.append(capture is not None)
    prev_enabled, _state.enabled = _state.enabled, create_graph     # only create_graph records the backward
    trace = _function.op_events        # a profiler recording: an event per node
    try:
        while heap:
            node = heappop(heap)[1]
            g = grads.pop(node)
            if trace is not None:
                events = trace.begin_node(node)
            if node._hooks:
                g = _run_hooks(node._hooks, g, wrap)
            if node._retained is not None:
                _retain(node, g, create_graph)
            if capture is not None and node in capture:
                capture[node] = g
            if runs is not None and node not in runs:      # a captured node with nothing to capture below it
                if trace is not None:
                    trace.end_node(events)
                continue
            saved = packed = node._saved
            if saved is None:
                raise RuntimeError(FREED_MESSAGE)
            if type(saved) is Packed:           # saved-tensor hooks: the unpack hook gives the arrays back
                saved = node._saved = saved.unpack(node)
            versions = node._versions
            if versions is not None and tuple(map(_first, versions[0])) != versions[1]:
                check_versions(node)                # raises
            if create_graph:
                node._saved = saved_as_tensors(node, make) if saved else saved
                try:
                    in_grads = node.backward(node, g)
                finally:
                    node._saved = saved
            else:
                in_grads = node._raw(node, g)
            if type(in_grads) is not tuple:
                in_grads = (in_grads,)
            if _anomaly["enabled"]:
                check_gradients(node, in_grads)
            for entry, gi in zip(node._inputs, in_grads):
                if entry is None or gi is None:
                    continue
                target, shape, dtype, _ = entry
                if gi.shape != shape:
                    gi = sum_to(gi, shape, node)
                if create_graph:
                    if gi._data.dtype != dtype:
                        gi = gi.to(dtype)
                elif gi.dtype is not dtype and gi.dtype != dtype:
                    gi = gi.astype(dtype)
                if runs is not None and target not in runs and target not in capture:
                    continue
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
            elif packed is not saved:
                node._saved = packed
            if trace is not None:
                trace.end_node(events)
            if pending is not None:
                _accumulate_ready(node, pending, leaf_grads, claimed, make)
        _state.enabled = prev_enabled
        if capture is not None:
            for leaf, g in leaf_grads.items():
                if leaf in capture:
                    capture[leaf] = _run_hooks(leaf._hooks, g, wrap) if leaf._hooks else g
        elif create_graph:
            _accumulate_tensors(leaf_grads)
        elif trace is None:
            _accumulate_arrays(leaf_grads, claimed, make)
        else:                               # a profiler shows each leaf's AccumulateGrad, as torch's
            for leaf, g in leaf_grads.items():
                events = trace.begin_node(accumulate_grad(leaf))
                _accumulate_one(leaf, g, claimed, make)
                trace.end_node(events)
        if POST_ACCUMULATE_HOOKS and capture is None:
            for leaf in leaf_grads:
                _run_post_hooks(leaf)
        for callback in _callbacks[-1]:     # (a callback may queue more)
            callback()
    finally:
        _state.enabled = prev_enabled
        _callbacks.pop()
        _capturing.pop()
    return capture


def _nodes_to_run(heap, capture):
    """The nodes below the heap's from which some key of `capture` (a leaf Tensor or a node) is reached through
    their inputs: the nodes whose backward autograd.grad needs. One depth-first pass, each node decided after its
    inputs (the graph is acyclic)."""
    runs, seen = set(), set()
    stack = [(node, False) for _, node in heap]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            for entry in node._inputs:
                if entry is not None and (entry[0] in capture or entry[0] in runs):
                    runs.add(node)
                    break
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            for entry in node._inputs:
                if entry is not None and isinstance(entry[0], Function) and entry[0] not in seen:
                    stack.append((entry[0], False))
    return runs


def _pending_counts(heap):
    """For each leaf with post-accumulate hooks that the graph reaches: how many edges of the graph feed it."""
    counts, seen, stack = {}, set(), [node for _, node in heap]
    while stack:
        node = stack.pop()
        for entry in node._inputs:
            if entry is None:
                continue
            target = entry[0]
            if isinstance(target, Function):
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
            elif id(target) in POST_ACCUMULATE_HOOKS:
                counts[target] = counts.get(target, 0) + 1
    return counts


def _accumulate_ready(node, pending, leaf_grads, claimed, make):
    """After `node` ran: accumulates (and runs the post hooks of) each hooked leaf no other pending node feeds."""
    for entry in node._inputs:
        if entry is None:
            continue
        leaf = entry[0]
        count = pending.get(leaf)
        if count is None:
            continue
        pending[leaf] = count - 1
        if count == 1 and leaf in leaf_grads:
            _accumulate_one(leaf, leaf_grads.pop(leaf), claimed, make)
            _run_post_hooks(leaf)


def _run_post_hooks(leaf):
    entry = POST_ACCUMULATE_HOOKS.get(id(leaf))
    if entry is not None:
        for hook in list(entry[1]):
            hook(leaf)


def _accumulate_arrays(leaf_grads, claimed, make):
    for leaf, g in leaf_grads.items():
        _accumulate_one(leaf, g, claimed, make)


def _accumulate_one(leaf, g, claimed, make):
    if leaf._hooks:
        g = _run_hooks(leaf._hooks, g, make)
    grad = leaf._grad
    if grad is None:
        # a leaf's .grad must be its own array: copy views and arrays handed out twice
        if g.base is not None or id(g) in claimed or type(g) not in _backend.array_types:
            sparse = getattr(g, "as_leaf_grad", None)       # a sparse COO gradient (autograd_lite.sparse): its Tensor
            if sparse is not None:
                leaf._grad = sparse()
                return
            g = _backend.backend_of(leaf._data).xp.array(g)
        claimed.add(id(g))
        leaf._grad = make(g)
    elif grad._data.shape == g.shape and grad._data.flags.writeable and grad.grad_fn is None:
        grad._data += g                 # the leaf's own array: accumulate in place (dense += sparse too)
    else:
        total = grad._data + g          # two sparse gradients: their entries concatenated
        leaf._grad = make(total) if type(total) in _backend.array_types else total.as_leaf_grad()


def _accumulate_tensors(leaf_grads):
    """create_graph: .grad becomes (or adds, out of place) a Tensor that is part of the graph."""
    with enable_grad():
        for leaf, g in leaf_grads.items():
            if leaf._hooks:
                g = _run_hooks(leaf._hooks, g, None)
            if leaf._grad is not None:
                leaf._grad = leaf._grad + g
            else:       # a tensor of nobody's graph (the caller's own gradient, shared by leaves): a copy of its own
                leaf._grad = g.clone() if g.grad_fn is None else g


def _retain(node, g, create_graph):
    tensor = node._retained()
    if tensor is None:
        return
    if create_graph:
        tensor._grad = g if tensor._grad is None else tensor._grad + g
    else:
        tensor._grad = tensor._make(g.copy()) if tensor._grad is None else tensor._make(tensor._grad._data + g)
