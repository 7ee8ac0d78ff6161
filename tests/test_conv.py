"""Convolutions against PyTorch: conv1d/conv2d/conv_transpose1d/2d, unfold/fold forward and backward (one table of
cases), second order, gradcheck, the modules (init, repr, state_dict, padding modes), errors in PyTorch's words,
the im2col/col2im kernels against a NumPy reference, and the CUDA kernels on the device fixture."""
import math

import numpy as np
import pytest

import autograd_lite as al
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.autograd.gradcheck import gradcheck, gradgradcheck
from autograd_lite.kernels import cpu
from autograd_lite.kernels.cpu._jit import forced
from autograd_lite.ops import conv as conv_ops
from op_helpers import check_op, functional

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _conv(name, **kw):
    return lambda lib, *xs: getattr(functional(lib), name)(*xs, **kw)


# (id, op, input, weight, bias or None, keyword arguments); weights of transposed ops are (C_in, C_out/groups, ...)
CASES = [
    ("plain", "conv2d", (2, 3, 7, 6), (4, 3, 3, 3), (4,), {}),
    ("no-bias", "conv2d", (2, 3, 7, 6), (4, 3, 3, 3), None, {}),
    ("stride-pad", "conv2d", (2, 3, 8, 7), (4, 3, 3, 2), (4,), dict(stride=2, padding=1)),
    ("asym", "conv2d", (1, 2, 9, 8), (3, 2, 3, 3), (3,), dict(stride=(2, 1), padding=(0, 2), dilation=(2, 1))),
    ("dilation", "conv2d", (2, 2, 9, 9), (3, 2, 3, 3), (3,), dict(dilation=2, padding=2)),
    ("groups", "conv2d", (2, 4, 6, 6), (6, 2, 3, 3), (6,), dict(groups=2, padding=1)),
    ("depthwise", "conv2d", (2, 4, 6, 6), (4, 1, 3, 3), (4,), dict(groups=4, padding=1)),
    ("depthwise-x2", "conv2d", (2, 3, 6, 5), (6, 1, 3, 3), None, dict(groups=3, stride=2)),
    ("same", "conv2d", (2, 3, 6, 7), (4, 3, 3, 3), (4,), dict(padding="same")),
    ("same-even", "conv2d", (2, 3, 6, 7), (4, 3, 2, 4), (4,), dict(padding="same", dilation=(1, 3))),
    ("valid", "conv2d", (2, 3, 6, 7), (4, 3, 3, 3), (4,), dict(padding="valid")),
    ("1x1", "conv2d", (2, 5, 4, 3), (3, 5, 1, 1), (3,), {}),
    ("1x1-stride", "conv2d", (2, 5, 5, 4), (3, 5, 1, 1), (3,), dict(stride=2)),
    ("1x1-groups", "conv2d", (2, 4, 3, 3), (6, 2, 1, 1), None, dict(groups=2)),
    ("kernel=input", "conv2d", (2, 3, 4, 4), (2, 3, 4, 4), (2,), {}),
    ("unbatched", "conv2d", (3, 6, 6), (4, 3, 3, 3), (4,), dict(padding=1)),
    ("c1d", "conv1d", (2, 3, 9), (4, 3, 3), (4,), {}),
    ("c1d-all", "conv1d", (2, 4, 11), (6, 2, 3), (6,), dict(stride=2, padding=2, dilation=2, groups=2)),
    ("c1d-same", "conv1d", (2, 3, 8), (4, 3, 4), None, dict(padding="same")),
    ("c1d-unbatched", "conv1d", (3, 9), (4, 3, 3), (4,), dict(padding=1)),
    ("t2d", "conv_transpose2d", (2, 4, 4, 5), (4, 3, 3, 3), (3,), {}),
    ("t2d-stride", "conv_transpose2d", (2, 4, 4, 5), (4, 3, 3, 2), (3,), dict(stride=2, padding=1,
                                                                               output_padding=1)),
    ("t2d-groups", "conv_transpose2d", (2, 4, 3, 4), (4, 2, 3, 3), (4,), dict(stride=(2, 3), groups=2,
                                                                               dilation=(1, 2))),
    ("t2d-outpad-dil", "conv_transpose2d", (1, 2, 3, 3), (2, 2, 3, 3), None, dict(stride=2, dilation=3,
                                                                                   output_padding=2)),
    ("t2d-unbatched", "conv_transpose2d", (4, 3, 3), (4, 2, 2, 2), (2,), dict(stride=2)),
    ("t1d", "conv_transpose1d", (2, 4, 6), (4, 3, 3), (3,), dict(stride=3, padding=1, output_padding=2)),
    ("t1d-groups", "conv_transpose1d", (2, 4, 5), (4, 1, 2), None, dict(groups=4, dilation=2)),
]


def _case_fn(op, bias, kw, transform=None):
    def fn(lib, x, w, *b):
        if transform is not None:
            x = transform(x)
        return getattr(functional(lib), op)(x, w, b[0] if b else None, **kw)
    return fn


def _shapes(x, w, b):
    return [x, w] + ([b] if b else [])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_against_torch(case, dtype):
    """Values and input/weight/bias gradients; in float64 also the second derivatives (create_graph)."""
    _, op, x, w, b, kw = case
    check_op(_case_fn(op, b, kw), _shapes(x, w, b), dtype=dtype, atol=1e-4 if dtype == "float32" else None,
             second=dtype == "float64")


