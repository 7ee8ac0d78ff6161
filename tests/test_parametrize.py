"""nn.utils.parametrize / parametrizations (weight_norm, spectral_norm, orthogonal), the old-style weight_norm /
spectral_norm hooks, nn.utils.fusion, skip_init and functional_call (nn.utils.stateless, autograd_lite.func),
against torch: values, gradients to the originals, state_dict keys and round trips, power iteration step for step,
errors' wording."""
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import autograd_lite as al
from autograd_lite import nn
from autograd_lite.nn.utils import parametrizations as PZ
from autograd_lite.nn.utils import parametrize as P

TP, TPZ = torch.nn.utils.parametrize, torch.nn.utils.parametrizations


def to_al(t):
    return al.tensor(t.detach().numpy())


def to_np(t):
    return np.asarray(t) if isinstance(t, np.ndarray) else t.detach().numpy()


def close(ours, ref, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(to_np(ours), to_np(ref), rtol=rtol, atol=atol)


def twin_linear(i, o, bias=True):
    """An nn.Linear and a torch.nn.Linear with the same weights."""
    tm = torch.nn.Linear(i, o, bias=bias)
    m = nn.Linear(i, o, bias=bias)
    m.load_state_dict({k: to_al(v) for k, v in tm.state_dict().items()})
    return m, tm


def load_from_torch(m, tm):
    m.load_state_dict({k: to_al(v) for k, v in tm.state_dict().items()})


def symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()
    return Symmetric()


def scale(lib, s):
    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * s

        def right_inverse(self, X):
            return X / s
    return Scale()


def rank_one(lib):
    class RankOne(lib.nn.Module):
        def forward(self, x, y):
            return x.unsqueeze(-1) @ y.unsqueeze(-2)

        def right_inverse(self, Z):
            return Z[:, 0].clone(), Z[0, :].clone()
    return RankOne()


# ---- parametrize ------------------------------------------------------------------------------------------------
def test_register_values_grads_keys_against_torch():
    m, tm = twin_linear(4, 4)
    P.register_parametrization(m, "weight", symmetric(al))
    TP.register_parametrization(tm, "weight", symmetric(torch))
    assert type(m).__name__ == type(tm).__name__ == "ParametrizedLinear"
    assert list(m.state_dict()) == list(tm.state_dict())
    close(m.weight, tm.weight)
    x = np.random.randn(3, 4).astype(np.float32)
    (m(al.tensor(x)) ** 2).sum().backward()
    (tm(torch.tensor(x)) ** 2).sum().backward()
    close(m.parametrizations.weight.original.grad, tm.parametrizations.weight.original.grad, 1e-4, 1e-5)
    close(m.bias.grad, tm.bias.grad, 1e-4, 1e-5)
    assert P.is_parametrized(m) and P.is_parametrized(m, "weight") and not P.is_parametrized(m, "bias")
    assert P.type_before_parametrizations(m) is nn.Linear
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]


def test_stacked_and_assignment_through_right_inverse():
    m, tm = twin_linear(3, 3)
    for mod, lib in ((m, al), (tm, torch)):
        lib.nn.utils.parametrize.register_parametrization(mod, "weight", symmetric(lib))
        lib.nn.utils.parametrize.register_parametrization(mod, "weight", scale(lib, 3.0))
    assert len(m.parametrizations.weight) == 2
    close(m.weight, tm.weight)
    a = np.random.randn(3, 3).astype(np.float32)
    a = a + a.T
    m.weight = al.tensor(a)
    with torch.no_grad():
        tm.weight = torch.tensor(a)
    close(m.weight, a, 1e-5, 1e-5)
    close(m.parametrizations.weight.original, tm.parametrizations.weight.original)


def test_original_keeps_identity_and_optimizer_trains_it():
    m = nn.Linear(3, 3)
    w = m.weight
    P.register_parametrization(m, "weight", symmetric(al))
    assert m.parametrizations.weight.original is w
    opt = al.optim.SGD(m.parameters(), lr=0.1)
    before = w.detach().clone()
    m(al.randn(2, 3)).sum().backward()
    opt.step()
    assert not bool((w == before).all())
    assert bool((m.weight == m.weight.T).all())


