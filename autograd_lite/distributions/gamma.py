"""Gamma(concentration, rate), and Chi2(df) = Gamma(df / 2, 1 / 2)."""
import numbers

import autograd_lite as al
from . import constraints
from ._gamma import standard_gamma
from .exp_family import ExponentialFamily
from .utils import _xlogy, broadcast_all

__all__ = ["Chi2", "Gamma"]


class Gamma(ExponentialFamily):
    """The gamma distribution; rsample is reparameterised (the implicit gradient of a standard-gamma draw).

    Example: ``Gamma(torch.tensor([2.0]), torch.tensor([1.0])).rsample((10,))``"""
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        super().__init__(self._broadcast_params(concentration=concentration, rate=rate), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Gamma, batch_shape, _instance, "concentration", "rate")

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=al.finfo(value.dtype).tiny)
        return value

    def log_prob(self, value):
        value = al.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (_xlogy(self.concentration, self.rate) + _xlogy(self.concentration - 1, value)
                - self.rate * value - al.lgamma(self.concentration))

    def cdf(self, value):
        """The regularised lower incomplete gamma P(concentration, rate * value)."""
        if self._validate_args:
            self._validate_sample(value)
        return al.igamma(self.concentration, self.rate * value)

    def entropy(self):
        return (self.concentration - al.log(self.rate) + al.lgamma(self.concentration)
                + (1.0 - self.concentration) * al.digamma(self.concentration))

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return al.lgamma(x + 1) + (x + 1) * al.log(-y.reciprocal())


class Chi2(Gamma):
    """The chi-squared distribution with `df` degrees of freedom. Example: ``Chi2(torch.tensor([3.0])).sample()``"""
    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df) if not isinstance(df, numbers.Number) else (df,)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape, _instance=self._get_checked_instance(Chi2, _instance))

    @property
    def df(self):
        return self.concentration * 2
