"""grad_fn saved-tensor introspection against torch: ``_saved_<name>`` (names, values, types, identity),
``_raw_saved_<name>.register_hooks``, the freed-after-backward error, and node names (``grad_fn.name()``)."""
import numpy as np
import pytest

import autograd_lite as al

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def _arrays(*shapes, positive=False):
    out = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    return [np.abs(a) + 0.5 for a in out] if positive else out


def _both(arrays, grad=True):
    """The same arrays as leaf tensors of torch and of autograd_lite."""
    return ([torch.tensor(a, requires_grad=grad) for a in arrays],
            [al.tensor(a, requires_grad=grad) for a in arrays])


def _saved_names(fn):
    return sorted(a for a in dir(fn) if a.startswith("_saved"))


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


def _assert_same_saved(theirs, ours):
    """Same `_saved_*` names as torch's node, and each with torch's value and type."""
    assert ours.name() == theirs.name()
    names = _saved_names(theirs)
    assert _saved_names(ours) == names
    for n in names:
        t, o = getattr(theirs, n), getattr(ours, n)
        if isinstance(t, torch.Tensor):
            assert isinstance(o, al.Tensor), n
            assert tuple(o.shape) == tuple(t.shape) and _dtype_name(o) == _dtype_name(t), n
            np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=n)
        else:
            assert type(o) is type(t) and o == t, (n, o, t)


T = torch.nn.functional
F = al.nn.functional
X, W, B, M = _arrays((3, 4), (5, 4), (5,), (4, 5))
P, = _arrays((3, 4), positive=True)
IMG, CW, CB = _arrays((2, 3, 6, 6), (4, 3, 3, 3), (4,))
TARGET = np.array([0, 3, 1])

# (label, the op on (library, functional, inputs as that library's leaves); the arrays the leaves are made of)
CASES = [
    ("pow_int", lambda lib, f, x: x[0].pow(2), [X]),
    ("pow_float", lambda lib, f, x: x[0] ** 2.5, [P]),
    ("pow_tensor", lambda lib, f, x: x[0].pow(x[1]), [P, X]),
    ("rpow", lambda lib, f, x: 2 ** x[0], [X]),
    ("exp", lambda lib, f, x: x[0].exp(), [X]),
    ("mul", lambda lib, f, x: x[0] * x[1], [X, P]),
    ("mul_scalar", lambda lib, f, x: x[0] * 2, [X]),
    ("div", lambda lib, f, x: x[0] / x[1], [X, P]),
    ("matmul", lambda lib, f, x: x[0] @ x[1], [X, M]),
    ("mm_transposed", lambda lib, f, x: x[0].mm(x[1].t()), [X, W]),
    ("dot", lambda lib, f, x: x[0][0] @ x[0][1], [X]),
    ("bmm", lambda lib, f, x: lib.bmm(x[0].reshape(1, 3, 4), x[1].reshape(1, 4, 5)), [X, M]),
    ("sin", lambda lib, f, x: x[0].sin(), [X]),
    ("cos", lambda lib, f, x: x[0].cos(), [X]),
    ("tanh", lambda lib, f, x: x[0].tanh(), [X]),
    ("sigmoid", lambda lib, f, x: x[0].sigmoid(), [X]),
    ("relu", lambda lib, f, x: f.relu(x[0]), [X]),
    ("log", lambda lib, f, x: x[0].log(), [P]),
    ("sqrt", lambda lib, f, x: x[0].sqrt(), [P]),
    ("sum", lambda lib, f, x: x[0].sum(), [X]),
    ("sum_dim", lambda lib, f, x: x[0].sum(1, keepdim=True), [X]),
    ("mean", lambda lib, f, x: x[0].mean(), [X]),
    ("mean_dim", lambda lib, f, x: x[0].mean((0,)), [X]),
    ("linear", lambda lib, f, x: f.linear(x[0], x[1], x[2]), [X, W, B]),
    ("linear_no_bias", lambda lib, f, x: f.linear(x[0], x[1]), [X, W]),
    ("addmm", lambda lib, f, x: lib.addmm(x[2], x[0], x[1]), [X, M, B]),
    ("softmax", lambda lib, f, x: f.softmax(x[0], 1), [X]),
    ("log_softmax", lambda lib, f, x: f.log_softmax(x[0], 1), [X]),
    ("nll_loss", lambda lib, f, x: f.nll_loss(f.log_softmax(x[0], 1), lib.tensor(TARGET)), [X]),
    ("nll_loss_sum", lambda lib, f, x: f.nll_loss(x[0], lib.tensor(TARGET), reduction="sum", ignore_index=1), [X]),
    ("mse_loss", lambda lib, f, x: f.mse_loss(x[0], x[1]), [X, P]),
    ("conv2d", lambda lib, f, x: f.conv2d(x[0], x[1], x[2], stride=2, padding=1), [IMG, CW, CB]),
    ("conv2d_no_bias", lambda lib, f, x: f.conv2d(x[0], x[1], dilation=2), [IMG, CW]),
    ("max_pool2d", lambda lib, f, x: f.max_pool2d(x[0], 3, 2, 1, ceil_mode=True), [IMG]),
    ("avg_pool2d", lambda lib, f, x: f.avg_pool2d(x[0], 2, 2, count_include_pad=False), [IMG]),
    ("batch_norm", lambda lib, f, x: f.batch_norm(x[0], lib.zeros(3), lib.ones(3), x[1], x[2], training=True),
     [IMG, *_arrays((3,), (3,))]),
    ("batch_norm_eval", lambda lib, f, x: f.batch_norm(x[0], lib.zeros(3), lib.ones(3), x[1], x[2]),
     [IMG, *_arrays((3,), (3,))]),
    ("layer_norm", lambda lib, f, x: f.layer_norm(x[0], (6,), x[1], x[2]), [IMG, *_arrays((6,), (6,))]),
    ("layer_norm_2d", lambda lib, f, x: f.layer_norm(x[0], (6, 6)), [IMG]),
    ("group_norm", lambda lib, f, x: f.group_norm(x[0], 3, x[1]), [IMG, *_arrays((3,))]),
]


