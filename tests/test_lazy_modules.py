"""Lazy modules (LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*), UninitializedParameter /
UninitializedBuffer and nn.Buffer, against torch: inferred shapes, the class swap at the first forward, state_dict
keys, loading torch's weights (into initialised and uninitialised modules) giving torch's outputs, errors' wording."""
import copy
import pickle

import numpy as np
import pytest
import torch

import autograd_lite as al
from autograd_lite import nn
from autograd_lite.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy


def to_al_state(sd):
    return {k: al.tensor(v.detach().numpy()) for k, v in sd.items()}


def close(ours, ref, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)


CASES = [
    ("LazyLinear", (3,), {}, (4, 5), "Linear"),
    ("LazyLinear", (3,), {"bias": False}, (2, 6, 5), "Linear"),
    ("LazyConv1d", (4, 3), {"stride": 2}, (2, 3, 9), "Conv1d"),
    ("LazyConv2d", (4, 3), {"padding": 1, "groups": 2}, (2, 6, 7, 7), "Conv2d"),
    ("LazyConv2d", (4, 3), {}, (3, 7, 7), "Conv2d"),                # unbatched
    ("LazyConvTranspose1d", (4, 3), {"stride": 2}, (2, 3, 5), "ConvTranspose1d"),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2, "output_padding": 1, "stride": 2}, (1, 2, 5, 5),
     "ConvTranspose2d"),
    ("LazyBatchNorm1d", (), {}, (4, 3), "BatchNorm1d"),
    ("LazyBatchNorm2d", (), {"affine": False}, (4, 3, 5, 5), "BatchNorm2d"),
    ("LazyBatchNorm3d", (), {}, (2, 3, 2, 3, 3), "BatchNorm3d"),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 6), "InstanceNorm1d"),
    ("LazyInstanceNorm2d", (), {"track_running_stats": False}, (2, 3, 4, 4), "InstanceNorm2d"),
]
CASES_3D = [    # present once the 3-d convolutions / instance norm have landed
    ("LazyConv3d", (4, 2), {"padding": 1}, (2, 3, 4, 4, 4), "Conv3d"),
    ("LazyConvTranspose3d", (4, 2), {"stride": 2}, (1, 3, 3, 3, 3), "ConvTranspose3d"),
    ("LazyInstanceNorm3d", (), {}, (2, 3, 3, 3, 3), "InstanceNorm3d"),
]
CASES += [pytest.param(*c, marks=pytest.mark.skipif(not hasattr(nn, c[0]), reason=f"nn.{c[4]} not here yet"))
          for c in CASES_3D]


@pytest.mark.parametrize("name,args,kwargs,shape,becomes", CASES,
                         ids=[f"{getattr(c, 'values', c)[0]}{i}" for i, c in enumerate(CASES)])
def test_lazy_infers_shapes_and_becomes_plain_against_torch(name, args, kwargs, shape, becomes):
    m, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert list(m.state_dict()) == list(tm.state_dict())
    kinds = [type(v).__name__ for v in m.state_dict().values()]
    assert kinds == [type(v).__name__ for v in tm.state_dict().values()]
    assert repr(m).split("(")[0] == repr(tm).split("(")[0] == name
    x = np.random.randn(*shape).astype(np.float32)
    out, tout = m(al.tensor(x)), tm(torch.tensor(x))
    assert type(m).__name__ == type(tm).__name__ == becomes
    assert isinstance(m, getattr(nn, becomes))
    assert not any(is_lazy(t) for t in m.state_dict().values())
    for (k, v), (tk, tv) in zip(m.state_dict().items(), tm.state_dict().items()):
        assert k == tk and tuple(v.shape) == tuple(tv.shape), k
        assert str(v.dtype).split(".")[-1] == str(tv.dtype).split(".")[-1], k
    assert tuple(out.shape) == tuple(tout.shape)
    # torch's weights loaded: torch's outputs (init streams differ)
    m.load_state_dict(to_al_state(tm.state_dict()))
    close(m(al.tensor(x)), tm(torch.tensor(x)), 1e-4, 1e-4)
    for attr in ("in_features", "in_channels", "num_features"):
        if hasattr(tm, attr):
            assert getattr(m, attr) == getattr(tm, attr)


def test_lazy_linear_init_is_kaiming_of_inferred_fan_in():
    m = nn.LazyLinear(50)
    m(al.randn(2, 400))
    bound = 1 / 20.0
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound and np.abs(b).max() <= bound
    assert m.weight.requires_grad and type(m.weight) is nn.Parameter


def test_load_initialised_state_into_uninitialised_module():
    tm = torch.nn.Linear(5, 3)
    m = nn.LazyLinear(3)
    m.load_state_dict(to_al_state(tm.state_dict()))
    assert type(m).__name__ == "LazyLinear" and type(m.weight) is nn.Parameter and m.weight.shape == (3, 5)
    x = np.random.randn(2, 5).astype(np.float32)
    close(m(al.tensor(x)), tm(torch.tensor(x)))
    assert type(m) is nn.Linear and m.in_features == 5
    c, tc = nn.LazyConv2d(4, 3), torch.nn.Conv2d(2, 4, 3)
    c.load_state_dict(to_al_state(tc.state_dict()))
    x = np.random.randn(1, 2, 6, 6).astype(np.float32)
    close(c(al.tensor(x)), tc(torch.tensor(x)), 1e-4, 1e-4)
    assert c.in_channels == 2
    bn, tbn = nn.LazyBatchNorm1d(), torch.nn.BatchNorm1d(3)
    tbn.running_mean.fill_(0.5)
    bn.load_state_dict(to_al_state(tbn.state_dict()))
    assert bn.running_mean.shape == (3,) and float(bn.running_mean[0]) == 0.5


