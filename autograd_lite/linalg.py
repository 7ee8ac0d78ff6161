"""``autograd_lite.linalg``: torch.linalg's norms.

Example::

    import autograd_lite as torch
    torch.linalg.vector_norm(x, ord=2, dim=1)       # the length of each row
    torch.linalg.matrix_norm(A, ord="fro")
    torch.linalg.norm(A)
"""
from .ops.linalg import linalg_norm as norm, matrix_norm, svdvals, vector_norm

__all__ = ["norm", "vector_norm", "matrix_norm", "svdvals"]
