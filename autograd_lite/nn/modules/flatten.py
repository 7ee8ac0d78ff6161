"""Flatten."""
from .module import Module


class Flatten(Module):
    """Flattens dims start_dim..end_dim (default: all but the batch dim): (N, 1, 28, 28) -> (N, 784)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
