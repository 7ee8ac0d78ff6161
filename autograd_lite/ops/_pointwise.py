"""Elementwise ops of one tensor, declared as table rows (ops/math.py, ops/activation.py): a formula on the array
module (so the op works on every device), its derivative in the formula namespace (so it has gradients of every
order), and optionally the kernel table's acceleration, used where the table has it.

Example (a row of ops/math.py)::

    pointwise("exp", lambda xp, x: xp.exp(x), lambda g, x, y: g * y, saves="out")
"""
import numpy as np

from .. import _api
from ..autograd.op_function import Function
from . import _formula
from ._util import kernels_of, quiet, to_float, xp_of

_KERNEL_DTYPES = frozenset(map(np.dtype, ("float32", "float64")))     # (numpy's dtype.name costs ~3 us)
FUNCTIONS = {}  # name -> the op's Function class (ops/complex_numbers.py opens the holomorphic ones to complex input)


def pointwise(name, formula, derivative, *, saves="x", kernel=None, floats=True, check=None, inplace=True,
              functional=False, doc=None):
    """Declares the elementwise op `name` (autograd_lite.name, Tensor.name, Tensor.name_) and returns it.

    formula(xp, x): the op on the array module. derivative(g, x, y): its gradient, written with the formula
    namespace (ops/_formula.py) from the input x and the output y. saves: what the derivative reads ("x", "out",
    "x out" or ""). kernel: the kernel table's `<kernel>_forward(x)` / `<kernel>_backward(g, y)`, used for
    float32/float64 when the table has them. floats: integer and bool inputs become float32 first (exp, log, as
    PyTorch). check(x): raises for inputs the op refuses."""
    cls = FUNCTIONS[name] = _function_class(name, formula, derivative, saves, kernel)

    def op(x):
        if check is not None:
            check(x)
        return cls.apply(to_float(x) if floats else x)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc or f"Elementwise ``{name}``, differentiable (to any order)."
    op.function, op.derivative = cls, derivative
    _formula.RAW[name] = lambda x: _raw(formula, x)
    if functional:                 # nn.functional's signature: f(input, inplace=False)
        _api.FUNCTIONAL[name] = _functional(op)
    return _api.declare(op, inplace=inplace)


def _complex_type(x):
    return "ComplexFloat" if x.dtype.itemsize == 8 else "ComplexDouble"


def _functional(op):
    def f(input, inplace=False):
        return input._inplace(op) if inplace else op(input)
    f.__name__ = f.__qualname__ = op.__name__
    f.__doc__ = op.__doc__
    return f


def _raw(formula, x):
    xp = xp_of(x)
    with quiet(xp):              # log(0) = -inf, sqrt(-1) = nan, silently, as in PyTorch
        return formula(xp, x)


def _function_class(name, formula, derivative, saves, kernel):
    keep_x, keep_out = "x" in saves.split(), "out" in saves.split()
    forward_kernel, backward_kernel = (kernel + "_forward", kernel + "_backward") if kernel else (None, None)

    def forward(ctx, x):
        if forward_kernel is not None and x.dtype in _KERNEL_DTYPES:
            out = getattr(kernels_of(x), forward_kernel)(x)
        else:
            if x.dtype.kind == "c" and ctx.complex_error is not None:     # never a kernel's typing error
                raise NotImplementedError(ctx.complex_error.format(type=_complex_type(x)))
            out = _raw(formula, x)
        if keep_x:
            ctx.save_for_backward(x, out) if keep_out else ctx.save_for_backward(x)
        elif keep_out:
            ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        saved = ctx._saved
        x = saved[0] if keep_x else None
        out = saved[-1] if keep_out else None
        if _formula.is_graph(g):
            return derivative(g, x, out)
        with quiet(xp_of(g)):    # the derivative at a pole (sqrt's at 0): inf, silently, as in PyTorch
            return derivative(g, x, out)

    body = {"op_name": name, "forward": staticmethod(forward), "backward": staticmethod(backward),
            "complex_error": f'"{name}" not implemented for \'{{type}}\'',      # None: takes complex input
            "saved_names": dict((("self", 0),) * keep_x + (("result", int(keep_x)),) * keep_out)}  # torch's names
    if kernel is not None:
        def backward_raw(ctx, g):
            out = ctx._saved[-1]
            if out.dtype in _KERNEL_DTYPES:
                return getattr(kernels_of(out), backward_kernel)(g, out)
            return backward(ctx, g)
        body["backward_raw"] = staticmethod(backward_raw)
    return type(name.title().replace("_", ""), (Function,), body)
