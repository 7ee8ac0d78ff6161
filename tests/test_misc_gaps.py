"""Random sampling with Generators, dtype utilities, default dtype, print options, inference_mode, compile, and
torch.linalg's solvers and decompositions, against PyTorch."""
import math

import numpy as np
import pytest
import torch

import autograd_lite as al
from autograd_lite.utils.data import DataLoader, TensorDataset, random_split
from op_helpers import check_op

DTYPES = ("float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool")


# ---- Generator ---------------------------------------------------------------------------------------

def test_generator_streams_are_reproducible_and_independent():
    g = al.Generator()
    assert g.manual_seed(3) is g and g.initial_seed() == 3
    assert g.device == al.device("cpu")
    a = al.rand(5, generator=g)
    b = al.rand(5, generator=g)
    assert not al.equal(a, b)
    g.manual_seed(3)
    assert al.equal(al.rand(5, generator=g), a)
    other = al.Generator().manual_seed(4)
    assert not al.equal(al.rand(5, generator=other), a)
    assert al.Generator().initial_seed() == torch.Generator().initial_seed()


def test_generator_does_not_touch_the_global_stream():
    al.manual_seed(0)
    expected = al.randn(4)
    al.manual_seed(0)
    g = al.Generator().manual_seed(1)
    al.randn(10, generator=g)
    al.randint(0, 5, (3,), generator=g)
    assert al.equal(al.randn(4), expected)


@pytest.mark.parametrize("draw", [
    lambda g: al.rand(3, generator=g), lambda g: al.randn(2, 3, generator=g),
    lambda g: al.randint(0, 10, (6,), generator=g), lambda g: al.randint(10, (6,), generator=g),
    lambda g: al.randperm(8, generator=g), lambda g: al.empty(4).normal_(generator=g),
    lambda g: al.empty(4).uniform_(-1, 1, generator=g), lambda g: al.bernoulli(al.full((6,), 0.5), generator=g),
    lambda g: al.multinomial(al.ones(5), 3, generator=g), lambda g: al.normal(0.0, 1.0, (3,), generator=g),
    lambda g: al.normal(al.zeros(3), al.ones(3), generator=g), lambda g: al.empty(5).exponential_(generator=g),
    lambda g: al.empty(5).bernoulli_(0.3, generator=g), lambda g: al.empty(5).random_(0, 9, generator=g),
], ids=["rand", "randn", "randint", "randint_high", "randperm", "normal_", "uniform_", "bernoulli", "multinomial",
        "normal_sized", "normal_tensors", "exponential_", "bernoulli_", "random_"])
def test_generator_accepted_and_reproducible(draw):
    first = draw(al.Generator().manual_seed(7))
    again = draw(al.Generator().manual_seed(7))
    assert al.equal(first, again)


def test_generator_state_round_trip():
    g = al.Generator().manual_seed(5)
    state = g.get_state()
    assert state.dtype == al.uint8 and state.ndim == 1
    a = al.randn(4, generator=g)
    assert g.set_state(state) is g
    assert al.equal(al.randn(4, generator=g), a)
    with pytest.raises(TypeError, match="ByteTensor"):
        g.set_state(al.zeros(3))


def test_global_seed_functions():
    assert al.manual_seed(11) is al.default_generator
    assert al.initial_seed() == 11 and al.default_generator.initial_seed() == 11
    state = al.get_rng_state()
    assert state.dtype == al.uint8
    a = al.rand(3)
    al.set_rng_state(state)
    assert al.equal(al.rand(3), a)
    s = al.seed()
    assert isinstance(s, int) and al.initial_seed() == s
    al.default_generator.manual_seed(2)
    x = al.rand(2)
    al.manual_seed(2)
    assert al.equal(al.rand(2), x)


