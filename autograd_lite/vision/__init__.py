"""Vision: data sets, image transforms, models and plotting helpers, as ``torchvision``::

    from autograd_lite.vision import datasets, transforms, models
    trainset = datasets.MNIST("data", train=True, download=True, transform=transforms.ToTensor())
"""
from . import datasets
from . import models
from . import transforms
from . import utils

__all__ = ["datasets", "models", "transforms", "utils"]
