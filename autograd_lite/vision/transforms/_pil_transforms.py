"""The transforms through Pillow: resampling modes, ToPILImage, Resize, crops, flips, rotation, Grayscale."""
import math
import numbers
import warnings
from collections.abc import Sequence
from enum import Enum

import numpy as np

from ... import random as _random
from ...tensor import Tensor
from ._base import _MODES_BY_CHANNELS, _MODE_OF_NP_TYPE, _is_pil, _pil


class InterpolationMode(Enum):
    """Resampling filters, as ``torchvision.transforms.InterpolationMode``."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's integer constants (Image.Resampling) for each mode
_PIL_FILTER = {InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0,
               InterpolationMode.LANCZOS: 1, InterpolationMode.BILINEAR: 2,
               InterpolationMode.BICUBIC: 3, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5}


_MODE_OF_FILTER = {0: InterpolationMode.NEAREST, 1: InterpolationMode.LANCZOS,
                   2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
                   4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING}


def _interpolation(mode, name):
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, str):
        return InterpolationMode(mode)
    if isinstance(mode, int) and mode in _MODE_OF_FILTER:
        return _MODE_OF_FILTER[mode]
    raise TypeError(f"{name}: interpolation should be an InterpolationMode or a corresponding "
                    f"Pillow integer constant, got {mode!r}")


def _setup_size(size, name):
    """torchvision's rule: a number n is (n, n), [n] is (n, n), (h, w) stays as given."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return size[0], size[0]
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(f"{name}: please provide only two dimensions (h, w) for size, got "
                         f"{size!r}")
    return size


class _PILTransform:
    """Base of the transforms that work through Pillow: fails at construction without it."""

    def __init__(self):
        _pil(type(self).__name__)

    def _image(self, img):
        """`img` as a PIL image (a NumPy array is converted, as ``to_pil_image`` does)."""
        if _is_pil(img):
            return img
        if isinstance(img, np.ndarray):
            return _to_pil_image(img, None, type(self).__name__)
        raise TypeError(f"{type(self).__name__}: expected a PIL image or a NumPy array (H, W) or "
                        f"(H, W, C), got {type(img).__name__} (put image transforms before "
                        "ToTensor)")


def _to_pil_image(pic, mode, name):
    """torchvision's ``to_pil_image``: a Tensor (C, H, W) / (H, W) or an array (H, W, C) / (H, W);
    float tensors are scaled by 255 to uint8 (unless mode is "F")."""
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"{name}: pic should be 2/3 dimensional, got shape {tuple(pic.shape)}")
        arr = pic.detach().cpu().numpy()
        arr = arr[None] if arr.ndim == 2 else arr
        if arr.shape[0] > 4:
            raise ValueError(f"{name}: pic should not have > 4 channels, got shape {arr.shape}")
        if arr.dtype.kind == "f" and mode != "F":
            arr = (arr * arr.dtype.type(255)).astype(np.uint8)
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"{name}: pic should be 2/3 dimensional, got shape {pic.shape}")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
        if arr.shape[2] > 4:
            raise ValueError(f"{name}: pic should not have > 4 channels, got shape {pic.shape}")
    else:
        raise TypeError(f"{name}: pic should be a Tensor or a NumPy array, got "
                        f"{type(pic).__name__}")
    channels = arr.shape[2]
    if channels == 1:
        arr = arr[:, :, 0]
        expected = _MODE_OF_NP_TYPE.get(arr.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"{name}: incorrect mode ({mode}) supplied for input type "
                             f"{arr.dtype}; should be {expected}")
        mode = expected
    else:
        permitted = _MODES_BY_CHANNELS[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"{name}: only modes {list(permitted)} are supported for "
                             f"{channels}-channel inputs, got {mode}")
        if arr.dtype != np.uint8:
            mode = None
        elif mode is None:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"{name}: input type {arr.dtype} with {channels} channel(s) is not "
                        "supported")
    height, width = arr.shape[:2]
    return _pil(name).frombytes(mode, (width, height), np.ascontiguousarray(arr).tobytes())


