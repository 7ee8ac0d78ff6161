"""torch's low-rank decompositions: svd_lowrank and pca_lowrank (randomized, Halko, Martinsson and Tropp, 2009) and
lobpcg's k extreme eigenpairs, built of differentiable ops (randn, matmul, qr, svd, cholesky, eigh), so gradients flow
through them as through torch's."""
from .. import _api
from ..creation import randn
from .decompositions import cholesky, eigh, qr, svd
from .linalg_solvers import solve_triangular

declare = _api.declare


def _approximate_basis(A, q, niter, M=None):
    """Q with q orthonormal columns such that Q Q^H (A - M) approximates A - M (Algorithm 4.4)."""
    R = randn(A.shape[-1], q, dtype=A.dtype, device=A.device)
    X = A @ R if M is None else A @ R - M @ R
    Q = qr(X)[0]
    for _ in range(niter):
        X = A.mH @ Q if M is None else A.mH @ Q - M.mH @ Q
        Q = qr(X)[0]
        X = A @ Q if M is None else A @ Q - M @ Q
        Q = qr(X)[0]
    return Q


def _svd_lowrank(A, q, niter, M):
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:
        A = A.mH
        M = None if M is None else M.mH
    Q = _approximate_basis(A, q, niter, M)
    B = Q.mH @ A if M is None else Q.mH @ A - Q.mH @ M
    U, S, Vh = svd(B, full_matrices=False)
    V, U = Vh.mH, Q @ U
    return (V, S, U) if m < n else (U, S, V)


@declare(method=False)
def svd_lowrank(A, q=6, niter=2, M=None):
    """``(U, S, V)`` with ``A - M ≈ U diag(S) V^H`` of rank q, from a random subspace refined by `niter` power
    iterations (torch's algorithm; the random draw uses autograd_lite's generator, so values match torch's only up to
    the signs and rotations of the subspace).

    Example: ``U, S, V = autograd_lite.svd_lowrank(a, q=4)``"""
    return _svd_lowrank(A, q, niter, M)


@declare(method=False)
def pca_lowrank(A, q=None, center=True, niter=2):
    """Principal components of A's rows: ``svd_lowrank`` of A minus its column means (with `center`), q defaulting
    to ``min(6, m, n)``. ``A @ V[:, :k]`` projects onto the first k components.

    Example: ``U, S, V = autograd_lite.pca_lowrank(data, q=3)``"""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (q >= 0 and q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not (niter >= 0):
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return _svd_lowrank(A, q, niter, None)
    return _svd_lowrank(A - A.mean(dim=(-2,), keepdim=True), q, niter, None)


@declare(method=False)
def lobpcg(A, k=None, B=None, X=None, n=None, iK=None, niter=None, tol=None, largest=None, method=None,
           tracker=None, ortho_iparams=None, ortho_fparams=None, ortho_bparams=None):
    """The k largest (or smallest) eigenpairs ``(E, X)`` of the symmetric positive definite problem
    ``A X = B X diag(E)``, as ``torch.lobpcg``: torch's checks and results, found here by a dense symmetric
    eigensolver on A's symmetric part (what LOBPCG's iterations converge to), so iK, niter, tol, method and the
    ortho_* settings have nothing to tune. The gradient is that of the symmetrized problem, as torch's.

    Example: ``E, X = autograd_lite.lobpcg(A, k=2)`` for a (12, 12) symmetric positive definite A"""
    if A.shape[-2] != A.shape[-1]:
        raise AssertionError(f"A must be square, got shape {A.shape}")
    if B is not None and A.shape != B.shape:
        raise AssertionError(f"A and B must have same shape, got {A.shape} vs {B.shape}")
    m = A.shape[-1]
    k = (1 if X is None else X.shape[-1]) if k is None else k
    n = (k if n is None else n) if X is None else X.shape[-1]
    if m < 3 * n:
        raise ValueError(f"LOBPCG algorithm is not applicable when the number of A rows (={m}) is smaller than 3 x "
                         f"the number of requested eigenpairs (={n})")
    A = (A + A.mT) / 2
    if B is None:
        E, V = eigh(A)
    else:
        L = cholesky((B + B.mT) / 2)
        C = solve_triangular(L, solve_triangular(L, A, upper=False).mT, upper=False)       # L^-1 A L^-T
        E, V = eigh(C)
        V = solve_triangular(L.mT, V, upper=True)
    if largest is None or largest:
        E, V = E.flip(-1), V.flip(-1)
    return E[..., :k], V[..., :k]
