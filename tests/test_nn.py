"""nn: the Module API, Parameter, layers, containers and nn.init, with torch.nn as the oracle.

Architectures are written once as ``build(nn, F)`` and built with both libraries; weights are
copied from the torch model into ours before outputs and gradients are compared. Tests that need
torch take the ``torch`` fixture (skipped without it); the rest run on the library alone.
"""
import collections
import copy
import math
import re

import warnings

import numpy as np
import pytest

import autograd_lite as al
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.nn import init

try:
    from op_helpers import random_inputs
except ImportError:  # tests/ imported as a package
    from tests.op_helpers import random_inputs

OrderedDict = collections.OrderedDict


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def needs_F(*names):
    """Skip while autograd_lite.nn.functional lacks one of `names` (written by another engineer)."""
    missing = [n for n in names if not hasattr(F, n)]
    return pytest.mark.skipif(bool(missing), reason="autograd_lite.nn.functional."
                              + "/".join(missing) + " not written yet")


def torch_nn(torch):
    return torch.nn, torch.nn.functional


def numpy_of(t):
    return t.detach().cpu().numpy()


def assert_close(ours, theirs, rtol=1e-5, atol=1e-6):
    a, b = numpy_of(ours), numpy_of(theirs)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, a.shape, b.dtype, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def copy_params(ours, theirs):
    """Copies torch module `theirs`'s parameters into `ours`, matched by name."""
    src = dict(theirs.named_parameters())
    assert [n for n, _ in ours.named_parameters()] == list(src)
    with al.no_grad():
        for name, p in ours.named_parameters():
            p.copy_(al.tensor(numpy_of(src[name])))


def in_features(model):
    return next(iter(model.parameters())).shape[1]


def build_pair(torch, build):
    """(ours, theirs): the same architecture in both libraries, with torch's weights in ours."""
    theirs = build(*torch_nn(torch))
    ours = build(nn, F)
    copy_params(ours, theirs)
    return ours, theirs


# ---- the seed's networks (deep-learning-notes.md 4.3, 4.8), written once for both libraries ----
def seed_fixed(nn, F):
    class Network(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 128)
            self.fc2 = nn.Linear(128, 64)
            self.fc3 = nn.Linear(64, 10)

        def forward(self, x):
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)
    return Network()


def seed_arbitrary(nn, F):
    class Network(nn.Module):
        def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
            super().__init__()
            self.hidden_layers = nn.ModuleList([nn.Linear(input_size, hidden_layers[0])])
            layer_sizes = zip(hidden_layers[:-1], hidden_layers[1:])
            self.hidden_layers.extend([nn.Linear(h1, h2) for h1, h2 in layer_sizes])
            self.output = nn.Linear(hidden_layers[-1], output_size)
            self.dropout = nn.Dropout(p=drop_p)

        def forward(self, x):
            for linear in self.hidden_layers:
                x = F.relu(linear(x))
                x = self.dropout(x)
            x = self.output(x)
            return F.log_softmax(x, dim=1)
    return Network(784, 10, [516, 256], drop_p=0.5)


def seed_sequential(nn, F):
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def seed_ordered(nn, F):
    return nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(784, 128)), ("relu1", nn.ReLU()), ("fc2", nn.Linear(128, 64)),
        ("relu2", nn.ReLU()), ("logits", nn.Linear(64, 10))]))


def seed_classifier(nn, F):
    return nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(1024, 500)), ("relu", nn.ReLU()), ("fc2", nn.Linear(500, 2)),
        ("output", nn.LogSoftmax(dim=1))]))


def shared_linear(nn, F):
    """One Linear registered twice (a, c) and a nested Sequential holding it a third time."""
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            lin = nn.Linear(3, 3)
            self.a = lin
            self.b = nn.ReLU()
            self.c = lin
            self.seq = nn.Sequential(lin, nn.Linear(3, 2), nn.Tanh())

        def forward(self, x):
            return self.seq(self.c(self.b(self.a(x))))
    return Shared()


SEED_NETS = [pytest.param(seed_fixed, id="class"),
             pytest.param(seed_arbitrary, id="modulelist"),
             pytest.param(seed_sequential, id="sequential"),
             pytest.param(seed_ordered, id="ordereddict")]
ALL_NETS = SEED_NETS + [pytest.param(seed_classifier, id="classifier-4.8"),
                        pytest.param(shared_linear, id="shared")]


# ---- Module: registration -----------------------------------------------------------------------
class Holder(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(al.ones(2, 3))
        self.lin = nn.Linear(3, 4)
        self.register_buffer("running", al.zeros(4))
        self.plain = 5


def test_setattr_routes_parameters_modules_and_buffers():
    m = Holder()
    assert list(m._parameters) == ["w"] and list(m._modules) == ["lin"]
    assert list(m._buffers) == ["running"]
    assert "w" not in m.__dict__ and "lin" not in m.__dict__ and m.plain == 5
    assert m.w is m._parameters["w"] and m.lin is m._modules["lin"]
    assert [n for n, _ in m.named_parameters()] == ["w", "lin.weight", "lin.bias"]
    assert list(m.state_dict()) == ["w", "running", "lin.weight", "lin.bias"]
    with pytest.raises(AttributeError):
        m.missing


def test_setattr_none_and_plain_tensor_over_parameter():
    m = nn.Linear(2, 3)
    with pytest.raises(TypeError, match="weight"):
        m.weight = al.zeros(3, 2)         # torch: a plain Tensor over a parameter is a TypeError
    assert isinstance(m.weight, nn.Parameter)
    m.bias = None
    assert m.bias is None and "bias" in m._parameters
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert list(m.state_dict()) == ["weight"]
    m.bias = nn.Parameter(al.zeros(3))    # a Parameter can come back
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]


def test_setattr_moves_names_between_tables_like_torch(torch):
    def tables(m):
        return (list(m._parameters), list(m._buffers), list(m._modules),
                sorted(k for k in ("w", "b", "x", "s") if k in m.__dict__))
    seen = {}
    for lib in (al, torch):
        m = lib.nn.Module()
        m.w = lib.nn.Parameter(lib.ones(2))
        with pytest.raises(TypeError):
            m.w = lib.nn.Linear(1, 1)     # a module over a parameter name is refused
        m.register_buffer("b", lib.ones(1))
        m.b = lib.nn.Linear(1, 1)         # a module over a buffer: it becomes a module
        m.x = 3
        m.x = lib.nn.Parameter(lib.ones(1))   # a Parameter over a plain attribute
        m.s = lib.nn.ReLU()
        m.s = lib.nn.Parameter(lib.ones(1))   # a Parameter over a module
        with pytest.raises(TypeError):
            m.b = 3                       # neither a Module nor None
        m.b = None
        seen[lib.__name__] = tables(m), m.b is None, [n for n, _ in m.named_children()]
    assert seen["autograd_lite"] == seen["torch"]
    assert seen["torch"][0] == (["w", "x", "s"], [], ["b"], [])


