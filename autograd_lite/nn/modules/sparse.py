"""Embedding and EmbeddingBag: lookup tables of learned vectors (PyTorch's signatures, init, state_dict keys and
reprs)."""
from ... import creation
from ...autograd.grad_mode import no_grad
from ...ops.embedding import padding_index
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Embedding", "EmbeddingBag"]


def _make_weight(module, num_embeddings, embedding_dim, _weight, _freeze, device, dtype):
    """The (num_embeddings, embedding_dim) weight: `_weight` when given (its shape checked), else N(0, 1) with the
    padding row zeroed."""
    if _weight is None:
        module.weight = Parameter(creation.empty(num_embeddings, embedding_dim, device=device, dtype=dtype),
                                  requires_grad=not _freeze)
        module.reset_parameters()
    else:
        if list(_weight.shape) != [num_embeddings, embedding_dim]:
            raise AssertionError("Shape of weight does not match num_embeddings and embedding_dim")
        module.weight = Parameter(_weight, requires_grad=not _freeze)


def _extra_repr(module):
    s = f"{module.num_embeddings}, {module.embedding_dim}"
    if module.max_norm is not None:
        s += f", max_norm={module.max_norm}"
    if module.norm_type != 2:
        s += f", norm_type={module.norm_type}"
    if module.scale_grad_by_freq is not False:
        s += f", scale_grad_by_freq={module.scale_grad_by_freq}"
    return s


class Embedding(Module):
    """A lookup table: row i of `weight` (num_embeddings, embedding_dim) is the vector of index i.

    Args:
        num_embeddings: size of the table; embedding_dim: size of each vector;
        padding_idx: a row (negative: from the end) kept at zero that gets no gradient;
        max_norm: rows looked up are first rescaled in place to this norm at most (norm_type: its p);
        scale_grad_by_freq: divide each row's gradient by how often its index occurs in the batch;
        sparse: weight's gradient a sparse COO tensor (one entry per lookup; for optim.SparseAdam, SGD, Adagrad).
    Shape: input (*) of int64/int32 indices -> output (*, embedding_dim).
    Init: weight ~ N(0, 1), the padding_idx row zero.

    Example::

        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb(torch.tensor([[1, 2, 0]])).shape
        autograd_lite.Size([1, 3, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_index(padding_idx, num_embeddings)
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.sparse = sparse
        _make_weight(self, num_embeddings, embedding_dim, _weight, _freeze, device, dtype)

    def reset_parameters(self):
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s + _extra_repr(self)[len(f"{self.num_embeddings}, {self.embedding_dim}"):]

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is `embeddings` (2-D, used as it is: the padding row is not zeroed), frozen
        (no gradient) unless freeze=False. Example: ``nn.Embedding.from_pretrained(vectors, freeze=False)``."""
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(rows, cols, _weight=embeddings, _freeze=freeze, padding_idx=padding_idx, max_norm=max_norm,
                   norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embeddings, without the per-index intermediate: F.embedding_bag.

    Args: as Embedding, plus mode ('sum', 'mean' or 'max') and include_last_offset.
    Shape: input (B, N) (B bags of N indices) or 1-D with `offsets` (the start of each bag) -> (B, embedding_dim).

    Example::

        >>> bag = nn.EmbeddingBag(10, 3, mode="sum")
        >>> bag(torch.tensor([1, 2, 4, 5]), torch.tensor([0, 2])).shape
        autograd_lite.Size([2, 3])
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                 mode="mean", sparse=False, _weight=None, include_last_offset=False, padding_idx=None,
                 device=None, dtype=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type, self.scale_grad_by_freq = max_norm, norm_type, scale_grad_by_freq
        self.padding_idx = padding_index(padding_idx, num_embeddings)
        self.mode, self.sparse, self.include_last_offset = mode, sparse, include_last_offset
        _make_weight(self, num_embeddings, embedding_dim, _weight, False, device, dtype)

    reset_parameters = Embedding.reset_parameters
    _fill_padding_idx_with_zero = Embedding._fill_padding_idx_with_zero

    def forward(self, input, offsets=None, per_sample_weights=None):
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, self.sparse, per_sample_weights, self.include_last_offset,
                               self.padding_idx)

    def extra_repr(self):
        s = _extra_repr(self) + f", mode='{self.mode}'"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                        mode="mean", sparse=False, include_last_offset=False, padding_idx=None):
        """An EmbeddingBag whose weight is `embeddings` (2-D), frozen unless freeze=False."""
        if embeddings.ndim != 2:
            raise AssertionError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        bag = cls(rows, cols, _weight=embeddings, max_norm=max_norm, norm_type=norm_type,
                  scale_grad_by_freq=scale_grad_by_freq, mode=mode, sparse=sparse,
                  include_last_offset=include_last_offset, padding_idx=padding_idx)
        bag.weight.requires_grad = not freeze
        return bag