@pytest.mark.parametrize("op,x,w,kw", [
    ("conv2d", (2, 3, 6, 7), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ("conv_transpose2d", (2, 4, 5, 4), (4, 3, 3, 3), dict(stride=2)),
])
def test_non_contiguous_input(op, x, w, kw):
    check_op(_case_fn(op, None, kw, lambda t: t.transpose(2, 3)), [x, w], atol=1e-4, second=False)
    check_op(lambda lib, x, w: getattr(functional(lib), op)(x, w.flip(3), **kw), [x, w], atol=1e-4, second=False)


def test_float16_goes_through_float32():
    x, w = np.random.rand(2, 3, 5, 5).astype(np.float16), np.random.rand(4, 3, 3, 3).astype(np.float16)
    ours = F.conv2d(al.tensor(x), al.tensor(w), padding=1)
    assert ours.dtype is al.float16
    ref = TF.conv2d(torch.tensor(x).float(), torch.tensor(w).float(), padding=1)
    np.testing.assert_allclose(ours.float().numpy(), ref.numpy(), rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("fn", [
    lambda lib, x: functional(lib).unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(2, 1)),
    lambda lib, x: functional(lib).unfold(x, 3),
    lambda lib, x: functional(lib).unfold(x[0], 2, stride=2),
])
def test_unfold(fn):
    check_op(fn, [(2, 3, 7, 8)], atol=1e-5)
    check_op(fn, [(2, 3, 7, 8)], dtype="float64")


@pytest.mark.parametrize("shape,args", [
    ((2, 18, 24), dict(output_size=(7, 8), kernel_size=(2, 3), dilation=2, padding=1, stride=(2, 1))),
    ((2, 12, 9), dict(output_size=(4, 4), kernel_size=2, stride=1)),
    ((27, 4), dict(output_size=(5, 5), kernel_size=3, stride=2)),
])
def test_fold(shape, args):
    check_op(lambda lib, x: functional(lib).fold(x, **args), [shape], atol=1e-5)
    check_op(lambda lib, x: functional(lib).fold(x, **args), [shape], dtype="float64")


def test_unfold_then_matmul_is_conv2d():
    x, w = al.randn(2, 3, 6, 6), al.randn(4, 3, 3, 3)
    cols = F.unfold(x, 3, padding=1)
    y = (w.reshape(4, -1) @ cols).reshape(2, 4, 6, 6)
    np.testing.assert_allclose(y.numpy(), F.conv2d(x, w, padding=1).numpy(), rtol=1e-4, atol=1e-4)


def test_top_level_and_functional_names():
    for name in ("conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"):
        assert getattr(al, name) is getattr(F, name)
    assert hasattr(F, "unfold") and hasattr(F, "fold")
    y = al.conv2d(al.randn(1, 1, 5, 5, requires_grad=True), al.randn(2, 1, 3, 3))
    assert y.grad_fn.name() == "ConvolutionBackward0"


# ---- gradcheck and gradgradcheck in float64 -----------------------------------------------------------------

def _leaves(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(al.tensor(rng.standard_normal(s), dtype=al.float64, requires_grad=True) for s in shapes)


@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
     [(2, 4, 5, 6), (6, 2, 3, 2), (6,)]),
    (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
     [(2, 4, 3, 4), (4, 3, 3, 2), (6,)]),
    (lambda x, w, b: F.conv1d(x, w, b, padding="same", dilation=2), [(2, 3, 7), (2, 3, 3), (2,)]),
    (lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2), [(2, 3, 4), (3, 2, 3), (2,)]),
    (lambda x: F.unfold(x, 2, padding=1, stride=2), [(2, 2, 4, 5)]),
    (lambda x: F.fold(x, (4, 5), 2, padding=1, stride=2), [(2, 8, 9)]),
    (lambda x, w: F.conv2d(x, w), [(1, 3, 3, 3), (2, 3, 1, 1)]),
])
def test_gradcheck_and_gradgradcheck(fn, shapes):
    inputs = _leaves(*shapes)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_double_backward_matches_torch():
    """A gradient penalty through two convolutions: d/dw of |d out / d x|^2, against torch."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 6, 6), (4, 3, 3, 3), (4,), (2, 4, 2, 2))]
    grads = {}
    for lib in (torch, al):
        x, w1, b1, w2 = (lib.tensor(a, requires_grad=True) for a in arrays)
        fn = functional(lib)
        y = fn.conv2d(fn.conv2d(x, w1, b1, stride=2, padding=1).tanh(), w2, stride=2).sum()
        gx, = lib.autograd.grad(y, x, create_graph=True)
        (gx * gx).sum().backward()
        grads[lib.__name__] = [t.grad.numpy() for t in (x, w1, b1, w2)]
    for ours, ref in zip(grads["autograd_lite"], grads["torch"]):
        np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-10)


# ---- modules ----------------------------------------------------------------------------------------------

MODULES = [
    ("Conv2d", (1, 32, 3), {}),
    ("Conv2d", (2, 4, (3, 2)), dict(stride=2, padding=1, dilation=2, groups=2, bias=False, padding_mode="reflect")),
    ("Conv2d", (3, 6, 3), dict(padding="same", groups=3)),
    ("Conv2d", (3, 6, 2), dict(padding="valid", padding_mode="circular")),
    ("Conv1d", (2, 3, 3), dict(padding="same")),
    ("Conv1d", (2, 4, 5), dict(stride=2, padding=1, padding_mode="replicate")),
    ("ConvTranspose2d", (4, 2, 3), dict(stride=2, output_padding=1)),
    ("ConvTranspose2d", (4, 6, (2, 3)), dict(groups=2, dilation=2, bias=False)),
    ("ConvTranspose1d", (4, 2, 3), dict(stride=2, padding=1)),
]


@pytest.mark.parametrize("name,args,kw", MODULES)
def test_module_repr_keys_and_loaded_torch_weights(name, args, kw):
    ref = getattr(torch.nn, name)(*args, **kw).double()
    ours = getattr(nn, name)(*args, **kw)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert tuple(ours.weight.shape) == tuple(ref.weight.shape)
    ours.load_state_dict({k: al.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    ours = ours.double()
    nd = 1 if name.endswith("1d") else 2
    x = np.random.default_rng(0).standard_normal((2, args[0]) + (9,) * nd)
    xt, xa = torch.tensor(x, requires_grad=True), al.tensor(x, requires_grad=True)
    yt, ya = ref(xt), ours(xa)
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    yt.sum().backward()
    ya.sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ours.weight.grad.numpy(), ref.weight.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name,args", [("Conv2d", (16, 32, 3)), ("Conv1d", (8, 64, 5)),
                                       ("ConvTranspose2d", (32, 16, 3)), ("Conv2d", (32, 64, 3, 1, 1, 1, 4))])
def test_init_is_pytorchs(name, args):
    """weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = weight.shape[1] * prod(kernel)."""
    m = getattr(nn, name)(*args)
    fan_in = m.weight.shape[1] * math.prod(m.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert m.weight.dtype is al.float32 and m.bias.dtype is al.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert abs(w.mean()) < 0.05 * bound
    assert np.abs(b).max() <= bound and b.std() > 0
    assert nn.Conv2d(3, 4, 3, bias=False).bias is None


def test_conv_transpose_output_size_and_modes():
    for lib in (torch, al):
        m = lib.nn.ConvTranspose2d(4, 2, 3, stride=2)
        assert tuple(m(lib.randn(1, 4, 5, 5), output_size=(12, 12)).shape) == (1, 2, 12, 12)
        with pytest.raises(ValueError, match="requested an output size of"):
            m(lib.randn(1, 4, 5, 5), output_size=(14, 14))
        with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
            lib.nn.ConvTranspose2d(4, 2, 3, padding_mode="reflect")
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            lib.nn.Conv2d(3, 4, 3, groups=2)


def test_unfold_fold_modules():
    assert repr(nn.Unfold(3)) == repr(torch.nn.Unfold(3))
    assert repr(nn.Fold((4, 5), 2, stride=2)) == repr(torch.nn.Fold((4, 5), 2, stride=2))
    x = np.random.rand(2, 3, 4, 5).astype(np.float32)
    np.testing.assert_allclose(nn.Unfold(2, padding=1)(al.tensor(x)).numpy(),
                               torch.nn.Unfold(2, padding=1)(torch.tensor(x)).numpy())
    cols = np.random.rand(2, 12, 4).astype(np.float32)
    np.testing.assert_allclose(nn.Fold((4, 5), 2, stride=2)(al.tensor(cols)).numpy(),
                               torch.nn.Fold((4, 5), 2, stride=2)(torch.tensor(cols)).numpy(), rtol=1e-6)


def test_mnist_cnn_layers_train():
    """The MNIST CNN's convolutions, end to end: a few SGD steps lower the loss."""
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3, stride=2), nn.ReLU(), nn.Flatten(),
                          nn.Linear(8 * 3 * 3, 3))
    x, y = al.randn(16, 1, 9, 9), al.randint(0, 3, (16,))
    opt = al.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


