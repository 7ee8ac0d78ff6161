"""Adam and AdamW, as torch.optim.Adam / AdamW."""
import operator

import numpy as np

from .optimizer import (Optimizer, buffer, check_fused, check_hyper, check_nonnegative, data_of, decayed, grad_data_of,
                        kernels, next_step, step_counter, stepped_state, version_of, xp_of)

__all__ = ["Adam", "AdamW"]


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2, eps, weight_decay, param_scale,
                step_size, bias_correction2_sqrt, maximize=False):
    """torch.optim.Adam's single-tensor rule, op by op, in place. param_scale: AdamW's 1 - lr * weight_decay (1:
    none); step_size: lr / (1 - beta1^t); max_exp_avg_sq None: not amsgrad."""
    if param_scale != 1:
        param *= param_scale
    d = decayed(param, grad, weight_decay, maximize)
    exp_avg += (1 - beta1) * (d - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * d * d
    v = exp_avg_sq
    if max_exp_avg_sq is not None:
        v = xp_of(param).maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
    param -= step_size * (exp_avg / (xp_of(param).sqrt(v) / bias_correction2_sqrt + eps))
    return param

_EXP_AVG, _EXP_AVG_SQ, _MAX_EXP_AVG_SQ, _STEP = map(operator.itemgetter,
                                                   ("exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"))


class Adam(Optimizer):
    """Adam, optionally AMSGrad.

    Per parameter and step t: d = grad + weight_decay * p (negated if maximize; with
    decoupled_weight_decay, p *= 1 - lr * weight_decay instead); m = lerp(m, d, 1 - beta1);
    v = beta2 * v + (1 - beta2) * d²; v_max = max(v_max, v) (amsgrad);
    p -= lr / (1 - beta1^t) * m / (sqrt(v or v_max) / sqrt(1 - beta2^t) + eps).

    Args:
        params (iterable): Tensors or parameter groups (dicts).
        lr (float): learning rate (default: 1e-3).
        betas (tuple[float, float]): decay rates of the gradient's running mean and of its square
            (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): L2 penalty (default: 0).
        amsgrad (bool): the AMSGrad variant (default: False).
        maximize (bool): maximize the objective instead of minimizing it (default: False).
        decoupled_weight_decay (bool): AdamW's decay, applied to the weights directly (default: False).
        foreach, capturable, differentiable, fused: accepted and kept in the param groups, as PyTorch's; no-ops
            here.

    Example::

        >>> optimizer = optim.Adam(model.parameters(), lr=0.001)
        >>> optimizer.zero_grad(); loss.backward(); optimizer.step()
    """

    rule, kernel = staticmethod(adam_update), "adam_update"

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        check_nonnegative(lr=lr, eps=eps)
        check_hyper("beta parameter at index 0", betas[0], 0 <= betas[0] < 1)
        check_hyper("beta parameter at index 1", betas[1], 0 <= betas[1] < 1)
        check_nonnegative(weight_decay=weight_decay)
        check_fused(fused, foreach, differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _step_group(self, group):
        """The group in one kernel-table call, its state gathered with C-level maps. A plan per group (raveled views of
        the parameters and buffers, validated once; the step counters gathered into one array) is reused while the
        same arrays are involved, so a step checks only the gradients and bumps every counter with one operation."""
        live = [p for p in group["params"] if p._grad is not None]
        ps = list(map(data_of, live))
        if len(set(map(type, ps))) != 1 or not hasattr(kernels(live[0]), "adam_update_many"):
            return super()._step_group(group)                    # none, mixed devices or no fused kernel
        amsgrad, states = group["amsgrad"], list(map(self.state.__getitem__, live))
        try:
            ms = list(map(data_of, map(_EXP_AVG, states)))
            vs = list(map(data_of, map(_EXP_AVG_SQ, states)))
            steps = list(map(_STEP, states))
            vms = list(map(data_of, map(_MAX_EXP_AVG_SQ, states))) if amsgrad else None
        except KeyError:                                          # a first step: create the state, then go on
            for st, p in zip(states, live):
                st.setdefault("step", step_counter())
                for key in ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ()):
                    buffer(st, key, p)
            return self._step_group(group)
        k = kernels(live[0])
        key = _plan_key(ps, ms, vs, vms, steps)
        plan = self._plans.get(id(group))
        if plan is None or plan[0] != key:
            plan = self._plans[id(group)] = _adam_plan(k, ps, ms, vs, vms, steps)
        _, prepared, counts = plan
        if counts is None:
            ts = list(map(next_step, states))
        else:
            counts += 1                                           # every state['step'] is a view of counts
            ts = counts.tolist()
        for version in map(version_of, live):
            version[0] += 1
        (beta1, beta2), lr, gs = group["betas"], group["lr"], list(map(grad_data_of, live))
        hyper = beta1, beta2, group["eps"], group["weight_decay"], lr, group["decoupled_weight_decay"], group["maximize"]
        if prepared is None or not k.adam_update_prepared(prepared, gs, ts, *hyper):
            k.adam_update_many(ps, gs, ms, vs, vms, ts, *hyper)

    def _update(self, p, group):
        state = stepped_state(self, p)
        m, v = buffer(state, "exp_avg", p), buffer(state, "exp_avg_sq", p)
        vmax = buffer(state, "max_exp_avg_sq", p) if group["amsgrad"] else None
        t = next_step(state)
        (beta1, beta2), lr, wd = group["betas"], group["lr"], group["weight_decay"]
        decoupled = group["decoupled_weight_decay"]
        self.apply_rule(
            p, p._data, p._grad._data, m, v, vmax, beta1, beta2, group["eps"],
            0 if decoupled else wd,                          # Adam: d += wd * p
            1 - lr * wd if decoupled else 1,                 # AdamW: p *= 1 - lr * wd
            lr / (1 - beta1 ** t), (1 - beta2 ** t) ** 0.5,  # step size, sqrt of the 2nd bias correction
            group["maximize"])


class AdamW(Adam):
    """Adam with decoupled weight decay: each step first shrinks the weights, p *= 1 - lr * weight_decay,
    instead of adding weight_decay * p to the gradient.

    Args: as :class:`Adam`, but weight_decay defaults to 1e-2 and the decay is always decoupled.

    Example::

        >>> optimizer = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


def _plan_key(ps, ms, vs, vms, steps):
    """The identity of every array a plan holds views of: a plan applies while all are the same objects."""
    return (tuple(map(id, ps)), tuple(map(id, ms)), tuple(map(id, vs)), vms and tuple(map(id, vms)),
            tuple(map(id, steps)), tuple(map(id, map(data_of, steps))))


def _adam_plan(k, ps, ms, vs, vms, steps):
    """(key, the kernel table's adam_prepare views or None, counts or None). counts: one array of every step count,
    each state['step'] Tensor re-pointed at a 0-d view of it (same Tensor, same value), so one += steps them all;
    None where the counters are not distinct 0-d host arrays of one dtype."""
    prepared = k.adam_prepare(ps, ms, vs, vms) if hasattr(k, "adam_prepare") else None
    datas = list(map(data_of, steps))
    counts = None
    if len(set(map(id, steps))) == len(steps) and len({(type(d), d.dtype, d.shape) for d in datas}) == 1 \
            and type(datas[0]) is np.ndarray and datas[0].shape == ():
        counts = np.array([d.item() for d in datas], datas[0].dtype)
        for i, step in enumerate(steps):
            step._data = counts[i:i + 1].reshape(())
    return _plan_key(ps, ms, vs, vms, steps), prepared, counts
