"""The CUDA kernel table: CuPy arrays in, CuPy arrays out, with the CPU table's names and signatures
(kernels.cpu), so an op is written once. Imported only when a CUDA tensor first needs a kernel.

- matmul and linear_forward: cuBLAS through `cupy.matmul` (a transposed weight is a view, no copy); the bias and
  activation epilogue in one in-place elementwise launch; log_softmax over the output features by the row kernel.
- relu/sigmoid/tanh forward and backward, dropout, the random words of dropout masks (the CPU's SplitMix64
  stream, so a seed gives the same masks on every device), and the optimizer updates: `cupy.ElementwiseKernel`s,
  one launch per call (per parameter for the optimizers).
- softmax/log_softmax forward and backward and the fused cross-entropy: `cupy.RawModule` row kernels, one block
  per row (sources.ROWS); nll_loss: one thread per row.
- bias_grad and the loss totals: CuPy's reductions.

The kernels take float32 and float64 (the ops run float16 tensors through float32, as on the CPU; the optimizer
updates take float16 parameters themselves, through float32 copies written back). Every kernel checks that its
arrays are CuPy arrays of one float dtype and raises TypeError naming the kernel otherwise.
"""
import functools

import cupy as cp
import numpy as np

from . import sources
from ..shapes import check_linear, check_rows

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_FLOATS = (_F32, _F64)
_U16 = np.dtype(np.uint16)

__all__ = list(sources.NAMES)


# ---- building and launching ---------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def elementwise(name):
    """The ElementwiseKernel sources.ELEMENTWISE[name], compiled on first use (CuPy caches it on disk)."""
    in_params, out_params, operation = sources.ELEMENTWISE[name]
    return cp.ElementwiseKernel(in_params, out_params, operation, "al_" + name)


@functools.lru_cache(maxsize=None)
def row_kernel(name, dtype):
    """The row kernel `name` of sources.ROWS for float32 or float64."""
    module = _row_module(np.dtype(dtype).name)
    return module.get_function(name)


@functools.lru_cache(maxsize=None)
def _row_module(dtype_name):
    return cp.RawModule(code=sources.rows_source(sources.CUDA_TYPES[dtype_name]), options=("--std=c++14",))


def _threads(n):
    """Threads per block for rows of n elements: a warp for short rows, up to 512 (each thread ~4+ elements)."""
    t = 32
    while t < 512 and t * 4 < n:
        t *= 2
    return t


def _launch_rows(name, dtype, n_rows, n, args):
    if n_rows and n:
        row_kernel(name, dtype)((int(n_rows),), (_threads(n),), args)


# ---- argument checks ------------------------------------------------------------------------------

def _desc(xs):
    return ", ".join(f"{type(x).__module__.split('.')[0]}.{type(x).__name__} {getattr(x, 'dtype', '')}"
                     f"{list(getattr(x, 'shape', ()))}" for x in xs)


def check(op, *xs):
    """xs as they are when all are CuPy arrays of one float32/float64 dtype; TypeError otherwise."""
    dt = getattr(xs[0], "dtype", None)
    for x in xs:
        if type(x) is not cp.ndarray or x.dtype != dt or dt not in _FLOATS:
            raise TypeError(f"{op}: expected CUDA (CuPy) float32 or float64 arrays of one dtype, got {_desc(xs)}")
    return xs


def same_shape(op, *xs):
    xs = check(op, *xs)
    if any(x.shape != xs[0].shape for x in xs):
        raise ValueError(f"{op}: shapes must match, got {', '.join(str(list(x.shape)) for x in xs)}")
    return xs


def _device_array(op, a, what):
    if type(a) is not cp.ndarray:
        raise TypeError(f"{op}: expected the {what} as a CUDA (CuPy) array, got {type(a).__module__}."
                        f"{type(a).__name__}: move it to the same device first")
    return a


def _contiguous(x):
    return x if x.flags.c_contiguous else cp.ascontiguousarray(x)


