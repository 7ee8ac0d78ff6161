"""VonMises(loc, concentration): the circular normal distribution on angles."""
import math

import autograd_lite as al
from . import constraints
from ._mixins import Located
from .distribution import Distribution
from .utils import lazy_property

__all__ = ["VonMises"]

# polynomial fits of log I0 / log I1 (Abramowitz & Stegun 9.8.1-9.8.4), small and large argument
_COEF_SMALL = ([1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2],
               [0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3])
_COEF_LARGE = ([0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2, -0.2057706e-1, 0.2635537e-1,
                -0.1647633e-1, 0.392377e-2],
               [0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1, 0.2282967e-1, -0.2895312e-1,
                0.1787654e-1, -0.420059e-2])


def _eval_poly(y, coef):
    result = coef[-1]
    for c in reversed(coef[:-1]):
        result = c + y * result
    return result


def _log_modified_bessel_fn(x, order=0):
    """log I_order(x) for x > 0, order 0 or 1."""
    if order not in (0, 1):
        raise AssertionError(f"order must be 0 or 1, got {order}")
    y = (x / 3.75) ** 2
    small = _eval_poly(y, _COEF_SMALL[order])
    if order == 1:
        small = x.abs() * small
    large = x - 0.5 * x.log() + _eval_poly(3.75 / x, _COEF_LARGE[order]).log()
    return al.where(x < 3.75, small.log(), large)


def _rejection_sample(loc, concentration, proposal_r, x):
    """Best & Fisher (1979): every element draws until accepted; each round is one vectorised draw."""
    done = al.zeros(x.shape, dtype=al.bool, device=loc.device)
    while not bool(done.all()):
        u1, u2, u3 = al.rand((3,) + tuple(x.shape), dtype=loc.dtype, device=loc.device).unbind()
        z = al.cos(math.pi * u1)
        f = (1 + proposal_r * z) / (proposal_r + z)
        c = concentration * (proposal_r - f)
        accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
        x = al.where(accept & ~done, (u3 - 0.5).sign() * f.acos(), x)
        done = done | accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Located, Distribution):
    """The von Mises distribution; `loc` and values are angles (any real, read modulo 2 pi).

    Example: ``VonMises(torch.tensor([1.0]), torch.tensor([4.0])).sample((5,))``"""
    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        super().__init__(self._broadcast_params(loc=loc, concentration=concentration), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(VonMises, batch_shape, _instance, "loc", "concentration")

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (self.concentration * al.cos(value - self.loc) - math.log(2 * math.pi)
                - _log_modified_bessel_fn(self.concentration, order=0))

    @lazy_property
    def _proposal_r(self):
        kappa = self.concentration.to(al.float64)
        tau = 1 + (1 + 4 * kappa ** 2).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
        return al.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))

    def sample(self, sample_shape=()):
        """Drawn in float64 (single precision hangs the rejection loop at tiny concentrations), returned in loc's
        dtype."""
        shape = self._extended_shape(sample_shape)
        with al.no_grad():
            x = al.zeros(shape, dtype=al.float64, device=self.loc.device)
            return _rejection_sample(self.loc.to(al.float64), self.concentration.to(al.float64),
                                     self._proposal_r, x).to(self.loc.dtype)

    @lazy_property
    def variance(self):
        """The circular variance."""
        return 1 - (_log_modified_bessel_fn(self.concentration, order=1)
                    - _log_modified_bessel_fn(self.concentration, order=0)).exp()