def test_sequence_right_inverse_original0_original1():
    m, tm = twin_linear(3, 4)
    P.register_parametrization(m, "weight", rank_one(al))
    TP.register_parametrization(tm, "weight", rank_one(torch))
    assert list(m.state_dict()) == list(tm.state_dict())
    assert "parametrizations.weight.original1" in m.state_dict()
    close(m.weight, tm.weight)
    m(al.ones(2, 3)).sum().backward()
    tm(torch.ones(2, 3)).sum().backward()
    close(m.parametrizations.weight.original0.grad, tm.parametrizations.weight.original0.grad, 1e-4, 1e-5)
    with pytest.raises(ValueError, match=r"Cannot leave unparametrized \(`leave_parametrized=False`\)"):
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and isinstance(m.weight, nn.Parameter)
    close(m.weight, tm.weight)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    m, tm = twin_linear(3, 3)
    P.register_parametrization(m, "weight", scale(al, 2.0))
    TP.register_parametrization(tm, "weight", scale(torch, 2.0))
    original = m.parametrizations.weight.original
    P.remove_parametrizations(m, "weight", leave_parametrized=leave)
    TP.remove_parametrizations(tm, "weight", leave_parametrized=leave)
    assert type(m) is nn.Linear and not hasattr(m, "parametrizations")
    assert m.weight is original and isinstance(m.weight, nn.Parameter)
    close(m.weight, tm.weight)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]


def test_buffer_parametrized_stays_buffer():
    m = nn.BatchNorm1d(3)
    P.register_parametrization(m, "running_var", scale(al, 2.0))
    tm = torch.nn.BatchNorm1d(3)
    TP.register_parametrization(tm, "running_var", scale(torch, 2.0))
    assert list(m.state_dict()) == list(tm.state_dict())
    close(m.running_var, tm.running_var)
    P.remove_parametrizations(m, "running_var")
    assert "running_var" in m._buffers


def test_unsafe_allows_shape_change_and_errors_otherwise():
    class Flat(nn.Module):
        def forward(self, X):
            return X.reshape(-1)
    m = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="Registering a parametrization may not change the shape of the tensor, "
                                         r"unless `unsafe` flag is enabled.\nunparametrized shape"):
        P.register_parametrization(m, "weight", Flat())
    assert type(m) is nn.Linear
    P.register_parametrization(m, "weight", Flat(), unsafe=True)
    assert m.weight.shape == (6,)

    class Double(nn.Module):
        def forward(self, X):
            return X.double()
    with pytest.raises(ValueError, match="may not change the dtype"):
        P.register_parametrization(nn.Linear(3, 2), "weight", Double())
    class Head(nn.Module):
        def forward(self, X):
            return X[:2]
    with pytest.raises(ValueError, match="Registering a parametrization may not change the shape of the tensor, unless "
                                         "the `unsafe` flag is enabled.\nmodule.weight.shape"):
        P.register_parametrization(m, "weight", Head())


def test_errors_wording():
    m = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element with name "
                                         "'nope'"):
        P.register_parametrization(m, "nope", scale(al, 2.0))
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(m, "weight")

    class NoInverse(nn.Module):
        def forward(self, X):
            return X * 2
    P.register_parametrization(m, "weight", NoInverse())
    with pytest.raises(RuntimeError, match="parametrization NoInverse does not implement right_inverse."):
        m.weight = al.ones(2, 2)

    class NotTensor(nn.Module):
        def forward(self, X):
            return 3
    with pytest.raises(ValueError, match="A parametrization must return a tensor. Got int."):
        P.register_parametrization(nn.Linear(2, 2), "weight", NotTensor())
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only supported through "
                                           r"state_dict\(\)"):
        pickle.dumps(m)


