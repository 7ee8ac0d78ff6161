"""torch.library (custom_op, register_autograd / fake / kernel, Library, define, impl, opcheck) and torch.ops lookup,
against torch 2.13: each test writes its user code once as `build(lib, ns)` and runs it on both libraries, then
compares values, gradients, versions, schemas and error messages. Every test gets its own namespace (`ns`), and the
fixture destroys what both libraries registered in it, as torch's Library destruction does."""
import contextlib
import gc
import itertools
import typing
import warnings

import numpy as np
import pytest

import autograd_lite as al

torch = pytest.importorskip("torch")
LIBS = (torch, al)
_count = itertools.count()


def _cleanup(lib, ns):
    """Destroys every Library of namespace `ns` the module-level APIs keep alive (custom_op's and define's)."""
    if lib is torch:
        from torch._library import custom_ops as opdefs
        keep = torch.library._keep_alive
    else:
        from autograd_lite.library import _custom_ops as opdefs
        keep = al.library._keep_alive
    for name in [q for q in opdefs.OPDEF_TO_LIB if q.startswith(ns + "::")]:
        opdefs.OPDEF_TO_LIB.pop(name)._destroy()
    for lib_ in [x for x in keep if x.ns == ns]:
        keep.remove(lib_)
        lib_._destroy()


@pytest.fixture
def ns():
    name = f"altest{next(_count)}"
    yield name
    for lib in LIBS:
        _cleanup(lib, name)


def both(build, ns):
    """`build(lib, ns)` on torch then on autograd_lite."""
    return build(torch, ns), build(al, ns)


def err(fn):
    """(exception type name, message) of fn(), or None if it raised nothing."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001  (any exception is compared)
        return type(e).__name__, str(e)
    return None


def np_(t):
    return t.detach().numpy().copy()


def version(t):
    return t._version if isinstance(t._version, int) else t._version[0]


def numpy_sin_op(lib, ns, with_autograd=True):
    """The PyTorch docs' numpy_sin, with its register_autograd example."""
    Tensor = lib.Tensor

    @lib.library.custom_op(f"{ns}::numpy_sin", mutates_args=())
    def numpy_sin(x: Tensor) -> Tensor:
        return lib.from_numpy(np.sin(x.numpy()))

    def setup_context(ctx, inputs, output):
        x, = inputs
        ctx.save_for_backward(x)

    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * x.cos()

    if with_autograd:
        numpy_sin.register_autograd(backward, setup_context=setup_context)
    return numpy_sin


X = np.array([0.5, -1.5, 2.0, -0.25], np.float32)


# ------------------------------------------------------------------------------------------------ custom_op

def test_numpy_sin_values_gradients_and_double_backward(ns):
    def build(lib, ns):
        op = numpy_sin_op(lib, ns)
        x = lib.tensor(X, requires_grad=True)
        y = op(x)
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), x)      # backward is made of differentiable ops: second order works
        return np_(y), y.dtype.is_floating_point, y.grad_fn.name(), np_(g), g.requires_grad, np_(gg), str(y.dtype)
    t, a = both(build, ns)
    for u, v in zip(t[:2] + t[3:4] + t[5:6], a[:2] + a[3:4] + a[5:6]):
        np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-6)
    assert t[2] == a[2] == f"GeneratedBackwardFor_{ns}_numpy_sin_defaultBackward"
    assert t[4] is a[4] is True
    assert t[6].split(".")[-1] == a[6].split(".")[-1] == "float32"
    op = al.ops.__getattr__(ns).numpy_sin      # the same op through torch.ops
    x64 = al.tensor(X.astype(np.float64), requires_grad=True)
    assert al.autograd.gradcheck(op, (x64,))


def test_backward_without_registered_autograd_raises_torch_error(ns):
    def build(lib, ns):
        op = numpy_sin_op(lib, ns, with_autograd=False)
        x = lib.tensor(X, requires_grad=True)
        y = op(x)
        free = op(lib.tensor(X))
        return y.requires_grad, free.requires_grad, err(lambda: y.sum().backward())
    t, a = both(build, ns)
    assert t == a
    assert a[2] == ("RuntimeError", f"Trying to backward through {ns}.numpy_sin.default but no autograd formula was "
                    "registered. Please use register_autograd to add one.")


