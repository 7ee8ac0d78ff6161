"""Padding, resizing and channel-dropout layers: ZeroPad1d/2d/3d, ConstantPad1d/2d/3d, ReflectionPad1d/2d/3d,
ReplicationPad1d/2d/3d, CircularPad1d/2d/3d, Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, Dropout1d/2d/3d,
AlphaDropout, FeatureAlphaDropout, PixelShuffle, PixelUnshuffle; thin Modules over nn.functional with PyTorch's signatures and reprs."""
from .. import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d", "Upsample", "UpsamplingNearest2d",
           "UpsamplingBilinear2d", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
           "PixelShuffle", "PixelUnshuffle"]


def _padding(padding, n):
    """PyTorch's _ntuple(2 * n): an int repeated, a sequence kept as it is."""
    return tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * (2 * n)


class _Pad(Module):
    """``F.pad(x, self.padding, mode)``; `dims` spatial dims."""
    mode, dims = "constant", 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding(padding, self.dims)

    def forward(self, input):
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPad(_Pad):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    """Pads the last dim with `value`: ``nn.ConstantPad1d(2, 3.5)`` maps (N, C, W) to (N, C, W + 4)."""


class ConstantPad2d(_ConstantPad):
    """Pads the last two dims with `value`; padding: an int or (left, right, top, bottom).

    Example: ``nn.ConstantPad2d((1, 1, 2, 0), -1.0)``."""
    dims = 2


class ConstantPad3d(_ConstantPad):
    """Pads the last three dims with `value`; padding: an int or (left, right, top, bottom, front, back)."""
    dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pads the last dim with zeros. Example: ``nn.ZeroPad1d((1, 2))``."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pads the last two dims with zeros. Example: ``nn.ZeroPad2d(1)`` maps (N, C, H, W) to (N, C, H + 2, W + 2)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pads the last three dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_Pad):
    """Pads the last dim with its reflection (the edge not repeated); each pad less than the dim.

    Example: ``nn.ReflectionPad1d(2)`` maps [1, 2, 3] to [3, 2, 1, 2, 3, 2, 1]."""
    mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Pads the last two dims with their reflection. Example: ``nn.ReflectionPad2d((1, 1, 2, 0))``."""
    dims = 2


class ReflectionPad3d(ReflectionPad1d):
    """Pads the last three dims with their reflection."""
    dims = 3


class ReplicationPad1d(_Pad):
    """Pads the last dim by repeating its edge values. Example: ``nn.ReplicationPad1d(2)``."""
    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Pads the last two dims by repeating their edges. Example: ``nn.ReplicationPad2d(1)``."""
    dims = 2


class ReplicationPad3d(ReplicationPad1d):
    """Pads the last three dims by repeating their edges."""
    dims = 3


class CircularPad1d(_Pad):
    """Pads the last dim by wrapping around. Example: ``nn.CircularPad1d(1)`` maps [1, 2, 3] to [3, 1, 2, 3, 1]."""
    mode = "circular"


class CircularPad2d(CircularPad1d):
    """Pads the last two dims by wrapping around."""
    dims = 2


class CircularPad3d(CircularPad1d):
    """Pads the last three dims by wrapping around."""
    dims = 3


class Upsample(Module):
    """Resizes (N, C, *spatial) inputs to `size` or by `scale_factor`, as ``F.interpolate`` with these settings.

    Example: ``nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)``."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of (N, C, H, W) inputs. Example: ``nn.UpsamplingNearest2d(scale_factor=2)``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling with align_corners=True. Example: ``nn.UpsamplingBilinear2d(scale_factor=2)``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class _DropoutNd(Module):
    fn = None

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return type(self).fn(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of (N, C, L) or (C, L) inputs with probability p while training.

    Example: ``nn.Dropout1d(p=0.2)``."""
    fn = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels of (N, C, H, W) inputs with probability p while training.

    Example: ``nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Dropout2d(0.25))``."""
    fn = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability p while training."""
    fn = staticmethod(F.dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's zero mean and unit variance. Example: ``nn.AlphaDropout(0.1)``. As in PyTorch,
    the layer never works in place: `inplace` is only shown."""

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels. Example: ``nn.FeatureAlphaDropout(0.1)`` (never in place, as PyTorch's)."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)


class PixelShuffle(Module):
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r) with r = ``upscale_factor``, as ``torch.nn.PixelShuffle``.

    Example: ``nn.PixelShuffle(3)(torch.randn(1, 9, 4, 4)).shape == (1, 1, 12, 12)``."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return F.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """PixelShuffle undone: (*, C, H * r, W * r) -> (*, C * r * r, H, W), as ``torch.nn.PixelUnshuffle``."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return F.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
