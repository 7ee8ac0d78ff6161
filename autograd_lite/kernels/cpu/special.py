"""erf and erfinv, elementwise (NumPy has neither): float32/float64 arrays in, new arrays of the same dtype out.

erf is libm's (numba's math.erf). erfinv starts from Giles' rational approximation ("Approximating the erfinv
function", GPU Computing Gems, 2011; about float32's precision) and refines it with three Newton steps in float64:
on erf(y) - |x| for |x| <= 0.5, on (1 - |x|) - erfc(y) above (1 - |x| is exact there, and erfc keeps its relative
precision in the tail, where erf(y) - |x| would cancel), which gives float64 precision to |x| = 1 - 2^-53. The CUDA
table runs the same steps (kernels/cuda/sources.py, "erfinv_forward").
"""
import math

import numba
import numpy as np

from ._jit import PAR_MIN, check, elementwise, prange, twins

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
MAX_STEPS = 8


# No fastmath: 'reassoc' could fold (1 - t) - erfc(y) into 1 - (t + erfc(y)) and lose the tail's precision.
@numba.njit(cache=True, error_model="numpy")
def erfinv_scalar(a):
    """erfinv of one float64: +-inf at +-1, NaN outside [-1, 1] and for NaN, -0.0 for -0.0."""
    t = abs(a)
    w = -math.log((1.0 - t) * (1.0 + t))        # inf at |a| = 1, NaN beyond (and for NaN)
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        p = 3.43273939e-07 + p * w
        p = -3.5233877e-06 + p * w
        p = -4.39150654e-06 + p * w
        p = 0.00021858087 + p * w
        p = -0.00125372503 + p * w
        p = -0.00417768164 + p * w
        p = 0.246640727 + p * w
        p = 1.50140941 + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        p = 0.000100950558 + p * w
        p = 0.00134934322 + p * w
        p = -0.00367342844 + p * w
        p = 0.00573950773 + p * w
        p = -0.0076224613 + p * w
        p = 0.00943887047 + p * w
        p = 1.00167406 + p * w
        p = 2.83297682 + p * w
    if t == 1.0:
        y = math.inf
    else:
        y = p * t
        if t < 1.0:
            for _ in range(MAX_STEPS):     # two from about float32's precision; up to five in the far tail
                if t <= 0.5:
                    dy = (t - math.erf(y)) / (_TWO_OVER_SQRT_PI * math.exp(-y * y))
                else:               # on log(erfc(y)) - log(1 - t): nearly linear in the far tail
                    e = math.erfc(y)
                    dy = math.log(e / (1.0 - t)) * e / (_TWO_OVER_SQRT_PI * math.exp(-y * y))
                y += dy
                if abs(dy) <= 1e-9 * y:    # the next step would change less than y's last bit
                    break
    return math.copysign(y, a)


@twins(PAR_MIN, loop=lambda x, out: out.size)
def _erf(x, out):
    for i in prange(out.size):
        out[i] = math.erf(x[i])


@twins(PAR_MIN, loop=lambda x, out: out.size)
def _erfinv(x, out):
    for i in prange(out.size):
        out[i] = erfinv_scalar(np.float64(x[i]))


def erf_forward(x):
    """erf(x) = 2 / sqrt(pi) * integral of exp(-t^2) from 0 to x."""
    (x,) = check("erf_forward", x)
    return elementwise(_erf, x)


def erfinv_forward(x):
    """The inverse of erf on [-1, 1] (+-inf at +-1, NaN outside), computed in float64."""
    (x,) = check("erfinv_forward", x)
    return elementwise(_erfinv, x)
