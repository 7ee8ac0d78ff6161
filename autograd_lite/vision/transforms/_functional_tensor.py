"""The operations on Tensor images (..., C, H, W), float in [0, 1] or integer (torchvision's
``functional_tensor``), vectorised in NumPy. Flips, crops and resizing stay Tensor ops (any device); the
rest maps the array and puts the result back on the input's device. Integer results are rounded (or
truncated where torchvision truncates) back to the input's dtype."""
import math

import numpy as np

from ...nn import functional as _nnf
from ...tensor import Tensor


def _array(img):
    return img.detach().cpu().numpy()


def _like(arr, img):
    """`arr` as a Tensor on `img`'s device."""
    out = Tensor._make(np.ascontiguousarray(arr))
    return out if img.device.type == "cpu" else out.to(img.device)


def _max_value(dtype):
    return 1.0 if dtype.kind == "f" else int(np.iinfo(dtype).max)


def _float_dtype(dtype):
    """The dtype the maths runs in: the image's own if float, else float32 (torchvision's rule)."""
    return dtype if dtype.kind == "f" else np.dtype(np.float32)


def _cast_out(arr, dtype):
    """Float results back to an integer image: rounded, as torchvision's ``_cast_squeeze_out``."""
    if dtype.kind == "f":
        return arr.astype(dtype, copy=False)
    info = np.iinfo(dtype)
    return np.clip(np.round(arr), info.min, info.max).astype(dtype)


def assert_image_tensor(img):
    if img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    """[channels, height, width] of (..., C, H, W) (a (H, W) tensor has one channel)."""
    assert_image_tensor(img)
    return [1 if img.ndim == 2 else img.shape[-3], img.shape[-2], img.shape[-1]]


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


# ---- geometry ---------------------------------------------------------------------------------------
def hflip(img):
    assert_image_tensor(img)
    return img.flip(-1)


def vflip(img):
    assert_image_tensor(img)
    return img.flip(-2)


def crop(img, top, left, height, width):
    """A slice of (..., H, W); zeros where the box leaves the image."""
    assert_image_tensor(img)
    h, w = img.shape[-2:]
    if top >= 0 and left >= 0 and top + height <= h and left + width <= w:
        return img[..., top:top + height, left:left + width]
    pads = [max(-left, 0), max(-top, 0), max(left + width - w, 0), max(top + height - h, 0)]
    inside = img[..., max(top, 0):min(top + height, h), max(left, 0):min(left + width, w)]
    return pad(inside, pads)


def resize(img, size, interpolation="bilinear", antialias=True):
    """`size` = [h, w] through ``nn.functional.interpolate`` (align_corners=False; antialias for bilinear and
    bicubic), integer images computed in float32 and rounded back."""
    assert_image_tensor(img)
    if interpolation not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")
    shape, dtype = tuple(img.shape), img.dtype
    x = img.reshape(-1, 1, shape[-2], shape[-1])          # every channel of every image resized alike
    floating = x.is_floating_point()
    if not floating:
        x = x.float()
    smooth = interpolation in ("bilinear", "bicubic")
    out = _nnf.interpolate(x, size=list(size), mode=interpolation, align_corners=False if smooth else None,
                           antialias=bool(antialias) and smooth)
    if not floating:
        out = out.round()
        if interpolation == "bicubic" or antialias:
            info = np.iinfo(dtype.np)
            out = out.clamp(info.min, info.max)
        out = out.to(dtype)
    return out.reshape(*shape[:-2], *size)


