"""Legacy PyTorch names, against torch where it has them: autograd.Variable, Tensor.data assignment, .type() strings,
FloatTensor/LongTensor constructors, and nn.utils (clip_grad_norm_, clip_grad_value_, parameters_to_vector,
vector_to_parameters)."""

import math
import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import nn
from autograd_lite.autograd import Variable

torch = pytest.importorskip("torch")
LIBS = (torch, al)


def _np(t):
    return t.detach().cpu().numpy(force=True)


# ---- autograd.Variable ------------------------------------------------------------------------------------------

def test_variable_returns_a_leaf_tensor_on_the_same_storage():
    for lib in LIBS:
        t = lib.tensor([1.0, 2.0, 3.0])
        v = lib.autograd.Variable(t, requires_grad=True)
        assert type(v) is lib.Tensor and v is not t
        assert v.requires_grad and v.is_leaf and v.grad_fn is None and not t.requires_grad
        t[0] = 7.0                               # shares storage
        assert v[0].item() == 7.0
        assert not lib.autograd.Variable(t).requires_grad
        assert lib.autograd.Variable(t, True).requires_grad        # requires_grad positional, as in 0.3 code


def test_variable_isinstance_holds_for_every_tensor():
    for lib in LIBS:
        assert isinstance(lib.ones(2), lib.autograd.Variable)
        assert isinstance(lib.nn.Parameter(lib.ones(2)), lib.autograd.Variable)
        assert isinstance(lib.autograd.Variable(lib.ones(2)), lib.Tensor)
        assert not isinstance(np.ones(2), lib.autograd.Variable) and not isinstance(1.0, lib.autograd.Variable)


def test_variable_of_a_computed_tensor_is_detached():
    for lib in LIBS:
        a = lib.ones(2, requires_grad=True)
        b = a * 2
        v = lib.autograd.Variable(b)
        assert not v.requires_grad and v.grad_fn is None and v.is_leaf
        w = lib.autograd.Variable(b, requires_grad=True)
        (w * 3).sum().backward()
        assert a.grad is None and w.grad.tolist() == [3.0, 3.0]


def test_variable_legacy_training_step():
    """PyTorch 0.3-era code: Variables around tensors, .data updates, .grad.data."""
    res = {}
    for lib in LIBS:
        x = lib.autograd.Variable(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
        w = lib.autograd.Variable(lib.tensor([[0.5], [-0.25]]), requires_grad=True)
        for _ in range(3):
            loss = ((x @ w) ** 2).mean()
            loss.backward()
            w.data -= 0.1 * w.grad.data
            w.grad.data.zero_()
        res[lib] = (_np(w), loss.item())
    np.testing.assert_allclose(res[al][0], res[torch][0], rtol=1e-6)
    assert res[al][1] == pytest.approx(res[torch][1], rel=1e-6)


def test_variable_errors_and_legacy_arguments():
    for lib in LIBS:
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            lib.autograd.Variable([1.0, 2.0])
        with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require "
                                               "gradients"):
            lib.autograd.Variable(lib.tensor([1, 2]), requires_grad=True)
        empty = lib.autograd.Variable()
        assert tuple(empty.shape) == (0,) and str(empty.dtype).endswith("float32")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            v = lib.autograd.Variable(lib.ones(2), volatile=True)
        assert any("volatile was removed" in str(w.message) for w in caught)
        assert not v.requires_grad


def test_variable_is_exported():
    assert al.autograd.Variable is Variable
    assert "Variable" in al.autograd.__all__


# ---- Tensor.data assignment -------------------------------------------------------------------------------------

def test_data_assignment_replaces_values_keeping_the_leaf():
    for lib in LIBS:
        w = lib.ones(2, 3, requires_grad=True)
        w.data = lib.full((2, 3), 2.0)
        assert w.requires_grad and w.is_leaf and w.grad_fn is None
        assert _np(w).tolist() == [[2.0] * 3] * 2
        (w * w).sum().backward()
        assert _np(w.grad).tolist() == [[4.0] * 3] * 2


def test_data_assignment_may_change_shape_and_dtype():
    for lib in LIBS:
        w = lib.ones(2, 3, requires_grad=True)
        w.data = lib.zeros(4)
        assert tuple(w.shape) == (4,) and w.requires_grad
        w.data = lib.zeros(4, dtype=lib.float64)
        assert str(w.dtype).endswith("float64")


def test_data_assignment_shares_storage_and_data_writes_through():
    for lib in LIBS:
        src = lib.tensor([1.0, 2.0])
        w = lib.zeros(2, requires_grad=True)
        w.data = src
        src[1] = 5.0
        assert w[1].item() == 5.0
        w.data.fill_(3.0)                      # .data is a detached view: in-place writes reach w
        assert _np(w).tolist() == [3.0, 3.0] and w.requires_grad
        w.data.mul_(2)
        assert _np(w).tolist() == [6.0, 6.0]


def test_data_assignment_of_an_integer_tensor_to_a_tensor_that_requires_grad_is_refused():
    """Bug (tensor.py Tensor.data setter): PyTorch refuses this ("data set to a tensor that requires gradients must
    be floating point or complex dtype"); autograd_lite accepts it and leaves an int64 tensor with
    requires_grad=True, a state requires_grad's own setter refuses."""
    w = al.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="data set to a tensor that requires gradients must be floating point"):
        w.data = al.tensor([1, 2])


# ---- .type() strings and the legacy tensor types ----------------------------------------------------------------

def _name(lib, s):
    return s.replace(lib.__name__ + ".", "torch.")


def test_type_strings_convert_as_in_torch():
    for lib in LIBS:
        x = lib.tensor([1.5, -2.5])
        assert _name(lib, x.type()) == "torch.FloatTensor"
        d = x.type("torch.DoubleTensor")
        assert d.dtype == lib.float64 and _name(lib, d.type()) == "torch.DoubleTensor"
        f = d.type("torch.FloatTensor")
        assert f.dtype == lib.float32 and f.tolist() == [1.5, -2.5]
        assert x.type("torch.LongTensor").tolist() == [1, -2] and _name(lib, x.long().type()) == "torch.LongTensor"
        assert x.type("torch.IntTensor").dtype == lib.int32
        assert x.type(lib.DoubleTensor).dtype == lib.float64 and x.type(lib.int64).dtype == lib.int64
        assert x.type("torch.FloatTensor").device.type == "cpu"


def test_type_string_keeps_the_graph():
    for lib in LIBS:
        x = lib.tensor([1.5, -2.5], requires_grad=True)
        (x.type("torch.DoubleTensor") * 2).sum().backward()
        assert x.grad.tolist() == [2.0, 2.0] and x.grad.dtype == lib.float32


def test_cuda_type_strings(gpu):
    x = al.tensor([1.5, -2.5])
    c = x.type("torch.cuda.FloatTensor")
    assert c.is_cuda and c.dtype == al.float32 and c.type() == "autograd_lite.cuda.FloatTensor"
    d = x.type("torch.cuda.DoubleTensor")
    assert d.is_cuda and d.dtype == al.float64 and d.type() == "autograd_lite.cuda.DoubleTensor"
    back = c.type("torch.FloatTensor")
    assert not back.is_cuda and back.tolist() == [1.5, -2.5]
    assert c.type("torch.cuda.LongTensor").type() == "autograd_lite.cuda.LongTensor"


def test_float_and_long_tensor_constructors():
    for lib in LIBS:
        f = lib.FloatTensor([[1, 2], [3, 4]])
        assert f.dtype == lib.float32 and f.tolist() == [[1.0, 2.0], [3.0, 4.0]]
        assert tuple(lib.FloatTensor(2, 3).shape) == (2, 3) and lib.FloatTensor(2, 3).dtype == lib.float32
        assert tuple(lib.FloatTensor().shape) == (0,)
        n = lib.LongTensor([1, 2, 3])
        assert n.dtype == lib.int64 and n.tolist() == [1, 2, 3]
        assert tuple(lib.LongTensor(4).shape) == (4,)
        assert lib.DoubleTensor([0.5]).dtype == lib.float64
        assert isinstance(f, lib.FloatTensor) and not isinstance(f, lib.LongTensor) and isinstance(n, lib.LongTensor)
        assert not f.requires_grad


def test_legacy_constructors_in_a_loss():
    """The 0.3-era classification step: LongTensor targets, FloatTensor inputs, Variables."""
    res = {}
    for lib in LIBS:
        lib.manual_seed(0)
        x = lib.autograd.Variable(lib.FloatTensor([[0.5, -1.0], [1.5, 2.0], [0.0, 0.25]]))
        y = lib.autograd.Variable(lib.LongTensor([1, 0, 1]))
        w = lib.autograd.Variable(lib.FloatTensor([[0.1, -0.2], [0.3, 0.4]]), requires_grad=True)
        loss = lib.nn.functional.cross_entropy(x @ w, y)
        loss.backward()
        res[lib] = (loss.item(), _np(w.grad))
    assert res[al][0] == pytest.approx(res[torch][0], rel=1e-6)
    np.testing.assert_allclose(res[al][1], res[torch][1], rtol=1e-5, atol=1e-7)


