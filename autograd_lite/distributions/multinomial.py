"""Multinomial(total_count, probs | logits): counts of `total_count` Categorical draws."""
import autograd_lite as al
from . import constraints
from ._mixins import CategoricalOfBase
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Multinomial"]


class Multinomial(CategoricalOfBase, Distribution):
    """Counts over K categories of `total_count` independent draws (an int, the same for the whole batch).

    Example: ``Multinomial(10, torch.tensor([1.0, 1.0, 2.0])).sample()  # e.g. tensor([2., 3., 5.])``"""
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Multinomial, _instance)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        return self._finish_expand(new, batch_shape)

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        sample_shape = tuple(sample_shape)
        with al.no_grad():
            samples = self._categorical.sample((self.total_count,) + sample_shape)
            samples = samples.permute(tuple(range(1, samples.dim())) + (0,))
            counts = al.zeros(self._extended_shape(sample_shape), dtype=samples.dtype, device=samples.device)
            counts = counts.scatter_add(-1, samples, al.ones_like(samples))
            return counts.to(self.probs.dtype)

    def entropy(self):
        n = al.tensor(float(self.total_count), dtype=self.probs.dtype, device=self.probs.device)
        term1 = n * self._categorical.entropy() - al.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = al.exp(self._binomial.log_prob(support))
        weights = al.lgamma(support + 1)
        return term1 + (binomial_probs * weights).sum([0, -1])

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = al.lgamma(value.sum(-1) + 1)
        log_factorial_xs = al.lgamma(value + 1).sum(-1)
        logits = al.where((value == 0) & (logits == float("-inf")), 0.0, logits)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)