def pad(img, padding, fill=0, padding_mode="constant"):
    """`padding` = [left, top, right, bottom] (negative crops): np.pad's constant, edge, reflect, symmetric."""
    assert_image_tensor(img)
    left, top, right, bottom = padding
    if padding_mode == "symmetric" and min(padding) < 0:
        raise ValueError("Padding can not be negative for symmetric padding_mode")
    h, w = img.shape[-2:]
    if min(padding) < 0:
        img = img[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
        left, top, right, bottom = (max(p, 0) for p in (left, top, right, bottom))
    data = _array(img)
    pads = [(0, 0)] * (data.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode == "constant":
        out = np.pad(data, pads, mode="constant", constant_values=np.asarray(fill).astype(data.dtype))
    else:
        out = np.pad(data, pads, mode=padding_mode)
    return _like(out, img)


def _affine_grid(matrix, w, h, ow, oh, dtype):
    """torchvision's ``_gen_affine_grid``: the sampling points (oh, ow, 2) in grid_sample's [-1, 1] coordinates
    of an output of size (oh, ow) centred on the input's centre; `matrix` the output -> input map."""
    theta = np.asarray(matrix, dtype).reshape(2, 3)
    scaled = theta.T / np.asarray([0.5 * w, 0.5 * h], dtype)          # (3, 2): rows x, y, 1
    xs = np.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, ow, dtype=dtype)
    ys = np.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, oh, dtype=dtype)[:, None]
    grid = np.empty((oh, ow, 2), dtype)
    for k in range(2):                          # [x, y, 1] @ scaled, as outer sums (a (N, 3) matmul is slow)
        grid[..., k] = xs * scaled[0, k] + ys * scaled[1, k] + scaled[2, k]
    return grid


def _gather(x, iy, ix, weight):
    """x (B, C, H, W) at the pixels (iy, ix) (oh, ow), times `weight`; indices outside count as zero."""
    h, w = x.shape[-2:]
    inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    flat = np.clip(iy, 0, h - 1) * w + np.clip(ix, 0, w - 1)
    vals = np.take(x.reshape(*x.shape[:-2], h * w), flat, axis=-1)
    return vals * np.where(inside, weight, 0).astype(x.dtype, copy=False)


def _grid_sample(x, grid, mode):
    """``F.grid_sample(x, grid, mode, padding_mode="zeros", align_corners=False)`` for x (B, C, H, W) and one
    grid (oh, ow, 2) shared by the batch."""
    h, w = x.shape[-2:]
    ix = ((grid[..., 0] + 1) * w - 1) / 2
    iy = ((grid[..., 1] + 1) * h - 1) / 2
    if mode == "nearest":
        return _gather(x, np.rint(iy).astype(np.int64), np.rint(ix).astype(np.int64), 1)
    x0, y0 = np.floor(ix), np.floor(iy)
    tx, ty = ix - x0, iy - y0
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    return (_gather(x, y0, x0, (1 - tx) * (1 - ty)) + _gather(x, y0, x0 + 1, tx * (1 - ty))
            + _gather(x, y0 + 1, x0, (1 - tx) * ty) + _gather(x, y0 + 1, x0 + 1, tx * ty))


def _apply_grid_transform(img, grid, mode, fill):
    """Samples `img` at `grid`; with `fill`, a ones channel sampled alongside marks the pixels that came from
    inside the image, and the others take `fill` (nearest: mask < 0.5; bilinear: blended), as torchvision."""
    data = _array(img)
    dtype = data.dtype
    x = data.astype(grid.dtype).reshape(-1, *data.shape[-3:]) if data.ndim > 2 else \
        data.astype(grid.dtype)[None, None]
    if fill is not None:
        x = np.concatenate([x, np.ones_like(x[:, :1])], axis=1)
    out = _grid_sample(x, grid, mode)
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:]
        values = fill if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = np.asarray(values, out.dtype).reshape(1, -1, 1, 1)
        if mode == "nearest":
            out = np.where(mask < 0.5, fill_img, out)
        else:
            out = out * mask + (1.0 - mask) * fill_img
    out = _cast_out(out, dtype)
    return _like(out.reshape(*data.shape[:-2], *out.shape[-2:]), img)


