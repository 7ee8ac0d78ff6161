"""Elementwise math and activations against PyTorch (one line per case): the unary rows of ops/math.py, erf and
erfinv (and their kernels), atan2, lerp, fmod, remainder, pow's edge cases, clamp with tensor bounds, the
activations of nn.functional; then in-place variants, integer and bool inputs, and the errors."""
import math
import re

import numpy as np
import pytest

import autograd_lite as al
import autograd_lite.nn.functional as alF
from autograd_lite.kernels import cpu as cpu_kernels
from autograd_lite.kernels.cpu import _jit

torch = pytest.importorskip("torch")

try:
    from op_helpers import check_op, functional as F
except ImportError:  # tests/ imported as a package
    from tests.op_helpers import check_op, functional as F


def case(name, fn, *shapes, **kw):
    return pytest.param(fn, shapes, kw, id=name)


BCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((4,), (3, 4))]


def bcast(name, fn, **kw):
    return [case(f"{name}-{a}&{b}", fn, a, b, **kw) for a, b in BCAST]


UNIT = dict(low=-0.95, high=0.95)          # the domain of asin, acos, atanh, erfinv
WIDE = dict(low=-5.0, high=5.0)            # every piece of the hard* activations

UNARY = [
    # the rows of ops/math.py, by name, as methods and by their aliases
    case("sign", lambda lib, x: lib.sign(x), (3, 4)),
    case("expm1", lambda lib, x: lib.expm1(x), (3, 4)),
    case("exp2", lambda lib, x: lib.exp2(x), (3, 4)),
    case("square", lambda lib, x: x.square(), (3, 4)),
    case("square-int", lambda lib, x: lib.square(x), (3, 4), dtype="int64"),
    case("square-bool", lambda lib, x: lib.square(x), (3, 4), dtype="bool"),
    case("log2", lambda lib, x: lib.log2(x), (3, 4), positive=True),
    case("log10", lambda lib, x: x.log10(), (3, 4), positive=True),
    case("log1p", lambda lib, x: lib.log1p(x), (3, 4), low=-0.9),
    case("rsqrt", lambda lib, x: lib.rsqrt(x), (3, 4), positive=True),
    case("reciprocal", lambda lib, x: x.reciprocal(), (3, 4)),
    case("tan", lambda lib, x: lib.tan(x), (3, 4), low=-1.2, high=1.2),
    case("asin", lambda lib, x: lib.asin(x), (3, 4), **UNIT),
    case("acos", lambda lib, x: x.acos(), (3, 4), **UNIT),
    case("atan", lambda lib, x: lib.atan(x), (3, 4)),
    case("sinh", lambda lib, x: lib.sinh(x), (3, 4)),
    case("cosh", lambda lib, x: x.cosh(), (3, 4)),
    case("asinh", lambda lib, x: lib.asinh(x), (3, 4)),
    case("acosh", lambda lib, x: lib.acosh(x), (3, 4), low=1.1, high=4.0),
    case("atanh", lambda lib, x: x.atanh(), (3, 4), **UNIT),
    case("round", lambda lib, x: lib.round(x * 3), (3, 4)),
    case("trunc", lambda lib, x: lib.trunc(x * 3), (3, 4)),
    case("floor", lambda lib, x: x.floor(), (3, 4)),
    case("ceil", lambda lib, x: lib.ceil(x), (3, 4)),
    case("frac", lambda lib, x: lib.frac(x * 3), (3, 4)),
    case("arcsin", lambda lib, x: lib.arcsin(x), (5,), **UNIT),
    case("arccos", lambda lib, x: x.arccos(), (5,), **UNIT),
    case("arctan", lambda lib, x: lib.arctan(x), (5,)),
    case("arcsinh", lambda lib, x: x.arcsinh(), (5,)),
    case("arccosh", lambda lib, x: lib.arccosh(x), (5,), low=1.1, high=4.0),
    case("arctanh", lambda lib, x: lib.arctanh(x), (5,), **UNIT),
    case("absolute", lambda lib, x: lib.absolute(x), (5,)),
    case("absolute-method", lambda lib, x: x.absolute(), (2, 3)),
    case("negative", lambda lib, x: lib.negative(x), (5,)),
    case("negative-method", lambda lib, x: x.negative(), (2, 3)),
    case("fix", lambda lib, x: lib.fix(x * 3), (5,)),
    case("fix-method", lambda lib, x: (x * 3).fix(), (5,)),
    case("unary-0d", lambda lib, x: lib.tan(x) + lib.log1p(x.abs()) + lib.atan(x), ()),
    case("f64-expm1", lambda lib, x: lib.expm1(x), (3, 4), dtype="float64"),
    case("f64-log2", lambda lib, x: lib.log2(x), (3, 4), dtype="float64", positive=True),
    case("f64-atanh", lambda lib, x: lib.atanh(x), (3, 4), dtype="float64", **UNIT),
    case("f64-acosh", lambda lib, x: lib.acosh(x), (3, 4), dtype="float64", low=1.1, high=4.0),
    case("f64-frac", lambda lib, x: lib.frac(x * 3), (3, 4), dtype="float64"),
    case("f64-rsqrt", lambda lib, x: x.rsqrt(), (3, 4), dtype="float64", positive=True),
    # integer inputs: rounding keeps the dtype, the rest give float32
    case("int-round", lambda lib, a: lib.round(a), (3, 4), dtype="int64"),
    case("int-floor", lambda lib, a: a.floor(), (3, 4), dtype="int64"),
    case("int-ceil", lambda lib, a: lib.ceil(a), (3, 4), dtype="int64"),
    case("int-trunc", lambda lib, a: lib.trunc(a), (3, 4), dtype="int64"),
    case("int32-floor", lambda lib, a: lib.floor(a), (3, 4), dtype="int32"),
    case("int-sign", lambda lib, a: lib.sign(a), (3, 4), dtype="int64"),
    case("int-abs", lambda lib, a: lib.absolute(a), (3, 4), dtype="int64"),
    case("int-neg", lambda lib, a: lib.negative(a), (3, 4), dtype="int64"),
    case("int-sin", lambda lib, a: lib.sin(a), (3, 4), dtype="int64"),
    case("int-expm1", lambda lib, a: lib.expm1(a), (3, 4), dtype="int64"),
    case("int-log2", lambda lib, a: lib.log2(a), (3, 4), dtype="int64", low=1, high=9),
    case("int-reciprocal", lambda lib, a: a.reciprocal(), (3, 4), dtype="int64"),
    case("int-atan", lambda lib, a: lib.atan(a), (3, 4), dtype="int32"),
    case("int-erf", lambda lib, a: lib.erf(a), (3, 4), dtype="int64"),
    case("bool-sign", lambda lib, b: lib.sign(b), (3, 4), dtype="bool"),
    case("bool-exp", lambda lib, b: lib.exp(b), (3, 4), dtype="bool"),
    case("bool-erf", lambda lib, b: lib.erf(b), (3, 4), dtype="bool"),
    # in place, on a non-leaf: the gradient flows through the rewritten tensor
    case("exp_", lambda lib, x: (x * 1).exp_(), (3, 4)),
    case("sin_", lambda lib, x: (x * 2).sin_(), (3, 4)),
    case("log1p_", lambda lib, x: (x + 0).log1p_(), (3, 4), positive=True),
    case("tanh_", lambda lib, x: (x * 1).tanh_(), (3, 4)),
    case("asin_", lambda lib, x: (x * 1).asin_(), (3, 4), **UNIT),
    case("reciprocal_", lambda lib, x: (x * 1).reciprocal_(), (3, 4)),
    case("floor_", lambda lib, x: (x * 3).floor_() + x, (3, 4)),
    case("erf_", lambda lib, x: (x * 1).erf_(), (3, 4)),
    case("erfinv_", lambda lib, x: (x * 1).erfinv_(), (3, 4), **UNIT),
    case("arctan_", lambda lib, x: (x * 1).arctan_(), (3, 4)),
    case("chain_", lambda lib, x: (x * 1).atan_().negative_().expm1_(), (3, 4)),
    case("alias_", lambda lib, x: (x * 1).arcsin_() + (x * 2).absolute_() + (x * 3).fix_(), (3, 4), **UNIT),
]

