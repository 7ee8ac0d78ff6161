"""Conv2dNormActivation, as ``torchvision.ops.misc``: a Conv2d, a norm layer and an activation in one nn.Sequential
(modules "0", "1", "2"), so BatchNorm and ReLU fuse as in any Sequential."""
from ... import nn

__all__ = ["Conv2dNormActivation"]


class Conv2dNormActivation(nn.Sequential):
    """Conv2d (padding 'same' for odd kernels by default; bias only without a norm layer), then `norm_layer`, then
    `activation_layer` (None leaves either out).

    Example: ``Conv2dNormActivation(3, 32, stride=2, activation_layer=nn.ReLU6)``."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None):
        if padding is None:
            if isinstance(kernel_size, int) and isinstance(dilation, int):
                padding = (kernel_size - 1) // 2 * dilation
            else:
                n = len(kernel_size) if isinstance(kernel_size, (tuple, list)) else len(dilation)
                kernel_size = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * n
                dilation = dilation if isinstance(dilation, (tuple, list)) else (dilation,) * n
                padding = tuple((kernel_size[i] - 1) // 2 * dilation[i] for i in range(n))
        if bias is None:
            bias = norm_layer is None
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation,
                            groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(**({} if inplace is None else {"inplace": inplace})))
        super().__init__(*layers)
        self.out_channels = out_channels
