"""torch.distributions.chi2: the module holding Chi2 (defined beside Gamma, its parent, in gamma.py)."""
from .gamma import Chi2

__all__ = ["Chi2"]
