"""Padding, interpolation, channel dropout, the inplace= activations and nn.init on conv weights, against PyTorch:
F.pad (every mode, negative pads, errors), F.interpolate (every mode, align_corners, scale factors, sizes, antialias,
errors), F.dropout1d/2d/3d and the alpha dropouts (channel masks, scale, seeds, warnings), the layers and their
reprs, in-place activations and dropouts (same object, values, gradients, leaf errors), and kaiming / xavier on conv
weights (fans, bounds, statistics). Forward and backward against torch in float32 and float64, second order in
float64, gradcheck / gradgradcheck, on the CPU and the stand-in CUDA device."""
import warnings

import numpy as np
import pytest

import autograd_lite as al
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.autograd import gradcheck, gradgradcheck
from op_helpers import check_op, functional

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _f(lib):
    return functional(lib)


def _host(t):
    return t.detach().cpu().numpy()


# ---- pad ------------------------------------------------------------------------------------------------------

PADS = [  # (mode, input shape, pad)
    ("constant", (2, 3, 5), (1, 2)),
    ("constant", (2, 3, 4, 5), (1, 0, 2, 3)),
    ("constant", (2, 3, 4, 5), (-1, 2, 0, -2)),
    ("constant", (3, 4), (1, 1, 2, 2)),
    ("constant", (2, 3, 4), (1, 1, 1, 1, 1, 1)),
    ("reflect", (2, 3, 5), (2, 3)),
    ("reflect", (3, 5), (4, 1)),
    ("reflect", (2, 3, 5), (-1, 2)),
    ("reflect", (2, 3, 4, 5), (1, 2, 3, 0)),
    ("reflect", (3, 4, 5), (4, 4, 3, 3)),
    ("reflect", (2, 2, 3, 4, 5), (1, 2, 2, 1, 1, 2)),
    ("replicate", (2, 3, 5), (3, 7)),
    ("replicate", (2, 3, 5), (2, -3)),
    ("replicate", (2, 3, 4, 5), (1, 2, 5, 0)),
    ("replicate", (2, 4, 5), (2, 2, 1, 1)),
    ("replicate", (2, 2, 3, 4, 5), (1, 1, 2, 2, 3, 3)),
    ("circular", (2, 3, 5), (2, 5)),
    ("circular", (2, 3, 5), (-1, 2)),
    ("circular", (2, 3, 4, 5), (1, 2, 4, 3)),
    ("circular", (3, 4, 5), (5, 5, 1, 0)),
    ("circular", (2, 2, 3, 4, 5), (1, 2, 2, 1, 3, 3)),
]