# ---- errors, as PyTorch words them -----------------------------------------------------------------------

ERRORS = [
    lambda lib: lib.conv2d(lib.randn(64, 3, 28, 28), lib.randn(32, 1, 3, 3)),
    lambda lib: lib.conv2d(lib.randn(3, 28, 28), lib.randn(32, 1, 3, 3)),
    lambda lib: lib.conv2d(lib.randn(1, 1, 2, 2), lib.randn(32, 1, 3, 3)),
    lambda lib: lib.conv2d(lib.randn(1, 1, 4, 4), lib.randn(32, 1, 3, 3), dilation=2),
    lambda lib: lib.conv2d(lib.randn(2, 3), lib.randn(32, 1, 3, 3)),
    lambda lib: lib.conv2d(lib.randn(2, 4, 5, 5), lib.randn(3, 2, 3, 3), groups=2),
    lambda lib: lib.conv2d(lib.randn(2, 3, 5, 5), lib.randn(4, 1, 3, 3), groups=2),
    lambda lib: lib.conv2d(lib.randn(2, 4, 5, 5), lib.randn(4, 2, 3, 3), groups=2, stride=2, padding="same"),
    lambda lib: lib.conv2d(lib.randn(2, 4, 5, 5), lib.randn(4, 2, 3, 3), padding="full"),
    lambda lib: lib.conv2d(lib.randn(2, 4, 5, 5), lib.randn(4, 2, 3, 3), groups=0),
    lambda lib: lib.conv2d(lib.randn(2, 4, 5, 5), lib.randn(4, 4, 3, 3), stride=0),
    lambda lib: lib.conv2d(lib.randn(2, 4, 5, 5), lib.randn(4, 4, 3, 3), padding=-1),
    lambda lib: lib.conv2d(lib.randn(2, 4, 5, 5), lib.randn(4, 4, 3, 3), dilation=0),
    lambda lib: lib.conv2d(lib.randn(2, 4, 5, 5), lib.randn(4, 4, 3, 3), stride=(1, 2, 3)),
    lambda lib: lib.conv2d(lib.randn(2, 4, 5, 5), lib.randn(4, 4, 3, 3), lib.randn(3)),
    lambda lib: lib.conv2d(lib.randn(2, 4, 5, 5, dtype=lib.float64), lib.randn(4, 4, 3, 3)),
    lambda lib: lib.conv2d(lib.randn(2, 4, 5, 5), lib.randn(4, 4, 3, 3), lib.randn(4, dtype=lib.float64)),
    lambda lib: lib.conv1d(lib.randn(2, 4, 5, 5), lib.randn(4, 4, 3)),
    lambda lib: lib.conv1d(lib.randn(2, 4, 5), lib.randn(4, 3, 3)),
    lambda lib: lib.conv1d(lib.randn(2, 4, 2), lib.randn(4, 4, 3)),
    lambda lib: lib.conv_transpose2d(lib.randn(2, 4, 5, 5), lib.randn(3, 4, 3, 3)),
    lambda lib: lib.conv_transpose2d(lib.randn(2, 4, 5, 5), lib.randn(4, 4, 3, 3), output_padding=1),
    lambda lib: lib.conv_transpose2d(lib.randn(2, 4, 5, 5), lib.randn(4, 4, 3, 3), stride=2, output_padding=2),
    lambda lib: lib.conv_transpose2d(lib.randn(2, 4), lib.randn(4, 4, 3, 3)),
    lambda lib: lib.conv_transpose1d(lib.randn(2, 4, 5), lib.randn(4, 4, 3), output_padding=1),
    lambda lib: lib.conv_transpose1d(lib.randn(2, 4, 5, 5), lib.randn(4, 4, 3)),
    lambda lib: functional(lib).unfold(lib.randn(2, 4, 2, 2), 3),
    lambda lib: functional(lib).fold(lib.randn(2, 36, 8), (5, 5), 3),
    lambda lib: functional(lib).fold(lib.randn(2, 35, 9), (5, 5), 3),
    lambda lib: functional(lib).fold(lib.randn(2, 36, 9, 1), (5, 5), 3),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors_as_pytorch(k):
    with pytest.raises(Exception) as ref:
        ERRORS[k](torch)
    with pytest.raises(type(ref.value)) as ours:
        ERRORS[k](al)
    assert str(ours.value) == str(ref.value)


def test_padding_string_on_transposed_is_a_type_error():
    with pytest.raises(TypeError, match=r"conv_transpose2d\(\): argument 'padding' must be tuple of ints, not str"):
        F.conv_transpose2d(al.randn(1, 2, 3, 3), al.randn(2, 2, 3, 3), padding="same")


# ---- the kernels --------------------------------------------------------------------------------------------

def _im2col_reference(x, k, s, p, d, out):
    """(N, C*kh*kw, Ho*Wo) by loops over the kernel taps, on a zero-padded copy."""
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + p[0] + k[0] * d[0] + s[0] * out[0], w + p[1] + k[1] * d[1] + s[1] * out[1]), x.dtype)
    xp[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x
    cols = np.empty((n, c, k[0], k[1], out[0], out[1]), x.dtype)
    for ki in range(k[0]):
        for kj in range(k[1]):
            cols[:, :, ki, kj] = xp[:, :, ki * d[0]:ki * d[0] + s[0] * out[0]:s[0],
                                    kj * d[1]:kj * d[1] + s[1] * out[1]:s[1]]
    return cols.reshape(n, c * k[0] * k[1], -1)


GEOMETRIES = [((3, 3), (1, 1), (0, 0), (1, 1), (4, 5)), ((2, 3), (2, 1), (1, 2), (2, 1), (4, 6)),
              ((3, 1), (1, 3), (2, 0), (1, 1), (8, 2)), ((1, 1), (1, 1), (0, 0), (1, 1), (6, 7)),
              ((3, 3), (3, 3), (4, 4), (1, 1), (4, 4))]


@pytest.mark.parametrize("geo", GEOMETRIES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cpu_im2col_col2im_against_numpy(geo, dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 7)).astype(dtype)
    ref = _im2col_reference(x, *geo)
    for parallel in (False, True):
        with forced(parallel):
            cols = cpu.im2col(x, *geo)
            assert cols.dtype == dtype
            np.testing.assert_array_equal(cols, ref)
            np.testing.assert_array_equal(cpu.im2col(x, *geo, True), ref.transpose(1, 0, 2))
            # col2im is im2col's adjoint: <im2col(x), c> == <x, col2im(c)>
            c = np.random.default_rng(1).standard_normal(ref.shape).astype(dtype)
            back = cpu.col2im(c, x.shape, *geo)
            assert back.dtype == dtype and back.shape == x.shape
            np.testing.assert_allclose((ref * c).sum(), (x * back).sum(), rtol=1e-5)
            np.testing.assert_allclose(cpu.col2im(np.ascontiguousarray(c.transpose(1, 0, 2)), x.shape, *geo, True),
                                       back, rtol=1e-6)


def test_cpu_kernels_write_into_out_and_reject_bad_arguments():
    x = np.random.rand(2, 3, 5, 5).astype(np.float32)
    buf = np.full((2, 27, 9), np.nan, np.float32)
    assert cpu.im2col(x, (3, 3), (1, 1), (0, 0), (1, 1), (3, 3), out=buf) is buf
    img = np.full(x.shape, np.nan, np.float32)
    assert cpu.col2im(buf, x.shape, (3, 3), (1, 1), (0, 0), (1, 1), (3, 3), out=img) is img
    assert not np.isnan(img).any()
    with pytest.raises(ValueError, match="im2col: out must be"):
        cpu.im2col(x, (3, 3), (1, 1), (0, 0), (1, 1), (3, 3), out=np.empty((2, 27, 8), np.float32))
    with pytest.raises(ValueError, match="col2im: expected cols of shape"):
        cpu.col2im(buf[:, :, :8], x.shape, (3, 3), (1, 1), (0, 0), (1, 1), (3, 3))
    with pytest.raises(ValueError, match="im2col: kernel_size, stride and dilation must be positive"):
        cpu.im2col(x, (3, 3), (0, 1), (0, 0), (1, 1), (3, 3))
    with pytest.raises(TypeError, match="im2col: expected float32 or float64"):
        cpu.im2col(x.astype(np.int32), (3, 3), (1, 1), (0, 0), (1, 1), (3, 3))


def test_batch_chunks_give_the_same_result(monkeypatch):
    """Small chunks (several im2col buffers' worth of images) and both weight-gradient products agree with torch."""
    monkeypatch.setattr(conv_ops, "CHUNK", 40)
    for rows in (1, 10 ** 6):
        monkeypatch.setattr(conv_ops, "BATCH_PRODUCT_MIN", rows)
        check_op(_case_fn("conv2d", True, dict(padding=1, groups=2)), [(5, 4, 5, 4), (6, 2, 3, 3), (6,)],
                 atol=1e-4, second=False)
        check_op(_case_fn("conv_transpose2d", True, dict(stride=2)), [(5, 4, 3, 3), (4, 2, 3, 3), (2,)],
                 atol=1e-4, second=False)


# ---- the CUDA path (the stand-in device runs the CUDA kernel table on emulated CuPy) -------------------------

DEVICE_CASES = [c for c in CASES if c[0] in ("stride-pad", "asym", "groups", "1x1", "c1d-all", "t2d-stride",
                                             "t2d-groups")]


@pytest.mark.parametrize("case", DEVICE_CASES, ids=[c[0] for c in DEVICE_CASES])
def test_on_device(case, device):
    _, op, x, w, b, kw = case
    check_op(_case_fn(op, b, kw), _shapes(x, w, b), atol=1e-4, device=device, second=False)


def test_unfold_fold_on_device(device):
    check_op(lambda lib, x: functional(lib).unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(2, 1)),
             [(2, 3, 7, 8)], atol=1e-5, device=device)
    check_op(lambda lib, x: functional(lib).fold(x, (7, 8), (2, 3), dilation=2, padding=1, stride=(2, 1)),
             [(2, 18, 24)], atol=1e-5, device=device)