def test_cached_computes_once():
    calls = []

    class Counting(nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2
    m = P.register_parametrization(nn.Linear(2, 2), "weight", Counting(), unsafe=True)
    m.weight, m.weight
    assert len(calls) == 2
    with P.cached():
        a, b = m.weight, m.weight
        assert a is b
    assert len(calls) == 3
    m.weight
    assert len(calls) == 4


def test_state_dict_round_trip_into_torch_and_back():
    m = nn.Linear(4, 3)
    P.register_parametrization(m, "weight", scale(al, 0.5))
    tm = TP.register_parametrization(torch.nn.Linear(4, 3), "weight", scale(torch, 0.5))
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
    x = np.random.randn(2, 4).astype(np.float32)
    close(m(al.tensor(x)), tm(torch.tensor(x)))
    m2 = P.register_parametrization(nn.Linear(4, 3), "weight", scale(al, 0.5))
    load_from_torch(m2, tm)
    close(m2(al.tensor(x)), tm(torch.tensor(x)))


def test_deepcopy_and_train_mode_follow():
    m = P.register_parametrization(nn.Linear(3, 3).eval(), "weight", scale(al, 2.0))
    assert not m.parametrizations.weight[0].training
    c = copy.deepcopy(m)
    assert type(c) is type(m)
    close(c.weight, m.weight)
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original


def test_transfer_parametrizations_and_params():
    a = P.register_parametrization(nn.Linear(3, 3), "weight", scale(al, 2.0))
    b = P.transfer_parametrizations_and_params(a, nn.Linear(3, 3))
    assert P.is_parametrized(b, "weight")
    close(b.weight, a.weight)


# ---- parametrizations.weight_norm ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1, None])
def test_weight_norm_against_torch(dim):
    m, tm = twin_linear(5, 4)
    PZ.weight_norm(m, dim=dim)
    TPZ.weight_norm(tm, dim=dim)
    assert list(m.state_dict()) == list(tm.state_dict())
    for k, v in tm.state_dict().items():
        close(m.state_dict()[k], v)
        assert tuple(m.state_dict()[k].shape) == tuple(v.shape), k
    close(m.weight, tm.weight)
    x = np.random.randn(3, 5).astype(np.float32)
    (m(al.tensor(x)) ** 2).sum().backward()
    (tm(torch.tensor(x)) ** 2).sum().backward()
    for name in ("original0", "original1"):
        close(getattr(m.parametrizations.weight, name).grad, getattr(tm.parametrizations.weight, name).grad,
              1e-4, 1e-5)


def test_weight_norm_conv_dim_and_second_order():
    tm = torch.nn.Conv2d(2, 3, 3)
    m = nn.Conv2d(2, 3, 3)
    load_from_torch(m, tm)
    PZ.weight_norm(m, dim=1)
    TPZ.weight_norm(tm, dim=1)
    assert m.parametrizations.weight.original0.shape == tm.parametrizations.weight.original0.shape == (1, 2, 1, 1)
    close(m.weight, tm.weight)
    g = m.parametrizations.weight.original0
    (gw,) = al.autograd.grad((m.weight ** 2).sum(), g, create_graph=True)
    tg = tm.parametrizations.weight.original0
    (tgw,) = torch.autograd.grad((tm.weight ** 2).sum(), tg, create_graph=True)
    close(gw, tgw, 1e-4, 1e-5)
    close(al.autograd.grad(gw.sum(), g)[0], torch.autograd.grad(tgw.sum(), tg)[0], 1e-4, 1e-5)


def test_weight_norm_loads_old_style_state_dict():
    tm = torch.nn.Linear(4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(tm)
    old = {k: to_al(v) for k, v in tm.state_dict().items()}
    assert set(old) == {"bias", "weight_g", "weight_v"}
    m = PZ.weight_norm(nn.Linear(4, 3))
    m.load_state_dict(old)
    x = np.random.randn(2, 4).astype(np.float32)
    close(m(al.tensor(x)), tm(torch.tensor(x)))


# ---- old-style weight_norm ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None])
def test_old_weight_norm_against_torch(dim):
    m, tm = twin_linear(5, 4)
    with pytest.warns(FutureWarning, match=r"`torch.nn.utils.weight_norm` is deprecated in favor of "
                                           r"`torch.nn.utils.parametrizations.weight_norm`."):
        nn.utils.weight_norm(m, dim=dim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.nn.utils.weight_norm(tm, dim=dim)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert m.weight_g.shape == tm.weight_g.shape
    x = np.random.randn(3, 5).astype(np.float32)
    (m(al.tensor(x)) ** 2).sum().backward()
    (tm(torch.tensor(x)) ** 2).sum().backward()
    close(m.weight_g.grad, tm.weight_g.grad, 1e-4, 1e-5)
    close(m.weight_v.grad, tm.weight_v.grad, 1e-4, 1e-5)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nn.utils.weight_norm(m, dim=dim)
    nn.utils.remove_weight_norm(m)
    torch.nn.utils.remove_weight_norm(tm)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]
    close(m.weight, tm.weight)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(m)


# ---- spectral norm --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda lib: lib.nn.Linear(5, 4), lambda lib: lib.nn.Conv2d(2, 3, 3),
                                  lambda lib: lib.nn.ConvTranspose2d(2, 3, 3)], ids=["linear", "conv", "convT"])
