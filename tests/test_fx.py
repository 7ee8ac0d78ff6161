"""autograd_lite.fx against torch.fx: traced graphs of twin modules (node ops, names, targets in order), the
generated code's outputs and gradients, graph editing, Interpreter / Transformer, ShapeProp, replace_pattern,
tracing errors, concrete_args, and torchvision-style feature extraction on resnet18 / densenet."""
import importlib.util
import operator

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import fx
from autograd_lite.fx.graph import _library_name
from autograd_lite.vision import models
from autograd_lite.vision.models.feature_extraction import create_feature_extractor, get_graph_node_names

torch = pytest.importorskip("torch")
import torch.fx  # noqa: E402


def _double(x):
    return x * 2


fx.wrap(_double)
torch.fx.wrap("_double")


def _model(lib):
    """The same module written against either library."""
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 3)
            self.scale = nn.Parameter(lib.ones(3) * 0.5)
            self.register_buffer("shift", lib.arange(3.0))
            self.seq = nn.Sequential(nn.Tanh(), nn.Linear(3, 3))

        def forward(self, x, k=2):
            a = self.lin(x) * self.scale + self.shift
            b = lib.relu(a) * k
            c = F.relu(b).view(-1, a.shape[1])
            d = lib.cat([c, a], 1).sum(dim=1, keepdim=True)
            e = self.seq(a)
            e += 1
            f = _double(-a[:, :2]).exp()
            return {"d": d, "e": e.mean(), "t": (f, lib.sigmoid(e) @ a.t())}
    return Net()


def _twins():
    ours, ref = _model(al), _model(torch)
    ref.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()})
    return ours, ref


def _target_name(t):
    if isinstance(t, str):
        return t
    lib = _library_name(t)
    return lib.rsplit(".", 1)[1] if lib else t.__name__


def _summary(gm):
    return [(n.op, n.name, _target_name(n.target), len(n.users)) for n in gm.graph.nodes]


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


def _flat(out):
    return [out["d"], out["e"], out["t"][0], out["t"][1]]


def test_trace_matches_torch_fx_graph_and_code_runs():
    ours, ref = _twins()
    gm, tgm = fx.symbolic_trace(ours), torch.fx.symbolic_trace(ref)
    assert _summary(gm) == _summary(tgm)
    assert [n.op for n in gm.graph.nodes][:2] == ["placeholder", "placeholder"]
    relu = next(n for n in gm.graph.nodes if n.name == "relu")
    assert relu.target is al.relu and relu.args[0].name == "add" and relu.all_input_nodes == [relu.args[0]]
    assert "relu = torch.relu(add)" in gm.code and "def forward(self, x, k = 2):" in gm.code
    assert gm.print_readable(print_output=False).startswith("class Net(torch.nn.Module):")
    assert sorted(gm.state_dict()) == sorted(tgm.state_dict())
    gm.graph.lint()

    x = np.random.randn(5, 4).astype(np.float32)
    xa, xt = al.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expect, tout = gm(xa, 3), ours(xa, 3), tgm(xt, 3)
    for a, b, c in zip(_flat(out), _flat(expect), _flat(tout)):
        assert a.dtype == al.float32 and a.shape == b.shape
        _close(a, b)
        _close(a, c)
    sum(o.sum() for o in _flat(out)).backward()
    sum(o.sum() for o in _flat(tout)).backward()
    _close(xa.grad, xt.grad)
    for (name, p), (_, tp) in zip(gm.named_parameters(), tgm.named_parameters()):
        _close(p.grad, tp.grad, 1e-4)


_C, _TC = al.arange(1.0, 4.0), torch.arange(1.0, 4.0)


