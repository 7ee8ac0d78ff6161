"""v2's conversions: ToImage, ToDtype, ToPureTensor."""
from ....tensor import Tensor
from . import functional as F


class ToImage:
    """A PIL image or an array (H, W[, C]) -> a Tensor (C, H, W) of its own dtype (uint8 for RGB).

    Example: ``v2.ToImage()(pil_img).dtype == torch.uint8``."""

    def __call__(self, inpt):
        return F.to_image(inpt)

    def __repr__(self):
        return f"{type(self).__name__}()"


class ToDtype:
    """Converts Tensors to `dtype` (or, for a dict, ``dtype[Tensor]`` / ``dtype["others"]``); ``scale=True``
    rescales image values (uint8 -> float in [0, 1]). Other inputs pass through.

    Example: ``v2.ToDtype(torch.float32, scale=True)``."""

    def __init__(self, dtype, scale=False):
        if not (isinstance(dtype, dict) or hasattr(dtype, "np")):
            raise ValueError(f"dtype must be a dict or a torch.dtype, got {type(dtype)} instead")
        self.dtype, self.scale = dtype, scale

    def __call__(self, inpt):
        if not isinstance(inpt, Tensor):
            return inpt
        dtype = self.dtype
        if isinstance(dtype, dict):
            dtype = dtype.get(Tensor, dtype.get("others"))
            if dtype is None:
                return inpt
        return F.to_dtype(inpt, dtype, self.scale)

    def __repr__(self):
        return f"{type(self).__name__}(scale={self.scale})"


class ToPureTensor:
    """The Tensor as a plain Tensor (our images already are): the identity."""

    def __call__(self, inpt):
        return inpt

    def __repr__(self):
        return f"{type(self).__name__}()"
