"""3-d convolutions as in torch.nn.functional: conv3d and conv_transpose3d, on the 2-d machinery.

A 3-d convolution is a 2-d one over the output's depth slices: output slice od reads the kd input slices
od*sd + k*dd - pd (k < kd), so stacking those slices as channels, (N*Do, kd*C, H, W), and the weight's depth taps
with them, (O, kd*C/groups, kh, kw), makes conv3d one conv2d (ops/conv.py: Winograd, taps, im2col, any groups,
stride, dilation and padding in H and W). DepthUnfold builds the stacked slices (a copy kd times the input's size,
not im2col's kd*kh*kw times); DepthFold, its adjoint, sums them back. The two are each other's backward, and conv2d's
Functions are closed under differentiation, so every order of gradient comes from them; conv_transpose3d is the
adjoint of conv3d for its input: conv_transpose2d, then DepthFold. Both run on any device through the array module
(the slices are strided copies, one per depth tap). Channels are stacked group by group, (groups, kd, C/groups), so
the stacked conv2d keeps the groups.

Two shapes skip the stacking: a 1x1x1 kernel with stride 1 and no padding is one conv2d of x as (N, C, D*H, W); a
(kd, 3, 3) kernel with stride 1 and enough channels on the CPU runs kernels/cpu/winograd.py's 3-d F(4x4, 3x3)
(_Winograd3d: each slice transformed once, the depth taps summed in its products; forward and raw backward), its
create_graph backward still the stacked conv2d's Functions.
"""
import numpy as np

from .. import _api, _dtype
from ..autograd.op_function import Function
from . import _formula as m
from . import conv as _conv2d
from ._util import cast, kernels_of, xp_of
from .conv import Conv, ConvTranspose, _conv_checks, _conv_transpose_checks, _float_kernels, complex_conv

WINOGRAD3D_MIN_CHANNELS = 8     # input and output channels from which a (kd, 3, 3) stride-1 conv3d runs by _Winograd3d


