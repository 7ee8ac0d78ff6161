"""convert_conv2d_weight_memory_format / convert_conv3d_weight_memory_format, as torch.nn.utils': the weights of the
convolutions in a module copied into a memory format (``channels_last``: NHWC strides). The format is the library's
object (``autograd_lite.channels_last``), PyTorch's, or its name."""
from ... import _memory_format
from ..modules.conv import Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module, memory_format, types):
    name = memory_format if isinstance(memory_format, str) else repr(memory_format)
    name = name.rsplit(".", 1)[-1]
    if not isinstance(memory_format, _memory_format.memory_format) and name in _memory_format.FORMATS:
        memory_format = getattr(_memory_format, name)       # PyTorch's object or the name: ours
    if isinstance(module, types):
        module.weight.data = module.weight.detach().clone(memory_format=memory_format)
    for child in module.children():
        _convert(child, memory_format, types)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """`module` with the weight of every nn.Conv2d / nn.ConvTranspose2d in it (itself included) converted to
    memory_format (``torch.channels_last`` or ``torch.contiguous_format``); returns module.

    Example: ``model = nn.utils.convert_conv2d_weight_memory_format(model, torch.channels_last)``."""
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    """As convert_conv2d_weight_memory_format, for nn.Conv3d / nn.ConvTranspose3d (``torch.channels_last_3d``).

    Example: ``nn.utils.convert_conv3d_weight_memory_format(model, torch.channels_last_3d)``."""
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))
