"""``torch.cuda.amp``: the deprecated CUDA spellings of autograd_lite.amp's autocast, GradScaler, custom_fwd and
custom_bwd (each warns as PyTorch, then works)."""
from ..amp._deprecated import custom_bwd, custom_fwd, device_classes

autocast, GradScaler = device_classes("cuda")

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]