def _on_the_arrays_device(fn):
    """fn run with the device of its first CuPy array argument current (the first of a list, for the optimizers'
    *_many), so that its launches and new arrays land there: only where there are several GPUs."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        for a in args:
            a = a[0] if isinstance(a, (list, tuple)) and a else a
            if type(a) is cp.ndarray:
                with a.device:
                    return fn(*args, **kwargs)
        return fn(*args, **kwargs)
    return run


# ---- matmul and linear --------------------------------------------------------------------------

def matmul(a, b):
    """a @ b (cuBLAS): 2-D, batched (..., m, k) @ (..., k, n), and 1-D operands as numpy.matmul."""
    a, b = check("matmul", a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes {a.shape} @ {b.shape}")
    return cp.matmul(a, b)


def bias_add(x, b):
    """x + b for x (..., F), b (F,)."""
    x, b = check("bias_add", x, b)
    if b.ndim != 1 or x.ndim == 0 or x.shape[-1] != b.shape[0]:
        raise ValueError(f"bias_add: expected x (..., F) and b (F,), got x {x.shape}, b {b.shape}")
    return x + b


def bias_grad(g):
    """sum of g (..., F) over all leading axes -> (F,)."""
    (g,) = check("bias_grad", g)
    if g.ndim == 0:
        raise ValueError("bias_grad: expected g (..., F), got a 0-d array")
    return g.reshape(-1, g.shape[-1]).sum(axis=0)


def linear_forward(x, w, b=None, activation=None):
    """act(x @ w.T + b) for x (..., in), w (out, in), b (out,) or None: one cuBLAS call, then the bias and
    activation in one in-place launch (log_softmax: the row kernel, in place)."""
    x, w = check("linear_forward", x, w) if b is None else check("linear_forward", x, w, b)[:2]
    check_linear(x, w, b, activation)
    ws = w.shape
    z = cp.matmul(x.reshape(-1, ws[1]), w.T)
    epilogue = None if activation == "log_softmax" else activation
    if b is not None:
        elementwise("bias_" + (epilogue or "identity"))(b, ws[0], z)
    elif epilogue is not None:
        elementwise(epilogue + "_forward")(z, z)
    if activation == "log_softmax":
        _launch_rows("log_softmax_forward", z.dtype, z.shape[0], ws[0], (z, z, np.int64(ws[0])))
    return z.reshape(x.shape[:-1] + (ws[0],))


def activation_bias_backward(g, y, activation):
    """(dz, db) for y = act(z), z = x @ w.T + b, from g = dL/dy: dz = g * act'(y) (log_softmax over the last axis),
    db = the sums of dz over all leading axes."""
    g, y = same_shape("activation_bias_backward", g, y)
    if activation == "log_softmax":
        dz = log_softmax_backward(g, y, -1)
    elif activation in sources.ACT_BACKWARD:
        dz = elementwise(activation + "_backward")(g, y)
    else:
        raise ValueError(f"activation_bias_backward: activation must be one of relu, sigmoid, tanh, log_softmax, "
                         f"got {activation!r}")
    if g.ndim == 0:
        raise ValueError("activation_bias_backward: expected g (..., F), got a 0-d array")
    return dz, bias_grad(dz)


# ---- activations --------------------------------------------------------------------------------

def relu_forward(x, inplace=False):
    """max(x, 0); NaN stays NaN. inplace: written into x, which is returned."""
    if inplace:
        (x,) = check("relu_forward", x)
        return cp.maximum(x, x.dtype.type(0), out=x)
    return elementwise("relu_forward")(*check("relu_forward", x))


def relu_backward(g, y):
    """g * (y > 0), y = relu_forward(x)."""
    return elementwise("relu_backward")(*same_shape("relu_backward", g, y))


def sigmoid_forward(x):
    """1 / (1 + exp(-x)) without overflow; NaN stays NaN."""
    return elementwise("sigmoid_forward")(*check("sigmoid_forward", x))


def sigmoid_backward(g, y):
    """g * y * (1 - y), y = sigmoid_forward(x)."""
    return elementwise("sigmoid_backward")(*same_shape("sigmoid_backward", g, y))


def tanh_forward(x):
    """tanh(x)."""
    return elementwise("tanh_forward")(*check("tanh_forward", x))


def tanh_backward(g, y):
    """g * (1 - y * y), y = tanh_forward(x)."""
    return elementwise("tanh_backward")(*same_shape("tanh_backward", g, y))


# ---- special functions (as kernels/cpu/special.py) --------------------------------------------------

def erf_forward(x):
    """erf(x)."""
    return elementwise("erf_forward")(*check("erf_forward", x))


def erfinv_forward(x):
    """The inverse of erf on [-1, 1] (+-inf at +-1, NaN outside), computed in double."""
    return elementwise("erfinv_forward")(*check("erfinv_forward", x))


# ---- softmax family (row kernels) -----------------------------------------------------------------

def _along(x, dim):
    """(x with `dim` moved last, as a C-contiguous array, the rows, the row length)."""
    dim = dim % max(x.ndim, 1)
    if x.ndim == 0:
        return x.reshape(1), 1, 1
    xm = _contiguous(cp.moveaxis(x, dim, -1)) if dim != x.ndim - 1 else _contiguous(x)
    n = xm.shape[-1]
    return xm, (xm.size // n if n else 0), n


def _back(y, x, dim):
    if x.ndim == 0:
        return y.reshape(())
    dim = dim % x.ndim
    return _contiguous(cp.moveaxis(y, -1, dim)) if dim != x.ndim - 1 else y


def _rows_unary(name, x, dim):
    (x,) = check(name, x)
    xm, r, n = _along(x, dim)
    y = cp.empty_like(xm)
    _launch_rows(name, x.dtype, r, n, (xm, y, np.int64(n)))
    return _back(y, x, dim)


def _rows_binary(name, g, y, dim):
    g, y = same_shape(name, g, y)
    gm, r, n = _along(g, dim)
    ym = _along(y, dim)[0]
    dx = cp.empty_like(gm)
    _launch_rows(name, g.dtype, r, n, (gm, ym, dx, np.int64(n)))
    return _back(dx, g, dim)


def softmax_forward(x, dim):
    """exp(x - max) / sum(exp(x - max)) along dim."""
    return _rows_unary("softmax_forward", x, dim)


def softmax_backward(g, y, dim):
    """y * (g - sum(g * y, dim, keepdims)), y = softmax_forward(x, dim)."""
    return _rows_binary("softmax_backward", g, y, dim)


def log_softmax_forward(x, dim):
    """x - max - log(sum(exp(x - max))) along dim."""
    return _rows_unary("log_softmax_forward", x, dim)


def log_softmax_backward(g, y, dim):
    """g - exp(y) * sum(g, dim, keepdims), y = log_softmax_forward(x, dim)."""
    return _rows_binary("log_softmax_backward", g, y, dim)


# ---- dropout and random bits --------------------------------------------------------------------------

def _scale(p, dtype):
    """1 / (1 - p) in dtype, as PyTorch rounds it (0 for p = 1: nothing is kept)."""
    return dtype.type(0) if p >= 1 else dtype.type(1) / dtype.type(1 - p)


def dropout_forward(x, u, p):
    """(x * mask / (1 - p), mask) with mask = u >= p; u uniform floats in [0, 1) or uniform uint16 draws (mask =
    u >= round(p * 65536)), of x's shape."""
    (x,) = check("dropout_forward", x)
    u = _device_array("dropout_forward", u, "random draws")
    if u.shape != x.shape:
        raise ValueError(f"dropout_forward: shapes must match, got {x.dtype}{list(x.shape)}, {u.dtype}{list(u.shape)}")
    scale = _scale(p, x.dtype)
    if u.dtype == _U16:
        return elementwise("dropout_forward")(x, u, np.int32(round(p * 65536)), scale)
    check("dropout_forward", x, u)
    return elementwise("dropout_forward_float")(x, u, x.dtype.type(p), scale)


