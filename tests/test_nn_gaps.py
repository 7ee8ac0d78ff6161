"""The nn names real scripts reach for beyond the basics, against torch: distances (normalize, cosine_similarity,
pairwise_distance, pdist), kl_div, softmin, glu, the shrinks, rrelu, bilinear, rms_norm, local_response_norm,
gumbel_softmax, the margin / embedding / likelihood losses (forward, gradients, second order), their Modules (reprs,
signatures) and nn.ParameterList / nn.ParameterDict / nn.Unflatten."""
import collections
import warnings

import numpy as np
import pytest
import torch

import autograd_lite as al
from autograd_lite import nn

try:
    from op_helpers import check_op, functional
except ImportError:  # tests/ imported as a package
    from tests.op_helpers import check_op, functional

SIGNS = np.array([1.0, -1.0, -1.0, 1.0])                    # ±1 targets for 4 samples
MULTI_T = np.array([2, 0, 4, 1])                             # class indices, 4 samples of 5 classes
LABELS = np.array([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [4, 2, 0, 1, 3], [-1, 1, 1, 1, 1]])
BITS = np.array([[1, 0, 0, 1, 1], [0, 0, 1, 0, 1], [1, 1, 1, 0, 0], [0, 1, 0, 0, 0]], dtype=np.float64)
CLASS_W = np.array([0.5, 2.0, 1.0, 0.25, 1.5])


def F(lib):
    return functional(lib)


def const(lib, a, like):
    """A constant in `like`'s dtype (float targets follow the input's precision)."""
    return lib.tensor(np.asarray(a), dtype=like.dtype)


def case(name, fn, *shapes, **kw):
    return pytest.param(fn, shapes, kw, id=name)


