"""The rest of torch.optim against PyTorch: Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD and LBFGS train the same
model to the same parameters and state (float64, to rounding) with every option that changes the maths, in several
param groups and on every device; state_dict round trips (our own, and through torch's optimizer); errors; and the
flags and step hooks every optimizer (old and new) has, as PyTorch's."""
import copy
import inspect
import itertools

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import optim
from autograd_lite.optim import optimizer as optimizer_module

torch = pytest.importorskip("torch")

STEPS = 20
TOL = {"float64": dict(rtol=1e-10, atol=1e-13),  # steps amplify last-bit libm differences (6e-12 seen)
       "float32": dict(rtol=1e-4, atol=1e-6)}
NEW = ("Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD")
ALL = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad") + NEW + ("LBFGS",)


def grid(**options):
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*options.values())]


CONFIGS = (
    [("Adadelta", c) for c in grid(lr=[1.0, 0.5], weight_decay=[0, 0.1], maximize=[False, True])]
    + [("Adadelta", dict(rho=0.5, eps=1e-3))]
    + [("Adamax", dict(lr=0.01, **c)) for c in grid(weight_decay=[0, 0.1], maximize=[False, True])]
    + [("Adamax", dict(lr=0.01, betas=(0.3, 0.6), eps=1e-3))]                # lerp's other formula
    + [("NAdam", dict(lr=0.01, **c)) for c in grid(weight_decay=[0, 0.1], decoupled_weight_decay=[False, True],
                                                   momentum_decay=[4e-3, 0.1], maximize=[False, True])]
    + [("NAdam", dict(lr=0.01, betas=(0.3, 0.6), eps=1e-3))]
    + [("RAdam", dict(lr=0.01, **c)) for c in grid(weight_decay=[0, 0.1], decoupled_weight_decay=[False, True],
                                                   maximize=[False, True])]
    + [("RAdam", dict(lr=0.01, betas=(0.3, 0.6)))]               # rho_t > 5 from step 1: the rectified branch
    + [("Rprop", c) for c in grid(lr=[1e-2, 0.1], maximize=[False, True])]
    + [("Rprop", dict(lr=0.05, etas=(0.3, 1.7), step_sizes=(1e-3, 0.08)))]    # both clamps reached
    + [("ASGD", dict(lr=0.05, **c)) for c in grid(weight_decay=[0, 0.1], maximize=[False, True], t0=[1e6, 5])]
    + [("ASGD", dict(lr=0.1, lambd=0.05, alpha=0.5, t0=0))]
)


def config_id(config):
    name, kw = config
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


# ---- the model: y ≈ tanh(x @ w1 + b1) @ w2 + b2, MSE; the same code runs on both libraries --------------------
def initial(dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal(s) * 0.5).astype(dtype) for s in [(5, 8), (8,), (8, 3), (3,)]]
    x, y = rng.standard_normal((16, 5)).astype(dtype), rng.standard_normal((16, 3)).astype(dtype)
    return params, x, y


def loss_of(params, x, y):
    w1, b1, w2, b2 = params
    return (((x @ w1 + b1).tanh() @ w2 + b2 - y) ** 2).mean()


def leaves(lib, arrays, device="cpu"):
    kw = {} if lib is torch else {"device": device}
    return [lib.tensor(a.copy(), requires_grad=True, **kw) for a in arrays]


def train(lib, params, opt, steps, data, device="cpu"):
    """steps of opt on the loss (on -loss for maximize: still a descent)."""
    kw = {} if lib is torch else {"device": device}
    x, y = lib.tensor(data[0], **kw), lib.tensor(data[1], **kw)
    sign = -1 if opt.param_groups[0].get("maximize") else 1
    for _ in range(steps):
        opt.zero_grad()
        (sign * loss_of(params, x, y)).backward()
        opt.step()