def dropout_backward(g, mask, p):
    """g * mask / (1 - p) (0 for p = 1), mask = the forward's."""
    (g,) = check("dropout_backward", g)
    mask = _device_array("dropout_backward", mask, "mask")
    if mask.shape != g.shape:
        raise ValueError(f"dropout_backward: shapes must match, got {list(g.shape)}, {list(mask.shape)}")
    return elementwise("dropout_backward")(g, mask.astype(np.bool_, copy=False), _scale(p, g.dtype))


def random_words(key, n):
    """n uint64 words of the counter-based stream keyed by `key`: the words of kernels.cpu.bits.random_words."""
    out = cp.empty(int(n), np.uint64)
    if out.size:
        elementwise("random_words")(np.uint64(key), out)
    return out


# ---- losses ---------------------------------------------------------------------------------------

def _rows2(op, x):
    (x,) = check(op, x)
    check_rows(op, x)
    return _contiguous(x)


def _target_weight(op, target, weight, shape, dtype):
    """(target as C-contiguous int64 of shape[:1], weight as C-contiguous dtype of shape[1:] or a dummy, has_w)."""
    t = _device_array(op, target, "target")
    if t.dtype.kind not in "iu" or t.shape != shape[:1]:
        raise TypeError(f"{op}: expected an integer target of shape {shape[:1]}, got {t.dtype}{list(t.shape)}")
    t = _contiguous(t.astype(np.int64, copy=False))
    if weight is None:
        return t, cp.empty(1, dtype), False
    w = _contiguous(_device_array(op, weight, "weight").astype(dtype, copy=False))
    if w.shape != shape[1:]:
        raise ValueError(f"{op}: expected a weight of shape {shape[1:]}, got {w.shape}")
    return t, w, True


def _grad(op, g, r, dtype):
    """g as a C-contiguous dtype array (0-d: one factor for every row, or (r,)) and its row step."""
    g = _device_array(op, g, "gradient").astype(dtype, copy=False)
    if g.ndim and g.shape != (r,):
        raise ValueError(f"{op}: expected a 0-d or ({r},) gradient, got shape {g.shape}")
    return _contiguous(g.reshape(-1)), np.int64(1 if g.ndim else 0)


def _raise_bad_targets(bad, t, n, ignore):
    """IndexError naming the first target out of bounds, when the kernel counted one (reading the count syncs)."""
    if int(bad.get()[0]):
        th = cp.asnumpy(t)
        value = th[(th != ignore) & ((th < 0) | (th >= n))][0]
        raise IndexError(f"Target {value} is out of bounds. Expected a class index in [0, {n - 1}] ({n} classes) "
                         f"or ignore_index ({ignore}).")


def cross_entropy_forward(x, target, weight=None, ignore_index=-100, label_smoothing=0.0):
    """(losses (R,), softmax (R, C), total weight 0-d) for logits x (R, C) and class indices target (R,)."""
    x = _rows2("cross_entropy_forward", x)
    r, n = x.shape
    t, w, has_w = _target_weight("cross_entropy_forward", target, weight, x.shape, x.dtype)
    losses, probs, wrow = cp.empty(r, x.dtype), cp.empty_like(x), cp.empty(r, x.dtype)
    bad = cp.zeros(1, np.int32)
    if n == 0:                                   # no classes: every target not ignored is out of bounds
        losses.fill(0)
        wrow.fill(0)
        bad[...] = (t != ignore_index).sum()
    _launch_rows("cross_entropy_forward", x.dtype, r, n,
                 (x, t, w, np.int32(has_w), np.int64(ignore_index), np.float64(label_smoothing), losses, probs, wrow,
                  bad, np.int64(n)))
    _raise_bad_targets(bad, t, n, ignore_index)
    return losses, probs, wrow.sum()


