"""3-d convolutions and pools against PyTorch: conv3d / conv_transpose3d (groups, stride, dilation, padding, 'same',
output_padding), max/avg/adaptive/lp pooling and max unpooling in 3-D: values, dtypes, input/weight/bias gradients,
second order (op_helpers.check_op) on the CPU and the stand-in CUDA device; gradcheck and gradgradcheck; indices;
the modules and their reprs; the errors in PyTorch's words; the depth unfold against a plain NumPy formula."""
import importlib

import numpy as np
import pytest

import autograd_lite as al
import autograd_lite.nn.functional as F
from autograd_lite import nn
from op_helpers import check_op, functional, random_inputs

torch = pytest.importorskip("torch")
conv3d_ops = importlib.import_module("autograd_lite.ops.conv3d")      # the module (autograd_lite.ops.conv3d is the op)


# (id, fn(lib, *inputs), input shapes): fn runs in torch and in autograd_lite
CONV = [
    ("k3", lambda L, x, w, b: functional(L).conv3d(x, w, b), [(2, 3, 5, 6, 7), (4, 3, 3, 3, 3), (4,)]),
    ("pad1-nobias", lambda L, x, w: functional(L).conv3d(x, w, padding=1), [(2, 3, 4, 5, 6), (4, 3, 3, 3, 3)]),
    ("groups-stride", lambda L, x, w, b: functional(L).conv3d(x, w, b, (2, 1, 2), (1, 0, 1), 1, 2),
     [(2, 4, 6, 5, 7), (6, 2, 3, 2, 3), (6,)]),
    ("dilation", lambda L, x, w, b: functional(L).conv3d(x, w, b, 1, (2, 1, 0), (2, 1, 3)),
     [(1, 2, 6, 5, 8), (3, 2, 3, 3, 2), (3,)]),
    ("same-even", lambda L, x, w: functional(L).conv3d(x, w, padding="same"), [(1, 2, 5, 6, 5), (3, 2, 2, 3, 4)]),
    ("valid", lambda L, x, w: functional(L).conv3d(x, w, padding="valid"), [(1, 2, 4, 4, 4), (3, 2, 2, 2, 2)]),
    ("depthwise", lambda L, x, w: functional(L).conv3d(x, w, padding=1, groups=3), [(2, 3, 4, 4, 4), (6, 1, 3, 3, 3)]),
    ("1x1x1", lambda L, x, w, b: functional(L).conv3d(x, w, b), [(2, 3, 3, 4, 5), (5, 3, 1, 1, 1), (5,)]),
    ("unbatched", lambda L, x, w: functional(L).conv3d(x, w, stride=2), [(3, 5, 5, 5), (2, 3, 3, 3, 3)]),
    ("top", lambda L, x, w: L.conv3d(x, w, None, 1, 1), [(1, 2, 3, 4, 5), (2, 2, 3, 3, 3)]),
    ("T-k3", lambda L, x, w, b: functional(L).conv_transpose3d(x, w, b), [(2, 3, 3, 4, 5), (3, 4, 3, 3, 3), (4,)]),
    ("T-stride-outpad", lambda L, x, w, b: functional(L).conv_transpose3d(x, w, b, 2, 1, 1),
     [(2, 2, 3, 3, 4), (2, 3, 3, 3, 3), (3,)]),
    ("T-groups-dilation", lambda L, x, w: functional(L).conv_transpose3d(x, w, None, (1, 2, 3), (0, 1, 1),
                                                                         (0, 1, 2), 2, (2, 1, 1)),
     [(1, 4, 3, 4, 3), (4, 2, 2, 3, 3)]),
    ("T-unbatched", lambda L, x, w: functional(L).conv_transpose3d(x, w, stride=2), [(2, 3, 3, 3), (2, 3, 2, 2, 2)]),
    ("T-top", lambda L, x, w: L.conv_transpose3d(x, w, None, 1, 1), [(1, 2, 3, 4, 5), (2, 2, 3, 3, 3)]),
]


