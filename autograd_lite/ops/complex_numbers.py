"""Complex numbers: complex, polar, real / imag (views), conj, sgn, angle, view_as_real / view_as_complex, the
adjoints (H, mH, adjoint), isreal; and PyTorch's convention for complex gradients, given to the ops that take
complex input.

Gradients are conjugate Wirtinger derivatives, as PyTorch's: for a real loss L of z = a + ib, ``z.grad`` is
``dL/da + i dL/db``. A holomorphic op's backward is then ``g * conj(f'(z))``: its real formula ``g * f'(z)`` run on
``conj(g)`` and conjugated back (`holomorphic`), so the tables of real formulas serve complex inputs unchanged.
"""
import math

import numpy as np

from .. import _api, _dtype
from ..autograd.op_function import Function, TensorBase
from ..tensor import Tensor
from . import _formula as m
from ._pointwise import FUNCTIONS
from ._util import quiet, wrap, xp_of

declare = _api.declare


def _is_complex_grad(g):
    return (g._data if isinstance(g, TensorBase) else g).dtype.kind == "c"


def _conj_all(grads):
    if type(grads) is tuple:
        return tuple(None if x is None else m.conj(x) for x in grads)
    return m.conj(grads)


def holomorphic(cls):
    """Gives Function class `cls`, whose backward is the formula of a holomorphic function for real inputs (linear
    in the gradient), PyTorch's complex gradients: ``conj(backward(conj(g)))``; real gradients take the formula as
    it was. Opens a table op (ops/_pointwise.py) to complex input."""
    backward, raw = cls.backward, cls._raw
    own = "backward" in cls.__dict__        # a subclass that inherits a wrapped backward only needs its _raw

    def complex_backward(ctx, g):
        if _is_complex_grad(g):
            return _conj_all(backward(ctx, m.conj(g)))
        return backward(ctx, g)

    def complex_raw(ctx, g):
        if g.dtype.kind == "c":
            return _conj_all(raw(ctx, g.conj()))
        return raw(ctx, g)
    if own:
        cls.backward = staticmethod(complex_backward)
    cls._raw = staticmethod(complex_raw)
    cls.complex_error = None
    return cls


# ---- real and imaginary parts ------------------------------------------------------------------------------

class Real(Function):
    is_view = True
    forward = staticmethod(lambda ctx, x: x.real)
    backward = staticmethod(lambda ctx, g: g)           # the engine casts it to the complex input (imaginary 0)


class Imag(Function):
    is_view = True
    forward = staticmethod(lambda ctx, x: x.imag)
    backward = staticmethod(lambda ctx, g: g * 1j)      # dL/db lands in the imaginary part of the gradient


@declare(method=False)
def real(input):
    """The real part of a complex tensor, as a view (``x.real``); a real tensor is returned as it is.

    Example: ``autograd_lite.real(autograd_lite.tensor([1 + 2j]))`` gives ``tensor([1.])``."""
    return Real.apply(input) if input._data.dtype.kind == "c" else input


@declare(method=False)
def imag(input):
    """The imaginary part of a complex tensor, as a view (``x.imag``).

    Example: ``autograd_lite.imag(autograd_lite.tensor([1 + 2j]))`` gives ``tensor([2.])``."""
    if input._data.dtype.kind != "c":
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return Imag.apply(input)


def _set_part(get):
    def setter(self, value):
        """``x.real = v`` / ``x.imag = v``: writes v (a tensor or a number, broadcast) into that part of x, in place
        (the part is a view, as PyTorch's)."""
        part = get(self)
        if isinstance(value, Tensor):
            part.copy_(value)
        else:
            part.fill_(value)
    return setter


setattr(Tensor, "real", property(real, _set_part(real), doc=real.__doc__))
setattr(Tensor, "imag", property(imag, _set_part(imag), doc=imag.__doc__))


# ---- conjugation ------------------------------------------------------------------------------------------

class Conj(Function):
    @staticmethod
    def forward(ctx, x):
        return x.conj()

    @staticmethod
    def backward(ctx, g):
        return m.conj(g)


@declare(aliases=("conj_physical",))
def conj(input):
    """The complex conjugate (a real tensor is returned as it is). Computed at once: ``is_conj()`` stays False.

    Example: ``autograd_lite.conj(autograd_lite.tensor([1 + 2j]))`` gives ``tensor([1.-2.j])``."""
    return Conj.apply(input) if input._data.dtype.kind == "c" else input


@declare
def resolve_conj(input):
    """The tensor itself: conjugation is never lazy here (PyTorch materialises a conj bit)."""
    return input


@declare
def resolve_neg(input):
    """The tensor itself: negation is never lazy here (PyTorch materialises a neg bit)."""
    return input


@declare
def is_conj(input):
    """False: conj() computes its result at once, so no tensor carries PyTorch's lazy conj bit."""
    return False


@declare
def is_neg(input):
    """False: no tensor carries PyTorch's lazy neg bit."""
    return False


def _raw_conj(x):
    return x.conj() if x.dtype.kind == "c" else x


