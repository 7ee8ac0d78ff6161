"""Losses, leaky_relu, elu and dropout against torch.nn.functional (forward and backward), gradcheck in
float64, and the loss and dropout kernels against their plain formulas on every path."""
import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import ops
from autograd_lite.autograd import gradcheck
from autograd_lite.kernels import cpu
from autograd_lite.kernels.cpu._jit import forced

try:
    from op_helpers import check_op
except ImportError:  # tests/ imported as a package
    from tests.op_helpers import check_op

F32, F64 = np.float32, np.float64
RNG = np.random.default_rng(1)
C = 5
TARGET = np.array([0, 4, 2, 1, 4, 3, 2])                 # (7,) class indices, for inputs (7, C)
IGNORED = np.array([0, 4, -100, 1, 4, -100, 2])
TARGET_ND = RNG.integers(0, 4, (3, 2, 5))               # for inputs (3, 4, 2, 5)
WEIGHT = np.array([0.5, 2.0, 1.0, 0.25, 1.5])
UNIT = dict(low=0.02, high=0.98, min_abs=0.01)             # check_op inputs in (0, 1)


def fn(lib):
    """The functional module holding the losses: torch.nn.functional, or autograd_lite.ops."""
    if lib.__name__ == "torch":
        import torch.nn.functional
        return torch.nn.functional
    return ops


def case(name, f, *shapes, **kw):
    return pytest.param(f, shapes, kw, id=name)


def class_cases(name, *extra):
    """name's loss on (7, C) inputs, every reduction: plain, weighted with ignored targets, and with
    each of `extra`'s keyword sets (weighted, ignored targets)."""
    out = []
    for red in ("mean", "sum", "none"):
        for tgt, w, kw in [(TARGET, None, {}), (IGNORED, WEIGHT, {})] + [(IGNORED, WEIGHT, kw) for kw in extra]:
            if "ignore_index" in kw:
                tgt = TARGET           # -100 would be out of bounds
            def f(lib, x, red=red, tgt=tgt, w=w, kw=kw):
                weight = None if w is None else lib.tensor(w, dtype=x.dtype)
                return getattr(fn(lib), name)(x, lib.tensor(tgt), weight=weight, reduction=red, **kw)
            tag = "-".join([name, red, "w" if w is not None else "plain"] + [f"{k}={v}" for k, v in kw.items()])
            out.append(case(tag, f, (7, C)))
    return out


