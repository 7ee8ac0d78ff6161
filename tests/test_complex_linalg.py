"""torch.linalg (and its top-level aliases) on complex input, against PyTorch: values, dtypes, PyTorch's conjugate
Wirtinger gradients in complex64, second derivatives in complex128, the phase (gauge) errors of svd / eigh, and the
LAPACK conventions torch's results follow (pivoting by |Re| + |Im|, potri's diagonal, sytrf / hetrf)."""
import numpy as np
import pytest
import torch

import autograd_lite as al
from complex_helpers import check_complex

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated:UserWarning")     # torch.qr, nuclear_norm, ...


def _herm(L, z):
    """A Hermitian positive-definite matrix made of z."""
    n = z.shape[-1]
    return z @ z.mH + n * L.eye(n, dtype=z.dtype, device=z.device)


def _shift(L, z, k=3.0):
    return z + k * L.eye(z.shape[-1], dtype=z.dtype, device=z.device)


# name -> (fn(lib, *inputs), input shapes); every output is a phase-invariant function of the inputs
CASES = {
    "inv": (lambda L, z: L.linalg.inv(z), [(3, 3)]),
    "inverse": (lambda L, z: z.inverse(), [(2, 3, 3)]),
    "det": (lambda L, z: L.linalg.det(z), [(2, 3, 3)]),
    "det_singular": (lambda L, z: L.det(z[:, :1] @ z[:1, :]), [(3, 3)]),
    "slogdet_sign": (lambda L, z: L.linalg.slogdet(z)[0], [(3, 3)]),
    "slogdet_logabsdet": (lambda L, z: L.linalg.slogdet(z)[1], [(2, 3, 3)]),
    "slogdet_top": (lambda L, z: L.slogdet(z)[0] * L.slogdet(z)[1], [(3, 3)]),
    "logdet": (lambda L, z: L.logdet(z), [(3, 3)]),
    "solve": (lambda L, a, b: L.linalg.solve(a, b), [(3, 3), (3, 2)]),
    "solve_left_false": (lambda L, a, b: L.linalg.solve(a, b, left=False), [(3, 3), (2, 3)]),
    "solve_ex": (lambda L, a, b: L.linalg.solve_ex(a, b)[0], [(3, 3), (3,)]),
    "inv_ex": (lambda L, z: L.linalg.inv_ex(z)[0], [(3, 3)]),
    "tensorinv": (lambda L, z: L.linalg.tensorinv(z, ind=1), [(4, 2, 2)]),
    "tensorsolve": (lambda L, a, b: L.linalg.tensorsolve(a, b), [(2, 2, 4), (2, 2)]),
    "cholesky": (lambda L, z: L.linalg.cholesky(_herm(L, z)), [(3, 3)]),
    "cholesky_upper": (lambda L, z: L.linalg.cholesky(_herm(L, z), upper=True), [(3, 3)]),
    "cholesky_ex": (lambda L, z: L.linalg.cholesky_ex(_herm(L, z))[0], [(2, 3, 3)]),
    "cholesky_solve": (lambda L, b, z: L.cholesky_solve(b, L.linalg.cholesky(_herm(L, z))), [(3, 2), (3, 3)]),
    "cholesky_solve_lower": (lambda L, b, z: L.cholesky_solve(b, L.tril(_shift(L, z))), [(3, 2), (3, 3)]),
    "cholesky_solve_upper": (lambda L, b, z: L.cholesky_solve(b, L.triu(_shift(L, z)), upper=True),
                             [(3, 2), (3, 3)]),
    "cholesky_inverse": (lambda L, z: L.cholesky_inverse(L.linalg.cholesky(_herm(L, z))), [(3, 3)]),
    "cholesky_inverse_upper": (lambda L, z: L.cholesky_inverse(L.linalg.cholesky(_herm(L, z), upper=True),
                                                               upper=True), [(3, 3)]),
    "eigvalsh": (lambda L, z: L.linalg.eigvalsh(_herm(L, z)), [(3, 3)]),
    "eigh_moduli": (lambda L, z: (lambda V: V * V.conj())(L.linalg.eigh(_herm(L, z))[1]), [(3, 3)]),
    "eigh_function": (lambda L, z: (lambda r: (r[1] * r[0].exp().unsqueeze(-2)) @ r[1].mH)(
        L.linalg.eigh(_herm(L, z) * 0.1)), [(3, 3)]),
    "svdvals": (lambda L, z: L.linalg.svdvals(z), [(3, 4)]),
    "svd_polar": (lambda L, z: (lambda r: r.U @ r.Vh)(L.linalg.svd(z)), [(3, 3)]),
    "svd_tall": (lambda L, z: (lambda r: (r.U * r.S.unsqueeze(-2)) @ r.Vh + r.U @ r.Vh[..., :2] * 1j)(
        L.linalg.svd(z, full_matrices=False)), [(4, 2)]),
    "svd_wide": (lambda L, z: (lambda r: r.U.abs() + r.U @ r.Vh[..., :2])(L.linalg.svd(z, full_matrices=False)),
                 [(2, 4)]),
    "svd_old": (lambda L, z: (lambda r: r.U @ r.V.mH * r.S.sum())(L.svd(z)), [(3, 3)]),
    "qr_Q": (lambda L, z: L.linalg.qr(z).Q, [(4, 3)]),
    "qr_R": (lambda L, z: L.linalg.qr(z).R, [(3, 3)]),
    "qr_wide": (lambda L, z: (lambda r: r.Q @ r.R + r.R * 2j)(L.linalg.qr(z)), [(2, 4)]),
    "qr_top": (lambda L, z: L.qr(z)[0], [(2, 3, 2)]),
    "pinv": (lambda L, z: L.linalg.pinv(z), [(3, 4)]),
    "pinv_tall": (lambda L, z: L.pinverse(z), [(4, 2)]),
    "pinv_hermitian": (lambda L, z: L.linalg.pinv(_herm(L, z), hermitian=True), [(3, 3)]),
    "lstsq": (lambda L, a, b: L.linalg.lstsq(a, b).solution, [(4, 3), (4, 2)]),
    "matrix_norm_fro": (lambda L, z: L.linalg.matrix_norm(z), [(3, 4)]),
    "matrix_norm_nuc": (lambda L, z: L.linalg.matrix_norm(z, "nuc"), [(3, 4)]),
    "matrix_norm_2": (lambda L, z: L.linalg.matrix_norm(z, 2), [(3, 4)]),
    "matrix_norm_inf": (lambda L, z: L.linalg.matrix_norm(z, float("inf")), [(3, 4)]),
    "norm_nuc": (lambda L, z: L.nuclear_norm(z), [(3, 3)]),
    "linalg_norm": (lambda L, z: L.linalg.norm(z, 1), [(3, 4)]),
    "vector_norm": (lambda L, z: L.linalg.vector_norm(z, 3, dim=1), [(3, 4)]),
    "cond": (lambda L, z: L.linalg.cond(z), [(3, 3)]),
    "solve_triangular": (lambda L, a, b: L.linalg.solve_triangular(_shift(L, a), b, upper=True), [(3, 3), (3, 2)]),
    "solve_triangular_right_unit": (lambda L, a, b: L.linalg.solve_triangular(a, b, upper=False, left=False,
                                                                              unitriangular=True), [(3, 3), (2, 3)]),
    "triangular_solve": (lambda L, b, a: L.triangular_solve(b, _shift(L, a), upper=False, transpose=True)[0],
                         [(3, 2), (3, 3)]),
    "lu_factor": (lambda L, z: L.linalg.lu_factor(z).LU, [(3, 3)]),
    "lu_factor_wide": (lambda L, z: L.linalg.lu_factor_ex(z).LU, [(2, 4)]),
    "lu_factor_tall": (lambda L, z: L.linalg.lu_factor(z).LU, [(4, 2)]),
    "lu": (lambda L, z: (lambda r: r.L @ r.U)(L.linalg.lu(z)), [(4, 4)]),
    "lu_solve": (lambda L, z, b: L.linalg.lu_solve(*L.linalg.lu_factor(z), b), [(3, 3), (3, 2)]),
    "lu_solve_adjoint": (lambda L, z, b: L.linalg.lu_solve(*L.linalg.lu_factor(z), b, adjoint=True),
                         [(3, 3), (3, 2)]),
    "lu_solve_right": (lambda L, z, b: L.linalg.lu_solve(*L.linalg.lu_factor(z), b, left=False), [(3, 3), (2, 3)]),
    "lu_solve_right_adjoint": (lambda L, z, b: L.linalg.lu_solve(*L.linalg.lu_factor(z), b, left=False,
                                                                 adjoint=True), [(3, 3), (2, 3)]),
    "lu_unpack": (lambda L, z: L.lu_unpack(*L.linalg.lu_factor(z))[2], [(3, 3)]),
    "matrix_exp": (lambda L, z: L.linalg.matrix_exp(z), [(3, 3)]),
    "matrix_exp_batch": (lambda L, z: L.matrix_exp(z * 3), [(2, 3, 3)]),
    "matrix_power": (lambda L, z: L.linalg.matrix_power(z, -2), [(3, 3)]),
    "householder_product": (lambda L, a, t: L.linalg.householder_product(a, t), [(4, 3), (2,)]),
    "vecdot": (lambda L, a, b: L.linalg.vecdot(a, b), [(3, 4), (3, 4)]),
    "multi_dot": (lambda L, a, b, c: L.linalg.multi_dot([a, b, c]), [(2, 3), (3, 4), (4, 2)]),
    "cross": (lambda L, a, b: L.linalg.cross(a, b), [(2, 3), (2, 3)]),
    # batches
    "svd_batch": (lambda L, z: (lambda r: r.U @ r.Vh + r.S.unsqueeze(-1))(L.linalg.svd(z, full_matrices=False)),
                  [(2, 3, 4)]),
    "eigh_batch": (lambda L, z: (lambda r: (r[1] * r[0].unsqueeze(-2)) @ r[1].mH)(L.linalg.eigh(_herm(L, z))),
                   [(2, 3, 3)]),
    "qr_batch": (lambda L, z: L.linalg.qr(z).Q, [(2, 4, 3)]),
    "lu_solve_batch": (lambda L, z, b: L.linalg.lu_solve(*L.linalg.lu_factor(z), b, adjoint=True),
                       [(2, 3, 3), (2, 3, 2)]),
    "householder_batch": (lambda L, a, t: L.linalg.householder_product(a, t), [(2, 4, 3), (2, 3)]),
    "lstsq_batch": (lambda L, a, b: L.linalg.lstsq(a, b).solution, [(2, 4, 3), (2, 4, 2)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients(name):
    fn, shapes = CASES[name]
    check_complex(fn, shapes, second=False)


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_order(name):
    fn, shapes = CASES[name]
    check_complex(fn, shapes, dtype="float64")


# ---- ops on a Hermitian leaf (the gradient as torch gives it, not symmetrized by a composition) -------------------

def _hermitian(n, seed, dtype=np.complex128):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    return (z @ z.conj().T + n * np.eye(n)).astype(dtype)


def _grads(fn, a, seed=5):
    """fn(lib, leaf) for both libraries with a real loss weighted by random complex w: (outputs, gradients)."""
    out = []
    for lib in (torch, al):
        x = lib.tensor(a, requires_grad=True)
        y = fn(lib, x)
        w = np.random.default_rng(seed).standard_normal(tuple(y.shape)) * (1 + 0.5j)
        w = w.astype(a.dtype) if y.is_complex() else w.real.astype(y.detach().numpy().dtype)
        loss = (y * lib.tensor(w)).real.sum()
        loss.backward()
        out.append((y.detach().numpy(), x.grad.numpy()))
    return out


@pytest.mark.parametrize("fn", [
    lambda L, x: L.linalg.cholesky(x),
    lambda L, x: L.linalg.cholesky(x, upper=True),
    lambda L, x: L.linalg.cholesky_ex(x).L,
    lambda L, x: L.linalg.eigvalsh(x),
    lambda L, x: L.linalg.eigh(x, UPLO="U").eigenvalues,
    lambda L, x: L.linalg.eigh(x)[1].abs(),
    lambda L, x: L.linalg.pinv(x, hermitian=True),
], ids=["cholesky", "cholesky_upper", "cholesky_ex", "eigvalsh", "eigh_U", "eigh_abs", "pinv_hermitian"])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_hermitian_leaf(fn, dtype):
    (t_out, t_grad), (a_out, a_grad) = _grads(fn, _hermitian(4, 1, dtype))
    assert a_out.dtype == t_out.dtype and a_grad.dtype == t_grad.dtype
    tol = 2e-4 if dtype == np.complex64 else 1e-10
    np.testing.assert_allclose(a_out, t_out, rtol=tol, atol=tol)
    np.testing.assert_allclose(a_grad, t_grad, rtol=tol, atol=tol)


def test_cholesky_ex_not_positive_definite_is_differentiable():
    """torch's factor of a matrix that is not positive-definite (as potf2 leaves it) carries cholesky's gradient."""
    a = _hermitian(4, 2)
    a[2, 2] = -30
    (t_out, t_grad), (a_out, a_grad) = _grads(lambda L, x: L.linalg.cholesky_ex(x).L, a)
    np.testing.assert_allclose(a_out, t_out, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(a_grad, t_grad, rtol=1e-9, atol=1e-9)
    assert al.linalg.cholesky_ex(al.tensor(a)).info.item() == torch.linalg.cholesky_ex(torch.tensor(a)).info.item()


def test_eigh_vectors_up_to_phase():
    """Eigenvector phases are LAPACK's choice (torch: MKL, ours: NumPy's OpenBLAS): equal up to a unit factor per
    column; the first row is real in both."""
    a = _hermitian(5, 3)
    tl, tv = (t.numpy() for t in torch.linalg.eigh(torch.tensor(a)))
    al_l, al_v = (t.numpy() for t in al.linalg.eigh(al.tensor(a)))
    assert al_l.dtype == np.float64 and al_v.dtype == np.complex128
    np.testing.assert_allclose(al_l, tl, rtol=1e-10)
    phase = (tv.conj() * al_v).sum(0)
    np.testing.assert_allclose(np.abs(phase), 1, rtol=1e-10)
    np.testing.assert_allclose(al_v, tv * phase, atol=1e-10)
    np.testing.assert_allclose(al_v[0].imag, 0, atol=1e-12)


# ---- the phase (gauge) errors ---------------------------------------------------------------------------------

_GAUGE = [
    ("svd U", lambda L, x: L.linalg.svd(x).U.real.sum(), "svd_backward: The singular vectors in the complex case"),
    ("svd Vh", lambda L, x: L.linalg.svd(x, full_matrices=False).Vh.imag.sum(), "svd_backward: The singular vectors"),
    ("torch.svd V", lambda L, x: L.svd(x).V.real.sum(), "depends on this phase term, making it ill-defined"),
    ("eigh V", lambda L, x: L.linalg.eigh(x @ x.mH).eigenvectors.real.sum(),
     "linalg_eigh_backward: The eigenvectors in the complex case are specified up to multiplication by e\\^{i phi}"),
]


@pytest.mark.parametrize("what, fn, match", _GAUGE, ids=[g[0] for g in _GAUGE])
def test_phase_dependent_loss_raises_as_torch(what, fn, match):
    a = (np.arange(9).reshape(3, 3) % 4 + 1j * np.eye(3) + 0.5j).astype(np.complex64)
    for lib in (torch, al):
        x = lib.tensor(a, requires_grad=True)
        with pytest.raises(RuntimeError, match=match):
            fn(lib, x).backward()


def test_phase_invariant_losses_pass_the_check():
    """|U|, U Vh and S depend on no phase: both libraries differentiate them, to the same gradient."""
    k = np.arange(12).reshape(3, 4)
    a = (k % 5 + 1j * (k % 3) + 0.5).astype(np.complex128)
    fn = lambda L, x: (lambda r: r.U.abs().sum() + (r.U @ r.Vh[:, :3]).real.sum() + r.S.sum())(  # noqa: E731
        L.linalg.svd(x, full_matrices=False))
    grads = []
    for lib in (torch, al):
        x = lib.tensor(a, requires_grad=True)
        fn(lib, x).backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-9, atol=1e-9)


# ---- LAPACK's conventions --------------------------------------------------------------------------------------

def test_lu_pivots_by_re_plus_im():
    """getrf pivots on |Re| + |Im| (izamax), not the modulus: 2 + 2j (4 > 3) is chosen over 3 (modulus 3 > 2.83)."""
    a = np.array([[3, 1], [2 + 2j, 1j]], np.complex64)
    t = torch.linalg.lu_factor(torch.tensor(a))
    ours = al.linalg.lu_factor(al.tensor(a))
    np.testing.assert_array_equal(ours.pivots.numpy(), t.pivots.numpy())
    assert ours.pivots.numpy().tolist() == [2, 2]
    np.testing.assert_allclose(ours.LU.numpy(), t.LU.numpy(), rtol=1e-6)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_follows_potri(upper):
    """A factor with a complex diagonal (no Cholesky factor has one): torch returns what LAPACK's potri computes."""
    rng = np.random.default_rng(4)
    f = (rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3)) + 3 * np.eye(3)).astype(np.complex64)
    (t_out, t_grad), (a_out, a_grad) = _grads(lambda L, x: L.cholesky_inverse(x, upper=upper), f)
    np.testing.assert_allclose(a_out, t_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a_grad, t_grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("hermitian", [False, True])
def test_ldl_factor_and_solve(hermitian):
    rng = np.random.default_rng(6)
    for n in (1, 3, 5):
        a = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
        a[rng.random((n, n)) < 0.3] = 0
        a = a + a.conj().T if hermitian else a
        a[0, 0] = 0.01                          # a small first pivot: 2x2 blocks
        b = rng.standard_normal((n, 2)) + 1j * rng.standard_normal((n, 2))
        t = torch.linalg.ldl_factor_ex(torch.tensor(a), hermitian=hermitian)
        ours = al.linalg.ldl_factor_ex(al.tensor(a), hermitian=hermitian)
        np.testing.assert_array_equal(ours.pivots.numpy(), t.pivots.numpy())
        np.testing.assert_allclose(ours.LD.numpy(), t.LD.numpy(), rtol=1e-10, atol=1e-12)
        assert ours.info.item() == t.info.item() == 0
        x_t = torch.linalg.ldl_solve(t.LD, t.pivots, torch.tensor(b), hermitian=hermitian)
        x_a = al.linalg.ldl_solve(ours.LD, ours.pivots, al.tensor(b), hermitian=hermitian)
        np.testing.assert_allclose(x_a.numpy(), x_t.numpy(), rtol=1e-9, atol=1e-10)


def test_output_dtypes():
    z = (np.eye(3) * (1 + 1j) + 0.5).astype(np.complex64)
    b = np.ones((3, 2), np.complex64)
    for fn in (lambda L: L.linalg.lstsq(L.tensor(z), L.tensor(b)),
               lambda L: L.linalg.slogdet(L.tensor(z)),
               lambda L: L.linalg.eigh(L.tensor(z)),
               lambda L: L.linalg.svd(L.tensor(z)),
               lambda L: (L.linalg.matrix_rank(L.tensor(z)), L.linalg.matrix_norm(L.tensor(z), "nuc"),
                          L.linalg.cond(L.tensor(z)), L.linalg.lu(L.tensor(z)).P)):
        ours, theirs = fn(al), fn(torch)
        assert [str(t.dtype).split(".")[1] for t in ours] == [str(t.dtype).split(".")[1] for t in theirs]
        assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in theirs]


@pytest.mark.parametrize("fn", [
    lambda L, x, dt: L.linalg.vector_norm(x, dtype=dt),
    lambda L, x, dt: L.linalg.matrix_norm(x, dtype=dt),
    lambda L, x, dt: L.linalg.matrix_norm(x, "nuc", dtype=dt),
    lambda L, x, dt: L.linalg.norm(x, dtype=dt),
], ids=["vector_norm", "matrix_norm", "nuclear", "norm"])
def test_norm_dtype_argument(fn):
    """A complex input takes a complex dtype (the result is its real dtype); a real input a real one."""
    x = np.array([[1 + 2j, 3 - 1j], [0.5j, 2]], np.complex64)
    for L in (torch, al):
        out = fn(L, L.tensor(x), L.complex128)
        assert out.dtype == L.float64
        np.testing.assert_allclose(out.item(), fn(torch, torch.tensor(x), torch.complex128).item(), rtol=1e-12)
        with pytest.raises(RuntimeError, match="dtype should be complex for complex inputs, but got Double"):
            fn(L, L.tensor(x), L.float64)
        with pytest.raises(RuntimeError, match="dtype should be real for real inputs, but got ComplexFloat"):
            fn(L, L.tensor(x.real.copy()), L.complex64)


def test_svd_lowrank_of_complex_low_rank_matrix():
    """The random subspace differs (each library's generator), but a rank-3 matrix is recovered exactly and its
    singular values are torch's."""
    rng = np.random.default_rng(7)
    a = ((rng.standard_normal((8, 3)) + 1j * rng.standard_normal((8, 3)))
         @ (rng.standard_normal((3, 6)) + 1j * rng.standard_normal((3, 6)))).astype(np.complex128)
    U, S, V = al.svd_lowrank(al.tensor(a), q=4)
    assert (U.dtype, S.dtype, V.dtype) == (al.complex128, al.float64, al.complex128)
    np.testing.assert_allclose(((U * S.unsqueeze(-2)) @ V.mH).numpy(), a, atol=1e-10)
    np.testing.assert_allclose(S.numpy()[:3], torch.svd_lowrank(torch.tensor(a), q=4)[1].numpy()[:3], rtol=1e-10)
    _, S_pca, _ = al.pca_lowrank(al.tensor(a), q=3)
    np.testing.assert_allclose(S_pca.numpy(), torch.pca_lowrank(torch.tensor(a), q=3)[1].numpy(), rtol=1e-10)


def test_singular_complex_inverse_raises_linalg_error():
    a = np.array([[1 + 1j, 2 + 2j], [1, 2]], np.complex64)
    a[1] = a[0] * (2 - 1j)
    with pytest.raises(al.linalg.LinAlgError, match="linalg.inv: The diagonal element 2 is zero"):
        al.linalg.inv(al.tensor(a))
    with pytest.raises(torch.linalg.LinAlgError, match="linalg.inv: The diagonal element 2 is zero"):
        torch.linalg.inv(torch.tensor(a))


# ---- complex convolution (Gauss's trick over the real kernels) ---------------------------------------------------

def _F(L):
    import torch.nn.functional as TF
    import autograd_lite.nn.functional as AF
    return TF if L is torch else AF


CONV = {
    "conv1d_groups": (lambda L, x, w, b: _F(L).conv1d(x, w, b, stride=2, padding=1, groups=2),
                      [(2, 4, 9), (6, 2, 3), (6,)]),
    "conv1d_same": (lambda L, x, w: _F(L).conv1d(x, w, padding="same", dilation=2), [(2, 3, 8), (4, 3, 4)]),
    "conv2d": (lambda L, x, w, b: _F(L).conv2d(x, w, b, padding=1), [(2, 3, 5, 5), (4, 3, 3, 3), (4,)]),
    "conv2d_unbatched": (lambda L, x, w: _F(L).conv2d(x, w, stride=(2, 1), groups=3), [(3, 6, 5), (6, 1, 2, 2)]),
    "conv3d": (lambda L, x, w, b: _F(L).conv3d(x, w, b, padding=(1, 0, 1)), [(1, 2, 4, 4, 3), (3, 2, 2, 3, 2), (3,)]),
    "conv_transpose1d": (lambda L, x, w, b: _F(L).conv_transpose1d(x, w, b, stride=2, output_padding=1),
                         [(2, 4, 5), (4, 3, 3), (3,)]),
    "conv_transpose2d": (lambda L, x, w: _F(L).conv_transpose2d(x, w, stride=2, padding=1, groups=2),
                         [(1, 4, 3, 3), (4, 2, 3, 3)]),
    "conv_transpose3d": (lambda L, x, w, b: _F(L).conv_transpose3d(x, w, b, stride=(2, 1, 1)),
                         [(1, 2, 2, 3, 3), (2, 3, 2, 2, 2), (3,)]),
    "unfold": (lambda L, x: _F(L).unfold(x, 2, padding=1, stride=2), [(2, 3, 4, 5)]),
    "fold": (lambda L, x: _F(L).fold(x, (4, 5), 2, padding=1, stride=2), [(2, 12, 9)]),
}


@pytest.mark.parametrize("name", sorted(CONV))
def test_complex_convolution(name):
    fn, shapes = CONV[name]
    check_complex(fn, shapes, second=False)
    check_complex(fn, shapes, dtype="float64")


def test_complex_conv_module_and_refusals():
    x = np.arange(32).reshape(1, 2, 4, 4) * (0.1 + 0.05j)
    for L in (torch, al):
        L.manual_seed(0)
        conv = L.nn.Conv2d(2, 3, 3, padding=1, dtype=L.complex64)
        assert conv.weight.dtype == L.complex64 and conv.bias.dtype == L.complex64
        y = conv(L.tensor(x, dtype=L.complex64))
        assert y.dtype == L.complex64 and tuple(y.shape) == (1, 3, 4, 4)
        with pytest.raises(NotImplementedError, match="clamp is not supported for complex types"):
            L.nn.Sequential(L.nn.Conv2d(2, 3, 3, dtype=L.complex64), L.nn.ReLU())(L.tensor(x, dtype=L.complex64))
        with pytest.raises(RuntimeError, match=r"Input type \(CPUComplexFloatType\) and weight type "
                                               r"\(torch.FloatTensor\) should be the same"):
            _F(L).conv2d(L.tensor(x, dtype=L.complex64), L.ones(3, 2, 3, 3))
        with pytest.raises(RuntimeError, match="expected scalar type Float but found ComplexFloat"):
            _F(L).conv_transpose2d(L.ones(1, 2, 4, 4), L.ones(2, 3, 3, 3, dtype=L.complex64))


# ---- logaddexp, logcumsumexp ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn, shapes, kinds", [
    (lambda L, a, b: L.logaddexp(a, b), [(3, 4), (4,)], "cc"),
    (lambda L, a, b: L.logaddexp(a, b), [(3, 4), (3, 4)], "cr"),
    (lambda L, x: L.logcumsumexp(x, 1), [(3, 5)], "c"),
    (lambda L, x: L.logcumsumexp(x * 3, 0), [(4, 2)], "c"),
], ids=["logaddexp", "logaddexp_mixed", "logcumsumexp", "logcumsumexp_wide"])
def test_log_sum_exp_family(fn, shapes, kinds):
    if "r" in kinds:        # torch's own backward of a real and a complex operand fails (an internal check)
        check_complex(fn, shapes, kinds, grad=False)
        return
    check_complex(fn, shapes, kinds, second=False)
    check_complex(fn, shapes, kinds, dtype="float64")


