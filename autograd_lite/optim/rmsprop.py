"""RMSprop, as torch.optim.RMSprop."""
from .optimizer import Optimizer, buffer, check_nonnegative, decayed, next_step, stepped_state, xp_of

__all__ = ["RMSprop"]


def rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay=0.0,
                   momentum=0.0, maximize=False):
    """torch.optim.RMSprop's single-tensor rule, op by op, in place (grad_avg None: not centered; momentum_buffer
    None: no momentum)."""
    xp = xp_of(param)
    d = decayed(param, grad, weight_decay, maximize)
    square_avg *= alpha
    square_avg += (1 - alpha) * d * d
    if grad_avg is not None:
        grad_avg += (1 - alpha) * (d - grad_avg)
        avg = xp.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = xp.sqrt(square_avg) + eps
    if momentum != 0:
        momentum_buffer *= momentum
        momentum_buffer += d / avg
        param -= lr * momentum_buffer
    else:
        param -= lr * (d / avg)
    return param


class RMSprop(Optimizer):
    """RMSprop, optionally centered and with momentum.

    Per parameter: d = grad + weight_decay * p (negated if maximize); s = alpha * s + (1 - alpha) * d²;
    centered: g = lerp(g, d, 1 - alpha) and avg = sqrt(s - g²) + eps, else avg = sqrt(s) + eps;
    with momentum, b = momentum * b + d / avg and p -= lr * b, else p -= lr * d / avg.

    Args:
        params (iterable): Tensors or parameter groups (dicts).
        lr (float): learning rate (default: 1e-2).
        alpha (float): smoothing constant (default: 0.99).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): L2 penalty (default: 0).
        momentum (float): momentum factor (default: 0).
        centered (bool): normalize by the gradient's estimated variance (default: False).
        maximize (bool): maximize the objective instead of minimizing it (default: False).
        capturable, foreach, differentiable: accepted and kept in the param groups, as PyTorch's; no-ops here.

    Example::

        >>> optimizer = optim.RMSprop(model.parameters(), lr=0.01, momentum=0.9)
    """

    rule, kernel = staticmethod(rmsprop_update), "rmsprop_update"

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                                      weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _update(self, p, group):
        state = stepped_state(self, p)
        momentum = group["momentum"]
        sq = buffer(state, "square_avg", p)
        buf = buffer(state, "momentum_buffer", p) if momentum > 0 else None
        gavg = buffer(state, "grad_avg", p) if group["centered"] else None
        next_step(state)
        self.apply_rule(p, p._data, p._grad._data, sq, gavg, buf, group["lr"], group["alpha"], group["eps"],
                        group["weight_decay"], momentum, group["maximize"])
