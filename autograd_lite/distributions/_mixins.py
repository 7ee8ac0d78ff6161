"""Parameterisations several distributions share, written once: a location-scale pair on the real line, the
probs-or-logits of a binary event, and the relaxed distributions' view of their base distribution."""
from . import constraints
from .utils import lazy_property, logits_to_probs, probs_to_logits


class Located:
    """mean = mode = loc (Normal, Laplace, MultivariateNormal)."""

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc


class LocScale(Located):
    """`loc` and `scale` broadcast together, real support, reparameterised (Normal, Laplace, Cauchy)."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        super().__init__(self._broadcast_params(loc=loc, scale=scale), validate_args=validate_args)


class BinaryProbsLogits:
    """A binary event given by ``probs`` or ``logits`` (not both); the other one is derived on first use
    (Bernoulli, Binomial, NegativeBinomial, Geometric, LogitRelaxedBernoulli, ContinuousBernoulli)."""
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}

    def _set_probs_or_logits(self, probs, logits, total_count=None):
        """Sets ``probs`` or ``logits`` (broadcast with `total_count` when given, which is set too, in the
        parameter's dtype) and ``_param``; returns the batch shape."""
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, value = ("probs", probs) if probs is not None else ("logits", logits)
        if total_count is None:
            shape = self._broadcast_params(**{name: value})
        else:
            shape = self._broadcast_params(total_count=total_count, **{name: value})
            self.total_count = self.total_count.to(getattr(self, name).dtype)
        self._param = getattr(self, name)
        return shape

    def _expand_probs_logits(self, cls, batch_shape, _instance, *names):
        new = self._expand_params(cls, batch_shape, _instance, *names, "probs", "logits")
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        return new

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.size()

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)


class CategoricalOfBase:
    """probs / logits / param_shape read from the wrapped ``_categorical`` (OneHotCategorical, Multinomial,
    ExpRelaxedCategorical)."""

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def _param(self):
        return self._categorical._param

    def _new(self, *args, **kwargs):
        return self._categorical._new(*args, **kwargs)


class RelaxedOfBase:
    """temperature / logits / probs read from ``base_dist`` (RelaxedBernoulli, RelaxedOneHotCategorical)."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs
