"""The linear layer on the kernel table: linear (+ a fused activation), and LinearChain, consecutive layers as one
graph node."""
from .. import _api, _dtype, _float8
from ..autograd.op_function import Function, input_sizes, saved_strides, saved_variants
from . import _formula as m
from ._util import cast, kernels_of
from .activation import log_softmax, log_softmax_derivative, relu, sigmoid, tanh
from .linalg import matmul

_ACTIVATIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "log_softmax": lambda y: log_softmax(y, -1)}
# each activation's derivative from its output y, as the activations' own backward formulas have it
_DERIVATIVES = {"relu": lambda g, y: relu.derivative(g, None, y), "sigmoid": lambda g, y: sigmoid.derivative(g, None, y),
                "tanh": lambda g, y: tanh.derivative(g, None, y),
                "log_softmax": lambda g, y: log_softmax_derivative(g, y, y.ndim - 1)}
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


def _layer_formula(g, x, w, y, act, need_x, need_w, need_b):
    """_layer_backward's formula, for raw arrays or (create_graph) Tensors."""
    if act:
        g = _DERIVATIVES[act](g, y)
    g2 = g.reshape((-1, g.shape[-1]))
    gb = m.sum(g2, (0,)) if need_b else None
    gw = m.mT(g2) @ x.reshape((-1, x.shape[-1])) if need_w else None
    gx = (g2 @ w).reshape(tuple(x.shape)) if need_x else None
    return gx, gw, gb


_MM_NAMES = {"self": 0, "mat2": (1, lambda node, w: w.t()), "self_sym_sizes": input_sizes(0, 0),
             "self_sym_strides": saved_strides(0), "mat2_sym_sizes": lambda node: input_sizes(1, 1)(node)[::-1],
             "mat2_sym_strides": lambda node: saved_strides(1)(node)[::-1]}
_ADDMM_NAMES = {"mat1": 0, "mat2": _MM_NAMES["mat2"], "mat1_sym_sizes": _MM_NAMES["self_sym_sizes"],
                "mat1_sym_strides": _MM_NAMES["self_sym_strides"], "mat2_sym_sizes": _MM_NAMES["mat2_sym_sizes"],
                "mat2_sym_strides": _MM_NAMES["mat2_sym_strides"], "alpha": lambda node: 1, "beta": lambda node: 1}


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
        return Linear._backward(ctx, g, _layer_formula)

    @staticmethod
    def backward_raw(ctx, g):
        return Linear._backward(ctx, g, lambda *args: _layer_backward(kernels_of(g), *args))

    @staticmethod
    def _backward(ctx, g, layer):
        x, w, *out = ctx._saved
        inputs = ctx._inputs
        return layer(g, x, w, out[0] if out else None, ctx.activation, inputs[0] is not None, inputs[1] is not None,
                     inputs[2] is not None) + (None,)

    def name(self):
        if self.activation:
            return _NODE_NAMES[self.activation]
        return "AddmmBackward0" if self._inputs[2] is not None else "MmBackward0"

    saved_names = saved_variants(      # a fused activation's node: what the activation's saves
        lambda node: node.activation or ("addmm" if node._inputs[2] is not None else "mm"), mm=_MM_NAMES,
        addmm=_ADDMM_NAMES, relu={"result": 2}, sigmoid={"result": 2}, tanh={"result": 2},
        log_softmax={"result": 2, "dim": lambda node: len(node._inputs[0][1]) - 1})


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
        # layer inputs and outputs (the last one, the user's, only when its activation's backward needs it),
        # weights, and biases (the formula recomputes the layers from them)
        ctx.save_for_backward(*hs[:-1], hs[-1] if activations[-1] else None, *wb[0::2], *wb[1::2])
        ctx.activations = activations
        return x

    @staticmethod
    def backward(ctx, g):
        if not m.is_graph(g):
            return LinearChain._backward(ctx, g, _layer_formula)
        # under create_graph the layers' outputs are recomputed as Tensor ops: they are the graph's, not constants
        acts, saved = ctx.activations, list(ctx._saved)
        n = len(acts)
        h = saved[0]
        for i, act in enumerate(acts):
            y = matmul(h, saved[n + 1 + i].t())
            b = saved[2 * n + 1 + i]
            h = _ACTIVATIONS[act](y if b is None else y + b) if act else (y if b is None else y + b)
            saved[i + 1] = h
        ctx._saved = tuple(saved)
        return LinearChain._backward(ctx, g, _layer_formula)

    @staticmethod
    def backward_raw(ctx, g):
        return LinearChain._backward(ctx, g, lambda *args: _layer_backward(kernels_of(g), *args))

    @staticmethod
    def _backward(ctx, g, layer):
        acts, saved, inputs = ctx.activations, ctx._saved, ctx._inputs
        n = len(acts)
        grads = [None] * (1 + 2 * n)
        for i in range(n - 1, -1, -1):
            need_x = i > 0 or inputs[0] is not None
            g, grads[1 + 2 * i], grads[2 + 2 * i] = layer(
                g, saved[i], saved[n + 1 + i], saved[i + 1], acts[i], need_x, inputs[1 + 2 * i] is not None,
                inputs[2 + 2 * i] is not None)
        grads[0] = g
        return tuple(grads)

    def name(self):
        return _NODE_NAMES.get(self.activations[-1], "AddmmBackward0")