def test_module_on_device(device):
    m = nn.Conv2d(3, 4, 3, padding=1).to(device)
    x = al.randn(2, 3, 5, 5, device=device, requires_grad=True)
    y = m(x)
    assert y.device == al.device(device)
    y.sum().backward()
    assert x.grad.device == al.device(device) and m.weight.grad.device == al.device(device)
    ref = nn.Conv2d(3, 4, 3, padding=1)
    ref.load_state_dict({k: v.cpu() for k, v in m.state_dict().items()})
    np.testing.assert_allclose(y.detach().cpu().numpy(), ref(x.detach().cpu()).detach().numpy(), rtol=1e-5,
                               atol=1e-5)


# ---- the CPU forward's paths (conv_ops._path): each against torch, float32/float64, serial and parallel ----------

PATH_CASES = [   # (expected path, x, w, stride, padding, dilation)
    ("direct", (3, 1, 9, 8), (5, 1, 3, 3), (1, 1), (0, 0), (1, 1)),      # a CNN's first layer (flat sums)
    ("direct", (2, 1, 9, 8), (4, 1, 3, 2), (1, 1), (0, 0), (2, 3)),      # flat, dilated
    ("direct", (2, 2, 9, 8), (4, 2, 2, 3), (2, 1), (1, 2), (1, 2)),      # padded and strided: tap by tap
    ("pointwise", (3, 6, 5, 4), (4, 6, 1, 1), (1, 1), (0, 0), (1, 1)),
    ("taps", (2, 8, 7, 6), (3, 8, 3, 3), (1, 1), (1, 1), (1, 1)),        # DenseNet's 3x3 128 -> 32
    ("taps", (2, 8, 9, 8), (2, 8, 3, 2), (2, 1), (1, 0), (1, 2)),
    ("chunks", (3, 4, 7, 6), (5, 4, 3, 3), (1, 1), (1, 1), (1, 1)),
    ("chunks", (2, 3, 8, 7), (4, 3, 3, 2), (2, 1), (1, 0), (1, 2)),
    ("chunks", (16, 32, 16, 16), (32, 32, 3, 3), (2, 2), (1, 1), (1, 1)),   # strided: no Winograd
    ("winograd", (16, 32, 16, 16), (32, 32, 3, 3), (1, 1), (1, 1), (1, 1)),  # 256 tiles of 4x4
    ("winograd", (9, 32, 19, 23), (48, 32, 3, 3), (1, 1), (2, 0), (1, 1)),  # partial tiles at both edges
    ("winograd", (4, 32, 33, 30), (40, 32, 3, 3), (1, 1), (0, 1), (1, 1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", PATH_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(PATH_CASES)])
def test_cpu_paths_against_torch(case, dtype):
    path, xs, ws, s, p, d = case
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(shape).astype(dtype) for shape in (xs, ws, ws[:1]))
    ref = TF.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=s, padding=p, dilation=d).numpy()
    geo = (s, p, d, 1)
    assert conv_ops._path(x, w, geo, ref.shape[2:]) == path
    # Winograd's F(4x4, 3x3) in float32: errors ~1e-5 of the outputs' scale (its transforms' coefficients up to 8)
    atol = (2e-5 * np.abs(ref).max() if path == "winograd" else 1e-4) if dtype == np.float32 else 1e-10
    for parallel in (False, True):
        with forced(parallel):
            y = conv_ops.conv_raw(x, w, b, geo, ref.shape[2:])
            assert y.dtype == dtype and y.shape == ref.shape
            np.testing.assert_allclose(y, ref, rtol=1e-5, atol=atol)
            y0 = conv_ops.conv_raw(x, w, None, geo, ref.shape[2:])
            np.testing.assert_allclose(y0, ref - b.reshape(-1, 1, 1), rtol=1e-5, atol=atol)


@pytest.mark.parametrize("shapes,kw", [
    ([(2, 1, 6, 5), (3, 1, 3, 3), (3,)], {}),                                   # direct
    ([(2, 6, 5, 4), (2, 6, 3, 3), (2,)], dict(padding=1)),                      # taps (fewer outputs than inputs)
    ([(2, 3, 5, 4), (2, 3, 1, 1), (2,)], {}),                                   # pointwise
])
def test_paths_gradgradcheck(shapes, kw):
    """Second order through the fast forward paths (they run inside the backward formulas too)."""
    inputs = _leaves(*shapes)
    fn = lambda x, w, b: F.conv2d(x, w, b, **kw)  # noqa: E731
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)
    check_op(lambda lib, x, w, b: functional(lib).conv2d(x, w, b, **kw), shapes, dtype="float64")