NEW = [
    # erf, erfinv
    case("erf", lambda lib, x: lib.erf(x), (3, 4)),
    case("erf-method", lambda lib, x: (x * 1.5).erf(), (2, 3, 4)),
    case("erf-0d", lambda lib, x: lib.erf(x), ()),
    case("erf-noncontig", lambda lib, x: lib.erf(x.t()), (3, 4)),
    case("erfinv", lambda lib, x: lib.erfinv(x), (3, 4), **UNIT),
    case("erfinv-method", lambda lib, x: x.erfinv(), (2, 3, 4), low=-0.999, high=0.999),
    case("erfinv-0d", lambda lib, x: lib.erfinv(x), (), **UNIT),
    case("erfinv(erf)", lambda lib, x: lib.erfinv(lib.erf(x)), (3, 4), low=-1.5, high=1.5),
    case("f64-erf", lambda lib, x: lib.erf(x), (3, 4), dtype="float64"),
    case("f64-erfinv", lambda lib, x: lib.erfinv(x), (3, 4), dtype="float64", **UNIT),
    # atan2
    *bcast("atan2", lambda lib, y, x: lib.atan2(y, x)),
    case("arctan2", lambda lib, y, x: lib.arctan2(y, x), (3, 4), (3, 4)),
    case("atan2-method", lambda lib, y, x: y.atan2(x), (3, 4), (4,)),
    case("atan2_", lambda lib, y, x: (y * 1).atan2_(x), (3, 4), (4,)),
    case("atan2-f64", lambda lib, y, x: lib.atan2(y, x), (3, 4), (3, 4), dtype="float64"),
    # torch's gradient squares the float32 input in float32 before promoting it
    case("atan2-f32&f64", lambda lib, y, x: lib.atan2(y, x), (3, 4), (4,), dtype=("float32", "float64"), rtol=1e-6),
    case("atan2-int", lambda lib, y, x: lib.atan2(y, x), (3, 4), (4,), dtype="int64"),
    case("atan2-int&f32", lambda lib, a, x: lib.atan2(a, x), (3, 4), (4,), dtype=("int64", "float32")),
    # lerp
    case("lerp-w-small", lambda lib, a, b: lib.lerp(a, b, 0.3), (3, 4), (3, 4)),
    case("lerp-w-large", lambda lib, a, b: lib.lerp(a, b, 0.75), (3, 4), (4,)),
    case("lerp-w-one", lambda lib, a, b: lib.lerp(a, b, 1), (3, 4), (3, 4)),
    case("lerp-w-negative", lambda lib, a, b: lib.lerp(a, b, -1.5), (3, 4), (3, 4)),
    case("lerp-w-tensor", lambda lib, a, b, w: lib.lerp(a, b, w), (3, 4), (3, 4), (3, 4)),
    case("lerp-bcast", lambda lib, a, b, w: lib.lerp(a, b, w), (2, 1), (3,), (4, 1, 1)),
    case("lerp-w-0d", lambda lib, a, b, w: lib.lerp(a, b, w), (3, 4), (4,), ()),
    case("lerp-method", lambda lib, a, b: a.lerp(b, 0.6), (3, 4), (3, 4)),
    case("lerp_", lambda lib, a, b, w: (a * 1).lerp_(b, w), (3, 4), (4,), (3, 1)),
    case("lerp-f64", lambda lib, a, b, w: lib.lerp(a, b, w), (3, 4), (3, 4), (4,), dtype="float64"),
    # fmod and remainder, differentiable in both
    *bcast("fmod", lambda lib, a, b: lib.fmod(a, b)),
    *bcast("remainder", lambda lib, a, b: lib.remainder(a, b)),
    case("fmod-scalar", lambda lib, a: lib.fmod(a * 3, 1.5), (3, 4)),
    case("fmod-neg-scalar", lambda lib, a: a.fmod(-0.7), (3, 4)),
    case("fmod_", lambda lib, a, b: (a * 3).fmod_(b), (3, 4), (4,)),
    case("remainder-scalar", lambda lib, a: lib.remainder(a * 3, 1.5), (3, 4)),
    case("remainder-neg-scalar", lambda lib, a: a % -0.7, (3, 4)),
    case("mod-op", lambda lib, a, b: (a * 3) % b, (3, 4), (3, 4)),
    case("remainder_", lambda lib, a, b: (a * 3).remainder_(b), (3, 4), (4,)),
    case("rmod", lambda lib, b: 5 % b, (3, 4), grad=False),         # torch: no derivative for a Python number % x
    case("remainder-scalar-first", lambda lib, b: lib.remainder(2.5, b), (3, 4), grad=False),
    case("fmod-f64", lambda lib, a, b: lib.fmod(a * 5, b), (3, 4), (4,), dtype="float64"),
    case("remainder-f64", lambda lib, a, b: lib.remainder(a * 5, b), (3, 4), (4,), dtype="float64"),
    case("fmod-int", lambda lib, a, b: lib.fmod(a * 5, b), (3, 4), (4,), dtype="int64"),
    case("remainder-int", lambda lib, a, b: lib.remainder(a * 5, b), (3, 4), (4,), dtype="int64"),
    case("fmod-int-scalar", lambda lib, a: lib.fmod(a * 5, 3), (3, 4), dtype="int64"),
    case("fmod-int-float", lambda lib, a: lib.fmod(a, 2.5), (3, 4), dtype="int64"),
    case("remainder-int-float", lambda lib, a: a % 2.5, (3, 4), dtype="int64"),
    case("fmod-f32&int", lambda lib, x, a: lib.fmod(x * 5, a), (3, 4), (4,), dtype=("float32", "int64")),
    # pow: integers to negative integer tensor powers (NumPy refuses them)
    case("pow-int-neg-tensor", lambda lib, a, b: a ** b, (3, 4), (4,), dtype="int64", low=-3, high=3),
    case("rpow-int-neg-tensor", lambda lib, b: 2 ** b, (3, 4), dtype="int64", low=-3, high=3),
    case("rpow-neg-base-int", lambda lib, b: (-1) ** b, (3, 4), dtype="int64", low=-3, high=3),
    case("pow-int-nonneg", lambda lib, a: a ** 3, (3, 4), dtype="int64"),
    case("pow-int32&int64", lambda lib, a, b: a ** b, (3, 4), (4,), dtype=("int32", "int64"), low=-3, high=3),
    case("pow-float-int-tensor", lambda lib, x, b: x ** b, (3, 4), (4,), dtype=("float32", "int64"), low=-3, high=3),
    case("pow-bool-scalar", lambda lib, b: b ** 2, (3, 4), dtype="bool"),
    case("pow-f64", lambda lib, x, y: x ** y, (3, 4), (4,), dtype="float64", positive=True),
    case("pow_", lambda lib, x, y: (x * 1).pow_(y), (3, 4), (4,), positive=True),
    # clamp with tensor bounds, broadcasting
    case("clamp-tensors", lambda lib, x, lo, hi: lib.clamp(x, lo, hi + 2), (3, 4), (3, 4), (3, 4)),
    case("clamp-tensors-bcast", lambda lib, x, lo, hi: lib.clamp(x, lo - 1, hi + 1), (3, 1), (4,), (3, 4)),
    case("clamp-tensors-bcast3", lambda lib, x, lo, hi: lib.clamp(x, lo - 1, hi + 1), (2, 3, 4), (3, 1), (4,)),
    case("clamp-tensor-min", lambda lib, x, lo: lib.clamp(x, min=lo), (3, 4), (4,)),
    case("clamp-tensor-max", lambda lib, x, hi: x.clamp(max=hi), (3, 4), (3, 1)),
    case("clamp-tensors-crossed", lambda lib, x, lo, hi: lib.clamp(x, hi + 1, hi), (3, 4), (4,), (4,)),
    case("clip-tensors", lambda lib, x, lo, hi: lib.clip(x, lo, lo + hi.abs()), (3, 4), (4,), (3, 4)),
    case("clamp_-tensors", lambda lib, x, lo: (x * 1).clamp_(min=lo), (3, 4), (4,)),
    case("clamp-0d-tensor", lambda lib, x, lo: lib.clamp(x, lo), (3, 4), ()),
    case("clamp-f32&f64-0d", lambda lib, x, lo: lib.clamp(x, lo), (3, 4), (), dtype=("float32", "float64")),
    case("clamp-f32&f64", lambda lib, x, lo: lib.clamp(x, lo), (3, 4), (4,), dtype=("float32", "float64")),
    case("clamp-int&f32", lambda lib, a, lo: lib.clamp(a, lo), (3, 4), (4,), dtype=("int64", "float32")),
    case("clamp-int-tensors", lambda lib, a, lo: lib.clamp(a, lo, lo + 1), (3, 4), (4,), dtype="int64"),
    case("clamp-f64-tensors", lambda lib, x, lo, hi: lib.clamp(x, lo, hi + 2), (3, 4), (4,), (3, 1), dtype="float64"),
]