def test_logaddexp_branch_and_special_values():
    """max + log1p(exp(min - max)) by real part, a tie taking the first as max: the imaginary part stays near
    max's (5.14, not the principal -1.14); inf, -inf and NaN as torch's kernel."""
    inf, nan = float("inf"), float("nan")
    a = np.array([0j, 4j, 1 + 2j, 1000 + 1j, inf + 0j, -inf + 1j, complex(nan, 0), 5 - 3j], np.complex64)
    b = np.array([4j, 0j, 0.5 - 1j, 1000 - 2j, 1 + 1j, -inf + 2j, 1j, 5 + 3j], np.complex64)
    ours = al.logaddexp(al.tensor(a), al.tensor(b)).numpy()
    theirs = torch.logaddexp(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    x = np.array([0j, 4j, 4 + 0j, 4 + 7j, -2 + 1j, 5 - 3j, -inf + 0j], np.complex64)
    np.testing.assert_allclose(al.logcumsumexp(al.tensor(x), 0).numpy(),
                               torch.logcumsumexp(torch.tensor(x), 0).numpy(), rtol=1e-6)
    with pytest.raises(NotImplementedError, match="\"logaddexp2_cpu\" not implemented for 'ComplexFloat'"):
        al.logaddexp2(al.tensor(a), al.tensor(b))


# ---- x.real / x.imag: views, writable, assignable ----------------------------------------------------------------

def test_real_imag_write_through_and_assignment():
    for L in (torch, al):
        x = L.tensor([1 + 2j, 3 - 1j])
        r = x.real
        r.add_(1)
        x.imag.mul_(2)
        assert x.tolist() == [2 + 4j, 4 - 2j]
        x.add_(1j)
        assert r.tolist() == [2, 4]                     # the view sees the base's change
        x.real = L.tensor([5.0, 6.0])
        x.imag = 3.0
        assert x.tolist() == [5 + 3j, 6 + 3j]
        x.real = L.tensor(2.5)                          # broadcast
        assert x.tolist() == [2.5 + 3j, 2.5 + 3j]
        y = L.tensor([1.0, 2.0])
        y.real = L.tensor([3.0, 4.0])
        assert y.tolist() == [3, 4]
        with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
            y.imag = L.tensor([1.0, 1.0])
        leaf = L.tensor([1 + 1j], requires_grad=True)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
            leaf.real = L.tensor([1.0])


@pytest.mark.parametrize("write", [
    lambda L, z: z.real.mul_(3),
    lambda L, z: z.imag.add_(z.real * 2),
    lambda L, z: setattr(z, "imag", L.tensor([0.5, 0.5], dtype=L.float64)),
    lambda L, z: z[1:].real.zero_(),
], ids=["real_mul_", "imag_add_", "imag_assign", "slice_real_zero_"])
def test_inplace_on_part_views_differentiates_as_torch(write):
    grads = []
    for L in (torch, al):
        w = L.tensor([1 + 1j, 2j], dtype=L.complex128, requires_grad=True)
        z = w * w
        write(L, z)
        loss = (z * L.tensor([1 + 2j, 3 - 1j], dtype=L.complex128)).abs().sum()
        g, = L.autograd.grad(loss, w, create_graph=True)
        g2, = L.autograd.grad((g * g.conj()).real.sum(), w)
        grads.append((g.detach().numpy(), g2.numpy()))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-10, atol=1e-10)


