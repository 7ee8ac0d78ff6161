"""nn.utils.prune against torch.nn.utils.prune on the same weights: masks, pruned values, state_dict keys and shapes,
gradients to <name>_orig, composition of repeated pruning (PruningContainer), global pruning, remove, errors'
wording; random methods by the structure of their masks. Also torch.utils.* submodules as attributes, the
deterministic debug mode, nn.init.dirac / eye (deprecated aliases) and torch.is_distributed."""
import math
import pathlib
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as TP

import autograd_lite as al
import autograd_lite.nn.utils.prune as prune
from autograd_lite import nn


def to_al(t):
    return al.tensor(t.detach().numpy())


def to_np(t):
    return t.detach().numpy()


def close(ours, ref, rtol=1e-6, atol=1e-7):
    np.testing.assert_allclose(to_np(ours), to_np(ref), rtol=rtol, atol=atol)


def twin(kind="linear"):
    """One of our modules and torch's with the same (distinct, random) weights."""
    if kind == "linear":
        tm, m = torch.nn.Linear(5, 4), nn.Linear(5, 4)
    elif kind == "conv1d":
        tm, m = torch.nn.Conv1d(3, 4, 3), nn.Conv1d(3, 4, 3)
    else:
        tm, m = torch.nn.Conv2d(3, 4, 3), nn.Conv2d(3, 4, 3)
    m.load_state_dict({k: to_al(v) for k, v in tm.state_dict().items()})
    return m, tm


def same_state(m, tm):
    """Same state_dict keys (in order), shapes, dtypes and values; same parameter names and the pruned values."""
    sd, tsd = m.state_dict(), tm.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert tuple(sd[k].shape) == tuple(tsd[k].shape)
        assert str(sd[k].dtype).split(".")[-1] == str(tsd[k].dtype).split(".")[-1]
        close(sd[k], tsd[k])
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in tm.named_buffers()]


def same_error(ours, theirs, exc):
    """Both raise `exc` with the same message (torch's class paths and Size spelled as ours)."""
    with pytest.raises(exc) as ref:
        theirs()
    with pytest.raises(exc) as got:
        ours()
    assert str(got.value) == str(ref.value).replace("torch.", "autograd_lite.")


def test_reachable_both_ways():
    assert nn.utils.prune is prune
    assert set(prune.__all__) >= {n for n in dir(TP) if not n.startswith("_") and callable(getattr(TP, n))
                                  and getattr(TP, n).__module__ == TP.__name__}


@pytest.mark.parametrize("kind", ["linear", "conv2d"])
@pytest.mark.parametrize("amount", [0, 3, 0.3, 0.5, 1.0])
def test_l1_unstructured(kind, amount):
    m, tm = twin(kind)
    orig = m.weight
    assert prune.l1_unstructured(m, "weight", amount=amount) is m
    TP.l1_unstructured(tm, "weight", amount=amount)
    same_state(m, tm)
    close(m.weight, tm.weight)
    assert m.weight_orig is orig and m.weight_mask.dtype == al.float32
    assert "weight" not in m._parameters and not isinstance(m.weight, nn.Parameter)
    assert int((m.weight_mask == 0).sum()) == (amount if isinstance(amount, int) else round(amount * orig.numel()))


@pytest.mark.parametrize("kind", ["linear", "conv2d"])
def test_forward_hook_and_gradients(kind):
    m, tm = twin(kind)
    prune.l1_unstructured(m, "weight", amount=0.4)
    TP.l1_unstructured(tm, "weight", amount=0.4)
    assert len(m._forward_pre_hooks) == 1 and prune.is_pruned(m) and TP.is_pruned(tm)
    assert isinstance(next(iter(m._forward_pre_hooks.values())), prune.L1Unstructured)
    with torch.no_grad():                    # the hook recomputes weight from the updated weight_orig
        tm.weight_orig.mul_(2)
    with al.no_grad():
        m.weight_orig.mul_(2)
    tx = torch.randn(2, *((5,) if kind == "linear" else (3, 6, 6)))
    y, ty = m(to_al(tx)), tm(tx)
    close(y, ty, rtol=1e-5, atol=1e-5)
    close(m.weight, tm.weight)
    (y ** 2).sum().backward()
    (ty ** 2).sum().backward()
    close(m.weight_orig.grad, tm.weight_orig.grad, rtol=1e-4, atol=1e-5)
    close(m.bias.grad, tm.bias.grad, rtol=1e-4, atol=1e-5)
    assert np.all(to_np(m.weight_orig.grad)[to_np(m.weight_mask) == 0] == 0)


