"""``autograd_lite.special``: torch.special's functions, with PyTorch's names and signatures.

The ones PyTorch also has at the top level (erf, expit = sigmoid, gammaln = lgamma, xlogy, ...) are those ops; the
others (Bessel functions, ndtr/log_ndtr/ndtri, erfcx, entr, xlog1py, gammainc/gammaincc, zeta, airy_ai, the
orthogonal polynomials) are declared in ops/special_functions.py, with gradients where PyTorch has them.

Example::

    import autograd_lite as torch
    torch.special.ndtr(torch.tensor([0.0, 1.96]))                  # [0.5000, 0.9750]
    torch.special.i0e(torch.linspace(0, 10, 5))
    torch.special.chebyshev_polynomial_t(torch.tensor([0.5]), 3)   # [-1.]
"""
from .ops import _util
from .ops.elementwise import erfc, mvlgamma as _mvlgamma, sinc
from .ops.activation import sigmoid as expit, softmax as _softmax, log_softmax as _log_softmax
from .ops.math import erf, erfinv, exp2, expm1, log1p
from .ops.reduction import logsumexp as _logsumexp
from .ops.special import digamma, lgamma as gammaln, logit, polygamma, xlogy
from .ops.special_functions import (airy_ai, bessel_j0, bessel_j1, bessel_y0, bessel_y1, chebyshev_polynomial_t,
                                    chebyshev_polynomial_u, chebyshev_polynomial_v, chebyshev_polynomial_w, entr,
                                    erfcx, gammainc, gammaincc, hermite_polynomial_h, hermite_polynomial_he, i0, i0e,
                                    i1, i1e, laguerre_polynomial_l, legendre_polynomial_p, log_ndtr,
                                    modified_bessel_i0, modified_bessel_i1, modified_bessel_k0, modified_bessel_k1,
                                    ndtr, ndtri, scaled_modified_bessel_k0, scaled_modified_bessel_k1,
                                    shifted_chebyshev_polynomial_t, shifted_chebyshev_polynomial_u,
                                    shifted_chebyshev_polynomial_v, shifted_chebyshev_polynomial_w,
                                    spherical_bessel_j0, xlog1py, zeta)
from . import _api

__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
           "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma", "entr", "erf",
           "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln",
           "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e", "i1", "i1e", "laguerre_polynomial_l",
           "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "multigammaln", "ndtr", "ndtri",
           "polygamma", "psi", "round", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "sinc", "softmax", "spherical_bessel_j0", "xlog1py", "xlogy", "zeta"]

_round = _api.TOP["round"]
psi = _api.TOP["psi"]


def softmax(input, dim, *, dtype=None):
    """softmax along `dim` (computed in `dtype` when given).

    Example: ``autograd_lite.special.softmax(autograd_lite.tensor([0.0, 0.0]), 0)`` gives ``[0.5, 0.5]``."""
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """log of softmax along `dim`, computed stably (in `dtype` when given).

    Example: ``autograd_lite.special.log_softmax(autograd_lite.tensor([0.0, 0.0]), 0)`` gives ``[-0.6931, -0.6931]``.
    """
    return _log_softmax(input, dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False):
    """``log(sum(exp(input), dim))`` without overflow.

    Example: ``autograd_lite.special.logsumexp(autograd_lite.tensor([1000.0, 1000.0]), 0)`` gives ``1000.6931``."""
    return _logsumexp(input, dim, keepdim)


def round(input, *, decimals=0):  # noqa: A001  (torch.special.round)
    """Rounds half to even, to `decimals` decimal places (negative: to the left of the point).

    Example: ``autograd_lite.special.round(autograd_lite.tensor([1.26]), decimals=1)`` gives ``[1.3]``."""
    if not decimals:
        return _round(input)
    if input._data.dtype.kind not in "fV":
        raise _util.not_implemented("round_cpu", input)
    scale = 10.0 ** abs(decimals)
    return _round(input * scale) / scale if decimals > 0 else _round(input / scale) * scale


def multigammaln(input, p):
    """The multivariate log-gamma function of dimension p (``mvlgamma``).

    Example: ``autograd_lite.special.multigammaln(autograd_lite.tensor([2.5]), 2)`` gives ``[0.8570]``."""
    return _mvlgamma(input, p)


from . import _torch_function as _tf  # noqa: E402  (the functions above become __torch_function__ wrappers)
_tf.install(__name__)
