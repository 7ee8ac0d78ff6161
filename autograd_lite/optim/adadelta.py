"""Adadelta, as torch.optim.Adadelta."""
from .optimizer import Optimizer, buffer, check_hyper, check_nonnegative, decayed, next_step, stepped_state, xp_of

__all__ = ["Adadelta"]


def adadelta_update(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay=0.0, maximize=False):
    """torch.optim.Adadelta's single-tensor rule, op by op, in place."""
    xp = xp_of(param)
    d = decayed(param, grad, weight_decay, maximize)
    square_avg *= rho
    square_avg += (1 - rho) * d * d
    delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * d
    acc_delta *= rho
    acc_delta += (1 - rho) * delta * delta
    param -= lr * delta
    return param


class Adadelta(Optimizer):
    """Adadelta: per-parameter step sizes from running averages of squared gradients and squared updates.

    Per parameter: d = grad + weight_decay * p (negated if maximize); v = rho * v + (1 - rho) * d²;
    delta = sqrt(u + eps) / sqrt(v + eps) * d; u = rho * u + (1 - rho) * delta²; p -= lr * delta.

    Args:
        params (iterable): Tensors or parameter groups (dicts).
        lr (float): scale of each update (default: 1.0).
        rho (float): decay rate of the running averages (default: 0.9).
        eps (float): added inside the square roots (default: 1e-6).
        weight_decay (float): L2 penalty (default: 0).
        maximize (bool): maximize the objective instead of minimizing it (default: False).
        foreach, capturable, differentiable: accepted and kept in the param groups, as PyTorch's; no-ops here.

    Example::

        >>> optimizer = optim.Adadelta(model.parameters(), lr=1.0)
        >>> optimizer.zero_grad(); loss.backward(); optimizer.step()
    """

    rule = staticmethod(adadelta_update)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        check_nonnegative(lr=lr)
        check_hyper("rho value", rho, 0 <= rho <= 1)
        check_nonnegative(eps=eps, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      capturable=capturable, foreach=foreach, differentiable=differentiable))

    def _update(self, p, group):
        state = stepped_state(self, p)
        sq, acc = buffer(state, "square_avg", p), buffer(state, "acc_delta", p)
        next_step(state)
        self.apply_rule(p, p._data, p._grad._data, sq, acc, group["lr"], group["rho"], group["eps"],
                        group["weight_decay"], group["maximize"])
