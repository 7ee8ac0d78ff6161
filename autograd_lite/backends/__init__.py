"""``torch.backends`` as scripts touch it: ``cudnn`` flags (kept, no effect: there is no cuDNN
here) and ``mps`` (never available), so ``torch.backends.cudnn.benchmark = True`` and
``torch.backends.mps.is_available()`` run unchanged.

Example::

    >>> import autograd_lite as torch
    >>> torch.backends.cudnn.benchmark = True      # accepted, no effect
    >>> torch.backends.mps.is_available()
    False
"""
from . import cudnn, mps
from . import cuda      # torch.backends.cuda: the sdp switches (recorded), matmul.allow_tf32

__all__ = ["cudnn", "mps", "cuda"]
