"""Image transforms with ``torchvision.transforms``' names, arguments, semantics and reprs::

    from autograd_lite.vision import transforms
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])

``ToTensor``, ``Normalize``, ``Compose`` and ``Lambda`` need only NumPy. The image transforms
(``Resize``, ``CenterCrop``, ``RandomRotation``, ``RandomResizedCrop``, ``RandomHorizontalFlip``,
``Grayscale``, ``ToPILImage``) work through Pillow (``pip install "autograd_lite[vision]"``); they
take a PIL image or a uint8 NumPy array (H, W) or (H, W, C), converted on demand, and return a PIL
image. The random ones draw from ``autograd_lite.random``, so ``manual_seed`` reproduces them.

Batches: ``ToTensor``, ``Normalize`` and a ``Compose`` of such transforms have ``apply_batch(x)``,
which maps a whole batch of raw images (a uint8 array (B, H, W) or (B, H, W, C)) in one NumPy
expression per transform, giving exactly what transforming each image and stacking would give. A
dataset uses it in ``_collated_batch`` (see ``DataLoader``). Having ``apply_batch`` also tells a
dataset that the transform takes one raw image as a uint8 array: MNIST then skips the PIL image it
gives other transforms (``ToTensor`` of either is the same tensor).
"""
import math
import numbers
import sys
import warnings
from collections.abc import Sequence
from enum import Enum

import numpy as np

from .. import random as _random
from .._dtype import from_numpy_dtype
from ..backend import backend_of
from ..tensor import Tensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "InterpolationMode", "ToPILImage",
           "Resize", "CenterCrop", "RandomRotation", "RandomResizedCrop", "RandomHorizontalFlip",
           "Grayscale", "ColorJitter", "RandomAffine", "RandomCrop", "GaussianBlur",
           "RandomErasing", "PILToTensor", "ConvertImageDtype", "FiveCrop", "TenCrop"]

_INSTALL = 'pip install "autograd_lite[vision]"'
_NP_TYPE_OF_MODE = {"I": np.int32, "I;16": np.int16, "F": np.float32}     # as torchvision
_MODE_OF_NP_TYPE = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}
_MODES_BY_CHANNELS = {2: ("LA",), 3: ("RGB", "YCbCr", "HSV"), 4: ("RGBA", "CMYK", "RGBX")}


