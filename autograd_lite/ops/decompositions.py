"""torch.linalg's solvers and decompositions: inv, det, slogdet / logdet, solve, cholesky, qr, eigh / eigvalsh, svd /
svdvals, pinv, matrix_rank, lstsq, and the old names (inverse, svd with some=, pinverse).

Gradients are PyTorch's formulas, written with matrix products, solves and inverses that are themselves ops here,
so they differentiate again. A decomposition with several differentiable outputs (eigh, svd, qr) is one Function
whose output packs them along the rows; the results are differentiable slices of it."""
import numpy as np

from .. import _api, return_types as _rt
from .._api import TOP
from ..autograd.op_function import Function
from ..creation import as_tensor as _as_tensor, zeros as _zeros
from ..tensor import Tensor
from . import _formula as m
from . import _triangular as _tri
from ._util import quiet, wrap, xp_of
from .linalg import _norm_input, svdvals

declare = _api.declare


class LinAlgError(RuntimeError):
    """``torch.linalg.LinAlgError``: a singular or non-positive-definite input."""


# ---- checks and the dual helpers backward formulas use ---------------------------------------------

def _check_matrix(op, A, square=True):
    _norm_input(op, A, None)
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


def _batch_text(a, index):
    return f"(Batch element {index}): " if a.ndim > 2 else ""


def _first_zero_pivot(a):
    """1-based index of the first zero pivot of the LU factorisation with partial pivoting (LAPACK's info)."""
    a = np.array(a, dtype=np.result_type(a.dtype, np.float64))
    n = a.shape[0]
    for k in range(n):
        col = a[k:, k]
        p = k + int(np.argmax(np.abs(col.real) + np.abs(col.imag)))     # LAPACK's pivot: |Re| + |Im|
        if a[p, k] == 0:
            return k + 1
        a[[k, p]] = a[[p, k]]
        a[k + 1:] -= np.outer(a[k + 1:, k] / a[k, k], a[k])
    return n


def _singular_error(op, a, what):
    host = a if type(a) is np.ndarray else a.get()
    flat = host.reshape((-1,) + host.shape[-2:])
    for i, mat in enumerate(flat):
        if np.linalg.matrix_rank(mat) < mat.shape[0] or not np.all(np.isfinite(mat)):
            return LinAlgError(f"{op}: {_batch_text(host, i)}The diagonal element {_first_zero_pivot(mat)} is zero, "
                               f"the {what} could not be completed because the input matrix is singular.")
    return LinAlgError(f"{op}: The {what} could not be completed because the input matrix is singular.")


def _eye(n, like):
    """The identity of size n as `like` is (array or Tensor)."""
    d = m.data(like)
    eye = xp_of(d).eye(n, dtype=d.dtype)
    return _as_tensor(eye) if m.is_graph(like) else eye


def _row(v):
    """A vector (..., n) as a row (..., 1, n)."""
    return v.unsqueeze(-2) if m.is_graph(v) else v[..., None, :]


def _col(v):
    return v.unsqueeze(-1) if m.is_graph(v) else v[..., :, None]


def _mat(v):
    """A batch of scalars (...) as (..., 1, 1)."""
    return v.unsqueeze(-1).unsqueeze(-1) if m.is_graph(v) else xp_of(v).asarray(v)[..., None, None]


def _tril(x, k=0):
    return TOP["tril"](x, k) if m.is_graph(x) else xp_of(x).tril(x, k)


def _inv(a):
    return Inv.apply(a) if m.is_graph(a) else xp_of(a).linalg.inv(a)


def _solve(a, b):
    """a^-1 b for matrices b (..., n, k)."""
    if m.is_graph(a, b):
        return Solve.apply(*(x if m.is_graph(x) else _as_tensor(x) for x in (a, b)))
    return xp_of(a).linalg.solve(a, b)


def _mH(x):
    """The conjugate transpose of each matrix (the transpose of a real one: no copy)."""
    t = m.mT(x)
    return m.conj(t) if m.data(x).dtype.kind == "c" else t


def _is_complex(x):
    return m.data(x).dtype.kind == "c"


