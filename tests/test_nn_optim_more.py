"""The remaining nn and optim pieces against PyTorch: fractional max pooling, SyncBatchNorm, Adafactor, Muon,
SparseAdam, CrossMapLRN2d, Container, NLLLoss2d, init.sparse_, the conv weight memory-format helpers and
linalg.ldl_factor / ldl_solve."""
import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
F = al.nn.functional
TF = torch.nn.functional


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def _al(a, device="cpu", rg=False):
    return al.tensor(a, device=device, requires_grad=rg)


def _raises(exc, match, *fns):
    """Each fn raises exc whose message matches (torch's and ours)."""
    for fn in fns:
        with pytest.raises(exc, match=match):
            fn()


# ---- fractional max pooling ----------------------------------------------------------------------------------------

FRACTIONAL = [(2, (2, 3, 11, 9), 3, (5, 4)), (2, (3, 10, 10), (2, 3), (7, 5)), (2, (2, 3, 7, 7), 2, (1, 1)),
              (3, (2, 2, 9, 8, 10), 2, (4, 5, 6)), (3, (2, 7, 9, 8), (2, 3, 2), (3, 4, 5))]


@pytest.mark.parametrize("nd, shape, k, out", FRACTIONAL)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_fractional_max_pool_same_samples_same_result(nd, shape, k, out, dtype, device):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    x.reshape(-1)[::7] = np.nan if dtype == "float32" else x.reshape(-1)[::7]    # a NaN wins its window
    s = rng.random((1 if len(shape) == nd + 1 else shape[0], shape[-nd - 1], nd)).astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    ty, ti = getattr(TF, f"fractional_max_pool{nd}d")(tx, k, output_size=out, return_indices=True,
                                                         _random_samples=torch.tensor(s))
    ax = _al(x, device, True)
    ay, ai = getattr(F, f"fractional_max_pool{nd}d")(ax, k, output_size=out, return_indices=True,
                                                     _random_samples=_al(s, device))
    assert ay.dtype == getattr(al, dtype) and ai.dtype == al.int64 and ay.device == ax.device
    np.testing.assert_array_equal(_np(ai), ti.numpy())
    np.testing.assert_array_equal(_np(ay), ty.detach().numpy())
    g = rng.standard_normal(ty.shape).astype(dtype)
    ty.backward(torch.tensor(g))
    ay.backward(_al(g, device))
    tol = 1e-2 if dtype == "float16" else 1e-6
    np.testing.assert_allclose(_np(ax.grad), tx.grad.numpy(), rtol=tol, atol=tol)
    assert ax.grad.dtype == ax.dtype


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fractional_kernel_against_the_array_scan(dtype):
    from autograd_lite.kernels.cpu import fractional_max_pool_forward
    from autograd_lite.ops.fractional_pooling import _scan
    rng = np.random.default_rng(17)
    x = rng.standard_normal((6, 40)).astype(dtype)
    x[rng.random(x.shape) < 0.1] = np.nan
    x[:, ::3] = x[:, 1::3].max()            # ties: the first of the window wins
    base = rng.integers(0, 30, (6, 9))
    offsets = [0, 1, 2, 8, 9, 10]
    got, want = fractional_max_pool_forward(x, base, np.array(offsets)), _scan(np, x, base, offsets)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert got[0].dtype == x.dtype and got[1].dtype == np.int64


def test_fractional_max_pool_output_ratio_and_modules():
    x = np.random.default_rng(2).standard_normal((2, 3, 12, 10)).astype(np.float32)
    s = np.random.default_rng(3).random((2, 3, 2)).astype(np.float32)
    for lib, t in ((torch, torch.tensor), (al, al.tensor)):
        m = lib.nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.7), _random_samples=t(s))
        assert repr(m) == "FractionalMaxPool2d()" and list(m.state_dict()) == ["_random_samples"]
    outs = [lib.nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.7), return_indices=True, _random_samples=t(s))(t(x))
            for lib, t in ((torch, torch.tensor), (al, al.tensor))]
    np.testing.assert_array_equal(_np(outs[1][0]), _np(outs[0][0]))
    np.testing.assert_array_equal(_np(outs[1][1]), _np(outs[0][1]))
    assert al.nn.FractionalMaxPool3d(2, output_ratio=0.5)(al.randn(2, 3, 8, 6, 4)).shape == (2, 3, 4, 3, 2)
    assert F.fractional_max_pool2d(al.randn(3, 9, 9), 2, output_size=4).shape == (3, 4, 4)
    assert F.fractional_max_pool3d(al.randn(3, 9, 9, 9), 2, output_ratio=0.5).shape == (3, 4, 4, 4)
    assert al.nn.FractionalMaxPool2d(2, output_size=3).state_dict() == {}


