"""Optimizer updates, in place: one fused pass over a parameter, its gradient and its state buffers
per call, with torch.optim's formulas in torch.optim's order of operations.

Scalars that change from step to step (Adam's step size and bias correction, Adagrad's decayed lr, AdamW's
decay factor) come from the optimizer, computed in Python. Each kernel casts its scalars to the parameter's
dtype once and computes in that dtype, as PyTorch's CPU kernels do. A None buffer switches its part of the
rule off: Adam's max_exp_avg_sq (amsgrad), RMSprop's grad_avg (centered) and momentum_buffer (momentum).

float32/float64 C-contiguous arrays run the numba loop directly; other float dtypes (float16) and strided
arrays run it on float32 (or contiguous) copies that are written back, like the library's float16 ops.
Parallel from _jit.PAR_MIN elements. Each accelerates an optimizer's update rule, written on the array module in
autograd_lite/optim/ (sgd.sgd_update, ...) with the same signature: the reference of tests and benchmarks.
"""
import operator

import numpy as np

from ._jit import _F32, _F64, FLOATS, PAR_MIN, jit, prange, twins

_FLOATS = set(FLOATS)


@jit
def _lerp(a, b, w, w1, small):
    """PyTorch's lerp(a, b, w), given w1 = 1 - w (in a's dtype) and small = |w| < 0.5, which picks the formula."""
    return a + w * (b - a) if small else b - (b - a) * w1


@twins(PAR_MIN, loop=lambda p, *_: p.size)
def _sgd(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step):
    t = p.dtype.type
    lr_, mom, keep, wd = t(lr), t(momentum), t(1.0 - dampening), t(weight_decay)
    use_wd, use_mom = weight_decay != 0, momentum != 0
    for i in prange(p.size):
        d = -g[i] if maximize else g[i]
        if use_wd:
            d = d + wd * p[i]
        if use_mom:
            b = d if first_step else buf[i] * mom + keep * d
            buf[i] = b
            d = d + mom * b if nesterov else b
        p[i] = p[i] - lr_ * d


@twins(PAR_MIN, loop=lambda p, *_: p.size)
def _adam(p, g, m, v, vmax, beta1, beta2, eps, weight_decay, param_scale, step_size, bc2_sqrt, amsgrad,
          maximize):
    t = p.dtype.type
    w, b2, keep2, eps_, wd = t(1.0 - beta1), t(beta2), t(1.0 - beta2), t(eps), t(weight_decay)
    w1, small = t(1) - w, abs(1.0 - beta1) < 0.5
    scale, ss, bc2 = t(param_scale), t(step_size), t(bc2_sqrt)
    use_wd, use_scale = weight_decay != 0, param_scale != 1
    for i in prange(p.size):
        d = -g[i] if maximize else g[i]
        x = p[i] * scale if use_scale else p[i]
        if use_wd:
            d = d + wd * x
        mi = _lerp(m[i], d, w, w1, small)
        vi = v[i] * b2 + keep2 * d * d
        m[i] = mi
        v[i] = vi
        if amsgrad:
            vm = vmax[i]
            vi = vi if vi >= vm or vi != vi else vm       # torch.maximum: NaN wins
            vmax[i] = vi
        p[i] = x - ss * (mi / (np.sqrt(vi) / bc2 + eps_))


