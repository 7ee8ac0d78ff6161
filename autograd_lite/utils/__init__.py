"""Utilities: ``autograd_lite.utils.data`` (Dataset, DataLoader, random_split), ``hooks`` (RemovableHandle),
``checkpoint`` (activation checkpointing): attributes after ``import autograd_lite``, as torch.utils' are."""
from . import data, hooks, checkpoint

__all__ = ["data", "hooks", "checkpoint"]
