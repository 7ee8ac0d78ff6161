"""torch's top-level names and Tensor methods beyond the ops: the in-place functions, the X_copy views, as_strided,
ATen's signatures of functional ops (torch.dropout(x, p, train), the native_* ops), the removed functions."""
import math
import warnings

import numpy as np
import pytest
import torch

import autograd_lite as al
from autograd_lite.ops.torch_aliases import TOP_INPLACE
from op_helpers import check_op


def _np(t):
    return t.detach().cpu().numpy(force=True) if isinstance(t, torch.Tensor) else t.detach().cpu().numpy(force=True)


# ---- 1. in-place functions, constants -------------------------------------------------------------------------

def test_every_torch_inplace_function_we_have_a_method_for():
    missing = [n for n in dir(torch) if n.endswith("_") and not n.startswith("_") and hasattr(al.Tensor, n)
               and not hasattr(al, n)]
    assert missing == []
    assert all(hasattr(torch, n) for n in TOP_INPLACE)          # the table lists only torch's names


@pytest.mark.parametrize("name, arg", [("abs_", ()), ("exp_", ()), ("sigmoid_", ()), ("zero_", ()), ("fill_", (2.5,)),
                                       ("clip_", (-0.5, 0.5)), ("neg_", ()), ("trunc_", ()), ("square_", ())])
def test_inplace_function_matches_torch(name, arg, device):
    a = np.array([[-1.25, 0.5], [0.75, -0.3]], np.float32)
    t, x = torch.tensor(a), al.tensor(a, device=device)
    assert getattr(al, name)(x, *arg) is x
    getattr(torch, name)(t, *arg)
    np.testing.assert_allclose(_np(x), t.numpy(), rtol=1e-6)
    assert x.dtype == al.float32 and x.device == al.device(device)


def test_inplace_function_records_the_graph():
    w = al.tensor([0.5, -1.0], requires_grad=True)
    y = w * 2
    al.exp_(y)
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * np.exp(2 * np.array([0.5, -1.0])), rtol=1e-6)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        al.exp_(w)


def test_constants():
    assert (al.e, al.pi, al.newaxis) == (torch.e, torch.pi, torch.newaxis)
    assert al.inf == torch.inf and math.isnan(al.nan)
    assert al.ones(3)[al.newaxis].shape == (1, 3)


def test_fill_and_detach():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = al.fill(x, 3.0)
    assert y.tolist() == [3.0, 3.0] and y.dtype == al.float32 and x.tolist() == [1.0, 2.0]
    v = al.tensor(4.0, requires_grad=True)
    al.fill(x, v).sum().backward()
    assert v.grad.item() == 2.0 and x.grad.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
        al.fill(x, al.ones(2))
    d = al.detach(x)
    assert not d.requires_grad and d.tolist() == [1.0, 2.0]
    z = x * 1
    assert al.detach_(z) is z and not z.requires_grad


# ---- 2. X_copy and as_strided ---------------------------------------------------------------------------------