def build(lib, name, kw, arrays, groups=None, device="cpu"):
    params = leaves(lib, arrays, device)
    spec = params if groups is None else [dict(g, params=[params[i] for i in g["params"]]) for g in groups]
    return params, getattr(optim if lib is al else torch.optim, name)(spec, **kw)


def both(name, kw, dtype="float64", groups=None, steps=STEPS, device="cpu"):
    """(our params, our optimizer, torch's params, torch's optimizer) after `steps` on the same data."""
    arrays, x, y = initial(dtype)
    out = []
    for lib in (al, torch):
        params, opt = build(lib, name, kw, arrays, groups, device)
        train(lib, params, opt, steps, (x, y), device)
        out += [params, opt]
    return out


def host(value):
    return value.detach().cpu().numpy() if isinstance(value, (al.Tensor, torch.Tensor)) else np.asarray(value)


def assert_params_close(ours, theirs, dtype="float64"):
    for a, b in zip(ours, theirs):
        assert a.dtype == getattr(al, dtype)
        np.testing.assert_allclose(host(a), host(b), **TOL[dtype])


def assert_state_close(ours, theirs, dtype="float64", tol=None):
    """Same state keys, values and dtypes (0-d counters and running scalars in the default dtype, as torch's);
    same hyperparameters, flags included."""
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert sd["state"].keys() == tsd["state"].keys()
    for i, state in sd["state"].items():
        assert state.keys() == tsd["state"][i].keys()
        for key, value in state.items():
            expected = tsd["state"][i][key]
            if isinstance(expected, torch.Tensor):
                assert str(value.dtype).split(".")[1] == str(expected.dtype).split(".")[1], key
            np.testing.assert_allclose(host(value), host(expected), **(tol or TOL[dtype]), err_msg=key)
    for g, tg in zip(sd["param_groups"], tsd["param_groups"]):
        assert g == tg


@pytest.mark.parametrize("config", CONFIGS, ids=map(config_id, CONFIGS))
def test_matches_torch(config):
    name, kw = config
    params, opt, tparams, topt = both(name, kw)
    assert_params_close(params, tparams)
    assert_state_close(opt, topt)
    moved = max(np.abs(host(p) - a).max() for p, a in zip(params, initial()[0]))
    assert moved > 1e-3                                  # the steps did something


@pytest.mark.parametrize("name,kw", [("Adadelta", {}), ("Adamax", {}), ("NAdam", dict(weight_decay=0.1)),
                                     ("RAdam", {}), ("Rprop", {}), ("ASGD", dict(t0=3))])
def test_param_groups_with_their_own_hyperparameters(name, kw):
    groups = [{"params": [0, 1]}, {"params": [2], "lr": 0.002, "weight_decay": 0.05, "maximize": False},
              {"params": [3], "maximize": True}]
    if name == "Rprop":
        groups[1].pop("weight_decay")
    params, opt, tparams, topt = both(name, kw, groups=groups)
    assert_params_close(params, tparams)
    assert_state_close(opt, topt)