def test_mutating_op_bumps_version_and_refuses_autograd(ns):
    def build(lib, ns):
        Tensor = lib.Tensor

        @lib.library.custom_op(f"{ns}::numpy_sin_inplace", mutates_args={"x"}, device_types="cpu")
        def numpy_sin_inplace(x: Tensor) -> None:
            x_np = x.numpy()
            np.sin(x_np, out=x_np)

        @lib.library.custom_op(f"{ns}::add_all", mutates_args={"xs"})
        def add_all(xs: list[Tensor], v: float) -> None:
            for t in xs:
                t.add_(v)

        x = lib.tensor(X)
        v0 = version(x)
        ret = numpy_sin_inplace(x)
        xs = [lib.zeros(2), lib.zeros(2)]
        add_all(xs, 1.5)
        return (ret, version(x) - v0, np_(x), [np_(t) for t in xs], [version(t) for t in xs],
                str(numpy_sin_inplace._opoverload._schema),
                err(lambda: numpy_sin_inplace.register_autograd(lambda ctx, g: g)))
    t, a = both(build, ns)
    assert t[0] is a[0] is None
    assert t[1] == a[1] == 1
    np.testing.assert_allclose(a[2], np.sin(X), rtol=1e-6)
    np.testing.assert_allclose(t[2], a[2], rtol=1e-6)
    np.testing.assert_array_equal(np.array(t[3]), np.array(a[3]))
    assert t[4] == a[4] == [2, 2]           # add_ bumps once, the op's declared mutation once more
    assert t[5] == a[5] == f"{ns}::numpy_sin_inplace(Tensor(a0!) x) -> ()"
    assert t[6] == a[6]
    assert "Cannot register autograd formula for non-functional operator" in a[6][1]


def test_multi_output_op(ns):
    def build(lib, ns):
        Tensor = lib.Tensor

        @lib.library.custom_op(f"{ns}::scale2", mutates_args=())
        def scale2(x: Tensor, w: Tensor) -> tuple[Tensor, Tensor]:
            return x * w, x * 3

        def backward(ctx, g1, g2):
            x, w = ctx.saved_tensors
            return g1 * w + g2 * 3, g1 * x

        scale2.register_autograd(backward, setup_context=lambda ctx, inputs, output: ctx.save_for_backward(*inputs))
        x = lib.tensor(X, requires_grad=True)
        w = lib.tensor(X[::-1].copy(), requires_grad=True)
        out = scale2(x, w)
        p, q = out
        (p.sum() * 2 + q.sum()).backward()
        both_grads = np_(x.grad), np_(w.grad)
        x.grad = w.grad = None
        p, q = scale2(x, w)
        q.sum().backward()            # only one output used: the other's gradient comes as zeros
        return type(out).__name__, np_(p), np_(q), both_grads, np_(x.grad), w.grad
    t, a = both(build, ns)
    assert t[0] == a[0] == "tuple"
    for u, v in zip((t[1], t[2], *t[3], t[4]), (a[1], a[2], *a[3], a[4])):
        np.testing.assert_allclose(u, v, rtol=1e-6)
    assert a[5] is not None and t[5] is not None
    np.testing.assert_allclose(np_(t[5]), np_(a[5]))


def test_tensor_list_input_and_output(ns):
    def build(lib, ns):
        Tensor = lib.Tensor
        seen = []

        @lib.library.custom_op(f"{ns}::weighted_sum", mutates_args=())
        def weighted_sum(tensors: list[Tensor], weights: list[float]) -> Tensor:
            return sum(t * w for t, w in zip(tensors, weights))

        def setup(ctx, inputs, output):
            ctx.weights = inputs[1]

        def backward(ctx, grad):
            seen.append(ctx.needs_input_grad)
            return [grad * w for w in ctx.weights], None

        weighted_sum.register_autograd(backward, setup_context=setup)

        @lib.library.custom_op(f"{ns}::split2", mutates_args=())
        def split2(x: Tensor) -> list[Tensor]:
            return [x * 1, x * 2]

        split2.register_autograd(lambda ctx, grads: grads[0] + 2 * grads[1])
        a = lib.tensor(X, requires_grad=True)
        b = lib.tensor(X + 1, requires_grad=True)
        c = lib.tensor(X)
        weighted_sum([a, b, c], [0.3, 0.7, 2.0]).sum().backward()
        parts = split2(a)
        parts[1].sum().backward()

        def wrong(ctx, grad):
            return grad, None
        weighted_sum.register_autograd(wrong)
        bad = err(lambda: weighted_sum([a, b], [1.0, 1.0]).sum().backward())
        return np_(a.grad), np_(b.grad), c.grad, seen, type(parts).__name__, bad
    t, a = both(build, ns)
    np.testing.assert_allclose(t[0], a[0], rtol=1e-6)
    np.testing.assert_allclose(t[1], a[1], rtol=1e-6)
    assert t[2] is a[2] is None
    assert [tuple(x) for x in t[3]] == [tuple(x) for x in a[3]] == [([True, True, False], False)]
    assert t[4] == a[4] == "list"
    assert t[5][0] == a[5][0] == "RuntimeError"
    assert a[5][1].startswith("Expected the return from backward to be of the same structure as the inputs.")