def test_spectral_norm_power_iteration_step_for_step(make):
    m = PZ.spectral_norm(make(al), n_power_iterations=2)
    tm = TPZ.spectral_norm(make(torch), n_power_iterations=2)
    assert list(m.state_dict()) == list(tm.state_dict())
    assert m.parametrizations.weight[0].dim == tm.parametrizations.weight[0].dim
    load_from_torch(m, tm)        # the same original, u and v
    x = np.random.randn(2, *((5,) if isinstance(m, nn.Linear) else (2, 6, 6))).astype(np.float32)
    for _ in range(3):            # training: one (here two) step(s) per access
        out, tout = m(al.tensor(x)), tm(torch.tensor(x))
        close(out, tout, 1e-4, 1e-5)
        close(m.parametrizations.weight[0]._u, tm.parametrizations.weight[0]._u, 1e-4, 1e-5)
        close(m.parametrizations.weight[0]._v, tm.parametrizations.weight[0]._v, 1e-4, 1e-5)
    out.sum().backward()
    tout.sum().backward()
    close(m.parametrizations.weight.original.grad, tm.parametrizations.weight.original.grad, 1e-3, 1e-4)
    m.eval()
    tm.eval()
    u = m.parametrizations.weight[0]._u.clone()
    close(m.weight, tm.weight, 1e-4, 1e-5)
    assert bool((m.parametrizations.weight[0]._u == u).all())       # eval mode: no step


def test_spectral_norm_norm_is_one_and_errors():
    m = PZ.spectral_norm(nn.Linear(20, 10))
    for _ in range(20):
        w = m.weight
    assert abs(float(al.linalg.matrix_norm(w.detach(), 2)) - 1) < 1e-3
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got n_power_iterations=0"):
        PZ.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\] but got 2\)"):
        PZ.spectral_norm(nn.Linear(2, 2), dim=2)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
        PZ.spectral_norm(nn.Linear(2, 2), name="nope")


def test_old_spectral_norm_against_torch():
    m, tm = twin_linear(5, 4)
    nn.utils.spectral_norm(m)
    torch.nn.utils.spectral_norm(tm)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    load_from_torch(m, tm)
    x = np.random.randn(3, 5).astype(np.float32)
    for _ in range(3):
        out, tout = m(al.tensor(x)), tm(torch.tensor(x))
        close(out, tout, 1e-4, 1e-5)
        close(m.weight_u, tm.weight_u, 1e-4, 1e-5)
        close(m.weight_v, tm.weight_v, 1e-4, 1e-5)
    out.sum().backward()
    tout.sum().backward()
    close(m.weight_orig.grad, tm.weight_orig.grad, 1e-3, 1e-4)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the same parameter weight"):
        nn.utils.spectral_norm(m)
    nn.utils.remove_spectral_norm(m)
    torch.nn.utils.remove_spectral_norm(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    close(m.weight, tm.weight, 1e-4, 1e-5)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        nn.utils.remove_spectral_norm(m)


# ---- orthogonal -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,orth_map", [((4, 4), None), ((4, 4), "cayley"), ((4, 4), "householder"),
                                            ((6, 3), None), ((3, 6), "matrix_exp"), ((6, 3), "cayley")])
