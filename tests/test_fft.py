"""autograd_lite.fft against torch.fft: values, dtypes, gradients (Hermitian handling of rfft / irfft included) and
second derivatives, every norm, n / s padding and cropping, errors; and on the emulated CUDA device."""
import numpy as np
import pytest

import autograd_lite as al
from complex_helpers import check_complex

torch = pytest.importorskip("torch")

NORMS = (None, "ortho", "forward")


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name, kw", [("fft", {}), ("ifft", {}), ("fft", {"n": 7}), ("ifft", {"n": 3}),
                                      ("fft", {"dim": 0}), ("fft2", {}), ("ifft2", {"s": (2, 6)}),
                                      ("fftn", {}), ("ifftn", {"dim": (0, 2)}), ("fftn", {"s": (3, 5)})])
def test_c2c(name, kw, norm):
    check_complex(lambda lib, z: getattr(lib.fft, name)(z, norm=norm, **kw), [(2, 4, 5)])


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name, kw", [("rfft", {}), ("rfft", {"n": 6}), ("rfft", {"n": 3}), ("rfft", {"dim": 1}),
                                      ("rfft2", {}), ("rfftn", {}), ("rfftn", {"s": (3, 6)}),
                                      ("ihfft", {}), ("ihfft", {"n": 7}), ("fft", {}), ("ifft2", {}),
                                      ("ihfft2", {}), ("ihfftn", {"dim": (0, 2)})])
def test_real_input(name, kw, norm):
    check_complex(lambda lib, x: getattr(lib.fft, name)(x, norm=norm, **kw), [(2, 4, 5)], "r")


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name, kw", [("irfft", {}), ("irfft", {"n": 9}), ("irfft", {"n": 4}), ("irfft", {"n": 3}),
                                      ("irfft", {"dim": 1}), ("irfft2", {}), ("irfft2", {"s": (4, 7)}),
                                      ("irfftn", {}), ("irfftn", {"s": (3, 2, 8)}), ("hfft", {}),
                                      ("hfft", {"n": 7}), ("hfft2", {}), ("hfftn", {"s": (2, 4, 6)})])
def test_c2r(name, kw, norm):
    check_complex(lambda lib, z: getattr(lib.fft, name)(z, norm=norm, **kw), [(2, 4, 5)])


@pytest.mark.parametrize("fn", [
    lambda lib, x, y: lib.fft.irfft(lib.fft.rfft(x) * lib.fft.rfft(y), n=8),          # FFT convolution
    lambda lib, x, y: (lib.fft.rfft(x).abs() - lib.fft.rfft(y).abs()).pow(2).mean(),  # a spectral loss
    lambda lib, x, y: lib.fft.fftshift(lib.fft.fft2(x * y)).abs(),
    lambda lib, x, y: lib.fft.ifftshift(lib.fft.fftshift(x, dim=1), dim=(0, 1)) * y,
    lambda lib, x, y: lib.view_as_real(lib.fft.rfft(x, norm="ortho")).sum(-1) * y[:, :5],
])
def test_compositions(fn):
    check_complex(fn, [(3, 8), (3, 8)], "rr")


def test_float64_and_dtypes():
    check_complex(lambda lib, z: lib.fft.fft(z) * lib.fft.ifft(z), [(6,)], dtype="float64")
    for dt, out in (("float32", "complex64"), ("float64", "complex128"), ("int64", "complex64")):
        x = al.arange(6).to(getattr(al, dt))
        assert al.fft.fft(x).dtype.name == out == str(torch.fft.fft(torch.arange(6).to(getattr(torch, dt))).dtype)[6:]
        assert al.fft.rfft(x).dtype.name == out
    assert al.fft.irfft(al.fft.rfft(al.ones(6))).dtype is al.float32
    assert al.fft.irfft(al.ones(4, dtype=al.float64)).dtype is al.float64


def test_roundtrip():
    x = al.randn(3, 10)
    np.testing.assert_allclose(al.fft.irfft(al.fft.rfft(x), n=10).numpy(), x.numpy(), atol=1e-5)
    np.testing.assert_allclose(al.fft.ifft(al.fft.fft(x)).real.numpy(), x.numpy(), atol=1e-5)
    np.testing.assert_allclose(al.fft.hfft(al.fft.ihfft(x), n=10).numpy(), x.numpy(), atol=1e-5)


@pytest.mark.parametrize("fn", [
    lambda lib: lib.fft.fftfreq(5), lambda lib: lib.fft.fftfreq(8, 0.1), lambda lib: lib.fft.rfftfreq(7, 2.0),
    lambda lib: lib.fft.rfftfreq(4, dtype=lib.float64), lambda lib: lib.fft.fftshift(lib.fft.fftfreq(6)),
    lambda lib: lib.fft.ifftshift(lib.arange(12.0).reshape(3, 4)),
    lambda lib: lib.fft.fftshift(lib.arange(12.0).reshape(3, 4), dim=-1),
])
def test_freq_and_shift(fn):
    ours, ref = fn(al), fn(torch)
    assert ours.dtype.name == str(ref.dtype)[6:]
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn, match", [
    (lambda: al.fft.fft(al.ones(4), norm="bad"), 'Invalid normalization mode: "bad"'),
    (lambda: al.fft.fft(al.ones(4), n=0), r"Invalid number of data points \(0\) specified"),
    (lambda: al.fft.irfft(al.ones(1, dtype=al.complex64)), r"Invalid number of data points \(0\) specified"),
    (lambda: al.fft.rfft(al.ones(4, dtype=al.complex64)), "rfft expects a real input tensor, but got ComplexFloat"),
    (lambda: al.fft.fftn(al.ones(3, 3), dim=(0, 0)), "FFT dims must be unique"),
    (lambda: al.fft.fftn(al.ones(3, 3), s=(2,), dim=(0, 1)), "dim and shape arguments must have the same length"),
    (lambda: al.fft.fft(al.ones(4, dtype=al.float16)), "Unsupported dtype Half"),
])
def test_errors(fn, match):
    with pytest.raises(RuntimeError, match=match):
        fn()


