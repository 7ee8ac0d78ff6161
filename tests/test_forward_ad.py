"""Forward-mode AD against PyTorch: autograd.forward_ad (dual_level, make_dual, unpack_dual: the forward-AD
tutorial), torch.func.jvp and linearize (the double-vjp trick), their nesting with grad and vmap, gradients of the
tangents, and the errors with PyTorch's messages."""
import numpy as np
import pytest
from error_parity import assert_same_error

import autograd_lite as al
import autograd_lite.autograd.forward_ad as fwAD
from autograd_lite import nn
from autograd_lite.autograd import gradcheck

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Attempted to insert a get_attr Node")     # torch's linearize, inside
tfwAD = torch.autograd.forward_ad

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4)).astype(np.float32)
T = RNG.standard_normal((3, 4)).astype(np.float32)
V = RNG.standard_normal((4,)).astype(np.float32)


def close(ours, ref, rtol=1e-5, atol=1e-6):
    assert tuple(ours.shape) == tuple(ref.shape)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.detach().cpu().numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)


FUNCS = {
    "sin_exp": lambda lib: lambda x: x.sin() * x.exp(),
    "matmul_softmax": lambda lib: lambda x: (x @ x.t()).softmax(-1),
    "reductions": lambda lib: lambda x: (x.sum(0), x.max(1).values, x.norm()),
    "broadcast": lambda lib: lambda x: x - x.mean(1, keepdim=True) / (x.std() + 1),
    "indexing_cat": lambda lib: lambda x: lib.cat([x[:, 1:], x[:, ::2].flip(0)], 1).cumprod(1),
    "activations": lambda lib: lambda x: lib.nn.functional.gelu(x) + lib.nn.functional.log_softmax(x, 1).tanh(),
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_forward_ad_tutorial_values(name):
    results = []
    for lib, fw in ((al, fwAD), (torch, tfwAD)):
        with fw.dual_level():
            dual = fw.make_dual(lib.tensor(X), lib.tensor(T))
            out = FUNCS[name](lib)(dual)
            outs = out if isinstance(out, tuple) else (out,)
            results.append([fw.unpack_dual(o) for o in outs])
    for (p, t), (tp, tt) in zip(*results):
        close(p, tp)
        close(t, tt, 1e-4, 1e-5)
        assert not t.requires_grad and not tt.requires_grad


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_func_jvp_values(name):
    ours = al.func.jvp(FUNCS[name](al), (al.tensor(X),), (al.tensor(T),))
    ref = torch.func.jvp(FUNCS[name](torch), (torch.tensor(X),), (torch.tensor(T),))
    for o, r in zip(ours, ref):
        for a, b in zip(o if isinstance(o, tuple) else (o,), r if isinstance(r, tuple) else (r,)):
            close(a, b, 1e-4, 1e-5)
            assert not a.requires_grad


def test_tutorial_semantics():
    """As the tutorial asserts: the tangent given is the one unpacked, plain tensors have no tangent, tangents are
    dropped at the level's exit, and the dual of a primal without grad reads as the primal's values."""
    primal, tangent, plain = al.tensor(X), al.tensor(T), al.tensor(T)
    with fwAD.dual_level() as level:
        assert level == 0
        dual = fwAD.make_dual(primal, tangent)
        assert fwAD.unpack_dual(dual).tangent is tangent
        assert fwAD.unpack_dual(dual).primal is primal
        assert fwAD.unpack_dual(plain).tangent is None
        out = dual ** 2 + plain ** 2
        unpacked = fwAD.unpack_dual(out)
        assert isinstance(unpacked, fwAD.UnpackedDualTensor)
        primal_out, jvp = unpacked
        close(jvp, 2 * torch.tensor(X) * torch.tensor(T))
        close(primal_out, torch.tensor(X) ** 2 + torch.tensor(T) ** 2)
        second = fwAD.unpack_dual(out * 3).tangent          # the graph is kept: unpack as often as needed
        close(second, 6 * torch.tensor(X) * torch.tensor(T), 1e-5, 1e-5)
        assert al.equal(dual, primal)
    assert fwAD.unpack_dual(out).tangent is None
    assert fwAD.unpack_dual(dual).tangent is None


def test_enter_exit_and_decorator():
    level = fwAD.enter_dual_level()
    try:
        with pytest.raises(RuntimeError, match="^Nested forward mode AD is not supported at the moment$"):
            fwAD.enter_dual_level()
        with pytest.raises(RuntimeError, match="Trying to exit a forward AD level that was not the last one"):
            fwAD.exit_dual_level(level=level + 1)
    finally:
        fwAD.exit_dual_level(level=level)
    with pytest.raises(RuntimeError, match="^Dual level must be a positive number.$"):
        fwAD.exit_dual_level()

    @fwAD.dual_level()
    def tangent_of_square(x, t):
        return fwAD.unpack_dual(fwAD.make_dual(x, t) ** 2).tangent
    close(tangent_of_square(al.tensor(X), al.tensor(T)), 2 * torch.tensor(X) * torch.tensor(T))


MAKE_DUAL_ERRORS = {
    "no_level": (False, lambda lib: (lib.ones(3), lib.ones(3))),
    "size": (True, lambda lib: (lib.ones(3), lib.ones(2))),
    "int_primal": (True, lambda lib: (lib.ones(3, dtype=lib.int64), lib.ones(3))),
    "int_tangent": (True, lambda lib: (lib.ones(3), lib.ones(3, dtype=lib.int64))),
}


@pytest.mark.parametrize("case", sorted(MAKE_DUAL_ERRORS))
def test_make_dual_errors_as_torch(case):
    in_level, make = MAKE_DUAL_ERRORS[case]
    caught = []
    for lib, fw in ((al, fwAD), (torch, tfwAD)):
        if in_level:
            fw.enter_dual_level()
        try:
            with pytest.raises(Exception) as err:
                fw.make_dual(*make(lib))
            caught.append(err.value)
        finally:
            if in_level:
                fw.exit_dual_level()
    ours, ref = caught
    assert type(ours) is type(ref)
    assert str(ours).replace("autograd_lite.", "torch.") == str(ref)


def test_dual_of_a_dual_and_unpack_of_a_non_tensor():
    with fwAD.dual_level():
        dual = fwAD.make_dual(al.ones(3), al.ones(3))
        with pytest.raises(RuntimeError, match="already has a forward gradient at the same level 0 is not supported"):
            fwAD.make_dual(dual, al.ones(3))
        with pytest.raises(TypeError, match="must be Tensor, not float"):
            fwAD.unpack_dual(3.0)
    assert fwAD.unpack_dual(3.0) == (3.0, None)


def test_no_grad_around_and_inside_the_level():
    """Around the level, no_grad is fine (the level records the graph; grad mode comes back at its exit); a result
    computed under a no_grad inside it has no tangent, and unpack_dual says so instead of answering None."""
    with al.no_grad():
        with fwAD.dual_level():
            jvp = fwAD.unpack_dual(fwAD.make_dual(al.tensor(X), al.tensor(T)).exp()).tangent
        assert not al.is_grad_enabled()
    close(jvp, torch.tensor(X).exp() * torch.tensor(T))
    with fwAD.dual_level():
        dual = fwAD.make_dual(al.tensor(X), al.tensor(T))
        with al.no_grad():
            with pytest.raises(RuntimeError, match="no tangent can be computed for a tensor made under no_grad"):
                fwAD.unpack_dual(dual.exp())


def _linear_twins():
    tm = torch.nn.Linear(4, 3)
    m = nn.Linear(4, 3)
    m.load_state_dict({k: al.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return m, tm


def test_forward_ad_over_module_parameters():
    """The tutorial's two ways: swapping the module's parameters for duals, and functional_call with duals."""
    m, tm = _linear_twins()
    tangents = {k: RNG.standard_normal(tuple(v.shape)).astype(np.float32) for k, v in tm.named_parameters()}
    results = []
    for lib, fw, model in ((al, fwAD, m), (torch, tfwAD, tm)):
        params = {k: v for k, v in model.named_parameters()}
        with fw.dual_level():
            duals = {k: fw.make_dual(p, lib.tensor(tangents[k])) for k, p in params.items()}
            jvp_functional = fw.unpack_dual(lib.func.functional_call(model, duals, (lib.tensor(X),)).tanh()).tangent
            for name, dual in duals.items():
                delattr(model, name)
                setattr(model, name, dual)
            jvp_swapped = fw.unpack_dual(model(lib.tensor(X)).tanh()).tangent
        results.append((jvp_functional, jvp_swapped))
    for ours, ref in zip(*results):
        close(ours, ref, 1e-4, 1e-5)


def test_backward_through_tangents():
    """Tangents are differentiable with respect to the primals and the tangents (forward-over-reverse users)."""
    grads = []
    for lib, fw in ((al, fwAD), (torch, tfwAD)):
        p = lib.tensor(X[0], requires_grad=True)
        t = lib.tensor(T[0], requires_grad=True)
        w = lib.tensor(V, requires_grad=True)
        with fw.dual_level():
            dual = fw.make_dual(p, t)
            assert dual.requires_grad
            primal, tangent = fw.unpack_dual((dual.sin() * w).sum())
        assert primal.requires_grad and tangent.requires_grad
        (tangent * primal).backward()
        grads.append((p.grad, t.grad, w.grad))
    for ours, ref in zip(*grads):
        close(ours, ref, 1e-5, 1e-6)


def test_forward_ad_on_device(device):
    x, t = al.tensor(X, device=device), al.tensor(T, device=device)
    with fwAD.dual_level():
        jvp = fwAD.unpack_dual((fwAD.make_dual(x, t) @ x.t()).relu()).tangent
    assert jvp.device == x.device
    tx, tt = torch.tensor(X), torch.tensor(T)
    with tfwAD.dual_level():
        ref = tfwAD.unpack_dual((tfwAD.make_dual(tx, tt) @ tx.t()).relu()).tangent
    close(jvp.cpu(), ref, 1e-5, 1e-6)
    out, jv = al.func.jvp(lambda a: a.exp().sum(1), (x,), (t,))
    close(jv.cpu(), (tx.exp() * tt).sum(1), 1e-5, 1e-6)


# ---- torch.func.jvp and linearize ---------------------------------------------------------------------------------
def test_jvp_pytrees_aux_and_zero_tangents():
    def f(lib):
        return lambda d, y: ({"s": (d["a"] * y).sum(1), "c": lib.ones(2)}, d["b"].exp())
    for lib in (al, torch):
        primals = ({"a": lib.tensor(X), "b": lib.tensor(V)}, lib.tensor(T))
        tangents = ({"a": lib.tensor(T), "b": lib.ones(4)}, lib.tensor(X))
        out = lib.func.jvp(f(lib), primals, tangents)
        aux = lib.func.jvp(lambda x: (x.sin(), {"k": x.cos()}), (lib.tensor(V),), (lib.ones(4),), has_aux=True)
        if lib is al:
            ours, ours_aux = out, aux
    (o_out, o_jvp), (t_out, t_jvp) = ours, out
    for a, b in ((o_out[0]["s"], t_out[0]["s"]), (o_out[1], t_out[1]), (o_jvp[0]["s"], t_jvp[0]["s"]),
                 (o_jvp[0]["c"], t_jvp[0]["c"]), (o_jvp[1], t_jvp[1])):
        close(a, b, 1e-5, 1e-6)
    assert len(ours_aux) == 3
    close(ours_aux[1], aux[1])
    close(ours_aux[2]["k"], aux[2]["k"])


def test_jvp_nests_with_grad_and_vmap():
    def f(lib):
        return lambda x: (x.sin() * x ** 2).sum()
    x, v = al.tensor(V), al.ones(4) * 0.5
    tx, tv = torch.tensor(V), torch.ones(4) * 0.5
    hvp = al.func.jvp(al.func.grad(f(al)), (x,), (v,))[1]             # forward-over-reverse
    close(hvp, torch.func.jvp(torch.func.grad(f(torch)), (tx,), (tv,))[1], 1e-5, 1e-5)
    rev = al.func.grad(lambda y: al.func.jvp(f(al), (y,), (v,))[1])(x)    # reverse-over-forward
    close(rev, torch.func.grad(lambda y: torch.func.jvp(f(torch), (y,), (tv,))[1])(tx), 1e-5, 1e-5)

    def g(lib):
        return lambda y: (y.exp() * y.sum()).sin()
    jac = al.vmap(lambda t: al.func.jvp(g(al), (x,), (t,))[1])(al.eye(4))   # jacfwd's recipe
    close(jac, torch.func.jacfwd(g(torch))(tx).t(), 1e-4, 1e-5)


def test_jvp_outer_graph_and_gradcheck():
    """With a primal that requires grad the outputs are differentiable: gradcheck (float64) of x -> J(x) t."""
    t = al.tensor(V.astype(np.float64))

    def fn(x):
        out, jv = al.func.jvp(lambda y: (y.sin() * y.sum()).tanh(), (x,), (t,))
        assert out.requires_grad and jv.requires_grad
        return jv
    assert gradcheck(fn, (al.tensor(V.astype(np.float64), requires_grad=True),))


def test_jvp_strict_and_independent_outputs():
    out, jv = al.func.jvp(lambda x: (x * 2, al.ones(2)), (al.tensor(V),), (al.ones(4),))
    assert al.equal(jv[1], al.zeros(2)) and al.equal(jv[0], al.full((4,), 2.))
    for lib in (al, torch):
        with pytest.raises(RuntimeError, match="The output of f is independent of the inputs. This is not allowed "
                                               "with strict=True."):
            lib.func.jvp(lambda x: lib.ones(2), (lib.tensor(V),), (lib.ones(4),), strict=True)


JVP_ERRORS = {
    "primals_not_tuple": lambda lib: lib.func.jvp(lib.sin, lib.ones(3), (lib.ones(3),)),
    "structure": lambda lib: lib.func.jvp(lib.sin, (lib.ones(3),), (lib.ones(3), lib.ones(3))),
    "structure_leaf": lambda lib: lib.func.jvp(lib.sin, (lib.ones(3),), lib.ones(3)),
    "size": lambda lib: lib.func.jvp(lib.sin, (lib.ones(3),), (lib.ones(2),)),
    "no_primals": lambda lib: lib.func.jvp(lib.sin, (), ()),
    "non_tensor_primal": lambda lib: lib.func.jvp(lambda x, n: x * n, (lib.ones(3), 3), (lib.ones(3), 3)),
    "float_output": lambda lib: lib.func.jvp(lambda x: 1.0, (lib.ones(3),), (lib.ones(3),)),
    "none_output": lambda lib: lib.func.jvp(lambda x: None, (lib.ones(3),), (lib.ones(3),)),
    "aux_not_pair": lambda lib: lib.func.jvp(lambda x: x, (lib.ones(3),), (lib.ones(3),), has_aux=True),
    "int_primal": lambda lib: lib.func.jvp(lambda x: x, (lib.ones(3, dtype=lib.int64),), (lib.ones(3),)),
    "linearize_shape": lambda lib: lib.func.linearize(lib.sin, lib.ones(3))[1](lib.ones(2)),
    "linearize_structure": lambda lib: lib.func.linearize(lib.sin, lib.ones(3))[1](lib.ones(3), lib.ones(3)),
    "linearize_dtype": lambda lib: lib.func.linearize(lib.sin, lib.ones(3))[1](lib.ones(3, dtype=lib.float64)),
}


@pytest.mark.parametrize("case", sorted(JVP_ERRORS))
def test_jvp_and_linearize_errors_as_torch(case):
    assert_same_error(JVP_ERRORS[case])


def test_linearize_values_and_pytrees():
    def f(lib):
        return lambda a, b: ((a * b).sin(), a.exp().sum())
    primals = (X[0], V)
    out, jvp_fn = al.func.linearize(f(al), *(al.tensor(p) for p in primals))
    tout, tjvp_fn = torch.func.linearize(f(torch), *(torch.tensor(p) for p in primals))
    for o, r in zip(out, tout):
        close(o, r)
    for tangents in ((T[0], V), (np.ones(4, np.float32), T[1])):
        ours = jvp_fn(*(al.tensor(t) for t in tangents))
        ref = tjvp_fn(*(torch.tensor(t) for t in tangents))
        for o, r in zip(ours, ref):
            close(o, r, 1e-5, 1e-5)


def test_graphs_are_freed_by_reference_counting():
    """No reference cycle holds a transform's variables: they die with the results, the cyclic GC switched off."""
    import gc
    import weakref
    seen = []

    def f(z):
        seen.append(weakref.ref(z))
        return (z.sin() * z).cumsum(0)
    x, t = al.tensor(V), al.tensor(V[::-1].copy())
    gc.disable()
    try:
        al.func.jvp(f, (x,), (t,))
        out, jvp_fn = al.func.linearize(f, x)
        jvp_fn(t)
        del out, jvp_fn
        with fwAD.dual_level():
            y = f(fwAD.make_dual(x, t))
            fwAD.unpack_dual(y)
        del y
        assert len(seen) == 3 and all(ref() is None for ref in seen)
    finally:
        gc.enable()