def _quiet(f):
    def run(lib, *xs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return f(lib, *xs)
    return run


REDUCTIONS = ("mean", "sum", "none")

CASES = [
    case("normalize", lambda lib, x: F(lib).normalize(x), (4, 5)),
    case("normalize-p1-dim0", lambda lib, x: F(lib).normalize(x, p=1, dim=0), (4, 5)),
    case("normalize-3d-last", lambda lib, x: F(lib).normalize(x, dim=-1, eps=1e-3), (2, 3, 4)),
    case("cosine_similarity", lambda lib, a, b: F(lib).cosine_similarity(a, b), (4, 5), (4, 5)),
    case("cosine_similarity-broadcast", lambda lib, a, b: F(lib).cosine_similarity(a, b, dim=-1), (4, 5), (5,)),
    case("cosine_similarity-top-dim0", lambda lib, a, b: lib.cosine_similarity(a, b, 0), (3, 4), (3, 4)),
    case("pairwise_distance", lambda lib, a, b: F(lib).pairwise_distance(a, b), (4, 5), (4, 5)),
    case("pairwise_distance-p1-keepdim", lambda lib, a, b: F(lib).pairwise_distance(a, b, 1.0, keepdim=True),
         (4, 5), (4, 5)),
    case("pairwise_distance-p3-broadcast", lambda lib, a, b: lib.pairwise_distance(a, b, 3), (4, 5), (5,)),
    case("pdist", lambda lib, x: F(lib).pdist(x), (5, 3), second=False),     # torch: no double backward
    case("pdist-p1", lambda lib, x: lib.pdist(x, 1), (4, 3), second=False),
    case("pdist-p3", lambda lib, x: F(lib).pdist(x, p=3), (4, 2), second=False),
    *[case(f"kl_div-{r}", _quiet(lambda lib, x, t, r=r: F(lib).kl_div(x, t.abs(), reduction=r)), (3, 5), (3, 5))
      for r in REDUCTIONS + ("batchmean",)],
    case("kl_div-log_target", lambda lib, x, t: F(lib).kl_div(x, t, reduction="batchmean", log_target=True),
         (3, 5), (3, 5)),
    case("kl_div-broadcast-target", lambda lib, x, t: F(lib).kl_div(x, t.abs(), reduction="sum"), (3, 5), (5,)),
    case("softmin", lambda lib, x: F(lib).softmin(x, dim=1), (3, 5)),
    case("softmin-dim0-f64", lambda lib, x: F(lib).softmin(x, 0, dtype=lib.float64), (3, 5)),
    case("glu", lambda lib, x: F(lib).glu(x), (3, 6)),
    case("glu-dim1", lambda lib, x: F(lib).glu(x, 1), (2, 4, 3)),
    case("hardshrink", lambda lib, x: F(lib).hardshrink(x), (4, 5)),
    case("hardshrink-method", lambda lib, x: x.hardshrink(1.0), (4, 5)),
    case("hardshrink-top", lambda lib, x: lib.hardshrink(x, 0.3), (4, 5)),
    case("softshrink", lambda lib, x: F(lib).softshrink(x), (4, 5)),
    case("softshrink-lambd", lambda lib, x: F(lib).softshrink(x, 1.2), (4, 5)),
    case("tanhshrink", lambda lib, x: F(lib).tanhshrink(x), (4, 5)),
    case("rrelu-eval", lambda lib, x: F(lib).rrelu(x, 0.1, 0.3), (4, 5)),
    case("rrelu-top-eval", lambda lib, x: lib.rrelu(x), (4, 5)),
    case("bilinear", lambda lib, a, b, w, c: F(lib).bilinear(a, b, w, c), (4, 3), (4, 2), (5, 3, 2), (5,)),
    case("bilinear-nobias-batch", lambda lib, a, b, w: lib.bilinear(a, b, w), (2, 3, 4), (2, 3, 2), (3, 4, 2)),
    case("rms_norm", lambda lib, x, w: F(lib).rms_norm(x, (5,), w), (4, 5), (5,)),
    case("rms_norm-2d-noweight", lambda lib, x: F(lib).rms_norm(x, (3, 4)), (2, 3, 4)),
    case("rms_norm-eps-top", lambda lib, x, w: lib.rms_norm(x, [4], w, 0.1), (2, 3, 4), (4,)),
    case("local_response_norm-3d", lambda lib, x: F(lib).local_response_norm(x, 3), (2, 5, 4)),
    case("local_response_norm-4d", lambda lib, x: F(lib).local_response_norm(x, 2, 0.01, 0.5, 2.0), (2, 4, 3, 2)),
    case("local_response_norm-5d", lambda lib, x: F(lib).local_response_norm(x, 4, 0.1), (1, 5, 2, 2, 2)),
    *[case(f"margin_ranking_loss-{r}", lambda lib, a, b, r=r: F(lib).margin_ranking_loss(
        a, b, const(lib, SIGNS, a), margin=0.3, reduction=r), (4,), (4,)) for r in REDUCTIONS],
    *[case(f"hinge_embedding_loss-{r}", lambda lib, x, r=r: F(lib).hinge_embedding_loss(
        x, const(lib, [SIGNS] * 3, x), margin=1.5, reduction=r), (3, 4)) for r in REDUCTIONS],
    *[case(f"cosine_embedding_loss-{r}", lambda lib, a, b, r=r: F(lib).cosine_embedding_loss(
        a, b, const(lib, SIGNS, a), margin=-0.2, reduction=r), (4, 5), (4, 5)) for r in REDUCTIONS],
    case("cosine_embedding_loss-1d", lambda lib, a, b: F(lib).cosine_embedding_loss(a, b, lib.tensor(-1)), (5,),
         (5,)),
    *[case(f"soft_margin_loss-{r}", lambda lib, x, r=r: F(lib).soft_margin_loss(
        x, const(lib, [SIGNS] * 3, x), reduction=r), (3, 4)) for r in REDUCTIONS],
    *[case(f"multilabel_soft_margin_loss-{r}", lambda lib, x, r=r: F(lib).multilabel_soft_margin_loss(
        x, const(lib, BITS, x), reduction=r), (4, 5)) for r in REDUCTIONS],
    case("multilabel_soft_margin_loss-weight", lambda lib, x: F(lib).multilabel_soft_margin_loss(
        x, const(lib, BITS, x), weight=const(lib, CLASS_W, x)), (4, 5)),
    *[case(f"multi_margin_loss-{r}", lambda lib, x, r=r: F(lib).multi_margin_loss(
        x, lib.tensor(MULTI_T), reduction=r), (4, 5), second=False) for r in REDUCTIONS],
    case("multi_margin_loss-p2-weight", lambda lib, x: F(lib).multi_margin_loss(
        x, lib.tensor(MULTI_T), p=2, margin=0.7, weight=const(lib, CLASS_W, x)), (4, 5), second=False),
    case("multi_margin_loss-1d-none", lambda lib, x: F(lib).multi_margin_loss(
        x, lib.tensor([3]), reduction="none"), (5,), second=False),
    *[case(f"multilabel_margin_loss-{r}", lambda lib, x, r=r: F(lib).multilabel_margin_loss(
        x, lib.tensor(LABELS), reduction=r), (4, 5), second=False) for r in REDUCTIONS],
    case("multilabel_margin_loss-1d-none", lambda lib, x: F(lib).multilabel_margin_loss(
        x, lib.tensor([2, 2, 0, -1]), reduction="none"), (4,), second=False),
    *[case(f"triplet_margin_loss-{r}", lambda lib, a, p, n, r=r: F(lib).triplet_margin_loss(
        a, p, n, reduction=r), (4, 5), (4, 5), (4, 5)) for r in REDUCTIONS],
    case("triplet_margin_loss-p1-swap", lambda lib, a, p, n: F(lib).triplet_margin_loss(
        a, p, n, margin=2.0, p=1, swap=True), (4, 5), (4, 5), (4, 5)),
    case("triplet_margin_with_distance_loss", lambda lib, a, p, n: F(lib).triplet_margin_with_distance_loss(
        a, p, n, margin=0.5, swap=True), (4, 5), (4, 5), (4, 5)),
    case("triplet_margin_with_distance_loss-cosine", lambda lib, a, p, n: F(lib).triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda x, y: 1 - F(lib).cosine_similarity(x, y), reduction="none"),
        (4, 5), (4, 5), (4, 5)),
    *[case(f"poisson_nll_loss-{r}", lambda lib, x, t, r=r: F(lib).poisson_nll_loss(x, t.abs() * 3, reduction=r),
           (3, 4), (3, 4)) for r in REDUCTIONS],
    case("poisson_nll_loss-rate-full", lambda lib, x, t: F(lib).poisson_nll_loss(
        x.abs(), t.abs() * 3, log_input=False, full=True), (3, 4), (3, 4)),
    *[case(f"gaussian_nll_loss-{r}", lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v.abs(), reduction=r),
           (3, 4), (3, 4), (3, 4)) for r in REDUCTIONS],
    case("gaussian_nll_loss-homoscedastic-full", lambda lib, x, t, v: F(lib).gaussian_nll_loss(
        x, t, v.abs(), full=True), (3, 4), (3, 4), (3,)),
    case("gaussian_nll_loss-size1-dim", lambda lib, x, t, v: F(lib).gaussian_nll_loss(x, t, v.abs() / 10, eps=0.05),
         (3, 4), (3, 4), (3, 1)),
    case("gaussian_nll_loss-float-var", lambda lib, x, t: F(lib).gaussian_nll_loss(x, t, 0.5), (3, 4), (3, 4)),
    case("max_unpool2d", lambda lib, x: F(lib).max_unpool2d(*F(lib).max_pool2d(x, 2, return_indices=True), 2),
         (2, 3, 4, 4)),
    case("max_unpool2d-3d-stride-output_size", lambda lib, x: F(lib).max_unpool2d(
        *F(lib).max_pool2d(x, 3, 2, return_indices=True), 3, 2, output_size=(6, 5)), (2, 5, 5)),
    case("max_unpool1d", lambda lib, x: F(lib).max_unpool1d(*F(lib).max_pool1d(x, 2, return_indices=True), 2),
         (2, 3, 6)),
    case("max_unpool1d-2d-padding", lambda lib, x: F(lib).max_unpool1d(
        *F(lib).max_pool1d(x, 3, 2, 1, return_indices=True), 3, 2, 1), (3, 7)),
    case("lp_pool2d-p2", lambda lib, x: F(lib).lp_pool2d(x, 2, 2), (2, 3, 4, 4)),
    case("lp_pool2d-p1.5-stride-ceil", lambda lib, x: F(lib).lp_pool2d(x, 1.5, (2, 3), 2, ceil_mode=True),
         (1, 2, 5, 5), positive=True),
    case("lp_pool2d-inf", lambda lib, x: F(lib).lp_pool2d(x, float("inf"), 2), (1, 2, 4, 4)),
    case("lp_pool1d-p3", lambda lib, x: F(lib).lp_pool1d(x, 3, 2), (2, 3, 6), positive=True),
    case("lp_pool1d-p2-stride-ceil", lambda lib, x: F(lib).lp_pool1d(x, 2, 3, 2, ceil_mode=True), (3, 8)),
]


