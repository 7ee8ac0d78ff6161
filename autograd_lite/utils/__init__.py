"""Utilities: ``autograd_lite.utils.data`` (Dataset, DataLoader, random_split), ``hooks`` (RemovableHandle)."""
from . import data, hooks

__all__ = ["data", "hooks"]
