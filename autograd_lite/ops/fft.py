"""Discrete Fourier transforms (``autograd_lite.fft``, torch.fft): three differentiable kernels on the array module's
fft (numpy.fft, cupy.fft) and a zero-pad / crop, from which every transform of torch.fft is made.

- C2C: fftn / ifftn over dims. Its backward is the adjoint: the other direction with the dual norm.
- R2C: rfftn (one-sided along the last dim). Backward: the real part of the inverse C2C (dual norm) of the gradient
  zero-padded to the full length (PyTorch's fft_r2c_backward), computed as a C2R of half the cost.
- C2R: irfftn to `n` points along the last dim. Backward: R2C of the gradient with the dual norm, the entries whose
  mirror image the one-sided input omits doubled (PyTorch's fft_c2r_backward).
- Resize: zero-pads or crops dims to the sizes asked (n / s); its adjoint crops or pads back.

Each backward is made of these same Functions (and real / conj), so gradients of every order come for free.
"""
import numpy as np

from .. import _dtype
from .._args import canon_dim
from ..autograd.op_function import Function, TensorBase
from ..creation import tensor
from ..tensor import Tensor
from . import _formula as m
from ._util import cast, xp_of

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _resize_array(x, dims, sizes):
    xp = xp_of(x)
    crop = tuple(slice(None) if d not in dims else slice(0, sizes[dims.index(d)]) for d in range(x.ndim))
    x = x[crop]
    pad = [(0, 0)] * x.ndim
    for d, n in zip(dims, sizes):
        pad[d] = (0, max(0, n - x.shape[d]))
    return xp.pad(x, pad) if any(p[1] for p in pad) else x


def _run(cls, x, *args):
    """Function `cls` on x: recorded when x is a Tensor (a backward under create_graph), else straight on the array."""
    return cls.apply(x, *args) if isinstance(x, TensorBase) else cls.forward(cls.__new__(cls), x, *args)


class Resize(Function):
    """x zero-padded or cropped (at the end) along `dims` to `sizes`."""
    op_name = "fft"

    @staticmethod
    def forward(ctx, x, dims, sizes):
        ctx.dims, ctx.old = dims, tuple(x.shape[d] for d in dims)
        return _resize_array(x, dims, sizes)

    @staticmethod
    def backward(ctx, g):
        return _run(Resize, g, ctx.dims, ctx.old), None, None


def _resize(x, dims, sizes):
    if all(x.shape[d] == n for d, n in zip(dims, sizes)):
        return x
    return Resize.apply(x, dims, sizes)


def _mirror_weights(g, dim, n, power):
    """g (one-sided along `dim`, of an n-point signal) times c ** power, c being 2 on the entries whose mirror image
    the one-sided half leaves out (1 .. n - (n // 2 + 1)), 1 elsewhere."""
    data = m.data(g)
    doubled = n - data.shape[dim]
    if doubled <= 0:
        return g
    w = xp_of(data).ones(data.shape[dim], data.real.dtype)
    w[1:1 + doubled] = 2.0 ** power
    w = w.reshape((-1,) + (1,) * (data.ndim - 1 - dim))
    return g * (g._make(w) if isinstance(g, TensorBase) else w)


class C2C(Function):
    op_name = "fft"

    @staticmethod
    def forward(ctx, x, dims, norm, inverse):
        ctx.dims, ctx.norm, ctx.inverse = dims, norm, inverse
        fft = xp_of(x).fft
        out = (fft.ifftn if inverse else fft.fftn)(x, axes=dims, norm=norm)
        return out.astype(x.dtype, copy=False)          # complex64 stays complex64 (NumPy may compute in double)

    @staticmethod
    def backward(ctx, g):
        return _run(C2C, g, ctx.dims, _DUAL[ctx.norm], not ctx.inverse), None, None, None


class R2C(Function):
    """rfftn. Backward: ``Re(ifftn(zero-padded g))`` with the dual norm, computed as ``irfftn(g / c)`` (c of
    _mirror_weights: the Hermitian extension of g / c has the real part of that ifftn), at the cost of the forward."""
    op_name = "rfft"

    @staticmethod
    def forward(ctx, x, dims, norm):
        ctx.dims, ctx.norm, ctx.sizes = dims, norm, tuple(x.shape[d] for d in dims)
        out = xp_of(x).fft.rfftn(x, axes=dims, norm=norm)
        return out.astype(_dtype.from_numpy_dtype(x.dtype).to_complex().np, copy=False)

    @staticmethod
    def backward(ctx, g):
        return _run(C2R, _mirror_weights(g, ctx.dims[-1], ctx.sizes[-1], -1), ctx.dims, _DUAL[ctx.norm],
                    ctx.sizes), None, None


class C2R(Function):
    """irfftn to `sizes`. Backward: rfftn of g with the dual norm, times c (PyTorch's fft_c2r_backward)."""
    op_name = "irfft"

    @staticmethod
    def forward(ctx, x, dims, norm, sizes):
        ctx.dims, ctx.norm, ctx.n = dims, norm, sizes[-1]
        out = xp_of(x).fft.irfftn(x, s=sizes, axes=dims, norm=norm)
        return out.astype(x.real.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return _mirror_weights(_run(R2C, g, ctx.dims, _DUAL[ctx.norm]), ctx.dims[-1], ctx.n, 1), None, None, None


# ---- argument handling, as torch.fft ----------------------------------------------------------------------

def _norm(norm):
    if norm is None:
        return "backward"
    if norm not in _DUAL:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _check_dtype(x):
    if not isinstance(x, Tensor):
        raise TypeError(f"argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    if x.dtype is _dtype.float16 or x.dtype is _dtype.bfloat16:
        raise RuntimeError(f"Unsupported dtype {x.dtype.scalar_type}")
    if x._data.dtype.kind in "biu":
        return cast(x, _dtype.float32)
    return x


def _complex(x):
    x = _check_dtype(x)
    return x if x._data.dtype.kind == "c" else cast(x, x.dtype.to_complex())


def _real(op, x):
    x = _check_dtype(x)
    if x._data.dtype.kind == "c":
        raise RuntimeError(f"{op} expects a real input tensor, but got {x.dtype.scalar_type}")
    return x


def _dims_sizes(x, s, dim, default_all):
    """(dims, sizes) from torch.fft's s / dim arguments: both given, one of them, or neither (`default_all`: every
    dim, else the last two)."""
    if isinstance(dim, int):
        dim = (dim,)
    if isinstance(s, int):
        s = (s,)
    if s is not None and dim is not None and len(s) != len(dim):
        raise RuntimeError("When given, dim and shape arguments must have the same length")
    if dim is None:
        if s is not None:
            dim = tuple(range(x.ndim - len(s), x.ndim))
            if len(s) > max(x.ndim, 1):
                raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {x.ndim} dimensions.")
        else:
            dim = tuple(range(x.ndim)) if default_all else (-2, -1)
    dims = tuple(canon_dim(d, x.ndim, "fft") for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError("FFT dims must be unique")
    sizes = tuple(x.shape[d] if s is None or s[i] == -1 else int(s[i]) for i, d in enumerate(dims))
    for n in sizes:
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return dims, sizes


def c2c(input, s, dim, norm, inverse, default_all=True):
    x = _complex(input)
    dims, sizes = _dims_sizes(x, s, dim, default_all)
    return C2C.apply(_resize(x, dims, sizes), dims, _norm(norm), inverse)


def r2c(op, input, s, dim, norm, default_all=True):
    x = _real(op, input)
    dims, sizes = _dims_sizes(x, s, dim, default_all)
    return R2C.apply(_resize(x, dims, sizes), dims, _norm(norm))


def c2r(input, s, dim, norm, default_all=True):
    """irfftn: the output's last transformed dim has s[-1] points (default 2 (m - 1) for m input points)."""
    x = _complex(input)
    dims, sizes = _dims_sizes(x, s, dim, default_all)
    given = s is not None and (s if not isinstance(s, int) else (s,))[-1] != -1
    n = sizes[-1] if given else 2 * (x.shape[dims[-1]] - 1)
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    sizes = sizes[:-1] + (n,)
    x = _resize(x, dims, sizes[:-1] + (n // 2 + 1,))
    return C2R.apply(x, dims, _norm(norm), sizes)


def hermitian_c2r(input, s, dim, norm, default_all=True):
    """hfftn: the transform of a Hermitian signal given by its one-sided half: irfftn of its conjugate, with the
    norm's direction swapped."""
    return c2r(_complex(input).conj(), s, dim, _DUAL[_norm(norm)], default_all)


def hermitian_r2c(op, input, s, dim, norm, default_all=True):
    """ihfftn: the conjugate of rfftn with the norm's direction swapped."""
    return r2c(op, input, s, dim, _DUAL[_norm(norm)], default_all).conj()


def frequencies(fn, n, d, dtype, device, requires_grad):
    """The sample frequencies of fftfreq / rfftfreq, in the default dtype unless told."""
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    return tensor(np.asarray(fn(int(n), float(d)), dt.np), dtype=dt, device=device, requires_grad=requires_grad)


def shift(input, dim, sign):
    """fftshift (sign 1) / ifftshift (sign -1): a roll by half of each dim's size."""
    dims = tuple(range(input.ndim)) if dim is None else (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(canon_dim(d, input.ndim, "fftshift") for d in dims)
    if not dims:
        return input
    return input.roll(tuple(sign * (input.shape[d] // 2) for d in dims), dims)
