"""``torchvision.transforms.v2``: the transforms' class names, plus ``ToImage``, ``ToDtype`` and
``ToPureTensor``; ``v2.functional`` has the operations::

    from autograd_lite.vision.transforms import v2
    transform = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(224, antialias=True), v2.RandomHorizontalFlip(),
                            v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.485, 0.456, 0.406],
                                                                                [0.229, 0.224, 0.225])])

Images are plain Tensors (C, H, W) (no tv_tensors wrappers, boxes or masks); each transform takes one image.
"""
from .. import (Compose, ToTensor, Normalize, Lambda, InterpolationMode, ToPILImage, Resize, CenterCrop,
                RandomRotation, RandomResizedCrop, RandomHorizontalFlip, RandomVerticalFlip, Grayscale, RandomGrayscale,
                ColorJitter, RandomAffine, RandomCrop, Pad, GaussianBlur, RandomErasing, PILToTensor,
                ConvertImageDtype, FiveCrop, TenCrop, RandomApply, RandomChoice, RandomOrder, RandomInvert,
                RandomAdjustSharpness)
from . import functional
from ._conversions import ToImage, ToDtype, ToPureTensor

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "InterpolationMode", "ToPILImage", "Resize", "CenterCrop",
           "RandomRotation", "RandomResizedCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "Grayscale",
           "RandomGrayscale", "ColorJitter", "RandomAffine", "RandomCrop", "Pad", "GaussianBlur", "RandomErasing",
           "PILToTensor", "ConvertImageDtype", "FiveCrop", "TenCrop", "RandomApply", "RandomChoice", "RandomOrder",
           "RandomInvert", "RandomAdjustSharpness", "ToImage", "ToDtype", "ToPureTensor", "functional"]
