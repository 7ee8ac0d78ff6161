"""nn.Embedding, F.embedding, nn.EmbeddingBag, F.embedding_bag and F.one_hot against PyTorch: values, gradients of
every order, gradcheck, dtypes, devices, errors' wording, reprs and state_dict keys."""
import numpy as np
import pytest
import torch

import autograd_lite as al
from autograd_lite import nn
import autograd_lite.nn.functional as F
from op_helpers import check_op, functional

IDX = [[1, 2, 4, 1], [9, 0, 1, 2]]          # index 1 three times, 2 twice: repeats must add up


def _emb(idx, **kw):
    return lambda lib, w: functional(lib).embedding(lib.tensor(idx), w, **kw) ** 2


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 1}, {"padding_idx": -1}, {"scale_grad_by_freq": True}])
def test_embedding_against_torch(device, kw):
    check_op(_emb(IDX, **kw), [(10, 3)], device=device, second="scale_grad_by_freq" not in kw)


@pytest.mark.parametrize("idx", [3, [], [[[0, 5]], [[5, 5]]]], ids=["0-d", "empty", "3-d"])
def test_embedding_any_index_shape(device, idx):
    check_op(lambda lib, w: functional(lib).embedding(lib.tensor(idx, dtype=lib.int64), w), [(6, 2)], device=device,
             second=False)


def test_embedding_int32_indices_and_float64_weight(device):
    check_op(lambda lib, w: functional(lib).embedding(lib.tensor(IDX, dtype=lib.int32), w), [(10, 3)],
             dtype="float64", device=device, second=False)


def test_second_order_through_the_weight_gradient():
    """The weight's gradient depends on the weight through the loss: its derivative is the lookup again."""
    def grads(lib):
        w = lib.tensor(np.linspace(-1, 1, 30).reshape(10, 3), requires_grad=True, dtype=lib.float64)
        y = functional(lib).embedding(lib.tensor(IDX), w, padding_idx=2)
        g, = lib.autograd.grad((y ** 3).sum(), w, create_graph=True)
        gg, = lib.autograd.grad((g * g).sum(), w)
        return g.detach().numpy(), gg.numpy()
    for a, b in zip(grads(al), grads(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_scale_grad_by_freq_double_backward_is_exact():
    """The first backward deliberately differs from the derivative (padding row zeroed, rows scaled by 1/count),
    so no gradcheck of it; its own derivative, in the gradient flowing in, is exact (PyTorch's drops the 1/count):
    gradcheck of the weight's gradient as a function of that incoming gradient."""
    w = al.randn(6, 2, dtype=al.float64, requires_grad=True)
    idx = al.tensor([1, 1, 3, 0, 1])

    def weight_grad(v):
        with al.enable_grad():
            y = F.embedding(idx, w, scale_grad_by_freq=True, padding_idx=0)
            return al.autograd.grad(y, w, v, create_graph=True)[0]
    v = al.randn(5, 2, dtype=al.float64, requires_grad=True)
    assert al.autograd.gradcheck(weight_grad, (v,))
    counts = np.array([0, 3, 0, 1, 0, 0])[[1, 1, 3, 0, 1]]
    expect = np.where(idx.numpy() == 0, 0, 1 / np.maximum(counts, 1))[:, None] * v.detach().numpy()
    np.testing.assert_allclose(weight_grad(v)[[1, 3]].detach().numpy(),
                               [expect[[0, 1, 4]].sum(0), expect[2]])


def test_gradcheck_float64():
    w = al.randn(7, 3, dtype=al.float64, requires_grad=True)
    idx = al.tensor([[0, 6, 6], [2, 3, 0]])
    assert al.autograd.gradcheck(lambda w: F.embedding(idx, w).sin(), (w,))
    assert al.autograd.gradgradcheck(lambda w: F.embedding(idx, w).sin(), (w,))
    assert al.autograd.gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=3).sin(), (w,))


def test_module_init_repr_and_state_dict():
    e = nn.Embedding(10, 3, padding_idx=-2)
    assert e.padding_idx == 8 and e.weight.dtype == al.float32 and tuple(e.weight.shape) == (10, 3)
    assert list(e.state_dict()) == ["weight"]
    assert not e.weight[8].detach().numpy().any()
    assert abs(float(nn.Embedding(2000, 50).weight.std()) - 1) < 0.02        # N(0, 1)
    for kw in [{}, {"padding_idx": -2}, {"max_norm": 1, "padding_idx": 0}, {"norm_type": 1.0, "max_norm": 2.0},
               {"scale_grad_by_freq": True}]:
        assert repr(nn.Embedding(10, 3, **kw)) == repr(torch.nn.Embedding(10, 3, **kw))