def test_keyword_only_args_setup_context_and_defaults(ns):
    def build(lib, ns):
        Tensor = lib.Tensor
        calls = []

        @lib.library.custom_op(f"{ns}::numpy_mul", mutates_args=())
        def numpy_mul(x: Tensor, a: float = 2.0, *, val: float = 1.0) -> Tensor:
            calls.append((a, val))
            return lib.from_numpy(x.numpy() * a * val)

        def setup_context(ctx, inputs, keyword_only_inputs, output):
            ctx.scale = inputs[1] * keyword_only_inputs["val"]

        numpy_mul.register_autograd(lambda ctx, grad: grad * ctx.scale, setup_context=setup_context)
        x = lib.tensor(X, requires_grad=True)
        g1, = lib.autograd.grad(numpy_mul(x, val=3.14).sum(), x)
        g2 = err(lambda: lib.autograd.grad(numpy_mul(x, 3.0, val=3.14).sum(), x))    # a is now a Function input
        return np_(g1), calls, g2
    t, a = both(build, ns)
    np.testing.assert_allclose(t[0], a[0], rtol=1e-6)
    np.testing.assert_allclose(a[0], np.full(4, 2 * 3.14, np.float32), rtol=1e-6)
    assert t[1] == a[1]
    assert t[2] == a[2]
    assert a[2][1] == (f"function GeneratedBackwardFor_{ns}_numpy_mul_defaultBackward returned an incorrect number "
                       "of gradients (expected 3, got 2)")


def test_aliasing_output_is_refused(ns):
    def build(lib, ns):
        Tensor = lib.Tensor

        @lib.library.custom_op(f"{ns}::same", mutates_args=())
        def same(x: Tensor) -> Tensor:
            return x

        @lib.library.custom_op(f"{ns}::view", mutates_args=())
        def view(x: Tensor) -> Tensor:
            return x.view(-1)

        return err(lambda: same(lib.tensor(X))), err(lambda: view(lib.tensor(X)))
    t, a = both(build, ns)
    for u, v in zip(t, a):
        assert u[0] == v[0] == "RuntimeError"
        tail = "The output of this custom operator (1) must not also be an input to this custom operator"
        assert u[1].split("): ", 1)[1] == v[1].split("): ", 1)[1]
        assert v[1].split("): ", 1)[1].startswith(tail)


def test_register_kernel_set_kernel_enabled_and_device_types(ns):
    def build(lib, ns):
        Tensor = lib.Tensor

        @lib.library.custom_op(f"{ns}::f", mutates_args=())
        def f(x: Tensor) -> Tensor:
            return lib.zeros(1)

        @f.register_kernel("cpu")
        def _(x):
            return lib.ones(1)

        inp = lib.ones(1)
        out = [f(inp).item()]
        with f.set_kernel_enabled("cpu", enabled=False):
            out.append(f(inp).item())
        out.append(f(inp).item())

        @lib.library.custom_op(f"{ns}::cuda_only", mutates_args=(), device_types="cuda")
        def cuda_only(x: Tensor) -> Tensor:
            return x + 1

        @lib.library.custom_op(f"{ns}::factory", mutates_args=(), device_types="cpu")
        def factory(device: lib.device) -> Tensor:
            return lib.ones(3)

        @lib.library.custom_op(f"{ns}::factory2", mutates_args=())
        def factory2(n: int) -> Tensor:
            return lib.ones(n)

        return (out, err(lambda: cuda_only(inp))[1].split(" This could be")[0], np_(factory("cpu")),
                err(lambda: factory2.register_kernel("cpu", lambda n: lib.zeros(n))), np_(factory2(2)))
    t, a = both(build, ns)
    assert t[0] == a[0] == [1.0, 0.0, 1.0]
    assert t[1] == a[1] == f"Could not run '{ns}::cuda_only' with arguments from the 'CPU' backend."
    np.testing.assert_array_equal(t[2], a[2])
    assert t[3] == a[3] == ("ValueError", "Functions without tensor inputs are required to have a `device: "
                            "torch.device` argument")
    np.testing.assert_array_equal(t[4], a[4])


