"""Random sampling: bernoulli, multinomial, normal (its four forms), poisson, and the in-place fills (normal_,
uniform_, bernoulli_, exponential_, geometric_, log_normal_, cauchy_, random_). Each draws on the host from the
global generator or the ``generator=`` given (autograd_lite.random), then lands on the input's device.
As in PyTorch, bernoulli and normal are differentiable with a zero gradient (no reparameterisation)."""
import numbers

import numpy as np

from .. import _api, _dtype, random as _random
from ..autograd.op_function import Function
from ..creation import tensor as _new_tensor
from ..tensor import Tensor
from . import _formula as m
from ._util import BERNOULLI_COMPLEX, not_implemented, refuse_complex, wrap

declare = _api.declare


class Sampled(Function):
    """A sample drawn from distributions whose parameters are the Tensor inputs: the given array, with a zero
    gradient for each input (PyTorch's rule for bernoulli and normal)."""
    op_name = "sample"

    @staticmethod
    def forward(ctx, values, *params):
        return values

    @staticmethod
    def backward(ctx, g):
        zero = m.zeros_like(g)
        return (None,) + tuple(zero if i is not None else None for i in ctx._inputs[1:])


def _sampled(values, like, *params):
    """`values` (a host array) on `like`'s device, linked to the Tensor `params` with a zero gradient."""
    arr = wrap(values, like._data)._data
    tensors = [p for p in params if isinstance(p, Tensor)]
    return Sampled.apply(arr, *tensors) if tensors else Tensor._make(arr)


def _host(x):
    return x._host() if isinstance(x, Tensor) else x


def _float(x):
    return x.item() if isinstance(x, Tensor) else float(x)


# ---- bernoulli ------------------------------------------------------------------------------

def _check_probability(p):
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")


@declare
def bernoulli(input, p=None, *, generator=None, out=None):
    """0 / 1 draws: 1 with probability ``input`` (elementwise), or with probability ``p`` (a number) in input's
    shape. Same dtype as input.

    Example: ``mask = torch.bernoulli(torch.full((3, 4), 0.8))``"""
    if p is None:
        if not input.dtype.is_floating_point:
            raise not_implemented("bernoulli_tensor_cpu_p_", input)
        prob = _host(input).astype(np.float64)
    else:
        prob = np.float64(_float(p))
    _check_probability(prob)
    u = _random.resolve(generator).random(tuple(input.shape))
    result = _sampled((u < prob).astype(input.dtype.np), input, input)
    if out is not None:
        return out.copy_(result)
    return result


@declare(top=False)
def bernoulli_(self, p=0.5, *, generator=None):
    """Fills this tensor with 0 / 1 draws, 1 with probability p (a number, or a tensor broadcast to this shape)."""
    refuse_complex(self, BERNOULLI_COMPLEX)
    prob = _host(p).astype(np.float64) if isinstance(p, Tensor) else np.float64(p)
    _check_probability(prob)
    u = _random.resolve(generator).random(tuple(self.shape))
    return self._fill_random((u < prob).astype(self.dtype.np))


# ---- multinomial ----------------------------------------------------------------------------

