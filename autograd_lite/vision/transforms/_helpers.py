"""What the class transforms share: their input (a PIL image, a Tensor, or a uint8 array taken as a PIL image),
size arguments, and random draws from ``autograd_lite.random`` (so ``manual_seed`` reproduces them)."""
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

from ... import random as _random
from ...tensor import Tensor
from ._base import _is_pil


def _image(img, name):
    """`img` as the functional ops take it: a PIL image or Tensor unchanged, a NumPy array (H, W[, C]) made a PIL
    image (as ``to_pil_image``); anything else torchvision's TypeError."""
    if _is_pil(img) or isinstance(img, Tensor):
        return img
    if isinstance(img, np.ndarray):
        from .functional import to_pil_image
        return to_pil_image(img)
    raise TypeError(f"{name}: img should be PIL Image or Tensor. Got {type(img)}")


def _setup_size(size, error_msg="Please provide only two dimensions (h, w) for size."):
    """torchvision's rule: a number n is (n, n), [n] is (n, n), (h, w) stays as given."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(error_msg)
    return size


def _uniform(low, high):
    return float(_random.generator().uniform(low, high))


def _randint(low, high):
    """An int in [low, high) (torch.randint's bounds)."""
    return int(_random.generator().integers(low, high))


def _coin(p):
    """True with probability p (torchvision's ``torch.rand(1) < p``)."""
    return _random.generator().random() < p


def _check_scale_ratio(scale, ratio):
    """RandomResizedCrop's / RandomErasing's (min, max) ranges: sequences; a warning where min > max."""
    if not isinstance(scale, Sequence):
        raise TypeError("Scale should be a sequence")
    if not isinstance(ratio, Sequence):
        raise TypeError("Ratio should be a sequence")
    if scale[0] > scale[1] or ratio[0] > ratio[1]:
        warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=3)