class ToPILImage(_PILTransform):
    """A Tensor (C, H, W) or a NumPy array (H, W, C) -> a PIL image; float tensors in [0, 1] are
    scaled to uint8. `mode`: the PIL mode (default from the channels and the dtype)."""

    def __init__(self, mode=None):
        super().__init__()
        self.mode = mode

    def __call__(self, pic):
        return _to_pil_image(pic, self.mode, "ToPILImage")

    def __repr__(self):
        return f"{type(self).__name__}({'' if self.mode is None else f'mode={self.mode}'})"


class Resize(_PILTransform):
    """Resizes a PIL image.

    Args:
        size: ``(h, w)``, or an int: the shorter side becomes ``size``, keeping the aspect ratio
            (the longer side is ``int(size * long / short)``).
        interpolation: an ``InterpolationMode`` (default bilinear) or Pillow constant.
        max_size: with an int size, the longest the longer side may be.
        antialias: accepted for torchvision compatibility; Pillow always antialiases.

    Example: ``Resize(255)`` on a 300x400 (h x w) image gives 255x340."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Resize: size should be int or sequence, got {type(size).__name__}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError(f"Resize: if size is a sequence, it should have 1 or 2 values, got "
                             f"{size!r}")
        if max_size is not None and not isinstance(size, int) and len(size) != 1:
            raise ValueError("Resize: max_size should only be passed if size specifies the length "
                             "of the smaller edge, i.e. size should be an int or a sequence of "
                             "length 1")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = _interpolation(interpolation, "Resize")

    def __call__(self, img):
        return _resize(self._image(img), self.size, self.interpolation, self.max_size)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, interpolation="
                f"{self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


def _resize(img, size, interpolation, max_size=None):
    width, height = img.size
    if isinstance(size, int) or len(size) == 1:
        requested = size if isinstance(size, int) else size[0]
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"Resize: max_size = {max_size} must be strictly greater than "
                                 f"the requested size for the smaller edge size = {requested}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    else:
        new_h, new_w = size
    if (new_h, new_w) == (height, width):
        return img
    return img.resize((new_w, new_h), _PIL_FILTER[interpolation])


class CenterCrop(_PILTransform):
    """Crops the centre ``(h, w)`` (or ``size`` x ``size``) of a PIL image; an image smaller than
    the crop is padded with zeros first, as in torchvision.

    Example: ``CenterCrop(224)(Resize(255)(img))``, the usual test-time pipeline."""

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(size, "CenterCrop")

    def __call__(self, img):
        img = self._image(img)
        width, height = img.size
        crop_h, crop_w = self.size
        pad_top = (crop_h - height) // 2 if crop_h > height else 0
        pad_left = (crop_w - width) // 2 if crop_w > width else 0
        height, width = max(height, crop_h), max(width, crop_w)
        top = int(round((height - crop_h) / 2.0)) - pad_top
        left = int(round((width - crop_w) / 2.0)) - pad_left
        return img.crop((left, top, left + crop_w, top + crop_h))    # zeros outside the image

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class RandomHorizontalFlip(_PILTransform):
    """Mirrors a PIL image left to right with probability `p`."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def __call__(self, img):
        img = self._image(img)
        if _random.generator().random() < self.p:
            return img.transpose(_pil("RandomHorizontalFlip").Transpose.FLIP_LEFT_RIGHT)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomRotation(_PILTransform):
    """Rotates a PIL image counter-clockwise by an angle drawn uniformly from `degrees`.

    Args:
        degrees: ``d`` for (-d, d), or ``(min, max)``.
        interpolation: default nearest.
        expand: grow the output to hold the whole rotated image.
        center: ``(x, y)`` of the rotation (default the image centre).
        fill: value of the pixels outside the rotated image (a number or one per channel).

    Example: ``RandomRotation(30)``."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
                 fill=0):
        super().__init__()
        if isinstance(degrees, numbers.Number):
            if degrees < 0:
                raise ValueError("RandomRotation: if degrees is a single number, it must be "
                                 f"positive, got {degrees}")
            degrees = [-degrees, degrees]
        elif not isinstance(degrees, Sequence) or len(degrees) != 2:
            raise ValueError(f"RandomRotation: degrees should be a number or a sequence of length "
                             f"2, got {degrees!r}")
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError(f"RandomRotation: center should be a sequence (x, y), got {center!r}")
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("RandomRotation: fill should be either a sequence or a number")
        self.degrees = [float(d) for d in degrees]
        self.interpolation = _interpolation(interpolation, "RandomRotation")
        self.expand, self.center, self.fill = expand, center, fill

    @staticmethod
    def get_params(degrees):
        """The angle: uniform in ``[degrees[0], degrees[1]]``."""
        return float(_random.generator().uniform(float(degrees[0]), float(degrees[1])))

    def __call__(self, img):
        img = self._image(img)
        angle = self.get_params(self.degrees)
        return img.rotate(angle, _PIL_FILTER[self.interpolation], self.expand, self.center,
                          fillcolor=self._fillcolor(img))

    def _fillcolor(self, img):
        channels, fill = len(img.getbands()), self.fill
        if isinstance(fill, Sequence) and len(fill) == 1:
            fill = fill[0]
        if isinstance(fill, numbers.Number):
            fill = fill if channels == 1 else (fill,) * channels
        elif len(fill) != channels:
            raise ValueError(f"RandomRotation: the number of elements in fill ({len(fill)}) does "
                             f"not match the number of channels of the image ({channels})")
        if img.mode == "F":
            return tuple(fill) if isinstance(fill, Sequence) else fill
        return tuple(int(x) for x in fill) if isinstance(fill, Sequence) else int(fill)

    def __repr__(self):
        s = (f"{type(self).__name__}(degrees={self.degrees}, "
             f"interpolation={self.interpolation.value}, expand={self.expand}")
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


class RandomResizedCrop(_PILTransform):
    """Crops a random part of a PIL image and resizes it to `size`.

    The part covers a fraction of the area drawn uniformly from `scale`, with an aspect ratio
    drawn log-uniformly from `ratio`; after 10 draws that do not fit in the image, it is the
    centre crop of the largest part whose aspect ratio is within `ratio` (torchvision's
    algorithm).

    Example: ``RandomResizedCrop(224)``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.size = _setup_size(size, "RandomResizedCrop")
        if not isinstance(scale, Sequence):
            raise TypeError("RandomResizedCrop: scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("RandomResizedCrop: ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.interpolation = _interpolation(interpolation, "RandomResizedCrop")
        self.scale, self.ratio, self.antialias = scale, ratio, antialias

    @staticmethod
    def get_params(img, scale, ratio):
        """``(top, left, height, width)`` of the random crop of `img` (a PIL image)."""
        width, height = img.size
        area = height * width
        gen = _random.generator()
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * gen.uniform(scale[0], scale[1])
            aspect_ratio = math.exp(gen.uniform(*log_ratio))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                top = int(gen.integers(0, height - h + 1))
                return top, int(gen.integers(0, width - w + 1)), h, w
        in_ratio = width / height                                   # fallback: a centre crop
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            w, h = int(round(height * max(ratio))), height
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img):
        img = self._image(img)
        top, left, h, w = self.get_params(img, self.scale, self.ratio)
        return _resize(img.crop((left, top, left + w, top + h)), list(self.size),
                       self.interpolation)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, "
                f"scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias})")


class Grayscale(_PILTransform):
    """A PIL image in grey levels (ITU-R 601-2 luma, Pillow's ``convert("L")``), with 1 or 3
    identical channels."""

    def __init__(self, num_output_channels=1):
        super().__init__()
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: num_output_channels should be either 1 or 3, got "
                             f"{num_output_channels}")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        img = self._image(img).convert("L")
        return img if self.num_output_channels == 1 else img.convert("RGB")

    def __repr__(self):
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"
