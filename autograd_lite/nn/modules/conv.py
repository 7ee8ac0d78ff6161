"""Convolution layers: Conv1d, Conv2d, Conv3d, ConvTranspose1d/2d/3d, Unfold, Fold."""
import functools
import math

from ... import creation
from ...ops.conv import conv_relu
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Unfold", "Fold"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


class _ConvNd(Module):
    """The parameters, init and repr that the convolution layers share, with PyTorch's signatures and defaults."""
    _nd = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None, output_padding=0):
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in _tuple(stride, nd)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = _tuple(kernel_size, nd), _tuple(stride, nd)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, nd)
        self.dilation, self.output_padding = _tuple(dilation, nd), _tuple(output_padding, nd)
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._pad_amounts()
        shape = ((in_channels, out_channels // groups) if self.transposed else
                 (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(creation.empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _pad_amounts(self):
        """F.pad's amounts for a non-zero padding_mode: last dim first, (before, after) each."""
        out = []
        for d, k, i in zip(reversed(self.dilation), reversed(self.kernel_size), reversed(range(self._nd))):
            if self.padding == "same":
                total = d * (k - 1)
                out += [total // 2, total - total // 2]
            elif self.padding == "valid":
                out += [0, 0]
            else:
                out += [self.padding[i]] * 2
        return out

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _conv_forward(self, x, conv, activation=None):
        """conv, or with activation 'relu' (nn.Sequential passes it: see fusion.py) relu(conv) as one node."""
        if activation is not None:
            if activation != "relu":
                raise ValueError(f"{type(self).__name__}: activation must be None or 'relu', got {activation!r}")
            conv = functools.partial(conv_relu, self._nd)
        if self.padding_mode != "zeros":
            x = F.pad(x, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-d convolution over an input (N, C_in, L) or (C_in, L).

    Args: in_channels, out_channels, kernel_size, stride=1, padding=0 (int, 'valid' or 'same'), dilation=1,
    groups=1, bias=True, padding_mode='zeros' ('reflect', 'replicate', 'circular').
    Shape: (N, C_in, L_in) -> (N, C_out, L_out), L_out = (L_in + 2*padding - dilation*(k-1) - 1) // stride + 1.

    Example::

        >>> nn.Conv1d(4, 16, 3, padding=1)(autograd_lite.randn(8, 4, 100)).shape
        autograd_lite.Size([8, 16, 100])
    """
    _nd = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)

    def forward(self, input):
        return self._conv_forward(input, F.conv1d)


class Conv2d(_ConvNd):
    """2-d convolution over an input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in/groups, kH, kW).

    Args: in_channels, out_channels, kernel_size (int or pair), stride=1, padding=0 (int, pair, 'valid' or
    'same'), dilation=1, groups=1 (groups=in_channels: depthwise), bias=True, padding_mode='zeros' ('reflect',
    'replicate', 'circular').
    Shape: (N, C_in, H, W) -> (N, C_out, H_out, W_out), H_out = (H + 2*padding - dilation*(kH-1) - 1) // stride + 1.
    Init: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C_in/groups * kH * kW (PyTorch's).

    Example::

        >>> conv = nn.Conv2d(1, 32, 3)
        >>> conv(autograd_lite.randn(64, 1, 28, 28)).shape
        autograd_lite.Size([64, 32, 26, 26])
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)

    def forward(self, input, activation=None):
        """activation ('relu'): the ReLU that follows, in the same node (nn.Sequential passes it: see fusion.py)."""
        return self._conv_forward(input, F.conv2d, activation)


class Conv3d(_ConvNd):
    """3-d convolution over an input (N, C_in, D, H, W) or (C_in, D, H, W); weight (C_out, C_in/groups, kD, kH, kW).

    Args: in_channels, out_channels, kernel_size (int or triple), stride=1, padding=0 (int, triple, 'valid' or
    'same'), dilation=1, groups=1, bias=True, padding_mode='zeros' ('reflect', 'replicate', 'circular').
    Shape: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out), each as Conv2d's.

    Example::

        >>> nn.Conv3d(4, 8, 3, padding=1)(autograd_lite.randn(2, 4, 8, 8, 8)).shape
        autograd_lite.Size([2, 8, 8, 8, 8])
    """
    _nd = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype)

    def forward(self, input):
        return self._conv_forward(input, F.conv3d)


class _ConvTransposeNd(_ConvNd):
    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype, output_padding)

    def _output_padding(self, x, output_size):
        """output_padding, or the one that gives `output_size` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        output_size = list(output_size)[-nd:]
        if len(output_size) != nd:
            raise ValueError(f"ConvTranspose{nd}D: for {x.ndim}D input, output_size must have {nd} or {nd + 2} "
                             f"elements (got {len(output_size)})")
        spatial = list(x.shape[-nd:])
        smallest = [(spatial[d] - 1) * self.stride[d] - 2 * self.padding[d]
                    + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(nd)]
        largest = [s + self.stride[d] - 1 for d, s in enumerate(smallest)]
        if any(not a <= o <= b for a, o, b in zip(smallest, output_size, largest)):
            raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {smallest} to "
                             f"{largest} (for an input of {spatial})")
        out = [o - a for o, a in zip(output_size, smallest)]
        return tuple(out)

    def _transposed_forward(self, x, output_size, conv):
        return conv(x, self.weight, self.bias, self.stride, self.padding, self._output_padding(x, output_size),
                    self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-d convolution (the gradient of Conv1d for its input); weight (C_in, C_out/groups, k).

    Shape: (N, C_in, L_in) -> (N, C_out, L_out), L_out = (L_in-1)*stride - 2*padding + dilation*(k-1) +
    output_padding + 1.

    Example::

        >>> nn.ConvTranspose1d(4, 2, 3, stride=2)(autograd_lite.randn(1, 4, 5)).shape
        autograd_lite.Size([1, 2, 11])
    """
    _nd = 1

    def forward(self, input, output_size=None):
        return self._transposed_forward(input, output_size, F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed 2-d convolution (the gradient of Conv2d for its input); weight (C_in, C_out/groups, kH, kW).

    Args: in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
    dilation=1, padding_mode='zeros' (the only one).
    Shape: (N, C_in, H, W) -> (N, C_out, H_out, W_out), H_out = (H-1)*stride - 2*padding + dilation*(kH-1) +
    output_padding + 1; forward(input, output_size) picks output_padding to reach output_size.

    Example::

        >>> up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        >>> up(autograd_lite.randn(1, 16, 7, 7)).shape
        autograd_lite.Size([1, 8, 14, 14])
    """

    def forward(self, input, output_size=None):
        return self._transposed_forward(input, output_size, F.conv_transpose2d)


class Unfold(Module):
    """The sliding blocks of an image as columns (im2col), as ``torch.nn.Unfold``: (N, C, H, W) -> (N, C*kH*kW, L).

    Example::

        >>> nn.Unfold(kernel_size=3)(autograd_lite.randn(2, 3, 5, 5)).shape
        autograd_lite.Size([2, 27, 9])
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"


class Fold(Module):
    """Columns summed into an image (col2im), the adjoint of Unfold, as ``torch.nn.Fold``:
    (N, C*kH*kW, L) -> (N, C, *output_size).

    Example::

        >>> nn.Fold(output_size=(5, 5), kernel_size=3)(autograd_lite.randn(2, 27, 9)).shape
        autograd_lite.Size([2, 3, 5, 5])
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-d convolution (the gradient of Conv3d for its input); weight (C_in, C_out/groups, kD, kH, kW).

    Args: in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
    dilation=1, padding_mode='zeros' (the only one).
    Shape: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out), each as ConvTranspose2d's; forward(input,
    output_size) picks output_padding to reach output_size.

    Example::

        >>> nn.ConvTranspose3d(8, 4, 2, stride=2)(autograd_lite.randn(1, 8, 4, 4, 4)).shape
        autograd_lite.Size([1, 4, 8, 8, 8])
    """
    _nd = 3

    def forward(self, input, output_size=None):
        return self._transposed_forward(input, output_size, F.conv_transpose3d)
