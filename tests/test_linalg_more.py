"""The last linear-algebra gaps against PyTorch: geqrf / ormqr (and householder_product on geqrf's output),
pinv / matrix_rank with hermitian=True (only the lower triangle read), lstsq's four CPU drivers (which of residuals,
rank, singular_values each gives). Values, dtypes, gradients, second order, gradcheck, real and complex, errors."""
import numpy as np
import pytest
import torch

import autograd_lite as al
from autograd_lite.autograd import gradcheck
from complex_helpers import check_complex
from op_helpers import check_op


def _garbage(lib, x):
    """x with its strict upper triangle replaced by large unrelated values (hermitian=True must not read them)."""
    return x.tril() + 7.0 * x.mT.triu(1) ** 2 + 3.0


def _lstsq(driver, part, vector=False):
    return lambda lib, a, b: lib.linalg.lstsq(a, b[..., 0] if vector else b, driver=driver)[part]


# name -> (fn(lib, *inputs), input shapes); every case is run in float32 and float64 (second order in float64)
CASES = {
    "ormqr": (lambda lib, a, t, c: lib.ormqr(a, t, c), [(5, 3), (3,), (5, 2)]),
    "ormqr_transpose": (lambda lib, a, t, c: lib.ormqr(a, t, c, transpose=True), [(2, 4, 4), (2, 4), (2, 4, 3)]),
    "ormqr_right": (lambda lib, a, t, c: a.ormqr(t, c, left=False), [(5, 3), (3,), (2, 5)]),
    "ormqr_right_transpose": (lambda lib, a, t, c: lib.ormqr(a, t, c, False, True), [(4, 2), (2,), (3, 4)]),
    "ormqr_wide": (lambda lib, a, t, c: lib.ormqr(a, t, c), [(3, 5), (3,), (3, 2)]),
    "householder_of_geqrf": (lambda lib, x, y: (lambda a, tau: lib.linalg.householder_product(a + y, tau * y[0, :3]))(
        *lib.geqrf(x.detach())), [(5, 3), (5, 3)]),
    "pinv_hermitian": (lambda lib, x: lib.linalg.pinv(_garbage(lib, x), hermitian=True), [(4, 4)]),
    "pinv_hermitian_batched_rtol": (lambda lib, x: lib.linalg.pinv(_garbage(lib, x), hermitian=True, rtol=0.2),
                                    [(2, 3, 3)]),
    "lstsq_gels": (_lstsq("gels", 0), [(5, 3), (5, 2)]),
    "lstsq_gels_residuals": (_lstsq("gels", 1), [(2, 5, 3), (2, 5, 2)]),
    "lstsq_gelsd_residuals_vector": (_lstsq("gelsd", 1, True), [(5, 3), (5, 1)]),
    "lstsq_gelss_wide": (_lstsq("gelss", 0), [(3, 5), (3, 2)]),
    "lstsq_gelsy_bcast": (_lstsq("gelsy", 0), [(1, 4, 3), (2, 4, 2)]),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_against_torch(name, dtype):
    fn, shapes = CASES[name]
    check_op(fn, shapes, dtype=dtype, second=dtype == "float64")


COMPLEX = {
    "ormqr": (lambda L, a, t, c: L.ormqr(a, t, c), [(4, 3), (3,), (4, 2)]),
    "ormqr_transpose": (lambda L, a, t, c: L.ormqr(a, t, c, transpose=True), [(4, 3), (3,), (4, 2)]),
    "ormqr_right_transpose": (lambda L, a, t, c: L.ormqr(a, t, c, left=False, transpose=True),
                              [(2, 4, 3), (2, 3), (2, 2, 4)]),
    "pinv_hermitian": (lambda L, z: L.linalg.pinv(z.tril() + 5 * z.mT.triu(1), hermitian=True), [(3, 3)]),
    "lstsq_gelsd_residuals": (_lstsq("gelsd", 1), [(5, 3), (5, 2)]),
    "lstsq_gels": (_lstsq("gels", 0), [(3, 4), (3, 2)]),
}


@pytest.mark.parametrize("name", sorted(COMPLEX))
def test_complex_against_torch(name):
    fn, shapes = COMPLEX[name]
    check_complex(fn, shapes)


GRADCHECK = {
    "ormqr": (lambda a, t, c: al.ormqr(a, t, c), [(4, 3), (3,), (4, 2)]),
    "ormqr_right_transpose": (lambda a, t, c: al.ormqr(a, t, c, left=False, transpose=True), [(4, 3), (3,), (2, 4)]),
    "pinv_hermitian": (lambda x: al.linalg.pinv(x + x.mT + 3 * al.eye(3, dtype=x.dtype), hermitian=True), [(3, 3)]),
    "lstsq_gels_residuals": (lambda a, b: al.linalg.lstsq(a, b, driver="gels").residuals, [(5, 3), (5, 2)]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name):
    fn, shapes = GRADCHECK[name]
    rng = np.random.default_rng(2)
    inputs = [al.tensor(rng.uniform(-1, 1, s), dtype=al.float64, requires_grad=True) for s in shapes]
    assert gradcheck(fn, inputs)


def _pair(a, dtype):
    return torch.tensor(a, dtype=getattr(torch, dtype)), al.tensor(a, dtype=getattr(al, dtype))


def _same(ours, ref, tol=1e-5):
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], (ours.dtype, ref.dtype)
    assert tuple(ours.shape) == tuple(ref.shape), (tuple(ours.shape), tuple(ref.shape))
    np.testing.assert_allclose(ours.detach().numpy(), ref.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4), (0, 3)])
