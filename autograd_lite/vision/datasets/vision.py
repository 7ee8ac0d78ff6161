"""VisionDataset: the root, transforms and printed form shared by the vision datasets."""
import os

from ...utils.data import Dataset

__all__ = ["VisionDataset", "StandardTransform", "apply_transforms"]


class VisionDataset(Dataset):
    """Base class of the vision datasets, as torchvision's: keeps ``root``, ``transform`` (applied
    to the image), ``target_transform`` (applied to the label) or ``transforms`` (applied to both),
    and prints as ``Dataset NAME`` followed by its size, root and extra lines."""

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        self.root = os.path.expanduser(os.fspath(root)) if root is not None else None
        has_separate = transform is not None or target_transform is not None
        if transforms is not None and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as "
                             "argument")
        self.transform, self.target_transform = transform, target_transform
        self.transforms = StandardTransform(transform, target_transform) if has_separate \
            else transforms

    def __len__(self):
        raise NotImplementedError

    def __repr__(self):
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if self.transforms is not None:
            body.append(repr(self.transforms))
        return "\n".join([f"Dataset {type(self).__name__}"] +
                         [" " * self._repr_indent + line for line in body])

    def extra_repr(self):
        return ""


def apply_transforms(transform, target_transform, sample, target):
    """``(transform(sample), target_transform(target))``, each skipped when None."""
    if transform is not None:
        sample = transform(sample)
    if target_transform is not None:
        target = target_transform(target)
    return sample, target


class StandardTransform:
    """``transform`` on the input and ``target_transform`` on the target."""

    def __init__(self, transform=None, target_transform=None):
        self.transform, self.target_transform = transform, target_transform

    def __call__(self, input, target):
        return apply_transforms(self.transform, self.target_transform, input, target)

    @staticmethod
    def _format(transform, head):
        lines = repr(transform).splitlines()
        return [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]

    def __repr__(self):
        body = [type(self).__name__]
        if self.transform is not None:
            body += self._format(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format(self.target_transform, "Target transform: ")
        return "\n".join(body)