@pytest.mark.parametrize("fn, shapes, kw", CASES)
def test_against_torch(fn, shapes, kw):
    check_op(fn, list(shapes), **kw)


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_other_float_dtypes(dtype):
    for fn, shapes in [(lambda lib, a, b: F(lib).cosine_similarity(a, b), [(3, 4), (3, 4)]),
                       (lambda lib, x: F(lib).softshrink(x), [(3, 4)]),
                       (lambda lib, x: F(lib).hardshrink(x), [(3, 4)]),
                       (lambda lib, x: F(lib).rms_norm(x, (4,)), [(3, 4)])][:4 if dtype == "float64" else 3]:
        check_op(fn, shapes, dtype=dtype, grad=dtype == "float64", second=False, atol=2e-3 if dtype == "float16"
                 else None, rtol=2e-3 if dtype == "float16" else None)


def test_mixed_dtypes_promote():
    check_op(lambda lib, a, b: F(lib).cosine_similarity(a, b), [(3, 4), (3, 4)], dtype=["int64", "float64"])
    check_op(lambda lib, a, b: F(lib).pairwise_distance(a, b), [(3, 4), (3, 4)], dtype=["int64", "int64"])
    check_op(lambda lib, x: F(lib).tanhshrink(x), [(3, 4)], dtype="int64")
    check_op(lambda lib, x, t: F(lib).kl_div(x, t.abs(), reduction="sum"), [(3, 4), (3, 4)],
             dtype=["float64", "float32"])