def _solve_right(b, a):
    """b a^-1."""
    return m.mT(_solve(m.mT(a), m.mT(b)))


# ---- inv, det, slogdet, solve ------------------------------------------------------------------------

class Inv(Function):
    """A^-1; gradient -A^-H g A^-H."""
    op_name = "linalg.inv"

    @staticmethod
    def forward(ctx, a):
        try:
            out = xp_of(a).linalg.inv(a)
        except np.linalg.LinAlgError:
            raise _singular_error("linalg.inv", a, "inversion") from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx._saved
        t = _mH(out)
        return -(t @ g @ t)


def inv(A, *, out=None):
    """``linalg.inv``: the inverse of a square matrix (or of each of a batch).

    Example: ``torch.linalg.inv(A) @ A`` is the identity."""
    _check_matrix("linalg.inv", A)
    return _out(Inv.apply(A), out)


@declare(name="inverse")
def inverse(input, *, out=None):
    """``torch.inverse``: ``linalg.inv``. Example: ``A.inverse()``"""
    return inv(input, out=out)


class Det(Function):
    """det(A); gradient g conj(det A) A^-H (the inverse's formula: differentiable again); PyTorch's at singular A."""
    op_name = "linalg.det"

    @staticmethod
    def forward(ctx, a):
        out = xp_of(a).linalg.det(a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx._saved
        od = m.data(out)
        xp = xp_of(od)
        # as PyTorch: a plain backward gives 0 where det is 0 (its LU solve with the zero pivots nudged, times 0);
        # under create_graph the near-singular ones (|det| < 100 eps) take the adjugate through the SVD
        graph = m.is_graph(a)
        zero = xp.abs(od) < 100 * float(np.finfo(od.dtype).eps) if graph else od == 0
        gd = g * m.conj(out) if _is_complex(out) else g * out
        if not zero.any():
            return _mat(gd) * _mH(_inv(a))
        mask = zero[..., None, None]
        singular = _det_singular_backward(g, a) if graph else xp.zeros_like(m.data(a))
        if zero.all():
            return singular
        safe = m.where(mask, _eye(m.data(a).shape[-1], a), a)          # the invertible ones through the inverse
        return m.where(mask, singular, _mat(gd) * _mH(_inv(safe)))


def _prod_others(s):
    """prod_{j != i} s_j along the last dim (exclusive products from both sides: no division, zeros allowed)."""
    one = m.ones_like(s[..., :1])
    left = m.cumprod(m.cat([one, s[..., :-1]], -1), -1)
    rs = m.flip(s, -1)
    right = m.flip(m.cumprod(m.cat([one, rs[..., :-1]], -1), -1), -1)
    return left * right


def _det_singular_backward(g, a):
    """PyTorch's gradient of det at a singular A, through the SVD A = U S Vh: conj(det(U) det(Vh)) g U
    diag(prod_{j!=i} S_j) Vh, the adjugate's conjugate transpose (finite where A^-1 is not)."""
    if m.is_graph(a):
        U, S, V = _svd_parts(a)
        Vh = _mH(V)
    else:
        U, S, Vh = xp_of(a).linalg.svd(a)
    xp = xp_of(m.data(a))
    sign = xp.conj(xp.linalg.det(m.data(U)) * xp.linalg.det(m.data(Vh)))
    scale = g * (_as_tensor(sign) if m.is_graph(g) else sign)
    D = (scale.unsqueeze(-1) if m.is_graph(scale) else xp.asarray(scale)[..., None]) * _prod_others(S)
    return (U * _row(D)) @ Vh


def det(A, *, out=None):
    """``linalg.det`` (``torch.det``): the determinant of a square matrix (or of each of a batch).

    Example: ``torch.linalg.det(torch.eye(3))`` is 1."""
    _check_matrix("linalg.det", A)
    return _out(Det.apply(A), out)


class LogAbsDet(Function):
    """log |det A|; gradient g A^-T."""
    op_name = "linalg.slogdet"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp_of(a).linalg.slogdet(a)[1]

    @staticmethod
    def backward(ctx, g):
        a, = ctx._saved
        return _mat(g) * m.mT(_inv_lu(a))


def _inv_lu(a):
    """A^-1 (dual); on raw arrays a singular A gives inf and nan, as PyTorch's LU solve does, not an error."""
    if m.is_graph(a):
        return _inv(a)
    try:
        return _inv(a)
    except np.linalg.LinAlgError:
        xp = xp_of(a)
        lu, piv, _ = _tri.getrf(a)
        perm = _tri.permutation(piv, a.shape[-1])
        eye = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape)
        pb = xp.take_along_axis(eye, perm[..., :, None], axis=-2)
        with quiet(xp):
            return _tri.tri_solve(lu, _tri.tri_solve(lu, pb, False, True), True)