@pytest.mark.parametrize("name,kw", [("Adadelta", dict(weight_decay=0.1)), ("Adamax", dict(lr=0.01)),
                                     ("NAdam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1)),
                                     ("RAdam", dict(lr=0.01, weight_decay=0.1)), ("Rprop", {}),
                                     ("ASGD", dict(lr=0.05, t0=5))])
def test_matches_torch_on_each_device(name, kw, device):
    params, opt, tparams, topt = both(name, kw, device=device)
    assert all(p.device == al.device(device) for p in params)
    assert_params_close(params, tparams)
    assert_state_close(opt, topt)


@pytest.mark.parametrize("name,kw", [("Adadelta", {}), ("Adamax", dict(lr=0.01)), ("NAdam", dict(lr=0.01)),
                                     ("RAdam", dict(lr=0.01)), ("Rprop", dict(etas=(0.3, 1.3))),
                                     ("ASGD", dict(lr=0.05, t0=5))])
def test_float32_matches_torch(name, kw):
    params, opt, tparams, topt = both(name, kw, dtype="float32")
    assert_params_close(params, tparams, "float32")
    assert_state_close(opt, topt, "float32")


# ---- state_dict ----------------------------------------------------------------------------------------------------
ROUND_TRIP = [("Adadelta", dict(weight_decay=0.1)), ("Adamax", dict(lr=0.01)), ("NAdam", dict(lr=0.01)),
              ("RAdam", dict(lr=0.01)), ("Rprop", {}), ("ASGD", dict(lr=0.05, t0=5))]


@pytest.mark.parametrize("name,kw", ROUND_TRIP)
def test_state_dict_round_trip_continues_like_torchs(name, kw):
    """Save after 10 steps, load into a fresh optimizer (hyperparameters from the state_dict), 10 more steps: the
    same as not stopping where no state is a 0-d scalar; where one is (NAdam's mu_product, ASGD's eta and mu: torch
    loads them in the parameters' dtype), the same as torch doing the same."""
    arrays, x, y = initial()
    runs = []
    for lib in (al, torch):
        params, opt = build(lib, name, kw, arrays)
        train(lib, params, opt, 10, (x, y))
        saved = copy.deepcopy(opt.state_dict())
        resumed = leaves(lib, [host(p) for p in params])
        opt2 = getattr(optim if lib is al else torch.optim, name)(resumed, lr=123.0)
        opt2.load_state_dict(saved)
        assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
        train(lib, params, opt, 10, (x, y))
        train(lib, resumed, opt2, 10, (x, y))
        runs.append((params, resumed, opt2, saved))
    (params, resumed, opt2, saved), (tparams, tresumed, topt2, _) = runs
    assert_params_close(resumed, tresumed)
    assert_state_close(opt2, topt2)
    if name not in ("NAdam", "ASGD"):
        for a, b in zip(params, resumed):
            np.testing.assert_array_equal(host(a), host(b))
    # the loaded state is a copy (torch's 'step' is not: it keeps the saved Tensor)
    assert saved["state"][0]["step"].item() == 10 and opt2.state[resumed[0]]["step"].item() == 20


@pytest.mark.parametrize("name,kw", ROUND_TRIP + [("Adam", dict(amsgrad=True)), ("SGD", dict(momentum=0.9)),
                                                  ("RMSprop", dict(centered=True)), ("Adagrad", {})])
def test_state_dict_loads_into_torch_and_back(name, kw):
    """Our state_dict, as torch tensors, continues a torch run; torch's, as ours, continues ours: both like the
    uninterrupted runs."""
    params, opt, tparams, topt = both(name, kw, steps=5)
    arrays, x, y = initial()
    to_torch = {"state": {i: {k: torch.tensor(host(v)) if isinstance(v, al.Tensor) else v for k, v in s.items()}
                          for i, s in opt.state_dict()["state"].items()},
                "param_groups": copy.deepcopy(opt.state_dict()["param_groups"])}
    to_ours = {"state": {i: {k: al.tensor(host(v)) if isinstance(v, torch.Tensor) else v for k, v in s.items()}
                         for i, s in topt.state_dict()["state"].items()},
               "param_groups": copy.deepcopy(topt.state_dict()["param_groups"])}
    tfresh, tnew = build(torch, name, kw, [host(p) for p in params])
    tnew.load_state_dict(to_torch)
    fresh, new = build(al, name, kw, [host(p) for p in tparams])
    new.load_state_dict(to_ours)
    for lib, ps, o in ((torch, tfresh, tnew), (al, fresh, new), (al, params, opt), (torch, tparams, topt)):
        train(lib, ps, o, 5, (x, y))
    assert_params_close(fresh, tfresh)
    if name not in ("NAdam", "ASGD"):          # (their 0-d state loads in the parameters' dtype: float64 from here)
        assert_params_close(params, tfresh)
        assert_params_close(fresh, tparams)


def test_param_group_keys_are_torchs():
    """Every optimizer's param group holds torch's keys (its implementation flags included) with torch's values."""
    for name in ALL:
        ours = getattr(optim, name)([al.zeros(2, requires_grad=True)])
        theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
        group, tgroup = ours.param_groups[0], theirs.param_groups[0]
        assert {k: v for k, v in group.items() if k != "params"} == \
            {k: v for k, v in tgroup.items() if k != "params"}, name


def test_signatures_are_torchs():
    """Names, order, kinds (positional or keyword-only) and defaults of every optimizer's arguments."""
    for name in ALL:
        ours = inspect.signature(getattr(optim, name))
        theirs = inspect.signature(getattr(torch.optim, name))
        assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == \
            [(p.name, p.kind, p.default) for p in theirs.parameters.values()], name


# ---- LBFGS ---------------------------------------------------------------------------------------------------------
def rosenbrock(xy):
    x, y = xy[0], xy[1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def lbfgs_run(lib, kw, steps, start=(-1.2, 1.0), device="cpu", dtype="float64"):
    """(parameter values, losses, optimizer) of `steps` LBFGS steps on the Rosenbrock function of two parameters
    (a vector and a scalar, so the flat vector spans both)."""
    on = {} if lib is torch else {"device": device}
    a = lib.tensor(np.array([start[0]], dtype), requires_grad=True, **on)
    b = lib.tensor(np.array(start[1], dtype), requires_grad=True, **on)
    opt = getattr(optim if lib is al else torch.optim, "LBFGS")([a, b], **kw)

    def closure():
        opt.zero_grad()
        loss = rosenbrock([a[0], b])
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(steps)]
    return [host(a), host(b)], losses, opt


LBFGS_CONFIGS = [dict(), dict(line_search_fn="strong_wolfe"), dict(lr=0.5, max_iter=5, history_size=3),
                 dict(line_search_fn="strong_wolfe", history_size=2, max_iter=7, max_eval=9),
                 dict(lr=0.1, tolerance_change=1e-4), dict(line_search_fn="strong_wolfe", tolerance_grad=1e-3)]


@pytest.mark.parametrize("kw", LBFGS_CONFIGS, ids=map(str, LBFGS_CONFIGS))
def test_lbfgs_matches_torch_on_rosenbrock(kw):
    """Up to 120 iterations from the classic start. Not to the last bit: torch's add_(x, alpha=a) is a fused
    multiply-add, which NumPy has not, and Rosenbrock's valley amplifies such roundings (1e-16 to about 1e-9
    here)."""
    ours, losses, opt = lbfgs_run(al, kw, 6)
    theirs, tlosses, topt = lbfgs_run(torch, kw, 6)
    np.testing.assert_allclose(losses, tlosses, rtol=1e-8, atol=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-12)
    state, tstate = opt.state_dict()["state"][0], topt.state_dict()["state"][0]
    assert state.keys() == tstate.keys()
    assert (state["func_evals"], state["n_iter"]) == (tstate["func_evals"], tstate["n_iter"])
    assert len(state["old_dirs"]) == len(tstate["old_dirs"]) <= kw.get("history_size", 100)
    np.testing.assert_allclose(host(state["d"]), host(tstate["d"]), rtol=1e-6, atol=1e-9)
    if "line_search_fn" in kw and "tolerance_grad" not in kw and "max_iter" not in kw:
        assert losses[-1] < 1e-6                         # strong Wolfe reaches the minimum (1, 1)


def test_lbfgs_trains_the_mlp_like_torch():
    arrays, x, y = initial()
    out = []
    for lib in (al, torch):
        params = leaves(lib, arrays)
        opt = (optim if lib is al else torch.optim).LBFGS(params, history_size=5, max_iter=10,
                                                         line_search_fn="strong_wolfe")
        xs, ys = lib.tensor(x), lib.tensor(y)

        def closure():
            opt.zero_grad()
            loss = loss_of(params, xs, ys)
            loss.backward()
            return loss

        out.append(([opt.step(closure).item() for _ in range(3)], params))
    (losses, params), (tlosses, tparams) = out
    np.testing.assert_allclose(losses, tlosses, rtol=1e-8)
    for a, b in zip(params, tparams):
        np.testing.assert_allclose(host(a), host(b), rtol=1e-7, atol=1e-9)
    assert losses[-1] < losses[0] / 2


def test_lbfgs_on_each_device(device):
    kw = dict(line_search_fn="strong_wolfe", history_size=4)
    ours, losses, opt = lbfgs_run(al, kw, 3, device=device)
    theirs, tlosses, _ = lbfgs_run(torch, kw, 3)
    assert opt.param_groups[0]["params"][0].device == al.device(device)
    np.testing.assert_allclose(losses, tlosses, rtol=1e-9, atol=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_lbfgs_state_dict_round_trip():
    kw = dict(line_search_fn="strong_wolfe", history_size=3, max_iter=4)
    whole, wlosses, _ = lbfgs_run(al, kw, 4)
    first, losses, opt = lbfgs_run(al, kw, 2)
    saved = copy.deepcopy(opt.state_dict())
    a = al.tensor(first[0], requires_grad=True)
    b = al.tensor(first[1], requires_grad=True)
    opt2 = optim.LBFGS([a, b], lr=7.0)
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 1 and opt2.param_groups[0]["history_size"] == 3

    def closure():
        opt2.zero_grad()
        loss = rosenbrock([a[0], b])
        loss.backward()
        return loss

    losses += [opt2.step(closure).item() for _ in range(2)]
    np.testing.assert_array_equal(losses, wlosses)
    np.testing.assert_array_equal(host(a), whole[0])
    assert isinstance(saved["state"][0]["old_dirs"][0], al.Tensor)


def test_lbfgs_errors_like_torch():
    for lib, mod in ((al, optim), (torch, torch.optim)):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)
        with pytest.raises(ValueError, match=r"^LBFGS doesn't support per-parameter options \(parameter groups\)$"):
            mod.LBFGS([{"params": [a]}, {"params": [b]}])
        with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
            mod.LBFGS([a], lr=-1)
        opt = mod.LBFGS([a], line_search_fn="armijo")

        def closure():
            opt.zero_grad()
            loss = ((a - 1) ** 2).sum()
            loss.backward()
            return loss

        with pytest.raises(RuntimeError, match="^only 'strong_wolfe' is supported$"):
            opt.step(closure)
        assert mod.LBFGS([a]).defaults["max_eval"] == 25
        with pytest.raises(TypeError):
            mod.LBFGS([a]).step()                  # the closure is required


def test_lbfgs_stops_at_once_when_already_optimal():
    a = al.ones(3, requires_grad=True)
    opt = optim.LBFGS([a])
    calls = []

    def closure():
        opt.zero_grad()
        loss = ((a - 1) ** 2).sum()
        loss.backward()
        calls.append(1)
        return loss

    assert opt.step(closure).item() == 0 and len(calls) == 1 and opt.state[a]["n_iter"] == 0


# ---- errors ------------------------------------------------------------------------------------------------------
BAD = [("Adadelta", dict(lr=-1)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(rho=-0.1)),
       ("Adadelta", dict(eps=-1.0)), ("Adadelta", dict(weight_decay=-1.0)),
       ("Adamax", dict(lr=-1)), ("Adamax", dict(eps=-1.0)), ("Adamax", dict(betas=(1.0, 0.9))),
       ("Adamax", dict(betas=(0.9, -0.5))), ("Adamax", dict(weight_decay=-1e-3)),
       ("NAdam", dict(lr=-0.5)), ("NAdam", dict(eps=-1.0)), ("NAdam", dict(betas=(1.5, 0.9))),
       ("NAdam", dict(betas=(0.9, 1.0))), ("NAdam", dict(weight_decay=-1.0)), ("NAdam", dict(momentum_decay=-1.0)),
       ("RAdam", dict(lr=-1)), ("RAdam", dict(eps=-1.0)), ("RAdam", dict(betas=(-0.1, 0.9))),
       ("RAdam", dict(betas=(0.9, 1.0))), ("RAdam", dict(weight_decay=-2)),
       ("Rprop", dict(lr=-1)), ("Rprop", dict(etas=(1.5, 1.2))), ("Rprop", dict(etas=(0.5, 0.9))),
       ("Rprop", dict(etas=(0.0, 1.2))), ("ASGD", dict(lr=-1)), ("ASGD", dict(weight_decay=-0.1))]


@pytest.mark.parametrize("name,kw", BAD, ids=map(config_id, BAD))
def test_bad_hyperparameters_raise_like_torch(name, kw):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([al.zeros(2, requires_grad=True)], **kw)
    assert str(ours.value) == str(theirs.value)


def test_flag_errors_like_torch():
    """fused where torch has none: its TypeError; fused beside differentiable or foreach: its RuntimeError."""
    for lib, mod in ((al, optim), (torch, torch.optim)):
        w = [lib.zeros(2, requires_grad=True)]
        for name in NEW + ("RMSprop", "LBFGS"):
            with pytest.raises(TypeError, match="unexpected keyword argument 'fused'"):
                getattr(mod, name)(w, fused=True)
        for name in ("SGD", "Adam", "AdamW", "Adagrad"):
            with pytest.raises(RuntimeError, match="^`fused` does not support `differentiable`$"):
                getattr(mod, name)(w, fused=True, differentiable=True)
            with pytest.raises(RuntimeError, match="^`fused` and `foreach` cannot be `True` together.$"):
                getattr(mod, name)(w, fused=True, foreach=True)


@pytest.mark.parametrize("name,flags", [
    ("SGD", dict(foreach=False, fused=True, momentum=0.9)), ("Adam", dict(fused=True, capturable=True)),
    ("AdamW", dict(foreach=True, differentiable=True)), ("Adagrad", dict(fused=False, foreach=True)),
    ("RMSprop", dict(capturable=True, foreach=True)), ("Adadelta", dict(foreach=True, capturable=True)),
    ("Adamax", dict(capturable=True, differentiable=True)), ("NAdam", dict(foreach=True, capturable=True)),
    ("RAdam", dict(foreach=False, capturable=True)), ("Rprop", dict(foreach=True, capturable=True)),
    ("ASGD", dict(foreach=True, capturable=True))])
def test_flags_are_accepted_and_change_nothing(name, flags):
    """Every flag torch accepts, kept in the param groups; the steps are torch's plain ones."""
    arrays, x, y = initial()
    params, opt = build(al, name, flags, arrays)
    train(al, params, opt, 5, (x, y))
    tparams, topt = build(torch, name, {k: v for k, v in flags.items() if k == "momentum"}, arrays)
    train(torch, tparams, topt, 5, (x, y))
    assert_params_close(params, tparams)
    assert all(opt.param_groups[0][k] == v for k, v in flags.items())


# ---- step hooks, zero_grad, add_param_group ---------------------------------------------------------------------
def hooked_run(lib):
    mod = optim if lib is al else torch.optim
    w = lib.tensor([1.0, -2.0], requires_grad=True)
    opt = mod.Adadelta([w])
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt, len(args), kwargs)))
    post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o is opt, len(args))))

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    pre.remove()
    opt.step(closure)
    post.remove()
    opt.step(closure)
    # a pre hook may replace the arguments: here, the closure
    replaced = []

    def swap(o, args, kwargs):
        def other():
            replaced.append(1)
            return closure()
        return (args[0], other), kwargs

    handle = opt.register_step_pre_hook(swap)
    opt.step(closure)
    handle.remove()
    bad = opt.register_step_pre_hook(lambda o, args, kwargs: 42)
    with pytest.raises(RuntimeError, match="must return None or a tuple of \\(new_args, new_kwargs\\), but got 42"):
        opt.step(closure)
    bad.remove()
    return calls, replaced, host(w)