@pytest.mark.parametrize("fn, shapes", [pytest.param(f, s, id=i) for i, f, s in CONV])
@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
def test_conv_against_torch(fn, shapes, device):
    check_op(fn, shapes, device=device, second=False)


@pytest.mark.parametrize("fn, shapes", [pytest.param(f, s, id=i) for i, f, s in CONV
                                        if i in ("groups-stride", "dilation", "same-even", "T-stride-outpad",
                                                 "T-groups-dilation")])
def test_conv_second_order_float64(fn, shapes):
    check_op(fn, shapes, dtype="float64", second=True)


def test_conv_gradcheck_and_gradgradcheck(device):
    x, w, b = (al.tensor(a, requires_grad=True, device=device)
               for a in random_inputs([(1, 2, 3, 4, 3), (2, 1, 2, 2, 2), (2,)], "float64"))
    for fn in (lambda x, w, b: F.conv3d(x, w, b, (2, 1, 1), 1, (1, 2, 1), 2),
               lambda x, w, b: F.conv_transpose3d(x, w[:, :, :, :1], b, 2, 0, (1, 0, 1), 2)):
        assert al.autograd.gradcheck(fn, (x, w, b))
        assert al.autograd.gradgradcheck(fn, (x, w, b))


@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_conv_dtypes(dtype):
    check_op(lambda L, x, w: functional(L).conv3d(x, w, padding=1), [(1, 2, 3, 4, 5), (3, 2, 3, 3, 3)],
             dtype=dtype, low=-3, high=3, second=False)
    check_op(lambda L, x, w: functional(L).conv_transpose3d(x, w, stride=2), [(1, 2, 3, 2, 3), (2, 3, 2, 2, 2)],
             dtype=dtype, low=-3, high=3, second=False)


def test_conv_float16_runs_in_float32_and_rounds():
    x, w = random_inputs([(1, 2, 3, 4, 5), (3, 2, 3, 3, 3)])
    for fn in (lambda L, x, w: functional(L).conv3d(x, w, padding=1),
               lambda L, x, w: functional(L).conv_transpose3d(x, w[:2], stride=2)):
        ya = fn(al, al.tensor(x, dtype=al.float16), al.tensor(w, dtype=al.float16))
        yt = fn(torch, torch.tensor(x, dtype=torch.float16), torch.tensor(w, dtype=torch.float16))
        assert ya.dtype == al.float16
        np.testing.assert_allclose(ya.numpy().astype(np.float32), yt.numpy().astype(np.float32), rtol=1e-2,
                                   atol=2e-2)


def _np_depth_unfold(x, geo):
    """The plain formula: stacked slice (n*Do + od, (g*kd + k)*cg + c) = x[n, g*cg + c, od*sd + k*dd - pd]."""
    groups, kd, sd, pd, dd, d_out = geo
    n, c, d, h, w = x.shape
    cg = c // groups
    out = np.zeros((n, d_out, groups, kd, cg, h, w), x.dtype)
    for od in range(d_out):
        for k in range(kd):
            i = od * sd + k * dd - pd
            if 0 <= i < d:
                out[:, od, :, k] = x[:, :, i].reshape(n, groups, cg, h, w)
    return out.reshape(n * d_out, c * kd, h, w)


@pytest.mark.parametrize("geo", [(1, 3, 1, 1, 1, 5), (2, 2, 2, 1, 2, 3), (1, 1, 3, 0, 1, 2), (2, 3, 1, 2, 2, 5)])
def test_depth_unfold_and_fold_against_numpy(geo):
    x = np.random.default_rng(1).standard_normal((2, 4, 5, 3, 2)).astype(np.float32)
    cols = conv3d_ops.depth_unfold_raw(x, geo)
    np.testing.assert_array_equal(cols, _np_depth_unfold(x, geo))
    g = np.random.default_rng(2).standard_normal(cols.shape).astype(np.float32)
    # the fold is the unfold's adjoint: <unfold(x), g> == <x, fold(g)>
    np.testing.assert_allclose((cols * g).sum(), (x * conv3d_ops.depth_fold_raw(g, geo, 5)).sum(), rtol=1e-4)


