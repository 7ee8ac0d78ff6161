"""optim against torch.optim: every optimizer and option trains the same MLP on the same data to the same
parameters and state; param groups, zero_grad, state_dict round trips, closures, errors; the fused update
kernels against their NumPy formulas; the lr schedulers' sequences against torch's."""
import copy
import itertools
import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import optim
from autograd_lite.kernels import cpu
from autograd_lite.kernels.cpu._jit import forced
from autograd_lite.optim import lr_scheduler
from autograd_lite.optim.adagrad import adagrad_update
from autograd_lite.optim.adam import adam_update
from autograd_lite.optim.rmsprop import rmsprop_update
from autograd_lite.optim.sgd import sgd_update

torch = pytest.importorskip("torch")

STEPS = 50
TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def grid(**options):
    """Every combination of the options' values, as kwargs dicts."""
    keys = list(options)
    return [dict(zip(keys, values)) for values in itertools.product(*options.values())]


SGD_CONFIGS = [c for c in grid(momentum=[0, 0.9], dampening=[0, 0.5], nesterov=[False, True],
                               weight_decay=[0, 0.1], maximize=[False, True])
               if not c["nesterov"] or (c["momentum"] and not c["dampening"])]
CONFIGS = (
    [("SGD", dict(lr=0.05, **c)) for c in SGD_CONFIGS]
    + [("Adam", dict(lr=0.01, **c)) for c in grid(amsgrad=[False, True], weight_decay=[0, 0.1], maximize=[False, True],
                                                  decoupled_weight_decay=[False, True])]
    + [("Adam", dict(lr=0.01, betas=(0.3, 0.6), eps=1e-2))]            # lerp's other branch (1 - beta1 >= 0.5)
    + [("AdamW", dict(lr=0.01, **c)) for c in grid(amsgrad=[False, True], weight_decay=[1e-2, 0.5],
                                                   maximize=[False, True])]
    + [("RMSprop", dict(lr=0.005, **c)) for c in grid(centered=[False, True], momentum=[0, 0.9],
                                                      weight_decay=[0, 0.1], maximize=[False, True])]
    + [("RMSprop", dict(lr=0.005, alpha=0.4, eps=1e-2, centered=True))]
    + [("Adagrad", dict(lr=0.05, **c)) for c in grid(lr_decay=[0, 0.01], initial_accumulator_value=[0, 0.1],
                                                     weight_decay=[0, 0.1], maximize=[False, True])]
)


def config_id(config):
    name, kw = config
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items() if k != "lr")


# ---- the model: y ≈ tanh(x @ w1 + b1) @ w2 + b2, MSE; the same code runs on both libraries --------------
def initial(dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(5, 8), (8,), (8, 3), (3,)]
    params = [(rng.standard_normal(s) * 0.5).astype(dtype) for s in shapes]
    x, y = rng.standard_normal((16, 5)).astype(dtype), rng.standard_normal((16, 3)).astype(dtype)
    return params, x, y


def loss_of(params, x, y):
    w1, b1, w2, b2 = params
    return (((x @ w1 + b1).tanh() @ w2 + b2 - y) ** 2).mean()


def on(lib, device):
    """keyword arguments that put a new tensor of `lib` on `device` (torch: always the CPU)."""
    return {} if lib is torch else {"device": device}


def leaves(lib, arrays, device="cpu"):
    return [lib.tensor(a.copy(), requires_grad=True, **on(lib, device)) for a in arrays]


def train(lib, params, x, y, opt, steps, device="cpu"):
    """steps of opt on the loss (or, for optimizers that maximize, on -loss: still a stable descent)."""
    x, y = lib.tensor(x, **on(lib, device)), lib.tensor(y, **on(lib, device))
    sign = -1 if opt.defaults.get("maximize") else 1
    for _ in range(steps):
        opt.zero_grad()
        (sign * loss_of(params, x, y)).backward()
        opt.step()


def both(name, kw, dtype="float32", groups=None, steps=STEPS, device="cpu"):
    """Trains the MLP with our optimizer (on `device`) and torch's: (our params, our optimizer, torch params, torch
    optimizer)."""
    arrays, x, y = initial(dtype)
    out = []
    for lib, mod in ((al, optim), (torch, torch.optim)):
        params = leaves(lib, arrays, device)
        spec = params if groups is None else [dict(g, params=[params[i] for i in g["params"]]) for g in groups]
        opt = getattr(mod, name)(spec, **kw)
        train(lib, params, x, y, opt, steps, device)
        out += [params, opt]
    return out


