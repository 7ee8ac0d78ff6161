"""optim.swa_utils against torch.optim.swa_utils: AveragedModel (SWA, EMA through avg_fn and multi_avg_fn, buffers
averaged or copied), update_bn, SWALR's learning rates step for step, state dicts and errors."""
import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.optim import swa_utils

torch = pytest.importorskip("torch")
from torch.optim import swa_utils as t_swa  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.standard_normal((32, 5)).astype(np.float32)
Y = RNG.integers(0, 3, 32)


def _model(L):
    return L.nn.Sequential(L.nn.Linear(5, 8), L.nn.BatchNorm1d(8), L.nn.ReLU(), L.nn.Linear(8, 3))


def _pair():
    torch.manual_seed(0)
    ref = _model(torch)
    ours = _model(al)
    ours.load_state_dict({k: al.from_numpy(v.detach().numpy().copy()) for k, v in ref.state_dict().items()})
    return ours, ref


def _averaging_run(L, model, make_avg, steps=6):
    avg = make_avg(L, model)
    opt = L.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for i in range(steps):
        opt.zero_grad()
        xb, yb = L.from_numpy(X[i * 4:i * 4 + 8].copy()), L.from_numpy(Y[i * 4:i * 4 + 8].copy())
        L.nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()
        avg.update_parameters(model)
    return avg


AVERAGES = {
    "swa": lambda L, m: (swa_utils if L is al else t_swa).AveragedModel(m),
    "swa buffers": lambda L, m: (swa_utils if L is al else t_swa).AveragedModel(m, use_buffers=True),
    "ema multi": lambda L, m: (swa_utils if L is al else t_swa).AveragedModel(
        m, multi_avg_fn=(swa_utils if L is al else t_swa).get_ema_multi_avg_fn(0.9)),
    "ema avg_fn": lambda L, m: (swa_utils if L is al else t_swa).AveragedModel(
        m, avg_fn=(swa_utils if L is al else t_swa).get_ema_avg_fn(0.8)),
    "swa multi": lambda L, m: (swa_utils if L is al else t_swa).AveragedModel(
        m, multi_avg_fn=(swa_utils if L is al else t_swa).get_swa_multi_avg_fn()),
}


@pytest.mark.parametrize("kind", sorted(AVERAGES))
def test_averaged_model_as_torch(kind):
    ours, ref = _pair()
    avg = _averaging_run(al, ours, AVERAGES[kind])
    t_avg = _averaging_run(torch, ref, AVERAGES[kind])
    sd, t_sd = avg.state_dict(), t_avg.state_dict()
    assert list(sd) == list(t_sd)
    for k in sd:
        assert str(sd[k].dtype).split(".")[-1] == str(t_sd[k].dtype).split(".")[-1], k
        np.testing.assert_allclose(sd[k].numpy(), t_sd[k].numpy(), rtol=2e-5, atol=1e-6, err_msg=k)
    assert int(avg.n_averaged) == 6
    x = al.from_numpy(X[:4].copy())
    avg.eval(), t_avg.eval()
    np.testing.assert_allclose(avg(x).detach().numpy(), t_avg(torch.from_numpy(X[:4].copy())).detach().numpy(),
                               rtol=1e-4, atol=1e-5)


def test_update_bn_as_torch():
    ours, ref = _pair()
    avg, t_avg = swa_utils.AveragedModel(ours), t_swa.AveragedModel(ref)
    batches = [X[i:i + 8] for i in range(0, 32, 8)]
    swa_utils.update_bn([al.from_numpy(b.copy()) for b in batches], avg)
    t_swa.update_bn([(torch.from_numpy(b.copy()), 0) for b in batches], t_avg)
    bn, t_bn = avg.module[1], t_avg.module[1]
    np.testing.assert_allclose(bn.running_mean.numpy(), t_bn.running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), t_bn.running_var.numpy(), rtol=1e-5, atol=1e-6)
    assert bn.momentum == 0.1 and int(bn.num_batches_tracked) == int(t_bn.num_batches_tracked) == 4
    assert avg.training
    swa_utils.update_bn([], al.nn.Linear(2, 2))      # no batch norm: nothing to do


def _lrs(L, **kw):
    w1, w2 = L.nn.Parameter(L.zeros(2)), L.nn.Parameter(L.zeros(2))
    opt = L.optim.SGD([{"params": [w1]}, {"params": [w2], "lr": 0.5}], lr=1.0)
    sched = (swa_utils if L is al else t_swa).SWALR(opt, **kw)
    out = [sched.get_last_lr()]
    for _ in range(8):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
    return out, sched


@pytest.mark.parametrize("kw", [dict(swa_lr=0.05), dict(swa_lr=[0.1, 0.01], anneal_epochs=3, anneal_strategy="linear"),
                                dict(swa_lr=0.2, anneal_epochs=0), dict(swa_lr=0.3, anneal_epochs=1)])
def test_swalr_as_torch(kw):
    (ours, sched), (ref, t_sched) = _lrs(al, **kw), _lrs(torch, **kw)
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    sd = sched.state_dict()
    assert sorted(sd) == sorted(t_sched.state_dict())
    again = _lrs(al, **kw)[1]
    again.load_state_dict(sd)
    assert again.anneal_func(0.5) == sched.anneal_func(0.5) and again.get_last_lr() == sched.get_last_lr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched.get_lr()
    assert any("get_last_lr()" in str(w.message) for w in caught)


def test_errors_as_torch():
    opt = al.optim.SGD([al.nn.Parameter(al.zeros(1))], lr=1.0)
    t_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    cases = [(lambda m, o: m.get_ema_multi_avg_fn(1.5), ValueError, "Invalid decay value 1.5"),
             (lambda m, o: m.get_ema_avg_fn(-0.1), ValueError, "Invalid decay value -0.1"),
             (lambda m, o: m.SWALR(o, 0.1, anneal_strategy="exp"), ValueError, "anneal_strategy must be one of"),
             (lambda m, o: m.SWALR(o, 0.1, anneal_epochs=-1), ValueError, "anneal_epochs must be equal or greater"),
             (lambda m, o: m.SWALR(o, [0.1, 0.2]), ValueError, "swa_lr must have the same length")]
    for make, exc, text in cases:
        for module, o in ((swa_utils, opt), (t_swa, t_opt)):
            with pytest.raises(exc, match=text):
                make(module, o)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(al.nn.Linear(1, 1), avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())


def test_averaged_model_on_the_stand_in_device(fake_cuda):
    model = al.nn.Linear(3, 2)
    avg = swa_utils.AveragedModel(model, device="cuda")
    assert avg.module.weight.device.type == "cuda" and avg.n_averaged.device.type == "cuda"
    first = model.weight.detach().clone()
    avg.update_parameters(model)
    with al.no_grad():
        model.weight.add_(1.0)
    avg.update_parameters(model)
    np.testing.assert_allclose(avg.module.weight.cpu().detach().numpy(), first.numpy() + 0.5, rtol=1e-6)