def _quietly(f, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")           # the broadcasting UserWarning (tested below)
        return f(*args, **kw)


def _nd(name, **kw):
    return lambda lib, x: getattr(fn(lib), name)(x, lib.tensor(TARGET_ND), **kw)


CASES = [
    *class_cases("cross_entropy", dict(label_smoothing=0.25), dict(ignore_index=4)),
    *class_cases("nll_loss", dict(ignore_index=1)),
    case("cross_entropy-nd-mean", _nd("cross_entropy"), (3, 4, 2, 5)),
    case("cross_entropy-nd-none-smooth", _nd("cross_entropy", reduction="none", label_smoothing=0.1), (3, 4, 2, 5)),
    case("cross_entropy-nd-w-sum", lambda lib, x: fn(lib).cross_entropy(
        x, lib.tensor(TARGET_ND), weight=lib.tensor([1.0, 2, 3, 4], dtype=x.dtype), reduction="sum"), (3, 4, 2, 5)),
    case("nll_loss-nd-none", _nd("nll_loss", reduction="none"), (3, 4, 2, 5)),
    case("nll_loss-nd-ignore", _nd("nll_loss", ignore_index=2), (3, 4, 2, 5)),
    case("cross_entropy-1d", lambda lib, x: fn(lib).cross_entropy(x, lib.tensor(3)), (C,)),
    case("cross_entropy-1d-none", lambda lib, x: fn(lib).cross_entropy(x, lib.tensor(3), reduction="none"), (C,)),
    case("nll_loss-1d", lambda lib, x: fn(lib).nll_loss(x, lib.tensor(1), reduction="sum"), (C,)),
    case("cross_entropy-empty", lambda lib, x: fn(lib).cross_entropy(x, lib.tensor(np.zeros(0, np.int64))), (0, C)),
    case("cross_entropy-all-ignored", lambda lib, x: fn(lib).cross_entropy(x, lib.tensor([-100] * 7)), (7, C)),
    case("cross_entropy-all-ignored-smooth", lambda lib, x: fn(lib).cross_entropy(
        x, lib.tensor([-100] * 7), label_smoothing=0.2), (7, C)),
    case("nll_loss-all-ignored-w", lambda lib, x: fn(lib).nll_loss(
        x, lib.tensor([3] * 7), lib.tensor(WEIGHT, dtype=x.dtype), ignore_index=3), (7, C)),
    # class probabilities (target of the input's shape: both get gradients)
    *[case(f"cross_entropy-probs-{red}", lambda lib, x, p, red=red: fn(lib).cross_entropy(x, p, reduction=red),
           (7, C), (7, C)) for red in ("mean", "sum", "none")],
    case("cross_entropy-probs-w-smooth", lambda lib, x, p: fn(lib).cross_entropy(
        x, p, weight=lib.tensor(WEIGHT, dtype=x.dtype), label_smoothing=0.3), (7, C), (7, C)),
    case("cross_entropy-probs-nd-w", lambda lib, x, p: fn(lib).cross_entropy(
        x, p, weight=lib.tensor([1.0, 2, 3], dtype=x.dtype), reduction="none"), (2, 3, 4), (2, 3, 4)),
    case("cross_entropy-probs-1d", lambda lib, x, p: fn(lib).cross_entropy(x, p), (C,), (C,)),
    # regression and binary losses (inputs in (0, 1) for binary_cross_entropy)
    *[case(f"{name}-{red}", lambda lib, x, y, name=name, red=red: getattr(fn(lib), name)(x, y, reduction=red),
           (4, 6), (4, 6), **UNIT)
      for name in ("mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits")
      for red in ("mean", "sum", "none")],
    *[case(f"{name}-{red}", lambda lib, x, y, name=name, red=red, k=k: getattr(fn(lib), name)(
        x, y, reduction=red, **k), (4, 6), (4, 6), **UNIT)        # |x - y| on both sides of beta / delta
      for name, k in (("smooth_l1_loss", dict(beta=0.4)), ("huber_loss", dict(delta=0.4)))
      for red in ("mean", "sum", "none")],
    case("smooth_l1_loss-beta0", lambda lib, x, y: fn(lib).smooth_l1_loss(x, y, beta=0.0), (4, 6), (4, 6)),
    case("huber_loss-weight", lambda lib, x, y, w: fn(lib).huber_loss(x, y, delta=0.5, weight=w), (3, 4), (3, 4),
         (3, 4)),
    case("mse_loss-weight", lambda lib, x, y, w: fn(lib).mse_loss(x, y, weight=w), (3, 4), (3, 4), (3, 4)),
    case("l1_loss-weight-none", lambda lib, x, y, w: fn(lib).l1_loss(x, y, weight=w, reduction="none"),
         (3, 4), (3, 4), (3, 4)),
    case("bce-weight", lambda lib, x, y: fn(lib).binary_cross_entropy(
        x, y, weight=lib.tensor([1.0, 2, 0.5], dtype=x.dtype)), (4, 3), (4, 3), **UNIT),
    case("bce-weight-none", lambda lib, x, y: fn(lib).binary_cross_entropy(
        x, y, weight=lib.tensor([[2.0], [0.5]], dtype=x.dtype), reduction="none"), (2, 3), (2, 3),
         **UNIT),
    case("bce-logits-weights", lambda lib, x, y: fn(lib).binary_cross_entropy_with_logits(
        x * 4, y, weight=lib.tensor([1.0, 2, 0.5], dtype=x.dtype),
        pos_weight=lib.tensor([3.0, 0.5, 1.0], dtype=x.dtype)), (4, 3), (4, 3), **UNIT),
    case("bce-logits-pos-weight-none", lambda lib, x, y: fn(lib).binary_cross_entropy_with_logits(
        x * 8 - 4, y, pos_weight=lib.tensor([2.0, 0.25, 1.0], dtype=x.dtype), reduction="none"), (4, 3), (4, 3),
         **UNIT),
    case("mse_loss-broadcast", lambda lib, x, y: _quietly(fn(lib).mse_loss, x, y, reduction="sum"), (3, 4), (4,)),
    case("l1_loss-broadcast", lambda lib, x, y: _quietly(fn(lib).l1_loss, x, y), (3, 1), (2, 1, 4)),
    case("mse_loss-scalar", lambda lib, x, y: fn(lib).mse_loss(x, y), (), ()),
    case("mse_loss-empty", lambda lib, x, y: fn(lib).mse_loss(x, y), (0, 3), (0, 3)),
    # activations
    case("leaky_relu", lambda lib, x: fn(lib).leaky_relu(x), (4, 6)),
    case("leaky_relu-slope", lambda lib, x: fn(lib).leaky_relu(x, 0.2), (4, 6)),
    case("leaky_relu-scalar", lambda lib, x: fn(lib).leaky_relu(x, negative_slope=1.5), ()),
    case("elu", lambda lib, x: fn(lib).elu(x), (4, 6), low=-6.0, high=3.0),
    case("elu-alpha", lambda lib, x: fn(lib).elu(x, alpha=0.5), (4, 6), low=-6.0, high=3.0),
    case("leaky_relu-inplace", lambda lib, x: fn(lib).leaky_relu(x * 1, 0.1, inplace=True), (4, 6)),
    case("elu-inplace", lambda lib, x: fn(lib).elu(x * 1, inplace=True), (4, 6)),
    case("dropout-eval", lambda lib, x: fn(lib).dropout(x, 0.5, training=False), (4, 6)),
    case("dropout-p0", lambda lib, x: fn(lib).dropout(x, 0.0), (4, 6)),
    case("dropout-p1", lambda lib, x: fn(lib).dropout(x, 1.0), (4, 6)),
]


@pytest.mark.filterwarnings("error::RuntimeWarning")      # NumPy's 0/0 or inf*0 must not leak out (torch is silent)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("f,shapes,kw", CASES)
def test_against_torch(f, shapes, kw, dtype, device):
    pytest.importorskip("torch")
    check_op(f, shapes, dtype=dtype, device=device, **kw)


def test_cross_entropy_is_one_node():
    x = al.randn(4, 3, requires_grad=True)
    loss = ops.cross_entropy(x, al.tensor([0, 2, 1, 1]))
    assert loss.grad_fn.name() == "CrossEntropyBackward0"
    assert loss.grad_fn.next_functions[0][0].variable is x


def test_int32_and_uint8_targets():
    x = al.randn(6, C)
    ref = ops.cross_entropy(x, al.tensor(TARGET[:6])).item()
    for dt in (np.int32, np.uint8):
        assert ops.cross_entropy(x, al.tensor(TARGET[:6].astype(dt))).item() == pytest.approx(ref, rel=1e-6)
        assert ops.nll_loss(x, al.tensor(TARGET[:6].astype(dt))).item() == pytest.approx(
            ops.nll_loss(x, al.tensor(TARGET[:6])).item(), rel=1e-6)


def test_large_logits_stable():
    torch = pytest.importorskip("torch")
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3], [0.0, 1e4, 1e4]], F32)
    t = np.array([1, 1, 2])
    for smooth in (0.0, 0.1):
        a, b = al.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        la = ops.cross_entropy(a, al.tensor(t), label_smoothing=smooth)
        lb = torch.nn.functional.cross_entropy(b, torch.tensor(t), label_smoothing=smooth)
        la.backward()
        lb.backward()
        assert np.isfinite(la.item()) and la.item() == pytest.approx(lb.item(), rel=1e-6)
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-7)
        assert np.isfinite(a.grad.numpy()).all()


