"""Neural-network ops on the kernel table: softmax, log_softmax, linear (+ fused activation)."""
from ..autograd.function import Function
from .. import _dtype
from ._util import canon_dim, cast, kernels_of, not_implemented, via_kernel_dtype
from .elementwise import relu, sigmoid, tanh
from .linalg import matmul


class Softmax(Function):
    """softmax along `dim` on the kernel table's softmax_forward / softmax_backward."""
    kernel = "softmax"

    @staticmethod
    def forward(ctx, x, dim):
        out = getattr(kernels_of(x), ctx.kernel + "_forward")(x, dim)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx._saved
        return getattr(kernels_of(out), ctx.kernel + "_backward")(g, out, ctx.dim), None


class LogSoftmax(Softmax):
    kernel = "log_softmax"


def _softmax_dim(x, dim, op):
    if dim is None:            # PyTorch's legacy implicit choice
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return canon_dim(dim, x.ndim, op)


def _softmax_input(x, dtype, op):
    x = x.to(dtype) if dtype is not None else x
    if not x.dtype.is_floating_point:
        raise not_implemented(op, x)
    return x


def softmax(x, dim=None, dtype=None):
    x = _softmax_input(x, dtype, "softmax")
    return via_kernel_dtype(Softmax.apply, x, _softmax_dim(x, dim, "softmax"))


def log_softmax(x, dim=None, dtype=None):
    x = _softmax_input(x, dtype, "log_softmax")
    return via_kernel_dtype(LogSoftmax.apply, x, _softmax_dim(x, dim, "log_softmax"))


_ACTIVATIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "log_softmax": lambda y: log_softmax(y, -1)}
_NODE_NAMES = {"relu": "ReluBackward0", "sigmoid": "SigmoidBackward0", "tanh": "TanhBackward0",
               "log_softmax": "LogSoftmaxBackward0"}


def _act_backward(k, act, g, y):
    """dL/dz from g = dL/dy, y = act(z) the forward's output (log_softmax: over the last axis)."""
    return k.log_softmax_backward(g, y, -1) if act == "log_softmax" else getattr(k, act + "_backward")(g, y)


def _layer_backward(k, g, x, w, y, act, need_x, need_w, need_b):
    """(dx, dw, db) of one layer y = act(x @ w.T + b) from g = dL/dy (y: the forward's output, read when act is
    set); each None where not needed. The activation's backward and db in one kernel pass when both are needed."""
    gb = None
    if act:
        if need_b:
            g, gb = k.activation_bias_backward(g, y, act)
        else:
            g = _act_backward(k, act, g, y)
    g2 = g.reshape(-1, g.shape[-1])
    if need_b and gb is None:
        gb = k.bias_grad(g2)
    gw = k.matmul(g2.T, x.reshape(-1, x.shape[-1])) if need_w else None
    gx = k.matmul(g2, w).reshape(x.shape) if need_x else None
    return gx, gw, gb


class Linear(Function):
    """y = act(x @ w.T + b) for x (..., in), w (out, in), b (out,) or None; one fused kernel (act: None, 'relu',
    'sigmoid', 'tanh', or 'log_softmax' over the output features)."""
    op_name = "linear"

    @staticmethod
    def forward(ctx, x, w, b, activation=None):
        out = kernels_of(x).linear_forward(x, w, b, activation)
        ctx.save_for_backward(x, w, out) if activation else ctx.save_for_backward(x, w)
        ctx.activation = activation
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, *out = ctx._saved
        inputs = ctx._inputs
        return _layer_backward(kernels_of(g), g, x, w, out[0] if out else None, ctx.activation,
                               inputs[0] is not None, inputs[1] is not None, inputs[2] is not None)

    def name(self):
        return _NODE_NAMES.get(self.activation, "AddmmBackward0")


class LinearChain(Function):
    """Consecutive Linear layers, each with its fused activation or none, as one graph node:
    ``apply(x, w1, b1, w2, b2, ..., activations=(act1, act2, ...))``. The same kernels as one Linear node per
    layer; one node, one apply and one engine step instead of one per layer (Sequential builds it)."""
    op_name = "linear"

    @staticmethod
    def forward(ctx, x, *wb, activations):
        k = kernels_of(x)
        hs = [x]
        for i, act in enumerate(activations):
            x = k.linear_forward(x, wb[2 * i], wb[2 * i + 1], act)
            hs.append(x)
        # layer inputs and outputs (the last one, the user's, only when its activation's backward needs it), weights
        ctx.save_for_backward(*hs[:-1], hs[-1] if activations[-1] else None, *wb[0::2])
        ctx.activations = activations
        return x

    @staticmethod
    def backward(ctx, g):
        k = kernels_of(g)
        acts, saved, inputs = ctx.activations, ctx._saved, ctx._inputs
        n = len(acts)
        grads = [None] * (1 + 2 * n)
        for i in range(n - 1, -1, -1):
            need_x = i > 0 or inputs[0] is not None
            g, grads[1 + 2 * i], grads[2 + 2 * i] = _layer_backward(
                k, g, saved[i], saved[n + 1 + i], saved[i + 1], acts[i], need_x, inputs[1 + 2 * i] is not None,
                inputs[2 + 2 * i] is not None)
        grads[0] = g
        return tuple(grads)

    def name(self):
        return _NODE_NAMES.get(self.activations[-1], "AddmmBackward0")


def linear(x, weight, bias=None, activation=None):
    """``x @ weight.T + bias`` as in ``torch.nn.functional.linear``; `activation` ('relu',
    'sigmoid', 'tanh', 'log_softmax' over the last dim) fuses the activation into the same kernel."""
    xs, ws = x._data.shape, weight._data.shape
    if not xs or len(ws) != 2 or xs[-1] != ws[1]:
        raise RuntimeError(f"linear: input of shape {tuple(x.shape)} and weight of shape "
                           f"{tuple(weight.shape)} cannot be multiplied (expected input (..., "
                           f"{weight.shape[-1] if weight.ndim else '?'}))")
    if bias is not None and bias._data.shape != ws[:1] and bias._data.shape != ():
        raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} does not match weight of "
                           f"shape {tuple(weight.shape)}")
    if x.dtype is not weight.dtype:
        raise RuntimeError(f"linear: mat1 and mat2 must have the same dtype, but got {x.dtype.scalar_type} and "
                           f"{weight.dtype.scalar_type} (input of shape {tuple(x.shape)}, weight of shape "
                           f"{tuple(weight.shape)})")
    if bias is not None and bias.dtype is not weight.dtype:
        raise RuntimeError(f"linear: bias and weight must have the same dtype, but got {bias.dtype.scalar_type} "
                           f"and {weight.dtype.scalar_type}")
    if not x.dtype.is_floating_point:   # integer layers: the array module's product, as PyTorch computes them
        out = matmul(x, weight.t())
        out = out if bias is None else out + bias
        return out if activation is None else _ACTIVATIONS[activation](out)
    if x._data.dtype.itemsize < 4:      # float16: the kernels run in float32
        out = linear(cast(x, _dtype.float32), cast(weight, _dtype.float32),
                     None if bias is None else cast(bias, _dtype.float32), activation)
        return cast(out, x.dtype)
    if bias is not None and bias.ndim == 0:
        bias = bias.expand(weight.shape[0])
    return Linear.apply(x, weight, bias, activation)
