"""StudentT(df, loc, scale)."""
import math

import autograd_lite as al
from . import constraints
from .distribution import Distribution
from .gamma import Chi2
from .utils import broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    """Student's t-distribution. Example: ``StudentT(torch.tensor([2.0])).rsample()``"""
    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self._chi2._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_params(StudentT, batch_shape, _instance, "df", "loc", "scale")
        new._chi2 = self._chi2.expand(tuple(batch_shape))
        return new

    @property
    def mean(self):
        return al.where(self.df <= 1, float("nan"), self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        m = al.where(df > 2, self.scale.pow(2) * df / al.where(df > 2, df - 2, 1.0), float("inf"))
        return al.where(df <= 1, float("nan"), m)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        X = al.randn(shape, dtype=self.df.dtype, device=self.df.device)
        Z = self._chi2.rsample(sample_shape)
        Y = X * al.rsqrt(Z / self.df)
        return self.loc + self.scale * Y

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        Z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi) + al.lgamma(0.5 * self.df)
             - al.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * al.log1p(y ** 2.0 / self.df) - Z

    def entropy(self):
        lbeta = al.lgamma(0.5 * self.df) + math.lgamma(0.5) - al.lgamma(0.5 * (self.df + 1))
        return (self.scale.log() + 0.5 * (self.df + 1) * (al.digamma(0.5 * (self.df + 1))
                                                          - al.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