@twins(PAR_MIN, loop=lambda p, *_: p.size)
def _rmsprop(p, g, sq, gavg, buf, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    t = p.dtype.type
    lr_, a, keep, eps_, wd, mom = t(lr), t(alpha), t(1.0 - alpha), t(eps), t(weight_decay), t(momentum)
    w1, small = t(1) - keep, abs(1.0 - alpha) < 0.5
    use_wd, use_mom = weight_decay != 0, momentum != 0
    for i in prange(p.size):
        d = -g[i] if maximize else g[i]
        x = p[i]
        if use_wd:
            d = d + wd * x
        s = sq[i] * a + keep * d * d
        sq[i] = s
        if centered:
            ga = _lerp(gavg[i], d, keep, w1, small)
            gavg[i] = ga
            s = s - ga * ga
        avg = np.sqrt(s) + eps_
        if use_mom:
            b = buf[i] * mom + d / avg
            buf[i] = b
            p[i] = x - lr_ * b
        else:
            p[i] = x - lr_ * (d / avg)


@twins(PAR_MIN, loop=lambda p, *_: p.size)
def _adagrad(p, g, s, clr, eps, weight_decay, maximize):
    t = p.dtype.type
    clr_, eps_, wd = t(clr), t(eps), t(weight_decay)
    use_wd = weight_decay != 0
    for i in prange(p.size):
        d = -g[i] if maximize else g[i]
        x = p[i]
        if use_wd:
            d = d + wd * x
        si = s[i] + d * d
        s[i] = si
        p[i] = x - clr_ * (d / (np.sqrt(si) + eps_))


def _bad(op, arrays):
    raise TypeError(f"{op}: expected float arrays of one dtype and shape (param, grad, buffers), got "
                    + ", ".join("None" if a is None else f"{a.dtype}{list(a.shape)}" for a in arrays))


def _run(op, kernel, arrays, scalars):
    """kernel(*raveled arrays, *scalars), arrays = (param, grad, *buffers): param and the buffers are updated in
    place. A None buffer is passed as param (its flag is off: the kernel never touches it)."""
    param = arrays[0]
    dt, shape = param.dtype, param.shape
    if (dt is _F32 or dt is _F64) and arrays[1] is not None:   # the hot path: C-contiguous, one dtype
        flat = []
        for a in arrays:
            if a is None:
                a = param
            elif type(a) is not np.ndarray or a.dtype is not dt or a.shape != shape or not a.flags.c_contiguous:
                break
            flat.append(a.ravel())
        else:
            kernel.pick(param.size)(*flat, *scalars)
            return param
    if dt.kind not in "fV" or arrays[1] is None:      # "V": bfloat16 (ml_dtypes), computed in float32 as float16
        _bad(op, arrays)
    direct = dt in FLOATS
    flat = []
    for a in arrays:
        if a is None:
            a = param
        elif a.dtype != dt or a.shape != shape:
            _bad(op, arrays)
        direct = direct and a.flags.c_contiguous
        flat.append(a.ravel())
    if direct:
        kernel.pick(param.size)(*flat, *scalars)
        return param
    wdt = dt if dt in FLOATS else np.dtype(np.float32)    # float16, bfloat16: computed in float32, like their ops
    work = [None if a is None else np.ascontiguousarray(a, wdt) for a in arrays]
    _run(op, kernel, work, scalars)
    for i, (a, w) in enumerate(zip(arrays, work)):
        if i != 1 and a is not None and w is not a:      # grad (1) is read only
            a[...] = w
    return param


def sgd_update(param, grad, momentum_buffer, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
               nesterov=False, maximize=False, first_step=False):
    """SGD step in place: d = ±grad + weight_decay * param; with momentum, buf = d on the first step
    (first_step=True: momentum_buffer's contents are ignored), else momentum * buf + (1 - dampening) * d,
    and d = d + momentum * buf (nesterov) or buf; param -= lr * d. Returns param."""
    if momentum != 0 and momentum_buffer is None:
        raise ValueError("sgd_update: momentum != 0 needs a momentum_buffer")
    return _run("sgd_update", _sgd, (param, grad, momentum_buffer), (
        float(lr), float(momentum), float(dampening), float(weight_decay), bool(nesterov), bool(maximize),
        bool(first_step)))


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2, eps, weight_decay, param_scale,
                step_size, bias_correction2_sqrt, maximize=False):
    """Adam/AdamW step in place: param *= param_scale (AdamW: 1 - lr * weight_decay, else 1); d = ±grad +
    weight_decay * param (Adam's coupled decay, 0 for AdamW); exp_avg = lerp(exp_avg, d, 1 - beta1);
    exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * d * d; max_exp_avg_sq (amsgrad; None: off) = its max
    with exp_avg_sq; param -= step_size * exp_avg / (sqrt(v) / bias_correction2_sqrt + eps), v the max
    under amsgrad. step_size = lr / (1 - beta1 ** step). Returns param."""
    return _run("adam_update", _adam, (param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq), (
        float(beta1), float(beta2), float(eps), float(weight_decay), float(param_scale),
        float(step_size), float(bias_correction2_sqrt), max_exp_avg_sq is not None, bool(maximize)))


