"""User-defined autograd.Function with PyTorch's contract, against torch: each class is written once and built for
both libraries (`_fns(lib)`), then values, gradients, flags, grad_fn names and errors are compared. The examples are
the PyTorch docs' (MyReLU, LegendrePolynomial3, the "Extending torch.autograd" note's LinearFunction and
MulConstant) plus multi-output, mark_dirty, setup_context, once_differentiable and double backward."""
import gc
import warnings
import weakref

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.autograd.function import once_differentiable as al_once

torch = pytest.importorskip("torch")
from torch.autograd.function import once_differentiable as torch_once     # noqa: E402

X = np.array([0.5, -1.5, 2.0, -0.25], np.float32)


def _fns(lib):
    """The test Functions written for `lib` (torch or autograd_lite): identical source for both."""
    once = torch_once if lib is torch else al_once
    F = lib.autograd.Function

    class MyReLU(F):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    class LegendrePolynomial3(F):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input ** 3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input ** 2 - 1)

    class LinearFunction(F):
        @staticmethod
        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    class MulConstant(F):
        @staticmethod
        def forward(ctx, tensor, constant):
            ctx.constant = constant
            return tensor * constant

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * ctx.constant, None

    class SortLike(F):          # values and indices, indices not differentiable
        @staticmethod
        def forward(ctx, x):
            values, indices = x.sort()
            ctx.mark_non_differentiable(indices)
            ctx.save_for_backward(indices)
            return values, indices

        @staticmethod
        def backward(ctx, grad_values, grad_indices):
            indices, = ctx.saved_tensors
            seen.append(("sort", grad_indices.dtype, grad_indices.tolist()))
            grad = grad_values.new_zeros(grad_values.shape) if lib is torch else lib.zeros_like(grad_values)
            grad[indices] = grad_values
            return grad

    class TwoOut(F):            # two differentiable outputs and two non-Tensor ones
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b, a + 2 * b, 5, "x"

        @staticmethod
        def backward(ctx, g_prod, g_sum, g_int, g_str):
            a, b = ctx.saved_tensors
            seen.append(("two", g_int, g_str))
            return g_prod * b + g_sum, g_prod * a + 2 * g_sum

    class TwoOutLazy(F):        # set_materialize_grads(False): None for an unused output
        @staticmethod
        def forward(ctx, a):
            ctx.set_materialize_grads(False)
            return a * 2, a * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append(("lazy", g1 is None, g2 is None))
            return (0 if g1 is None else g1 * 2) + (0 if g2 is None else g2 * 3)

    class MulTwoInPlace(F):     # mark_dirty
        @staticmethod
        def forward(ctx, a):
            a.mul_(2)
            ctx.mark_dirty(a)
            return a

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class DirtyNotReturned(F):
        @staticmethod
        def forward(ctx, a):
            a.mul_(2)
            ctx.mark_dirty(a)
            return a * 1

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Scale(F):             # setup_context style, a default argument
        @staticmethod
        def forward(x, factor=3.0):
            return x * factor

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, factor = inputs
            ctx.factor = factor
            seen.append(("setup", len(inputs), factor, output.requires_grad))

        @staticmethod
        def backward(ctx, g):
            return g * ctx.factor, None

    class OnceSquare(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g

    class Exp(F):               # saves its output
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            result, = ctx.saved_tensors
            return grad_output * result

    class VjpOnly(F):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def vjp(ctx, g):
            return g * 2

    seen = []
    return dict(locals())


def _leaf(lib, array, device="cpu"):
    t = lib.tensor(array)
    if device != "cpu":
        t = t.to(device)
    return t.requires_grad_()


def _np(t):
    return None if t is None else np.asarray(t.detach().cpu().numpy() if hasattr(t, "detach") else t)


def _version(t):
    return t._version if isinstance(t._version, int) else t._version[0]


def _dtype(t):
    return str(t.dtype).split(".")[-1]


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)


def test_my_relu_matches_torch(device):
    out = {}
    for lib in (torch, al):
        fns = _fns(lib)
        x = _leaf(lib, X, device if lib is al else "cpu")
        y = fns["MyReLU"].apply(x)
        (y * y).sum().backward()
        node = y.grad_fn
        out[lib] = (y, x.grad, y.requires_grad, y.is_leaf, node.name(), type(node).__name__,
                    isinstance(node, fns["MyReLU"]._backward_cls), isinstance(node, lib.autograd.graph.Node),
                    [type(n).__name__ for n, _ in node.next_functions], y.dtype.is_floating_point)
    t, a = out[torch], out[al]
    _close(t[0], a[0])
    _close(t[1], a[1])
    assert t[2:] == a[2:] and a[4] == "MyReLUBackward"


