"""Laplace(loc, scale)."""
import autograd_lite as al
from ._mixins import LocScale
from .distribution import Distribution

__all__ = ["Laplace"]


class Laplace(LocScale, Distribution):
    """The Laplace distribution. Example: ``Laplace(torch.tensor([0.0]), torch.tensor([1.0])).rsample()``"""
    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Laplace, batch_shape, _instance, "loc", "scale")

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        finfo = al.finfo(self.loc.dtype)
        u = al.empty(shape, dtype=self.loc.dtype, device=self.loc.device).uniform_(finfo.eps - 1, 1)
        return self.loc - self.scale * u.sign() * al.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -al.log(2 * self.scale) - al.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * al.expm1(-(value - self.loc).abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * al.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + al.log(2 * self.scale)