def test_normalize_out():
    x = al.tensor([[3.0, 4.0], [0.0, 0.0]])
    out = al.empty(2, 2)
    assert al.nn.functional.normalize(x, out=out) is out
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8], [0.0, 0.0]])


def test_kl_div_zero_target_and_mean_warning():
    x = al.tensor([[-1.0, -2.0, -0.5]], requires_grad=True)
    loss = al.nn.functional.kl_div(x, al.tensor([[0.0, 0.5, 0.5]]), reduction="batchmean")
    tx = torch.tensor([[-1.0, -2.0, -0.5]], requires_grad=True)
    ref = torch.nn.functional.kl_div(tx, torch.tensor([[0.0, 0.5, 0.5]]), reduction="batchmean")
    assert abs(loss.item() - ref.item()) < 1e-6
    loss.backward(), ref.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        al.nn.functional.kl_div(x, al.tensor([[0.2, 0.3, 0.5]]))


def _reset_weights(ours, theirs):
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname
        p.data = al.tensor(tp.detach().numpy())


MODULE_CASES = [
    ("Unflatten", lambda nn_: nn_.Unflatten(1, (2, 3)), [(4, 6)]),
    ("Unflatten-list", lambda nn_: nn_.Unflatten(-1, [2, -1]), [(2, 3, 4)]),
    ("Softmin", lambda nn_: nn_.Softmin(dim=0), [(3, 4)]),
    ("Softmax2d", lambda nn_: nn_.Softmax2d(), [(2, 3, 2, 2)]),
    ("Softmax2d-3d", lambda nn_: nn_.Softmax2d(), [(3, 2, 2)]),
    ("GLU", lambda nn_: nn_.GLU(0), [(4, 3)]),
    ("Hardshrink", lambda nn_: nn_.Hardshrink(0.7), [(3, 4)]),
    ("Softshrink", lambda nn_: nn_.Softshrink(), [(3, 4)]),
    ("Tanhshrink", lambda nn_: nn_.Tanhshrink(), [(3, 4)]),
    ("RReLU-eval", lambda nn_: nn_.RReLU(0.2, 0.4).eval(), [(3, 4)]),
    ("Bilinear", lambda nn_: nn_.Bilinear(3, 2, 4), [(5, 3), (5, 2)]),
    ("Bilinear-nobias", lambda nn_: nn_.Bilinear(3, 2, 4, bias=False), [(5, 3), (5, 2)]),
    ("RMSNorm", lambda nn_: nn_.RMSNorm(4), [(3, 4)]),
    ("RMSNorm-2d-eps-noaffine", lambda nn_: nn_.RMSNorm([3, 4], eps=1e-3, elementwise_affine=False), [(2, 3, 4)]),
    ("LocalResponseNorm", lambda nn_: nn_.LocalResponseNorm(3, k=2.0), [(2, 4, 3, 3)]),
    ("CosineSimilarity", lambda nn_: nn_.CosineSimilarity(dim=0, eps=1e-6), [(3, 4), (3, 4)]),
    ("PairwiseDistance", lambda nn_: nn_.PairwiseDistance(p=1.0, keepdim=True), [(3, 4), (3, 4)]),
    ("KLDivLoss", lambda nn_: nn_.KLDivLoss(reduction="batchmean", log_target=True), [(3, 4), (3, 4)]),
    ("PoissonNLLLoss", lambda nn_: nn_.PoissonNLLLoss(reduction="sum"), [(3, 4), (3, 4)]),
    ("GaussianNLLLoss", lambda nn_: _absolute_var(nn_.GaussianNLLLoss(full=True)), [(3, 4), (3, 4), (3, 4)]),
    ("MarginRankingLoss", lambda nn_: _signs_last(nn_.MarginRankingLoss(0.2)), [(4,), (4,)]),
    ("HingeEmbeddingLoss", lambda nn_: _signs_last(nn_.HingeEmbeddingLoss(reduction="none")), [(4,)]),
    ("CosineEmbeddingLoss", lambda nn_: _signs_last(nn_.CosineEmbeddingLoss(0.1)), [(4, 3), (4, 3)]),
    ("SoftMarginLoss", lambda nn_: _signs_last(nn_.SoftMarginLoss()), [(4,)]),
    ("MultiLabelSoftMarginLoss", lambda nn_: _target(nn_.MultiLabelSoftMarginLoss(), BITS), [(4, 5)]),
    ("MultiMarginLoss", lambda nn_: _target(nn_.MultiMarginLoss(p=2), MULTI_T), [(4, 5)]),
    ("MultiLabelMarginLoss", lambda nn_: _target(nn_.MultiLabelMarginLoss(), LABELS), [(4, 5)]),
    ("TripletMarginLoss", lambda nn_: nn_.TripletMarginLoss(margin=0.5, p=1), [(4, 3)] * 3),
    ("TripletMarginWithDistanceLoss", lambda nn_: nn_.TripletMarginWithDistanceLoss(swap=True), [(4, 3)] * 3),
    ("LPPool2d", lambda nn_: nn_.LPPool2d(2, 3, stride=1), [(1, 2, 4, 4)]),
    ("LPPool1d", lambda nn_: nn_.LPPool1d(2, 2, ceil_mode=True), [(2, 5)]),
    ("MaxUnpool2d", lambda nn_: _pooled(nn_, nn_.MaxUnpool2d(2), nn_.MaxPool2d(2, return_indices=True)),
     [(1, 2, 4, 4)]),
    ("MaxUnpool1d", lambda nn_: _pooled(nn_, nn_.MaxUnpool1d(2, stride=1), nn_.MaxPool1d(2, 1, return_indices=True)),
     [(2, 6)]),
]


