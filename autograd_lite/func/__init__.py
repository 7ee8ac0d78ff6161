"""``autograd_lite.func``, as ``torch.func``: functional_call (a module run with given parameters and buffers),
the reverse-mode transforms grad, grad_and_value, vjp, jacrev, jacfwd, hessian, the forward-mode jvp and linearize
(by the double-vjp trick), vmap (one call per batch element), functionalize, stack_module_state and
replace_all_batch_norm_modules_."""
from collections.abc import Sequence

from ..nn.utils.stateless import _functional_call
from ._forward import jvp, linearize
from ._modules import replace_all_batch_norm_modules_, stack_module_state
from ._transforms import functionalize, grad, grad_and_value, hessian, jacfwd, jacrev, vjp
from ._vmap import vmap

__all__ = ["functional_call", "grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "hessian", "jvp", "linearize",
           "vmap", "functionalize", "stack_module_state", "replace_all_batch_norm_modules_"]


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with its parameters and buffers named in the dict(s) replaced, for this call only;
    gradients flow to the given tensors. Tied weights follow a given one (tie_weights); strict: every name given.

    Example::

        >>> m = nn.Linear(3, 2)
        >>> w = {"weight": autograd_lite.zeros(2, 3), "bias": autograd_lite.ones(2)}
        >>> autograd_lite.func.functional_call(m, w, (autograd_lite.randn(4, 3),))[0]
        tensor([1., 1.])
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        parameters_and_buffers = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        parameters_and_buffers = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
