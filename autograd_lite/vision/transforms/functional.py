"""``torchvision.transforms.functional`` (imported as ``TF`` or ``F``): each operation takes a PIL image or a
Tensor image (..., C, H, W), float in [0, 1] or uint8, and gives the same kind back::

    from autograd_lite.vision.transforms import functional as TF
    img = TF.resize(TF.rotate(img, 30), 256)
    x = TF.normalize(TF.to_tensor(TF.center_crop(img, 224)), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])

Arguments, defaults and errors are torchvision's. PIL images go through Pillow (``_functional_pil``, the calls
torchvision makes); tensors through ``_functional_tensor`` (NumPy, or Tensor ops where they exist). The class
transforms call these functions: one implementation per operation.
"""
import math
import numbers
import warnings

import numpy as np

from ...tensor import Tensor
from . import _functional_pil as F_pil
from . import _functional_tensor as F_t
from ._base import _MODES_BY_CHANNELS, _MODE_OF_NP_TYPE, _NP_TYPE_OF_MODE, _is_pil, _pil, normalize, to_tensor
from ._modes import PIL_FILTER, InterpolationMode, interpolation_mode

__all__ = ["InterpolationMode", "to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize",
           "resize", "center_crop", "crop", "resized_crop", "hflip", "vflip", "pad", "rotate", "affine",
           "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue", "adjust_gamma",
           "adjust_sharpness", "rgb_to_grayscale", "to_grayscale", "gaussian_blur", "erase", "five_crop",
           "ten_crop", "get_image_size", "get_image_num_channels", "get_dimensions", "invert"]


def _is_tensor(img):
    return isinstance(img, Tensor)


# ---- sizes -------------------------------------------------------------------------------------------
def get_dimensions(img):
    """[channels, height, width] of a PIL image or a Tensor (..., C, H, W)."""
    return F_t.get_dimensions(img) if _is_tensor(img) else F_pil.get_dimensions(img)


