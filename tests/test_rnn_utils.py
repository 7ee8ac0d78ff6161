"""nn.utils.rnn against torch.nn.utils.rnn: PackedSequence, pack/pad in every combination, values, lengths,
gradients of every order through them, gradcheck, devices, errors' wording and reprs."""
import numpy as np
import pytest
import torch

import autograd_lite as al
from autograd_lite.nn.utils import rnn as R
from torch.nn.utils import rnn as TR

LENGTHS = [4, 1, 3]


def _lib_rnn(lib):
    return TR if lib is torch else R


def _np(t):
    return t.detach().cpu().numpy()


def _pair(shape, device, dtype="float32"):
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    return torch.tensor(x, requires_grad=True), al.tensor(x, requires_grad=True, device=device)


def _same_packed(ours, ref):
    np.testing.assert_allclose(_np(ours.data), _np(ref.data), rtol=1e-6)
    assert ours.data.dtype.name == str(ref.data.dtype).split(".")[-1]
    assert ours.batch_sizes.tolist() == ref.batch_sizes.tolist()
    assert ours.batch_sizes.dtype == al.int64 and ours.batch_sizes.device.type == "cpu"
    for a, b in ((ours.sorted_indices, ref.sorted_indices), (ours.unsorted_indices, ref.unsorted_indices)):
        assert (a is None) == (b is None) and (a is None or a.tolist() == b.tolist())


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_then_pad_against_torch(device, batch_first, enforce_sorted):
    lengths = sorted(LENGTHS, reverse=True) if enforce_sorted else LENGTHS
    shape = (3, 4, 2) if batch_first else (4, 3, 2)
    tx, ax = _pair(shape, device)
    tp = TR.pack_padded_sequence(tx, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    ap = R.pack_padded_sequence(ax, al.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce_sorted)
    _same_packed(ap, tp)
    assert ap.data.device == al.device(device)
    tout, tlen = TR.pad_packed_sequence(tp, batch_first=batch_first, padding_value=-1.5, total_length=6)
    aout, alen = R.pad_packed_sequence(ap, batch_first=batch_first, padding_value=-1.5, total_length=6)
    np.testing.assert_allclose(_np(aout), _np(tout))
    assert alen.tolist() == tlen.tolist() and alen.dtype == al.int64 and aout.dtype == al.float32
    w = np.random.default_rng(1).standard_normal(tuple(tout.shape)).astype(np.float32)
    (tout * torch.tensor(w)).sum().backward()
    (aout * al.tensor(w, device=device)).sum().backward()
    assert ax.grad.device == al.device(device)
    np.testing.assert_allclose(_np(ax.grad), _np(tx.grad))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_against_torch(device, batch_first, side):
    pairs = [_pair((n, 2), device) for n in LENGTHS]
    tout = TR.pad_sequence([t for t, _ in pairs], batch_first=batch_first, padding_value=0.5, padding_side=side)
    aout = R.pad_sequence([a for _, a in pairs], batch_first=batch_first, padding_value=0.5, padding_side=side)
    np.testing.assert_allclose(_np(aout), _np(tout))
    assert aout.dtype == al.float32 and aout.device == al.device(device)
    w = np.arange(tout.numel(), dtype=np.float32).reshape(tuple(tout.shape))
    (tout * torch.tensor(w)).sum().backward()
    (aout * al.tensor(w, device=device)).sum().backward()
    for t, a in pairs:
        np.testing.assert_allclose(_np(a.grad), _np(t.grad))


def test_pack_sequence_unpack_and_unpad(device):
    pairs = [_pair((n, 3), device) for n in LENGTHS]
    tp = TR.pack_sequence([t for t, _ in pairs], enforce_sorted=False)
    ap = R.pack_sequence([a for _, a in pairs], enforce_sorted=False)
    _same_packed(ap, tp)
    for a, t in zip(R.unpack_sequence(ap), TR.unpack_sequence(tp)):
        np.testing.assert_allclose(_np(a), _np(t))
    padded = R.pad_sequence([a for _, a in pairs])
    for a, (_, x) in zip(R.unpad_sequence(padded, al.tensor(LENGTHS)), pairs):
        np.testing.assert_allclose(_np(a), _np(x))
    assert R.pack_sequence([al.tensor([1, 2, 3]), al.tensor([4])]).data.tolist() == [1, 4, 2, 3]


def test_second_order_and_gradcheck_through_pack_and_pad():
    x = al.randn(4, 3, 2, dtype=al.float64, requires_grad=True)

    def roundtrip(x):
        p = R.pack_padded_sequence(x, [1, 4, 3], enforce_sorted=False)
        return R.pad_packed_sequence(p, batch_first=True)[0] ** 3
    assert al.autograd.gradcheck(roundtrip, (x,))
    assert al.autograd.gradgradcheck(roundtrip, (x,))
    seqs = [al.randn(n, 2, dtype=al.float64, requires_grad=True) for n in LENGTHS]
    assert al.autograd.gradgradcheck(lambda *s: R.pad_sequence(s, padding_side="left").sin(), seqs)

    def second(lib):
        x = lib.tensor(np.linspace(-1, 1, 24).reshape(4, 3, 2), dtype=lib.float64, requires_grad=True)
        out = _lib_rnn(lib).pad_packed_sequence(_lib_rnn(lib).pack_padded_sequence(x, [4, 3, 1]))[0]
        g, = lib.autograd.grad((out ** 3).sum(), x, create_graph=True)
        gg, = lib.autograd.grad((g * g).sum(), x)
        return _np(g), _np(gg)
    for a, b in zip(second(al), second(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_packed_sequence_class(device):
    p = R.pack_sequence([al.ones(3, 2), al.ones(1, 2)])
    ref = TR.pack_sequence([torch.ones(3, 2), torch.ones(1, 2)])
    assert repr(p).replace("autograd_lite", "torch") == repr(ref)
    assert p._fields == ref._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert sorted_indices is None and unsorted_indices is None and batch_sizes.tolist() == [2, 1, 1]
    assert p.double().data.dtype == al.float64 and p.to(al.float32) is p and not p.is_cuda
    q = R.pack_sequence([al.ones(1, 2), al.ones(3, 2)], enforce_sorted=False).to(device)
    assert q.data.device == al.device(device) and q.sorted_indices.device == al.device(device)
    assert q.batch_sizes.device.type == "cpu" and q.is_cuda == (device != "cpu")
    if device != "cpu":
        moved = p.cuda()
        assert moved.is_cuda and moved.batch_sizes is p.batch_sizes and moved.cpu().data.device.type == "cpu"
    assert R.PackedSequence((p.data, p.batch_sizes)).batch_sizes is p.batch_sizes
    made = R.PackedSequence(p.data, p.batch_sizes, al.tensor([1, 0]))
    assert made.unsorted_indices.tolist() == [1, 0]
    perm = [2, 0, 1]
    assert R.invert_permutation(al.tensor(perm)).tolist() == TR.invert_permutation(torch.tensor(perm)).tolist()
    assert R.invert_permutation(None) is None
    import autograd_lite.nn.utils.rnn as module
    assert al.nn.utils.rnn is module and sorted(module.__all__) == sorted(TR.__all__)


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case", [
    lambda lib: _lib_rnn(lib).pack_padded_sequence(lib.ones(3, 2, 4), [2, 3]),
    lambda lib: _lib_rnn(lib).pack_padded_sequence(lib.ones(3, 2, 4), [2, 0]),
    lambda lib: _lib_rnn(lib).pack_padded_sequence(lib.ones(3, 2, 4), [2, 2, 1]),
    lambda lib: _lib_rnn(lib).pack_padded_sequence(lib.ones(3, 2, 4), [[2, 2]]),
    lambda lib: _lib_rnn(lib).pack_padded_sequence(lib.ones(0, 2, 4), [2, 1]),
    lambda lib: _lib_rnn(lib).pad_sequence([]),
    lambda lib: _lib_rnn(lib).pad_sequence([lib.ones(2, 3), lib.ones(3, 4)]),
    lambda lib: _lib_rnn(lib).pad_sequence([lib.ones(2, 3)], padding_side="up"),
    lambda lib: _lib_rnn(lib).pad_sequence(3),
    lambda lib: _lib_rnn(lib).pad_packed_sequence(_lib_rnn(lib).pack_sequence([lib.ones(3), lib.ones(1)]),
                                                  total_length=2),
    lambda lib: _lib_rnn(lib).PackedSequence(lib.ones(3)),
    lambda lib: _lib_rnn(lib).pack_sequence([lib.ones(1), lib.ones(3)]),
])
def test_errors_as_torch(case):
    ours, ref = _error(lambda: case(al)), _error(lambda: case(torch))
    assert ours[0] is ref[0] and ours[1] == ref[1].replace("torch.", ""), (ours, ref)


def test_lengths_past_the_input_are_refused():
    """PyTorch reads past the end of the input here; we name the problem."""
    with pytest.raises(RuntimeError, match="a length of 4 exceeds the input's 3 time steps"):
        R.pack_padded_sequence(al.ones(3, 2, 4), [4, 2])


def test_pad_sequence_of_a_tensor_iterates_its_first_dim():
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(R.pad_sequence(al.tensor(x)).numpy(), TR.pad_sequence(torch.tensor(x)).numpy())
