"""The operations on PIL images (torchvision's ``functional_pil``): each is the Pillow call torchvision makes.

Only called with a PIL image in hand, so Pillow is importable; every function still checks its input."""
import numbers

import numpy as np

from ._base import _is_pil, _pil


def _check(img):
    if not _is_pil(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def get_dimensions(img):
    """[channels, height, width]."""
    if _is_pil(img):
        return [len(img.getbands()), img.height, img.width]
    raise TypeError(f"Unexpected type {type(img)}")


def hflip(img):
    _check(img)
    return img.transpose(_pil("hflip").Transpose.FLIP_LEFT_RIGHT)


def vflip(img):
    _check(img)
    return img.transpose(_pil("vflip").Transpose.FLIP_TOP_BOTTOM)


def crop(img, top, left, height, width):
    """Pillow's crop: zeros where the box leaves the image."""
    _check(img)
    return img.crop((left, top, left + width, top + height))


def resize(img, size, interpolation):
    """`size` = [h, w]; `interpolation` a Pillow filter constant."""
    _check(img)
    if not (isinstance(size, list) and len(size) == 2):
        raise TypeError(f"Got inappropriate size arg: {size}")
    return img.resize(tuple(size[::-1]), interpolation)


def parse_fill(fill, img, name="fillcolor"):
    """torchvision's ``_parse_fill``: `fill` as Pillow's colour argument for `img`'s bands."""
    channels = len(img.getbands())
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and channels > 1:
        fill = tuple([fill] * channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * channels
        elif len(fill) != channels:
            raise ValueError("The number of elements in 'fill' does not match the number of channels of the image "
                             f"({len(fill)} != {channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def pad(img, padding, fill=0, padding_mode="constant"):
    """ImageOps.expand for constant padding, np.pad for edge, reflect and symmetric (negative padding crops)."""
    _check(img)
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = ltrb(padding)
    Image = _pil("pad")
    if padding_mode == "constant":
        from PIL import ImageOps
        palette = img.getpalette() if img.mode == "P" else None
        out = ImageOps.expand(img, border=(left, top, right, bottom), **parse_fill(fill, img, "fill"))
        if palette is not None:
            out.putpalette(palette)
        return out
    crops = [max(-p, 0) for p in (left, top, right, bottom)]
    if any(crops):
        img = img.crop((crops[0], crops[1], img.width - crops[2], img.height - crops[3]))
    left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    palette = img.getpalette() if img.mode == "P" else None
    arr = np.asarray(img)
    arr = np.pad(arr, [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2), mode=padding_mode)
    out = Image.fromarray(np.ascontiguousarray(arr))
    if palette is not None:
        out.putpalette(palette)
    return out


def ltrb(padding):
    """torchvision's padding rule: an int (all sides), [all], [left/right, top/bottom] or [l, t, r, b]."""
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    if len(padding) == 1:
        return [int(padding[0])] * 4
    if len(padding) == 2:
        return [int(padding[0]), int(padding[1])] * 2
    return [int(p) for p in padding]


def rotate(img, angle, interpolation=0, expand=False, center=None, fill=None):
    _check(img)
    return img.rotate(angle, interpolation, expand, center, **parse_fill(fill, img))


def affine(img, matrix, interpolation=0, fill=None):
    """`matrix`: the output -> input map (six numbers), as Pillow's AFFINE transform takes."""
    _check(img)
    return img.transform(img.size, _pil("affine").AFFINE, matrix, interpolation, **parse_fill(fill, img))


def _enhance(img, kind, factor):
    from PIL import ImageEnhance
    _check(img)
    return getattr(ImageEnhance, kind)(img).enhance(factor)


def adjust_brightness(img, brightness_factor):
    return _enhance(img, "Brightness", brightness_factor)


def adjust_contrast(img, contrast_factor):
    return _enhance(img, "Contrast", contrast_factor)


def adjust_saturation(img, saturation_factor):
    return _enhance(img, "Color", saturation_factor)


def adjust_sharpness(img, sharpness_factor):
    return _enhance(img, "Sharpness", sharpness_factor)


def adjust_hue(img, hue_factor):
    """The H band of HSV moved by ``hue_factor * 255``, wrapping around as uint8."""
    _check(img)
    if img.mode in {"L", "1", "I", "F"}:
        return img
    Image = _pil("adjust_hue")
    mode = img.mode
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    np_h += np.int64(hue_factor * 255).astype(np.uint8)           # wraps around, as intended
    return Image.merge("HSV", (Image.fromarray(np_h, "L"), s, v)).convert(mode)


def adjust_gamma(img, gamma, gain=1.0):
    """A lookup table ``int(255.999 * gain * (v / 255) ** gamma)`` through Pillow's ``point``."""
    _check(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    mode = img.mode
    img = img.convert("RGB")
    table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
    return img.point(table).convert(mode)


def to_grayscale(img, num_output_channels=1):
    """Pillow's ``convert("L")`` (ITU-R 601-2 luma), with 1 or 3 identical channels."""
    _check(img)
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    img = img.convert("L")
    return img if num_output_channels == 1 else img.convert("RGB")


def invert(img):
    from PIL import ImageOps
    _check(img)
    return ImageOps.invert(img)
