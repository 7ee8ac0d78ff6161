"""grid_sample, affine_grid (and torch.grid_sampler / affine_grid_generator) against PyTorch: every mode x padding x
align_corners in float64 and float32 (values, both gradients), gradcheck and second order, NaN / inf / far grid
values, the 5-D (trilinear, nearest) case, the emulated CUDA device (the Tensor-op path), errors and warnings, the
Numba kernels against their NumPy formulas, and the Spatial Transformer Networks tutorial's training step."""
import itertools
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import autograd_lite as al
import autograd_lite.nn.functional as F
from autograd_lite import nn, optim
from autograd_lite.kernels.cpu import _jit, grid_sample as K
from autograd_lite.ops import grid_sampling as G

MODES, PADS = ("bilinear", "nearest", "bicubic"), ("zeros", "border", "reflection")
CASES = list(itertools.product(MODES, PADS, (False, True)))
TOL = {"float64": dict(rtol=1e-9, atol=1e-10), "float32": dict(rtol=1e-4, atol=2e-5)}


def _inputs(dtype, shape=(2, 3, 5, 6), out=(4, 7), span=2.6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    g = ((rng.random((shape[0],) + out + (len(shape) - 2,)) - 0.5) * span).astype(dtype)
    return x, g


def _al(a, device="cpu", rg=True):
    return al.tensor(a, requires_grad=rg, device=device)


def _np(t):
    return t.detach().cpu().numpy()


def _run_both(x, g, go, device="cpu", **kw):
    tx, tg = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
    ty = TF.grid_sample(tx, tg, **kw)
    tgx, tgg = torch.autograd.grad(ty, (tx, tg), torch.tensor(go))
    ax, ag = _al(x, device), _al(g, device)
    ay = F.grid_sample(ax, ag, **kw)
    agx, agg = al.autograd.grad(ay, (ax, ag), al.tensor(go, device=device))
    return (ty, tgx, tgg), (ay, agx, agg)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode,pad,align", CASES)
def test_against_torch(mode, pad, align, dtype):
    x, g = _inputs(dtype)
    go = np.random.default_rng(1).standard_normal((2, 3, 4, 7)).astype(dtype)
    want, got = _run_both(x, g, go, mode=mode, padding_mode=pad, align_corners=align)
    assert got[0].dtype == getattr(al, dtype) and got[0].shape == (2, 3, 4, 7)
    for w, a in zip(want, got):
        np.testing.assert_allclose(_np(a), w.detach().numpy(), **TOL[dtype])


@pytest.mark.parametrize("mode,pad,align", [c for c in CASES if c[2]] + [("bicubic", "reflection", False)])
def test_emulated_cuda_device(mode, pad, align, device):
    """The cuda device has no grid kernels: the Tensor-op composite, on the device's arrays."""
    x, g = _inputs("float64", seed=3)
    go = np.random.default_rng(2).standard_normal((2, 3, 4, 7))
    want, got = _run_both(x, g, go, device=device, mode=mode, padding_mode=pad, align_corners=align)
    assert got[0].device.type == al.device(device).type
    for w, a in zip(want, got):
        np.testing.assert_allclose(_np(a), w.detach().numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("mode,pad", list(itertools.product(MODES, PADS)))
def test_gradcheck(mode, pad):
    x, g = _inputs("float64", shape=(1, 2, 4, 5), out=(3, 3), seed=5)
    ax, ag = _al(x), _al(g)
    assert al.autograd.gradcheck(lambda a, b: F.grid_sample(a, b, mode=mode, padding_mode=pad,
                                                            align_corners=pad == "border"), (ax, ag))


@pytest.mark.parametrize("mode,pad", [("bilinear", "zeros"), ("bilinear", "reflection"), ("bicubic", "border"),
                                      ("bicubic", "zeros"), ("nearest", "border")])
def test_second_order_against_torch(mode, pad):
    """PyTorch's grid_sampler_2d_backward is differentiable: so is ours (gradients of the gradients w.r.t.
    input and grid)."""
    x, g = _inputs("float64", seed=7)
    w = np.random.default_rng(8).standard_normal((2, 3, 4, 7))
    res = []
    for lib, F_, mk in ((torch, TF, lambda a: torch.tensor(a, requires_grad=True)), (al, F, _al)):
        tx, tg = mk(x), mk(g)
        y = F_.grid_sample(tx * 1.5, tg, mode=mode, padding_mode=pad, align_corners=False)
        gx, gg = lib.autograd.grad((y * lib.tensor(w)).sum(), (tx, tg), create_graph=True)
        s = (gx ** 2).sum() + (gg ** 3).sum()
        out = lib.autograd.grad(s, (tx, tg), allow_unused=True)
        res.append([np.zeros(t.shape) if o is None else _np(o) for o, t in zip(out, (tx, tg))])
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-9)


def test_second_order_through_a_network():
    """Under create_graph the gradient reaches the grid's own graph (theta) and stops nowhere short."""
    theta = np.array([[[0.9, 0.2, 0.1], [-0.1, 1.1, 0.05]]])
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 5))
    res = []
    for lib, F_ in ((torch, TF), (al, F)):
        th = lib.tensor(theta, requires_grad=True)
        xx = lib.tensor(x, requires_grad=True)
        y = F_.grid_sample(xx.tanh(), F_.affine_grid(th, (1, 2, 4, 4), align_corners=False), align_corners=False)
        gth, = lib.autograd.grad(y.square().sum(), th, create_graph=True)
        res.append([_np(t) for t in lib.autograd.grad(gth.square().sum(), (th, xx))])
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_inf_and_far_grid_values(dtype):
    x = np.arange(1.0, 13.0, dtype=dtype).reshape(1, 1, 3, 4)
    nan, inf = float("nan"), float("inf")
    g = np.array([[[[nan, 0.0], [0.0, nan], [inf, 0.0], [-inf, 0.3], [1e10, 0.2], [0.3, -1e10], [1.7, 0.2],
                    [-3.3, 0.9], [-1.0, 1.0], [1.0, -1.0]]]], dtype)
    for mode, pad, align in CASES:
        want = TF.grid_sample(torch.tensor(x), torch.tensor(g), mode=mode, padding_mode=pad, align_corners=align)
        got = F.grid_sample(al.tensor(x), al.tensor(g), mode=mode, padding_mode=pad, align_corners=align)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-5, equal_nan=True,
                                   err_msg=f"{mode} {pad} {align}")