def test_redefining_a_custom_op_replaces_it(ns):
    def build(lib, ns):
        Tensor = lib.Tensor
        for k in (1.0, 5.0):
            @lib.library.custom_op(f"{ns}::g", mutates_args=())
            def g(x: Tensor) -> Tensor:
                return x * k
        return getattr(lib.ops, ns).g(lib.ones(1)).item()
    assert both(build, ns) == (5.0, 5.0)


# ------------------------------------------------------------------------------------------------ schemas

def test_infer_schema_matches_torch():
    def cases(lib):
        Tensor, Optional = lib.Tensor, typing.Optional

        def many(x: Tensor, a: int, b: float, c: bool, d: str, e: list[Tensor], f: list[int], g: Optional[Tensor],
                 h: Optional[int] = None, i: float = 2, *, k: float = 1.5, s: str = "hi",
                 dt: lib.dtype = lib.float32, bb: bool = True) -> tuple[Tensor, Tensor]:
            pass

        def lists(x: Tensor, y: Optional[list[int]], z: list[Optional[Tensor]], n: typing.Union[int, float, bool],
                  m: typing.Sequence[float]) -> int:
            pass

        def ret_list(x: Tensor) -> list[Tensor]:
            pass

        def ret_one(x: Tensor) -> tuple[Tensor]:
            pass

        def ret_none(x: Tensor, y: Tensor | None) -> None:
            pass

        infer = lib.library.infer_schema
        return [infer(many, mutates_args=()), infer(many, mutates_args="unknown"),
                infer(many, mutates_args={"x", "e"}, op_name="foo"), infer(lists, mutates_args=()),
                infer(ret_list, mutates_args=()), infer(ret_one, mutates_args=()), infer(ret_none, mutates_args=())]
    t, a = cases(torch), cases(al)
    assert t == a


def test_infer_schema_and_custom_op_errors_match_torch(ns):
    def build(lib, ns):
        Tensor = lib.Tensor

        def no_ann(x: Tensor, y) -> Tensor: pass
        def no_ret(x: Tensor): pass             # noqa: E704
        def varargs(x: Tensor, *args) -> Tensor: pass      # noqa: E704
        def tup(x: Tensor, y: tuple[int, int]) -> Tensor: pass     # noqa: E704
        def dct(x: Tensor, y: dict) -> Tensor: pass         # noqa: E704
        def bad_ret(x: Tensor) -> dict: pass         # noqa: E704
        def two(x: Tensor, n: int) -> Tensor: pass   # noqa: E704
        def bad_default(x: Tensor, y: list[int] = [1]) -> Tensor: pass   # noqa: E704,B006
        def kw_tensor(x: Tensor, *, y: Tensor) -> Tensor: pass    # noqa: E704

        def f(x: Tensor) -> Tensor:
            return x.clone()
        co = lib.library.custom_op
        return [err(lambda: co(f"{ns}::a", no_ann, mutates_args=())),
                err(lambda: co(f"{ns}::a", no_ret, mutates_args=())),
                err(lambda: co(f"{ns}::a", varargs, mutates_args=())),
                err(lambda: co(f"{ns}::a", tup, mutates_args=()))[1].split("The valid types")[0],
                err(lambda: co(f"{ns}::a", dct, mutates_args=()))[1].split("The valid types")[0],
                err(lambda: co(f"{ns}::a", bad_ret, mutates_args=()))[1].split("The valid types")[0],
                err(lambda: co(f"{ns}::a", two, mutates_args=("n",))),
                err(lambda: co(f"{ns}::a", two, mutates_args=("z",))),
                err(lambda: co(f"{ns}::a", two, mutates_args="all")),
                err(lambda: co(f"{ns}::a", bad_default, mutates_args=())),
                err(lambda: co(f"{ns}::a", kw_tensor, mutates_args=())),
                err(lambda: co(f"{ns}::a", f)),
                err(lambda: co(f"{ns}::a")(f)),
                err(lambda: co("nonamespace", f, mutates_args=())),
                err(lambda: co("a::b::c", f, mutates_args=())),
                err(lambda: co(f"{ns}::b-c", f, mutates_args=()))[0],
                err(lambda: co(f"{ns}::s", lambda x: None, mutates_args=(), schema="(Tensor(a!) x) -> ()"))]
    t, a = both(build, ns)
    for u, v in zip(t, a):      # the signatures in the messages name each library's Tensor class
        assert str(u).replace("torch.Tensor", "T") == str(v).replace("autograd_lite.tensor.Tensor", "T")


