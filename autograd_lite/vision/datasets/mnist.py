"""MNIST and Fashion-MNIST from their four IDX files, verified by MD5, downloaded on request."""
import os
import warnings

import numpy as np

from ...creation import from_numpy
from .idx import check_idx, read_idx
from .utils import DownloadError, check_integrity, fetch
from .vision import VisionDataset, apply_transforms

__all__ = ["MNIST", "FashionMNIST"]

_image_module = None        # PIL.Image once imported; False where Pillow is missing


def _pil_image(array):
    """The (H, W) uint8 array as a PIL image of mode ``L`` (sharing its memory, read-only, as
    torchvision's ``Image.fromarray``); without Pillow, the array itself, with a warning the first
    time."""
    global _image_module
    if _image_module is None:
        try:
            from PIL import Image as _image_module
        except ImportError:
            _image_module = False
            warnings.warn("MNIST/FashionMNIST: Pillow is not installed, so the images come as (28, "
                          "28) uint8 NumPy arrays, not as the PIL images torchvision gives: pip "
                          'install "autograd_lite[vision]" (transforms.ToTensor() takes either)',
                          UserWarning, stacklevel=3)         # the line that reads the item
    return _image_module.fromarray(array) if _image_module else array


class MNIST(VisionDataset):
    """The MNIST handwritten digits, as ``torchvision.datasets.MNIST``.

    Args:
        root: the folder of the data. The four IDX files (``train-images-idx3-ubyte``,
            ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``,
            each gzipped with ``.gz`` appended or not) are looked for in ``root/MNIST/raw/``
            (torchvision's layout), then in ``root`` itself, then in ``root/mnist/``.
        train: the 60,000 training images (True) or the 10,000 test images (False).
        transform: applied to each image, a PIL image of mode ``L`` (28 x 28), as in torchvision;
            a transform that has ``apply_batch`` (``ToTensor``, ``Normalize``, a ``Compose`` of
            them) takes the (28, 28) uint8 NumPy array instead: the same pixels, no PIL round trip.
        target_transform: applied to each label, a Python int.
        download: fetch the missing or corrupt files from ``mirrors`` into ``root/MNIST/raw/``.
            Only HTTPS mirrors are used unless the environment variable
            ``AUTOGRAD_LITE_ALLOW_HTTP=1`` allows plain HTTP too (the MD5 check still applies).

    Files are checked by the MD5 of their uncompressed content (so recompressed ``.gz`` copies
    pass), read as a stream with nothing kept, before a file is loaded. A check is remembered
    per file for the process, and across processes by a stamp (size, mtime) inside
    ``root/MNIST/raw/``, the only folder written to (downloads go there, uncompressed);
    constructing the dataset again only reads the files. Hostile files cost little memory: a
    download is cut off past the size of the published file, and no gzip file is inflated
    further than its IDX header says.

    Attributes: ``data`` (uint8 Tensor (N, 28, 28)), ``targets`` (int64 Tensor (N,)),
    ``classes``, ``class_to_idx``. ``dataset[i]`` is ``(transform(image), label)``.

    Example::

        >>> transform = transforms.Compose([transforms.ToTensor(),
        ...                                 transforms.Normalize((0.5,), (0.5,))])
        >>> trainset = datasets.MNIST("~/.pytorch/MNIST_data/", download=True, train=True,
        ...                           transform=transform)
        >>> image, label = trainset[0]          # (1, 28, 28) float32 Tensor, 5
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    # (file name, MD5 of the uncompressed file, size of the published .gz, size uncompressed, in
    # bytes); downloads fetch mirror + name + ".gz" and cut it off past either size
    resources = [("train-images-idx3-ubyte", "6bbc9ace898e44ae57da46a324031adb", 9912422, 47040016),
                 ("train-labels-idx1-ubyte", "a25bea736e30d166cdddb491f175f624", 28881, 60008),
                 ("t10k-images-idx3-ubyte", "2646ac647ad5339dbf082846283269ea", 1648877, 7840016),
                 ("t10k-labels-idx1-ubyte", "27ae3e4e09519cfbb04c329615203637", 4542, 10008)]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]
    folder_alias = "mnist"          # the lowercase folder name also accepted under root

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        split = "train" if train else "t10k"
        names = (f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte")
        image_path, label_path = self._load(names, download)
        images, labels = read_idx(image_path), read_idx(label_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{image_path}: expected images, a 3-d IDX file of unsigned bytes; "
                             f"found shape {images.shape} of {images.dtype}")
        if labels.ndim != 1:
            raise ValueError(f"{label_path}: expected labels, a 1-d IDX file; found shape "
                             f"{labels.shape}")
        if len(images) != len(labels):
            raise ValueError(f"{type(self).__name__}: wrong count: {image_path} holds "
                             f"{len(images)} images but {label_path} holds {len(labels)} labels")
        self.data = from_numpy(images)
        self.targets = from_numpy(labels.astype(np.int64))

    # ---- files ------------------------------------------------------------------------------
    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    def _folders(self):
        return [self.raw_folder, self.root, os.path.join(self.root, self.folder_alias)]

    def _find(self, name):
        """The first of ``name`` and ``name.gz`` found in the folders, in order; else None."""
        for folder in self._folders():
            for file in (name, name + ".gz"):
                path = os.path.join(folder, file)
                if os.path.isfile(path):
                    return path
        return None

    def _load(self, names, download):
        """The paths of the files `names`, verified; with `download`, every missing or corrupt
        file of ``resources`` is fetched first."""
        found, failed, unreachable, reasons = {}, {}, set(), {}
        for name, md5, size, content_size in self.resources:
            if not (name in names or download):
                continue
            path = self._find(name)
            if path is not None:
                try:
                    check_integrity(path, md5, check_idx,
                                    stamp=os.path.dirname(path) == self.raw_folder)
                    found[name] = path
                    continue
                except ValueError as e:
                    if not download:
                        raise RuntimeError(f"{e}. Replace it, or pass download=True to download "
                                           "it again") from None
            elif not download:
                raise RuntimeError(f"{type(self).__name__}: {name} not found: looked for {name} "
                                   f"and {name}.gz in {', '.join(self._folders())}. "
                                   + self._where_to_put() + ", or pass download=True")
            os.makedirs(self.raw_folder, exist_ok=True)
            path, errors = fetch(self.mirrors, name + ".gz", md5, size, content_size,
                                 os.path.join(self.raw_folder, name), check_idx, unreachable,
                                 reasons=reasons)
            if path is None:
                failed[name] = errors
            else:
                found[name] = path
        if failed:
            message = (f"{type(self).__name__}: could not download {', '.join(failed)} from any "
                       f"mirror. " + self._where_to_put() + ".\n" +
                       "\n".join(f"  {line}" for errors in failed.values() for line in errors))
            if any(name in failed for name in names):
                raise DownloadError(message, type(self).__name__, failed, self.mirrors, reasons,
                                    unreachable, self.raw_folder)
            warnings.warn(message, stacklevel=3)
        return [found[name] for name in names]

    def _where_to_put(self):
        names = ", ".join(name for name, *_ in self.resources)
        return (f"Put the four files {names} (gzipped with .gz appended or not) in "
                f"{self.raw_folder} or in {self.root} (a script that takes --data-dir or reads "
                "AUTOGRAD_LITE_DATA, as examples/mnist.py does, can point at the folder that "
                "holds them)")

    # ---- samples ----------------------------------------------------------------------------
    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        """``(transform(image), target_transform(label))``, as torchvision's: the image a PIL image
        (mode ``L``), the label an int. A transform with ``apply_batch`` gets the (28, 28) uint8
        view into ``data`` instead; so does everyone without Pillow (told once)."""
        image = self.data.numpy()[index]
        if getattr(self.transform, "apply_batch", None) is None:
            image = _pil_image(image)
        return apply_transforms(self.transform, self.target_transform, image,
                                int(self.targets.numpy()[index]))

    def _collated_batch(self, indices):
        """``default_collate([self[i] for i in indices])`` in one step, for the DataLoader: one
        fancy index into ``data``, then ``transform.apply_batch``. None when the transform has no
        ``apply_batch`` or there is a target_transform (the DataLoader then goes sample by
        sample). With no transform at all, the images come as a uint8 Tensor (B, 28, 28) (what
        collating the uint8 arrays gives; torchvision's collate refuses the PIL images)."""
        if self.target_transform is not None:
            return None
        apply_batch = None
        if self.transform is not None:
            apply_batch = getattr(self.transform, "apply_batch", None)
            if apply_batch is None:
                return None
        indices = np.asarray(indices, dtype=np.int64)
        images = self.data.numpy()[indices]
        images = from_numpy(images) if apply_batch is None else apply_batch(images)
        if isinstance(images, np.ndarray):
            images = from_numpy(images)
        return [images, from_numpy(self.targets.numpy()[indices])]

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST, as ``torchvision.datasets.FashionMNIST``: the same format and
    arguments as MNIST, its files in ``root/FashionMNIST/raw/``, ``root`` or
    ``root/fashion-mnist/``. Ten classes of clothing (``classes``)."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
               "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/"
               "fashion/"]
    resources = [("train-images-idx3-ubyte", "f4a8712d7a061bf5bd6d2ca38dc4d50a", 26421880, 47040016),
                 ("train-labels-idx1-ubyte", "9018921c3c673c538a1fc5bad174d6f9", 29515, 60008),
                 ("t10k-images-idx3-ubyte", "8181f5470baa50b63fa0f6fddb340f0a", 4422102, 7840016),
                 ("t10k-labels-idx1-ubyte", "15d484375f8d13e6eb1aabb0c3f46965", 5148, 10008)]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
               "Bag", "Ankle boot"]
    folder_alias = "fashion-mnist"
