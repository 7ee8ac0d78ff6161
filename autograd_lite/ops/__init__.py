"""The ops: each module holds Function subclasses (forward/backward on raw arrays) and the
lowercase wrappers that Tensor methods and the top-level functions call."""
from ._util import as_tensor, cast
from .elementwise import (add, sub, mul, div, pow, maximum, minimum, neg, abs, exp, log, sqrt,
                          sin, cos, tanh, sigmoid, relu, clamp, eq, ne, lt, le, gt, ge)
from .indexing import index, index_put, gather, where, masked_fill, copy_slices, copy_into
from .linalg import matmul, mm, bmm, dot, outer, mv
from .misc import (to_device, remainder, logical_not, logical_and, logical_or, logical_xor,
                   allclose, isclose, split, chunk, unbind, nonzero, equal)
from .activation import leaky_relu, elu, dropout
from .nn import softmax, log_softmax, linear
from .loss import (nll_loss, cross_entropy, mse_loss, l1_loss, binary_cross_entropy,
                   binary_cross_entropy_with_logits)
from .reduction import (sum, mean, prod, var, std, logsumexp, max, min, argmax, argmin, topk,
                        all, any)
from .shape import (reshape, view, flatten, squeeze, unsqueeze, expand, permute, transpose, t,
                    cat, stack, contiguous, clone, repeat, tile, repeat_interleave, meshgrid)

clip = clamp
ger = outer
