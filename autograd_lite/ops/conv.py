"""Convolutions as in torch.nn.functional: conv1d, conv2d, conv_transpose1d/2d, unfold and fold (im2col).

Three Functions are closed under differentiation, so gradients of any order come from them: Conv (y = x * w),
ConvTranspose (its gradient for x, also conv_transpose2d) and ConvWeight (its gradient for w). Each runs on the
kernel table: im2col / col2im and the table's matmul (BLAS, cuBLAS). A 1x1 kernel with stride 1 and no padding
needs no im2col: the image is its own columns. The 1-d ops are the 2-d ones on a height of 1.

Forward paths on the CPU (_path): a few taps (C*kh*kw <= 16, a CNN's first layer) summed directly by a kernel;
a 1x1 kernel as one product per image; a 3x3 kernel with stride 1 and at least as many output as input channels
by Winograd's F(4x4, 3x3) (4x fewer multiply-adds; also the input gradient, a convolution by the flipped weights,
and the weight gradient; _winograd says where it pays); fewer output than input channels (DenseNet's 3x3 128 -> 32) as one product of all
taps with the image, z = (kh*kw*O, C) @ x[n], summed at the taps' shifts (tap_sum), smaller than im2col's
columns; else im2col, chunk by chunk. Keeping the forward's columns for the weight gradient was measured slower
(13.96 -> 17.76 ms for MNIST's 32 -> 64 forward and backward): the chunks' columns stay in cache, a batch's don't.

Products: the forward and the input gradient run one product per image ((O, C*kh*kw) @ (C*kh*kw, Ho*Wo), NCHW in
and out, no transpose); the weight gradient one product per chunk of images, (O, m*Ho*Wo) @ (m*Ho*Wo, C*kh*kw),
from the transposed columns im2col writes directly (or, for a few kernel rows, one per image, summed). The batch
runs in chunks whose columns fit in cache, in one buffer kept between calls.

nn.Sequential's fusions (conv_relu, conv2d_relu_max_pool2d): Conv with relu=True adds the bias and takes the ReLU
while each chunk is in cache, and its backward takes the ReLU's mask and the bias gradient in one pass;
ConvReluMaxPool also pools, and masks the gradient at the pool's size before the pool's adjoint writes the conv's
output gradient (MNIST CNN step, 1 thread: 23.5 -> 20 ms).
"""
import threading

import numpy as np

from .. import _api, _dtype
from ..autograd.op_function import Function, saved_variants
from . import _formula as m
from ._util import cast, kernels_of, not_implemented, xp_of
from .activation import relu as _relu
from .pooling import _adjoint, _max2d_spec, _pool, _unpool

# ---- the products on raw arrays: p = (stride, padding, dilation, groups), spatial pairs, padding before each dim


CHUNK = 1 << 18     # elements of im2col's columns per chunk of the batch on the CPU: they stay in cache, and one
#                     buffer serves every chunk (a fresh batch-sized one costs its page faults)
BATCH_PRODUCT_MIN = 32      # kernel rows per group from which the weight gradient runs one product per chunk (from
#                             transposed columns), not one per image summed (better for a few rows: no transposes)


def _pointwise(k_hw, p, in_hw, out_hw):
    """Whether the kernel reads each pixel once, in place: a 1x1 kernel, stride 1, no padding."""
    return k_hw == (1, 1) and p[0] == (1, 1) and p[1] == (0, 0) and tuple(in_hw) == tuple(out_hw)


