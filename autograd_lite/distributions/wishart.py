"""Wishart(df, covariance_matrix | precision_matrix | scale_tril): distributions over positive-definite
matrices, sampled by the Bartlett decomposition."""
import math
import numbers
import warnings

import numpy as np

import autograd_lite as al
from . import constraints
from .exp_family import ExponentialFamily
from .gamma import Chi2
from .multivariate_normal import _precision_to_scale_tril
from .utils import lazy_property, vec_to_tril_matrix

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


def _mvdigamma(x, p):
    """The multivariate digamma: sum_i digamma(x - i / 2), i < p."""
    if not bool(x.gt((p - 1) / 2).all()):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    return al.digamma(x.unsqueeze(-1) - al.arange(p, dtype=x.dtype, device=x.device).div(2)).sum(-1)


def _bartlett_chi2(df, p, batch_shape, like):
    """The chi-squared laws of the Bartlett factor's squared diagonal: df - i degrees of freedom, i < p."""
    offsets = al.arange(p, dtype=like.dtype, device=like.device).expand(tuple(batch_shape) + (-1,))
    return Chi2(df=df.unsqueeze(-1) - offsets)


class Wishart(ExponentialFamily):
    """The Wishart distribution with `df` degrees of freedom and scale matrix given by one of covariance_matrix,
    precision_matrix or scale_tril; rsample is reparameterised (Bartlett decomposition, gamma implicit gradients).

    Example: ``Wishart(torch.tensor([4.0]), covariance_matrix=torch.eye(2)).rsample()  # mean df * I``"""
    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                                 "specified.")
        param = next(p for p in (covariance_matrix, precision_matrix, scale_tril) if p is not None)
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, numbers.Number):
            batch_shape = tuple(param.shape[:-2])
            self.df = al.tensor(df, dtype=param.dtype, device=param.device)
        else:
            batch_shape = tuple(np.broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape)))
            self.df = df.expand(batch_shape)
        event_shape = tuple(param.shape[-2:])
        p = event_shape[-1]
        if bool(self.df.le(p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        if scale_tril is not None:
            self.scale_tril = param.expand(batch_shape + (-1, -1))
        elif covariance_matrix is not None:
            self.covariance_matrix = param.expand(batch_shape + (-1, -1))
        else:
            self.precision_matrix = param.expand(batch_shape + (-1, -1))
        if bool(self.df.lt(p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df < "
                          "ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._batch_dims = [-(x + 1) for x in range(len(self._batch_shape))]
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = al.linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)
        self._dist_chi2 = _bartlett_chi2(self.df, p, batch_shape, self._unbroadcasted_scale_tril)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = al.Size(tuple(batch_shape))
        cov_shape = tuple(batch_shape) + tuple(self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(batch_shape)
        new._batch_dims = [-(x + 1) for x in range(len(batch_shape))]
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(cov_shape))
        new._dist_chi2 = _bartlett_chi2(new.df, self.event_shape[-1], batch_shape, new._unbroadcasted_scale_tril)
        return self._finish_expand(new, batch_shape)

    def _full(self):
        return tuple(self._batch_shape) + tuple(self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._full())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.mT).expand(self._full())

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        identity = al.eye(self._event_shape[-1], dtype=L.dtype, device=L.device)
        return al.cholesky_solve(identity, L).expand(self._full())

    def _df_matrix(self):
        return self.df.view(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self):
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = al.where(factor <= 0, math.nan, factor)
        return factor.view(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix
        diag_V = V.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix() * (V.pow(2) + diag_V.unsqueeze(-1) * diag_V.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape=()):
        """L A A^T L^T with A lower-triangular: sqrt(chi2(df - i)) on the diagonal, N(0, 1) below it."""
        p = self._event_shape[-1]
        diag = self._dist_chi2.rsample(sample_shape).sqrt()
        noise = al.diag_embed(diag.clamp(min=al.finfo(diag.dtype).eps))
        if p > 1:
            below = al.randn(tuple(sample_shape) + tuple(self._batch_shape) + (p * (p - 1) // 2,),
                             dtype=noise.dtype, device=noise.device)
            noise = noise + vec_to_tril_matrix(below, diag=-1)
        chol = self._unbroadcasted_scale_tril @ noise
        return chol @ chol.mT

    def _singular(self, sample):
        """Per leading (sample) index: whether any matrix of its batch is not positive definite, as numpy."""
        bad = ~self.support.check(sample)
        if self._batch_shape:
            bad = bad.amax(self._batch_dims)
        return np.array(bad.cpu().numpy()).reshape(-1)

    def rsample(self, sample_shape=(), max_try_correction=None):
        """A reparameterised sample. The Bartlett sampler can return singular matrices when df is close to
        ndim - 1: those sample indices are drawn again, at most `max_try_correction` times (default 10), with a
        warning; some may stay singular (their log_prob is -inf). Unlike torch 2.13, whose singular mask is inverted
        (it warns on every draw and redraws the good samples), only the singular ones are redrawn.

        Example: ``Wishart(torch.tensor(3.0), torch.eye(3)).rsample((5,), max_try_correction=3)``"""
        if max_try_correction is None:
            max_try_correction = 10
        sample_shape = tuple(al.Size(tuple(sample_shape)))
        sample = self._bartlett_sampling(sample_shape)
        singular = self._singular(sample)
        if not singular.any():
            return sample
        warnings.warn("Singular sample detected.", stacklevel=2)
        flat = sample.reshape((-1,) + self._full())
        for _ in range(max_try_correction):
            index = np.flatnonzero(singular)
            sample_new = self._bartlett_sampling((index.size,))
            flat = flat.index_copy(0, al.tensor(index, device=flat.device), sample_new)
            singular[index] = self._singular(sample_new)
            if not singular.any():
                break
        return flat.reshape(sample.shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu, p, L = self.df, self._event_shape[-1], self._unbroadcasted_scale_tril
        return (-nu * (p * _LOG_2 / 2 + L.diagonal(dim1=-2, dim2=-1).log().sum(-1))
                - al.mvlgamma(nu / 2, p=p)
                + (nu - p - 1) / 2 * al.linalg.slogdet(value).logabsdet
                - al.cholesky_solve(value, L).diagonal(dim1=-2, dim2=-1).sum(dim=-1) / 2)

    def entropy(self):
        nu, p, L = self.df, self._event_shape[-1], self._unbroadcasted_scale_tril
        return ((p + 1) * (p * _LOG_2 / 2 + L.diagonal(dim1=-2, dim2=-1).log().sum(-1))
                + al.mvlgamma(nu / 2, p=p) - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p=p) + nu * p / 2)

    @property
    def _natural_params(self):
        return -self.precision_matrix / 2, (self.df - self._event_shape[-1] - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return ((y + (p + 1) / 2) * (-al.linalg.slogdet(-2 * x).logabsdet + _LOG_2 * p)
                + al.mvlgamma(y + (p + 1) / 2, p=p))
