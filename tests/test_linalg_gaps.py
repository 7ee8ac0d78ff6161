"""torch.linalg's gaps against PyTorch: matrix_exp, solve_triangular / triangular_solve, cholesky_solve /
cholesky_inverse, the LU family (lu_factor(_ex), lu, lu_unpack, lu_solve, torch.lu), householder_product / orgqr,
vecdot, vander, cond, tensorinv / tensorsolve, the *_ex variants, diagonal; qr's gradient for wide matrices and
det's at singular matrices. Values, dtypes, gradients and second order (check_op), gradcheck, errors."""
import math

import numpy as np
import pytest
import torch

import autograd_lite as al
from autograd_lite.autograd import gradcheck
from op_helpers import check_op

pytestmark = pytest.mark.filterwarnings("ignore:.*(deprecated|arguments reversed).*")


def _eye(lib, x, k=3.0):
    return k * lib.eye(x.shape[-1], dtype=x.dtype)


def _spd(lib, x):
    return x @ x.mT + _eye(lib, x)


def _tri(lib, x, upper=False):
    """A well-conditioned triangular matrix from x (its other triangle left in: the solvers must ignore it)."""
    return x + _eye(lib, x, 4.0 if upper else -4.0)


CASES = {
    "matrix_exp": (lambda lib, x: lib.matrix_exp(x), [(3, 3)]),
    "matrix_exp_batched_scaled": (lambda lib, x: lib.linalg.matrix_exp(x * lib.tensor([[[1.0]], [[5.0]]],
                                                                                       dtype=x.dtype)), [(2, 4, 4)]),
    "matrix_exp_method": (lambda lib, x: x.matrix_exp(), [(1, 2, 2)]),
    "solve_triangular_upper": (lambda lib, a, b: lib.linalg.solve_triangular(_tri(lib, a, True), b, upper=True),
                               [(3, 3), (3, 2)]),
    "solve_triangular_lower_batched": (lambda lib, a, b: lib.linalg.solve_triangular(_tri(lib, a), b, upper=False),
                                       [(2, 3, 3), (3, 2)]),
    "solve_triangular_right": (lambda lib, a, b: lib.linalg.solve_triangular(_tri(lib, a, True), b, upper=True,
                                                                             left=False), [(3, 3), (2, 3)]),
    "solve_triangular_unit_bcast": (lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=False,
                                                                                  unitriangular=True),
                                    [(2, 1, 3, 3), (4, 3, 1)]),
    "triangular_solve": (lambda lib, b, a: lib.triangular_solve(b, _tri(lib, a, True)), [(3, 2), (3, 3)]),
    "triangular_solve_transpose": (lambda lib, b, a: b.triangular_solve(_tri(lib, a), upper=False, transpose=True),
                                   [(2, 3, 2), (3, 3)]),
    "cholesky_solve": (lambda lib, b, x: lib.cholesky_solve(b, lib.linalg.cholesky(_spd(lib, x))),
                       [(3, 2), (3, 3)]),
    "cholesky_solve_upper_batched": (lambda lib, b, x: b.cholesky_solve(lib.linalg.cholesky(_spd(lib, x),
                                                                                            upper=True), upper=True),
                                     [(2, 3, 2), (3, 3)]),
    "cholesky_solve_full_factor": (lambda lib, b, x: lib.cholesky_solve(b, _tri(lib, x)), [(3, 2), (3, 3)]),
    "cholesky_inverse": (lambda lib, x: lib.cholesky_inverse(lib.linalg.cholesky(_spd(lib, x))), [(3, 3)]),
    "cholesky_inverse_upper": (lambda lib, x: x.cholesky_inverse(upper=True), [(2, 3, 3)]),
    "lu_factor": (lambda lib, x: lib.linalg.lu_factor(x), [(4, 4)]),
    "lu_factor_ex_batched": (lambda lib, x: lib.linalg.lu_factor_ex(x), [(2, 3, 3)]),
    "lu_square": (lambda lib, x: lib.linalg.lu(x), [(2, 3, 3)]),
    "lu_wide": (lambda lib, x: lib.linalg.lu(x)[1:], [(3, 5)]),
    "lu_wide_U": (lambda lib, x: lib.linalg.lu(x).U, [(2, 3, 5)]),
    "lu_tall": (lambda lib, x: lib.linalg.lu(x)[1:], [(5, 3)]),
    "lu_tall_L": (lambda lib, x: lib.linalg.lu(x).L, [(5, 3)]),
    "lu_old": (lambda lib, x: lib.lu(x), [(3, 3)]),
    "lu_old_infos": (lambda lib, x: x.lu(get_infos=True), [(2, 3, 3)]),
    "lu_unpack": (lambda lib, x: lib.lu_unpack(*lib.linalg.lu_factor(x)), [(2, 4, 4)]),
    "lu_unpack_wide": (lambda lib, x: lib.lu_unpack(*lib.linalg.lu_factor(x))[1:], [(3, 4)]),
    "lu_solve": (lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b), [(3, 3), (3, 2)]),
    "lu_solve_adjoint_bcast": (lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b, adjoint=True),
                               [(3, 3), (2, 3, 2)]),
    "lu_solve_right": (lambda lib, a, b: lib.linalg.lu_solve(*lib.linalg.lu_factor(a), b, left=False),
                       [(2, 3, 3), (2, 4, 3)]),
    "lu_solve_old": (lambda lib, a, b: lib.lu_solve(b, *lib.lu(a)), [(3, 3), (3, 1)]),
    "householder_product": (lambda lib, a, t: lib.linalg.householder_product(a, t), [(4, 3), (3,)]),
    "householder_product_batched": (lambda lib, a, t: lib.orgqr(a, t), [(2, 4, 3), (2, 2)]),
    "vecdot": (lambda lib, x, y: lib.linalg.vecdot(x, y), [(4, 3), (3,)]),
    "vecdot_dim": (lambda lib, x, y: lib.linalg.vecdot(x, y, dim=0), [(4, 3), (4, 1)]),
    "vander": (lambda lib, x: lib.linalg.vander(x), [(2, 3)]),
    "vander_N": (lambda lib, x: lib.linalg.vander(x, N=5), [(3,)]),
    "cond": (lambda lib, x: lib.linalg.cond(x), [(2, 3, 3)]),
    "cond_rect": (lambda lib, x: lib.linalg.cond(x), [(4, 3)]),
    "cond_minus2": (lambda lib, x: lib.linalg.cond(x, -2), [(3, 3)]),
    "cond_fro": (lambda lib, x: lib.linalg.cond(x, "fro"), [(3, 3)]),
    "cond_nuc": (lambda lib, x: lib.linalg.cond(x, "nuc"), [(3, 3)]),
    "cond_1": (lambda lib, x: lib.linalg.cond(x, 1), [(2, 3, 3)]),
    "cond_inf": (lambda lib, x: lib.linalg.cond(x, -math.inf), [(3, 3)]),
    "tensorinv": (lambda lib, x: lib.linalg.tensorinv(x + lib.eye(6, dtype=x.dtype).reshape(2, 3, 6) * 3, ind=2),
                  [(2, 3, 6)]),
    "tensorsolve": (lambda lib, a, b: lib.linalg.tensorsolve(a + lib.eye(6, dtype=a.dtype).reshape(2, 3, 6) * 3, b),
                    [(2, 3, 6), (2, 3)]),
    "tensorsolve_dims": (lambda lib, a, b: lib.linalg.tensorsolve(a + lib.eye(6, dtype=a.dtype).reshape(6, 2, 3)
                                                                  * 3, b, dims=(0,)), [(6, 2, 3), (2, 3)]),
    "solve_ex": (lambda lib, a, b: lib.linalg.solve_ex(a, b), [(3, 3), (3, 2)]),
    "inv_ex": (lambda lib, a: lib.linalg.inv_ex(a), [(2, 3, 3)]),
    "cholesky_ex": (lambda lib, x: lib.linalg.cholesky_ex(_spd(lib, x), upper=True), [(3, 3)]),
    "diagonal": (lambda lib, x: lib.linalg.diagonal(x, offset=1), [(2, 3, 4)]),
    "qr_wide": (lambda lib, x: lib.linalg.qr(x), [(3, 5)]),
    "qr_wide_batched_R": (lambda lib, x: lib.linalg.qr(x).R, [(2, 2, 4)]),
    "qr_wide_complete_Q": (lambda lib, x: lib.linalg.qr(x, mode="complete").Q, [(3, 4)]),
    "matrix_norm_nuc_batched": (lambda lib, x: lib.linalg.matrix_norm(x, "nuc", keepdim=True), [(2, 3, 4)]),
    "matrix_norm_minus2": (lambda lib, x: lib.linalg.matrix_norm(x, -2, dim=(0, 2)), [(3, 2, 4)]),
    "linalg_cross": (lambda lib, x, y: lib.linalg.cross(x, y), [(2, 3), (2, 3)]),
}