def assert_params_close(ours, theirs, dtype):
    for a, b in zip(ours, theirs):
        assert a.dtype == getattr(al, dtype)
        np.testing.assert_allclose(a.detach().cpu().numpy(), b.detach().numpy(), **TOL[dtype])


def assert_state_close(ours, theirs, dtype):
    """The two optimizers' state_dicts hold the same state (keys and values) and hyperparameters."""
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert sd["state"].keys() == tsd["state"].keys()
    for i, state in sd["state"].items():
        assert state.keys() == tsd["state"][i].keys()
        for key, value in state.items():
            assert value.dtype == (al.float32 if key == "step" else getattr(al, dtype))
            np.testing.assert_allclose(value.cpu().numpy(), tsd["state"][i][key].numpy(), **TOL[dtype])
    for g, tg in zip(sd["param_groups"], tsd["param_groups"]):
        assert g == {k: v for k, v in tg.items() if k in g}


# float32 for every config; float64 (the formulas to rounding: 1e-10) for every third, to keep the file fast.
DTYPE_CONFIGS = [("float32", c) for c in CONFIGS] + [("float64", c) for c in CONFIGS[::3]]


@pytest.mark.parametrize("dtype,config", DTYPE_CONFIGS, ids=[f"{d}-{config_id(c)}" for d, c in DTYPE_CONFIGS])
def test_matches_torch(config, dtype, device):
    name, kw = config
    params, opt, tparams, topt = both(name, kw, dtype, device=device)
    assert all(p.device == al.device(device) for p in params)
    assert_params_close(params, tparams, dtype)
    assert_state_close(opt, topt, dtype)


FUSED = ("sgd_update", "sgd_update_many", "adam_update", "adam_update_many", "adam_prepare", "adam_update_prepared",
         "rmsprop_update", "adagrad_update")


@pytest.mark.parametrize("dtype,config", DTYPE_CONFIGS[::2], ids=[f"{d}-{config_id(c)}" for d, c in DTYPE_CONFIGS[::2]])
def test_rule_without_fused_kernels_matches_torch(config, dtype, monkeypatch):
    """A device whose kernel table has no fused update: each optimizer's own rule, on the array module, trains as
    torch.optim does."""
    for name in FUSED:
        monkeypatch.delattr(cpu, name)
    name, kw = config
    params, opt, tparams, topt = both(name, kw, dtype)
    assert_params_close(params, tparams, dtype)
    assert_state_close(opt, topt, dtype)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True)),
                                     ("RMSprop", dict(centered=True, momentum=0.5)), ("Adagrad", dict(lr_decay=0.1))])
def test_param_groups_with_their_own_hyperparameters(name, kw):
    groups = [{"params": [0, 1]}, {"params": [2, 3], "lr": 0.003, "weight_decay": 0.2}]
    params, opt, tparams, topt = both(name, kw, groups=groups)
    assert_params_close(params, tparams, "float32")
    assert [g["lr"] for g in opt.param_groups] == [kw.get("lr", opt.defaults["lr"]), 0.003]
    assert opt.param_groups[1]["weight_decay"] == 0.2 and opt.param_groups[0]["weight_decay"] == 0


def test_add_param_group():
    arrays, x, y = initial()
    runs = []
    for lib, mod in ((al, optim), (torch, torch.optim)):
        params = leaves(lib, arrays)
        opt = mod.Adam(params[:2], lr=0.01)
        train(lib, params, x, y, opt, 10)
        opt.add_param_group({"params": params[2:], "lr": 0.05, "betas": (0.5, 0.9)})
        train(lib, params, x, y, opt, 10)
        runs.append(params)
    assert_params_close(*runs, "float32")