def test_forward_paths_without_grad_match_torch():
    """Inference (no_grad) takes the taps / direct paths; the values equal torch's."""
    rng = np.random.default_rng(2)
    for xs, ws, kw in (((2, 8, 7, 7), (3, 8, 3, 3), dict(padding=1)), ((2, 1, 9, 9), (4, 1, 3, 3), {})):
        x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
        with al.no_grad():
            ours = F.conv2d(al.tensor(x), al.tensor(w), **kw).numpy()
        np.testing.assert_allclose(ours, TF.conv2d(torch.tensor(x), torch.tensor(w), **kw).numpy(), rtol=1e-5,
                                   atol=1e-5)


@pytest.fixture
def winograd_always(monkeypatch):
    """Every 3x3 stride-1 single-group convolution (and input gradient) on the CPU by Winograd, however small."""
    for name, value in (("WINOGRAD_MIN_CHANNELS", 0), ("WINOGRAD_WEIGHT_MIN_CHANNELS", 0), ("WINOGRAD_MIN_TILES", 0),
                        ("WINOGRAD_MAX_FILTERS_PER_TILE", math.inf)):
        monkeypatch.setattr(conv_ops, name, value)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes,kw", [
    ([(2, 3, 7, 6), (3, 3, 3, 3), (3,)], dict(padding=1)),
    ([(3, 2, 9, 5), (5, 2, 3, 3), None], {}),                          # the input gradient 5 -> 2: not Winograd
    ([(1, 4, 6, 11), (4, 4, 3, 3), (4,)], dict(padding=(2, 0))),
    ([(2, 5, 3, 3), (5, 5, 3, 3), (5,)], dict(padding="same")),
])
def test_winograd_against_torch(winograd_always, monkeypatch, shapes, kw, dtype):
    """Winograd's F(4x4, 3x3) forward, input gradient (a convolution by the flipped weights, padding 2 - p) and
    weight gradient: values, gradients and, in float64, second order (its backward formulas run it again)."""
    x, w, b = shapes
    calls, grads = [], []
    kernel, weight_grad = cpu.winograd_conv, cpu.winograd_weight_grad
    monkeypatch.setattr(cpu, "winograd_conv", lambda *a, **k: calls.append(a[1].shape) or kernel(*a, **k))
    monkeypatch.setattr(cpu, "winograd_weight_grad", lambda *a: grads.append(a[1].shape) or weight_grad(*a))
    check_op(_case_fn("conv2d", b, kw), _shapes(x, w, b), dtype=dtype, atol=1e-4 if dtype == "float32" else None,
             second=dtype == "float64")
    assert tuple(w) in calls                                    # the forward
    assert ((w[1], w[0], 3, 3) in calls) == (w[1] >= w[0])     # the input gradient, O -> C: if C >= O
    assert grads                                                # the weight gradient