@pytest.mark.parametrize("mode,shape,pad", PADS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pad_matches_torch(mode, shape, pad, dtype):
    check_op(lambda lib, x: _f(lib).pad(x, pad, mode=mode), [shape], dtype=dtype, second=dtype == "float64")


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_non_contiguous_and_device(mode, device):
    check_op(lambda lib, x: _f(lib).pad(x.transpose(2, 3)[..., ::2], (1, 2, 2, 1), mode=mode), [(2, 3, 6, 4)],
             device=device)
    check_op(lambda lib, x: _f(lib).pad(x, (2, 1), mode=mode), [(2, 3, 5)], dtype="float64", device=device)


def test_pad_constant_value_and_integers():
    x = np.arange(12.0).reshape(2, 2, 3)
    for value in (3.5, -1, float("inf")):
        np.testing.assert_array_equal(F.pad(al.tensor(x), (1, 2, 0, 1), value=value).numpy(),
                                      TF.pad(torch.tensor(x), (1, 2, 0, 1), value=value).numpy())
    xi = np.arange(6).reshape(1, 2, 3)
    for mode in ("constant", "reflect", "replicate", "circular"):
        ours, ref = F.pad(al.tensor(xi), (1, 2), mode=mode), TF.pad(torch.tensor(xi), (1, 2), mode=mode)
        assert ours.dtype == al.int64
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    out = F.pad(al.tensor(x, dtype=al.float16), (1, 1), mode="reflect")
    assert out.dtype == al.float16 and out.shape == (2, 2, 5)


def test_pad_identity_is_a_copy():
    x = al.randn(2, 3, 4)
    for mode in ("constant", "reflect"):
        y = F.pad(x, (0, 0), mode=mode)
        y.add_(1.0)
        assert not np.array_equal(y.numpy(), x.numpy())


def test_pad_node_names():
    x = al.randn(1, 2, 4, 4, requires_grad=True)
    assert F.pad(x, (1, 1, 1, 1), mode="reflect").grad_fn.name() == "ReflectionPad2DBackward0"
    assert F.pad(x[0], (1, 1), mode="replicate").grad_fn.name() == "ReplicationPad1DBackward0"
    assert F.pad(x, (1, 1)).grad_fn.name() == "ConstantPadNdBackward0"


PAD_ERRORS = [
    ((1, 1, 3, 3), (3, 3), "reflect"),
    ((1, 1, 3, 3), (3, 3, 1, 1), "reflect"),
    ((1, 1, 3, 3), (1, 1, 3, 3), "reflect"),
    ((1, 3, 3, 3), (3, 3, 3, 3, 3, 3), "reflect"),
    ((2, 3, 1, 3, 3), (1, 1, 1, 1, 1, 1), "reflect"),
    ((1, 1, 3, 3), (1,), "constant"),
    ((1, 1, 3, 3), (1, 1) * 5, "constant"),
    ((1, 1, 3, 3), (1, 1) * 4, "reflect"),
    ((3,), (1, 1), "reflect"),
    ((2, 3, 4, 5, 6, 7), (1, 1), "replicate"),
    ((1, 1, 3, 3), (1, 1), "foo"),
    ((1, 1, 3, 3), (-2, -2), "constant"),
    ((2, 3), (-3, -1), "constant"),
    ((2, 3, 0), (1, 1), "reflect"),
    ((3, 0, 3), (1, 1, 1, 1), "replicate"),
    ((1, 3, 0, 3), (1, 1, 1, 1), "reflect"),
    ((2, 3, 0), (1, 1), "circular"),
    ((1, 1, 3), (4, 4), "circular"),
    ((1, 1, 3, 3), (1, 1, 4, 3), "circular"),
    ((1, 1, 3), (-2, -2), "circular"),
    ((1, 1, 3), (0, -3), "reflect"),
    ((1, 1, 3), (0, -4), "replicate"),
    ((1, 3, 3, 3), (0, -3, 0, -3), "reflect"),
    ((1, 3, 3, 3), (0, -3, 0, -3), "replicate"),
    ((1, 3, 3, 3), (0, -3, 0, -3, 0, -3), "replicate"),
    ((1, 3, 3, 3), (0, 0, 0, 0, 0, -4), "replicate"),
]


def _same_error(call):
    """call(lib) raises in both libraries: the same exception type and message."""
    with pytest.raises(Exception) as ref:
        call(torch)
    with pytest.raises(type(ref.value)) as ours:
        call(al)
    assert str(ours.value) == str(ref.value)


@pytest.mark.parametrize("shape,pad,mode", PAD_ERRORS)
def test_pad_errors_match_torch(shape, pad, mode):
    _same_error(lambda lib: _f(lib).pad(lib.zeros(shape), pad, mode=mode))


def test_pad_argument_errors_match_torch():
    _same_error(lambda lib: _f(lib).pad(lib.zeros(2, 3), (1, 1), mode="reflect", value=1.0))
    _same_error(lambda lib: _f(lib).pad(lib.zeros(2, 3), (1, 1.5)))
    _same_error(lambda lib: _f(lib).pad(lib.zeros(2, 3), lib.tensor([1, 1])))
    for lib in (torch, al):     # value 0 is allowed with any mode
        assert tuple(_f(lib).pad(lib.zeros(1, 2, 3), [1, 1], mode="reflect", value=0.0).shape) == (1, 2, 5)


def test_pad_gradcheck():
    x = al.randn(2, 2, 4, 5, dtype=al.float64, requires_grad=True)
    for mode, pad in (("constant", (1, -1, 2, 0)), ("reflect", (2, 1, 3, 1)), ("replicate", (3, 1, 0, 2)),
                      ("circular", (2, 4, 1, 3))):
        fn = lambda t, mode=mode, pad=pad: F.pad(t, pad, mode=mode) ** 2     # noqa: E731 (nonlinear: a 2nd order)
        assert gradcheck(fn, (x,))
        assert gradgradcheck(fn, (x,))


# ---- interpolate ----------------------------------------------------------------------------------------------

INTERP = [  # (mode, input shape, kwargs)
    ("nearest", (2, 3, 5), dict(scale_factor=2)),
    ("nearest", (2, 3, 5, 7), dict(scale_factor=1.5)),
    ("nearest", (2, 3, 5, 7), dict(size=(3, 11))),
    ("nearest", (2, 3, 9, 7), dict(scale_factor=0.7)),
    ("nearest", (1, 2, 3, 4, 5), dict(scale_factor=(2, 1.5, 0.5))),
    ("nearest", (2, 3, 7, 5), dict(scale_factor=2.3, recompute_scale_factor=True)),
    ("nearest-exact", (2, 3, 5), dict(scale_factor=2)),
    ("nearest-exact", (2, 3, 5, 7), dict(scale_factor=1.5)),
    ("nearest-exact", (2, 3, 9, 7), dict(size=(4, 3))),
    ("nearest-exact", (1, 2, 3, 4, 5), dict(size=7)),
    ("linear", (2, 3, 5), dict(scale_factor=2)),
    ("linear", (2, 3, 7), dict(scale_factor=1.5)),
    ("linear", (2, 3, 9), dict(size=4)),
    ("linear", (2, 3, 1), dict(size=3)),
    ("linear", (2, 3, 5), dict(scale_factor=0.5, recompute_scale_factor=True)),
    ("bilinear", (2, 3, 5, 7), dict(scale_factor=2)),
    ("bilinear", (2, 3, 5, 7), dict(scale_factor=1.5)),
    ("bilinear", (2, 3, 5, 7), dict(scale_factor=(0.6, 2.5))),
    ("bilinear", (2, 3, 5, 7), dict(size=(8, 3))),
    ("bilinear", (2, 3, 6, 6), dict(size=1)),
    ("bilinear", (1, 2, 5, 7), dict(scale_factor=1.7, recompute_scale_factor=True)),
    ("bicubic", (2, 3, 5, 7), dict(scale_factor=2)),
    ("bicubic", (2, 3, 6, 5), dict(size=(4, 9))),
    ("trilinear", (1, 2, 3, 4, 5), dict(scale_factor=1.5)),
    ("trilinear", (1, 2, 3, 4, 5), dict(size=(5, 2, 6))),
    ("area", (2, 3, 9), dict(size=4)),
    ("area", (2, 3, 7, 9), dict(size=(3, 4))),
    ("area", (2, 3, 7, 9), dict(scale_factor=0.5)),
    ("area", (1, 2, 4, 5, 6), dict(size=(2, 7, 3))),
]


def _ac_values(mode):
    return [None] if mode in ("nearest", "nearest-exact", "area") else [False, True]


@pytest.mark.parametrize("mode,shape,kw", INTERP)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_interpolate_matches_torch(mode, shape, kw, dtype):
    for ac in _ac_values(mode):
        check_op(lambda lib, x: _f(lib).interpolate(x, mode=mode, align_corners=ac, **kw), [shape], dtype=dtype,
                 second=dtype == "float64" and ac is not True)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("kw", [dict(size=(3, 4)), dict(scale_factor=0.3), dict(size=(9, 14))])
def test_interpolate_antialias_matches_torch(mode, kw):
    for ac in (False, True):
        check_op(lambda lib, x: _f(lib).interpolate(x, mode=mode, align_corners=ac, antialias=True, **kw),
                 [(2, 2, 10, 11)], dtype="float64", second=False)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bicubic", "area"])
def test_interpolate_source_indices_are_exact(mode):
    """Integer ramps in float32 over many sizes and scales: any source index off by one shows as an error >= 1."""
    for n_in, spec in [(5, dict(scale_factor=1.1)), (7, dict(scale_factor=2.3)), (10, dict(scale_factor=0.3)),
                       (13, dict(size=29)), (29, dict(size=13)), (6, dict(scale_factor=1 / 3)),
                       (17, dict(scale_factor=1.9)), (3, dict(size=100)), (100, dict(size=3))]:
        x = np.arange(n_in * n_in, dtype=np.float32).reshape(1, 1, n_in, n_in) * 4
        for ac in _ac_values(mode):
            kw = dict(spec, mode=mode, align_corners=ac)
            ours = F.interpolate(al.tensor(x), **kw).numpy()
            ref = TF.interpolate(torch.tensor(x), **kw).numpy()
            np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-3, err_msg=str(kw))


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
def test_interpolate_non_contiguous_and_device(mode, device):
    ac = None if mode == "nearest" else False
    check_op(lambda lib, x: _f(lib).interpolate(x.transpose(2, 3), scale_factor=1.5, mode=mode, align_corners=ac),
             [(2, 3, 4, 5)], device=device)
    check_op(lambda lib, x: _f(lib).interpolate(x[:, :, ::2], size=(5, 4), mode=mode, align_corners=ac),
             [(2, 3, 6, 3)], dtype="float64", device=device)


