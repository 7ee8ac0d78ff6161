"""``linalg.eig`` / ``linalg.eigvals``: eigenvalues and eigenvectors of general square matrices, complex always (as
PyTorch's), with PyTorch's gradient (linalg_eig_backward)."""
import numpy as np

from .. import return_types as _rt
from ..autograd.op_function import Function
from ..backend import backend_of
from . import _formula as m
from .decompositions import _col, _eye, _row, _solve
from ._util import xp_of


def _split(packed):
    """[L; V] packed as rows: (L, V)."""
    return packed[..., 0, :], packed[..., 1:, :]


def _diagonal(x):
    return x.diagonal(0, -2, -1) if m.is_graph(x) else xp_of(x).diagonal(x, axis1=-2, axis2=-1)


class Eig(Function):
    """Eigenvalues and unit eigenvectors (LAPACK's geev, as PyTorch's) packed as rows [L; V], (..., n + 1, n).
    Gradient ``V^-H (diag(gL) + (V^H gV - V^H V diag(Re diag(V^H gV))) / conj(E)) V^H``, E_ij = L_j - L_i (1 on the
    diagonal); its real part for a real input."""
    op_name = "linalg.eig"

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        cdt = np.result_type(a.dtype, np.complex64)
        linalg = getattr(xp.linalg, "eig", None)
        if linalg is None:          # an array module without eig (older CuPy): on the host, then back
            be = backend_of(a)
            w, v = np.linalg.eig(be.to_host(a))
            w, v = xp.asarray(w), xp.asarray(v)
        else:
            w, v = linalg(a)
        out = xp.concatenate([w.astype(cdt)[..., None, :], v.astype(cdt)], axis=-2)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (L, V), (gL, gV) = _split(ctx._saved[0]), _split(g)
        n = V.shape[-1]
        Vh = m.conj(m.mT(V))
        VhgV = Vh @ gV
        phase = m.imag(_diagonal(m.data(VhgV)))
        if not xp_of(phase).allclose(phase, 0, rtol=1e-2, atol=1e-2):
            raise RuntimeError("linalg_eig_backward: The eigenvectors in the complex case are specified up to "
                               "multiplication by e^{i phi}. The specified loss function depends on this quantity, "
                               "so it is ill-defined.")
        VhgV = VhgV - Vh @ (V * _row(m.real(_diagonal(VhgV))))
        Lc = m.conj(L)
        eye = _eye(n, m.real(L))
        E = _row(Lc) - _col(Lc) + eye                       # 1 on the diagonal
        gA = _solve(Vh, (VhgV / E + _row(gL) * eye) @ Vh)
        return m.real(gA) if ctx._inputs[0][2].kind != "c" else gA


def _check(op, A):
    if A._data.dtype.kind not in "fc":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {A.dtype.scalar_type}")
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


def eig(A, *, out=None):
    """``linalg.eig``: (eigenvalues, eigenvectors as unit columns) of a square matrix, complex (complex64 for
    float32 input). Differentiable where the eigenvalues are distinct and the loss does not depend on the
    eigenvectors' phases, as PyTorch.

    Example: ``L, V = torch.linalg.eig(A); (V @ torch.diag_embed(L) @ torch.linalg.inv(V))`` is A."""
    _check("linalg.eig", A)
    return _rt.linalg_eig(_split(Eig.apply(A)))


def eigvals(A, *, out=None):
    """``linalg.eigvals``: the eigenvalues of a square matrix, complex. Example: ``torch.linalg.eigvals(A)``"""
    _check("linalg.eigvals", A)
    return Eig.apply(A)[..., 0, :]