@pytest.mark.parametrize("call, message", [
    (lambda x, w: F.conv3d(x[0, 0], w), "Expected 4D (unbatched) or 5D (batched) input to conv3d, but got input of "
                                        "size: [5, 6, 7]"),
    (lambda x, w: F.conv3d(x, w[..., 0]), "Expected 5-dimensional weight for conv3d, but got weight of size "
                                          "[6, 2, 3, 3]"),
    (lambda x, w: F.conv3d(x, w, groups=4), "Given groups=4, expected weight to be divisible by 4 at dimension 0, "
                                            "but got weight of size [[6, 2, 3, 3, 3]] instead"),
    (lambda x, w: F.conv3d(x, w), "Given groups=1, weight of size [6, 2, 3, 3, 3], expected input[2, 4, 5, 6, 7] to "
                                  "have 2 channels, but got 4 channels instead"),
    (lambda x, w: F.conv3d(x, al.randn(6, 4, 6, 3, 3)), "Calculated padded input size per channel: (5 x 6 x 7). "
                                                        "Kernel size: (6 x 3 x 3). Kernel size can't be greater than "
                                                        "actual input size"),
    (lambda x, w: F.conv3d(x, w, stride=(1, 2), groups=2), "expected stride to be a single integer value or a list "
                                                           "of 3 values to match the convolution dimensions, but got "
                                                           "stride=[1, 2]"),
    (lambda x, w: F.conv3d(x, w, padding="same", stride=2, groups=2), "padding='same' is not supported for strided "
                                                                      "convolutions"),
    (lambda x, w: F.conv_transpose3d(x, al.randn(4, 3, 3, 3, 3), output_padding=2, stride=2),
     "output padding must be smaller than either stride or dilation, but got output_padding_depth: 2 "
     "output_padding_height: 2 output_padding_width: 2 stride_depth: 2 stride_height: 2 stride_width: 2 "
     "dilation_depth: 1 dilation_height: 1 dilation_width: 1"),
    (lambda x, w: F.conv_transpose3d(x, al.randn(5, 3, 3, 3, 3)), "Given transposed=1, weight of size "
                                                                  "[5, 3, 3, 3, 3], expected input[2, 4, 5, 6, 7] to "
                                                                  "have 5 channels, but got 4 channels instead"),
    (lambda x, w: F.conv3d(x.double(), w, groups=2), "expected scalar type Double but found Float"),
])
def test_conv_errors_in_torch_words(call, message):
    x, w = al.randn(2, 4, 5, 6, 7), al.randn(6, 2, 3, 3, 3)
    with pytest.raises(RuntimeError) as err:
        call(x, w)
    assert str(err.value) == message


def test_conv_error_types():
    x = al.randn(2, 4, 5, 6, 7)
    with pytest.raises(TypeError, match="conv_transpose3d\\(\\): argument 'padding' must be tuple of ints, not str"):
        F.conv_transpose3d(x, al.randn(4, 3, 3, 3, 3), padding="same")
    with pytest.raises(NotImplementedError, match="\"compute_columns3d\" not implemented for 'Bool'"):
        F.conv3d(x.bool(), al.randn(6, 4, 3, 3, 3).bool())


