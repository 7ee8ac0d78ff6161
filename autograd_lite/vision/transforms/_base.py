"""The transforms that need only NumPy: Compose, ToTensor, Normalize, Lambda; Pillow, found on demand."""
import sys

import numpy as np

from ..._dtype import from_numpy_dtype
from ...backend import backend_of
from ...tensor import Tensor


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
        return to_tensor(pic)

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


def to_tensor(pic):
    """``torchvision.transforms.functional.to_tensor``: a PIL image or array (H, W[, C]) -> a Tensor (C, H, W),
    uint8 scaled to float32 in [0, 1]. Example: ``to_tensor(np.zeros((2, 2), np.uint8)).shape == (1, 2, 2)``."""
    if _is_pil(pic):
        arr = 255 * np.asarray(pic, np.uint8) if pic.mode == "1" else \
            np.asarray(pic, _NP_TYPE_OF_MODE.get(pic.mode, np.uint8))
        arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    return _scaled(arr.transpose(2, 0, 1))


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
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)} (put ToTensor() before Normalize)")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.ndim < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                             f"{tensor.shape}")
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


def normalize(tensor, mean, std, inplace=False):
    """``torchvision.transforms.functional.normalize``: ``(tensor - mean) / std`` per channel of a float Tensor
    (..., C, H, W). Example: ``normalize(to_tensor(img), [0.5], [0.5])``."""
    return Normalize(mean, std, inplace)(tensor)


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