def _chunks(n, k_rows, n_l, xp):
    """(start, stop) of the chunks of a batch of n images whose columns are (k_rows, n_l) each."""
    step = max(1, CHUNK // max(1, k_rows * n_l)) if xp is np else n     # a GPU takes the batch at once
    return [(i, min(n, i + step)) for i in range(0, n, step)]


_held = threading.local()


def _workspace(xp, size, dtype):
    """A buffer of `size` elements for im2col: on the CPU one per thread, kept between calls (a fresh one costs its
    page faults on every call: as much as the im2col that fills it). Its contents never outlive a call."""
    if xp is not np:
        return xp.empty((size,), dtype)
    n_bytes = size * np.dtype(dtype).itemsize
    buf = getattr(_held, "buf", None)
    if buf is None or buf.size < n_bytes:
        buf = _held.buf = np.empty((n_bytes,), np.uint8)
    return buf[:n_bytes].view(dtype)


class _Columns:
    """im2col of the chunks of one batch x (N, C, H, W) into one reused buffer: (m, C*kh*kw, L) per chunk, or
    (C*kh*kw, m, L) with `transposed`; a 1x1 pointwise kernel reads x itself."""

    def __init__(self, x, k_hw, p, out_hw, transposed=False):
        self.x, self.k_hw, self.p, self.out_hw, self.transposed = x, k_hw, p, out_hw, transposed
        self.pointwise = _pointwise(k_hw, p, x.shape[2:], out_hw)
        self.rows, self.n_l = x.shape[1] * k_hw[0] * k_hw[1], out_hw[0] * out_hw[1]
        self.buf = None

    def __call__(self, i, j):
        x = self.x[i:j]
        if self.pointwise:
            x3 = x.reshape(j - i, self.rows, self.n_l)
            return xp_of(x).ascontiguousarray(x3.transpose(1, 0, 2)) if self.transposed else x3
        shape = (self.rows, j - i, self.n_l) if self.transposed else (j - i, self.rows, self.n_l)
        if self.buf is None:
            self.buf = _workspace(xp_of(x), self.rows * (j - i) * self.n_l, x.dtype)
        out = self.buf[:shape[0] * shape[1] * shape[2]].reshape(shape)
        p = self.p
        return kernels_of(x).im2col(x, self.k_hw, p[0], p[1], p[2], self.out_hw, self.transposed, out)


WINOGRAD_MIN_CHANNELS = 32         # input channels from which a 3x3 stride-1 convolution runs by Winograd (_winograd)
WINOGRAD_WEIGHT_MIN_CHANNELS = 8   # and from which its weight gradient does (_winograd_weight)
WINOGRAD_MIN_TILES = 96            # 4x4 output tiles of the batch, from which
WINOGRAD_MAX_FILTERS_PER_TILE = 64  # C*O per tile, up to which
DIRECT_MAX_TAPS = 16        # C*kh*kw up to which the CPU forward sums taps directly (a CNN's first layer), no im2col


def _winograd_tiles(x, k_hw, p, out_hw):
    """The 4x4 output tiles of the batch if Winograd's F(4x4, 3x3) can compute this convolution on the CPU (a 3x3
    kernel, stride 1, one group, padding up to 2: the input gradient's is 2 - p), else 0."""
    if not (xp_of(x) is np and tuple(k_hw) == (3, 3) and p[0] == (1, 1) and p[2] == (1, 1) and p[3] == 1
            and max(p[1]) <= 2):
        return 0
    return x.shape[0] * -(-out_hw[0] // 4) * -(-out_hw[1] // 4)


def _winograd(x, w, p, out_hw):
    """Whether the CPU runs this convolution (or input gradient) by Winograd, where its transforms pay (RESULTS.md,
    measured): at least as many output as input channels (fewer: the taps path is as fast), enough tiles, and
    filters (4x larger transformed) that do not outweigh them."""
    o, c = w.shape[:2]
    tiles = _winograd_tiles(x, w.shape[2:], p, out_hw)
    return (o >= c >= WINOGRAD_MIN_CHANNELS and tiles >= WINOGRAD_MIN_TILES
            and c * o <= WINOGRAD_MAX_FILTERS_PER_TILE * tiles)


def _winograd_weight(x, g, p, k_hw):
    """Whether the CPU computes this weight gradient by Winograd: as _winograd, from fewer input channels and for
    any output channels (measured: 1.4-2x from 8 input channels, 0.2-0.6x at 1 and 3)."""
    tiles, c = _winograd_tiles(x, k_hw, p, g.shape[2:]), x.shape[1]
    return (c >= WINOGRAD_WEIGHT_MIN_CHANNELS and tiles >= WINOGRAD_MIN_TILES
            and c * g.shape[1] <= WINOGRAD_MAX_FILTERS_PER_TILE * tiles)


def _path(x, w, p, out_hw):
    """How conv_raw computes: 'direct', 'pointwise', 'winograd', 'taps' (CPU, one group) or 'chunks' (any
    device)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    if xp_of(x) is not np or p[3] != 1:
        return "chunks"
    if _pointwise((kh, kw), p, (h, wd), out_hw):
        return "pointwise"
    if cg * kh * kw <= DIRECT_MAX_TAPS:
        return "direct"
    if _winograd(x, w, p, out_hw):
        return "winograd"
    if o * h * wd < c * out_hw[0] * out_hw[1]:     # the taps' products are smaller than im2col's columns
        return "taps"
    return "chunks"


def _direct_pool22(x, w, p, out_hw, spec):
    """Whether the direct path's kernel also pools: an unpadded stride-1 few-taps convolution, then a 2x2 max pool
    with stride 2 and no padding (the MNIST CNN's first layer)."""
    return (_path(x, w, p, out_hw) == "direct" and p[0] == (1, 1) and p[1] == (0, 0) and tuple(spec.kernel) == (2, 2)
            and tuple(spec.stride) == (2, 2) and not any(spec.padding) and tuple(spec.dilation) == (1, 1)
            and tuple(spec.out_size) == (out_hw[0] // 2, out_hw[1] // 2))


def conv_raw(x, w, b, p, out_hw, relu=False):
    """y (N, O, Ho, Wo) = x (N, C, H, W) convolved with w (O, C/groups, kh, kw), plus b (O,) or None; relu: max(y, 0),
    applied where the bias is (nn.Sequential's Conv2d then ReLU)."""
    xp, k = xp_of(x), kernels_of(x)
    x = xp.ascontiguousarray(x)
    n, (o, cg) = x.shape[0], w.shape[:2]
    path = _path(x, w, p, out_hw)
    if path == "direct":
        return k.conv_direct(x, w, b, p[0], p[1], p[2], out_hw, relu=relu)
    if path == "winograd":
        return k.winograd_conv(x, w, b, p[1], relu=relu)
    if path == "taps":
        y = _conv_taps(x, w, b, p, out_hw)
    elif path == "pointwise":
        y = xp.empty((n, o, out_hw[0] * out_hw[1]), x.dtype)
        k.matmul_into(w.reshape(o, cg), x.reshape(n, cg, -1), y)
        if b is not None or relu:
            k.conv_bias_relu_(y, b, relu)
        return y.reshape(n, o, *out_hw)
    else:
        return _conv_chunks(x, w, b, p, out_hw, relu).reshape(n, o, *out_hw)
    if relu:
        k.relu_forward(y, inplace=True)
    return y.reshape(n, o, *out_hw)


def _conv_taps(x, w, b, p, out_hw):
    """The forward as kh*kw products with the image itself, z = w[:, :, ki, kj] @ x[n] (all taps in one (kh*kw*O, C)
    matrix), summed at their shifts into y: for fewer output than input channels (DenseNet's 3x3 128 -> 32), z
    is smaller than im2col's columns, and its product has more rows."""
    k = kernels_of(x)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    w_taps = np.ascontiguousarray(w.transpose(2, 3, 0, 1)).reshape(kh * kw * o, c)
    y = np.empty((n, o) + tuple(out_hw), x.dtype)
    step = max(1, CHUNK // (kh * kw * o * h * wd))
    buf = None
    for i in range(0, n, step):
        j = min(n, i + step)
        if buf is None:
            buf = _workspace(np, (j - i) * kh * kw * o * h * wd, x.dtype)
        z = buf[:(j - i) * kh * kw * o * h * wd].reshape(j - i, kh * kw * o, h * wd)
        k.matmul_into(w_taps, x[i:j].reshape(j - i, c, h * wd), z)
        k.tap_sum(z, (h, wd), b, (kh, kw), p[0], p[1], p[2], out_hw, y[i:j])
    return y


def _conv_chunks(x, w, b, p, out_hw, relu):
    """The forward by im2col, chunk by chunk of the batch, one product per image (any device, any groups); the bias
    and relu while the chunk is in cache."""
    xp, k = xp_of(x), kernels_of(x)
    n, groups = x.shape[0], p[3]
    o, cg, kh, kw = w.shape
    kg = cg * kh * kw
    wg = w.reshape(groups, o // groups, kg)
    cols = _Columns(x, (kh, kw), p, out_hw)
    y = xp.empty((n, o, out_hw[0] * out_hw[1]), x.dtype)
    for i, j in _chunks(n, cols.rows, cols.n_l, xp):
        c = cols(i, j)
        if groups == 1 and xp is np:
            k.matmul_into(wg[0], c, y[i:j])
        else:
            y[i:j] = (k.matmul(wg[0], c) if groups == 1 else
                      k.matmul(wg, c.reshape(j - i, groups, kg, -1))).reshape(j - i, o, -1)
        if xp is np:
            if b is not None or relu:
                k.conv_bias_relu_(y[i:j], b, relu)     # while the chunk is in cache
        elif b is not None:
            y[i:j] += b.reshape(o, 1)
    if relu and xp is not np:
        k.relu_forward(y, inplace=True)
    return y


def conv_transpose_raw(g, w, b, p, in_hw):
    """The gradient of conv_raw for x, from g (N, O, Ho, Wo): (N, C, H, W), (H, W) = in_hw; plus b (C,) or None."""
    xp, k = xp_of(g), kernels_of(g)
    n, o, ho, wo = g.shape
    groups, (_, cg, kh, kw) = p[3], w.shape
    c, kg = cg * groups, cg * kh * kw
    g3 = g.reshape(n, groups, o // groups, ho * wo)
    wt = w.reshape(groups, o // groups, kg).transpose(0, 2, 1)
    flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)        # (C, O, 3, 3): dx is g convolved with it
    if _winograd(g, flipped, p, in_hw):
        return k.winograd_conv(xp.ascontiguousarray(g), flipped, b, (2 - p[1][0], 2 - p[1][1]))
    pointwise = _pointwise((kh, kw), p, in_hw, (ho, wo))
    dx = xp.empty((n, c, *in_hw), g.dtype)
    for i, j in _chunks(n, c * kh * kw, ho * wo, xp):
        cols = k.matmul(wt[0], g3[i:j, 0]) if groups == 1 else k.matmul(wt, g3[i:j])
        if pointwise:
            dx[i:j] = cols.reshape(j - i, c, *in_hw)
        else:
            k.col2im(cols.reshape(j - i, c * kh * kw, ho * wo), (j - i, c, *in_hw), (kh, kw), p[0], p[1], p[2],
                     (ho, wo), False, dx[i:j])
    if b is not None:
        dx += b.reshape(c, 1, 1)
    return dx


def _batch_major(g):
    """g (N, O, Ho, Wo) as (O, N*Ho*Wo): the weight gradient's left operand."""
    n, o = g.shape[:2]
    return xp_of(g).ascontiguousarray(g.reshape(n, o, -1).transpose(1, 0, 2)).reshape(o, -1)


def conv_weight_raw(x, g, p, k_hw):
    """The gradient of conv_raw for w (O, C/groups, kh, kw), from x and g."""
    xp, k = xp_of(x), kernels_of(x)
    x = xp.ascontiguousarray(x)
    groups, (n, c) = p[3], x.shape[:2]
    o, cg = g.shape[1], c // groups
    if _winograd_weight(x, g, p, k_hw):
        return k.winograd_weight_grad(x, g, p[1])
    kg = cg * k_hw[0] * k_hw[1]
    by_batch = kg >= BATCH_PRODUCT_MIN
    cols = _Columns(x, k_hw, p, tuple(g.shape[2:]), transposed=by_batch)
    g3 = g.reshape(n, groups, o // groups, -1)
    dw = None
    for i, j in _chunks(n, cols.rows, cols.n_l, xp):
        cc = cols(i, j)
        if by_batch:
            gt = _batch_major(g[i:j]).reshape(groups, o // groups, -1)
            ct = cc.reshape(groups, kg, -1).transpose(0, 2, 1)
            part = k.matmul(gt[0], ct[0]) if groups == 1 else k.matmul(gt, ct)
        else:
            ct = cc.reshape(j - i, groups, kg, -1).transpose(0, 1, 3, 2)
            part = (k.matmul(g3[i:j, 0], ct[:, 0]) if groups == 1 else k.matmul(g3[i:j], ct)).sum(0)
        dw = part if dw is None else dw.__iadd__(part)
    return dw.reshape(o, cg, *k_hw)


# ---- the Functions, and their formulas for raw arrays or (create_graph) Tensors

def _conv(x, w, b, p, out_hw):
    return Conv.apply(x, w, b, p, out_hw) if m.is_graph(x, w, b) else conv_raw(x, w, b, p, out_hw)


def _conv_transpose(g, w, b, p, in_hw):
    return ConvTranspose.apply(g, w, b, p, in_hw) if m.is_graph(g, w, b) else conv_transpose_raw(g, w, b, p, in_hw)


def _conv_weight(x, g, p, k_hw):
    return ConvWeight.apply(x, g, p, k_hw) if m.is_graph(x, g) else conv_weight_raw(x, g, p, k_hw)


def _bias_grad(g):
    return m.sum(g, (0, 2, 3))


class _Conv(Function):
    op_name = "conv2d"

    def name(self):
        return "ConvolutionBackward0"


_CONV_NAMES = {"input": 0, "weight": 1, "stride": lambda node: node.p[0], "padding": lambda node: node.p[1],
               "dilation": lambda node: node.p[2], "groups": lambda node: node.p[3], "transposed": lambda node: False,
               "output_padding": lambda node: (0,) * len(node.p[0]),
               "bias_sym_sizes_opt": lambda node: tuple(node._inputs[2][1]) if node._inputs[2] is not None else (0,)}


class Conv(_Conv):
    """y = x * w + b: apply(x, w, b or None, p, out_hw); relu=True: y = relu(x * w + b), one node (ReluBackward0)
    whose backward takes the ReLU's mask and the bias gradient in one pass."""
    saved_names = saved_variants(lambda node: "relu" if node.relu else "conv", conv=_CONV_NAMES, relu={"result": 2})

    @staticmethod
    def forward(ctx, x, w, b, p, out_hw, relu=False):
        y = conv_raw(x, w, b, p, out_hw, relu)
        ctx.save_for_backward(x, w, y) if relu else ctx.save_for_backward(x, w)
        ctx.p, ctx.relu = p, relu
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors[:2]
        if ctx.relu:            # the ReLU's backward first, its mask a constant of the graph (as ReluBackward0's)
            g = _relu.derivative(g, None, ctx.saved_tensors[2])
        need = ctx.needs_input_grad
        return Conv._grads(ctx, g, x, w, _bias_grad(g) if need[2] else None)

    @staticmethod
    def backward_raw(ctx, g):
        x, w, *y = ctx.saved_tensors
        need, gb = ctx.needs_input_grad, None
        if y:
            if xp_of(g) is np:
                g, gb = kernels_of(g).conv_relu_backward(g, y[0])
            else:
                g = kernels_of(g).relu_backward(g, y[0])
        if need[2] and gb is None:
            gb = _bias_grad(g)
        return Conv._grads(ctx, g, x, w, gb if need[2] else None)

    @staticmethod
    def _grads(ctx, g, x, w, gb, rest=(None, None)):
        need, p = ctx.needs_input_grad, ctx.p
        return (_conv_transpose(g, w, None, p, tuple(x.shape[2:])) if need[0] else None,
                _conv_weight(x, g, p, tuple(w.shape[2:])) if need[1] else None, gb) + rest

    def name(self):
        return "ReluBackward0" if self.relu else "ConvolutionBackward0"


class ConvReluMaxPool(_Conv):
    """y = max_pool2d(relu(x * w + b)): apply(x, w, b or None, p, out_hw, spec), spec: the pool's (pooling.Spec),
    one node (MaxPool2DWithIndicesBackward0). Its backward masks g by the ReLU at the pool's size (relu(z) at each
    argmax is the pool's output) with the bias gradient in the same pass, and the pool's adjoint writes the conv's
    output gradient once: the full-size ReLU gradient is never made."""

    @staticmethod
    def forward(ctx, x, w, b, p, out_hw, spec):
        if _direct_pool22(x, w, p, out_hw, spec):       # the pool in the direct kernel's planes, in cache
            out, idx = kernels_of(x).conv_direct_relu_pool22(x, w, b, p[2], out_hw)
        else:
            out, idx = _pool(conv_raw(x, w, b, p, out_hw, True), spec)
        ctx.save_for_backward(x, w, out)
        ctx.p, ctx.spec, ctx.idx = p, spec, idx
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, out = ctx.saved_tensors
        g = _relu.derivative(g, None, out)
        gb = _bias_grad(g) if ctx.needs_input_grad[2] else None
        gz = _adjoint(g, ctx.idx, ctx.spec)
        return Conv._grads(ctx, gz, x, w, gb, (None, None, None))

    @staticmethod
    def backward_raw(ctx, g):
        x, w, out = ctx.saved_tensors
        if xp_of(g) is np:
            g, gb = kernels_of(g).conv_relu_backward(g, out)
        else:
            g = kernels_of(g).relu_backward(g, out)
            gb = _bias_grad(g) if ctx.needs_input_grad[2] else None
        return Conv._grads(ctx, _unpool(g, ctx.idx, ctx.spec), x, w, gb if ctx.needs_input_grad[2] else None,
                           (None, None, None))

    def name(self):
        return "MaxPool2DWithIndicesBackward0"


class ConvTranspose(_Conv):
    """The gradient of Conv for x (conv_transpose2d): apply(g, w, b or None, p, in_hw)."""
    op_name = "conv_transpose2d"

    @staticmethod
    def forward(ctx, g, w, b, p, in_hw):
        ctx.save_for_backward(g, w)
        ctx.p = p
        return conv_transpose_raw(g, w, b, p, in_hw)

    @staticmethod
    def backward(ctx, gg):
        g, w = ctx.saved_tensors
        need, p = ctx.needs_input_grad, ctx.p
        return (_conv(gg, w, None, p, tuple(g.shape[2:])) if need[0] else None,
                _conv_weight(gg, g, p, tuple(w.shape[2:])) if need[1] else None,
                _bias_grad(gg) if need[2] else None, None, None)


class ConvWeight(_Conv):
    """The gradient of Conv for w: apply(x, g, p, k_hw)."""

    @staticmethod
    def forward(ctx, x, g, p, k_hw):
        ctx.save_for_backward(x, g)
        ctx.p = p
        return conv_weight_raw(x, g, p, k_hw)

    @staticmethod
    def backward(ctx, gw):
        x, g = ctx.saved_tensors
        need, p = ctx.needs_input_grad, ctx.p
        return (_conv_transpose(g, gw, None, p, tuple(x.shape[2:])) if need[0] else None,
                _conv(x, gw, None, p, tuple(g.shape[2:])) if need[1] else None, None, None)


class Unfold(Function):
    """im2col: apply(x, k_hw, (stride, padding, dilation), out_hw) -> (N, C*kh*kw, L)."""
    op_name = "unfold"

    @staticmethod
    def forward(ctx, x, k_hw, geo, out_hw):
        ctx.args = (tuple(x.shape), k_hw, geo, out_hw)
        return kernels_of(x).im2col(x, k_hw, *geo, out_hw)

    @staticmethod
    def backward(ctx, g):
        shape, k_hw, geo, out_hw = ctx.args
        return _fold(g, shape, k_hw, geo, out_hw), None, None, None

    def name(self):
        return "Im2ColBackward0"


class Fold(Function):
    """col2im: apply(cols, image_shape, k_hw, (stride, padding, dilation), out_hw) -> image_shape."""
    op_name = "fold"

    @staticmethod
    def forward(ctx, cols, shape, k_hw, geo, out_hw):
        ctx.args = (k_hw, geo, out_hw)
        return kernels_of(cols).col2im(xp_of(cols).ascontiguousarray(cols), shape, k_hw, *geo, out_hw)

    @staticmethod
    def backward(ctx, g):
        k_hw, geo, out_hw = ctx.args
        return _unfold(g, k_hw, geo, out_hw), None, None, None, None

    def name(self):
        return "Col2ImBackward0"


def _unfold(x, k_hw, geo, out_hw):
    return Unfold.apply(x, k_hw, geo, out_hw) if m.is_graph(x) else kernels_of(x).im2col(x, k_hw, *geo, out_hw)


def _fold(cols, shape, k_hw, geo, out_hw):
    if m.is_graph(cols):
        return Fold.apply(cols, shape, k_hw, geo, out_hw)
    return kernels_of(cols).col2im(xp_of(cols).ascontiguousarray(cols), shape, k_hw, *geo, out_hw)


# ---- arguments and errors, in PyTorch's wording

def _spatial(name, v, nd):
    """An int or a sequence of nd ints as a tuple of nd ints."""
    if isinstance(v, (tuple, list)):
        if len(v) == nd:
            return tuple(int(e) for e in v)
        if len(v) != 1:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} values to match the "
                               f"convolution dimensions, but got {name}={list(v)}")
        v = v[0]
    return (int(v),) * nd


def _ints(v, nd):
    return tuple(int(e) for e in v) if isinstance(v, (tuple, list)) else (int(v),) * nd


def _size(shape):
    return " x ".join(str(s) for s in shape)


def _legacy_type(t):
    """A tensor's type as PyTorch's conv errors name it: 'CPUComplexFloatType' (complex), 'torch.FloatTensor'."""
    if t.is_complex():
        return f"{'CUDA' if t.is_cuda else 'CPU'}{t.dtype.scalar_type}Type"
    return f"torch.{'cuda.' if t.is_cuda else ''}{t.dtype.scalar_type}Tensor"


def _check_dtypes(x, w, b, allow_int=False):
    if x.dtype is not w.dtype and x.is_complex():
        raise RuntimeError(f"Input type ({_legacy_type(x)}) and weight type ({_legacy_type(w)}) should be the same")
    if x.dtype is not w.dtype:
        raise RuntimeError(f"expected scalar type {x.dtype.scalar_type} but found {w.dtype.scalar_type}")
    if b is not None and b.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({x.dtype.scalar_type.lower()}) and bias type "
                           f"({b.dtype.scalar_type.lower()}) should be the same")
    if allow_int and x.dtype is _dtype.bool_:
        raise not_implemented("compute_columns3d", x)
    if x.dtype.category < 2 and not allow_int:
        raise not_implemented("slow_conv2d_cpu", x)


def complex_conv(fn, x, w, b):
    """fn, a real convolution (bilinear in its input and weight), of complex x and w (batched) plus bias b, as PyTorch
    computes it: Gauss's trick, three real convolutions instead of four; re = fn(a, c) - fn(b, d), im = fn(a + b,
    c + d) - fn(a, c) - fn(b, d) for x = a + ib, w = c + id. A composition of differentiable ops, so the gradients
    (PyTorch's conjugate Wirtinger ones) follow."""
    a, bi, c, d = x.real, x.imag, w.real, w.imag
    t1, t2 = fn(a, c), fn(bi, d)
    y = _api.TOP["complex"](t1 - t2, fn(a + bi, c + d) - t1 - t2)
    return y if b is None else y + b.reshape((-1,) + (1,) * (y.ndim - 2))


def _check_common(op, nd, x, w, stride, dilation, groups):
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, but got input of "
                           f"size: {list(x.shape)}")
    if w.ndim != nd + 2:
        raise RuntimeError(f"Expected {nd + 2}-dimensional weight for {op}, but got weight of size {list(w.shape)}")
    stride, dilation = _spatial("stride", stride, nd), _spatial("dilation", dilation, nd)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if min(stride) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if min(dilation) <= 0:
        raise RuntimeError("non-positive dilation is not supported")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(w.shape)}] instead")
    return stride, dilation


def _padding(padding, nd, k, stride, dilation):
    """(before, after) per spatial dim from an int, a sequence, 'valid' or 'same' (asymmetric for even kernels)."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * nd, (0,) * nd
        if padding != "same":
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        total = [d * (kk - 1) for d, kk in zip(dilation, k)]
        return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)
    pad = _spatial("padding", padding, nd)
    if min(pad) < 0:
        raise RuntimeError("negative padding is not supported")
    return pad, pad


def _batched(x, nd):
    return (x, False) if x.ndim == nd + 2 else (x.unsqueeze(0), True)


def _as_2d(nd, *pairs):
    """1-d arguments, (value, its fill) each, as 2-d ones on a height of 1: (fill,) + value."""
    return tuple(v if nd == 2 else (fill,) + tuple(v) for v, fill in pairs)


class _Shape:
    """A shape as the pooling checks read it (ndim, shape): the conv's output, before it is computed."""

    def __init__(self, shape):
        self.shape, self.ndim = shape, len(shape)


def _float_kernels(fn, x, w, b, *args):
    """fn on float32/float64; float16 through float32, as the kernels take only those."""
    if x._data.dtype.itemsize >= 4:
        return fn(x, w, b, *args)
    f32 = _dtype.float32
    out = fn(cast(x, f32), cast(w, f32), None if b is None else cast(b, f32), *args)
    return cast(out, x.dtype)


def _conv_checks(op, nd, x, w, b, stride, padding, dilation, groups):
    """PyTorch's checks of a convolution, in its order and words: (batched x, unbatched, stride, padding before
    and after each dim, dilation, output size)."""
    stride, dilation = _check_common(op, nd, x, w, stride, dilation, groups)
    x, unbatched = _batched(x, nd)
    k = tuple(w.shape[2:])
    lo, hi = _padding(padding, nd, k, stride, dilation)
    c, cg = x.shape[1], w.shape[1]
    if c != cg * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, expected input{list(x.shape)} to "
                           f"have {cg * groups} channels, but got {c} channels instead")
    if b is not None and (b.ndim != 1 or b.shape[0] != w.shape[0]):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with "
                           f"{w.shape[0]} elements, but got bias of size {list(b.shape)} instead")
    padded = [s + a + z for s, a, z in zip(x.shape[2:], lo, hi)]
    dilated = [d * (kk - 1) + 1 for d, kk in zip(dilation, k)]
    if any(pp < dk for pp, dk in zip(padded, dilated)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_size(padded)}). Kernel size: "
                           f"({_size(dilated)}). Kernel size can't be greater than actual input size")
    _check_dtypes(x, w, b, allow_int=nd == 3)
    out = tuple((pp - dk) // s + 1 for pp, dk, s in zip(padded, dilated, stride))
    return x, unbatched, stride, lo, hi, dilation, out


def _convnd(op, nd, x, w, b, stride, padding, dilation, groups, relu=False, pool=None):
    x, unbatched, stride, lo, _, dilation, out = _conv_checks(op, nd, x, w, b, stride, padding, dilation, groups)
    if x.is_complex():                          # relu and max-pool of it refuse complex input, as PyTorch's
        y = complex_conv(lambda xr, wr: _convnd(op, nd, xr, wr, None, stride, padding, dilation, groups), x, w, b)
        if relu or pool is not None:
            y = _relu(y)
        return y.squeeze(0) if unbatched else y
    if nd == 1:
        x, w = x.unsqueeze(2), w.unsqueeze(2)
    stride, lo, dilation, out = _as_2d(nd, (stride, 1), (lo, 0), (dilation, 1), (out, 1))
    if pool is not None:        # (kernel_size, stride, padding, dilation, ceil_mode) of a max_pool2d of relu(y)
        spec = _max2d_spec(_Shape((x.shape[0], w.shape[0]) + out), *pool)
        y = _float_kernels(lambda x, w, b: ConvReluMaxPool.apply(x, w, b, (stride, lo, dilation, groups), out, spec),
                           x, w, b)
    else:
        y = _float_kernels(lambda x, w, b: Conv.apply(x, w, b, (stride, lo, dilation, groups), out, relu=relu),
                           x, w, b)
    if nd == 1:
        y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


def _conv_transpose_checks(op, nd, x, w, b, stride, padding, output_padding, groups, dilation):
    """PyTorch's checks of a transposed convolution: (batched x, unbatched, stride, padding, output_padding,
    dilation, output size)."""
    stride, dilation = _check_common(op, nd, x, w, stride, dilation, groups)
    x, unbatched = _batched(x, nd)
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    pad, out_pad = _spatial("padding", padding, nd), _spatial("output_padding", output_padding, nd)
    if min(pad) < 0:
        raise RuntimeError("negative padding is not supported")
    if x.shape[1] != w.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected input{list(x.shape)} to "
                           f"have {w.shape[0]} channels, but got {x.shape[1]} channels instead")
    c_out = w.shape[1] * groups
    if b is not None and (b.ndim != 1 or b.shape[0] != c_out):
        raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected bias to be 1-dimensional "
                           f"with {c_out} elements, but got bias of size {list(b.shape)} instead")
    s2, p2, op2, d2 = _as_2d(nd, (stride, 1), (pad, 0), (out_pad, 0), (dilation, 1)) if nd < 3 else \
        (stride, pad, out_pad, dilation)
    if any(o >= s and o >= d for o, s, d in zip(op2, s2, d2)):
        names = ("depth", "height", "width")[-len(s2):]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(
            f"{what}_{name}: {v}" for what, vs in (("output_padding", op2), ("stride", s2), ("dilation", d2))
            for name, v in zip(names, vs)))
    k = tuple(w.shape[2:])
    size = tuple((i - 1) * s - 2 * p + d * (kk - 1) + o + 1
                 for i, s, p, d, kk, o in zip(x.shape[2:], stride, pad, dilation, k, out_pad))
    if min(size) <= 0:
        raise RuntimeError(f"Given input size per channel: ({_size(x.shape[2:])}). Calculated output size per "
                           f"channel: ({_size(size)}). Output size is too small")
    _check_dtypes(x, w, b, allow_int=nd == 3)
    return x, unbatched, stride, pad, out_pad, dilation, size