NO_TORCH_GRAD = {"cond_1", "cond_fro", "cond_inf"}      # torch's own backward fails there (inv_ex's in-place write)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_against_torch(name, dtype):
    fn, shapes = CASES[name]
    grad = name not in NO_TORCH_GRAD                    # those have a gradcheck below instead
    check_op(fn, shapes, dtype=dtype, grad=grad, second=dtype == "float64")    # values, dtypes, gradients; second order in float64


GRADCHECK = {
    "matrix_exp": (lambda x: al.matrix_exp(x), [(3, 3)]),
    "solve_triangular": (lambda a, b: al.linalg.solve_triangular(a + 4 * al.eye(3, dtype=a.dtype), b, upper=True),
                         [(3, 3), (3, 2)]),
    "cholesky_solve": (lambda b, x: al.cholesky_solve(b, (x - 4 * al.eye(3, dtype=x.dtype)).tril()),
                       [(3, 2), (3, 3)]),
    "lu_wide": (lambda x: al.linalg.lu(x).U, [(3, 4)]),
    "lu_tall": (lambda x: al.linalg.lu(x).L, [(4, 3)]),
    "householder": (lambda a, t: al.linalg.householder_product(a, t), [(4, 3), (2,)]),
    "qr_wide": (lambda x: al.linalg.qr(x).Q.sum() + al.linalg.qr(x).R, [(3, 5)]),
    "cond_fro": (lambda x: al.linalg.cond(x + 2 * al.eye(3, dtype=x.dtype), "fro"), [(2, 3, 3)]),
    "cond_1": (lambda x: al.linalg.cond(x + 2 * al.eye(3, dtype=x.dtype), 1), [(3, 3)]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK))
