"""Binomial(total_count, probs | logits)."""
import numpy as np

import autograd_lite as al
from autograd_lite import random as _random
from . import constraints
from ._mixins import BinaryProbsLogits
from .distribution import Distribution
from .utils import enumerate_values

__all__ = ["Binomial"]


def _clamp_by_zero(x):
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(BinaryProbsLogits, Distribution):
    """The number of successes in `total_count` Bernoulli trials. Example: ``Binomial(10, torch.tensor([0.3]))``"""
    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        super().__init__(self._set_probs_or_logits(probs, logits, total_count), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_probs_logits(Binomial, batch_shape, _instance, "total_count")

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with al.no_grad():
            n = np.broadcast_to(self.total_count._host(), shape).astype(np.int64)
            p = np.broadcast_to(self.probs._host(), shape).astype(np.float64)
            draws = _random.generator().binomial(n, p).astype(self.probs.dtype.np)
            return al.tensor(draws, device=self.probs.device)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = al.lgamma(self.total_count + 1)
        log_factorial_k = al.lgamma(value + 1)
        log_factorial_nmk = al.lgamma(self.total_count - value + 1)
        normalize_term = (self.total_count * _clamp_by_zero(self.logits)
                          + self.total_count * al.log1p(al.exp(-al.abs(self.logits))) - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self):
        total_count = int(self.total_count.max())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(al.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.max())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        return enumerate_values(al.arange(1 + total_count, dtype=self._param.dtype, device=self._param.device),
                                self._batch_shape, expand)
