"""Standard-gamma draws with the implicit reparameterisation gradient (PyTorch's ``_standard_gamma`` and
``_standard_gamma_grad``): d sample / d alpha = -(d cdf / d alpha) / pdf, approximated as PyTorch does (a Taylor
series for small x, a Rice saddle-point expansion for large alpha, a bivariate rational fit elsewhere). The
formula is written once on the array module (NumPy or CuPy), vectorised over the elements. Dirichlet draws likewise,
with PyTorch's ``_dirichlet_grad`` (the Beta marginal's implicit gradient, in four regimes)."""
import numpy as np

from autograd_lite import random as _random
from autograd_lite.autograd.op_function import Function
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


_DIRICHLET_C = np.array([
    [[[1.003668233, -0.01061107488, -0.0657888334, 0.01201642863],
      [0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033],
      [-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013]],
     [[0.221950385, -0.3187676331, 0.01799915743, 0.01074823814],
      [-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057],
      [0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05]],
     [[-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565],
      [0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181],
      [0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05]]],
    [[[1, -0.02924021934, -0.04438342661, 0.007285809825],
      [0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521],
      [-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149]],
     [[0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273],
      [0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956],
      [-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05]],
     [[0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05],
      [0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05],
      [-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06]]]])


def _beta_grad_alpha_small(xp, x, a, b):
    """d x / d alpha of x ~ Beta(a, b) for x near 0 (a Taylor series)."""
    factor = _digamma64(xp, a) - _digamma64(xp, a + b) - xp.log(x)
    numer = xp.ones_like(x)
    series = numer / a * (factor + 1 / a)
    for i in range(1, 11):
        numer = numer * (i - b) * x / i
        denom = a + i
        series = series + numer / denom * (factor + 1 / denom)
    result = x * (1 - x) ** -b * series
    return xp.where(xp.isnan(result), 0.0, result)


def _beta_grad_beta_small(xp, x, a, b):
    """d x / d beta of x ~ Beta(a, b) for x near 0 (a Taylor series)."""
    factor = _digamma64(xp, a + b) - _digamma64(xp, b)
    numer, betas, dbetas, series = xp.ones_like(x), xp.ones_like(x), xp.zeros_like(x), factor / a
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas = dbetas * (b - i) + betas
        betas = betas * (b - i)
        series = series + numer / (a + i) * (dbetas + factor * betas)
    result = -(1 - x) ** (1 - b) * series
    return xp.where(xp.isnan(result), 0.0, result)