def test_dataloader_and_random_split_take_a_generator():
    ds = TensorDataset(al.arange(20))

    def order(seed):
        return [int(v) for (b,) in DataLoader(ds, batch_size=4, shuffle=True,
                                              generator=al.Generator().manual_seed(seed)) for v in b]
    assert order(1) == order(1) and sorted(order(1)) == list(range(20)) and order(1) != order(2)
    split = [list(s.indices) for s in random_split(ds, [15, 5], generator=al.Generator().manual_seed(3))]
    again = [list(s.indices) for s in random_split(ds, [15, 5], generator=al.Generator().manual_seed(3))]
    assert split == again and sorted(split[0] + split[1]) == list(range(20))


# ---- bernoulli, multinomial, normal, the fills ------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bernoulli(dtype):
    p = al.rand(2000, dtype=getattr(al, dtype))
    out = al.bernoulli(p)
    assert out.dtype == p.dtype and out.shape == p.shape
    assert set(np.unique(out.numpy()).tolist()) <= {0.0, 1.0}
    assert bool(((out == 1) <= (p > 0)).all())
    assert abs(out.mean().item() - p.mean().item()) < 0.05
    assert abs(al.bernoulli(al.zeros(4000), 0.25).mean().item() - 0.25) < 0.03
    assert abs(p.bernoulli().mean().item() - p.mean().item()) < 0.05
    assert al.equal(al.bernoulli(al.ones(5)), al.ones(5))


def test_bernoulli_gradient_is_zero_as_torch():
    p = al.full((3,), 0.5, requires_grad=True)
    out = al.bernoulli(p)
    assert out.requires_grad and out.grad_fn is not None
    out.sum().backward()
    assert al.equal(p.grad, al.zeros(3))


def test_bernoulli_in_place():
    x = al.empty(3000)
    assert x.bernoulli_(0.7) is x and abs(x.mean().item() - 0.7) < 0.04
    probs = al.tensor([0.0, 1.0, 0.0, 1.0])
    assert al.equal(al.empty(4).bernoulli_(probs), probs)


@pytest.mark.parametrize("call, err, match", [
    (lambda lib: lib.bernoulli(lib.tensor([1.5])), RuntimeError, r"Expected p_in >= 0 && p_in <= 1"),
    (lambda lib: lib.bernoulli(lib.tensor([1, 0])), NotImplementedError, "not implemented for 'Long'"),
    (lambda lib: lib.multinomial(lib.tensor([1.0, -1.0]), 1), RuntimeError, "element < 0"),
    (lambda lib: lib.multinomial(lib.tensor([0.0, 0.0]), 1, True), RuntimeError, "sum of probabilities <= 0"),
    (lambda lib: lib.multinomial(lib.tensor([1.0, 1.0]), 3), RuntimeError, "cannot sample n_sample > prob_dist"),
    (lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1), RuntimeError, "prob_dist must be 1 or 2 dim"),
    (lambda lib: lib.normal(lib.zeros(2), -lib.ones(2)), RuntimeError, "normal expects all elements of std >= 0.0"),
    (lambda lib: lib.normal(0.0, -1.0, (2,)), RuntimeError, "normal expects std >= 0.0, but found std -1"),
])
def test_sampling_errors_as_torch(call, err, match):
    for lib in (torch, al):
        with pytest.raises(err, match=match):
            call(lib)


@pytest.mark.parametrize("replacement", [False, True])
def test_multinomial(replacement):
    w = al.tensor([[0.0, 1.0, 3.0, 0.0, 6.0], [1.0, 1.0, 1.0, 1.0, 1.0]])
    out = al.multinomial(w, 3, replacement)
    assert out.dtype == al.int64 and out.shape == (2, 3)
    assert not bool(((out[0] == 0) | (out[0] == 3)).any())          # weight 0 never drawn (3 nonzero)
    if not replacement:
        assert all(len(set(row)) == 3 for row in out.tolist())
    counts = np.bincount(al.multinomial(w[0], 6000, True).numpy(), minlength=5) / 6000
    np.testing.assert_allclose(counts, [0, 0.1, 0.3, 0, 0.6], atol=0.03)
    firsts = np.bincount(al.multinomial(w[0].expand(3000, 5), 1).numpy().ravel(), minlength=5) / 3000
    np.testing.assert_allclose(firsts, [0, 0.1, 0.3, 0, 0.6], atol=0.03)
    assert al.multinomial(al.tensor([1.0, 2.0]), 2).shape == (2,)


