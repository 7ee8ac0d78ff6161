"""Standard-gamma draws with the implicit reparameterisation gradient (PyTorch's ``_standard_gamma`` and
``_standard_gamma_grad``): d sample / d alpha = -(d cdf / d alpha) / pdf, approximated as PyTorch does (a Taylor
series for small x, a Rice saddle-point expansion for large alpha, a bivariate rational fit elsewhere). The
formula is written once on the array module (NumPy or CuPy), vectorised over the elements."""
import numpy as np

from autograd_lite import random as _random
from autograd_lite.autograd.function import Function
from autograd_lite.ops import _formula as m
from autograd_lite.ops._util import wrap, xp_of
from autograd_lite.ops.special import _digamma64

_COEF_UV = ((0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084),
            (0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915,
             -0.00058392623),
            (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326,
             0.00085092367, -1.5247877e-07))


def standard_gamma_grad(alpha, x):
    """d x / d alpha for x ~ Gamma(alpha, 1), elementwise on raw arrays (computed in float64, alpha's dtype out)."""
    xp = xp_of(alpha)
    a, v = alpha.astype(xp.float64), x.astype(xp.float64)
    with np.errstate(all="ignore"):
        # small x: Taylor series of the incomplete gamma function
        numer, denom = xp.ones_like(v), a.copy()
        series1, series2 = numer / denom, numer / (denom * denom)
        for i in range(1, 6):
            numer = numer * (-v / i)
            denom = denom + 1
            series1 = series1 + numer / denom
            series2 = series2 + numer / (denom * denom)
        pow_x_alpha = v ** a
        pdf = v ** (a - 1) * xp.exp(-v)
        cdf = pow_x_alpha * series1
        cdf_alpha = (xp.log(v) - _digamma64(xp, a)) * cdf - pow_x_alpha * series2
        small = -cdf_alpha / pdf
        small = xp.where(xp.isnan(small), 0.0, small)
        # large alpha: Rice saddle-point expansion
        near = (0.9 * a <= v) & (v <= 1.1 * a)
        numer_1 = 1 + 24 * a * (1 + 12 * a)
        numer_2 = 1440 * (a * a) + 6 * v * (53 - 120 * v) - 65 * v * v / a + a * (107 + 3600 * v)
        at_mode = numer_1 * numer_2 / (1244160 * (a * a) * (a * a))
        root = xp.sqrt(8 * a)
        term2 = root / (a - v)
        term3 = (v - a - a * xp.log(v / a)) ** -1.5
        term23 = xp.where(v < a, term2 - term3, term2 + term3)
        term1 = xp.log(v / a) * term23 - xp.sqrt(2 / a) * (a + v) / ((a - v) * (a - v))
        stirling = 1 + 1 / (12 * a) * (1 + 1 / (24 * a))
        large = xp.where(near, at_mode, -stirling * v * term1 / root)
        # elsewhere: bivariate rational approximation in log(x / alpha), log(alpha)
        u, w = xp.log(v / a), xp.log(a)
        cv = [c0 + u * (c1 + u * c2) for c0, c1, c2 in zip(*_COEF_UV)]
        p = cv[0] + w * (cv[1] + w * (cv[2] + w * cv[3]))
        q = cv[4] + w * (cv[5] + w * (cv[6] + w * cv[7]))
        rational = xp.exp(p / q)
        out = xp.where(v < 0.8, small, xp.where(a > 8.0, large, rational))
    return out.astype(alpha.dtype)


class StandardGammaGrad(Function):
    """``_standard_gamma_grad(alpha, x)`` as a graph node: PyTorch gives it no derivative either."""

    @staticmethod
    def forward(ctx, alpha, x):
        return standard_gamma_grad(alpha, x)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("the derivative for '_standard_gamma_grad' is not implemented.")


class StandardGamma(Function):
    """A draw x ~ Gamma(alpha, 1) (given, drawn beforehand) with the implicit reparameterisation gradient."""

    @staticmethod
    def forward(ctx, alpha, x):
        ctx.save_for_backward(alpha, x)
        return x

    @staticmethod
    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        if m.is_graph(alpha, x):
            return g * StandardGammaGrad.apply(alpha, x.detach()), None
        return g * standard_gamma_grad(alpha, x), None


def standard_gamma(alpha, generator=None):
    """x ~ Gamma(alpha, 1) elementwise (alpha a Tensor), differentiable w.r.t. alpha. Drawn on the host."""
    host = alpha.detach()._host().astype(np.float64)
    draws = _random.resolve(generator).standard_gamma(host).astype(alpha.dtype.np)
    tiny = np.finfo(draws.dtype).tiny
    np.maximum(draws, tiny, out=draws)
    x = type(alpha)._make(wrap(draws, alpha._data)._data)
    return StandardGamma.apply(alpha, x)
