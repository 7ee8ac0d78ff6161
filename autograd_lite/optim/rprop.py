"""Rprop, as torch.optim.Rprop."""
from .optimizer import Optimizer, check_nonnegative, next_step, stepped_state, xp_of, zeros_like

__all__ = ["Rprop"]


def rprop_update(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max, maximize=False):
    """torch.optim.Rprop's single-tensor rule, op by op, in place (prev: the last step's gradient, zeroed where
    its sign flipped)."""
    xp = xp_of(param)
    g = -grad if maximize else grad.copy()
    factor = xp.sign(g * prev)                 # in param's dtype, as PyTorch's: eta's rounding included
    factor[factor > 0] = etaplus
    factor[factor < 0] = etaminus
    factor[factor == 0] = 1
    step_size *= factor
    xp.clip(step_size, step_size_min, step_size_max, out=step_size)
    g[factor == etaminus] = 0                  # after a sign flip, no step and no memory of the gradient
    param -= xp.sign(g) * step_size
    prev[...] = g
    return param


class Rprop(Optimizer):
    """Rprop: per-weight step sizes that grow while the gradient keeps its sign and shrink when it flips; only
    the gradient's sign is used.

    Per parameter: s = sign(grad * prev); step_size *= etaplus where s > 0, etaminus where s < 0, then clamped to
    step_sizes; where s < 0 the gradient is taken as 0; p -= sign(grad) * step_size; prev = grad. The step sizes
    start at lr.

    Args:
        params (iterable): Tensors or parameter groups (dicts).
        lr (float): the initial step size (default: 1e-2).
        etas (tuple[float, float]): (etaminus, etaplus), the factors a step size shrinks and grows by
            (default: (0.5, 1.2)).
        step_sizes (tuple[float, float]): the smallest and largest step sizes (default: (1e-6, 50)).
        maximize (bool): maximize the objective instead of minimizing it (default: False).
        capturable, foreach, differentiable: accepted and kept in the param groups, as PyTorch's; no-ops here.

    Example::

        >>> optimizer = optim.Rprop(model.parameters(), lr=0.01)
    """

    rule = staticmethod(rprop_update)

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        check_nonnegative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def _update(self, p, group):
        state = stepped_state(self, p)
        if "prev" not in state:
            state["prev"] = zeros_like(p)
            state["step_size"] = zeros_like(p, group["lr"])
        next_step(state)
        (etaminus, etaplus), (smin, smax) = group["etas"], group["step_sizes"]
        self.apply_rule(p, p._data, p._grad._data, state["prev"]._data, state["step_size"]._data, etaminus, etaplus,
                        smin, smax, group["maximize"])
