"""SparseAdam, as torch.optim.SparseAdam: its checks and errors. autograd_lite has no sparse tensors, so every
gradient is dense and step() fails as PyTorch's does for a dense gradient."""
from .optimizer import Optimizer

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """Adam for sparse gradients (``nn.Embedding(sparse=True)``), as ``torch.optim.SparseAdam``. autograd_lite's
    gradients are dense: step() raises PyTorch's "SparseAdam does not support dense gradients, please consider Adam
    instead"; use optim.Adam.

    Args: params, lr (default: 1e-3), betas (default: (0.9, 0.999)), eps (default: 1e-8), maximize.
    Example::

        >>> optimizer = optim.Adam(model.parameters(), lr=1e-3)     # not SparseAdam: no sparse gradients here
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

    def _update(self, p, group):
        raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