def test_interpolate_dtypes():
    x = al.randn(1, 2, 3, 4)
    for dt in (al.float16, al.float32, al.float64):
        for mode in ("nearest", "bilinear"):
            out = F.interpolate(x.to(dt), scale_factor=2, mode=mode)
            assert out.dtype == dt and out.shape == (1, 2, 6, 8)
    out = F.interpolate(al.tensor(np.arange(6, dtype=np.uint8).reshape(1, 1, 6)), size=3)
    np.testing.assert_array_equal(out.numpy(), [[[0, 2, 4]]])


def test_interpolate_gradcheck():
    x = al.randn(1, 2, 4, 5, dtype=al.float64, requires_grad=True)
    for mode, kw in (("nearest", dict(scale_factor=1.5)), ("bilinear", dict(size=(7, 3))),
                     ("bilinear", dict(scale_factor=2, align_corners=True)), ("bicubic", dict(size=(3, 6))),
                     ("area", dict(size=(3, 2))), ("bilinear", dict(size=(2, 3), antialias=True))):
        fn = lambda t, mode=mode, kw=kw: F.interpolate(t, mode=mode, **kw) ** 2     # noqa: E731
        assert gradcheck(fn, (x,))
        assert gradgradcheck(fn, (x,))


def test_interpolate_node_names():
    x = al.randn(1, 2, 4, 4, requires_grad=True)
    assert F.interpolate(x, scale_factor=2).grad_fn.name() == "UpsampleNearest2DBackward0"
    assert F.interpolate(x, scale_factor=2, mode="bilinear").grad_fn.name() == "UpsampleBilinear2DBackward0"


