"""The rest of lr_scheduler against torch.optim.lr_scheduler, step for step: LinearLR, ConstantLR, PolynomialLR,
MultiplicativeLR, CosineAnnealingWarmRestarts (incl. fractional step(epoch)), CyclicLR and OneCycleLR (lrs and the
momentum / beta1 they cycle), SequentialLR and ChainedScheduler; state_dict round trips (resuming mid-way equals the
uninterrupted run) on every scheduler, last_epoch resumption, step(epoch) closed forms, warnings and errors."""
import copy
import re
import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import optim
from autograd_lite.optim import lr_scheduler

torch = pytest.importorskip("torch")

LRS = (0.1, 0.02, 0.5)          # three param groups

# name -> (optimizer, make(lr_scheduler module, optimizer), steps)
SGD_M = ("SGD", dict(momentum=0.9))
SCHEDULERS = {
    "LinearLR": (SGD_M, lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=7), 40),
    "LinearLR-default": (SGD_M, lambda m, o: m.LinearLR(o), 12),
    "ConstantLR": (SGD_M, lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4), 12),
    "ConstantLR-default": (SGD_M, lambda m, o: m.ConstantLR(o), 12),
    "PolynomialLR": (SGD_M, lambda m, o: m.PolynomialLR(o, total_iters=8, power=2.0), 14),
    "PolynomialLR-default": (SGD_M, lambda m, o: m.PolynomialLR(o), 8),
    "MultiplicativeLR": (SGD_M, lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95), 30),
    "MultiplicativeLR-list": (SGD_M, lambda m, o: m.MultiplicativeLR(
        o, [lambda e: 0.9, lambda e: 1 - 0.01 * e, lambda e: 1.0]), 30),
    "CosineAnnealingWarmRestarts": (SGD_M, lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5), 40),
    "CosineAnnealingWarmRestarts-mult": (SGD_M, lambda m, o: m.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.001), 50),
    "CyclicLR-triangular": (SGD_M, lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2, 0.05], step_size_up=4,
                                                          step_size_down=6), 45),
    "CyclicLR-triangular2": (SGD_M, lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="triangular2",
                                                           base_momentum=[0.7, 0.8, 0.85], max_momentum=0.95), 40),
    "CyclicLR-exp_range": (SGD_M, lambda m, o: m.CyclicLR(o, [0.01, 0.02, 0.001], 0.3, step_size_up=5,
                                                         mode="exp_range", gamma=0.97), 50),
    "CyclicLR-scale_fn": (SGD_M, lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=lambda x: 0.5 ** x,
                                                        scale_mode="iterations"), 20),
    "CyclicLR-scale_fn-cycle": (SGD_M, lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=2, step_size_down=3,
                                                              scale_fn=lambda x: 1 / x), 25),
    "CyclicLR-no-momentum": (("SGD", {}), lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                                  cycle_momentum=False), 20),
    "CyclicLR-Adam": (("Adam", {}), lambda m, o: m.CyclicLR(o, 0.001, 0.01, step_size_up=4), 20),
    "OneCycleLR-cos": (SGD_M, lambda m, o: m.OneCycleLR(o, max_lr=[0.1, 0.2, 0.05], total_steps=40), 40),
    "OneCycleLR-linear": (SGD_M, lambda m, o: m.OneCycleLR(o, 0.1, epochs=4, steps_per_epoch=9,
                                                          anneal_strategy="linear", pct_start=0.25), 36),
    "OneCycleLR-three_phase": (SGD_M, lambda m, o: m.OneCycleLR(o, 0.1, total_steps=30, three_phase=True,
                                                               div_factor=10.0, final_div_factor=100.0), 30),
    "OneCycleLR-no-momentum": (("SGD", {}), lambda m, o: m.OneCycleLR(o, 0.1, total_steps=20,
                                                                      cycle_momentum=False), 20),
    "OneCycleLR-Adam": (("AdamW", {}), lambda m, o: m.OneCycleLR(o, 0.01, total_steps=25, base_momentum=0.8,
                                                                 max_momentum=[0.9, 0.95, 0.99]), 25),
    "SequentialLR": (SGD_M, lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=4), m.ExponentialLR(o, gamma=0.9)], milestones=[5]), 25),
    "SequentialLR-three": (SGD_M, lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.3, total_iters=2), m.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
            m.StepLR(o, step_size=3, gamma=0.5)], milestones=[3, 15]), 30),
    "ChainedScheduler": (SGD_M, lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=2), m.ExponentialLR(o, gamma=0.9)]), 20),
    "ChainedScheduler-three": (SGD_M, lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.5, total_iters=5), m.MultiStepLR(o, [3, 8, 8]),
         m.MultiplicativeLR(o, lambda e: 0.97)], optimizer=o), 20),
    "SequentialLR-of-chained": (SGD_M, lambda m, o: m.SequentialLR(
        o, [m.ChainedScheduler([m.LinearLR(o, start_factor=0.2, total_iters=3), m.ExponentialLR(o, gamma=0.95)]),
            m.CosineAnnealingLR(o, T_max=7)], milestones=[6]), 25),
}
OLD = {     # the schedulers that were there before, for the round trips and resumption
    "LambdaLR": (SGD_M, lambda m, o: m.LambdaLR(o, lambda e: 0.9 ** e), 20),
    "StepLR": (SGD_M, lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), 20),
    "MultiStepLR": (SGD_M, lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3), 20),
    "ExponentialLR": (SGD_M, lambda m, o: m.ExponentialLR(o, gamma=0.9), 20),
    "CosineAnnealingLR": (SGD_M, lambda m, o: m.CosineAnnealingLR(o, T_max=6, eta_min=0.001), 30),
}
ALL = {**SCHEDULERS, **OLD}
LIBS = ((al, optim), (torch, torch.optim))