COPIES = [
    ("alias_copy", lambda lib, x: lib.alias_copy(x), [(2, 3)]),
    ("as_strided_copy", lambda lib, x: lib.as_strided_copy(x, (3, 2), (1, 2)), [(2, 3)]),
    ("diagonal_copy", lambda lib, x: lib.diagonal_copy(x, 1), [(3, 4)]),
    ("expand_copy", lambda lib, x: lib.expand_copy(x, (2, 3, 4)), [(3, 1)]),
    ("permute_copy", lambda lib, x: lib.permute_copy(x, (2, 0, 1)), [(2, 3, 4)]),
    ("select_copy", lambda lib, x: lib.select_copy(x, 1, -1), [(2, 3)]),
    ("slice_copy", lambda lib, x: lib.slice_copy(x, 1, 1, 7, 2), [(2, 8)]),
    ("split_copy", lambda lib, x: lib.split_copy(x, 2, 1), [(2, 5)]),
    ("split_with_sizes_copy", lambda lib, x: lib.split_with_sizes_copy(x, [1, 4], 1), [(2, 5)]),
    ("squeeze_copy", lambda lib, x: lib.squeeze_copy(x, 1), [(2, 1, 3)]),
    ("t_copy", lambda lib, x: lib.t_copy(x), [(2, 3)]),
    ("transpose_copy", lambda lib, x: lib.transpose_copy(x, 0, 2), [(2, 3, 4)]),
    ("unbind_copy", lambda lib, x: lib.unbind_copy(x, 1), [(2, 3)]),
    ("unfold_copy", lambda lib, x: lib.unfold_copy(x, 1, 3, 2), [(2, 7)]),
    ("unsqueeze_copy", lambda lib, x: lib.unsqueeze_copy(x, -1), [(2, 3)]),
    ("view_copy", lambda lib, x: lib.view_copy(x, (3, 2)), [(2, 3)]),
    ("narrow_copy", lambda lib, x: lib.narrow_copy(x, 1, 1, 2), [(2, 4)]),
    ("Tensor.narrow_copy", lambda lib, x: x.narrow_copy(0, 1, 1), [(2, 4)]),
    ("detach_copy", lambda lib, x: lib.detach_copy(x), [(2, 3)]),
]


@pytest.mark.parametrize("name, fn, shapes", COPIES, ids=[c[0] for c in COPIES])
def test_view_copies(name, fn, shapes, device):
    check_op(fn, shapes, device=device, grad=name != "detach_copy")      # torch: no derivative for detach_copy


def test_view_copies_own_their_storage():
    x = al.arange(6.0).reshape(2, 3)
    for y in (al.t_copy(x), al.view_copy(x, (6,)), al.select_copy(x, 0, 0), al.split_copy(x, 1)[0]):
        assert not np.shares_memory(y.numpy(), x.numpy())


AS_STRIDED = [
    ("overlapping", lambda lib, x: lib.as_strided(x, (3, 3), (1, 1)), [(6,)]),
    ("transposed", lambda lib, x: x.as_strided((3, 2), (1, 3)), [(2, 3)]),
    ("offset", lambda lib, x: lib.as_strided(x, (2, 2), (2, 1), 3), [(8,)]),
    ("broadcast", lambda lib, x: lib.as_strided(x, (2, 3), (0, 1)), [(4,)]),
    ("of a view", lambda lib, x: lib.as_strided(x[1:], (2, 2), (1, 2)), [(6,)]),
    ("view, offset", lambda lib, x: x[2:].as_strided((2,), (2,), 1), [(6,)]),
    ("of a transposed", lambda lib, x: lib.as_strided(x.t(), (2, 2), (1, 2)), [(3, 2)]),
    ("of an expanded", lambda lib, x: lib.as_strided(x.expand(2, 3), (2, 2), (1, 1)), [(3,)]),
]


@pytest.mark.parametrize("name, fn, shapes", AS_STRIDED, ids=[c[0] for c in AS_STRIDED])
def test_as_strided(name, fn, shapes):
    check_op(fn, shapes)


@pytest.mark.parametrize("shape, src, args", [((6,), (2, 2), ((2, 2), (1, 2), 1)), ((2, 3), (2,), ((2,), (3,)))])
def test_as_strided_scatter(shape, src, args):
    """Values and src's gradient as torch's; input's gradient by finite differences (torch 2.13's own fails its
    gradcheck: it passes the gradient inside the view instead of outside)."""
    x, v = np.random.default_rng(0).standard_normal(shape), np.random.default_rng(1).standard_normal(src)
    w = np.random.default_rng(2).standard_normal(shape)
    grads = {}
    for lib in (torch, al):
        s = lib.tensor(v, requires_grad=True)
        out = lib.as_strided_scatter(lib.tensor(x), s, *args)
        (out * lib.tensor(w)).sum().backward()
        grads[lib.__name__] = (out.detach().numpy(), s.grad.numpy())
    for a, t in zip(grads["autograd_lite"], grads["torch"]):
        np.testing.assert_allclose(a, t, rtol=1e-12)
    xs, vs = al.tensor(x, requires_grad=True), al.tensor(v, requires_grad=True)
    assert al.autograd.gradcheck(lambda a, b: a.as_strided_scatter(b * b, *args), (xs, vs))
    assert al.autograd.gradgradcheck(lambda a, b: a.as_strided_scatter(b * b, *args), (xs, vs))
    assert al.as_strided_scatter(al.tensor(x.astype(np.float32)), al.tensor(v.astype(np.float32)), *args).dtype \
        == al.float32