def test_orthogonal_against_torch(shape, orth_map):
    m, tm = twin_linear(shape[1], shape[0], bias=False)
    PZ.orthogonal(m, orthogonal_map=orth_map)
    TPZ.orthogonal(tm, orthogonal_map=orth_map)
    assert list(m.state_dict()) == list(tm.state_dict())
    w = m.weight
    k = min(shape)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    close(gram, np.eye(k, dtype=np.float32), 1e-5, 2e-6)
    # the same original and base in both: the same weight and gradient (checks the matrix_exp / cayley / householder)
    x = (np.random.randn(*shape) * 0.7).astype(np.float32)
    with torch.no_grad():
        tm.parametrizations.weight.original.copy_(torch.tensor(x))
    if shape[0] != shape[1]:
        m.parametrizations.weight[0].base = to_al(tm.parametrizations.weight[0].base)
    else:
        close(m.parametrizations.weight[0].base, tm.parametrizations.weight[0].base, 1e-5, 1e-5)
    with al.no_grad():
        m.parametrizations.weight.original.copy_(al.tensor(x))
    close(m.weight, tm.weight, 1e-4, 1e-5)
    (m.weight ** 3).sum().backward()
    (tm.weight ** 3).sum().backward()
    close(m.parametrizations.weight.original.grad, tm.parametrizations.weight.original.grad, 1e-3, 1e-4)