def test_gradient_at_the_borders():
    """Grid points exactly on the border (align_corners): PyTorch's clip passes no gradient there."""
    x = np.arange(1.0, 13.0).reshape(1, 1, 3, 4)
    g = np.array([[[[-1.0, 0.0], [1.0, 0.0], [-1.5, 0.0], [1.5, 0.0], [0.5, 0.0], [0.0, -1.0]]]])
    for mode, pad in itertools.product(MODES, PADS):
        go = np.ones((1, 1, 1, 6))
        want, got = _run_both(x, g, go, mode=mode, padding_mode=pad, align_corners=True)
        for w, a in zip(want, got):
            np.testing.assert_allclose(_np(a), w.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode,pad,align", [c for c in CASES if c[0] != "bicubic"])
def test_5d_against_torch(mode, pad, align):
    x, g = _inputs("float64", shape=(2, 2, 3, 4, 5), out=(2, 3, 2), seed=11)
    go = np.random.default_rng(3).standard_normal((2, 2, 2, 3, 2))
    want, got = _run_both(x, g, go, mode=mode, padding_mode=pad, align_corners=align)
    for w, a in zip(want, got):
        np.testing.assert_allclose(_np(a), w.detach().numpy(), rtol=1e-9, atol=1e-10)


def test_grid_sampler_top_level_float16_and_empty():
    x, g = _inputs("float64")
    for m_, p_ in itertools.product(range(3), range(3)):
        want = torch.grid_sampler(torch.tensor(x), torch.tensor(g), m_, p_, True)
        got = al.grid_sampler(al.tensor(x), al.tensor(g), m_, p_, True)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-12)
    x16, g16 = x.astype(np.float16), g.astype(np.float16)
    want = TF.grid_sample(torch.tensor(x16), torch.tensor(g16), align_corners=False)
    got = F.grid_sample(al.tensor(x16), al.tensor(g16), align_corners=False)
    assert got.dtype == al.float16
    np.testing.assert_allclose(got.numpy().astype(np.float32), want.numpy().astype(np.float32), atol=2e-2)
    ax = _al(x[:, :0])
    y = F.grid_sample(ax, _al(g), align_corners=False)
    assert y.shape == (2, 0, 4, 7)
    y = F.grid_sample(_al(x), _al(g[:, :0]), align_corners=False)
    assert y.shape == (2, 3, 0, 7)
    y.sum().backward()


def _raises(fn_torch, fn_al):
    with pytest.raises(Exception) as want:
        fn_torch()
    with pytest.raises(type(want.value)) as got:
        fn_al()
    assert str(got.value).replace("autograd_lite.", "torch.") == str(want.value)