def test_zero_grad_both_modes():
    params, x, y = leaves(al, initial()[0]), *map(al.tensor, initial()[1:])
    opt = optim.SGD(params, lr=0.1)
    loss_of(params, x, y).backward()
    grads = [p.grad for p in params]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(params, grads):
        assert p.grad is g and not g.requires_grad and g.dtype == al.float32
        assert not g.numpy().any()
    opt.zero_grad()
    assert all(p.grad is None for p in params)
    opt.zero_grad()                                       # no grads at all: nothing to do
    before = [p.detach().numpy().copy() for p in params]
    opt.step()                                            # no grad: no update
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.detach().numpy(), b)


def test_step_updates_in_place_and_bumps_version():
    params, x, y = leaves(al, initial()[0]), *map(al.tensor, initial()[1:])
    opt = optim.Adam(params, lr=0.1)
    arrays, versions = [p._data for p in params], [p._version[0] for p in params]
    before = [a.copy() for a in arrays]
    loss_of(params, x, y).backward()
    opt.step()
    for p, a, v, b in zip(params, arrays, versions, before):
        assert p._data is a and p._version[0] == v + 1 and not np.array_equal(a, b)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
                                     ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
                                     ("AdamW", dict(lr=0.01)),
                                     ("RMSprop", dict(momentum=0.9, centered=True)),
                                     ("Adagrad", dict(lr_decay=0.01, initial_accumulator_value=0.1))])
def test_state_dict_round_trip_continues_exactly(name, kw):
    arrays, x, y = initial()
    params = leaves(al, arrays)
    opt = getattr(optim, name)(params, **kw)
    train(al, params, x, y, opt, 20)
    saved = copy.deepcopy(opt.state_dict())
    assert list(saved["state"]) == [0, 1, 2, 3] and saved["param_groups"][0]["params"] == [0, 1, 2, 3]
    resumed = leaves(al, [p.detach().numpy() for p in params])
    opt2 = getattr(optim, name)(resumed, lr=123.0)        # hyperparameters come from the state_dict
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    assert opt2.param_groups[0]["params"][0] is resumed[0]
    train(al, params, x, y, opt, 30)
    train(al, resumed, x, y, opt2, 30)
    for a, b in zip(params, resumed):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    # the loaded state is a copy: stepping opt2 left `saved` alone
    key = "momentum_buffer" if name == "SGD" else "step"
    assert saved["state"][0][key] is not opt2.state[resumed[0]][key]
    assert not np.array_equal(saved["state"][0][key].numpy(), opt2.state[resumed[0]][key].numpy())


