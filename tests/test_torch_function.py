"""The __torch_function__ protocol: each test body runs with torch 2.13 and with autograd_lite as `lib`, and the two
must agree. Classes are made inside the tests (a Tensor subclass switches the protocol on; the module's fixture
switches it off again, so that the rest of the suite runs as a user's code without subclasses does)."""
import functools

import numpy as np
import pytest
import torch

import autograd_lite
from autograd_lite import _torch_function

@pytest.fixture(autouse=True, scope="module")
def _protocol_off_after():
    was = _torch_function.ENABLED
    yield
    if not was:
        _torch_function.restore()


def _name(lib, qual):
    return qual.replace(lib.__name__ + ".", "torch.")


def both(body):
    """Runs body(torch) and body(autograd_lite); asserts their results are equal (numbers, strings, lists)."""
    def test():
        ref, got = body(torch), body(autograd_lite)
        assert _plain(got) == _plain(ref), (got, ref)
    test.__name__, test.__doc__ = body.__name__, body.__doc__      # not functools.wraps: pytest would ask for `lib`
    return test


def _plain(v):
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, str):
        return v.replace("autograd_lite", "torch")
    if hasattr(v, "detach"):
        return np.round(np.asarray(v.detach().numpy(), dtype=np.float64), 5).tolist()
    return v


# ---- subclasses ------------------------------------------------------------------------------------------------

@both
def test_default_subclass_results_and_autograd(lib):
    class Sub(lib.Tensor):
        pass
    x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
    s = x.as_subclass(Sub)
    out = [type(s).__name__, s.requires_grad, s.is_leaf, s.grad_fn.name()]
    y = (s * 2 + lib.add(s, 1)).relu()
    z = lib.nn.functional.relu(s)
    out += [type(y).__name__, type(z).__name__, type(lib.cat([s, x])).__name__, type(s.sum()).__name__,
            type(s.max(0)).__name__, type(s.max(0).values).__name__, type(s.data).__name__,
            type(s.detach()).__name__, type(s.shape).__name__, str(s.dtype)]
    y.sum().backward()
    out += [type(x.grad).__name__, x.grad]
    return out


@both
def test_parameter_results_are_plain_tensors(lib):
    p = lib.nn.Parameter(lib.ones(2))
    return [lib.nn.Parameter.__torch_function__ is getattr(lib, "_C", lib.overrides)._disabled_torch_function_impl,
            type(p * 2).__name__, type(p.sum()).__name__, type(p.detach()).__name__, type(lib.add(p, p)).__name__]


