"""Parallel wrappers, as ``torch.nn.parallel``: DistributedDataParallel, DataParallel."""
from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel", "DataParallel"]