def test_checkpoint_through_save_and_load_resumes_exactly(tmp_path):
    if not hasattr(al, "save"):
        pytest.skip("autograd_lite.save/load not available")
    arrays, x, y = initial()

    def run(resume_at=None):
        params = leaves(al, arrays)
        opt = optim.RMSprop(params, lr=0.01, momentum=0.9, centered=True)
        sched = lr_scheduler.MultiStepLR(opt, milestones=[3, 6, 6], gamma=0.5)
        for epoch in range(10):
            if epoch == resume_at:
                al.save({"params": params, "opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "ck")
                ck = al.load(tmp_path / "ck")
                params = [p.requires_grad_() for p in ck["params"]]
                opt = optim.RMSprop(params, lr=0.01, momentum=0.9, centered=True)
                opt.load_state_dict(ck["opt"])
                sched = lr_scheduler.MultiStepLR(opt, milestones=[3, 6, 6], gamma=0.5)
                sched.load_state_dict(ck["sched"])
            train(al, params, x, y, opt, 3)
            sched.step()
        return [p.detach().numpy() for p in params] + [sched.get_last_lr()]

    for a, b in zip(run(), run(resume_at=4)):
        np.testing.assert_array_equal(a, b)


def test_state_dict_matches_torch_layout_and_loads_into_torch():
    params, opt, tparams, topt = both("SGD", dict(lr=0.1, momentum=0.9), steps=3)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sd["state"].keys() == topt.state_dict()["state"].keys()
    # our state_dict, converted, continues a torch run exactly like our own optimizer does
    tsd = {"state": {i: {k: torch.tensor(v.numpy()) for k, v in s.items()} for i, s in sd["state"].items()},
           "param_groups": sd["param_groups"]}
    fresh = [torch.tensor(p.detach().numpy(), requires_grad=True) for p in params]
    topt2 = torch.optim.SGD(fresh, lr=0.1, momentum=0.9)
    topt2.load_state_dict(tsd)
    _, x, y = initial()
    train(torch, fresh, x, y, topt2, 5)
    train(al, params, x, y, opt, 5)
    assert_params_close(params, fresh, "float32")


def test_load_state_dict_errors():
    a, b = al.zeros(3, requires_grad=True), al.zeros(2, requires_grad=True)
    opt = optim.Adam([a, b])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(optim.Adam([a]).state_dict())
    other = optim.Adam([b, a])
    b.grad, a.grad = al.ones(2), al.ones(3)
    other.step()
    with pytest.raises(ValueError, match=r"state 'exp_avg' of shape \(2,\) for parameter 0 of shape \(3,\)"):
        opt.load_state_dict(other.state_dict())


def test_closure_runs_with_grad_enabled_and_returns_the_loss():
    arrays, x, y = initial()
    params, x, y = leaves(al, arrays), al.tensor(x), al.tensor(y)
    opt = optim.SGD(params, lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = loss_of(params, x, y)
        loss.backward()
        calls.append(loss.item())
        return loss

    with al.no_grad():
        loss = opt.step(closure)
    assert isinstance(loss, al.Tensor) and loss.item() == calls[0]
    assert opt.step(closure).item() < calls[0]
    assert opt.step() is None


@pytest.mark.parametrize("name,kw", [
    ("SGD", dict(lr=-1)), ("SGD", dict(momentum=-0.5)), ("SGD", dict(weight_decay=-1e-3)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-0.1)), ("Adam", dict(eps=-1.0)), ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-1.0)), ("AdamW", dict(betas=(0.9, 1.5))),
    ("RMSprop", dict(alpha=-0.1)), ("RMSprop", dict(momentum=-1.0)), ("RMSprop", dict(eps=-1.0)),
    ("Adagrad", dict(lr_decay=-1.0)), ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adagrad", dict(eps=-1.0)), ("Adagrad", dict(weight_decay=-1.0)),
])
def test_bad_hyperparameters_raise_like_torch(name, kw):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([al.zeros(2, requires_grad=True)], **kw)
    assert str(ours.value) == str(theirs.value)
    if "lr" in kw:
        assert str(ours.value) == f"Invalid learning rate: {kw['lr']}"


def test_bad_params_raise_like_torch():
    w = al.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        optim.Adam(iter([]))
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors, but one of the params is ndarray"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {w}}], lr=0.1)


def test_named_parameters_and_repr():
    w, b = al.zeros(2, requires_grad=True), al.zeros(1, requires_grad=True)
    opt = optim.SGD([("w", w), ("b", b)], lr=0.1, momentum=0.9)
    assert [id(p) for p in opt.param_groups[0]["params"]] == [id(w), id(b)]
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    opt = optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5}], lr=0.1)
    flags = "    differentiable: False\n    foreach: None\n    fused: None\n"        # as torch's repr has them
    assert repr(opt) == ("SGD (\nParameter Group 0\n    dampening: 0\n" + flags + "    lr: 0.1\n    maximize: False\n"
                         "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n\nParameter Group 1\n"
                         "    dampening: 0\n" + flags + "    lr: 0.5\n    maximize: False\n    momentum: 0\n"
                         "    nesterov: False\n    weight_decay: 0\n)")


def test_sgd_without_momentum_keeps_no_state_like_torch():
    params, opt, tparams, topt = both("SGD", dict(lr=0.1), steps=2)
    assert opt.state_dict()["state"] == {} == topt.state_dict()["state"]


def test_float16_parameters_stay_float16():
    arrays, x, y = initial()
    runs = {}
    for dt in ("float16", "float32"):
        params = [al.tensor(a, dtype=getattr(al, dt), requires_grad=True) for a in arrays]
        opt = optim.Adam(params, lr=0.01)
        for _ in range(5):
            opt.zero_grad()
            for p in params:                              # a float16 gradient of the float32 loss
                p.grad = al.tensor(np.full(p.shape, 0.5, dt))
            opt.step()
        runs[dt] = params
        assert all(p.dtype == getattr(al, dt) for p in params)
        assert all(v.dtype == getattr(al, dt) for k, v in opt.state[params[0]].items() if k != "step")
    for a, b in zip(runs["float16"], runs["float32"]):
        np.testing.assert_allclose(a.detach().numpy().astype(np.float32), b.detach().numpy(), atol=2e-3, rtol=2e-3)


