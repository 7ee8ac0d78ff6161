"""The CPU kernel table: raw float32/float64 NumPy arrays in, new arrays of the same dtype out.

Looked up by name (kernels.cpu.relu_forward, ...). Each public kernel dispatches to a numba kernel
or to NumPy (SIMD ufuncs, BLAS) by size, as benchmarks/bench_kernels.py measured; PATHS names every
path of every kernel, for tests and benchmarks.
"""
from . import activations, linear, matmul as _matmul_module, softmax
from .activations import relu_backward, relu_forward, sigmoid_backward, sigmoid_forward, tanh_backward, tanh_forward
from .linear import bias_add, bias_grad, linear_forward
from .matmul import matmul, matmul_blocked
from .softmax import log_softmax_backward, log_softmax_forward, softmax_backward, softmax_forward

PATHS = {**activations.PATHS, **softmax.PATHS, **linear.PATHS, **_matmul_module.PATHS}

__all__ = ["matmul", "matmul_blocked", "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward",
           "tanh_forward", "tanh_backward", "softmax_forward", "softmax_backward", "log_softmax_forward",
           "log_softmax_backward", "bias_add", "bias_grad", "linear_forward"]