# tensors these nodes keep outside what their backward reads through `_saved` (a kernel's by-products, module
# buffers): `_saved_<name>` gives them, but no SavedTensor to hook (hooks there would not reach the backward)
NO_RAW = {"nll_loss": {"total_weight"}, "nll_loss_sum": {"total_weight"}, "max_pool2d": {"result1"},
          "batch_norm": {"running_mean", "running_var"}, "batch_norm_eval": {"running_mean", "running_var"}}


@pytest.mark.parametrize("label, make, arrays", CASES, ids=[c[0] for c in CASES])
def test_saved_names_values_and_types_are_torchs(label, make, arrays):
    theirs, ours = _both(arrays)
    yt, yo = make(torch, T, theirs), make(al, F, ours)
    _assert_same_saved(yt.grad_fn, yo.grad_fn)
    raw = {a for a in dir(yt.grad_fn) if a.startswith("_raw_saved")}
    raw -= {"_raw_saved_" + n for n in NO_RAW.get(label, ())}
    assert {a for a in dir(yo.grad_fn) if a.startswith("_raw_saved")} == raw
    for name in raw:
        assert type(getattr(yo.grad_fn, name)).__name__ == "SavedTensor"
    # the node still computes torch's gradients (saving more for introspection changed no backward)
    yt.sum().backward()
    yo.sum().backward()
    for t, o in zip(theirs, ours):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)
        assert o.grad.dtype == al.float32


# ---- the examples of PyTorch's "Autograd mechanics" notes, run on both --------------------------------------

@pytest.mark.parametrize("lib", [torch, al], ids=["torch", "autograd_lite"])
def test_docs_saved_self_and_saved_result(lib):
    x = lib.randn(5, requires_grad=True)
    y = x.pow(2)
    assert x.equal(y.grad_fn._saved_self)       # True
    assert x is y.grad_fn._saved_self           # True

    x = lib.randn(5, requires_grad=True)
    y = x.exp()
    assert y.equal(y.grad_fn._saved_result)     # True
    assert y is not y.grad_fn._saved_result     # False
    assert y.grad_fn._saved_result.grad_fn is y.grad_fn and y.grad_fn._saved_result.requires_grad