def test_winograd_gradcheck_and_fused_relu(winograd_always):
    inputs = _leaves((2, 3, 6, 7), (4, 3, 3, 3), (4,))
    fn = lambda x, w, b: F.conv2d(x, w, b, padding=1)  # noqa: E731
    assert gradcheck(fn, inputs) and gradgradcheck(fn, inputs)
    fused = lambda x, w, b: conv_ops.conv_relu(2, x, w, b, padding=1)  # noqa: E731
    assert gradcheck(fused, inputs) and gradgradcheck(fused, inputs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_winograd_kernel_against_torch_serial_and_parallel(dtype):
    """The kernel itself at a size of several chunks (tile rows of a large batch), the bias and the ReLU, serial
    and parallel. A NaN input makes NaN every output of the 4x4 tiles whose 6x6 input reads it (torch's: those whose
    3x3 window does, and within those tiles those its transforms mix it into), a superset: NaN stays NaN through
    the ReLU."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((12, 40, 45, 38)).astype(dtype)
    w, b = rng.standard_normal((36, 40, 3, 3)).astype(dtype) * .1, rng.standard_normal(36).astype(dtype)
    x[0, 0, 5, 7] = np.nan
    ref = TF.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), padding=(1, 2)).numpy()
    nan = np.zeros(ref.shape, bool)
    nan[0, :, 4:8, 4:12] = True           # the tiles (rows 4-7, columns 4-11) whose inputs hold row 5, column 7
    assert (np.isnan(ref) <= nan).all()
    tol = 2e-5 * np.nanmax(np.abs(ref)) if dtype == np.float32 else 1e-11
    for parallel in (False, True):
        with forced(parallel):
            for bias, relu in ((b, False), (b, True), (None, False)):
                y = cpu.winograd_conv(x, w, bias, (1, 2), relu=relu)
                expected = ref - (0 if bias is not None else b.reshape(-1, 1, 1))
                expected = np.maximum(expected, 0) if relu else expected
                assert y.dtype == dtype and y.shape == ref.shape
                assert (np.isnan(expected) <= np.isnan(y)).all() and (np.isnan(y) <= nan).all()
                np.testing.assert_allclose(y[~nan], expected[~nan], rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_winograd_weight_grad_kernel_against_torch_serial_and_parallel(dtype):
    """The weight gradient over several chunks of tile rows, partial tiles at both edges, serial and parallel."""
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((10, 24, 41, 30)).astype(dtype), rng.standard_normal((20, 24, 3, 3)).astype(dtype)
    tx, tw = torch.tensor(x), torch.tensor(w, requires_grad=True)
    y = TF.conv2d(tx, tw, padding=(2, 0))
    g = rng.standard_normal(tuple(y.shape)).astype(dtype)
    y.backward(torch.tensor(g))
    ref = tw.grad.numpy()
    tol = 2e-5 * np.abs(ref).max() if dtype == np.float32 else 1e-10
    for parallel in (False, True):
        with forced(parallel):
            dw = cpu.winograd_weight_grad(x, g, (2, 0))
            assert dw.dtype == dtype and dw.shape == ref.shape
            np.testing.assert_allclose(dw, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_direct_relu_pool22_kernel_equals_the_three_kernels(dtype):
    """The fused kernel's values and argmax equal conv_direct's ReLU output pooled by max_pool2d_forward, with ties
    (a channel of zero weights: every window all zeros after the ReLU) and a NaN, serial and parallel."""
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 2, 11, 10)).astype(dtype), rng.standard_normal((4, 2, 2, 3)).astype(dtype)
    w[1] = 0
    x[0, 1, 4, 5] = np.nan
    b = rng.standard_normal(4).astype(dtype)
    b[1] = -1
    for parallel in (False, True):
        with forced(parallel):
            y = cpu.conv_direct(x, w, b, (1, 1), (0, 0), (2, 1), (9, 8), relu=True)
            ref, ref_idx = cpu.max_pool2d_forward(y, (2, 2), (2, 2), (0, 0), (1, 1), (4, 4))
            out, idx = cpu.conv_direct_relu_pool22(x, w, b, (2, 1), (9, 8))
            assert out.dtype == dtype and idx.dtype == ref_idx.dtype and out.shape == ref.shape
            np.testing.assert_array_equal(out, ref)
            np.testing.assert_array_equal(idx, ref_idx)
    assert np.isnan(out).any() and (out[1:, 1] == 0).all()     # 0 * NaN is NaN in image 0
    with pytest.raises(ValueError, match="conv_direct_relu_pool22: expected x"):
        cpu.conv_direct_relu_pool22(x, w, b, (1, 1), (9, 8))


def test_winograd_kernel_rejects_bad_arguments():
    x = np.zeros((1, 2, 5, 5), np.float32)
    with pytest.raises(ValueError, match="winograd_conv: expected x"):
        cpu.winograd_conv(x, np.zeros((3, 2, 2, 2), np.float32), None, (1, 1))
    with pytest.raises(ValueError, match="leaves no output"):
        cpu.winograd_conv(np.zeros((1, 2, 2, 2), np.float32), np.zeros((3, 2, 3, 3), np.float32), None, (0, 0))
    with pytest.raises(ValueError, match="winograd_conv: out must be"):
        cpu.winograd_conv(x, np.zeros((3, 2, 3, 3), np.float32), None, (1, 1), out=np.zeros((1, 3, 5, 4)))
    with pytest.raises(TypeError, match="winograd_conv: expected float32 or float64"):
        cpu.winograd_conv(x.astype(np.int32), np.zeros((3, 2, 3, 3), np.int32), None, (1, 1))
    with pytest.raises(ValueError, match="winograd_weight_grad: expected x"):
        cpu.winograd_weight_grad(x, np.zeros((1, 3, 5, 4), np.float32), (1, 1))


def test_cpu_direct_and_tap_sum_kernels_reject_bad_arguments():
    x = np.zeros((1, 2, 5, 5), np.float32)
    with pytest.raises(ValueError, match="conv_direct: expected x"):
        cpu.conv_direct(x, np.zeros((3, 1, 3, 3), np.float32), None, (1, 1), (0, 0), (1, 1), (3, 3))
    with pytest.raises(ValueError, match="tap_sum: expected z"):
        cpu.tap_sum(np.zeros((1, 10, 25), np.float32), (5, 5), None, (3, 3), (1, 1), (0, 0), (1, 1), (3, 3))
    with pytest.raises(ValueError, match="conv_direct: out must be"):
        cpu.conv_direct(x, np.zeros((3, 2, 3, 3), np.float32), None, (1, 1), (0, 0), (1, 1), (3, 3),
                        out=np.zeros((1, 3, 3, 4), np.float32))


# ---- nn.Sequential's fusions: Conv + ReLU as one node, Conv2d + ReLU + MaxPool2d as one node --------------------

FUSED = [   # (id, layers of a Sequential, input shape, names of the output's node fused / unfused)
    ("conv-relu", lambda lib: [lib.nn.Conv2d(3, 4, 3, padding=1), lib.nn.ReLU()], (2, 3, 6, 7)),
    ("conv-relu-direct", lambda lib: [lib.nn.Conv2d(1, 5, 3), lib.nn.ReLU(inplace=True)], (3, 1, 9, 8)),
    ("conv-relu-taps", lambda lib: [lib.nn.Conv2d(8, 3, 3, padding=1, bias=False), lib.nn.ReLU()], (2, 8, 5, 6)),
    ("conv-relu-1x1", lambda lib: [lib.nn.Conv2d(5, 3, 1), lib.nn.ReLU()], (2, 5, 4, 3)),
    ("conv1d-relu", lambda lib: [lib.nn.Conv1d(3, 4, 3, stride=2), lib.nn.ReLU()], (2, 3, 11)),     # unfused
    ("unbatched-relu", lambda lib: [lib.nn.Conv2d(3, 4, 3), lib.nn.ReLU(), lib.nn.MaxPool2d(2)], (3, 7, 6)),
    ("conv-relu-pool", lambda lib: [lib.nn.Conv2d(3, 4, 3), lib.nn.ReLU(), lib.nn.MaxPool2d(2)], (2, 3, 13, 12)),
    ("conv-relu-pool-direct", lambda lib: [lib.nn.Conv2d(1, 4, 3), lib.nn.ReLU(), lib.nn.MaxPool2d(2)],
     (3, 1, 10, 9)),
    ("conv-relu-pool-direct-dilated", lambda lib: [lib.nn.Conv2d(2, 3, (2, 3), dilation=(2, 1)), lib.nn.ReLU(),
                                                   lib.nn.MaxPool2d(2)], (2, 2, 11, 12)),
    ("conv-relu-pool-overlap", lambda lib: [lib.nn.Conv2d(2, 3, 3, stride=2, padding=1, groups=1), lib.nn.ReLU(),
                                            lib.nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)], (2, 2, 11, 9)),
    ("conv-relu-pool-groups", lambda lib: [lib.nn.Conv2d(4, 6, 3, groups=2, padding=1), lib.nn.ReLU(),
                                           lib.nn.MaxPool2d(2, dilation=2)], (2, 4, 8, 8)),
]


def _fused_pair(layers, dtype, seed=0):
    """A Sequential of ours and torch's with the same weights (float64 where asked)."""
    al.manual_seed(seed)
    ours, ref = nn.Sequential(*layers(al)), torch.nn.Sequential(*layers(torch))
    ref.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    if dtype == "float64":
        ours, ref = ours.double(), ref.double()
    return ours, ref


def _run_pair(ours, ref, x, fuse=True):
    xa, xt = al.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya = ours(xa) if fuse else _unfused(ours, xa)
    yt = ref(xt)
    g = np.random.default_rng(1).standard_normal(yt.shape).astype(x.dtype)
    ya.backward(al.tensor(g))
    yt.backward(torch.tensor(g))
    return ya, yt, xa, xt


def _unfused(seq, x):
    for module in seq:
        x = module(x)
    return x


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", FUSED, ids=[c[0] for c in FUSED])
def test_sequential_fusions_against_torch_and_unfused(case, dtype):
    _, layers, shape = case
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    results = []
    for fuse in (True, False):
        ours, ref = _fused_pair(layers, dtype)
        ya, yt, xa, xt = _run_pair(ours, ref, x, fuse)
        assert ya.dtype == getattr(al, dtype) and tuple(ya.shape) == tuple(yt.shape)
        np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), **tol)
        np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), **tol)
        for p, q in zip(ours.parameters(), ref.parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), **tol)
        results.append((ya.grad_fn.name(), type(ya.grad_fn).__name__, yt.grad_fn.name()))
    (fused_name, fused_type, torch_name), (plain_name, plain_type, _) = results
    assert fused_name == plain_name == torch_name       # the node is named as PyTorch's last one
    fused_types = ("Conv", "ConvReluMaxPool")
    assert (fused_type in fused_types) == (case[0] not in ("conv1d-relu", "unbatched-relu"))
    assert plain_type not in fused_types


