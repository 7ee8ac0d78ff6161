"""The ops. Each module declares its ops once: a Function (forward on arrays, backward as a formula that also
runs on Tensors for higher-order gradients) and the function users call, with where it appears (_api.declare
attaches Tensor methods, operators and in-place methods, and lists the top-level and nn.functional names).
Importing this package attaches them all; `autograd_lite.ops.X` is any op by its name."""
from .. import _api
from . import math, arithmetic, activation, shape, indexing, reduction, linalg, nn, loss, convert, misc  # noqa: F401
from . import sorting  # noqa: F401
from . import conv, pooling, normalization, resize, attention  # noqa: F401
from . import conv3d, pooling3d  # noqa: F401
from . import embedding  # noqa: F401
from . import sampling, types, decompositions  # noqa: F401
from . import distance, margin_loss  # noqa: F401
from . import special, joining, products, scans, statistics, searching  # noqa: F401
from . import writes, elementwise  # noqa: F401
from . import grid_sampling, ctc  # noqa: F401
from . import special_functions  # noqa: F401
from . import utility  # noqa: F401  (combinations, broadcast_shapes, gradient, histogram, typename)
from . import linalg_solvers, matrix_functions  # noqa: F401
from . import complex_numbers, fft, spectral  # noqa: F401  (after the ops complex_numbers opens to complex input)
from . import torch_aliases  # noqa: F401  (torch.X_ in-place functions, ATen signatures: torch.dropout(x, p, train))
from . import strided, view_copies  # noqa: F401  (as_strided, as_strided_scatter, the X_copy functions)
from . import memory_formats  # noqa: F401  (is_contiguous(memory_format=), layout, is_sparse and kin)
from . import lowrank, control_flow  # noqa: F401  (svd_lowrank, pca_lowrank; cond, while_loop)
from . import tensor_methods  # noqa: F401  (apply_, map_, set_, nonzero_static, unsafe_split, dim_order, ...)
from . import fractional_pooling, linear_cross_entropy  # noqa: F401  (fractional_max_pool2d / 3d, ...)
from . import rnn  # noqa: F401  (torch.lstm / gru / rnn_tanh / rnn_relu: the whole-sequence functions)
from ._util import as_tensor, cast  # noqa: F401

globals().update(_api.FUNCTIONAL)
globals().update(_api.TOP)

_NAMESPACES = {}    # torch.ops.<ns>: the operator namespaces autograd_lite.library registers (custom_op, Library)


def __getattr__(name):      # only names not found above: a registered namespace, as torch.ops.<ns>
    try:
        return _NAMESPACES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
