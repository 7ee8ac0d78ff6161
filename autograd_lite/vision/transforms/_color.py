"""Colour and blur: ColorJitter (brightness, contrast, saturation, hue) and GaussianBlur."""
import numbers
from collections.abc import Sequence

import numpy as np

from ... import random as _random
from ...tensor import Tensor
from ._base import _is_pil, _pil
from ._helpers import _image_or_tensor, _uniform
from ._pil_transforms import _setup_size


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
