"""``autograd_lite.cpu``: ``torch.cpu``'s device functions for the CPU, and its deprecated ``amp`` spellings."""
from . import amp

__all__ = ["amp", "is_available", "device_count", "current_device", "synchronize"]


def is_available():
    """Always True: the CPU is there."""
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def synchronize(device=None):
    """Nothing to wait for: CPU ops finish before they return."""
