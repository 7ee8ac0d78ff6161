"""SGD, optionally with momentum (heavy-ball or Nesterov), as torch.optim.SGD."""
from .optimizer import (Optimizer, check_fused, check_nonnegative, data_of, decayed, grad_data_of, kernels, sparse_grad,
                        version_of, zeros_like)

__all__ = ["SGD"]


def sgd_update(param, grad, momentum_buffer, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
               maximize=False, first_step=False):
    """torch.optim.SGD's single-tensor rule, op by op, in place (the fused kernel's reference)."""
    d = decayed(param, grad, weight_decay, maximize)
    if momentum != 0:
        buf = momentum_buffer
        if first_step:
            buf[...] = d
        else:
            buf *= momentum
            buf += (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf
    param -= lr * d
    return param


class SGD(Optimizer):
    """Stochastic gradient descent.

    Per parameter, d = grad + weight_decay * p (negated if maximize); with momentum, the buffer starts as d
    and then b = momentum * b + (1 - dampening) * d, and d = d + momentum * b (nesterov) or b; p -= lr * d.

    Args:
        params (iterable): Tensors or parameter groups (dicts).
        lr (float): learning rate (default: 1e-3).
        momentum (float): momentum factor (default: 0).
        dampening (float): dampening of the momentum (default: 0).
        weight_decay (float): L2 penalty (default: 0).
        nesterov (bool): Nesterov momentum (default: False).
        maximize (bool): maximize the objective instead of minimizing it (default: False).
        foreach, differentiable, fused: accepted and kept in the param groups, as PyTorch's; no-ops here.

    Example::

        >>> optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> optimizer.zero_grad()
        >>> loss_fn(model(input), target).backward()
        >>> optimizer.step()
    """

    rule, kernel = staticmethod(sgd_update), "sgd_update"
    sparse_grads = True     # nn.Embedding(sparse=True)'s: as PyTorch's, with momentum, without weight_decay

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        check_nonnegative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        check_fused(fused, foreach, differentiable)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _step_group(self, group):
        """The group in one kernel-table call (sgd_update_many), its parameters gathered with C-level maps."""
        live = [p for p in group["params"] if p._grad is not None]
        ps = list(map(data_of, live))
        gs = list(map(grad_data_of, live))
        if len(set(map(type, ps + gs))) != 1 or not hasattr(kernels(live[0]), "sgd_update_many"):
            return super()._step_group(group)      # none, mixed devices, a sparse gradient or no fused kernel
        momentum = group["momentum"]
        if momentum == 0:                                         # like PyTorch, no state at all without momentum
            bufs, firsts = [None] * len(live), [False] * len(live)
        else:
            bufs, firsts = [], []
            for p in live:
                buf, first = self._momentum_buffer(p, momentum)
                bufs.append(buf)
                firsts.append(first)
        for version in map(version_of, live):
            version[0] += 1
        kernels(live[0]).sgd_update_many(ps, gs, bufs, firsts, group["lr"], momentum,
                                         group["dampening"], group["weight_decay"], group["nesterov"],
                                         group["maximize"])

    def _update(self, p, group):
        if sparse_grad(p):
            return self._sparse_update(p, group)
        momentum = group["momentum"]
        buf, first = self._momentum_buffer(p, momentum)
        self.apply_rule(p, p._data, p._grad._data, buf, group["lr"], momentum, group["dampening"],
                        group["weight_decay"], group["nesterov"], group["maximize"], first)

    def _sparse_update(self, p, group):
        """PyTorch's SGD step for a sparse gradient: the momentum buffer is sparse too (kept coalesced here: the
        same values), and p changes at the gradient's and the buffer's entries only."""
        from ..sparse._coo import coalesce
        from ..sparse._tensor import make_sparse
        if group["weight_decay"] != 0:
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
        d = p._grad._data
        if group["maximize"]:
            d = d.with_values(-d.values)
        momentum = group["momentum"]
        if momentum != 0:
            state = self.state[p]
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = make_sparse(d.copy())
            elif buf.is_sparse:
                b = buf._data
                buf._data = coalesce(b.with_values(b.values * momentum) +
                                     d.with_values(d.values * (1 - group["dampening"])))
            else:
                buf._data *= momentum
                buf._data += d.with_values(d.values * (1 - group["dampening"]))
            b = buf._data
            if group["nesterov"]:
                d = d + (b.with_values(b.values * momentum) if buf.is_sparse else b * momentum)
            else:
                d = b
        if type(d) is type(p._data):       # a dense momentum buffer made d dense
            p._data -= group["lr"] * d
        else:
            p._data += d.with_values(d.values * -group["lr"])

    def _momentum_buffer(self, p, momentum):
        """(p's momentum buffer array or None without momentum, whether this is its first step)."""
        if momentum == 0:                              # like PyTorch, no state at all without momentum
            return None, False
        state = self.state[p]
        buf = state.get("momentum_buffer")
        if buf is None:                                # the kernel fills it with the first step's d
            state["momentum_buffer"] = zeros_like(p)
            return state["momentum_buffer"]._data, True
        return buf._data, False