def new_optimizer(lib, mod, kind, lrs=LRS, dtype=None, extra=None):
    kind, kw = kind
    groups = [{"params": [lib.zeros(2, dtype=dtype, requires_grad=True)], "lr": lr, **(extra or {})} for lr in lrs]
    return getattr(mod, kind)(groups, lr=1.0, **kw)


def hypers(opt):
    """What a scheduler sets, per group: the lr, and the momentum or beta1 where the group has one."""
    return [(g["lr"], g["momentum"] if "momentum" in g else g["betas"][0] if "betas" in g else None)
            for g in opt.param_groups]


def sequence(lib, mod, entry, resume_at=None, steps=None):
    """[hypers after construction, after each step], each step checking get_last_lr(); resume_at: there the
    optimizer and scheduler are rebuilt fresh and load deep copies of the state_dicts."""
    kind, make, n = entry
    opt = new_optimizer(lib, mod, kind)
    with warnings.catch_warnings():       # a ChainedScheduler restarted by SequentialLR warns (torch's does too)
        warnings.simplefilter("ignore")
        sched = make(mod.lr_scheduler, opt)
    seq = [hypers(opt)]
    for i in range(steps or n):
        if i == resume_at:
            saved_opt, saved = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
            opt = new_optimizer(lib, mod, kind)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sched = make(mod.lr_scheduler, opt)
            opt.load_state_dict(saved_opt)
            sched.load_state_dict(saved)
        opt.step()
        sched.step()
        seq.append(hypers(opt))
        assert sched.get_last_lr() == [lr for lr, _ in seq[-1]]
    return seq


@pytest.mark.parametrize("name", SCHEDULERS)
def test_schedule_equals_torch(name):
    ours, theirs = (sequence(lib, mod, SCHEDULERS[name]) for lib, mod in LIBS)
    assert ours == theirs


