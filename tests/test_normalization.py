"""batch_norm, layer_norm, group_norm, instance_norm and their modules against PyTorch: forward, backward and second
order (check_op), running statistics after training steps, gradcheck/gradgradcheck, reprs, state_dict keys and
errors; the CPU kernels' paths against their NumPy formulas, and the CUDA table through the `device` fixture."""
import numpy as np
import pytest

import autograd_lite as al
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.autograd import gradcheck, gradgradcheck
from autograd_lite.kernels.cpu import normalization as K
from autograd_lite.kernels.cpu._jit import forced
from autograd_lite.ops.normalization import batch_norm_relu
from op_helpers import check_op, functional

torch = pytest.importorskip("torch")


def _fn(lib):
    return functional(lib)


def _vec(lib, values, like):
    return lib.tensor(np.asarray(values, "float64"), dtype=like.dtype)


# ---- functional, against torch (forward, backward, second order) -----------------------------------------------

@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 7), (2, 3, 5, 4), (3, 2, 40)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm(device, shape, training, affine):
    c = shape[1]

    def fn(lib, x, *wb):
        rm, rv = _vec(lib, np.linspace(-0.5, 0.5, c), x), _vec(lib, np.linspace(0.5, 2, c), x)
        return _fn(lib).batch_norm(x, rm, rv, *wb, training=training, momentum=0.3, eps=1e-3)
    check_op(fn, [shape, (c,), (c,)] if affine else [shape], device=device)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_dtypes_and_weight_only(device, dtype):
    def fn(lib, x, w):
        return _fn(lib).batch_norm(x, None, None, w, None, True)
    check_op(fn, [(5, 4, 3, 3), (4,)], dtype=dtype, device=device)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_non_contiguous(device, training):
    def fn(lib, x, w, b):
        rm, rv = _vec(lib, [0.1, -0.2, 0.3], x), _vec(lib, [1.5, 0.7, 1.1], x)
        return _fn(lib).batch_norm(x.transpose(1, 3)[:, :, ::2], rm, rv, w, b, training)
    check_op(fn, [(4, 6, 5, 3), (3,), (3,)], device=device)


@pytest.mark.parametrize("shape,normalized", [((4, 10), (10,)), ((2, 3, 8), (8,)), ((2, 3, 4, 5), (4, 5)),
                                              ((3, 5), (3, 5))])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm(device, shape, normalized, affine):
    def fn(lib, x, *wb):
        w, b = (wb + (None, None))[:2]
        return _fn(lib).layer_norm(x, normalized, w, b, 1e-4)
    extra = {"both": [normalized, normalized], "weight": [normalized], "none": []}[affine]
    check_op(fn, [shape] + extra, device=device)


def test_layer_norm_non_contiguous_float64(device):
    check_op(lambda lib, x, w, b: _fn(lib).layer_norm(x.t(), (5,), w, b), [(5, 6), (5,), (5,)], dtype="float64",
             device=device)