def _pooled(nn_, unpool, pool):
    return _Wrapped(unpool, lambda xs: pool(xs[0]))


class _Wrapped:
    """A loss module called with one extra constant argument (or a transformed last argument)."""

    def __init__(self, module, extra):
        self.module, self.extra = module, extra

    def __call__(self, *xs):
        return self.module(*self.extra(xs))

    def __repr__(self):
        return repr(self.module)

    def __getattr__(self, name):
        return getattr(self.module, name)


def _lib_of(module):
    return torch if type(module).__module__.startswith("torch") else al


def _signs_last(module):
    return _Wrapped(module, lambda xs: xs + (_lib_of(module).tensor(SIGNS, dtype=xs[0].dtype),))


def _target(module, t):
    target = t if t.dtype.kind == "i" else t.astype(np.float32)
    return _Wrapped(module, lambda xs: xs + (_lib_of(module).tensor(target),))


def _absolute_var(module):
    return _Wrapped(module, lambda xs: xs[:2] + (xs[2].abs(),))


@pytest.mark.parametrize("name, make, shapes", MODULE_CASES, ids=[c[0] for c in MODULE_CASES])
def test_modules_against_torch(name, make, shapes):
    theirs, ours = make(torch.nn), make(nn)
    assert repr(ours) == repr(theirs)
    module = getattr(ours, "module", ours)
    if list(module.parameters()):
        _reset_weights(module, getattr(theirs, "module", theirs))
    check_op(lambda lib, *xs: (theirs if lib is torch else ours)(*xs), shapes, second=False)


def test_rrelu_training_draws_slopes():
    x = al.tensor(np.linspace(-3, 3, 600, dtype=np.float32).reshape(20, 30), requires_grad=True)
    al.manual_seed(3)
    y = nn.RReLU(0.1, 0.3)(x)
    slopes = (y / x).detach().numpy()
    neg = x.detach().numpy() < 0
    assert y.dtype == al.float32 and np.all(slopes[~neg] == 1)
    assert slopes[neg].min() >= 0.1 and slopes[neg].max() <= 0.3 and slopes[neg].std() > 0.04
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-6)
    al.manual_seed(3)
    again = al.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    np.testing.assert_array_equal(again.detach().numpy(), y.detach().numpy())
    z = x.detach().clone()
    assert al.rrelu_(z, 0.1, 0.3, True) is z and np.all(z.numpy()[~neg] == x.detach().numpy()[~neg])


