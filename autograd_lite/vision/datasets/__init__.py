"""Vision data sets, as ``torchvision.datasets``: MNIST and FashionMNIST (IDX files, verified by
MD5, downloaded on request), ImageFolder over ``root/<class>/<image>``, FakeData (random images),
and the IDX reader."""
from .vision import VisionDataset
from .idx import read_idx
from .mnist import MNIST, FashionMNIST
from .folder import DatasetFolder, ImageFolder
from .fakedata import FakeData

__all__ = ["VisionDataset", "read_idx", "MNIST", "FashionMNIST", "DatasetFolder", "ImageFolder", "FakeData"]
