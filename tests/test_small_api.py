"""Small torch API names, each against torch 2.13 running the same code: Module extra state, torch.compiler,
sym_*, the absent device modules (mps, xpu, mtia), torch.nn.grad, GradScaler, set_anomaly_enabled,
empty_permuted, from_file, Event and Stream."""
import operator

import numpy as np
import pytest
import torch

import autograd_lite as al

LIBS = pytest.mark.parametrize("lib", [torch, al], ids=["torch", "al"])


def _raises(fn):
    """(type name, message) of what fn() raises, None if it returns."""
    try:
        fn()
    except Exception as e:              # noqa: BLE001  (compared between the two libraries)
        return type(e).__name__, str(e)
    return None


# ---- 1. Module.get_extra_state / set_extra_state

def _modules(lib):
    class WithState(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lib.nn.Linear(2, 2)
            self.step, self.t = 0, lib.zeros(2)

        def get_extra_state(self):
            return {"step": self.step, "t": self.t}

        def set_extra_state(self, state):
            self.step, self.t = state["step"], state["t"]

    class Outer(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.m, self.fc = WithState(), lib.nn.Linear(2, 1)
    return Outer


def _extra_state_story(lib):
    out = []
    n = _modules(lib)()
    n.m.step, n.m.t = 5, lib.ones(2)
    sd = n.state_dict()
    out.append(list(sd))
    n2 = _modules(lib)()
    n2.load_state_dict(sd)
    out.append((n2.m.step, n2.m.t.tolist()))
    no_extra = {k: v for k, v in sd.items() if k != "m._extra_state"}
    out.append(_raises(lambda: n2.load_state_dict(no_extra)))
    r = n2.load_state_dict(no_extra, strict=False)
    out.append((r.missing_keys, r.unexpected_keys))
    lin = lib.nn.Linear(2, 2)
    out.append(_raises(lambda: lin.load_state_dict({**lin.state_dict(), "_extra_state": 1})))
    out.append(list(lin.load_state_dict({**lin.state_dict(), "_extra_state": 1}, strict=False)))
    out.append(_raises(lin.get_extra_state))
    out.append(_raises(lambda: lin.set_extra_state(1)))
    return out


def test_extra_state_matches_torch():
    assert _extra_state_story(al) == _extra_state_story(torch)


def test_extra_state_not_set_by_a_failed_load():
    n = _modules(al)()
    sd = n.state_dict()
    sd["m._extra_state"] = {"step": 9, "t": al.zeros(2)}
    sd["fc.weight"] = al.zeros(3, 3)                 # a size mismatch: nothing of the load happens
    with pytest.raises(RuntimeError, match="size mismatch for fc.weight"):
        n.load_state_dict(sd)
    assert n.m.step == 0


@pytest.mark.parametrize("state", ["dict", "tensor"])
def test_extra_state_checkpoint_round_trip_with_torch(tmp_path, state):
    def extra(lib):
        return {"step": 3, "t": lib.arange(3.0)} if state == "dict" else lib.arange(3.0)

    class Tagged(al.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin, self.state = al.nn.Linear(2, 2), None

        def get_extra_state(self):
            return self.state

        def set_extra_state(self, s):
            self.state = s

    class TorchTagged(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin, self.state = torch.nn.Linear(2, 2), None

        def get_extra_state(self):
            return self.state

        def set_extra_state(self, s):
            self.state = s

    ours = Tagged()
    ours.state = extra(al)
    al.save(ours.state_dict(), tmp_path / "a.pt", format="torch")
    assert Tagged().load_state_dict(al.load(tmp_path / "a.pt")) is not None      # and back in our own
    theirs = TorchTagged()
    theirs.load_state_dict(torch.load(tmp_path / "a.pt"))
    got = theirs.state if state == "tensor" else theirs.state["t"]
    assert torch.equal(got, torch.arange(3.0))
    assert torch.equal(theirs.lin.weight, torch.tensor(ours.lin.weight.detach().numpy()))
    theirs.state = extra(torch) * 2 if state == "tensor" else {"step": 4, "t": torch.arange(3.0) * 2}
    torch.save(theirs.state_dict(), tmp_path / "b.pt")
    back = Tagged()
    back.load_state_dict(al.load(tmp_path / "b.pt"))
    got = back.state if state == "tensor" else back.state["t"]
    assert isinstance(got, al.Tensor) and got.tolist() == [0.0, 2.0, 4.0] and got.dtype == al.float32
    if state == "dict":
        assert back.state["step"] == 4


# ---- 2. torch.compiler

@LIBS
def test_compiler_api(lib):
    c = lib.compiler
    def f(x):
        return x + 1
    assert c.compile(f)(1) == 2
    assert c.disable(f)(1) == 2 and c.disable(recursive=False)(f)(2) == 3 and c.disable(f, reason="io")(3) == 4
    assert (c.is_compiling(), c.is_dynamo_compiling(), c.is_exporting()) == (False, False, False)
    assert c.allow_in_graph(f) is f and c.assume_constant_result(f) is f
    assert c.list_backends() == ["cudagraphs", "inductor", "openxla", "tvm"]
    assert c.reset() is None and c.cudagraph_mark_step_begin() is None

    @c.substitute_in_graph(operator.indexOf)
    def index_of(a, b, /):
        return -1
    assert index_of([1, 2, 3], 3) == 2                   # eager: the original function runs
    assert c.get_default_backend() == "inductor"
    c.set_default_backend("eager")
    assert c.get_default_backend() == "eager"
    c.set_default_backend(None)
    assert c.get_default_backend() == "inductor"
    assert _raises(lambda: c.set_default_backend(3)) == ("TypeError", "backend must be a string or callable, got "
                                                         "<class 'int'>")


@LIBS
def test_set_stance_forms(lib):
    c = lib.compiler
    for stance in ("default", "force_eager", "eager_on_recompile", "fail_on_recompile", "eager_then_compile",
                   "aot_eager_then_compile"):
        c.set_stance(stance)
    c.set_stance("default")
    with c.set_stance("force_eager"):
        pass

    @c.set_stance("force_eager")
    def g(x):
        return x * 2
    assert g(3) == 6
    assert _raises(lambda: c.set_stance("force_eager", force_backend="eager")) == (
        "RuntimeError", "non-default stance cannot have force_backend set")


def test_our_stance_is_recorded_and_restored():
    from autograd_lite import compiler
    compiler.set_stance("default")
    with compiler.set_stance("force_eager"):
        assert compiler._state["stance"] == "force_eager"
    assert compiler._state["stance"] == "default"
    seen = []
    run = compiler.set_stance("eager_then_compile")(lambda: seen.append(compiler._state["stance"]))
    assert compiler._state["stance"] == "default"
    run()
    assert seen == ["eager_then_compile"] and compiler._state["stance"] == "default"


def test_compiler_all_names_exist_in_torch():
    assert set(al.compiler.__all__) <= set(torch.compiler.__all__)


# ---- 3. sym_*

SYM_CASES = [("sym_int", (2.7,)), ("sym_int", (-2.7,)), ("sym_int", (np.int64(3),)), ("sym_float", (2,)),
             ("sym_max", (1, 2)), ("sym_max", (1, 2.0)), ("sym_max", (3.5, np.int32(2))), ("sym_min", (1, 2.5)),
             ("sym_min", (np.float32(1.5), 2)), ("sym_not", (True,)), ("sym_not", (0,)), ("sym_ite", (True, 1, 2)),
             ("sym_ite", (False, 1.0, 2.0)), ("sym_sqrt", (4,)), ("sym_sqrt", (2.0,)), ("sym_sum", ([1, 2, 3],)),
             ("sym_sum", (1, 2, 3)), ("sym_sum", ((1.5, 2),)), ("sym_max", ("a", 1)), ("sym_ite", (1, 1, 2)),
             ("sym_ite", (True, 1, 2.0)), ("sym_sqrt", (-1.0,))]


@pytest.mark.parametrize("name, args", SYM_CASES)
def test_sym_on_numbers(name, args):
    def run(lib):
        try:
            r = getattr(lib, name)(*args)
        except Exception as e:          # noqa: BLE001
            return type(e).__name__, str(e).replace("torch.", "").replace("autograd_lite._small_api.", "")
        return type(r), r
    assert run(al) == run(torch)


@pytest.mark.parametrize("name", ["sym_int", "sym_float", "sym_not", "sym_sqrt"])
def test_sym_on_0dim_tensors(name):
    r, t = getattr(al, name)(al.tensor(2.5)), getattr(torch, name)(torch.tensor(2.5))
    assert type(r) is type(t) and r == t


def test_sym_classes():
    for name in ("SymInt", "SymFloat", "SymBool"):
        assert not isinstance(3, getattr(al, name)) and not isinstance(3, getattr(torch, name))
    with pytest.raises(RuntimeError, match="no symbolic shapes"):
        al.SymInt(None)


# ---- 4. torch.mps / torch.xpu / torch.mtia on a CPU build

@pytest.mark.parametrize("device", ["mps", "xpu", "mtia"])
def test_absent_device_modules_answer_as_torch_cpu_build(device):
    ours, theirs = getattr(al, device), getattr(torch, device)
    assert ours.__all__
    for name in ours.__all__:
        assert name in theirs.__all__, name
        args = {"manual_seed": (1,), "manual_seed_all": (1,), "set_device": (0,), "set_per_process_memory_fraction":
                (0.5,), "set_rng_state": (torch.zeros(2, dtype=torch.uint8),), "set_rng_state_all": ([],)}.get(name, ())
        expect = _raises(lambda: getattr(theirs, name)(*args))
        assert _raises(lambda: getattr(ours, name)(*args)) == expect, name
        if expect is None:
            assert getattr(ours, name)(*args) == getattr(theirs, name)(*args), name
    assert al.backends.mps.is_available() == ours.is_available() if device == "mps" else True


# ---- 5. torch.nn.grad

CONV_CASES = {1: ((2, 4, 11), (6, 2, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
              2: ((2, 4, 9, 8), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
              3: ((2, 4, 7, 6, 5), (6, 2, 3, 2, 2), dict(stride=(2, 1, 2), padding=(1, 0, 1), groups=2))}


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nn_grad_matches_torch(nd, dtype):
    xs, ws, kw = CONV_CASES[nd]
    rng = np.random.default_rng(nd)
    x, w = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
    out = getattr(torch.nn.functional, f"conv{nd}d")(torch.tensor(x), torch.tensor(w), **kw)
    g = rng.standard_normal(tuple(out.shape)).astype(dtype)
    ti = getattr(torch.nn.grad, f"conv{nd}d_input")(xs, torch.tensor(w), torch.tensor(g), **kw)
    tw = getattr(torch.nn.grad, f"conv{nd}d_weight")(torch.tensor(x), ws, torch.tensor(g), **kw)
    ai = getattr(al.nn.grad, f"conv{nd}d_input")(xs, al.tensor(w), al.tensor(g), **kw)
    aw = getattr(al.nn.grad, f"conv{nd}d_weight")(al.tensor(x), ws, al.tensor(g), **kw)
    tol = 1e-4 if dtype == "float32" else 1e-10
    for a, t in ((ai, ti), (aw, tw)):
        assert a.dtype == getattr(al, dtype) and tuple(a.shape) == tuple(t.shape)
        np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=tol, atol=tol)


def test_nn_grad_default_args_and_unbatched_refused():
    x, w = np.random.rand(2, 3, 10).astype("float32"), np.random.rand(4, 3, 3).astype("float32")
    g = np.random.rand(2, 4, 8).astype("float32")
    np.testing.assert_allclose(al.nn.grad.conv1d_weight(al.tensor(x), (4, 3, 3), al.tensor(g)).numpy(),
                               torch.nn.grad.conv1d_weight(torch.tensor(x), (4, 3, 3), torch.tensor(g)).numpy(),
                               rtol=1e-5, atol=1e-5)
    for lib in (al, torch):                 # as torch's: batched input only
        assert _raises(lambda: lib.nn.grad.conv1d_weight(lib.tensor(x[0]), (4, 3, 3), lib.tensor(g[0]))) == (
            "RuntimeError", "Expected 3-dimensional input for 3-dimensional weight [4, 3, 3], but got 2-dimensional "
            "input of size [3, 10] instead")
    assert _raises(lambda: al.nn.grad.conv1d_input((3, 10), al.tensor(w), al.tensor(g[0])))[1].startswith(
        "Expected 3-dimensional input for 3-dimensional weight [4, 3, 3], but got 2-dimensional input of size [3, 10]")


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_nn_grad_is_differentiable(nd):
    xs, ws, kw = CONV_CASES[nd]
    xs, ws = (1,) + xs[1:], ws[:2] + (2,) * nd
    x, w = al.randn(*xs, dtype=al.float64), al.randn(*ws, dtype=al.float64)
    g = al.randn(*al.nn.functional.__dict__[f"conv{nd}d"](x, w, **kw).shape, dtype=al.float64)
    fi, fw = getattr(al.nn.grad, f"conv{nd}d_input"), getattr(al.nn.grad, f"conv{nd}d_weight")
    for t in (x, w, g):
        t.requires_grad_()
    assert al.autograd.gradcheck(lambda w, g: fi(xs, w, g, **kw), (w, g))
    assert al.autograd.gradcheck(lambda x, g: fw(x, ws, g, **kw), (x, g))
    # against torch: the gradient of sum(conv2d_input * r) for the weight and grad_output
    r = np.random.rand(*xs)
    tw, tg = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in (w, g))
    (getattr(torch.nn.grad, f"conv{nd}d_input")(xs, tw, tg, **kw) * torch.tensor(r)).sum().backward()
    (fi(xs, w, g, **kw) * al.tensor(r)).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(g.grad.numpy(), tg.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_nn_grad_errors():
    w = al.randn(4, 3, 3)
    with pytest.raises(RuntimeError, match="conv1d_input"):
        al.nn.grad.conv1d_input((2, 3, 20), w, al.randn(2, 4, 8))
    with pytest.raises(RuntimeError, match="conv1d_weight: expected grad_output of size"):
        al.nn.grad.conv1d_weight(al.randn(2, 3, 10), (4, 3, 3), al.randn(2, 4, 7))
    with pytest.raises(RuntimeError, match="expected input.*to have 6 channels"):
        al.nn.grad.conv2d_weight(al.randn(1, 3, 5, 5), (4, 6, 3, 3), al.randn(1, 4, 3, 3))


# ---- 6. GradScaler, set_anomaly_enabled, empty_permuted, from_file, Event, Stream

def test_grad_scaler_top_level():
    assert al.GradScaler is al.amp.GradScaler and torch.GradScaler is torch.amp.GradScaler


@LIBS
def test_set_anomaly_enabled(lib):
    try:
        lib.set_anomaly_enabled(True)
        assert (lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()) == (True, True)
        lib.set_anomaly_enabled(True, False)
        assert (lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()) == (True, False)
        lib.set_anomaly_enabled(False)
        assert (lib.is_anomaly_enabled(), lib.is_anomaly_check_nan_enabled()) == (False, True)
    finally:
        lib.set_anomaly_enabled(False)


def test_set_anomaly_enabled_is_the_engines_switch():
    try:
        al.set_anomaly_enabled(True)
        x = al.tensor(-1.0, requires_grad=True)
        with pytest.raises(RuntimeError, match="returned nan values"):
            al.sqrt(x).backward()
    finally:
        al.set_anomaly_enabled(False)


@pytest.mark.parametrize("size, layout", [((2, 3, 4, 5), (0, 2, 3, 1)), ((2, 3, 4, 5), (3, 2, 1, 0)), ((4,), (0,)),
                                          ((2, 3), (1, 0)), ((), ())])
def test_empty_permuted(size, layout):
    a, t = al.empty_permuted(size, layout), torch.empty_permuted(size, layout)
    assert tuple(a.shape) == tuple(t.shape) and a.stride() == t.stride() and a.dtype == al.float32
    b = al.empty_permuted(size, layout, dtype=al.float64, requires_grad=True)
    assert b.dtype == al.float64 and b.requires_grad


@pytest.mark.parametrize("layout", [(0, 0), (0,), (0, 2), (0, 1, 2)])
def test_empty_permuted_errors(layout):
    assert _raises(lambda: al.empty_permuted((2, 3), layout)) == _raises(lambda: torch.empty_permuted((2, 3), layout))


def test_from_file(tmp_path):
    path = str(tmp_path / "x.bin")
    np.arange(6, dtype=np.float32).tofile(path)
    for lib in (al, torch):
        t = lib.from_file(path, size=6)
        assert t.tolist() == [0, 1, 2, 3, 4, 5] and t.dtype == lib.float32
        t[0] = 100                                       # private: the file keeps its data
        assert np.fromfile(path, np.float32)[0] == 0
        assert lib.from_file(path).tolist() == []
        assert lib.from_file(path, size=3, dtype=lib.float64).tolist() == torch.from_file(path, size=3,
                                                                                           dtype=torch.float64).tolist()
    for lib in (al, torch):
        lib.from_file(path, shared=True, size=6)[1] = 7  # shared: writes reach the file
        assert np.fromfile(path, np.float32)[1] == 7
        np.arange(6, dtype=np.float32).tofile(path)
    assert _raises(lambda: al.from_file(path, size=7)) == _raises(lambda: torch.from_file(path, size=7))
    missing = str(tmp_path / "none.bin")
    assert _raises(lambda: al.from_file(missing, size=2)) == _raises(lambda: torch.from_file(missing, size=2))
    for lib, name in ((al, "a.bin"), (torch, "b.bin")):
        t = lib.from_file(str(tmp_path / name), shared=True, size=4)
        assert t.tolist() == [0, 0, 0, 0] and (tmp_path / name).stat().st_size == 16
    assert al.from_file(path, size=2, dtype=al.int64).dtype == al.int64


@LIBS
def test_event_and_stream_on_cpu(lib):
    e = lib.Event(device="cpu")
    assert repr(e) == "torch.Event device_type=cpu, device_index=-1, event_flag=0, event_id=0"
    assert e.query() is True and e.synchronize() is None and e.wait() is None and str(e.device) == "cpu"
    assert _raises(e.record) == ("RuntimeError", "cpu backend doesn't support events.")
    assert _raises(lambda: e.elapsed_time(lib.Event())) == (
        "ValueError", "Both events must be created with argument 'enable_timing=True'.")
    s = lib.Stream()
    assert repr(s) == "torch.Stream device_type=cpu, device_index=-1, stream_id=0"
    assert (s.device_index, s.device_type, s.stream_id, s.query()) == (-1, 0, 0, True)
    assert s == lib.Stream() and hash(s) == hash(lib.Stream())
    assert _raises(s.record_event) == ("RuntimeError", "cpu backend doesn't support events.")
    assert s.wait_event(e) is None and s.synchronize() is None
    with s:
        pass
    err = _raises(lambda: lib.Event(device="xpu"))
    assert err[0] == "RuntimeError" and "support for xpu devices" in err[1]



@pytest.mark.parametrize("shape", [(0, 3), (2, 0, 3), (0,), (4, 0), (2, 3)])
def test_strides_of_empty_tensors_as_torch(shape):
    assert al.empty(*shape).stride() == torch.empty(*shape).stride()
    assert al.zeros(*shape).stride() == torch.zeros(*shape).stride()


def test_load_state_dict_result_prints_as_torch():
    for strict_state in ({}, None):
        got, want = (lib.nn.Linear(2, 2).load_state_dict(lib.nn.Linear(2, 2).state_dict() if strict_state is None
                                                         else strict_state, strict=strict_state is None)
                     for lib in (al, torch))
        assert repr(got) == repr(want) and str(got) == str(want) and tuple(got) == tuple(want)