def test_as_strided_on_device(device):
    check_op(lambda lib, x: lib.as_strided(x, (3, 3), (1, 1)), [(6,)], device=device)


def test_as_strided_is_a_view_and_inplace():
    x = al.arange(6.0)
    v = x.as_strided((2, 2), (1, 2))
    v[0, 0] = 10.0
    assert x[0].item() == 10.0
    t = torch.arange(6.0)
    x = al.arange(6.0)
    assert al.as_strided_(x, (2, 2), (1, 2)) is x
    t.as_strided_((2, 2), (1, 2))
    assert x.tolist() == t.tolist() and x.shape == t.shape
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        al.as_strided(al.zeros(4), (2, 2), (1, 1)).fill_(1)


@pytest.mark.parametrize("args, message", [
    (((3, 3), (1, 2)), "requiring a storage size of 28 are out of bounds for storage of size 24"),
    (((2, 2), (1, 1), 5), r"setStorage: sizes \[2, 2\], strides \[1, 1\], storage offset 5"),
    (((2,), (-1,)), "Negative strides are not supported"),
    (((2, 2), (1,)), "mismatch in length of strides and shape"),
    (((-1,), (1,)), "Storage size calculation overflowed"),
])
def test_as_strided_errors(args, message):
    for lib in (torch, al):
        with pytest.raises(RuntimeError, match=message):
            lib.as_strided(lib.arange(6.0), *args)


# ---- 3. ATen signatures of functional ops -----------------------------------------------------------------------