def test_geqrf_as_lapack_and_its_q(shape, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape) + (1j * rng.standard_normal(shape) if dtype.startswith("c") else 0)
    t, o = _pair(a, dtype)
    (ta, ttau), (oa, otau) = torch.geqrf(t), al.geqrf(o)
    assert type(al.geqrf(o)).__name__ == "geqrf" and al.geqrf(o).tau is not None
    _same(oa, ta)
    _same(otau, ttau)
    if shape[-2] >= shape[-1] and shape[-2]:
        Q = al.linalg.householder_product(oa, otau)         # Q of geqrf is linalg.qr's Q, and ormqr applies it
        _same(Q, torch.linalg.qr(t).Q)
        _same(al.ormqr(oa, otau, o), torch.ormqr(ta, ttau, t))
        eye = al.eye(shape[-2], dtype=o.dtype).expand(shape[:-2] + (shape[-2], shape[-2]))
        _same(al.ormqr(oa, otau, eye)[..., :, :shape[-1]], Q)


def test_geqrf_is_not_differentiable_as_torch():
    x = al.randn(4, 3, requires_grad=True)
    a, tau = al.geqrf(x)
    assert a.requires_grad and tau.requires_grad and x.geqrf()[0].requires_grad
    with pytest.raises(RuntimeError, match="the derivative for 'geqrf' is not implemented"):
        (a.sum() + tau.sum()).backward()


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_hermitian_reads_only_the_lower_triangle(dtype):
    rng = np.random.default_rng(3)
    cplx = dtype.startswith("c")
    x = rng.standard_normal((2, 4, 4)) + (1j * rng.standard_normal((2, 4, 4)) if cplx else 0)
    low = x[:, :, :2] @ x[:, :, :2].conj().swapaxes(-1, -2)         # Hermitian, rank 2
    garbage = np.tril(low) + np.triu(rng.standard_normal((2, 4, 4)) * 100, 1)
    t, o = _pair(garbage, dtype)
    ref = torch.linalg.pinv(t, hermitian=True)
    _same(al.linalg.pinv(o, hermitian=True), ref, 1e-4)
    _same(al.linalg.pinv(al.tensor(low, dtype=o.dtype)), ref, 1e-4)       # the lower triangle's matrix
    for kw in ({}, {"atol": 0.5}, {"rtol": 1e-3}):
        r = al.linalg.matrix_rank(o, hermitian=True, **kw)
        _same(r, torch.linalg.matrix_rank(t, hermitian=True, **kw))
    assert al.linalg.matrix_rank(o, hermitian=True).tolist() == [2, 2] != al.linalg.matrix_rank(o).tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("shapes", [((5, 3), (5, 2)), ((3, 5), (3, 2)), ((2, 5, 3), (2, 5)), ((1, 5, 3), (2, 5, 2)),
                                    ((4, 4), (4, 1))])
def test_lstsq_parts_per_driver(shapes, driver, dtype):
    rng = np.random.default_rng(4)
    cplx = dtype.startswith("c")
    a, b = (rng.standard_normal(s) + (1j * rng.standard_normal(s) if cplx else 0) for s in shapes)
    (ta, oa), (tb, ob) = _pair(a, dtype), _pair(b, dtype)
    ref, ours = torch.linalg.lstsq(ta, tb, driver=driver), al.linalg.lstsq(oa, ob, driver=driver)
    assert type(ours).__name__ == "linalg_lstsq"
    for name in ("solution", "residuals", "rank", "singular_values"):
        _same(getattr(ours, name), getattr(ref, name), 1e-4)