def test_forward_gets_tensors_under_no_grad_and_backward_gets_tensors():
    seen = {}
    for lib in (torch, al):
        class Probe(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                seen.setdefault((lib, "fwd"), (type(x) is lib.Tensor, lib.is_grad_enabled(), ctx.needs_input_grad))
                seen[lib, "needs"] = ctx.needs_input_grad
                return x.exp()

            @staticmethod
            def backward(ctx, g):
                seen[lib, "bwd"] = (type(g) is lib.Tensor, lib.is_grad_enabled(), g.requires_grad)
                return g
        Probe.apply(_leaf(lib, X)).sum().backward()
        with lib.no_grad():
            y = Probe.apply(_leaf(lib, X))
        seen[lib, "no_grad"] = (y.requires_grad, y.grad_fn is None, seen[lib, "needs"])
        y = Probe.apply(lib.tensor(X))
        seen[lib, "no input grad"] = (y.requires_grad, y.grad_fn is None, seen[lib, "needs"])
    assert {k[1]: v for k, v in seen.items() if k[0] is torch} == {k[1]: v for k, v in seen.items() if k[0] is al}
    assert seen[al, "fwd"] == (True, False, (True,)) and seen[al, "bwd"] == (True, False, False)


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "bias None"])
def test_linear_function_from_the_extending_note(bias):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((5, 3), (4, 3), (4,))]
    out = {}
    for lib in (torch, al):
        x, w, b = (_leaf(lib, a) for a in arrays)
        y = _fns(lib)["LinearFunction"].apply(x, w, b if bias else None)
        (y * y).sum().backward()
        out[lib] = (y, x.grad, w.grad, b.grad, y.grad_fn.name(), len(y.grad_fn.next_functions))
    for t, a in zip(out[torch][:4], out[al][:4]):
        if t is None:
            assert a is None
        else:
            _close(t, a, 1e-4)
    assert out[torch][4:] == out[al][4:]


def test_mul_constant_with_a_non_tensor_argument():
    out = {}
    for lib in (torch, al):
        x = _leaf(lib, X)
        y = _fns(lib)["MulConstant"].apply(x, 2.5)
        y.sum().backward()
        out[lib] = (y, x.grad, [n if n is None else type(n).__name__ for n, _ in y.grad_fn.next_functions])
    _close(out[torch][0], out[al][0])
    _close(out[torch][1], out[al][1])
    assert out[torch][2] == out[al][2] == ["AccumulateGrad"]


