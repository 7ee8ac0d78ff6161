"""Geometry transforms: Resize, crops (CenterCrop, RandomCrop, RandomResizedCrop, FiveCrop, TenCrop), flips,
Pad, RandomRotation, RandomAffine. Each draws its parameters and calls ``functional`` on a PIL image or a
Tensor (..., C, H, W); a Tensor in gives a Tensor out."""
import math
import numbers
import warnings
from collections.abc import Sequence

from ... import random as _random
from ...tensor import Tensor
from . import functional as F
from ._helpers import _check_scale_ratio, _coin, _image, _randint, _setup_size, _uniform
from ._modes import InterpolationMode, interpolation_mode

_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


class Resize:
    """Resizes a PIL image or a Tensor (..., C, H, W).

    Args:
        size: ``(h, w)``, or an int: the shorter side becomes ``size``, keeping the aspect ratio
            (the longer side is ``int(size * long / short)``).
        interpolation: an ``InterpolationMode`` (default bilinear) or Pillow constant.
        max_size: with an int size, the longest the longer side may be.
        antialias: tensors: antialiased bilinear / bicubic (default True, as torchvision); Pillow
            always antialiases.

    Example: ``Resize(255)`` on a 300x400 (h x w) image gives 255x340."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        if max_size is not None and not isinstance(size, int) and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = interpolation_mode(interpolation)

    def __call__(self, img):
        return F.resize(_image(img, "Resize"), self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop:
    """Crops the centre ``(h, w)`` (or ``size`` x ``size``); an image smaller than the crop is padded
    with zeros first, as in torchvision.

    Example: ``CenterCrop(224)(Resize(255)(img))``, the usual test-time pipeline."""

    def __init__(self, size):
        self.size = _setup_size(size)

    def __call__(self, img):
        return F.center_crop(_image(img, "CenterCrop"), self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class RandomHorizontalFlip:
    """Mirrors left to right with probability `p`. Example: ``RandomHorizontalFlip(p=0.5)``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        img = _image(img, type(self).__name__)
        return self._flip(img) if _coin(self.p) else img

    _flip = staticmethod(F.hflip)

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirrors top to bottom with probability `p`. Example: ``RandomVerticalFlip(p=0.5)``."""
    _flip = staticmethod(F.vflip)


def _check_padding(padding, fill, padding_mode):
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if padding_mode not in _PAD_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


class Pad:
    """Pads every border: `padding` an int, (left/right, top/bottom) or (left, top, right, bottom);
    `padding_mode` constant (with `fill`), edge, reflect or symmetric.

    Example: ``Pad(4, padding_mode="reflect")``."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        _check_padding(padding, fill, padding_mode)
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return F.pad(_image(img, "Pad"), self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class RandomCrop:
    """Crops a random ``size`` part, after optional padding.

    Args:
        size: (h, w) or an int for a square.
        padding: added on every side first (an int, (left/right, top/bottom) or 4 values).
        pad_if_needed: pad an image smaller than the crop.
        fill: the constant padding's value; padding_mode: constant, edge, reflect or symmetric.

    Example: ``RandomCrop(32, padding=4)``, CIFAR's augmentation."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = tuple(_setup_size(size))
        if padding_mode not in _PAD_MODES:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img, output_size):
        """``(top, left, h, w)`` of a random crop of `output_size`."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        return _randint(0, h - th + 1), _randint(0, w - tw + 1), th, tw

    def __call__(self, img):
        img = _image(img, "RandomCrop")
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        return F.crop(img, *self.get_params(img, self.size))

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomResizedCrop:
    """Crops a random part and resizes it to `size`.

    The part covers a fraction of the area drawn uniformly from `scale`, with an aspect ratio
    drawn log-uniformly from `ratio`; after 10 draws that do not fit in the image, it is the
    centre crop of the largest part whose aspect ratio is within `ratio` (torchvision's
    algorithm).

    Example: ``RandomResizedCrop(224)``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        self.size = _setup_size(size)
        _check_scale_ratio(scale, ratio)
        self.interpolation = interpolation_mode(interpolation)
        self.scale, self.ratio, self.antialias = scale, ratio, antialias

    @staticmethod
    def get_params(img, scale, ratio):
        """``(top, left, height, width)`` of the random crop of `img`."""
        _, height, width = F.get_dimensions(img)
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
        img = _image(img, "RandomResizedCrop")
        top, left, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, top, left, h, w, list(self.size), self.interpolation, antialias=self.antialias)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, "
                f"scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias})")


def _setup_angle(x, name, req_sizes=(2,)):
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    elif not isinstance(x, Sequence) or len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {' or '.join(str(s) for s in req_sizes)}.")
    return [float(d) for d in x]


def _check_fill(fill):
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        raise TypeError("Fill should be either a sequence or a number.")
    return fill


def _tensor_fill(fill, img):
    """A Tensor's fill: one float per channel, as torchvision's random geometry passes it."""
    if not isinstance(img, Tensor):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * F.get_dimensions(img)[0]
    return [float(f) for f in fill]


class RandomRotation:
    """Rotates counter-clockwise by an angle drawn uniformly from `degrees`.

    Args:
        degrees: ``d`` for (-d, d), or ``(min, max)``.
        interpolation: default nearest (tensors: nearest or bilinear).
        expand: grow the output to hold the whole rotated image.
        center: ``(x, y)`` of the rotation (default the image centre).
        fill: value of the pixels outside the rotated image (a number or one per channel).

    Example: ``RandomRotation(30)``."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0):
        self.degrees = _setup_angle(degrees, "degrees")
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError("center should be a sequence of length 2.")
        self.fill = _check_fill(fill)
        self.interpolation = interpolation_mode(interpolation)
        self.expand, self.center = expand, center

    @staticmethod
    def get_params(degrees):
        """The angle: uniform in ``[degrees[0], degrees[1]]``."""
        return float(_random.generator().uniform(float(degrees[0]), float(degrees[1])))

    def __call__(self, img):
        img = _image(img, "RandomRotation")
        fill = _tensor_fill(self.fill, img)
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self):
        s = (f"{type(self).__name__}(degrees={self.degrees}, "
             f"interpolation={self.interpolation.value}, expand={self.expand}")
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


