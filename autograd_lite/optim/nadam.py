"""NAdam, as torch.optim.NAdam."""
from .optimizer import (Optimizer, buffer, check_hyper, check_nonnegative, decayed, lerp_, next_step, scalar_state,
                        stepped_state, xp_of)

__all__ = ["NAdam"]


def nadam_update(param, grad, exp_avg, exp_avg_sq, beta1, beta2, eps, weight_decay, param_scale, bias_correction2,
                 grad_coef, avg_coef, maximize=False):
    """torch.optim.NAdam's single-tensor rule, op by op, in place. param_scale: the decoupled decay's
    1 - lr * weight_decay (1: none); grad_coef = -lr (1 - mu_t) / (1 - prod mu), avg_coef = -lr mu_t+1 / (1 - prod mu
    to t+1)."""
    if param_scale != 1:
        param *= param_scale
    d = decayed(param, grad, weight_decay, maximize)
    lerp_(exp_avg, d, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * d * d
    denom = xp_of(param).sqrt(exp_avg_sq / bias_correction2) + eps
    param += grad_coef * d / denom
    param += avg_coef * exp_avg / denom
    return param


class NAdam(Optimizer):
    """NAdam: Adam with Nesterov momentum, its momentum warmed up by momentum_decay.

    Per parameter and step t: d = grad + weight_decay * p (negated if maximize; with decoupled_weight_decay,
    p *= 1 - lr * weight_decay instead); mu_t = beta1 (1 - 0.96^(t momentum_decay) / 2); m = lerp(m, d, 1 - beta1);
    v = beta2 v + (1 - beta2) d²; denom = sqrt(v / (1 - beta2^t)) + eps;
    p -= lr (1 - mu_t) / (1 - prod mu_1..t) d / denom + lr mu_t+1 / (1 - prod mu_1..t+1) m / denom.

    Args:
        params (iterable): Tensors or parameter groups (dicts).
        lr (float): learning rate (default: 2e-3).
        betas (tuple[float, float]): decay rates of the gradient's running mean and of its square
            (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): weight decay (default: 0).
        momentum_decay (float): the momentum's warm-up rate (default: 4e-3).
        decoupled_weight_decay (bool): AdamW's decay, applied to the weights directly (default: False).
        maximize (bool): maximize the objective instead of minimizing it (default: False).
        foreach, capturable, differentiable: accepted and kept in the param groups, as PyTorch's; no-ops here.

    Example::

        >>> optimizer = optim.NAdam(model.parameters(), lr=2e-3, decoupled_weight_decay=True, weight_decay=1e-2)
    """

    rule = staticmethod(nadam_update)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_nonnegative(lr=lr, eps=eps)
        check_hyper("beta parameter at index 0", betas[0], 0 <= betas[0] < 1)
        check_hyper("beta parameter at index 1", betas[1], 0 <= betas[1] < 1)
        check_nonnegative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    def _update(self, p, group):
        state = stepped_state(self, p)
        if "mu_product" not in state:
            state["mu_product"] = scalar_state(1.0)
        m, v = buffer(state, "exp_avg", p), buffer(state, "exp_avg_sq", p)
        t = next_step(state)
        (beta1, beta2), lr, wd, psi = group["betas"], group["lr"], group["weight_decay"], group["momentum_decay"]
        decoupled = group["decoupled_weight_decay"] and wd != 0
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        product = state["mu_product"]._data
        product *= mu                                     # in its own dtype, as PyTorch's 0-d tensor
        product = product.item()
        self.apply_rule(p, p._data, p._grad._data, m, v, beta1, beta2, group["eps"], 0 if decoupled else wd,
                        1 - lr * wd if decoupled else 1, 1 - beta2 ** t, -lr * (1.0 - mu) / (1.0 - product),
                        -lr * mu_next / (1.0 - product * mu_next), group["maximize"])
