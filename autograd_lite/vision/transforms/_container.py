"""Random compositions: RandomApply, RandomChoice, RandomOrder (torchvision's, with their draws from
``autograd_lite.random``)."""
from collections.abc import Sequence

from ... import random as _random


def _lines(transforms):
    return "".join(f"\n    {t}" for t in transforms)


class RandomApply:
    """Applies the list of `transforms` (all, in order) with probability `p`.

    Example: ``RandomApply([ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8)``."""

    def __init__(self, transforms, p=0.5):
        self.transforms, self.p = transforms, p

    def __call__(self, img):
        if self.p < _random.generator().random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return f"{type(self).__name__}(\n    p={self.p}{_lines(self.transforms)}\n)"


class RandomChoice:
    """Applies one transform picked from `transforms` (weighted by `p`, default uniform).

    Example: ``RandomChoice([RandomRotation(10), RandomAffine(0, shear=10)])``."""

    def __init__(self, transforms, p=None):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if p is None:
            p = [1] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != {len(transforms)}")
        total = sum(p)
        self.transforms, self.p = transforms, [x / total for x in p]

    def __call__(self, *args):
        idx = int(_random.generator().choice(len(self.transforms), p=self.p))
        return self.transforms[idx](*args)

    def __repr__(self):
        return f"{type(self).__name__}(transforms={self.transforms}, p={self.p})"


class RandomOrder:
    """Applies all `transforms` in a random order. Example: ``RandomOrder([Grayscale(3), RandomInvert()])``."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for i in _random.generator().permutation(len(self.transforms)):
            img = self.transforms[int(i)](img)
        return img

    def __repr__(self):
        return type(self).__name__ + "(" + _lines(self.transforms) + "\n)"