def test_two_outputs_one_non_differentiable():
    out = {}
    for lib in (torch, al):
        fns = _fns(lib)
        x = _leaf(lib, X)
        values, indices = fns["SortLike"].apply(x)
        (values * lib.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        out[lib] = (values, indices, x.grad, values.requires_grad, indices.requires_grad, indices.is_leaf,
                    values.grad_fn.name(), str(indices.dtype).split(".")[-1], fns["seen"][0][2])
    t, a = out[torch], out[al]
    for i in range(3):
        _close(t[i], a[i])
    assert t[3:] == a[3:]


def test_two_differentiable_outputs_each_get_their_gradient():
    rng = np.random.default_rng(2)
    A, B = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    out = {}
    for lib in (torch, al):
        fns = _fns(lib)
        a, b = _leaf(lib, A), _leaf(lib, B)
        prod, total, k, s = fns["TwoOut"].apply(a, b)
        (prod.sin().sum() + (total * total).sum()).backward()
        grads_both = (a.grad.clone(), b.grad.clone())
        a.grad = b.grad = None
        prod, total, _, _ = fns["TwoOut"].apply(a, b)
        total.sum().backward()          # the other output's gradient: zeros
        out[lib] = (grads_both, (a.grad, b.grad), (k, s), prod.grad_fn.name(), total.grad_fn.name(),
                    prod.requires_grad, total.is_leaf, fns["seen"])
    t, a = out[torch], out[al]
    for x, y in zip(t[0] + t[1], a[0] + a[1]):
        _close(x, y)
    assert t[2:] == a[2:] and a[3] == "TwoOutBackward"


def test_set_materialize_grads_false_passes_none():
    out = {}
    for lib in (torch, al):
        fns = _fns(lib)
        x = _leaf(lib, X)
        _, second = fns["TwoOutLazy"].apply(x)
        second.sum().backward()
        out[lib] = (x.grad, fns["seen"])
    _close(out[torch][0], out[al][0])
    assert out[torch][1] == out[al][1] == [("lazy", True, False)]


def test_gradcheck_and_gradgradcheck_in_float64():
    fns = _fns(al)
    x = al.tensor(np.array([0.3, -0.7, 1.1]), requires_grad=True)
    w = al.tensor(np.array([[0.2, -0.4, 0.9], [1.3, 0.1, -0.6]]), requires_grad=True)
    b = al.tensor(np.array([0.5, -0.5]), requires_grad=True)
    x2 = al.tensor(np.array([[0.3, -0.7, 1.1], [0.2, 0.4, -0.9]]), requires_grad=True)
    c = al.tensor(np.array([0.9, 1.2, -0.4]), requires_grad=True)
    cases = [(fns["LegendrePolynomial3"].apply, (x,)), (fns["Exp"].apply, (x,)),
             (lambda a: fns["MulConstant"].apply(a, 1.7), (x,)),
             (fns["LinearFunction"].apply, (x2, w, b)), (lambda a, c: fns["TwoOut"].apply(a, c)[:2], (x, c))]
    for fn, inputs in cases:
        assert al.autograd.gradcheck(fn, inputs)
        assert al.autograd.gradgradcheck(fn, inputs)
    assert al.autograd.gradcheck(lambda a: fns["SortLike"].apply(a)[0], (x,))


def test_double_backward_of_a_differentiable_backward():
    out = {}
    for lib in (torch, al):
        fns = _fns(lib)
        x = _leaf(lib, X.astype(np.float64))
        y = fns["LegendrePolynomial3"].apply(x)
        g, = lib.autograd.grad(y.sum(), x, create_graph=True)
        gg, = lib.autograd.grad((g * g).sum(), x, create_graph=True)
        ggg, = lib.autograd.grad(gg.sum(), x)
        e = fns["Exp"].apply(x)
        ge, = lib.autograd.grad(e.sum(), x, create_graph=True)
        gge, = lib.autograd.grad(ge.sum(), x)
        out[lib] = (g, gg, ggg, ge, gge, g.requires_grad)
    for t, a in zip(out[torch][:5], out[al][:5]):
        _close(t, a, 1e-9)
    assert out[torch][5] is out[al][5] is True


def test_mark_dirty_rebases_the_input():
    out = {}
    for lib in (torch, al):
        fns = _fns(lib)
        x = _leaf(lib, X)
        y = x * 1
        version = _version(y)
        z = fns["MulTwoInPlace"].apply(y)
        (z * z).sum().backward()
        out[lib] = (z, x.grad, z is y, _version(y) - version, y.grad_fn.name(),
                    [n.name() for n, _ in y.grad_fn.next_functions])
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place"):
            fns["MulTwoInPlace"].apply(_leaf(lib, X))
        with pytest.raises(RuntimeError, match="Some elements marked as dirty during the forward method were not "
                                               "returned as output"):
            fns["DirtyNotReturned"].apply(_leaf(lib, X) * 1)
    _close(out[torch][0], out[al][0])
    _close(out[torch][1], out[al][1])
    assert out[torch][2:] == out[al][2:]


def test_mark_dirty_on_a_view_rewrites_the_base():
    out = {}
    for lib in (torch, al):
        x = _leaf(lib, X)
        base = x * 1
        _fns(lib)["MulTwoInPlace"].apply(base[1:3])
        (base * base).sum().backward()
        out[lib] = (base, x.grad)
    _close(out[torch][0], out[al][0])
    _close(out[torch][1], out[al][1])


def test_setup_context_style_and_keyword_arguments():
    out = {}
    for lib in (torch, al):
        fns = _fns(lib)
        x = _leaf(lib, X)
        y = fns["Scale"].apply(x)
        y2 = fns["Scale"].apply(x, factor=0.5)
        (y + y2).sum().backward()
        out[lib] = (y, y2, x.grad, fns["seen"], y.grad_fn.name())
    for t, a in zip(out[torch][:3], out[al][:3]):
        _close(t, a)
    assert out[torch][3:] == out[al][3:]


def test_keyword_tensor_arguments_are_inputs_in_signature_order():
    out = {}
    for lib in (torch, al):
        class KW(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, b=None, scale=2.0):
                ctx.needs = ctx.needs_input_grad
                return a * scale + b

            @staticmethod
            def backward(ctx, g):
                return g * 2, g, None
        x = _leaf(lib, X)
        y = KW.apply(x, scale=3.0, b=lib.tensor(X))
        y.sum().backward()
        out[lib] = (x.grad, y.grad_fn.needs, len(y.grad_fn.next_functions))
    _close(out[torch][0], out[al][0])
    assert out[torch][1:] == out[al][1:]


def test_once_differentiable():
    out = {}
    for lib in (torch, al):
        fns = _fns(lib)
        x = _leaf(lib, X.astype(np.float64))
        g, = lib.autograd.grad(fns["OnceSquare"].apply(x).sum(), x, create_graph=True)
        first = (g, g.requires_grad)
        y = fns["OnceSquare"].apply(x) * x
        g2, = lib.autograd.grad(y.sum(), x, create_graph=True)
        out[lib] = first + (g2, g2.requires_grad)
        with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with "
                                               "@once_differentiable"):
            g2.sum().backward()
    _close(out[torch][0], out[al][0])
    _close(out[torch][2], out[al][2])
    assert (out[torch][1], out[torch][3]) == (out[al][1], out[al][3])


