"""Adagrad, as torch.optim.Adagrad."""
from .optimizer import (Optimizer, check_fused, check_nonnegative, decayed, next_step, sparse_grad, step_counter, xp_of,
                        zeros_like)

__all__ = ["Adagrad"]


def adagrad_update(param, grad, state_sum, clr, eps, weight_decay=0.0, maximize=False):
    """torch.optim.Adagrad's single-tensor rule, op by op, in place (clr: the decayed learning rate)."""
    d = decayed(param, grad, weight_decay, maximize)
    state_sum += d * d
    param -= clr * (d / (xp_of(param).sqrt(state_sum) + eps))
    return param


class Adagrad(Optimizer):
    """Adagrad.

    Per parameter and step t: d = grad + weight_decay * p (negated if maximize); s += d²;
    p -= lr / (1 + (t - 1) * lr_decay) * d / (sqrt(s) + eps). The state (s starting at
    initial_accumulator_value) exists from construction, as in PyTorch.

    Args:
        params (iterable): Tensors or parameter groups (dicts).
        lr (float): learning rate (default: 1e-2).
        lr_decay (float): learning rate decay (default: 0).
        weight_decay (float): L2 penalty (default: 0).
        initial_accumulator_value (float): the sum of squares' starting value (default: 0).
        eps (float): added to the denominator (default: 1e-10).
        maximize (bool): maximize the objective instead of minimizing it (default: False).
        foreach, differentiable, fused: accepted and kept in the param groups, as PyTorch's; no-ops here.

    Example::

        >>> optimizer = optim.Adagrad(model.parameters(), lr=0.01)
    """

    rule, kernel = staticmethod(adagrad_update), "adagrad_update"
    sparse_grads = True     # nn.Embedding(sparse=True)'s: the sum and p change at the gradient's entries only

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        check_fused(fused, foreach, differentiable)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, fused=fused))

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self.state[p] = {"step": step_counter(), "sum": zeros_like(p, group["initial_accumulator_value"])}

    def _update(self, p, group):
        if sparse_grad(p):
            return self._sparse_update(p, group)
        t = next_step(self.state[p])
        self.apply_rule(p, p._data, p._grad._data, self.state[p]["sum"]._data,
                        group["lr"] / (1 + (t - 1) * group["lr_decay"]), group["eps"], group["weight_decay"],
                        group["maximize"])

    def _sparse_update(self, p, group):
        """PyTorch's Adagrad step for a sparse gradient (coalesced first): s += g² and p -= clr * g / (sqrt(s) + eps)
        at the gradient's entries."""
        from ..sparse._coo import coalesce, gather
        if group["weight_decay"] != 0:
            raise RuntimeError("weight_decay option is not compatible with sparse gradients")
        state = self.state[p]
        t = next_step(state)
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        g = coalesce(p._grad._data)
        values = -g.values if group["maximize"] else g.values
        total = state["sum"]._data
        total += g.with_values(values * values)
        std = xp_of(values).sqrt(gather(total, g.indices, g.shape)) + group["eps"]
        p._data += g.with_values((values / std) * -clr)
