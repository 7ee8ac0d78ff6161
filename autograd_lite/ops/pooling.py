"""Pooling as in torch.nn.functional: max/avg pooling in 1-D and 2-D, adaptive pooling.

Every pool runs as a 2-D pool over the planes of (..., H, W) arrays (a 1-D pool as H = 1) through the kernel
table. Pool's backward is its adjoint Unpool (max: the gradient added at each saved argmax; avg: spread over each
window); Unpool's backward is the pool again (avg, linear) or Gather, the gradient read at the argmax (max), whose
own backward is Unpool: any order of derivative works. Indices are int64, flat per plane (h * W + w), as PyTorch's.
"""
import operator
from typing import NamedTuple

import numpy as np

from .. import _api, _dtype
from ..autograd.op_function import Function, saved_variants
from ..creation import zeros
from ..autograd.grad_mode import state as _grad_state
from . import _formula as m
from ._util import cast, kernels_of, not_implemented, refuse_complex, wrap, xp_of


class Spec(NamedTuple):
    """One pooling call: kind ('max', 'avg', 'adaptive_max', 'adaptive_avg'), the planes' (H, W) in and out, the
    window's (h, w) pairs (strided pools), avg's divisor settings, and one_d: arrays (..., L) run as (..., 1, L)."""
    kind: str
    in_size: tuple
    out_size: tuple
    kernel: tuple = None
    stride: tuple = None
    padding: tuple = None
    dilation: tuple = (1, 1)
    count_include_pad: bool = True
    divisor: int = None
    one_d: bool = False
    ceil_mode: bool = False     # (the output size has it; kept for grad_fn._saved_ceil_mode)


_NODE_NAMES = {"max": "MaxPool2DWithIndicesBackward0", "avg": "AvgPool2DBackward0",
               "adaptive_max": "AdaptiveMaxPool2DBackward0", "adaptive_avg": "AdaptiveAvgPool2DBackward0"}


def _planes(a, spec):
    """a raw array as (..., H, W)."""
    return a.reshape(a.shape[:-1] + (1, a.shape[-1])) if spec.one_d else a


def _unplanes(a, spec):
    return a.reshape(a.shape[:-2] + (a.shape[-1],)) if spec.one_d else a


def _pool(x, spec, indices=True):
    """(output, argmax or None) of the pool on raw x; indices=False: a max pool may skip its argmax (None)."""
    k, x2 = kernels_of(x), _planes(x, spec)
    idx = None
    if spec.kind == "max":
        out, idx = k.max_pool2d_forward(x2, spec.kernel, spec.stride, spec.padding, spec.dilation, spec.out_size,
                                        indices)
    elif spec.kind == "avg":
        out = k.avg_pool2d_forward(x2, spec.kernel, spec.stride, spec.padding, spec.out_size, spec.count_include_pad,
                                   spec.divisor)
    elif spec.kind == "adaptive_max":
        out, idx = k.adaptive_max_pool2d_forward(x2, spec.out_size, indices)
    else:
        out = k.adaptive_avg_pool2d_forward(x2, spec.out_size)
    return _unplanes(out, spec), idx


def _unpool(g, idx, spec):
    """The pool's adjoint on raw g: dL/dx from g = dL/dy."""
    k, g2 = kernels_of(g), _planes(g, spec)
    if spec.kind == "max":
        dx = k.max_pool2d_backward(g2, idx, spec.in_size, spec.kernel, spec.stride, spec.padding, spec.dilation)
    elif spec.kind == "avg":
        dx = k.avg_pool2d_backward(g2, spec.in_size, spec.kernel, spec.stride, spec.padding, spec.count_include_pad,
                                   spec.divisor)
    elif spec.kind == "adaptive_max":
        dx = k.adaptive_max_pool2d_backward(g2, idx, spec.in_size)
    else:
        dx = k.adaptive_avg_pool2d_backward(g2, spec.in_size)
    return _unplanes(dx, spec)