INTERP_ERRORS = [
    ((1, 2, 5, 7), dict(size=(3, 4, 5))),
    ((1, 2, 5, 7), dict(scale_factor=(2, 3, 4))),
    ((1, 2, 5, 7), dict()),
    ((1, 2, 5, 7), dict(size=3, scale_factor=2)),
    ((1, 2, 5, 7), dict(size=3, align_corners=True)),
    ((1, 2, 5, 7), dict(size=3, mode="nearest-exact", align_corners=False)),
    ((1, 2, 5, 7), dict(size=3, mode="area", align_corners=False)),
    ((1, 2, 5, 7), dict(size=3, mode="linear")),
    ((1, 2, 5), dict(size=3, mode="bilinear")),
    ((1, 2, 5), dict(size=3, mode="trilinear")),
    ((1, 2, 5), dict(size=3, mode="bicubic")),
    ((1, 2, 5), dict(size=3, mode="foo")),
    ((3,), dict(size=3)),
    ((2, 3, 4, 5, 6, 7), dict(size=3)),
    ((1, 2, 5, 7), dict(size=(0, 3))),
    ((1, 2, 5, 7), dict(scale_factor=0.1)),
    ((1, 2, 5, 7), dict(scale_factor=-0.5)),
    ((1, 2, 5), dict(size=0, mode="linear")),
    ((1, 2, 5, 3, 4), dict(size=0)),
    ((1, 2, 5, 7), dict(size=3, antialias=True)),
    ((1, 2, 5, 7), dict(size=(3.5, 2))),
    ((1, 2, 5, 7), dict(size=3, recompute_scale_factor=True)),
    ((1, 0, 5, 7), dict(size=3)),
    ((1, 0, 5), dict(size=3, mode="linear")),
    ((1, 2, 0, 7), dict(size=3, mode="bilinear")),
]


@pytest.mark.parametrize("shape,kw", INTERP_ERRORS)
def test_interpolate_errors_match_torch(shape, kw):
    _same_error(lambda lib: _f(lib).interpolate(lib.zeros(shape), **kw))


def test_interpolate_integer_error_matches_torch():
    _same_error(lambda lib: _f(lib).interpolate(lib.arange(10).reshape(1, 1, 10), size=3))
    _same_error(lambda lib: _f(lib).interpolate(lib.arange(10).reshape(1, 1, 10), size=3, mode="linear"))


