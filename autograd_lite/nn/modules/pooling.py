"""Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d, AdaptiveMaxPool1d/2d/3d,
MaxUnpool1d/2d/3d, LPPool1d/2d/3d."""
from .. import functional as F
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
           "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "LPPool1d", "LPPool2d", "LPPool3d"]


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max pooling over windows of (N, C, L) or (C, L) input (``F.max_pool1d``).

    Args: kernel_size, stride (default kernel_size), padding, dilation, return_indices, ceil_mode.
    Example: ``nn.MaxPool1d(2)(x)`` halves L."""

    def forward(self, input):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Max pooling over windows of (N, C, H, W) or (C, H, W) input (``F.max_pool2d``).

    Args: kernel_size, stride (default kernel_size), padding, dilation, return_indices, ceil_mode: int or (h, w).
    Example: ``nn.MaxPool2d(2)(x)`` halves H and W; ``nn.MaxPool2d(3, stride=2, padding=1)`` (ResNet's stem)."""

    def forward(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class MaxPool3d(_MaxPoolNd):
    """Max pooling over windows of (N, C, D, H, W) or (C, D, H, W) input (``F.max_pool3d``).

    Args: kernel_size, stride (default kernel_size), padding, dilation, return_indices, ceil_mode: int or triple.
    Example: ``nn.MaxPool3d(2)(x)`` halves D, H and W."""

    def forward(self, input):
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)


class AvgPool1d(Module):
    """Average pooling over windows of (N, C, L) or (C, L) input (``F.avg_pool1d``).

    Args: kernel_size, stride (default kernel_size), padding, ceil_mode, count_include_pad.
    Example: ``nn.AvgPool1d(3, stride=1, padding=1)(x)`` keeps L."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _single(v):
    """PyTorch's _single: an int as a 1-tuple (AvgPool1d keeps its settings so)."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v,)


class AvgPool2d(Module):
    """Average pooling over windows of (N, C, H, W) or (C, H, W) input (``F.avg_pool2d``).

    Args: kernel_size, stride (default kernel_size), padding, ceil_mode, count_include_pad, divisor_override.
    Example: ``nn.AvgPool2d(kernel_size=2, stride=2)(x)`` (DenseNet's transitions)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool3d(AvgPool2d):
    """Average pooling over windows of (N, C, D, H, W) or (C, D, H, W) input (``F.avg_pool3d``).

    Args: kernel_size, stride (default kernel_size), padding, ceil_mode, count_include_pad, divisor_override.
    Example: ``nn.AvgPool3d(2)(x)`` halves D, H and W."""

    def forward(self, input):
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _AdaptivePool(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Averages (N, C, L) or (C, L) input over windows that tile it into output_size (``F.adaptive_avg_pool1d``).

    Example: ``nn.AdaptiveAvgPool1d(1)(x)``: (N, C, 1)."""

    def forward(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Averages (N, C, H, W) or (C, H, W) input over windows that tile it into output_size, an int or (h, w)
    with None for a size kept (``F.adaptive_avg_pool2d``).

    Example: ``nn.AdaptiveAvgPool2d((1, 1))(x)``: (N, C, 1, 1), the global average pool of ResNet/DenseNet."""

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Averages (N, C, D, H, W) or (C, D, H, W) input over windows that tile it into output_size, an int or
    (d, h, w) with None for a size kept (``F.adaptive_avg_pool3d``).

    Example: ``nn.AdaptiveAvgPool3d(1)(x)``: (N, C, 1, 1, 1), the global average pool."""

    def forward(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """The maximum of (N, C, L) or (C, L) input over windows that tile it into output_size
    (``F.adaptive_max_pool1d``).

    Example: ``nn.AdaptiveMaxPool1d(4)(x)``: (N, C, 4)."""

    def forward(self, input):
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """The maximum of (N, C, H, W) or (C, H, W) input over windows that tile it into output_size
    (``F.adaptive_max_pool2d``).

    Example: ``nn.AdaptiveMaxPool2d((2, 2))(x)``: (N, C, 2, 2)."""

    def forward(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """The maximum of (N, C, D, H, W) or (C, D, H, W) input over windows that tile it into output_size
    (``F.adaptive_max_pool3d``).

    Example: ``nn.AdaptiveMaxPool3d(2)(x)``: (N, C, 2, 2, 2)."""

    def forward(self, input):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class _MaxUnpoolNd(Module):
    n = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, self.n)
        self.stride = _ntuple(stride if stride is not None else kernel_size, self.n)
        self.padding = _ntuple(padding, self.n)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _ntuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


class MaxUnpool1d(_MaxUnpoolNd):
    """The inverse of MaxPool1d (with return_indices=True): ``nn.MaxUnpool1d(2)(out, indices)``."""
    n = 1

    def forward(self, input, indices, output_size=None):
        return F.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool2d(_MaxUnpoolNd):
    """The inverse of MaxPool2d (with return_indices=True): ``nn.MaxUnpool2d(2)(out, indices)``, zeros elsewhere."""

    def forward(self, input, indices, output_size=None):
        return F.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool3d(_MaxUnpoolNd):
    """The inverse of MaxPool3d (with return_indices=True): ``nn.MaxUnpool3d(2)(out, indices)``, zeros elsewhere."""
    n = 3

    def forward(self, input, indices, output_size=None):
        return F.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class _LPPoolNd(Module):
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """The p-norm of each window of (N, C, L) input: ``nn.LPPool1d(2, 3, stride=2)``."""

    def forward(self, input):
        return F.lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """The p-norm of each window of (N, C, H, W) input: ``nn.LPPool2d(2, 3, stride=2)``."""

    def forward(self, input):
        return F.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


class LPPool3d(_LPPoolNd):
    """The p-norm of each window of (N, C, D, H, W) input: ``nn.LPPool3d(2, 2)``."""

    def forward(self, input):
        return F.lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)