def test_float16_runs_through_float32():
    x = np.random.default_rng(0).standard_normal((6, C)).astype(np.float16)
    out = ops.cross_entropy(al.tensor(x), al.tensor(TARGET[:6]))
    assert out.dtype == al.float16
    ref = ops.cross_entropy(al.tensor(x.astype(F32)), al.tensor(TARGET[:6])).item()
    assert out.item() == pytest.approx(ref, rel=1e-3)


# ---- gradcheck (float64) ---------------------------------------------------------------------

def _t(shape, low=-2.0, high=2.0, seed=0):
    a = np.random.default_rng(seed).uniform(low, high, shape)
    return al.tensor(a, dtype=al.float64, requires_grad=True)


W64 = al.tensor(WEIGHT, dtype=al.float64)
GRADCHECKS = [
    ("cross_entropy", lambda x: ops.cross_entropy(x, al.tensor(IGNORED), W64, label_smoothing=0.2), [(7, C)]),
    ("cross_entropy-none", lambda x: ops.cross_entropy(x, al.tensor(TARGET), reduction="none"), [(7, C)]),
    ("cross_entropy-nd", lambda x: ops.cross_entropy(x, al.tensor(TARGET_ND[:2, :, :2])), [(2, 4, 2, 2)]),
    ("cross_entropy-probs", lambda x, p: ops.cross_entropy(x, p, W64, label_smoothing=0.1), [(4, C), (4, C)]),
    ("nll_loss", lambda x: ops.nll_loss(x, al.tensor(IGNORED), W64), [(7, C)]),
    ("nll_loss-nd", lambda x: ops.nll_loss(x, al.tensor(TARGET_ND[:2, :, :2]), reduction="none"), [(2, 4, 2, 2)]),
    ("mse_loss", lambda x, y: ops.mse_loss(x, y), [(3, 4), (3, 4)]),
    ("l1_loss", lambda x, y: ops.l1_loss(x, y, reduction="sum"), [(3, 4), (3, 4)]),
    ("smooth_l1_loss", lambda x, y: al.nn.functional.smooth_l1_loss(x, y, beta=0.8), [(3, 4), (3, 4)]),
    ("huber_loss", lambda x, y: al.nn.functional.huber_loss(x, y, delta=0.8, reduction="none"), [(3, 4), (3, 4)]),
    ("bce", lambda x, y: ops.binary_cross_entropy(x * 0.2 + 0.5, y * 0.25 + 0.5, al.tensor([1.0, 2, 3, 4],
                                                                                           dtype=al.float64)),
     [(3, 4), (3, 4)]),
    ("bce_with_logits", lambda x, y: ops.binary_cross_entropy_with_logits(
        x * 3, y * 0.25 + 0.5, W64[:4], pos_weight=al.tensor([2.0, 0.5, 1, 3], dtype=al.float64)),
     [(3, 4), (3, 4)]),
    ("leaky_relu", lambda x: ops.leaky_relu(x, 0.1), [(3, 4)]),
    ("elu", lambda x: ops.elu(x, 0.7), [(3, 4)]),
    ("dropout", lambda x: (al.manual_seed(5), ops.dropout(x, 0.4))[1], [(3, 4)]),
]


