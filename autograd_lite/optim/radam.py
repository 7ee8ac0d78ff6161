"""RAdam, as torch.optim.RAdam."""
from .optimizer import (Optimizer, buffer, check_hyper, check_nonnegative, decayed, lerp_, next_step, stepped_state,
                        xp_of)

__all__ = ["RAdam"]


def radam_update(param, grad, exp_avg, exp_avg_sq, beta1, beta2, eps, weight_decay, param_scale, bias_correction1,
                 bias_correction2, lr, rect, maximize=False):
    """torch.optim.RAdam's single-tensor rule, op by op, in place. param_scale: the decoupled decay's
    1 - lr * weight_decay (1: none); rect: the variance rectification term, None while the variance is not yet
    tractable (rho_t <= 5: a plain momentum step)."""
    if param_scale != 1:
        param *= param_scale
    d = decayed(param, grad, weight_decay, maximize)
    lerp_(exp_avg, d, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * d * d
    corrected = exp_avg / bias_correction1
    if rect is None:
        param -= corrected * lr
    else:
        param -= corrected * lr * (bias_correction2 ** 0.5 / (xp_of(param).sqrt(exp_avg_sq) + eps)) * rect
    return param


class RAdam(Optimizer):
    """RAdam: Adam whose adaptive step is rectified by the variance of its second moment, and plain momentum
    while that variance is not yet tractable (the first steps).

    Per parameter and step t: d = grad + weight_decay * p (negated if maximize; with decoupled_weight_decay,
    p *= 1 - lr * weight_decay instead); m and v as Adam's; rho_inf = 2 / (1 - beta2) - 1,
    rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t); where rho_t > 5,
    p -= lr m / (1 - beta1^t) sqrt(1 - beta2^t) / (sqrt(v) + eps) r_t with
    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)); else p -= lr m / (1 - beta1^t).

    Args:
        params (iterable): Tensors or parameter groups (dicts).
        lr (float): learning rate (default: 1e-3).
        betas (tuple[float, float]): decay rates of the gradient's running mean and of its square
            (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): weight decay (default: 0).
        decoupled_weight_decay (bool): AdamW's decay, applied to the weights directly (default: False).
        maximize (bool): maximize the objective instead of minimizing it (default: False).
        foreach, capturable, differentiable: accepted and kept in the param groups, as PyTorch's; no-ops here.

    Example::

        >>> optimizer = optim.RAdam(model.parameters(), lr=1e-3)
    """

    rule = staticmethod(radam_update)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_nonnegative(lr=lr, eps=eps)
        check_hyper("beta parameter at index 0", betas[0], 0 <= betas[0] < 1)
        check_hyper("beta parameter at index 1", betas[1], 0 <= betas[1] < 1)
        check_nonnegative(weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay, differentiable=differentiable))

    def _update(self, p, group):
        state = stepped_state(self, p)
        m, v = buffer(state, "exp_avg", p), buffer(state, "exp_avg_sq", p)
        t = next_step(state)
        (beta1, beta2), lr, wd = group["betas"], group["lr"], group["weight_decay"]
        decoupled = group["decoupled_weight_decay"] and wd != 0
        bias_correction2 = 1 - beta2 ** t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2
        rect = None
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        self.apply_rule(p, p._data, p._grad._data, m, v, beta1, beta2, group["eps"], 0 if decoupled else wd,
                        1 - lr * wd if decoupled else 1, 1 - beta1 ** t, bias_correction2, lr, rect,
                        group["maximize"])