def test_interpolate_empty_batch():
    assert F.interpolate(al.zeros(0, 2, 5, 7), size=3).shape == (0, 2, 3, 3)


# ---- channel dropout ------------------------------------------------------------------------------------------

def _channel_masks(y, x):
    """Per (sample, channel): whether the channel was kept (every element scaled) or dropped (all zero)."""
    n = y.shape[0] * y.shape[1]
    yy, xx = y.reshape(n, -1), x.reshape(n, -1)
    dropped = np.all(yy == 0, axis=1)
    return dropped, yy, xx


@pytest.mark.parametrize("fn,shape", [("dropout1d", (8, 16, 5)), ("dropout2d", (8, 16, 3, 4)),
                                      ("dropout3d", (4, 16, 2, 3, 2))])
@pytest.mark.parametrize("dtype", [al.float32, al.float64])
def test_channel_dropout_masks_whole_channels(fn, shape, dtype, device):
    p = 0.3
    x = (al.rand(*shape, dtype=dtype) + 0.5).to(device).requires_grad_()
    y = getattr(F, fn)(x, p)
    assert y.dtype == dtype and y.shape == x.shape and y.device == x.device
    dropped, yy, xx = _channel_masks(_host(y), _host(x))
    scale = np.array(1 / (1 - p), dtype=yy.dtype)
    np.testing.assert_allclose(yy[~dropped], xx[~dropped] * scale, rtol=1e-6)
    assert 0 < dropped.sum() < dropped.size
    g = al.randn(*shape, dtype=dtype).to(device)
    (y * g).sum().backward()
    gg = _host(g).reshape(dropped.size, -1)
    np.testing.assert_allclose(_host(x.grad).reshape(dropped.size, -1), np.where(dropped[:, None], 0, gg * scale),
                               rtol=1e-6)


def test_channel_dropout_rate_and_seed():
    x = al.ones(200, 100, 2, 2)
    al.manual_seed(3)
    a = F.dropout2d(x, 0.25).numpy()
    al.manual_seed(3)
    b = F.dropout2d(x, 0.25).numpy()
    np.testing.assert_array_equal(a, b)
    assert abs((a[:, :, 0, 0] == 0).mean() - 0.25) < 0.01
    assert not np.array_equal(a, F.dropout2d(x, 0.25).numpy())


def test_channel_dropout_special_cases():
    x = al.randn(2, 3, 4, 4, requires_grad=True)
    assert F.dropout2d(x, 0.5, training=False) is x
    assert F.dropout2d(x, 0.0) is x
    assert np.all(_host(F.dropout2d(x, 1.0)) == 0)
    y = F.dropout1d(al.randn(6, 7), 0.5)                 # unbatched (C, L): whole rows
    assert y.shape == (6, 7) and all(np.all(r == 0) or np.all(r != 0) for r in y.numpy())
    y = F.dropout3d(al.randn(6, 2, 3, 4), 0.5)           # unbatched (C, D, H, W)
    assert y.shape == (6, 2, 3, 4) and all(np.all(r == 0) or np.all(r != 0) for r in y.numpy())
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout2d(x, 1.5)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got -0.1"):
        nn.Dropout2d(-0.1)


@pytest.mark.parametrize("fn,shape", [("dropout1d", (2, 3, 4, 5)), ("dropout1d", (3,))])
def test_dropout1d_errors_match_torch(fn, shape):
    _same_error(lambda lib: getattr(_f(lib), fn)(lib.ones(shape), 0.5))


@pytest.mark.parametrize("fn,shape", [("dropout2d", (2, 3, 4)), ("dropout2d", (2, 3)), ("dropout2d", (1, 2, 3, 4, 5)),
                                      ("dropout3d", (2, 3, 4)), ("dropout3d", (2, 3, 4, 5, 6, 7)),
                                      ("dropout2d", (2, 3, 4, 5)), ("dropout3d", (2, 3, 4, 5))])