ACTIVATIONS = [
    case("softplus", lambda lib, x: F(lib).softplus(x), (3, 4)),
    case("softplus-beta", lambda lib, x: F(lib).softplus(x, beta=2.5), (3, 4)),
    case("softplus-threshold", lambda lib, x: F(lib).softplus(x, 2, 1), (4, 5)),       # both branches
    case("softplus-large", lambda lib, x: F(lib).softplus(x * 20), (3, 4)),
    case("gelu", lambda lib, x: F(lib).gelu(x), (3, 4), **WIDE),
    case("gelu-none", lambda lib, x: F(lib).gelu(x, approximate="none"), (2, 3, 4)),
    case("gelu-tanh", lambda lib, x: F(lib).gelu(x, approximate="tanh"), (3, 4), **WIDE),
    case("silu", lambda lib, x: F(lib).silu(x), (3, 4), **WIDE),
    case("silu-inplace", lambda lib, x: F(lib).silu(x * 1, inplace=True), (3, 4)),
    case("mish", lambda lib, x: F(lib).mish(x), (3, 4), **WIDE),
    case("mish-inplace", lambda lib, x: F(lib).mish(x * 1, True), (3, 4)),
    case("hardtanh", lambda lib, x: F(lib).hardtanh(x), (3, 4)),
    case("hardtanh-bounds", lambda lib, x: F(lib).hardtanh(x, -0.5, 1.25), (3, 4)),
    case("hardtanh-inplace", lambda lib, x: F(lib).hardtanh(x * 1, min_val=0.2, inplace=True), (3, 4)),
    case("hardtanh_", lambda lib, x: F(lib).hardtanh_(x * 1, -0.3, 0.3), (3, 4)),
    case("threshold", lambda lib, x: F(lib).threshold(x, 0.3, -2.5), (3, 4)),
    case("threshold-top", lambda lib, x: lib.threshold(x, -0.3, 7.0), (2, 3, 4)),
    case("threshold-inplace", lambda lib, x: F(lib).threshold(x * 1, 0.3, 0.0, inplace=True), (3, 4)),
    case("threshold_", lambda lib, x: F(lib).threshold_(x * 1, 0.1, 1.5), (3, 4)),
    case("relu6", lambda lib, x: F(lib).relu6(x * 2), (3, 4), **WIDE),
    case("relu6-inplace", lambda lib, x: F(lib).relu6(x * 2, inplace=True), (3, 4), **WIDE),
    # torch has no second derivative of hardsigmoid (ours: zero)
    case("hardsigmoid", lambda lib, x: F(lib).hardsigmoid(x), (3, 4), second=False, **WIDE),
    case("hardsigmoid-inplace", lambda lib, x: F(lib).hardsigmoid(x * 1, inplace=True), (3, 4), second=False,
         **WIDE),
    case("hardswish", lambda lib, x: F(lib).hardswish(x), (3, 4), **WIDE),
    case("hardswish-inplace", lambda lib, x: F(lib).hardswish(x * 1, True), (3, 4), **WIDE),
    case("logsigmoid", lambda lib, x: F(lib).logsigmoid(x), (3, 4), **WIDE),
    case("logsigmoid-large", lambda lib, x: F(lib).logsigmoid(x * 100), (3, 4)),
    case("softsign", lambda lib, x: F(lib).softsign(x), (3, 4), **WIDE),
    case("selu", lambda lib, x: F(lib).selu(x), (3, 4)),
    case("selu-top", lambda lib, x: lib.selu(x), (3, 4)),
    case("selu-inplace", lambda lib, x: F(lib).selu(x * 1, inplace=True), (3, 4)),
    case("selu_", lambda lib, x: lib.selu_(x * 1), (3, 4)),
    case("celu", lambda lib, x: F(lib).celu(x), (3, 4)),
    case("celu-alpha", lambda lib, x: lib.celu(x, alpha=0.5), (3, 4)),
    case("celu-inplace", lambda lib, x: F(lib).celu(x * 1, 2.0, True), (3, 4)),
    case("celu_", lambda lib, x: F(lib).celu_(x * 1, alpha=1.5), (3, 4)),
    case("prelu-one", lambda lib, x, w: F(lib).prelu(x, w), (3, 4), (1,)),
    case("prelu-channels", lambda lib, x, w: F(lib).prelu(x, w), (2, 3, 4), (3,)),
    case("prelu-channels-4d", lambda lib, x, w: lib.prelu(x, w), (2, 3, 2, 2), (3,)),
    case("prelu-1d", lambda lib, x, w: F(lib).prelu(x, w), (5,), (1,)),
    case("prelu-0d-weight", lambda lib, x, w: F(lib).prelu(x, w), (2, 3), ()),
    case("prelu-0d-input", lambda lib, x, w: F(lib).prelu(x, w), (), (1,)),
    case("prelu-method", lambda lib, x, w: x.prelu(w), (2, 3), (3,)),
    case("f64-softplus", lambda lib, x: F(lib).softplus(x, 2, 1), (3, 4), dtype="float64"),
    case("f64-gelu", lambda lib, x: F(lib).gelu(x), (3, 4), dtype="float64", **WIDE),
    case("f64-gelu-tanh", lambda lib, x: F(lib).gelu(x, approximate="tanh"), (3, 4), dtype="float64"),
    case("f64-silu", lambda lib, x: F(lib).silu(x), (3, 4), dtype="float64"),
    case("f64-mish", lambda lib, x: F(lib).mish(x), (3, 4), dtype="float64"),
    case("f64-hardswish", lambda lib, x: F(lib).hardswish(x), (3, 4), dtype="float64", **WIDE),
    case("f64-logsigmoid", lambda lib, x: F(lib).logsigmoid(x), (3, 4), dtype="float64"),
    case("f64-selu", lambda lib, x: F(lib).selu(x), (3, 4), dtype="float64"),
    case("f64-celu", lambda lib, x: F(lib).celu(x, 0.75), (3, 4), dtype="float64"),  # torch's backward: float32 alpha
    case("f64-prelu", lambda lib, x, w: F(lib).prelu(x, w), (2, 3, 4), (3,), dtype="float64"),
    case("int-hardtanh", lambda lib, a: F(lib).hardtanh(a), (3, 4), dtype="int64"),
    case("int-threshold", lambda lib, a: F(lib).threshold(a, 1, -7), (3, 4), dtype="int64", low=-5, high=5),
    case("int-hardtanh-bounds", lambda lib, a: F(lib).hardtanh(a, -0.5, 2.5), (3, 4), dtype="int64", low=-5, high=5),
    case("int-relu6", lambda lib, a: F(lib).relu6(a * 3), (3, 4), dtype="int64"),
    case("int-softsign", lambda lib, a: F(lib).softsign(a), (3, 4), dtype="int64"),
]