def _error(fn):
    try:
        fn()
    except Exception as e:      # noqa: BLE001 -- comparing torch's error with ours
        return type(e), str(e)
    return None


def test_errors_match_torch():
    cases = {}
    for lib in (torch, al):
        F = lib.autograd.Function
        x = _leaf(lib, X)

        class Few(F):
            @staticmethod
            def forward(ctx, a, b):
                return a * b

            @staticmethod
            def backward(ctx, g):
                return g

        class Many(Few):
            @staticmethod
            def backward(ctx, g):
                return g, g, g

        class ExtraNone(Few):
            @staticmethod
            def backward(ctx, g):
                return g, g, None

        class BadShape(F):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g[:2]

        class Broadcast(F):
            expandable = False

            @staticmethod
            def forward(ctx, a):
                return a.sum()

            @staticmethod
            def backward(ctx, g):
                return lib.ones(2, 3) if Broadcast.expandable else lib.ones(3, 4)

        class GradForConstant(F):
            @staticmethod
            def forward(ctx, a, k):
                return a * k

            @staticmethod
            def backward(ctx, g):
                return g, g

        class ArrayGrad(F):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g.numpy()

        class SaveInt(F):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a, 3)
                return a

        class Both(F):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g

            @staticmethod
            def vjp(ctx, g):
                return g

        class Nothing(F):
            pass

        class NoBackward(F):
            @staticmethod
            def forward(ctx, a):
                return a * 2

        mine = _fns(lib)
        freed = mine["Exp"].apply(x)
        freed.sum().backward()
        x2 = _leaf(lib, X)
        cases[lib] = {
            "few": _error(lambda: Few.apply(x, x.detach()).sum().backward()),
            "many": _error(lambda: Many.apply(x, x.detach()).sum().backward()),
            "extra None": _error(lambda: ExtraNone.apply(x, x.detach()).sum().backward()),
            "shape": _error(lambda: BadShape.apply(x).sum().backward()),
            "not expandable": _error(lambda: Broadcast.apply(x2[:3]).backward()),
            "constant": _error(lambda: GradForConstant.apply(x, 2.0).sum().backward()),
            "array": _error(lambda: ArrayGrad.apply(x).sum().backward()),
            "save int": _error(lambda: SaveInt.apply(x)),
            "both": _error(lambda: Both.apply(x).sum().backward()),
            "no forward": _error(lambda: Nothing.apply(x)),
            "no backward": _error(lambda: NoBackward.apply(x).sum().backward()),
            "freed": _error(lambda: freed.grad_fn.saved_tensors),
            "twice": _error(lambda: freed.sum().backward()),
            "legacy": _error(lambda: mine["MyReLU"].__call__(None, x)),
            "vjp only": _error(lambda: mine["VjpOnly"].apply(x).sum().backward()),
        }
        Broadcast.expandable = True         # a gradient that sums down to the input: accepted
        Broadcast.apply(x2[:3]).backward()
        cases[lib]["broadcast grad"] = x2.grad.tolist()
    assert cases[al] == cases[torch]
    assert all(v is not None for k, v in cases[al].items() if k not in ("extra None", "vjp only"))
    assert cases[al]["few"] == (RuntimeError, "function FewBackward returned an incorrect number of gradients "
                                              "(expected 2, got 1)")