def test_fractional_max_pool_gradients_of_every_order(device):
    x = _al(np.random.default_rng(4).permutation(2 * 2 * 7 * 6).reshape(2, 2, 7, 6) / 7.0, device, True)
    s = _al(np.random.default_rng(5).random((2, 2, 2)), device)
    fn = lambda x: F.fractional_max_pool2d(x, 2, output_size=(4, 3), _random_samples=s)  # noqa: E731
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))
    x3 = _al(np.random.default_rng(6).permutation(2 * 6 * 5 * 5).reshape(2, 6, 5, 5) / 9.0, device, True)
    s3 = _al(np.random.default_rng(7).random((1, 2, 3)), device)
    fn3 = lambda x: F.fractional_max_pool3d(x, 2, output_size=(3, 3, 2), _random_samples=s3)  # noqa: E731
    assert gradcheck(fn3, (x3,)) and gradgradcheck(fn3, (x3,))
    y = fn(x)
    assert y.grad_fn.name() == "FractionalMaxPool2DBackward0"


def test_fractional_max_pool_errors():
    x4, x5 = np.zeros((2, 3, 7, 7), np.float32), np.zeros((2, 3, 6, 7, 8), np.float32)
    cases = [  # (exception, torch's words, call on lib)
        (RuntimeError, "pool height 3 too large relative to input height 7",
         lambda lib, F, t: F.fractional_max_pool2d(t(x4), 3, output_size=(6, 6))),
        (RuntimeError, "pool width 3 too large relative to input width 7",
         lambda lib, F, t: F.fractional_max_pool2d(t(x4), 3, output_size=(5, 6))),
        (RuntimeError, r"kernel_size must either be a single Int or tuple of Ints",
         lambda lib, F, t: F.fractional_max_pool2d(t(x4), (3, 3, 3), output_size=5)),
        (RuntimeError, r"Expect _random_samples.size\(2\) equals to 2; got 3.",
         lambda lib, F, t: F.fractional_max_pool2d(t(x4), 3, output_size=5, _random_samples=lib.rand(2, 3, 3))),
        (RuntimeError, r"Expect _random_samples.size\(0\) no less then input batch size.",
         lambda lib, F, t: F.fractional_max_pool2d(t(x4), 3, output_size=5, _random_samples=lib.rand(1, 3, 2))),
        (RuntimeError, r"Expect _random_samples.size\(1\) equals to input channel size.",
         lambda lib, F, t: F.fractional_max_pool2d(t(x4), 3, output_size=5, _random_samples=lib.rand(2, 4, 2))),
        (RuntimeError, "Expect _random_samples to have the same dtype as input",
         lambda lib, F, t: F.fractional_max_pool2d(t(x4), 3, output_size=5,
                                                   _random_samples=lib.rand(2, 3, 2, dtype=lib.float64))),
        (RuntimeError, "Expect _random_samples to have 3 dimensions, got 2",
         lambda lib, F, t: F.fractional_max_pool2d(t(x4), 3, output_size=5, _random_samples=lib.rand(6, 2))),
        (RuntimeError, r"Expected 3D or 4D tensor, but got: \[7, 7\]",
         lambda lib, F, t: F.fractional_max_pool2d(t(x4[0, 0]), 3, output_size=5, _random_samples=lib.rand(1, 7, 2))),
        (RuntimeError, r"non-zero size for non-batch dimensions, but got\[2, 0, 7, 7\] with dimension 1 being empty",
         lambda lib, F, t: F.fractional_max_pool2d(t(x4[:, :0]), 3, output_size=5)),
        (ValueError, "requires specifying either an output_size or an output_ratio",
         lambda lib, F, t: F.fractional_max_pool2d(t(x4), 3)),
        (NotImplementedError, "\"fractional_max_pool2d_out_frame\" not implemented for 'Long'",
         lambda lib, F, t: F.fractional_max_pool2d(t(x4).long(), 3, output_size=3,
                                                   _random_samples=lib.zeros(2, 3, 2, dtype=lib.int64))),
        (RuntimeError, "fractional_max_pool3d_out\\(\\): pool time 3 too large relative to input time 6",
         lambda lib, F, t: F.fractional_max_pool3d(t(x5), 3, output_size=(4, 5, 5))),
        (RuntimeError, "pool width 3 too large relative to input width 8",
         lambda lib, F, t: F.fractional_max_pool3d(t(x5), 3, output_size=(3, 4, 6))),
        (RuntimeError, r"Expected 4D or 5D tensor, but got: \[2, 3, 1, 6, 7, 8\]",
         lambda lib, F, t: F.fractional_max_pool3d(t(x5[:, :, None]), 3, output_size=(3, 4, 5))),
        (ValueError, "kernel_size must be greater than 0, but got 0",
         lambda lib, F, t: lib.nn.FractionalMaxPool3d(0, output_size=3)),
        (ValueError, "only one of output_size and output_ratio may be specified",
         lambda lib, F, t: lib.nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5)),
        (ValueError, "FractionalMaxPool2d requires specifying either an output size, or a pooling ratio",
         lambda lib, F, t: lib.nn.FractionalMaxPool2d(2)),
        (ValueError, r"output_ratio must be between 0 and 1 \(got 1.5\)",
         lambda lib, F, t: lib.nn.FractionalMaxPool2d(2, output_ratio=1.5)),
    ]
    for exc, words, call in cases:
        _raises(exc, words, lambda: call(torch, TF, torch.tensor), lambda: call(al, F, al.tensor))


