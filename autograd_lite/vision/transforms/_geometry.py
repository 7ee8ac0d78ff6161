"""Geometry: RandomAffine, RandomCrop (padding), FiveCrop and TenCrop."""
import math
import numbers
from collections.abc import Sequence

import numpy as np

from ...tensor import Tensor
from ._base import _is_pil, _pil
from ._helpers import _crop, _image_or_tensor, _randint, _size_of, _uniform
from ._pil_transforms import InterpolationMode, _PILTransform, _PIL_FILTER, _interpolation, _setup_size


def _setup_angle(x, name, req_sizes=(2,)):
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    elif not isinstance(x, Sequence) or len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length "
                         f"{' or '.join(str(s) for s in req_sizes)}.")
    return [float(d) for d in x]


def _inverse_affine_matrix(center, angle, translate, scale, shear):
    """The output -> input pixel map of rotation about `center`, scale, shear and translation:
    torchvision's ``_get_inverse_affine_matrix`` (what Pillow's AFFINE transform takes)."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _pil_fill(fill, img, name):
    channels = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, Sequence) and len(fill) == 1:
        fill = fill[0]
    if isinstance(fill, numbers.Number):
        return fill if channels == 1 else tuple([fill] * channels)
    if len(fill) != channels:
        raise ValueError(f"{name}: the number of elements in 'fill' does not match the number of "
                         f"bands of the image ({len(fill)} != {channels})")
    return tuple(fill)


class RandomAffine(_PILTransform):
    """A random affine map of a PIL image about its centre: rotation, translation, scale, shear
    (torchvision's parameters and matrix; pixels from outside the image are `fill`).

    Args:
        degrees: d for (-d, d), or (min, max).
        translate: (a, b): horizontal shift uniform in +-a * width, vertical in +-b * height.
        scale: (min, max) scale factor.
        shear: s for an x shear in (-s, s), (min, max), or (xmin, xmax, ymin, ymax).
        interpolation: default nearest; fill: a number or one per band; center: (x, y).

    Example: ``RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1))``."""

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        super().__init__()
        self.degrees = _setup_angle(degrees, "degrees")
        if translate is not None:
            if not isinstance(translate, Sequence) or len(translate) != 2:
                raise ValueError("translate should be a sequence of length 2.")
            if any(not 0.0 <= t <= 1.0 for t in translate):
                raise ValueError("translation values should be between 0 and 1")
        if scale is not None:
            if not isinstance(scale, Sequence) or len(scale) != 2:
                raise ValueError("scale should be a sequence of length 2.")
            if any(s <= 0 for s in scale):
                raise ValueError("scale values should be positive")
        self.shear = None if shear is None else _setup_angle(shear, "shear", (2, 4))
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError("Fill should be either a sequence or a number.")
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError("center should be a sequence of length 2.")
        self.translate, self.scale, self.fill, self.center = translate, scale, fill, center
        self.interpolation = _interpolation(interpolation, "RandomAffine")

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """``(angle, (tx, ty), scale, (shear_x, shear_y))`` for an image of ``[width, height]``."""
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (int(round(_uniform(-max_dx, max_dx))),
                            int(round(_uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img):
        img = self._image(img)
        width, height = img.size
        angle, translations, scale, shear = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, [width, height])
        center = [width * 0.5, height * 0.5] if self.center is None else list(self.center)
        matrix = _inverse_affine_matrix(center, angle, translations, scale, shear)
        Image = _pil("RandomAffine")
        return img.transform(img.size, Image.AFFINE, matrix, _PIL_FILTER[self.interpolation],
                             fillcolor=_pil_fill(self.fill, img, "RandomAffine"))

    def __repr__(self):
        s = f"{type(self).__name__}(degrees={self.degrees}"
        for name in ("translate", "scale", "shear"):
            if getattr(self, name) is not None:
                s += f", {name}={getattr(self, name)}"
        if self.interpolation != InterpolationMode.NEAREST:
            s += f", interpolation={self.interpolation.value}"
        if self.fill != 0:
            s += f", fill={self.fill}"
        if self.center is not None:
            s += f", center={self.center}"
        return s + ")"


_NP_PAD_MODE = {"constant": "constant", "edge": "edge", "reflect": "reflect",
                "symmetric": "symmetric"}


def _pad(img, padding, fill, padding_mode, name):
    """torchvision's ``pad``: padding an int (all sides), (lr, tb) or (l, t, r, b)."""
    if isinstance(padding, numbers.Number):
        padding = [int(padding)] * 4
    elif isinstance(padding, Sequence) and len(padding) in (1, 2, 4):
        padding = list(padding) * (4 if len(padding) == 1 else 2 if len(padding) == 2 else 1)
    else:
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    left, top, right, bottom = padding
    if _is_pil(img):
        arr = np.asarray(img)
        pads = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
        if padding_mode == "constant":
            fills = _pil_fill(fill, img, name)
            out = np.empty((arr.shape[0] + top + bottom, arr.shape[1] + left + right)
                           + arr.shape[2:], arr.dtype)
            out[...] = np.asarray(fills, arr.dtype)
            out[top:top + arr.shape[0], left:left + arr.shape[1]] = arr
        else:
            out = np.pad(arr, pads, mode=_NP_PAD_MODE[padding_mode])
        return _pil(name).fromarray(out, img.mode if img.mode != "P" else None)
    data = img.detach().cpu().numpy()
    pads = [(0, 0)] * (data.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        out = np.pad(data, pads, constant_values=fill)
    else:
        out = np.pad(data, pads, mode=_NP_PAD_MODE[padding_mode])
    return Tensor._make(out)


class RandomCrop:
    """Crops a random ``size`` part of a PIL image or Tensor, after optional padding.

    Args:
        size: (h, w) or an int for a square.
        padding: added on every side first (an int, (left/right, top/bottom) or 4 values).
        pad_if_needed: pad an image smaller than the crop.
        fill: the constant padding's value; padding_mode: constant, edge, reflect or symmetric.

    Example: ``RandomCrop(32, padding=4)``, CIFAR's augmentation."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = tuple(_setup_size(size, "RandomCrop"))
        if padding_mode not in _NP_PAD_MODE:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img, output_size):
        """``(top, left, h, w)`` of a random crop of `output_size`."""
        h, w = _size_of(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size "
                             f"{(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        return _randint(0, h - th + 1), _randint(0, w - tw + 1), th, tw

    def __call__(self, img):
        img = _image_or_tensor(img, "RandomCrop")
        if self.padding is not None:
            img = _pad(img, self.padding, self.fill, self.padding_mode, "RandomCrop")
        height, width = _size_of(img)
        if self.pad_if_needed and width < self.size[1]:
            img = _pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode, "RandomCrop")
        if self.pad_if_needed and height < self.size[0]:
            img = _pad(img, [0, self.size[0] - height], self.fill, self.padding_mode,
                       "RandomCrop")
        return _crop(img, *self.get_params(img, self.size))

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


def _five_crop(img, size):
    h, w = _size_of(img)
    ch, cw = size
    if ch > h or cw > w:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(h, w)}")
    top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
    return (_crop(img, 0, 0, ch, cw), _crop(img, 0, w - cw, ch, cw),
            _crop(img, h - ch, 0, ch, cw), _crop(img, h - ch, w - cw, ch, cw),
            _crop(img, top, left, ch, cw))


class FiveCrop:
    """The four corner crops and the centre crop of a PIL image or Tensor, as a tuple
    (top-left, top-right, bottom-left, bottom-right, centre).

    Example: ``Compose([FiveCrop(224), Lambda(lambda crops: stack([ToTensor()(c) for c in
    crops]))])``."""

    def __init__(self, size):
        self.size = tuple(_setup_size(size, "FiveCrop"))

    def __call__(self, img):
        return _five_crop(_image_or_tensor(img, "FiveCrop"), self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class TenCrop:
    """FiveCrop of the image, then FiveCrop of its mirror image (left-right, or top-bottom with
    ``vertical_flip=True``): ten crops.

    Example: ``TenCrop(224)(img)[5]`` is the top-left crop of the flipped image."""

    def __init__(self, size, vertical_flip=False):
        self.size = tuple(_setup_size(size, "TenCrop"))
        self.vertical_flip = vertical_flip

    def __call__(self, img):
        img = _image_or_tensor(img, "TenCrop")
        if _is_pil(img):
            Image = _pil("TenCrop")
            flipped = img.transpose(Image.Transpose.FLIP_TOP_BOTTOM if self.vertical_flip
                                    else Image.Transpose.FLIP_LEFT_RIGHT)
        else:
            flipped = img.flip(-2 if self.vertical_flip else -1)
        return _five_crop(img, self.size) + _five_crop(flipped, self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, vertical_flip={self.vertical_flip})"