def test_channel_dropout_warnings_match_torch(fn, shape):
    messages = {}
    for lib in (torch, al):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = getattr(_f(lib), fn)(lib.ones(shape), 0.5)
        assert tuple(out.shape) == shape
        messages[lib.__name__] = [(w.category, str(w.message)) for w in caught]
    assert messages["autograd_lite"] == messages["torch"]


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropouts(feature):
    p, alpha = 0.2, 1.7580993408473766
    a = 1 / np.sqrt((alpha * alpha * p + 1) * (1 - p))
    x = al.randn(64, 32, 3, dtype=al.float64, requires_grad=True)
    fn = F.feature_alpha_dropout if feature else F.alpha_dropout
    assert fn(x, p) is x                                 # training defaults to False, as in torch
    y = fn(x, p, training=True)
    xv, yv = x.detach().numpy(), y.detach().numpy()
    kept = np.isclose(yv, a * xv + alpha * a * p)
    dropped = np.isclose(yv, -alpha * a * (1 - p))
    assert np.all(kept | dropped) and abs(dropped.mean() - p) < 0.03
    if feature:
        assert np.all(kept.all(-1) | (~kept).all(-1))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, a, 0.0))
    z = al.randn(100000, dtype=al.float64)               # SELU's fixed point: mean 0, variance 1 kept
    out = F.alpha_dropout(z, 0.3, training=True).numpy()
    assert abs(out.mean()) < 0.02 and abs(out.var() - 1) < 0.03


# ---- modules --------------------------------------------------------------------------------------------------

MODULES = [
    "ZeroPad1d(2)", "ZeroPad1d((1, 2))", "ZeroPad2d(2)", "ZeroPad2d((1, 2, 3, 4))", "ZeroPad3d(1)",
    "ConstantPad1d(2, 3.5)", "ConstantPad2d((1, 2, 3, 4), 0)", "ConstantPad3d(1, 2.0)", "ReflectionPad1d(2)",
    "ReflectionPad2d((1, 1, 2, 0))", "ReflectionPad3d(1)", "ReplicationPad1d(2)", "ReplicationPad2d(1)",
    "ReplicationPad3d(1)", "CircularPad1d(1)", "CircularPad2d((1, 2, 3, 4))", "CircularPad3d(1)",
    "Upsample(scale_factor=2)", "Upsample(size=(3, 4), mode='bilinear')",
    "Upsample(scale_factor=2, mode='bilinear', align_corners=True)", "Upsample(size=5, mode='nearest-exact')",
    "Upsample(scale_factor=(1.5, 2), mode='bicubic')", "UpsamplingNearest2d(scale_factor=2)",
    "UpsamplingNearest2d(size=4)", "UpsamplingBilinear2d(scale_factor=2)", "UpsamplingBilinear2d(size=(5, 3))",
    "Dropout1d()", "Dropout2d(0.2)", "Dropout3d(0.3, inplace=True)", "AlphaDropout(0.2)", "FeatureAlphaDropout()",
    "Dropout(0.1, True)",
]


@pytest.mark.parametrize("spec", MODULES)
def test_module_repr_matches_torch(spec):
    assert repr(eval("nn." + spec)) == repr(eval("torch.nn." + spec))


@pytest.mark.parametrize("spec,shape", [
    ("ZeroPad2d((1, 2, 3, 4))", (2, 3, 4, 5)), ("ConstantPad1d(2, 3.5)", (2, 3, 4)), ("ConstantPad3d(1, 2.0)",
                                                                                       (1, 2, 3, 4, 2)),
    ("ReflectionPad1d(2)", (2, 3, 4)), ("ReflectionPad2d((1, 1, 2, 0))", (2, 3, 4, 5)), ("ReflectionPad3d(1)",
                                                                                         (1, 2, 3, 4, 2)),
    ("ReplicationPad1d(3)", (3, 4)), ("ReplicationPad2d(2)", (2, 3, 4, 5)), ("ReplicationPad3d(1)", (1, 2, 3, 4, 2)),
    ("CircularPad1d(1)", (2, 3, 4)), ("CircularPad2d((1, 2, 3, 4))", (2, 3, 4, 5)),
    ("Upsample(scale_factor=2)", (2, 3, 4, 5)), ("Upsample(size=(3, 7), mode='bilinear')", (2, 3, 4, 5)),
    ("Upsample(scale_factor=1.5, mode='linear', align_corners=True)", (2, 3, 4)),
    ("UpsamplingNearest2d(size=4)", (2, 3, 3, 5)), ("UpsamplingBilinear2d(scale_factor=2)", (2, 3, 3, 5)),
])
def test_module_forward_matches_torch(spec, shape):
    ours, ref = eval("nn." + spec), eval("torch.nn." + spec)
    check_op(lambda lib, x: (ours if lib is al else ref)(x), [shape], second=False)