def test_call_errors_match_torch(ns):
    def build(lib, ns):
        op = numpy_sin_op(lib, ns)
        lib_ = lib.library.Library(ns, "FRAGMENT")
        lib_.define("npmul(Tensor x, float a=2., *, int k=3) -> Tensor")
        lib_.impl("npmul", lambda x, a=2.0, *, k=3: x * a * k, "CPU")
        mul = getattr(lib.ops, ns).npmul
        x = lib.tensor(X)
        return [err(lambda: op(x, 3)), err(lambda: op(3)), err(lambda: op(y=x)), err(lambda: mul(x, 1.0, 5)),
                err(lambda: mul(x, z=5)), err(lambda: mul(x, a=3.0, k=2.5))[1].split("\nCast error")[0],
                err(lambda: mul([x])), str(mul.default._schema), mul(x, k=1).numpy().tolist()]
    t, a = both(build, ns)
    for u, v in zip(t, a):
        assert u == v


# ------------------------------------------------------------------------------------------------ torch.ops

def test_torch_ops_lookup(ns):
    def build(lib, ns):
        op = numpy_sin_op(lib, ns)
        space = getattr(lib.ops, ns)
        packet = space.numpy_sin
        return (type(packet).__name__, str(packet), str(packet.default), packet.overloads(), packet.default.name(),
                packet.default._schema is not None, np_(packet(lib.tensor(X))), np_(op(lib.tensor(X))),
                err(lambda: space.nothere), err(lambda: packet.nothere))
    t, a = both(build, ns)
    assert t[:6] == a[:6] == ("OpOverloadPacket", f"{ns}.numpy_sin", f"{ns}.numpy_sin.default", ["default"],
                              f"{ns}::numpy_sin", True)
    np.testing.assert_allclose(t[6], a[6], rtol=1e-6)
    np.testing.assert_allclose(a[6], a[7])
    assert t[8:] == a[8:]
    assert a[8] == ("AttributeError", f"'_OpNamespace' '{ns}' object has no attribute 'nothere'")
    # autograd_lite.ops is also the internal op package: its names stay as they were, and cannot be namespaces
    assert al.exp._torch_function_impl is al.ops.exp          # (autograd_lite.exp: its __torch_function__ wrapper)
    assert err(lambda: al.ops.no_such_namespace)[0] == "AttributeError"
    with pytest.raises(ValueError, match="internal name of autograd_lite.ops"):
        al.library.Library("math", "FRAGMENT")


# ------------------------------------------------------------------------------------------------ Library, define, impl

def test_library_define_impl_and_errors(ns):
    def build(lib, ns):
        mylib = lib.library.Library(ns, "DEF")
        out = [repr(mylib), err(lambda: lib.library.Library(ns, "DEF"))[1].split("; please")[0],
               err(lambda: lib.library.Library(ns, "FOO")), err(lambda: lib.library.Library("prim", "DEF")),
               mylib.define("mysin(Tensor x) -> Tensor"),
               err(lambda: mylib.define("mysin(Tensor x) -> Tensor"))[1].split(" Duplicate")[0],
               err(lambda: mylib.define("bad(Tensor x, Foo y) -> Tensor")),
               err(lambda: mylib.define("b2(Tensor x) -> Tensor", alias_analysis="PURE")),
               err(lambda: getattr(lib.ops, ns).mysin(lib.tensor(X)))[1].split(" This could be")[0],
               err(lambda: mylib.impl("mysin", 3, "CPU")),
               err(lambda: mylib.impl("mysin", lambda x: x, "Foo"))]
        mylib.impl("mysin", lambda x: x.sin() + 1, "CPU")
        out.append(np_(getattr(lib.ops, ns).mysin(lib.tensor(X))))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mylib.impl("mysin", lambda x: x.sin() + 2, "CPU")
        out.append(np_(getattr(lib.ops, ns).mysin(lib.tensor(X))))
        out.append(err(lambda: mylib.impl("mysin", lambda x: x, "CPU", allow_override=False)))
        impl_only = lib.library.Library(ns, "IMPL")
        out.append(err(lambda: impl_only.define("d(Tensor x) -> Tensor"))[1].split("  (Error")[0])
        return out
    t, a = both(build, ns)
    for u, v in zip(t[:-4] + t[-2:], a[:-4] + a[-2:]):
        assert u == v
    np.testing.assert_allclose(t[-4], a[-4], rtol=1e-6)
    np.testing.assert_allclose(a[-4], np.sin(X) + 1, rtol=1e-6)
    np.testing.assert_allclose(a[-3], np.sin(X) + 2, rtol=1e-6)


