"""Plots of images and predictions, as the seed's ``helper.imshow`` and ``helper.view_classify``.

matplotlib is an optional dependency (``pip install "autograd_lite[plot]"``), imported on first
use; with no display (a Linux machine without ``DISPLAY``) the non-interactive Agg backend is
selected, so figures can still be saved with ``fig.savefig``.

Example::

    >>> from autograd_lite.vision import utils
    >>> images, labels = next(iter(trainloader))
    >>> utils.imshow(images[0])                          # undoes Normalize((0.5,), (0.5,))
    >>> ps = F.softmax(model(images[:1].view(1, -1)), dim=1)
    >>> fig = utils.view_classify(images[0], ps)
    >>> fig.savefig("prediction.png")
"""
import os
import sys

import numpy as np

__all__ = ["imshow", "view_classify", "FASHION_CLASSES"]

FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle Boot")
_VERSIONS = {"MNIST": tuple(str(i) for i in range(10)), "Fashion": FASHION_CLASSES}


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