def _gather(x, idx, spec):
    """x (..., H, W) or (..., L) read at the argmax idx: the output's shape."""
    lead = idx.shape[:-2]
    flat = x.reshape(lead + (-1,))
    out = xp_of(x).take_along_axis(flat, idx.reshape(lead + (-1,)).astype(np.int64, copy=False), axis=-1)
    return _unplanes(out.reshape(idx.shape), spec)


def _adjoint(g, idx, spec):
    """The pool's adjoint of g (the backward of Pool, and of Gather at its argmax), recorded under create_graph."""
    return Unpool.apply(g, idx, spec) if m.is_graph(g) else _unpool(g, idx, spec)


def _spec_field(name):
    """A source for grad_fn._saved_<name>: a field of the pool's Spec, its (h, w) pairs as the call's dims."""
    def value(node):
        v = getattr(node.spec, name)
        return tuple(v[1:] if node.spec.one_d else v) if type(v) is tuple else v
    return value


_POOL_NAMES = {"max": {"self": 0, "result1": lambda node: wrap(node.idx.astype("int64"), node.idx)},
               "avg": {"self": 0, "count_include_pad": _spec_field("count_include_pad"),
                       "divisor_override": _spec_field("divisor")},
               "adaptive_max": {"self": 0, "result1": lambda node: wrap(node.idx.astype("int64"), node.idx)},
               "adaptive_avg": {"self": 0}}
for _kind in ("max", "avg"):
    _POOL_NAMES[_kind].update({f: _spec_field(k) for f, k in (("kernel_size", "kernel"), ("stride", "stride"),
                                                                ("padding", "padding"), ("ceil_mode", "ceil_mode"))})
_POOL_NAMES["max"]["dilation"] = _spec_field("dilation")


class Pool(Function):
    """y = pool(x); `result` is (y, argmax or None), run by the caller (who also returns the argmax)."""
    op_name = "pooling"

    saved_names = saved_variants(lambda node: node.spec.kind, **_POOL_NAMES)

    @staticmethod
    def forward(ctx, x, spec, result):
        ctx.spec, ctx.idx = spec, result[1]
        ctx.save_for_backward(x)            # for grad_fn._saved_self only (torch saves it: no copy, it is alive)
        return result[0]

    @staticmethod
    def backward(ctx, g):
        return _adjoint(g, ctx.idx, ctx.spec), None, None

    def name(self):
        return _NODE_NAMES[self.spec.kind]


class Unpool(Function):
    """dx = the pool's adjoint applied to g (linear in g)."""
    op_name = "pooling_backward"

    @staticmethod
    def forward(ctx, g, idx, spec):
        ctx.spec, ctx.idx = spec, idx
        return _unpool(g, idx, spec)

    @staticmethod
    def backward(ctx, gg):
        spec, idx = ctx.spec, ctx.idx
        if spec.kind in ("max", "adaptive_max"):
            return (Gather.apply(gg, idx, spec) if m.is_graph(gg) else _gather(gg, idx, spec)), None, None
        if m.is_graph(gg):
            return Pool.apply(gg, spec, _pool(gg._data, spec)), None, None
        return _pool(gg, spec)[0], None, None

    def name(self):
        return _NODE_NAMES[self.spec.kind].replace("Backward0", "BackwardBackward0")


class Gather(Function):
    """x read at a max pool's argmax (the derivative of the max pool's backward)."""
    op_name = "pooling_gather"

    @staticmethod
    def forward(ctx, x, idx, spec):
        ctx.spec, ctx.idx = spec, idx
        return _gather(x, idx, spec)

    @staticmethod
    def backward(ctx, g):
        return _adjoint(g, ctx.idx, ctx.spec), None, None


# ---- argument checks, in PyTorch's order and words ---------------------------------------------------------------

def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _ints(v, n, error, op=None, name=None, position=None):
    """v (an int, or a sequence of 1 or n ints) as n ints; `error` (a message) when the length is wrong."""
    if _is_int(v):
        return (int(v),) * n
    if isinstance(v, (tuple, list)) and all(map(_is_int, v)):
        if len(v) == 1:
            return (int(v[0]),) * n
        if len(v) == n:
            return tuple(int(a) for a in v)
        raise RuntimeError(error(len(v)) if callable(error) else error)
    raise TypeError(f"{op}(): argument '{name}' (position {position}) must be tuple of ints, not {type(v).__name__}")