@pytest.mark.parametrize("lib", [torch, al], ids=["torch", "autograd_lite"])
def test_docs_raw_saved_hooks(lib):
    log = []

    def pack_hook(x):
        log.append(("pack", x.detach().clone()))
        return x

    def unpack_hook(x):
        log.append(("unpack", x.detach().clone()))
        return x

    x = lib.randn(5, requires_grad=True)
    y = x.pow(2)
    y.grad_fn._raw_saved_self.register_hooks(pack_hook, unpack_hook)
    assert [k for k, _ in log] == ["pack"]          # pack runs at once
    y.sum().backward()
    assert [k for k, _ in log] == ["pack", "unpack"]   # unpack when backward reads it
    assert x.grad.equal(2 * x.detach())


@pytest.mark.parametrize("lib", [torch, al], ids=["torch", "autograd_lite"])
def test_docs_saved_tensors_hooks_then_saved_self(lib):
    calls = []
    a = lib.ones(5, requires_grad=True)
    b = lib.ones(5, requires_grad=True) * 2
    with lib.autograd.graph.saved_tensors_hooks(lambda t: (calls.append("pack"), t)[1],
                                                lambda t: (calls.append("unpack"), t)[1]):
        y = a * b
    assert calls == ["pack", "pack"]
    assert y.grad_fn._saved_self.equal(a) and y.grad_fn._saved_other.equal(b)
    assert calls == ["pack", "pack", "unpack", "unpack"]
    y.sum().backward()
    assert calls.count("unpack") == 4
    assert a.grad.equal(b.detach())


def _freed_message():
    x = torch.randn(2, requires_grad=True)
    y = x.pow(2)
    y.sum().backward()
    with pytest.raises(RuntimeError) as err:
        y.grad_fn._saved_self
    return str(err.value)


def test_freed_after_backward_raises_torchs_error():
    message = _freed_message()
    x = al.randn(2, requires_grad=True)
    y = x.pow(2)
    y.sum().backward()
    with pytest.raises(RuntimeError) as err:
        y.grad_fn._saved_self
    assert str(err.value) == message
    for fn in (x.exp().grad_fn, (x * x).grad_fn):   # outputs and inputs alike
        (fn._saved_result if fn.name() == "ExpBackward0" else fn._saved_other)
    y = x.sin()
    y.sum().backward(retain_graph=True)
    assert y.grad_fn._saved_self is x           # retain_graph keeps them
    assert y.grad_fn._saved_self.equal(x)


def test_sizes_and_options_outlive_backward():
    x = al.randn(3, 4, requires_grad=True)
    y = x.sum(1)
    y.sum().backward()
    assert y.grad_fn._saved_self_sym_sizes == (3, 4) and y.grad_fn._saved_dim == (1,)
    assert y.grad_fn._saved_keepdim is False


@pytest.mark.parametrize("lib", [torch, al], ids=["torch", "autograd_lite"])
def test_identity_of_saved_inputs_and_outputs(lib):
    x = lib.randn(3, requires_grad=True)
    w = lib.randn(3, 2, requires_grad=True)
    y = x.unsqueeze(0) @ w
    assert y.grad_fn._saved_self.equal(x.unsqueeze(0)) and y.grad_fn._saved_mat2 is w
    h = x * 3
    s = h.sin()
    saved = s.grad_fn._saved_self
    assert saved.equal(h) and saved.grad_fn is h.grad_fn    # torch: `saved is h`; here a Tensor of h's node
    r = x.sigmoid()
    assert r.grad_fn._saved_result.equal(r) and r.grad_fn._saved_result is not r


@pytest.mark.parametrize("lib", [torch, al], ids=["torch", "autograd_lite"])
def test_unsaved_name_is_an_attribute_error(lib):
    x = lib.randn(3, requires_grad=True)
    fn = x.exp().grad_fn
    with pytest.raises(AttributeError, match="_saved_self"):
        fn._saved_self
    with pytest.raises(AttributeError, match="_raw_saved_self"):
        fn._raw_saved_self
    with pytest.raises(AttributeError):
        x.pow(2).grad_fn._raw_saved_exponent       # a number, not a tensor: no SavedTensor
    assert x.pow(2).grad_fn._saved_exponent == 2


