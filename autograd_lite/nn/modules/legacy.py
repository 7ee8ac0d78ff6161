"""torch.nn's legacy layers: Container and NLLLoss2d (deprecated, with PyTorch's FutureWarning) and CrossMapLRN2d
(Lua Torch's cross-channel local response normalization, with its exact windows and hand-written backward)."""
import warnings

import numpy as np

from ...autograd.op_function import Function
from ...backend import backend_of
from .loss import NLLLoss
from .module import Module

__all__ = ["Container", "NLLLoss2d", "CrossMapLRN2d"]


class Container(Module):
    """Deprecated: a Module holding the modules passed as keywords, as ``torch.nn.Container``; subclass Module.

    Example: ``nn.Container(fc=nn.Linear(2, 3))`` (warns)."""

    def __init__(self, **kwargs):
        warnings.warn("`nn.Container` is deprecated. All of its functionality is now implemented in `nn.Module`. "
                      "Subclass that instead.", FutureWarning, stacklevel=2)
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)


class NLLLoss2d(NLLLoss):
    """Deprecated alias of NLLLoss, as ``torch.nn.NLLLoss2d`` (warns).

    Example: ``nn.NLLLoss2d()(log_probs, target)`` is ``nn.NLLLoss()(log_probs, target)``."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in replacement and see "
                      "https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.", FutureWarning,
                      stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


def _windows(channels, size):
    """(forward, backward) 0/1 matrices (C, C): the channels each channel's scale sums, as PyTorch's running sum
    computes it (its quirk included: channel 0, once in, is never taken out), and the channels whose ratios its
    backward sums."""
    pre_pad = int((size - 1) / 2 + 1)
    fwd = np.zeros((channels, channels))
    fwd[0, :min(pre_pad, channels)] = 1
    for c in range(1, channels):
        fwd[c] = fwd[c - 1]
        if c < channels - pre_pad + 1:
            fwd[c, c + pre_pad - 1] += 1
        if c > pre_pad:
            fwd[c, c - pre_pad] -= 1
    inverse = int(size - (size - 1) / 2)
    c, j = np.ogrid[:channels, :channels]
    bwd = ((j >= c - inverse) & (j <= c + size - 1 - inverse)).astype(np.float64)
    return fwd, bwd


def _channel_sum(m, a):
    """a (N, C, H, W) mixed over channels by the matrix m (C, C): out[:, c] = sum_j m[c, j] a[:, j]."""
    n, ch = a.shape[:2]
    return (m @ a.reshape((n, ch, -1))).reshape(a.shape)


class _CrossMapLRN2dFn(Function):
    op_name = "cross_map_lrn2d"

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        fwd, bwd = _windows(x.shape[1], size)
        xp = backend_of(x).xp
        fwd, bwd = xp.asarray(fwd, x.dtype), xp.asarray(bwd, x.dtype)
        scale = _channel_sum(fwd, x * x) * x.dtype.type(alpha / size) + x.dtype.type(k)
        out = scale ** x.dtype.type(-beta) * x
        ctx.x, ctx.out, ctx.scale, ctx.bwd, ctx.hyper = x, out, scale, bwd, (size, alpha, beta)
        return out

    @staticmethod
    def backward(ctx, g):
        size, alpha, beta = ctx.hyper
        x, scale, dt = ctx.x, ctx.scale, ctx.x.dtype.type
        ratio = _channel_sum(ctx.bwd, g * (ctx.out / scale))
        return g * scale ** dt(-beta) - ratio * (x * dt(2 * alpha * beta / size)), None, None, None, None


class CrossMapLRN2d(Module):
    """Local response normalization across channels of (N, C, H, W) input, as ``torch.nn.CrossMapLRN2d`` (Lua
    Torch's): out = x * (k + alpha / size * sum of x^2 over the neighbouring channels)^-beta.

    Args: size (the channel window), alpha (default 1e-4), beta (0.75), k (1).
    Example: ``nn.CrossMapLRN2d(5)(torch.randn(2, 16, 8, 8))``."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        if input.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead.")
        return _CrossMapLRN2dFn.apply(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