# ---- SyncBatchNorm -------------------------------------------------------------------------------------------------

def test_sync_batchnorm_outside_a_process_group_is_batchnorm():
    x = np.random.default_rng(8).standard_normal((4, 3, 5, 2)).astype(np.float32) * 2 + 1
    g = np.random.default_rng(9).standard_normal(x.shape).astype(np.float32)
    mods = [lib.nn.SyncBatchNorm(3, momentum=None) for lib in (torch, al)]
    assert repr(mods[1]) == repr(mods[0]) and list(mods[1].state_dict()) == list(mods[0].state_dict())
    for step in range(2):
        xs = [torch.tensor(x, requires_grad=True), _al(x, rg=True)]
        ys = [m(v) for m, v in zip(mods, xs)]
        for y, t in zip(ys, (torch.tensor(g), _al(g))):
            (y * t).sum().backward()
        np.testing.assert_allclose(_np(ys[1]), _np(ys[0]), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(_np(xs[1].grad), _np(xs[0].grad), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(_np(mods[1].weight.grad), _np(mods[0].weight.grad), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(_np(mods[1].running_var), _np(mods[0].running_var), rtol=1e-5)
    assert int(mods[1].num_batches_tracked) == 2
    for m in mods:
        m.eval()
    np.testing.assert_allclose(_np(mods[1](_al(x))), _np(mods[0](torch.tensor(x))), rtol=1e-5, atol=1e-5)
    _raises(ValueError, r"expected at least 2D input \(got 1D input\)",
            lambda: mods[0](torch.ones(3)), lambda: mods[1](al.ones(3)))
    _raises(ValueError, "SyncBatchNorm number of input channels should be non-zero",
            lambda: mods[0](torch.ones(2, 0)), lambda: mods[1](al.ones(2, 0)))


def test_convert_sync_batchnorm_keeps_parameters_and_keys():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.BatchNorm2d(4, affine=False),
                                 lib.nn.Sequential(lib.nn.BatchNorm1d(5, momentum=0.3)))
    ours, theirs = build(al), build(torch)
    bn = ours[2][0]
    ours[2][0].eval()
    conv = [lib.nn.SyncBatchNorm.convert_sync_batchnorm(m) for lib, m in ((torch, theirs), (al, ours))]
    assert repr(conv[1]) == repr(conv[0])
    assert list(conv[1].state_dict()) == list(conv[0].state_dict())
    new = conv[1][2][0]
    assert type(new) is al.nn.SyncBatchNorm and new.weight is bn.weight and new.running_mean is bn.running_mean
    assert not new.training and new.momentum == 0.3
    single = al.nn.SyncBatchNorm.convert_sync_batchnorm(al.nn.BatchNorm3d(2))
    assert type(single) is al.nn.SyncBatchNorm


def test_sync_batchnorm_over_ranks_is_batchnorm_of_the_whole_batch():
    """Two ranks with uneven shares, against BatchNorm on the concatenated batch (ours and PyTorch's)."""
    from test_distributed import MPIEXEC, WHY, launch
    if MPIEXEC is None:
        pytest.skip(WHY)
    out = launch("sync_bn_worker.py", 2)
    for r in range(2):
        assert f"sync_bn ok {r} 2" in out, out


# ---- optimizers ----------------------------------------------------------------------------------------------------

def _steps(make, shapes, steps=20, seed=0):
    """Both libraries' optimizer (make(lib, params)) stepped on the same gradients: the worst parameter difference,
    and the two optimizers."""
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    params = [[torch.tensor(a, requires_grad=True) for a in init], [_al(a, rg=True) for a in init]]
    opts = [make(torch, params[0]), make(al, params[1])]
    worst = 0.0
    for _ in range(steps):
        grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        for lib, ps, opt in zip((torch, al), params, opts):
            for p, g in zip(ps, grads):
                p.grad = lib.tensor(g)
            opt.step()
        for a, b in zip(*params):
            assert b.dtype == al.float32
            worst = max(worst, float(np.abs(_np(a) - _np(b)).max()))
    return worst, opts


@pytest.mark.parametrize("kw", [{}, dict(lr=0.05, weight_decay=0.1, maximize=True, d=2.0, eps=(1e-6, 1e-2)),
                                dict(beta2_decay=-0.5, foreach=False)])
def test_adafactor_step_for_step(kw):
    worst, opts = _steps(lambda lib, p: lib.optim.Adafactor(p, **kw), [(5, 4), (3,), (2, 3, 4), ()])
    assert worst < 1e-6
    theirs, ours = (o.state_dict() for o in opts)
    assert ours["param_groups"] == theirs["param_groups"]
    for i in theirs["state"]:
        assert list(ours["state"][i]) == list(theirs["state"][i])
        for k, v in theirs["state"][i].items():
            np.testing.assert_allclose(_np(ours["state"][i][k]), _np(v), rtol=1e-5, atol=1e-7)
    ours2 = al.optim.Adafactor([al.zeros(s, requires_grad=True) for s in [(5, 4), (3,), (2, 3, 4), ()]])
    ours2.load_state_dict(opts[1].state_dict())
    assert ours2.state_dict()["state"][0]["row_var"].shape == (5, 1)


@pytest.mark.parametrize("kw", [{}, dict(lr=0.02, nesterov=False, adjust_lr_fn="match_rms_adamw", weight_decay=0.0),
                                dict(momentum=0.5, ns_steps=3)])
def test_muon_step_for_step(kw):
    worst, opts = _steps(lambda lib, p: lib.optim.Muon(p, **kw), [(5, 4), (3, 7), (6, 6)])
    assert worst < 1e-7
    theirs, ours = (o.state_dict() for o in opts)
    assert ours["param_groups"] == theirs["param_groups"] and list(ours["state"][0]) == ["momentum_buffer"]


def test_muon_newton_schulz_is_bfloat16_exact():
    from torch.optim._muon import _zeropower_via_newtonschulz
    from autograd_lite.optim.muon import zeropower_via_newtonschulz
    rng = np.random.default_rng(3)
    for shape in [(5, 4), (4, 9), (30, 20)]:
        g = rng.standard_normal(shape).astype(np.float32)
        want = _zeropower_via_newtonschulz(torch.tensor(g), (3.4445, -4.775, 2.0315), 5, 1e-7).float().numpy()
        np.testing.assert_array_equal(zeropower_via_newtonschulz(g, (3.4445, -4.775, 2.0315), 5, 1e-7), want)


def test_optimizer_errors():
    p = [[torch.zeros(2, 2, requires_grad=True)], [al.zeros(2, 2, requires_grad=True)]]
    cases = [
        (ValueError, "Learning rate should be >= 0 but is: -1", lambda lib, p: lib.optim.Adafactor(p, lr=-1)),
        (ValueError, "beta2_decay should be <= 0 but is: 0.5", lambda lib, p: lib.optim.Adafactor(p, beta2_decay=.5)),
        (ValueError, "epsilon1 should be >= 0 but is: -1", lambda lib, p: lib.optim.Adafactor(p, eps=(-1, 1e-3))),
        (ValueError, "epsilon2 should be >= 0 but is: -1", lambda lib, p: lib.optim.Adafactor(p, eps=(None, -1))),
        (ValueError, "Clipping threshold d should be >= 1 but is: 0.5", lambda lib, p: lib.optim.Adafactor(p, d=.5)),
        (ValueError, "weight_decay should be >= 0 but is: -1",
         lambda lib, p: lib.optim.Adafactor(p, weight_decay=-1)),
        (ValueError, "momentum should be >= 0 but is: -1", lambda lib, p: lib.optim.Muon(p, momentum=-1)),
        (ValueError, "weight decay should be >= 0 but is: -1", lambda lib, p: lib.optim.Muon(p, weight_decay=-1)),
        (ValueError, "Adjust learning rate function x is not supported",
         lambda lib, p: lib.optim.Muon(p, adjust_lr_fn="x")),
        (ValueError, r"Muon only supports 2D parameters whereas we found a parameter with size: .*\[3\]",
         lambda lib, p: lib.optim.Muon([lib.zeros(3, requires_grad=True)])),
        (ValueError, "Number of steps must be less than 100", lambda lib, p: _muon_step(lib, p, ns_steps=100)),
        (ValueError, "Invalid learning rate: 0", lambda lib, p: lib.optim.SparseAdam(p, lr=0)),
        (ValueError, "Invalid epsilon value: 0", lambda lib, p: lib.optim.SparseAdam(p, eps=0)),
        (ValueError, "Invalid beta parameter at index 1: 1", lambda lib, p: lib.optim.SparseAdam(p, betas=(.9, 1))),
        (RuntimeError, "SparseAdam does not support dense gradients, please consider Adam instead",
         lambda lib, p: _dense_step(lib, lib.optim.SparseAdam(p))),
    ]
    for exc, words, call in cases:
        _raises(exc, words, lambda: call(torch, p[0]), lambda: call(al, p[1]))


def _muon_step(lib, params, **kw):
    opt = lib.optim.Muon(params, **kw)
    params[0].grad = lib.ones(2, 2)
    opt.step()


def _dense_step(lib, opt):
    opt.param_groups[0]["params"][0].grad = lib.ones(2, 2)
    opt.step()


# ---- legacy and small nn pieces ------------------------------------------------------------------------------------

@pytest.mark.parametrize("channels, size", [(7, 3), (9, 5), (4, 5), (6, 2), (1, 3)])
def test_cross_map_lrn2d(channels, size):
    x = np.random.default_rng(10).standard_normal((2, channels, 3, 4)).astype(np.float32) * 3
    g = np.random.default_rng(11).standard_normal(x.shape).astype(np.float32)
    mods = [lib.nn.CrossMapLRN2d(size, alpha=0.3, beta=0.6, k=1.5) for lib in (torch, al)]
    assert repr(mods[1]) == repr(mods[0])
    xs = [torch.tensor(x, requires_grad=True), _al(x, rg=True)]
    ys = [m(v) for m, v in zip(mods, xs)]
    assert ys[1].dtype == al.float32
    np.testing.assert_allclose(_np(ys[1]), _np(ys[0]), rtol=1e-5, atol=1e-6)
    ys[0].backward(torch.tensor(g))
    ys[1].backward(_al(g))
    np.testing.assert_allclose(_np(xs[1].grad), _np(xs[0].grad), rtol=1e-4, atol=1e-5)
    _raises(ValueError, "CrossMapLRN2d: Expected input to be 4D, got 3D instead.",
            lambda: mods[0](torch.ones(2, 3, 4)), lambda: mods[1](al.ones(2, 3, 4)))


def test_deprecated_container_nllloss2d_and_init_sparse():
    for lib in (torch, al):
        with pytest.warns(FutureWarning, match="`nn.Container` is deprecated. All of its functionality is now "
                                               "implemented in `nn.Module`. Subclass that instead."):
            c = lib.nn.Container(fc=lib.nn.Linear(2, 3))
        assert list(c.state_dict()) == ["fc.weight", "fc.bias"]
        with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead"):
            lib.nn.NLLLoss2d(ignore_index=1)
        with pytest.warns(FutureWarning, match="`nn.init.sparse` is now deprecated in favor of `nn.init.sparse_`."):
            lib.nn.init.sparse(lib.empty(4, 3), 0.5)
        _raises(ValueError, "Only tensors with 2 dimensions are supported", lambda: lib.nn.init.sparse_(
            lib.empty(3), 0.1))
    x = np.log(np.random.default_rng(12).dirichlet(np.ones(4), size=(2, 5, 3)).transpose(0, 3, 1, 2))
    t = np.random.default_rng(13).integers(0, 4, (2, 5, 3))
    with pytest.warns(FutureWarning):
        losses = [lib.nn.NLLLoss2d(ignore_index=1)(lib.tensor(x, dtype=lib.float32), lib.tensor(t))
                  for lib in (torch, al)]
    np.testing.assert_allclose(_np(losses[1]), _np(losses[0]), rtol=1e-6)
    w = al.nn.init.sparse_(al.empty(10, 6), sparsity=0.25, std=2.0)
    assert w.dtype == al.float32 and ((w == 0).sum(0) >= 3).all() and float(w.std()) > 0.5


@pytest.mark.parametrize("fmt", ["channels_last", "object", "torch's"])
def test_convert_weight_memory_format_returns_the_module(fmt):
    ours = {"channels_last": ("channels_last", "channels_last_3d"), "object": (al.channels_last, al.channels_last_3d),
            "torch's": (torch.channels_last, torch.channels_last_3d)}[fmt]
    strides = []
    for lib, fmt2, fmt3 in ((torch, torch.channels_last, torch.channels_last_3d), (al,) + ours):
        m = lib.nn.Sequential(lib.nn.Conv2d(2, 3, 3), lib.nn.Sequential(lib.nn.ConvTranspose2d(3, 2, 2)))
        before = _np(m[0].weight).copy()
        assert lib.nn.utils.convert_conv2d_weight_memory_format(m, fmt2) is m
        np.testing.assert_array_equal(_np(m[0].weight), before)
        strides.append((m[0].weight.stride(), m[1][0].weight.stride()))
        assert isinstance(m[0].weight, lib.nn.Parameter) and m[0].weight.requires_grad
        m3 = lib.nn.Conv3d(2, 2, 1)
        assert lib.nn.utils.convert_conv3d_weight_memory_format(m3, fmt3) is m3
        _raises(RuntimeError, "required rank 5 tensor to use channels_last_3d format",
                lambda: lib.nn.utils.convert_conv2d_weight_memory_format(lib.nn.Conv2d(2, 3, 3), fmt3))
    assert strides[1] == strides[0]


@pytest.mark.parametrize("kw", [dict(), dict(bias=True, reduction="sum", label_smoothing=0.1),
                                dict(out_features=(3,), bias=True, ignore_index=2, reduction="none")])
def test_linear_cross_entropy_loss(kw):
    rng = np.random.default_rng(14)
    out = kw.get("out_features", ())
    x = rng.standard_normal((6, 5)).astype(np.float32)
    t = rng.integers(0, 4, (6,) + out)
    w = rng.standard_normal((4,)).astype(np.float32) + 2
    mods = [lib.nn.LinearCrossEntropyLoss(5, 4, weight=lib.tensor(w), **kw) for lib in (torch, al)]
    assert repr(mods[1]) == repr(mods[0]) and list(mods[1].state_dict()) == list(mods[0].state_dict())
    mods[1].load_state_dict({k: al.tensor(_np(v)) for k, v in mods[0].state_dict().items()})
    xs = [torch.tensor(x, requires_grad=True), _al(x, rg=True)]
    losses = [m(v, lib.tensor(t)) for m, v, lib in zip(mods, xs, (torch, al))]
    assert losses[1].dtype == al.float32 and losses[1].shape == tuple(losses[0].shape)
    np.testing.assert_allclose(_np(losses[1]), _np(losses[0]), rtol=1e-5, atol=1e-6)
    for loss in losses:
        loss.sum().backward()
    np.testing.assert_allclose(_np(xs[1].grad), _np(xs[0].grad), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(_np(mods[1].linear.weight.grad), _np(mods[0].linear.weight.grad), rtol=1e-4,
                               atol=1e-6)


def test_linear_cross_entropy_functional_and_errors():
    rng = np.random.default_rng(15)
    x, w = rng.standard_normal((5,)), rng.standard_normal((3, 5))
    p = rng.dirichlet(np.ones(3))
    vals = [lib.nn.functional.linear_cross_entropy(lib.tensor(x), lib.tensor(w), lib.tensor(p))
            for lib in (torch, al)]
    np.testing.assert_allclose(_np(vals[1]), _np(vals[0]), rtol=1e-10)
    xx, ww = np.zeros((2, 5), np.float32), np.zeros((3, 5), np.float32)
    cases = [
        (RuntimeError, "expected input with dimensionality 1 or 2, got 3",
         lambda lib, F: F.linear_cross_entropy(lib.zeros(1, 2, 5), lib.tensor(ww), lib.zeros(1, dtype=lib.int64))),
        (RuntimeError, "expected linear_weight with dimensionality at least 2, got 1",
         lambda lib, F: F.linear_cross_entropy(lib.tensor(xx), lib.zeros(5), lib.zeros(2, dtype=lib.int64))),
        (RuntimeError, "expected equal input and linear_weight last dimensions \\(in_features\\), got 5 and 4",
         lambda lib, F: F.linear_cross_entropy(lib.tensor(xx), lib.zeros(3, 4), lib.zeros(2, dtype=lib.int64))),
        (RuntimeError, r"expected linear_bias shape \(3,\), got \(4,\)",
         lambda lib, F: F.linear_cross_entropy(lib.tensor(xx), lib.tensor(ww), lib.zeros(2, dtype=lib.int64),
                                               linear_bias=lib.zeros(4))),
        (RuntimeError, "requires batched input, \\(N, 5\\), got unbatched input with shape \\(5,\\)",
         lambda lib, F: F.linear_cross_entropy(lib.zeros(5), lib.zeros(3, 2, 5), lib.zeros((), dtype=lib.int64))),
        (RuntimeError, "ignore_index cannot be specified when target contains probabilities",
         lambda lib, F: F.linear_cross_entropy(lib.tensor(xx), lib.tensor(ww), lib.zeros(2, 3), ignore_index=0)),
        (RuntimeError, r"expected weight shape to be \(3,\), got \(2,\)",
         lambda lib, F: lib.nn.LinearCrossEntropyLoss(5, 3, weight=lib.ones(2))),
        (RuntimeError, r"expected label_smoothing to be in range \[0, 1\], got 2",
         lambda lib, F: lib.nn.LinearCrossEntropyLoss(5, 3, label_smoothing=2)),
        (ValueError, "invalid acc_policy: 'x'", lambda lib, F: lib.nn.LinearCrossEntropyOptions(acc_policy="x")),
        (ValueError, "invalid chunking_method: 'rows:2'",
         lambda lib, F: lib.nn.LinearCrossEntropyOptions(chunking_method="rows:2")),
        (ValueError, "batch_chunk_size must be positive int or None, got 0",
         lambda lib, F: lib.nn.LinearCrossEntropyOptions(batch_chunk_size=0)),
    ]
    for exc, words, call in cases:
        _raises(exc, words, lambda: call(torch, TF), lambda: call(al, F))
    opts = [lib.nn.LinearCrossEntropyOptions(batch_chunk_size=2) for lib in (torch, al)]
    assert repr(opts[1]) == repr(opts[0])
    got = [lib.nn.functional.linear_cross_entropy(lib.tensor(xx), lib.tensor(ww), lib.tensor([0, 2]), options=o)
           for lib, o in zip((torch, al), opts)]
    np.testing.assert_allclose(_np(got[1]), _np(got[0]), rtol=1e-6)


# ---- linalg.ldl_factor / ldl_solve ---------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ldl_factor_and_solve_equal_lapack(dtype):
    rng = np.random.default_rng(16)
    for n, batch in [(1, ()), (4, ()), (7, (2,)), (12, (2, 3)), (70, ())]:
        for weak in (False, True):
            a = rng.standard_normal(batch + (n, n))
            a = a + np.swapaxes(a, -1, -2)
            if weak:        # small diagonals: 2x2 pivots and row swaps
                a[..., np.arange(n), np.arange(n)] *= 0.01
            a = a.astype(dtype)
            theirs = torch.linalg.ldl_factor_ex(torch.tensor(a))
            ours = al.linalg.ldl_factor_ex(_al(a))
            assert ours.pivots.dtype == al.int32 and ours.info.dtype == al.int32 and ours.LD.dtype == getattr(
                al, dtype)
            np.testing.assert_array_equal(_np(ours.pivots), theirs.pivots.numpy())
            np.testing.assert_array_equal(_np(ours.info), theirs.info.numpy())
            tol = 1e-4 if dtype == "float32" else 1e-10
            np.testing.assert_allclose(_np(ours.LD), theirs.LD.numpy(), rtol=tol, atol=tol)
            b = rng.standard_normal(batch + (n, 3)).astype(dtype)
            x = al.linalg.ldl_solve(ours.LD, ours.pivots, _al(b))
            assert x.dtype == getattr(al, dtype) and x.shape == b.shape
            np.testing.assert_allclose(_np(x), torch.linalg.ldl_solve(theirs.LD, theirs.pivots,
                                                                      torch.tensor(b)).numpy(), rtol=tol * 10,
                                       atol=tol * 10)
            np.testing.assert_allclose(a @ _np(x), b, rtol=tol * 100, atol=tol * 100)


def test_ldl_errors_and_no_derivative():
    a = np.eye(3, dtype=np.float32)
    LD, piv = al.linalg.ldl_factor(_al(a))
    assert type(LD).__name__ == "Tensor" and isinstance(al.linalg.ldl_factor(_al(a)), tuple)
    tLD, tpiv = torch.linalg.ldl_factor(torch.tensor(a))
    zero = [torch.linalg.ldl_factor_ex(torch.zeros(3, 3)), al.linalg.ldl_factor_ex(al.zeros(3, 3))]
    np.testing.assert_array_equal(_np(zero[1].pivots), _np(zero[0].pivots))
    assert int(zero[1].info) == int(zero[0].info) == 1
    cases = [
        (RuntimeError, "Unknown error code: 1", lambda lib, LD, piv: lib.linalg.ldl_factor(lib.zeros(3, 3))),
        (RuntimeError, "A must be batches of square matrices, but they are 3 by 4 matrices",
         lambda lib, LD, piv: lib.linalg.ldl_factor(lib.zeros(3, 4))),
        (RuntimeError, "The input tensor A must have at least 2 dimensions.",
         lambda lib, LD, piv: lib.linalg.ldl_factor(lib.zeros(3))),
        (RuntimeError, "Expected a floating point or complex tensor as input. Got Long",
         lambda lib, LD, piv: lib.linalg.ldl_factor(lib.zeros(3, 3, dtype=lib.int64))),
        (RuntimeError, "Incompatible matrix sizes for torch.linalg.ldl_solve: each A matrix is 3 by 3 but each b "
                       "matrix is 4 by 2", lambda lib, LD, piv: lib.linalg.ldl_solve(LD, piv, lib.zeros(4, 2))),
        (RuntimeError, "Expected b and A to have the same dtype, but found b of type Double and A of type Float",
         lambda lib, LD, piv: lib.linalg.ldl_solve(LD, piv, lib.zeros(3, 2, dtype=lib.float64))),
        (IndexError, r"Dimension out of range \(expected to be in range of \[-1, 0\], but got -2\)",
         lambda lib, LD, piv: lib.linalg.ldl_solve(LD, piv, lib.zeros(3))),
        (RuntimeError, r"Expected LD.shape\[:-1\] and pivots.shape to be the same, but got pivots with shape \[2\]",
         lambda lib, LD, piv: lib.linalg.ldl_solve(LD, piv[:2], lib.zeros(3, 2))),
        (RuntimeError, "derivative for aten::linalg_ldl_factor_ex is not implemented",
         lambda lib, LD, piv: lib.linalg.ldl_factor(lib.eye(3, requires_grad=True))[0].sum().backward()),
        (RuntimeError, "derivative for aten::linalg_ldl_solve is not implemented",
         lambda lib, LD, piv: lib.linalg.ldl_solve(LD, piv, lib.ones(3, 1, requires_grad=True)).sum().backward()),
    ]
    for exc, words, call in cases:
        _raises(exc, words, lambda: call(torch, tLD, tpiv), lambda: call(al, LD, piv))
    x = al.linalg.ldl_solve(LD, piv.long(), al.ones(2, 3, 1))      # int64 pivots, broadcast batch
    np.testing.assert_allclose(_np(x), np.ones((2, 3, 1)))
