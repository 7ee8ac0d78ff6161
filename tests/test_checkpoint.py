"""utils.checkpoint against torch.utils.checkpoint: values and gradients (inputs and the parameters inside) in
float64, the recomputation in backward, the RNG replayed for dropout, both flavours' rules, warnings and errors;
DenseNet's memory_efficient through it."""
import warnings

import numpy as np
import pytest
import torch as pt
import torch.utils.checkpoint as pt_cp

import autograd_lite as al
from autograd_lite import nn
from autograd_lite.utils.checkpoint import checkpoint, checkpoint_sequential
from autograd_lite.vision import models


def _pair(seed=0):
    al.manual_seed(seed)
    ours = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).double()
    ref = pt.nn.Sequential(pt.nn.Linear(5, 7), pt.nn.Tanh(), pt.nn.Linear(7, 3)).double()
    ref.load_state_dict({k: pt.from_numpy(v.detach().numpy().copy()) for k, v in ours.state_dict().items()})
    return ours, ref


@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("x_grad", [True, False])
def test_values_and_gradients_equal_torchs(reentrant, x_grad):
    ours, ref = _pair()
    calls = []
    block = lambda m, x: calls.append(1) or m(x) * 2          # noqa: E731
    x = np.random.default_rng(1).standard_normal((4, 5))
    xa, xt = al.tensor(x, requires_grad=x_grad), pt.tensor(x, requires_grad=x_grad)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        ya = checkpoint(lambda t: block(ours, t), xa, use_reentrant=reentrant)
        yt = pt_cp.checkpoint(lambda t: ref(t) * 2, xt, use_reentrant=reentrant)
    assert ("None of the inputs have requires_grad=True" in " ".join(str(w.message) for w in seen)) == \
        (reentrant and not x_grad)
    assert calls == [1] and ya.requires_grad == yt.requires_grad
    np.testing.assert_allclose(ya.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    if not yt.requires_grad:            # reentrant, no input needing grad: no graph at all, as torch's
        return
    ya.square().sum().backward()
    yt.square().sum().backward()
    assert calls == [1, 1]                                        # forward again in backward
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, err_msg=name)
    if x_grad:
        np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-10)


def test_dropout_replays_the_forwards_mask_and_tuples_and_kwargs():
    drop = nn.Dropout(0.5)
    x = al.randn(6, 8, dtype=al.float64, requires_grad=True)

    def f(t, scale=1.0):
        d = drop(t)
        return d * scale, d.exp()
    al.manual_seed(3)
    a, b = checkpoint(f, x, use_reentrant=False, scale=3.0)
    (a.sum() + b.sum()).backward()
    got = x.grad.numpy().copy()
    x.grad = None
    al.manual_seed(3)
    a2, b2 = f(x, 3.0)
    (a2.sum() + b2.sum()).backward()
    np.testing.assert_array_equal(a.detach().numpy(), a2.detach().numpy())
    np.testing.assert_allclose(got, x.grad.numpy(), rtol=1e-12)


def test_rules_warnings_and_errors_are_torchs():
    x = al.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda t: t * 2, x)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda t, scale: t * scale, x, use_reentrant=True, scale=2)
    y = checkpoint(lambda t: t * 2, x, use_reentrant=True)
    with pytest.raises(RuntimeError, match="incompatible with .grad()"):
        al.autograd.grad(y.sum(), [x])
    with al.no_grad():
        assert not checkpoint(lambda t: t * 2, x, use_reentrant=False).requires_grad
    with pytest.raises(TypeError, match="must return a Tensor or a tuple of Tensors"):
        checkpoint(lambda t: 3, x, use_reentrant=False)


def test_checkpoint_sequential_equals_the_plain_run():
    al.manual_seed(4)
    model = nn.Sequential(*[m for _ in range(3) for m in (nn.Linear(6, 6), nn.ReLU())]).double()
    x = al.randn(5, 6, dtype=al.float64, requires_grad=True)
    checkpoint_sequential(model, 3, x, use_reentrant=False).sum().backward()
    got = [p.grad.numpy().copy() for p in model.parameters()] + [x.grad.numpy().copy()]
    model.zero_grad()
    x.grad = None
    model(x).sum().backward()
    for a, b in zip(got, [p.grad.numpy() for p in model.parameters()] + [x.grad.numpy()]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_densenet_memory_efficient_checkpoints_the_bottleneck(monkeypatch):
    """memory_efficient=True (torchvision's flag): the same gradients, each dense layer's bottleneck run twice (its
    recomputation in backward), as torchvision's through torch.utils.checkpoint."""
    al.manual_seed(5)
    plain = models.densenet121(num_classes=3).double()
    efficient = models.densenet121(num_classes=3, memory_efficient=True).double()
    efficient.load_state_dict(plain.state_dict())
    x = np.random.default_rng(2).standard_normal((2, 3, 32, 32))
    runs = []
    layer_type = type(efficient.features.denseblock1.denselayer1)
    bn_function = layer_type.bn_function
    monkeypatch.setattr(layer_type, "bn_function", lambda self, inputs: runs.append(1) or bn_function(self, inputs))
    for model in (plain, efficient):
        runs.clear()
        model(al.from_numpy(x.copy())).square().sum().backward()
        assert len(runs) == (2 * 58 if model is efficient else 0)
    for (name, p), q in zip(plain.named_parameters(), efficient.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-8, atol=1e-12, err_msg=name)


def test_double_backward_through_a_checkpoint_raises():
    x = al.randn(3, dtype=al.float64, requires_grad=True)
    y = checkpoint(lambda t: (t * t).sum(), x, use_reentrant=False)
    with pytest.raises(RuntimeError, match="not compatible with create_graph=True"):
        y.backward(create_graph=True)