@declare
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Indices drawn from the categories of each row of ``input`` (non-negative weights, 1-D or 2-D), with or
    without replacement. int64, shape (num_samples,) or (rows, num_samples).

    Example: ``torch.multinomial(torch.tensor([0.1, 0.6, 0.3]), 2)``"""
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype.scalar_type}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = input.shape[-1]
    if not replacement and num_samples > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    w = _host(input).astype(np.float64).reshape(-1, k)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    total = w.sum(-1)
    if np.any(total <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    gen = _random.resolve(generator)
    if replacement:                     # inverse CDF; categories of weight 0 are never drawn
        # every row at once: row r's CDF shifted to [r, r + 1], one searchsorted over them all
        rows = np.arange(w.shape[0], dtype=np.float64)[:, None]
        cdf = (np.cumsum(w / total[:, None], -1) + rows).ravel()
        u = gen.random((w.shape[0], num_samples)) + rows
        idx = np.searchsorted(cdf, u, side="right") - rows.astype(np.int64) * k
        last = k - 1 - np.argmax(w[:, ::-1] > 0, -1)                    # rounding: never past the last category
        idx = np.clip(idx, 0, last[:, None])
    else:                               # the largest w / Exp(1): PyTorch's method, samples without replacement
        keys = w / gen.exponential(size=w.shape)
        idx = np.argsort(-keys, axis=-1, kind="stable")[:, :num_samples]
    idx = idx.astype(np.int64).reshape(tuple(input.shape[:-1]) + (num_samples,))
    result = wrap(idx, input._data)
    if out is not None:
        return out.copy_(result)
    return result


# ---- normal -----------------------------------------------------------------------------------

def _check_std(std):
    if isinstance(std, Tensor):
        if np.any(_host(std) < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")


@declare(method=False)
def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False):
    """Normal draws, four forms as PyTorch: ``normal(mean_tensor, std_tensor)`` (broadcast), ``normal(mean_tensor,
    std=1.0)``, ``normal(mean, std_tensor)``, ``normal(mean, std, size)`` (numbers: a new tensor of `size`).
    The tensor forms have zero gradients for mean and std, as PyTorch.

    Example: ``torch.normal(0.0, 0.1, (3, 4))``; ``torch.normal(torch.zeros(5), torch.ones(5))``"""
    if isinstance(std, Tensor) and std.is_complex():
        raise RuntimeError("normal expects standard deviation to be non-complex")
    _check_std(std)
    gen = _random.resolve(generator)
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: with a float mean and std, "
                            "give a size")
        dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
        shape = (size,) if isinstance(size, numbers.Integral) else tuple(size)
        values = _random.normal(shape, float(mean), float(std), dt.np, generator)
        result = _new_tensor(values, device=device, requires_grad=requires_grad)
    else:
        like = mean if isinstance(mean, Tensor) else std
        if not like.dtype.is_floating_point and not like.is_complex():
            raise not_implemented("normal", like)
        shapes = [tuple(t.shape) for t in (mean, std) if isinstance(t, Tensor)]
        if len(shapes) == 2 and not _broadcastable(*shapes):
            raise RuntimeError(f"normal: the shapes of mean {list(shapes[0])} and std {list(shapes[1])} do not "
                               "broadcast")
        shape = np.broadcast_shapes(*shapes)
        dt = like.dtype
        if len(shapes) == 2:
            dt = _dtype.promote_types(mean.dtype, std.dtype)
        noise = gen.standard_normal(shape)
        if dt.is_complex:                       # a complex mean: complex draws, variance 1/2 in each part (randn's)
            noise = (noise + 1j * gen.standard_normal(shape)) * np.sqrt(0.5)
        values = noise * _host(std) + _host(mean)
        result = _sampled(values.astype(dt.np), like, mean, std)
    if out is not None:
        return out.copy_(result)
    return result


def _broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


@declare(method=False)
def poisson(input, generator=None):
    """Poisson draws with rates ``input`` (non-negative), in input's dtype. Example: ``torch.poisson(rates)``"""
    refuse_complex(input, "\"poisson_cpu\" not implemented for '{type}'")
    lam = _host(input).astype(np.float64)
    if np.any(lam < 0) or np.any(np.isnan(lam)):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return _sampled(_random.resolve(generator).poisson(lam).astype(input.dtype.np), input, input)


# ---- the in-place fills -----------------------------------------------------------------------

def _fill(self, values):
    return self._fill_random(values.astype(self.dtype.np, copy=False))


_REAL = (np.dtype(np.float32), np.dtype(np.float64))
_C_NAMES = {"Float": "float", "Double": "double", "Half": "c10::Half", "BFloat16": "c10::BFloat16"}


def _fill_own(self, fill, draw, a, b, generator):
    """`fill` (random.fill_normal / fill_uniform) writes straight into a C-contiguous float32/float64 (or complex:
    its real and imaginary parts) CPU tensor's own buffer; any other tensor gets the host array of its shape and
    dtype that `draw` (random.normal / uniform) makes, copied in (a view, float16/bfloat16, another device)."""
    d = self._data
    dt = d.dtype
    real = _random.draw_dtype(dt)
    if type(d) is np.ndarray and d.flags.c_contiguous and (dt in _REAL or dt.kind == "c"):
        self._check_inplace_leaf()
        fill(d.reshape(-1).view(real), a, b, generator)
        self._version[0] += 1
        return self
    shape = tuple(self.shape)
    if dt.kind == "c":                  # PyTorch fills view_as_real: both parts drawn
        return self._fill_random(fill(np.empty(shape + (2,), real), a, b, generator).view(dt)[..., 0])
    return self._fill_random(draw(shape, a, b, dt, generator))