def _trunc_div(a, b):
    return abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)


def out_length(n, k, p, s, d, ceil_mode):
    """PyTorch's pooling_output_shape, with its checks."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > _trunc_div((k - 1) * d + 1, 2):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} "
                           f"and dilation={d}")
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:      # the last window starts inside the input or its left padding
        out -= 1
    return out


def _shape_check(shape, kernel, stride, padding, dilation, out):
    """PyTorch's pool2d_shape_check on an input of `shape` (3-D or 4-D, or other: the dims error)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {dh} dilationW: {dw}")
    nd = len(shape)
    valid = nd >= 3 and shape[1] != 0 and shape[2] != 0
    if not ((nd == 3 and shape[0] != 0 and valid) or (nd == 4 and valid and shape[3] != 0)):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                           f"got:{list(shape)}")
    if kw // 2 < pw or kh // 2 < ph:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {pw}, "
                           f"padH = {ph}, kW = {kw}, kH = {kh}")
    if out[0] < 1 or out[1] < 1:
        c, h, w = shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out[0]}x{out[1]}). "
                           "Output size is too small")


def _strided_spec(kind, shape, kernel, stride, padding, dilation, ceil_mode, one_d=False, **avg):
    """The Spec of a max/avg pool of an input of `shape` (its 2-D form), checked as PyTorch checks it."""
    out = tuple(out_length(shape[-2 + i], kernel[i], padding[i], stride[i], dilation[i], ceil_mode) for i in (0, 1))
    _shape_check(shape, kernel, stride, padding, dilation, out)
    return Spec(kind, tuple(shape[-2:]), out, kernel, stride, padding, dilation, one_d=one_d, ceil_mode=ceil_mode,
                **avg)


def _check_dims_1d(x, op):
    if x.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor for argument #1 'self' "
                           f"(while checking arguments for {op})")


def _shape_2d(x):
    """The 2-D pools' view of a 1-D pool's input (..., L): (..., 1, L)."""
    return tuple(x.shape[:-1]) + (1, x.shape[-1])


def _one(op, name):
    return lambda n: f"{op}() argument '{name}' should contain one int (got {n})"


# ---- running a pool on a Tensor --------------------------------------------------------------------------------

def _run(x, spec, op, with_indices):
    """The pool of Tensor x by `spec`: output, or (output, int64 indices)."""
    if x.dtype is _dtype.bool_ or x._data.dtype.kind == "c":
        raise not_implemented(op, x)
    if not x.dtype.is_floating_point:        # integers: exactly through float64, no gradient
        if (spec.kind == "avg" and x._data.dtype != np.int64) or op == "max_pool1d_impl":
            raise not_implemented(op, x)
        out, idx = _pool(x._data.astype(np.float64), spec, with_indices)
        if spec.kind == "avg":
            out = xp_of(out).trunc(out)      # PyTorch's integer division
        out = wrap(out.astype(x._data.dtype), x._data)
    elif x._data.dtype.itemsize < 4:         # float16: the kernels run in float32
        res = _run(cast(x, _dtype.float32), spec, op, with_indices)
        return (cast(res[0], x.dtype), res[1]) if with_indices else cast(res, x.dtype)
    else:
        result = _pool(x._data, spec, with_indices or (x._rg and _grad_state.enabled))  # argmax: backward's
        out, idx = Pool.apply(x, spec, result), result[1]
    if not with_indices:
        return out
    idx = idx.astype(np.int64, copy=False)
    return out, wrap(_unplanes(idx, spec), x._data)


# ---- max pooling ---------------------------------------------------------------------------------------------