class SlogdetComplex(Function):
    """(sign, log |det A|) of a complex A packed along a last dim of 2, both complex. PyTorch's gradient:
    (g_logabsdet - i Im(conj(g_sign) sign)) A^-H."""
    op_name = "linalg.slogdet"

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        sign, logabs = xp.linalg.slogdet(a)
        out = xp.stack([xp.asarray(sign), xp.asarray(logabs).astype(a.dtype)], -1)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx._saved
        gs = m.real(g[..., 1]) - 1j * m.imag(m.conj(g[..., 0]) * out[..., 0])
        return _mat(gs) * _mH(_inv_lu(a))


def slogdet(A, *, out=None):
    """``linalg.slogdet``: (sign, log |det A|); sign is -1, 0 or 1 (for complex A, det / |det|, differentiable),
    logabsdet real and differentiable.

    Example: ``sign, logabsdet = torch.linalg.slogdet(A)``"""
    _check_matrix("linalg.slogdet", A)
    if A.is_complex():
        packed = SlogdetComplex.apply(A)
        return _rt.linalg_slogdet((packed[..., 0], TOP["real"](packed[..., 1])))
    sign = wrap(xp_of(A._data).linalg.slogdet(A._data)[0].astype(A._data.dtype), A._data)
    return _rt.linalg_slogdet((sign, LogAbsDet.apply(A)))


@declare
def logdet(input):
    """``torch.logdet``: log det A; nan where det < 0, -inf where it is 0.

    Example: ``torch.logdet(A @ A.mT + torch.eye(3))``"""
    _check_matrix("logdet", input)
    sign, logabsdet = slogdet(input)
    return logabsdet + TOP["log"](sign)


class Solve(Function):
    """X with A X = B (B a batch of matrices); gradients gB = A^-T g, gA = -gB X^T."""
    op_name = "linalg.solve"

    @staticmethod
    def forward(ctx, a, b):
        try:
            out = xp_of(a).linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise _singular_error("linalg.solve", a, "solve") from None
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx._saved
        gb = _solve(m.mT(a), g)
        return (-(gb @ m.mT(out)) if ctx._inputs[0] is not None else None), gb


def solve(A, B, *, left=True, out=None):
    """``linalg.solve``: X with A X = B (left=False: X A = B). B may be a vector (..., n) or matrices (..., n, k);
    batch dims broadcast.

    Example: ``x = torch.linalg.solve(A, b)``"""
    _check_matrix("linalg.solve", A)
    _norm_input("linalg.solve", B, None)
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{A.dtype.scalar_type} and B of type {B.dtype.scalar_type} instead")
    if not left:
        return _out(solve(A.mT, B.mT).mT, out)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    Bm = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if Bm.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and "
                           f"{Bm.shape[-2]}x{Bm.shape[-1]})")
    batch = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(Bm.shape[:-2]))
    A2 = A if tuple(A.shape[:-2]) == batch else A.expand(batch + (n, n))
    B2 = Bm if tuple(Bm.shape[:-2]) == batch else Bm.expand(batch + tuple(Bm.shape[-2:]))
    X = Solve.apply(A2, B2)
    return _out(X.squeeze(-1) if vector else X, out)


# ---- cholesky ------------------------------------------------------------------------------------

