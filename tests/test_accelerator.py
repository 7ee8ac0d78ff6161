"""autograd_lite.accelerator against torch.accelerator: without an accelerator (CPU-only PyTorch is the reference:
the same values, the same exceptions and messages), on the stand-in CUDA device of tests/fake_cuda.py with a stand-in
cupy of two GPUs (the available path), and on a real GPU (marked cuda)."""
import sys
import types
import warnings

import pytest

import autograd_lite as al
from autograd_lite import accelerator, cuda

torch = pytest.importorskip("torch")


def _outcome(fn):
    """(value, None) or (None, (exception type name, message)), and the warnings' (category, message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(), None
        except Exception as e:       # noqa: BLE001  (the type and message are what is compared)
            result = None, (type(e).__name__, str(e))
    return result, [(w.category.__name__, str(w.message)) for w in caught]


def _enter(ctx):
    with ctx:
        pass


CALLS = {
    "is_available": lambda a, lib: a.is_available(),
    "device_count": lambda a, lib: a.device_count(),
    "current_accelerator": lambda a, lib: a.current_accelerator(),
    "current_accelerator checked": lambda a, lib: a.current_accelerator(check_available=True),
    "current_device_index": lambda a, lib: a.current_device_index(),
    "current_device_idx": lambda a, lib: a.current_device_idx(),
    "set_device_index 0": lambda a, lib: a.set_device_index(0),
    "set_device_index -1": lambda a, lib: a.set_device_index(-1),
    "set_device_index cuda:1": lambda a, lib: a.set_device_index("cuda:1"),
    "set_device_index device": lambda a, lib: a.set_device_index(lib.device("cuda", 0)),
    "set_device_index cpu": lambda a, lib: a.set_device_index("cpu"),
    "set_device_index None": lambda a, lib: a.set_device_index(None),
    "set_device_idx": lambda a, lib: a.set_device_idx(0),
    "synchronize": lambda a, lib: a.synchronize(),
    "synchronize 0": lambda a, lib: a.synchronize(0),
    "synchronize cuda": lambda a, lib: a.synchronize("cuda"),
    "synchronize cpu device": lambda a, lib: a.synchronize(lib.device("cpu")),
    "device_index 0": lambda a, lib: _enter(a.device_index(0)),
    "device_index None": lambda a, lib: _enter(a.device_index(None)),
    "bad device string": lambda a, lib: a.synchronize("cuda:x"),
}


@pytest.fixture
def no_accelerator(monkeypatch):
    """No usable GPU, whatever the machine has."""
    monkeypatch.setattr(cuda, "_probe", (False, "disabled for this test"))


@pytest.mark.parametrize("name", CALLS)
def test_without_accelerator_as_cpu_only_torch(name, no_accelerator):
    if torch.accelerator.is_available():
        pytest.skip("this PyTorch has an accelerator: it is no reference for the CPU-only answers")
    ours = _outcome(lambda: CALLS[name](accelerator, al))
    theirs = _outcome(lambda: CALLS[name](torch.accelerator, torch))
    assert ours == theirs


def test_without_accelerator_answers(no_accelerator):
    """The answers themselves, where no reference PyTorch is at hand."""
    assert accelerator.is_available() is False and accelerator.device_count() == 0
    assert accelerator.current_accelerator() is None and accelerator.current_accelerator(True) is None
    for fn in (accelerator.current_device_index, accelerator.synchronize, lambda: accelerator.set_device_index(0),
               lambda: _enter(accelerator.device_index(1))):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available."):
            fn()
    with pytest.raises(RuntimeError, match="Accelerator expected"):
        accelerator.synchronize("cuda:0")
    accelerator.set_device_index(-1)                 # a negative index is a no-op
    assert al.accelerator is accelerator


class _Cupy(types.ModuleType):
    """The little of cupy that autograd_lite.cuda asks for devices: N GPUs, a current one, synchronize calls."""

    def __init__(self, count):
        super().__init__("cupy")
        self.current, self.synced = 0, []
        cp = self

        class Device:
            def __init__(self, index=None):
                self.id = cp.current if index is None else index

            def use(self):
                if not 0 <= self.id < count:
                    raise RuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
                cp.current = self.id

            def synchronize(self):
                cp.synced.append(self.id)

        self.cuda = types.SimpleNamespace(Device=Device,
                                          runtime=types.SimpleNamespace(getDeviceCount=lambda: count))


@pytest.fixture
def two_gpus(fake_cuda, monkeypatch):
    cp = _Cupy(2)
    monkeypatch.setitem(sys.modules, "cupy", cp)
    return cp


def test_available_path_on_the_stand_in(two_gpus):
    cp = two_gpus
    assert accelerator.is_available() is True and accelerator.device_count() == 2
    acc = accelerator.current_accelerator()
    assert acc == al.device("cuda") and acc.index is None and str(acc) == "cuda"
    assert accelerator.current_accelerator(check_available=True) == acc
    assert accelerator.current_device_index() == 0
    accelerator.set_device_index(1)
    assert accelerator.current_device_index() == 1 and cuda.current_device() == 1
    accelerator.set_device_index("cuda:0")
    assert cp.current == 0
    accelerator.set_device_index(al.device("cuda", 1))
    assert cp.current == 1
    accelerator.set_device_index(-1)                  # no-op
    assert cp.current == 1
    accelerator.synchronize()
    accelerator.synchronize(0)
    accelerator.synchronize("cuda")                   # no index: the current device
    accelerator.synchronize(al.device("cuda:0"))
    assert cp.synced == [1, 0, 1, 0]
    with accelerator.device_index(0):
        assert accelerator.current_device_index() == 0
        with accelerator.device_index(None):
            assert accelerator.current_device_index() == 0
    assert accelerator.current_device_index() == 1
    with pytest.warns(FutureWarning, match="Use `current_device_index` instead."):
        assert accelerator.current_device_idx() == 1
    with pytest.warns(FutureWarning, match="Use `set_device_index` instead."):
        accelerator.set_device_idx(0)
    assert cp.current == 0


def test_errors_on_the_stand_in(two_gpus):
    with pytest.raises(ValueError, match=r"^cpu doesn't match the current accelerator cuda\.$"):
        accelerator.set_device_index("cpu")
    with pytest.raises(ValueError, match=r"^cpu doesn't match the current accelerator cuda\.$"):
        accelerator.synchronize(al.device("cpu"))
    with pytest.raises(ValueError, match=r"^Expected a torch.device with a specified index or an integer, but "
                                         r"got:cuda$"):
        accelerator.set_device_index("cuda")
    with pytest.raises(ValueError, match="but got:None"):
        accelerator.set_device_index(None)
    with pytest.raises(RuntimeError, match=r"invalid device ordinal: cuda:2 \(2 device\(s\) available\)"):
        accelerator.set_device_index(2)
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        with accelerator.device_index(5):
            pass
    assert accelerator.current_device_index() == 0    # the failed switch left the device as it was
    with pytest.raises(TypeError, match="device_index expects an int or None, but got str"):
        accelerator.device_index("cuda:0")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda device type"):
        accelerator.synchronize("tpu")


def test_official_examples_device_line_on_the_stand_in(two_gpus):
    """The line PyTorch's examples open with picks the accelerator, and a model and a batch go there."""
    device = accelerator.current_accelerator().type if accelerator.is_available() else "cpu"
    assert device == "cuda"
    model = al.nn.Linear(3, 2).to(device)
    out = model(al.randn(4, 3).to(device))
    assert out.device.type == "cuda" and out.shape == (4, 2)


@pytest.mark.cuda
def test_on_a_gpu():
    assert accelerator.is_available() and accelerator.device_count() >= 1
    assert accelerator.current_accelerator() == al.device("cuda")
    index = accelerator.current_device_index()
    assert 0 <= index < accelerator.device_count()
    x = al.randn(1000, device=accelerator.current_accelerator())
    y = (x * 2).sum()
    accelerator.synchronize()
    with accelerator.device_index(index):
        accelerator.synchronize(index)
    assert abs(y.item() - 2 * x.sum().item()) < 1e-2