# ---- the other ops the sweep found missing ---------------------------------------------------------------------

@pytest.mark.parametrize("fn, shapes, kinds", [
    (lambda L, x, t: _F(L).l1_loss(x, t), [(3, 4), (3, 4)], "cc"),
    (lambda L, x, t: _F(L).l1_loss(x, t, reduction="sum"), [(3, 4), (3, 4)], "cr"),
    (lambda L, x, t, w: _F(L).l1_loss(x, t, weight=w), [(3, 4), (3, 4), (3, 4)], "ccr"),
    (lambda L, x, t: _F(L).poisson_nll_loss(x, t), [(3, 4), (3, 4)], "cc"),
    (lambda L, x, t: _F(L).poisson_nll_loss(x, t, log_input=False, reduction="none"), [(3, 4), (3, 4)], "cc"),
    (lambda L, x, t, v: _F(L).gaussian_nll_loss(x, t, v.abs() + 0.5), [(3, 4), (3, 4), (3, 4)], "ccr"),
    (lambda L, x: _F(L).rms_norm(x, (4,)), [(3, 4)], "c"),
    (lambda L, x, w: _F(L).rms_norm(x, (2, 4), w, eps=0.1), [(3, 2, 4), (2, 4)], "cr"),
], ids=["l1", "l1_mixed", "l1_weight", "poisson", "poisson_rate", "gaussian", "rms_norm", "rms_norm_weight"])
def test_losses_and_rms_norm(fn, shapes, kinds):
    check_complex(fn, shapes, kinds, second=False)
    check_complex(fn, shapes, kinds, dtype="float64")


