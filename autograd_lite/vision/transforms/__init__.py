"""Image transforms with ``torchvision.transforms``' names, arguments, semantics and reprs::

    from autograd_lite.vision import transforms
    from autograd_lite.vision.transforms import functional as TF
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])

``ToTensor``, ``Normalize``, ``Compose`` and ``Lambda`` need only NumPy. The image transforms take a PIL
image (through Pillow, ``pip install "autograd_lite[vision]"``; a uint8 NumPy array (H, W) or (H, W, C)
is taken as one) or a Tensor image (..., C, H, W), float in [0, 1] or uint8, batched too: a Tensor in gives
a Tensor out. Each class draws its parameters (from ``autograd_lite.random``, so ``manual_seed``
reproduces them) and calls ``functional``, the one implementation of each operation. ``v2`` has
torchvision.transforms.v2's names (``ToImage``, ``ToDtype``, ...).

Batches: ``ToTensor``, ``Normalize`` and a ``Compose`` of such transforms have ``apply_batch(x)``,
which maps a whole batch of raw images (a uint8 array (B, H, W) or (B, H, W, C)) in one NumPy
expression per transform, giving exactly what transforming each image and stacking would give. A
dataset uses it in ``_collated_batch`` (see ``DataLoader``). Having ``apply_batch`` also tells a
dataset that the transform takes one raw image as a uint8 array: MNIST then skips the PIL image it
gives other transforms (``ToTensor`` of either is the same tensor).
"""
from ._base import Compose, ToTensor, Normalize, Lambda
from ._modes import InterpolationMode
from ._geometry import (Resize, CenterCrop, RandomCrop, RandomResizedCrop, RandomHorizontalFlip, RandomVerticalFlip,
                        Pad, RandomRotation, RandomAffine, FiveCrop, TenCrop)
from ._color import (ColorJitter, GaussianBlur, Grayscale, RandomGrayscale, RandomInvert, RandomAdjustSharpness)
from ._tensors import RandomErasing, PILToTensor, ConvertImageDtype, ToPILImage
from ._container import RandomApply, RandomChoice, RandomOrder
from . import functional

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "InterpolationMode", "ToPILImage", "Resize", "CenterCrop",
           "RandomRotation", "RandomResizedCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "Grayscale",
           "RandomGrayscale", "ColorJitter", "RandomAffine", "RandomCrop", "Pad", "GaussianBlur", "RandomErasing",
           "PILToTensor", "ConvertImageDtype", "FiveCrop", "TenCrop", "RandomApply", "RandomChoice", "RandomOrder",
           "RandomInvert", "RandomAdjustSharpness", "functional"]
