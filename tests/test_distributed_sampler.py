"""DistributedSampler against torch.utils.data.distributed.DistributedSampler: the padding, drop_last and
rank::num_replicas rules, without shuffling and with the permutation injected (ours draws it from NumPy's PCG64,
torch's from its own generator), its errors, set_epoch."""
import itertools

import numpy as np
import pytest

from autograd_lite.utils.data import DataLoader, DistributedSampler, TensorDataset
from autograd_lite.utils.data.distributed import DistributedSampler as FromModule
import autograd_lite as al

torch = pytest.importorskip("torch")
from torch.utils.data.distributed import DistributedSampler as TorchSampler  # noqa: E402

CASES = list(itertools.product([1, 2, 5, 7, 10, 11], [1, 2, 3, 4], [False, True]))


@pytest.mark.parametrize("n,replicas,drop_last", CASES)
def test_rules_match_torch_without_shuffle(n, replicas, drop_last):
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
        assert ours.total_size == theirs.total_size and ours.num_samples == theirs.num_samples


@pytest.mark.parametrize("n,replicas,drop_last", CASES)
def test_rules_match_torch_with_torchs_permutation(n, replicas, drop_last, monkeypatch):
    def torch_perm(self, size):
        g = torch.Generator()
        g.manual_seed(self.seed + self.epoch)
        return torch.randperm(size, generator=g).numpy()
    monkeypatch.setattr(DistributedSampler, "_permutation", torch_perm)
    for rank, epoch in itertools.product(range(replicas), [0, 3]):
        ours = DistributedSampler(range(n), replicas, rank, seed=7, drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, seed=7, drop_last=drop_last)
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert list(ours) == list(theirs)


def test_shuffle_covers_the_dataset_and_depends_on_seed_and_epoch():
    parts = [list(DistributedSampler(range(10), 3, r, seed=1)) for r in range(3)]
    assert set(sum(parts, [])) == set(range(10)) and len(sum(parts, [])) == 12    # 2 padded
    s = DistributedSampler(range(10), 2, 0, seed=1)
    first = list(s)
    assert list(s) == first
    s.set_epoch(1)
    assert list(s) != first and s.epoch == 1
    assert list(DistributedSampler(range(10), 2, 0, seed=2)) != first


def test_errors_and_exports():
    assert FromModule is DistributedSampler
    with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=3)
    with pytest.raises(ValueError, match=r"Invalid rank -1, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=-1)
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(4))


def test_in_a_dataloader():
    ds = TensorDataset(al.arange(10.))
    loader = DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, 2, 1, shuffle=False))
    assert [b[0].tolist() for b in loader] == [[1.0, 3.0], [5.0, 7.0], [9.0]]