m.RAW.update(conj=_raw_conj, real=lambda x: x.real, imag=lambda x: x.imag)     # m.conj(g) in backward formulas


# ---- sgn, angle, abs --------------------------------------------------------------------------------------

def _sgn(x):
    """z / |z| (0 at 0) of a complex array; sign of a real one."""
    xp = xp_of(x)
    if x.dtype.kind != "c":
        return xp.sign(x)
    r = xp.abs(x)
    with quiet(xp):
        return xp.where(r == 0, 0, x / r).astype(x.dtype, copy=False)


class Sgn(Function):
    """z / |z| (0 at 0); backward ``(g - s * Re(g * conj(s))) / |z|`` (PyTorch's sgn_backward)."""

    @staticmethod
    def forward(ctx, x):
        out = _sgn(x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, s = ctx._saved
        r = m.abs(x)
        with quiet(xp_of(m.data(r))):
            gz = (g - s * m.real(g * m.conj(s))) / r
        return m.where(m.data(r) == 0, 0.0, gz)


@declare(inplace=True)
def sgn(input):
    """``z / |z|`` for complex z (0 at 0); ``sign`` for real tensors.

    Example: ``autograd_lite.sgn(autograd_lite.tensor([3 + 4j]))`` gives ``tensor([0.6000+0.8000j])``."""
    if input._data.dtype.kind == "c":
        return Sgn.apply(input)
    return Tensor.sign(input)


m.RAW["sgn"] = _sgn


class Angle(Function):
    """The argument of a complex number, atan2(imag, real); of a real one, pi for negatives, 0 otherwise (NaN kept).
    Backward (complex): ``g * i z / |z|^2``, 0 at 0; real: 0."""

    @staticmethod
    def forward(ctx, x):
        xp = xp_of(x)
        if x.dtype.kind == "c":
            ctx.save_for_backward(x)
            return xp.angle(x)
        ctx.save_for_backward(None)
        return xp.where(x < 0, math.pi, xp.where(xp.isnan(x), x, 0)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, = ctx._saved
        if x is None:
            return m.zeros_like(g)
        r = m.abs(x)
        with quiet(xp_of(m.data(r))):
            gz = g * (x * 1j) / (r * r)
        return m.where(m.data(r) == 0, 0.0, gz)


@declare(inplace=True)
def angle(input):
    """The argument of each element in (-pi, pi] (real tensors: pi for negatives, 0 otherwise; integers give
    float32).

    Example: ``autograd_lite.angle(autograd_lite.tensor([1j, -1]))`` gives ``tensor([1.5708, 3.1416])``."""
    if input._data.dtype.kind in "biu":
        input = input.float()
    return Angle.apply(input)


# ---- building complex tensors -----------------------------------------------------------------------------

class Complex(Function):
    @staticmethod
    def forward(ctx, re, im):
        return re + 1j * im        # NumPy 2 keeps float32 parts complex64

    @staticmethod
    def backward(ctx, g):
        return m.real(g), m.imag(g)


def _check_parts(op, a, b):
    for name, t in (("real", a), ("imag", b)) if op == "complex" else (("abs", a), ("angle", b)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' (position {1 if t is a else 2}) must be Tensor, not "
                            f"{type(t).__name__}")
    if a.dtype not in (_dtype.float32, _dtype.float64) or b.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got {a.dtype.scalar_type} "
                           f"and {b.dtype.scalar_type}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"Expected object of scalar type {a.dtype.scalar_type} but got scalar type "
                           f"{b.dtype.scalar_type} for second argument")


@declare(method=False)
def complex(real, imag):  # noqa: A001  (torch.complex)
    """The complex tensor ``real + i imag`` (float32 parts give complex64, float64 complex128), broadcasting.

    Example: ``autograd_lite.complex(autograd_lite.tensor([1.]), autograd_lite.tensor([2.]))`` gives
    ``tensor([1.+2.j])``."""
    _check_parts("complex", real, imag)
    return Complex.apply(real, imag)


@declare(method=False)
def polar(abs, angle):  # noqa: A002
    """The complex tensor ``abs * (cos(angle) + i sin(angle))``, differentiable in both.

    Example: ``autograd_lite.polar(autograd_lite.tensor([2.]), autograd_lite.tensor([0.]))`` gives
    ``tensor([2.+0.j])``."""
    _check_parts("polar", abs, angle)
    return Complex.apply(abs * angle.cos(), abs * angle.sin())


# ---- real views of complex tensors and back ---------------------------------------------------------------

class ViewAsReal(Function):
    is_view = True

    @staticmethod
    def forward(ctx, x):
        if x.ndim and x.strides[-1] != x.itemsize:         # a view needs the elements' parts side by side
            return xp_of(x).stack((x.real, x.imag), -1)
        return x[..., None].view(x.real.dtype)

    @staticmethod
    def backward(ctx, g):
        return Complex.apply(g[..., 0], g[..., 1]) if isinstance(g, TensorBase) else g[..., 0] + 1j * g[..., 1]


class ViewAsComplex(Function):
    is_view = True

    @staticmethod
    def forward(ctx, x):
        return x.view(np.result_type(x.dtype, np.complex64))[..., 0]

    @staticmethod
    def backward(ctx, g):
        return ViewAsReal.apply(g) if isinstance(g, TensorBase) else xp_of(g).stack((g.real, g.imag), -1)


@declare(method=False)
def view_as_real(input):
    """A complex tensor as a real one with a last dim of 2 (real part, imaginary part), sharing its storage.

    Example: ``autograd_lite.view_as_real(autograd_lite.tensor([1 + 2j]))`` gives ``tensor([[1., 2.]])``."""
    if input._data.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


@declare(method=False)
def view_as_complex(input):
    """A float32/float64 tensor with a last dim of 2 (real, imaginary) as a complex tensor sharing its storage.

    Example: ``autograd_lite.view_as_complex(autograd_lite.tensor([[1., 2.]]))`` gives ``tensor([1.+2.j])``."""
    d = input._data
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError("view_as_complex is only supported for float and double tensors, but got a tensor of "
                           f"scalar type: {input.dtype.scalar_type}")
    if d.ndim == 0 or d.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if d.strides[-1] != d.itemsize:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % (2 * d.itemsize) for s, n in zip(d.strides[:-1], d.shape[:-1]) if n > 1):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    return ViewAsComplex.apply(input)


