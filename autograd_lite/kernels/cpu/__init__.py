"""The CPU kernel table: raw float32/float64 NumPy arrays in, new arrays of the same dtype out.

Looked up by name (kernels.cpu.relu_forward, ...). Each public kernel dispatches to a numba kernel
or to NumPy (SIMD ufuncs, BLAS) by size, as benchmarks/bench_kernels.py measured; PATHS names every
path of every kernel, for tests and benchmarks.
"""
from . import activations, linear, matmul as _matmul_module, softmax
from .activations import relu_backward, relu_forward, sigmoid_backward, sigmoid_forward, tanh_backward, tanh_forward
from .bits import random_words
from .dropout import PATHS as _DROPOUT_PATHS, dropout_backward, dropout_forward
from .linear import activation_bias_backward, bias_add, bias_grad, linear_forward
from .matmul import matmul, matmul_blocked
from .loss import (PATHS as _LOSS_PATHS, cross_entropy_backward, cross_entropy_forward, nll_loss_backward,
                   nll_loss_forward)
from .scatter import add_along, add_flat, add_index, rows_add
from .rnn import (gru_cell_backward, gru_cell_forward, gru_sequence_backward, gru_sequence_forward, lstm_cell_backward,
                  lstm_cell_forward, lstm_sequence_backward, lstm_sequence_forward)
from .optim import (PATHS as _OPTIM_PATHS, adagrad_update, adam_prepare, adam_update, adam_update_many,
                    adam_update_prepared, rmsprop_update, sgd_update, sgd_update_many)
from .softmax import log_softmax_backward, log_softmax_forward, softmax_backward, softmax_forward
from .special import erf_forward, erfinv_forward

PATHS = {**activations.PATHS, **softmax.PATHS, **linear.PATHS, **_matmul_module.PATHS}

__all__ = ["matmul", "matmul_blocked", "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward",
           "tanh_forward", "tanh_backward", "softmax_forward", "softmax_backward", "log_softmax_forward",
           "log_softmax_backward", "bias_add", "bias_grad", "linear_forward", "activation_bias_backward"]

PATHS.update(_OPTIM_PATHS)
__all__ += ["sgd_update", "adam_update", "rmsprop_update", "adagrad_update", "sgd_update_many", "adam_update_many",
            "adam_prepare", "adam_update_prepared"]

PATHS.update({**_LOSS_PATHS, **_DROPOUT_PATHS})
__all__ += ["cross_entropy_forward", "cross_entropy_backward", "nll_loss_forward", "nll_loss_backward",
            "dropout_forward", "dropout_backward", "random_words"]
__all__ += ["erf_forward", "erfinv_forward"]
__all__ += ["lstm_cell_forward", "lstm_cell_backward", "gru_cell_forward", "gru_cell_backward",   # ops/rnn.py
            "lstm_sequence_forward", "gru_sequence_forward", "lstm_sequence_backward", "gru_sequence_backward"]
__all__ += ["rows_add"]                                                                           # ops/embedding.py
__all__ += ["add_index", "add_along", "add_flat"]                                                 # ops/_scatter_add.py

# the convolutional-network kernels: each module lists its names in __all__
from . import (conv as _conv, normalization as _normalization, pooling as _pooling, resize as _resize,
               winograd as _winograd)
from .conv import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .resize import *  # noqa: F401,F403
from .winograd import *  # noqa: F401,F403
for _m in (_conv, _pooling, _normalization, _resize, _winograd):
    PATHS.update(_m.PATHS)
    __all__ += _m.__all__

from .grid_sample import grid_sample2d_backward, grid_sample2d_forward, grid_sample2d_pairs  # noqa: E402
__all__ += ["grid_sample2d_pairs", "grid_sample2d_forward", "grid_sample2d_backward"]        # ops/grid_sampling.py
from .ctc import ctc_loss_backward, ctc_loss_forward  # noqa: E402
__all__ += ["ctc_loss_forward", "ctc_loss_backward"]                                           # ops/ctc.py
from .special_functions import special_binary, special_unary  # noqa: E402
__all__ += ["special_unary", "special_binary"]                                                 # ops/special_functions.py
from .linalg import lu_factor, lu_permutation, tri_solve  # noqa: E402
__all__ += ["tri_solve", "lu_factor", "lu_permutation"]                                                    # ops/_triangular.py
from .fractional_pooling import fractional_max_pool_forward  # noqa: E402
__all__ += ["fractional_max_pool_forward"]                                     # ops/fractional_pooling.py
from .sparse import coalesce_sum, spmm  # noqa: E402
__all__ += ["coalesce_sum", "spmm"]                                                            # autograd_lite/sparse
