"""Smaller PyTorch names, each against torch: WeightedRandomSampler and StackDataset (utils.data), init.trunc_normal_
/ eye_ / dirac_, F.elu_ / F.leaky_relu_, channel_shuffle and nn.ChannelShuffle."""
import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.utils.data import DataLoader, StackDataset, TensorDataset, WeightedRandomSampler

torch = pytest.importorskip("torch")
import torch.utils.data as tdata  # noqa: E402


def _raises_as_torch(make):
    """make(lib) raises in both libraries, the same type and message."""
    out = []
    for lib in (torch, al):
        with pytest.raises(Exception) as info:
            make(lib)
        out.append((info.type, str(info.value)))
    assert out[1] == out[0]


def test_weighted_random_sampler_draws_by_weight():
    al.manual_seed(0)
    sampler = WeightedRandomSampler(al.tensor([1.0, 3.0, 0.0, 4.0]), 40000)
    counts = np.bincount(np.array(list(sampler)), minlength=4) / 40000
    np.testing.assert_allclose(counts, [0.125, 0.375, 0.0, 0.5], atol=0.01)
    assert len(sampler) == 40000
    without = list(WeightedRandomSampler([1.0, 1.0, 1.0, 1.0, 1.0], 5, replacement=False))
    assert sorted(without) == [0, 1, 2, 3, 4]
    loader = DataLoader(TensorDataset(al.arange(6.0)), batch_size=4, sampler=WeightedRandomSampler([1.0] * 6, 8))
    assert [len(b[0]) for b in loader] == [4, 4]
    gen = al.Generator().manual_seed(3)
    first = list(WeightedRandomSampler([1.0, 2.0, 3.0], 10, generator=gen))
    again = list(WeightedRandomSampler([1.0, 2.0, 3.0], 10, generator=al.Generator().manual_seed(3)))
    assert first == again


@pytest.mark.parametrize("args", [([1.0, 2.0], 0), ([1.0, 2.0], 2.5), ([[1.0, 2.0]], 2)])
def test_weighted_random_sampler_errors_as_torch(args):
    def make(lib):
        module = tdata if lib is torch else al.utils.data
        return module.WeightedRandomSampler(*args)
    _raises_as_torch(make)
    _raises_as_torch(lambda lib: (tdata if lib is torch else al.utils.data).WeightedRandomSampler([1.0], 1, 1))


def test_stack_dataset_as_torch():
    a, b = np.arange(5.0), np.arange(5) * 10
    for lib, module in ((torch, tdata), (al, al.utils.data)):
        ds = module.StackDataset(module.TensorDataset(lib.tensor(a)), lib.tensor(b))
        item = ds[2]
        assert len(ds) == 5 and float(item[0][0]) == 2.0 and int(item[1]) == 20
        named = module.StackDataset(x=lib.tensor(a), y=lib.tensor(b))
        assert sorted(named[1]) == ["x", "y"] and int(named[1]["y"]) == 10
    batch = next(iter(DataLoader(StackDataset(x=al.tensor(a), y=al.tensor(b)), batch_size=3)))
    assert batch["x"].tolist() == [0.0, 1.0, 2.0] and batch["y"].tolist() == [0, 10, 20]
    _raises_as_torch(lambda lib: (tdata if lib is torch else al.utils.data).StackDataset())
    _raises_as_torch(lambda lib: (tdata if lib is torch else al.utils.data).StackDataset(lib.zeros(2), lib.zeros(3)))
    _raises_as_torch(lambda lib: (tdata if lib is torch else al.utils.data).StackDataset(lib.zeros(2), y=lib.zeros(2)))


def test_trunc_normal_eye_dirac_as_torch():
    al.manual_seed(0)
    torch.manual_seed(0)
    ours = al.nn.init.trunc_normal_(al.empty(200000), mean=0.5, std=1.0, a=-1.0, b=1.0).numpy()
    ref = torch.nn.init.trunc_normal_(torch.empty(200000), mean=0.5, std=1.0, a=-1.0, b=1.0).numpy()
    assert ours.min() >= -1.0 and ours.max() <= 1.0
    np.testing.assert_allclose([ours.mean(), ours.std()], [ref.mean(), ref.std()], atol=0.01)
    w = al.nn.init.trunc_normal_(al.empty(50000, dtype=al.float64), std=0.02)
    assert w.dtype is al.float64 and abs(float(w.std()) - 0.02) < 0.0005   # a, b are absolute: +-2 is 100 std here
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        al.nn.init.trunc_normal_(al.empty(3), mean=10.0)
    for shape in ((3, 4), (4, 3)):
        assert np.array_equal(al.nn.init.eye_(al.empty(*shape)).numpy(), torch.nn.init.eye_(torch.empty(*shape)).numpy())
    for shape, groups in (((4, 2, 3, 3), 2), ((3, 5, 3), 1), ((2, 2, 3, 3, 3), 1)):
        assert np.array_equal(al.nn.init.dirac_(al.empty(*shape), groups).numpy(),
                              torch.nn.init.dirac_(torch.empty(*shape), groups).numpy())
    _raises_as_torch(lambda lib: lib.nn.init.eye_(lib.empty(2, 2, 2)))
    _raises_as_torch(lambda lib: lib.nn.init.dirac_(lib.empty(2, 2)))
    _raises_as_torch(lambda lib: lib.nn.init.dirac_(lib.empty(3, 2, 3, 3), 2))