# ---- adjoints and questions -------------------------------------------------------------------------------

def _adjoint(x, name="tensor.mH"):
    """The conjugate transpose of a matrix, or of each matrix of a batch (``x.mH``).

    Example: ``autograd_lite.tensor([[1j, 2]]).mH`` gives ``tensor([[0.-1.j], [2.+0.j]])``."""
    if x.ndim < 2:
        raise RuntimeError(f"{name} is only supported on matrices or batches of matrices. Got {x.ndim}-D tensor.")
    return conj(x).mT


def _hermitian(x):
    """The conjugate transpose of a matrix (``x.H``; 2-D tensors, or 0-D ones, returned as they are)."""
    if x.ndim not in (0, 2):
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {x.ndim}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if x.ndim > 2 else ""))
    return conj(x).mT if x.ndim == 2 else conj(x)


_api.attach_property("mH", _adjoint)
_api.attach_property("H", _hermitian)


@declare(top=False)
def adjoint(input):
    """``x.mH``: the conjugate transpose of each matrix; ``torch.adjoint(x)`` too.

    Example: ``autograd_lite.adjoint(autograd_lite.tensor([[1j, 2]]))`` has shape (2, 1)."""
    return _adjoint(input, "tensor.adjoint()")


_api.TOP["adjoint"] = adjoint


@declare
def isreal(input):
    """Whether each element is real: True everywhere for real tensors, where the imaginary part is 0 for complex.

    Example: ``autograd_lite.isreal(autograd_lite.tensor([1 + 0j, 1j]))`` gives ``tensor([ True, False])``."""
    d = input._data
    return wrap(d.imag == 0 if d.dtype.kind == "c" else xp_of(d).ones(d.shape, bool), d)


@declare(top=False)
def cfloat(input):
    """``x.to(complex64)``. Example: ``autograd_lite.tensor([1.0]).cfloat()`` gives ``tensor([1.+0.j])``."""
    return input.to(_dtype.complex64)


@declare(top=False)
def cdouble(input):
    """``x.to(complex128)``. Example: ``autograd_lite.tensor([1.0]).cdouble().dtype`` is complex128."""
    return input.to(_dtype.complex128)


# ---- the ops that take complex input: PyTorch's gradients, or PyTorch's refusal --------------------------------

def _open_to_complex():
    from . import (activation, arithmetic, decompositions, linalg, linalg_solvers, matrix_functions, reduction, scans,
                   special)
    for cls in (arithmetic.Mul, arithmetic.Div, arithmetic.Pow, arithmetic.PowTensor, arithmetic.RPow, linalg.MatMul,
                linalg.Dot, linalg.AddMM, linalg.BAddBMM, linalg.Einsum, reduction.Prod, reduction.Cumprod,
                decompositions.Solve,
                reduction.LogSumExp, activation.Silu, arithmetic.Lerp, linalg_solvers.SolveTriangular,
                linalg_solvers.LUFactor, matrix_functions.MatrixExp, special.CLASSES["logaddexp"],
                scans.LogCumSumExp):
        holomorphic(cls)
    for name in ("neg", "exp", "expm1", "exp2", "square", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
                 "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh",
                 "atanh", "sigmoid", "tanh", "sinc"):
        holomorphic(FUNCTIONS[name])
    FUNCTIONS["abs"].complex_error = None        # its derivative has the complex case (g * sgn(z))
    FUNCTIONS["sign"].complex_error = ("Unlike NumPy, torch.sign is not intended to support complex numbers. Please "
                                       "use torch.sgn instead.")
    for name in ("trunc", "floor", "ceil"):
        FUNCTIONS[name].complex_error = f"{name} is not supported for complex inputs"
    if "relu" in FUNCTIONS:
        FUNCTIONS["relu"].complex_error = "clamp is not supported for complex types"


_open_to_complex()