def test_register_buffer_persistent_and_not():
    m = nn.Linear(2, 2)
    m.register_buffer("mean", al.zeros(2))
    m.register_buffer("scratch", al.ones(2), persistent=False)
    assert [n for n, _ in m.named_buffers()] == ["mean", "scratch"]
    assert list(m.state_dict()) == ["weight", "bias", "mean"]
    m.mean = al.full((2,), 3.0)           # re-assigning a Tensor keeps it a buffer
    assert m._buffers["mean"] is m.mean and m.state_dict()["mean"].tolist() == [3.0, 3.0]
    with pytest.raises(TypeError):
        m.mean = 5
    m.mean = None
    assert list(m.state_dict()) == ["weight", "bias"]
    with pytest.raises(TypeError):
        m.register_buffer("bad", 5)
    with pytest.raises(KeyError):
        m.register_buffer("weight", al.zeros(1))   # the name is taken
    with pytest.raises(KeyError):
        m.register_buffer("a.b", al.zeros(1))


def test_register_parameter_and_add_module():
    m = nn.Module()
    m.register_parameter("p", nn.Parameter(al.zeros(2)))
    m.register_parameter("q", None)
    m.add_module("sub", nn.Linear(2, 1))
    m.add_module("empty", None)
    assert [n for n, _ in m.named_parameters()] == ["p", "sub.weight", "sub.bias"]
    assert m.sub is m._modules["sub"] and m.q is None and m.empty is None
    assert list(m.children()) == [m.sub]
    with pytest.raises(TypeError):
        m.register_parameter("t", al.zeros(2))     # a plain Tensor is not a Parameter
    with pytest.raises(TypeError):
        m.add_module("x", 3)
    with pytest.raises(KeyError):
        m.register_parameter("a.b", None)
    with pytest.raises(KeyError):
        m.add_module("", nn.ReLU())


# ---- Module: traversal, against torch -----------------------------------------------------------
def names_of(module):
    return {
        "parameters": [(n, tuple(p.shape)) for n, p in module.named_parameters()],
        "children": [n for n, _ in module.named_children()],
        "modules": [(n, type(m).__name__) for n, m in module.named_modules()],
        "state_dict": [(k, tuple(v.shape)) for k, v in module.state_dict().items()],
    }


@pytest.mark.parametrize("build", ALL_NETS)
def test_names_and_order_match_torch(torch, build):
    ours, theirs = build(nn, F), build(*torch_nn(torch))
    assert names_of(ours) == names_of(theirs)
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert [type(m).__name__ for m in ours.children()] == \
        [type(m).__name__ for m in theirs.children()]
    assert [type(m).__name__ for m in ours.modules()] == \
        [type(m).__name__ for m in theirs.modules()]


def test_shared_module_is_deduplicated():
    m = shared_linear(nn, F)
    assert [n for n, _ in m.named_parameters()] == ["a.weight", "a.bias", "seq.1.weight",
                                                    "seq.1.bias"]
    assert len(list(m.parameters())) == 4
    assert [n for n, _ in m.named_children()] == ["a", "b", "seq"]
    assert [n for n, _ in m.named_modules()] == ["", "a", "b", "seq", "seq.1", "seq.2"]
    # state_dict lists every path, shared or not
    assert list(m.state_dict()) == ["a.weight", "a.bias", "c.weight", "c.bias", "seq.0.weight",
                                    "seq.0.bias", "seq.1.weight", "seq.1.bias"]


def test_apply_order_matches_torch(torch):
    def build(nn, F):
        return nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)), nn.Tanh())
    seen = {}
    for lib, (lnn, lF) in (("ours", (nn, F)), ("torch", torch_nn(torch))):
        model = build(lnn, lF)
        order = []
        assert model.apply(lambda m: order.append(type(m).__name__)) is model
        seen[lib] = order
    assert seen["ours"] == seen["torch"] == ["Linear", "ReLU", "Linear", "Sequential", "Tanh",
                                             "Sequential"]


def test_apply_can_initialise_weights():
    model = seed_sequential(nn, F)

    def fill(m):
        if isinstance(m, nn.Linear):
            init.constant_(m.weight, 0.5)
            init.zeros_(m.bias)
    model.apply(fill)
    assert all((p == 0.5).all().item() for n, p in model.named_parameters() if "weight" in n)
    assert all((p == 0).all().item() for n, p in model.named_parameters() if "bias" in n)


# ---- Module: modes and gradients ----------------------------------------------------------------
def test_train_eval_propagate_like_torch(torch):
    flags = {}
    for lib, (lnn, lF) in (("ours", (nn, F)), ("torch", torch_nn(torch))):
        model = seed_arbitrary(lnn, lF)
        seq = []
        assert model.train(False) is model
        seq.append([m.training for m in model.modules()])
        model.hidden_layers.train()
        seq.append([m.training for m in model.modules()])
        assert model.eval() is model
        seq.append([m.training for m in model.modules()])
        model.train()
        seq.append([m.training for m in model.modules()])
        flags[lib] = seq
    assert flags["ours"] == flags["torch"]
    assert flags["ours"][0] == [False] * 6 and flags["ours"][1] == [False, True, True, True,
                                                                     False, False]


def test_train_rejects_non_bool():
    with pytest.raises(ValueError):
        nn.Linear(2, 2).train("yes")


def backward_once(model, shape):
    model(al.randn(*shape)).sum().backward()


def test_zero_grad_set_to_none():
    model = seed_sequential(nn, F)
    backward_once(model, (4, 784))
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()                     # set_to_none=True is the default, as in torch 2
    assert all(p.grad is None for p in model.parameters())


def test_zero_grad_to_zeros():
    model = seed_sequential(nn, F)
    backward_once(model, (4, 784))
    model.zero_grad(set_to_none=False)
    for p in model.parameters():
        assert p.grad is not None and tuple(p.grad.shape) == tuple(p.shape)
        assert p.grad.dtype == al.float32 and not p.grad.abs().sum().item()
    backward_once(model, (4, 784))        # gradients accumulate again from zero
    assert any(p.grad.abs().sum().item() > 0 for p in model.parameters())


def test_requires_grad_():
    model = seed_sequential(nn, F)
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    out = model(al.randn(2, 784))
    assert not out.requires_grad
    model[0].requires_grad_()
    assert [p.requires_grad for p in model.parameters()] == [True, True, False, False, False,
                                                              False]


def test_to_dtype_keeps_parameter_objects():
    model = seed_ordered(nn, F)
    model.register_buffer("scale", al.ones(3))
    model.register_buffer("count", al.zeros(3, dtype=al.int64))
    ids = [id(p) for p in model.parameters()]
    x = al.randn(2, 784)
    ref = model(x)
    assert model.to(al.float64) is model
    assert [id(p) for p in model.parameters()] == ids
    assert all(p.dtype == al.float64 and p.requires_grad and p.is_leaf
               for p in model.parameters())
    assert model.scale.dtype == al.float64 and model.count.dtype == al.int64
    out = model(x.double())
    assert out.dtype == al.float64
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert model.float() is model and [id(p) for p in model.parameters()] == ids
    assert all(p.dtype == al.float32 for p in model.parameters())
    assert model.double() is model and model.fc1.weight.dtype == al.float64
    assert model.to(dtype=al.float32).fc1.bias.dtype == al.float32
    assert model.to("cpu") is model and [id(p) for p in model.parameters()] == ids
    with pytest.raises(TypeError):
        model.to(al.int32)