def test_constants_namespaces_and_graph_printing_match_torch():
    def f(x):
        y = _C * x + al.linalg.vector_norm(x) + al.fft.rfft(x).abs().sum() + x.size(0)
        return al.nn.functional.softmax(y, 0) - y.t()[0]

    def tf(x):
        y = _TC * x + torch.linalg.vector_norm(x) + torch.fft.rfft(x).abs().sum() + x.size(0)
        return torch.nn.functional.softmax(y, 0) - y.t()[0]
    gm, tgm = fx.symbolic_trace(f), torch.fx.symbolic_trace(tf)
    assert [n.name for n in gm.graph.nodes] == [n.name for n in tgm.graph.nodes]
    assert [n.name for n in gm.graph.nodes] == ["x", "_tensor_constant0", "mul", "linalg_vector_norm", "add",
                                                "fft_rfft", "abs_1", "sum_1", "add_1", "size", "add_2", "softmax", "t",
                                                "getitem", "sub", "output"]
    assert gm.graph.nodes.__len__() == 16 and isinstance(gm._tensor_constant0, al.Tensor)
    ours, ref = str(gm.graph).splitlines(), str(tgm.graph).splitlines()
    same = [i for i, line in enumerate(ref) if "torch._C" not in line and "softmax" not in line
            and "mul" not in line]
    assert len(same) >= 10 and [ours[i] for i in same] == [ref[i] for i in same]
    x = np.random.randn(3).astype(np.float32)
    _close(gm(al.tensor(x)), tgm(torch.tensor(x)))
    _close(gm(al.tensor(x)), f(al.tensor(x)))