def cross_entropy_backward(g, probs, target, weight=None, ignore_index=-100, label_smoothing=0.0, log_probs=False):
    """d(sum_r g_r * loss_r)/dx (R, C) from the forward's softmax (log_probs: log-probabilities); g 0-d or (R,)."""
    p = _rows2("cross_entropy_backward", probs)
    r, n = p.shape
    t, w, has_w = _target_weight("cross_entropy_backward", target, weight, p.shape, p.dtype)
    g, gstep = _grad("cross_entropy_backward", g, r, p.dtype)
    out = cp.empty_like(p)
    _launch_rows("cross_entropy_backward", p.dtype, r, n,
                 (g, gstep, p, np.int32(bool(log_probs)), t, w, np.int32(has_w), np.int64(ignore_index),
                  np.float64(label_smoothing), out, np.int64(n)))
    return out


def nll_loss_forward(x, target, weight=None, ignore_index=-100):
    """(losses (R,) = -w[t] * x[r, t] (0 where ignored), total weight 0-d) for log-probabilities x (R, C)."""
    x = _rows2("nll_loss_forward", x)
    r, n = x.shape
    t, w, has_w = _target_weight("nll_loss_forward", target, weight, x.shape, x.dtype)
    losses, wrow, bad = cp.empty(r, x.dtype), cp.empty(r, x.dtype), cp.zeros(1, np.int32)
    if r:
        elementwise("nll_loss_forward")(x.reshape(-1), t, w, has_w, np.int64(ignore_index), np.int64(n), losses, wrow,
                                        bad)
        _raise_bad_targets(bad, t, n, ignore_index)
    return losses, wrow.sum()


def nll_loss_backward(g, target, weight, ignore_index, n_classes):
    """(R, C) zeros but -w[t_r] * g_r at [r, t_r]; g 0-d (every row) or (R,)."""
    check("nll_loss_backward", g)
    r = target.shape[0] if getattr(target, "ndim", 0) else -1
    t, w, has_w = _target_weight("nll_loss_backward", target, weight, (r, n_classes), g.dtype)
    gf, gstep = _grad("nll_loss_backward", g, r, g.dtype)
    out = cp.zeros((r, n_classes), g.dtype)
    if r:
        elementwise("nll_loss_backward")(gf, gstep, t, w, has_w, np.int64(ignore_index), np.int64(n_classes),
                                         out.reshape(-1))
    return out


# ---- optimizer updates (in place, one launch per parameter) --------------------------------------------

def _update(op, param, grad, buffers, launch):
    """launch(flat param, flat grad, flat buffers (None stays None)) on raveled float32/float64 views; float16 or
    strided arrays run on float32 (or contiguous) copies that are written back."""
    arrays = [param, grad] + [b for b in buffers if b is not None]
    for a in arrays:
        if type(a) is not cp.ndarray or a.dtype != param.dtype or a.shape != param.shape or a.dtype.kind != "f":
            raise TypeError(f"{op}: expected CUDA float arrays of one dtype and shape (param, grad, buffers), got "
                            f"{_desc(arrays)}")
    work = param.dtype if param.dtype in _FLOATS else _F32
    direct = all(a.flags.c_contiguous and a.dtype == work for a in arrays)
    if direct:
        launch(param.reshape(-1), grad.reshape(-1), [None if b is None else b.reshape(-1) for b in buffers])
        return param
    copies = [cp.ascontiguousarray(a, work).reshape(-1) for a in (param, grad)]
    bufs = [None if b is None else cp.ascontiguousarray(b, work).reshape(-1) for b in buffers]
    launch(copies[0], copies[1], bufs)
    param[...] = copies[0].reshape(param.shape)
    for b, c in zip(buffers, bufs):
        if b is not None:
            b[...] = c.reshape(b.shape)
    return param


def _dummy(p):
    return cp.empty(1, p.dtype)


def sgd_update(param, grad, momentum_buffer, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
               nesterov=False, maximize=False, first_step=False):
    """SGD step in place (kernels.cpu.sgd_update's rule). Returns param."""
    if momentum != 0 and momentum_buffer is None:
        raise ValueError("sgd_update: momentum != 0 needs a momentum_buffer")
    use_mom = momentum != 0

    def launch(p, g, bufs):
        t = p.dtype.type
        elementwise("sgd_update")(g, t(lr), t(momentum), t(1.0 - dampening), t(weight_decay), bool(nesterov),
                                  bool(maximize), bool(first_step), use_mom, p, bufs[0] if use_mom else _dummy(p))
    return _update("sgd_update", param, grad, [momentum_buffer if use_mom else None], launch)