# ---- Module: __call__ and hooks -----------------------------------------------------------------
def test_forward_hooks_and_pre_hooks():
    lin = nn.Linear(3, 2)
    x = al.randn(4, 3)
    plain = lin(x)
    calls = []

    def pre(module, inputs):
        calls.append(("pre", module, len(inputs)))
        return inputs[0] * 2              # a single value replaces the (one) input

    def post(module, inputs, output):
        calls.append(("post", module, tuple(inputs[0].shape)))
        return output + 1

    h_pre, h_post = lin.register_forward_pre_hook(pre), lin.register_forward_hook(post)
    out = lin(x)
    assert calls == [("pre", lin, 1), ("post", lin, (4, 3))]
    np.testing.assert_allclose(out.detach().numpy(), lin.forward(x * 2).detach().numpy() + 1,
                               rtol=1e-6)
    h_pre.remove()
    np.testing.assert_allclose(lin(x).detach().numpy(), plain.detach().numpy() + 1, rtol=1e-6)
    h_post.remove()
    h_post.remove()                       # removing twice is harmless
    np.testing.assert_allclose(lin(x).detach().numpy(), plain.detach().numpy())
    assert len(calls) == 3


def test_hook_returning_none_keeps_output_and_sees_submodules():
    model = seed_sequential(nn, F)
    shapes = []
    handles = [m.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape)))
               for m in model]
    model(al.randn(5, 784))
    assert shapes == [(5, 128), (5, 128), (5, 64), (5, 64), (5, 10)]
    for h in handles:
        h.remove()
    model(al.randn(5, 784))
    assert len(shapes) == 5


def test_module_without_forward():
    with pytest.raises(RuntimeError, match="forward"):
        nn.Module()(al.zeros(1))


# ---- Module: state_dict and load_state_dict -----------------------------------------------------
@pytest.mark.parametrize("build", ALL_NETS)
def test_state_dict_matches_torch(torch, build):
    ours, theirs = build_pair(torch, build)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert isinstance(sd, OrderedDict) and list(sd) == list(tsd)
    for key in sd:
        assert_close(sd[key], tsd[key], rtol=0, atol=0)


def test_state_dict_shares_storage_detached():
    model = seed_ordered(nn, F)
    sd = model.state_dict()
    w = sd["fc1.weight"]
    assert type(w) is al.Tensor and not w.requires_grad and w.is_leaf
    with al.no_grad():
        w[0, 0] = 7.0
    assert model.fc1.weight[0, 0].item() == 7.0
    kept = model.state_dict(keep_vars=True)
    assert kept["fc1.weight"] is model.fc1.weight


