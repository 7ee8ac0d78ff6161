"""Normalization layers: BatchNorm1d/2d/3d, InstanceNorm1d/2d, LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm
(PyTorch's signatures, buffers, state_dict keys and reprs)."""
import numbers

from ... import _dtype, creation
from ...ops.normalization import batch_norm_relu
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
           "LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm"]


def _affine_parameters(module, shape, affine, bias, like):
    """weight (ones) and bias (zeros) of `shape` as Parameters, or registered as None (no affine map, no bias)."""
    module.register_parameter("weight", Parameter(creation.ones(*shape, **like)) if affine else None)
    module.register_parameter("bias", Parameter(creation.zeros(*shape, **like)) if affine and bias else None)


def _reset_affine(module):
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _NormBase(Module):
    """weight/bias (or None) and the running statistics of BatchNorm and InstanceNorm."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        like = dict(device=device, dtype=dtype)
        _affine_parameters(self, (num_features,), affine, bias, like)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, **like))
            self.register_buffer("running_var", creation.ones(num_features, **like))
            self.register_buffer("num_batches_tracked", creation.tensor(0, dtype=_dtype.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    _dims = ()          # the input dims accepted
    _expected = ""      # PyTorch's wording of them
    _version = 2        # PyTorch's: version 2 added num_batches_tracked

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """A state_dict saved before num_batches_tracked existed (torchvision's older pretrained weights) loads and
        leaves this module's count as it is, as PyTorch loads it."""
        version = local_metadata.get("version", None)
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            state_dict[key] = self.num_batches_tracked if self.num_batches_tracked is not None else \
                creation.tensor(0, dtype=_dtype.int64)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def forward(self, input, activation=None):
        """activation ('relu'): the ReLU that follows, fused into the same kernel pass (nn.Sequential passes it: see
        fusion.py)."""
        if input.ndim not in self._dims:
            raise ValueError(f"expected {self._expected} input (got {input.ndim}D input)")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:       # a cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        args = (input, self.running_mean if keep else None, self.running_var if keep else None, self.weight,
                self.bias, use_batch, factor, self.eps)
        return F.batch_norm(*args) if activation is None else batch_norm_relu(*args)


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input over each channel, as ``torch.nn.BatchNorm1d``.

    Args:
        num_features: C; eps: added to the variance; momentum: the running statistics' update factor (None: a
        cumulative average over num_batches_tracked); affine: learnable weight and bias; track_running_stats: keep
        running_mean/running_var (used in eval mode) and num_batches_tracked.

    Example::

        >>> bn = nn.BatchNorm1d(100)
        >>> bn(autograd_lite.randn(20, 100)).shape
        autograd_lite.Size([20, 100])
    """
    _dims, _expected = (2, 3), "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input over each channel, as ``torch.nn.BatchNorm2d`` (arguments as
    BatchNorm1d).

    Example::

        >>> bn = nn.BatchNorm2d(64)
        >>> bn(autograd_lite.randn(8, 64, 28, 28)).shape
        autograd_lite.Size([8, 64, 28, 28])
    """
    _dims, _expected = (4,), "4D"


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) input over each channel, as ``torch.nn.BatchNorm3d``.

    Example::

        >>> nn.BatchNorm3d(16)(autograd_lite.randn(2, 16, 4, 8, 8)).shape
        autograd_lite.Size([2, 16, 4, 8, 8])
    """
    _dims, _expected = (5,), "5D"


class _InstanceNorm(_NormBase):
    _dims = 0           # the input dims with a batch dim; one fewer: unbatched

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input):
        if input.ndim not in (self._dims - 1, self._dims):
            raise ValueError(f"expected {self._dims - 1}D or {self._dims}D input (got {input.ndim}D input)")
        if input.ndim == self._dims - 1:
            return self.forward(input.unsqueeze(0)).squeeze(0)
        use_input = self.training or not self.track_running_stats
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias, use_input,
                               0.1 if self.momentum is None else self.momentum, self.eps)


class InstanceNorm1d(_InstanceNorm):
    """Normalizes each channel of each sample of (N, C, L) or (C, L) input on its own, as
    ``torch.nn.InstanceNorm1d`` (affine and track_running_stats off by default).

    Example::

        >>> nn.InstanceNorm1d(4)(autograd_lite.randn(2, 4, 10)).shape
        autograd_lite.Size([2, 4, 10])
    """
    _dims = 3


class InstanceNorm2d(_InstanceNorm):
    """Normalizes each channel of each sample of (N, C, H, W) or (C, H, W) input on its own, as
    ``torch.nn.InstanceNorm2d``.

    Example::

        >>> nn.InstanceNorm2d(3)(autograd_lite.randn(2, 3, 8, 8)).shape
        autograd_lite.Size([2, 3, 8, 8])
    """
    _dims = 4


class InstanceNorm3d(_InstanceNorm):
    """Normalizes each channel of each sample of (N, C, D, H, W) or (C, D, H, W) input on its own, as
    ``torch.nn.InstanceNorm3d``.

    Example::

        >>> nn.InstanceNorm3d(3)(autograd_lite.randn(2, 3, 4, 8, 8)).shape
        autograd_lite.Size([2, 3, 4, 8, 8])
    """
    _dims = 5


class LayerNorm(Module):
    """Normalizes over the last dims `normalized_shape` (an int or a tuple), then an elementwise weight and bias of
    that shape, as ``torch.nn.LayerNorm``.

    Example::

        >>> ln = nn.LayerNorm(512)
        >>> ln(autograd_lite.randn(8, 10, 512)).shape
        autograd_lite.Size([8, 10, 512])
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        like = dict(device=device, dtype=dtype)
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, like)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalizes each sample's num_groups groups of channels of (N, C, *) input, then a per-channel weight and
    bias, as ``torch.nn.GroupNorm``.

    Example::

        >>> gn = nn.GroupNorm(2, 6)          # channels {0, 1, 2} and {3, 4, 5}
        >>> gn(autograd_lite.randn(4, 6, 10, 10)).shape
        autograd_lite.Size([4, 6, 10, 10])
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        like = dict(device=device, dtype=dtype)
        _affine_parameters(self, (num_channels,), affine, bias, like)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """Divides by the root mean square over the last dims `normalized_shape` (an int or a tuple), then an elementwise
    weight of that shape (ones at first), as ``torch.nn.RMSNorm``; eps None: the dtype's machine epsilon.

    Example::

        >>> rms = nn.RMSNorm(512)
        >>> rms(autograd_lite.randn(8, 10, 512)).shape
        autograd_lite.Size([8, 10, 512])
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.register_parameter("weight", Parameter(creation.ones(*self.normalized_shape, device=device, dtype=dtype))
                                if elementwise_affine else None)

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    """Local response normalization across channels (dim 1), as ``torch.nn.LocalResponseNorm`` (AlexNet's).

    Example: ``nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)``"""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
