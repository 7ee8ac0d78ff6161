"""``autograd_lite.linalg``: torch.linalg's norms, solvers and decompositions, differentiable as PyTorch's, on real
and complex (complex64 / complex128) matrices; complex gradients are PyTorch's conjugate Wirtinger ones, and a loss
that depends on the phases of complex singular vectors or eigenvectors raises PyTorch's error.

Example::

    import autograd_lite as torch
    torch.linalg.vector_norm(x, ord=2, dim=1)       # the length of each row
    torch.linalg.matrix_norm(A, ord="fro")
    x = torch.linalg.solve(A, b)
    L, V = torch.linalg.eigh(A @ A.mT)
    LU, pivots = torch.linalg.lu_factor(A)
"""
from .ops.products import linalg_cross as cross, matrix_power, multi_dot
from .ops.linalg import linalg_norm as norm, matmul, matrix_norm, svdvals, vector_norm
from .ops.decompositions import (LinAlgError, cholesky, det, eigh, eigvalsh, inv, lstsq, matrix_rank, pinv, qr,
                                 slogdet, solve, svd)
from .ops.linalg_solvers import (cholesky_ex, inv_ex, lu, lu_factor, lu_factor_ex, lu_solve, solve_ex,
                                 solve_triangular, tensorinv, tensorsolve)
from .ops.matrix_functions import cond, diagonal, householder_product, matrix_exp, vander, vecdot
from .ops.linalg_ldl import ldl_factor, ldl_factor_ex, ldl_solve
from .ops.linalg_eig import eig, eigvals

__all__ = ["cross", "matrix_power", "multi_dot", "matmul",
           "norm", "vector_norm", "matrix_norm", "svdvals", "LinAlgError", "cholesky", "det", "eigh", "eigvalsh",
           "inv", "lstsq", "matrix_rank", "pinv", "qr", "slogdet", "solve", "svd",
           "cholesky_ex", "inv_ex", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "solve_ex", "solve_triangular",
           "tensorinv", "tensorsolve", "cond", "diagonal", "householder_product", "matrix_exp", "vander", "vecdot"]
__all__ += ["ldl_factor", "ldl_factor_ex", "ldl_solve"]
__all__ += ["eig", "eigvals"]


from . import _torch_function as _tf  # noqa: E402  (the functions above become __torch_function__ wrappers)
_tf.install(__name__)