# ---- nn.utils ---------------------------------------------------------------------------------------------------

def twin_model(dtype="float32"):
    """A small model in both libraries with the same parameters and the same gradients (one with none)."""
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3), torch.nn.Linear(3, 2))
    ours = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3), nn.Linear(3, 2))
    if dtype == "float64":
        ref, ours = ref.double(), ours.to(al.float64)
    rng = np.random.default_rng(1)
    for i, (tp, ap) in enumerate(zip(ref.parameters(), ours.parameters())):
        ap.data = al.tensor(tp.detach().numpy().copy())
        if i == 3:      # no gradient: skipped by the norm and by clipping
            continue
        g = rng.standard_normal(tuple(tp.shape)).astype(dtype) * (i + 1)
        tp.grad, ap.grad = torch.tensor(g), al.tensor(g)
    return ref, ours


def _grads(model):
    return [None if p.grad is None else _np(p.grad) for p in model.parameters()]


def assert_grads(ours, ref, rtol=1e-6):
    for i, (a, t) in enumerate(zip(_grads(ours), _grads(ref))):
        if t is None:
            assert a is None, f"parameter {i}: unexpected grad"
            continue
        assert a.dtype == t.dtype, f"parameter {i}: {a.dtype}"
        np.testing.assert_allclose(a, t, rtol=rtol, atol=1e-7, err_msg=f"grad of parameter {i}")


@pytest.mark.parametrize("norm_type", [2.0, 1, 3, 0.5, math.inf, "inf", -math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ref, ours = twin_model()
    t_norm = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm, norm_type=norm_type)
    a_norm = nn.utils.clip_grad_norm_(ours.parameters(), max_norm, norm_type=norm_type)
    assert isinstance(a_norm, al.Tensor) and a_norm.shape == () and a_norm.dtype == al.float32
    assert not a_norm.requires_grad
    assert a_norm.item() == pytest.approx(t_norm.item(), rel=1e-6)
    assert_grads(ours, ref)


def test_clip_grad_norm_float64_and_single_tensor():
    ref, ours = twin_model("float64")
    t_norm = torch.nn.utils.clip_grad_norm_(list(ref.parameters()), 0.1)
    a_norm = nn.utils.clip_grad_norm_(list(ours.parameters()), 0.1)
    assert a_norm.dtype == al.float64
    assert a_norm.item() == pytest.approx(t_norm.item(), rel=1e-12)
    assert_grads(ours, ref, rtol=1e-12)
    tp, ap = next(ref.parameters()), next(ours.parameters())
    assert nn.utils.clip_grad_norm_(ap, 0.01).item() == pytest.approx(
        torch.nn.utils.clip_grad_norm_(tp, 0.01).item(), rel=1e-12)
    np.testing.assert_allclose(_np(ap.grad), _np(tp.grad), rtol=1e-12)


def test_clip_grad_norm_scales_in_place_and_bounds_the_norm():
    _, ours = twin_model()
    grads = [p.grad for p in ours.parameters()]
    before = nn.utils.clip_grad_norm_(ours.parameters(), 1.0)
    assert before.item() > 1.0
    assert all(p.grad is g for p, g in zip(ours.parameters(), grads))       # the same .grad tensors, scaled
    after = nn.utils.clip_grad_norm_(ours.parameters(), 1.0)
    assert after.item() == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_without_gradients_and_empty_generator():
    for lib in LIBS:
        model = lib.nn.Linear(2, 2)
        norm = lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        assert norm.item() == 0.0 and norm.shape == ()
        with pytest.warns(UserWarning, match="empty generator"):
            lib.nn.utils.clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_norm_nonfinite():
    for lib in LIBS:
        p = lib.nn.Parameter(lib.ones(3))
        p.grad = lib.tensor([1.0, float("nan"), 2.0])
        with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                               "non-finite, so it cannot be clipped"):
            lib.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
        assert math.isnan(lib.nn.utils.clip_grad_norm_([p], 1.0).item())   # scaled anyway (by nan)
        q = lib.nn.Parameter(lib.ones(2))
        q.grad = lib.tensor([float("inf"), 1.0])
        with pytest.raises(RuntimeError, match="order inf"):
            lib.nn.utils.clip_grad_norm_([q], 1.0, norm_type="inf", error_if_nonfinite=True)


