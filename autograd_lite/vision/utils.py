"""Image grids and files, as ``torchvision.utils`` (``make_grid``, ``save_image``), and plots of
images and predictions, as the seed's ``helper.imshow`` and ``helper.view_classify``.

matplotlib is an optional dependency (``pip install "autograd_lite[plot]"``), imported on first
use; with no display (a Linux machine without ``DISPLAY``) the non-interactive Agg backend is
selected, so figures can still be saved with ``fig.savefig``.

Example::

    >>> from autograd_lite.vision import utils
    >>> images, labels = next(iter(trainloader))
    >>> utils.save_image(images[:16], "batch.png", nrow=4, normalize=True)   # needs Pillow
    >>> utils.imshow(images[0])                          # undoes Normalize((0.5,), (0.5,))
    >>> ps = F.softmax(model(images[:1].view(1, -1)), dim=1)
    >>> fig = utils.view_classify(images[0], ps)
    >>> fig.savefig("prediction.png")
"""
import math
import os
import sys

import numpy as np

from ..creation import from_numpy
from ..ops.shape import stack
from ..tensor import Tensor

__all__ = ["make_grid", "save_image", "imshow", "view_classify", "FASHION_CLASSES"]

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle Boot")
_VERSIONS = {"MNIST": tuple(str(i) for i in range(10)), "Fashion": FASHION_CLASSES}


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """The images of a batch tiled into one image (C, H', W'), as ``torchvision.utils.make_grid``.

    Args:
        tensor: a batch (B, C, H, W), one image (C, H, W) or (H, W), or a list of same-sized images.
            One-channel images become three-channel (the channel repeated).
        nrow: images per row of the grid.
        padding: pixels between images and around the grid, filled with ``pad_value``.
        normalize: shift to [0, 1] by ``value_range`` (min, max), by default the tensor's own
            min and max (each image's own with ``scale_each=True``), clamping first.

    The result has the input's dtype and device and no gradient history.

    Example::

        >>> grid = make_grid(torch.rand(10, 1, 28, 28), nrow=5)     # (3, 62, 152)
    """
    if not isinstance(tensor, Tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not isinstance(t, Tensor):
                    raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        tensor = stack([t.detach() for t in tensor], dim=0)
    device = tensor.device
    a = tensor.detach().cpu().numpy()
    if a.ndim == 2:                                  # one image H x W
        a = a[None]
    if a.ndim == 3:                                  # one image C x H x W
        a = a[None]
    if a.ndim == 4 and a.shape[1] == 1:              # gray: three channels, as torchvision
        a = np.concatenate((a, a, a), axis=1)
    if normalize is True:                            # torchvision's test: a truthy non-True is no request
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        a = a.copy()                                 # the caller's tensor is left as it was
        for img in (a if scale_each else (a,)):
            low, high = value_range if value_range is not None else (float(img.min()), float(img.max()))
            np.clip(img, low, high, out=img)
            img -= np.asarray(low, img.dtype)       # in place, in the tensor's dtype, as torch's sub_/div_
            img /= np.asarray(max(high - low, 1e-5), img.dtype)
    if a.shape[0] == 1:
        return from_numpy(np.ascontiguousarray(a[0])).to(device)
    nmaps = a.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(a.shape[2] + padding), int(a.shape[3] + padding)
    grid = np.full((a.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value, dtype=a.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding:(y + 1) * height, x * width + padding:(x + 1) * width] = a[k]
    return from_numpy(grid).to(device)


def save_image(tensor, fp, format=None, **kwargs):
    """Writes a tensor (or a batch, as a ``make_grid`` of it) as an image file with Pillow, as
    ``torchvision.utils.save_image``: values in [0, 1] map to 0..255 (rounded, clamped).

    Args:
        tensor: an image or batch, as ``make_grid`` takes.
        fp: a file name or a binary file object.
        format: the image format (e.g. ``"PNG"``); from the file name's extension when None.
        **kwargs: ``make_grid``'s arguments (``nrow``, ``padding``, ``normalize``, ...).

    Example::

        >>> save_image(torch.rand(64, 1, 28, 28), "sample.png")     # an 8 x 8 grid
    """
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('save_image needs Pillow: pip install "autograd_lite[vision]"') from None
    grid = make_grid(tensor, **kwargs).detach().cpu().numpy()
    # +0.5 then truncation rounds to the nearest integer, as torchvision
    ndarr = np.clip(grid * np.asarray(255, grid.dtype) + np.asarray(0.5, grid.dtype), 0, 255)
    ndarr = ndarr.transpose(1, 2, 0).astype(np.uint8)
    Image.fromarray(ndarr).save(fp, format=format)


def _pyplot():
    """matplotlib.pyplot, with the Agg backend when there is no display to show figures on."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError('autograd_lite.vision.utils needs matplotlib: '
                          'pip install "autograd_lite[plot]"') from None
    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or
                                                         os.environ.get("WAYLAND_DISPLAY"))
    if headless and "MPLBACKEND" not in os.environ and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _to_numpy(x):
    """A NumPy array of a Tensor (any device, detached) or of anything array-like."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _image(x, fn):
    """An image array (H, W) or (H, W, C) of an HW, CHW or flat square tensor/array."""
    a = _to_numpy(x)
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[2] not in (1, 3, 4):
        a = a.transpose(1, 2, 0)                     # CHW -> HWC
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    side = int(np.sqrt(a.size))
    if a.size > 1 and a.size == max(a.shape) and side * side == a.size:
        a = a.reshape(side, side)                    # a flattened square image, e.g. (1, 784)
    if a.ndim not in (2, 3):
        raise ValueError(f"{fn}: expected an image of shape (H, W), (C, H, W) or (H*W,), "
                         f"got {tuple(_to_numpy(x).shape)}")
    return a


def imshow(image, ax=None, title=None, normalize=True, *, mean=0.5, std=0.5):
    """Shows an image tensor (C, H, W) or (H, W) on ``ax`` (a new figure when None); returns ax.

    Args:
        image: the image, e.g. one of a batch from a DataLoader.
        ax: a matplotlib Axes to draw on.
        title: the axes' title.
        normalize: undo ``Normalize(mean, std)`` (default the seed's 0.5 / 0.5) and clip to [0, 1]
            before showing, as the course's ``helper.imshow`` does.
        mean, std: per-channel values (or one number) of the Normalize to undo.
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    img = _image(image, "imshow").astype(np.float32)
    if normalize:
        img = np.clip(img * np.asarray(std, np.float32) + np.asarray(mean, np.float32), 0, 1)
    if img.ndim == 2:
        ax.imshow(img, cmap="gray", vmin=0 if normalize else None, vmax=1 if normalize else None)
    else:
        ax.imshow(img)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="both", length=0)
    ax.set_xticklabels("")
    ax.set_yticklabels("")
    if title is not None:
        ax.set_title(title)
    return ax


def view_classify(img, ps, version="MNIST", axes=None):
    """The image beside a horizontal bar chart of its ten class probabilities; returns the figure.

    Args:
        img: the image (1, 28, 28), (28, 28) or (784,), as a tensor or an array.
        ps: the class probabilities, shape (10,) or (1, 10) (e.g. ``F.softmax(logits, dim=1)`` or
            ``torch.exp(log_probs)``).
        version: ``"MNIST"`` (digits 0-9) or ``"Fashion"`` (Fashion-MNIST's class names).
        axes: a pair of matplotlib Axes (image, bars) to draw on, e.g. two cells of a larger
            figure; by default a new 6x9 inch figure, as the course's helper makes.
    """
    if version not in _VERSIONS:
        raise ValueError(f"view_classify: version must be one of {sorted(_VERSIONS)}, got "
                         f"{version!r}")
    labels = _VERSIONS[version]
    p = _to_numpy(ps).reshape(-1)
    if p.size != len(labels):
        raise ValueError(f"view_classify: expected {len(labels)} class probabilities, got "
                         f"shape {tuple(_to_numpy(ps).shape)}")
    image = _image(img, "view_classify")
    if axes is None:
        fig, (ax1, ax2) = _pyplot().subplots(figsize=(6, 9), ncols=2)
    else:
        ax1, ax2 = axes
        fig = ax1.figure
    ax1.imshow(image, cmap="gray")
    ax1.axis("off")
    ax2.barh(np.arange(len(labels)), p)
    ax2.set_yticks(np.arange(len(labels)))
    ax2.set_yticklabels(labels, size="small")
    ax2.set_title("Class Probability")
    ax2.set_xlim(0, 1.1)
    if axes is None:
        ax2.set_aspect(0.1)
        fig.tight_layout()
    return fig