@pytest.mark.parametrize("name", ALL)
def test_state_dict_resumes(name):
    """Rebuilt mid-way from state_dicts, the schedule goes on exactly as the uninterrupted one (and as torch's)."""
    entry = ALL[name]
    whole = sequence(al, optim, entry)
    assert sequence(al, optim, entry, resume_at=entry[2] // 2 + 1) == whole
    assert sequence(torch, torch.optim, entry, resume_at=entry[2] // 2 + 1) == whole


def _keys(state):
    if isinstance(state, list):
        return [_keys(s) for s in state]
    return {k: _keys(v) if k == "_schedulers" else None for k, v in state.items()}


@pytest.mark.parametrize("name", ALL)
def test_state_dict_has_torchs_keys_and_saves(name, tmp_path):
    """The same keys as torch's (so a torch checkpoint's scheduler state loads); a save/load round trip of the
    state_dict (JSON + npy, no pickle) gives back an equal dict."""
    states = []
    for lib, mod in LIBS:
        kind, make, n = ALL[name]
        opt = new_optimizer(lib, mod, kind)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = make(mod.lr_scheduler, opt)
        for _ in range(3):
            opt.step()
            sched.step()
        states.append(sched.state_dict())
    assert _keys(states[0]) == _keys(states[1])
    al.save(states[0], tmp_path / "sched.pt")
    assert al.load(tmp_path / "sched.pt") == states[0]


def test_load_state_dict_leaves_the_argument_alone():
    opt = new_optimizer(al, optim, SGD_M)
    sched = lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2)
    state = sched.state_dict()
    before = copy.deepcopy(state)
    sched.load_state_dict(state)
    assert state == before and sched.scale_fn(3) == 1.0


class Halving:
    """A callable object: its state is saved (functions are not)."""

    def __init__(self):
        self.factor = 0.5

    def __call__(self, x):
        return self.factor ** x


def test_callable_objects_state_round_trips():
    for make in (lambda o, fn: lr_scheduler.MultiplicativeLR(o, fn),
                 lambda o, fn: lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=2, scale_fn=fn)):
        fn = Halving()
        fn.factor = 0.8
        saved = make(new_optimizer(al, optim, SGD_M), fn).state_dict()
        other = Halving()
        make(new_optimizer(al, optim, SGD_M), other).load_state_dict(saved)
        assert other.factor == 0.8


RESUMABLE = {
    "LinearLR": lambda m, o, e: m.LinearLR(o, start_factor=0.2, total_iters=9, last_epoch=e),
    "ConstantLR": lambda m, o, e: m.ConstantLR(o, factor=0.4, total_iters=6, last_epoch=e),
    "PolynomialLR": lambda m, o, e: m.PolynomialLR(o, total_iters=10, power=1.5, last_epoch=e),
    "MultiplicativeLR": lambda m, o, e: m.MultiplicativeLR(o, lambda k: 0.9, last_epoch=e),
    "CosineAnnealingWarmRestarts": lambda m, o, e: m.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, last_epoch=e),
    "CosineAnnealingLR": lambda m, o, e: m.CosineAnnealingLR(o, T_max=5, last_epoch=e),
    "StepLR": lambda m, o, e: m.StepLR(o, 3, last_epoch=e),
    "LambdaLR": lambda m, o, e: m.LambdaLR(o, lambda k: 1 / (k + 1), last_epoch=e),
    "CyclicLR": lambda m, o, e: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, last_epoch=e),
    "OneCycleLR": lambda m, o, e: m.OneCycleLR(o, 0.1, total_steps=30, last_epoch=e),
}


@pytest.mark.parametrize("name", RESUMABLE)
def test_last_epoch_resumes_like_torch(name):
    """Built with last_epoch=7 over groups that hold 'initial_lr' (and OneCycleLR's keys), as after loading an
    optimizer's state_dict: the same lrs and momenta as torch's from there on."""
    extra = dict(initial_lr=0.3, max_lr=0.1, min_lr=1e-5, max_momentum=0.95, base_momentum=0.85)
    out = []
    for lib, mod in LIBS:
        opt = new_optimizer(lib, mod, SGD_M, extra=extra)
        sched = RESUMABLE[name](mod.lr_scheduler, opt, 7)
        seq = [hypers(opt), sched.last_epoch]
        for _ in range(15):
            opt.step()
            sched.step()
            seq.append(hypers(opt))
        out.append(seq)
    assert out[0] == out[1]


def _with_warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [(w.category, str(w.message)) for w in caught]