def test_on_device(device):
    m, tm = twin("conv2d")
    m.to(device)
    for mod, P in ((m, prune), (tm, TP)):
        P.l1_unstructured(mod, "weight", amount=0.3)
        P.ln_structured(mod, "weight", amount=1, n=2, dim=0)
        P.l1_unstructured(mod, "bias", amount=1)
    prune.random_structured(m, "weight", amount=1, dim=1)
    prune.random_unstructured(m, "bias", amount=1)
    assert m.weight_mask.device.type == m.weight.device.type == al.device(device).type
    tmask = tm.weight_mask.numpy()
    mask = m.weight_mask.cpu().numpy()
    assert np.all(mask <= tmask) and int((mask.reshape(4, 3, -1).max(axis=(0, 2)) == 0).sum()) == 1
    assert int((m.bias_mask.cpu() == 0).sum()) == 2
    tx = torch.randn(2, 3, 5, 5)
    m(to_al(tx).to(device)).sum().backward()
    assert m.weight_orig.grad.device.type == al.device(device).type
    prune.remove(m, "weight")
    assert isinstance(m.weight, nn.Parameter) and m.weight.device.type == al.device(device).type


def test_ties_prune_the_first():
    """On equal magnitudes (or norms) the lower indices are pruned first (unstructured) and kept first (structured);
    torch leaves the choice among ties unspecified."""
    m = nn.Linear(3, 4)
    with al.no_grad():
        m.weight.fill_(-1.0)
    prune.l1_unstructured(m, "weight", amount=5)
    assert to_np(m.weight_mask).ravel().tolist() == [0] * 5 + [1] * 7
    m = nn.Linear(3, 4)
    with al.no_grad():
        m.weight.fill_(2.0)
    prune.ln_structured(m, "weight", amount=3, n=1, dim=0)
    assert to_np(m.weight_mask)[:, 0].tolist() == [1, 0, 0, 0]


def test_gradcheck_through_mask():
    m = nn.Linear(3, 2).double()
    prune.l1_unstructured(m, "weight", amount=2)
    x = al.randn(4, 3, dtype=al.float64)

    def f(w):
        m._parameters["weight_orig"] = w       # the hook rebuilds weight from whatever weight_orig is
        return al.tanh(m(x))
    w = m.weight_orig.detach().clone().requires_grad_()
    assert f(w).dtype == al.float64
    assert al.autograd.gradcheck(f, (w,)) and al.autograd.gradgradcheck(f, (w,))


@pytest.mark.parametrize("n", [1, 2, math.inf, -math.inf, "fro"])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("amount", [0, 1, 0.5])
def test_ln_structured(n, dim, amount):
    m, tm = twin("linear" if n == "fro" else "conv2d")     # 'fro' over 3 dims is an error (below)
    prune.ln_structured(m, "weight", amount=amount, n=n, dim=dim)
    TP.ln_structured(tm, "weight", amount=amount, n=n, dim=dim)
    same_state(m, tm)


def test_ln_structured_nuclear_norm():
    m, tm = twin("conv1d")
    prune.ln_structured(m, "weight", amount=2, n="nuc", dim=0)
    TP.ln_structured(tm, "weight", amount=2, n="nuc", dim=0)
    same_state(m, tm)
    m, tm = twin("conv2d")
    same_error(lambda: prune.ln_structured(m, "weight", amount=1, n="fro", dim=0),
               lambda: TP.ln_structured(tm, "weight", amount=1, n="fro", dim=0), RuntimeError)
    same_state(m, tm)