def test_generated_code_gradcheck_float64():
    class M(al.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = al.nn.Linear(3, 2).double()

        def forward(self, x):
            return al.tanh(self.lin(x)) * x.sum(1, keepdim=True)
    f = M()
    gm = fx.symbolic_trace(f)
    x = al.randn(4, 3, dtype=al.float64, requires_grad=True)
    assert al.autograd.gradcheck(gm, (x,))
    np.testing.assert_allclose(gm(x).detach().numpy(), f(x).detach().numpy())


def test_tracing_restores_patched_callables_even_on_error():
    relu, add, call = al.relu, al.Tensor.__add__, al.nn.Module.__call__

    def bad(x):
        al.relu(x)
        if x.sum() > 0:
            return x
        return -x
    with pytest.raises(fx.proxy.TraceError) as ours:
        fx.symbolic_trace(bad)
    with pytest.raises(torch.fx.proxy.TraceError) as ref:
        torch.fx.symbolic_trace(bad)
    assert str(ours.value) == str(ref.value) == "symbolically traced variables cannot be used as inputs to control flow"
    assert al.relu is relu and al.Tensor.__add__ is add and al.nn.Module.__call__ is call
    assert al.nn.functional.relu.__name__ == "_functional_relu" or "__fx_original__" not in vars(al.nn.functional.relu)


def test_len_and_iteration_errors_match_torch():
    def uses_len(x):
        return x + len(x)

    def unpacks(x):
        a, b = x
        return a + b
    for lib_fx in (fx, torch.fx):
        with pytest.raises(RuntimeError, match="'len' is not supported in symbolic tracing by default"):
            lib_fx.symbolic_trace(uses_len)
    gm = fx.symbolic_trace(unpacks)
    assert [n.target for n in gm.graph.nodes if n.op == "call_function"] == [operator.getitem, operator.getitem,
                                                                             operator.add]
    x = al.randn(2, 3)
    _close(gm(x), x[0] + x[1])


def test_concrete_args_specialize_control_flow():
    class M(al.nn.Module):
        def forward(self, x, flag):
            return x.relu() if flag else -x

    class T(torch.nn.Module):
        def forward(self, x, flag):
            return x.relu() if flag else -x
    with pytest.raises(fx.proxy.TraceError):
        fx.symbolic_trace(M())
    gm = fx.symbolic_trace(M(), concrete_args={"flag": True})
    tgm = torch.fx.symbolic_trace(T(), concrete_args={"flag": True})
    ours = [(n.op, n.name, _target_name(n.target)) for n in gm.graph.nodes]
    ref = [(n.op, n.name, _target_name(n.target)) for n in tgm.graph.nodes]
    assert ours == ref                       # flag_1, its guard (eq, _assert), relu, output
    assert gm.code == tgm.code
    x = al.randn(3)
    _close(gm(x, True), x.relu())
    with pytest.raises(AssertionError, match="flag has been specialized to have value True but got another value"):
        gm(x, False)
    with pytest.raises(AssertionError, match="flag has been specialized"):
        tgm(torch.randn(3), False)
    with pytest.raises(RuntimeError):
        fx.symbolic_trace(M(), concrete_args={"nope": 1})


def test_concrete_none_and_ph_match_torch():
    def f(x, y):
        return x if y is None else x + y
    for concrete in ({"y": None}, {"y": "PH"}):
        ours = fx.symbolic_trace(f, concrete_args={k: fx.PH if v == "PH" else v for k, v in concrete.items()})
        ref = torch.fx.symbolic_trace(f, concrete_args={k: torch.fx.PH if v == "PH" else v
                                                        for k, v in concrete.items()})
        assert [(n.op, n.name) for n in ours.graph.nodes] == [(n.op, n.name) for n in ref.graph.nodes]
    with pytest.raises(AssertionError, match="y has been specialized to have value None"):
        fx.symbolic_trace(f, concrete_args={"y": None})(al.ones(2), al.ones(2))


def test_varargs_and_varkw_forward_traced_as_torch():
    def make(lib):
        class M(lib.nn.Module):
            def forward(self, *args, **kwargs):
                return args[0] * 2 + kwargs["b"]

        class K(lib.nn.Module):             # a keyword-only argument between *rest and **kw
            def forward(self, x, *rest, scale=2.0, **kw):
                return x * scale + rest[0] + kw["b"]
        return M(), K()
    (m, k), (tm, _) = make(al), make(torch)
    gm, tgm = fx.symbolic_trace(m), torch.fx.symbolic_trace(tm)
    assert gm.code == tgm.code
    a, b = al.randn(3), al.randn(3)
    _close(gm(a, b=b), m(a, b=b))
    gk = fx.symbolic_trace(k)
    _close(gk(a, b, b=a), k(a, b, b=a))
    _close(gk(a, b, scale=3.0, b=a), k(a, b, scale=3.0, b=a))
    assert al._assert(True, "unused") is None
    with pytest.raises(AssertionError, match="no"):
        al._assert(False, "no")


def test_replace_relu_with_gelu_and_dead_code_elimination():
    ours, ref = _twins()
    gm, tgm = fx.symbolic_trace(ours), torch.fx.symbolic_trace(ref)
    for g, lib in ((gm, al), (tgm, torch)):
        for node in g.graph.nodes:
            if node.op == "call_function" and node.target is lib.relu:
                with g.graph.inserting_after(node):
                    new = g.graph.call_function(lib.nn.functional.gelu, node.args, node.kwargs)
                node.replace_all_uses_with(new)
                g.graph.erase_node(node)
        with g.graph.inserting_before(next(iter(g.graph.nodes)).next.next):
            g.graph.call_function(lib.neg, (next(iter(g.graph.nodes)),))      # dead: nobody uses it
        assert g.graph.eliminate_dead_code() is True and g.graph.eliminate_dead_code() is False
        g.graph.lint()
        g.recompile()
    assert _summary(gm) == _summary(tgm)
    assert "gelu" in gm.code and "torch.relu(" not in gm.code and "neg(x" not in gm.code
    for g in (gm, tgm):                     # a submodule swapped in by hand, the unused one dropped
        node = next(n for n in g.graph.nodes if n.op == "call_module" and n.target == "seq.0")
        assert g.add_submodule("extra.act", type(getattr(g.seq, "0"))()) is True
        with g.graph.inserting_after(node):
            act = g.graph.call_module("extra.act", node.args)
        node.replace_all_uses_with(act)
        g.graph.erase_node(node)
        g.delete_all_unused_submodules()
        g.graph.lint()
        g.recompile()
    assert _summary(gm) == _summary(tgm) and "extra_act = self.extra.act(add)" in gm.code
    assert sorted(dict(gm.named_modules())) == sorted(dict(tgm.named_modules())) and not hasattr(gm.seq, "0")
    x = np.random.randn(2, 4).astype(np.float32)
    for a, b in zip(_flat(gm(al.tensor(x))), _flat(tgm(torch.tensor(x)))):
        _close(a, b)


def test_graph_errors_match_torch():
    gm, tgm = fx.symbolic_trace(al.nn.Sequential(al.nn.ReLU())), torch.fx.symbolic_trace(torch.nn.Sequential(
        torch.nn.ReLU()))
    messages = []
    for g in (gm.graph, tgm.graph):
        x = next(iter(g.nodes))
        with pytest.raises(RuntimeError) as e:
            g.erase_node(x)
        messages.append(str(e.value))
    assert messages[0] == messages[1] == ("Tried to erase Node input_1 but it still had 1 users in the graph: "
                                          "{_0: None}!")
    messages = []
    for g in (gm.graph, tgm.graph):
        x, relu = list(g.nodes)[:2]
        relu.args = (relu,)                 # an input used before it is defined
        with pytest.raises(RuntimeError) as e:
            g.lint()
        messages.append(str(e.value).split("\n")[0])
    assert messages[0] == messages[1]
    if importlib.util.find_spec("tabulate") is None:       # torch's: a message, then the ImportError
        for g in (gm.graph, tgm.graph):
            with pytest.raises(ImportError):
                g.print_tabular()
    else:
        gm.graph.print_tabular()


def test_node_copy_and_graph_built_by_hand():
    g = fx.Graph()
    x = g.placeholder("x")
    w = g.get_attr("w")
    mm = g.call_function(al.matmul, (x, w))
    r = g.call_method("relu", (mm,))
    g.output(r)
    gm = fx.GraphModule({"w": al.ones(3, 2)}, g)
    assert [n.name for n in g.nodes] == ["x", "w", "matmul", "relu", "output"]
    assert list(mm.users) == [r] and r.all_input_nodes == [mm]
    x_val = al.randn(4, 3)
    _close(gm(x_val), (x_val @ al.ones(3, 2)).relu())
    g2 = fx.Graph()
    env = {}
    for n in g.nodes:
        env[n] = g2.node_copy(n, lambda a: env[a])
    assert [n.name for n in g2.nodes] == [n.name for n in g.nodes]
    with pytest.raises(RuntimeError, match="referenced target w but that target was not provided"):
        fx.GraphModule({}, g2)


def test_interpreter_and_transformer_match_torch():
    ours, ref = _twins()
    gm, tgm = fx.symbolic_trace(ours), torch.fx.symbolic_trace(ref)

    def make(lib_fx, lib):
        class NegSigmoid(lib_fx.Interpreter):
            def call_function(self, target, args, kwargs):
                if target is lib.sigmoid:
                    return lib.neg(lib.sigmoid(*args, **kwargs))
                return super().call_function(target, args, kwargs)

        class ReluToTanh(lib_fx.Transformer):
            def call_function(self, target, args, kwargs):
                return super().call_function(lib.tanh if target is lib.relu else target, args, kwargs)
        return NegSigmoid, ReluToTanh
    x = np.random.randn(3, 4).astype(np.float32)
    (ni, rt), (tni, trt) = make(fx, al), make(torch.fx, torch)
    for a, b in zip(_flat(ni(gm).run(al.tensor(x))), _flat(tni(tgm).run(torch.tensor(x)))):
        _close(a, b)
    _close(fx.Interpreter(gm).run(al.tensor(x))["d"], gm(al.tensor(x))["d"])
    new, tnew = rt(gm).transform(), trt(tgm).transform()
    assert _summary(new) == _summary(tnew) and "tanh" in new.code
    for a, b in zip(_flat(new(al.tensor(x))), _flat(tnew(torch.tensor(x)))):
        _close(a, b)


def test_shape_prop_matches_torch():
    from autograd_lite.fx.passes.shape_prop import ShapeProp
    from torch.fx.passes.shape_prop import ShapeProp as TShapeProp
    ours, ref = _twins()
    gm, tgm = fx.symbolic_trace(ours), torch.fx.symbolic_trace(ref)
    x = np.random.randn(6, 4).astype(np.float32)
    ShapeProp(gm).propagate(al.tensor(x))
    TShapeProp(tgm).propagate(torch.tensor(x))
    seen = 0
    for n, tn in zip(gm.graph.nodes, tgm.graph.nodes):
        meta, tmeta = n.meta.get("tensor_meta"), tn.meta.get("tensor_meta")
        if isinstance(tmeta, torch.fx.passes.shape_prop.TensorMetadata):
            assert tuple(meta.shape) == tuple(tmeta.shape) and str(meta.dtype).split(".")[-1] == str(
                tmeta.dtype).split(".")[-1] and meta.requires_grad == tmeta.requires_grad, n.name
            seen += 1
        else:
            assert not hasattr(meta, "shape")
    assert seen >= 15


def test_replace_pattern_matches_torch():
    def make(lib):
        class M(lib.nn.Module):
            def forward(self, x, w):
                a = lib.relu(lib.neg(x)) + w
                return lib.relu(lib.neg(a)) * lib.neg(w)
        return M()

    def pattern_al(x):
        return al.relu(al.neg(x))

    def replacement_al(x):
        return al.nn.functional.gelu(x) * -1

    def pattern_t(x):
        return torch.relu(torch.neg(x))

    def replacement_t(x):
        return torch.nn.functional.gelu(x) * -1
    gm, tgm = fx.symbolic_trace(make(al)), torch.fx.symbolic_trace(make(torch))
    matches = fx.replace_pattern(gm, pattern_al, replacement_al)
    tmatches = torch.fx.replace_pattern(tgm, pattern_t, replacement_t)
    assert len(matches) == len(tmatches) == 2
    assert [(n.op, _target_name(n.target)) for n in gm.graph.nodes] == \
        [(n.op, _target_name(n.target)) for n in tgm.graph.nodes]
    gm.graph.lint()
    x, w = np.random.randn(2, 3).astype(np.float32), np.random.randn(3).astype(np.float32)
    _close(gm(al.tensor(x), al.tensor(w)), tgm(torch.tensor(x), torch.tensor(w)))


def test_wrap_records_a_leaf_call():
    def f(x):
        return _double(x) + 1
    gm, tgm = fx.symbolic_trace(f), torch.fx.symbolic_trace(f)
    assert [n.target for n in gm.graph.nodes if n.op == "call_function"][0] is _double
    assert _summary(gm) == _summary(tgm)
    _close(gm(al.ones(2)), al.full((2,), 3.0))


# ---- feature extraction (torchvision's naming, derived here from torch.fx on a torch.nn resnet18) -----------------
class _TorchNodePathTracer(torch.fx.Tracer):
    """torchvision's NodePathTracer, for the torch.nn reference."""

    def __init__(self):
        super().__init__()
        self.current, self.node_to_qualname = "", {}

    def call_module(self, m, forward, args, kwargs):
        old = self.current
        try:
            self.current = self.path_of_module(m)
            if not self.is_leaf_module(m, self.current):
                return forward(*args, **kwargs)
            return self.create_proxy("call_module", self.current, args, kwargs)
        finally:
            self.current = old

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None, *_):
        import re
        proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr)
        q = self.current
        if proxy.node.op != "call_module":
            q = (q + "." if q else "") + str(proxy.node)
        if re.match(r".+_[0-9]+$", q):
            q = q.rsplit("_", 1)[0]
        for existing in reversed(list(self.node_to_qualname.values())):
            if re.match(rf"{q}(_[0-9]+)?$", existing):
                post = existing.replace(q, "")
                q += f"_{int(post[1:]) + 1 if post else 1}"
                break
        self.node_to_qualname[proxy.node] = q
        return proxy


