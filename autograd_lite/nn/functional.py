"""Functional neural-network ops, as in ``torch.nn.functional``."""
from ..ops import relu, sigmoid, tanh, softmax, log_softmax, linear

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear"]
