"""``autograd_lite.amp``: automatic mixed precision as ``torch.amp``: ``autocast`` regions (ops in float16 where
PyTorch runs them so, float32 where range matters) and ``GradScaler`` (loss scaling for float16 gradients).

Example::

    scaler = torch.amp.GradScaler("cuda")
    with torch.autocast("cuda"):
        loss = criterion(model(x), y)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
"""
from ..autograd import autocast_state as _autocast_state
from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available, install_policy, run, run_function
from .grad_scaler import GradScaler

__all__ = ["autocast", "custom_fwd", "custom_bwd", "is_autocast_available", "GradScaler"]

_autocast_state.run = run
_autocast_state.run_function = run_function
install_policy()