def test_gradcheck(name):
    fn, shapes = GRADCHECK[name]
    rng = np.random.default_rng(1)
    inputs = [al.tensor(rng.uniform(-1, 1, s), dtype=al.float64, requires_grad=True) for s in shapes]
    assert gradcheck(fn, inputs)


def test_matrix_exp_known_values_and_large_norms():
    w = al.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=al.float64)
    np.testing.assert_allclose(al.matrix_exp(w * math.pi / 2).numpy(), [[0, -1], [1, 0]], atol=1e-15)
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 5, 5)) * np.array([0.01, 3, 40])[:, None, None]
    np.testing.assert_allclose(al.matrix_exp(al.tensor(a)).numpy(), torch.matrix_exp(torch.tensor(a)).numpy(),
                               rtol=1e-10, atol=1e-12)
    assert al.matrix_exp(al.zeros(0, 0)).shape == (0, 0)
    assert al.matrix_exp(al.eye(2)).dtype == al.float32


def test_lu_factors_and_pivots_as_lapack():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 5, 4))
    ours, ref = al.linalg.lu_factor_ex(al.tensor(a)), torch.linalg.lu_factor_ex(torch.tensor(a))
    np.testing.assert_allclose(ours.LU.numpy(), ref.LU.numpy(), rtol=1e-12, atol=1e-12)
    assert ours.pivots.dtype == al.int32 and ours.info.dtype == al.int32
    np.testing.assert_array_equal(ours.pivots.numpy(), ref.pivots.numpy())
    for m in ([[1.0, 1, 1], [1, 1, 1], [1, 1, 1]], [[0.0, 0], [0, 1]], [[0.0, 1], [0, 0]], [[0.0, 0], [0, 0]]):
        ours, ref = al.linalg.lu_factor_ex(al.tensor(m)), torch.linalg.lu_factor_ex(torch.tensor(m))
        for x, y in zip(ours, ref):
            np.testing.assert_array_equal(x.numpy(), y.numpy())
    P, L, U = al.linalg.lu(al.tensor(a))
    np.testing.assert_allclose((P @ L @ U).numpy(), a, atol=1e-12)
    assert type(al.linalg.lu(al.tensor(a))).__name__ == "linalg_lu"