def test_strided_parameter_updates_in_place():
    base = al.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    w = base.detach().t()                                 # a non-contiguous leaf
    w.requires_grad_(True)
    w.grad = al.ones(4, 3)
    optim.SGD([w], lr=0.5, momentum=0.9).step()
    np.testing.assert_array_equal(base.numpy(), np.arange(12.0, dtype=np.float32).reshape(3, 4) - 0.5)


# ---- the fused kernels against their NumPy formulas ---------------------------------------------------
def _adam_args(amsgrad, maximize, decoupled):
    t, lr, wd, b1, b2 = 3, 0.01, 0.1, 0.9, 0.999
    return dict(n_buffers=3, none=(2,) if not amsgrad else (),
                scalars=(b1, b2, 1e-8, 0 if decoupled else wd, 1 - lr * wd if decoupled else 1, lr / (1 - b1 ** t),
                         (1 - b2 ** t) ** 0.5, maximize))


KERNEL_CASES = (
    [("sgd_update", dict(n_buffers=1, none=() if m else (0,), scalars=(0.1, m, d, wd, nest, mx, first)))
     for m, d, wd, nest, mx, first in [(0, 0, 0, False, False, False), (0.9, 0.5, 0.1, False, True, False),
                                       (0.9, 0, 0.1, True, False, False), (0.9, 0, 0, False, False, True)]]
    + [("adam_update", _adam_args(*c)) for c in [(False, False, False), (True, True, False), (True, False, True)]]
    + [("adam_update", dict(n_buffers=3, none=(), scalars=(0.3, 0.6, 1e-3, 0, 1, 0.02, 0.5, False)))]
    + [("rmsprop_update", dict(n_buffers=3, none=tuple(i for i, on in ((1, c), (2, m)) if not on),
                               scalars=(0.01, 0.9, 1e-8, wd, m, mx)))
       for c, m, wd, mx in [(False, 0, 0, False), (True, 0.9, 0.1, True), (True, 0, 0, False), (False, 0.5, 0, True)]]
    + [("adagrad_update", dict(n_buffers=1, none=(), scalars=(0.05, 1e-10, wd, mx)))
       for wd, mx in [(0, False), (0.1, True)]]
)