def check_grid_inputs(img, fill, interpolation):
    assert_image_tensor(img)
    channels = get_dimensions(img)[0]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the number of channels of "
                         f"the image ({len(fill)} != {channels})")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def affine(img, matrix, interpolation="nearest", fill=None):
    check_grid_inputs(img, fill, interpolation)
    h, w = img.shape[-2:]
    grid = _affine_grid(matrix, w, h, w, h, _float_dtype(img.dtype.np))
    return _apply_grid_transform(img, grid, interpolation, fill)


def _affine_output_size(matrix, w, h):
    """The (width, height) that holds the whole image under `matrix` (rotate's expand=True)."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, -0.5 * h, 1.0]], np.float32)
    new = pts @ np.asarray(matrix, np.float32).reshape(2, 3).T
    shift = np.array([w * 0.5, h * 0.5], np.float32)        # to [0, w] x [0, h], as Pillow's expand
    tol = np.float32(1e-4)
    cmax = np.ceil(np.trunc((new.max(axis=0) + shift) / tol) * tol)     # tolerance: 89.99999 degrees is 90
    cmin = np.floor(np.trunc((new.min(axis=0) + shift) / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def rotate(img, matrix, interpolation="nearest", expand=False, fill=None):
    check_grid_inputs(img, fill, interpolation)
    h, w = img.shape[-2:]
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    grid = _affine_grid(matrix, w, h, ow, oh, _float_dtype(img.dtype.np))
    return _apply_grid_transform(img, grid, interpolation, fill)


# ---- colour -----------------------------------------------------------------------------------------
def _blend(img1, img2, ratio):
    """ratio * img1 + (1 - ratio) * img2 clamped to the image's range, truncated back to integers."""
    bound, ft = _max_value(img1.dtype), _float_dtype(img1.dtype)
    out = np.clip(ratio * img1.astype(ft) + (1.0 - ratio) * np.asarray(img2).astype(ft, copy=False), 0, bound)
    return out.astype(img1.dtype, copy=False)


def _gray(data):
    """ITU-R 601-2 luma of (..., 3, H, W), (..., 1, H, W) out, truncated for integer images."""
    r, g, b = (data[..., i, :, :].astype(_float_dtype(data.dtype)) for i in range(3))
    return (0.2989 * r + 0.587 * g + 0.114 * b).astype(data.dtype)[..., None, :, :]


def rgb_to_grayscale(img, num_output_channels=1):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    data = _array(img)
    out = _gray(data) if data.shape[-3] == 3 else data.copy()
    if num_output_channels == 3:
        out = np.broadcast_to(out, data.shape)
    return _like(out, img)


def _color_op(img, permitted, fn):
    assert_image_tensor(img)
    _assert_channels(img, permitted)
    return _like(fn(_array(img)), img)


def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    return _color_op(img, [1, 3], lambda a: _blend(a, np.zeros((), np.float32), brightness_factor))


def adjust_contrast(img, contrast_factor):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")

    def contrast(a):
        gray = _gray(a) if a.shape[-3] == 3 else a
        mean = gray.astype(np.float64).mean(axis=(-3, -2, -1), keepdims=True).astype(_float_dtype(a.dtype))
        return _blend(a, mean, contrast_factor)
    return _color_op(img, [3, 1], contrast)


def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    return _color_op(img, [1, 3], lambda a: a if a.shape[-3] == 1 else _blend(a, _gray(a), saturation_factor))


def adjust_sharpness(img, sharpness_factor):
    """Blends with the image smoothed by [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13 (its border kept)."""
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")

    def sharpness(a):
        if a.shape[-1] <= 2 or a.shape[-2] <= 2:
            return a
        x = a.astype(_float_dtype(a.dtype))
        inner = sum(x[..., i:x.shape[-2] - 2 + i, j:x.shape[-1] - 2 + j] for i in range(3) for j in range(3))
        inner = (inner + 4 * x[..., 1:-1, 1:-1]) / np.asarray(13, x.dtype)
        degenerate = a.copy()
        degenerate[..., 1:-1, 1:-1] = _cast_out(inner, a.dtype)
        return _blend(a, degenerate, sharpness_factor)
    return _color_op(img, [1, 3], sharpness)