# ---- the modules ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv3d_module_matches_torch(mode):
    torch.manual_seed(0)
    ref = torch.nn.Conv3d(4, 6, (3, 2, 3), stride=(1, 2, 1), padding=(1, 1, 2), groups=2, padding_mode=mode)
    ours = nn.Conv3d(4, 6, (3, 2, 3), stride=(1, 2, 1), padding=(1, 1, 2), groups=2, padding_mode=mode)
    ours.load_state_dict({k: al.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    assert repr(ours) == repr(ref)
    x = random_inputs([(2, 4, 5, 6, 7)])[0]
    yt, ya = ref(torch.tensor(x)), ours(al.tensor(x))
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    yt.sum().backward()
    ya.sum().backward()
    for name in ("weight", "bias"):
        np.testing.assert_allclose(getattr(ours, name).grad.numpy(), getattr(ref, name).grad.numpy(), rtol=1e-4,
                                   atol=1e-4)
    assert ours.weight.shape == (6, 2, 3, 2, 3)


def test_conv_transpose3d_module_and_output_size():
    torch.manual_seed(0)
    ref = torch.nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, groups=2, dilation=1)
    ours = nn.ConvTranspose3d(4, 6, 3, stride=2, padding=1, groups=2, dilation=1)
    ours.load_state_dict({k: al.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    assert repr(ours) == repr(ref)
    x = random_inputs([(2, 4, 3, 4, 3)])[0]
    for size in (None, (6, 8, 5), (2, 6, 5, 7, 6)):
        yt, ya = ref(torch.tensor(x), output_size=size), ours(al.tensor(x), output_size=size)
        assert tuple(ya.shape) == tuple(yt.shape)
        np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="requested an output size of"):
        ours(al.tensor(x), output_size=(20, 8, 5))


def test_instance_norm3d_and_batch_norm3d():
    x = random_inputs([(2, 3, 4, 5, 6)])[0]
    for ref, ours in ((torch.nn.InstanceNorm3d(3, affine=True), nn.InstanceNorm3d(3, affine=True)),
                      (torch.nn.BatchNorm3d(3), nn.BatchNorm3d(3))):
        assert repr(ours) == repr(ref)
        np.testing.assert_allclose(ours(al.tensor(x)).detach().numpy(), ref(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-4, atol=1e-5)
    assert nn.InstanceNorm3d(3)(al.tensor(x[0])).shape == (3, 4, 5, 6)
    with pytest.raises(ValueError, match="expected 4D or 5D input \\(got 3D input\\)"):
        nn.InstanceNorm3d(3)(al.randn(3, 4, 5))


# ---- pooling -------------------------------------------------------------------------------------------------

POOL = [
    ("max-k2", lambda L, x: functional(L).max_pool3d(x, 2), (2, 3, 4, 6, 5)),
    ("max-options", lambda L, x: functional(L).max_pool3d(x, (3, 2, 3), (2, 1, 2), (1, 1, 1), (1, 2, 1), True),
     (2, 2, 5, 6, 7)),
    ("max-indices", lambda L, x: functional(L).max_pool3d(x, 3, 2, 1, return_indices=True), (1, 2, 5, 5, 6)),
    ("max-with-indices", lambda L, x: functional(L).max_pool3d_with_indices(x, 2, ceil_mode=True), (1, 2, 5, 5, 5)),
    ("max-unbatched", lambda L, x: functional(L).max_pool3d(x, 2, 1), (3, 4, 4, 4)),
    ("max-top", lambda L, x: L.max_pool3d(x, 2, 1, 1), (1, 2, 3, 4, 5)),
    ("avg-k2", lambda L, x: functional(L).avg_pool3d(x, 2), (2, 3, 4, 6, 5)),
    ("avg-options", lambda L, x: functional(L).avg_pool3d(x, (3, 2, 3), (2, 1, 2), (1, 1, 1), True),
     (2, 2, 5, 6, 7)),
    ("avg-no-pad-count", lambda L, x: functional(L).avg_pool3d(x, 3, 2, 1, True, False), (1, 2, 6, 5, 7)),
    ("avg-divisor", lambda L, x: functional(L).avg_pool3d(x, 3, 2, 1, divisor_override=5), (3, 5, 6, 7)),
    ("adaptive-avg", lambda L, x: functional(L).adaptive_avg_pool3d(x, (3, 4, None)), (2, 3, 5, 6, 7)),
    ("adaptive-avg-global", lambda L, x: functional(L).adaptive_avg_pool3d(x, 1), (3, 4, 5, 6)),
    ("adaptive-max", lambda L, x: functional(L).adaptive_max_pool3d(x, (3, 4, 2), True), (2, 2, 5, 6, 7)),
    ("adaptive-max-up", lambda L, x: functional(L).adaptive_max_pool3d_with_indices(x, (4, 3, 5)), (2, 3, 4, 5)),
    ("lp2", lambda L, x: functional(L).lp_pool3d(x, 2, 2), (2, 2, 4, 5, 6)),
    ("lp3-stride", lambda L, x: functional(L).lp_pool3d(x, 3, (2, 3, 2), 1, True), (1, 2, 4, 5, 4)),
]


@pytest.mark.parametrize("name, fn, shape", [pytest.param(i, f, s, id=i) for i, f, s in POOL])
def test_pool_against_torch(name, fn, shape, device):
    check_op(fn, [shape], device=device, positive=name.startswith("lp"), second=False)


@pytest.mark.parametrize("fn, shape", [pytest.param(f, s, id=i) for i, f, s in POOL
                                       if i in ("max-options", "avg-options", "adaptive-max", "adaptive-avg")])
def test_pool_second_order_float64(fn, shape):
    check_op(fn, [shape], dtype="float64", second=True)


def test_pool_gradcheck_and_gradgradcheck(device):
    x = al.tensor(random_inputs([(1, 2, 3, 4, 3)], "float64")[0], requires_grad=True, device=device)
    for fn in (lambda x: F.max_pool3d(x, 2, 1, 1), lambda x: F.avg_pool3d(x, 2, 1, 1, True, False),
               lambda x: F.adaptive_max_pool3d(x, 2), lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2))):
        assert al.autograd.gradcheck(fn, (x,))
        assert al.autograd.gradgradcheck(fn, (x,))


def test_pool_dtypes():
    x = np.random.default_rng(0).integers(-9, 9, (2, 3, 5, 6, 7))
    for fn in (lambda L, x: functional(L).max_pool3d(x, 2), lambda L, x: functional(L).avg_pool3d(x, 3, 2, 1)):
        ya, yt = fn(al, al.tensor(x)), fn(torch, torch.tensor(x))
        assert ya.dtype == al.int64
        np.testing.assert_array_equal(ya.numpy(), yt.numpy())
    h = al.tensor(x.astype(np.float16))
    assert F.max_pool3d(h, 2).dtype == F.avg_pool3d(h, 2).dtype == al.float16


def test_max_pool3d_nan_and_ties_pick_as_torch():
    x = np.zeros((1, 1, 4, 4, 4))
    x[0, 0, 1, 1, 0] = x[0, 0, 3, 0, 1] = np.nan
    x[0, 0, 0, 2, 2] = x[0, 0, 1, 3, 3] = 5
    for a, b in zip(F.max_pool3d(al.tensor(x), 2, return_indices=True),
                    torch.nn.functional.max_pool3d(torch.tensor(x), 2, return_indices=True)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_max_unpool3d_and_module():
    x = random_inputs([(2, 3, 4, 6, 5)])[0]
    out, idx = torch.nn.functional.max_pool3d(torch.tensor(x), 2, return_indices=True)
    ref = torch.nn.MaxUnpool3d(2)(out, idx, output_size=(4, 6, 5))
    o, i = al.tensor(out.numpy(), requires_grad=True), al.tensor(idx.numpy())
    ours = nn.MaxUnpool3d(2)(o, i, output_size=(4, 6, 5))
    assert repr(nn.MaxUnpool3d(2)) == repr(torch.nn.MaxUnpool3d(2))
    np.testing.assert_array_equal(ours.detach().numpy(), ref.numpy())
    ours.sum().backward()
    np.testing.assert_array_equal(o.grad.numpy(), np.ones(out.shape))
    with pytest.raises(RuntimeError, match="Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor "
                                           "with 3 dimensions."):
        F.max_unpool3d(al.randn(3, 4, 5), al.zeros(3, 4, 5, dtype=al.int64), 2)
    with pytest.raises(RuntimeError, match="Found an invalid max index: 1000 \\(output volumes are of size 8x10x4\\)"):
        F.max_unpool3d(al.randn(1, 3, 4, 5, 2), al.full((1, 3, 4, 5, 2), 1000, dtype=al.int64), 2)


def test_pool_modules_match_torch():
    x = random_inputs([(2, 3, 5, 6, 7)], positive=True)[0]
    pairs = [(nn.MaxPool3d(2, 1, 1), torch.nn.MaxPool3d(2, 1, 1)),
             (nn.MaxPool3d(3, 2, return_indices=True), torch.nn.MaxPool3d(3, 2, return_indices=True)),
             (nn.AvgPool3d(3, 2, 1, count_include_pad=False), torch.nn.AvgPool3d(3, 2, 1, count_include_pad=False)),
             (nn.AdaptiveAvgPool3d((2, None, 3)), torch.nn.AdaptiveAvgPool3d((2, None, 3))),
             (nn.AdaptiveMaxPool3d(2, True), torch.nn.AdaptiveMaxPool3d(2, True)),
             (nn.LPPool3d(2, 2), torch.nn.LPPool3d(2, 2))]
    for ours, ref in pairs:
        assert repr(ours) == repr(ref)
        ya, yt = ours(al.tensor(x)), ref(torch.tensor(x))
        for a, b in zip(ya if isinstance(ya, tuple) else (ya,), yt if isinstance(yt, tuple) else (yt,)):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: F.max_pool3d(x[0, 0], 2), RuntimeError, "non-empty 4D or 5D (batch mode) tensor expected for input"),
    (lambda x: F.max_pool3d(x, 8), RuntimeError, "Given input size: (4x5x6x7). Calculated output size: (4x0x0x0). "
                                                 "Output size is too small"),
    (lambda x: F.max_pool3d(x, 2, padding=2), RuntimeError, "pad should be at most half of effective kernel size, "
                                                            "but got pad=2, kernel_size=2 and dilation=1"),
    (lambda x: F.max_pool3d(x, (2, 2)), RuntimeError, "max_pool3d: kernel_size must either be a single int, or a "
                                                      "tuple of three ints"),
    (lambda x: F.max_pool3d(x, 2, stride=(1, 2)), RuntimeError, "max_pool3d: stride must either be omitted, a single "
                                                                "int, or a tuple of three ints"),
    (lambda x: F.max_pool3d(x, 2, stride=0), RuntimeError, "stride should not be zero"),
    (lambda x: F.max_pool3d(x.bool(), 2), NotImplementedError, "\"max_pool3d\" not implemented for 'Bool'"),
    (lambda x: F.avg_pool3d(x, 8), RuntimeError, "input image (T: 5 H: 6 W: 7) smaller than kernel size (kT: 8 kH: 8 "
                                                 "kW: 8)"),
    (lambda x: F.avg_pool3d(x, (2, 2)), RuntimeError, "avg_pool3d: kernel_size must be a single int, or a tuple of "
                                                      "three ints"),
    (lambda x: F.avg_pool3d(x, 2, padding=(1, 1)), RuntimeError, "avg_pool3d: padding must be a single int, or a "
                                                                 "tuple of three ints"),
    (lambda x: F.avg_pool3d(x, 2, divisor_override=0), RuntimeError, "divisor must be not zero"),
    (lambda x: F.avg_pool3d(x.int(), 2), NotImplementedError, "\"avg_pool3d_out_frame\" not implemented for 'Int'"),
    (lambda x: F.adaptive_avg_pool3d(x[0, 0], 2), RuntimeError, "adaptive_avg_pool3d(): Expected 4D or 5D tensor, "
                                                                "but got [5, 6, 7]"),
    (lambda x: F.adaptive_avg_pool3d(x, (2, 2)), RuntimeError, "adaptive_avg_pool3d: output_size must be 3"),
    (lambda x: F.adaptive_max_pool3d(x[0, 0], 2), RuntimeError, "adaptive_max_pool3d(): Expected 4D or 5D tensor, "
                                                                "but got: [5, 6, 7]"),
    (lambda x: F.adaptive_max_pool3d(x, (2, 2)), RuntimeError, "adaptive_max_pool3d(): internal error: "
                                                               "output_size.size() must be 3"),
    (lambda x: F.adaptive_max_pool3d(x.long(), 2), NotImplementedError, "\"adaptive_max_pool3d_cpu\" not "
                                                                        "implemented for 'Long'"),
    (lambda x: F.adaptive_avg_pool3d(al.randn(2, 0, 3, 4, 5), 2), RuntimeError, "adaptive_avg_pool3d(): Expected "
     "input to have non-zero size for non-batch dimensions, but input has sizes [2, 0, 3, 4, 5] with dimension 1 "
     "being empty"),
])
def test_pool_errors_in_torch_words(call, error, message):
    x = al.randn(2, 4, 5, 6, 7)
    with pytest.raises(error) as err:
        call(x)
    assert str(err.value).strip("'\"") == message.strip("'\"") or str(err.value) == message