def _torch_resnet18():
    nn = torch.nn

    class BasicBlock(nn.Module):
        def __init__(self, inp, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or inp != planes:
                self.downsample = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

        def forward(self, x):
            identity = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if self.downsample is not None:
                identity = self.downsample(x)
            out += identity
            return self.relu(out)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            self.layer1 = nn.Sequential(BasicBlock(64, 64), BasicBlock(64, 64))
            self.layer2 = nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128))
            self.layer3 = nn.Sequential(BasicBlock(128, 256, 2), BasicBlock(256, 256))
            self.layer4 = nn.Sequential(BasicBlock(256, 512, 2), BasicBlock(512, 512))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, 1000)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))
    return ResNet()


def test_resnet18_node_names_and_feature_extractor_match_torchvision_naming():
    model = models.resnet18()
    ref = _torch_resnet18()
    ref.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})
    tracer = _TorchNodePathTracer()
    tracer.trace(ref.eval())
    expected = list(tracer.node_to_qualname.values())
    train_nodes, eval_nodes = get_graph_node_names(model)
    assert train_nodes == eval_nodes == expected
    assert model.training                                  # its mode is restored
    assert expected[:12] == ["x", "conv1", "bn1", "relu", "maxpool", "layer1.0.conv1", "layer1.0.bn1",
                             "layer1.0.relu", "layer1.0.conv2", "layer1.0.bn2", "layer1.0.add", "layer1.0.relu_1"]

    extractor = create_feature_extractor(model, {"layer1": "feat1", "layer3.1.relu_1": "feat3", "flatten": "flat"})
    assert "fc" not in dict(extractor.named_modules()) and "layer4" in dict(extractor.named_modules())
    extractor.eval()
    model.eval()
    ref.eval()
    x = np.random.randn(1, 3, 32, 32).astype(np.float32)
    out = extractor(al.tensor(x))
    assert list(out) == ["feat1", "feat3", "flat"]
    captured = {}
    ref.layer1.register_forward_hook(lambda m, i, o: captured.__setitem__("feat1", o))
    ref.layer3.register_forward_hook(lambda m, i, o: captured.__setitem__("feat3", o))
    ref.avgpool.register_forward_hook(lambda m, i, o: captured.__setitem__("flat", torch.flatten(o, 1)))
    with torch.no_grad():
        ref(torch.tensor(x))
    for k in out:
        assert out[k].dtype == al.float32
        _close(out[k], captured[k], 1e-4)
    with pytest.raises(ValueError, match="node: 'layer9' is not present in model"):
        create_feature_extractor(model, ["layer9"])


