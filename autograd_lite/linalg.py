"""``autograd_lite.linalg``: torch.linalg's norms, solvers and decompositions, differentiable as PyTorch's.

Example::

    import autograd_lite as torch
    torch.linalg.vector_norm(x, ord=2, dim=1)       # the length of each row
    torch.linalg.matrix_norm(A, ord="fro")
    x = torch.linalg.solve(A, b)
    L, V = torch.linalg.eigh(A @ A.mT)
"""
from .ops.products import linalg_cross as cross, matrix_power, multi_dot
from .ops.linalg import linalg_norm as norm, matrix_norm, svdvals, vector_norm
from .ops.decompositions import (LinAlgError, cholesky, det, eigh, eigvalsh, inv, lstsq, matrix_rank, pinv, qr,
                                 slogdet, solve, svd)

__all__ = ["cross", "matrix_power", "multi_dot",
           "norm", "vector_norm", "matrix_norm", "svdvals", "LinAlgError", "cholesky", "det", "eigh", "eigvalsh",
           "inv", "lstsq", "matrix_rank", "pinv", "qr", "slogdet", "solve", "svd"]
