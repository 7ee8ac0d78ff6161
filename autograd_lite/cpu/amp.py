"""``torch.cpu.amp``: the deprecated CPU spellings of autograd_lite.amp's autocast and GradScaler."""
from ..amp._deprecated import device_classes

autocast, GradScaler = device_classes("cpu")

__all__ = ["autocast", "GradScaler"]