@both
def test_subclass_metadata_through_ops(lib):
    class Tagged(lib.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            tags = {a.tag for a in args if isinstance(a, Tagged) and hasattr(a, "tag")}
            ret = super().__torch_function__(func, types, args, kwargs or {})
            if isinstance(ret, Tagged) and tags:
                ret.tag = "+".join(sorted(tags))
            return ret
    a = lib.ones(2).as_subclass(Tagged)
    a.tag = "a"
    b = lib.ones(2).as_subclass(Tagged)
    b.tag = "b"
    c = lib.mul(a + b, 3)
    return [c.tag, (a * 2).tag, type(c).__name__, c, hasattr(a, "__dict__")]


@both
def test_logging_subclass_sees_funcs(lib):
    seen = []

    class Logged(lib.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            seen.append(func)
            return super().__torch_function__(func, types, args, kwargs)
    t = lib.ones(2, 2).as_subclass(Logged)
    t + 1
    lib.add(t, 1)
    t.add(1)
    t.sum(dim=0)
    lib.nn.functional.relu(t)
    t[0]
    return [seen[0] is lib.Tensor.add, seen[1] is lib.add, seen[2] is lib.Tensor.add, seen[3] is lib.Tensor.sum,
            seen[4] is lib.nn.functional.relu, seen[5] is lib.Tensor.__getitem__, len(seen)]


@both
def test_new_and_make_subclass_and_extra_attributes(lib):
    class WithMeta(lib.Tensor):
        @staticmethod
        def __new__(cls, x, meta):
            return super().__new__(cls, x)

        def __init__(self, x, meta):
            self.meta = meta

    class Made(lib.Tensor):
        def __new__(cls, data, requires_grad=False):
            return lib.Tensor._make_subclass(cls, data, requires_grad)
    w = WithMeta(lib.ones(2), {"unit": "m"})
    m = Made(lib.tensor([1.0, 2.0]), True)
    (m * m).sum().backward()
    return [type(w).__name__, w.meta["unit"], type(w + 1).__name__, hasattr(w + 1, "meta"), w.requires_grad,
            type(m).__name__, m.is_leaf, m.requires_grad, type(m.grad).__name__, m.grad]


@both
def test_subclass_order_and_not_implemented(lib):
    calls = []

    class A(lib.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            calls.append("A")
            return NotImplemented

    class B(A):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            calls.append("B")
            return NotImplemented
    a, b = lib.ones(1).as_subclass(A), lib.ones(1).as_subclass(B)
    out = []
    for call in (lambda: lib.add(a, b), lambda: a.add(b), lambda: lib.nn.functional.relu(b)):
        with pytest.raises(TypeError) as e:
            call()
        out.append(_name(lib, str(e.value)))
    with pytest.raises(TypeError) as e:
        a + 1
    out.append(str(e.value))
    return out + [calls]


@both
def test_as_subclass_errors(lib):
    with pytest.raises(TypeError) as e:
        lib.ones(1).as_subclass(int)
    return str(e.value)


# ---- tensor-likes (torch's docs, "Extending torch with a Tensor-like type") ------------------------------------

def _scalar_tensor_body(lib):
    __import__(lib.__name__ + ".overrides")
    handled = {}

    def implements(torch_function):
        def decorator(func):
            functools.update_wrapper(func, torch_function)
            handled[torch_function] = func
            return func
        return decorator

    class ScalarTensor:
        def __init__(self, N, value):
            self._N, self._value = N, value

        def tensor(self):
            return self._value * lib.eye(self._N)

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            if kwargs is None:
                kwargs = {}
            if func not in handled or not all(issubclass(t, (lib.Tensor, ScalarTensor)) for t in types):
                return NotImplemented
            return handled[func](*args, **kwargs)

    @implements(lib.mean)
    def mean(input):
        return float(input._value) / input._N

    @implements(lib.add)
    def add(input, other):
        if isinstance(input, ScalarTensor) and isinstance(other, ScalarTensor):
            return ScalarTensor(input._N, input._value + other._value)
        return lib.add(input.tensor() if isinstance(input, ScalarTensor) else input,
                       other.tensor() if isinstance(other, ScalarTensor) else other)
    d = ScalarTensor(5, 2)
    out = [lib.mean(d), lib.add(d, d)._value, lib.add(d, lib.ones(5, 5)), mean.__name__]
    with pytest.raises(TypeError) as e:
        lib.sum(d)
    out.append(_name(lib, str(e.value)).replace(".<locals>", ""))
    from_overrides = __import__(lib.__name__ + ".overrides", fromlist=["x"])
    out += [from_overrides.is_tensor_like(d), from_overrides.is_tensor_like(lib.ones(1)),
            from_overrides.is_tensor_like(1.0), from_overrides.has_torch_function((d,)),
            from_overrides.has_torch_function((lib.ones(1),)), from_overrides.has_torch_function_variadic(1, d),
            from_overrides.has_torch_function_unary(lib.nn.Parameter(lib.ones(1)))]
    return out


test_scalar_tensor_like = both(_scalar_tensor_body)


@both
def test_handle_torch_function_in_python_code(lib):
    ov = __import__(lib.__name__ + ".overrides", fromlist=["x"])

    def double(x):
        if ov.has_torch_function_unary(x):
            return ov.handle_torch_function(double, (x,), x)
        return x * 2

    class Sub(lib.Tensor):
        pass

    class Refuses(lib.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented
    s = double(lib.ones(2).as_subclass(Sub))
    with pytest.raises(TypeError) as e:
        double(lib.ones(2).as_subclass(Refuses))
    msg = str(e.value).replace(__name__, "M").replace(".<locals>", "")
    return [type(s).__name__, s, msg.split(" on types")[0].rsplit(".", 1)[-1], msg.split(": ", 1)[1],
            lib.nn.functional.has_torch_function is not None, lib.nn.functional.handle_torch_function is not None]


# ---- modes -----------------------------------------------------------------------------------------------------

@both
def test_mode_sees_every_call(lib):
    ov = __import__(lib.__name__ + ".overrides", fromlist=["x"])
    seen = []

    class Log(ov.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append(func)
            return func(*args, **(kwargs or {}))
    a = lib.ones(2)
    with Log() as mode:
        a + a
        lib.add(a, a)
        lib.nn.functional.relu(a)
        z = lib.zeros(2)
        a.sum()
        a.shape
        current = ov._get_current_function_mode() is mode
    after = len(seen)
    a + a
    return [seen[0] is lib.Tensor.add, seen[1] is lib.add, seen[2] is lib.nn.functional.relu, seen[3] is lib.zeros,
            seen[4] is lib.Tensor.sum, seen[5] == lib.Tensor.shape.__get__, after == len(seen), current,
            ov._get_current_function_mode() is None, type(z).__name__, lib.overrides is ov]


@both
def test_mode_can_change_results_and_nest(lib):
    ov = __import__(lib.__name__ + ".overrides", fromlist=["x"])

    class AddIsSub(ov.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            if func is lib.add or func is lib.Tensor.add:
                return lib.sub(*args, **(kwargs or {}))
            return func(*args, **(kwargs or {}))

    class Count(ov.TorchFunctionMode):
        def __init__(self):
            super().__init__()
            self.n = 0

        def __torch_function__(self, func, types, args=(), kwargs=None):
            self.n += 1
            return func(*args, **(kwargs or {}))
    a = lib.tensor([5.0, 7.0])
    with AddIsSub():
        with Count() as counter:
            r = lib.add(a, 1)
    return [r, counter.n]


def test_disable_torch_function():
    for lib, ns in ((torch, torch._C), (autograd_lite, None)):
        ov = __import__(lib.__name__ + ".overrides", fromlist=["x"])
        ns = ns or ov
        seen = []

        class Log(ov.TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                seen.append(func)
                return func(*args, **(kwargs or {}))

        class Sub(lib.Tensor):
            pass
        s = lib.ones(2).as_subclass(Sub)
        with ns.DisableTorchFunctionSubclass():
            assert type(s + 1) is lib.Tensor
            with Log():
                s + 1
        assert len(seen) == 1
        with ns.DisableTorchFunction():
            with Log():
                s + 1
        assert len(seen) == 1 and type(s + 1) is Sub


def test_gradcheck_through_subclass():
    class Sub(autograd_lite.Tensor):
        pass
    x = autograd_lite.tensor(np.random.default_rng(0).standard_normal(4), dtype=autograd_lite.float64,
                             requires_grad=True)
    assert autograd_lite.autograd.gradcheck(lambda t: (t.as_subclass(Sub).tanh() * 3).sum(), (x,))
    y = x.as_subclass(Sub)
    g, = autograd_lite.autograd.grad((y * y).sum(), x, create_graph=True)
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * np.ones(4))


def test_tensor_likes_and_handler_tables_work_from_import():
    """In a fresh process, before any Tensor subclass or mode exists: torch's docs' tensor-like (no Tensor subclass)
    and a handler table keyed by the public functions, taken at import, as torch's."""
    import subprocess
    import sys
    script = (
        "import sys, importlib\n"
        "lib = importlib.import_module(sys.argv[1])\n"
        "from %s import add as imported_add\n"
        "HANDLED = {}\n"
        "class ScalarLike:\n"
        "    def __init__(self, v): self.v = v\n"
        "    @classmethod\n"
        "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
        "        return HANDLED[func](*args) if func in HANDLED else NotImplemented\n"
        "HANDLED[lib.mean] = lambda x: x.v / 5\n"
        "HANDLED[lib.add] = lambda a, b: 'added'\n"
        "HANDLED[lib.nn.functional.relu] = lambda x: 'relu'\n"
        "s = ScalarLike(2.0)\n"
        "print(lib.mean(s), lib.add(s, s), imported_add(s, 1), lib.nn.functional.relu(s))\n")
    outs = [subprocess.run([sys.executable, "-c", script % name, name], capture_output=True, text=True, timeout=120)
            for name in ("torch", "autograd_lite")]
    assert outs[0].returncode == 0 and outs[1].returncode == 0, outs[1].stderr[-2000:]
    assert outs[1].stdout == outs[0].stdout == "0.4 added added relu\n"


def test_public_functions_pickle_by_name():
    """Functions pickle by reference, as torch's, so modules holding one (TransformerEncoderLayer's activation)
    pickle whole."""
    import pickle
    F = autograd_lite.nn.functional
    for fn in (autograd_lite.add, autograd_lite.exp, autograd_lite.cat, autograd_lite.t, F.relu, F.cross_entropy,
               autograd_lite.linalg.norm, autograd_lite.fft.rfft, autograd_lite.special.erfcx):
        assert pickle.loads(pickle.dumps(fn)) is fn, fn
    assert autograd_lite.pixel_shuffle is F.pixel_shuffle and F.relu.__name__ == "relu"
    autograd_lite.manual_seed(0)
    layer = autograd_lite.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16).eval()
    copy = pickle.loads(pickle.dumps(layer))
    x = autograd_lite.randn(3, 2, 8)
    np.testing.assert_array_equal(copy(x).detach().numpy(), layer(x).detach().numpy())


@both
def test_parameter_subclass_built_in_new(lib):
    """bitsandbytes' / torchao's pattern: a Parameter subclass whose __new__ calls super().__new__ and reads it."""
    class QParam(lib.nn.Parameter):
        def __new__(cls, data, requires_grad=False, quant_state=None):
            self = super().__new__(cls, data, requires_grad)
            self.quant_state, self.rows = quant_state, self.shape[0]
            return self
    p = QParam(lib.ones(4, 2), quant_state="q")
    m = lib.nn.Linear(2, 4)
    m.weight = p
    return [type(p).__name__, p.quant_state, p.rows, p.requires_grad, type(m.weight).__name__,
            [n for n, _ in m.named_parameters()], type(m(lib.ones(1, 2))).__name__]


@both
def test_sequential_keeps_the_subclass_and_modes_see_each_layer(lib):
    """A Sequential's fused runs (Linear chains, conv + ReLU + pool) step aside for subclasses and modes."""
    from_overrides = __import__(lib.__name__ + ".overrides", fromlist=["x"])
    seen = []

    class Count(from_overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            seen.append(getattr(func, "__name__", "?"))
            return func(*args, **(kwargs or {}))

    class Sub(lib.Tensor):
        pass
    lib.manual_seed(0)
    m = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2))
    out = [type(m(lib.ones(3, 4).as_subclass(Sub))).__name__]
    with Count():
        m(lib.ones(3, 4))
    return out + [[n for n in seen if n in ("linear", "relu")]]


def test_subclass_pickles_with_its_type_and_attributes():
    """(The classes are made here, not at import: a Tensor subclass switches the protocol on for the process.)"""
    import pickle

    class Tagged(autograd_lite.Tensor):
        pass

    class TorchTagged(torch.Tensor):
        pass
    for cls in (Tagged, TorchTagged):           # pickle finds classes by module and name
        cls.__qualname__ = cls.__name__
        globals()[cls.__name__] = cls
    for lib, cls in ((torch, TorchTagged), (autograd_lite, Tagged)):
        x = lib.ones(3).as_subclass(cls).requires_grad_()
        x.tag = 5
        y = pickle.loads(pickle.dumps(x))
        assert (type(y), y.tag, y.requires_grad, y.tolist()) == (cls, 5, True, [1.0, 1.0, 1.0])