def test_det_and_slogdet_gradients_at_singular_matrices():
    cases = [([[1.0, 1, 1], [1, 1, 1], [1, 1, 1]], (False, True)), ([[1.0, 2], [2, 4]], (False, True)),
             ([[[1.0, 2], [2, 4]], [[1.0, 2], [3, 4]]], (False, True)),
             ([[1.0, 2, 3], [2, 4, 6], [0, 1, 5]], (True,))]     # rounding leaves det 3e-16 or 0 there: first order
    for m, modes in cases:                                          # is then 0 or d A^-T, huge
        for create_graph in modes:
            grads = []
            for lib in (torch, al):
                a = lib.tensor(m, dtype=lib.float64, requires_grad=True)
                g, = lib.autograd.grad(lib.linalg.det(a).sum(), a, create_graph=create_graph)
                second = lib.autograd.grad((g * g).sum(), a)[0] if create_graph else g
                grads.append((g.detach().numpy(), second.numpy()))
            for x, y in zip(*grads):
                assert np.isfinite(y).all()
                # torch's is nan where its LAPACK returns two singular values of exactly 0 (0/0 in its SVD backward;
                # which LAPACK, which CPU): ours is the limit, 0 (sum(adj(A)^2) is flat at a rank-1 A)
                np.testing.assert_allclose(x if np.isfinite(x).all() else np.zeros_like(x), y, rtol=1e-10, atol=1e-10)
    for lib in (torch, al):          # log |det| is not differentiable there: inf and nan, not an error
        a = lib.ones(3, 3, dtype=lib.float64, requires_grad=True)
        lib.linalg.slogdet(a).logabsdet.backward()
        assert not np.isfinite(a.grad.numpy()).any()


def test_ex_variants_report_info_instead_of_raising():
    singular = [[[1.0, 0], [0, 1]], [[1.0, 1], [1, 1]]]
    for lib in (torch, al):
        inv, info = lib.linalg.inv_ex(lib.tensor(singular))
        assert info.tolist() == [0, 2] and info.dtype == lib.int32
        np.testing.assert_allclose(inv[0].numpy(), np.eye(2))
        assert not np.isfinite(inv[1].numpy()).all()
        x, info = lib.linalg.solve_ex(lib.tensor(singular), lib.ones(2, 2))
        assert info.tolist() == [0, 2] and not np.isfinite(x[1].numpy()).all()
        L, info = lib.linalg.cholesky_ex(lib.tensor([[1.0, 2.0], [2.0, 1.0]]))
        assert info.item() == 2
        np.testing.assert_allclose(L.numpy(), [[1, 0], [2, -3]])
        LU, piv, info = lib.linalg.lu_factor_ex(lib.tensor(singular))
        assert info.tolist() == [0, 2]
    assert al.linalg.inv_ex(al.eye(2)).info.shape == () and type(al.linalg.inv_ex(al.eye(2))).__name__ == \
        "linalg_inv_ex"


