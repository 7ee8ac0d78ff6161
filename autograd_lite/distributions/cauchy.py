"""Cauchy(loc, scale)."""
import math

import autograd_lite as al
from ._mixins import LocScale
from .distribution import Distribution

__all__ = ["Cauchy"]


class Cauchy(LocScale, Distribution):
    """The Cauchy (Lorentz) distribution. Example: ``Cauchy(torch.tensor([0.0]), torch.tensor([1.0])).sample()``"""
    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Cauchy, batch_shape, _instance, "loc", "scale")

    @property
    def mean(self):
        return al.full(self._extended_shape(), float("nan"), dtype=self.loc.dtype, device=self.loc.device)

    @property
    def variance(self):
        return al.full(self._extended_shape(), float("inf"), dtype=self.loc.dtype, device=self.loc.device)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = al.empty(shape, dtype=self.loc.dtype, device=self.loc.device).cauchy_()
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return al.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return al.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()
