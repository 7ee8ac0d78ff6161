"""ContinuousBernoulli(probs | logits): the continuous relaxation of Bernoulli on [0, 1] (Loaiza-Ganem & Cunningham
2019), with the normaliser's Taylor expansion near probs = 0.5 where the closed form is unstable."""
import math

import autograd_lite as al
from autograd_lite.nn.functional import binary_cross_entropy_with_logits
from . import constraints
from ._mixins import BinaryProbsLogits
from .exp_family import ExponentialFamily
from .utils import broadcast_all, clamp_probs, lazy_property, logits_to_probs

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(BinaryProbsLogits, ExponentialFamily):
    """The continuous Bernoulli distribution, reparameterised (inverse-cdf sampling).

    Example: ``ContinuousBernoulli(torch.tensor([0.3])).rsample((4,))``"""
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        batch_shape = self._set_probs_or_logits(probs, logits)
        if probs is not None:
            if validate_args is not None and not bool(self.arg_constraints["probs"].check(self.probs).all()):
                raise ValueError("The parameter probs has invalid values")
            self.probs = self._param = clamp_probs(self.probs)
        self._lims = lims
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_probs_logits(ContinuousBernoulli, batch_shape, _instance)
        new._lims = self._lims
        return new

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def _outside_unstable_region(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        return al.where(self._outside_unstable_region(), self.probs, self._lims[0] * al.ones_like(self.probs))

    def _cont_bern_log_norm(self):
        """The log normaliser as a function of probs."""
        cut_probs = self._cut_probs()
        below_half = al.where(cut_probs <= 0.5, cut_probs, al.zeros_like(cut_probs))
        above_half = al.where(cut_probs >= 0.5, cut_probs, al.ones_like(cut_probs))
        log_norm = al.log(al.abs(al.log1p(-cut_probs) - al.log(cut_probs))) - al.where(
            cut_probs <= 0.5, al.log1p(-2.0 * below_half), al.log(2.0 * above_half - 1.0))
        x = al.pow(self.probs - 0.5, 2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return al.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        cut_probs = self._cut_probs()
        mus = cut_probs / (2.0 * cut_probs - 1.0) + 1.0 / (al.log1p(-cut_probs) - al.log(cut_probs))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * al.pow(x, 2)) * x
        return al.where(self._outside_unstable_region(), mus, taylor)

    @property
    def variance(self):
        cut_probs = self._cut_probs()
        variances = (cut_probs * (cut_probs - 1.0) / al.pow(1.0 - 2.0 * cut_probs, 2)
                     + 1.0 / al.pow(al.log1p(-cut_probs) - al.log(cut_probs), 2))
        x = al.pow(self.probs - 0.5, 2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return al.where(self._outside_unstable_region(), variances, taylor)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return self.icdf(al.rand(shape, dtype=self.probs.dtype, device=self.probs.device))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none") + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        cut_probs = self._cut_probs()
        cdfs = ((al.pow(cut_probs, value) * al.pow(1.0 - cut_probs, 1.0 - value) + cut_probs - 1.0)
                / (2.0 * cut_probs - 1.0))
        unbounded = al.where(self._outside_unstable_region(), cdfs, value)
        return al.where(value <= 0.0, al.zeros_like(value), al.where(value >= 1.0, al.ones_like(value), unbounded))

    def icdf(self, value):
        cut_probs = self._cut_probs()
        return al.where(self._outside_unstable_region(),
                        (al.log1p(-cut_probs + value * (2.0 * cut_probs - 1.0)) - al.log1p(-cut_probs))
                        / (al.log(cut_probs) - al.log1p(-cut_probs)), value)

    def entropy(self):
        log_probs0, log_probs1 = al.log1p(-self.probs), al.log(self.probs)
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        """The log normaliser as a function of the natural parameter."""
        outside = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut = al.where(outside, x, (self._lims[0] - 0.5) * al.ones_like(x))
        log_norm = al.log(al.abs(al.expm1(cut))) - al.log(al.abs(cut))
        taylor = 0.5 * x + al.pow(x, 2) / 24.0 - al.pow(x, 4) / 2880.0
        return al.where(outside, log_norm, taylor)
