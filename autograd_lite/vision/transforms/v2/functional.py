"""``torchvision.transforms.v2.functional``: the ``transforms.functional`` operations, plus v2's names
(``to_image``, ``to_dtype``, ``horizontal_flip``, ``vertical_flip``, ``get_size``, ``get_num_channels``).

Example: ``F.to_dtype(F.to_image(pil_img), torch.float32, scale=True)``."""
import numpy as np

from ....tensor import Tensor
from .. import _functional_tensor as F_t
from .._base import _is_pil
from ..functional import *  # noqa: F401,F403  (v2.functional re-exports v1's operations)
from ..functional import __all__ as _v1_all
from ..functional import convert_image_dtype, get_dimensions, hflip, pil_to_tensor, vflip

horizontal_flip, vertical_flip = hflip, vflip

__all__ = list(_v1_all) + ["to_image", "to_dtype", "horizontal_flip", "vertical_flip", "get_size",
                           "get_num_channels"]


def get_size(inpt):
    """[height, width] (v2's order; ``get_image_size`` is [width, height])."""
    return get_dimensions(inpt)[1:]


def get_num_channels(inpt):
    return get_dimensions(inpt)[0]


def to_image(inpt):
    """A PIL image or an array (H, W[, C]) -> a Tensor (C, H, W) of its own dtype (uint8 for RGB), unscaled;
    a Tensor is returned as it is."""
    if isinstance(inpt, np.ndarray):
        arr = inpt[:, :, None] if inpt.ndim == 2 else inpt
        return Tensor._make(np.ascontiguousarray(arr.transpose(2, 0, 1)))
    if _is_pil(inpt):
        return pil_to_tensor(inpt)
    if isinstance(inpt, Tensor):
        return inpt
    raise TypeError(f"Input can either be a pure Tensor, a numpy array, or a PIL image, but got {type(inpt)} "
                    "instead.")


def to_dtype(inpt, dtype=None, scale=False):
    """`inpt` as `dtype` (default float32); with ``scale=True`` values are rescaled as for images (uint8 255 ->
    float 1.0 by multiplying with 1 / 255, float 1.0 -> uint8 255)."""
    from .... import _dtype
    dtype = _dtype.float32 if dtype is None else dtype
    if not isinstance(inpt, Tensor):
        raise TypeError(f"to_dtype expects a Tensor, got {type(inpt)}")
    if inpt.dtype == dtype:
        return inpt
    if not scale:
        return inpt.to(dtype)
    src = inpt.detach().cpu().numpy()
    if src.dtype.kind != "f" and dtype.np.kind == "f":          # v2 multiplies by the reciprocal
        out = src.astype(dtype.np) * dtype.np.type(1.0 / F_t._max_value(src.dtype))
        return F_t._like(out, inpt)
    return convert_image_dtype(inpt, dtype)