@pytest.mark.parametrize("fn, shapes, kw", UNARY + NEW + ACTIVATIONS)
def test_op(fn, shapes, kw, device):
    check_op(fn, shapes, device=device, **kw)


# ---- fixed inputs: edges, ties and kinks, first and second derivatives against torch --------------------

def _derivatives(lib, fn, values, grad_inputs, second=True):
    """fn's output, the gradients of (out * w).sum() taken with create_graph, and the gradients of the sum of
    those (second derivatives), as float64 NumPy arrays; None where a gradient is undefined (or zero in ours)."""
    xs = [lib.tensor(v, dtype=lib.float64, requires_grad=i in grad_inputs) if isinstance(v, list) else v
          for i, v in enumerate(values)]
    out = fn(lib, *xs)
    leaves = [x for i, x in enumerate(xs) if i in grad_inputs]
    w = lib.linspace(0.5, 1.5, out.numel(), dtype=lib.float64).reshape(out.shape)
    firsts = lib.autograd.grad((out * w).sum(), leaves, create_graph=True, allow_unused=True)
    terms = [g.sum() for g in firsts if g is not None and g.requires_grad] if second else []
    seconds = lib.autograd.grad(sum(terms[1:], terms[0]), leaves, allow_unused=True) if terms else [None] * len(leaves)
    as_np = lambda t: None if t is None else t.detach().numpy().astype(np.float64)      # noqa: E731
    return as_np(out), [as_np(g) for g in firsts], [as_np(g) for g in seconds]


