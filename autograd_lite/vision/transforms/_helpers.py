"""What the colour, geometry and tensor transforms share: images or tensors, sizes, crops, random draws."""
import numpy as np

from ... import random as _random
from ...tensor import Tensor
from ._base import _is_pil
from ._pil_transforms import _to_pil_image


def _is_tensor_image(img):
    return isinstance(img, Tensor)


def _image_or_tensor(img, name):
    """`img` unchanged if it is a PIL image or a Tensor (C, H, W); a NumPy array becomes PIL."""
    if _is_pil(img) or isinstance(img, Tensor):
        if isinstance(img, Tensor) and img.ndim < 2:
            raise TypeError(f"{name}: tensor is not a torch image (expected (..., H, W), got "
                            f"shape {tuple(img.shape)})")
        return img
    if isinstance(img, np.ndarray):
        return _to_pil_image(img, None, name)
    raise TypeError(f"{name}: img should be PIL Image or Tensor. Got {type(img).__name__}")


def _size_of(img):
    """(height, width) of a PIL image or a Tensor (..., H, W)."""
    return (img.size[1], img.size[0]) if _is_pil(img) else tuple(img.shape[-2:])


def _crop(img, top, left, height, width):
    """torchvision's ``crop``: zeros where the box leaves the image."""
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    h, w = img.shape[-2:]
    if top >= 0 and left >= 0 and top + height <= h and left + width <= w:
        return img[..., top:top + height, left:left + width]
    data = img.detach().cpu().numpy()
    pads = [(0, 0)] * (data.ndim - 2) + [(max(-top, 0), max(top + height - h, 0)),
                                         (max(-left, 0), max(left + width - w, 0))]
    data = np.pad(data, pads)
    top, left = max(top, 0), max(left, 0)
    return Tensor._make(np.ascontiguousarray(data[..., top:top + height, left:left + width]))


def _uniform(low, high):
    return float(_random.generator().uniform(low, high))


def _randint(low, high):
    """An int in [low, high) (torch.randint's bounds)."""
    return int(_random.generator().integers(low, high))
