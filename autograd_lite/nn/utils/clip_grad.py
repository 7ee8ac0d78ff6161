"""Gradient clipping, as ``torch.nn.utils``: clip_grad_norm_ (one total norm over every gradient), clip_grad_value_,
and their parts get_total_norm and clip_grads_with_norm_. Gradients are changed in place, under no_grad; the norms
stay on the gradients' device (one number comes back to the host only for ``error_if_nonfinite``)."""
import functools
import math
import types
import warnings

from ... import stack, tensor
from ...autograd import no_grad
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _no_grad(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with no_grad():
            return fn(*args, **kwargs)
    return wrapper


def _vector_norm(x, p):
    """torch.linalg.vector_norm(x, p) of all of x's elements, a 0-d Tensor of x's dtype (a sparse gradient's: of its
    dense value, through its coalesced values; PyTorch 2.13 raises there)."""
    if x.is_sparse:
        x = x.coalesce()._values()
    if p == 2:
        return (x * x).sum().sqrt()
    if p == 1:
        return x.abs().sum()
    if x.numel() == 0:
        return x.sum()              # 0, as PyTorch's norm of no element (for p >= 0)
    if p == math.inf:
        return x.abs().max()
    if p == -math.inf:
        return x.abs().min()
    if p == 0:
        return (x != 0).sum().to(x.dtype)
    return (x.abs() ** p).sum() ** (1.0 / p)


@_no_grad
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The `norm_type` norm of the norms of `tensors` (as if they were concatenated into one vector), a 0-d Tensor
    on the first one's device; 0 for none. `foreach` is accepted for PyTorch compatibility (one path here).

    Example: ``get_total_norm([p.grad for p in model.parameters() if p.grad is not None])``"""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    first = tensors[0].device
    norms = [_vector_norm(t, norm_type) for t in tensors]
    widest = max((n.dtype for n in norms), key=lambda d: d.itemsize)       # torch.stack promotes
    total = _vector_norm(stack([n.to(first, widest) for n in norms]), norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return total


@_no_grad
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scales every ``p.grad`` in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    parameters = [parameters] if isinstance(parameters, Tensor) else parameters
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(coef.to(g.device))


@_no_grad
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescales the gradients of `parameters` (a Tensor or an iterable of them) in place so that their total
    `norm_type` norm is at most `max_norm`; returns the total norm before clipping (a 0-d Tensor).
    `error_if_nonfinite`: raise when that norm is nan or inf (else the gradients are scaled by it anyway).

    Example::

        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated name of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@_no_grad
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every ``p.grad`` of `parameters` in place to ``[-clip_value, clip_value]``.

    Example: ``nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)``"""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    for p in parameters:
        if p.grad is not None:
            p.grad.clamp_(min=-clip_value, max=clip_value)