def test_errors_and_warnings():
    x, g = _inputs("float32")
    tx, tg, ax, ag = torch.tensor(x), torch.tensor(g), al.tensor(x), al.tensor(g)
    cases = [
        lambda lib, F_, a, b: F_.grid_sample(a, b.double(), align_corners=False),
        lambda lib, F_, a, b: F_.grid_sample(a[0], b, align_corners=False),
        lambda lib, F_, a, b: F_.grid_sample(a, b[:1], align_corners=False),
        lambda lib, F_, a, b: F_.grid_sample(a, b[..., :1], align_corners=False),
        lambda lib, F_, a, b: F_.grid_sample(a[:, :, :0], b, align_corners=False),
        lambda lib, F_, a, b: F_.grid_sample(a.long(), b, align_corners=False),
        lambda lib, F_, a, b: F_.grid_sample(a, b, mode="linear"),
        lambda lib, F_, a, b: F_.grid_sample(a, b, padding_mode="wrap"),
        lambda lib, F_, a, b: F_.grid_sample(a.unsqueeze(2), b.unsqueeze(1)[..., :1].expand(2, 1, 4, 7, 3),
                                             mode="bicubic", align_corners=False),
        lambda lib, F_, a, b: F_.affine_grid(lib.zeros(2, 2, 3), (2, 3, 4), align_corners=False),
        lambda lib, F_, a, b: F_.affine_grid(lib.zeros(2, 2, 3), (2, 3, 4, 0), align_corners=False),
        lambda lib, F_, a, b: F_.affine_grid(lib.zeros(2, 3, 3), (2, 3, 4, 5), align_corners=False),
        lambda lib, F_, a, b: F_.affine_grid(lib.zeros(2, 3, 4), (2, 3, 4, 5, 6, 7), align_corners=False),
        lambda lib, F_, a, b: F_.affine_grid(lib.zeros(2, 2, 3, dtype=lib.int64), (2, 3, 4, 5), align_corners=False),
        lambda lib, F_, a, b: F_.affine_grid(lib.zeros(2, 2, 3), (3, 3, 4, 5), align_corners=False),
    ]
    for case in cases:
        _raises(lambda: case(torch, TF, tx, tg), lambda: case(al, F, ax, ag))
    for fn in (lambda: F.grid_sample(ax, ag), lambda: F.affine_grid(al.zeros(2, 2, 3), (2, 3, 4, 5))):
        with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
            fn()
    with pytest.warns(UserWarning, match="unit-size grids"):
        F.affine_grid(al.zeros(1, 2, 3), (1, 1, 1, 5), align_corners=True)


