"""Datasets and loaders, as in ``torch.utils.data``::

    from autograd_lite.utils.data import TensorDataset, DataLoader
    loader = DataLoader(TensorDataset(images, labels), batch_size=64, shuffle=True)
    for images, labels in loader:
        ...
"""
from .dataset import (Dataset, IterableDataset, ChainDataset, TensorDataset, Subset, ConcatDataset, StackDataset,
                      random_split)
from .sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
                      BatchSampler)
from .collate import default_collate, default_convert
from .dataloader import DataLoader
from ._worker import get_worker_info
from . import distributed
from .distributed import DistributedSampler

__all__ = ["Dataset", "IterableDataset", "ChainDataset", "TensorDataset", "Subset", "ConcatDataset", "StackDataset",
           "random_split", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler",
           "default_collate", "default_convert", "DataLoader", "get_worker_info", "DistributedSampler"]