@pytest.mark.parametrize("f,shapes", [pytest.param(f, s, id=n) for n, f, s in GRADCHECKS])
def test_gradcheck(f, shapes):
    inputs = [_t(s, seed=i) for i, s in enumerate(shapes)]
    for x in inputs:     # away from the kinks of l1, leaky_relu and elu
        x._data[np.abs(x._data) < 0.05] = 0.3
    assert gradcheck(f, inputs)


# ---- dropout ---------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    x = al.ones(200, 500, requires_grad=True)
    y = ops.dropout(x, p)
    out = y.detach().numpy()
    kept = out != 0
    assert y.dtype == al.float32 and abs(kept.mean() - (1 - p)) < 0.01
    assert abs(out.mean() - 1) < 0.03                                     # inverted: the mean is kept
    np.testing.assert_allclose(out[kept], np.float32(1) / np.float32(1 - p))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out)                    # mask * scale


def test_dropout_reproducible_and_modes():
    x = al.randn(50, 40, dtype=al.float64)
    al.manual_seed(7)
    a = ops.dropout(x, 0.3)
    al.manual_seed(7)
    b = ops.dropout(x, 0.3)
    c = ops.dropout(x, 0.3)
    assert a.dtype == al.float64
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(b.numpy(), c.numpy())
    assert ops.dropout(x, 0.3, training=False) is x and ops.dropout(x, 0.0) is x
    z = al.randn(4, 5, requires_grad=True)
    zeros = ops.dropout(z, 1.0)
    zeros.sum().backward()
    assert not zeros.detach().numpy().any() and not z.grad.numpy().any()
    h = al.randn(3, 4, dtype=al.float16)
    assert ops.dropout(h, 0.5).dtype == al.float16


def test_dropout_inplace():
    x = al.randn(30, 30)
    before = x.numpy().copy()
    al.manual_seed(2)
    out = ops.dropout(x, 0.5, inplace=True)
    al.manual_seed(2)
    ref = ops.dropout(al.tensor(before), 0.5)
    assert out is x
    np.testing.assert_array_equal(x.numpy(), ref.numpy())
    leaf = al.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        ops.dropout(leaf, 0.5, inplace=True)