@pytest.mark.parametrize("shape,groups", [((4, 6), 2), ((2, 6, 5), 3), ((2, 6, 5), 1), ((2, 4, 3, 3), 4),
                                          ((3, 4, 2, 3), 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm(device, shape, groups, affine):
    c = shape[1]
    check_op(lambda lib, x, *wb: _fn(lib).group_norm(x, groups, *wb, eps=1e-4), [shape] + [(c,), (c,)] * affine,
             device=device)


def test_group_norm_non_contiguous_float64(device):
    check_op(lambda lib, x, w, b: _fn(lib).group_norm(x.permute(0, 3, 1, 2), 2, w, b), [(2, 3, 4, 4), (4,), (4,)],
             dtype="float64", device=device)


@pytest.mark.parametrize("affine", [True, False])
def test_instance_norm(device, affine):
    check_op(lambda lib, x, *wb: _fn(lib).instance_norm(x, None, None, *wb), [(2, 3, 4, 5)] + [(3,), (3,)] * affine,
             device=device)


def test_instance_norm_running_stats_and_fixed_stats():
    x = np.random.default_rng(1).standard_normal((3, 4, 6)).astype("float32") * 2 + 1
    results = []
    for lib in (torch, al):
        rm, rv = lib.zeros(4), lib.ones(4)
        y1 = _fn(lib).instance_norm(lib.tensor(x), rm, rv, momentum=0.2)
        y2 = _fn(lib).instance_norm(lib.tensor(x), rm, rv, use_input_stats=False)
        results.append([t.numpy() for t in (y1, y2, rm, rv)])
    for a, t in zip(results[1], results[0]):
        np.testing.assert_allclose(a, t, rtol=1e-5, atol=1e-5)


def test_top_level_names_take_atens_order():
    x = np.random.default_rng(2).standard_normal((4, 3, 5)).astype("float32")
    w, b = np.array([1.0, 2.0, 0.5], "float32"), np.array([0.1, 0.0, -0.3], "float32")
    for name, args in (("batch_norm", lambda l: (l.tensor(w), l.tensor(b), l.zeros(3), l.ones(3), True, 0.1, 1e-5,
                                                  False)),
                       ("layer_norm", lambda l: ((5,), None, None, 1e-5)),
                       ("group_norm", lambda l: (3, l.tensor(w), l.tensor(b), 1e-5))):
        ours = getattr(al, name)(al.tensor(x), *args(al))
        ref = getattr(torch, name)(torch.tensor(x), *args(torch))
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5, err_msg=name)


def test_float16_keeps_its_dtype():
    x = al.randn(4, 3, 5).half()
    for y in (F.batch_norm(x, None, None, al.ones(3).half(), None, True), F.layer_norm(x, (5,)),
              F.group_norm(x, 3)):
        assert y.dtype is al.float16 and y.shape == x.shape


def test_grad_fn_names_are_torchs():
    x = al.randn(4, 3, requires_grad=True)
    assert F.batch_norm(x, None, None, training=True).grad_fn.name() == "NativeBatchNormBackward0"
    assert F.layer_norm(x, (3,)).grad_fn.name() == "NativeLayerNormBackward0"
    assert F.group_norm(x, 1).grad_fn.name() == "NativeGroupNormBackward0"


# ---- finite differences in float64 ----------------------------------------------------------------------------

def _leaf(rng, *shape):
    return al.tensor(rng.standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("case", ["bn_train", "bn_eval", "layer", "group", "instance"])
def test_gradcheck_and_gradgradcheck(case):
    rng = np.random.default_rng(3)
    x, w, b = _leaf(rng, 3, 4, 3), _leaf(rng, 4), _leaf(rng, 4)
    rm, rv = al.tensor(rng.standard_normal(4)), al.tensor(rng.random(4) + 0.5)
    fn = {"bn_train": lambda x, w, b: F.batch_norm(x, None, None, w, b, True),
          "bn_eval": lambda x, w, b: F.batch_norm(x, rm, rv, w, b, False),
          "layer": lambda x, w, b: F.layer_norm(x.transpose(1, 2), (4,), w, b),
          "group": lambda x, w, b: F.group_norm(x, 2, w, b),
          "instance": lambda x, w, b: F.instance_norm(x, None, None, w, b)}[case]
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


# ---- running statistics and modules ---------------------------------------------------------------------------

@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (8, 5)), ("BatchNorm1d", (4, 5, 6)),
                                       ("BatchNorm2d", (4, 5, 3, 3)), ("BatchNorm3d", (2, 5, 2, 3, 3))])
