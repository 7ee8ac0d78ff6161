"""The training benchmarks' NumPy reference (benchmarks/numpy_mlp.py) computes what autograd_lite does.

    pytest tests/test_bench_reference.py -q
"""
import pathlib
import sys

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.kernels.cpu.bits import random_words

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))
from cases_training import build, init_params  # noqa: E402
from numpy_mlp import NumpyMLP  # noqa: E402

SIZES = (30, 24, 16, 10)


def _batches(n=3, batch=8):
    rng = np.random.default_rng(5)
    return [(rng.standard_normal((batch, SIZES[0]), dtype=np.float32), rng.integers(0, 10, batch))
            for _ in range(n)]


def _pair(dropout=0.0, loss="ce", optimizer="adam", lr=1e-3, momentum=0.0, seed=7):
    """The benchmark's autograd_lite (model, criterion, optimizer) and the NumpyMLP, same weights; the NumpyMLP
    draws its dropout masks as autograd_lite.random.bits16 does after manual_seed(seed), in the same order."""
    spec = dict(dropout=dropout, optimizer=optimizer, lr=lr, momentum=momentum)
    lib = build(al, SIZES, loss=loss, **spec)
    al.manual_seed(seed)
    keys = np.random.Generator(np.random.PCG64(seed))

    def bits16(shape):              # one 64-bit key from PCG64(seed), then the SplitMix64 stream it keys
        n = int(np.prod(shape))
        key = int(keys.integers(0, 1 << 64, dtype=np.uint64))
        return random_words(key, (n + 3) // 4).view(np.uint16)[:n].reshape(shape)
    return lib, NumpyMLP(*init_params(SIZES), bits16=bits16, **spec)


@pytest.mark.parametrize("loss, optimizer, lr, momentum, dropout", [
    ("nll", "adam", 1e-3, 0.0, 0.0), ("ce", "adam", 1e-2, 0.0, 0.0), ("ce", "sgd", 0.05, 0.9, 0.0),
    ("ce", "adam", 1e-3, 0.0, 0.5), ("ce", "sgd", 0.05, 0.9, 0.3)])
def test_three_steps_match_autograd_lite(loss, optimizer, lr, momentum, dropout):
    (model, criterion, opt), mlp = _pair(dropout, loss, optimizer, lr, momentum)
    for x, y in _batches():
        opt.zero_grad()
        out = criterion(model(al.from_numpy(x)), al.from_numpy(y))
        out.backward()
        opt.step()
        assert mlp.step(x, y) == pytest.approx(out.item(), rel=1e-4)
    params = [p.detach().numpy() for p in model.parameters()]
    ours = [a for pair in zip(mlp.W, mlp.b) for a in pair]
    for p, q in zip(params, ours):
        assert q.dtype == np.float32 and p.shape == q.shape
        np.testing.assert_allclose(q, p, rtol=1e-4, atol=1e-6)


def test_eval_forward_matches_with_dropout():
    (model, _, _), mlp = _pair(dropout=0.5)
    model.eval()
    x = _batches(1, 32)[0][0]
    with al.no_grad():
        expected = model(al.from_numpy(x)).numpy()
    np.testing.assert_allclose(mlp.logits(x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(mlp.predict(x), expected.argmax(1))


def test_weights_are_copied_in_pytorch_layout():
    (model, _, _), mlp = _pair()
    ws, _ = init_params(SIZES)
    assert model[0].weight.shape == (24, 30) and mlp.W[0].shape == (24, 30)
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), ws[0])
    assert not np.shares_memory(mlp.W[0], ws[0])
