"""Vision: data sets, image transforms and plotting helpers, as ``torchvision``::

    from autograd_lite.vision import datasets, transforms
    trainset = datasets.MNIST("data", train=True, download=True, transform=transforms.ToTensor())
"""
from . import datasets
from . import transforms
from . import utils

__all__ = ["datasets", "transforms", "utils"]