def test_module_matches_torch_with_copied_weights(device):
    ref = torch.nn.Embedding(10, 4, padding_idx=0)
    ours = nn.Embedding(10, 4, padding_idx=0).to(device)
    ours.load_state_dict({k: al.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    idx = [[0, 3, 3], [9, 1, 0]]
    out = ours(al.tensor(idx, device=device))
    expect = ref(torch.tensor(idx))
    np.testing.assert_allclose(out.detach().cpu().numpy(), expect.detach().numpy())
    out.sum().backward()
    expect.sum().backward()
    assert ours.weight.grad.device == al.device(device)
    np.testing.assert_allclose(ours.weight.grad.cpu().numpy(), ref.weight.grad.numpy())


def test_from_pretrained():
    vectors = al.tensor([[1.0, 2.5, 3.0], [4.0, 5.5, 6.0]])
    e = nn.Embedding.from_pretrained(vectors)
    assert not e.weight.requires_grad and e(al.tensor([1])).tolist() == [[4.0, 5.5, 6.0]]
    e = nn.Embedding.from_pretrained(vectors, freeze=False, padding_idx=0)
    assert e.weight.requires_grad and e.weight[0].tolist()[0] == 1.0       # the padding row is kept as given
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(al.ones(3))
    with pytest.raises(AssertionError, match="Shape of weight does not match num_embeddings and embedding_dim"):
        nn.Embedding(5, 3, _weight=al.ones(3, 3))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_max_norm_renormalises_the_rows_looked_up(device, norm_type):
    ref = torch.nn.Embedding(8, 3, max_norm=1.0, norm_type=norm_type)
    with torch.no_grad():
        ref.weight.mul_(3)
    ours = nn.Embedding(8, 3, max_norm=1.0, norm_type=norm_type).to(device)
    ours.load_state_dict({"weight": al.tensor(ref.weight.detach().numpy())})
    idx = [[1, 2, 2], [5, 1, 7]]
    out = ours(al.tensor(idx, device=device))
    expect = ref(torch.tensor(idx))
    np.testing.assert_allclose(out.detach().cpu().numpy(), expect.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.weight.detach().cpu().numpy(), ref.weight.detach().numpy(), rtol=1e-6)


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case", [
    lambda lib: functional(lib).embedding(lib.tensor([1.0]), lib.ones(5, 3)),
    lambda lib: functional(lib).embedding(lib.tensor([1], dtype=lib.int16), lib.ones(5, 3)),
    lambda lib: functional(lib).embedding(lib.tensor([5]), lib.ones(5, 3)),
    lambda lib: functional(lib).embedding(lib.tensor([-1]), lib.ones(5, 3)),
    lambda lib: functional(lib).embedding(lib.tensor([1]), lib.ones(5)),
    lambda lib: functional(lib).embedding(lib.tensor([1]), lib.ones(5, 3), padding_idx=5),
    lambda lib: functional(lib).embedding([1], lib.ones(5, 3)),
    lambda lib: lib.nn.Embedding(5, 3, padding_idx=-6),
    lambda lib: functional(lib).one_hot(lib.tensor([1.0])),
    lambda lib: functional(lib).one_hot(lib.tensor([-1])),
    lambda lib: functional(lib).one_hot(lib.tensor([3]), 2),
    lambda lib: functional(lib).one_hot(lib.tensor([], dtype=lib.int64)),
    lambda lib: functional(lib).embedding_bag(lib.tensor([1, 2]), lib.ones(5, 3), lib.tensor([1])),
    lambda lib: functional(lib).embedding_bag(lib.tensor([1, 2]), lib.ones(5, 3), lib.tensor([0, 3])),
    lambda lib: functional(lib).embedding_bag(lib.tensor([1, 2]), lib.ones(5, 3)),
    lambda lib: functional(lib).embedding_bag(lib.tensor([[1, 2]]), lib.ones(5, 3), lib.tensor([0])),
    lambda lib: functional(lib).embedding_bag(lib.tensor([1, 2]), lib.ones(5, 3), lib.tensor([0]), mode="x"),
    lambda lib: functional(lib).embedding_bag(lib.tensor([1, 2]), lib.ones(5, 3), lib.tensor([0]),
                                              per_sample_weights=lib.ones(2)),
    lambda lib: functional(lib).embedding_bag(lib.tensor([1, 2]), lib.ones(5, 3), lib.tensor([0]), mode="sum",
                                              per_sample_weights=lib.ones(3)),
    lambda lib: functional(lib).embedding_bag(lib.tensor([1, 2]), lib.ones(5, 3), lib.tensor([0]), mode="max",
                                              scale_grad_by_freq=True),
    lambda lib: functional(lib).embedding_bag(lib.tensor([[[1]]]), lib.ones(5, 3)),
])
def test_errors_as_torch(case):
    ours, ref = _error(lambda: case(al)), _error(lambda: case(torch))
    assert ours[0] is ref[0] and ref[1].startswith(ours[1]), (ours, ref)   # torch may append its C++ type