def _pil(name):
    """The ``PIL.Image`` module, or an ImportError that says how to install it."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"transforms.{name} needs Pillow, which is not installed: {_INSTALL}") \
            from None
    return Image


def _is_pil(img):
    image = sys.modules.get("PIL.Image")        # no PIL imported: img can't be a PIL image
    return image is not None and isinstance(img, image.Image)


class Compose:
    """Applies `transforms` one after the other.

    ``apply_batch`` exists when every transform has one (``getattr(c, "apply_batch", None)``).

    Example::

        >>> transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    """

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    @property
    def apply_batch(self):
        fns = [getattr(t, "apply_batch", None) for t in self.transforms]
        missing = [type(t).__name__ for t, f in zip(self.transforms, fns) if f is None]
        if missing:
            raise AttributeError(f"Compose has no apply_batch: {', '.join(missing)} "
                                 f"{'has' if len(missing) == 1 else 'have'} none")

        def apply_batch(x):
            for f in fns:
                x = f(x)
            return x
        return apply_batch

    def __repr__(self):
        return type(self).__name__ + "(" + "".join(f"\n    {t}" for t in self.transforms) + "\n)"


class ToTensor:
    """A PIL image or NumPy array (H, W, C) or (H, W) -> a Tensor (C, H, W); uint8 values (and
    PIL images of modes L, LA, P, RGB, RGBA, ...) are scaled to float32 in [0, 1], other dtypes
    are kept as they are, as in torchvision.

    Example: ``ToTensor()(np.zeros((28, 28), np.uint8)).shape == (1, 28, 28)``."""

    def __call__(self, pic):
        if _is_pil(pic):
            arr = 255 * np.asarray(pic, np.uint8) if pic.mode == "1" else \
                np.asarray(pic, _NP_TYPE_OF_MODE.get(pic.mode, np.uint8))
            arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
        elif isinstance(pic, np.ndarray):
            if pic.ndim not in (2, 3):
                raise ValueError(f"ToTensor: pic should be 2/3 dimensional (H, W) or (H, W, C), "
                                 f"got shape {pic.shape}")
            arr = pic[:, :, None] if pic.ndim == 2 else pic
        else:
            raise TypeError(f"ToTensor: pic should be a PIL Image or a NumPy array, got "
                            f"{type(pic).__name__}")
        return _scaled(arr.transpose(2, 0, 1))

    def apply_batch(self, x):
        """A batch (B, H, W) or (B, H, W, C) -> a Tensor (B, C, H, W)."""
        if isinstance(x, Tensor):
            x = x.numpy()
        elif not isinstance(x, np.ndarray):
            raise TypeError(f"ToTensor.apply_batch: expected a NumPy array batch, got "
                            f"{type(x).__name__}")
        if x.ndim not in (3, 4):
            raise ValueError(f"ToTensor.apply_batch: expected a batch (B, H, W) or (B, H, W, C), "
                             f"got shape {x.shape}")
        return _scaled(x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2))

    def __repr__(self):
        return "ToTensor()"


def _scaled(chw):
    """`chw` as a C-contiguous Tensor; uint8 becomes float32 / 255 (bit for bit torch's
    ``.float().div(255)``)."""
    from_numpy_dtype(chw.dtype)
    if chw.dtype != np.uint8:
        return Tensor._make(np.ascontiguousarray(chw))
    out = np.empty(chw.shape, np.float32)
    np.divide(chw, np.float32(255), out=out, dtype=np.float32)
    return Tensor._make(out)


class Normalize:
    """``(x - mean) / std`` per channel of a float Tensor image (..., C, H, W).

    Args:
        mean, std: sequences of per-channel values (or one value for every channel). With more
            values than channels the first C are used (old torchvision's zip semantics), so the
            3-channel ``Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))`` also serves 1-channel MNIST.
        inplace: overwrite the input tensor.

    Example: ``Normalize((0.1307,), (0.3081,))(ToTensor()(img))``."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace
        self._stats, self._cache = [], {}
        for name, v in (("mean", mean), ("std", std)):
            try:
                a = np.asarray(v, dtype=np.float64).reshape(-1) if np.ndim(v) <= 1 else None
            except (TypeError, ValueError):
                a = None
            if a is None or a.size == 0:
                raise ValueError(f"Normalize: {name} should be a number or a non-empty sequence of "
                                 f"numbers, got {v!r}")
            self._stats.append(a)
        if (self._stats[1] == 0).any():
            raise ValueError(f"Normalize: std {std!r} contains a zero, leading to division by zero")

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Normalize: expected a Tensor image (..., C, H, W), got "
                            f"{type(tensor).__name__} (put ToTensor() before Normalize)")
        if not tensor.is_floating_point():
            raise TypeError(f"Normalize: expected a float tensor, got {tensor.dtype.name}")
        if tensor.ndim < 3:
            raise ValueError(f"Normalize: expected a tensor image of size (..., C, H, W), got "
                             f"shape {tuple(tensor.shape)}")
        mean, std = self._arrays(tensor)
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        if tensor.requires_grad:
            return (tensor - mean) / std
        out = backend_of(mean._data).xp.subtract(tensor._data, mean._data)   # one new array
        out /= std._data
        return Tensor._make(out)

    apply_batch = __call__                        # per channel over (..., C, H, W): batches too

    def _arrays(self, tensor):
        """mean and std as Tensors (C, 1, 1) of the tensor's dtype and device, made once."""
        data, channels = tensor._data, tensor.shape[-3]
        key = (type(data), data.dtype, channels, str(tensor.device))
        if key not in self._cache:
            xp = backend_of(data).xp
            mean, std = (Tensor._make(xp.asarray(self._per_channel(name, a, channels, tensor.shape)
                                                 .astype(data.dtype).reshape(-1, 1, 1)))
                         for name, a in zip(("mean", "std"), self._stats))
            if (std._data == 0).any():
                raise ValueError(f"Normalize: std evaluated to zero after conversion to "
                                 f"{data.dtype}, leading to division by zero")
            self._cache[key] = mean, std
        return self._cache[key]

    @staticmethod
    def _per_channel(name, values, channels, shape):
        if len(values) == 1 or len(values) == channels:
            return values
        if len(values) < channels:
            raise ValueError(f"Normalize: {name} has {len(values)} values for a tensor image with "
                             f"{channels} channels (shape {tuple(shape)})")
        return values[:channels]

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Lambda:
    """Applies a user function: ``Lambda(lambda x: x.flip(-1))``."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{type(self).__name__}()"


# ---- through Pillow --------------------------------------------------------------------------
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


# ---- colour, geometry, blur, erasing, dtypes, multi-crops ----------------------------------------
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


def _check_range(value, name, center=1.0, bound=(0, float("inf")), clip_first_on_zero=True):
    """ColorJitter's argument rule: a number v is [center - v, center + v], a pair is kept; None
    when the range is a single point at `center` (nothing to do)."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{name} values should be between {bound}, but got {value}.")
    return None if value[0] == value[1] == center else value