@pytest.mark.parametrize("size", [(2, 3, 5, 4), (2, 1, 1, 6), (2, 2, 3, 4, 5)])
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_against_torch(size, align):
    n = len(size) - 2
    theta = np.random.default_rng(4).standard_normal((2, n, n + 1))
    tt, at = torch.tensor(theta, requires_grad=True), _al(theta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = TF.affine_grid(tt, size, align_corners=align)
        got = F.affine_grid(at, size, align_corners=align)
    assert got.shape == tuple(want.shape) and got.dtype == al.float64
    np.testing.assert_allclose(_np(got), want.detach().numpy(), rtol=1e-12, atol=1e-12)
    go = np.random.default_rng(5).standard_normal(want.shape)
    tg, = torch.autograd.grad(want, tt, torch.tensor(go))
    ag, = al.autograd.grad(got, at, al.tensor(go))
    np.testing.assert_allclose(_np(ag), tg.numpy(), rtol=1e-10, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f32 = F.affine_grid(al.tensor(theta.astype(np.float32)), size, align_corners=align)
        assert al.autograd.gradcheck(lambda t: F.affine_grid(t, size, align_corners=align), (at,))
    assert f32.dtype == al.float32
    np.testing.assert_allclose(_np(al.affine_grid_generator(at, size, align)), want.detach().numpy(), rtol=1e-12,
                               atol=1e-12)


# ---- the kernels against their NumPy formulas -------------------------------------------------------------------

@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("mode,pad,align", [("bilinear", "zeros", False), ("bilinear", "reflection", True),
                                            ("nearest", "border", False), ("bicubic", "reflection", False),
                                            ("bicubic", "zeros", True)])
def test_kernels_against_numpy(mode, pad, align, parallel):
    x, g = _inputs("float64", shape=(3, 2, 5, 6), out=(4, 3), span=3.0)
    g[0, 0, 0] = [np.nan, 0.1]
    g[1, 0, 0] = [1e9, -np.inf]
    N, C, H, W = x.shape
    off, w, dy, dx = K.grid_sample2d_pairs(g, H, W, mode, pad, align, grads=True)
    # the taps and weights against the op's NumPy coordinate formula
    ys, xs = G._axis(g[..., 1], H, mode, pad, align), G._axis(g[..., 0], W, mode, pad, align)
    wy, wx = G._weights(ys[1], mode), G._weights(xs[1], mode)
    pairs = list(itertools.product(range(len(ys[0])), range(len(xs[0]))))
    for k, (a, b) in enumerate(pairs):
        inside = (ys[0][a] >= 0) & (xs[0][b] >= 0)
        np.testing.assert_array_equal(off[..., k].reshape(inside.shape), np.where(inside, ys[0][a] * W + xs[0][b],
                                                                                   -1))
        np.testing.assert_allclose(w[..., k].reshape(inside.shape), wy[a] * wx[b], rtol=1e-10, atol=1e-14,
                                   equal_nan=True)
    gout = np.random.default_rng(0).standard_normal((N, C, off.shape[1]))
    with _jit.forced(parallel):
        y = K.grid_sample2d_forward(x, off, w)
        got = K.grid_sample2d_backward(gout, x, off, w, dy, dx)
    np.testing.assert_allclose(y, K.grid_sample2d_forward_np(x, off, w), rtol=1e-12, equal_nan=True)
    for a, b in zip(got, K.grid_sample2d_backward_np(gout, x, off, w, dy, dx)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)
    only_x = K.grid_sample2d_backward(gout, x, off, w, dy, dx, want_grid=False)
    np.testing.assert_allclose(only_x[0], got[0], rtol=1e-12, equal_nan=True)
    assert only_x[1] is None and K.grid_sample2d_backward(gout, x, off, w, dy, dx, want_x=False)[0] is None
    with pytest.raises(TypeError):
        K.grid_sample2d_forward(x.astype(np.float32), off, w)
    with pytest.raises(IndexError):
        K.grid_sample2d_forward(x, off + H * W, w)


# ---- the Spatial Transformer Networks tutorial ------------------------------------------------------------------

def _stn(lib, nn_):
    class Net(nn_.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn_.Conv2d(1, 4, kernel_size=3)
            self.fc = nn_.Linear(4 * 6 * 6, 10)
            self.localization = nn_.Sequential(nn_.Conv2d(1, 4, kernel_size=3), nn_.MaxPool2d(2, stride=2),
                                               nn_.ReLU(True))
            self.fc_loc = nn_.Sequential(nn_.Linear(4 * 3 * 3, 8), nn_.ReLU(True), nn_.Linear(8, 3 * 2))
            self.fc_loc[2].weight.data.zero_()
            self.fc_loc[2].bias.data.copy_(lib.tensor([1, 0, 0, 0, 1, 0], dtype=lib.float32))

        def stn(self, x):
            xs = self.localization(x).view(-1, 4 * 3 * 3)
            theta = self.fc_loc(xs).view(-1, 2, 3)
            F_ = TF if lib is torch else F
            grid = F_.affine_grid(theta, x.size(), align_corners=False)
            return F_.grid_sample(x, grid, align_corners=False)

        def forward(self, x):
            x = self.stn(x)
            x = (TF if lib is torch else F).relu(self.conv(x))
            return (TF if lib is torch else F).log_softmax(self.fc(x.view(-1, 4 * 6 * 6)), dim=1)
    return Net()


def test_spatial_transformer_training_step():
    torch.manual_seed(0)
    tnet, anet = _stn(torch, torch.nn), _stn(al, nn)
    with torch.no_grad():                       # a non-identity transform, so the sampler's gradients matter
        tnet.fc_loc[2].weight.normal_(0, 0.05)
    anet.load_state_dict({k: al.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 1, 8, 8)).astype(np.float32), rng.integers(0, 10, 5)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.1, momentum=0.9)
    aopt = optim.SGD(anet.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        topt.zero_grad()
        tl = TF.nll_loss(tnet(torch.tensor(x)), torch.tensor(y))
        tl.backward()
        topt.step()
        aopt.zero_grad()
        loss = F.nll_loss(anet(al.tensor(x)), al.tensor(y))
        loss.backward()
        aopt.step()
        np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-5)
    for (k, v), (k2, v2) in zip(tnet.state_dict().items(), anet.state_dict().items()):
        assert k == k2
        np.testing.assert_allclose(v2.numpy(), v.numpy(), rtol=1e-4, atol=1e-5, err_msg=k)