CLOSED_FORM = {
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.3, end_factor=0.8, total_iters=6),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=5),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=9, power=3.0),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9 + 0.001 * e),
    "StepLR": lambda m, o: m.StepLR(o, 4, 0.5),
    "CyclicLR": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3),
}


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_step_with_epoch_equals_torch(name):
    """The deprecated step(epoch): the closed form where there is one, with PyTorch's warning."""
    out = []
    for lib, mod in LIBS:
        opt = new_optimizer(lib, mod, SGD_M)
        sched = CLOSED_FORM[name](mod.lr_scheduler, opt)
        opt.step()
        seq = []
        for epoch in (3, 4, 9, 2, 2, 11, 0):
            _, caught = _with_warnings(lambda: sched.step(epoch))
            seq.append((hypers(opt), sched.last_epoch, caught))
        out.append(seq)
    assert out[0] == out[1]


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs_equal_torch(T_mult):
    """CosineAnnealingWarmRestarts stepped per batch with step(epoch + i / iters), then jumping around."""
    out = []
    for lib, mod in LIBS:
        opt = new_optimizer(lib, mod, SGD_M)
        sched = mod.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=T_mult, eta_min=0.005)
        seq = []
        iters = 7
        for epoch in range(12):
            for i in range(iters):
                opt.step()
                _, caught = _with_warnings(lambda: sched.step(epoch + i / iters))
                seq.append((hypers(opt), sched.last_epoch, sched.T_cur, sched.T_i, caught))
        for epoch in (30.5, 1.25, 0, 6):
            sched.step(epoch)
            seq.append((hypers(opt), sched.last_epoch, sched.T_cur, sched.T_i))
        sched.step()
        seq.append((hypers(opt), sched.last_epoch, sched.T_cur, sched.T_i))
        out.append(seq)
    assert out[0] == out[1]


# ---- the optimizers follow what the schedulers set ------------------------------------------------------------
@pytest.mark.parametrize("kind,make", [
    (("SGD", dict(momentum=0.9, nesterov=True)), lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3)),
    (("SGD", dict(momentum=0.5)), lambda m, o: m.OneCycleLR(o, 0.2, total_steps=30, three_phase=True)),
    (("Adam", dict(amsgrad=True)), lambda m, o: m.OneCycleLR(o, 0.05, total_steps=30)),
    (("AdamW", {}), lambda m, o: m.CyclicLR(o, 0.001, 0.02, step_size_up=4, mode="triangular2")),
    (("SGD", {}), lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.1, total_iters=5),
                                                 m.CosineAnnealingWarmRestarts(o, T_0=4)], milestones=[5])),
])
def test_training_with_a_schedule_equals_torch(kind, make):
    """float64 parameters trained under the schedule (momentum / beta1 cycled too) end where torch's do."""
    rng = np.random.default_rng(0)
    targets = [rng.standard_normal(2) for _ in LRS]
    out = []
    for lib, mod in LIBS:
        opt = new_optimizer(lib, mod, kind, dtype=lib.float64)
        sched = make(mod.lr_scheduler, opt)
        params = [g["params"][0] for g in opt.param_groups]
        for _ in range(30):
            opt.zero_grad()
            sum(((p - lib.tensor(t)) ** 4).sum() for p, t in zip(params, targets)).backward()
            opt.step()
            sched.step()
        out.append(np.stack([p.detach().numpy() for p in params]))
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12, atol=1e-14)


# ---- warnings and errors ----------------------------------------------------------------------------------------
def test_step_before_optimizer_step_warns_as_torch():
    out = []
    for lib, mod in LIBS:
        opt = new_optimizer(lib, mod, SGD_M)
        sched = mod.lr_scheduler.LinearLR(opt)
        first = _with_warnings(sched.step)[1]
        second = _with_warnings(sched.step)[1]
        out.append((first, second))
    assert out[0] == out[1]
    assert "Detected call of `lr_scheduler.step()` before `optimizer.step()`" in out[0][0][0][1] and not out[0][1]


def test_overridden_optimizer_step_warns_as_torch():
    out = []
    for lib, mod in LIBS:
        opt = new_optimizer(lib, mod, SGD_M)
        sched = mod.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=10)
        opt.step = type(opt).step.__get__(opt)            # replaced after the scheduler was built
        opt.step()
        out.append(_with_warnings(sched.step)[1])
    assert out[0] == out[1] and "has been overridden" in out[0][0][1]


