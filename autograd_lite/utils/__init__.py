"""Utilities: ``autograd_lite.utils.data`` (Dataset, DataLoader, random_split)."""
from . import data

__all__ = ["data"]