ALIASES = [
    ("bce_logits", lambda lib, x, y: lib.binary_cross_entropy_with_logits(x, y.sigmoid(), None, None, 2), [(3, 4)] * 2),
    ("cosine_embedding", lambda lib, a, b: lib.cosine_embedding_loss(a, b, lib.tensor([1, -1, 1]), 0.1, 0),
     [(3, 4)] * 2),
    ("hinge_embedding", lambda lib, x: lib.hinge_embedding_loss(x, lib.tensor([1, -1, 1, -1]), 0.5), [(4,)]),
    ("kl_div", lambda lib, x, y: lib.kl_div(x, y, 1, log_target=True), [(3, 4)] * 2),
    ("margin_ranking", lambda lib, a, b: lib.margin_ranking_loss(a, b, lib.tensor([1, -1, 1.]), 0.2, 2), [(3,)] * 2),
    ("poisson_nll", lambda lib, x, y: lib.poisson_nll_loss(x, y.abs(), True, True, 1e-8, 1), [(3, 4)] * 2),
    ("triplet_margin", lambda lib, a, p, n: lib.triplet_margin_loss(a, p, n, 1.0, 2, 1e-6, True), [(3, 4)] * 3),
    ("embedding", lambda lib, w: lib.embedding(w, lib.tensor([[0, 2], [4, 2]]), 2), [(5, 3)]),
    ("embedding_bag", lambda lib, w: lib.embedding_bag(w, lib.tensor([1, 2, 4, 0, 3]), lib.tensor([0, 2]), False, 1),
     [(5, 3)]),
    ("embedding_bag max", lambda lib, w: lib.embedding_bag(w, lib.tensor([1, 2, 4, 0, 3]), lib.tensor([0, 0, 2]),
                                                          False, 2), [(5, 3)]),
    ("embedding_bag sum", lambda lib, w: lib.embedding_bag(w, lib.tensor([1, 2, 4, 0, 3]), lib.tensor([0, 2, 5]),
                                                          False, 0, False, None, True), [(5, 3)]),
    ("instance_norm", lambda lib, x, w: lib.instance_norm(x, w, None, None, None, True, 0.1, 1e-5, False),
     [(2, 3, 5), (3,)]),
    ("constant_pad_nd", lambda lib, x: lib.constant_pad_nd(x, [1, -1, 2, 0], 0.5), [(2, 3, 4)]),
    ("convolution", lambda lib, x, w, b: lib.convolution(x, w, b, [1, 2], [1, 0], [1, 1], False, [0, 0], 1),
     [(2, 2, 5, 6), (3, 2, 3, 3), (3,)]),
    ("convolution transposed", lambda lib, x, w: lib.convolution(x, w, None, [2], [1], [1], True, [1], 1),
     [(2, 2, 5), (2, 3, 3)]),
    ("conv_tbc", lambda lib, x, w, b: lib.conv_tbc(x, w, b, 1), [(6, 2, 3), (3, 3, 4), (4,)]),
    ("F.conv_tbc", lambda lib, x, w, b: lib.nn.functional.conv_tbc(x, w, b), [(6, 2, 3), (2, 3, 4), (4,)]),
    ("rnn_tanh_cell", lambda lib, x, h, wi, wh, b: lib.rnn_tanh_cell(x, h, wi, wh, b, b),
     [(2, 3), (2, 4), (4, 3), (4, 4), (4,)]),
    ("rnn_relu_cell", lambda lib, x, h, wi, wh: lib.rnn_relu_cell(x, h, wi, wh), [(1, 3), (1, 4), (4, 3), (4, 4)]),
    ("lstm_cell", lambda lib, x, h, c, wi, wh, b: lib.lstm_cell(x, (h, c), wi, wh, b),
     [(2, 3), (2, 4), (2, 4), (16, 3), (16, 4), (16,)]),
    ("gru_cell", lambda lib, x, h, wi, wh, bi, bh: lib.gru_cell(x, h, wi, wh, bi, bh),
     [(2, 3), (2, 4), (12, 3), (12, 4), (12,), (12,)]),
    ("frobenius_norm", lambda lib, x: lib.frobenius_norm(x, [0, 2], True), [(2, 3, 4)]),
    ("nuclear_norm", lambda lib, x: lib.nuclear_norm(x), [(3, 4)]),
    ("nuclear_norm dim", lambda lib, x: lib.nuclear_norm(x, [0, 2]), [(3, 2, 4)]),
    ("norm_except_dim", lambda lib, x: lib.norm_except_dim(x, 2, 1), [(2, 3, 4)]),
    ("norm_except_dim -1", lambda lib, x: lib.norm_except_dim(x, 3, -1), [(2, 3)]),
    ("native_layer_norm", lambda lib, x, w: lib.native_layer_norm(x, [4], w, None, 1e-5), [(2, 3, 4), (4,)]),
    ("native_group_norm", lambda lib, x: lib.native_group_norm(x, None, None, 2, 4, 3, 2, 1e-5), [(2, 4, 3)]),
]