def test_feature_extractor_train_eval_graphs_and_gradients():
    model = models.resnet18(num_classes=3)
    extractor = create_feature_extractor(model, return_nodes=["layer2", "fc"])
    assert extractor.training
    x = al.randn(2, 3, 16, 16, requires_grad=True)
    out = extractor(x)
    out["fc"].sum().backward()
    g = x.grad.numpy().copy()
    x.grad = None
    model(x).sum().backward()
    np.testing.assert_allclose(g, x.grad.numpy(), rtol=1e-4, atol=1e-5)
    extractor.eval()
    assert extractor.graph is extractor.eval_graph and not extractor.training


def test_densenet_traces_with_torchvision_nodes():
    model = models.DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8, bn_size=2, num_classes=5)
    train_nodes, eval_nodes = get_graph_node_names(model)
    assert train_nodes == eval_nodes
    assert train_nodes[:7] == ["x", "features.conv0", "features.norm0", "features.relu0", "features.pool0",
                               "features.denseblock1.denselayer1.cat", "features.denseblock1.denselayer1.norm1"]
    assert [n for n in train_nodes if "transition1" in n] == [
        "features.transition1.norm", "features.transition1.relu", "features.transition1.conv",
        "features.transition1.pool"]
    assert train_nodes[-5:] == ["features.norm5", "relu", "adaptive_avg_pool2d", "flatten", "classifier"]
    model.eval()
    gm = fx.symbolic_trace(model)
    x = al.randn(2, 3, 16, 16)
    _close(gm(x), model(x))
    feats = create_feature_extractor(model, ["features.transition1.conv"])(x)
    assert feats["features.transition1.conv"].shape == (2, 8, 4, 4)     # before the pool, as torchvision's