def test_uninitialised_into_uninitialised_and_into_initialised():
    m = nn.LazyLinear(3)
    assert m.load_state_dict(nn.LazyLinear(3).state_dict()) == ([], [])
    assert is_lazy(m.weight)
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter or buffer. This error "
                                           "usually happens in `load_state_dict` when trying to load an uninitialized "
                                           "parameter into an initialized one."):
        nn.Linear(5, 3).load_state_dict(nn.LazyLinear(3).state_dict())


def test_uninitialized_parameter_errors_and_allowed_uses():
    p = UninitializedParameter()
    assert repr(p) == "<UninitializedParameter>" and repr(UninitializedBuffer()) == "<UninitializedBuffer>"
    assert isinstance(p, nn.Parameter) and p.requires_grad and p.dtype == al.float32 and p.device.type == "cpu"
    assert not UninitializedBuffer().requires_grad
    for use in (lambda: p + 1, lambda: p.sum(), lambda: al.exp(p), lambda: nn.functional.linear(al.ones(2, 3), p)):
        with pytest.raises(ValueError, match=r"Attempted to use an uninitialized parameter in \w+. This error happens "
                                             "when you are using a `LazyModule` or explicitly manipulating "
                                             "`torch.nn.parameter.UninitializedParameter` objects."):
            use()
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter or buffer"):
        p.shape
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized parameter or buffer"):
        p.share_memory_()
    d = p.double()
    assert is_lazy(d) and d.dtype == al.float64
    q = copy.deepcopy(p)
    assert is_lazy(q) and q is not p
    assert is_lazy(pickle.loads(pickle.dumps(p)))
    p.materialize((2, 3), dtype=al.float64)
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.dtype == al.float64 and p.requires_grad
    b = UninitializedBuffer()
    b.materialize((4,))
    assert type(b) is al.Tensor and b.shape == (4,)


def test_module_to_before_dry_run_and_optimizer_made_before():
    m = nn.Sequential(nn.LazyLinear(4), nn.ReLU(), nn.LazyLinear(2)).double()
    assert is_lazy(m[0].weight) and m[0].weight.dtype == al.float64
    w = m[0].weight
    opt = al.optim.SGD(m.parameters(), lr=0.1)
    out = m(al.randn(3, 5, dtype=al.float64))
    assert m[0].weight is w and w.dtype == al.float64 and w.shape == (4, 5)
    before = w.detach().clone()
    out.sum().backward()
    opt.step()
    assert not bool((w == before).all())
    assert [type(x).__name__ for x in m] == ["Linear", "ReLU", "Linear"]


def test_lazy_errors_wording():
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d, but got "
                                           "input of size"):
        nn.LazyConv2d(4, 3)(al.randn(2, 3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(al.randn(1, 3, 5, 5))

    class Half(nn.LazyModuleMixin, nn.Module):
        def __init__(self):
            super().__init__()
            self.w = UninitializedParameter()

        def initialize_parameters(self, x):
            pass
    with pytest.raises(RuntimeError, match="module Half has not been fully initialized"):
        Half()(al.ones(1))
    with pytest.warns(FutureWarning):
        with pytest.raises(ValueError, match="The module passed to `WeightNorm` can't have uninitialized parameters."):
            nn.utils.weight_norm(nn.LazyLinear(3))


def test_deepcopy_of_lazy_module_initialises_on_its_own():
    m = nn.LazyLinear(3)
    c = copy.deepcopy(m)
    c(al.randn(2, 4))
    assert type(c) is nn.Linear and type(m) is nn.LazyLinear and is_lazy(m.weight)
    m(al.randn(2, 6))
    assert m.weight.shape == (3, 6) and c.weight.shape == (3, 4)


def test_buffer_registers_on_assignment():
    m = nn.Module()
    m.steps = nn.Buffer(al.zeros(2))
    m.scratch = nn.Buffer(al.ones(1), persistent=False)
    assert list(m.state_dict()) == ["steps"] and [n for n, _ in m.named_buffers()] == ["steps", "scratch"]
    assert list(m.parameters()) == []
    tm = torch.nn.Module()
    tm.steps = torch.nn.Buffer(torch.zeros(2))
    assert list(tm.state_dict()) == list(m.state_dict())


def test_lazy_and_parametrized_on_each_device(device):
    m = nn.Sequential(nn.LazyConv2d(4, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2)).to(device)
    assert m[0].weight.device.type == al.device(device).type
    out = m(al.randn(2, 3, 6, 6, device=device))
    assert out.device.type == al.device(device).type and m[3].weight.shape == (2, 64)
    assert m[0].weight.device.type == al.device(device).type
    out.sum().backward()
    assert m[0].weight.grad.shape == (4, 3, 3, 3)
    sn = nn.utils.parametrizations.spectral_norm(nn.Linear(5, 4).to(device))
    wn = nn.utils.parametrizations.weight_norm(nn.Linear(4, 3).to(device))
    y = wn(sn(al.randn(3, 5, device=device)))
    y.sum().backward()
    assert y.device.type == sn.parametrizations.weight[0]._u.device.type == al.device(device).type
    assert wn.parametrizations.weight.original0.grad is not None
    assert sn.parametrizations.weight.original.grad is not None