class RandomAffine:
    """A random affine map about the image centre: rotation, translation, scale, shear
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
        self.fill = _check_fill(fill)
        if center is not None and (not isinstance(center, Sequence) or len(center) != 2):
            raise ValueError("center should be a sequence of length 2.")
        self.translate, self.scale, self.center = translate, scale, center
        self.interpolation = interpolation_mode(interpolation)

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """``(angle, (tx, ty), scale, (shear_x, shear_y))`` for an image of ``[width, height]``."""
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (int(round(_uniform(-max_dx, max_dx))), int(round(_uniform(-max_dy, max_dy))))
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
        img = _image(img, "RandomAffine")
        fill = _tensor_fill(self.fill, img)
        _, height, width = F.get_dimensions(img)
        angle, translations, scale, shear = self.get_params(self.degrees, self.translate, self.scale, self.shear,
                                                            [width, height])
        return F.affine(img, angle, list(translations), scale, list(shear), interpolation=self.interpolation,
                        fill=fill, center=self.center)

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


class FiveCrop:
    """The four corner crops and the centre crop, as a tuple (top-left, top-right, bottom-left,
    bottom-right, centre).

    Example: ``Compose([FiveCrop(224), Lambda(lambda crops: stack([ToTensor()(c) for c in
    crops]))])``."""

    def __init__(self, size):
        self.size = tuple(_setup_size(size))

    def __call__(self, img):
        return F.five_crop(_image(img, "FiveCrop"), self.size)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class TenCrop:
    """FiveCrop of the image, then FiveCrop of its mirror image (left-right, or top-bottom with
    ``vertical_flip=True``): ten crops.

    Example: ``TenCrop(224)(img)[5]`` is the top-left crop of the flipped image."""

    def __init__(self, size, vertical_flip=False):
        self.size = tuple(_setup_size(size))
        self.vertical_flip = vertical_flip

    def __call__(self, img):
        return F.ten_crop(_image(img, "TenCrop"), self.size, self.vertical_flip)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, vertical_flip={self.vertical_flip})"