def check_fixed(fn, *values, grad_inputs=(0,), second=True, rtol=1e-12):
    """fn(lib, *tensors) at the given values (lists become float64 tensors), against torch: values, first and
    second derivatives, NaN and inf included. second="finite": where torch's second derivative is NaN (its formula's
    0 * inf at a = 0 in pow), ours may be a number; False: first derivatives only. rtol: for the derivatives."""
    ours = _derivatives(al, fn, values, grad_inputs, second)
    ref = _derivatives(torch, fn, values, grad_inputs, second)
    np.testing.assert_allclose(ours[0], ref[0], rtol=1e-12, atol=1e-12, equal_nan=True, err_msg="output")
    for order, mine, theirs in (("first", ours[1], ref[1]), ("second", ours[2], ref[2])):
        for i, (a, t) in enumerate(zip(mine, theirs)):
            if a is None and t is None:
                continue
            shape = (a if a is not None else t).shape
            if order == "second" and second == "finite" and a is not None and t is not None:
                a = np.where(np.isnan(t), np.nan, a)
            np.testing.assert_allclose(np.zeros(shape) if a is None else a, np.zeros(shape) if t is None else t,
                                       rtol=rtol, atol=1e-12, equal_nan=True,
                                       err_msg=f"{order} derivative of input {grad_inputs[i]}")