@pytest.mark.parametrize("args", [
    lambda lib: (lib.zeros(3, 4), lib.ones(3, 4)), lambda lib: (lib.zeros(3, 1), lib.ones(4)),
    lambda lib: (lib.zeros(5, dtype=lib.float64), 2.0), lambda lib: (1.0, lib.ones(2, 3)),
    lambda lib: (0.0, 1.0, (2, 3)), lambda lib: (0.0, 1.0, [4]),
], ids=["tt", "broadcast", "tf", "ft", "sized", "sized_list"])
def test_normal_forms_shapes_and_dtypes(args):
    ref, ours = torch.normal(*args(torch)), al.normal(*args(al))
    assert tuple(ours.shape) == tuple(ref.shape) and str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]


def test_normal_statistics_and_zero_gradient():
    x = al.normal(al.full((20000,), 3.0), al.full((20000,), 2.0))
    assert abs(x.mean().item() - 3) < 0.06 and abs(x.std().item() - 2) < 0.06
    y = al.normal(-1.0, 0.5, (20000,), dtype=al.float64)
    assert y.dtype == al.float64 and abs(y.mean().item() + 1) < 0.02 and abs(y.std().item() - 0.5) < 0.02
    mean, std = al.zeros(3, requires_grad=True), al.ones(3, requires_grad=True)
    out = al.normal(mean, std)
    assert out.grad_fn is not None
    out.sum().backward()
    assert al.equal(mean.grad, al.zeros(3)) and al.equal(std.grad, al.zeros(3))
    assert al.normal(0.0, 1.0, (2,), requires_grad=True).requires_grad


def test_in_place_fills():
    n = 20000
    e = al.empty(n).exponential_(2.0)
    assert e.min().item() >= 0 and abs(e.mean().item() - 0.5) < 0.02
    gm = al.empty(n, dtype=al.int64).geometric_(0.25)
    assert gm.dtype == al.int64 and gm.min().item() >= 1 and abs(gm.float().mean().item() - 4) < 0.15
    ln = al.empty(n, dtype=al.float64).log_normal_(0.0, 0.5)
    assert ln.min().item() > 0 and abs(ln.log().mean().item()) < 0.02
    c = al.empty(n).cauchy_(1.0, 2.0)
    assert abs(c.median().item() - 1.0) < 0.1
    r = al.empty(n).random_(3, 7)
    assert set(np.unique(r.numpy()).tolist()) == {3.0, 4.0, 5.0, 6.0}
    assert set(np.unique(al.empty(n, dtype=al.int64).random_(4).numpy()).tolist()) == {0, 1, 2, 3}
    u = al.empty(n).uniform_(-2, 2)
    assert u.min().item() >= -2 and u.max().item() < 2
    w = al.empty(n, dtype=al.float64).normal_(1.0, 3.0)
    assert w.dtype == al.float64 and abs(w.std().item() - 3) < 0.1
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0"):
        al.empty(2).exponential_(-1.0)
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
        al.empty(2).random_(5, 5)


def test_poisson():
    rates = al.full((20000,), 3.0)
    out = al.poisson(rates)
    assert out.dtype == al.float32 and abs(out.mean().item() - 3) < 0.06