def test_right_order_does_not_warn_and_get_lr_outside_step_does():
    out = []
    for lib, mod in LIBS:
        opt = new_optimizer(lib, mod, SGD_M)
        scheds = [mod.lr_scheduler.CyclicLR(opt, 0.01, 0.1), mod.lr_scheduler.PolynomialLR(opt)]
        opt.step()
        caught = [_with_warnings(s.step)[1] for s in scheds]
        caught += [_with_warnings(s.get_lr)[1] for s in scheds]
        out.append(caught)
    assert out[0] == out[1]
    assert out[0][:2] == [[], []] and "get_last_lr()" in out[0][2][0][1]


def _error(fn):
    try:
        fn()
    except Exception as e:       # noqa: BLE001  (the type and message are what is compared)
        return type(e).__name__, str(e)
    return None


def _other_optimizer(lib, mod):
    return new_optimizer(lib, mod, SGD_M)


ERRORS = {
    "LinearLR start 0": lambda m, o, lib: m.LinearLR(o, start_factor=0),
    "LinearLR start > 1": lambda m, o, lib: m.LinearLR(o, start_factor=1.5),
    "LinearLR end < 0": lambda m, o, lib: m.LinearLR(o, end_factor=-0.1),
    "ConstantLR factor": lambda m, o, lib: m.ConstantLR(o, factor=1.2),
    "ConstantLR factor < 0": lambda m, o, lib: m.ConstantLR(o, factor=-1),
    "not an optimizer": lambda m, o, lib: m.PolynomialLR([1]),
    "CyclicLR not an optimizer": lambda m, o, lib: m.CyclicLR("sgd", 0.1, 1.0),
    "OneCycleLR not an optimizer": lambda m, o, lib: m.OneCycleLR(None, 0.1, 10),
    "MultiplicativeLR not callable": lambda m, o, lib: m.MultiplicativeLR(o, 0.9),
    "MultiplicativeLR list": lambda m, o, lib: m.MultiplicativeLR(o, [lambda e: 1.0]),
    "LambdaLR not callable": lambda m, o, lib: m.LambdaLR(o, [lambda e: 1.0, 2, lambda e: 1.0]),
    "warm restarts T_0": lambda m, o, lib: m.CosineAnnealingWarmRestarts(o, T_0=0),
    "warm restarts T_0 float": lambda m, o, lib: m.CosineAnnealingWarmRestarts(o, T_0=2.0),
    "warm restarts T_mult": lambda m, o, lib: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    "warm restarts eta_min": lambda m, o, lib: m.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"),
    "warm restarts negative epoch": lambda m, o, lib: m.CosineAnnealingWarmRestarts(o, T_0=2).step(-1),
    "CyclicLR mode": lambda m, o, lib: m.CyclicLR(o, 0.1, 1.0, mode="square"),
    "CyclicLR base_lr list": lambda m, o, lib: m.CyclicLR(o, [0.1, 0.2], 1.0),
    "CyclicLR max_lr list": lambda m, o, lib: m.CyclicLR(o, 0.1, (1.0,)),
    "CyclicLR no momentum": lambda m, o, lib: m.CyclicLR(
        (lib.optim if lib is al else torch.optim).Adagrad([lib.zeros(1, requires_grad=True)]), 0.1, 1.0),
    "CyclicLR momentum list": lambda m, o, lib: m.CyclicLR(o, 0.1, 1.0, base_momentum=[0.8]),
    "OneCycleLR no length": lambda m, o, lib: m.OneCycleLR(o, 0.1),
    "OneCycleLR total_steps": lambda m, o, lib: m.OneCycleLR(o, 0.1, total_steps=0),
    "OneCycleLR total_steps float": lambda m, o, lib: m.OneCycleLR(o, 0.1, total_steps=10.0),
    "OneCycleLR epochs": lambda m, o, lib: m.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=3),
    "OneCycleLR steps_per_epoch": lambda m, o, lib: m.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=-3),
    "OneCycleLR pct_start": lambda m, o, lib: m.OneCycleLR(o, 0.1, total_steps=10, pct_start=1.5),
    "OneCycleLR pct_start int": lambda m, o, lib: m.OneCycleLR(o, 0.1, total_steps=10, pct_start=0),
    "OneCycleLR anneal": lambda m, o, lib: m.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="exp"),
    "OneCycleLR max_lr list": lambda m, o, lib: m.OneCycleLR(o, [0.1], total_steps=10),
    "OneCycleLR no momentum": lambda m, o, lib: m.OneCycleLR(
        (lib.optim if lib is al else torch.optim).Adagrad([lib.zeros(1, requires_grad=True)]), 0.1, 10),
    "OneCycleLR past the end": lambda m, o, lib: [s.step() for s in [m.OneCycleLR(o, 0.1, total_steps=3)]
                                                  for _ in range(4)],
    "SequentialLR none": lambda m, o, lib: m.SequentialLR(o, [], []),
    "SequentialLR milestones": lambda m, o, lib: m.SequentialLR(o, [m.ConstantLR(o), m.LinearLR(o)], [2, 4]),
    "SequentialLR plateau": lambda m, o, lib: m.SequentialLR(o, [m.ConstantLR(o), m.ReduceLROnPlateau(o)], [2]),
    "SequentialLR no optimizer": lambda m, o, lib: m.SequentialLR(o, [m.ConstantLR(o), object()], [2]),
    "ChainedScheduler none": lambda m, o, lib: m.ChainedScheduler([]),
    "ChainedScheduler plateau": lambda m, o, lib: m.ChainedScheduler([m.ReduceLROnPlateau(o)]),
    "ChainedScheduler no optimizer": lambda m, o, lib: m.ChainedScheduler([m.ConstantLR(o), 3]),
    "resume without initial_lr": lambda m, o, lib: m.PolynomialLR(o, last_epoch=4),
    "OneCycleLR resume without keys": lambda m, o, lib: m.OneCycleLR(o, 0.1, total_steps=9, last_epoch=3),
}