def get_image_size(img):
    """[width, height]."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


# ---- conversions -------------------------------------------------------------------------------------
def pil_to_tensor(pic):
    """A PIL image -> a Tensor (C, H, W) of the image's own dtype (uint8 for RGB), not scaled.

    Example: ``pil_to_tensor(img).dtype == autograd_lite.uint8``."""
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, _NP_TYPE_OF_MODE.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        arr = arr.astype(np.uint8)
    arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return Tensor._make(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def to_pil_image(pic, mode=None):
    """A Tensor (C, H, W) / (H, W) or an array (H, W, C) / (H, W) -> a PIL image; a float tensor's values are scaled
    by 255 to uint8 unless `mode` is "F" (an array's are not: a float32 one is mode "F", as torchvision).
    Example: ``to_pil_image(torch.rand(3, 8, 8)).mode == "RGB"``."""
    if isinstance(pic, Tensor):
        arr = pic.detach().cpu().numpy()
        arr = arr.transpose(1, 2, 0) if arr.ndim == 3 else arr
        if arr.dtype.kind == "f" and mode != "F":
            arr = (arr * 255).astype(np.uint8)
    elif isinstance(pic, np.ndarray):
        arr = pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {arr.ndim} dimensions.")
    if arr.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[-1]} channels.")
    channels = arr.shape[2]
    if channels == 1:
        arr = arr[:, :, 0]
        expected = _MODE_OF_NP_TYPE.get(arr.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {arr.dtype}. Should be {expected}")
        mode = expected
    else:
        permitted = list(_MODES_BY_CHANNELS[channels])
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {channels}D inputs")
        if mode is None and arr.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {arr.dtype} is not supported")
    height, width = arr.shape[:2]
    return _pil("to_pil_image").frombytes(mode, (width, height), np.ascontiguousarray(arr).tobytes())


def convert_image_dtype(image, dtype=None):
    """A Tensor image to `dtype` (default float32), values rescaled: uint8 255 <-> float 1.0.

    Example: ``convert_image_dtype(pil_to_tensor(img), torch.float32)``."""
    from ... import _dtype
    dtype = _dtype.float32 if dtype is None else dtype
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    src = image.detach().cpu().numpy()
    dst = dtype.np
    if src.dtype == dst:
        return image
    if src.dtype.kind == "f" and dst.kind != "f" and (
            (src.dtype == np.float32 and dst in (np.int32, np.int64)) or (src.dtype == np.float64 and dst == np.int64)):
        raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed safely.")
    return F_t._like(F_t.convert_dtype(src, dst), image)


# ---- geometry ----------------------------------------------------------------------------------------
def hflip(img):
    """Mirrors left to right."""
    return F_t.hflip(img) if _is_tensor(img) else F_pil.hflip(img)


def vflip(img):
    """Mirrors top to bottom."""
    return F_t.vflip(img) if _is_tensor(img) else F_pil.vflip(img)


def crop(img, top, left, height, width):
    """The box at (top, left) of (height, width); zeros where it leaves the image.

    Example: ``crop(img, 0, 0, 32, 32)``."""
    return F_t.crop(img, top, left, height, width) if _is_tensor(img) else F_pil.crop(img, top, left, height, width)


def _compute_resized_output_size(image_size, size, max_size=None):
    """[h, w] for `size` (a one-element list: the shorter side, keeping the aspect ratio; two: (h, w))."""
    h, w = image_size
    if len(size) == 2:
        return [size[0], size[1]]
    short, long = (w, h) if w <= h else (h, w)
    requested = size[0]
    new_short, new_long = requested, int(requested * long / short)
    if max_size is not None:
        if max_size <= requested:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for the "
                             f"smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return [new_h, new_w]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resizes to `size`: (h, w), or an int / [int] for the shorter side (the longer side scaled alike).

    Tensors: ``nn.functional.interpolate`` (antialiased bilinear / bicubic as torchvision's default); PIL
    images: Pillow's resize (always antialiased). Example: ``resize(img, 256)``."""
    interpolation = interpolation_mode(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                             "tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
        size = list(size)
    elif isinstance(size, numbers.Integral):
        size = [int(size)]
    else:
        raise TypeError(f"Size should be int or sequence. Got {type(size)}")
    _, h, w = get_dimensions(img)
    out_size = _compute_resized_output_size((h, w), size, max_size)
    if [h, w] == out_size:
        return img
    if not _is_tensor(img):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.")
        return F_pil.resize(img, out_size, PIL_FILTER[interpolation])
    return F_t.resize(img, out_size, interpolation.value, antialias)


def _parse_padding(padding):
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    return F_pil.ltrb(padding)


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pads every border: `padding` an int (all sides), (left/right, top/bottom) or (left, top, right, bottom)
    (negative crops); `padding_mode` constant (with `fill`), edge, reflect or symmetric.

    Example: ``pad(img, 4, padding_mode="reflect")``."""
    if not _is_tensor(img):
        return F_pil.pad(img, padding, fill, padding_mode)
    ltrb = _parse_padding(padding)
    if fill is None:
        fill = 0
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    return F_t.pad(img, ltrb, fill, padding_mode)


def center_crop(img, output_size):
    """The centre (h, w) (or size x size) part; an image smaller than that is zero-padded first.

    Example: ``center_crop(resize(img, 256), 224)``."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = output_size
    if crop_width > image_width or crop_height > image_height:
        padding = [(crop_width - image_width) // 2 if crop_width > image_width else 0,
                   (crop_height - image_height) // 2 if crop_height > image_height else 0,
                   (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
                   (crop_height - image_height + 1) // 2 if crop_height > image_height else 0]
        img = pad(img, padding, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    top = int(round((image_height - crop_height) / 2.0))
    left = int(round((image_width - crop_width) / 2.0))
    return crop(img, top, left, crop_height, crop_width)


def resized_crop(img, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """``resize(crop(img, top, left, height, width), size)``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def _crop_size(size):
    """five_crop's / ten_crop's size as (h, w)."""
    if isinstance(size, numbers.Number):
        return (int(size), int(size))
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return (size[0], size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return tuple(size)


def five_crop(img, size):
    """(top-left, top-right, bottom-left, bottom-right, centre) crops of (h, w) (or size x size)."""
    size = _crop_size(size)
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = size
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(image_height, image_width)}")
    return (crop(img, 0, 0, crop_height, crop_width),
            crop(img, 0, image_width - crop_width, crop_height, crop_width),
            crop(img, image_height - crop_height, 0, crop_height, crop_width),
            crop(img, image_height - crop_height, image_width - crop_width, crop_height, crop_width),
            center_crop(img, [crop_height, crop_width]))


def ten_crop(img, size, vertical_flip=False):
    """five_crop of the image, then of its mirror (left-right, or top-bottom with ``vertical_flip``)."""
    size = _crop_size(size)
    first = five_crop(img, size)
    return first + five_crop(vflip(img) if vertical_flip else hflip(img), size)


def _get_inverse_affine_matrix(center, angle, translate, scale, shear):
    """The output -> input pixel map (six numbers) of a rotation by `angle` degrees about `center`, then scale,
    shear (degrees) and translation: torchvision's matrix, what Pillow's AFFINE transform takes."""
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


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None):
    """Rotates counter-clockwise by `angle` degrees about `center` ((x, y), default the image centre).

    Tensors are sampled through the inverse map (nearest or bilinear); `expand` grows the output to hold the
    whole image; `fill` colours the pixels from outside. Example: ``rotate(img, 30)``."""
    interpolation = interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not _is_tensor(img):
        return F_pil.rotate(img, angle, PIL_FILTER[interpolation], expand, center, fill)
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return F_t.rotate(img, matrix, interpolation.value, expand, fill)


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None):
    """Rotation (degrees), translation (pixels), scale and shear (degrees: a number for x, or (x, y)) about
    the image centre (or `center`), keeping the image's size. Example: ``affine(img, 10, [2, 0], 1.1, 0)``."""
    interpolation = interpolation_mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    angle = float(angle)
    _, height, width = get_dimensions(img)
    if not _is_tensor(img):
        center = [width * 0.5, height * 0.5] if center is None else center
        matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        return F_pil.affine(img, matrix, PIL_FILTER[interpolation], fill)
    center_f = [0.0, 0.0] if center is None else [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _get_inverse_affine_matrix(center_f, angle, [1.0 * t for t in translate], scale, shear)
    return F_t.affine(img, matrix, interpolation.value, fill)


# ---- colour ------------------------------------------------------------------------------------------
def _colour(name, img, *args):
    return getattr(F_t if _is_tensor(img) else F_pil, name)(img, *args)


def adjust_brightness(img, brightness_factor):
    """Blends with black: 0 black, 1 the image, 2 twice as bright (clamped)."""
    return _colour("adjust_brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor):
    """Blends with the mean grey level: 0 a grey image, 1 the image."""
    return _colour("adjust_contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor):
    """Blends with the grey-level image: 0 grey, 1 the image, 2 twice as saturated."""
    return _colour("adjust_saturation", img, saturation_factor)


def adjust_sharpness(img, sharpness_factor):
    """Blends with a smoothed image: 0 smoothed, 1 the image, 2 sharper."""
    return _colour("adjust_sharpness", img, sharpness_factor)


def adjust_hue(img, hue_factor):
    """Shifts the hue by `hue_factor` (in [-0.5, 0.5], a fraction of the colour circle)."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    return _colour("adjust_hue", img, hue_factor)


def adjust_gamma(img, gamma, gain=1):
    """``gain * img ** gamma`` on values in [0, 1]."""
    return _colour("adjust_gamma", img, gamma, gain)


def rgb_to_grayscale(img, num_output_channels=1):
    """Grey levels (ITU-R 601-2 luma: 0.2989 R + 0.587 G + 0.114 B), 1 or 3 identical channels."""
    if not _is_tensor(img):
        return F_pil.to_grayscale(img, num_output_channels)
    return F_t.rgb_to_grayscale(img, num_output_channels)


def to_grayscale(img, num_output_channels=1):
    """rgb_to_grayscale of a PIL image."""
    if _is_pil(img):
        return F_pil.to_grayscale(img, num_output_channels)
    raise TypeError("Input should be PIL Image")


def invert(img):
    """``max - img`` (255 for uint8, 1.0 for float)."""
    return F_t.invert(img) if _is_tensor(img) else F_pil.invert(img)


# ---- filters and erasing -----------------------------------------------------------------------------
def gaussian_blur(img, kernel_size, sigma=None):
    """Gaussian blur with reflect padding: `kernel_size` odd (kx, ky) or one int, `sigma` (sx, sy) or one
    number (default ``0.3 * ((k - 1) * 0.5 - 1) + 0.8``). Example: ``gaussian_blur(img, 5, 1.5)``."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    if _is_tensor(img):
        return F_t.gaussian_blur(img, kernel_size, sigma)
    if not _is_pil(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    out = F_t.gaussian_blur(pil_to_tensor(img), kernel_size, sigma)
    return to_pil_image(out, mode=img.mode)


def erase(img, i, j, h, w, v, inplace=False):
    """`img` with the box at (i, j) of (h, w) set to `v` (a number or a Tensor that broadcasts)."""
    if not _is_tensor(img):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    data = img._data if inplace else img.detach().cpu().numpy().copy()
    if isinstance(v, Tensor):
        v = v.detach().cpu().numpy()
    data[..., i:i + h, j:j + w] = np.asarray(v).astype(data.dtype, copy=False)
    return img if inplace else F_t._like(data, img)