@pytest.mark.parametrize("shape", [(1, 1, 3, 3), (2, 3, 5, 4), (1, 2, 4, 5)])
def test_2x2_pools_in_ceil_mode_with_partial_windows(shape):
    """The kernel-2 stride-2 fast paths of the 2-d pools (which the 3-d pools run per slice) take only whole
    windows: ceil_mode's partial last ones go to the general kernels (they read past the plane before)."""
    for fn in (lambda L, x: functional(L).max_pool2d(x, 2, ceil_mode=True, return_indices=True),
               lambda L, x: functional(L).avg_pool2d(x, 2, ceil_mode=True)):
        check_op(fn, [shape], second=False)


# ---- the 3-d Winograd path (_Winograd3d: a (kd, 3, 3) kernel, stride 1, 4x4 output slices; its channel threshold,
# a speed choice, lowered to 1 here) and the pointwise 1x1x1 path: values and gradients against torch, second
# order, gradcheck, the kernels
WINO = [
    ("pad1-bias", lambda L, x, w, b: functional(L).conv3d(x, w, b, padding=1),
     [(2, 8, 4, 6, 7), (5, 8, 3, 3, 3), (5,)]),
    ("partial-tiles-pad0-2", lambda L, x, w: functional(L).conv3d(x, w, None, 1, (0, 2, 0)),
     [(1, 9, 5, 5, 9), (3, 9, 2, 3, 3)]),
    ("depth-dilation-pad", lambda L, x, w: functional(L).conv3d(x, w, None, 1, (3, 1, 1), (2, 1, 1)),
     [(2, 8, 3, 4, 6), (4, 8, 3, 3, 3)]),
    ("same", lambda L, x, w: functional(L).conv3d(x, w, padding="same"), [(1, 8, 5, 6, 4), (3, 8, 2, 3, 3)]),
    ("unbatched", lambda L, x, w: functional(L).conv3d(x, w, padding=1), [(8, 3, 4, 5), (2, 8, 1, 3, 3)]),
    ("1x1x1-groups", lambda L, x, w, b: functional(L).conv3d(x, w, b, groups=2),
     [(2, 4, 3, 4, 5), (6, 2, 1, 1, 1), (6,)]),
]


