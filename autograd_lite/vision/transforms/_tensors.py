"""Conversions and tensor-only transforms: ToPILImage, PILToTensor, ConvertImageDtype, RandomErasing."""
import math
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

from ... import random as _random
from ...tensor import Tensor
from . import functional as F
from ._helpers import _check_scale_ratio, _randint, _uniform


class RandomErasing:
    """Erases a random rectangle of a Tensor image with probability `p` (Zhong et al. 2017).

    Args:
        p: the probability; scale: (min, max) fraction of the area; ratio: (min, max) aspect.
        value: a number, one per channel, or "random" (standard normal noise).
        inplace: erase in the input tensor.

    Example: ``Compose([ToTensor(), RandomErasing(p=0.5)])``."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False):
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        _check_scale_ratio(scale, ratio)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None):
        """``(i, j, h, w, v)``: the rectangle and its values (the whole image, unchanged, when 10
        draws found none that fits)."""
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(*log_ratio))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = _random.generator().standard_normal((img_c, h, w)).astype(np.float32)
            else:
                v = np.asarray(value, np.float32)[:, None, None]
            i, j = _randint(0, img_h - h + 1), _randint(0, img_w - w + 1)
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def __call__(self, img):
        if not isinstance(img, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(img).__name__}")
        if _random.generator().random() >= self.p:
            return img
        value = self.value
        if isinstance(value, numbers.Number):
            value = [value]
        elif isinstance(value, str):
            value = None
        else:
            value = list(value)
        if value is not None and len(value) not in (1, img.shape[-3]):
            raise ValueError("If value is a sequence, it should have either a single value or "
                             f"{img.shape[-3]} (number of input channels)")
        i, j, h, w, v = self.get_params(img, self.scale, self.ratio, value)
        if v is img:
            return img
        return F.erase(img, i, j, h, w, v, self.inplace)

    def __repr__(self):
        return (f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


class ToPILImage:
    """A Tensor (C, H, W) or a NumPy array (H, W, C) -> a PIL image; float tensors in [0, 1] are
    scaled to uint8. `mode`: the PIL mode (default from the channels and the dtype).

    Example: ``ToPILImage()(torch.rand(3, 8, 8)).mode == "RGB"``."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self):
        return f"{type(self).__name__}({'' if self.mode is None else f'mode={self.mode}'})"


class PILToTensor:
    """A PIL image -> a Tensor (C, H, W) of the image's own dtype (uint8 for RGB), not scaled.

    Example: ``PILToTensor()(img).dtype == autograd_lite.uint8``."""

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self):
        return f"{type(self).__name__}()"


class ConvertImageDtype:
    """Converts a Tensor image to `dtype`, rescaling values as torchvision does: uint8 255 ->
    float 1.0, float 1.0 -> uint8 255 (``x * (255 + 1 - 1e-3)`` truncated), ints by powers of two.

    Example: ``ConvertImageDtype(autograd_lite.float32)(PILToTensor()(img))``."""

    def __init__(self, dtype):
        if not hasattr(dtype, "np"):
            raise TypeError(f"ConvertImageDtype: dtype should be an autograd_lite dtype, got {dtype!r}")
        self.dtype = dtype

    def __call__(self, image):
        return F.convert_image_dtype(image, self.dtype)

    def __repr__(self):
        return f"{type(self).__name__}(dtype={self.dtype})"