def _errors(lib):
    """The messages of register_hooks' errors: twice, after saved_tensors_hooks, on None, after free."""
    x = lib.randn(3, requires_grad=True)
    out = []
    y = x.pow(2)
    y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
    with pytest.raises(RuntimeError) as err:
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
    out.append(str(err.value))
    with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x.pow(2)
    with pytest.raises(RuntimeError) as err:
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
    out.append(str(err.value))
    y = x * 2
    with pytest.raises(RuntimeError) as err:
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: t)
    out.append(str(err.value))
    y = x.pow(2)
    raw = y.grad_fn._raw_saved_self
    y.sum().backward()
    with pytest.raises(RuntimeError) as err:
        raw.register_hooks(lambda t: t, lambda t: t)
    out.append(str(err.value))
    y = x.pow(2)
    y.grad_fn._raw_saved_self.register_hooks(lambda t: t, lambda t: 3)
    with pytest.raises(TypeError) as err:
        y.grad_fn._saved_self
    out.append(str(err.value))
    with pytest.raises(TypeError):
        x.pow(2).grad_fn._raw_saved_self.register_hooks(1, lambda t: t)
    return out


def test_register_hooks_errors_are_torchs():
    assert _errors(al) == _errors(torch)


def test_raw_hooks_run_at_each_backward_and_keep_gradients():
    """Pack to NumPy and back (torch's docs' use: move a saved tensor elsewhere); unpack runs at every read with
    retain_graph; first and second order gradients equal torch's."""
    a = _arrays((4,))[0]
    grads = []
    for lib in (torch, al):
        calls = []
        x = lib.tensor(a, requires_grad=True)
        y = x.pow(3)
        y.grad_fn._raw_saved_self.register_hooks(
            lambda t: t.detach().numpy().copy(), lambda n: (calls.append(1), lib.from_numpy(n))[1])
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        assert len(calls) == 2
        z = x.exp() * x
        z.grad_fn._raw_saved_other.register_hooks(lambda t: t, lambda t: t)   # other is x: the leaf itself
        g, = lib.autograd.grad(z.sum(), x, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), x)
        grads.append((x.grad.numpy(), g.detach().numpy(), gg.numpy()))
    for o, t in zip(grads[1], grads[0]):
        np.testing.assert_allclose(o, t, rtol=1e-5)


@pytest.mark.parametrize("lib", [torch, al], ids=["torch", "autograd_lite"])
def test_saved_access_after_inplace_change_raises(lib):
    x = lib.randn(3, requires_grad=True).clone()
    y = x.pow(2)
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.grad_fn._saved_self


def test_pow_tensor_exponent_gradcheck_float64():
    a = al.tensor(np.abs(RNG.standard_normal(4)) + 0.5, dtype=al.float64, requires_grad=True)
    b = al.tensor(RNG.standard_normal(4), dtype=al.float64, requires_grad=True)
    assert al.autograd.gradcheck(lambda a, b: a.pow(b), (a, b))
    assert al.autograd.gradgradcheck(lambda a, b: a.pow(b), (a, b))
    assert a.pow(b).grad_fn.name() == "PowBackward1" and (2 ** b).grad_fn.name() == "PowBackward2"


def test_nll_loss_gradcheck_float64():
    x = al.tensor(RNG.standard_normal((3, 4)), dtype=al.float64, requires_grad=True)
    t = al.tensor(TARGET)
    assert al.autograd.gradcheck(lambda x: F.nll_loss(F.log_softmax(x, 1), t), (x,))


def test_profiler_shows_accumulate_grad_as_torch():
    names = []
    for lib in (torch, al):
        x = lib.ones(3, requires_grad=True)
        with lib.profiler.profile() as prof:
            (x * 2).sum().backward()
        names.append({e.name for e in prof.events() if "AccumulateGrad" in e.name})
    assert names[1] == names[0] == {"autograd::engine::evaluate_function: torch::autograd::AccumulateGrad",
                                    "torch::autograd::AccumulateGrad"}