def test_load_state_dict_round_trip():
    src, dst = seed_fixed(nn, F), seed_fixed(nn, F)
    ids = [id(p) for p in dst.parameters()]
    result = dst.load_state_dict(src.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert [id(p) for p in dst.parameters()] == ids          # copied into the same Parameters
    for (name, a), (_, b) in zip(src.named_parameters(), dst.named_parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=name)
    with al.no_grad():
        src.fc1.weight.fill_(0.0)                            # a copy, not an alias
    assert dst.fc1.weight.abs().sum().item() > 0
    x = al.randn(3, 64)
    np.testing.assert_array_equal(numpy_of(src.fc3(x)), numpy_of(dst.fc3(x)))


@pytest.mark.parametrize("build", [seed_fixed, seed_ordered, seed_classifier])
def test_load_torch_state_dict_gives_torch_outputs(torch, build):
    theirs, ours = build(*torch_nn(torch)), build(nn, F)
    ours.load_state_dict({k: al.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = random_inputs([(6, in_features(theirs))])[0]
    assert_close(ours(al.tensor(x)), theirs(torch.tensor(x)), rtol=1e-4, atol=1e-5)


def bad_state_dict(sd):
    """Drops 'fc3.bias', adds 'fc4.weight', and gives 'fc2.weight' the wrong shape."""
    bad = OrderedDict((k, v) for k, v in sd.items() if k != "fc3.bias")
    bad["fc4.weight"] = sd["fc3.weight"]
    bad["fc2.weight"] = sd["fc1.weight"]
    return bad


def load_error(module, state_dict, **kw):
    with pytest.raises(RuntimeError) as info:
        module.load_state_dict(state_dict, **kw)
    return str(info.value)


def assert_same_lines(ours, theirs):
    expected = theirs.replace("torch.", "autograd_lite.")
    missing = [line for line in expected.split("\n") if line not in ours.split("\n")]
    assert not missing, f"lines of torch's message not in ours:\n{missing}\nours:\n{ours}"


@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_errors_worded_like_torch(torch, strict):
    ours, theirs = seed_fixed(nn, F), seed_fixed(*torch_nn(torch))
    t_msg = load_error(theirs, bad_state_dict(theirs.state_dict()), strict=strict)
    o_msg = load_error(ours, bad_state_dict(ours.state_dict()), strict=strict)
    assert o_msg.startswith("Error(s) in loading state_dict for Network:\n\t")
    assert_same_lines(o_msg, t_msg)
    assert ("Missing key(s)" in o_msg) == strict and ("Unexpected key(s)" in o_msg) == strict
    assert "size mismatch for fc2.weight" in o_msg


@pytest.mark.parametrize("case", ["missing", "unexpected", "size"])
def test_load_state_dict_each_error_like_torch(torch, case):
    def spoil(sd, lib):
        sd = OrderedDict(sd)
        if case == "missing":
            del sd["fc1.bias"], sd["logits.weight"]
        elif case == "unexpected":
            sd["fc9.bias"] = sd["fc1.bias"]
            sd["extra"] = lib.zeros(2)
        else:
            sd["logits.bias"] = lib.zeros(3, 1)
        return sd
    ours, theirs = seed_ordered(nn, F), seed_ordered(*torch_nn(torch))
    t_msg = load_error(theirs, spoil(theirs.state_dict(), torch))
    o_msg = load_error(ours, spoil(ours.state_dict(), al))
    assert o_msg.count("\n") == t_msg.count("\n")
    assert_same_lines(o_msg, t_msg)


def test_load_state_dict_non_tensor_value_like_torch(torch):
    ours, theirs = seed_sequential(nn, F), seed_sequential(*torch_nn(torch))
    t_msg = load_error(theirs, {**theirs.state_dict(), "0.bias": 1.0})
    o_msg = load_error(ours, {**ours.state_dict(), "0.bias": 1.0})
    assert_same_lines(o_msg, t_msg)


def test_load_state_dict_failure_changes_nothing():
    model = seed_fixed(nn, F)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    bad = {k: al.zeros(*v.shape) for k, v in model.state_dict().items()}
    bad["fc3.bias"] = al.zeros(11)
    with pytest.raises(RuntimeError):
        model.load_state_dict(bad)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_load_state_dict_strict_false_returns_keys(torch):
    results = {}
    for lib, libnn in (("ours", (nn, F)), ("torch", torch_nn(torch))):
        model = seed_fixed(*libnn)
        sd = model.state_dict()
        partial = OrderedDict((k, v) for k, v in sd.items() if not k.startswith("fc3"))
        partial["head.weight"] = sd["fc3.weight"]
        res = model.load_state_dict(partial, strict=False)
        missing, unexpected = res               # unpacks like a tuple
        assert res.missing_keys == missing and res.unexpected_keys == unexpected
        results[lib] = (list(missing), list(unexpected))
    assert results["ours"] == results["torch"] == (["fc3.weight", "fc3.bias"], ["head.weight"])


def test_load_state_dict_rejects_non_mapping():
    with pytest.raises(TypeError):
        nn.Linear(2, 2).load_state_dict([("weight", al.zeros(2, 2))])


# ---- Module: repr -------------------------------------------------------------------------------
@pytest.mark.parametrize("build", ALL_NETS)
def test_repr_matches_torch(torch, build):
    assert repr(build(nn, F)) == repr(build(*torch_nn(torch)))


LAYER_REPRS = [
    "nn.Linear(3, 4)", "nn.Linear(3, 4, bias=False)", "nn.Identity()", "nn.Identity(54, unused=1)",
    "nn.ReLU()", "nn.ReLU(inplace=True)", "nn.LeakyReLU()", "nn.LeakyReLU(0.2)",
    "nn.LeakyReLU(0.1, True)", "nn.ELU()", "nn.ELU(alpha=0.5)", "nn.ELU(2.0, inplace=True)",
    "nn.Sigmoid()", "nn.Tanh()", "nn.Softmax(dim=1)", "nn.Softmax()", "nn.Softmax(-1)",
    "nn.LogSoftmax(dim=1)", "nn.LogSoftmax()", "nn.Dropout()", "nn.Dropout(p=0.2)",
    "nn.Dropout(0.3, inplace=True)", "nn.Dropout(0)", "nn.Dropout(1)", "nn.Flatten()",
    "nn.Flatten(0, 2)", "nn.Flatten(start_dim=2)", "nn.Sequential()", "nn.ModuleList()",
    "nn.ModuleDict()", "nn.Module()", "nn.NLLLoss()", "nn.CrossEntropyLoss()", "nn.MSELoss()",
    "nn.L1Loss()", "nn.BCELoss()", "nn.BCEWithLogitsLoss()", "nn.MSELoss(reduction='sum')",
    "nn.GELU()", "nn.GELU(approximate='tanh')", "nn.SiLU()", "nn.SiLU(inplace=True)", "nn.Mish()", "nn.Softplus()",
    "nn.Softplus(beta=2, threshold=10)", "nn.Hardtanh()", "nn.Hardtanh(-2.0, 2.0)", "nn.Threshold(0.1, 20.0)",
    "nn.Threshold(-1, 2, inplace=True)", "nn.ReLU6()", "nn.Hardsigmoid()",
    "nn.Hardswish()", "nn.LogSigmoid()", "nn.Softsign()", "nn.SELU()", "nn.CELU()", "nn.CELU(alpha=0.5)",
    "nn.PReLU()", "nn.PReLU(num_parameters=3)",
]


@pytest.mark.parametrize("src", LAYER_REPRS)
def test_layer_repr_and_extra_repr_match_torch(torch, src):
    ours, theirs = eval(src, {"nn": nn}), eval(src, {"nn": torch.nn})
    assert (ours.extra_repr(), repr(ours)) == (theirs.extra_repr(), repr(theirs))


@pytest.mark.parametrize("make", [
    pytest.param(lambda nn: nn.ModuleList([nn.Linear(2, 2), nn.ReLU(), nn.ReLU(), nn.Tanh()]),
                 id="modulelist-repeats"),
    pytest.param(lambda nn: nn.ModuleDict({"act": nn.ReLU(), "fc": nn.Linear(1, 2)}),
                 id="moduledict"),
    pytest.param(lambda nn: nn.Sequential(nn.Sequential(nn.Linear(1, 2), nn.ReLU()), nn.Tanh()),
                 id="nested-sequential"),
])
def test_container_repr_matches_torch(torch, make):
    assert repr(make(nn)) == repr(make(torch.nn))


# ---- layers against torch -----------------------------------------------------------------------
def layer(name, make, shape, needs=()):
    return pytest.param(make, shape, id=name, marks=needs_F(*needs) if needs else ())


LAYERS = [
    layer("linear-1d", lambda nn: nn.Linear(5, 3), (5,)),
    layer("linear-2d", lambda nn: nn.Linear(5, 3), (4, 5)),
    layer("linear-3d", lambda nn: nn.Linear(5, 3), (2, 4, 5)),
    layer("linear-nobias-1d", lambda nn: nn.Linear(5, 3, bias=False), (5,)),
    layer("linear-nobias-2d", lambda nn: nn.Linear(5, 3, bias=False), (4, 5)),
    layer("linear-nobias-3d", lambda nn: nn.Linear(5, 3, bias=False), (2, 4, 5)),
    layer("linear-784", lambda nn: nn.Linear(784, 128), (16, 784)),
    layer("identity", lambda nn: nn.Identity(), (3, 4)),
    layer("relu", lambda nn: nn.ReLU(), (3, 4)),
    layer("sigmoid", lambda nn: nn.Sigmoid(), (3, 4)),
    layer("tanh", lambda nn: nn.Tanh(), (3, 4)),
    layer("softmax-dim1", lambda nn: nn.Softmax(dim=1), (3, 4)),
    layer("softmax-dim0", lambda nn: nn.Softmax(dim=0), (3, 4)),
    layer("softmax-dim-1-3d", lambda nn: nn.Softmax(dim=-1), (2, 3, 4)),
    layer("logsoftmax-dim1", lambda nn: nn.LogSoftmax(dim=1), (3, 4)),
    layer("logsoftmax-dim0", lambda nn: nn.LogSoftmax(dim=0), (3, 4)),
    layer("logsoftmax-dim1-3d", lambda nn: nn.LogSoftmax(dim=1), (2, 3, 4)),
    layer("flatten", lambda nn: nn.Flatten(), (2, 1, 4, 3)),
    layer("flatten-0-end", lambda nn: nn.Flatten(0, -1), (2, 3, 4)),
    layer("flatten-1-2", lambda nn: nn.Flatten(1, 2), (2, 3, 4, 2)),
    layer("flatten-2-3", lambda nn: nn.Flatten(start_dim=2, end_dim=3), (2, 3, 4, 2)),
    layer("sequential", lambda nn: nn.Sequential(
        nn.Flatten(), nn.Linear(12, 6), nn.ReLU(), nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 3),
        nn.LogSoftmax(dim=1)), (5, 3, 4)),
    layer("leaky_relu", lambda nn: nn.LeakyReLU(), (3, 4), needs=["leaky_relu"]),
    layer("leaky_relu-0.2", lambda nn: nn.LeakyReLU(0.2), (3, 4), needs=["leaky_relu"]),
    layer("elu", lambda nn: nn.ELU(), (3, 4), needs=["elu"]),
    layer("elu-0.5", lambda nn: nn.ELU(alpha=0.5), (3, 4), needs=["elu"]),
    layer("dropout-eval", lambda nn: nn.Dropout(0.5).eval(), (3, 4), needs=["dropout"]),
    layer("gelu", lambda nn: nn.GELU(), (3, 4)),
    layer("gelu-tanh", lambda nn: nn.GELU(approximate="tanh"), (3, 4)),
    layer("silu", lambda nn: nn.SiLU(), (3, 4)),
    layer("mish", lambda nn: nn.Mish(), (3, 4)),
    layer("softplus", lambda nn: nn.Softplus(beta=2, threshold=1), (3, 4)),
    layer("hardtanh", lambda nn: nn.Hardtanh(-0.5, 0.5), (3, 4)),
    layer("threshold", lambda nn: nn.Threshold(0.2, -3.0), (3, 4)),
    layer("relu6", lambda nn: nn.ReLU6(), (3, 4)),
    layer("hardsigmoid", lambda nn: nn.Hardsigmoid(), (3, 4)),
    layer("hardswish", lambda nn: nn.Hardswish(), (3, 4)),
    layer("logsigmoid", lambda nn: nn.LogSigmoid(), (3, 4)),
    layer("softsign", lambda nn: nn.Softsign(), (3, 4)),
    layer("selu", lambda nn: nn.SELU(), (3, 4)),
    layer("celu", lambda nn: nn.CELU(alpha=0.7), (3, 4)),
    layer("prelu", lambda nn: nn.PReLU(), (3, 4)),
    layer("prelu-channels", lambda nn: nn.PReLU(num_parameters=4), (3, 4, 2)),
    layer("relu-inplace-after-linear", lambda nn: nn.Sequential(nn.Linear(4, 5), nn.ReLU(inplace=True)), (3, 4)),
    layer("sequential-leaky-elu-dropout", lambda nn: nn.Sequential(
        nn.Linear(4, 8), nn.LeakyReLU(0.1), nn.Linear(8, 8), nn.ELU(), nn.Dropout(0.3),
        nn.Linear(8, 2)).eval(), (6, 4), needs=["leaky_relu", "elu", "dropout"]),
]


@pytest.mark.parametrize("make, shape", LAYERS)
def test_layer_matches_torch(torch, make, shape, device):
    theirs = make(torch.nn)
    ours = make(nn)
    copy_params(ours, theirs)
    ours.to(device)
    x_np, g_np = random_inputs([shape, theirs(torch.zeros(shape)).shape], seed=1)
    x, tx = al.tensor(x_np, requires_grad=True, device=device), torch.tensor(x_np, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    assert out.dtype == al.float32 and out.device == al.device(device)
    # float32 sums of shape[-1] products: BLAS may order them differently (blocking, alignment), and the
    # rounding difference grows like sqrt(length): seen 1.2e-6 on a result near 0 at 784 inputs
    atol = 1e-6 * max(1.0, (shape[-1] / 16) ** 0.5)
    assert_close(out, tout, rtol=1e-5, atol=atol)
    (out * al.tensor(g_np, device=device)).sum().backward()
    (tout * torch.tensor(g_np)).sum().backward()
    assert_close(x.grad, tx.grad, rtol=1e-5, atol=atol)
    for (pname, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert p.grad is not None, pname
        assert p.grad.dtype == al.float32 and p.grad.device == al.device(device)
        assert_close(p.grad, tp.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("build", [seed_fixed, seed_sequential, seed_ordered, seed_classifier,
                                   shared_linear,
                                   pytest.param(seed_arbitrary, marks=needs_F("dropout"))])
def test_seed_network_forward_backward_matches_torch(torch, build, device):
    ours, theirs = build_pair(torch, build)
    ours.eval(), theirs.eval()
    ours.to(device)
    x_np = random_inputs([(8, in_features(theirs))], seed=2)[0]
    x, tx = al.tensor(x_np, device=device), torch.tensor(x_np)
    out, tout = ours(x), theirs(tx)
    assert_close(out, tout, rtol=1e-4, atol=1e-5)
    (out ** 2).mean().backward()
    (tout ** 2).mean().backward()
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert_close(p.grad, tp.grad, rtol=1e-3, atol=1e-6)


def test_identity_returns_its_input():
    x = al.randn(2, 3)
    assert nn.Identity()(x) is x


# ---- Dropout ------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [-0.1, 1.5, -1, 2])
def test_dropout_rejects_p_outside_unit_interval(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(p)


@needs_F("dropout")
def test_dropout_train_and_eval():
    drop = nn.Dropout(0.25)
    assert drop.training
    x = al.ones(200, 500)
    y = drop(x).numpy()
    assert y.dtype == np.float32
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)    # inverted dropout
    assert abs(kept.mean() - 0.75) < 0.01                        # 100000 draws: sd 0.0014
    assert abs(y.mean() - 1.0) < 0.02
    drop.eval()
    np.testing.assert_array_equal(drop(x).numpy(), x.numpy())


@needs_F("dropout")
def test_dropout_gradient_uses_the_same_mask():
    x = al.randn(50, 40, requires_grad=True)
    y = nn.Dropout(0.5)(x)
    y.sum().backward()
    mask = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), np.where(mask, 2.0, 0.0))


@needs_F("dropout")
@pytest.mark.parametrize("p", [0, 1, 0.0, 1.0])
def test_dropout_extremes_like_torch(torch, p):
    x_np = random_inputs([(4, 5)])[0]
    ours, theirs = nn.Dropout(p)(al.tensor(x_np)), torch.nn.Dropout(p)(torch.tensor(x_np))
    assert_close(ours, theirs, rtol=0, atol=0)


@needs_F("dropout")
def test_dropout_reproducible_under_manual_seed():
    x = al.ones(30, 30)
    al.manual_seed(7)
    a = nn.Dropout(0.5)(x).numpy()
    al.manual_seed(7)
    b = nn.Dropout(0.5)(x).numpy()
    np.testing.assert_array_equal(a, b)


# ---- Linear: init and bad input -----------------------------------------------------------------
def test_linear_init_bounds_shape_dtype():
    fc = nn.Linear(512, 256)
    w, b = numpy_of(fc.weight), numpy_of(fc.bias)
    bound = 1 / math.sqrt(512)
    assert w.shape == (256, 512) and b.shape == (256,)
    assert fc.weight.dtype == fc.bias.dtype == al.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert w.max() > 0.99 * bound and w.min() < -0.99 * bound
    assert b.max() > 0.8 * bound and b.min() < -0.8 * bound
    assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.02     # uniform, not clumped
    assert abs(w.mean()) < 6 * bound / math.sqrt(3 * w.size)
    assert isinstance(fc.weight, nn.Parameter) and fc.weight.requires_grad
    assert fc.weight.is_leaf and fc.weight.grad is None


def test_linear_init_reproducible_and_fresh():
    al.manual_seed(3)
    a = nn.Linear(4, 3)
    al.manual_seed(3)
    b = nn.Linear(4, 3)
    c = nn.Linear(4, 3)
    np.testing.assert_array_equal(numpy_of(a.weight), numpy_of(b.weight))
    np.testing.assert_array_equal(numpy_of(a.bias), numpy_of(b.bias))
    assert not np.array_equal(numpy_of(b.weight), numpy_of(c.weight))


def test_linear_dtype_argument():
    fc = nn.Linear(3, 2, dtype=al.float64)
    assert fc.weight.dtype == fc.bias.dtype == al.float64
    assert fc(al.randn(4, 3, dtype=al.float64)).dtype == al.float64


def test_linear_wrong_input_features_says_so():
    fc = nn.Linear(784, 128)
    with pytest.raises(RuntimeError) as info:
        fc(al.randn(64, 785))
    msg = str(info.value)
    assert "784" in msg and "785" in msg and re.search(r"64, 785", msg), msg
    with pytest.raises(RuntimeError):
        fc(al.tensor(1.0))


# ---- containers ---------------------------------------------------------------------------------
def test_sequential_positional_and_indexing():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert list(seq._modules) == ["0", "1", "2"]
    assert seq[0] is a and seq[-1] is c and seq[-3] is a
    with pytest.raises(IndexError):
        seq[3]
    with pytest.raises(IndexError):
        seq[-4]
    head = seq[:2]
    assert type(head) is nn.Sequential and list(head) == [a, b]
    assert list(head._modules) == ["0", "1"]
    tail = seq[1:]
    assert list(tail._modules) == ["1", "2"] and tail[0] is b     # names kept, as in torch
    assert list(seq[::-1]) == [c, b, a]
    x = al.randn(4, 2)
    np.testing.assert_allclose(numpy_of(seq(x)), numpy_of(c(b(a(x)))))
    np.testing.assert_allclose(numpy_of(seq[1:](a(x))), numpy_of(c(b(a(x)))))


def test_sequential_ordered_dict_names():
    seq = seed_ordered(nn, F)
    assert list(seq._modules) == ["fc1", "relu1", "fc2", "relu2", "logits"]
    assert seq.fc1 is seq[0] and seq.logits is seq[-1]
    assert list(seq[1:3]._modules) == ["relu1", "fc2"]
    assert seq[1:3].fc2 is seq.fc2
    assert [n for n, _ in seq.named_parameters()][:2] == ["fc1.weight", "fc1.bias"]


def test_sequential_append_setitem_del_like_torch(torch):
    keys = {}
    for lib, (lnn, lF) in (("ours", (nn, F)), ("torch", torch_nn(torch))):
        seq = lnn.Sequential(lnn.Linear(2, 2), lnn.ReLU(), lnn.Tanh())
        assert seq.append(lnn.Sigmoid()) is seq
        seq[1] = lnn.Identity()
        del seq[0]
        keys[lib] = (list(seq._modules), [type(m).__name__ for m in seq])
    assert keys["ours"] == keys["torch"] == (["0", "1", "2"], ["Identity", "Tanh", "Sigmoid"])


def test_sequential_del_named_like_torch(torch):
    keys = {}
    for lib, (lnn, lF) in (("ours", (nn, F)), ("torch", torch_nn(torch))):
        seq = seed_ordered(lnn, lF)
        del seq[1]
        keys[lib] = list(seq._modules)
    assert keys["ours"] == keys["torch"]


def test_sequential_del_attribute():
    seq = seed_ordered(nn, F)
    del seq.relu2
    assert list(seq._modules) == ["fc1", "relu1", "fc2", "logits"] and len(seq) == 4
    with pytest.raises(AttributeError):
        seq.relu2


def test_modulelist():
    layers = nn.ModuleList([nn.Linear(4, 3)])
    assert layers.append(nn.ReLU()) is layers
    assert layers.extend([nn.Linear(3, 2), nn.Tanh()]) is layers
    assert len(layers) == 4 and list(layers._modules) == ["0", "1", "2", "3"]
    assert isinstance(layers[0], nn.Linear) and isinstance(layers[-1], nn.Tanh)
    with pytest.raises(IndexError):
        layers[4]
    part = layers[1:3]
    assert type(part) is nn.ModuleList and list(part) == [layers[1], layers[2]]
    assert list(part._modules) == ["0", "1"]
    same = layers
    layers += [nn.Sigmoid()]
    assert layers is same and len(layers) == 5
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                          "2.bias"]
    assert [type(m).__name__ for m in layers] == ["Linear", "ReLU", "Linear", "Tanh", "Sigmoid"]
    with pytest.raises(TypeError):
        layers.extend(3)
    holder = nn.Module()
    holder.layers = layers
    assert list(holder.state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.2.weight",
                                         "layers.2.bias"]


def test_moduledict():
    d = nn.ModuleDict({"fc": nn.Linear(2, 2), "act": nn.ReLU()})
    assert list(d.keys()) == ["fc", "act"] and len(d) == 2
    assert "fc" in d and "nope" not in d
    assert isinstance(d["fc"], nn.Linear) and d.fc is d["fc"]
    assert [type(m).__name__ for m in d.values()] == ["Linear", "ReLU"]
    assert [(k, type(m).__name__) for k, m in d.items()] == [("fc", "Linear"), ("act", "ReLU")]
    d.update({"out": nn.Linear(2, 1)})
    d.update([("act", nn.Tanh()), ("drop", nn.Identity())])
    assert list(d) == ["fc", "act", "out", "drop"] and isinstance(d["act"], nn.Tanh)
    d["extra"] = nn.Sigmoid()
    assert len(d) == 5
    del d["extra"]
    assert isinstance(d.pop("drop"), nn.Identity) and len(d) == 3
    assert [n for n, _ in d.named_parameters()] == ["fc.weight", "fc.bias", "out.weight",
                                                    "out.bias"]
    with pytest.raises(KeyError):
        d["nope"]


def test_moduledict_order_like_torch(torch):
    def build(nn):
        d = nn.ModuleDict(OrderedDict([("z", nn.ReLU()), ("a", nn.Linear(1, 1))]))
        d.update(OrderedDict([("m", nn.Tanh()), ("z", nn.Sigmoid())]))
        return d
    ours, theirs = build(nn), build(torch.nn)
    assert list(ours.keys()) == list(theirs.keys())
    assert [type(m).__name__ for m in ours.values()] == [type(m).__name__ for m in theirs.values()]
    assert names_of(ours) == names_of(theirs)


# ---- nn.init ------------------------------------------------------------------------------------
GAINS = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
         ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
         ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
         ("leaky_relu", 0.2), ("leaky_relu", 0), ("leaky_relu", 1), ("leaky_relu", math.sqrt(5)),
         ("selu", None)]


@pytest.mark.parametrize("nonlinearity, param", GAINS)
def test_calculate_gain_matches_torch(torch, nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


def test_calculate_gain_errors():
    with pytest.raises(ValueError):
        init.calculate_gain("swish")
    with pytest.raises(ValueError):
        init.calculate_gain("leaky_relu", "big")


FAN_IN, FAN_OUT = 512, 256          # of a (256, 512) tensor
RELU_GAIN, LEAKY5_GAIN = math.sqrt(2), math.sqrt(2 / 6)
INITS = [  # name, fn, kind, bound or std, mean
    ("uniform", lambda t: init.uniform_(t, -0.3, 0.7), "uniform", 0.5, 0.2),
    ("uniform-default", lambda t: init.uniform_(t), "uniform", 0.5, 0.5),
    ("normal", lambda t: init.normal_(t, 1.5, 0.2), "normal", 0.2, 1.5),
    ("normal-default", lambda t: init.normal_(t), "normal", 1.0, 0.0),
    ("xavier_uniform", lambda t: init.xavier_uniform_(t), "uniform",
     math.sqrt(6 / (FAN_IN + FAN_OUT)), 0.0),
    ("xavier_uniform-gain", lambda t: init.xavier_uniform_(t, gain=init.calculate_gain("tanh")),
     "uniform", 5 / 3 * math.sqrt(6 / (FAN_IN + FAN_OUT)), 0.0),
    ("xavier_normal", lambda t: init.xavier_normal_(t, gain=2.0), "normal",
     2.0 * math.sqrt(2 / (FAN_IN + FAN_OUT)), 0.0),
    ("kaiming_uniform-relu", lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), "uniform",
     RELU_GAIN * math.sqrt(3 / FAN_IN), 0.0),
    ("kaiming_uniform-a5-fan_out", lambda t: init.kaiming_uniform_(t, a=math.sqrt(5),
                                                                   mode="fan_out"),
     "uniform", LEAKY5_GAIN * math.sqrt(3 / FAN_OUT), 0.0),
    ("kaiming_normal-relu", lambda t: init.kaiming_normal_(t, nonlinearity="relu"), "normal",
     RELU_GAIN / math.sqrt(FAN_IN), 0.0),
    ("kaiming_normal-fan_out", lambda t: init.kaiming_normal_(t, mode="fan_out"), "normal",
     math.sqrt(2 / (1 + 0.01 ** 2)) / math.sqrt(FAN_OUT), 0.0),
]


@pytest.mark.parametrize("name, fn, kind, scale, mean", INITS, ids=[c[0] for c in INITS])
def test_init_statistics_on_a_parameter(name, fn, kind, scale, mean):
    p = nn.Parameter(al.empty(256, 512))       # requires grad: init must run under no_grad
    assert fn(p) is p
    assert p.requires_grad and p.is_leaf and p.grad_fn is None and p.dtype == al.float32
    v = p.detach().numpy().astype(np.float64)
    n = v.size
    if kind == "uniform":                      # scale is the half-width around the mean
        lo, hi = mean - scale, mean + scale
        assert v.min() >= lo - 1e-6 and v.max() <= hi + 1e-6
        assert v.min() < lo + 0.01 * scale and v.max() > hi - 0.01 * scale
        std = scale / math.sqrt(3)
    else:
        std = scale
        assert np.abs(v - mean).max() > 3.5 * std        # tails exist: not a uniform draw
    assert v.mean() == pytest.approx(mean, abs=6 * std / math.sqrt(n))
    assert v.std() == pytest.approx(std, rel=0.02)


@pytest.mark.parametrize("fn, value", [(lambda t: init.constant_(t, 0.25), 0.25),
                                       (init.zeros_, 0.0), (init.ones_, 1.0)])
def test_init_constants_on_a_parameter(fn, value):
    p = nn.Parameter(al.empty(256, 512))
    assert fn(p) is p
    assert p.requires_grad and p.is_leaf
    assert np.all(p.detach().numpy() == value)


def test_init_keeps_autograd_working():
    fc = nn.Linear(3, 2)
    init.xavier_uniform_(fc.weight)
    init.zeros_(fc.bias)
    fc(al.randn(4, 3)).sum().backward()
    assert fc.weight.grad is not None and tuple(fc.weight.grad.shape) == (2, 3)


def test_init_fan_errors():
    with pytest.raises(ValueError):
        init.xavier_uniform_(nn.Parameter(al.empty(5)))
    with pytest.raises(ValueError):
        init.kaiming_normal_(nn.Parameter(al.empty(3, 4)), mode="fan_middle")


# ---- Parameter ----------------------------------------------------------------------------------
def test_parameter_basics():
    p = nn.Parameter(al.zeros(2, 3))
    assert isinstance(p, al.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    assert tuple(p.shape) == (2, 3) and p.dtype == al.float32
    assert repr(p).startswith("Parameter containing:\ntensor(")
    frozen = nn.Parameter(al.ones(2), requires_grad=False)
    assert not frozen.requires_grad
    assert (p * 2).requires_grad and not isinstance(p * 2, nn.Parameter)


def test_parameter_repr_matches_torch(torch):
    values = np.array([[0.5, -1.25], [2.0, 3.0]], dtype=np.float32)
    ours = repr(nn.Parameter(al.tensor(values)))
    theirs = repr(torch.nn.Parameter(torch.tensor(values)))
    assert ours == theirs


def test_deepcopy_gives_independent_parameters():
    model = shared_linear(nn, F)
    clone = copy.deepcopy(model)
    assert clone.c is clone.a and clone.seq[0] is clone.a      # sharing survives inside the copy
    for (name, p), (_, q) in zip(model.named_parameters(), clone.named_parameters()):
        assert p is not q and isinstance(q, nn.Parameter) and q.requires_grad, name
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    with al.no_grad():
        clone.a.weight.fill_(0.0)
    assert model.a.weight.abs().sum().item() > 0
    x = al.randn(2, 3)
    clone(x).sum().backward()
    assert clone.a.weight.grad is not None and model.a.weight.grad is None


# ---- training ---------------------------------------------------------------------------------
def test_fits_sine_with_plain_gradient_descent():
    model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
    x_np = np.linspace(-math.pi, math.pi, 256, dtype=np.float32).reshape(256, 1)
    x, y = al.tensor(x_np), al.tensor(np.sin(x_np))
    lr, losses = 0.1, []
    for _ in range(500):
        loss = ((model(x) - y) ** 2).mean()
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with al.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
    final = ((model(x) - y) ** 2).mean().item()
    assert losses[0] > 0.1
    assert final < 0.02, (losses[0], final)


@pytest.mark.parametrize("act", [nn.ReLU, nn.Sigmoid, nn.Tanh])
def test_sequential_fuses_linear_and_activation(act, torch):
    """Sequential runs Linear + ReLU/Sigmoid/Tanh as one fused kernel and graph node: same values and
    gradients as the two modules one after the other, and as torch."""
    al.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), act(), nn.Linear(5, 3), act())
    x = al.randn(4, 6, requires_grad=True)
    out = model(x)
    name = f"{act.__name__.replace('ReLU', 'Relu')}Backward0"
    assert out.grad_fn.name() == name                      # one node: both fused Linear + act layers
    assert out.grad_fn.next_functions[0][0].variable is x
    unfused = x
    for m in model:
        unfused = m(unfused)
    assert unfused.grad_fn.next_functions[0][0].name() == "AddmmBackward0"
    np.testing.assert_allclose(out.detach().numpy(), unfused.detach().numpy(), rtol=1e-6, atol=1e-7)
    out.sum().backward()
    fused = [x.grad.numpy()] + [p.grad.numpy().copy() for p in model.parameters()]
    x.grad = None
    model.zero_grad()
    unfused.sum().backward()
    for a, b in zip(fused, [x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    tm = torch.nn.Sequential(torch.nn.Linear(6, 5), getattr(torch.nn, act.__name__)(),
                             torch.nn.Linear(5, 3), getattr(torch.nn, act.__name__)())
    with torch.no_grad():
        for tp, p in zip(tm.parameters(), model.parameters()):
            tp.copy_(torch.from_numpy(p.detach().numpy()))
    tx = torch.from_numpy(x.detach().numpy()).requires_grad_()
    tm(tx).sum().backward()
    np.testing.assert_allclose(fused[0], tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    for a, tp in zip(fused[1:], tm.parameters()):
        np.testing.assert_allclose(a, tp.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_sequential_does_not_fuse_around_hooks():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    seen = []
    model[1].register_forward_hook(lambda m, inp, out: seen.append(inp[0].grad_fn.name()))
    model(al.randn(2, 3, requires_grad=True))
    assert seen == ["AddmmBackward0"]                   # the ReLU ran on its own, hook and all
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    model[0].register_forward_pre_hook(lambda m, inp: seen.append("pre"))
    out = model(al.randn(2, 3, requires_grad=True))
    assert seen[-1] == "pre" and out.grad_fn.name() == "ReluBackward0"


def _unfused(model, x):
    for m in model:
        x = m(x)
    return x


@pytest.mark.parametrize("x_grad", [True, False])
def test_sequential_runs_linear_layers_as_one_node(x_grad, torch):
    """A run of Linear layers (activations fused, none after the last, a bias-free layer) is one graph node
    with the per-layer path's values and gradients, and torch's; x's gradient only when x needs one."""
    al.manual_seed(1)
    model = nn.Sequential(nn.Linear(7, 6), nn.ReLU(), nn.Linear(6, 5, bias=False), nn.Tanh(), nn.Linear(5, 4),
                          nn.Linear(4, 3), nn.Sigmoid(), nn.LogSoftmax(dim=1))
    x = al.randn(5, 7, requires_grad=x_grad)
    out = model(x)
    node = out.grad_fn.next_functions[0][0]                # LogSoftmax's input: the chain
    assert node.name() == "SigmoidBackward0"
    assert [f and f.variable for f, _ in node.next_functions] == [x if x_grad else None] + [
        p for m in model[:6] if isinstance(m, nn.Linear) for p in (m.weight, m.bias)]
    ref = _unfused(model, x)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-6, atol=1e-6)
    out[:, 0].sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    gx = x.grad.numpy().copy() if x_grad else None
    model.zero_grad()
    x.grad = None
    ref[:, 0].sum().backward()
    for a, p in zip(grads, model.parameters()):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-5, atol=1e-6)
    if x_grad:
        np.testing.assert_allclose(gx, x.grad.numpy(), rtol=1e-5, atol=1e-6)
    tm = torch.nn.Sequential(torch.nn.Linear(7, 6), torch.nn.ReLU(), torch.nn.Linear(6, 5, bias=False),
                             torch.nn.Tanh(), torch.nn.Linear(5, 4), torch.nn.Linear(4, 3), torch.nn.Sigmoid(),
                             torch.nn.LogSoftmax(dim=1))
    with torch.no_grad():
        for tp, p in zip(tm.parameters(), model.parameters()):
            tp.copy_(torch.from_numpy(p.detach().numpy()))
    tm(torch.from_numpy(x.detach().numpy()))[:, 0].sum().backward()
    for a, tp in zip(grads, tm.parameters()):
        np.testing.assert_allclose(a, tp.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss", ["nll", "cross_entropy"])
def test_sequential_fuses_log_softmax_into_the_last_linear(loss, torch):
    """The seed's model, Linear ... Linear + LogSoftmax(dim=1): the LogSoftmax runs in the last layer's epilogue
    (one node for the whole model); outputs, an NLL (or a cross-entropy of the log-probabilities) and every
    gradient as torch's."""
    al.manual_seed(2)
    model = nn.Sequential(nn.Linear(9, 8), nn.ReLU(), nn.Linear(8, 5), nn.LogSoftmax(dim=1))
    x, y = al.randn(6, 9), al.tensor([0, 4, 2, 2, 1, 3])
    out = model(x)
    assert out.grad_fn.name() == "LogSoftmaxBackward0" and out.grad_fn.next_functions[0][0] is None
    np.testing.assert_allclose(np.exp(out.detach().numpy()).sum(1), 1, rtol=1e-6)
    crit = nn.NLLLoss() if loss == "nll" else nn.CrossEntropyLoss()
    value = crit(out, y)
    value.backward()
    tm = torch.nn.Sequential(torch.nn.Linear(9, 8), torch.nn.ReLU(), torch.nn.Linear(8, 5), torch.nn.LogSoftmax(dim=1))
    with torch.no_grad():
        for tp, p in zip(tm.parameters(), model.parameters()):
            tp.copy_(torch.from_numpy(p.detach().numpy()))
    tout = tm(torch.from_numpy(x.numpy()))
    tcrit = torch.nn.NLLLoss() if loss == "nll" else torch.nn.CrossEntropyLoss()
    tvalue = tcrit(tout, torch.from_numpy(y.numpy()))
    tvalue.backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(value.item(), tvalue.item(), rtol=1e-6)
    for p, tp in zip(model.parameters(), tm.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dim,shape,fused", [(1, (4, 3), True), (-1, (4, 3), True), (None, (4, 3), True),
                                             (0, (4, 3), False), (-1, (2, 4, 3), True), (1, (2, 4, 3), False),
                                             (None, (3,), True), (None, (2, 4, 3), False)])
def test_log_softmax_fuses_only_over_the_features(dim, shape, fused):
    al.manual_seed(3)
    lin = nn.Linear(shape[-1], 5)
    model = nn.Sequential(lin, nn.LogSoftmax(dim=dim))
    x = al.randn(*shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                   # PyTorch's implicit-dim warning, if any
        out = model(x)
        ref = F.log_softmax(lin(x), dim)
    assert (out.grad_fn.next_functions[0][0] is None) is fused       # fused: the node's inputs are x and the params
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    fused_grads = [p.grad.numpy().copy() for p in lin.parameters()]
    lin.zero_grad()
    ref.sum().backward()
    for a, p in zip(fused_grads, lin.parameters()):
        np.testing.assert_allclose(a, p.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_linear_chain_float64_and_no_grad():
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).double()
    x = al.randn(6, 4, dtype=al.float64)
    out = model(x)
    assert out.dtype == al.float64 and out.shape == (6, 2) and out.grad_fn.name() == "AddmmBackward0"
    with al.no_grad():
        quiet = model(x)
    assert quiet.grad_fn is None and not quiet.requires_grad
    np.testing.assert_array_equal(quiet.numpy(), out.detach().numpy())


def test_linear_chain_falls_back_and_raises_as_the_layers_do():
    """Sizes or dtypes that do not chain: the layers run one by one and the faulty one raises its own error."""
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=2, out_features=2\)"):
        model(al.randn(5, 4))
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=4"):
        nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))(al.randn(5, 6))
    mixed = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2).double())
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got Float and Double"):
        mixed(al.randn(5, 4))                     # float32 into a float64 layer: refused, as PyTorch does


def test_linear_chain_saved_weight_modified_in_place_raises():
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2))
    out = model(al.randn(2, 3, requires_grad=True))
    with al.no_grad():
        model[0].weight.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()