def test_importance_scores():
    m, tm = twin("conv2d")
    ts = torch.randn(tm.weight.shape)
    prune.l1_unstructured(m, "weight", amount=0.3, importance_scores=to_al(ts))
    TP.l1_unstructured(tm, "weight", amount=0.3, importance_scores=ts)
    ts2 = torch.randn(tm.weight.shape)
    prune.ln_structured(m, "weight", amount=1, n=1, dim=1, importance_scores=to_al(ts2))
    TP.ln_structured(tm, "weight", amount=1, n=1, dim=1, importance_scores=ts2)
    same_state(m, tm)
    same_error(lambda: prune.l1_unstructured(m, "bias", 1, importance_scores=al.ones(3)),
               lambda: TP.l1_unstructured(tm, "bias", 1, importance_scores=torch.ones(3)), AssertionError)


def test_repeated_pruning_composes():
    m, tm = twin("conv2d")
    mask = torch.rand(tm.weight.shape) > 0.3
    steps = [("l1_unstructured", dict(amount=0.3)), ("l1_unstructured", dict(amount=5)),
             ("ln_structured", dict(amount=1, n=2, dim=0)), ("l1_unstructured", dict(amount=0.5)),
             ("ln_structured", dict(amount=0.34, n=1, dim=1)), ("custom_from_mask", dict(mask=mask)),
             ("identity", {}), ("l1_unstructured", dict(amount=0))]
    for i, (fn, kw) in enumerate(steps):
        ours = {k: to_al(v) if isinstance(v, torch.Tensor) else v for k, v in kw.items()}
        getattr(prune, fn)(m, "weight", **ours)
        getattr(TP, fn)(tm, "weight", **kw)
        same_state(m, tm)
        (hook,) = m._forward_pre_hooks.values()
        (thook,) = tm._forward_pre_hooks.values()
        assert type(hook).__name__ == type(thook).__name__
        if i:
            assert [type(h).__name__ for h in hook] == [type(h).__name__ for h in thook] and len(hook) == i + 1
            assert hook[-1]._tensor_name == "weight"
    prune.remove(m, "weight")
    TP.remove(tm, "weight")
    same_state(m, tm)


def test_bias_and_weight_pruned_separately():
    m, tm = twin("linear")
    for mod, P in ((m, prune), (tm, TP)):
        P.l1_unstructured(mod, "weight", amount=0.5)
        P.l1_unstructured(mod, "bias", amount=2)
        P.random_unstructured(mod, "bias", amount=0)
    same_state(m, tm)
    assert len(m._forward_pre_hooks) == 2
    assert isinstance(list(m._forward_pre_hooks.values())[1], prune.PruningContainer)


def test_remove():
    m, tm = twin("linear")
    orig = m.weight
    prune.l1_unstructured(m, "weight", amount=0.5)
    TP.l1_unstructured(tm, "weight", amount=0.5)
    prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
    TP.ln_structured(tm, "weight", amount=1, n=2, dim=0)
    assert prune.remove(m, "weight") is m
    TP.remove(tm, "weight")
    same_state(m, tm)
    assert m.weight is orig and isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    assert not m._forward_pre_hooks and not prune.is_pruned(m)
    same_error(lambda: prune.remove(m, "weight"), lambda: TP.remove(tm, "weight"), ValueError)


def test_pickle_round_trip():
    m, tm = twin("linear")
    prune.l1_unstructured(m, "weight", amount=0.5)
    prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
    r = pickle.loads(pickle.dumps(m))
    assert list(r.state_dict()) == list(m.state_dict()) and prune.is_pruned(r)
    assert [type(h).__name__ for h in next(iter(r._forward_pre_hooks.values()))] == ["L1Unstructured",
                                                                                     "LnStructured"]
    x = al.randn(2, 5)
    close(r(x), m(x))
    prune.remove(r, "weight")
    close(r.weight, m.weight)