def test_orthogonal_errors_and_matrix_exp_large_norm():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."):
        PZ.orthogonal(nn.Linear(2, 2), name="bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                                         "Got: svd"):
        PZ.orthogonal(nn.Linear(2, 2), orthogonal_map="svd")
    a = np.random.randn(2, 5, 5).astype(np.float32) * 3
    ours = al.linalg.matrix_exp(al.tensor(a))
    ref = torch.matrix_exp(torch.tensor(a))
    close(ours, ref, 1e-4, 1e-4)
    a64 = np.random.randn(4, 4)
    close(al.linalg.matrix_exp(al.tensor(a64)), torch.matrix_exp(torch.tensor(a64)), 1e-10, 1e-10)


# ---- fusion, skip_init ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval(transpose):
    tconv = (torch.nn.ConvTranspose2d if transpose else torch.nn.Conv2d)(3, 4, 3).eval()
    tbn = torch.nn.BatchNorm2d(4).eval()
    with torch.no_grad():
        for t in (tbn.weight, tbn.bias, tbn.running_mean):
            t.copy_(torch.randn(4))
        tbn.running_var.copy_(torch.rand(4) + 0.5)
    conv = (nn.ConvTranspose2d if transpose else nn.Conv2d)(3, 4, 3).eval()
    bn = nn.BatchNorm2d(4).eval()
    load_from_torch(conv, tconv)
    load_from_torch(bn, tbn)
    fused = nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
    tfused = torch.nn.utils.fuse_conv_bn_eval(tconv, tbn, transpose=transpose)
    close(fused.weight, tfused.weight)
    close(fused.bias, tfused.bias)
    assert isinstance(fused.weight, nn.Parameter) and fused is not conv
    x = np.random.randn(2, 3, 6, 6).astype(np.float32)
    close(fused(al.tensor(x)), bn(conv(al.tensor(x))), 1e-4, 1e-4)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_conv_bn_eval(conv.train(), bn)


def test_fuse_linear_bn_eval():
    tlin, tbn = torch.nn.Linear(3, 4).eval(), torch.nn.BatchNorm1d(4).eval()
    with torch.no_grad():
        tbn.running_mean.copy_(torch.randn(4))
        tbn.running_var.copy_(torch.rand(4) + 0.5)
    lin, bn = nn.Linear(3, 4).eval(), nn.BatchNorm1d(4).eval()
    load_from_torch(lin, tlin)
    load_from_torch(bn, tbn)
    fused, tfused = nn.utils.fuse_linear_bn_eval(lin, bn), torch.nn.utils.fuse_linear_bn_eval(tlin, tbn)
    close(fused.weight, tfused.weight)
    close(fused.bias, tfused.bias)
    with pytest.raises(AssertionError, match="To fuse, linear.out_features == bn.num_features or bn.num_features == "
                                             "1, got linear.out_features=4 and bn.num_features=5"):
        nn.utils.fuse_linear_bn_eval(lin, nn.BatchNorm1d(5).eval())
    w, b = nn.utils.fuse_linear_bn_weights(lin.weight, None, bn.running_mean, bn.running_var, bn.eps, bn.weight,
                                           bn.bias)
    tw, tb = torch.nn.utils.fuse_linear_bn_weights(tlin.weight, None, tbn.running_mean, tbn.running_var, tbn.eps,
                                                   tbn.weight, tbn.bias)
    close(w, tw)
    close(b, tb)


def test_skip_init():
    m = nn.utils.skip_init(nn.Linear, 5, 1)
    assert type(m) is nn.Linear and m.weight.shape == (1, 5)
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
        nn.utils.skip_init(nn.ReLU)
    with pytest.raises(RuntimeError, match="Expected a Module; got"):
        nn.utils.skip_init(int)


# ---- functional_call ------------------------------------------------------------------------------------------------
def test_functional_call_swaps_for_one_call_and_grads_flow():
    m, tm = twin_linear(3, 2)
    w = np.random.randn(2, 3).astype(np.float32)
    aw = al.tensor(w, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    x = np.random.randn(4, 3).astype(np.float32)
    out = al.func.functional_call(m, {"weight": aw}, (al.tensor(x),))
    tout = torch.func.functional_call(tm, {"weight": tw}, (torch.tensor(x),))
    close(out, tout)
    out.sum().backward()
    tout.sum().backward()
    close(aw.grad, tw.grad)
    assert m.weight.grad is None and isinstance(m.weight, nn.Parameter)
    close(m(al.tensor(x)), tm(torch.tensor(x)))                       # restored
    kw = al.func.functional_call(m, ({"weight": aw}, {"bias": al.zeros(2)}), kwargs={"input": al.tensor(x)})
    close(kw, al.tensor(x) @ aw.T)
    with pytest.raises(ValueError, match=r"\['weight'\] appeared in multiple dictionaries; behavior of functional "
                                         "call is ambiguous"):
        al.func.functional_call(m, ({"weight": aw}, {"weight": aw}), (al.tensor(x),))


def test_functional_call_strict_tied_buffers_and_stateless_warning():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    with pytest.raises(RuntimeError, match=r"Error\(s\) in reparametrizing for Sequential:\n\tUnexpected key\(s\): "
                                           r"'nope'.\n\tMissing key\(s\): '0.bias', '0.weight', '1.bias'"):
        al.func.functional_call(m, {"nope": al.ones(1)}, (al.ones(3, 2),), strict=True)
    rm = al.zeros(2)
    al.func.functional_call(m, {"1.running_mean": rm}, (al.ones(3, 2),))
    assert float(rm.abs().sum()) > 0 and float(m[1].running_mean.abs().sum()) == 0    # the given buffer updated

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2, bias=False)
            self.b = nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))
    t = Tied()
    w = al.eye(2) * 2
    close(al.func.functional_call(t, {"a.weight": w}, al.ones(1, 2)), np.full((1, 2), 4.0, np.float32))
    untied = al.func.functional_call(t, {"a.weight": w}, al.ones(1, 2), tie_weights=False)
    close(untied, al.ones(1, 2) @ w.T @ t.a.weight.T)
    with pytest.raises(ValueError, match="functional_call got multiple values for keys"):
        al.func.functional_call(t, {"a.weight": w, "b.weight": w * 2}, al.ones(1, 2))
    with pytest.warns(FutureWarning, match="`torch.nn.utils.stateless.functional_call` is deprecated"):
        nn.utils.stateless.functional_call(t, {"a.weight": w}, al.ones(1, 2))