def test_clip_grad_norm_foreach_argument_and_deprecated_name():
    ref, ours = twin_model()
    for foreach in (None, True, False):
        t = torch.nn.utils.clip_grad_norm_(ref.parameters(), 2.0, foreach=foreach)
        a = nn.utils.clip_grad_norm_(ours.parameters(), 2.0, foreach=foreach)
        assert a.item() == pytest.approx(t.item(), rel=1e-6)
    assert_grads(ours, ref)
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        nn.utils.clip_grad_norm(ours.parameters(), 1.0)


def test_get_total_norm_and_clip_grads_with_norm():
    ref, ours = twin_model()
    t_grads = [p.grad for p in ref.parameters() if p.grad is not None]
    a_grads = [p.grad for p in ours.parameters() if p.grad is not None]
    t_norm = torch.nn.utils.get_total_norm(t_grads, 3.0)
    a_norm = nn.utils.get_total_norm(a_grads, 3.0)
    assert a_norm.item() == pytest.approx(t_norm.item(), rel=1e-6)
    torch.nn.utils.clip_grads_with_norm_(ref.parameters(), 0.3, t_norm)
    nn.utils.clip_grads_with_norm_(ours.parameters(), 0.3, a_norm)
    assert_grads(ours, ref)


def test_clip_grad_norm_in_a_training_step():
    res = {}
    for lib in LIBS:
        torch.manual_seed(0)
        ref = torch.nn.Linear(3, 2)
        model = ref if lib is torch else nn.Linear(3, 2)
        if lib is al:
            model.weight.data = al.tensor(ref.weight.detach().numpy().copy())
            model.bias.data = al.tensor(ref.bias.detach().numpy().copy())
        opt = lib.optim.SGD(model.parameters(), lr=0.5)
        x, y = lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]]), lib.tensor([1, 0])
        for _ in range(3):
            opt.zero_grad()
            lib.nn.functional.cross_entropy(model(x) * 10, y).backward()
            norm = lib.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
            opt.step()
        res[lib] = (norm.item(), _np(model.weight), _np(model.bias))
    assert res[al][0] == pytest.approx(res[torch][0], rel=1e-5)
    np.testing.assert_allclose(res[al][1], res[torch][1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res[al][2], res[torch][2], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("clip_value", [0.3, 1, 100.0])
def test_clip_grad_value_matches_torch(clip_value):
    ref, ours = twin_model()
    assert torch.nn.utils.clip_grad_value_(ref.parameters(), clip_value) is None
    assert nn.utils.clip_grad_value_(ours.parameters(), clip_value) is None
    assert_grads(ours, ref)
    p = next(ours.parameters())
    nn.utils.clip_grad_value_(p, 0.01)                    # one tensor
    assert np.abs(_np(p.grad)).max() <= 0.01 + 1e-9


def test_clip_grad_on_the_device(device):
    p = al.nn.Parameter(al.ones(2, 3, device=device))
    p.grad = al.tensor([[3.0, 0.0, 0.0], [0.0, 4.0, 0.0]], device=device)
    norm = nn.utils.clip_grad_norm_([p], 1.0)
    assert norm.device == al.device(device) and norm.item() == pytest.approx(5.0)
    assert p.grad.device == al.device(device)
    np.testing.assert_allclose(_np(p.grad), [[0.6, 0, 0], [0, 0.8, 0]], rtol=1e-5)
    nn.utils.clip_grad_value_([p], 0.7)
    np.testing.assert_allclose(_np(p.grad), [[0.6, 0, 0], [0, 0.7, 0]], rtol=1e-5)


def test_parameters_to_vector_and_back_match_torch():
    ref, ours = twin_model()
    t_vec = torch.nn.utils.parameters_to_vector(ref.parameters())
    a_vec = nn.utils.parameters_to_vector(ours.parameters())
    assert a_vec.shape == t_vec.shape and a_vec.dtype == al.float32 and a_vec.requires_grad
    np.testing.assert_allclose(_np(a_vec), _np(t_vec))
    new = np.arange(t_vec.numel(), dtype=np.float32) / 10
    torch.nn.utils.vector_to_parameters(torch.tensor(new), ref.parameters())
    vec = al.tensor(new)
    nn.utils.vector_to_parameters(vec, ours.parameters())
    for tp, ap in zip(ref.parameters(), ours.parameters()):
        assert tuple(ap.shape) == tuple(tp.shape) and ap.requires_grad and ap.is_leaf
        np.testing.assert_allclose(_np(ap), _np(tp))
    vec[0] = 42.0                                        # the parameters view vec's storage, as in torch
    assert next(ours.parameters()).reshape(-1)[0].item() == 42.0


def test_parameters_to_vector_is_differentiable():
    res = {}
    for lib in LIBS:
        a = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        b = lib.tensor([5.0, 6.0], requires_grad=True)
        vec = lib.nn.utils.parameters_to_vector([a, b])
        (vec * lib.arange(6.0)).sum().backward()
        res[lib] = (_np(a.grad), _np(b.grad))
    for x, y in zip(res[al], res[torch]):
        np.testing.assert_allclose(x, y)


def test_vector_to_parameters_errors():
    for lib in LIBS:
        with pytest.raises(TypeError, match="expected .*Tensor, but got: list"):
            lib.nn.utils.vector_to_parameters([1.0, 2.0], [lib.ones(2)])


def test_parameters_on_two_devices_are_refused(gpu):
    for fn in (lambda ps: nn.utils.parameters_to_vector(ps), lambda ps: nn.utils.vector_to_parameters(al.ones(4), ps)):
        with pytest.raises(TypeError, match="Found two parameters on different devices, this is currently not "
                                            "supported."):
            fn([al.ones(2), al.ones(2, device=gpu)])


def test_nn_utils_exports():
    for name in ("clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "parameters_to_vector",
                 "vector_to_parameters", "get_total_norm", "clip_grads_with_norm_"):
        assert callable(getattr(nn.utils, name)) and hasattr(torch.nn.utils, name)


# ---- add(Number alpha, Tensor other): the deprecated argument order of old training loops --------------------------

@pytest.mark.parametrize("name", ["add", "sub", "add_", "sub_"])
@pytest.mark.parametrize("grad", [False, True])
def test_alpha_first_overload_warns_and_matches_torch(name, grad):
    results = []
    for lib in LIBS:
        p = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=grad)
        base = p.clone() if name.endswith("_") and grad else p
        g = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64)
        if lib is torch:                             # torch warns once per process
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                out = getattr(base, name)(-0.25, g)
        else:
            with pytest.warns(UserWarning, match=rf"This overload of {name} is deprecated:\n\t{name}\(Number "
                                                 rf"alpha, Tensor other\)\nConsider using one of the following "
                                                 rf"signatures instead:\n\t{name}\(Tensor other, \*, Number "
                                                 rf"alpha = 1\)"):
                out = getattr(base, name)(-0.25, g)
        if grad:
            out.sum().backward()
            results.append((_np(out), _np(p.grad)))
        else:
            results.append((_np(out), _np(p)))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=0)