def test_dropout_modules_train_and_eval():
    x = al.randn(4, 8, 3, 3)
    for layer in (nn.Dropout1d(0.5), nn.Dropout2d(0.5), nn.Dropout3d(0.5), nn.AlphaDropout(0.5),
                  nn.FeatureAlphaDropout(0.5)):
        xx = x.reshape(4, 8, 9) if isinstance(layer, nn.Dropout1d) else \
            x.reshape(4, 8, 3, 3, 1) if isinstance(layer, nn.Dropout3d) else x
        assert layer.eval()(xx) is xx
        y = layer.train()(xx)
        assert y.shape == xx.shape and not np.array_equal(y.numpy(), xx.numpy())


# ---- inplace= -------------------------------------------------------------------------------------------------

INPLACE = ["ReLU", "ReLU6", "LeakyReLU(0.2, inplace=True)", "ELU(0.7, inplace=True)", "CELU(1.3, inplace=True)",
           "SELU", "SiLU", "Mish", "Hardtanh(-0.5, 0.8, inplace=True)", "Hardsigmoid", "Hardswish"]


def _build(lib, spec):
    return eval(f"lib.nn.{spec}" if "(" in spec else f"lib.nn.{spec}(inplace=True)")


@pytest.mark.parametrize("spec", INPLACE)
def test_inplace_activation_after_linear_matches_torch(spec):
    """Linear -> activation(inplace=True): the same tensor object comes back, modified, and the gradients of the
    layer's weights are torch's."""
    rng = np.random.default_rng(0)
    xv, wv, bv, gv = (rng.standard_normal(s) * 2 for s in ((5, 4), (6, 4), (6,), (5, 6)))
    grads, outs = {}, {}
    for lib in (torch, al):
        w, b = lib.tensor(wv, requires_grad=True), lib.tensor(bv, requires_grad=True)
        h = lib.nn.functional.linear(lib.tensor(xv), w, b)
        before = h.detach().clone()
        y = _build(lib, spec)(h)
        assert y is h
        assert not np.allclose(h.detach().numpy(), before.numpy())
        (y * lib.tensor(gv)).sum().backward()
        outs[lib.__name__], grads[lib.__name__] = y.detach().numpy(), (w.grad.numpy(), b.grad.numpy())
    np.testing.assert_allclose(outs["autograd_lite"], outs["torch"], rtol=1e-10, atol=1e-12)
    for ours, ref in zip(grads["autograd_lite"], grads["torch"]):      # torch's celu / hardsigmoid backward use
        np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-12)   # float32 constants even in float64


@pytest.mark.parametrize("spec", INPLACE + ["Dropout(0.5, inplace=True)", "Dropout1d(0.5, inplace=True)",
                                            "Dropout2d(0.5, inplace=True)", "Dropout3d(0.5, inplace=True)"])
def test_inplace_on_leaf_raises_as_torch(spec):
    _same_error(lambda lib: _build(lib, spec)(lib.ones(2, 3, 4, 5, requires_grad=True)))


@pytest.mark.parametrize("spec", ["AlphaDropout(0.5, inplace=True)", "FeatureAlphaDropout(0.5, inplace=True)"])
def test_alpha_dropout_layers_never_work_in_place(spec):
    """PyTorch's alpha dropout layers do not pass `inplace` on: a new tensor, even from a leaf that requires grad."""
    for lib in (torch, al):
        x = lib.ones(2, 3, 4, requires_grad=True)
        y = eval(f"lib.nn.{spec}")(x)
        assert y is not x and np.all(x.detach().numpy() == 1)


@pytest.mark.parametrize("spec,shape", [("Dropout(0.5, inplace=True)", (6, 10)),
                                        ("Dropout1d(0.5, inplace=True)", (6, 10, 3)),
                                        ("Dropout1d(0.5, inplace=True)", (10, 3)),
                                        ("Dropout2d(0.5, inplace=True)", (6, 10, 2, 3)),
                                        ("Dropout3d(0.5, inplace=True)", (6, 10, 2, 1, 3)),
                                        ("Dropout3d(0.5, inplace=True)", (10, 2, 1, 3)),
                                        ("feature_alpha_dropout", (6, 10, 3)), ("alpha_dropout", (6, 10))])
