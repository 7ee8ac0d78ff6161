"""Functional neural-network ops, as in ``torch.nn.functional``: activations, linear, dropout and
the losses (cross_entropy is one fused, stable kernel)."""
from ..ops import (relu, sigmoid, tanh, softmax, log_softmax, linear, leaky_relu, elu, dropout,
                   nll_loss, cross_entropy, mse_loss, l1_loss, binary_cross_entropy,
                   binary_cross_entropy_with_logits)

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "leaky_relu", "elu",
           "dropout", "nll_loss", "cross_entropy", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits"]
