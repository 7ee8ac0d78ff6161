"""The inference preset of the classification weights, as ``torchvision.transforms._presets.ImageClassification``:
resize the shorter side, centre crop, scale to [0, 1], normalise. On a PIL image it runs the library's transforms
(Resize, CenterCrop, ToTensor, Normalize); on a Tensor image (C, H, W) or a batch (..., C, H, W), uint8 or float, it
resizes with ``F.interpolate`` (antialiased, as torchvision's tensor path) and crops by slicing."""
from ... import _dtype
from ...nn import functional as F
from ...nn.modules.module import Module
from ...tensor import Tensor
from .. import transforms as T

__all__ = ["ImageClassification"]


class ImageClassification(Module):
    """``ImageClassification(crop_size=224, resize_size=256, mean=..., std=..., interpolation=BILINEAR)``.

    Example::

        >>> preprocess = DenseNet121_Weights.DEFAULT.transforms()
        >>> batch = preprocess(pil_image).unsqueeze(0)          # (1, 3, 224, 224), normalised
    """

    def __init__(self, *, crop_size, resize_size=256, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                 interpolation=T.InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias
        self._normalize = T.Normalize(self.mean, self.std)
        self._pil = None            # Resize, CenterCrop, ToTensor: made on the first PIL image (they need Pillow)

    def forward(self, img):
        if isinstance(img, Tensor):
            img = _center_crop(_resize(img, self.resize_size[0], self.interpolation, self.antialias),
                               self.crop_size[0])
            if not img.is_floating_point():
                img = img.float() / 255.0           # convert_image_dtype: uint8 -> float in [0, 1]
        else:
            if self._pil is None:
                self._pil = T.Compose([T.Resize(self.resize_size, interpolation=self.interpolation),
                                       T.CenterCrop(self.crop_size), T.ToTensor()])
            img = self._pil(img)                    # ToTensor: pil_to_tensor then uint8 -> float / 255
        return self._normalize(img)

    def __repr__(self):
        return (f"{self.__class__.__name__}(\n    crop_size={self.crop_size}\n    resize_size={self.resize_size}\n"
                f"    mean={self.mean}\n    std={self.std}\n    interpolation={self.interpolation}\n)")

    def describe(self):
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image ``torch.Tensor`` "
                f"objects. The images are resized to ``resize_size={self.resize_size}`` using "
                f"``interpolation={self.interpolation}``, followed by a central crop of ``crop_size={self.crop_size}``"
                f". Finally the values are first rescaled to ``[0.0, 1.0]`` and then normalized using "
                f"``mean={self.mean}`` and ``std={self.std}``.")


def _resize(img, size, interpolation, antialias):
    """The shorter side to `size` (the longer int(size * long / short)), as torchvision's tensor resize."""
    if img.ndim < 3:
        raise ValueError(f"ImageClassification: expected a tensor image (..., C, H, W), got shape {tuple(img.shape)}")
    *lead, c, h, w = img.shape
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_h, new_w) == (h, w):
        return img
    mode = interpolation.value
    smooth = mode in ("bilinear", "bicubic")
    x = img.reshape(-1, c, h, w)
    x = x if x.is_floating_point() else x.float()
    out = F.interpolate(x, size=(new_h, new_w), mode=mode, align_corners=False if smooth else None,
                        antialias=bool(antialias) and smooth)
    if not img.is_floating_point():              # back to the integer dtype, rounded as torchvision does
        out = out.round().clamp(0, 255) if img.dtype == _dtype.uint8 else out.round()
        out = out.to(img.dtype)
    return out.reshape(*lead, c, new_h, new_w)


def _center_crop(img, size):
    """The centre size x size of img, zero-padded first where the image is smaller (torchvision's rule)."""
    h, w = img.shape[-2:]
    if size > w or size > h:
        pad_w, pad_h = max(size - w, 0), max(size - h, 0)
        img = F.pad(img, [pad_w // 2, (pad_w + 1) // 2, pad_h // 2, (pad_h + 1) // 2], value=0)
        h, w = img.shape[-2:]
        if (h, w) == (size, size):
            return img
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return img[..., top:top + size, left:left + size]