class Cholesky(Function):
    """The lower factor L of A = L L^H; PyTorch's gradient L^-H Φ(L^H g) L^-1 (Φ: the lower triangle, its diagonal
    halved, its strict part mirrored as its conjugate)."""
    op_name = "linalg.cholesky"

    @staticmethod
    def forward(ctx, a):
        try:
            out = xp_of(a).linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise _not_pd_error(a) from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        L, = ctx._saved
        ga = _tril(_mH(L) @ g)
        ga = 0.5 * (ga + _mH(_tril(ga, -1)))
        return _solve_right(_solve(_mH(L), ga), L)


def _not_pd_error(a):
    host = a if type(a) is np.ndarray else a.get()
    flat = host.reshape((-1,) + host.shape[-2:])
    for i, mat in enumerate(flat):
        for k in range(1, mat.shape[0] + 1):
            try:
                np.linalg.cholesky(mat[:k, :k])
            except np.linalg.LinAlgError:
                return LinAlgError(f"linalg.cholesky: {_batch_text(host, i)}The factorization could not be completed "
                                   f"because the input is not positive-definite (the leading minor of order {k} is "
                                   "not positive-definite).")
    return LinAlgError("linalg.cholesky: The factorization could not be completed because the input is not "
                       "positive-definite.")


def cholesky(A, *, upper=False, out=None):
    """``linalg.cholesky``: L lower-triangular with A = L L^H for a Hermitian positive-definite A (upper=True:
    U = L^H). Uses the lower triangle of A.

    Example: ``L = torch.linalg.cholesky(A @ A.mT + torch.eye(3))``"""
    _check_matrix("linalg.cholesky", A)
    L = Cholesky.apply(A)
    return _out(L.mH if upper else L, out)


@declare(name="cholesky")
def cholesky_old(input, upper=False, *, out=None):
    """``torch.cholesky(A, upper=False)``: the old name of ``linalg.cholesky``."""
    return cholesky(input, upper=upper, out=out)


# ---- eigh ----------------------------------------------------------------------------------------------

class Eigh(Function):
    """Eigenvalues (ascending) and eigenvectors of a symmetric (Hermitian) matrix, packed as rows: [L; V],
    (..., n + 1, n). Gradient V (diag(gL) + skew(V^H gV) / 2E) V^H, E_ij = L_j - L_i (PyTorch's); for complex A,
    PyTorch's error where the loss depends on the eigenvectors' phases."""
    op_name = "linalg.eigh"

    @staticmethod
    def forward(ctx, a, uplo):
        xp = xp_of(a)
        w, v = xp.linalg.eigh(a, UPLO=uplo)
        out = xp.concatenate([w[..., None, :], v], axis=-2)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx._saved
        L, V = out[..., 0, :], out[..., 1:, :]
        gL, gV = g[..., 0, :], g[..., 1:, :]
        n = V.shape[-1]
        if _is_complex(out):
            L, gL = m.real(L), m.real(gL)
            vg = _mH(V) @ gV
            _check_phase("linalg_eigh_backward", "eigenvectors", "quantity, so it is ill-defined.",
                         _diagonal(m.data(vg)).imag, 0)
            eye = _eye(n, L)
            E = _row(L) - _col(L) + eye
            inner = 0.5 * (vg - _mH(vg)) / E * (1 - eye) + _row(gL) * eye
            return V @ inner @ _mH(V), None
        vg = m.mT(V) @ gV
        E = _row(L) - _col(L) + _eye(n, L)              # 1 on the diagonal, where skew(vg) is 0
        inner = 0.5 * (vg - m.mT(vg)) / E + _row(gL) * _eye(n, gL)
        return V @ inner @ m.mT(V), None


def _diagonal(a):
    return xp_of(a).diagonal(a, 0, -2, -1)


def _check_phase(op, what, tail, a, b):
    """PyTorch's error when a loss of complex singular (eigen) vectors depends on their phases: Im(diag(U^H gU)) must
    be a given value (within PyTorch's lax 1e-2)."""
    if not bool(xp_of(a).allclose(a, b, rtol=1e-2, atol=1e-2)):
        raise RuntimeError(f"{op}: The {what} in the complex case are specified up to multiplication by e^{{i phi}}. "
                           f"The specified loss function depends on this {tail}")


