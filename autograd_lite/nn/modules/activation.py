"""Activation layers: thin Modules over nn.functional."""
from .. import functional as F
from .module import Module


class ReLU(Module):
    """max(0, x) elementwise. Example: ``nn.Sequential(nn.Linear(4, 8), nn.ReLU())``."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x if x >= 0 else negative_slope * x."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x) elementwise."""

    def forward(self, x):
        return F.tanh(x)


class Softmax(Module):
    """softmax along `dim`: ``nn.Softmax(dim=1)``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log(softmax(x)) along `dim`, computed stably: ``nn.LogSoftmax(dim=1)``."""

    def forward(self, x):
        return F.log_softmax(x, self.dim)