def sgd_update_many(params, grads, momentum_buffers, first_steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                    nesterov=False, maximize=False):
    """sgd_update for each parameter of a group."""
    for p, g, buf, first in zip(params, grads, momentum_buffers, first_steps):
        sgd_update(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first)


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2, eps, weight_decay, param_scale,
                step_size, bias_correction2_sqrt, maximize=False):
    """Adam/AdamW step in place (kernels.cpu.adam_update's rule); max_exp_avg_sq None without amsgrad."""
    amsgrad = max_exp_avg_sq is not None

    def launch(p, g, bufs):
        t = p.dtype.type
        w = 1.0 - beta1
        args = (g, t(w), t(1.0 - w), t(beta2), t(1.0 - beta2), t(eps), t(weight_decay), t(param_scale),
                t(step_size), t(bias_correction2_sqrt), abs(w) < 0.5, bool(maximize), p, bufs[0], bufs[1])
        if amsgrad:
            elementwise("adam_update_amsgrad")(*args, bufs[2])
        else:
            elementwise("adam_update")(*args)
    return _update("adam_update", param, grad, [exp_avg, exp_avg_sq, max_exp_avg_sq], launch)


def adam_update_many(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, beta1, beta2, eps, weight_decay,
                     lr, decoupled=False, maximize=False):
    """Adam (decoupled: AdamW) for each parameter of a group, steps[i] its step count after this update."""
    b1, b2, lr, wd = float(beta1), float(beta2), float(lr), float(weight_decay)
    wd_coupled, scale = (0.0, 1.0 - lr * wd) if decoupled else (wd, 1.0)
    vms = max_exp_avg_sqs if max_exp_avg_sqs is not None else [None] * len(params)
    for p, g, m, v, vm, t in zip(params, grads, exp_avgs, exp_avg_sqs, vms, steps):
        adam_update(p, g, m, v, vm, b1, b2, eps, wd_coupled, scale, lr / (1 - b1 ** t), (1 - b2 ** t) ** 0.5,
                    maximize)


def rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay=0.0,
                   momentum=0.0, maximize=False):
    """RMSprop step in place (kernels.cpu.rmsprop_update's rule); grad_avg None: not centered."""
    if momentum != 0 and momentum_buffer is None:
        raise ValueError("rmsprop_update: momentum != 0 needs a momentum_buffer")
    centered, use_mom = grad_avg is not None, momentum != 0

    def launch(p, g, bufs):
        t = p.dtype.type
        keep = 1.0 - alpha
        elementwise("rmsprop_update")(g, t(lr), t(alpha), t(keep), t(1.0 - keep), t(eps), t(weight_decay),
                                      t(momentum), abs(keep) < 0.5, centered, use_mom, bool(maximize), p, bufs[0],
                                      bufs[1] if centered else _dummy(p), bufs[2] if use_mom else _dummy(p))
    return _update("rmsprop_update", param, grad, [square_avg, grad_avg, momentum_buffer if use_mom else None],
                   launch)


def adagrad_update(param, grad, state_sum, clr, eps, weight_decay=0.0, maximize=False):
    """Adagrad step in place (kernels.cpu.adagrad_update's rule)."""
    def launch(p, g, bufs):
        t = p.dtype.type
        elementwise("adagrad_update")(g, t(clr), t(eps), t(weight_decay), bool(maximize), p, bufs[0])
    return _update("adagrad_update", param, grad, [state_sum], launch)



# ---- convolution: im2col / col2im ---------------------------------------------------------------------------------

def _conv_geometry(op, image_shape, kernel_size, stride, padding, dilation, out_size):
    """The kernels' geometry arguments (as kernels/cpu/conv.py checks them)."""
    ints = [int(v) for pair in (kernel_size, stride, padding, dilation, out_size) for v in pair]
    if len(ints) != 10 or min(ints[:4] + ints[6:8]) < 1 or min(ints[4:6] + ints[8:]) < 0:
        raise ValueError(f"{op}: kernel_size, stride and dilation must be positive pairs, padding and out_size "
                         f"non-negative pairs, got {kernel_size}, {stride}, {padding}, {dilation}, {out_size}")
    return [int(s) for s in image_shape] + ints


def _conv_out(op, out, shape, dtype):
    if out is None:
        return cp.empty(shape, dtype)
    if type(out) is not cp.ndarray or out.shape != shape or out.dtype != dtype or not out.flags.c_contiguous:
        raise ValueError(f"{op}: out must be a C-contiguous {dtype} CUDA array of shape {list(shape)}")
    return out


def im2col(x, kernel_size, stride, padding, dilation, out_size, transposed=False, out=None):
    """The patches of x (N, C, H, W) as columns (N, C*kh*kw, Ho*Wo), or (C*kh*kw, N, Ho*Wo) with `transposed`."""
    (x,) = check("im2col", x)
    if x.ndim != 4:
        raise ValueError(f"im2col: expected x of shape (N, C, H, W), got {list(x.shape)}")
    geo = _conv_geometry("im2col", x.shape, kernel_size, stride, padding, dilation, out_size)
    n, k, n_l = geo[0], geo[1] * geo[4] * geo[5], geo[12] * geo[13]
    out = _conv_out("im2col", out, (k, n, n_l) if transposed else (n, k, n_l), x.dtype)
    if out.size:
        elementwise("im2col")(_contiguous(x), *geo, bool(transposed), out)
    return out