def test_refusals_as_torch():
    z = np.array([[1 + 2j, -0.5 + 1j]], np.complex64)
    for L in (torch, al):
        x = L.tensor(z)
        with pytest.raises(NotImplementedError, match="\"le_cpu\" not implemented for 'ComplexFloat'"):
            _F(L).poisson_nll_loss(x, x, full=True)
        with pytest.raises(NotImplementedError, match="\"lt_cpu\" not implemented for 'ComplexFloat'"):
            _F(L).gaussian_nll_loss(x, x, x)
        with pytest.raises(NotImplementedError, match="mse"):
            _F(L).mse_loss(x, x)
        with pytest.raises(RuntimeError, match="normal expects standard deviation to be non-complex"):
            L.normal(x, x)
        with pytest.raises(RuntimeError, match="check_random_bounds handles only integral, floating-point and bool"):
            L.randint_like(x, 5)


def test_normal_with_complex_mean():
    """Complex draws around the mean, each part of variance std^2 / 2 (randn's complex convention)."""
    al.manual_seed(0)
    mean = al.full((20000,), 1 - 2j, dtype=al.complex64)
    y = al.normal(mean, 2.0)
    assert y.dtype == al.complex64
    d = y.numpy() - (1 - 2j)
    assert abs(d.real.std() - 2 ** 0.5) < 0.05 and abs(d.imag.std() - 2 ** 0.5) < 0.05
    assert abs(d.mean()) < 0.05


# ---- on every device ----------------------------------------------------------------------------------------------

_ON_DEVICE = ["inv", "det", "slogdet_sign", "cholesky", "eigh_moduli", "svd_polar", "qr_wide", "pinv", "lu_solve",
              "cholesky_inverse", "matrix_exp", "matrix_norm_nuc", "solve_triangular"]


@pytest.mark.parametrize("name", _ON_DEVICE)
def test_linalg_on_device(device, name):
    fn, shapes = CASES[name]
    check_complex(fn, shapes, device=device, second=False)


@pytest.mark.parametrize("name", ["conv2d", "conv_transpose1d", "unfold"])
def test_conv_on_device(device, name):
    fn, shapes = CONV[name]
    check_complex(fn, shapes, device=device, second=False)


def test_log_sum_exp_and_part_views_on_device(device):
    check_complex(lambda L, a, b: L.logaddexp(a, b), [(3, 4), (4,)], device=device, second=False)
    check_complex(lambda L, x: L.logcumsumexp(x, 1), [(3, 5)], device=device, second=False)

    def write(L, z):
        z = z * 1
        z.imag.mul_(2)
        return z
    check_complex(write, [(2, 3)], device=device, second=False)