def test_one_hot(device):
    for idx, n in [([0, 2, 1], -1), ([[3], [0]], 5), (2, 4)]:
        ours = F.one_hot(al.tensor(idx, device=device), n)
        expect = torch.nn.functional.one_hot(torch.tensor(idx), n)
        assert ours.dtype == al.int64 and ours.device == al.device(device)
        np.testing.assert_array_equal(ours.cpu().numpy(), expect.numpy())
    assert tuple(F.one_hot(al.tensor([], dtype=al.int64), 3).shape) == (0, 3)


BAGS = [1, 2, 2, 3, 5, 2, 0]
OFFSETS = [0, 2, 2, 5]


@pytest.mark.parametrize("kw", [{"mode": "sum"}, {"mode": "mean"}, {"mode": "max"},
                                {"mode": "mean", "padding_idx": 2}, {"mode": "max", "padding_idx": 2}])
def test_embedding_bag_against_torch(device, kw):
    check_op(lambda lib, w: functional(lib).embedding_bag(lib.tensor(BAGS), w, lib.tensor(OFFSETS), **kw) ** 2,
             [(6, 3)], device=device, second=False)            # torch has no double backward of embedding_bag


def test_embedding_bag_scale_grad_by_freq():
    """Each row's gradient divided by how often its index occurs in the whole input, as F.embedding's (PyTorch's
    CPU embedding_bag divides some rows by other counts: compared with its F.embedding instead)."""
    w = torch.randn(6, 3, requires_grad=True)
    ours = al.tensor(w.detach().numpy(), requires_grad=True)
    rows = torch.nn.functional.embedding(torch.tensor(BAGS), w, scale_grad_by_freq=True)
    expect = torch.stack([rows[a:b].sum(0) for a, b in zip(OFFSETS, OFFSETS[1:] + [len(BAGS)])])
    out = F.embedding_bag(al.tensor(BAGS), ours, al.tensor(OFFSETS), mode="sum", scale_grad_by_freq=True)
    np.testing.assert_allclose(out.detach().numpy(), expect.detach().numpy(), rtol=1e-6)
    g = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    (expect * torch.tensor(g)).sum().backward()
    (out * al.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), w.grad.numpy(), rtol=1e-6)


def test_embedding_bag_gradgradcheck():
    w = al.randn(6, 3, dtype=al.float64, requires_grad=True)
    p = al.randn(7, dtype=al.float64, requires_grad=True)
    for mode in ("sum", "mean", "max"):
        assert al.autograd.gradcheck(lambda w: F.embedding_bag(al.tensor(BAGS), w, al.tensor(OFFSETS), mode=mode) ** 2,
                                     (w,))
        assert al.autograd.gradgradcheck(lambda w: F.embedding_bag(al.tensor(BAGS), w, al.tensor(OFFSETS),
                                                                   mode=mode) ** 2, (w,))
    f = lambda w, p: F.embedding_bag(al.tensor(BAGS), w, al.tensor(OFFSETS), mode="sum", per_sample_weights=p) ** 2
    assert al.autograd.gradcheck(f, (w, p)) and al.autograd.gradgradcheck(f, (w, p))


def test_embedding_bag_2d_input_and_per_sample_weights(device):
    check_op(lambda lib, w, p: functional(lib).embedding_bag(lib.tensor([[1, 2, 2], [0, 4, 1]]), w, mode="sum",
                                                            per_sample_weights=p), [(6, 3), (2, 3)], device=device,
             second=False)
    check_op(lambda lib, w: functional(lib).embedding_bag(lib.tensor([1, 2, 2, 4]), w, lib.tensor([0, 1, 4]),
                                                         include_last_offset=True), [(6, 3)], device=device,
             second=False)


def test_embedding_bag_module():
    ref = torch.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=-1)
    ours = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=-1)
    assert repr(ours) == repr(ref) and list(ours.state_dict()) == ["weight"]
    assert repr(nn.EmbeddingBag(5, 2, max_norm=1.0)) == repr(torch.nn.EmbeddingBag(5, 2, max_norm=1.0))
    ours.load_state_dict({"weight": al.tensor(ref.weight.detach().numpy())})
    out = ours(al.tensor([1, 9, 3, 4]), al.tensor([0, 3]))
    np.testing.assert_allclose(out.detach().numpy(), ref(torch.tensor([1, 9, 3, 4]), torch.tensor([0, 3])).detach())
    assert not nn.EmbeddingBag.from_pretrained(al.ones(3, 2)).weight.requires_grad