def test_step_hooks_like_torch():
    ours, theirs = hooked_run(al), hooked_run(torch)
    assert ours[0] == theirs[0] == [("pre", True, 2, {}), ("post", True, 2), ("post", True, 2)]
    assert ours[1] == theirs[1] == [1]
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-6)


def test_step_hooks_run_once_around_every_optimizer():
    """Every optimizer's step, LBFGS's and Adam's group kernel included, runs its hooks once; the global hooks of
    optim.optimizer run first (pre) and last (post)."""
    order = []
    global_pre = optimizer_module.register_optimizer_step_pre_hook(lambda o, a, k: order.append("global pre"))
    global_post = optimizer_module.register_optimizer_step_post_hook(lambda o, a, k: order.append("global post"))
    try:
        for name in ALL:
            w = al.tensor([1.0, -2.0], requires_grad=True)
            opt = getattr(optim, name)([w])
            opt.register_step_pre_hook(lambda o, a, k: order.append("pre"))
            opt.register_step_post_hook(lambda o, a, k: order.append("post"))

            def closure():
                opt.zero_grad()
                loss = (w * w).sum()
                loss.backward()
                return loss

            order.clear()
            opt.step(closure)
            assert order == ["global pre", "pre", "post", "global post"], name
    finally:
        global_pre.remove()
        global_post.remove()
    opt.step(closure)
    assert order == ["global pre", "pre", "post", "global post", "pre", "post"]


