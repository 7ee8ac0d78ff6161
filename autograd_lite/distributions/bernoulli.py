"""Bernoulli(probs | logits): 0/1 outcomes."""
import autograd_lite as al
from autograd_lite.nn.functional import binary_cross_entropy_with_logits
from . import constraints
from ._mixins import BinaryProbsLogits
from .exp_family import ExponentialFamily
from .utils import broadcast_all, enumerate_values

__all__ = ["Bernoulli"]


class Bernoulli(BinaryProbsLogits, ExponentialFamily):
    """A Bernoulli distribution given ``probs`` or ``logits`` (not both).

    Example: ``d = Bernoulli(logits=policy_logits); a = d.sample(); loss = -(d.log_prob(a) * reward).sum()``"""
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(self, probs=None, logits=None, validate_args=None):
        super().__init__(self._set_probs_or_logits(probs, logits), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_probs_logits(Bernoulli, batch_shape, _instance)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return al.where(self.probs == 0.5, float("nan"), mode)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        with al.no_grad():
            return al.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        return enumerate_values(al.arange(2, dtype=self._param.dtype, device=self._param.device),
                                self._batch_shape, expand)

    @property
    def _natural_params(self):
        return (al.logit(self.probs),)

    def _log_normalizer(self, x):
        return al.log1p(al.exp(x))