def _refuse_non_float(self, kernel):
    if not self.dtype.is_floating_point and not self.is_complex() or self.dtype in _dtype.FLOAT8:
        raise not_implemented(kernel, self)


@declare(top=False)
def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fills this tensor in place with draws of N(mean, std²) (a complex one: both parts of variance std² / 2).

    Example: ``w.normal_(0, 0.02)``"""
    _refuse_non_float(self, "normal_kernel_cpu")
    _check_std(std)
    mean, std = _float(mean), _float(std)
    if self.is_complex():
        std = std / np.sqrt(2.0)
    return _fill_own(self, _random.fill_normal, _random.normal, mean, std, generator)


def _check_uniform_bounds(self, from_, to):
    """PyTorch's check_uniform_bounds, in its words: bounds within the dtype's range, and to - from finite."""
    dt = self.dtype.to_real() if self.is_complex() else self.dtype
    info = np.finfo(dt.np)
    name = dt.scalar_type
    for label, v in (("from", from_), ("to", to)):
        if not float(info.min) <= v <= float(info.max):
            raise RuntimeError(f"{label} is out of bounds for {_C_NAMES.get(name, name)}")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_:g} > to={to:g}")
    if to - from_ > float(info.max):
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{name}>::max(), but found to={to:g} "
                           f"and from={from_:g} which result in to-from to exceed the limit")


@declare(top=False)
def uniform_(self, from_=0.0, to=1.0, *, generator=None):
    """Fills this tensor in place with draws of U[from, to) (a complex one: both parts).

    Example: ``w.uniform_(-0.1, 0.1)``"""
    _refuse_non_float(self, "check_uniform_bounds")
    from_, to = _float(from_), _float(to)
    _check_uniform_bounds(self, from_, to)
    return _fill_own(self, _random.fill_uniform, _random.uniform, from_, to, generator)


@declare(top=False)
def exponential_(self, lambd=1.0, *, generator=None):
    """Fills this tensor with draws of the exponential distribution of rate `lambd`."""
    refuse_complex(self, "Exponential distribution is a continuous probability distribution. dtype must be a "
                         "floating point but you specified {type}", RuntimeError)
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    return _fill(self, _random.resolve(generator).exponential(1.0 / lambd, tuple(self.shape)))


@declare(top=False)
def geometric_(self, p, *, generator=None):
    """Fills this tensor with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    refuse_complex(self, "\"geometric_cpu\" not implemented for '{type}'")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
    return _fill(self, _random.resolve(generator).geometric(p, tuple(self.shape)))


@declare(top=False)
def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Fills this tensor with exp of N(mean, std²) draws."""
    refuse_complex(self, "\"log_normal_cpu\" not implemented for '{type}'")
    if std <= 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
    return _fill(self, _random.resolve(generator).lognormal(mean, std, tuple(self.shape)))


@declare(top=False)
def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Fills this tensor with draws of the Cauchy distribution."""
    if self._data.dtype.kind == "c":           # PyTorch names the C++ type here
        part = "float" if self._data.dtype.itemsize == 8 else "double"
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a floating "
                           f"point but you specified c10::complex<{part}>")
    if sigma <= 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
    return _fill(self, median + sigma * _random.resolve(generator).standard_cauchy(tuple(self.shape)))


@declare(top=False)
def random_(self, from_=None, to=None, *, generator=None):
    """Fills this tensor with integers drawn uniformly from [from, to); ``random_(to)`` is [0, to); ``random_()``
    [0, 2**mantissa] for floats, [0, max] for integers."""
    refuse_complex(self, "\"random_kernel_cpu\" not implemented for '{type}'")
    low, high = (0, from_) if to is None else (from_, to)
    if high is None:
        dt = self.dtype
        high = (1 << (np.finfo(dt.np).nmant + 1)) + 1 if dt.is_floating_point else \
            2 if dt is _dtype.bool_ else int(np.iinfo(dt.np).max) + 1
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return _fill(self, _random.resolve(generator).integers(low, high, tuple(self.shape), dtype=np.int64))