def test_functional_inplace_activations_as_torch():
    x = np.array([-2.0, -0.5, 0.0, 1.5], np.float32)
    for name, kwargs in (("elu_", {"alpha": 0.5}), ("leaky_relu_", {"negative_slope": 0.2})):
        ours, ref = al.tensor(x), torch.tensor(x)
        out = getattr(al.nn.functional, name)(ours, **kwargs)
        getattr(torch.nn.functional, name)(ref, **kwargs)
        assert out is ours
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)


def test_channel_shuffle_as_torch():
    x = np.random.default_rng(0).standard_normal((2, 6, 3, 2))
    ours = al.tensor(x, requires_grad=True)
    ref = torch.tensor(x, requires_grad=True)
    out, t_out = al.channel_shuffle(ours, 3), torch.channel_shuffle(ref, 3)
    np.testing.assert_array_equal(out.detach().numpy(), t_out.detach().numpy())
    weights = np.arange(x.size, dtype=np.float64).reshape(x.shape)
    (out * al.tensor(weights)).sum().backward()
    (t_out * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), ref.grad.numpy())
    np.testing.assert_array_equal(al.nn.functional.channel_shuffle(ours, 2).detach().numpy(),
                                  torch.nn.ChannelShuffle(2)(ref).detach().numpy())
    assert repr(al.nn.ChannelShuffle(2)) == repr(torch.nn.ChannelShuffle(2))
    assert al.nn.ChannelShuffle(3)(ours).shape == (2, 6, 3, 2)
    _raises_as_torch(lambda lib: lib.nn.functional.channel_shuffle(lib.zeros(2, 4, 3), 3))
    _raises_as_torch(lambda lib: lib.nn.functional.channel_shuffle(lib.zeros(2, 4, 3), 0))
    _raises_as_torch(lambda lib: lib.nn.functional.channel_shuffle(lib.zeros(2, 4), 2))


def _asm_pair(**kw):
    torch.manual_seed(0)
    ref = torch.nn.AdaptiveLogSoftmaxWithLoss(16, 30, [4, 12, 20], **kw).double()
    ours = al.nn.AdaptiveLogSoftmaxWithLoss(16, 30, [4, 12, 20], **kw).double()
    ours.load_state_dict({k: al.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    return ours, ref


@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax_as_torch(head_bias):
    ours, ref = _asm_pair(head_bias=head_bias, div_value=2.0)
    assert list(ours.state_dict()) == list(ref.state_dict()) and repr(ours) == repr(ref)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 16))
    y = np.array([0, 3, 5, 11, 12, 19, 20, 29, 1, 7, 25, 2])
    xa, xt = al.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, loss = ours(xa, al.tensor(y))
    t_out, t_loss = ref(xt, torch.tensor(y))
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-10)
    loss.backward()
    t_loss.backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (name, p), tp in zip(ours.named_parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(ours.log_prob(al.tensor(x)).detach().numpy(), ref.log_prob(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10)
    assert ours.predict(al.tensor(x)).tolist() == ref.predict(torch.tensor(x)).tolist()
    single, t_single = ours(al.tensor(x[0]), al.tensor(y[3])), ref(torch.tensor(x[0]), torch.tensor(y[3]))
    assert single.output.shape == () and abs(single.output.item() - t_single.output.item()) < 1e-10


def test_adaptive_log_softmax_errors_as_torch():
    for make in (lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, []),
                 lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3]),
                 lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 10]),
                 lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4])(lib.zeros(3, 8), lib.tensor([0, 1])),
                 lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4])(lib.zeros(2, 8), lib.tensor([0, 10])),
                 lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4])(lib.zeros(2, 8), lib.zeros(2, 2).long())):
        _raises_as_torch(make)