def _blend(img1, img2, ratio):
    """ratio * img1 + (1 - ratio) * img2, clamped to the image range (float images: [0, 1])."""
    bound = 1.0 if img1.dtype.kind == "f" else 255.0
    out = np.clip(ratio * img1.astype(np.float32) + (1.0 - ratio) * img2, 0, bound)
    return out if img1.dtype.kind == "f" else out.astype(img1.dtype)


def _gray(rgb):
    """ITU-R 601-2 luma of (..., 3, H, W) as torchvision's rgb_to_grayscale (truncated for ints)."""
    r, g, b = (rgb[..., i, :, :].astype(np.float32) for i in range(3))
    luma = 0.2989 * r + 0.587 * g + 0.114 * b
    return (luma if rgb.dtype.kind == "f" else luma.astype(rgb.dtype))[..., None, :, :]


def _rgb_to_hsv(img):
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    cr = maxc - minc
    eqc = cr == 0
    s = cr / np.where(eqc, np.ones_like(maxc), maxc)
    cr_divisor = np.where(eqc, np.ones_like(cr), cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = np.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return np.stack((h, s, maxc), axis=-3)


def _hsv_to_rgb(img):
    h, s, v = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = [np.select([i == k for k in range(6)], [c[ch] for c in choices]) for ch in range(3)]
    return np.stack(out, axis=-3).astype(img.dtype)


def _adjust(img, kind, factor):
    """One of ColorJitter's adjustments on a PIL image (ImageEnhance, as torchvision) or a Tensor
    (torchvision's tensor formulas)."""
    if _is_pil(img):
        from PIL import ImageEnhance
        if kind == "hue":
            return _adjust_hue_pil(img, factor)
        enhancer = {"brightness": ImageEnhance.Brightness, "contrast": ImageEnhance.Contrast,
                    "saturation": ImageEnhance.Color}[kind]
        return enhancer(img).enhance(factor)
    data = img.detach().cpu().numpy()
    channels = data.shape[-3]
    if kind == "brightness":
        out = _blend(data, np.zeros_like(data, np.float32), factor)
    elif channels == 1 and kind in ("saturation", "hue"):
        return img
    elif kind == "contrast":
        gray = _gray(data) if channels == 3 else data
        mean = gray.astype(np.float32).mean(axis=(-3, -2, -1), keepdims=True)
        out = _blend(data, mean, factor)
    elif kind == "saturation":
        out = _blend(data, _gray(data), factor)
    else:
        floats = data.astype(np.float32) / 255.0 if data.dtype.kind != "f" else data
        hsv = _rgb_to_hsv(floats)
        hsv[..., 0, :, :] = np.fmod(hsv[..., 0, :, :] + factor, 1.0)
        rgb = _hsv_to_rgb(hsv)
        out = rgb if data.dtype.kind == "f" else (rgb * 255.0).astype(data.dtype)
    return Tensor._make(np.ascontiguousarray(out))


def _adjust_hue_pil(img, hue_factor):
    """torchvision's PIL hue shift: the H channel of HSV moved by hue_factor * 255 (uint8 wrap)."""
    Image = _pil("ColorJitter")
    if img.mode in {"L", "1", "I", "F"}:
        return img
    mode = img.mode
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    with np.errstate(over="ignore"):
        np_h += np.int64(hue_factor * 255).astype(np.uint8)
    return Image.merge("HSV", (Image.fromarray(np_h, "L"), s, v)).convert(mode)


class ColorJitter:
    """Randomly changes brightness, contrast, saturation and hue, in a random order.

    Args:
        brightness, contrast, saturation: a number v (factor uniform in [max(0, 1 - v), 1 + v])
            or a (min, max) pair of factors.
        hue: a number v in [0, 0.5] (shift uniform in [-v, v]) or a pair in [-0.5, 0.5].

    PIL images go through ``ImageEnhance`` (Brightness, Contrast, Color) and an HSV shift, Tensor
    images (float in [0, 1] or uint8) through torchvision's blending formulas.

    Example: ``ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)``."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = _check_range(brightness, "brightness")
        self.contrast = _check_range(contrast, "contrast")
        self.saturation = _check_range(saturation, "saturation")
        self.hue = _check_range(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue):
        """``(fn_idx, b, c, s, h)``: the order of the four adjustments and their factors (None
        for an adjustment left out)."""
        fn_idx = _random.generator().permutation(4)
        factors = [None if r is None else _uniform(r[0], r[1])
                   for r in (brightness, contrast, saturation, hue)]
        return (fn_idx, *factors)

    def __call__(self, img):
        img = _image_or_tensor(img, "ColorJitter")
        fn_idx, *factors = self.get_params(self.brightness, self.contrast, self.saturation,
                                           self.hue)
        kinds = ("brightness", "contrast", "saturation", "hue")
        for i in fn_idx:
            if factors[i] is not None:
                img = _adjust(img, kinds[i], factors[i])
        return img

    def __repr__(self):
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


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


def _gaussian_kernel1d(ksize, sigma):
    half = (ksize - 1) * 0.5
    x = np.linspace(-half, half, ksize, dtype=np.float32)
    pdf = np.exp(-0.5 * (x / np.float32(sigma)) ** 2)
    return pdf / pdf.sum()


def _gaussian_blur(data, kernel_size, sigma):
    """torchvision's ``gaussian_blur`` on an array (..., H, W): reflect padding, a separable
    float32 kernel, uint8 results rounded."""
    kx, ky = _gaussian_kernel1d(kernel_size[0], sigma[0]), \
        _gaussian_kernel1d(kernel_size[1], sigma[1])
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    x = data.astype(np.float32)
    pads = [(0, 0)] * (x.ndim - 2) + [(py, py), (px, px)]
    x = np.pad(x, pads, mode="reflect")
    h, w = data.shape[-2:]
    rows = sum(ky[i] * x[..., i:i + h, :] for i in range(len(ky)))
    out = sum(kx[j] * rows[..., :, j:j + w] for j in range(len(kx)))
    if data.dtype.kind != "f":
        out = np.clip(np.round(out), np.iinfo(data.dtype).min, np.iinfo(data.dtype).max)
    return np.ascontiguousarray(out.astype(data.dtype))


class GaussianBlur:
    """Blurs a PIL image or Tensor with a Gaussian of standard deviation drawn uniformly from
    `sigma` (torchvision's kernel, reflect padding).

    Args:
        kernel_size: odd positive int, or (kx, ky).
        sigma: a positive number (fixed), or (min, max).

    Example: ``GaussianBlur(kernel_size=5, sigma=(0.1, 2.0))``."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = tuple(_setup_size(kernel_size, "GaussianBlur"))
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min, sigma_max):
        """The standard deviation: uniform in [sigma_min, sigma_max]."""
        return _uniform(sigma_min, sigma_max)

    def __call__(self, img):
        img = _image_or_tensor(img, "GaussianBlur")
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        # kernel_size is (w, h) in torchvision's functional: (kx, ky)
        kernel = (self.kernel_size[1], self.kernel_size[0])
        if _is_pil(img):
            arr = np.asarray(img)
            chw = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
            out = _gaussian_blur(chw, kernel, (sigma, sigma))
            out = out[0] if arr.ndim == 2 else out.transpose(1, 2, 0)
            return _pil("GaussianBlur").fromarray(np.ascontiguousarray(out), img.mode)
        return Tensor._make(_gaussian_blur(img.detach().cpu().numpy(), kernel, (sigma, sigma)))

    def __repr__(self):
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


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
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
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
        data = img._data if self.inplace else img.detach().cpu().numpy().copy()
        data[..., i:i + h, j:j + w] = v.astype(data.dtype) if hasattr(v, "astype") else v
        return img if self.inplace else Tensor._make(data)

    def __repr__(self):
        return (f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


class PILToTensor:
    """A PIL image -> a Tensor (C, H, W) of the image's own dtype (uint8 for RGB), not scaled.

    Example: ``PILToTensor()(img).dtype == autograd_lite.uint8``."""

    def __call__(self, pic):
        if not _is_pil(pic):
            raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
        arr = np.array(pic, _NP_TYPE_OF_MODE.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            arr = arr.astype(np.uint8)
        arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
        return Tensor._make(np.ascontiguousarray(arr.transpose(2, 0, 1)))

    def __repr__(self):
        return f"{type(self).__name__}()"


def _max_value(dtype):
    return 1.0 if dtype.kind == "f" else int(np.iinfo(dtype).max)


class ConvertImageDtype:
    """Converts a Tensor image to `dtype`, rescaling values as torchvision does: uint8 255 ->
    float 1.0, float 1.0 -> uint8 255 (``x * (255 + 1 - 1e-3)`` truncated), ints by powers of two.

    Example: ``ConvertImageDtype(autograd_lite.float32)(PILToTensor()(img))``."""

    def __init__(self, dtype):
        if not hasattr(dtype, "np"):
            raise TypeError(f"ConvertImageDtype: dtype should be an autograd_lite dtype, got "
                            f"{dtype!r}")
        self.dtype = dtype

    def __call__(self, image):
        if not isinstance(image, Tensor):
            raise TypeError("Input img should be Tensor Image")
        src = image.detach().cpu().numpy()
        dst = self.dtype.np
        if src.dtype == dst:
            return image
        if src.dtype.kind == "f":
            if dst.kind == "f":
                return Tensor._make(src.astype(dst))
            if (src.dtype == np.float32 and dst in (np.int32, np.int64)) or \
                    (src.dtype == np.float64 and dst == np.int64):
                raise RuntimeError(f"The cast from {image.dtype} to {self.dtype} cannot be "
                                   "performed safely.")
            return Tensor._make((src * src.dtype.type(_max_value(dst) + 1.0 - 1e-3)).astype(dst))
        in_max = _max_value(src.dtype)
        if dst.kind == "f":
            return Tensor._make(src.astype(dst) / dst.type(in_max))
        out_max = _max_value(dst)
        if in_max > out_max:
            factor = (in_max + 1) // (out_max + 1)
            return Tensor._make((src // factor).astype(dst))
        factor = (out_max + 1) // (in_max + 1)
        return Tensor._make(src.astype(dst) * dst.type(factor))

    def __repr__(self):
        return f"{type(self).__name__}(dtype={self.dtype})"


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