def test_alpha_first_training_loop_of_the_word_language_model():
    model = nn.Linear(3, 2)
    model(al.ones(4, 3)).sum().backward()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for p in model.parameters():
            p.data.add_(-0.1, p.grad.data)           # as pytorch/examples' word_language_model/main.py
    for k, p in model.named_parameters():
        np.testing.assert_allclose(_np(p), _np(before[k]) - 0.1 * _np(p.grad), rtol=1e-6)


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("call", [("add_", (), {"alpha": -0.5}), ("sub_", (), {"alpha": 2}),
                                  ("div_", (), {"rounding_mode": "floor"}), ("div_", (), {"rounding_mode": "trunc"}),
                                  ("add_", (3,), {})])
def test_inplace_arithmetic_keywords_match_torch(call, grad):
    name, extra, kwargs = call
    results = []
    for lib in LIBS:
        p = lib.tensor([1.5, -2.5, 7.0], dtype=lib.float64, requires_grad=grad)
        x = p.clone() if grad else p
        out = getattr(x, name)(lib.tensor([0.5, 2.0, -3.0], dtype=lib.float64), *extra, **kwargs) \
            if not extra else getattr(x, name)(lib.tensor([0.5, 2.0, -3.0], dtype=lib.float64), alpha=extra[0])
        assert out is x
        results.append(_np(out))
        if grad:                                     # a rounded quotient's gradient: zeros (DivBackward2)
            out.sum().backward()
            results.append(_np(p.grad))
    half = len(results) // 2
    for ours, theirs in zip(results[half:], results[:half]):
        np.testing.assert_array_equal(ours, theirs)