def test_instantiating_warns_as_torch():
    messages = []
    for lib in (torch, al):
        Cls = _fns(lib)["MyReLU"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            Cls()
        messages.append([(w.category, str(w.message).split("'>")[-1]) for w in caught])
    assert messages[0] == messages[1] and messages[1][0][0] is DeprecationWarning
    assert al.autograd.function.InplaceFunction.__mro__[1] is al.autograd.Function
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert al.autograd.function.InplaceFunction(inplace=True).inplace is True


def test_saved_output_makes_no_reference_cycle():
    Exp = _fns(al)["Exp"]
    x = _leaf(al, X)
    gc.disable()
    try:
        y = Exp.apply(x)
        node = weakref.ref(y.grad_fn)
        del y
        assert node() is None
        y = Exp.apply(x)
        node = weakref.ref(y.grad_fn)
        y.sum().backward()
        del y
        assert node() is None
    finally:
        gc.enable()


def test_hooks_retain_grad_and_retain_graph():
    out = {}
    for lib in (torch, al):
        fns = _fns(lib)
        x = _leaf(lib, X)
        y = fns["Exp"].apply(x)
        y.retain_grad()
        y.register_hook(lambda g: g * 2)
        seen = []
        y.grad_fn.register_hook(lambda gi, go: seen.append((len(gi), len(go))))
        y.sum().backward(retain_graph=True)
        first = x.grad.clone()
        y.sum().backward()
        a, b = _leaf(lib, X), _leaf(lib, X)
        prod, total, _, _ = fns["TwoOut"].apply(a, b)
        prod.retain_grad()
        total.register_hook(lambda g: g * 10)
        (prod * 3 + total).sum().backward()
        out[lib] = (first, x.grad, y.grad, seen, prod.grad, a.grad, b.grad)
    for t, a in zip(out[torch][:3] + out[torch][4:], out[al][:3] + out[al][4:]):
        _close(t, a)
    assert out[torch][3] == out[al][3]


def test_saved_tensors_go_through_saved_tensor_hooks():
    out = {}
    for lib in (torch, al):
        fns = _fns(lib)
        packed = []

        def pack(t):
            packed.append(tuple(t.shape))
            return t * 1

        x = _leaf(lib, X)
        w = _leaf(lib, np.ones((2, 4), np.float32))
        with lib.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = fns["Exp"].apply(x)
            z = fns["LinearFunction"].apply(x.reshape(1, 4), w)
        (y.sum() + z.sum()).backward()
        out[lib] = (packed, x.grad, w.grad)
    assert out[torch][0] == out[al][0]
    _close(out[torch][1], out[al][1])
    _close(out[torch][2], out[al][2])


def test_saved_tensor_modified_in_place_raises():
    Exp = _fns(al)["Exp"]
    y = Exp.apply(_leaf(al, X))
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_custom_fwd_and_custom_bwd_with_tensors():
    seen = {}
    for lib in (torch, al):
        class Square(lib.autograd.Function):
            @staticmethod
            @lib.amp.custom_fwd(device_type="cpu", cast_inputs=lib.float32)
            def forward(ctx, x):
                seen[lib, "fwd"] = (_dtype(x), lib.is_autocast_enabled("cpu"))
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @lib.amp.custom_bwd(device_type="cpu")
            def backward(ctx, g):
                seen[lib, "bwd"] = lib.is_autocast_enabled("cpu")
                x, = ctx.saved_tensors
                return 2 * x * g
        x = lib.ones(3, dtype=lib.float16, requires_grad=True)
        with lib.autocast("cpu"):
            y = Square.apply(x)
        y.sum().backward()
        seen[lib, "out"] = (_dtype(y), _dtype(x.grad), x.grad.float().tolist())
    assert {k[1]: v for k, v in seen.items() if k[0] is torch} == {k[1]: v for k, v in seen.items() if k[0] is al}
    assert seen[al, "out"][:2] == ("float32", "float16")


def test_multi_output_and_dirty_on_every_device(device):
    out = {}
    for lib in (torch, al):
        fns = _fns(lib)
        dev = device if lib is al else "cpu"
        a, b = _leaf(lib, X, dev), _leaf(lib, X[::-1].copy(), dev)
        prod, total, _, _ = fns["TwoOut"].apply(a, b)
        total.sum().backward()          # prod's gradient materialized as zeros on the device
        y = a * 1
        fns["MulTwoInPlace"].apply(y).sum().backward()
        out[lib] = (prod, a.grad, b.grad, str(prod.device).split(":")[0], str(a.grad.device).split(":")[0])
    for t, a in zip(out[torch][:3], out[al][:3]):
        _close(t, a)
    assert out[al][3:] == (("cpu", "cpu") if device == "cpu" else ("cuda", "cuda"))


def test_torch_autograd_function_module_is_the_user_facing_one():
    """`from torch.autograd.function import Function` (older scripts' spelling) gets the Tensor contract too."""
    from autograd_lite.autograd.function import Function, FunctionCtx
    assert Function is al.autograd.Function and issubclass(al.autograd.function.BackwardCFunction, FunctionCtx)

    class Twice(Function):
        @staticmethod
        def forward(ctx, x):
            return x.clamp(min=0) * 2          # a Tensor method: forward gets Tensors

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = al.tensor([1.0, -1.0], requires_grad=True)
    Twice.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
