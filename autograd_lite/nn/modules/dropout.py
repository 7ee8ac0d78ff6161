"""Dropout."""
from .. import functional as F
from .module import Module


class Dropout(Module):
    """Zeroes each element with probability p while training and scales the rest by 1/(1-p);
    the identity in eval mode.

    Example::

        >>> drop = nn.Dropout(p=0.5)
        >>> drop.eval()(x) is x
        True
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