# ------------------------------------------------------------------------------------------------ review fixes (R1)

def test_keyword_only_forward_args_traced_as_torch():
    def make(lib):
        class M(lib.nn.Module):
            def forward(self, x, *, bias, scale=2.0):
                return x * scale + bias
        return M()
    gm, tgm = fx.symbolic_trace(make(al)), torch.fx.symbolic_trace(make(torch))
    assert gm.code == tgm.code                  # def forward(self, x, bias, scale = 2.0)
    x = al.randn(3)
    _close(gm(x, bias=x), x * 2.0 + x)
    _close(gm(x, scale=3.0, bias=1.0), x * 3.0 + 1.0)


def _uses_math(x):
    import math
    return x * math.sqrt(x.shape[-1]) + abs(x)


def test_math_functions_on_proxies_are_recorded_as_torch():
    import math
    gm, tgm = fx.symbolic_trace(_uses_math), torch.fx.symbolic_trace(_uses_math)
    assert [(n.op, _target_name(n.target)) for n in gm.graph.nodes] == \
        [(n.op, _target_name(n.target)) for n in tgm.graph.nodes]
    assert "math_sqrt(getitem)" in gm.code and "math_sqrt(getitem)" in tgm.code
    assert math.sqrt.__module__ == "math" and not hasattr(math.sqrt, "__fx_original__")    # restored
    x = al.randn(2, 4)
    _close(gm(x), _uses_math(x))


