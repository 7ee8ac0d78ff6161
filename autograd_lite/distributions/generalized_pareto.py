"""GeneralizedPareto(loc, scale, concentration): the tail model of extreme-value theory (as TensorFlow
Probability and torch write it; concentration 0 is the shifted exponential)."""
import math

import autograd_lite as al
from . import constraints
from .distribution import Distribution

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """The generalized Pareto distribution; rsample is reparameterised (the icdf of a uniform draw).

    Example: ``GeneralizedPareto(torch.tensor([0.1]), torch.tensor([2.0]), torch.tensor([0.4])).rsample()``"""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        super().__init__(self._broadcast_params(loc=loc, scale=scale, concentration=concentration),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(GeneralizedPareto, batch_shape, _instance, "loc", "scale", "concentration")

    def _safe_concentration(self):
        """(concentration == 0 within isclose, concentration with those entries set to 1)."""
        eq_zero = al.isclose(self.concentration, al.zeros_like(self.concentration))
        return eq_zero, al.where(eq_zero, al.ones_like(self.concentration), self.concentration)

    def _z(self, x):
        return (x - self.loc) / self.scale

    def rsample(self, sample_shape=()):
        u = al.rand(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe_conc = self._safe_concentration()
        y = 1 / safe_conc + al.ones_like(z)
        where_nonzero = al.where(y == 0, y, y * al.log1p(safe_conc * z))
        return -self.scale.log() - al.where(eq_zero, z, where_nonzero)

    def log_survival_function(self, value):
        """log P(X > value)."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe_conc = self._safe_concentration()
        return al.where(eq_zero, -z, -al.log1p(safe_conc * z) / safe_conc)

    def log_cdf(self, value):
        """log P(X <= value)."""
        return al.log1p(-al.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return al.exp(self.log_cdf(value))

    def icdf(self, value):
        eq_zero, safe_conc = self._safe_concentration()
        logu = al.log1p(-value)
        where_nonzero = self.loc + self.scale / safe_conc * al.expm1(-safe_conc * logu)
        return al.where(eq_zero, self.loc - self.scale * logu, where_nonzero)

    @property
    def mean(self):
        valid = self.concentration < 1
        safe_conc = al.where(valid, self.concentration, 0.5)
        return al.where(valid, self.loc + self.scale / (1 - safe_conc), math.nan)

    @property
    def variance(self):
        valid = self.concentration < 0.5
        safe_conc = al.where(valid, self.concentration, 0.25)
        return al.where(valid, self.scale ** 2 / ((1 - safe_conc) ** 2 * (1 - 2 * safe_conc)), math.nan)

    @property
    def mode(self):
        return self.loc

    def entropy(self):
        return al.broadcast_to(self.scale.log() + self.concentration + 1, tuple(self._batch_shape))

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = al.where(self.concentration < 0, self.loc - self.scale / self.concentration, math.inf)
        return constraints.interval(self.loc, upper)
