"""InterpolationMode (torchvision's resampling names) and its Pillow filter constants; needs no Pillow."""
from enum import Enum


class InterpolationMode(Enum):
    """Resampling filters, as ``torchvision.transforms.InterpolationMode``.

    Example: ``transforms.Resize(256, interpolation=InterpolationMode.BICUBIC)``."""
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


# Pillow's integer constants (Image.Resampling) for each mode
PIL_FILTER = {InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0,
              InterpolationMode.LANCZOS: 1, InterpolationMode.BILINEAR: 2,
              InterpolationMode.BICUBIC: 3, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5}


_MODE_OF_FILTER = {0: InterpolationMode.NEAREST, 1: InterpolationMode.LANCZOS,
                   2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
                   4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING}


def interpolation_mode(mode):
    """`mode` as an InterpolationMode: a Pillow integer constant (or a mode's string) is converted, as
    torchvision accepts; anything else is torchvision's TypeError."""
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, int) and not isinstance(mode, bool) and mode in _MODE_OF_FILTER:
        return _MODE_OF_FILTER[mode]
    if isinstance(mode, str):
        try:
            return InterpolationMode(mode)
        except ValueError:
            pass
    raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                    "constant")