@pytest.mark.parametrize("fn, shapes", [pytest.param(f, s, id=i) for i, f, s in WINO])
@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
def test_winograd3d_against_torch(fn, shapes, monkeypatch):
    monkeypatch.setattr(conv3d_ops, "WINOGRAD3D_MIN_CHANNELS", 1)
    calls = []
    apply = conv3d_ops._Winograd3d.apply
    monkeypatch.setattr(conv3d_ops._Winograd3d, "apply", lambda *a: calls.append(1) or apply(*a))
    check_op(fn, shapes, second=False, atol=2e-4, rtol=2e-4)
    check_op(fn, shapes, dtype="float64", second=True)
    assert bool(calls) == (tuple(shapes[1][2:]) != (1, 1, 1))       # the path under test ran (1x1x1: a conv2d)


def test_winograd3d_gradcheck_and_gradgradcheck(monkeypatch):
    monkeypatch.setattr(conv3d_ops, "WINOGRAD3D_MIN_CHANNELS", 1)
    x, w, b = (al.tensor(a, requires_grad=True)
               for a in random_inputs([(1, 2, 3, 5, 6), (2, 2, 2, 3, 3), (2,)], "float64"))
    assert conv3d_ops._winograd3d(x, w, (1, 1, 1), (1, 1, 1), (1, 1, 1), (2, 1, 1), 1, (1, 5, 6))
    assert not conv3d_ops._winograd3d(x, w, (1, 1, 1), (1, 1, 0), (1, 1, 0), (2, 1, 1), 1, (1, 5, 4 - 1))
    fn = lambda x, w, b: F.conv3d(x, w, b, 1, 1, (2, 1, 1))      # noqa: E731
    assert al.autograd.gradcheck(fn, (x, w, b))
    assert al.autograd.gradgradcheck(fn, (x, w, b))