def kernel_inputs(op, case, n, dtype, seed=0):
    """param, grad and the buffers (None where the case switches them off); buffers positive (they hold squares)."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(n).astype(dtype) for _ in range(2)]
    arrays += [None if i in case["none"] else (np.abs(rng.standard_normal(n)) + 0.5).astype(dtype)
               for i in range(case["n_buffers"])]
    if op == "rmsprop_update" and arrays[3] is not None:   # grad_avg: small enough that square_avg - grad_avg² > 0
        arrays[3] = (0.05 * rng.standard_normal(n)).astype(dtype)
    return arrays


# Each fused kernel against its optimizer's rule (written once on the array module, in autograd_lite/optim/).
RULES = {"sgd_update": sgd_update, "adam_update": adam_update, "rmsprop_update": rmsprop_update,
         "adagrad_update": adagrad_update}

# Parallel loops: float32 at one size (their source is the serial one's).
SIZES = [(n, dt, "numba") for n in (1, 7, 1025) for dt in (np.float32, np.float64)]
SIZES += [(1025, np.float32, "numba-parallel")]


@pytest.mark.parametrize("n,dtype,path", SIZES)
@pytest.mark.parametrize("op,case", KERNEL_CASES, ids=[f"{op}{i}" for i, (op, _) in enumerate(KERNEL_CASES)])
def test_kernel_matches_the_optimizers_rule_in_place(op, case, n, dtype, path):
    ours = kernel_inputs(op, case, n, dtype)
    ref = [None if a is None else a.copy() for a in ours]
    ids = [None if a is None else a.__array_interface__["data"][0] for a in ours]
    with forced(path == "numba-parallel"):
        out = getattr(cpu, op)(*ours, *case["scalars"])
    RULES[op](*ref, *case["scalars"])
    assert out is ours[0]
    rtol = 2e-6 if dtype is np.float32 else 1e-13
    for i, (a, r) in enumerate(zip(ours, ref)):
        if a is None:
            continue
        assert a.dtype == dtype and a.__array_interface__["data"][0] == ids[i]
        np.testing.assert_allclose(a, r, rtol=rtol, atol=rtol, err_msg=f"array {i}")
    assert not np.array_equal(ours[0], kernel_inputs(op, case, n, dtype)[0])     # the parameter moved


@pytest.mark.parametrize("op,case", KERNEL_CASES[:1] + KERNEL_CASES[5:6])
def test_kernel_float16_and_strided_run_on_copies_written_back(op, case):
    for dtype, layout in ((np.float16, "C"), (np.float32, "strided")):
        wide = [None if a is None else np.repeat(a, 2) for a in kernel_inputs(op, case, 33, np.float32)]
        ours = [None if a is None else (a[::2] if layout == "strided" else a[::2].astype(dtype)) for a in wide]
        ref = [None if a is None else a.astype(np.float32) for a in ours]
        getattr(cpu, op)(*ours, *case["scalars"])
        RULES[op](*ref, *case["scalars"])
        for a, r in zip(ours, ref):
            if a is not None:
                assert a.dtype == dtype
                rtol = 2e-3 if dtype == np.float16 else 2e-6
                np.testing.assert_allclose(a.astype(np.float32), r, rtol=rtol, atol=1e-3)


def test_kernel_argument_errors():
    p, g = np.zeros(3, np.float32), np.zeros(3, np.float64)
    with pytest.raises(TypeError, match=r"sgd_update: expected float arrays of one dtype and shape \(param, grad, "
                                        r"buffers\), got float32\[3\], float64\[3\], None"):
        cpu.sgd_update(p, g, None, 0.1)
    with pytest.raises(TypeError, match=r"got float32\[3\], None, float32\[3\]"):
        cpu.adagrad_update(p, None, p.copy(), 0.1, 1e-10)
    with pytest.raises(TypeError, match=r"got int64\[3\], int64\[3\]"):
        cpu.adagrad_update(np.zeros(3, np.int64), np.zeros(3, np.int64), None, 0.1, 1e-10)
    with pytest.raises(TypeError, match=r"float32\[3\], float32\[4\]"):
        cpu.adagrad_update(p, np.zeros(4, np.float32), p.copy(), 0.1, 1e-10)
    with pytest.raises(ValueError, match="momentum != 0 needs a momentum_buffer"):
        cpu.sgd_update(p, p.copy(), None, 0.1, 0.9)


# ---- lr schedulers --------------------------------------------------------------------------------------
def lr_sequences(make, epochs=40, metrics=None, lrs=(0.1, 0.02)):
    """[per epoch: lrs of every group] under our scheduler and torch's, built by make(lib_scheduler_module, opt)."""
    out = []
    for lib, mod in ((al, optim), (torch, torch.optim)):
        groups = [{"params": [lib.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
        opt = mod.SGD(groups, lr=1.0)
        scheds = make(mod.lr_scheduler, opt)
        scheds = scheds if isinstance(scheds, list) else [scheds]
        seq = [scheds[-1].get_last_lr()]
        for epoch in range(epochs):
            opt.step()
            for s in scheds:
                s.step(metrics[epoch]) if metrics is not None else s.step()
            seq.append([g["lr"] for g in opt.param_groups])
            assert scheds[-1].get_last_lr() == seq[-1]
        out.append(seq)
    return out


SCHEDULERS = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[3, 10, 10, 25], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=9, eta_min=0.001),
    "LambdaLR": lambda m, o: m.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 / (e + 1)]),
    "chained": lambda m, o: [m.StepLR(o, step_size=5, gamma=0.5), m.ExponentialLR(o, gamma=0.98)],
    "cosine+multistep": lambda m, o: [m.CosineAnnealingLR(o, T_max=12), m.MultiStepLR(o, [4, 20])],
}


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_lr_sequence_matches_torch(name):
    ours, theirs = lr_sequences(SCHEDULERS[name])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.95, 0.9, 0.91, 0.89999, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.4] * 3


@pytest.mark.parametrize("kw", [dict(patience=2), dict(mode="max", factor=0.5, patience=1, cooldown=2),
                                dict(threshold_mode="abs", threshold=0.05, patience=0, min_lr=[0.05, 0.001]),
                                dict(mode="max", threshold_mode="abs", patience=3, eps=1e-3)])
