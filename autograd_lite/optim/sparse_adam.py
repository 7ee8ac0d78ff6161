"""SparseAdam, as torch.optim.SparseAdam: Adam for sparse gradients (nn.Embedding(sparse=True)), its moments updated
at the gradient's entries only; a dense gradient fails as PyTorch's does."""
import math

from .optimizer import Optimizer, sparse_grad, xp_of

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """Adam for sparse gradients (``nn.Embedding(sparse=True)``), as ``torch.optim.SparseAdam``: per step, the
    gradient is coalesced, and the moments (exp_avg, exp_avg_sq) and the parameter change at its entries only, with
    Adam's bias corrections of the parameter's step count. A dense gradient raises PyTorch's "SparseAdam does not
    support dense gradients, please consider Adam instead".

    Args: params, lr (default: 1e-3), betas (default: (0.9, 0.999)), eps (default: 1e-8), maximize.
    Example::

        >>> emb = nn.Embedding(1000, 16, sparse=True)
        >>> optimizer = optim.SparseAdam(emb.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))
        complex_params = [[i, j] for i, group in enumerate(self.param_groups) for j, p in enumerate(group["params"])
                          if p.dtype.is_complex]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not support complex "
                             "parameters")

    sparse_grads = True

    def _update(self, p, group):
        if not sparse_grad(p):
            raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
        from ..sparse._coo import coalesce, gather
        from .optimizer import zeros_like
        g = coalesce(p._grad._data)         # the update is non-linear: one entry per index
        if not g.nnz:
            return
        state = self.state[p]
        if not state:
            state["step"] = 0
            state["exp_avg"], state["exp_avg_sq"] = zeros_like(p), zeros_like(p)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        beta1, beta2 = group["betas"]
        values = -g.values if group["maximize"] else g.values
        at = tuple(g.indices)
        old_m, old_v = gather(m, g.indices, g.shape), gather(v, g.indices, g.shape)
        dm = (values - old_m) * (1 - beta1)          # old <- b * old + (1 - b) * new, as old += (1 - b) * (new - old)
        m[at] += dm
        dv = (values * values - old_v) * (1 - beta2)
        v[at] += dv
        numer = dm + old_m
        denom = xp_of(v).sqrt(dv + old_v) + group["eps"]
        step_size = group["lr"] * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        p._data[at] += (numer / denom) * -step_size
