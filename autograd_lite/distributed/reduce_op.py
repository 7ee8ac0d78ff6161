"""ReduceOp: how a collective combines the ranks' values (``dist.ReduceOp.SUM``, ...)."""
import enum

__all__ = ["ReduceOp"]


class ReduceOp:
    """The reductions of ``all_reduce``, ``reduce`` and ``reduce_scatter``.

    Example: ``dist.all_reduce(t, op=dist.ReduceOp.MAX)``"""

    class RedOpType(enum.Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR


def check_op(op):
    """`op` as a RedOpType (also given as ReduceOp's name: PyTorch's legacy ``reduce_op``)."""
    if isinstance(op, ReduceOp.RedOpType):
        return op
    raise ValueError(f"Invalid ReduceOp: {op!r}; expected one of dist.ReduceOp.SUM, AVG, PRODUCT, MIN, MAX, "
                     "BAND, BOR, BXOR")