@pytest.mark.parametrize("momentum", [0.1, None, 0.5])
def test_batch_norm_module_training_steps_match_torch(device, cls, shape, momentum):
    """The same data and updates: outputs, gradients, running statistics and num_batches_tracked stay equal."""
    rng = np.random.default_rng(4)
    ours, ref = getattr(nn, cls)(5, momentum=momentum).to(device), getattr(torch.nn, cls)(5, momentum=momentum)
    for step in range(4):
        x = (rng.standard_normal(shape) * (1 + step) + step).astype("float32")
        g = rng.standard_normal(shape).astype("float32")
        xa, xt = al.tensor(x, requires_grad=True, device=device), torch.tensor(x, requires_grad=True)
        ya, yt = ours(xa), ref(xt)
        ya.backward(al.tensor(g, device=device))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(ya.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(xa.grad.cpu().numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name in ("running_mean", "running_var", "weight", "bias"):
        a, t = getattr(ours, name), getattr(ref, name)
        if name in ("weight", "bias"):
            a, t = a.grad, t.grad
        np.testing.assert_allclose(a.cpu().numpy(), t.numpy(), rtol=1e-5, atol=1e-5, err_msg=name)
    assert ours.num_batches_tracked.item() == 4 and ours.num_batches_tracked.dtype is al.int64
    assert ours.num_batches_tracked.shape == ()
    ours.eval(), ref.eval()
    x = rng.standard_normal(shape).astype("float32")
    np.testing.assert_allclose(ours(al.tensor(x, device=device)).detach().cpu().numpy(),
                               ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
    assert ours.num_batches_tracked.item() == 4


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_without_running_stats_uses_batch_stats_in_eval(affine):
    x = np.random.default_rng(5).standard_normal((6, 3, 4)).astype("float32") + 2
    ours = nn.BatchNorm1d(3, affine=affine, track_running_stats=False).eval()
    ref = torch.nn.BatchNorm1d(3, affine=affine, track_running_stats=False).eval()
    assert ours.running_mean is None and ours.num_batches_tracked is None
    np.testing.assert_allclose(ours(al.tensor(x)).detach().numpy(), ref(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_layer_group_instance_modules_match_torch():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 4, 3, 5)).astype("float32")
    for make in (lambda l: l.nn.LayerNorm(5), lambda l: l.nn.LayerNorm((3, 5), bias=False),
                 lambda l: l.nn.LayerNorm([5], elementwise_affine=False), lambda l: l.nn.GroupNorm(2, 4),
                 lambda l: l.nn.GroupNorm(4, 4, affine=False), lambda l: l.nn.InstanceNorm2d(4, affine=True),
                 lambda l: l.nn.InstanceNorm2d(4, track_running_stats=True)):
        ours, ref = make(al), make(torch)
        with torch.no_grad():
            for p in ref.parameters():
                p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype("float32")))
        ours.load_state_dict({k: al.tensor(v.numpy()) for k, v in ref.state_dict().items()})
        np.testing.assert_allclose(ours(al.tensor(x)).detach().numpy(), ref(torch.tensor(x)).detach().numpy(),
                                   rtol=1e-5, atol=1e-5, err_msg=repr(ref))
        assert repr(ours) == repr(ref)
    assert nn.InstanceNorm1d(3)(al.randn(3, 7)).shape == (3, 7)      # unbatched


@pytest.mark.parametrize("make", [
    lambda l: l.nn.BatchNorm2d(64), lambda l: l.nn.BatchNorm1d(4, eps=1e-3, momentum=None, affine=False),
    lambda l: l.nn.BatchNorm2d(8, track_running_stats=False), lambda l: l.nn.BatchNorm3d(2, bias=False),
    lambda l: l.nn.LayerNorm((3, 4)), lambda l: l.nn.LayerNorm(3, elementwise_affine=False, bias=False),
    lambda l: l.nn.GroupNorm(2, 4), lambda l: l.nn.GroupNorm(1, 3, affine=False), lambda l: l.nn.InstanceNorm1d(5)])
def test_reprs_and_state_dict_keys_are_torchs(make):
    ours, ref = make(al), make(torch)
    assert repr(ours) == repr(ref)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for (k, a), t in zip(ours.state_dict().items(), ref.state_dict().values()):
        assert tuple(a.shape) == tuple(t.shape) and str(a.dtype).split(".")[1] == str(t.dtype).split(".")[1], k
        np.testing.assert_array_equal(a.numpy(), t.numpy())


def test_loads_a_torch_batch_norm_state_dict():
    ref = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 1), torch.nn.BatchNorm2d(3))[1]
    ref(torch.randn(4, 3, 2, 2) * 3 + 1)
    ours = nn.BatchNorm2d(3)
    ours.load_state_dict({k: al.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    assert ours.num_batches_tracked.item() == 1 and ours.num_batches_tracked.dtype is al.int64
    np.testing.assert_array_equal(ours.running_var.numpy(), ref.running_var.numpy())


# ---- errors: PyTorch's types and wording ------------------------------------------------------------------------

def _error(fn):
    results = []
    for lib in (torch, al):
        with pytest.raises(Exception) as info:
            fn(lib)
        results.append((type(info.value), str(info.value).replace("torch.", "").replace("autograd_lite.", "")))
    assert results[1] == results[0]


@pytest.mark.parametrize("call", [
    lambda l: _fn(l).batch_norm(l.randn(4, 3, 5), None, None, training=False),
    lambda l: _fn(l).batch_norm(l.randn(4, 3, 5), l.zeros(4), l.ones(4)),
    lambda l: _fn(l).batch_norm(l.randn(4, 3, 5), l.zeros(3), l.ones(3), l.ones(4)),
    lambda l: _fn(l).batch_norm(l.randn(4, 3, 5), l.zeros(3), l.ones(3), None, l.ones(2)),
    lambda l: _fn(l).batch_norm(l.randn(1, 3), None, None, training=True),
    lambda l: _fn(l).batch_norm(l.randn(1, 3, 1), None, None, training=True),
    lambda l: _fn(l).batch_norm(l.ones(4, 3, dtype=l.int64), None, None, training=True),
    lambda l: _fn(l).batch_norm(l.randn(4, 3), None, None, training=True, eps=0.0),
    lambda l: _fn(l).batch_norm(l.randn(4, 3), l.zeros(3), l.ones(3), eps=-1.0),
    lambda l: _fn(l).layer_norm(l.randn(4, 3, 5), (4,)),
    lambda l: _fn(l).layer_norm(l.randn(4, 3, 5), (5,), l.ones(4)),
    lambda l: _fn(l).layer_norm(l.randn(4, 3, 5), 5),
    lambda l: _fn(l).group_norm(l.randn(4, 3, 5), 2),
    lambda l: _fn(l).group_norm(l.randn(4, 3, 5), 3, l.ones(4)),
    lambda l: _fn(l).group_norm(l.randn(3), 1),
    lambda l: _fn(l).instance_norm(l.randn(2, 3, 1)),
    lambda l: l.nn.BatchNorm1d(4)(l.randn(2, 4, 3, 3)),
    lambda l: l.nn.BatchNorm1d(4)(l.randn(1, 4)),
    lambda l: l.nn.BatchNorm2d(4)(l.randn(2, 4, 3)),
    lambda l: l.nn.BatchNorm2d(4)(l.randn(2, 5, 3, 3)),
    lambda l: l.nn.GroupNorm(2, 5),
])
def test_errors_match_torch(call):
    _error(call)


def test_inplace_change_of_the_input_before_backward_raises():
    x = al.randn(4, 3, requires_grad=True)
    h = x * 1
    y = F.batch_norm(h, None, None, training=True)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---- the CPU kernels' paths against their NumPy formulas --------------------------------------------------------

@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(7, 3), (3, 4, 40), (2, 3, 5, 6), (1, 2, 3)])
def test_cpu_kernels_match_numpy(parallel, dtype, shape):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(shape) * 3 + 100).astype(dtype)     # a large mean: the shifted sums stay accurate
    g = rng.standard_normal(shape).astype(dtype)
    c = shape[1]
    w, b = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
    tol = dict(rtol=2e-4, atol=2e-4) if dtype == "float32" else dict(rtol=1e-9, atol=1e-9)
    P = K.PATHS
    with forced(parallel):
        for stats in ((None, None), (np.linspace(99, 101, c).astype(dtype), np.linspace(5, 9, c).astype(dtype))):
            got, ref = K.batch_norm_forward(x, w, b, *stats), P["batch_norm_forward"]["numpy"](x, w, b, *stats)
            for a, r in zip(got, ref):
                assert a.dtype == x.dtype and a.shape == r.shape
                np.testing.assert_allclose(a, r, **tol)
            invstd = (1 / np.sqrt(got[2] + 1e-5)).astype(dtype)
            fused, fused_ref = K.batch_norm_forward(x, w, b, *stats, 1e-5, True), \
                P["batch_norm_forward"]["numpy"](x, w, b, *stats, 1e-5, True)
            assert (fused[0] == 0).any() and (fused[0] > 0).any()           # the ReLU cuts somewhere
            np.testing.assert_array_equal(fused[0], np.maximum(got[0], 0))  # exactly relu of the plain pass
            for a, r in zip(fused, fused_ref):
                np.testing.assert_allclose(a, r, **tol)
            for training in (True, False):
                for wt in (w, None):
                    for y in (None, fused[0]):
                        grads = K.batch_norm_backward(g, x, ref[1], invstd, wt, training, y)
                        want = P["batch_norm_backward"]["numpy"](g, x, ref[1], invstd, wt, training, y)
                        for a, r in zip(grads, want):
                            np.testing.assert_allclose(a, r, **tol)
        for groups in (1, c):
            for wt, bt in ((w, b), (None, None)):
                got = K.group_norm_forward(x, groups, wt, bt)
                ref = P["group_norm_forward"]["numpy"](x, groups, wt, bt)
                for a, r in zip(got, ref):
                    np.testing.assert_allclose(a, r, **tol)
                got = K.group_norm_backward(g, x, ref[1], ref[2], wt, groups)
                for a, r in zip(got, P["group_norm_backward"]["numpy"](g, x, ref[1], ref[2], wt, groups)):
                    np.testing.assert_allclose(a, r, **tol)