def test_global_unstructured():
    (a, ta), (b, tb) = twin("linear"), twin("conv2d")
    TP.l1_unstructured(tb, "weight", amount=0.2)            # one of them already pruned
    prune.l1_unstructured(b, "weight", amount=0.2)
    ts = torch.randn(ta.weight.shape)
    prune.global_unstructured(((a, "weight"), (b, "weight"), (a, "bias")), pruning_method=prune.L1Unstructured,
                              amount=0.4, importance_scores={(a, "weight"): to_al(ts)})
    TP.global_unstructured(((ta, "weight"), (tb, "weight"), (ta, "bias")), pruning_method=TP.L1Unstructured,
                           amount=0.4, importance_scores={(ta, "weight"): ts})
    same_state(a, ta)
    same_state(b, tb)
    assert isinstance(next(iter(a._forward_pre_hooks.values())), prune.CustomFromMask)
    assert [type(h).__name__ for h in next(iter(b._forward_pre_hooks.values()))] == ["L1Unstructured",
                                                                                     "CustomFromMask"]
    prune.global_unstructured([(a, "weight"), (b, "weight")], prune.L1Unstructured, amount=7)
    TP.global_unstructured([(ta, "weight"), (tb, "weight")], TP.L1Unstructured, amount=7)
    same_state(a, ta)
    same_state(b, tb)
    prune.global_unstructured([(a, "weight"), (b, "weight")], prune.RandomUnstructured, amount=5)
    remaining = int(a.weight_mask.sum() + b.weight_mask.sum())
    assert remaining == int(ta.weight_mask.sum() + tb.weight_mask.sum()) - 5


def test_global_unstructured_errors():
    m, tm = twin("linear")
    same_error(lambda: prune.global_unstructured(3, prune.L1Unstructured, amount=1),
               lambda: TP.global_unstructured(3, TP.L1Unstructured, amount=1), TypeError)
    same_error(lambda: prune.global_unstructured([(m, "weight")], prune.L1Unstructured, importance_scores=[1],
                                                 amount=1),
               lambda: TP.global_unstructured([(tm, "weight")], TP.L1Unstructured, importance_scores=[1],
                                              amount=1), TypeError)
    same_error(lambda: prune.global_unstructured([(m, "weight")], prune.LnStructured, amount=1, n=2),
               lambda: TP.global_unstructured([(tm, "weight")], TP.LnStructured, amount=1, n=2), TypeError)


def test_random_unstructured_structure():
    m = nn.Conv2d(3, 4, 3)
    prune.random_unstructured(m, "weight", amount=0.25)
    assert int((m.weight_mask == 0).sum()) == round(0.25 * 108)
    prune.random_unstructured(m, "weight", amount=0.5)     # half of the remaining 81 (round(40.5) = 40)
    assert int((m.weight_mask == 0).sum()) == 27 + 40
    assert np.all(to_np(m.weight)[to_np(m.weight_mask) == 0] == 0)
    assert np.array_equal(to_np(m.weight)[to_np(m.weight_mask) == 1], to_np(m.weight_orig)[to_np(m.weight_mask) == 1])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_random_structured_structure(dim):
    m = nn.Conv2d(3, 6, 3)
    prune.random_structured(m, "weight", amount=0.34, dim=dim)
    mask = to_np(m.weight_mask)
    size = mask.shape[dim]
    per_channel = np.moveaxis(mask, dim, 0).reshape(size, -1)
    assert set(per_channel.min(1)) <= {0, 1} and np.array_equal(per_channel.min(1), per_channel.max(1))
    assert int((per_channel[:, 0] == 0).sum()) == round(0.34 * size)
    before = per_channel[:, 0].copy()
    prune.random_structured(m, "weight", amount=1, dim=dim)  # one more of the remaining channels
    after = np.moveaxis(to_np(m.weight_mask), dim, 0).reshape(size, -1)[:, 0]
    assert int((after == 0).sum()) == int((before == 0).sum()) + 1 and np.all(after <= before)


