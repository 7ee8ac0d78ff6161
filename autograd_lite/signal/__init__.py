"""torch.signal: window functions (``autograd_lite.signal.windows.hann(8)``)."""
from . import windows  # noqa: F401

__all__ = ["windows"]