def test_torch_assert_on_a_proxy_is_recorded_as_torch():
    def make(lib):
        def f(x):
            lib._assert(x.sum() > 0, "must be positive")
            return x
        return f
    gm, tgm = fx.symbolic_trace(make(al)), torch.fx.symbolic_trace(make(torch))
    assert gm.code == tgm.code
    gm(al.ones(2))
    with pytest.raises(AssertionError, match="must be positive"):
        gm(-al.ones(2))


def test_graph_module_pickles_as_torch():
    import pickle
    ours, ref = _twins()
    x = al.randn(2, 4)
    for lib_fx, model in ((fx, ours), (torch.fx, ref)):        # both round-trip their generated code
        gm = lib_fx.symbolic_trace(model)
        again = pickle.loads(pickle.dumps(gm))
        assert again.code == gm.code
    gm = fx.symbolic_trace(ours, concrete_args={"k": 3})       # a guard, a wrapped function, parameters, buffers
    again = pickle.loads(pickle.dumps(gm))
    assert again.code == gm.code and sorted(again.state_dict()) == sorted(gm.state_dict())
    for a, b in zip(_flat(again(x, 3)), _flat(ours(x, 3))):
        _close(a, b)
    with pytest.raises(AssertionError, match="k has been specialized to have value 3"):
        again(x, 2)
    const = fx.symbolic_trace(lambda x: x + al.tensor([1.0, 2.0]))
    again = pickle.loads(pickle.dumps(const))
    assert [n for n, _ in again.named_buffers()] == ["_tensor_constant0"]
    _close(again(al.ones(2)), al.tensor([2.0, 3.0]))


def test_traces_in_two_threads_restore_the_original_callables():
    import threading
    relu, add, call = al.relu, al.Tensor.__add__, al.nn.Module.__call__
    first_in, second_in = threading.Event(), threading.Event()

    def first(x):               # still tracing when the second trace starts (or, serialized, waits a little)
        first_in.set()
        second_in.wait(0.3)
        return al.relu(x) + 1

    def second(x):
        second_in.set()
        return al.relu(x) * 2
    results = {}

    def run(name, f, wait=None):
        if wait is not None:
            wait.wait(5)
        results[name] = fx.symbolic_trace(f)
    threads = [threading.Thread(target=run, args=("first", first)),
               threading.Thread(target=run, args=("second", second, first_in))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert al.relu is relu and al.Tensor.__add__ is add and al.nn.Module.__call__ is call
    assert [n.op for n in results["first"].graph.nodes] == [n.op for n in results["second"].graph.nodes]


def test_deepcopy_keeps_meta_and_training_as_torch():
    import copy
    results = []
    for lib, lib_fx in ((al, fx), (torch, torch.fx)):
        gm = lib_fx.symbolic_trace(lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU()))
        gm.meta["k"] = [1]
        gm.eval()
        c = copy.deepcopy(gm)
        results.append((c.meta, c.meta["k"] is gm.meta["k"], c.training, c.code == gm.code))
    assert results[0] == results[1] == ({"k": [1]}, False, False, True)