@pytest.mark.parametrize("hooked", [0, 1, 2])
def test_hooks_disable_the_fusions(hooked):
    layers = lambda lib: [lib.nn.Conv2d(3, 4, 3), lib.nn.ReLU(), lib.nn.MaxPool2d(2)]  # noqa: E731
    ours, ref = _fused_pair(layers, "float64")
    seen = []
    ours[hooked].register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape)))
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 9))
    ya, yt, xa, xt = _run_pair(ours, ref, x)
    assert seen == [(2, 4, 7, 7) if hooked < 2 else (2, 4, 3, 3)]
    assert type(ya.grad_fn).__name__ != "ConvReluMaxPool"
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    if hooked == 2:     # the conv and relu still run as one node under the hooked pool
        assert type(ya.grad_fn.next_functions[0][0]).__name__ == "Conv"


def test_fusions_not_taken_where_they_would_change_results():
    """return_indices pools, a non-zero padding_mode and unbatched input run unfused, as PyTorch's modules do."""
    x = al.randn(2, 3, 8, 8, requires_grad=True)
    seq = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2, return_indices=True))
    out, idx = seq(x)
    assert out.grad_fn.name() == "MaxPool2DWithIndicesBackward0" and idx.dtype == al.int64
    seq = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect"), nn.ReLU(), nn.MaxPool2d(2))
    assert type(seq(x).grad_fn).__name__ != "ConvReluMaxPool"
    assert type(seq(x[0]).grad_fn).__name__ != "ConvReluMaxPool"
    assert type(seq[:2](x).grad_fn).__name__ == "Conv" and seq[:2](x).grad_fn.name() == "ReluBackward0"


