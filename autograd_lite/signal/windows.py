"""torch.signal.windows: bartlett, blackman, cosine, exponential, gaussian, general_cosine, general_hamming, hamming,
hann, kaiser, nuttall, with torch's keyword arguments (sym=True: symmetric; False: periodic, one point longer with the
last dropped) and checks. Computed in float64, then cast."""
import math
from collections.abc import Iterable

import numpy as np

from .. import _dtype
from .. import _memory_format as _mf
from ..creation import _finish

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming",
           "hamming", "hann", "kaiser", "nuttall"]


def _checked(name, M, dtype, layout):
    """torch's checks of every window, under the window's name; the dtype."""
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not _mf.strided:
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if dt not in (_dtype.float32, _dtype.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: autograd_lite.{dt.name}")
    return dt


def _window(name, M, dtype, layout, device, requires_grad, values, small=True):
    """Checks as torch's, then `values()` (float64, M points) as a tensor; M of 0 (and 1 where `small`) needs none."""
    dt = _checked(name, M, dtype, layout)
    if M == 0 or (small and M == 1):
        array = np.ones(M, dt.np)
    else:
        array = np.asarray(values(), np.float64).astype(dt.np)
    return _finish(array, dt, device, requires_grad)


def _line(start, step, M):
    return start + step * np.arange(M, dtype=np.float64)


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=_mf.strided, device=None,
                requires_grad=False):
    """``exp(-|n - center| / tau)``. Example: ``autograd_lite.signal.windows.exponential(10, tau=0.5)``"""
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    c = (M if not sym and M > 1 else M - 1) / 2.0 if center is None else center
    return _window("exponential", M, dtype, layout, device, requires_grad,
                   lambda: np.exp(-np.abs(_line(-c / tau, 1 / tau, M))), small=False)


def cosine(M, *, sym=True, dtype=None, layout=_mf.strided, device=None, requires_grad=False):
    """``sin(pi (n + 0.5) / M)``. Example: ``autograd_lite.signal.windows.cosine(10)``"""
    constant = math.pi / (M + 1 if not sym and M > 1 else M) if M else 0.0
    return _window("cosine", M, dtype, layout, device, requires_grad,
                   lambda: np.sin(_line(0.5 * constant, constant, M)), small=False)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=_mf.strided, device=None, requires_grad=False):
    """``exp(-(n - (M - 1) / 2) ** 2 / (2 std ** 2))``. Example: ``autograd_lite.signal.windows.gaussian(10, std=2)``"""
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    start, constant = -(M if not sym and M > 1 else M - 1) / 2.0, 1 / (std * math.sqrt(2))
    return _window("gaussian", M, dtype, layout, device, requires_grad,
                   lambda: np.exp(-_line(start * constant, constant, M) ** 2), small=False)


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=_mf.strided, device=None, requires_grad=False):
    """``I0(beta sqrt(1 - (2 n / N - 1) ** 2)) / I0(beta)``. Example: ``autograd_lite.signal.windows.kaiser(10)``"""
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")

    def values():
        constant = 2.0 * beta / (M if not sym else M - 1)
        k = np.minimum(_line(-beta, constant, M), beta)
        return np.i0(np.sqrt(np.maximum(beta * beta - k * k, 0.0))) / np.i0(beta)
    return _window("kaiser", M, dtype, layout, device, requires_grad, values)


def general_cosine(M, *, a, sym=True, dtype=None, layout=_mf.strided, device=None, requires_grad=False):
    """``sum_i (-1) ** i a[i] cos(2 pi i n / N)``. Example: ``general_cosine(10, a=[0.46, 0.23, 0.31])``"""
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")

    def values():
        k = _line(0.0, 2 * math.pi / (M if not sym else M - 1), M)
        return sum((-1) ** i * w * np.cos(i * k) for i, w in enumerate(a))
    return _window("general_cosine", M, dtype, layout, device, requires_grad, values)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=_mf.strided, device=None, requires_grad=False):
    """``alpha - (1 - alpha) cos(2 pi n / N)``. Example: ``autograd_lite.signal.windows.general_hamming(10)``"""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=_mf.strided, device=None, requires_grad=False):
    """The Hamming window (general_hamming, alpha 0.54). Example: ``autograd_lite.signal.windows.hamming(10)``"""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=_mf.strided, device=None, requires_grad=False):
    """The Hann window (general_hamming, alpha 0.5). Example: ``autograd_lite.signal.windows.hann(10)``"""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=_mf.strided, device=None, requires_grad=False):
    """The Blackman window (general_cosine [0.42, 0.5, 0.08]). Example: ``autograd_lite.signal.windows.blackman(9)``"""
    _checked("blackman", M, dtype, layout)
    return general_cosine(
        M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=_mf.strided, device=None, requires_grad=False):
    """Nuttall's minimum 4-term Blackman-Harris window (checked as general_cosine, as torch's). Example: ``autograd_lite.signal.windows.nuttall(9)``"""
    return general_cosine(
        M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, dtype=dtype, layout=layout, device=device,
        requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=_mf.strided, device=None, requires_grad=False):
    """The triangular window ``1 - |2 n / N - 1|``. Example: ``autograd_lite.signal.windows.bartlett(9)``"""
    return _window("bartlett", M, dtype, layout, device, requires_grad,
                   lambda: 1 - np.abs(_line(-1.0, 2 / (M if not sym else M - 1), M)))