def test_autograd_and_composite_keys(ns):
    def build(lib, ns):
        below = torch._C._AutoDispatchBelowAutograd if lib is torch else contextlib.nullcontext
        mylib = lib.library.Library(ns, "DEF")
        mylib.define("mysin(Tensor x) -> Tensor")
        mylib.impl("mysin", lambda x: lib.from_numpy(np.sin(x.detach().numpy())), "CPU")

        class MySin(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                with below():
                    return getattr(lib.ops, ns).mysin(x)

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * x.cos()

        mylib.impl("mysin", MySin.apply, "Autograd")
        mylib.define("cia(Tensor x) -> Tensor")
        mylib.impl("cia", lambda x: x.sin() * 2, "CompositeImplicitAutograd")
        mylib.define("nodiff(Tensor x) -> Tensor")
        mylib.impl("nodiff", lambda x: x * 2, "CPU")
        mylib.impl("nodiff", lib.library.fallthrough_kernel, "Autograd")
        x = lib.tensor(X, requires_grad=True)
        y = getattr(lib.ops, ns).mysin(x)
        y.sum().backward()
        g1 = np_(x.grad)
        x.grad = None
        getattr(lib.ops, ns).cia(x).sum().backward()
        n = getattr(lib.ops, ns).nodiff(x)
        return np_(y), y.grad_fn.name(), g1, np_(x.grad), n.requires_grad, n.grad_fn.name()
    t, a = both(build, ns)
    np.testing.assert_allclose(t[0], a[0], rtol=1e-6)
    assert t[1] == a[1] == "MySinBackward"
    np.testing.assert_allclose(a[2], np.cos(X), rtol=1e-6)
    np.testing.assert_allclose(t[3], a[3], rtol=1e-6)
    np.testing.assert_allclose(a[3], 2 * np.cos(X), rtol=1e-6)
    assert t[4:] == a[4:] == (True, "MulBackward0")


def test_backend_kernel_without_autograd_warns_at_backward(ns):
    def build(lib, ns):
        mylib = lib.library.Library(ns, "DEF")
        mylib.define("npsin(Tensor x) -> Tensor")
        mylib.impl("npsin", lambda x: lib.from_numpy(np.sin(x.detach().numpy())), "CPU")
        x = lib.tensor(X, requires_grad=True)
        y = getattr(lib.ops, ns).npsin(x)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y.sum().backward()
        return y.requires_grad, y.grad_fn.name(), x.grad, [str(w.message).split(". This")[0] for w in caught]
    t, a = both(build, ns)
    assert t == a
    assert a[:3] == (True, "torch::autograd::WarnNotImplemented", None)
    assert a[3] == [f"{ns}::npsin: an autograd kernel was not registered to the Autograd key(s) but we are trying to "
                    "backprop through it"]


def test_module_define_impl_register_autograd_and_overloads(ns):
    def build(lib, ns):
        L = lib.library
        L.define(f"{ns}::f", "(Tensor x, float a) -> Tensor")
        out = [err(lambda: L.define(f"{ns}::f", "(Tensor x, float a) -> Tensor"))[1].split(" Duplicate")[0],
               err(lambda: L.define(f"{ns}::g", "g(Tensor x) -> Tensor")),
               err(lambda: L.define(3, "(Tensor x) -> Tensor"))]

        @L.impl(f"{ns}::f", "cpu")
        def f_cpu(x, a):
            return x * a
        out.append(np_(getattr(lib.ops, ns).f(lib.ones(2), 3.0)))
        L.impl(f"{ns}::f", "default", lambda x, a: x * a * 10)      # the cpu kernel stays first
        out.append(np_(getattr(lib.ops, ns).f(lib.ones(2), 3.0)))
        L.register_autograd(f"{ns}::f", lambda ctx, g: (g * ctx.a, None),
                            setup_context=lambda ctx, inputs, output: setattr(ctx, "a", inputs[1]))
        x = lib.tensor(X, requires_grad=True)
        getattr(lib.ops, ns).f(x, 3.0).sum().backward()
        out.append(np_(x.grad))
        out.append(err(lambda: L.register_autograd(f"{ns}::nothere", lambda ctx, g: g)))
        old = L.Library(ns, "FRAGMENT")

        @L.define(old, "twice(Tensor x) -> Tensor")
        def twice(x):
            return x * 2
        out.append(np_(getattr(lib.ops, ns).twice(lib.ones(2))))
        old.define("ov.two(Tensor x, Tensor y) -> Tensor")
        old.define("ov(Tensor x) -> Tensor")
        old.impl("ov", lambda x: x + 1, "CPU")
        old.impl("ov.two", lambda x, y: x + y, "CPU")
        ov = getattr(lib.ops, ns).ov
        one = lib.ones(1)
        out += [np_(ov(one)), np_(ov(one, one)), np_(ov.two(one, one)), sorted(ov.overloads()),
                err(lambda: ov(one, 3))[1].split("\n")[0]]
        old._destroy()
        out.append(err(lambda: getattr(lib.ops, ns).twice))
        scoped = L.Library(ns, "FRAGMENT")
        scoped.define("tmp(Tensor x) -> Tensor")
        del scoped
        gc.collect()
        out.append(err(lambda: getattr(lib.ops, ns).tmp))
        return out
    t, a = both(build, ns)
    for u, v in zip(t, a):
        if isinstance(u, np.ndarray):
            np.testing.assert_allclose(u, v, rtol=1e-6)
        else:
            assert u == v
    np.testing.assert_allclose(a[3], [3.0, 3.0])
    np.testing.assert_allclose(a[5], np.full(4, 3.0))


# ------------------------------------------------------------------------------------------------ opcheck

def test_opcheck(ns):
    def build(lib, ns):
        Tensor = lib.Tensor
        op = numpy_sin_op(lib, ns)
        x = lib.tensor(X, requires_grad=True)
        no_fake = lib.library.opcheck(op, (x,), raise_exception=False)
        op.register_fake(lambda x: lib.empty_like(x))
        ok = lib.library.opcheck(op, (x,))

        @lib.library.custom_op(f"{ns}::sneaky", mutates_args=())
        def sneaky(x: Tensor) -> Tensor:
            x.add_(1)                       # mutates an argument it does not declare
            return x.clone()
        sneaky.register_fake(lambda x: lib.empty_like(x))
        bad_schema = lib.library.opcheck(sneaky, (lib.tensor(X),), raise_exception=False)

        @lib.library.custom_op(f"{ns}::wrongfake", mutates_args=())
        def wrongfake(x: Tensor) -> Tensor:
            return x * 2
        wrongfake.register_fake(lambda x: lib.empty(3))
        bad_fake = lib.library.opcheck(wrongfake, (lib.tensor(X),), test_utils="test_faketensor",
                                       raise_exception=False)
        raised = err(lambda: lib.library.opcheck(sneaky, (lib.tensor(X),), test_utils=("test_schema",)))
        return ({k: str(v) for k, v in no_fake.items()}, ok, {k: str(v) for k, v in bad_schema.items()},
                type(bad_fake["test_faketensor"]).__name__ != "str", raised,
                err(lambda: lib.library.opcheck(op, (x,), test_utils=("nope",)))[0])
    t, a = both(build, ns)
    assert t[0]["test_faketensor"] == a[0]["test_faketensor"]
    assert a[0]["test_schema"] == a[0]["test_autograd_registration"] == "SUCCESS" == t[0]["test_schema"]
    assert a[0]["test_aot_dispatch_dynamic"] != "SUCCESS" and t[0]["test_aot_dispatch_dynamic"] != "SUCCESS"
    assert t[1] == a[1] == {k: "SUCCESS" for k in ("test_schema", "test_autograd_registration", "test_faketensor",
                                                   "test_aot_dispatch_dynamic")}
    assert t[2]["test_schema"] == a[2]["test_schema"] == "Argument x is not defined as mutable but was mutated"
    assert t[3] is a[3] is True
    assert t[4][0] == a[4][0] == "OpCheckError"
    assert a[4][1].startswith("opcheck(op, ...): test_schema failed with Argument x is not defined as mutable")
    assert t[5] == a[5] == "ValueError"


def test_refused_registrations_say_why(ns):
    op = numpy_sin_op(al, ns)
    with pytest.raises(NotImplementedError, match="no __torch_dispatch__"):
        op.register_torch_dispatch(object, lambda *a: None)
    lib = al.library.Library(ns, "FRAGMENT")
    lib.define("k(Tensor x) -> Tensor")
    with pytest.raises(NotImplementedError, match="keysets"):
        lib.impl("k", lambda x: x, "CPU", with_keyset=True)
    with pytest.raises(NotImplementedError, match="dispatches only on"):
        lib.impl("k", lambda x: x, "XLA")


def test_kernels_by_device_type(ns, gpu):
    """register_kernel("cpu") / ("cuda") pick by the inputs' device; the gradient stays on the device."""
    Tensor = al.Tensor

    @al.library.custom_op(f"{ns}::shift", mutates_args=())
    def shift(x: Tensor) -> Tensor:
        return x * 1

    shift.register_kernel("cpu", lambda x: x + 1)
    shift.register_kernel("cuda", lambda x: x + 2)
    shift.register_autograd(lambda ctx, grad: grad * 3)
    xc = al.tensor(X, requires_grad=True)
    xg = al.tensor(X, device=gpu, requires_grad=True)
    yc, yg = shift(xc), shift(xg)
    assert yg.device.type == "cuda" and yc.device.type == "cpu" and yg.dtype == al.float32
    np.testing.assert_allclose(yc.detach().numpy(), X + 1)
    np.testing.assert_allclose(yg.detach().cpu().numpy(), X + 2)
    yg.sum().backward()
    assert xg.grad.device.type == "cuda"
    np.testing.assert_allclose(xg.grad.cpu().numpy(), np.full(4, 3.0))


def test_numpy_under_no_grad_and_graph_freed(ns):
    """As torch: numpy() of a Tensor that requires grad is allowed under no_grad (custom kernels rely on it); and a
    custom op's graph is freed after backward."""
    for lib in LIBS:
        x = lib.tensor(X, requires_grad=True)
        with lib.no_grad():
            assert x.numpy().shape == (4,)
        with pytest.raises(RuntimeError, match="Use tensor.detach"):
            x.numpy()
    import weakref
    op = numpy_sin_op(al, ns)
    x = al.tensor(X, requires_grad=True)
    y = op(x)
    node = weakref.ref(y.grad_fn)
    y.sum().backward()
    del y
    assert node() is None


def test_destroyed_custom_op_is_not_kept_by_the_registry(ns):
    """As torch's OPDEFS (a WeakValueDictionary): once its Library is destroyed and the user drops it, a CustomOpDef
    (and the function it wraps) is freed, so ops made in tests or in a loop do not pile up. (torch's dispatcher
    keeps its Python kernels a while longer, so only ours is checked for being freed.)"""
    import weakref
    from torch._library import custom_ops
    assert isinstance(custom_ops.OPDEFS, weakref.WeakValueDictionary)
    opdefs = al.library._custom_ops.OPDEFS
    op = numpy_sin_op(al, ns)
    ref, fn = weakref.ref(op), weakref.ref(op._init_fn)
    assert opdefs[f"{ns}::numpy_sin"] is op and al.library._resolve(f"{ns}::numpy_sin", "register_fake") is op
    _cleanup(al, ns)
    del op
    gc.collect()
    assert ref() is None and fn() is None and f"{ns}::numpy_sin" not in opdefs
    assert al.library._resolve(f"{ns}::numpy_sin", "register_fake") == f"{ns}::numpy_sin"


def test_register_fake_for_a_missing_operator_errors_as_torch(ns):
    def build(lib, ns):
        decorator = lib.library.register_fake(f"{ns}::nope")       # (the decorator itself does not check)
        errors = [err(lambda: decorator(lambda x: x)),
                  err(lambda: lib.library.register_fake(f"{ns}::nope.ov", lambda x: x))]
        lib.library.define(f"{ns}::there", "(Tensor x) -> Tensor")
        lib.library.register_fake(f"{ns}::there", lambda x: lib.empty_like(x))
        return errors
    ref, ours = both(build, ns)
    assert ours == ref == [("RuntimeError", f"operator {ns}::nope does not exist"),
                           ("RuntimeError", f"operator {ns}::nope.ov does not exist")]


def test_register_vmap_rule_goes_with_its_operator(ns):
    """A vmap rule of a Library-defined op is kept on the op (not in a module-level dict that outlives it)."""
    import weakref

    def rule(info, in_dims, x):
        return x, 0
    for lib in LIBS:
        lib.library.define(f"{ns}::v", "(Tensor x) -> Tensor")
        lib.library.register_vmap(f"{ns}::v", rule)
    assert getattr(al.ops, ns).v.default._vmap_fn is rule
    ref = weakref.ref(getattr(al.ops, ns).v.default)
    _cleanup(al, ns)
    gc.collect()
    assert ref() is None
    assert not hasattr(al.library, "_VMAP_RULES")
