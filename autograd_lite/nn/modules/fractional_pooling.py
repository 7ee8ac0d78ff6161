"""Fractional max pooling layers: FractionalMaxPool2d, FractionalMaxPool3d (``F.fractional_max_pool2d`` / 3d)."""
from .. import functional as F
from .module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


def _tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


class _FractionalMaxPoolNd(Module):
    _nd = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        super().__init__()
        n, name = self._nd, type(self).__name__
        if n == 3 and ((isinstance(kernel_size, int) and kernel_size <= 0) or (
                isinstance(kernel_size, (tuple, list)) and not all(k > 0 for k in kernel_size))):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        self.kernel_size = _tuple(kernel_size, n)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _tuple(output_size, n) if output_size is not None else None
        self.output_ratio = _tuple(output_ratio, n) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio[:n]):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        pool = F.fractional_max_pool2d if self._nd == 2 else F.fractional_max_pool3d
        return pool(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                    _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling of (N, C, H, W) or (C, H, W) input: kernel_size windows at pseudo-random steps that
    give output_size (oH, oW), or output_ratio (each in (0, 1)) times the input's size. Exactly one of the two.

    Args: kernel_size, output_size, output_ratio, return_indices, _random_samples (N, C, 2): fixed window places.
    Example: ``nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5))(torch.randn(20, 16, 50, 32))``: (20, 16, 25, 16).
    """
    _nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling of (N, C, T, H, W) or (C, T, H, W) input (see FractionalMaxPool2d).

    Args: kernel_size, output_size (oT, oH, oW), output_ratio, return_indices, _random_samples (N, C, 3).
    Example: ``nn.FractionalMaxPool3d(3, output_size=(13, 12, 11))(torch.randn(20, 16, 50, 32, 16))``."""
    _nd = 3
