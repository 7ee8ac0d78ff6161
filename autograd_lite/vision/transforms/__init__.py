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
from ._base import Compose, ToTensor, Normalize, Lambda
from ._pil_transforms import (InterpolationMode, ToPILImage, Resize, CenterCrop, RandomRotation, RandomResizedCrop,
                              RandomHorizontalFlip, Grayscale)
from ._color import ColorJitter, GaussianBlur
from ._geometry import RandomAffine, RandomCrop, FiveCrop, TenCrop
from ._tensors import RandomErasing, PILToTensor, ConvertImageDtype

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "InterpolationMode", "ToPILImage", "Resize", "CenterCrop",
           "RandomRotation", "RandomResizedCrop", "RandomHorizontalFlip", "Grayscale", "ColorJitter", "RandomAffine",
           "RandomCrop", "GaussianBlur", "RandomErasing", "PILToTensor", "ConvertImageDtype", "FiveCrop", "TenCrop"]