@pytest.mark.parametrize("shape", [(4, 3, 6, 7), (4, 3, 5), (1, 3, 5)])
def test_cpu_batch_norm_results_are_new_arrays(shape):
    """y and dx come back as arrays of their own, never views (autograd.grad and .grad then take dx without a copy),
    through the (N, C, S) path and the transposed one (short runs); group norm's dx too."""
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    y, mean, var = K.batch_norm_forward(x, None, None)
    dx, dw, db = K.batch_norm_backward(x, x, mean, 1 / np.sqrt(var + 1e-5), None)
    for a in (y, dx):
        assert a.base is None and a.shape == x.shape and a.dtype == x.dtype and a.flags.c_contiguous
    ref = K.PATHS["batch_norm_backward"]["numpy"](x, x, mean, 1 / np.sqrt(var + 1e-5), None)
    np.testing.assert_allclose(dx, ref[0], rtol=2e-4, atol=2e-4)
    for groups in (1, 3):       # group norm, and layer norm's path (one group)
        _, gmean, rstd = K.group_norm_forward(x, groups, None, None)
        dx = K.group_norm_backward(x, x, gmean, rstd, None, groups)[0]
        assert dx.base is None and dx.shape == x.shape


def test_cpu_kernels_reject_bad_arrays():
    with pytest.raises(TypeError, match="batch_norm_forward: expected float32 or float64"):
        K.batch_norm_forward(np.ones((2, 3), np.int64), None, None)
    with pytest.raises(ValueError, match=r"per-channel arrays of shape \(3,\)"):
        K.batch_norm_forward(np.ones((2, 3), np.float32), np.ones(4, np.float32), None)
    with pytest.raises(ValueError, match="divisible by num_groups=2"):
        K.group_norm_forward(np.ones((2, 3), np.float32), 2, None, None)


