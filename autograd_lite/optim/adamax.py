"""Adamax, as torch.optim.Adamax."""
from .optimizer import (Optimizer, buffer, check_hyper, check_nonnegative, decayed, lerp_, next_step, stepped_state,
                        xp_of)

__all__ = ["Adamax"]


def adamax_update(param, grad, exp_avg, exp_inf, beta1, beta2, eps, clr, weight_decay=0.0, maximize=False):
    """torch.optim.Adamax's single-tensor rule, op by op, in place (clr: lr / (1 - beta1^t))."""
    xp = xp_of(param)
    d = decayed(param, grad, weight_decay, maximize)
    lerp_(exp_avg, d, 1 - beta1)
    exp_inf *= beta2
    xp.maximum(exp_inf, xp.abs(d) + eps, out=exp_inf)
    param -= clr * exp_avg / exp_inf
    return param


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm in place of the second moment.

    Per parameter and step t: d = grad + weight_decay * p (negated if maximize); m = lerp(m, d, 1 - beta1);
    u = max(beta2 * u, |d| + eps); p -= lr / (1 - beta1^t) * m / u.

    Args:
        params (iterable): Tensors or parameter groups (dicts).
        lr (float): learning rate (default: 2e-3).
        betas (tuple[float, float]): decay rates of the gradient's running mean and of its infinity norm
            (default: (0.9, 0.999)).
        eps (float): added to |d| (default: 1e-8).
        weight_decay (float): L2 penalty (default: 0).
        maximize (bool): maximize the objective instead of minimizing it (default: False).
        foreach, differentiable, capturable: accepted and kept in the param groups, as PyTorch's; no-ops here.

    Example::

        >>> optimizer = optim.Adamax(model.parameters(), lr=2e-3)
    """

    rule = staticmethod(adamax_update)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_nonnegative(lr=lr, eps=eps)
        check_hyper("beta parameter at index 0", betas[0], 0 <= betas[0] < 1)
        check_hyper("beta parameter at index 1", betas[1], 0 <= betas[1] < 1)
        check_nonnegative(weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _update(self, p, group):
        state = stepped_state(self, p)
        m, u = buffer(state, "exp_avg", p), buffer(state, "exp_inf", p)
        t = next_step(state)
        beta1, beta2 = group["betas"]
        self.apply_rule(p, p._data, p._grad._data, m, u, beta1, beta2, group["eps"], group["lr"] / (1 - beta1 ** t),
                        group["weight_decay"], group["maximize"])