@_api.declare(method=False, top=False, functional=True)
def linear(x, weight, bias=None, activation=None):
    """``x @ weight.T + bias`` as in ``torch.nn.functional.linear``; `activation` ('relu',
    'sigmoid', 'tanh', 'log_softmax' over the last dim) fuses the activation into the same kernel."""
    xs, ws = x._data.shape, weight._data.shape
    if not xs or len(ws) != 2 or xs[-1] != ws[1]:
        raise RuntimeError(f"linear: input of shape {tuple(x.shape)} and weight of shape "
                           f"{tuple(weight.shape)} cannot be multiplied (expected input (..., "
                           f"{weight.shape[-1] if weight.ndim else '?'}))")
    _float8.refuse("linear", x)
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


def linear_chain(x, layers, activations):
    """Consecutive layers ((weight, bias) each; activations[i] after layer i, or None) as one graph node, or None
    when they do not chain (sizes or dtypes: the caller then runs them one by one, and they raise their own
    errors). nn.Sequential's runs of Linear layers (nn/modules/fusion.py)."""
    data = x._data
    dt, n_in, wb = data.dtype, data.shape[-1] if data.ndim else -1, [x]
    if dt.kind != "f" or dt.itemsize < 4:
        return None
    for w, b in layers:
        shape = w._data.shape
        if w._data.dtype is not dt or len(shape) != 2 or shape[1] != n_in or (
                b is not None and (b._data.dtype is not dt or b._data.shape != shape[:1])):
            return None
        wb += (w, b)
        n_in = shape[0]
    return LinearChain.apply(*wb, activations=tuple(activations))



@_api.declare(method=False, top=True, functional=True)
def bilinear(input1, input2, weight, bias=None):
    """``y[..., o] = input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]``, as
    ``torch.nn.functional.bilinear``: input1 (*, in1), input2 (*, in2), weight (out, in1, in2), bias (out,).

    Example: ``F.bilinear(x1, x2, autograd_lite.randn(8, 4, 5))`` for x1 (N, 4), x2 (N, 5) gives (N, 8)."""
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}")
    for i in range(input1.ndim - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got {input1.shape[i]} "
                               f"and {input2.shape[i]}")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-dimensional (out, in1, in2), got {weight.ndim}D")
    for k, x in ((1, input1), (2, input2)):
        if x.ndim == 0 or x.shape[-1] != weight.shape[k]:
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got "
                               f"{x.shape[-1] if x.ndim else 0} but expected {weight.shape[k]}")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != weight.shape[0]):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0] if bias.ndim else 0} but expected {weight.shape[0]}")
    tensors = (input1, input2, weight) + ((bias,) if bias is not None else ())
    if len({t.dtype for t in tensors}) > 1:
        names = ("input1", "input2", "weight", "bias")
        raise RuntimeError("All tensors must have the same dtype, got " + ", ".join(
            f"{n}: {t.dtype.scalar_type.lower()}" for n, t in zip(names, tensors)))
    out = _api.TOP["einsum"]("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias
