"""Short-time Fourier transforms: stft and istft, as PyTorch's, made of differentiable ops (reflect padding, unfold,
the window product, torch.fft's transforms, fold's overlap-add), so their gradients of every order come with them."""
import warnings

from .. import _api
from ..tensor import Tensor
from . import fft as _fft
from .complex_numbers import complex as _complex, view_as_real

declare = _api.declare


_NO_WINDOW = {
    "stft": "A window was not provided. A rectangular window will be applied,which is known to cause spectral "
            "leakage. Other windows such as torch.hann_window or torch.hamming_window are recommended to reduce "
            "spectral leakage.To suppress this warning and use a rectangular window, explicitly set "
            "`window=torch.ones(n_fft, device=<device>)`.",
    "istft": "A window was not provided. A rectangular window will be applied.Please provide the same window used "
             "by stft to make the inversion lossless.To suppress this warning and use a rectangular window, "
             "explicitly set `window=torch.ones(n_fft, device=<device>)`."}


def _frame_window(op, window, n_fft, win_length, like):
    """The window (ones when None, with PyTorch's warning) zero-padded at both ends to n_fft, as PyTorch centres
    it."""
    from .. import creation
    if window is None:
        warnings.warn(_NO_WINDOW[op], UserWarning, stacklevel=3)
        window = creation.ones(win_length, dtype=like.dtype.to_real(), device=like.device)
    elif window.ndim != 1 or window.shape[0] != win_length:
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length={win_length}, but got "
                           f"window with size {list(window.shape)}")
    left = (n_fft - win_length) // 2
    if left or n_fft - win_length - left:
        window = _api.FUNCTIONAL["pad"](window, (left, n_fft - win_length - left))
    return window


def _lengths(op, n_fft, hop_length, win_length):
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if hop_length <= 0:
        raise RuntimeError(f"{op}: expected hop_length > 0, but got hop_length={hop_length}")
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"{op}: expected 0 < win_length <= n_fft, but got win_length={win_length}")
    return hop_length, win_length


@declare
def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None):
    """The short-time Fourier transform of a 1-D signal or a batch of them (B, L): (B?, n_fft // 2 + 1, frames)
    complex (all n_fft frequencies when onesided=False or the input is complex). return_complex=True is required
    for real input, as in PyTorch 2 (False returns the deprecated view_as_real layout, with a warning).

    Example: ``torch.stft(x, 512, hop_length=128, window=torch.hann_window(512), return_complex=True).abs()``"""
    if not isinstance(input, Tensor):
        raise TypeError(f"stft(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    is_complex = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None:
        if not is_complex:
            raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will "
                               "further require that return_complex=True in a future PyTorch release.")
        return_complex = True
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got {input.ndim}D tensor")
    hop_length, win_length = _lengths("stft", n_fft, hop_length, win_length)
    x = input if input.ndim == 2 else input.unsqueeze(0)
    if center:
        pad = n_fft // 2
        x = _api.FUNCTIONAL["pad"](x.unsqueeze(0), (pad, pad), mode=pad_mode).squeeze(0)
    length = x.shape[-1]
    if not 0 < n_fft <= length:
        raise RuntimeError(f"stft: expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    frames = x.unfold(-1, n_fft, hop_length) * _frame_window("stft", window, n_fft, win_length, x)      # (B, T, n_fft)
    onesided = not is_complex if onesided is None else onesided
    if onesided and is_complex:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    spec = (_fft.r2c("stft", frames, None, (-1,), norm) if onesided else
            _fft.c2c(frames, None, (-1,), norm, False)).transpose(-1, -2)
    if input.ndim == 1:
        spec = spec.squeeze(0)
    if not return_complex:
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch release, stft will return "
                      "complex tensors for all inputs, and return_complex=False will raise an error.\nNote: you can "
                      "still call torch.view_as_real on the complex output to recover the old return format.",
                      UserWarning, stacklevel=2)
        return view_as_real(spec)
    return spec


def _overlap_add(frames, hop_length, n_frames, n_fft):
    """Sum of the frames (B, n_fft, T) laid out every hop_length samples: (B, L); fold's col2im, on each part of a
    complex tensor."""
    fold = _api.FUNCTIONAL["fold"]
    out_len = n_fft + hop_length * (n_frames - 1)

    def add(part):
        return fold(part, output_size=(1, out_len), kernel_size=(1, n_fft), stride=(1, hop_length)).reshape(
            part.shape[0], out_len)
    if frames.is_complex():
        return _complex(add(frames.real), add(frames.imag))
    return add(frames)


@declare
def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """The inverse of stft (least-squares overlap-add, as PyTorch's): a complex (B?, freqs, frames) spectrum back to
    the signal (B?, L).

    Example: ``torch.istft(torch.stft(x, 64, window=w, return_complex=True), 64, window=w, length=x.shape[-1])``
    is x."""
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex, but got {input.ndim}D")
    hop_length, win_length = _lengths("istft", n_fft, hop_length, win_length)
    spec = input if input.ndim == 3 else input.unsqueeze(0)
    n_freq, n_frames = spec.shape[-2], spec.shape[-1]
    onesided = (n_freq != n_fft) if onesided is None else onesided
    if onesided and n_fft // 2 + 1 != n_freq:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input tensor to match "
                           f"n_fft / 2 + 1 when onesided=True, but got {n_freq}")
    if not onesided and n_freq != n_fft:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input tensor to match "
                           f"n_fft when onesided=False, but got {n_freq}")
    if onesided and return_complex:
        raise RuntimeError("cannot have onesided output if window or input is complex")
    norm = "ortho" if normalized else "backward"
    frames = spec.transpose(-1, -2)                                                # (B, T, F)
    frames = _fft.c2r(frames, (n_fft,), (-1,), norm) if onesided else _fft.c2c(frames, None, (-1,), norm, True)
    if not return_complex and frames.is_complex():
        frames = frames.real
    win = _frame_window("istft", window, n_fft, win_length, frames)
    frames = (frames * win).transpose(-1, -2)                                      # (B, n_fft, T)
    y = _overlap_add(frames, hop_length, n_frames, n_fft)
    envelope = _overlap_add((win * win).reshape(1, n_fft, 1).expand(1, n_fft, n_frames), hop_length, n_frames,
                            n_fft)
    expected = n_fft + hop_length * (n_frames - 1)
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else -(n_fft // 2) if center else expected
    y, envelope = y[:, start:end], envelope[:, start:end]
    if bool((envelope.abs() < 1e-11).any()):
        raise RuntimeError("istft(...) window overlap add min: 1e-11")
    y = y / envelope
    if end > expected:
        warnings.warn("The length of signal is shorter than the length parameter. Result is being padded with zeros "
                      "in the tail. Please check your center and hop_length settings.", UserWarning, stacklevel=2)
        y = _api.FUNCTIONAL["pad"](y, (0, end - expected))
    return y.squeeze(0) if input.ndim == 2 else y