def test_gumbel_softmax():
    logits = al.tensor([[1.0, 0.0, -1.0, 0.5]] * 4000, requires_grad=True)
    al.manual_seed(0)
    y = al.nn.functional.gumbel_softmax(logits, tau=0.5)
    assert y.dtype == al.float32 and y.shape == logits.shape
    np.testing.assert_allclose(y.detach().numpy().sum(1), 1, rtol=1e-5)
    hard = al.nn.functional.gumbel_softmax(logits, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and np.all(h.sum(1) == 1)
    p = np.exp([1.0, 0.0, -1.0, 0.5]) / np.exp([1.0, 0.0, -1.0, 0.5]).sum()
    np.testing.assert_allclose(h.mean(0), p, atol=0.03)        # argmax of Gumbel-perturbed logits ~ softmax
    (hard * al.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0
    with pytest.warns(UserWarning, match="deprecated"):
        al.nn.functional.gumbel_softmax(logits, eps=1e-5)


# ---- containers ----------------------------------------------------------------------------------------------------

def _both(build):
    return build(torch, torch.nn), build(al, nn)


def _repr_as_torch(text):
    return text.replace("autograd_lite.", "torch.")


def test_parameter_list():
    def build(lib, nn_):
        pl = nn_.ParameterList([nn_.Parameter(lib.ones(2, 3)), lib.zeros(4), "x"])
        pl.append(lib.ones(1, dtype=lib.float64))
        pl += [nn_.Parameter(lib.zeros(2))]
        return pl
    theirs, ours = _both(build)
    assert _repr_as_torch(repr(ours)) == repr(theirs)
    assert len(ours) == 5 and isinstance(ours[1], nn.Parameter) and ours[2] == "x"
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()] == ["0", "1", "3", "4"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours[-1] is ours[4] and isinstance(ours[1:3], nn.ParameterList) and len(ours[::2]) == 3
    ours[0] = al.full((2,), 7.0)
    assert isinstance(ours[0], nn.Parameter) and ours[0].requires_grad
    assert [type(p).__name__ for p in ours][:2] == ["Parameter", "Parameter"]
    with pytest.raises(IndexError, match="index 5 is out of range"):
        ours[5]
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable, but got Tensor"):
        ours.extend(al.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        ours(1)
    assert "0" not in dir(ours) and repr(nn.ParameterList()) == "ParameterList()"


def test_parameter_list_in_a_model_trains():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([nn.Parameter(al.ones(3, 3) * 0.5) for _ in range(2)])

        def forward(self, x):
            for w in self.ws:
                x = x @ w
            return x
    model = Model()
    assert list(model.state_dict()) == ["ws.0", "ws.1"] and len(list(model.parameters())) == 2
    model(al.ones(2, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.to(al.float64)
    assert model.ws[0].dtype == al.float64


def test_parameter_dict():
    def build(lib, nn_):
        pd = nn_.ParameterDict({"b": nn_.Parameter(lib.ones(2)), "a": lib.zeros(3, dtype=lib.float64), "c": 1})
        pd.update(collections.OrderedDict([("z", lib.ones(1)), ("y", lib.ones(2, 2))]))
        pd["x"] = nn_.Parameter(lib.zeros(1))
        return pd
    theirs, ours = _both(build)
    assert _repr_as_torch(repr(ours)) == repr(theirs)
    assert list(ours.keys()) == list(theirs.keys()) == ["a", "b", "c", "z", "y", "x"]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert isinstance(ours["a"], nn.Parameter) and "a" in ours and "q" not in ours and len(ours) == 6
    assert ours.get("q", 3) == 3 and ours.setdefault("q", al.ones(1)) is ours["q"]
    assert isinstance(ours["q"], nn.Parameter)
    assert ours.pop("q") is not None and "q" not in ours and "q" not in dict(ours.named_parameters())
    k, v = ours.popitem()
    assert k == "x" and isinstance(v, nn.Parameter) and list(ours) == ["a", "b", "c", "z", "y"]
    merged = ours | nn.ParameterDict({"n": al.ones(1)})
    assert list(merged) == ["a", "b", "c", "z", "y", "n"] and list(ours) == ["a", "b", "c", "z", "y"]
    ours |= {"m": al.ones(1)}
    assert list(ours)[-1] == "m" and list(reversed(ours))[0] == "m"
    assert list(ours.copy()) == list(ours) and list(ours.fromkeys(["u", "v"])) == ["u", "v"]
    del ours["a"]
    assert "a" not in ours and "a" not in dict(ours.named_parameters())
    ours.clear()
    assert len(ours) == 0 and not list(ours.parameters())
    with pytest.raises(TypeError, match="not a string"):
        ours[1] = al.ones(1)
    with pytest.raises(ValueError, match="#0 has length 3; 2 is required"):
        ours.update([("a", 1, 2)])
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        ours(1)


# ---- errors: PyTorch's exception type and wording -----------------------------------------------------------------

def _error_cases():
    def t(lib, shape, dtype="float32"):
        return lib.tensor(np.ones(shape, dtype=dtype))
    return {
        "cosine-int": lambda lib, f: f.cosine_similarity(t(lib, (3, 4), "int64"), t(lib, (3, 4), "int64")),
        "cosine-shapes": lambda lib, f: f.cosine_similarity(t(lib, (3, 4)), t(lib, (2, 4))),
        "cosine-dim": lambda lib, f: f.cosine_similarity(t(lib, (3, 4)), t(lib, (3, 4)), dim=2),
        "pdist-1d": lambda lib, f: f.pdist(t(lib, (3,))),
        "pdist-int": lambda lib, f: f.pdist(t(lib, (3, 2), "int64")),
        "pdist-p": lambda lib, f: f.pdist(t(lib, (3, 2)), p=-1),
        "glu-odd": lambda lib, f: f.glu(t(lib, (3, 3))),
        "glu-scalar": lambda lib, f: f.glu(t(lib, ())),
        "softshrink-negative": lambda lib, f: f.softshrink(t(lib, (3,)), -1.0),
        "rrelu-bounds": lambda lib, f: f.rrelu(t(lib, (3,)), 0.5, 0.1),
        "softmax2d-2d": lambda lib, f: lib.nn.Softmax2d()(t(lib, (3, 4))),
        "kl_div-reduction": lambda lib, f: f.kl_div(t(lib, (3,)), t(lib, (3,)), reduction="foo"),
        "kl_div-int": lambda lib, f: f.kl_div(t(lib, (3,), "int64"), t(lib, (3,)), reduction="sum"),
        "rms_norm-shape": lambda lib, f: f.rms_norm(t(lib, (3, 4)), (3,)),
        "rms_norm-weight": lambda lib, f: f.rms_norm(t(lib, (3, 4)), (4,), t(lib, (3,))),
        "rms_norm-int-shape": lambda lib, f: f.rms_norm(t(lib, (3, 4)), 4),
        "lrn-2d": lambda lib, f: f.local_response_norm(t(lib, (3, 4)), 2),
        "bilinear-dims": lambda lib, f: f.bilinear(t(lib, (3, 4)), t(lib, (3, 2, 5)), t(lib, (2, 4, 5))),
        "bilinear-batch": lambda lib, f: f.bilinear(t(lib, (3, 4)), t(lib, (2, 5)), t(lib, (2, 4, 5))),
        "bilinear-in2": lambda lib, f: f.bilinear(t(lib, (3, 4)), t(lib, (3, 5)), t(lib, (2, 4, 6))),
        "bilinear-dtype": lambda lib, f: f.bilinear(t(lib, (3, 4), "float64"), t(lib, (3, 5)), t(lib, (2, 4, 5))),
        "margin_ranking-dims": lambda lib, f: f.margin_ranking_loss(t(lib, (3,)), t(lib, (3,)), t(lib, (3, 1))),
        "cosine_embedding-target": lambda lib, f: f.cosine_embedding_loss(t(lib, (3, 4)), t(lib, (3, 4)),
                                                                          t(lib, (3, 4))),
        "cosine_embedding-inputs": lambda lib, f: f.cosine_embedding_loss(t(lib, (3,)), t(lib, (3,)), t(lib, (3,))),
        "multi_margin-p": lambda lib, f: f.multi_margin_loss(t(lib, (3, 4)), t(lib, (3,), "int64"), p=3),
        "multi_margin-target-size": lambda lib, f: f.multi_margin_loss(t(lib, (3, 4)), t(lib, (2,), "int64")),
        "multi_margin-weight-size": lambda lib, f: f.multi_margin_loss(t(lib, (3, 4)), t(lib, (3,), "int64"),
                                                                       weight=t(lib, (3,))),
        "multi_margin-range": lambda lib, f: f.multi_margin_loss(t(lib, (3, 4)), lib.tensor([0, 4, 1])),
        "multilabel_margin-size": lambda lib, f: f.multilabel_margin_loss(t(lib, (3, 4)), t(lib, (3, 3), "int64")),
        "triplet-margin": lambda lib, f: f.triplet_margin_loss(t(lib, (3,)), t(lib, (3,)), t(lib, (3,)), margin=0),
        "triplet-dims": lambda lib, f: f.triplet_margin_loss(t(lib, (2, 3)), t(lib, (2, 3)), t(lib, (3,))),
        "triplet_distance-dims": lambda lib, f: f.triplet_margin_with_distance_loss(t(lib, (2, 3)), t(lib, (3,)),
                                                                                    t(lib, (3,))),
        "gaussian-var-size": lambda lib, f: f.gaussian_nll_loss(t(lib, (3, 4)), t(lib, (3, 4)), t(lib, (2,))),
        "gaussian-var-negative": lambda lib, f: f.gaussian_nll_loss(t(lib, (3,)), t(lib, (3,)), -1.0),
        "gaussian-reduction": lambda lib, f: f.gaussian_nll_loss(t(lib, (3,)), t(lib, (3,)), 1.0, reduction="x"),
        "poisson-reduction": lambda lib, f: f.poisson_nll_loss(t(lib, (3,)), t(lib, (3,)), reduction="x"),
        "unflatten-size": lambda lib, f: lib.nn.Unflatten(1, 6),
        "triplet-module-margin": lambda lib, f: lib.nn.TripletMarginLoss(margin=-1),
        "multi_margin-module-weight": lambda lib, f: lib.nn.MultiMarginLoss(weight=t(lib, (2, 2))),
        "max_unpool-dims": lambda lib, f: f.max_unpool2d(t(lib, (2, 2)), t(lib, (2, 2), "int64"), 2),
        "max_unpool-int32": lambda lib, f: f.max_unpool2d(t(lib, (1, 2, 2)), t(lib, (1, 2, 2), "int32"), 2),
        "max_unpool-shape": lambda lib, f: f.max_unpool2d(t(lib, (1, 2, 2)), t(lib, (1, 2, 1), "int64"), 2),
        "max_unpool-index": lambda lib, f: f.max_unpool2d(t(lib, (1, 2, 2)), lib.tensor([[[0, 1], [2, 16]]]), 2),
        "max_unpool-output_size": lambda lib, f: f.max_unpool2d(t(lib, (1, 2, 2)), t(lib, (1, 2, 2), "int64"), 2,
                                                                output_size=(9, 4)),
        "max_unpool-output_size-len": lambda lib, f: f.max_unpool1d(t(lib, (1, 2)), t(lib, (1, 2), "int64"), 2,
                                                                    output_size=(4, 4)),
    }


ERRORS = _error_cases()


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_as_torch(name):
    fn = ERRORS[name]
    with pytest.raises(Exception) as theirs:
        fn(torch, torch.nn.functional)
    with pytest.raises(theirs.type) as ours:
        fn(al, al.nn.functional)
    expected = str(theirs.value).splitlines()[0].replace("torch.", "autograd_lite.")
    assert expected in str(ours.value), (expected, str(ours.value))


@pytest.mark.parametrize("fn", [lambda t: al.pdist(t, 1.5), lambda t: al.pdist(t), lambda t: al.pdist(t, 3),
                                lambda t: al.nn.functional.multi_margin_loss(t, al.tensor(MULTI_T), p=2),
                                lambda t: al.nn.functional.multilabel_margin_loss(t, al.tensor(LABELS))],
                         ids=["pdist-1.5", "pdist-2", "pdist-3", "multi_margin_loss-p2", "multilabel_margin_loss"])
def test_second_order_by_finite_differences(fn):
    """torch has no double backward for these: ours is checked against finite differences."""
    x = al.tensor(np.random.default_rng(0).normal(size=(4, 5)), dtype=al.float64, requires_grad=True)
    assert al.autograd.gradcheck(fn, (x,))
    assert al.autograd.gradgradcheck(fn, (x,))


ON_DEVICE = ["cosine_similarity-broadcast", "pdist", "kl_div-batchmean", "glu", "softshrink", "rrelu-eval", "bilinear",
             "local_response_norm-4d", "multi_margin_loss-p2-weight", "multilabel_margin_loss-mean",
             "poisson_nll_loss-rate-full", "gaussian_nll_loss-size1-dim", "triplet_margin_loss-p1-swap", "max_unpool2d",
             "lp_pool2d-p2"]


@pytest.mark.parametrize("fn, shapes, kw", [c for c in CASES if c.id in ON_DEVICE], ids=ON_DEVICE)
def test_on_device(fn, shapes, kw, device):
    check_op(fn, list(shapes), device=device, **kw)


def test_random_ops_on_device(device):
    x = al.tensor(np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4), device=device, requires_grad=True)
    y = al.nn.functional.rrelu(x, training=True)
    assert y.device == x.device and y.dtype == al.float32
    g = al.nn.functional.gumbel_softmax(x, hard=True)
    assert g.device == x.device and np.all(g.detach().cpu().numpy().sum(1) == 1)
    (y.sum() + (g * x).sum()).backward()
    assert x.grad.device == x.device


def test_forward_parameter_names_as_torch():
    """module(input=t) works wherever it does in torch: forward's parameters are named as torch's (our fused
    `activation` keyword may follow them)."""
    import inspect
    checked = 0
    for name in dir(torch.nn):
        ref, ours = getattr(torch.nn, name), getattr(al.nn, name, None)
        if not (inspect.isclass(ref) and issubclass(ref, torch.nn.Module) and inspect.isclass(ours)):
            continue
        if ref.forward is torch.nn.Module.forward or "forward" not in vars(ours) and ours.forward is al.nn.Module.forward:
            continue
        want = list(inspect.signature(ref.forward).parameters)
        have = list(inspect.signature(ours.forward).parameters)
        assert have[:len(want)] == want or have == want, (name, want, have)
        checked += 1
    assert checked > 100