def col2im(cols, image_shape, kernel_size, stride, padding, dilation, out_size, transposed=False, out=None):
    """The adjoint of im2col: the columns summed back into an image of `image_shape` (N, C, H, W)."""
    (cols,) = check("col2im", cols)
    if len(image_shape) != 4:
        raise ValueError(f"col2im: expected image_shape (N, C, H, W), got {image_shape}")
    geo = _conv_geometry("col2im", image_shape, kernel_size, stride, padding, dilation, out_size)
    n, k, n_l = geo[0], geo[1] * geo[4] * geo[5], geo[12] * geo[13]
    want = (k, n, n_l) if transposed else (n, k, n_l)
    if cols.shape != want:
        raise ValueError(f"col2im: expected cols of shape {list(want)}, got {list(cols.shape)}")
    out = _conv_out("col2im", out, tuple(geo[:4]), cols.dtype)
    if out.size:
        elementwise("col2im")(_contiguous(cols), *geo, bool(transposed), out)
    return out



# ---- pooling ------------------------------------------------------------------------------------------------------

# One thread per output element forward, per input element backward (a gather: no atomics); the argmax is int64,
# flat per plane, as kernels.cpu's (which keeps it int32).

def _pool_sizes(in_size, out_size, kernel=(1, 1), stride=(1, 1), padding=(0, 0)):
    return tuple(np.int64(v) for v in (*in_size, *out_size, *kernel, *stride, *padding))


def _pool_run(op, name, a, out_shape, args, outs):
    """Launches pooling kernel `name` over new arrays of out_shape (dtypes `outs`) from a (..., H, W)."""
    (a,) = check(op, a)
    if a.ndim < 2:
        raise ValueError(f"{op}: expected an array (..., H, W), got shape {a.shape}")
    results = [cp.empty(out_shape, dt or a.dtype) for dt in outs]
    if results[0].size:
        elementwise(name)(_contiguous(a), *args, *results)
    return results


def _argmax(op, idx, shape):
    idx = _device_array(op, idx, "indices")
    if idx.shape != shape:
        raise ValueError(f"{op}: indices of shape {idx.shape}, expected {shape}")
    return _contiguous(idx.astype(np.int64, copy=False))


def max_pool2d_forward(x, kernel, stride, padding, dilation, out_size, indices=True):
    """(max over each window, flat argmax per plane; None unless indices) of x (..., H, W), as
    kernels.cpu.max_pool2d_forward."""
    sizes = _pool_sizes(x.shape[-2:], out_size, kernel, stride, padding)
    y, idx = _pool_run("max_pool2d_forward", "max_pool2d_forward", x, x.shape[:-2] + tuple(out_size),
                       (*sizes, np.int64(dilation[0]), np.int64(dilation[1]), False), (None, np.int64))
    return y, idx if indices else None


def max_pool2d_backward(g, idx, in_size, kernel, stride, padding, dilation):
    """dL/dx (..., *in_size) of max_pool2d_forward: each input gathers g where it is its window's argmax."""
    idx = _argmax("max_pool2d_backward", idx, g.shape)
    sizes = _pool_sizes(in_size, g.shape[-2:], kernel, stride, padding)
    dx, = _pool_run("max_pool2d_backward", "max_pool2d_backward", g, g.shape[:-2] + tuple(in_size),
                    (idx, *sizes, np.int64(dilation[0]), np.int64(dilation[1]), False), (None,))
    return dx


def avg_pool2d_forward(x, kernel, stride, padding, out_size, count_include_pad, divisor_override):
    """The mean over each window of x (..., H, W), as kernels.cpu.avg_pool2d_forward."""
    sizes = _pool_sizes(x.shape[-2:], out_size, kernel, stride, padding)
    y, = _pool_run("avg_pool2d_forward", "avg_pool2d_forward", x, x.shape[:-2] + tuple(out_size),
                   (*sizes, bool(count_include_pad), np.int64(divisor_override or 0), False), (None,))
    return y


def avg_pool2d_backward(g, in_size, kernel, stride, padding, count_include_pad, divisor_override):
    """dL/dx (..., *in_size) of avg_pool2d_forward: each input gathers g / divisor of the windows holding it."""
    sizes = _pool_sizes(in_size, g.shape[-2:], kernel, stride, padding)
    dx, = _pool_run("avg_pool2d_backward", "avg_pool2d_backward", g, g.shape[:-2] + tuple(in_size),
                    (*sizes, bool(count_include_pad), np.int64(divisor_override or 0), False), (None,))
    return dx


def adaptive_max_pool2d_forward(x, out_size, indices=True):
    """(max, flat argmax; None unless indices) over the adaptive windows of x (..., H, W)."""
    sizes = _pool_sizes(x.shape[-2:], out_size)
    y, idx = _pool_run("adaptive_max_pool2d_forward", "max_pool2d_forward", x, x.shape[:-2] + tuple(out_size),
                       (*sizes, np.int64(1), np.int64(1), True), (None, np.int64))
    return y, idx if indices else None


def adaptive_max_pool2d_backward(g, idx, in_size):
    """dL/dx (..., *in_size) of adaptive_max_pool2d_forward."""
    idx = _argmax("adaptive_max_pool2d_backward", idx, g.shape)
    sizes = _pool_sizes(in_size, g.shape[-2:])
    dx, = _pool_run("adaptive_max_pool2d_backward", "max_pool2d_backward", g, g.shape[:-2] + tuple(in_size),
                    (idx, *sizes, np.int64(1), np.int64(1), True), (None,))
    return dx


