"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril)."""
import math

import numpy as np

import autograd_lite as al
from . import constraints
from ._mixins import Located
from .distribution import Distribution
from .utils import lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mv(bmat, bvec):
    return al.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _solve_tril(L, B):
    """L^-1 B for lower-triangular L (batched, broadcasting); gradients reach L's lower triangle only."""
    return al.linalg.solve(L.tril(), B)


def _batch_mahalanobis(bL, bx):
    """|L^-1 x|² for x of shape sample + batch + (n,), with the sample dims solved as extra columns of one solve
    per batch matrix (L is never copied per sample)."""
    n = bx.shape[-1]
    batch = tuple(np.broadcast_shapes(tuple(bL.shape[:-2]), tuple(bx.shape[-1 - (bL.dim() - 2):-1])
                                      if bL.dim() > 2 else ()))
    sample = tuple(np.broadcast_shapes(tuple(bx.shape[:-1]), batch))[:-len(batch) or None] if batch else \
        tuple(bx.shape[:-1])
    x = bx.expand(sample + batch + (n,))
    s = int(np.prod(sample)) if sample else 1
    x = x.reshape((s,) + batch + (n,))
    x = x.permute(tuple(range(1, len(batch) + 2)) + (0,))            # batch + (n, s)
    y = _solve_tril(bL.expand(batch + (n, n)), x)
    m = (y * y).sum(-2)                                                # batch + (s,)
    m = m.permute((len(batch),) + tuple(range(len(batch))))           # (s,) + batch
    return m.reshape(sample + batch)


def _precision_to_scale_tril(P):
    return al.linalg.cholesky(al.linalg.inv(P))


class MultivariateNormal(Located, Distribution):
    """The multivariate normal with mean `loc` and one of covariance_matrix, precision_matrix or scale_tril.

    Example: ``MultivariateNormal(torch.zeros(2), torch.eye(2)).rsample((5,))``"""
    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        matrix, name = next((m, k) for m, k in ((scale_tril, "scale_tril"), (covariance_matrix, "covariance_matrix"),
                                               (precision_matrix, "precision_matrix")) if m is not None)
        if matrix.dim() < 2:
            raise ValueError(f"{name} matrix must be at least two-dimensional, with optional leading batch "
                             "dimensions")
        batch_shape = tuple(np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1])))
        setattr(self, name, matrix.expand(batch_shape + (-1, -1)))
        self.loc = loc.expand(batch_shape + (-1,))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = al.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = al.Size(tuple(batch_shape))
        loc_shape = tuple(batch_shape) + tuple(self.event_shape)
        cov_shape = loc_shape + tuple(self.event_shape)
        new.loc = self.loc.expand(loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(cov_shape))
        return self._finish_expand(new, batch_shape)

    def _full(self):
        return tuple(self._batch_shape) + tuple(self._event_shape) + tuple(self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._full())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return al.matmul(L, L.mT).expand(self._full())

    @lazy_property
    def precision_matrix(self):
        L_inv = al.linalg.inv(self._unbroadcasted_scale_tril.tril())
        return al.matmul(L_inv.mT, L_inv).expand(self._full())

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(tuple(self._batch_shape)
                                                                     + tuple(self._event_shape))

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = al.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self):
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        return H if len(self._batch_shape) == 0 else H.expand(tuple(self._batch_shape))