def _rgb_to_hsv(img):
    r, g, b = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    maxc, minc = img.max(axis=-3), img.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    cr_divisor = np.where(eqc, ones, cr)
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


def adjust_hue(img, hue_factor):
    """Shifts the hue in HSV space (float32 for integer images, converted as ``convert_image_dtype``)."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")

    def hue(a):
        if a.shape[-3] == 1:
            return a
        floats = convert_dtype(a, np.dtype(np.float32)) if a.dtype.kind != "f" else a
        hsv = _rgb_to_hsv(floats)
        hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + hue_factor, 1.0)
        rgb = _hsv_to_rgb(hsv)
        return rgb if a.dtype.kind == "f" else convert_dtype(rgb, a.dtype)
    return _color_op(img, [1, 3], hue)


def adjust_gamma(img, gamma, gain=1):
    """``gain * x ** gamma`` clamped to [0, 1] (integer images through float32)."""
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")

    def gamma_fn(a):
        x = a if a.dtype.kind == "f" else convert_dtype(a, np.dtype(np.float32))
        out = np.clip(gain * x ** np.asarray(gamma, x.dtype), 0, 1).astype(x.dtype, copy=False)
        return out if a.dtype.kind == "f" else convert_dtype(out, a.dtype)
    return _color_op(img, [1, 3], gamma_fn)


def invert(img):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    return _color_op(img, [1, 3], lambda a: (np.asarray(_max_value(a.dtype), a.dtype) - a).astype(a.dtype))


def convert_dtype(src, dst):
    """torchvision's ``convert_image_dtype`` on arrays: uint8 255 <-> float 1.0 (float -> int as
    ``x * (max + 1 - 1e-3)`` truncated), integers by powers of two."""
    if src.dtype == dst:
        return src
    if src.dtype.kind == "f":
        if dst.kind == "f":
            return src.astype(dst)
        return (src * src.dtype.type(_max_value(dst) + 1.0 - 1e-3)).astype(dst)
    in_max = _max_value(src.dtype)
    if dst.kind == "f":
        return src.astype(dst) / dst.type(in_max)
    out_max = _max_value(dst)
    if in_max > out_max:
        return (src // ((in_max + 1) // (out_max + 1))).astype(dst)
    return src.astype(dst) * dst.type((out_max + 1) // (in_max + 1))


# ---- filters ----------------------------------------------------------------------------------------
def _gaussian_kernel1d(ksize, sigma, dtype):
    half = (ksize - 1) * 0.5
    x = np.linspace(-half, half, ksize).astype(dtype)
    pdf = np.exp(-0.5 * (x / dtype.type(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma):
    """`kernel_size` = [kx, ky], `sigma` = [sx, sy]: a separable Gaussian over reflect padding (torchvision's
    kernel; its 2-D product applied as two 1-D passes)."""
    assert_image_tensor(img)

    def blur(a):
        dtype = _float_dtype(a.dtype)
        kx = _gaussian_kernel1d(kernel_size[0], sigma[0], dtype)
        ky = _gaussian_kernel1d(kernel_size[1], sigma[1], dtype)
        px, py = kernel_size[0] // 2, kernel_size[1] // 2
        x = np.pad(a.astype(dtype), [(0, 0)] * (a.ndim - 2) + [(py, py), (px, px)], mode="reflect")
        h, w = a.shape[-2:]
        rows = sum(ky[i] * x[..., i:i + h, :] for i in range(len(ky)))
        return _cast_out(sum(kx[j] * rows[..., :, j:j + w] for j in range(len(kx))), a.dtype)
    return _like(blur(_array(img)), img)