def _conv_transposend(op, nd, x, w, b, stride, padding, output_padding, groups, dilation):
    x, unbatched, stride, pad, out_pad, dilation, size = _conv_transpose_checks(
        op, nd, x, w, b, stride, padding, output_padding, groups, dilation)
    if x.is_complex():
        y = complex_conv(lambda xr, wr: _conv_transposend(op, nd, xr, wr, None, stride, pad, out_pad, groups,
                                                          dilation), x, w, b)
        return y.squeeze(0) if unbatched else y
    s2, p2, d2 = _as_2d(nd, (stride, 1), (pad, 0), (dilation, 1))
    if nd == 1:
        x, w = x.unsqueeze(2), w.unsqueeze(2)
    size, = _as_2d(nd, (size, 1))
    y = _float_kernels(lambda x, w, b: ConvTranspose.apply(x, w, b, (s2, p2, d2, groups), size), x, w, b)
    if nd == 1:
        y = y.squeeze(2)
    return y.squeeze(0) if unbatched else y


# ---- public functions

def conv_relu(nd, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """relu(F.conv{nd}d(...)) (nd 1 or 2) as one graph node: the bias and ReLU applied as the output is written, and
    one backward pass for the ReLU's mask and the bias gradient. What nn.Sequential runs for a Conv1d/Conv2d and
    the ReLU after it (nn/modules/fusion.py)."""
    return _convnd(f"conv{nd}d", nd, input, weight, bias, stride, padding, dilation, groups, relu=True)


def conv2d_relu_max_pool2d(input, weight, bias, stride, padding, dilation, groups, kernel_size, pool_stride=None,
                           pool_padding=0, pool_dilation=1, ceil_mode=False):
    """F.max_pool2d(relu(F.conv2d(input, ...)), kernel_size, pool_stride, ...) for a batch input (N, C, H, W), as
    one graph node: what nn.Sequential runs for a Conv2d, a ReLU and a MaxPool2d (nn/modules/fusion.py)."""
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups,
                   pool=(kernel_size, pool_stride, pool_padding, pool_dilation, ceil_mode))