def _depth_ranges(d_in, geo):
    """Per depth tap k: (first output slice, end, first input slice) of the outputs od whose input slice
    od*sd + k*dd - pd lies in [0, d_in)."""
    _, kd, sd, pd, dd, d_out = geo
    out = []
    for k in range(kd):
        off = k * dd - pd
        lo = min(max(0, -(off // sd)), d_out)
        hi = max(min(d_out, (d_in - 1 - off) // sd + 1), lo) if d_in - 1 - off >= 0 else lo
        out.append((lo, hi, lo * sd + off))
    return out


def depth_unfold_raw(x, geo):
    """x (N, C, D, H, W) as (N*Do, groups*kd*C/groups, H, W): stacked slice (n*Do + od, (g*kd + k)*cg + c) is
    x[n, g*cg + c, od*sd + k*dd - pd], zeros outside x. geo = (groups, kd, sd, pd, dd, Do)."""
    xp = xp_of(x)
    groups, kd, sd, _, _, d_out = geo
    n, c, d, h, w = x.shape
    cg = c // groups
    out = xp.empty((n, d_out, groups, kd, cg, h, w), x.dtype)
    for k, (lo, hi, first) in enumerate(_depth_ranges(d, geo)):
        if hi > lo:
            src = x[:, :, first:first + (hi - lo - 1) * sd + 1:sd].reshape(n, groups, cg, hi - lo, h, w)
            out[:, lo:hi, :, k] = src.transpose(0, 3, 1, 2, 4, 5)
        out[:, :lo, :, k] = 0
        out[:, hi:, :, k] = 0
    return out.reshape(n * d_out, groups * kd * cg, h, w)


def depth_fold_raw(cols, geo, d_in):
    """The adjoint of depth_unfold_raw: the stacked slices (N*Do, groups*kd*cg, H, W) summed back into
    (N, groups*cg, d_in, H, W)."""
    xp = xp_of(cols)
    groups, kd, sd, _, _, d_out = geo
    nd, ch, h, w = cols.shape
    n, cg = nd // d_out, ch // (groups * kd)
    c6 = cols.reshape(n, d_out, groups, kd, cg, h, w)
    out = xp.zeros((n, groups, cg, d_in, h, w), cols.dtype)
    for k, (lo, hi, first) in enumerate(_depth_ranges(d_in, geo)):
        if hi > lo:
            out[:, :, :, first:first + (hi - lo - 1) * sd + 1:sd] += c6[:, lo:hi, :, k].transpose(0, 2, 3, 1, 4, 5)
    return out.reshape(n, groups * cg, d_in, h, w)


def _unfold(x, geo):
    return DepthUnfold.apply(x, geo) if m.is_graph(x) else depth_unfold_raw(x, geo)


def _fold(cols, geo, d_in):
    return DepthFold.apply(cols, geo, d_in) if m.is_graph(cols) else depth_fold_raw(cols, geo, d_in)


class DepthUnfold(Function):
    """apply(x, geo): depth_unfold_raw; its backward is DepthFold (and DepthFold's is DepthUnfold)."""
    op_name = "conv3d"

    @staticmethod
    def forward(ctx, x, geo):
        ctx.geo, ctx.d_in = geo, x.shape[2]
        return depth_unfold_raw(xp_of(x).ascontiguousarray(x), geo)

    @staticmethod
    def backward(ctx, g):
        return _fold(g, ctx.geo, ctx.d_in), None

    def name(self):
        return "ConvolutionBackward0"


class DepthFold(Function):
    """apply(cols, geo, d_in): depth_fold_raw."""
    op_name = "conv_transpose3d"

    @staticmethod
    def forward(ctx, cols, geo, d_in):
        ctx.geo = geo
        return depth_fold_raw(xp_of(cols).ascontiguousarray(cols), geo, d_in)

    @staticmethod
    def backward(ctx, g):
        return _unfold(g, ctx.geo), None, None

    def name(self):
        return "ConvolutionBackward0"


class _WinogradConv(Conv):
    """Conv (its backward, every order, unchanged) whose forward is Winograd's F(4x4, 3x3) (see _stacked_winograd)."""

    @staticmethod
    def forward(ctx, x, w, b, p, out_hw):
        ctx.save_for_backward(x, w)
        ctx.p, ctx.relu = p, False
        return kernels_of(x).winograd_conv(xp_of(x).ascontiguousarray(x), w, b, p[1])


def _stacked_winograd(cols, w, p, out_hw, c_in):
    """Whether the stacked conv2d's forward runs by Winograd. conv2d takes it from as many output as input channels
    (_conv2d._winograd); the stacked input has kd times the conv3d's channels, and Winograd still pays from as many
    output channels as the conv3d's input has (measured, 1 thread: 4x16x16^3, 16 -> 32, k3: the stacked 48 -> 32
    conv2d 5.8 ms by taps, 3.4 ms by Winograd)."""
    o, c = w.shape[:2]
    tiles = _conv2d._winograd_tiles(cols._data, w.shape[2:], p, out_hw)
    return (o >= c_in and c >= _conv2d.WINOGRAD_MIN_CHANNELS and tiles >= _conv2d.WINOGRAD_MIN_TILES
            and c * o <= _conv2d.WINOGRAD_MAX_FILTERS_PER_TILE * tiles)


class _Winograd3d(Function):
    """y = conv3d(x, w, b) of a (kd, 3, 3) kernel, stride 1, one group, symmetric (H, W) padding up to 2, on the CPU:
    apply(x, w, b, geo), geo = (depth padding, depth dilation, Do, (ph, pw)). Forward and raw backward by
    kernels/cpu/winograd.py's 3-d F(4x4, 3x3) (each depth slice transformed once, the depth taps summed in the
    products; the input gradient is the same convolution of g by the flipped weights); with create_graph the
    backward is the depth-stacked conv2d's Functions (DepthUnfold/DepthFold, ConvTranspose, ConvWeight), so every
    order of gradient follows."""
    op_name = "conv3d"

    @staticmethod
    def forward(ctx, x, w, b, geo):
        ctx.save_for_backward(x, w)
        ctx.geo = geo
        pd, dd, d_out, hw = geo
        return kernels_of(x).winograd_conv3d(x, w, b, (-pd, dd, d_out), hw)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need, (pd, dd, d_out, hw) = ctx.needs_input_grad, ctx.geo
        (n, c, d, h, wd), (o, _, kd) = x.shape, w.shape[:3]
        geo = (1, kd, 1, pd, dd, d_out)
        g2 = m.permute(g, (0, 2, 1, 3, 4)).reshape(n * d_out, o, *g.shape[3:])     # (arrays or Tensors alike)
        p = ((1, 1), hw, (1, 1), 1)
        dx = _fold(_conv2d._conv_transpose(g2, _stacked_weight(w, 1), None, p, (h, wd)), geo, d) if need[0] else None
        dw = m.permute(_conv2d._conv_weight(_unfold(x, geo), g2, p, (3, 3)).reshape(o, kd, c, 3, 3), (0, 2, 1, 3, 4)) \
            if need[1] else None
        return dx, dw, m.sum(g, (0, 2, 3, 4)) if need[2] else None, None

    @staticmethod
    def backward_raw(ctx, g):
        x, w = ctx.saved_tensors
        need, (pd, dd, d_out, hw), k = ctx.needs_input_grad, ctx.geo, kernels_of(g)
        kd = w.shape[2]
        g = xp_of(g).ascontiguousarray(g)
        dx = k.winograd_conv3d(g, w[:, :, ::-1, ::-1, ::-1].transpose(1, 0, 2, 3, 4), None,
                               (pd - dd * (kd - 1), dd, x.shape[2]), (2 - hw[0], 2 - hw[1])) if need[0] else None
        dw = k.winograd_weight_grad3d(x, g, kd, (-pd, dd, d_out), hw) if need[1] else None
        return dx, dw, g.sum((0, 2, 3, 4)) if need[2] else None, None

    def name(self):
        return "ConvolutionBackward0"


def _winograd3d(x, w, stride, lo, hi, dilation, groups, out):
    """Whether conv3d runs by _Winograd3d: see its conditions; from WINOGRAD3D_MIN_CHANNELS input and output channels
    and a 4x4 output tile per slice. The taps' products have the channels as their reduction and columns: below 8,
    OpenBLAS runs them slower than the stacked conv2d (measured: RESULTS.md, conv3d (session 15))."""
    return (xp_of(x._data) is np and groups == 1 and tuple(w.shape[3:]) == (3, 3) and tuple(stride) == (1, 1, 1)
            and tuple(dilation[1:]) == (1, 1) and tuple(lo[1:]) == tuple(hi[1:]) and max(lo[1:]) <= 2
            and min(x.shape[1], w.shape[0]) >= WINOGRAD3D_MIN_CHANNELS and min(out[1:]) >= 4 and min(x.shape) > 0)


def _pointwise3d(x, w, stride, lo, hi):
    """Whether conv3d is a 1x1x1 kernel with stride 1 and no padding: a conv2d of x as (N, C, D*H, W)."""
    return tuple(w.shape[2:]) == (1, 1, 1) and tuple(stride) == (1, 1, 1) and not any(lo) and not any(hi)


def _stacked_weight(w, groups):
    """w (A, B, kd, kh, kw) as (A, kd*B, kh, kw), the depth taps stacked as DepthUnfold stacks the slices."""
    a, b, kd, kh, kw = w.shape
    return m.permute(w, (0, 2, 1, 3, 4)).reshape(a, kd * b, kh, kw)


def _integer(fn, x, w, b):
    """fn on integer tensors: exactly through float64 (no gradient), as PyTorch's integer convolutions."""
    if x.dtype.is_floating_point:
        return fn(x, w, b)
    f64 = _dtype.float64
    out = fn(cast(x, f64), cast(w, f64), None if b is None else cast(b, f64))
    return cast(out, x.dtype)


@_api.declare(method=False, top=True, functional=True)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution of input (N, C, D, H, W) or (C, D, H, W) with weight (O, C/groups, kD, kH, kW), as
    ``torch.nn.functional.conv3d``; padding: int, triple, 'valid' or 'same'.

    Example: ``F.conv3d(torch.randn(2, 4, 8, 8, 8), torch.randn(6, 4, 3, 3, 3), padding=1).shape`` is
    (2, 6, 8, 8, 8)."""
    x, unbatched, stride, lo, hi, dilation, out = _conv_checks("conv3d", 3, input, weight, bias, stride, padding,
                                                               dilation, groups)
    if x.is_complex():
        y = complex_conv(lambda xr, wr: conv3d(xr, wr, None, stride, padding, dilation, groups), x, weight, bias)
        return y.squeeze(0) if unbatched else y

    winograd = x.dtype.is_floating_point        # integers: exact sums in float64 (Winograd's transforms round)

    def run(x, w, b):
        n, o = x.shape[0], w.shape[0]
        if _pointwise3d(x, w, stride, lo, hi):
            d, h, wd = x.shape[2:]      # one conv2d over (D*H, W): no depth stacking, no permutes
            p = ((1, 1), (0, 0), (1, 1), groups)
            y = _float_kernels(lambda xx, ww, bb: Conv.apply(xx, ww, bb, p, (d * h, wd)), x.reshape(n, -1, d * h, wd),
                               w.reshape(o, -1, 1, 1), b)
            return y.reshape(n, o, d, h, wd)
        if winograd and _winograd3d(x, w, stride, lo, hi, dilation, groups, out):
            geo3 = (lo[0], dilation[0], out[0], lo[1:])
            return _float_kernels(lambda xx, ww, bb: _Winograd3d.apply(xx, ww, bb, geo3), x, w, b)
        geo = (groups, w.shape[2], stride[0], lo[0], dilation[0], out[0])
        cols = _unfold(x, geo)
        p = (stride[1:], lo[1:], dilation[1:], groups)

        def conv(c, ww, bb):
            fn = _WinogradConv if winograd and _stacked_winograd(c, ww, p, out[1:], x.shape[1]) else Conv
            return fn.apply(c, ww, bb, p, out[1:])
        y = _float_kernels(conv, cols, _stacked_weight(w, groups), b)
        return y.reshape(n, out[0], o, *out[1:]).permute(0, 2, 1, 3, 4).contiguous()

    y = _integer(run, x, weight, bias)
    return y.squeeze(0) if unbatched else y


@_api.declare(method=False, top=True, functional=True)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-d convolution (the gradient of conv3d for its input) of input (N, C, D, H, W) or (C, D, H, W)
    with weight (C, O/groups, kD, kH, kW), as ``torch.nn.functional.conv_transpose3d``.

    Example: ``F.conv_transpose3d(torch.randn(1, 4, 3, 3, 3), torch.randn(4, 2, 3, 3, 3), stride=2).shape`` is
    (1, 2, 7, 7, 7)."""
    x, unbatched, stride, pad, _, dilation, size = _conv_transpose_checks(
        "conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups, dilation)
    if x.is_complex():
        y = complex_conv(lambda xr, wr: conv_transpose3d(xr, wr, None, stride, padding, output_padding, groups,
                                                         dilation), x, weight, bias)
        return y.squeeze(0) if unbatched else y

    def run(x, w, b):
        n, c, d_in = x.shape[:3]
        kd = w.shape[2]
        g2 = x.permute(0, 2, 1, 3, 4).reshape(n * d_in, c, *x.shape[3:])
        p = (stride[1:], pad[1:], dilation[1:], groups)
        cols = _float_kernels(lambda gg, ww, _: ConvTranspose.apply(gg, ww, None, p, size[1:]), g2,
                              _stacked_weight(w, groups), None)
        y = _fold(cols, (groups, kd, stride[0], pad[0], dilation[0], d_in), size[0])
        return y if b is None else y + b.reshape(-1, 1, 1, 1)

    y = _integer(run, x, weight, bias)
    return y.squeeze(0) if unbatched else y
