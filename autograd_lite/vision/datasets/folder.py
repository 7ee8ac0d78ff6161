"""DatasetFolder and ImageFolder: samples in ``root/<class>/...``, one folder per class."""
import os

from .vision import VisionDataset, apply_transforms

__all__ = ["DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "pil_loader", "default_loader",
           "has_file_allowed_extension", "find_classes", "make_dataset"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def _pil_image():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('Loading images needs Pillow, an optional dependency: '
                          'pip install "autograd_lite[vision]"') from None
    return Image


def pil_loader(path):
    """The image at `path` as an RGB PIL image (Pillow's lazy file handle closed)."""
    with open(path, "rb") as f:
        return _pil_image().open(f).convert("RGB")


default_loader = pil_loader


def has_file_allowed_extension(filename, extensions):
    return filename.lower().endswith(extensions if isinstance(extensions, str)
                                     else tuple(extensions))


def find_classes(directory):
    """``(classes, class_to_idx)``: the sorted names of the sub-folders of `directory`."""
    classes = sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {name: i for i, name in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None,
                 allow_empty=False):
    """``[(path, class index)]`` of the files under each class folder (recursively, sorted) that
    have one of `extensions` or pass `is_valid_file` (exactly one of the two is given)."""
    directory = os.path.expanduser(os.fspath(directory))
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the "
                         "same time")
    if extensions is not None:
        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)
    samples, empty = [], []
    for name in sorted(class_to_idx):
        before = len(samples)
        for folder, _, files in sorted(os.walk(os.path.join(directory, name), followlinks=True)):
            samples += [(os.path.join(folder, f), class_to_idx[name]) for f in sorted(files)
                        if is_valid_file(os.path.join(folder, f))]
        if len(samples) == before:
            empty.append(name)
    if empty and not allow_empty:
        message = f"Found no valid file for the classes {', '.join(empty)}. "
        if extensions is not None:
            message += f"Supported extensions are: {', '.join(extensions)}"
        raise FileNotFoundError(message)
    return samples


class DatasetFolder(VisionDataset):
    """Samples ``root/<class>/.../<file>`` read by ``loader``, labelled by the index of their
    class folder among the sorted class folders, as ``torchvision.datasets.DatasetFolder``.

    Attributes: ``classes``, ``class_to_idx``, ``samples`` (list of (path, class index)),
    ``targets`` (the class index of each sample)."""

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, self.class_to_idx, extensions, is_valid_file,
                                         allow_empty)
        self.loader, self.extensions = loader, extensions
        self.targets = [target for _, target in self.samples]

    def find_classes(self, directory):
        return find_classes(directory)

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                     allow_empty=False):
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def __getitem__(self, index):
        path, target = self.samples[index]
        return apply_transforms(self.transform, self.target_transform, self.loader(path), target)

    def __len__(self):
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images in ``root/<class>/xxx.png`` (any of ``IMG_EXTENSIONS``), as
    ``torchvision.datasets.ImageFolder``: ``dataset[i]`` is ``(transform(image), class index)``
    where the image is an RGB PIL image (Pillow: ``pip install "autograd_lite[vision]"``).

    Example::

        >>> train_data = datasets.ImageFolder("Cat_Dog_data/train", transform=train_transforms)
        >>> train_data.classes                  # ['cat', 'dog']
        >>> image, label = train_data[0]
    """

    def __init__(self, root, transform=None, target_transform=None, loader=None,
                 is_valid_file=None, allow_empty=False):
        if loader is None:
            _pil_image()                      # fail now, not at the first sample
            loader = default_loader
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