def test_to_folder_writes_an_importable_package_as_torch(tmp_path):
    import importlib.util
    import math
    import sys
    import warnings

    def make(lib):
        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(4, 3)
                self.seq = lib.nn.Sequential(lib.nn.Tanh(), lib.nn.Linear(3, 3))
                self.register_buffer("shift", lib.arange(3.0))

            def forward(self, x):
                return self.seq(self.lin(x) + self.shift) * math.sqrt(x.shape[-1]) + abs(x).sum()
        return M()
    ours, ref = make(al), make(torch)
    ref.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()})
    listings = []
    for name, lib_fx, model in (("ours", fx, ours), ("ref", torch.fx, ref)):
        folder = tmp_path / name
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib_fx.symbolic_trace(model).to_folder(folder, "Exported")
        assert any("saved as pickled files instead: ['seq']" in str(w.message) for w in caught)
        listings.append(sorted(p.name for p in folder.iterdir()))
    assert listings[0] == listings[1] == ["__init__.py", "module.py", "seq.pt", "state_dict.pt"]
    spec = importlib.util.spec_from_file_location("_r1_exported", tmp_path / "ours" / "module.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["_r1_exported"] = module
    try:
        spec.loader.exec_module(module)
        exported = module.Exported()
    finally:
        del sys.modules["_r1_exported"]
    x = al.randn(2, 4)
    _close(exported(x), ours(x))

    def local(t):               # a call of a local function: module.py could not import it
        return t * 2
    g = fx.Graph()
    g.output(g.call_function(local, (g.placeholder("x"),)))
    with pytest.raises(RuntimeError, match="cannot be imported by name; define it at the top level of a module"):
        fx.GraphModule(al.nn.Module(), g).to_folder(tmp_path / "bad")


def test_library_functions_imported_by_name_in_a_helper_module_are_recorded(tmp_path, monkeypatch):
    """torch records ``from torch import cat`` calls of any module (through __torch_function__); ours patches the
    names user modules imported."""
    import importlib
    import sys
    for lib, modname in (("autograd_lite", "_r1_helper_al"), ("torch", "_r1_helper_torch")):
        (tmp_path / f"{modname}.py").write_text(
            f"from {lib} import relu, cat\nfrom {lib}.nn.functional import gelu\n\n\n"
            "def block(x):\n    return cat([relu(x), gelu(x)], 1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    helpers = [importlib.import_module(name) for name in ("_r1_helper_al", "_r1_helper_torch")]
    try:
        def calls(helper):          # (the traced function's own globals were always patched: not the helper's)
            return lambda x: helper.block(x)
        gm, tgm = fx.symbolic_trace(calls(helpers[0])), torch.fx.symbolic_trace(calls(helpers[1]))
        assert [(n.op, _target_name(n.target)) for n in gm.graph.nodes] == \
            [(n.op, _target_name(n.target)) for n in tgm.graph.nodes]
        assert helpers[0].relu is al.relu and helpers[0].gelu is al.nn.functional.gelu      # restored
        x = al.randn(2, 3)
        _close(gm(x), helpers[0].block(x))
    finally:
        for name in ("_r1_helper_al", "_r1_helper_torch"):
            sys.modules.pop(name, None)


def test_dead_code_elimination_keeps_torch_assert_as_torch():
    def f(x, y, flag):
        return x if y is None else x + y
    summaries = []
    for lib, lib_fx in ((al, fx), (torch, torch.fx)):
        def g(x):
            lib._assert(x.sum() > 0, "positive")
            return x
        gm = lib_fx.symbolic_trace(f, concrete_args={"y": None, "flag": True})
        gg = lib_fx.symbolic_trace(g)
        changed = gm.graph.eliminate_dead_code(), gg.graph.eliminate_dead_code()
        gm.recompile()
        summaries.append((changed, [n.op for n in gm.graph.nodes], [n.op for n in gg.graph.nodes]))
        if lib is al:
            ours = gm
    assert summaries[0] == summaries[1]         # (torch drops the None guard, keeps torch._assert)
    with pytest.raises(AssertionError, match="flag has been specialized to have value True"):
        ours(al.ones(1), None, False)


def test_wrap_of_a_reloaded_module_records_the_function_itself(tmp_path, monkeypatch):
    import importlib
    import sys
    (tmp_path / "_r1_wrapped.py").write_text("from autograd_lite import fx\n\n\ndef my_len(x):\n    return len(x)\n\n\n"
                                              "fx.wrap('my_len')\n\n\ndef f(x):\n    return x + my_len(x)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("_r1_wrapped")
    try:
        importlib.reload(module)            # runs fx.wrap('my_len') again
        gm = fx.symbolic_trace(module.f)
        assert [n.target for n in gm.graph.nodes if n.op == "call_function"] == [module.my_len, operator.add]
        assert module.my_len.__name__ == "my_len" and not hasattr(module.my_len, "__fx_original__")
        _close(gm(al.ones(3)), al.full((3,), 4.0))
    finally:
        sys.modules.pop("_r1_wrapped", None)
