"""``autograd_lite.fft``: torch.fft's discrete Fourier transforms, differentiable (to any order), on every device.

Real input to a complex transform becomes complex (float32 gives complex64, float64 complex128; integers go through
float32). ``n`` / ``s`` zero-pad or crop the transformed dims first; ``norm`` is "backward" (the default: the
inverse transforms scale by 1/n), "ortho" (both by 1/sqrt(n)) or "forward" (the forward ones by 1/n).

Example::

    import autograd_lite as torch
    x = torch.randn(64, requires_grad=True)
    loss = torch.fft.rfft(x).abs().sum()          # a spectral loss
    loss.backward()
"""
import numpy as np

from ..ops import fft as _fft

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn", "irfftn",
           "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]


def _no_out(out):
    if out is not None:
        raise NotImplementedError("autograd_lite.fft: out= is not supported; use the returned tensor")


def _one(n):
    return None if n is None else (n,)


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """The 1-D discrete Fourier transform along `dim` (`n` points: zero-padded or cropped).

    Example: ``torch.fft.fft(torch.tensor([1., 0., 0., 0.]))`` gives ``tensor([1.+0.j, 1.+0.j, 1.+0.j, 1.+0.j])``."""
    _no_out(out)
    return _fft.c2c(input, _one(n), (dim,), norm, False)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """The 1-D inverse discrete Fourier transform along `dim`.

    Example: ``torch.fft.ifft(torch.fft.fft(x))`` is x (as complex)."""
    _no_out(out)
    return _fft.c2c(input, _one(n), (dim,), norm, True)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The 2-D discrete Fourier transform over `dim` (the last two).

    Example: ``torch.fft.fft2(torch.randn(8, 8)).shape`` is ``(8, 8)``."""
    _no_out(out)
    return _fft.c2c(input, s, dim, norm, False)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The 2-D inverse discrete Fourier transform over `dim` (the last two).

    Example: ``torch.fft.ifft2(torch.fft.fft2(x))`` is x (as complex)."""
    _no_out(out)
    return _fft.c2c(input, s, dim, norm, True)


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-D discrete Fourier transform over `dim` (all dims, or the last len(s)).

    Example: ``torch.fft.fftn(torch.randn(4, 4, 4)).dtype`` is complex64."""
    _no_out(out)
    return _fft.c2c(input, s, dim, norm, False)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-D inverse discrete Fourier transform over `dim` (all dims, or the last len(s)).

    Example: ``torch.fft.ifftn(torch.fft.fftn(x))`` is x (as complex)."""
    _no_out(out)
    return _fft.c2c(input, s, dim, norm, True)


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The 1-D transform of a real signal: its n // 2 + 1 non-negative frequencies.

    Example: ``torch.fft.rfft(torch.randn(8)).shape`` is ``(5,)``."""
    _no_out(out)
    return _fft.r2c("rfft", input, _one(n), (dim,), norm)


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of rfft: a real signal of `n` points (default 2 (m - 1)) from its m non-negative frequencies.

    Example: ``torch.fft.irfft(torch.fft.rfft(x), n=x.shape[-1])`` is x."""
    _no_out(out)
    return _fft.c2r(input, _one(n), (dim,), norm)


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The 2-D transform of a real signal, one-sided along the last of `dim`.

    Example: ``torch.fft.rfft2(torch.randn(8, 8)).shape`` is ``(8, 5)``."""
    _no_out(out)
    return _fft.r2c("rfftn", input, s, dim, norm, default_all=False)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The inverse of rfft2.

    Example: ``torch.fft.irfft2(torch.fft.rfft2(x), s=x.shape[-2:])`` is x."""
    _no_out(out)
    return _fft.c2r(input, s, dim, norm, default_all=False)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-D transform of a real signal, one-sided along the last of `dim`.

    Example: ``torch.fft.rfftn(torch.randn(4, 4, 8)).shape`` is ``(4, 4, 5)``."""
    _no_out(out)
    return _fft.r2c("rfftn", input, s, dim, norm)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of rfftn.

    Example: ``torch.fft.irfftn(torch.fft.rfftn(x), s=x.shape)`` is x."""
    _no_out(out)
    return _fft.c2r(input, s, dim, norm)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The 1-D transform of a Hermitian-symmetric signal given by its one-sided half: a real result of `n` points
    (default 2 (m - 1)).

    Example: ``torch.fft.hfft(torch.fft.ihfft(x), n=x.shape[-1])`` is x."""
    _no_out(out)
    return _fft.hermitian_c2r(input, _one(n), (dim,), norm)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of hfft: the one-sided half of the inverse transform of a real signal.

    Example: ``torch.fft.ihfft(torch.randn(8)).shape`` is ``(5,)``."""
    _no_out(out)
    return _fft.hermitian_r2c("ihfft", input, _one(n), (dim,), norm)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The 2-D hfft: a real result from the one-sided half (along the last of `dim`) of a Hermitian signal.

    Example: ``torch.fft.hfft2(torch.fft.ihfft2(x), s=x.shape[-2:])`` is x."""
    _no_out(out)
    return _fft.hermitian_c2r(input, s, dim, norm, default_all=False)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The 2-D ihfft of a real signal: one-sided along the last of `dim`.

    Example: ``torch.fft.ihfft2(torch.randn(4, 8)).shape`` is ``(4, 5)``."""
    _no_out(out)
    return _fft.hermitian_r2c("ihfftn", input, s, dim, norm, default_all=False)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-D hfft.

    Example: ``torch.fft.hfftn(torch.fft.ihfftn(x), s=x.shape)`` is x."""
    _no_out(out)
    return _fft.hermitian_c2r(input, s, dim, norm)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-D ihfft of a real signal.

    Example: ``torch.fft.ihfftn(torch.randn(4, 8)).shape`` is ``(4, 5)``."""
    _no_out(out)
    return _fft.hermitian_r2c("ihfftn", input, s, dim, norm)


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an n-point fft with sample spacing d: ``[0, 1, ..., -1] / (d n)``.

    Example: ``torch.fft.fftfreq(4)`` gives ``tensor([ 0.0000,  0.2500, -0.5000, -0.2500])``."""
    _no_out(out)
    return _fft.frequencies(np.fft.fftfreq, n, d, dtype, device, requires_grad)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an n-point rfft: ``[0, 1, ..., n // 2] / (d n)``.

    Example: ``torch.fft.rfftfreq(4)`` gives ``tensor([0.0000, 0.2500, 0.5000])``."""
    _no_out(out)
    return _fft.frequencies(np.fft.rfftfreq, n, d, dtype, device, requires_grad)


def fftshift(input, dim=None):
    """The zero frequency moved to the middle of `dim` (all dims by default): a roll by half of each size.

    Example: ``torch.fft.fftshift(torch.fft.fftfreq(4))`` gives ``tensor([-0.5000, -0.2500,  0.0000,  0.2500])``."""
    return _fft.shift(input, dim, 1)


def ifftshift(input, dim=None):
    """The inverse of fftshift.

    Example: ``torch.fft.ifftshift(torch.fft.fftshift(x))`` is x."""
    return _fft.shift(input, dim, -1)


from .. import _torch_function as _tf  # noqa: E402  (the functions above become __torch_function__ wrappers)
_tf.install(__name__)