def test_inplace_dropout_modifies_its_input(spec, shape, device):
    x = al.randn(*shape, dtype=al.float64).to(device).requires_grad_()
    h = x * 1.0
    before = _host(h).copy()
    y = eval("nn." + spec)(h) if "(" in spec else getattr(F, spec)(h, 0.5, True, inplace=True)
    assert y is h and y.shape == shape
    after = _host(h)
    assert not np.array_equal(after, before)
    g = al.randn(*shape, dtype=al.float64)
    (y * g.to(device)).sum().backward()
    if "alpha" in spec:      # out = a * x + c per kept unit, a constant elsewhere: the gradient is a or 0
        alpha = 1.7580993408473766
        a = 1 / np.sqrt((alpha * alpha * 0.5 + 1) * 0.5)
        slope = _host(x.grad) / g.numpy()
        assert np.all(np.isclose(slope, a) | np.isclose(slope, 0)) and np.any(slope == 0)
    else:
        np.testing.assert_allclose(_host(x.grad), g.numpy() * after / before)


def test_inplace_after_saved_output_is_detected():
    x = al.randn(3, 4, requires_grad=True)
    h = al.sigmoid(x)                    # sigmoid's backward reads its output
    nn.ReLU(inplace=True)(h)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        h.sum().backward()


def test_inplace_without_grad():
    x = al.tensor([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x) is x
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0])
    assert nn.Dropout(0.5, inplace=True).eval()(x) is x


# ---- nn.init on conv weights ----------------------------------------------------------------------------------

CONV_SHAPES = [(16, 3, 5), (32, 8, 3, 3), (64, 4, 3, 3), (8, 2, 3, 2, 2), (10, 20)]   # (out, in / groups, *kernel)


@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_fans_match_torch(shape):
    from autograd_lite.nn import init
    assert init._calculate_fan_in_and_fan_out(al.empty(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    for mode in ("fan_in", "fan_out", "FAN_OUT"):
        assert init._calculate_correct_fan(al.empty(*shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.empty(*shape), mode)


@pytest.mark.parametrize("shape", CONV_SHAPES[:4])
@pytest.mark.parametrize("init_fn,kw", [
    ("kaiming_uniform_", dict()), ("kaiming_uniform_", dict(a=5 ** 0.5)),
    ("kaiming_uniform_", dict(mode="fan_out", nonlinearity="relu")), ("kaiming_normal_", dict()),
    ("kaiming_normal_", dict(mode="fan_out", nonlinearity="relu")), ("xavier_uniform_", dict()),
    ("xavier_normal_", dict(gain=2.0)), ("xavier_uniform_", dict(gain=nn.init.calculate_gain("tanh")))])
def test_init_statistics_match_torch(shape, init_fn, kw):
    """Uniform inits stay within torch's bound and reach it; both inits have torch's std (many draws)."""
    torch.manual_seed(0)
    t = getattr(torch.nn.init, init_fn)(torch.empty(*shape, dtype=torch.float64), **kw)
    ours = getattr(nn.init, init_fn)(al.empty(*shape, dtype=al.float64), **kw)
    assert ours.dtype == al.float64 and ours.shape == shape
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(t)
    # the std torch's formula targets, from the same fans
    if init_fn.startswith("kaiming"):
        fan = fan_out if kw.get("mode") == "fan_out" else fan_in
        std = torch.nn.init.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0)) / fan ** 0.5
    else:
        std = kw.get("gain", 1.0) * (2.0 / (fan_in + fan_out)) ** 0.5
    draws = np.concatenate([getattr(nn.init, init_fn)(al.empty(*shape, dtype=al.float64), **kw).numpy().ravel()
                            for _ in range(max(1, 20000 // int(np.prod(shape))))])
    assert abs(draws.std() / std - 1) < 0.03 and abs(draws.mean()) < 0.05 * std
    if init_fn.endswith("uniform_"):
        bound = 3 ** 0.5 * std
        assert np.abs(draws).max() <= bound and np.abs(draws).max() > 0.99 * bound
        assert np.abs(t.numpy()).max() <= bound


def test_init_errors_and_empty():
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        nn.init.kaiming_uniform_(al.empty(3, 4, 3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed"):
        nn.init.xavier_uniform_(al.empty(5))
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        nn.init.kaiming_normal_(al.empty(0, 3, 3, 3))