def _max2d_spec(x, kernel_size, stride, padding, dilation, ceil_mode, op="max_pool2d"):
    kernel = _ints(kernel_size, 2, f"{op}: kernel_size must either be a single int, or a tuple of two ints",
                   op, "kernel_size", 2)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _ints(
        stride, 2, f"{op}: stride must either be omitted, a single int, or a tuple of two ints", op, "stride", 3)
    padding = _ints(padding, 2, f"{op}: padding must either be a single int, or a tuple of two ints", op,
                    "padding", 4)
    dilation = _ints(dilation, 2, f"{op}: dilation must be either a single int, or a tuple of two ints", op,
                     "dilation", 5)
    if x.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    return _strided_spec("max", x.shape, kernel, stride, padding, dilation, ceil_mode)


@_api.declare(method=False, top=True, functional=True)
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each kernel_size window of input (N, C, H, W) or (C, H, W), as
    ``torch.nn.functional.max_pool2d``; with return_indices, also the flat index (h * W + w) of each maximum.

    Example: ``F.max_pool2d(x, 2)`` halves H and W; ``F.max_pool2d(x, 3, stride=2, padding=1)``."""
    spec = _max2d_spec(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _run(input, spec, "max_pool2d", return_indices)


@_api.declare(method=False, top=False, functional=True)
def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """``max_pool2d(..., return_indices=True)``: (output, indices)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _max1d_spec(x, kernel_size, stride, padding, dilation, ceil_mode, with_indices):
    if with_indices:      # PyTorch runs it as max_pool2d_with_indices of (..., 1, L): its checks and words
        _check_dims_1d(x, "max_pool1d")
        op = "max_pool1d"
        kernel = (1,) + _ints(kernel_size, 1, _one(op, "kernel_size"), op, "kernel_size", 2)
        stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else (1,) + _ints(
            stride, 1, _one(op, "stride"), op, "stride", 3)
        padding = (0,) + _ints(padding, 1, _one(op, "padding"), op, "padding", 4)
        dilation = (1,) + _ints(dilation, 1, _one(op, "dilation"), op, "dilation", 5)
        spec = _strided_spec("max", _shape_2d(x), kernel, stride, padding, dilation, ceil_mode, one_d=True)
        return spec
    shape = tuple(x.shape)
    if len(shape) not in (2, 3) or 0 in shape[-2:]:
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(shape)}")
    op = "max_pool1d"
    size = lambda what, extra: (lambda n: f"max_pool1d() {what} must be {extra} of size 1 but got size {n}")   # noqa
    k, = _ints(kernel_size, 1, size("kernel_size", "an int, list of ints or tuple of ints"), op, "kernel_size", 2)
    s, = (k,) if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _ints(
        stride, 1, size("stride", "None, an int, list of ints, or tuple of ints"), op, "stride", 3)
    p, = _ints(padding, 1, size("padding", "an int, list of ints, or tuple of ints"), op, "padding", 4)
    d, = _ints(dilation, 1, size("dilation", "an int, list of ints or tuple of ints"), op, "dilation", 5)
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    n = out_length(shape[-1], k, p, s, d, ceil_mode)
    if n <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {n}")
    return Spec("max", (1, shape[-1]), (1, n), (1, k), (1, s), (0, p), (1, d), one_d=True)