def adaptive_avg_pool2d_forward(x, out_size):
    """The mean over the adaptive windows of x (..., H, W)."""
    sizes = _pool_sizes(x.shape[-2:], out_size)
    y, = _pool_run("adaptive_avg_pool2d_forward", "avg_pool2d_forward", x, x.shape[:-2] + tuple(out_size),
                   (*sizes, True, np.int64(0), True), (None,))
    return y


def adaptive_avg_pool2d_backward(g, in_size):
    """dL/dx (..., *in_size) of adaptive_avg_pool2d_forward."""
    sizes = _pool_sizes(in_size, g.shape[-2:])
    dx, = _pool_run("adaptive_avg_pool2d_backward", "avg_pool2d_backward", g, g.shape[:-2] + tuple(in_size),
                    (*sizes, True, np.int64(0), True), (None,))
    return dx



# ---- normalization ------------------------------------------------------------------------------------------------
# statistics by CuPy's reductions in float64, the normalizing and dx passes as one elementwise launch each

def _norm_check(op, x, *vectors):
    (x,) = check(op, x)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected x of shape (N, C, *), got {list(x.shape)}")
    return _contiguous(x), x.shape[1], x.size // (x.shape[0] * x.shape[1]) if x.size else 0


def _vector(v, c, dtype, fill):
    """v (C,) as a contiguous CuPy array of dtype; `fill` everywhere for None."""
    return cp.full(c, fill, dtype) if v is None else _contiguous(_device_array("normalization", v, "weight").astype(
        dtype, copy=False).reshape(c))


def _stats(x3, axes):
    """(mean, biased var) in float64 over `axes` of x3 (the middle axis kept): two passes, the second about the
    mean rounded to x's dtype, corrected for that rounding."""
    mean = x3.mean(axis=axes, dtype=np.float64)
    md = mean.astype(x3.dtype)
    var = ((x3 - md[:, None]) ** 2).mean(axis=axes, dtype=np.float64) - (mean - md) ** 2
    return mean, cp.maximum(var, 0)


def batch_norm_forward(x, weight, bias, mean=None, var=None, eps=1e-5, relu=False):
    """(y, mean, var) as kernels.cpu.batch_norm_forward: mean/var None, the batch's (var biased); relu: the ReLU
    after it in the same launch."""
    x, c, s = _norm_check("batch_norm_forward", x)
    dt = x.dtype
    w, b = _vector(weight, c, dt, 1), _vector(bias, c, dt, 0)
    x3 = x.reshape(x.shape[0], c, s)
    if mean is None:
        mean, var = _stats(x3, (0, 2))
        mean, var = mean.astype(dt), var.astype(dt)
    else:
        mean, var = _vector(mean, c, dt, 0), _vector(var, c, dt, 1)
    scale = (w / cp.sqrt(var.astype(np.float64) + eps)).astype(dt)
    y = elementwise("bn_normalize")(x, mean, scale, b, np.int64(c), np.int64(max(s, 1)), np.int64(bool(relu)))
    return y, mean, var


def batch_norm_backward(g, x, mean, invstd, weight, training=True, y=None):
    """(dx, dweight, dbias) as kernels.cpu.batch_norm_backward (y: the fused ReLU's output, g counts where y > 0)."""
    x, c, s = _norm_check("batch_norm_backward", x)
    (g, _) = same_shape("batch_norm_backward", g, x)
    if y is not None:
        g = cp.where(same_shape("batch_norm_backward", y, x)[0] > 0, g, g.dtype.type(0))
    g, dt = _contiguous(g), x.dtype
    mean, r = _vector(mean, c, dt, 0), _vector(invstd, c, dt, 1).astype(np.float64)
    w = _vector(weight, c, dt, 1).astype(np.float64)
    shape = (x.shape[0], c, s)
    g3, x3 = g.reshape(shape), x.reshape(shape)
    sg = g3.sum(axis=(0, 2), dtype=np.float64)
    sgx = (g3 * (x3 - mean[:, None])).sum(axis=(0, 2), dtype=np.float64)
    count = max(x.shape[0] * s, 1)
    a = w * r
    q = a * r * r * sgx / count if training else cp.zeros(c)
    o = a * sg / count if training else cp.zeros(c)
    dx = elementwise("bn_backward")(g, x, mean, a.astype(dt), q.astype(dt), o.astype(dt), np.int64(c),
                                    np.int64(max(s, 1)))
    return dx, (sgx * r).astype(dt), sg.astype(dt)


def _groups(op, x, num_groups):
    x, c, s = _norm_check(op, x)
    if num_groups < 1 or c % num_groups:
        raise ValueError(f"{op}: expected x (N, C, *) with C divisible by num_groups={num_groups}, got "
                         f"{list(x.shape)}")
    return x, c, s, c // num_groups


