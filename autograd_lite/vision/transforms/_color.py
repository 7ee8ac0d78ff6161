"""Colour and blur: ColorJitter, Grayscale, RandomGrayscale, RandomInvert, RandomAdjustSharpness, GaussianBlur;
each calls ``functional`` on a PIL image or a Tensor (..., C, H, W)."""
import numbers
from collections.abc import Sequence

from ... import random as _random
from . import functional as F
from ._helpers import _coin, _image, _setup_size, _uniform


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


class ColorJitter:
    """Randomly changes brightness, contrast, saturation and hue, in a random order.

    Args:
        brightness, contrast, saturation: a number v (factor uniform in [max(0, 1 - v), 1 + v])
            or a (min, max) pair of factors.
        hue: a number v in [0, 0.5] (shift uniform in [-v, v]) or a pair in [-0.5, 0.5].

    PIL images go through ``ImageEnhance`` (Brightness, Contrast, Color) and an HSV shift, Tensor
    images (float in [0, 1] or uint8, batched too) through torchvision's blending formulas.

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
        img = _image(img, "ColorJitter")
        fn_idx, *factors = self.get_params(self.brightness, self.contrast, self.saturation,
                                           self.hue)
        ops = (F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue)
        for i in fn_idx:
            if factors[i] is not None:
                img = ops[i](img, factors[i])
        return img

    def __repr__(self):
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class GaussianBlur:
    """Blurs with a Gaussian of standard deviation drawn uniformly from `sigma` (torchvision's kernel,
    reflect padding).

    Args:
        kernel_size: odd positive int, or (kx, ky).
        sigma: a positive number (fixed), or (min, max).

    Example: ``GaussianBlur(kernel_size=5, sigma=(0.1, 2.0))``."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = tuple(_setup_size(kernel_size, "Kernel size should be a tuple/list of two integers"))
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
        img = _image(img, "GaussianBlur")
        sigma = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, list(self.kernel_size), [sigma, sigma])

    def __repr__(self):
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class Grayscale:
    """Grey levels (ITU-R 601-2 luma; Pillow's ``convert("L")`` for PIL images), 1 or 3 identical channels.

    Example: ``Grayscale(num_output_channels=3)``."""

    def __init__(self, num_output_channels=1):
        if num_output_channels not in (1, 3):
            raise ValueError("num_output_channels should be either 1 or 3")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return F.rgb_to_grayscale(_image(img, "Grayscale"), self.num_output_channels)

    def __repr__(self):
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale:
    """Grey levels with probability `p`, keeping the number of channels. Example: ``RandomGrayscale(p=0.1)``."""

    def __init__(self, p=0.1):
        self.p = p

    def __call__(self, img):
        img = _image(img, "RandomGrayscale")
        channels = F.get_dimensions(img)[0]
        return F.rgb_to_grayscale(img, channels) if _coin(self.p) else img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomInvert:
    """Inverts the colours (``max - img``) with probability `p`. Example: ``RandomInvert(p=0.5)``."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        img = _image(img, "RandomInvert")
        return F.invert(img) if _coin(self.p) else img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomAdjustSharpness:
    """``adjust_sharpness(img, sharpness_factor)`` with probability `p` (0 blurs, 2 sharpens).

    Example: ``RandomAdjustSharpness(sharpness_factor=2)``."""

    def __init__(self, sharpness_factor, p=0.5):
        if sharpness_factor < 0:
            raise ValueError("sharpness_factor should be a non-negative number")
        self.sharpness_factor, self.p = sharpness_factor, p

    def __call__(self, img):
        img = _image(img, "RandomAdjustSharpness")
        return F.adjust_sharpness(img, self.sharpness_factor) if _coin(self.p) else img

    def __repr__(self):
        return f"{type(self).__name__}(sharpness_factor={self.sharpness_factor},p={self.p})"