def eigh(A, UPLO="L", *, out=None):
    """``linalg.eigh``: (eigenvalues ascending, eigenvectors as columns) of a symmetric matrix, from its lower
    (UPLO='L') or upper triangle. Differentiable (the gradient is undefined for repeated eigenvalues, as PyTorch).

    Example: ``L, V = torch.linalg.eigh(A)``"""
    _check_matrix("linalg.eigh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    packed = Eigh.apply(A, UPLO)
    values = packed[..., 0, :]
    return _rt.linalg_eigh((TOP["real"](values) if A.is_complex() else values, packed[..., 1:, :]))


def eigvalsh(A, UPLO="L", *, out=None):
    """``linalg.eigvalsh``: the eigenvalues (ascending) of a symmetric matrix. Example: ``torch.linalg.eigvalsh(A)``"""
    return _out(eigh(A, UPLO)[0], out)


# ---- svd ---------------------------------------------------------------------------------------------

class SVD(Function):
    """The reduced SVD packed as rows [U; S; V] (..., m + 1 + n, k), V = Vh^H. PyTorch's gradient:
    U [(skew(U^H gU) S + S skew(V^H gV)) / E + diag(gS)] V^H, E_jk = S_k² - S_j², plus the parts of gU, gV outside
    the spans of U, V; for complex A also i Im(diag(U^H gU)) / S, and PyTorch's error where the loss depends on the
    singular vectors' phases."""
    op_name = "linalg.svd"

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        v = xp.swapaxes(vh, -1, -2)
        out = xp.concatenate([u, s[..., None, :].astype(a.dtype, copy=False), v.conj() if a.dtype.kind == "c" else v],
                             axis=-2)
        ctx.save_for_backward(out)
        ctx.m = a.shape[-2]
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx._saved
        mm = ctx.m
        U, S, V = out[..., :mm, :], out[..., mm, :], out[..., mm + 1:, :]
        gU, gS, gV = g[..., :mm, :], g[..., mm, :], g[..., mm + 1:, :]
        n, k = V.shape[-2], S.shape[-1]
        cplx = _is_complex(out)
        if cplx:
            S, gS = m.real(S), m.real(gS)
        ug, vg = _mH(U) @ gU, _mH(V) @ gV
        ug, vg = ug - _mH(ug), vg - _mH(vg)
        if cplx:
            _check_phase("svd_backward", "singular vectors", "phase term, making it ill-defined.",
                         _diagonal(m.data(ug)).imag, -_diagonal(m.data(vg)).imag)
        S2 = S * S
        E = _row(S2) - _col(S2) + _eye(k, S)
        # singular values that are exactly 0 twice (LAPACK gives exact zeros for exactly singular input): there the
        # numerator is exactly 0 too, and the limit 0, not 0/0
        Sd, Ed = m.data(S), m.data(E)
        both_zero = (Ed == 0) & (Sd[..., :, None] == 0)
        if both_zero.any():
            E = E + both_zero.astype(Ed.dtype)
        eye = _eye(k, gS)
        inner = (ug * _row(S) + _col(S) * vg) / E + _row(gS) * eye
        if cplx:                                # the phase-invariant part of gU's diagonal
            inner = inner + (ug * eye) / (2 * _row(S))
        Vh = _mH(V)
        ga = U @ inner @ Vh
        if mm > k:
            gus = gU / _row(S)
            ga = ga + (gus - U @ (_mH(U) @ gus)) @ Vh
        if n > k:
            gvs = gV / _row(S)
            ga = ga + U @ _mH(gvs - V @ (Vh @ gvs))
        return ga


def _svd_parts(A):
    """(U, S, V) of A, differentiable; S real."""
    packed = SVD.apply(A)
    mm = A.shape[-2]
    S = packed[..., mm, :]
    return packed[..., :mm, :], TOP["real"](S) if A.is_complex() else S, packed[..., mm + 1:, :]


def svd(A, full_matrices=True, *, driver=None, out=None):
    """``linalg.svd``: (U, S, Vh) with A = U diag(S) Vh, S descending. full_matrices=True completes U and Vh to
    square matrices (the completing columns carry no gradient, as PyTorch).

    Example: ``U, S, Vh = torch.linalg.svd(A, full_matrices=False)``"""
    _check_matrix("linalg.svd", A, square=False)
    U, S, V = _svd_parts(A)
    rows, cols = A.shape[-2:]
    if full_matrices and rows != cols:
        xp = xp_of(A._data)
        uf, _, vhf = xp.linalg.svd(A._data, full_matrices=True)
        k = min(rows, cols)
        if rows > k:
            U = TOP["cat"]([U, wrap(uf[..., :, k:], A._data)], -1)
        else:
            V = TOP["cat"]([V, wrap(xp.swapaxes(vhf, -1, -2)[..., :, k:].conj(), A._data)], -1)
    return _rt.linalg_svd((U, S, V.mH))


def svd_old(input, some=True, compute_uv=True, *, out=None):
    """``torch.svd`` (the old signature): (U, S, V) with A = U diag(S) V^T (V, not Vh); some=False gives the full
    U and V; compute_uv=False gives zero U and V.

    Example: ``U, S, V = torch.svd(A)``"""
    if not compute_uv:
        rows, cols = input.shape[-2:]
        k = min(rows, cols)
        zeros = _zeros
        U = zeros(*input.shape[:-2], rows, k if some else rows, dtype=input.dtype, device=input.device)
        V = zeros(*input.shape[:-2], cols, k if some else cols, dtype=input.dtype, device=input.device)
        return _rt.svd((U, svdvals(input), V))
    U, S, Vh = svd(input, full_matrices=not some)
    return _rt.svd((U, S, Vh.mH))


# ---- qr ------------------------------------------------------------------------------------------------

class QR(Function):
    """Q, R of A packed as rows [Q; R^T]. PyTorch's gradient: for m >= n (gQ + Q copyltu(M)) R^-H with
    M = R gR^H - gQ^H Q, copyltu(M) = tril(M) + tril(M, -1)^H (the diagonal's real part for complex A); for m < n
    through the square part."""
    op_name = "linalg.qr"

    @staticmethod
    def forward(ctx, a, mode):
        xp = xp_of(a)
        q, r = xp.linalg.qr(a, mode=mode)
        out = xp.concatenate([q, xp.swapaxes(r, -1, -2)], axis=-2)
        ctx.save_for_backward(out)
        ctx.m, ctx.shape = a.shape[-2], a.shape
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx._saved
        mm = ctx.m
        rows, cols = ctx.shape[-2:]
        if rows > cols and m.data(out).shape[-1] != cols:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                               "nrows > ncols.")
        Q, R = out[..., :mm, :], m.mT(out[..., mm:, :])
        gQ, gR = g[..., :mm, :], m.mT(g[..., mm:, :])
        if rows >= cols:
            return _qr_square_backward(gQ, gR, Q, R), None
        # wide, as PyTorch: A = [X | Y], X = Q R1 square; R2 = Q^H Y gives gY = Q gR2 and adds Y gR2^H to gQ
        R1, R2, gR1, gR2 = R[..., :, :rows], R[..., :, rows:], gR[..., :, :rows], gR[..., :, rows:]
        gX = _qr_square_backward(gQ + Q @ (R2 @ _mH(gR2)), gR1, Q, R1)
        return m.cat([gX, Q @ gR2], -1), None