# ---- BatchNorm then ReLU fused (nn.Sequential; ops.normalization.batch_norm_relu) -------------------------------


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 7), (2, 3, 5, 4), (3, 3, 40)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_relu_matches_torch(device, shape, training, affine):
    """relu(batch_norm(x)) in one node: values, gradients and second order as torch's two ops."""
    c = shape[1]

    def fn(lib, x, *wb):
        rm, rv = _vec(lib, np.linspace(-0.5, 0.5, c), x), _vec(lib, np.linspace(0.5, 2, c), x)
        args = (x, rm, rv, *(wb or (None, None)), training, 0.3, 1e-3)
        return torch.relu(torch.nn.functional.batch_norm(*args)) if lib is torch else batch_norm_relu(*args)
    check_op(fn, [shape, (c,), (c,)] if affine else [shape], device=device)


def test_batch_norm_relu_non_contiguous_float64(device):
    def fn(lib, x, w, b):
        rm, rv = _vec(lib, [0.1, -0.2, 0.3], x), _vec(lib, [1.5, 0.7, 1.1], x)
        x = x.transpose(1, 3)[:, :, ::2]
        if lib is torch:
            return torch.relu(torch.nn.functional.batch_norm(x, rm, rv, w, b, True))
        return batch_norm_relu(x, rm, rv, w, b, True)
    check_op(fn, [(4, 6, 5, 3), (3,), (3,)], dtype="float64", device=device)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_relu_equals_the_unfused_ops_and_passes_gradcheck(training):
    """The fused node against F.batch_norm then F.relu (values, gradients, running statistics, the accelerated
    backward against the formula), and gradcheck/gradgradcheck in float64."""
    rng = np.random.default_rng(8)
    x0 = rng.standard_normal((4, 3, 5)) + 0.3
    stats = [(al.tensor(rng.standard_normal(3)), al.tensor(rng.random(3) + 0.5)) for _ in range(2)]
    stats[1] = (stats[0][0].clone(), stats[0][1].clone())
    outs, grads = [], []
    for i, f in enumerate((batch_norm_relu, lambda *a: F.relu(F.batch_norm(*a)))):
        x, w, b = (al.tensor(v, requires_grad=True) for v in (x0, np.array([1.5, -0.7, 1.0]), -x0[0, :, 0]))
        y = f(x, *stats[i], w, b, training, 0.2, 1e-5)
        (y * al.tensor(np.arange(y.numel()).reshape(y.shape) % 5 - 2.0)).sum().backward()
        outs.append(y.detach().numpy())
        grads.append([t.grad.numpy() for t in (x, w, b)])
    assert (outs[0] == 0).any() and (outs[0] > 0).any()
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12, atol=1e-12)
    for a, r in zip(grads[0], grads[1]):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-12)
    for a, r in zip(stats[0], stats[1]):
        np.testing.assert_array_equal(a.numpy(), r.numpy())
    rm, rv = al.tensor(rng.standard_normal(3)), al.tensor(rng.random(3) + 0.5)
    x, w, b = _leaf(rng, 3, 3, 4), _leaf(rng, 3), _leaf(rng, 3)

    def fn(x, w, b):
        return batch_norm_relu(x, rm, rv, w, b, training)
    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))
    # the accelerated backward (backward_raw) and the formula (backward, as under create_graph) agree
    y = fn(x, w, b)
    g = np.random.default_rng(9).standard_normal(tuple(y.shape))
    node = y.grad_fn
    for fast, formula in zip(node.backward_raw(node, g), node.backward(node, g)):
        if fast is not None:
            np.testing.assert_allclose(fast, formula, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("inplace", [True, False])
@pytest.mark.parametrize("cls,shape", [("BatchNorm1d", (8, 5)), ("BatchNorm2d", (4, 5, 3, 3)),
                                       ("BatchNorm3d", (2, 5, 2, 3, 3))])
def test_sequential_fuses_batch_norm_and_relu_like_torch(device, cls, shape, inplace):
    """nn.Sequential(BatchNorm, ReLU) runs as one node named as torch's last one; training steps (outputs,
    gradients, running statistics) and eval stay torch's."""
    rng = np.random.default_rng(10)
    ours = nn.Sequential(getattr(nn, cls)(5), nn.ReLU(inplace)).to(device)
    ref = torch.nn.Sequential(getattr(torch.nn, cls)(5), torch.nn.ReLU(inplace))
    for step in range(3):
        x = (rng.standard_normal(shape) + step * 0.2).astype("float32")
        g = rng.standard_normal(shape).astype("float32")
        xa, xt = al.tensor(x, requires_grad=True, device=device), torch.tensor(x, requires_grad=True)
        ya, yt = ours(xa), ref(xt)
        assert ya.grad_fn.name() == yt.grad_fn.name() == "ReluBackward0"
        assert ya.grad_fn.next_functions[0][0].variable is xa         # one node: BatchNorm's, the ReLU's name
        ya.backward(al.tensor(g, device=device))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(ya.detach().cpu().numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(xa.grad.cpu().numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ours[0], name).cpu().numpy(), getattr(ref[0], name).numpy(), rtol=1e-5,
                                   atol=1e-6)
    np.testing.assert_allclose(ours[0].weight.grad.cpu().numpy(), ref[0].weight.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert ours[0].num_batches_tracked.item() == 3
    ours.eval(), ref.eval()
    x = rng.standard_normal(shape).astype("float32")
    with al.no_grad(), torch.no_grad():
        np.testing.assert_allclose(ours(al.tensor(x, device=device)).cpu().numpy(), ref(torch.tensor(x)).numpy(),
                                   rtol=1e-5, atol=1e-5)


def test_sequential_does_not_fuse_hooked_or_other_modules():
    """A hook on either module sees its own call (the norm's output before the ReLU); a ReLU subclass or another
    activation is not fused; a ReLU not right after the norm is not."""
    x = al.randn(4, 3, 5)
    seen = []
    bn = nn.BatchNorm1d(3)
    bn.register_forward_hook(lambda m, i, o: seen.append(o.detach().clone()))
    y = nn.Sequential(bn, nn.ReLU())(x)
    assert len(seen) == 1 and (seen[0].numpy() < 0).any()
    np.testing.assert_array_equal(y.detach().numpy(), np.maximum(seen[0].numpy(), 0))
    assert y.grad_fn.next_functions[0][0].name() == "NativeBatchNormBackward0"      # two nodes

    class MyReLU(nn.ReLU):
        def forward(self, x):
            return super().forward(x) * 2
    x = al.randn(4, 3, 5, requires_grad=True)
    for act, name in ((MyReLU(), "MulBackward0"), (nn.LeakyReLU(), "LeakyReluBackward0"),
                      (nn.Identity(), "NativeBatchNormBackward0")):
        assert nn.Sequential(nn.BatchNorm1d(3), act)(x).grad_fn.name() == name
    relu = nn.ReLU()
    relu.register_forward_pre_hook(lambda m, i: None)
    assert nn.Sequential(nn.BatchNorm1d(3), relu)(x).grad_fn.name() == "ReluBackward0"
    assert nn.Sequential(nn.BatchNorm1d(3), relu)(x).grad_fn.next_functions[0][0].name() == \
        "NativeBatchNormBackward0"


def test_batch_norm_relu_output_changed_in_place_before_backward_raises():
    x = al.randn(4, 3, requires_grad=True)
    y = nn.Sequential(nn.BatchNorm1d(3), nn.ReLU())(x)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---- the in-place ReLU after a norm (ops/activation.py's relu_: straight into the storage without autograd) ----

def test_relu_inplace_without_autograd_writes_into_the_storage():
    base = al.tensor(np.array([[-1.0, 2.0, float("nan")], [3.0, -0.5, 0.0]], "float32"))
    data, version = base._data, base._version[0]
    with al.no_grad():
        assert F.relu(base, inplace=True) is base
    assert base._data is data and base._version[0] == version + 1
    np.testing.assert_array_equal(base.numpy(), [[0, 2, np.nan], [3, 0, 0]])
    base = al.tensor([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]])
    view = base.t()[1:]                       # a non-contiguous view: the base changes with it
    view.relu_()
    np.testing.assert_array_equal(base.numpy(), [[-1, 2, 0], [4, 0, 6]])
    ints = al.tensor([-2, 3])
    al.relu_(ints)
    assert ints.tolist() == [0, 3] and ints.dtype is al.int64
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        F.relu(al.tensor([True]), inplace=True)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        al.tensor([-1.0, 2.0]).expand(3, 2).relu_()


def test_relu_inplace_with_autograd_still_records():
    x = al.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    y = F.relu(h, inplace=True)
    assert y is h and h.grad_fn.name() == "ReluBackward0"
    (h * al.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 4, 6])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        F.relu(al.tensor([1.0], requires_grad=True), inplace=True)
    with al.no_grad():
        leaf = al.tensor([-1.0], requires_grad=True)
        F.relu(leaf, inplace=True)            # as torch: allowed without autograd
    assert leaf.tolist() == [0.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_inplace_kernel_matches_torch(device, dtype):
    """The table's in-place relu (large contiguous: the numba loop; small or strided: NumPy) against torch.relu_."""
    rng = np.random.default_rng(11)
    views = (((3, 5, 40, 9), lambda t: t), ((4, 7), lambda t: t), ((6, 50, 8), lambda t: t[:, ::2].transpose(0, 2)))
    for shape, view in views:
        x = rng.standard_normal(shape).astype(dtype)
        x.flat[::97] = np.nan
        ours, ref = al.tensor(x, device=device), torch.tensor(x)
        with al.no_grad():
            out = F.relu(view(ours), inplace=True)
        torch.relu_(view(ref))
        assert out.device == al.device(device) and out.dtype == getattr(al, dtype)
        np.testing.assert_array_equal(ours.cpu().numpy(), ref.numpy())


def test_state_dict_without_num_batches_tracked_loads_as_pytorch_loads_it():
    """torchvision's older checkpoints predate num_batches_tracked: PyTorch loads them and keeps the module's count
    (BatchNorm's version 2 upgrade); a dict whose _metadata says version 2 still reports it missing, in both
    libraries."""
    import collections
    for lib in (torch, al):
        model = lib.nn.Sequential(lib.nn.Conv2d(3, 4, 3), lib.nn.BatchNorm2d(4))
        state = collections.OrderedDict((k, v) for k, v in model.state_dict().items() if "num_batches" not in k)
        model[1].num_batches_tracked.fill_(7)
        result = model.load_state_dict(state)
        assert list(result.missing_keys) == [] and int(model[1].num_batches_tracked) == 7
        state._metadata = {"1": {"version": 2}}
        with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "1.num_batches_tracked"'):
            model.load_state_dict(state)
        state._metadata = {"1": {"version": 1}}
        model.load_state_dict(state)
        untracked = lib.nn.BatchNorm2d(4, track_running_stats=False)
        assert list(untracked.load_state_dict({"weight": lib.ones(4), "bias": lib.zeros(4)}).missing_keys) == []


@pytest.mark.parametrize("parallel", [False, True])
def test_cpu_forward_reads_a_channel_prefix_in_place(parallel, monkeypatch):
    """x[:, :c] of a contiguous (N, C', H, W) buffer (DenseNet's block buffer) is normalized without a copy, and as
    its contiguous copy; a slice that does not start at channel 0, whose last sample's tail is past the buffer, is
    copied first."""
    rng = np.random.default_rng(5)
    buf = (rng.standard_normal((3, 10, 6, 7)) * 2 + 5).astype(np.float32)
    w, b = rng.standard_normal(10).astype(np.float32), rng.standard_normal(10).astype(np.float32)
    laid_out = []       # the inputs _as3 lays out (copies unless contiguous)
    as3 = K._as3
    monkeypatch.setattr(K, "_as3", lambda x: laid_out.append(x.ctypes.data) or as3(x))
    with forced(parallel):
        for view, c, in_place in ((buf[:, :4], 4, True), (buf[:, 3:7], 4, False), (buf[:, :10], 10, False)):
            laid_out.clear()
            for stats in ((None, None), (np.linspace(4, 6, c).astype(np.float32), np.linspace(1, 3, c).astype(np.float32))):
                got = K.batch_norm_forward(view, w[:c], b[:c], *stats, 1e-5, True)
                want = K.batch_norm_forward(np.ascontiguousarray(view), w[:c], b[:c], *stats, 1e-5, True)
                for a, r in zip(got, want):
                    assert a.dtype == r.dtype and a.shape == r.shape
                    np.testing.assert_array_equal(a, r)
            assert (view.ctypes.data not in laid_out) == in_place
