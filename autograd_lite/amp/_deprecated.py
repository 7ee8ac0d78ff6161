"""``torch.cuda.amp`` / ``torch.cpu.amp``'s deprecated spellings of autocast and GradScaler (they warn as PyTorch,
then behave as the ``autograd_lite.amp`` ones for their device); autograd_lite.cuda.amp and autograd_lite.cpu.amp
re-export them."""
import warnings

from .. import _dtype
from .autocast_mode import autocast as _autocast, custom_bwd as _custom_bwd, custom_fwd as _custom_fwd
from .grad_scaler import GradScaler as _GradScaler


def _warn(old, new):
    warnings.warn(f"`torch.{old}(args...)` is deprecated. Please use `torch.{new}` instead.", FutureWarning,
                  stacklevel=3)


def device_classes(device):
    """(autocast, GradScaler) of ``torch.<device>.amp``."""

    class autocast(_autocast):
        __doc__ = f"Deprecated: ``torch.amp.autocast('{device}', ...)``."

        def __init__(self, enabled=True, dtype=None, cache_enabled=True):
            _warn(f"{device}.amp.autocast", f"amp.autocast('{device}', args...)")
            super().__init__(device, dtype=_dtype.float16 if dtype is None and device == "cuda" else dtype,
                             enabled=enabled, cache_enabled=cache_enabled)

    class GradScaler(_GradScaler):
        __doc__ = f"Deprecated: ``torch.amp.GradScaler('{device}', ...)``."

        def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     enabled=True):
            _warn(f"{device}.amp.GradScaler", f"amp.GradScaler('{device}', args...)")
            super().__init__(device, init_scale, growth_factor, backoff_factor, growth_interval, enabled)
    return autocast, GradScaler


def custom_fwd(fwd=None, *, cast_inputs=None):
    """Deprecated: ``torch.amp.custom_fwd(device_type='cuda')``."""
    _warn("cuda.amp.custom_fwd", "amp.custom_fwd(args..., device_type='cuda')")
    return _custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd=None):
    """Deprecated: ``torch.amp.custom_bwd(device_type='cuda')``."""
    _warn("cuda.amp.custom_bwd", "amp.custom_bwd(args..., device_type='cuda')")
    return _custom_bwd(bwd, device_type="cuda")