def test_dim_out_of_range():
    with pytest.raises(IndexError, match="Dimension out of range"):
        al.fft.fft(al.ones(4), dim=2)


def test_namespace():
    import autograd_lite.fft as fft_module
    assert al.fft is fft_module and al.fft.rfft is fft_module.rfft
    assert not hasattr(al, "rfft")


@pytest.mark.parametrize("name", ["fft", "rfft", "irfft", "fft2", "hfft", "stft", "istft"])
def test_on_device(device, name):
    fns = {"fft": (lambda lib, z: lib.fft.fft(z, norm="ortho"), "c"), "rfft": (lambda lib, x: lib.fft.rfft(x), "r"),
           "irfft": (lambda lib, z: lib.fft.irfft(z, n=7), "c"), "fft2": (lambda lib, z: lib.fft.fft2(z, s=(2, 5)), "c"),
           "hfft": (lambda lib, z: lib.fft.hfft(z), "c"),
           "stft": (lambda lib, x: lib.stft(x, 4, window=lib.hann_window(4, device=x.device), return_complex=True), "r"),
           "istft": (lambda lib, z: lib.istft(z, 4, hop_length=1, window=lib.hann_window(4, device=z.device)), "c")}
    fn, kinds = fns[name]
    check_complex(fn, [(3, 4)], kinds, device=device)


# ---- stft / istft -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{}, {"hop_length": 3, "win_length": 6}, {"center": False}, {"normalized": True},
                                {"onesided": False}, {"pad_mode": "constant"}, {"hop_length": 5}])
def test_stft(kw):
    def fn(lib, x):
        win = lib.hann_window(kw.get("win_length", 8), dtype=x.dtype)
        return lib.stft(x, 8, window=win, return_complex=True, **kw)
    check_complex(fn, [(2, 30)], "r")
    check_complex(fn, [(30,)], "r", second=False)


def test_stft_method_window_grad_and_magnitude():
    check_complex(lambda lib, x, w: x.stft(8, hop_length=2, window=w, return_complex=True).abs().pow(2).sum(-1),
                  [(25,), (8,)], "rr")
    check_complex(lambda lib, z: lib.stft(z, 8, window=lib.ones(8, dtype=lib.float32), return_complex=True),
                  [(20,)], "c", second=False)


@pytest.mark.parametrize("kw", [{}, {"hop_length": 3, "win_length": 6}, {"center": False}, {"normalized": True},
                                {"length": 12}])
def test_istft(kw):
    def fn(lib, z):
        make = lib.hann_window if kw.get("center", True) else lib.hamming_window     # no zero at the ends uncentred
        win = make(kw.get("win_length", 8), dtype=z.real.dtype)
        return lib.istft(z, 8, window=win, **kw)
    check_complex(fn, [(2, 5, 9)])
    check_complex(fn, [(5, 9)], second=False)


def test_stft_istft_roundtrip_and_warnings():
    x = al.randn(3, 40)
    w = al.hann_window(16)
    back = al.istft(al.stft(x, 16, hop_length=4, window=w, return_complex=True), 16, hop_length=4, window=w,
                    length=40)
    np.testing.assert_allclose(back.numpy(), x.numpy(), atol=1e-5)
    with pytest.warns(UserWarning, match="A window was not provided"):
        al.stft(x, 16, return_complex=True)
    with pytest.warns(UserWarning, match="return_complex=False is deprecated"):
        assert al.stft(x, 16, window=w, return_complex=False).shape == (3, 9, 11, 2)


@pytest.mark.parametrize("fn, match", [
    (lambda: al.stft(al.randn(20), 8), "stft requires the return_complex parameter be given for real inputs"),
    (lambda: al.stft(al.randn(20), 8, hop_length=0, return_complex=True), "expected hop_length > 0"),
    (lambda: al.stft(al.randn(20), 8, win_length=9, return_complex=True), r"expected 0 < win_length <= n_fft"),
    (lambda: al.stft(al.randn(20), 8, window=al.ones(5), return_complex=True), "expected a 1D window tensor"),
    (lambda: al.stft(al.randn(20), 40, center=False, return_complex=True), "expected 0 < n_fft"),
    (lambda: al.istft(al.randn(5, 3), 8), "istft requires a complex-valued input tensor"),
])
def test_stft_errors(fn, match):
    with pytest.raises(RuntimeError, match=match):
        fn()


@pytest.mark.parametrize("fn", [
    lambda lib, z: lib.fft.fft(z, n=5, norm="ortho"), lambda lib, z: lib.fft.irfft(z, n=7),
    lambda lib, z: lib.fft.irfft2(z), lambda lib, z: lib.fft.hfft(z, n=6, norm="forward"),
    lambda lib, z: lib.fft.rfft(z.real, n=6), lambda lib, z: lib.fft.ihfftn(z.imag, s=(2, 5)),
    lambda lib, z: lib.istft(z, 4, hop_length=1, window=lib.hann_window(4, dtype=lib.float64)),
])
def test_gradcheck_fft(fn):
    x = al.randn(3, 4, 2, dtype=al.float64, requires_grad=True)

    def real_fn(x):
        out = fn(al, al.view_as_complex(x))
        return al.view_as_real(out) if out.is_complex() else out
    assert al.autograd.gradcheck(real_fn, (x,))
    assert al.autograd.gradgradcheck(real_fn, (x,))