# ---- dtype utilities ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo(name):
    ours, ref = al.finfo(getattr(al, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(ref, attr), attr
    assert repr(ours) == repr(ref)


def test_finfo_default_and_errors():
    assert al.finfo().eps == torch.finfo().eps
    for lib in (torch, al):
        with pytest.raises(TypeError, match="requires a floating point input type"):
            lib.finfo(lib.int32)
        with pytest.raises(TypeError, match="requires an integer input type"):
            lib.iinfo(lib.float32)
        with pytest.raises(TypeError, match="torch.bool is not supported by torch.iinfo"):
            lib.iinfo(lib.bool)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo(name):
    ours, ref = al.iinfo(getattr(al, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.max, ours.min, ours.dtype) == (ref.bits, ref.max, ref.min, ref.dtype)
    assert repr(ours) == repr(ref)


def test_can_cast_and_promote_types_as_torch():
    for a in DTYPES:
        for b in DTYPES:
            assert al.can_cast(getattr(al, a), getattr(al, b)) == torch.can_cast(getattr(torch, a),
                                                                                getattr(torch, b)), (a, b)
            assert al.promote_types(getattr(al, a), getattr(al, b)).name == \
                str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[-1], (a, b)


@pytest.mark.parametrize("make", [
    lambda lib: (lib.ones(2, dtype=lib.int32), 2.0), lambda lib: (2, 3.0), lambda lib: (True, 2),
    lambda lib: (lib.tensor(1.0, dtype=lib.float64), lib.ones(2)), lambda lib: (lib.ones(2, dtype=lib.int8), 1000),
    lambda lib: (lib.ones(2, dtype=lib.uint8), lib.ones(2, dtype=lib.int8)), lambda lib: (lib.tensor(True), 1.5),
])
def test_result_type_as_torch(make):
    assert al.result_type(*make(al)).name == str(torch.result_type(*make(torch))).split(".")[-1]


def test_type_predicates():
    for lib in (torch, al):
        assert lib.is_floating_point(lib.ones(1)) and not lib.is_floating_point(lib.ones(1, dtype=lib.int64))
        assert not lib.is_complex(lib.ones(1)) and not lib.ones(1).is_complex()
        assert lib.is_nonzero(lib.tensor([1.0])) and not lib.is_nonzero(lib.tensor(0))
        with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
            lib.is_nonzero(lib.ones(2))
        with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
            lib.is_nonzero(lib.ones(0))


def test_set_default_dtype():
    try:
        al.set_default_dtype(al.float64)
        assert al.get_default_dtype() is al.float64
        for t in (al.tensor([1.0]), al.zeros(2), al.ones(2), al.rand(2), al.randn(2), al.empty(1), al.arange(0.0, 1.0),
                  al.full((2,), 1.5), al.linspace(0, 1, 3), al.eye(2), al.ones(2, dtype=al.int64) * 1.5):
            assert t.dtype is al.float64
        assert repr(al.tensor([1.5])) == "tensor([1.5000])"
        assert repr(al.tensor([1.5], dtype=al.float32)) == "tensor([1.5000], dtype=autograd_lite.float32)"
        with pytest.raises(TypeError, match="only floating-point types are supported as the default type"):
            al.set_default_dtype(al.int64)
    finally:
        al.set_default_dtype(al.float32)
    assert al.tensor([1.0]).dtype is al.float32 and al.zeros(1).dtype is al.float32


# ---- print options, inference_mode, compile ---------------------------------------------------------------

@pytest.mark.parametrize("options", [
    dict(precision=2), dict(precision=6), dict(sci_mode=True), dict(sci_mode=False), dict(threshold=5),
    dict(threshold=5, edgeitems=1), dict(linewidth=30), dict(profile="short"), dict(profile="full"),
])
def test_set_printoptions_as_torch(options):
    values = [np.linspace(-3, 3, 12).reshape(3, 4), np.array([1e-5, 1.0, 2e5]), np.arange(2000.0) / 7,
              np.arange(30).reshape(3, 10)]
    try:
        torch.set_printoptions(**options)
        al.set_printoptions(**options)
        for v in values:
            dtype = "float32" if v.dtype.kind == "f" else "int64"
            assert repr(al.tensor(v.astype(dtype))) == repr(torch.tensor(v.astype(dtype))), options
    finally:
        torch.set_printoptions(profile="default", sci_mode=None)
        al.set_printoptions(profile="default", sci_mode=None)
    assert repr(al.tensor([1.23456])) == "tensor([1.2346])"


def test_inference_mode():
    x = al.ones(2, requires_grad=True)
    with al.inference_mode():
        assert al.is_inference_mode_enabled() and not al.is_grad_enabled()
        assert not (x * 2).requires_grad
        with al.inference_mode(False):
            assert not al.is_inference_mode_enabled()
    assert not al.is_inference_mode_enabled() and al.is_grad_enabled() and (x * 2).requires_grad

    @al.inference_mode()
    def called(t):
        return t * 2

    @al.inference_mode
    def bare(t):
        return t * 2
    assert not called(x).requires_grad and not bare(x).requires_grad
    assert al.autograd.inference_mode is al.inference_mode


def test_inference_mode_takes_mode_by_keyword():
    with al.inference_mode(mode=True):
        assert al.is_inference_mode_enabled() and not al.is_grad_enabled()
        with al.inference_mode(mode=False):
            assert not al.is_inference_mode_enabled()

    @al.inference_mode(mode=False)
    def off():
        return al.is_inference_mode_enabled()
    with al.inference_mode():
        assert off() is False


def test_compile_returns_the_model_unchanged():
    model = al.nn.Linear(2, 2)
    assert al.compile(model) is model
    assert al.compile(model, mode="reduce-overhead", fullgraph=True, dynamic=False, backend="inductor") is model

    @al.compile
    def f(t):
        return t + 1

    @al.compile(mode="max-autotune")
    def g(t):
        return t + 2
    assert f(al.ones(1)).item() == 2 and g(al.ones(1)).item() == 3


# ---- linalg -------------------------------------------------------------------------------------------

def _cat_sq(lib, parts):
    """The outputs of eigh / svd with the eigen- and singular vectors squared: their signs are arbitrary."""
    return lib.cat([p.flatten() if i == 1 else (p * p).flatten() for i, p in enumerate(parts)])


def _spd(lib, x):
    return x @ x.mT + x.shape[-1] * lib.eye(x.shape[-1], dtype=x.dtype)


LINALG = {
    "inv": (lambda lib, x: lib.linalg.inv(x), [(3, 3)]),
    "inverse_batched": (lambda lib, x: lib.inverse(x), [(2, 3, 3)]),
    "det": (lambda lib, x: lib.linalg.det(x), [(2, 3, 3)]),
    "det_method": (lambda lib, x: x.det(), [(3, 3)]),
    "slogdet": (lambda lib, x: lib.linalg.slogdet(x).logabsdet, [(3, 3)]),
    "slogdet_top": (lambda lib, x: lib.slogdet(x)[1], [(2, 3, 3)]),
    "logdet": (lambda lib, x: lib.logdet(_spd(lib, x)), [(3, 3)]),
    "solve": (lambda lib, a, b: lib.linalg.solve(a, b), [(3, 3), (3, 2)]),
    "solve_vector": (lambda lib, a, b: lib.linalg.solve(a, b), [(3, 3), (3,)]),
    "solve_broadcast": (lambda lib, a, b: lib.linalg.solve(a, b), [(2, 3, 3), (3, 1)]),
    "solve_right": (lambda lib, a, b: lib.linalg.solve(a, b, left=False), [(3, 3), (2, 3)]),
    "cholesky": (lambda lib, x: lib.linalg.cholesky(_spd(lib, x)), [(3, 3)]),
    "cholesky_upper": (lambda lib, x: lib.linalg.cholesky(_spd(lib, x), upper=True), [(2, 3, 3)]),
    "cholesky_old": (lambda lib, x: lib.cholesky(_spd(lib, x)), [(3, 3)]),
    "eigh": (lambda lib, x: _cat_sq(lib, lib.linalg.eigh(x + x.mT)), [(4, 4)]),
    "eigh_upper": (lambda lib, x: _cat_sq(lib, lib.linalg.eigh(x, UPLO="U")), [(3, 3)]),
    "eigvalsh": (lambda lib, x: lib.linalg.eigvalsh(x + x.mT), [(2, 3, 3)]),
    "svd_tall": (lambda lib, x: _cat_sq(lib, lib.linalg.svd(x, full_matrices=False)), [(4, 3)]),
    "svd_wide": (lambda lib, x: _cat_sq(lib, lib.linalg.svd(x, full_matrices=False)), [(3, 5)]),
    "svd_full": (lambda lib, x: lib.linalg.svd(x)[1], [(4, 3)]),
    "svd_old": (lambda lib, x: _cat_sq(lib, lib.svd(x)), [(2, 4, 3)]),
    "svdvals": (lambda lib, x: lib.linalg.svdvals(x), [(4, 3)]),
    "qr": (lambda lib, x: lib.linalg.qr(x), [(4, 3)]),
    "qr_square": (lambda lib, x: lib.linalg.qr(x).R, [(2, 3, 3)]),
    "pinv_tall": (lambda lib, x: lib.linalg.pinv(x), [(4, 3)]),
    "pinv_wide": (lambda lib, x: lib.linalg.pinv(x), [(2, 3, 5)]),
    "pinverse": (lambda lib, x: lib.pinverse(x), [(3, 3)]),
    "lstsq": (lambda lib, a, b: lib.linalg.lstsq(a, b).solution, [(5, 3), (5, 2)]),
    "matrix_norm_2": (lambda lib, x: lib.linalg.matrix_norm(x, 2), [(4, 3)]),
    "matrix_norm_nuc": (lambda lib, x: lib.linalg.matrix_norm(x, "nuc"), [(4, 3)]),
}


@pytest.mark.filterwarnings("ignore:torch.cholesky is deprecated")
@pytest.mark.parametrize("name", sorted(LINALG))
def test_linalg_against_torch(name):
    fn, shapes = LINALG[name]
    check_op(fn, shapes)            # values, dtype, gradients, second order in float64


def test_linalg_results_and_dtypes():
    a = al.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=al.float64)
    sign, logabsdet = al.linalg.slogdet(-a)
    assert sign.item() == 1.0 and math.isclose(logabsdet.item(), math.log(11))
    assert math.isnan(al.logdet(al.tensor([[-1.0, 0.0], [0.0, 1.0]])).item())
    assert al.logdet(al.zeros(2, 2)).item() == -math.inf
    assert al.linalg.matrix_rank(al.ones(3, 3)).item() == 1 and al.linalg.matrix_rank(al.eye(3)).dtype == al.int64
    assert al.linalg.matrix_rank(al.ones(2, 3, 3)).tolist() == [1, 1]
    r = al.linalg.lstsq(al.randn(5, 3), al.randn(5, 2))
    assert r.rank.item() == 3 and r.residuals.shape == (0,) and r.singular_values.shape == (0,)
    x = al.randn(4, 2)
    U, S, Vh = al.linalg.svd(x)
    assert U.shape == (4, 4) and Vh.shape == (2, 2)
    np.testing.assert_allclose(((U[:, :2] * S) @ Vh).numpy(), x.numpy(), atol=1e-5)
    np.testing.assert_allclose((U.mT @ U).numpy(), np.eye(4), atol=1e-5)
    Q, R = al.linalg.qr(al.randn(4, 2), mode="complete")
    assert Q.shape == (4, 4) and R.shape == (4, 2)
    assert al.linalg.qr(al.randn(4, 2), mode="r").Q.shape == (0,)
    assert al.linalg.eigh(a).eigenvalues.dtype == al.float64
    for x in (al.linalg.inv(a.float()), al.linalg.det(a.float()), al.linalg.pinv(a.float())):
        assert x.dtype == al.float32


@pytest.mark.parametrize("call, match", [
    (lambda lib: lib.linalg.inv(lib.zeros(2, 2)), r"linalg.inv: The diagonal element 1 is zero, the inversion could "
                                                   "not be completed because the input matrix is singular."),
    (lambda lib: lib.linalg.inv(lib.stack([lib.eye(2), lib.zeros(2, 2)])), r"\(Batch element 1\): The diagonal"),
    (lambda lib: lib.linalg.inv(lib.zeros(2, 3)), "linalg.inv: A must be batches of square matrices, but they are "
                                                  "2 by 3 matrices"),
    (lambda lib: lib.linalg.inv(lib.zeros(2)), "linalg.inv: The input tensor A must have at least 2 dimensions."),
    (lambda lib: lib.linalg.inv(lib.zeros(2, 2, dtype=lib.int64)), "linalg.inv: Expected a floating point or "
                                                                    "complex tensor as input. Got Long"),
    (lambda lib: lib.linalg.cholesky(lib.tensor([[1.0, 2.0], [2.0, 1.0]])), r"not positive-definite \(the leading "
                                                                             "minor of order 2 is not"),
    (lambda lib: lib.linalg.solve(lib.eye(2), lib.ones(3)), r"linalg.solve: Incompatible shapes of A and B for the "
                                                            r"equation AX = B \(2x2 and 3x1\)"),
    (lambda lib: lib.linalg.det(lib.ones(2, 3)), "linalg.det: A must be batches of square matrices"),
    (lambda lib: lib.linalg.qr(lib.ones(2, 2), mode="x"), "qr received unrecognized mode 'x'"),
    (lambda lib: lib.linalg.eigh(lib.ones(2, 3)), "linalg.eigh: A must be batches of square matrices"),
])
def test_linalg_errors_as_torch(call, match):
    for lib in (torch, al):
        with pytest.raises(RuntimeError, match=match):
            call(lib)
    with pytest.raises(al.linalg.LinAlgError if "diagonal" in match or "positive" in match else RuntimeError):
        call(al)


def test_init_functions_take_a_generator():
    a, b = al.empty(3, 4), al.empty(3, 4)
    for init in (al.nn.init.uniform_, al.nn.init.normal_, al.nn.init.xavier_uniform_, al.nn.init.kaiming_normal_):
        init(a, generator=al.Generator().manual_seed(1))
        init(b, generator=al.Generator().manual_seed(1))
        assert al.equal(a, b)


def test_sampling_and_linalg_on_each_device(device):
    p = al.full((4,), 0.5, device=device)
    for out in (al.bernoulli(p), al.normal(p, 1.0), al.multinomial(p, 2), al.empty(3, device=device).normal_(),
                al.empty(3, device=device).exponential_()):
        assert out.device == al.device(device)
    a = al.tensor([[2.0, 1.0], [1.0, 3.0]], device=device, requires_grad=True)
    out = al.linalg.inv(a).sum() + al.linalg.det(a) + al.linalg.eigh(a)[0].sum() + al.linalg.svdvals(a).sum()
    out.backward()
    assert a.grad.device == al.device(device)
    ref = torch.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    (torch.linalg.inv(ref).sum() + torch.linalg.det(ref) + torch.linalg.eigh(ref)[0].sum()
     + torch.linalg.svdvals(ref).sum()).backward()
    np.testing.assert_allclose(a.grad.cpu().numpy(), ref.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_removable_handles_of_modules_and_optimizers():
    """One RemovableHandle (utils.hooks, as torch.utils.hooks) for module and optimizer hooks; a context manager."""
    model = al.nn.Linear(2, 2)
    seen = []
    with model.register_forward_hook(lambda m, inp, out: seen.append(out.shape)) as handle:
        model(al.ones(1, 2))
    model(al.ones(1, 2))
    assert seen == [(1, 2)] and isinstance(handle, al.utils.hooks.RemovableHandle)
    opt = al.optim.SGD(model.parameters(), lr=0.1)
    h = opt.register_step_pre_hook(lambda o, args, kwargs: seen.append("pre"))
    assert isinstance(h, al.utils.hooks.RemovableHandle)
    opt.step()
    h.remove()
    h.remove()                  # twice: nothing left to remove
    opt.step()
    assert seen == [(1, 2), "pre"]