@_api.declare(method=False, top=True, functional=True)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution of input (N, C, H, W) or (C, H, W) with weight (O, C/groups, kH, kW), as
    ``torch.nn.functional.conv2d``; padding: int, pair, 'valid' or 'same'.

    Example: ``F.conv2d(torch.randn(64, 1, 28, 28), torch.randn(32, 1, 3, 3)).shape`` is ``(64, 32, 26, 26)``."""
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@_api.declare(method=False, top=True, functional=True)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution of input (N, C, L) or (C, L) with weight (O, C/groups, k), as ``torch.nn.functional.conv1d``.

    Example: ``F.conv1d(torch.randn(8, 4, 100), torch.randn(16, 4, 5), padding='same').shape`` is (8, 16, 100)."""
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@_api.declare(method=False, top=True, functional=True)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-d convolution (the gradient of conv2d for its input) of input (N, C, H, W) or (C, H, W) with
    weight (C, O/groups, kH, kW), as ``torch.nn.functional.conv_transpose2d``.

    Example: ``F.conv_transpose2d(torch.randn(1, 4, 5, 5), torch.randn(4, 2, 3, 3), stride=2).shape`` is
    (1, 2, 11, 11)."""
    return _conv_transposend("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


@_api.declare(method=False, top=True, functional=True)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-d convolution of input (N, C, L) or (C, L) with weight (C, O/groups, k), as
    ``torch.nn.functional.conv_transpose1d``.

    Example: ``F.conv_transpose1d(torch.randn(1, 4, 5), torch.randn(4, 2, 3), stride=2).shape`` is (1, 2, 11)."""
    return _conv_transposend("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def _blocks(spatial, k, dilation, padding, stride):
    return tuple((s + 2 * p - d * (kk - 1) - 1) // st + 1
                 for s, kk, d, p, st in zip(spatial, k, dilation, padding, stride))


@_api.declare(method=False, top=False, functional=True)
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding blocks of input (N, C, H, W) or (C, H, W) as columns (N, C*kH*kW, L) (im2col), as
    ``torch.nn.functional.unfold``.

    Example: ``F.unfold(torch.randn(2, 3, 5, 5), 3).shape`` is (2, 27, 9)."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)")
    k, d, p, s = (_ints(v, 2) for v in (kernel_size, dilation, padding, stride))
    x, unbatched = _batched(input, 2)
    blocks = _blocks(x.shape[2:], k, d, p, s)
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size {tuple(x.shape[2:])}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, calculated shape of the array of sliding blocks as {blocks}, but its "
                           f"components must be at least one.")
    if x.is_complex():                          # linear: the parts unfold apart
        return _api.TOP["complex"](unfold(input.real, k, d, p, s), unfold(input.imag, k, d, p, s))
    if not x.dtype.is_floating_point:
        raise not_implemented("im2col", x)
    y = Unfold.apply(x, k, (s, p, d), blocks) if x._data.dtype.itemsize >= 4 else \
        cast(unfold(cast(x, _dtype.float32), k, d, p, s), x.dtype)
    return y.squeeze(0) if unbatched else y


