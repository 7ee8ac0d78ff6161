"""NegativeBinomial(total_count, probs | logits): successes before `total_count` failures."""
import autograd_lite as al
from autograd_lite.nn.functional import logsigmoid
from . import constraints
from ._mixins import BinaryProbsLogits
from .distribution import Distribution
from .gamma import Gamma
from .utils import lazy_property

__all__ = ["NegativeBinomial"]


class NegativeBinomial(BinaryProbsLogits, Distribution):
    """The number of successes of Bernoulli(probs) trials before `total_count` failures (a Gamma-Poisson mixture).

    Example: ``NegativeBinomial(5.0, probs=torch.tensor([0.4])).sample((3,))``"""
    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        super().__init__(self._set_probs_or_logits(probs, logits, total_count), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_probs_logits(NegativeBinomial, batch_shape, _instance, "total_count")

    @property
    def mean(self):
        return self.total_count * al.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / al.sigmoid(-self.logits)

    @lazy_property
    def _gamma(self):
        return Gamma(concentration=self.total_count, rate=al.exp(-self.logits), validate_args=False)

    def sample(self, sample_shape=()):
        with al.no_grad():
            return al.poisson(self._gamma.sample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized_prob = self.total_count * logsigmoid(-self.logits) + value * logsigmoid(self.logits)
        log_normalization = -al.lgamma(self.total_count + value) + al.lgamma(1.0 + value) + al.lgamma(self.total_count)
        log_normalization = al.where(self.total_count + value == 0.0, 0.0, log_normalization)
        return log_unnormalized_prob - log_normalization