@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w, b: conv_ops.conv_relu(2, x, w, b, padding=1), [(2, 3, 4, 5), (2, 3, 3, 3), (2,)]),
    (lambda x, w, b: conv_ops.conv_relu(2, x, w, b), [(2, 1, 5, 5), (3, 1, 3, 3), (3,)]),          # direct
    (lambda x, w, b: conv_ops.conv_relu(1, x, w, b, stride=2), [(2, 3, 7), (2, 3, 3), (2,)]),
    (lambda x, w, b: conv_ops.conv2d_relu_max_pool2d(x, w, b, 1, 1, 1, 1, 2), [(2, 2, 5, 5), (3, 2, 3, 3), (3,)]),
    (lambda x, w, b: conv_ops.conv2d_relu_max_pool2d(x, w, b, 1, 0, 1, 1, 3, 2, 1, 1, True),
     [(1, 1, 7, 6), (2, 1, 3, 3), (2,)]),
])
def test_fused_gradcheck_and_gradgradcheck(fn, shapes):
    inputs = _leaves(*shapes)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_fused_double_backward_matches_torch():
    """A gradient penalty through the fused MNIST blocks, against torch's unfused layers."""
    layers = lambda lib: [lib.nn.Conv2d(1, 3, 3), lib.nn.ReLU(), lib.nn.MaxPool2d(2),  # noqa: E731
                          lib.nn.Conv2d(3, 4, 3), lib.nn.ReLU(), lib.nn.Flatten(), lib.nn.Linear(36, 2)]
    ours, ref = _fused_pair(layers, "float64")
    x = np.random.default_rng(4).standard_normal((2, 1, 12, 12))
    grads = []
    for lib, seq in ((al, ours), (torch, ref)):
        xt = lib.tensor(x, requires_grad=True)
        gx, = lib.autograd.grad((seq(xt) ** 2).sum(), xt, create_graph=True)
        (gx * gx).sum().backward()
        grads.append([p.grad.numpy() for p in seq.parameters()] + [xt.grad.numpy()])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


def test_fused_on_device(device):
    layers = lambda lib: [lib.nn.Conv2d(3, 4, 3, padding=1), lib.nn.ReLU(), lib.nn.MaxPool2d(2),  # noqa: E731
                          lib.nn.Conv2d(4, 2, 3), lib.nn.ReLU()]
    ours, ref = _fused_pair(layers, "float32")
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    xd = al.tensor(x, device=device, requires_grad=True)
    y = ours.to(device)(xd)
    y.sum().backward()
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    yt.sum().backward()
    np.testing.assert_allclose(y.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xd.grad.cpu().numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    for p, q in zip(ours.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cpu_bias_relu_and_relu_backward_kernels(dtype):
    rng = np.random.default_rng(0)
    z, b, g = rng.standard_normal((3, 4, 5, 6)).astype(dtype), rng.standard_normal(4).astype(dtype), \
        rng.standard_normal((3, 4, 5, 6)).astype(dtype)
    z[0, 0, 0, :2] = np.nan, -0.0
    for parallel in (False, True):
        with forced(parallel):
            y = cpu.conv_bias_relu_(z.copy(), b, True)
            ref = np.maximum(z + b.reshape(-1, 1, 1), 0)
            np.testing.assert_array_equal(np.isnan(y), np.isnan(ref))      # NaN stays NaN, as torch.relu's
            np.testing.assert_allclose(y, ref, rtol=1e-6)
            np.testing.assert_allclose(cpu.conv_bias_relu_(z.copy(), None, False), z)
            dz, db = cpu.conv_relu_backward(g, y)
            np.testing.assert_array_equal(dz, np.where(y > 0, g, 0))
            np.testing.assert_allclose(db, dz.sum((0, 2, 3)), rtol=1e-5)
    with pytest.raises(ValueError, match="conv_relu_backward: expected g and y of one shape"):
        cpu.conv_relu_backward(g, y[:1])
    with pytest.raises(ValueError, match="conv_bias_relu_: expected a C-contiguous"):
        cpu.conv_bias_relu_(z.transpose(1, 0, 2, 3), b, True)
