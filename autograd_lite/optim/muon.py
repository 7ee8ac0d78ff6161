"""Muon, as torch.optim.Muon: momentum orthogonalized by a Newton-Schulz iteration, for 2-D parameters."""
import math

import numpy as np

from .optimizer import Optimizer, buffer, lerp_, xp_of

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5


def _bf16(a):
    """float32 `a` rounded to the nearest bfloat16 (ties to even), kept as float32: PyTorch runs the Newton-Schulz
    iteration in bfloat16."""
    xp = xp_of(a)
    u = xp.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    u = (u + (np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1)))) & np.uint32(0xFFFF0000)
    return u.view(np.float32)


def zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    """The orthogonalized grad (2-D): PyTorch's quintic Newton-Schulz iteration, each result rounded to bfloat16."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    xp = xp_of(grad)
    a, b, c = ns_coefficients
    x = _bf16(grad)
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _bf16(xp.sqrt((x * x).sum(dtype=np.float32)).reshape(1))
    x = _bf16(x / xp.maximum(norm, _bf16(xp.asarray([eps], np.float32))))
    for _ in range(ns_steps):
        gram = _bf16(x @ x.T)
        update = _bf16(b * gram + c * (gram @ gram))
        x = _bf16(a * x + update @ x)
    return x.T if tall else x


def _adjust_lr(lr, adjust_lr_fn, shape):
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return lr * math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    return lr


def muon_update(param, grad, buf, lr, weight_decay, momentum, nesterov, ns_coefficients, ns_steps, eps,
                adjust_lr_fn):
    """torch.optim.Muon's single-tensor rule, in place on param and the momentum buffer."""
    if grad.ndim != 2:
        raise ValueError("Param gradient must be a 2D matrix")
    lerp_(buf, grad, 1 - momentum)
    update = lerp_(grad.copy(), buf, momentum) if nesterov else buf
    update = zeropower_via_newtonschulz(update, ns_coefficients, ns_steps, eps)
    param *= 1 - lr * weight_decay
    param -= _adjust_lr(lr, adjust_lr_fn, param.shape) * update.astype(param.dtype, copy=False)
    return param


class Muon(Optimizer):
    """Muon (MomentUm Orthogonalized by Newton-Schulz), as ``torch.optim.Muon``: for the 2-D weights of hidden
    layers (use AdamW for biases, embeddings and the rest).

    Per parameter and step: B = lerp(B, g, 1 - momentum); u = lerp(g, B, momentum) (nesterov) or B; O = NS(u), the
    Newton-Schulz orthogonalization (in bfloat16, as PyTorch's); p *= 1 - lr * weight_decay; p -= adjusted lr * O.

    Args:
        params (iterable): 2-D Tensors or parameter groups (dicts).
        lr (float): learning rate (default: 1e-3). weight_decay (float): decoupled weight decay (default: 0.1).
        momentum (float): default 0.95. nesterov (bool): default True.
        ns_coefficients (tuple of three floats): the iteration's (a, b, c) (default: (3.4445, -4.775, 2.0315)).
        eps (float): the norm's floor (default: 1e-7). ns_steps (int): iterations (default: 5).
        adjust_lr_fn (str): "original" (lr * sqrt(max(1, A/B))) or "match_rms_adamw" (lr * 0.2 * sqrt(max(A, B)))
            (default: None, the original).

    Example::

        >>> optimizer = optim.Muon([p for p in model.parameters() if p.ndim == 2], lr=0.02)
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS, ns_steps=DEFAULT_NS_STEPS,
                 adjust_lr_fn=None):
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                                      ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                                      adjust_lr_fn=adjust_lr_fn))
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{p.size()}")

    def _update(self, p, group):
        muon_update(p._data, p._grad._data, buffer(self.state[p], "momentum_buffer", p), float(group["lr"]),
                    group["weight_decay"], group["momentum"], group["nesterov"], group["ns_coefficients"],
                    group["ns_steps"], group["eps"], group["adjust_lr_fn"])