def test_solvers_agree_with_each_other():
    rng = np.random.default_rng(2)
    a = al.tensor(rng.normal(size=(2, 4, 4)))
    b = al.tensor(rng.normal(size=(2, 4, 3)))
    spd = a @ a.mT + 4 * al.eye(4, dtype=al.float64)
    x = al.linalg.solve(spd, b)
    L = al.linalg.cholesky(spd)
    np.testing.assert_allclose(al.cholesky_solve(b, L).numpy(), x.numpy(), rtol=1e-10)
    np.testing.assert_allclose(al.cholesky_inverse(L).numpy(), al.linalg.inv(spd).numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(al.linalg.lu_solve(*al.linalg.lu_factor(spd), b).numpy(), x.numpy(), rtol=1e-10)
    sol, coef = al.triangular_solve(b, L, upper=False)
    np.testing.assert_allclose((L @ sol).numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    assert al.equal(coef, L) and type(al.triangular_solve(b, L)).__name__ == "triangular_solve"
    # a zero on the diagonal: inf and nan, as BLAS, not an error
    z = al.linalg.solve_triangular(al.tensor([[1.0, 2.0], [0.0, 0.0]]), al.ones(2, 1), upper=True)
    assert not np.isfinite(z.numpy()).all()
    # the result has A's dtype, as PyTorch
    assert al.linalg.solve_triangular(al.eye(2), al.ones(2, 1, dtype=al.float64), upper=True).dtype == al.float32


@pytest.mark.parametrize("p", ["fro", "nuc", 1, -1, math.inf, -math.inf, 2, None])
def test_cond_of_singular_matrices(p):
    vals = []
    for lib in (torch, al):
        x = lib.stack([lib.zeros(2, 2), lib.tensor([[1.0, 2], [2, 4]]), lib.tensor([[2.0, 1], [1, 3]])])
        vals.append(lib.linalg.cond(x, p).numpy())
    ours, ref = vals
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    big = (ref > 1e6) | ~np.isfinite(ref)           # singular to rounding: huge or inf in both
    np.testing.assert_array_equal((ours > 1e6) | ~np.isfinite(ours), big)
    np.testing.assert_allclose(ours[~big & ~np.isnan(ref)], ref[~big & ~np.isnan(ref)], rtol=1e-5)


def test_lu_unpack_parts_and_eig_absence():
    LU, piv = al.linalg.lu_factor(al.tensor([[1.0, 2.0], [3.0, 4.0]]))
    P, L, U = al.lu_unpack(LU, piv, unpack_data=False)
    assert L.shape == (0,) and U.shape == (0,) and P.shape == (2, 2)
    P, L, U = al.lu_unpack(LU, piv, unpack_pivots=False)
    assert P.shape == (0,) and type(al.lu_unpack(LU, piv)).__name__ == "lu_unpack"
    assert callable(al.linalg.eig) and callable(al.linalg.eigvals)      # complex results: tests/test_complex.py


@pytest.mark.parametrize("call, exc, match", [
    (lambda lib: lib.matrix_exp(lib.ones(2, 3)), RuntimeError,
     r"^linalg.matrix_exp: A must be batches of square matrices, but they are 2 by 3 matrices$"),
    (lambda lib: lib.matrix_exp(lib.ones(3)), RuntimeError,
     r"^linalg.matrix_exp: The input tensor A must have at least 2 dimensions.$"),
    (lambda lib: lib.matrix_exp(lib.ones(2, 2, dtype=lib.int64)), RuntimeError,
     r"^linalg.matrix_exp: Expected a floating point or complex tensor as input. Got Long$"),
    (lambda lib: lib.linalg.solve_triangular(lib.ones(3, 4), lib.ones(3, 2), upper=True), RuntimeError,
     r"^linalg.solve_triangular: A must be batches of square matrices, but they are 3 by 4 matrices$"),
    (lambda lib: lib.linalg.solve_triangular(lib.eye(3), lib.ones(4, 2), upper=True), RuntimeError,
     r"^linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B \(3x3 and 4x2\)$"),
    (lambda lib: lib.linalg.solve_triangular(lib.eye(3), lib.ones(3), upper=True), RuntimeError,
     r"^linalg.solve_triangular: The input tensor B must have at least 2 dimensions.$"),
    (lambda lib: lib.linalg.solve_triangular(lib.eye(3), lib.ones(3, 1)), TypeError, "upper"),
    (lambda lib: lib.linalg.solve_triangular(lib.eye(3).expand(2, 3, 3), lib.ones(3, 3, 2), upper=True), RuntimeError,
     r"^The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 0$"),
    (lambda lib: lib.linalg.solve_triangular(lib.eye(2, dtype=lib.float16), lib.ones(2, 1, dtype=lib.float16),
                                             upper=True), NotImplementedError,
     "\"triangular_solve_cpu\" not implemented for 'Half'"),
    (lambda lib: lib.cholesky_solve(lib.ones(3, 3, 2), lib.eye(3).expand(2, 3, 3)), RuntimeError,
     r"^The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 0$"),
    (lambda lib: lib.cholesky_solve(lib.ones(4, 2), lib.eye(3)), RuntimeError,
     r"^Incompatible matrix sizes for cholesky_solve: each A matrix is 3 by 3 but each b matrix is 4 by 2$"),
    (lambda lib: lib.cholesky_solve(lib.ones(3, 2, dtype=lib.float64), lib.eye(3)), RuntimeError,
     r"^Expected b and A to have the same dtype, but found b of type Double and A of type Float instead.$"),
    (lambda lib: lib.cholesky_inverse(lib.ones(3, 4)), RuntimeError,
     r"^cholesky_inverse: A must be batches of square matrices, but they are 3 by 4 matrices$"),
    (lambda lib: lib.cholesky_inverse(lib.stack([lib.eye(3), lib.zeros(3, 3)])), RuntimeError,
     r"^cholesky_inverse: \(Batch element 1\): The diagonal element 1 is zero, the inversion could not be completed "
     r"because the input matrix is singular.$"),
    (lambda lib: lib.linalg.lu_factor(lib.zeros(2, 3, 3)), RuntimeError,
     r"^torch.linalg.lu_factor: \(Batch element 0\): U\[1,1\] is zero and using it on lu_solve would result in a "
     r"division by zero. If you still want to perform the factorization, consider calling linalg.lu\(A, pivot\) or "
     r"linalg.lu_factor_ex\(A, pivot\)$"),
    (lambda lib: lib.linalg.lu_factor(lib.ones(3, 3)), RuntimeError, r"^torch.linalg.lu_factor: U\[2,2\] is zero"),
    (lambda lib: lib.linalg.lu_factor(lib.eye(3), pivot=False), RuntimeError,
     r"^linalg.lu_factor: LU without pivoting is not implemented on the CPU$"),
    (lambda lib: lib.linalg.lu(lib.ones(3)), RuntimeError,
     r"^linalg.lu: Expected tensor with 2 or more dimensions. Got size: \[3\] instead$"),
    (lambda lib: lib.linalg.lu_factor(lib.ones(3, 3, dtype=lib.int64)), NotImplementedError,
     "\"lu_cpu\" not implemented for 'Long'"),
    (lambda lib: lib.lu_unpack(lib.eye(3), lib.tensor([4, 2, 3], dtype=lib.int32)), RuntimeError,
     r"^pivots passed to lu_unpack must be between 1 and LU.size\(-2\) inclusive"),
    (lambda lib: lib.lu_unpack(lib.eye(3), lib.tensor([1, 2, 3])), RuntimeError,
     r"^torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype."),
    (lambda lib: lib.linalg.lu_solve(*lib.linalg.lu_factor(lib.eye(3)), lib.ones(4, 2)), RuntimeError,
     r"^linalg.lu_solve: Incompatible shapes of A and B for the equation AX = B \(3x3 and 4x2\)$"),
    (lambda lib: lib.linalg.lu_solve(*lib.linalg.lu_factor(lib.eye(3)), lib.ones(2, 4), left=False), RuntimeError,
     r"^linalg.lu_solve: Incompatible shapes of A and B for the equation XA = B \(3x3 and 2x4\)$"),
    (lambda lib: lib.linalg.householder_product(lib.ones(3, 4), lib.ones(2)), RuntimeError,
     r"^torch.linalg.householder_product: input.shape\[-2\] must be greater than or equal to input.shape\[-1\]$"),
    (lambda lib: lib.linalg.householder_product(lib.ones(4, 3), lib.ones(4)), RuntimeError,
     r"^torch.linalg.householder_product: input.shape\[-1\] must be greater than or equal to tau.shape\[-1\]$"),
    (lambda lib: lib.linalg.householder_product(lib.ones(4, 3), lib.ones(3, dtype=lib.float64)), RuntimeError,
     r"^torch.linalg.householder_product: tau dtype Double does not match input dtype Float$"),
    (lambda lib: lib.linalg.vecdot(lib.ones(4, 3), lib.ones(3, dtype=lib.float64)), RuntimeError,
     r"^linalg.vecdot: Expected x and y to have the same dtype, but found x of type Float and y of type Double"),
    (lambda lib: lib.linalg.vecdot(lib.ones(3, dtype=lib.int64), lib.ones(3, dtype=lib.int64)), RuntimeError,
     r"^linalg.vecdot: Expected a floating point or complex tensor as input. Got Long$"),
    (lambda lib: lib.linalg.vander(lib.ones(3), N=1), RuntimeError, r"^N must be greater than 1.$"),
    (lambda lib: lib.linalg.cond(lib.ones(3)), RuntimeError,
     r"^linalg.cond: The input tensor must have at least 2 dimensions.$"),
    (lambda lib: lib.linalg.cond(lib.ones(3, 4), "fro"), RuntimeError,
     r"^linalg.cond\(ord=fro\): A must be batches of square matrices, but they are 3 by 4 matrices$"),
    (lambda lib: lib.linalg.cond(lib.eye(3), 3), RuntimeError, r"^linalg.cond got an invalid norm type: 3$"),
    (lambda lib: lib.linalg.tensorinv(lib.ones(4, 6, 8, 3), ind=0), RuntimeError,
     r"^Expected a strictly positive integer for 'ind', but got 0$"),
    (lambda lib: lib.linalg.tensorsolve(lib.ones(6, 4, 8, 3), lib.ones(6, 5)), RuntimeError,
     r"^Expected self to satisfy the requirement prod\(self.shape\[other.ndim:\]\) == "
     r"prod\(self.shape\[:other.ndim\]\), but got 24 != 30$"),
    (lambda lib: lib.linalg.inv_ex(lib.zeros(3, 3), check_errors=True), RuntimeError,
     r"^linalg.inv_ex: The diagonal element 1 is zero, the inversion could not be completed because the input "
     r"matrix is singular.$"),
    (lambda lib: lib.linalg.cholesky_ex(lib.zeros(3, 3), check_errors=True), RuntimeError,
     r"^linalg.cholesky_ex: The factorization could not be completed because the input is not positive-definite "
     r"\(the leading minor of order 1 is not positive-definite\).$"),
    (lambda lib: lib.linalg.solve_ex(lib.zeros(3, 3), lib.ones(3), check_errors=True), RuntimeError,
     r"^torch.linalg.solve_ex: The solver failed because the input matrix is singular.$"),
])
def test_errors_as_torch(call, exc, match):
    for lib in (torch, al):
        with pytest.raises(exc, match=match):
            call(lib)


def test_singular_solver_errors_are_linalg_errors():
    for call in (lambda: al.cholesky_inverse(al.zeros(2, 2)),
                 lambda: al.linalg.inv_ex(al.zeros(2, 2), check_errors=True)):
        with pytest.raises(al.linalg.LinAlgError):
            call()


def test_on_each_device(device):
    rng = np.random.default_rng(3)
    a = rng.normal(size=(2, 3, 3))
    b = rng.normal(size=(2, 3, 2))
    ours = [al.tensor(a, device=device, requires_grad=True), al.tensor(b, device=device, requires_grad=True)]
    ref = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
    outs = []
    for lib, (x, y) in ((torch, ref), (al, ours)):
        eye = lib.eye(3, dtype=x.dtype, device=x.device)
        out = (lib.matrix_exp(x).sum() + lib.linalg.solve_triangular(x + 4 * eye, y, upper=True).sum()
               + lib.linalg.lu_solve(*lib.linalg.lu_factor(x), y).sum() + lib.linalg.lu(x).U.sum()
               + lib.linalg.qr(x[..., :2, :]).R.sum())
        out.backward()
        outs.append(out)
    assert ours[0].grad.device == al.device(device)
    np.testing.assert_allclose(outs[1].item(), outs[0].item(), rtol=1e-10)
    for x, y in zip(ours, ref):
        np.testing.assert_allclose(x.grad.cpu().numpy(), y.grad.numpy(), rtol=1e-9, atol=1e-10)


# ---- the CPU kernels against the array-module formulas (ops/_triangular.py) ----------------------------------

@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cpu_kernels_match_the_array_formulas(parallel, dtype):
    from autograd_lite.kernels.cpu import _jit, linalg as K
    from autograd_lite.ops import _triangular as tri
    rng = np.random.default_rng(4)
    with _jit.forced(parallel):
        for shape, k in (((3, 5, 5), 2), ((2, 150, 150), 3), ((1, 1), 1), ((4, 0, 0), 2)):
            n = shape[-1]
            a = (rng.normal(size=shape) / max(n, 1) + 2 * np.eye(n)).astype(dtype)
            b = rng.normal(size=shape[:-1] + (k,)).astype(dtype)
            for upper in (False, True):
                for unit in (False, True):
                    want = tri.tri_solve_xp(a, b, upper, unit)
                    got = K.tri_solve(a, b, upper, unit)
                    assert got.dtype == a.dtype and got.shape == want.shape
                    np.testing.assert_allclose(got, want, rtol=2e-4 if dtype == "float32" else 1e-10, atol=1e-5)
        for shape in ((3, 6, 6), (2, 4, 7), (5, 3), (2, 0, 3)):
            a = rng.normal(size=shape).astype(dtype)
            if shape[-2] > 1:
                a[..., 1, :] = 0                # a zero row: a zero pivot on the way
            want, got = tri.getrf_xp(a), K.lu_factor(a)
            np.testing.assert_allclose(got[0], want[0], rtol=1e-4 if dtype == "float32" else 1e-12, atol=1e-6)
            for x, y in zip(got[1:], want[1:]):
                assert x.dtype == np.int32 and x.shape == y.shape
                np.testing.assert_array_equal(x, y)
            np.testing.assert_array_equal(K.lu_permutation(got[1], shape[-2]), tri.permutation_xp(got[1], shape[-2]))
    singular = np.array([[1.0, 2.0], [0.0, 0.0]], dtype)
    ones = np.ones((2, 1), dtype)
    for x in (tri.tri_solve_xp(singular, ones, True), K.tri_solve(singular, ones, True, False)):
        assert not np.isfinite(x).all()         # inf and nan, as BLAS, not an error


def test_pivots_from_user_data_are_checked():
    with pytest.raises(RuntimeError, match="pivots passed to lu_unpack must be between 1 and LU.size"):
        al.linalg.lu_solve(al.eye(3), al.tensor([1, 9, 3], dtype=al.int32), al.ones(3, 1))
    with pytest.raises(RuntimeError, match="pivots passed to lu_unpack must be between 1 and LU.size"):
        al.lu_unpack(al.eye(3), al.tensor([0, 2, 3], dtype=al.int32))