@pytest.mark.parametrize("name", NEW)
def test_zero_grad_and_add_param_group(name):
    w, b = al.tensor([1.0, 2.0], requires_grad=True), al.tensor([0.5], requires_grad=True)
    opt = getattr(optim, name)([w])
    (w * w).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and not w.grad.any()
    opt.zero_grad()
    assert w.grad is None
    opt.add_param_group({"params": [b], "lr": 0.25})
    assert opt.param_groups[1]["lr"] == 0.25
    assert opt.param_groups[1].keys() == opt.param_groups[0].keys()
    ((w * w).sum() + (b * b).sum()).backward()
    opt.step()
    assert set(opt.state_dict()["state"]) == {0, 1}


@pytest.mark.parametrize("name,kw", [("NAdam", dict(lr=0.01)), ("ASGD", dict(lr=0.05, t0=2)), ("Rprop", {}),
                                     ("LBFGS", dict(history_size=3, max_iter=4))])
def test_state_follows_the_model_to_the_device(name, kw, gpu):
    """Module.to mid-training moves the optimizer's state (LBFGS's history too) with the parameters; 0-d running
    scalars stay on the host; training goes on as if it had not moved."""
    from autograd_lite import nn
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))

    def run(move):
        al.manual_seed(0)
        model = nn.Linear(3, 2).double()
        opt = getattr(optim, name)(model.parameters(), **kw)
        dev = "cpu"
        for i in range(6):
            if move and i == 3:
                model.to(gpu)
                dev = gpu
            xs, ys = al.tensor(x, device=dev), al.tensor(y, device=dev)

            def closure():
                opt.zero_grad()
                loss = ((model(xs) - ys) ** 2).mean()
                loss.backward()
                return loss

            opt.step(closure)
        return model, opt

    moved, opt = run(True)
    still, _ = run(False)
    assert moved.weight.device == al.device(gpu)
    for key, value in opt.state[moved.weight].items():
        if isinstance(value, al.Tensor) and (value.dim() or name != "LBFGS"):   # (LBFGS's 0-d: where computed)
            assert value.device == (al.device("cpu") if value.dim() == 0 else al.device(gpu)), key
    np.testing.assert_allclose(host(moved.weight), host(still.weight), rtol=1e-12, atol=1e-14)