@pytest.mark.parametrize("p", [1.5, -0.1])
def test_dropout_bad_p(p):
    with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"):
        ops.dropout(al.ones(3), p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ops.dropout(al.ones(3), p, training=False)


# ---- kernels against their formulas ----------------------------------------------------------

def _ce_reference(x, t, w, ignore, eps):
    """Row losses and gradient (of their sum) in float64, from the textbook formulas."""
    x = x.astype(F64)
    n = x.shape[1]
    w = np.ones(n) if w is None else w.astype(F64)
    keep = t != ignore
    tk = np.where(keep, t, 0)
    logp = x - x.max(1, keepdims=True) if n else x
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    onehot = np.eye(n)[tk] if n else np.zeros_like(x)
    target = (1 - eps) * onehot + eps / n
    losses = -(target * w * logp).sum(1) * keep
    wt = (1 - eps) * w[tk] + eps * w.sum() / n
    grad = (np.exp(logp) * wt[:, None] - target * w) * keep[:, None]
    return losses, grad, (w[tk] * keep).sum()


KERNEL_SHAPES = [(1, 1), (7, 13), (33, 2), (0, 4), (130, 257)]
KERNEL_PATHS = [("dispatch", False), ("numba", False), ("numba", True), ("numba_scalar_exp", False),
                ("numba_scalar_exp", True), ("numpy", False)]


@pytest.mark.parametrize("path,parallel", KERNEL_PATHS)
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("shape", KERNEL_SHAPES)
def test_cross_entropy_kernel(shape, dtype, path, parallel):
    rng = np.random.default_rng(shape[0])
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    t = rng.integers(0, shape[1], shape[0]).astype(np.int32 if shape[0] % 2 else np.int64)
    t[::3] = -100
    tol = dict(rtol=3e-5, atol=3e-6) if dtype == F32 else dict(rtol=1e-11, atol=1e-12)
    for w, eps in ((None, 0.0), (rng.random(shape[1]).astype(dtype), 0.3)):
        losses64, grad64, total64 = _ce_reference(x, t, w, -100, eps)
        with forced(parallel):
            wk = np.empty(0, dtype) if w is None else w
            if path == "dispatch":
                losses, probs, total = cpu.cross_entropy_forward(x, t, w, -100, eps)
            else:
                losses, probs, total = cpu.PATHS["cross_entropy_forward"][path](x, t, wk, -100, eps)
            g = rng.standard_normal(shape[0]).astype(dtype)
            for gg, scale in ((g, g[:, None]), (np.asarray(0.5, dtype), 0.5)):
                grad = (cpu.cross_entropy_backward(gg, probs, t, w, -100, eps) if path == "dispatch" else
                        cpu.PATHS["cross_entropy_backward"]["numpy" if path == "numpy" else "numba"](
                            gg, probs, t, wk, -100, eps))
                assert grad.dtype == dtype and grad.shape == shape
                np.testing.assert_allclose(grad, grad64 * scale, **tol)
                with np.errstate(divide="ignore"):                  # log(0) = -inf: exp gives the 0 back
                    logp = np.log(probs)
                from_logp = (cpu.cross_entropy_backward(gg, logp, t, w, -100, eps, True) if path == "dispatch" else
                             cpu.PATHS["cross_entropy_backward"]["numpy" if path == "numpy" else "numba"](
                                 gg, logp, t, wk, -100, eps, True))
                assert from_logp.dtype == dtype and from_logp.shape == shape
                np.testing.assert_allclose(from_logp, grad64 * scale, **tol)
        assert losses.dtype == probs.dtype == total.dtype == dtype and total.shape == ()
        np.testing.assert_allclose(losses, losses64, **tol)
        np.testing.assert_allclose(total, total64, **tol)
        assert probs.shape == shape and (shape[1] == 0 or np.allclose(probs.sum(1), 1, rtol=1e-5))


@pytest.mark.parametrize("path", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("shape", KERNEL_SHAPES)
def test_nll_kernel(shape, dtype, path):
    rng = np.random.default_rng(shape[0])
    x = rng.standard_normal(shape).astype(dtype)
    t = rng.integers(0, shape[1], shape[0])
    t[1::4] = -1
    w = rng.random(shape[1]).astype(dtype)
    keep = t != -1
    losses, total = cpu.PATHS["nll_loss_forward"][path](x, t, w, -1)
    ref = -x[np.arange(shape[0]), np.where(keep, t, 0)] * w[np.where(keep, t, 0)] * keep
    assert losses.dtype == total.dtype == dtype
    np.testing.assert_allclose(losses, ref, rtol=1e-6)
    np.testing.assert_allclose(total, (w[np.where(keep, t, 0)] * keep).sum(), rtol=1e-6)
    g = rng.standard_normal(shape[0]).astype(dtype)
    grad = cpu.PATHS["nll_loss_backward"][path](g, t, w, -1, shape[1])
    ref = np.zeros(shape)
    ref[np.arange(shape[0])[keep], t[keep]] = -w[t[keep]] * g[keep]
    assert grad.dtype == dtype
    np.testing.assert_allclose(grad, ref, rtol=1e-6)


def test_loss_kernels_public():
    x = np.random.default_rng(0).standard_normal((5, 3))[:, ::-1]    # not C-contiguous
    losses, probs, total = cpu.cross_entropy_forward(x, [0, 1, 2, 1, 0])
    np.testing.assert_allclose(losses, _ce_reference(x, np.array([0, 1, 2, 1, 0]), None, -100, 0.0)[0])
    assert total == 5 and probs.flags.c_contiguous
    with pytest.raises(IndexError, match=r"Target 3 is out of bounds\. .*3 classes"):
        cpu.cross_entropy_forward(x, [0, 1, 3, 1, 0])
    with pytest.raises(IndexError, match="Target -2 is out of bounds"):
        cpu.nll_loss_forward(x, [0, 1, -2, 1, 0])
    with pytest.raises(TypeError, match="integer target"):
        cpu.cross_entropy_forward(x, np.zeros(5))
    with pytest.raises(ValueError, match="weight of shape"):
        cpu.cross_entropy_forward(x, [0] * 5, np.ones(4))
    with pytest.raises(TypeError, match="float32 or float64"):
        cpu.nll_loss_forward(x.astype(np.int64), [0] * 5)


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("shape", [(), (1,), (1001,), (7, 13), (0, 3)])
@pytest.mark.parametrize("draws", ["float32", "uint16"])
def test_dropout_kernel(shape, dtype, parallel, draws):
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    u = rng.random(shape, dtype=F32) if draws == "float32" else rng.integers(0, 1 << 16, shape).astype(np.uint16)
    for p in (0.0, 0.3, 1.0):
        scale = dtype(0) if p == 1 else dtype(1) / dtype(1 - p)
        keep = u >= (np.float32(p) if draws == "float32" else round(p * 65536))
        outs = []
        for path in ("numba", "numpy"):
            with forced(parallel):
                out, mask = cpu.PATHS["dropout_forward"][path](x, u, p)
                grad = cpu.PATHS["dropout_backward"][path](g, mask, p)
            assert out.dtype == grad.dtype == dtype and mask.dtype == np.bool_ and out.shape == shape
            np.testing.assert_array_equal(mask, keep)
            np.testing.assert_array_equal(out, x * (mask * scale))
            np.testing.assert_array_equal(grad, g * (mask * scale))
            outs.append(out)
        np.testing.assert_array_equal(*outs)


def test_dropout_kernel_public():
    x = np.array([np.inf, np.nan, 1.0], F32)
    out, mask = cpu.dropout_forward(x, np.array([0.9, 0.9, 0.1], F32), 1.0)
    assert np.isnan(out[:2]).all() and out[2] == 0 and not mask.any()      # x * 0, as PyTorch
    with pytest.raises(ValueError, match="shapes must match"):
        cpu.dropout_forward(x, np.zeros(2, F32), 0.5)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        cpu.dropout_forward(x, np.zeros(3, F32), 2.0)
    out, mask = cpu.dropout_forward(x, np.array([0, 19660, 19661], np.uint16), 0.3)   # 0.3 * 65536 = 19660.8
    assert mask.tolist() == [False, False, True] and out[2] == np.float32(1 / 0.7)
    with pytest.raises(TypeError, match="dropout_forward"):
        cpu.dropout_forward(x, np.zeros(3, np.int32), 0.5)


# ---- bad input -------------------------------------------------------------------------------

X = al.randn(3, C)


@pytest.mark.parametrize("f,err,match", [
    (lambda: ops.cross_entropy(X, al.tensor([1, 2, 12])), IndexError, r"Target 12 is out of bounds\..*5 classes"),
    (lambda: ops.nll_loss(X, al.tensor([-3, 2, 1])), IndexError, r"nll_loss: Target -3 is out of bounds"),
    (lambda: ops.cross_entropy(X, al.tensor([1.0, 2.0, 3.0])), RuntimeError, r"target dtype to be Long.*Float"),
    (lambda: ops.nll_loss(X, al.tensor([True, False, True])), RuntimeError, r"target dtype to be Long.*Bool"),
    (lambda: ops.cross_entropy(X, al.tensor([1, 2, 3, 4])), ValueError,
     r"Expected input batch_size \(3\) to match target batch_size \(4\)"),
    (lambda: ops.cross_entropy(X, al.tensor([[1], [2], [3]])), RuntimeError, r"multi-target.*\(3, 1\)"),
    (lambda: ops.cross_entropy(al.randn(3, C, 2), al.tensor([[1, 2, 3]] * 3)), RuntimeError,
     r"Expected target size \[3, 2\], got \[3, 3\]"),
    (lambda: ops.cross_entropy(al.randn(C), al.tensor([1, 2])), ValueError, "For 1D input, 1D target must have size 1"),
    (lambda: ops.cross_entropy(X, al.ones(3, C, dtype=al.int64)), RuntimeError,
     "Expected floating point type for target with class probabilities, got int64"),
    (lambda: ops.cross_entropy(X, al.rand(3, C), ignore_index=1), RuntimeError, "ignore_index is not supported"),
    (lambda: ops.cross_entropy(X, al.tensor([1, 2, 3]), reduction="bad"), ValueError,
     "cross_entropy: bad is not a valid value for reduction"),
    (lambda: ops.mse_loss(X, X, reduction="avg"), ValueError, "avg is not a valid value for reduction"),
    (lambda: ops.cross_entropy(X, al.tensor([1, 2, 3]), weight=al.ones(4)), RuntimeError,
     r"all 5 classes or no classes but got weight tensor of shape: \[4\]"),
    (lambda: ops.cross_entropy(X, al.tensor([1, 2, 3]), label_smoothing=1.5), RuntimeError,
     "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda: ops.cross_entropy(X.long(), al.tensor([1, 2, 3])), NotImplementedError,
     "\"cross_entropy\" not implemented for 'Long'"),
    (lambda: ops.cross_entropy(al.tensor(1.0), al.tensor(0)), ValueError, "0-d"),
    (lambda: ops.binary_cross_entropy(al.rand(3), al.rand(3, 1)), ValueError,
     r"target size \(autograd_lite.Size\(\[3, 1\]\)\) that is different to the input size "
     r"\(autograd_lite.Size\(\[3\]\)\)"),
    (lambda: ops.binary_cross_entropy_with_logits(al.rand(3), al.rand(2)), ValueError,
     r"Target size \(autograd_lite.Size\(\[2\]\)\) must be the same as input size"),
    (lambda: ops.binary_cross_entropy(al.tensor([1.5]), al.tensor([1.0])), RuntimeError,
     "all elements of input should be between 0 and 1"),
    (lambda: ops.binary_cross_entropy(al.tensor([0.5]), al.tensor([-1.0])), RuntimeError,
     "all elements of target should be between 0 and 1"),
    (lambda: ops.binary_cross_entropy(al.rand(2), al.rand(2), weight=al.ones(3)), RuntimeError,
     r"weight of shape \(3,\) does not broadcast to the input's shape \(2,\)"),
    (lambda: ops.mse_loss(al.rand(3), al.rand(3), weight=al.ones(2)), ValueError, "Weights and input must have"),
    (lambda: ops.mse_loss(al.ones(3, dtype=al.int64), al.ones(3, dtype=al.int64)), NotImplementedError,
     "\"mse_loss\" not implemented for 'Long'"),
    (lambda: ops.leaky_relu(al.tensor([1, 2])), NotImplementedError, "\"leaky_relu\" not implemented for 'Long'"),
    (lambda: ops.elu(al.tensor([1, 2])), NotImplementedError, "\"elu\" not implemented for 'Long'"),
    (lambda: ops.dropout(al.tensor([1, 2]), 0.5), RuntimeError, "dropout: result type Float can't be cast.*Long"),
])
def test_bad_input(f, err, match):
    with pytest.raises(err, match=match):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f()


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_broadcast_warns_like_torch(name):
    torch = pytest.importorskip("torch")
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 1))
    with pytest.warns(UserWarning, match=r"target size \(autograd_lite.Size\(\[3, 1\]\)\) that is different"):
        ours = getattr(ops, name)(al.tensor(x), al.tensor(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(y))
    assert ours.item() == pytest.approx(ref.item(), rel=1e-12)
    with pytest.raises(RuntimeError, match=rf"{name}: shapes \(3, 4\) and \(4, 1\) cannot be broadcast"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(ops, name)(al.tensor(x), al.randn(4, 1, dtype=al.float64))


def test_legacy_reduction_arguments():
    x, t = al.randn(4, C), al.tensor([0, 1, 2, 3])
    with pytest.warns(UserWarning, match="reduction='sum' instead"):
        s = ops.cross_entropy(x, t, size_average=False)
    with pytest.warns(UserWarning, match="reduction='none' instead"):
        n = ops.nll_loss(x, t, reduce=False)
    assert s.item() == pytest.approx(ops.cross_entropy(x, t, reduction="sum").item())
    assert n.shape == (4,)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_of_log_softmax_keeps_the_log_probabilities_in_the_graph(reduction, weighted):
    """nll_loss(log_softmax(x, 1)): two nodes, as in PyTorch, so that the log-probabilities are a tensor of the
    graph (autograd.grad with respect to them works; a fused node straight to x once dropped them), with torch's
    values and gradients."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, t = rng.standard_normal((7, 5)).astype(F32), np.array([0, 1, 2, 3, 4, -100, 2])
    w = rng.random(5).astype(F32) if weighted else None
    a = al.tensor(x, requires_grad=True)
    lp = ops.log_softmax(a, 1)
    loss = ops.nll_loss(lp, al.tensor(t), None if w is None else al.tensor(w), reduction=reduction)
    assert loss.grad_fn.name() == "NllLossBackward0" and loss.grad_fn.next_functions[0][0] is lp.grad_fn
    total = loss.sum() if reduction == "none" else loss
    g_lp, = al.autograd.grad(total, lp, retain_graph=True)
    total.backward()
    b = torch.tensor(x, requires_grad=True)
    tlp = torch.log_softmax(b, 1)
    ref = torch.nn.functional.nll_loss(tlp, torch.tensor(t), None if w is None else torch.tensor(w),
                                       reduction=reduction)
    ref = ref.sum() if reduction == "none" else ref
    t_lp, = torch.autograd.grad(ref, tlp, retain_graph=True)
    ref.backward()
    np.testing.assert_allclose(total.detach().numpy(), ref.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g_lp.numpy(), t_lp.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_nll_of_log_softmax_respects_hooks_and_in_place():
    x, t = al.randn(4, 3, requires_grad=True), al.tensor([0, 1, 2, 1])
    lp = ops.log_softmax(x, 1)
    seen = []
    lp.register_hook(lambda g: seen.append(g.shape))
    ops.nll_loss(lp, t).backward()
    assert seen == [(4, 3)]                       # the hook ran: log_softmax kept its own node
    lp = ops.log_softmax(x, 1)
    lp.retain_grad()
    ops.nll_loss(lp, t).backward()
    assert lp.grad is not None and lp.grad.shape == (4, 3)
    lp = ops.log_softmax(x, 1)
    loss = ops.nll_loss(lp, t)
    lp.add_(1.0)                                  # the log-probabilities changed after the loss saw them
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("parallel", [False, True])
def test_loss_backward_kernels_check_targets(parallel):
    """A backward kernel handed a target out of bounds raises, and never writes outside its output (issue 13: a
    target changed after forward once wrote at row * C + 50_000_000 and killed the process)."""
    p = np.full((4, 3), 1 / 3)
    for bad in (3, -2, 50_000_000, -50_000_000):
        t = np.array([0, bad, 2, -100])
        with forced(parallel):
            with pytest.raises(IndexError, match=f"Target {bad} is out of bounds"):
                cpu.cross_entropy_backward(np.float64(1.0), p, t)
            with pytest.raises(IndexError, match=f"Target {bad} is out of bounds"):
                cpu.nll_loss_backward(np.float64(1.0), t, np.ones(3), -100, 3)


def test_smooth_l1_and_huber_refuse_bad_constants_and_have_modules():
    x, y = al.randn(3), al.randn(3)
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta."):
        al.nn.functional.smooth_l1_loss(x, y, beta=-1.0)
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values for delta."):
        al.nn.functional.huber_loss(x, y, delta=0.0)
    torch = pytest.importorskip("torch")
    for ours, ref in ((al.nn.SmoothL1Loss(beta=0.5, reduction="sum"), torch.nn.SmoothL1Loss(beta=0.5, reduction="sum")),
                      (al.nn.HuberLoss(delta=0.3), torch.nn.HuberLoss(delta=0.3))):
        assert repr(ours) == repr(ref)
        assert ours(x, y).item() == pytest.approx(ref(torch.tensor(x.numpy()), torch.tensor(y.numpy())).item(),
                                                  rel=1e-6)