def test_custom_from_mask_and_identity():
    m, tm = twin("linear")
    mask = torch.tensor([1, 0, 1, 0])
    prune.custom_from_mask(m, "bias", mask=to_al(mask))
    TP.custom_from_mask(tm, "bias", mask=mask)
    prune.identity(m, "weight")
    TP.identity(tm, "weight")
    same_state(m, tm)
    same_error(lambda: prune.custom_from_mask(m, "bias", mask=al.ones(3)),
               lambda: TP.custom_from_mask(tm, "bias", mask=torch.ones(3)), AssertionError)
    same_state(m, tm)                       # a failed pruning leaves the module as it was


def test_prune_method_on_tensor_and_custom_method():
    t = torch.randn(3, 4)
    ours = prune.L1Unstructured(amount=5).prune(to_al(t))
    close(ours, TP.L1Unstructured(amount=5).prune(t))
    close(prune.LnStructured(amount=1, n=2, dim=0).prune(to_al(t), default_mask=al.ones(3, 4)),
          TP.LnStructured(amount=1, n=2, dim=0).prune(t, default_mask=torch.ones(3, 4)))
    same_error(lambda: prune.L1Unstructured(1).prune(al.ones(2), importance_scores=al.ones(3)),
               lambda: TP.L1Unstructured(1).prune(torch.ones(2), importance_scores=torch.ones(3)), AssertionError)

    class EveryOther(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask
    m = nn.Linear(3, 2)
    EveryOther.apply(m, "weight")
    assert to_np(m.weight_mask).ravel().tolist() == [0, 1, 0, 1, 0, 1] and prune.is_pruned(nn.Sequential(m))
    with pytest.raises(TypeError):
        prune.BasePruningMethod()


def test_container_errors():
    a = prune.L1Unstructured(1)
    a._tensor_name = "weight"
    c = prune.PruningContainer(a)
    assert len(c) == 1 and c[0] is a and list(c) == [a] and c._tensor_name == "weight"
    ta = TP.L1Unstructured(1)
    ta._tensor_name = "weight"
    tc = TP.PruningContainer(ta)
    b, tb = prune.L1Unstructured(1), TP.L1Unstructured(1)
    b._tensor_name = tb._tensor_name = "bias"
    with pytest.raises(ValueError, match="Can only add pruning methods acting on the parameter named 'weight' to "
                                         "PruningContainer .*Found 'bias'"):
        c.add_pruning_method(b)
    with pytest.raises(ValueError):
        tc.add_pruning_method(tb)
    same_error(lambda: c.add_pruning_method(3), lambda: tc.add_pruning_method(3), TypeError)

    class NoDim(prune.BasePruningMethod):
        PRUNING_TYPE = "structured"

        def compute_mask(self, t, default_mask):
            return default_mask
    nd = NoDim()
    nd._tensor_name = "weight"
    c.add_pruning_method(nd)
    with pytest.raises(AttributeError, match='Pruning methods of PRUNING_TYPE "structured" need to have the '
                                             "attribute `dim` defined."):
        c.compute_mask(al.ones(2, 2), al.ones(2, 2))
    NoDim.PRUNING_TYPE = "odd"
    with pytest.raises(ValueError, match="Unrecognized PRUNING_TYPE odd"):
        c.compute_mask(al.ones(2, 2), al.ones(2, 2))


@pytest.mark.parametrize("call", [
    lambda P, m: P.l1_unstructured(m, "weight", amount=-1),
    lambda P, m: P.l1_unstructured(m, "weight", amount=1.5),
    lambda P, m: P.l1_unstructured(m, "weight", amount=-0.1),
    lambda P, m: P.random_unstructured(m, "weight", amount=21),
    lambda P, m: P.ln_structured(m, "weight", amount=5, n=2, dim=0),
    lambda P, m: P.random_structured(m, "weight", amount=6, dim=1),
    lambda P, m: P.ln_structured(m, "bias", amount=1, n=2, dim=0),
    lambda P, m: P.random_structured(m, "bias", amount=1, dim=0),
    lambda P, m: P.ln_structured(m, "weight", amount=1, n=2, dim=2),
])
def test_amount_and_dim_errors(call):
    m, tm = twin("linear")
    same_error(lambda: call(prune, m), lambda: call(TP, tm), Exception)
    same_state(m, tm)                       # the module is left as it was
    assert isinstance(m.weight, nn.Parameter)


def test_amount_type_error():
    same_error(lambda: prune.L1Unstructured(amount="a"), lambda: TP.L1Unstructured(amount="a"), TypeError)
    same_error(lambda: prune.LnStructured(amount=None, n=1), lambda: TP.LnStructured(amount=None, n=1), TypeError)


def test_state_dict_from_torch_and_optimizer_step():
    m, tm = twin("linear")
    prune.l1_unstructured(m, "weight", amount=0.5)
    TP.l1_unstructured(tm, "weight", amount=0.5)
    TP.random_unstructured(tm, "weight", amount=3)
    m.load_state_dict({k: to_al(v) for k, v in tm.state_dict().items()})
    tx = torch.randn(3, 5)
    close(m(to_al(tx)), tm(tx), rtol=1e-5, atol=1e-6)
    opt = al.optim.SGD(m.parameters(), lr=0.1)
    m(al.randn(3, 5)).sum().backward()
    opt.step()
    assert np.all(to_np(m(al.eye(5)).T - m.bias.detach().view(-1, 1))[to_np(m.weight_mask) == 0] == 0)


# ---- torch.utils.* submodules, deterministic debug mode, nn.init aliases, is_distributed ---------------------------

def test_utils_submodules_are_attributes():
    # a fresh interpreter: another test's explicit import would set the attribute anyway
    code = ("import autograd_lite as al, torch\n"
            "for name in ('checkpoint', 'data', 'hooks'):\n"
            "    assert hasattr(torch.utils, name) and hasattr(al.utils, name), name\n"
            "assert callable(al.utils.checkpoint.checkpoint) and hasattr(al.nn.utils, 'prune')\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=pathlib.Path(__file__).parents[1])


@pytest.mark.parametrize("mode, code", [("default", 0), ("warn", 1), ("error", 2), (0, 0), (1, 1), (2, 2)])
def test_deterministic_debug_mode(mode, code):
    try:
        al.set_deterministic_debug_mode(mode)
        torch.set_deterministic_debug_mode(mode)
        assert al.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode() == code
        assert al.are_deterministic_algorithms_enabled() == torch.are_deterministic_algorithms_enabled()
        assert (al.is_deterministic_algorithms_warn_only_enabled()
                == torch.is_deterministic_algorithms_warn_only_enabled())
    finally:
        al.use_deterministic_algorithms(False)
        torch.use_deterministic_algorithms(False)
    al.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert al.get_deterministic_debug_mode() == 1
    finally:
        al.use_deterministic_algorithms(False)


@pytest.mark.parametrize("bad, exc", [("loud", RuntimeError), (3, RuntimeError), (1.0, TypeError)])
def test_deterministic_debug_mode_errors(bad, exc):
    same_error(lambda: al.set_deterministic_debug_mode(bad), lambda: torch.set_deterministic_debug_mode(bad), exc)
    assert al.get_deterministic_debug_mode() == 0


@pytest.mark.parametrize("name, args", [("dirac", ((4, 2, 3, 3),)), ("eye", ((3, 5),))])
def test_init_deprecated_aliases(name, args):
    t, ours = torch.empty(*args[0]), al.empty(*args[0])
    with pytest.warns(FutureWarning) as theirs:
        getattr(torch.nn.init, name)(t)
    with pytest.warns(FutureWarning) as got:
        assert getattr(nn.init, name)(ours) is ours
    assert str(got[0].message) == str(theirs[0].message)
    assert got[0].filename == __file__          # stacklevel: the warning points at the caller, as torch's
    close(ours, t)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(nn.init, name + "_")(ours)


def test_is_distributed():
    assert al.is_distributed(al.ones(2)) is torch.is_distributed(torch.ones(2)) is False
    same_error(lambda: al.is_distributed(3), lambda: torch.is_distributed(3), TypeError)
