"""Kumaraswamy(concentration1, concentration0): a Beta-like distribution on (0, 1) with a closed-form cdf."""
import autograd_lite as al
from . import constraints
from .gumbel import _EULER
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform

__all__ = ["Kumaraswamy"]


def _moments(a, b, n):
    """The n-th moment: b * B(1 + n / a, b)."""
    arg1 = 1 + n / a
    log_value = al.lgamma(arg1) + al.lgamma(b) - al.lgamma(arg1 + b)
    return b * al.exp(log_value)


class Kumaraswamy(TransformedDistribution):
    """The Kumaraswamy distribution, reparameterised (a transformed Uniform).

    Example: ``Kumaraswamy(torch.tensor([2.0]), torch.tensor([5.0])).rsample()``"""
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self._broadcast_params(concentration1=concentration1, concentration0=concentration0)
        base_dist = Uniform(al.full_like(self.concentration0, 0), al.full_like(self.concentration0, 1),
                            validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()), AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base_dist, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(tuple(batch_shape))
        new.concentration0 = self.concentration0.expand(tuple(batch_shape))
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        log_mode = (self.concentration0.reciprocal() * (-self.concentration0).log1p()
                    - (-self.concentration0 * self.concentration1).log1p())
        return al.where((self.concentration0 < 1) | (self.concentration1 < 1), float("nan"), log_mode).exp()

    @property
    def variance(self):
        return _moments(self.concentration1, self.concentration0, 2) - al.pow(self.mean, 2)

    def entropy(self):
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        H0 = al.digamma(self.concentration0 + 1) + _EULER
        return t0 + t1 * H0 - al.log(self.concentration1) - al.log(self.concentration0)
