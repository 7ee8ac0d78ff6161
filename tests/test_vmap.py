"""autograd_lite.func.vmap (torch.vmap), stack_module_state, replace_all_batch_norm_modules_ and functionalize against
PyTorch: values, shapes, dtypes and gradients (per-sample gradients, model ensembling, nested vmap, vmap of jvp),
in_dims / out_dims pytrees, randomness modes, and every error with PyTorch's message."""
import copy
import weakref
from collections import namedtuple

import numpy as np
import pytest
from error_parity import assert_same_error

import autograd_lite as al
from autograd_lite import nn
from autograd_lite.func._pytree import broadcast_to_and_flatten, tree_flatten, tree_unflatten

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
A = RNG.standard_normal((4, 3, 5)).astype(np.float32)
B = RNG.standard_normal((4, 5)).astype(np.float32)
W = RNG.standard_normal((5, 2)).astype(np.float32)
Pair = namedtuple("Pair", "a b")


def close(ours, ref, rtol=1e-5, atol=1e-6):
    assert tuple(ours.shape) == tuple(ref.shape)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_allclose(ours.detach().cpu().numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)


def tree_close(ours, ref):
    got, spec = tree_flatten(ours)
    want, _ = tree_flatten(ref)
    assert len(got) == len(want) and spec.num_leaves == len(want)
    for g, w in zip(got, want):
        if isinstance(w, torch.Tensor):
            close(g, w)
        else:
            assert g == w and not isinstance(g, al.Tensor)


def both(make_args):
    """The same arguments built with each library (make_args(lib) uses lib.tensor)."""
    return make_args(al), make_args(torch)


# ---- values, against torch --------------------------------------------------------------------------------------
CASES = {
    "dot": (lambda lib: lib.dot, {}, lambda lib: (lib.tensor(B), lib.tensor(B[::-1].copy()))),
    "matmul_in_dims_none": (lambda lib: lambda x, w: x @ w, dict(in_dims=(0, None)),
                            lambda lib: (lib.tensor(B), lib.tensor(W))),
    "in_dim_1_out_dim_1": (lambda lib: lambda x: x.softmax(-1) * 2, dict(in_dims=1, out_dims=1),
                           lambda lib: (lib.tensor(A),)),
    "negative_dims": (lambda lib: lambda x: x.cumsum(0), dict(in_dims=-1, out_dims=-1), lambda lib: (lib.tensor(A),)),
    "tuple_outputs_out_dims": (lambda lib: lambda x: (x.sum(0), x.max(), x.t()), dict(out_dims=(1, 0, 2)),
                               lambda lib: (lib.tensor(A),)),
    "dict_input_nested_in_dims": (lambda lib: lambda d, y: d["u"] * y.sum() + d["v"],
                                  dict(in_dims=({"u": 0, "v": None}, 0)),
                                  lambda lib: ({"u": lib.tensor(B), "v": lib.tensor(W[:, 0])}, lib.tensor(B))),
    "list_output_pytree_out_dims": (lambda lib: lambda x: [x, {"s": x.sum(), "t": x * 2}],
                                    dict(out_dims=[0, {"s": 0, "t": 1}]), lambda lib: (lib.tensor(B),)),
    "namedtuple_input": (lambda lib: lambda p: p.a * p.b, {}, lambda lib: (Pair(lib.tensor(B), lib.tensor(B)),)),
    "out_dims_none_constant": (lambda lib: lambda x: (x * 3, lib.ones(2)), dict(out_dims=(0, None)),
                               lambda lib: (lib.tensor(B),)),
    "non_tensor_output_out_dims_none": (lambda lib: lambda x: (x, 3), dict(out_dims=(0, None)),
                                        lambda lib: (lib.tensor(B),)),
    "output_independent_of_input": (lambda lib: lambda x: lib.arange(3.), {}, lambda lib: (lib.tensor(B),)),
    "scalar_elements": (lambda lib: lambda x: x * x + 1, {}, lambda lib: (lib.tensor(B[0]),)),
    "int_dtype": (lambda lib: lambda x: x.argmax(), {}, lambda lib: (lib.tensor(B),)),
    "float64": (lambda lib: lambda x: x.exp().sum(), {}, lambda lib: (lib.tensor(B.astype(np.float64)),)),
    "empty_batch": (lambda lib: lambda x: (x @ lib.ones(5, 2)).relu(), {}, lambda lib: (lib.zeros(0, 5),)),
    "empty_batch_out_dim_1": (lambda lib: lambda x: x.sum(0), dict(in_dims=1, out_dims=-1),
                              lambda lib: (lib.zeros(3, 0, 5),)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_vmap_against_torch(case):
    fn, kwargs, make_args = CASES[case]
    ours, ref = both(make_args)
    tree_close(al.vmap(fn(al), **kwargs)(*ours), torch.vmap(fn(torch), **kwargs)(*ref))


def test_func_vmap_is_torch_vmap_and_kwargs_are_not_mapped():
    assert al.func.vmap is al.vmap
    ours = al.func.vmap(lambda x, scale=4.0: x * scale)(al.tensor(B), scale=al.tensor(W[:, 0]))
    ref = torch.func.vmap(lambda x, scale=4.0: x * scale)(torch.tensor(B), scale=torch.tensor(W[:, 0]))
    close(ours, ref)


def test_nested_vmap_and_chunk_size():
    fn = lambda lib: lambda x, y: (x * y).sum()         # noqa: E731
    inner = lambda lib: lib.vmap(fn(lib), in_dims=(None, 0))        # noqa: E731
    ours = al.vmap(inner(al), in_dims=(0, None))(al.tensor(B), al.tensor(B))
    ref = torch.vmap(inner(torch), in_dims=(0, None))(torch.tensor(B), torch.tensor(B))
    close(ours, ref, 1e-5, 1e-5)
    for chunk in (1, 3, 10):
        close(al.vmap(lambda x: x.exp(), chunk_size=chunk)(al.tensor(B)), torch.tensor(B).exp())


def test_data_dependent_control_flow_runs_per_element():
    """The per-element fallback runs Python branches and .item() (torch refuses .item() under vmap)."""
    out = al.vmap(lambda x: x * 2 if x.sum().item() > 0 else -x)(al.tensor(B))
    expected = np.stack([r * 2 if r.sum() > 0 else -r for r in B])
    np.testing.assert_allclose(out.numpy(), expected)


def test_vmap_on_device(device):
    x, w = al.tensor(B, device=device, requires_grad=True), al.tensor(W, device=device)
    out = al.vmap(lambda r, w: (r @ w).tanh(), in_dims=(0, None))(x, w)
    assert out.device == x.device
    out.sum().backward()
    tx = torch.tensor(B, requires_grad=True)
    torch.vmap(lambda r, w: (r @ w).tanh(), in_dims=(0, None))(tx, torch.tensor(W)).sum().backward()
    close(out.cpu(), torch.tanh(torch.tensor(B) @ torch.tensor(W)), 1e-5, 1e-6)
    close(x.grad.cpu(), tx.grad, 1e-5, 1e-6)


# ---- gradients ----------------------------------------------------------------------------------------------------
def test_gradients_flow_through_vmap():
    ours = [al.tensor(A, requires_grad=True), al.tensor(W, requires_grad=True)]
    ref = [torch.tensor(A, requires_grad=True), torch.tensor(W, requires_grad=True)]
    for lib, (x, w) in ((al, ours), (torch, ref)):
        out = lib.vmap(lambda r, w: (r @ w).sigmoid().sum(0), in_dims=(1, None), out_dims=1)(x, w)
        assert out.requires_grad
        (out ** 2).sum().backward()
    for o, r in zip(ours, ref):
        close(o.grad, r.grad, 1e-5, 1e-6)


def test_vmap_without_grad_returns_plain_tensors():
    out = al.vmap(lambda r: r * 2)(al.tensor(B))
    assert not out.requires_grad and out.grad_fn is None
    with al.no_grad():
        out = al.vmap(lambda r: r * 2)(al.tensor(B, requires_grad=True))
    assert not out.requires_grad


def _per_sample(lib, model, x, y):
    F = lib.nn.functional
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def loss(p, b, sample, target):
        out = lib.func.functional_call(model, (p, b), (sample.unsqueeze(0),))
        return F.cross_entropy(out, target.unsqueeze(0))
    return lib.func.vmap(lib.func.grad(loss), in_dims=(None, None, 0, 0))(params, buffers, x, y)


def _twin(make):
    tm, m = make(torch.nn), make(nn)
    m.load_state_dict({k: al.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return m, tm


def test_per_sample_gradients_tutorial():
    """torch.func's per-sample-gradients tutorial: vmap(grad(loss)) with functional_call."""
    m, tm = _twin(lambda n: n.Sequential(n.Linear(5, 8), n.Tanh(), n.Linear(8, 3)))
    y = RNG.integers(0, 3, 4)
    ours = _per_sample(al, m, al.tensor(B), al.tensor(y))
    ref = _per_sample(torch, tm, torch.tensor(B), torch.tensor(y))
    assert list(ours) == list(ref)
    for k in ref:
        close(ours[k], ref[k], 1e-4, 1e-6)
        assert not ours[k].requires_grad


def test_model_ensembling_tutorial():
    """stack_module_state + functional_call + vmap over the stacked parameters, then backward to them."""
    pairs = [_twin(lambda n: n.Sequential(n.Linear(5, 4), n.ReLU(), n.Linear(4, 2))) for _ in range(3)]
    results = []
    for lib, models in ((al, [p[0] for p in pairs]), (torch, [p[1] for p in pairs])):
        params, buffers = lib.func.stack_module_state(models)
        base = copy.deepcopy(models[0])

        def fmodel(p, b, x):
            return lib.func.functional_call(base, (p, b), (x,))
        out = lib.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, lib.tensor(B))
        out.square().sum().backward()
        results.append((params, buffers, out))
    (params, buffers, out), (tparams, tbuffers, tout) = results
    close(out, tout, 1e-5, 1e-6)
    assert list(params) == list(tparams) and buffers == {} == tbuffers
    for k in tparams:
        assert params[k].is_leaf and params[k].requires_grad
        close(params[k], tparams[k])
        close(params[k].grad, tparams[k].grad, 1e-4, 1e-5)


def test_stack_module_state_buffers_and_errors():
    bns = [nn.BatchNorm1d(3) for _ in range(2)]
    tbns = [torch.nn.BatchNorm1d(3) for _ in range(2)]
    params, buffers = al.func.stack_module_state(bns)
    tparams, tbuffers = torch.func.stack_module_state(tbns)
    assert list(buffers) == list(tbuffers)
    for k in tbuffers:
        close(buffers[k], tbuffers[k])
        assert not buffers[k].requires_grad
    frozen = [nn.Linear(2, 2) for _ in range(2)]
    frozen[1].weight.requires_grad_(False)
    for models, message in (([], "stack_module_state: Expected at least one model, got 0."),
                            ([nn.Linear(2, 2), nn.Linear(2, 2).eval()],
                             "stack_module_state: Expected all models to have the same training/eval mode."),
                            ([nn.Linear(2, 2), nn.Tanh()],
                             "stack_module_state: Expected all models to be of the same class."),
                            (frozen, "Expected weight from each model to have the same .requires_grad")):
        with pytest.raises(RuntimeError, match=f"^{message.replace('.', '[.]')}$"):
            al.func.stack_module_state(models)


def test_replace_all_batch_norm_modules_():
    m, tm = _twin(lambda n: n.Sequential(n.Linear(5, 3), n.BatchNorm1d(3), n.Sequential(n.BatchNorm1d(3))))
    assert al.func.replace_all_batch_norm_modules_(m) is m
    torch.func.replace_all_batch_norm_modules_(tm)
    for ours, ref in zip(m.modules(), tm.modules()):
        if isinstance(ref, torch.nn.BatchNorm1d):
            assert ours.track_running_stats is False and ours.running_mean is None and ours.running_var is None
    assert sorted(dict(m.named_buffers())) == sorted(dict(tm.named_buffers())) == []
    close(m(al.tensor(B)), tm(torch.tensor(B)), 1e-4, 1e-5)


def test_functionalize_runs_func():
    def f(lib):
        def g(x):
            y = x.clone()
            y.add_(1)
            return y * 2
        return g
    close(al.func.functionalize(f(al))(al.tensor(B)), torch.func.functionalize(f(torch))(torch.tensor(B)))
    with pytest.raises(RuntimeError, match="received invalid argument for remove=foo. Valid options are"):
        al.func.functionalize(f(al), remove="foo")


# ---- randomness -----------------------------------------------------------------------------------------------------
RANDOM_OPS = {
    "rand": lambda x: x + al.rand(5),
    "randn_like": lambda x: al.randn_like(x),
    "dropout": lambda x: al.nn.functional.dropout(x, 0.5),
    "bernoulli": lambda x: al.bernoulli(x.sigmoid()),
    "normal_": lambda x: x.clone().normal_(),
}


@pytest.mark.parametrize("op", sorted(RANDOM_OPS))
def test_randomness_error_mode_raises_torchs_error(op):
    message = ("vmap: called random operation while in randomness error mode. Please either use the 'same' or "
               "'different' randomness flags on vmap or perform the randomness operation out of vmap")
    with pytest.raises(RuntimeError, match=f"^{message}$"):
        torch.vmap(lambda x: torch.nn.functional.dropout(x, 0.5))(torch.tensor(B))
    with pytest.raises(RuntimeError) as err:
        al.vmap(RANDOM_OPS[op])(al.tensor(B))
    assert str(err.value) == message
    assert al.rand(2).shape == (2,)         # the generator is back


def test_randomness_same_and_different():
    al.manual_seed(3)
    same = al.vmap(lambda x: x * 0 + al.rand(5), randomness="same")(al.tensor(B))
    after_same = al.rand(1)
    al.manual_seed(3)
    once = al.rand(5)
    assert al.equal(al.rand(1), after_same)        # the generator advanced as by one element's draws
    for row in same:
        assert al.equal(row, once)
    different = al.vmap(lambda x: x * 0 + al.rand(5), randomness="different")(al.tensor(B))
    assert len({tuple(r.tolist()) for r in different}) == B.shape[0]
    masks = al.vmap(lambda x: al.nn.functional.dropout(x, 0.5), randomness="same")(al.ones(6, 50)) != 0
    assert all(al.equal(m, masks[0]) for m in masks)


# ---- errors (messages compared with torch's) -----------------------------------------------------------------------
ERRORS = {
    "randomness": lambda lib: lib.vmap(lambda x: x, randomness="foo"),
    "chunk_size": lambda lib: lib.vmap(lambda x: x, chunk_size=0),
    "in_dims_list": lambda lib: lib.vmap(lambda x: x, in_dims=[0])(lib.ones(2, 3)),
    "in_dims_none": lambda lib: lib.vmap(lambda x: x, in_dims=None)(lib.ones(2, 3)),
    "no_inputs": lambda lib: lib.vmap(lambda x: x)(),
    "in_dims_structure": lambda lib: lib.vmap(lambda x, y: x + y, in_dims=(0,))(lib.ones(2), lib.ones(2)),
    "in_dims_dict_keys": lambda lib: lib.vmap(lambda d: d["b"], in_dims=({"a": 0},))({"b": lib.ones(2)}),
    "in_dim_float": lambda lib: lib.vmap(lambda x: x, in_dims=(1.5,))(lib.ones(2)),
    "in_dim_non_tensor": lambda lib: lib.vmap(lambda x, y: x * y, in_dims=(0, 0))(lib.ones(2, 3), 2.0),
    "in_dim_out_of_range": lambda lib: lib.vmap(lambda x: x, in_dims=3)(lib.ones(2, 3)),
    "in_dim_0d": lambda lib: lib.vmap(lambda x: x)(lib.tensor(1.)),
    "nothing_mapped": lambda lib: lib.vmap(lambda x: x, in_dims=(None,))(lib.ones(2)),
    "batch_sizes": lambda lib: lib.vmap(lambda x, y: x + y)(lib.ones(2, 3), lib.ones(3, 3)),
    "out_dims_type": lambda lib: lib.vmap(lambda x: x, out_dims="a")(lib.ones(2)),
    "out_dims_structure": lambda lib: lib.vmap(lambda x: x, out_dims=(0, 1))(lib.ones(2, 3)),
    "out_dims_structure_tuple": lambda lib: lib.vmap(lambda x: (x, x), out_dims=(0, 1, 2))(lib.ones(2, 3)),
    "out_dims_list_for_tensor": lambda lib: lib.vmap(lambda x: x, out_dims=[0])(lib.ones(2, 3)),
    "non_tensor_output": lambda lib: lib.vmap(lambda x: 1.0)(lib.ones(2, 3)),
    "none_output": lambda lib: lib.vmap(lambda x: None)(lib.ones(2, 3)),
    "batched_output_out_dim_none": lambda lib: lib.vmap(lambda x: x * 2, out_dims=None)(lib.tensor(B)),
    "out_dim_out_of_range": lambda lib: lib.vmap(lambda x: x, out_dims=2)(lib.ones(2, 3)),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_as_torch(case):
    assert_same_error(ERRORS[case])


def test_partial_and_module_names_in_errors():
    import functools
    with pytest.raises(ValueError, match=r"vmap\(functools.partial\(<lambda>, \.\.\.\), in_dims=\[0\]"):
        al.vmap(functools.partial(lambda x, y: x, y=1), in_dims=[0])(al.ones(2))
    with pytest.raises(ValueError, match=r"vmap\(Linear\(in_features=5"):
        al.vmap(nn.Linear(5, 2), out_dims=None)(al.tensor(B))


# ---- the pytree helpers ---------------------------------------------------------------------------------------------
def test_pytree_round_trip_and_spec_repr_as_torch():
    from torch.utils._pytree import tree_flatten as torch_flatten
    tree = (1, None, [2, {"a": 3, "b": (4,)}], Pair(5, 6))
    leaves, spec = tree_flatten(tree)
    tleaves, tspec = torch_flatten(tree)
    assert leaves == tleaves
    assert repr(spec).replace("test_vmap.", "") == repr(tspec).replace("test_vmap.", "")
    assert tree_unflatten([x * 10 if x else x for x in leaves], spec) == (10, None, [20, {"a": 30, "b": (40,)}],
                                                                          Pair(50, 60))
    assert broadcast_to_and_flatten((0, 1, [2, {"b": 4, "a": 3}], 5), spec) == [0, 1, 2, 3, 4, 5, 5]
    assert broadcast_to_and_flatten((0, 1), spec) is None
    assert broadcast_to_and_flatten((0, 1, (2, 3), 5), spec) is None       # a tuple where a list is


def test_graphs_are_freed_by_reference_counting():
    """The elements vmap hands to func die with the results (after backward), the cyclic GC switched off."""
    import gc
    seen = []

    def f(w, z):
        seen.append(weakref.ref(z))
        return (w * z).sum()
    gc.disable()
    try:
        out = al.vmap(lambda z: f(al.ones(5), z).exp())(al.tensor(B, requires_grad=True))
        out.sum().backward()
        del out
        al.vmap(al.func.grad(f), in_dims=(None, 0))(al.tensor(W[:, 0]), al.tensor(B))
        assert len(seen) == 8 and all(ref() is None for ref in seen)
    finally:
        gc.enable()
