"""FakeData: random images, the same for the same index, as ``torchvision.datasets.FakeData``."""
import numpy as np

from ...tensor import Tensor
from ..transforms.functional import to_pil_image
from .vision import VisionDataset, apply_transforms

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """A data set of ``size`` random images (standard normal pixels, as PIL images) and random
    labels, as ``torchvision.datasets.FakeData``: for smoke tests that need no files.

    Args:
        size: the number of images.
        image_size: (C, H, W) of each image.
        num_classes: labels are drawn from ``range(num_classes)``.
        transform, target_transform: applied to the PIL image and to the label (an int).
        random_offset: added to the index to seed each image.

    Item ``i`` is drawn from its own generator seeded with ``i + random_offset``: it is the same
    every time and leaves the global random state alone, as torchvision's does (the values
    differ from torchvision's, whose generator is another).

    Example::

        >>> data = FakeData(size=8, image_size=(3, 32, 32), transform=transforms.ToTensor())
        >>> image, label = data[0]          # (3, 32, 32) float32 Tensor, an int in 0..9
    """

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        # a negative seed wraps as torch.manual_seed's does (data[-1] is an image there too)
        rng = np.random.Generator(np.random.PCG64((index + self.random_offset) % 2 ** 64))
        img = rng.standard_normal(tuple(self.image_size), dtype=np.float32)
        target = int(rng.integers(0, self.num_classes))
        img = to_pil_image(Tensor._make(img))
        return apply_transforms(self.transform, self.target_transform, img, target)

    def __len__(self):
        return self.size
