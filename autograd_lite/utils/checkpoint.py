"""Activation checkpointing, as ``torch.utils.checkpoint``: a function's forward runs without recording, and its
backward runs it again (recording) to get the gradients, trading compute for the memory of its activations.

    from autograd_lite.utils.checkpoint import checkpoint
    y = checkpoint(block, x, use_reentrant=False)      # block's activations are not kept; backward recomputes them

Both flavours recompute in backward; they differ as PyTorch's do where inputs need no gradient: use_reentrant=True
(the default, with PyTorch's warning when not passed) gives outputs that require grad only when an input does
(parameters inside then get no gradient: PyTorch warns), use_reentrant=False tracks the parameters too.
It backpropagates by ``.backward()`` only: autograd.grad through it raises (PyTorch's reentrant flavour does too;
its non-reentrant one supports it).
"""
import warnings

from .. import random as _random
from ..autograd import engine
from ..autograd.op_function import Function
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]

_NOT_PASSED = ("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in PyTorch "
               "2.9, calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is "
               "recommended, but if you need to preserve the current default behavior, you can pass "
               "use_reentrant=True. Refer to docs for more details on the differences between the two variants.")
_NOT_GRAD = ("When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or passing an `inputs` "
             "parameter to .backward(). To resolve this error, you can either set use_reentrant=False, or call "
             ".backward() without passing the `inputs` argument.")


class _Run:
    """One checkpointed call: the function, its arguments and the RNG state it started from."""

    def __init__(self, function, args, kwargs, preserve_rng_state, reentrant):
        self.function, self.args, self.kwargs, self.reentrant = function, args, kwargs, reentrant
        self.rng_state = _random.get_rng_state() if preserve_rng_state else None

    def recompute(self):
        """The outputs again, recorded, from detached copies of the tensor arguments (the new leaves)."""
        leaves = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a for a in self.args]
        state = _random.get_rng_state()
        if self.rng_state is not None:
            _random.set_rng_state(self.rng_state)        # the same dropout masks as the forward drew
        try:
            with enable_grad():
                outputs = self.function(*leaves, **self.kwargs)
        finally:
            _random.set_rng_state(state)
        return leaves, outputs


class _Checkpoint(Function):
    """apply(run, index, *tensor_args): output `index` of run's outputs (computed once, in checkpoint()); its
    backward recomputes them and backpropagates its gradient through output `index`."""

    @staticmethod
    def forward(ctx, run, index, *arrays):
        ctx.run, ctx.index = run, index
        out = run.outputs[index] if index is not None else run.outputs
        return out._data

    @staticmethod
    def backward(ctx, grad):
        if isinstance(grad, Tensor):    # the engine passes Tensors only when the backward itself is recorded
            raise RuntimeError("Checkpointing is not compatible with create_graph=True (double backward)")
        if engine.capturing():     # the recomputed graph's parameters would accumulate into .grad instead
            raise RuntimeError(_NOT_GRAD if ctx.run.reentrant else
                               "checkpoint: autograd.grad through a checkpointed function is not supported here; "
                               "call .backward() (the parameters inside get their .grad)")
        leaves, outputs = ctx.run.recompute()
        out = outputs[ctx.index] if ctx.index is not None else outputs
        if out.requires_grad:
            out.backward(Tensor._make(grad))        # the parameters inside accumulate their .grad here
        grads = tuple(t.grad._data if t.requires_grad and t.grad is not None else None
                      for t in leaves if isinstance(t, Tensor))
        return (None, None) + grads + (None,) * (len(ctx._inputs) - 2 - len(grads))    # (use_reentrant=False's marker)


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)`` without keeping its activations: backward runs it again.

    Example::

        >>> out = checkpoint(model.block, x, use_reentrant=False)
        >>> out.sum().backward()         # block's forward runs a second time, its parameters get their .grad
    """
    if use_reentrant is None:
        warnings.warn(_NOT_PASSED, stacklevel=2)
        use_reentrant = True
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if context_fn is not None and use_reentrant:
        raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
    run = _Run(function, args, kwargs, preserve_rng_state, use_reentrant)
    tensors = [a for a in args if isinstance(a, Tensor)]
    if use_reentrant and is_grad_enabled() and not any(t.requires_grad for t in tensors):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)
    if not is_grad_enabled():
        return function(*args, **kwargs)
    with no_grad():
        run.outputs = outputs = function(*args, **kwargs)
    single = isinstance(outputs, Tensor)
    if not single and not (isinstance(outputs, (tuple, list)) and outputs
                           and all(isinstance(o, Tensor) for o in outputs)):
        raise TypeError(f"checkpoint: the function must return a Tensor or a tuple of Tensors, got "
                        f"{type(outputs).__name__}")
    if not use_reentrant:      # the parameters inside count: an input that requires grad makes the node record
        first = outputs if single else outputs[0]
        tensors = tensors + [Tensor._make(first._data.reshape(-1)[:0].copy(), requires_grad=True)]
    if single:
        return _Checkpoint.apply(run, None, *tensors)
    return type(outputs)(_Checkpoint.apply(run, i, *tensors) for i in range(len(outputs)))


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Runs the modules of `functions` (an nn.Sequential or a list) in `segments` checkpointed chunks; the last
    chunk runs normally, as PyTorch's.

    Example: ``out = checkpoint_sequential(model, 2, x, use_reentrant=False)``."""
    if use_reentrant is None:
        warnings.warn(_NOT_PASSED, stacklevel=2)
        use_reentrant = True
    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    size = len(functions) // segments

    def run_segment(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run_segment(start, end), input, use_reentrant=use_reentrant, **kwargs)
    return run_segment(end + 1, len(functions) - 1)(input)
