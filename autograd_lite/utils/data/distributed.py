"""DistributedSampler: each rank's share of a dataset's indices, as ``torch.utils.data.distributed``."""
import math

import numpy as np

from .sampler import _ArraySampler

__all__ = ["DistributedSampler"]


class DistributedSampler(_ArraySampler):
    """Rank `rank`'s share of the indices, out of `num_replicas` (by default the default process group's rank and
    size): PyTorch's rules. The indices (shuffled each epoch by the seed ``seed + epoch`` when `shuffle`) are padded
    by repeating them from the start to a multiple of `num_replicas` (or cut to one with `drop_last`), and rank r
    takes every num_replicas-th from r. Call ``set_epoch(epoch)`` before each epoch for a new order.

    The shuffled order comes from NumPy's PCG64 seeded ``seed + epoch`` (the same on every rank), not torch's
    Mersenne-Twister ``randperm``: the same rules, another permutation.

    Example::

        sampler = DistributedSampler(train_set)              # after dist.init_process_group
        loader = DataLoader(train_set, batch_size=32, sampler=sampler)
        for epoch in range(epochs):
            sampler.set_epoch(epoch)
            for x, y in loader: ...
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank, self.epoch = dataset, num_replicas, rank, 0
        self.drop_last, self.shuffle, self.seed = drop_last, shuffle, seed
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def _permutation(self, n):
        return np.random.Generator(np.random.PCG64(self.seed + self.epoch)).permutation(n)

    def _index_array(self):
        n = len(self.dataset)
        indices = np.asarray(self._permutation(n), np.int64) if self.shuffle else np.arange(n, dtype=np.int64)
        if self.drop_last:
            indices = indices[:self.total_size]
        elif self.total_size > n:           # pad by repeating from the start (the whole list again if need be)
            indices = np.resize(indices, self.total_size)
        return indices[self.rank:self.total_size:self.num_replicas]

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """The epoch that seeds the next shuffle (``seed + epoch``): call it before each epoch."""
        self.epoch = epoch