def group_norm_forward(x, num_groups, weight, bias, eps=1e-5):
    """(y, mean, rstd) as kernels.cpu.group_norm_forward: mean, rstd (N, num_groups)."""
    x, c, s, kg = _groups("group_norm_forward", x, num_groups)
    dt = x.dtype
    w, b = _vector(weight, c, dt, 1), _vector(bias, c, dt, 0)
    rows = x.reshape(x.shape[0] * num_groups, -1) if x.size else cp.zeros((x.shape[0] * num_groups, 1), dt)
    mean, var = _stats(rows[None], (0, 2))
    mean, rstd = mean.astype(dt), (1 / cp.sqrt(var + eps)).astype(dt)
    y = elementwise("gn_normalize")(x, mean, rstd, w, b, np.int64(c), np.int64(max(s, 1)), np.int64(kg))
    shape = (x.shape[0], num_groups)
    return y, mean.reshape(shape), rstd.reshape(shape)


def group_norm_backward(g, x, mean, rstd, weight, num_groups):
    """(dx, dweight, dbias) as kernels.cpu.group_norm_backward."""
    x, c, s, kg = _groups("group_norm_backward", x, num_groups)
    (g, _) = same_shape("group_norm_backward", g, x)
    g, dt, n = _contiguous(g), x.dtype, x.shape[0]
    mean = _contiguous(mean.astype(dt, copy=False).reshape(-1))
    rstd = _contiguous(rstd.astype(dt, copy=False).reshape(-1))
    w = _vector(weight, c, dt, 1)
    g3, x3 = g.reshape(n, c, s), x.reshape(n, c, s)
    m3 = cp.repeat(mean.reshape(n, num_groups), kg, axis=1)[:, :, None]
    r3 = cp.repeat(rstd.reshape(n, num_groups), kg, axis=1).astype(np.float64)
    a = g3.sum(axis=2, dtype=np.float64)                                    # (N, C): sum of g per channel
    bb = (g3 * (x3 - m3)).sum(axis=2, dtype=np.float64)                     # sum of g * (x - mean)
    w64 = w.astype(np.float64)
    rs = rstd.astype(np.float64)
    sgw = (a * w64).reshape(n, num_groups, kg).sum(axis=2).reshape(-1)
    sgwx = (bb * w64).reshape(n, num_groups, kg).sum(axis=2).reshape(-1)
    length = max(kg * s, 1)
    q, o = (rs ** 3 * sgwx / length).astype(dt), (rs * sgw / length).astype(dt)
    dx = elementwise("gn_backward")(g, x, mean, rstd, w, q, o, np.int64(c), np.int64(max(s, 1)), np.int64(kg))
    return dx, (bb * r3).sum(axis=0).astype(dt), a.sum(axis=0).astype(dt)



# ---- resize: the gathers of non-constant pads ---------------------------------------------------------------------

def _gather_indices(idx, sizes):
    out = []
    for name, ix, n in zip(("d", "h", "w"), idx, sizes):
        ix = np.ascontiguousarray(ix, np.int64).reshape(-1)
        if ix.size and (ix.min() < 0 or ix.max() >= n):
            raise IndexError(f"gather3d: {name} indices must lie in [0, {n}), got [{ix.min()}, {ix.max()}]")
        out.append(ix)
    return out


def _gather_sizes(in_size, out_size):
    return tuple(np.int64(v) for v in (*in_size, *out_size))


def gather3d_forward(x, di, hi, wi):
    """x (..., D, H, W) gathered along its last three dims, as kernels.cpu.gather3d_forward (host indices)."""
    (x,) = check("gather3d_forward", x)
    if x.ndim < 3:
        raise ValueError(f"gather3d_forward: expected an array (..., D, H, W), got shape {list(x.shape)}")
    idx = _gather_indices((di, hi, wi), x.shape[-3:])
    out_size = tuple(ix.size for ix in idx)
    y = cp.empty(x.shape[:-3] + out_size, x.dtype)
    if y.size:
        elementwise("gather3d_forward")(_contiguous(x), *(cp.asarray(ix) for ix in idx),
                                        *_gather_sizes(x.shape[-3:], out_size), y)
    return y


def _inverse(ix, n):
    """(starts (n + 1,), outputs sorted by source) of the index map ix: the outputs each input feeds."""
    order = np.argsort(ix, kind="stable")
    starts = np.searchsorted(ix[order], np.arange(n + 1))
    return cp.asarray(starts.astype(np.int64)), cp.asarray(order.astype(np.int64))


def gather3d_backward(g, di, hi, wi, in_size):
    """dL/dx (..., *in_size) of gather3d_forward, as kernels.cpu.gather3d_backward."""
    (g,) = check("gather3d_backward", g)
    in_size = tuple(int(s) for s in in_size)
    idx = _gather_indices((di, hi, wi), in_size)
    if g.ndim < 3 or g.shape[-3:] != tuple(ix.size for ix in idx):
        raise ValueError(f"gather3d_backward: g of shape {list(g.shape)} does not match indices of sizes "
                         f"{[ix.size for ix in idx]}")
    if not g.size:
        return cp.zeros(g.shape[:-3] + in_size, g.dtype)
    dx = cp.empty(g.shape[:-3] + in_size, g.dtype)
    if dx.size:
        inv = [a for ix, n in zip(idx, in_size) for a in _inverse(ix, n)]
        elementwise("gather3d_backward")(_contiguous(g), *inv, *_gather_sizes(in_size, g.shape[-3:]), dx)
    return dx


if cp.cuda.runtime.getDeviceCount() > 1:
    for _name in __all__:
        globals()[_name] = _on_the_arrays_device(globals()[_name])