def _qr_square_backward(gQ, gR, Q, R):
    """(gQ + Q copyltu(M)) R^-H with M = R gR^H - gQ^H Q, copyltu(M) = tril(M) + tril(M, -1)^H (m >= n)."""
    if _is_complex(Q):
        M = R @ _mH(gR) - _mH(gQ) @ Q
        lower = _tril(M, -1)
        M = lower + _mH(lower) + m.real(M) * _eye(m.data(M).shape[-1], m.real(M))
        return _solve_right(gQ + Q @ M, _mH(R))
    M = R @ m.mT(gR) - m.mT(gQ) @ Q
    M = _tril(M) + m.mT(_tril(M, -1))
    return _solve_right(gQ + Q @ M, m.mT(R))


def qr(A, mode="reduced", *, out=None):
    """``linalg.qr``: (Q, R) with A = Q R, Q orthonormal columns, R upper-triangular. mode 'reduced' (default),
    'complete' (Q square) or 'r' (R only; Q empty).

    Example: ``Q, R = torch.linalg.qr(A)``"""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    _check_matrix("linalg.qr", A, square=False)
    packed = QR.apply(A, "complete" if mode == "complete" else "reduced")
    rows = A.shape[-2]
    Q, R = packed[..., :rows, :], packed[..., rows:, :].mT
    if mode == "r":
        Q = _zeros(0, dtype=A.dtype, device=A.device)
    return _rt.linalg_qr((Q, R))