@pytest.mark.parametrize("no_gemm", [False, True])
def test_winograd3d_kernels_against_torch(no_gemm, monkeypatch):
    """The kernels alone, float64: forward, the input gradient (the same kernel, flipped weights) and the weight
    gradient; also by NumPy's matmul where no BLAS gemm is found."""
    from autograd_lite.kernels import cpu
    if no_gemm:
        monkeypatch.setattr(importlib.import_module("autograd_lite.kernels.cpu.matmul"), "blas_gemm", lambda d: None)
    rng = np.random.default_rng(3)
    for n, c, d, h, w, o, kd, pd, dd, ph, pw in [(2, 3, 5, 7, 9, 4, 3, 1, 1, 1, 1), (1, 2, 4, 6, 5, 3, 2, 0, 2, 0, 2),
                                                 (3, 5, 6, 11, 10, 7, 3, 2, 1, 2, 0)]:
        x, wt = rng.standard_normal((n, c, d, h, w)), rng.standard_normal((o, c, kd, 3, 3))
        b = rng.standard_normal(o)
        tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(wt, requires_grad=True)
        ty = torch.nn.functional.conv3d(tx, tw, torch.tensor(b), 1, (pd, ph, pw), (dd, 1, 1))
        g = rng.standard_normal(ty.shape)
        ty.backward(torch.tensor(g))
        d_out = ty.shape[2]
        np.testing.assert_allclose(cpu.winograd_conv3d(x, wt, b, (-pd, dd, d_out), (ph, pw)), ty.detach().numpy(),
                                   atol=1e-10)
        dx = cpu.winograd_conv3d(g, wt[:, :, ::-1, ::-1, ::-1].transpose(1, 0, 2, 3, 4), None,
                                 (pd - dd * (kd - 1), dd, d), (2 - ph, 2 - pw))
        np.testing.assert_allclose(dx, tx.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(cpu.winograd_weight_grad3d(x, g, kd, (-pd, dd, d_out), (ph, pw)),
                                   tw.grad.numpy(), atol=1e-10)
    with pytest.raises(ValueError, match="winograd_conv3d: expected"):
        cpu.winograd_conv3d(np.ones((1, 2, 3, 4, 4)), np.ones((1, 2, 3, 5, 5)), None, (0, 1, 1), (1, 1))


def test_integer_conv3d_stays_exact():
    """Integer conv3d runs in float64 without Winograd (its transforms round: a sum of 5 could come out 4.999...)."""
    rng = np.random.default_rng(4)
    x, w = rng.integers(-3, 3, (1, 16, 3, 5, 5)), rng.integers(-3, 3, (16, 16, 3, 3, 3))
    ya = F.conv3d(al.tensor(x), al.tensor(w), padding=1)
    assert ya.dtype == al.int64
    np.testing.assert_array_equal(ya.numpy(), torch.nn.functional.conv3d(torch.tensor(x), torch.tensor(w),
                                                                         padding=1).numpy())


@pytest.mark.parametrize("shape", [(0, 16, 3, 5, 5)])
def test_winograd3d_shapes_empty_input(shape):
    w = np.ones((16, 16, 1, 3, 3), np.float32)
    x = np.ones(shape, np.float32)
    ya = F.conv3d(al.tensor(x), al.tensor(w), padding=(1, 1, 1))
    yt = torch.nn.functional.conv3d(torch.tensor(x), torch.tensor(w), padding=(1, 1, 1))
    assert tuple(ya.shape) == tuple(yt.shape)
    np.testing.assert_array_equal(ya.numpy(), yt.numpy())