@_api.declare(method=False, top=False, functional=True)
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns (N, C*kH*kW, L) or (C*kH*kW, L) summed into an image (N, C, H, W) (col2im), the adjoint of unfold,
    as ``torch.nn.functional.fold``.

    Example: ``F.fold(torch.randn(2, 27, 9), (5, 5), 3).shape`` is (2, 3, 5, 5)."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
                           f"non-zero dimensions for input, but got: {list(input.shape)}")
    size, k, d, p, s = (_ints(v, 2) for v in (output_size, kernel_size, dilation, padding, stride))
    x, unbatched = (input, False) if input.ndim == 3 else (input.unsqueeze(0), True)
    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={x.shape[1]} and kernel_size={k}.")
    blocks = _blocks(size, k, d, p, s)
    if min(blocks) < 1 or blocks[0] * blocks[1] != x.shape[2]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
                           f"expected size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)={x.shape[2]}.")
    if x.is_complex():
        return _api.TOP["complex"](fold(input.real, size, k, d, p, s), fold(input.imag, size, k, d, p, s))
    if not x.dtype.is_floating_point:
        raise not_implemented("col2im", x)
    shape = (x.shape[0], x.shape[1] // kk) + size
    y = Fold.apply(x, shape, k, (s, p, d), blocks) if x._data.dtype.itemsize >= 4 else \
        cast(fold(cast(x, _dtype.float32), size, k, d, p, s), x.dtype)
    return y.squeeze(0) if unbatched else y