@declare(name="qr")
def qr_old(input, some=True, *, out=None):
    """``torch.qr(A, some=True)``: the old name of ``linalg.qr`` (some=False: mode 'complete')."""
    return _rt.qr(tuple(qr(input, "reduced" if some else "complete")))


# ---- pinv, matrix_rank, lstsq ------------------------------------------------------------------------

def _tolerance(S, atol, rtol, shape):
    """PyTorch's cut-off for host singular values S (..., k): max(atol, rtol * the largest); with neither given
    rtol is eps * max(m, n), with only atol given rtol is 0."""
    if rtol is None:
        rtol = float(np.finfo(S.dtype).eps) * max(shape[-2:]) if atol is None else 0.0
    atol, rtol = (np.asarray(x._host() if isinstance(x, Tensor) else (0.0 if x is None else x), np.float64)
                  for x in (atol, rtol))
    smax = S.max(-1, initial=0.0)
    return np.maximum(atol, rtol * smax)[..., None]


class Pinv(Function):
    """The pseudo-inverse; PyTorch's gradient, a formula of matrix products."""
    op_name = "linalg.pinv"

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        xp = xp_of(a)
        if hermitian:           # as PyTorch: eigh of the lower triangle, |eigenvalues| against the tolerance
            w, v = xp.linalg.eigh(a, UPLO="L")
            host_w = xp.abs(w if xp is np else w.get())
            keep = xp.asarray(host_w > _tolerance(host_w, atol, rtol, a.shape))
            winv = xp.where(keep, 1 / xp.where(keep, w, 1), 0).astype(a.dtype)
            out = (v * winv[..., None, :]) @ xp.swapaxes(v.conj() if a.dtype.kind == "c" else v, -1, -2)
            ctx.save_for_backward(a, out)
            return out
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        host_s = s if xp is np else s.get()
        keep = xp.asarray(host_s > _tolerance(host_s, atol, rtol, a.shape))
        sinv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(s.dtype)
        if a.dtype.kind == "c":
            u, vh = u.conj(), vh.conj()
        out = (xp.swapaxes(vh, -1, -2) * sinv[..., None, :]) @ xp.swapaxes(u, -1, -2)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, p = ctx._saved
        rows, cols = m.data(a).shape[-2:]
        ph, gh = _mH(p), _mH(g)
        if rows <= cols:
            K = gh @ p
            kph = K @ ph
            ga = -_mH(p @ K) + kph - (a @ p) @ kph + (ph @ p) @ (gh - K @ a)
        else:
            K = p @ gh
            phk = ph @ K
            ga = -_mH(K @ p) + (gh - a @ K) @ p @ ph + phk - phk @ p @ a
        return ga, None, None, None


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """``linalg.pinv``: the Moore-Penrose pseudo-inverse; singular values below max(atol, rtol * the largest) count
    as zero (rtol defaults to eps * max(m, n)). hermitian=True: through eigh of A's lower triangle (the upper one
    is not read), as PyTorch.

    Example: ``x = torch.linalg.pinv(A) @ b`` is the least-squares solution."""
    _check_matrix("linalg.eigh" if hermitian else "linalg.pinv", A, square=bool(hermitian))
    return _out(Pinv.apply(A, atol, rtol, hermitian), out)