_shape_of, _dtype_of, _contiguous = (operator.attrgetter(a) for a in ("shape", "dtype", "flags.c_contiguous"))
_ravel = operator.methodcaller("ravel")
_ND = {np.ndarray}


def _direct(params, *lists):
    """True when every array of every list is a C-contiguous ndarray of its parameter's shape and float32/float64
    dtype: the kernels can run on raveled views as they are. Whole lists at a time (C-level maps), not a Python
    loop per array: this runs on every optimizer step."""
    dts = list(map(_dtype_of, params))
    if not set(dts) <= _FLOATS or set(map(type, params)) != _ND:
        return False
    shapes = list(map(_shape_of, params))
    for arrays in (params,) + lists:
        if set(map(type, arrays)) != _ND or list(map(_dtype_of, arrays)) != dts or \
                list(map(_shape_of, arrays)) != shapes or not all(map(_contiguous, arrays)):
            return False
    return True


def adam_update_many(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, beta1, beta2, eps, weight_decay,
                     lr, decoupled=False, maximize=False):
    """Adam (decoupled: AdamW) over lists of parameters, one optimizer step: as adam_update for each i, with
    steps[i] the step count after this update (for the bias corrections); max_exp_avg_sqs None without amsgrad.
    One call per parameter group: the per-parameter work is a direct kernel call on raveled views."""
    b1, b2, eps, wd, lr = float(beta1), float(beta2), float(eps), float(weight_decay), float(lr)
    wd_coupled, scale = (0.0, 1.0 - lr * wd) if decoupled else (wd, 1.0)
    amsgrad, maximize = max_exp_avg_sqs is not None, bool(maximize)
    vms = max_exp_avg_sqs if amsgrad else params
    if not _direct(params, grads, exp_avgs, exp_avg_sqs, vms):
        for p, g, m, v, vm, t in zip(params, grads, exp_avgs, exp_avg_sqs, vms, steps):
            adam_update(p, g, m, v, vm if amsgrad else None, b1, b2, eps, wd_coupled, scale, lr / (1 - b1 ** t),
                        (1 - b2 ** t) ** 0.5, maximize)
        return
    serial, parallel, par_min = _adam.serial, _adam.parallel, _adam.par_min
    for p, g, m, v, vm, t in zip(params, grads, exp_avgs, exp_avg_sqs, vms, steps):
        (serial if p.size < par_min else parallel)(p.ravel(), g.ravel(), m.ravel(), v.ravel(), vm.ravel(), b1, b2, eps,
                                                   wd_coupled, scale, lr / (1 - b1 ** t), (1 - b2 ** t) ** 0.5,
                                                   amsgrad, maximize)


def adam_prepare(params, exp_avgs, exp_avg_sqs, max_exp_avg_sqs=None):
    """The raveled views adam_update_prepared runs on, validated once: reusable for as long as these very arrays are
    the parameters and the state (the optimizer keys it by their ids). None when an array does not qualify (not a
    C-contiguous float32/float64 ndarray of its parameter's shape): use adam_update_many then."""
    vms = params if max_exp_avg_sqs is None else max_exp_avg_sqs
    if not _direct(params, exp_avgs, exp_avg_sqs, vms):
        return None
    flats = tuple(zip(*(map(_ravel, arrays) for arrays in (params, exp_avgs, exp_avg_sqs, vms))))
    return flats, list(map(_shape_of, params)), list(map(_dtype_of, params)), max_exp_avg_sqs is not None


