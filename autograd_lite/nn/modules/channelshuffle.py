"""ChannelShuffle, as ``torch.nn.ChannelShuffle`` (ShuffleNet's channel interleaving)."""
from .. import functional as F
from .module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Interleaves the channels of (N, C, *) input across `groups` groups.

    Example::

        >>> nn.ChannelShuffle(2)(autograd_lite.arange(4.0).reshape(1, 4, 1, 1)).flatten()
        tensor([0., 2., 1., 3.])
    """

    def __init__(self, groups):
        super().__init__()
        if not isinstance(groups, int):
            raise TypeError("expected int for groups")
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