@declare
def pinverse(input, rcond=1e-15):
    """``torch.pinverse``: ``linalg.pinv`` with rtol=rcond. Example: ``A.pinverse()``"""
    return pinv(input, rtol=rcond)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """``linalg.matrix_rank``: the number of singular values above the tolerance (as pinv's), int64; hermitian=True:
    of |eigenvalues| of A's lower triangle, as PyTorch.

    Example: ``torch.linalg.matrix_rank(torch.ones(3, 3))`` is 1."""
    _check_matrix("linalg.eigh" if hermitian else "linalg.matrix_rank", A, square=bool(hermitian))
    s = A._host()
    s = np.abs(np.linalg.eigvalsh(s, UPLO="L")) if hermitian else np.linalg.svd(s, compute_uv=False)
    rank = (s > _tolerance(s, atol, rtol, A.shape)).sum(-1).astype(np.int64)
    return _out(wrap(np.asarray(rank), A._data), out)


def lstsq(A, B, rcond=None, *, driver=None):
    """``linalg.lstsq``: (solution, residuals, rank, singular_values) of min |A X - B|. The solution is
    ``pinv(A) @ B`` (differentiable); the other parts as PyTorch's CPU drivers give them: rank for 'gelsy' (the
    default), 'gelsd', 'gelss'; singular_values for 'gelsd', 'gelss'; residuals (the squared column norms of
    A X - B, differentiable) for m > n with 'gels', and with 'gelsd' / 'gelss' when every A has rank n; each
    otherwise an empty tensor.

    Example: ``X, res, rank, S = torch.linalg.lstsq(A, B, driver="gelsd")``"""
    _check_matrix("linalg.lstsq", A, square=False)
    if driver not in (None, "gelsy", "gelsd", "gelss", "gels"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
                           f"input's dtype {A.dtype.scalar_type} and other's dtype {B.dtype.scalar_type}")
    if B.ndim > A.ndim or A.ndim - B.ndim > 1:
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    driver = driver or "gelsy"
    vector = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    if Bm.shape[-2] != A.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    real = A.dtype.to_real()
    eps = float(np.finfo(A._data.dtype).eps)
    # LAPACK's rcond: None -> eps * max(m, n) (PyTorch's default), negative -> the machine precision
    rtol = None if rcond is None or driver == "gels" else (float(rcond) if rcond >= 0 else eps / 2)     # gels: no rcond
    X = pinv(A, rtol=rtol) @ Bm
    empty = _zeros(0, dtype=real, device=A.device)
    rank = sv = empty
    rows, cols = A.shape[-2:]
    full_rank = True
    if driver != "gels":
        host_s = np.linalg.svd(A._host(), compute_uv=False)
        ranks = (host_s > _tolerance(host_s, None, rtol, A.shape)).sum(-1).astype(np.int64)
        full_rank = bool((ranks == cols).all())
        rank = wrap(np.asarray(ranks), A._data)
        if driver in ("gelsd", "gelss"):
            sv = wrap(np.asarray(host_s), A._data)
    else:
        rank = wrap(np.zeros(0, np.int64), A._data)
    residuals = empty
    if rows > cols and driver != "gelsy" and full_rank:
        R = A @ X - Bm
        residuals = (TOP["real"](R * R.conj()) if A.is_complex() else R * R).sum(-2)
    return _rt.linalg_lstsq((X.squeeze(-1) if vector else X, residuals, rank, sv))


def _out(result, out):
    if out is None:
        return result
    return out.copy_(result) if out.shape == result.shape else out.resize_(*result.shape).copy_(result)


@declare(name="det")
def det_top(input):
    """``torch.det``: ``linalg.det``. Example: ``A.det()``"""
    return det(input)


@declare(name="slogdet")
def slogdet_top(input):
    """``torch.slogdet``: ``linalg.slogdet``, as return_types.slogdet."""
    return _rt.slogdet(tuple(slogdet(input)))


@declare(name="svd")
def svd_top(input, some=True, compute_uv=True, *, out=None):
    """``torch.svd``: see svd_old."""
    return svd_old(input, some, compute_uv)