@pytest.mark.parametrize("name, fn, shapes", ALIASES, ids=[c[0] for c in ALIASES])
def test_aten_signatures(name, fn, shapes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")              # torch's deprecation of frobenius_norm / nuclear_norm
        check_op(fn, shapes, second=name not in ("nuclear_norm", "nuclear_norm dim"))


ON_DEVICE = ("kl_div", "embedding", "embedding_bag max", "constant_pad_nd", "conv_tbc", "lstm_cell", "frobenius_norm",
             "native_layer_norm", "native_group_norm")


@pytest.mark.parametrize("name, fn, shapes", [c for c in ALIASES if c[0] in ON_DEVICE],
                         ids=[c[0] for c in ALIASES if c[0] in ON_DEVICE])
def test_aten_signatures_on_device(name, fn, shapes, gpu):
    check_op(fn, shapes, device=gpu, second=False)


def test_native_batch_norm():
    x = np.random.default_rng(0).standard_normal((4, 3, 5)).astype(np.float32)
    res = {}
    for lib in (torch, al):
        rm, rv = lib.zeros(3), lib.ones(3)
        out, mean, invstd = lib.native_batch_norm(lib.tensor(x), None, None, rm, rv, True, 0.1, 1e-5)
        ev = lib.native_batch_norm(lib.tensor(x), None, None, rm, rv, False, 0.1, 1e-5)
        res[lib.__name__] = [out, mean, invstd, rm, rv] + list(ev)
    for a, t in zip(res["autograd_lite"], res["torch"]):
        assert tuple(a.shape) == tuple(t.shape) and str(a.dtype)[-7:] == str(t.dtype)[-7:]
        np.testing.assert_allclose(_np(a), _np(t), rtol=1e-5, atol=1e-6)


def test_dropouts_with_aten_signature():
    x = al.ones(200, 10)
    for name in ("dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"):
        assert getattr(al, name)(x, 0.5, False) is x
        y = getattr(al, name)(x, 0.5, True)
        assert y.shape == x.shape and y.dtype == al.float32 and not (y == 1).all()
        z = al.ones(200, 10)
        assert getattr(al, name + "_")(z, 0.5, True) is z and not (z == 1).all()
    y = al.feature_dropout(al.ones(20, 10, 5), 0.5, True)
    assert all(len(set(channel)) == 1 for sample in y.tolist() for channel in sample)    # whole channels dropped
    out, mask = al.native_dropout(x, 0.25, True)
    assert mask.dtype == al.bool and out.dtype == al.float32
    np.testing.assert_allclose(out.numpy(), mask.numpy() / 0.75, rtol=1e-6)
    out, mask = al.native_dropout(x, 0.25, False)
    assert bool(mask.all()) and out.tolist() == x.tolist()


def test_reduction_default_is_none_as_torchs_binding():
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    assert al.kl_div(al.tensor(a), al.tensor(a)).shape == torch.kl_div(torch.tensor(a), torch.tensor(a)).shape


def test_reduction_is_an_int():
    with pytest.raises(TypeError, match="must be int, not str"):
        al.kl_div(al.zeros(2), al.zeros(2), "mean")


def test_binomial_and_segment_reduce():
    n = al.full((2000,), 10.0)
    draws = al.binomial(n, al.full((2000,), 0.3))
    assert draws.dtype == al.float32 and 2.7 < draws.mean().item() < 3.3 and (draws <= 10).all()
    data = np.arange(12, dtype=np.float32).reshape(6, 2)
    for reduce in ("sum", "mean", "max", "min", "prod"):
        for kw in ({"lengths": [2, 0, 3, 1]}, {"offsets": [0, 2, 2, 5, 6]}):
            for initial in (None, 1.5):
                if reduce == "mean" and initial is not None:
                    continue
                t = torch.segment_reduce(torch.tensor(data), reduce, initial=initial,
                                         **{k: torch.tensor(v) for k, v in kw.items()})
                a = al.segment_reduce(al.tensor(data), reduce, initial=initial,
                                      **{k: al.tensor(v) for k, v in kw.items()})
                np.testing.assert_allclose(a.numpy(), t.numpy(), err_msg=f"{reduce} {kw} {initial}")
    check_op(lambda lib, x: lib.segment_reduce(x, "mean", lengths=lib.tensor([1, 3])), [(4, 2, 3)], second=False)
    for lib in (torch, al):
        with pytest.raises(RuntimeError, match="Expected axis to be the last dimension of lengths but got 1"):
            lib.segment_reduce(lib.ones(4, 2), "sum", lengths=lib.tensor([1, 3]), axis=1)


@pytest.mark.parametrize("name", ["solve", "lstsq", "eig", "symeig", "matrix_rank"])
def test_removed_functions_raise_torchs_text(name):
    a = torch.eye(2)
    with pytest.raises(RuntimeError) as ref:
        getattr(torch, name)(a, a)
    with pytest.raises(RuntimeError) as ours:
        getattr(al, name)(al.eye(2), al.eye(2))
    assert str(ours.value) == str(ref.value)
    if name != "matrix_rank":
        with pytest.raises(RuntimeError, match="deprecated since version 1.9 and is now removed"):
            getattr(al.eye(2), name)(al.eye(2))
