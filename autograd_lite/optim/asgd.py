"""ASGD (averaged SGD), as torch.optim.ASGD."""
from .optimizer import (Optimizer, check_nonnegative, decayed, next_step, scalar_state, set_scalar, stepped_state,
                        zeros_like)

__all__ = ["ASGD"]


def asgd_update(param, grad, ax, eta, mu, lambd, weight_decay=0.0, maximize=False):
    """torch.optim.ASGD's single-tensor rule, op by op, in place (eta, mu: this step's step size and averaging
    weight)."""
    d = decayed(param, grad, weight_decay, maximize)
    param *= 1 - lambd * eta
    param -= eta * d
    if mu != 1:
        ax += (param - ax) * mu
    else:
        ax[...] = param
    return param


class ASGD(Optimizer):
    """Averaged stochastic gradient descent: SGD with a decaying step size, and a running average of the iterates
    (state 'ax') from step t0 on.

    Per parameter and step t: d = grad + weight_decay * p (negated if maximize); p *= 1 - lambd * eta;
    p -= eta * d; ax += mu * (p - ax); then eta = lr / (1 + lambd * lr * t)^alpha and mu = 1 / max(1, t - t0).

    Args:
        params (iterable): Tensors or parameter groups (dicts).
        lr (float): learning rate (default: 1e-2).
        lambd (float): decay term (default: 1e-4).
        alpha (float): power of the step size's decay (default: 0.75).
        t0 (float): the step averaging starts at (default: 1e6).
        weight_decay (float): L2 penalty (default: 0).
        maximize (bool): maximize the objective instead of minimizing it (default: False).
        foreach, differentiable, capturable: accepted and kept in the param groups, as PyTorch's; no-ops here.

    Example::

        >>> optimizer = optim.ASGD(model.parameters(), lr=0.01, t0=100)
        >>> averaged = optimizer.state[param]["ax"]
    """

    rule = staticmethod(asgd_update)

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False,
                 differentiable=False, capturable=False):
        check_nonnegative(lr=lr, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update(self, p, group):
        state = stepped_state(self, p)
        if "eta" not in state:
            state["eta"], state["mu"], state["ax"] = scalar_state(group["lr"]), scalar_state(1.0), zeros_like(p)
        t = next_step(state)
        lr, lambd = group["lr"], group["lambd"]
        self.apply_rule(p, p._data, p._grad._data, state["ax"]._data, state["eta"].item(), state["mu"].item(), lambd,
                        group["weight_decay"], group["maximize"])
        set_scalar(state, "eta", lr / ((1 + lambd * lr * t) ** group["alpha"]))
        set_scalar(state, "mu", 1 / max(1, t - group["t0"]))
