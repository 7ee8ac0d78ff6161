"""nn.DataParallel: without a GPU the module runs as it is (torch's behaviour on the CPU, state_dict keys with the
`module.` prefix); on the stand-in CUDA device the module moves to cuda:0 and so do the inputs."""
import sys
import types

import numpy as np
import pytest

import autograd_lite as al

torch = pytest.importorskip("torch")


def test_on_the_cpu_as_torch():
    torch.manual_seed(0)
    ref = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()))
    ours = al.nn.DataParallel(al.nn.Sequential(al.nn.Linear(4, 3), al.nn.ReLU()))
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict({k: al.from_numpy(v.numpy().copy()) for k, v in ref.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    out = ours(al.from_numpy(x))
    np.testing.assert_allclose(out.detach().numpy(), ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)
    out.sum().backward()
    assert ours.module[0].weight.grad.shape == (3, 4)
    assert ours.device_ids == ref.device_ids == []
    assert isinstance(al.nn.parallel.DataParallel(al.nn.Linear(1, 1)), al.nn.Module)


def _gpus(monkeypatch, count):
    runtime = types.SimpleNamespace(getDeviceCount=lambda: count)
    monkeypatch.setitem(sys.modules, "cupy", types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime)))


def test_on_the_stand_in_device(fake_cuda, monkeypatch):
    _gpus(monkeypatch, 1)
    model = al.nn.Linear(4, 2)
    dp = al.nn.DataParallel(model)
    assert dp.device_ids == [0] and model.weight.device.type == "cuda"
    out = dp(al.ones(3, 4))
    assert out.device.type == "cuda" and out.shape == (3, 2)
    model.to("cpu")
    with pytest.raises(RuntimeError, match="module must have its parameters and buffers on device cuda:0"):
        dp(al.ones(3, 4))


def test_several_gpus_run_on_the_first_and_say_so(fake_cuda, monkeypatch):
    _gpus(monkeypatch, 2)
    with pytest.warns(UserWarning, match=r"running on cuda:0 only \(use DistributedDataParallel"):
        dp = al.nn.DataParallel(al.nn.Linear(4, 2))
    assert dp.device_ids == [0] and dp(al.ones(1, 4)).device.type == "cuda"