@pytest.mark.parametrize("name", ERRORS)
def test_errors_as_torch(name):
    got = []
    for lib, mod in LIBS:
        opt = new_optimizer(lib, mod, SGD_M)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got.append(_error(lambda: ERRORS[name](mod.lr_scheduler, opt, lib)))
    assert got[0] is not None and got[0] == got[1]


@pytest.mark.parametrize("cls", ["SequentialLR", "ChainedScheduler"])
def test_schedulers_of_another_optimizer_are_refused(cls):
    """The message names the other optimizer (its repr differs between the libraries: compared up to it)."""
    got = []
    for lib, mod in LIBS:
        a, b = new_optimizer(lib, mod, SGD_M), new_optimizer(lib, mod, SGD_M)
        m = mod.lr_scheduler
        scheds = [m.ConstantLR(a), m.ExponentialLR(b, 0.9)]
        fn = (lambda: m.SequentialLR(a, scheds, [2])) if cls == "SequentialLR" else (lambda: m.ChainedScheduler(scheds))
        kind, message = _error(fn)
        got.append((kind, re.sub(r"has .* which", "has OPT, which", message, flags=re.S)))
    assert got[0] == got[1] and got[0][0] == "ValueError"


def test_reduce_lr_on_plateau_state_dict_resumes(tmp_path):
    """ReduceLROnPlateau too: resumed mid-way from its saved (JSON) state_dict, the lrs are the uninterrupted
    run's and torch's; the state_dict has torch's keys."""
    metrics = [1.0, 0.9, 0.95, 0.95, 0.97, 0.96, 0.5, 0.6, 0.6, 0.61, 0.6, 0.7, 0.3, 0.3, 0.3, 0.3]

    def run(lib, mod, resume_at=None):
        def build():
            opt = new_optimizer(lib, mod, SGD_M)
            return opt, mod.lr_scheduler.ReduceLROnPlateau(opt, patience=1, cooldown=1, factor=0.5,
                                                           min_lr=[0.01, 0.001, 0.2])
        opt, sched = build()
        seq = []
        for i, metric in enumerate(metrics):
            if i == resume_at:
                al.save(sched.state_dict(), tmp_path / "plateau.pt")
                saved_opt = copy.deepcopy(opt.state_dict())
                opt, sched = build()
                opt.load_state_dict(saved_opt)
                sched.load_state_dict(al.load(tmp_path / "plateau.pt"))
            opt.step()
            sched.step(metric)
            seq.append((hypers(opt), sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter))
        return seq, sched.state_dict()

    whole, state = run(al, optim)
    assert run(al, optim, resume_at=7)[0] == whole
    theirs, their_state = run(torch, torch.optim)
    assert theirs == whole and set(state) == set(their_state)