EDGES = [
    # pow at 0: no NaN where PyTorch gives a number
    ("0**x", lambda lib, x: 0 ** x, [[-1.0, 0.0, 0.5, 2.0]], dict(second="finite")),
    ("0.0**x", lambda lib, x: 0.0 ** x, [[-1.0, 0.0, 0.5, 2.0]], dict(second="finite")),
    ("x**0", lambda lib, x: x ** 0, [[0.0, 1.0, -2.0]]),
    ("x**0.0", lambda lib, x: x ** 0.0, [[0.0, 1.0, -2.0]]),
    ("x**1", lambda lib, x: x ** 1, [[0.0, 1.0, -2.0]]),
    ("x**2", lambda lib, x: x ** 2, [[0.0, 1.0, -2.0]]),
    ("x**3", lambda lib, x: lib.pow(x, 3), [[0.0, 1.0, -2.0]]),
    ("x**0.5", lambda lib, x: x ** 0.5, [[0.0, 1.0, 4.0]]),
    ("x**-1", lambda lib, x: x ** -1, [[0.0, 1.0, -2.0]]),
    ("x**y", lambda lib, x, y: x ** y, [[0.0, 0.0, 0.0, 0.0, 2.0, -2.0, 0.0], [0.0, 1.0, 2.0, 0.5, 0.0, 2.0, -1.0]],
     dict(second="finite")),
    ("x**y-bcast-0", lambda lib, x, y: x ** y, [[0.0, 1.0, 2.0], [0.0]]),
    ("2**x", lambda lib, x: 2 ** x, [[-1.0, 0.0, 2.0]]),
    ("(-2)**x", lambda lib, x: (-2) ** x, [[-1.0, 0.0, 2.0, 0.5]]),
    ("1**x", lambda lib, x: 1 ** x, [[-1.0, 0.0, 2.0]]),
    # clamp: ties pass the gradient to x (never split), crossed bounds give it to max
    ("clamp-ties", lambda lib, x, lo, hi: lib.clamp(x, lo, hi), [[0.0, 1.0, 2.0, 3.0, 0.5], [0.0, 0.0, 0.0, 0.0, 1.0],
                                                                  [2.0, 1.0, 2.0, 2.0, 0.0]]),
    ("clamp-min-ties", lambda lib, x, lo: lib.clamp(x, min=lo), [[0.0, 1.0, -1.0], [0.0, 0.0, 0.0]]),
    ("clamp-max-ties", lambda lib, x, hi: lib.clamp(x, max=hi), [[0.0, 1.0, -1.0], [0.0, 0.0, 0.0]]),
    ("clamp-equal-bounds", lambda lib, x, lo: lib.clamp(x, lo, lo * 1), [[-1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]),
    ("clamp-scalar-ties", lambda lib, x: lib.clamp(x, -1.0, 1.0), [[-1.0, 1.0, 0.0, 2.0]]),
    # kinks of the activations
    ("hardtanh-kinks", lambda lib, x: F(lib).hardtanh(x), [[-1.0, 1.0, 0.0, -2.0]]),
    ("relu6-kinks", lambda lib, x: F(lib).relu6(x), [[0.0, 6.0, 3.0, 7.0]]),
    # torch: no second derivative, and 1/6 as a float32 constant in its float64 gradient
    ("hardsigmoid-kinks", lambda lib, x: F(lib).hardsigmoid(x), [[-3.0, 3.0, 0.0, -4.0, 4.0]],
     dict(second=False, rtol=1e-7)),
    ("hardswish-kinks", lambda lib, x: F(lib).hardswish(x), [[-3.0, 3.0, 0.0, -4.0, 4.0]]),
    ("softplus-threshold-edge", lambda lib, x: F(lib).softplus(x, 2, 4), [[2.0, 1.999, 2.001, -30.0]]),
    ("elu-family-zero", lambda lib, x: F(lib).selu(x) + F(lib).celu(x, 0.5), [[0.0, -0.0, 1e-300]]),
    ("prelu-zero", lambda lib, x, w: F(lib).prelu(x, w), [[0.0, -1.0, 2.0], [0.25]]),
    ("erf-large", lambda lib, x: lib.erf(x), [[-30.0, -6.0, 0.0, 6.0, 30.0]]),
    ("erfinv-edges", lambda lib, x: lib.erfinv(x), [[-1.0, 1.0, 0.0, 0.999999, -0.5, 1.5]]),
    ("logsigmoid-extreme", lambda lib, x: F(lib).logsigmoid(x), [[-800.0, 800.0, 0.0]]),
    ("atan2-origin-axes", lambda lib, y, x: lib.atan2(y, x), [[0.0, 1.0, -1.0, 0.0], [1.0, 0.0, 0.0, -1.0]]),
    ("lerp-weight-half", lambda lib, a, b: lib.lerp(a, b, 0.5), [[0.0, 1.0], [2.0, -3.0]]),
    ("remainder-exact", lambda lib, a, b: lib.remainder(a, b), [[3.0, -3.0, 2.5], [1.5, 1.5, -1.0]]),
    ("fmod-exact", lambda lib, a, b: lib.fmod(a, b), [[3.0, -3.0, 2.5], [1.5, 1.5, -1.0]]),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")     # inf and NaN meet in other ops' backward (x / 0 ...)
@pytest.mark.parametrize("edge", EDGES, ids=[e[0] for e in EDGES])
def test_edges_match_torch(edge):
    name, fn, values, *opts = edge
    check_fixed(fn, *values, grad_inputs=tuple(range(len(values))), **(opts[0] if opts else {}))


@pytest.mark.parametrize("values, expected", [
    (([2, 3, 0, 1, -1, -1, -2], [-1, 2, -1, -5, -2, -3, -1]), [0, 9, 0, 1, 1, -1, 0]),
    (([4, 3], [0, 1]), [1, 3]),
])
def test_integer_pow_negative_exponent_tensor(values, expected):
    a, b = (al.tensor(v) for v in values)
    out = a ** b
    ref = torch.tensor(values[0]) ** torch.tensor(values[1])
    assert out.dtype is al.int64 and out.tolist() == ref.tolist() == expected
    assert (2 ** al.tensor([-1, 0, 3])).tolist() == [0, 1, 8]
    assert a.pow(b).tolist() == expected


def test_integer_pow_negative_python_exponent_raises_as_torch():
    for fn in (lambda lib: lib.tensor([2, 3]) ** -1, lambda lib: lib.tensor([2, 3]).pow(-2),
               lambda lib: lib.pow(lib.tensor([2], dtype=lib.int32), -1)):
        with pytest.raises(RuntimeError, match=re.escape("Integers to negative integer powers are not allowed.")):
            fn(torch)
        with pytest.raises(RuntimeError, match=re.escape("Integers to negative integer powers are not allowed.")):
            fn(al)
    assert (al.tensor([2, 3]) ** -1.0).tolist() == [0.5, pytest.approx(1 / 3)]        # a float exponent: floats


@pytest.mark.parametrize("op", [lambda lib, b: b ** b, lambda lib, b: lib.pow(b, b)])
def test_pow_of_bools_refused(op):
    with pytest.raises(NotImplementedError, match="\"pow\" not implemented for 'Bool'"):
        op(al, al.tensor([True, False]))


# ---- erf / erfinv: values over the whole range, the kernels ------------------------------------------------

def _grid():
    """float64 points over [-1, 1], dense near +-1 and 0, and the specials."""
    tail = 1 - np.logspace(-16, -1, 400)
    return np.concatenate([np.linspace(-1, 1, 4001), tail, -tail, np.logspace(-300, -1, 100), [np.nan, 1.5, -2.0,
                                                                                                -0.0, np.inf]])


def test_erfinv_kernel_matches_torch_in_float64_and_inverts_erf():
    x = _grid()
    ours = cpu_kernels.erfinv_forward(x)
    ref = torch.erfinv(torch.tensor(x)).numpy()
    assert ours.dtype == np.float64 and ours.shape == x.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(ours[~finite & ~np.isnan(ref)], ref[~finite & ~np.isnan(ref)])     # +-inf at +-1
    moderate = finite & (np.abs(x) < 0.999)
    np.testing.assert_allclose(ours[moderate], ref[moderate], rtol=2e-15, atol=0)
    # the tail, where torch's own refinement (on erf) loses digits: erfc(y) gives back 1 - x
    tail = finite & (x > 0.5)
    back = np.array([math.erfc(v) for v in ours[tail]])
    np.testing.assert_allclose(back, 1 - x[tail], rtol=1e-13)
    assert np.signbit(cpu_kernels.erfinv_forward(np.array([-0.0]))[0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("parallel", [False, True])
def test_erf_kernels_serial_and_parallel(dtype, parallel):
    x = np.concatenate([_grid() * 1.2, np.linspace(-7, 7, 1001)]).astype(dtype)
    with _jit.forced(parallel):
        erf, erfinv = cpu_kernels.erf_forward(x), cpu_kernels.erfinv_forward(x)
    tol = dict(rtol=2e-7, atol=1e-7) if dtype == "float32" else dict(rtol=1e-15, atol=1e-16)
    assert erf.dtype == erfinv.dtype == np.dtype(dtype)
    np.testing.assert_allclose(erf, torch.erf(torch.tensor(x)).numpy(), equal_nan=True, **tol)
    ref = torch.erfinv(torch.tensor(x)).numpy()
    ok = np.isfinite(ref) & (np.abs(x) < 0.999)
    np.testing.assert_allclose(erfinv[ok], ref[ok], **tol)
    np.testing.assert_array_equal(np.isfinite(erfinv), np.isfinite(ref))


def test_erf_kernels_take_any_layout_and_refuse_other_dtypes():
    x = np.linspace(-0.9, 0.9, 24).reshape(4, 6)
    for kernel, ref in ((cpu_kernels.erf_forward, torch.erf), (cpu_kernels.erfinv_forward, torch.erfinv)):
        for arr in (x.T, x[:, ::2], np.float64(0.25) * np.ones(()), np.empty((0, 3))):
            out = kernel(arr)
            assert out.shape == arr.shape and out.flags.c_contiguous
            np.testing.assert_allclose(out, ref(torch.tensor(np.asarray(arr))).numpy(), rtol=1e-14)
        with pytest.raises(TypeError, match="float32 or float64"):
            kernel(np.arange(3))


def test_erf_float16_through_float32():
    x = np.linspace(-0.95, 0.95, 39).astype(np.float16)
    for name in ("erf", "erfinv"):
        ours = getattr(al, name)(al.tensor(x))
        ref = getattr(torch, name)(torch.tensor(x))
        assert ours.dtype is al.float16
        np.testing.assert_allclose(ours.numpy().astype(np.float32), ref.numpy().astype(np.float32), rtol=1e-3,
                                   atol=1e-3)


# ---- in place: version counter and saved values --------------------------------------------------------------

@pytest.mark.parametrize("name", ["exp_", "expm1_", "sin_", "tan_", "erf_", "floor_", "sign_", "reciprocal_",
                                  "sinh_", "arcsinh_", "negative_", "fix_"])
def test_inplace_bumps_the_version_and_guards_saved_values(name):
    x = al.tensor([0.3, 0.6, 0.9], requires_grad=True)
    y = x * 1
    z = y.sin()                  # saves y
    before = y._version[0]
    assert getattr(y, name)() is y
    assert y._version[0] == before + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_inplace_on_a_leaf_that_requires_grad_raises():
    x = al.tensor([0.5], requires_grad=True)
    for fn in (lambda t: t.erf_(), lambda t: t.atan2_(al.tensor([1.0])), lambda t: t.lerp_(al.ones(1), 0.5),
               lambda t: t.fmod_(2.0), lambda t: alF.silu(t, inplace=True)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            fn(x)


def test_inplace_of_a_float_result_into_an_integer_tensor_raises():
    for fn in (lambda t: t.exp_(), lambda t: t.erf_(), lambda t: t.atan2_(t)):
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            fn(al.tensor([1, 2]))


def test_inplace_operators_mod_and_pow():
    for lib in (torch, al):
        x = lib.tensor([5.0, -7.0])
        y = x
        x %= 3
        x **= 2
        assert y is x and x.tolist() == [4.0, 4.0]
        a = lib.tensor([2, 3])
        a **= lib.tensor([-1, 2])
        assert a.tolist() == [0, 9]


def test_inplace_without_autograd_writes_the_storage():
    x = al.tensor([0.25, -0.5])
    data = x._data
    x.erf_().erfinv_()
    assert x._data is data
    np.testing.assert_allclose(x.numpy(), [0.25, -0.5], rtol=1e-6)
    a = al.tensor([-7.0, 7.0])
    a.fmod_(3).remainder_(al.tensor([2.0, -2.0]))
    assert a.tolist() == [1.0, -1.0]


# ---- names: where PyTorch has them, and nowhere else ----------------------------------------------------------

@pytest.mark.parametrize("name", ["erf", "erfinv", "atan2", "arctan2", "lerp", "fmod", "remainder", "selu", "celu",
                                  "prelu", "selu_", "celu_", "clamp", "clip", "sign", "fix", "absolute", "negative",
                                  "arcsinh", "arccosh", "arctanh"])
def test_top_level_names(name):
    assert callable(getattr(al, name))


@pytest.mark.parametrize("name", ["softplus", "gelu", "silu", "mish", "hardtanh", "hardtanh_", "relu6", "hardsigmoid",
                                  "hardswish", "logsigmoid", "softsign", "selu", "selu_", "celu", "celu_", "prelu"])
def test_functional_names(name):
    assert hasattr(torch.nn.functional, name)
    assert callable(getattr(alF, name))


@pytest.mark.parametrize("name", ["softplus", "gelu", "silu", "mish", "hardtanh", "relu6", "hardsigmoid", "hardswish",
                                  "logsigmoid", "softsign"])
def test_functional_only_activations_are_not_methods_or_top_level(name):
    assert not hasattr(torch, name) and not hasattr(torch.Tensor, name)
    assert not hasattr(al, name) and not hasattr(al.Tensor, name)


@pytest.mark.parametrize("name", ["erf", "erfinv", "atan2", "arctan2", "lerp", "fmod", "remainder", "prelu"])
def test_methods(name):
    assert hasattr(torch.Tensor, name) and hasattr(al.Tensor, name)
    if name != "prelu":
        assert hasattr(al.Tensor, name + "_")


# ---- errors: PyTorch's types and wording --------------------------------------------------------------------

def _raises_like_torch(fn, error, match, *args):
    """fn(torch, ...) and fn(al, ...) raise `error` matching `match` (a plain string)."""
    for lib in (torch, al):
        with pytest.raises(error, match=re.escape(match)):
            fn(lib, *args)


BOOL, INT, F16 = [True, False], [1, -2], [0.5, -0.25]


@pytest.mark.parametrize("op", ["round", "trunc", "floor", "ceil", "fix", "frac", "absolute"])
def test_bool_refused_by_rounding_and_abs(op):
    name = {"fix": "trunc", "absolute": "abs"}.get(op, op)       # an alias names the op it stands for
    with pytest.raises(NotImplementedError, match=f"\"{name}\" not implemented for 'Bool'"):
        getattr(al, op)(al.tensor(BOOL))
    with pytest.raises(NotImplementedError):
        getattr(torch, op)(torch.tensor(BOOL))


def test_frac_of_integers_refused():
    with pytest.raises(NotImplementedError, match="\"frac\" not implemented for 'Long'"):
        al.frac(al.tensor(INT))


def test_negative_of_bool_refused():
    _raises_like_torch(lambda lib: lib.negative(lib.tensor(BOOL)), RuntimeError,
                       "Negation, the `-` operator, on a bool tensor is not supported.")


@pytest.mark.parametrize("name", ["softplus", "gelu", "silu", "mish", "hardsigmoid", "hardswish", "logsigmoid",
                                  "selu", "celu"])
@pytest.mark.parametrize("values, scalar_type", [(INT, "Long"), (BOOL, "Bool")])
def test_float_only_activations_refuse_integers_and_bools(name, values, scalar_type):
    with pytest.raises(NotImplementedError):
        getattr(torch.nn.functional, name)(torch.tensor(values))
    with pytest.raises(NotImplementedError, match=f"\"{name}\" not implemented for '{scalar_type}'"):
        getattr(alF, name)(al.tensor(values))


@pytest.mark.parametrize("name", ["hardtanh", "relu6"])
def test_hardtanh_refuses_bool(name):
    _raises_like_torch(lambda lib: getattr(F(lib), name)(lib.tensor(BOOL)), RuntimeError,
                       "Bool inputs not supported for hardtanh")


def test_softsign_refuses_bool():
    with pytest.raises(NotImplementedError, match="\"softsign\" not implemented for 'Bool'"):
        alF.softsign(al.tensor(BOOL))


def test_activation_settings_checked():
    _raises_like_torch(lambda lib: F(lib).hardtanh(lib.ones(2), 1.0, -1.0), ValueError,
                       "min_val cannot be greater than max_val")
    _raises_like_torch(lambda lib: F(lib).gelu(lib.ones(2), approximate="fast"), RuntimeError,
                       "approximate argument must be either none or tanh.")
    _raises_like_torch(lambda lib: F(lib).celu(lib.ones(2), alpha=0.0), RuntimeError,
                       "ZeroDivisionError: alpha cannot be 0 for CELU")


def test_prelu_errors():
    _raises_like_torch(lambda lib: F(lib).prelu(lib.ones(2, 3), lib.ones(2)), RuntimeError,
                       "Mismatch of parameter numbers and input channel size. Found parameter numbers = 2 and "
                       "channel size = 3.")
    _raises_like_torch(lambda lib: F(lib).prelu(lib.ones(3), lib.ones(3)), RuntimeError,
                       "Found parameter numbers = 3 and channel size = 1.")
    _raises_like_torch(lambda lib: F(lib).prelu(lib.tensor(1.0), lib.ones(2)), RuntimeError,
                       "Not allow zero-dim input tensor.")
    _raises_like_torch(lambda lib: F(lib).prelu(lib.ones(3), lib.ones(1, 1)), RuntimeError,
                       "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2")
    _raises_like_torch(lambda lib: F(lib).prelu(lib.ones(3), lib.ones(1, dtype=lib.float64)), RuntimeError,
                       "prelu: Type promoting not supported. Got Float and Double")
    _raises_like_torch(lambda lib: F(lib).prelu(lib.tensor(INT), lib.tensor([0.5])), RuntimeError,
                       "prelu: Type promoting not supported. Got Long and Float")
    with pytest.raises(NotImplementedError, match="\"prelu\" not implemented for 'Long'"):
        alF.prelu(al.tensor(INT), al.tensor([1]))


def test_lerp_errors():
    _raises_like_torch(lambda lib: lib.lerp(lib.ones(2), lib.ones(2, dtype=lib.float64), 0.5), RuntimeError,
                       "expected dtype float for `end` but got dtype double")
    _raises_like_torch(lambda lib: lib.lerp(lib.ones(2), lib.ones(2), lib.ones(2, dtype=lib.float64)), RuntimeError,
                       "expected dtype float for `weight` but got dtype double")
    _raises_like_torch(lambda lib: lib.lerp(lib.ones(2, dtype=lib.float16), lib.tensor(INT), 0.5), RuntimeError,
                       "expected dtype c10::Half for `end` but got dtype long int")
    with pytest.raises(NotImplementedError, match="\"lerp\" not implemented for 'Long'"):
        al.lerp(al.tensor(INT), al.tensor(INT), 0.5)
    with pytest.raises(NotImplementedError, match="\"lerp\" not implemented for 'Bool'"):
        al.lerp(al.tensor(BOOL), al.tensor(BOOL), 0.5)
    _raises_like_torch(lambda lib: lib.ones(2).lerp_(lib.ones(3, 2), 0.5), RuntimeError,
                       "doesn't match the broadcast shape")
    with pytest.raises(RuntimeError, match=r"lerp: shapes \(2,\) and \(3,\)"):
        al.lerp(al.ones(2), al.ones(3), 0.5)


def test_atan2_errors():
    _raises_like_torch(lambda lib: lib.atan2(lib.ones(2), 2), TypeError,
                       "atan2(): argument 'other' (position 2) must be Tensor, not int")
    with pytest.raises(RuntimeError, match=r"atan2: shapes \(2,\) and \(3,\) cannot be broadcast"):
        al.atan2(al.ones(2), al.ones(3))
    assert al.atan2(al.tensor(BOOL), al.tensor(BOOL)).dtype is al.float32


def test_fmod_and_remainder_errors():
    for op in ("fmod", "remainder"):
        for divisor in (0, al.tensor([0, 1])):
            with pytest.raises(RuntimeError, match="ZeroDivisionError"):
                getattr(al, op)(al.tensor([-7, 7]), divisor)
        with pytest.raises(ZeroDivisionError):         # also Python's error type
            getattr(al, op)(al.tensor([-7, 7]), 0)
        with pytest.raises(NotImplementedError, match=f"\"{op}\" not implemented for 'Bool'"):
            getattr(al, op)(al.tensor(BOOL), al.tensor(BOOL))
        assert np.isnan(getattr(al, op)(al.tensor([1.0, -1.0]), 0).numpy()).all()          # floats follow IEEE
    _raises_like_torch(lambda lib: lib.fmod(3, lib.ones(2)), TypeError, "fmod() received an invalid combination of "
                                                                          "arguments - got (int, Tensor)")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        al.tensor([1, 2]) // 0


def test_clamp_needs_a_bound():
    _raises_like_torch(lambda lib: lib.clamp(lib.ones(2)), RuntimeError, "At least one of 'min' or 'max' must not be "
                                                                          "None")


def test_clamp_result_dtypes():
    cases = [(lambda lib: lib.clamp(lib.tensor(INT), lib.zeros(2))),
             (lambda lib: lib.clamp(lib.ones(2), lib.zeros(2, dtype=lib.float64))),
             (lambda lib: lib.clamp(lib.ones(2), lib.tensor(0.5, dtype=lib.float64))),
             (lambda lib: lib.clamp(lib.tensor(INT), lib.tensor(1.5))),
             (lambda lib: lib.clamp(lib.tensor(BOOL), lib.tensor([1, 1]))),
             (lambda lib: lib.clamp(lib.tensor(BOOL), 0, 1)),
             (lambda lib: lib.clamp(lib.tensor(INT), 0.5))]
    for fn in cases:
        ours, ref = fn(al), fn(torch)
        assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        assert ours.tolist() == ref.tolist()


def test_softmax_without_dim_warns_as_torch():
    x = al.randn(2, 3)
    for name in ("softmax", "log_softmax"):
        msg = (f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
               "argument.")
        with pytest.warns(UserWarning, match=re.escape(msg)):
            out = getattr(alF, name)(x)
        with pytest.warns(UserWarning, match=re.escape(msg)):
            ref = getattr(torch.nn.functional, name)(torch.tensor(x.numpy()))
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alF.softmax(x, dim=1)
        alF.log_softmax(x, 0)
        x.softmax(-1)