@_api.declare(method=False, top=True, functional=True)
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """The maximum over each window of input (N, C, L) or (C, L), as ``torch.nn.functional.max_pool1d``.

    Example: ``F.max_pool1d(x, 2)`` halves L."""
    spec = _max1d_spec(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    return _run(input, spec, "max_pool2d" if return_indices else "max_pool1d_impl", return_indices)


@_api.declare(method=False, top=True, functional=True)
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """``max_pool1d(..., return_indices=True)``: (output, indices)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---- average pooling -------------------------------------------------------------------------------------------

def _avg_spec(shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, one_d=False):
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if len(shape) < 3:      # PyTorch reads the planes' count, size(-3), first
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(len(shape), 1)}, "
                         f"{max(len(shape), 1) - 1}], but got -3)")
    return _strided_spec("avg", shape, kernel, stride, padding, (1, 1), ceil_mode, one_d=one_d,
                         count_include_pad=bool(count_include_pad),
                         divisor=None if divisor_override is None else int(divisor_override))


@_api.declare(method=False, top=False, functional=True)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """The mean over each kernel_size window of input (N, C, H, W) or (C, H, W), as
    ``torch.nn.functional.avg_pool2d`` (count_include_pad: padding counts in the divisor; divisor_override: the
    divisor itself).

    Example: ``F.avg_pool2d(x, 2)`` halves H and W."""
    op = "avg_pool2d"
    kernel = _ints(kernel_size, 2, f"{op}: kernel_size must either be a single int, or a tuple of two ints",
                   op, "kernel_size", 2)
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _ints(
        stride, 2, f"{op}: stride must either be omitted, a single int, or a tuple of two ints", op, "stride", 3)
    padding = _ints(padding, 2, f"{op}: padding must either be a single int, or a tuple of two ints", op,
                    "padding", 4)
    spec = _avg_spec(tuple(input.shape), kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return _run(input, spec, op, False)


@_api.declare(method=False, top=True, functional=True)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """The mean over each window of input (N, C, L) or (C, L), as ``torch.nn.functional.avg_pool1d``.

    Example: ``F.avg_pool1d(x, 3, stride=1, padding=1)`` keeps L."""
    op = "avg_pool1d"
    k, = _ints(kernel_size, 1, _one(op, "kernel_size"), op, "kernel_size", 2)
    s, = (k,) if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _ints(
        stride, 1, _one(op, "stride"), op, "stride", 3)
    p, = _ints(padding, 1, _one(op, "padding"), op, "padding", 4)
    _check_dims_1d(input, op)
    spec = _avg_spec(_shape_2d(input), (1, k), (1, s), (0, p), ceil_mode, count_include_pad, None, one_d=True)
    return _run(input, spec, "avg_pool2d", False)


# ---- adaptive pooling ------------------------------------------------------------------------------------------

def _adaptive_size(output_size, shape, n, error):
    """output_size (an int, or n ints or Nones: None keeps the input's size) as n ints."""
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != n:
            raise RuntimeError(error)
        return tuple(shape[len(shape) - n + i] if v is None else operator.index(v) for i, v in enumerate(output_size))
    return (operator.index(output_size),) * n


def _adaptive_checks(x, shape, out, kind, op, sizes_op=None):
    """PyTorch's checks of an adaptive pool of an input whose 2-D form has `shape`, for an output (h, w)."""
    if kind == "adaptive_avg":
        if out[0] < 0 or out[1] < 0:
            raise RuntimeError(f"adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
                               f"received {{{out[0]}, {out[1]}}}")
    if len(shape) not in (3, 4):
        raise RuntimeError(f"{op}(): Expected 3D or 4D tensor, but got{':' if kind == 'adaptive_max' else ''} "
                           f"{list(shape)}")
    if x.dtype is _dtype.bool_ or not x.dtype.is_floating_point:
        raise not_implemented(op, x)
    sizes = shape if sizes_op is None else tuple(x.shape)
    first = len(sizes) - 2 if kind == "adaptive_avg" else 1
    for i in range(first, len(sizes)):
        if sizes[i] <= 0:
            raise RuntimeError(f"{sizes_op or op}(): Expected input to have non-zero size for non-batch dimensions, "
                               f"but input has sizes {list(sizes)} with dimension {i} being empty")
    if kind == "adaptive_max" and (out[0] < 0 or out[1] < 0):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{list(shape[:-2]) + list(out)}")


@_api.declare(method=False, top=False, functional=True)
def adaptive_avg_pool2d(input, output_size):
    """The mean over windows that tile input (N, C, H, W) or (C, H, W) into output_size (an int, or (h, w) where
    None keeps that size), as ``torch.nn.functional.adaptive_avg_pool2d``.

    Example: ``F.adaptive_avg_pool2d(x, 1)`` is the global average pool, (N, C, 1, 1)."""
    mean = complex_global_mean(input, output_size, 2)
    if mean is not None:
        return mean
    op = "adaptive_avg_pool2d"
    out = _adaptive_size(output_size, tuple(input.shape), 2, "adaptive_avg_pool2d: output_size must be 2")
    _adaptive_checks(input, tuple(input.shape), out, "adaptive_avg", op)
    return _run(input, Spec("adaptive_avg", tuple(input.shape[-2:]), out), op, False)


@_api.declare(method=False, top=False, functional=True)
def adaptive_max_pool2d(input, output_size, return_indices=False):
    """The maximum over windows that tile input (N, C, H, W) or (C, H, W) into output_size, as
    ``torch.nn.functional.adaptive_max_pool2d``; with return_indices, also the flat index of each maximum.

    Example: ``F.adaptive_max_pool2d(x, (2, 2))``."""
    op = "adaptive_max_pool2d"
    out = _adaptive_size(output_size, tuple(input.shape), 2,
                         "adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    _adaptive_checks(input, tuple(input.shape), out, "adaptive_max", op)
    return _run(input, Spec("adaptive_max", tuple(input.shape[-2:]), out), op, return_indices)


@_api.declare(method=False, top=False, functional=True)
def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    """``adaptive_max_pool2d(..., return_indices=True)``: (output, indices)."""
    return adaptive_max_pool2d(input, output_size, True)


def _adaptive_1d(input, output_size, kind, op):
    out, = _ints(output_size, 1, _one(op, "output_size"), op, "output_size", 2)
    _check_dims_1d(input, op)
    shape = _shape_2d(input)
    if kind == "adaptive_avg":
        _adaptive_checks(input, shape, (1, out), kind, "adaptive_avg_pool2d", sizes_op=None)
    else:
        _adaptive_checks(input, shape, (1, out), kind, "adaptive_max_pool2d", sizes_op=op)
    return Spec(kind, shape[-2:], (1, out), one_d=True)


@_api.declare(method=False, top=True, functional=True)
def adaptive_avg_pool1d(input, output_size):
    """The mean over windows that tile input (N, C, L) or (C, L) into output_size, as
    ``torch.nn.functional.adaptive_avg_pool1d``.

    Example: ``F.adaptive_avg_pool1d(x, 1)``: (N, C, 1)."""
    mean = complex_global_mean(input, output_size, 1)
    if mean is not None:
        return mean
    return _run(input, _adaptive_1d(input, output_size, "adaptive_avg", "adaptive_avg_pool1d"),
                "adaptive_avg_pool2d", False)


@_api.declare(method=False, top=False, functional=True)
def adaptive_max_pool1d(input, output_size, return_indices=False):
    """The maximum over windows that tile input (N, C, L) or (C, L) into output_size, as
    ``torch.nn.functional.adaptive_max_pool1d``.

    Example: ``F.adaptive_max_pool1d(x, 4)``."""
    return _run(input, _adaptive_1d(input, output_size, "adaptive_max", "adaptive_max_pool1d"),
                "adaptive_max_pool2d", return_indices)


@_api.declare(method=False, top=False, functional=True)
def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    """``adaptive_max_pool1d(..., return_indices=True)``: (output, indices)."""
    return adaptive_max_pool1d(input, output_size, True)


@_api.declare(name="adaptive_max_pool1d", method=False, top=True, functional=False)
def _adaptive_max_pool1d_top(input, output_size):
    """``torch.adaptive_max_pool1d``: (output, indices), as PyTorch's top-level function returns them."""
    return adaptive_max_pool1d(input, output_size, True)


# ---- max unpooling, power-average pooling: composed of differentiable ops ------------------------------------------

def _unpool_size(op, input, kernel, stride, padding, output_size):
    """PyTorch's _unpool_output_size: the default size of each unpooled dim, or output_size checked against it."""
    n = len(kernel)
    default = [(input.shape[input.ndim - n + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        size = default
    else:
        size = list(output_size)
        if len(size) == n + 2:
            size = size[2:]
        if len(size) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a "
                             f"length of '{len(size)}'")
        for d in range(n):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < size[d] < high:
                raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be between {low} and '
                                 f'{high})')
    for d in range(n):
        if size[d] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={size[d]}")
    return size


def complex_global_mean(input, output_size, nd):
    """The global mean of complex input for an output_size of ones (PyTorch's shortcut, taken before its checks:
    its only complex adaptive average pool), else None."""
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if input.is_complex() and len(sizes) == nd and all(s == 1 for s in sizes):
        return input.mean(tuple(range(-nd, 0)), keepdim=True)
    return None


def _max_unpool(input, indices, size):
    """input (N, C, *S) or (C, *S) placed into zeros of (.., *size) at the flat positions `indices` of each
    plane or volume (max_pool2d's/max_pool3d's return_indices), as ``torch._C._nn.max_unpool2d``/``3d``."""
    nd = len(size)
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d Tensor, but got a tensor "
                           f"with {input.ndim} dimensions.")
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype.scalar_type}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    refuse_complex(input, f"\"max_unpool{max(nd, 2)}d\" not implemented for '{{type}}'")   # 1-d runs 2-d's kernel
    count = int(np.prod(size))
    idx = indices._data
    bad = (idx < 0) | (idx >= count)
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {int(idx[bad].reshape(-1)[0])} (output volumes are of size "
                           f"{'x'.join(str(v) for v in size)})")
    lead = tuple(input.shape[:-nd])
    planes = input.reshape(lead + (-1,))
    out = zeros(lead + (count,), dtype=input.dtype, device=input.device)
    return out.scatter(-1, indices.reshape(lead + (-1,)), planes).reshape(lead + tuple(size))


@_api.declare(method=False, top=False, functional=True)
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d: each value of input put back at its index (max_pool2d's ``return_indices``) in
    zeros of the unpooled size, as ``torch.nn.functional.max_unpool2d``; output_size picks among the sizes that pool
    to input's.

    Example: ``out, idx = F.max_pool2d(x, 2, return_indices=True); F.max_unpool2d(out, idx, 2)``"""
    kernel = _ints(kernel_size, 2, "max_unpool2d: kernel_size must be an int or a pair of ints")
    stride = kernel if stride is None else _ints(stride, 2, "max_unpool2d: stride must be an int or a pair of ints")
    padding = _ints(padding, 2, "max_unpool2d: padding must be an int or a pair of ints")
    return _max_unpool(input, indices, _unpool_size("max_unpool2d", input, kernel, stride, padding, output_size))


@_api.declare(method=False, top=False, functional=True)
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool1d: input (N, C, L) or (C, L) put back at its indices in zeros, as
    ``torch.nn.functional.max_unpool1d``.

    Example: ``out, idx = F.max_pool1d(x, 2, return_indices=True); F.max_unpool1d(out, idx, 2)``"""
    kernel = _ints(kernel_size, 1, "max_unpool1d: kernel_size must be an int")
    stride = kernel if stride is None else _ints(stride, 1, "max_unpool1d: stride must be an int")
    padding = _ints(padding, 1, "max_unpool1d: padding must be an int")
    size = _unpool_size("max_unpool1d", input, kernel, stride, padding, output_size)
    return _max_unpool(input.unsqueeze(-1), indices.unsqueeze(-1), size + [1]).squeeze(-1)


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool, avg_pool, area):
    if norm_type == float("inf"):
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * _api.TOP["relu"](out.abs())).mul(area).pow(1.0 / norm_type)


@_api.declare(method=False, top=False, functional=True)
def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each window, ``(sum x ** p) ** (1 / p)``, as ``torch.nn.functional.lp_pool2d`` (p inf: the
    largest |x|).

    Example: ``F.lp_pool2d(x, 2, 3, stride=2)``"""
    kh, kw = _ints(kernel_size, 2, "lp_pool2d: kernel_size must be an int or a pair of ints")
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool2d, avg_pool2d, kh * kw)


@_api.declare(method=False, top=False, functional=True)
def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each window of (N, C, L) or (C, L) input, as ``torch.nn.functional.lp_pool1d``.

    Example: ``F.lp_pool1d(x, 2, 3)``"""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, max_pool1d, avg_pool1d, kernel_size)