# ---- torch.func transforms --------------------------------------------------------------------------------------
def _pair(x):
    return al.tensor(x), torch.tensor(x)


def test_func_grad_vjp_jacrev_hessian_against_torch():
    x = np.random.randn(3).astype(np.float32)
    y = np.random.randn(3).astype(np.float32)
    (ax, tx), (ay, ty) = _pair(x), _pair(y)

    def f(lib):
        return lambda a, b: (a.sin() * b).sum() + (a ** 3).sum()
    close(al.func.grad(f(al))(ax, ay), torch.func.grad(f(torch))(tx, ty), 1e-5, 1e-5)
    for got, ref in zip(al.func.grad(f(al), argnums=(0, 1))(ax, ay), torch.func.grad(f(torch), argnums=(0, 1))(tx, ty)):
        close(got, ref, 1e-5, 1e-5)
    (g, (v, aux)) = al.func.grad_and_value(lambda a: ((a ** 2).sum(), a.mean()), has_aux=True)(ax)
    close(g, 2 * tx)
    close(v, (tx ** 2).sum())
    assert not g.requires_grad and not v.requires_grad
    close(al.func.grad(al.func.grad(lambda a: a.sin()))(al.tensor(0.5)), -torch.tensor(0.5).sin())
    out, fn = al.func.vjp(lambda a, b: a * b, ax, ay)
    tout, tfn = torch.func.vjp(lambda a, b: a * b, tx, ty)
    close(out, tout)
    for got, ref in zip(fn(al.ones(3)), tfn(torch.ones(3))):
        close(got, ref)

    def h(lib):
        return lambda a: (a.exp() * a.sum()).sin()
    close(al.func.jacrev(h(al))(ax), torch.func.jacrev(h(torch))(tx), 1e-4, 1e-5)
    close(al.func.jacfwd(h(al))(ax), torch.func.jacfwd(h(torch))(tx), 1e-4, 1e-5)
    close(al.func.hessian(f(al))(ax, ay), torch.func.hessian(f(torch))(tx, ty), 1e-4, 1e-5)
    got = al.func.jacrev(lambda a, b: (a * b, a.sum()), argnums=(0, 1))(ax, ay)
    ref = torch.func.jacrev(lambda a, b: (a * b, a.sum()), argnums=(0, 1))(tx, ty)
    for g2, r2 in zip(got, ref):
        for g3, r3 in zip(g2, r2):
            close(g3, r3)


def test_func_grad_with_functional_call_per_sample_and_errors():
    m, tm = twin_linear(3, 2)
    params = {k: v.detach() for k, v in m.named_parameters()}
    tparams = {k: v.detach() for k, v in tm.named_parameters()}
    x = np.random.randn(3).astype(np.float32)

    def loss(lib, mod):
        return lambda p, xi: (lib.func.functional_call(mod, p, (xi.unsqueeze(0),)) ** 2).sum()
    g = al.func.grad(loss(al, m))(params, al.tensor(x))
    tg = torch.func.grad(loss(torch, tm))(tparams, torch.tensor(x))
    assert list(g) == list(tg)
    for k in g:
        close(g[k], tg[k], 1e-5, 1e-5)
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got tensor with 1 dims. "
                                           "Maybe you wanted to use the vjp or jacrev APIs instead?"):
        al.func.grad(lambda a: a * 2)(al.ones(3))
    with pytest.raises(RuntimeError, match="output of function f should be a tuple: \\(output, aux\\) if has_aux is "
                                           "True"):
        al.func.grad(lambda a: a.sum(), has_aux=True)(al.ones(3))
    with pytest.raises(RuntimeError, match="Got argnum=2, but only 1 positional inputs"):
        al.func.grad(lambda a: a.sum(), argnums=2)(al.ones(3))
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor, got <class 'float'>"):
        al.func.grad(lambda a: a.sum())(3.0)
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        al.func.grad(lambda a: a.sum())(al.ones(3, dtype=al.int64))