@pytest.mark.parametrize("driver", ["gels", "gelsy", "gelsd", "gelss"])
def test_lstsq_rank_deficient_and_rcond(driver):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((6, 4))
    a[:, 3] = a[:, 0] + 1e-9 * rng.standard_normal(6)          # numerically full rank, rank 3 at rcond 1e-6
    b = rng.standard_normal((6, 2))
    (ta, oa), (tb, ob) = _pair(a, "float64"), _pair(b, "float64")
    for rcond in (None, 1e-6):
        ref, ours = torch.linalg.lstsq(ta, tb, rcond, driver=driver), al.linalg.lstsq(oa, ob, rcond, driver=driver)
        for name in ("residuals", "rank", "singular_values"):       # residuals empty where the rank is short
            _same(getattr(ours, name), getattr(ref, name))
        if rcond is not None and driver != "gels":
            np.testing.assert_allclose(ours.solution.numpy(), ref.solution.numpy(), rtol=1e-6, atol=1e-6)


ERRORS = [
    (lambda L: L.geqrf(L.ones(3)), "torch.geqrf: input must have at least 2 dimensions."),
    (lambda L: L.geqrf(L.ones(3, 3, dtype=L.int64)), "\"geqrf_cpu\" not implemented for 'Long'"),
    (lambda L: L.ormqr(L.ones(3), L.ones(3), L.ones(3, 3)), "input must have at least 2 dimensions"),
    (lambda L: L.ormqr(*(L.ones(s, dtype=L.bfloat16) for s in ((3, 3), 3, (3, 3)))),
     "\"ormqr_cpu\" not implemented for 'BFloat16'"),
    (lambda L: L.ormqr(L.ones(5, 3), L.ones(3), L.ones(2)), "other must have at least 2 dimensions"),
    (lambda L: L.ormqr(L.ones(5, 3), L.ones(3), L.ones(4, 2)), r"other.shape\[-2\] must be equal to input.shape\[-2\]"),
    (lambda L: L.ormqr(L.ones(5, 3), L.ones(3), L.ones(5, 2), left=False),
     r"other.shape\[-1\] must be equal to input.shape\[-2\]"),
    (lambda L: L.ormqr(L.ones(5, 3), L.ones(2), L.ones(5, 2)),
     r"tau.shape\[-1\] must be equal to min\(other.shape\[-2\], input.shape\[-1\]\)"),
    (lambda L: L.ormqr(L.ones(2, 5, 3), L.ones(3), L.ones(2, 5, 2)),
     "Expected tau to have one dimension less than input, but got tau.ndim equal to 1 and input.ndim is equal to 3"),
    (lambda L: L.ormqr(L.ones(2, 5, 3), L.ones(2, 3), L.ones(5, 2)),
     "Expected other to have the same number of dimensions as input, but got other.ndim equal to 2"),
    (lambda L: L.ormqr(L.ones(2, 5, 3), L.ones(3, 3), L.ones(2, 5, 2)),
     r"Expected batch dimensions of tau to be equal to input.shape\[:-2\], but got \[3\]"),
    (lambda L: L.ormqr(L.ones(2, 5, 3), L.ones(2, 3), L.ones(3, 5, 2)),
     r"Expected batch dimensions of other to be equal to input.shape\[:-2\], but got \[3\]"),
    (lambda L: L.ormqr(L.ones(5, 3), L.ones(3, dtype=L.float64), L.ones(5, 2)),
     "Expected input and tau to have the same dtype, but input has dtypeFloat and tau has dtype Double"),
    (lambda L: L.ormqr(L.ones(5, 3), L.ones(3), L.ones(5, 2, dtype=L.float64)),
     "Expected input and other to have the same dtype, but input has dtypeFloat and other has dtype Double"),
    (lambda L: L.linalg.pinv(L.ones(2, 3), hermitian=True),
     "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda L: L.linalg.matrix_rank(L.ones(2, 3), hermitian=True),
     "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(5, 2), driver="foo"),
     r"parameter `driver` should be one of \(gels, gelsy, gelsd, gelss\)"),
    (lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(2, 5, 2)),
     r"input.dim\(\) must be greater or equal to other.dim\(\) and \(input.dim\(\) - other.dim\(\)\) <= 1"),
    (lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(4, 2)), r"input.size\(-2\) should match other.size\(-2\)"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_as_torch(i):
    call, match = ERRORS[i]
    for lib in (torch, al):
        with pytest.raises(RuntimeError, match=match):
            call(lib)