def adam_update_prepared(prepared, grads, steps, beta1, beta2, eps, weight_decay, lr, decoupled=False, maximize=False):
    """adam_update_many on adam_prepare's views: only the gradients are checked. Returns False, having changed
    nothing, when a gradient does not fit its parameter (dtype, shape, layout): use adam_update_many then."""
    flats, shapes, dtypes, amsgrad = prepared
    if set(map(type, grads)) != _ND or list(map(_dtype_of, grads)) != dtypes or \
            list(map(_shape_of, grads)) != shapes or not all(map(_contiguous, grads)):
        return False
    b1, b2, eps, wd, lr = float(beta1), float(beta2), float(eps), float(weight_decay), float(lr)
    wd_coupled, scale = (0.0, 1.0 - lr * wd) if decoupled else (wd, 1.0)
    maximize = bool(maximize)
    serial, parallel, par_min = _adam.serial, _adam.parallel, _adam.par_min
    for (p, m, v, vm), g, t in zip(flats, grads, steps):
        (serial if p.size < par_min else parallel)(p, g.ravel(), m, v, vm, b1, b2, eps, wd_coupled, scale,
                                                   lr / (1 - b1 ** t), (1 - b2 ** t) ** 0.5, amsgrad, maximize)
    return True


def sgd_update_many(params, grads, momentum_buffers, first_steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                    nesterov=False, maximize=False):
    """SGD over lists of parameters, one optimizer step: sgd_update for each i (momentum_buffers[i] None without
    momentum; first_steps[i] True on its first step). One call per parameter group, as adam_update_many."""
    lr, momentum, dampening, weight_decay = float(lr), float(momentum), float(dampening), float(weight_decay)
    nesterov, maximize = bool(nesterov), bool(maximize)
    with_buffers = type(None) not in set(map(type, momentum_buffers))
    if momentum != 0 and not with_buffers:
        raise ValueError("sgd_update_many: momentum != 0 needs a momentum_buffer for every parameter")
    bufs = momentum_buffers if with_buffers else params
    if not _direct(params, grads, bufs):
        for p, g, buf, first in zip(params, grads, momentum_buffers, first_steps):
            sgd_update(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first)
        return
    serial, parallel, par_min = _sgd.serial, _sgd.parallel, _sgd.par_min
    for p, g, buf, first in zip(params, grads, bufs, first_steps):
        (serial if p.size < par_min else parallel)(p.ravel(), g.ravel(), buf.ravel(), lr, momentum, dampening,
                                                   weight_decay, nesterov, maximize, bool(first))


def rmsprop_update(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay=0.0,
                   momentum=0.0, maximize=False):
    """RMSprop step in place: d = ±grad + weight_decay * param; square_avg = alpha * square_avg +
    (1 - alpha) * d * d; centered (grad_avg not None): grad_avg = lerp(grad_avg, d, 1 - alpha) and
    avg = sqrt(square_avg - grad_avg ** 2) + eps, else sqrt(square_avg) + eps; with momentum,
    buf = momentum * buf + d / avg and param -= lr * buf, else param -= lr * d / avg. Returns param."""
    if momentum != 0 and momentum_buffer is None:
        raise ValueError("rmsprop_update: momentum != 0 needs a momentum_buffer")
    return _run("rmsprop_update", _rmsprop, (param, grad, square_avg, grad_avg, momentum_buffer), (
        float(lr), float(alpha), float(eps), float(weight_decay), float(momentum),
        grad_avg is not None, bool(maximize)))


def adagrad_update(param, grad, state_sum, clr, eps, weight_decay=0.0, maximize=False):
    """Adagrad step in place: d = ±grad + weight_decay * param; state_sum += d * d;
    param -= clr * d / (sqrt(state_sum) + eps), clr = lr / (1 + (step - 1) * lr_decay). Returns param."""
    return _run("adagrad_update", _adagrad, (param, grad, state_sum), (
        float(clr), float(eps), float(weight_decay), bool(maximize)))


PATHS = {name: {"numba": fn} for name, fn in (("sgd_update", sgd_update), ("adam_update", adam_update),
                                               ("rmsprop_update", rmsprop_update), ("adagrad_update", adagrad_update))}