def _beta_grad_alpha_mid(xp, x, a, b):
    """d x / d alpha of x ~ Beta(a, b) for large a and b (a Rice saddle-point expansion)."""
    total = a + b
    mean = a / total
    std = xp.sqrt(a * b / (total + 1)) / total
    poly = 47 * x * (b * b) * (b * b) + a * (
        (43 + 20 * (16 + 27 * b) * x) * (b * b) * b + a * (
            3 * (59 + 180 * b - 90 * x) * (b * b) + a * (
                (453 + 1620 * b * (1 - x) - 455 * x) * b + a * (8 * (1 - x) * (135 * b - 11)))))
    prefactor_num = (1 + 12 * a) * (1 + 12 * b) / (total * total)
    prefactor_den = 12960 * a * a * a * b * b * (1 + 12 * total)
    at_mean = prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / xp.sqrt(2 * a * b / total)
    stirling = ((1 + 1 / (12 * a) + 1 / (288 * a * a)) * (1 + 1 / (12 * b) + 1 / (288 * b * b))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    axbx = a * (x - 1) + b * x
    term1 = ((2 * (a * a) * (x - 1) + a * b * (x - 1) - x * (b * b))
             / (xp.sqrt(2 * a / b) * total ** 1.5 * axbx * axbx))
    term2 = 0.5 * xp.log(a / (total * x))
    term3 = xp.sqrt(8 * a * b / total) / axbx
    term4 = (b * xp.log(b / (total * (1 - x))) + a * xp.log(a / (total * x))) ** -1.5
    away = stirling * prefactor * (term1 + term2 * (term3 + xp.where(x < mean, term4, -term4)))
    return xp.where((mean - 0.1 * std <= x) & (x <= mean + 0.1 * std), at_mean, away)


def _near_one(xp, x, a, b):
    return -_beta_grad_beta_small(xp, 1 - x, b, a)


def _rational(xp, x, a, b):
    """A rational correction (in log x, log alpha - log x, log total) to an analytic approximation."""
    t = a + b
    u = xp.log(x)
    la = xp.log(a) - u
    lb = xp.log(t) - la
    c = xp.asarray(_DIRICHLET_C)
    p, q = xp.zeros_like(x), xp.zeros_like(x)
    for i, pu in enumerate((1.0, u, u * u)):
        for j, pa in enumerate((1.0, la, la * la)):
            cp, cq = c[0, i, j], c[1, i, j]
            p = p + pu * pa * (cp[0] + lb * (cp[1] + lb * (cp[2] + lb * cp[3])))
            q = q + pu * pa * (cq[0] + lb * (cq[1] + lb * (cq[2] + lb * cq[3])))
    return p / q * (x * (_digamma64(xp, t) - _digamma64(xp, a)) / b)


def dirichlet_grad(x, alpha, total):
    """PyTorch's ``_dirichlet_grad``: -(d cdf / d alpha) / pdf / (1 - x) for x ~ Beta(alpha, total - alpha), on raw
    arrays (float64 inside, x's dtype out); the four regimes of PyTorch's approximation picked per element."""
    xp = xp_of(x)
    v, a, t = xp.broadcast_arrays(*(z.astype(xp.float64) for z in (x, alpha, total)))
    b = t - a
    with np.errstate(all="ignore"):
        boundary = t * v * (1 - v)
        near0 = (v <= 0.5) & (boundary < 2.5)
        near1 = ~near0 & (v >= 0.5) & (boundary < 0.75)
        mid = ~near0 & ~near1 & (a > 6) & (b > 6)
        out = xp.empty_like(v)
        for sel, regime in ((near0, _beta_grad_alpha_small), (near1, _near_one), (mid, _beta_grad_alpha_mid),
                            (~(near0 | near1 | mid), _rational)):
            if bool(sel.any()):          # each regime evaluated on its own elements only
                out[sel] = regime(xp, v[sel], a[sel], b[sel])
    return out.astype(x.dtype)


class DirichletGrad(Function):
    """The gradient of a Dirichlet draw as a graph node; differentiating it again is refused as in PyTorch."""

    @staticmethod
    def forward(ctx, alpha, x, g):
        return _dirichlet_backward(x, alpha, g)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


def _dirichlet_backward(x, alpha, g):
    total = xp_of(alpha).broadcast_to(alpha.sum(-1, keepdims=True), alpha.shape)
    return dirichlet_grad(x, alpha, total) * (g - (x * g).sum(-1, keepdims=True))


class DirichletDraw(StandardGamma):
    """A draw x ~ Dirichlet(alpha) (given, drawn beforehand) with PyTorch's reparameterisation gradient."""

    @staticmethod
    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        if m.is_graph(alpha, x, g):
            return DirichletGrad.apply(alpha.detach(), x.detach(), g), None
        return _dirichlet_backward(x, alpha, g), None


def sample_dirichlet(alpha, generator=None):
    """x ~ Dirichlet(alpha) over the last dim (alpha a Tensor), differentiable w.r.t. alpha as PyTorch's
    ``_Dirichlet``: normalised standard-gamma draws, clamped into [tiny, 1 - eps], drawn on the host."""
    host = alpha.detach()._host().astype(np.float64)
    gammas = _random.resolve(generator).standard_gamma(host)
    finfo = np.finfo(alpha.dtype.np)
    with np.errstate(all="ignore"):
        draws = gammas / gammas.sum(-1, keepdims=True)
    draws = np.clip(np.nan_to_num(draws, nan=0.0), finfo.tiny, 1 - finfo.eps).astype(alpha.dtype.np)
    x = type(alpha)._make(wrap(draws, alpha._data)._data)
    return DirichletDraw.apply(alpha, x)