def test_reduce_lr_on_plateau_matches_torch(kw):
    ours, theirs = lr_sequences(lambda m, o: m.ReduceLROnPlateau(o, **kw), epochs=len(PLATEAU_METRICS),
                                metrics=PLATEAU_METRICS)
    assert ours == theirs


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "LambdaLR", "MultiStepLR"])
def test_scheduler_state_dict_resumes(name):
    def new_optimizer():
        return optim.SGD([{"params": [al.zeros(1, requires_grad=True)], "lr": lr} for lr in (0.1, 0.03)])

    def run(resume_at):
        opt = new_optimizer()
        sched = SCHEDULERS[name](lr_scheduler, opt)
        lrs = []
        for epoch in range(30):
            if epoch == resume_at:
                saved_opt, saved = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
                opt = new_optimizer()
                opt.load_state_dict(saved_opt)
                sched = SCHEDULERS[name](lr_scheduler, opt)
                sched.load_state_dict(saved)
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr())
        return lrs

    assert run(13) == run(None)


def test_scheduler_details():
    opt = optim.SGD([al.zeros(1, requires_grad=True)], lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    assert opt.param_groups[0]["initial_lr"] == 0.1 and sched.last_epoch == 0 and sched.get_last_lr() == [0.1]
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(5)                                     # the closed form: 0.1 * 0.1 ** (5 // 2)
    assert sched.get_last_lr() == pytest.approx([0.001])
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(optim.SGD([al.zeros(1, requires_grad=True)]), step_size=2, last_epoch=3)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        lr_scheduler.ExponentialLR([], gamma=0.5)
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        lr_scheduler.ExponentialLR(opt, gamma=0.5).step()   # the right order: no warning


@pytest.mark.parametrize("amsgrad,decoupled,maximize", [(False, False, False), (True, True, True), (False, True, False)])
def test_adam_update_many_equals_per_parameter_kernel(amsgrad, decoupled, maximize):
    """One group call (the fast path on C-contiguous float32/float64, the general one on float16 and strided
    parameters) updates every array exactly as adam_update does one parameter at a time."""
    rng = np.random.default_rng(0)
    shapes = [(3, 5), (5,), (2, 2, 2), (1,)]
    dtypes = [np.float32, np.float64, np.float16, np.float32]
    ps = [rng.standard_normal(s).astype(d) for s, d in zip(shapes, dtypes)]
    ps[3] = rng.standard_normal(2).astype(np.float32)[::2]          # strided: the general path
    bufs = [[(np.abs(rng.standard_normal(p.shape)) + 0.5).astype(p.dtype) for _ in range(4)] for p in ps]
    gs = [b[0] for b in bufs]
    ref = [[a.copy() for a in (p, *b[1:])] for p, b in zip(ps, bufs)]
    steps, lr, wd, b1, b2 = [1, 2, 5, 3], 0.01, 0.1, 0.9, 0.999
    cpu.adam_update_many(ps, gs, [b[1] for b in bufs], [b[2] for b in bufs], [b[3] for b in bufs] if amsgrad else None,
                         steps, b1, b2, 1e-8, wd, lr, decoupled, maximize)
    for (p, m, v, vm), g, t, got, b in zip(ref, gs, steps, ps, bufs):
        cpu.adam_update(p, g, m, v, vm if amsgrad else None, b1, b2, 1e-8, 0 if decoupled else wd,
                        1 - lr * wd if decoupled else 1, lr / (1 - b1 ** t), (1 - b2 ** t) ** 0.5, maximize)
        for want, have in zip((p, m, v) + ((vm,) if amsgrad else ()), (got, b[1], b[2]) + ((b[3],) if amsgrad else ())):
            assert have.dtype == want.dtype
            np.testing.assert_array_equal(have, want)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_prepared_equals_update_many(amsgrad):
    """adam_prepare validates the parameters and buffers once; adam_update_prepared then checks only the gradients
    and updates exactly as adam_update_many, or returns False and changes nothing."""
    rng = np.random.default_rng(3)
    ps = [rng.standard_normal(s).astype(d) for s, d in (((3, 5), np.float32), ((5,), np.float64))]
    bufs = [[(np.abs(rng.standard_normal(p.shape)) + 0.5).astype(p.dtype) for _ in range(3)] for p in ps]
    gs = [rng.standard_normal(p.shape).astype(p.dtype) for p in ps]
    ref = [[a.copy() for a in (p, *b)] for p, b in zip(ps, bufs)]
    lists = [[b[0] for b in bufs], [b[1] for b in bufs], [b[2] for b in bufs] if amsgrad else None]
    prepared = cpu.adam_prepare(ps, *lists)
    hyper = 0.9, 0.999, 1e-8, 0.1, 0.01, False, False
    for bad in ([gs[0].astype(np.float64), gs[1]], [gs[0][:2], gs[1]], [np.asfortranarray(gs[0]), gs[1]]):
        assert cpu.adam_update_prepared(prepared, bad, [1, 1], *hyper) is False
        for p, r in zip(ps, ref):
            np.testing.assert_array_equal(p, r[0])
    assert cpu.adam_update_prepared(prepared, gs, [1, 4], *hyper) is True
    rps, rlists = [r[0] for r in ref], [[r[1] for r in ref], [r[2] for r in ref], [r[3] for r in ref] if amsgrad else None]
    cpu.adam_update_many(rps, gs, *rlists, [1, 4], *hyper)
    for got, want in zip(ps + sum((x or [] for x in lists), []), rps + sum((x or [] for x in rlists), [])):
        np.testing.assert_array_equal(got, want)
    assert cpu.adam_prepare([ps[0].T], [bufs[0][0].T], [bufs[0][1].T]) is None       # not C-contiguous: no plan


def test_adam_plan_follows_every_change_of_the_arrays():
    """The per-group plan of Adam is rebuilt whenever an array it holds is replaced: grads missing on a step, p.data
    replaced, a state loaded; state['step'] counts as PyTorch's throughout."""
    rng = np.random.default_rng(4)
    init = [rng.standard_normal(s).astype(np.float32) for s in ((4, 3), (4,), (2, 4))]
    ours = [al.tensor(a.copy(), requires_grad=True) for a in init]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    opt, topt = optim.Adam(ours, lr=0.05), torch.optim.Adam(theirs, lr=0.05)
    for step in range(8):
        opt.zero_grad()
        topt.zero_grad()
        used = [0, 1, 2] if step % 3 else [0, 2]                    # parameter 1 gets no gradient every third step
        g = [rng.standard_normal(a.shape).astype(np.float32) for a in init]
        for i in used:
            ours[i].grad, theirs[i].grad = al.tensor(g[i]), torch.tensor(g[i])
        if step == 4:                                             # new arrays under the same parameters
            with al.no_grad():
                ours[2].data = ours[2].data * 1.0
            opt.load_state_dict(copy.deepcopy(opt.state_dict()))
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-6, atol=1e-7)
        counts = [[st["step"].item() if "step" in st else None for st in map(o.state.get, ps, [{}] * 3)]
                  for o, ps in ((opt, ours), (topt, theirs))]
        assert counts[0] == counts[1]


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_update_many_equals_per_parameter_kernel(momentum, nesterov):
    rng = np.random.default_rng(1)
    ps = [rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(6).astype(np.float64),
          rng.standard_normal((3, 4)).astype(np.float32).T]               # transposed: the general path
    gs = [rng.standard_normal(p.shape).astype(p.dtype) for p in ps]
    bufs = [rng.standard_normal(p.shape).astype(p.dtype) if momentum else None for p in ps]
    firsts = [True, False, False]
    ref = [(p.copy(), None if b is None else b.copy()) for p, b in zip(ps, bufs)]
    cpu.sgd_update_many(ps, gs, bufs, firsts, 0.1, momentum, 0.0, 0.01, nesterov, False)
    for (p, b), g, first, got, gotb in zip(ref, gs, firsts, ps, bufs):
        cpu.sgd_update(p, g, b, 0.1, momentum, 0.0, 0.01, nesterov, False, first)
        np.testing.assert_array_equal(got, p)
        if b is not None:
            np.testing.assert_array_equal(gotb, b)
    with pytest.raises(ValueError, match="needs a momentum_buffer"):
        cpu.sgd_update_many(ps[:1], gs[:1], [None], [False], 0.1, 0.9)
