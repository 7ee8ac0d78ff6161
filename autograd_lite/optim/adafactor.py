"""Adafactor, as torch.optim.Adafactor (PyTorch 2.5+'s variant: no first moment, a step-dependent beta2)."""
import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, lerp_, next_step, stepped_state, xp_of, zeros_like

__all__ = ["Adafactor"]


def _rms(xp, a):
    return float(xp.sqrt((a * a).sum())) / a.size ** 0.5


def adafactor_update(param, grad, row_var, col_var, variance, step, lr, beta2_decay, eps1, eps2, d, weight_decay,
                     maximize):
    """torch.optim.Adafactor's single-tensor rule, op by op, in place on param and the state arrays (row_var and
    col_var for a grad of 2 or more dims, factored over its last two; variance otherwise)."""
    xp = xp_of(param)
    g = -grad if maximize else grad
    one_minus_beta2 = step ** beta2_decay
    alpha = max(eps2, _rms(xp, param)) * min(lr, 1 / step ** 0.5)
    if weight_decay != 0:
        param *= 1 - lr * weight_decay
    if g.ndim > 1:
        gg = g * g      # PyTorch takes the norm and squares it back: the same up to rounding
        lerp_(row_var, xp.sqrt(gg.sum(axis=-1, keepdims=True)) ** 2 / g.shape[-1], one_minus_beta2)
        lerp_(col_var, xp.sqrt(gg.sum(axis=-2, keepdims=True)) ** 2 / g.shape[-2], one_minus_beta2)
        var = xp.matmul(row_var, col_var)
        var /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
    else:
        lerp_(variance, g * g, one_minus_beta2)
        var = variance.copy()
    update = 1 / xp.sqrt(xp.maximum(var, eps1 * eps1)) * g
    denom = max(1.0, _rms(xp, update) / d)
    param -= (alpha / denom) * update
    return param


def _zeros(like, shape):
    return Tensor._make(xp_of(like).zeros(shape, like.dtype))


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018) as PyTorch implements it: the second moment of a matrix gradient kept as
    a row and a column factor (memory O(n + m)), a step size relative to the parameter's RMS.

    Per parameter and step t: beta2_t = 1 - t^beta2_decay; rho = min(lr, 1/sqrt(t)); alpha = max(eps2, RMS(p)) *
    rho; p *= 1 - lr * weight_decay; V = the factored (or plain) running mean of grad^2; u = grad / sqrt(max(V,
    eps1^2)); p -= alpha / max(1, RMS(u) / d) * u.

    Args:
        params (iterable): Tensors or parameter groups (dicts).
        lr (float): learning rate, an upper bound of the relative step (default: 1e-2).
        beta2_decay (float): the decay exponent of beta2 (default: -0.8).
        eps (tuple[float | None, float]): eps1 added to the second moment (None: the dtype's machine epsilon) and
            eps2, the smallest parameter scale (default: (None, 1e-3)).
        d (float): the update's clipping threshold (default: 1.0).
        weight_decay (float): decoupled weight decay (default: 0.0).
        foreach (bool): accepted and kept in the param groups, as PyTorch's; a no-op here.
        maximize (bool): maximize the objective instead of minimizing it (default: False).

    Example::

        >>> optimizer = optim.Adafactor(model.parameters(), lr=1e-2)
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize))

    _state_like_params = False      # row_var / col_var are smaller than their parameter

    def _step_group(self, group):
        eps1, eps2 = group["eps"]
        lr = float(group["lr"])
        for p in group["params"]:
            if p._grad is None:
                continue
            state = stepped_state(self, p)
            grad = p._grad._data
            if len(state) == 1:      # the step count only: first step
                if grad.ndim > 1:
                    state["row_var"] = _zeros(grad, grad.shape[:-1] + (1,))
                    state["col_var"] = _zeros(grad, grad.shape[:-2] + (1, grad.shape[-1]))
                else:
                    state["variance"] = zeros_like(p)
            if eps1 is None:        # as PyTorch: the first parameter's dtype sets it for the rest of the group
                eps1 = float(np.finfo(p._data.dtype).eps)
            arrays = [state[k]._data if k in state else None for k in ("row_var", "col_var", "variance")]
            adafactor_update(p._data, grad, *arrays, next_step(state), lr, group["beta2_decay"], eps1, eps2,
                             group["d"], group["weight_decay"], group["maximize"])
            p._version[0] += 1
