"""``torch.backends.cuda`` as scripts touch it: the scaled-dot-product-attention switches (``enable_flash_sdp``,
``flash_sdp_enabled``, ... and the deprecated ``sdp_kernel``), ``matmul.allow_tf32`` and ``is_built``.

The switches are recorded, not used: autograd_lite has one attention implementation (the math one, on every device),
so every choice of backends runs it.

Example::

    >>> import autograd_lite as torch
    >>> torch.backends.cuda.enable_flash_sdp(False)
    >>> torch.backends.cuda.flash_sdp_enabled()
    False
"""
import contextlib
import importlib.util
import types
import warnings

# torch's _backend_names: flag name -> SDPBackend member name (nn.attention reads and writes these)
SDP_FLAGS = {"cudnn": True, "flash": True, "mem_efficient": True, "math": True, "overrideable": False}
_fp16_bf16_reduction_math = [False]

matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                               allow_bf16_reduced_precision_reduction=True)   # cuBLAS flags: recorded, unused


def is_built():
    """Whether this build can use CUDA: True when CuPy is installed. Example: ``torch.backends.cuda.is_built()``"""
    return importlib.util.find_spec("cupy") is not None


def _switch(name, what):
    def enable(enabled):
        SDP_FLAGS[name] = bool(enabled)

    def is_enabled():
        return SDP_FLAGS[name]
    enable.__doc__ = f"Records whether the {what} backend of scaled_dot_product_attention may run (one math " \
                     f"implementation runs here whatever is chosen). Example: ``enable_{name}_sdp(False)``"
    is_enabled.__doc__ = f"Whether the {what} backend of scaled_dot_product_attention is enabled (a recorded " \
                         f"switch). Example: ``{name}_sdp_enabled()``"
    enable.__name__, is_enabled.__name__ = f"enable_{name}_sdp", f"{name}_sdp_enabled"
    return enable, is_enabled


enable_flash_sdp, flash_sdp_enabled = _switch("flash", "flash attention")
enable_mem_efficient_sdp, mem_efficient_sdp_enabled = _switch("mem_efficient", "memory-efficient")
enable_math_sdp, math_sdp_enabled = _switch("math", "math")
enable_cudnn_sdp, cudnn_sdp_enabled = _switch("cudnn", "cuDNN")


def allow_fp16_bf16_reduction_math_sdp(enabled):
    """Records whether the math attention backend may reduce in fp16/bf16. Example: ``..._math_sdp(True)``"""
    _fp16_bf16_reduction_math[0] = bool(enabled)


def fp16_bf16_reduction_math_sdp_allowed():
    """The switch ``allow_fp16_bf16_reduction_math_sdp`` set (False by default)."""
    return _fp16_bf16_reduction_math[0]


def is_ck_sdpa_available():
    """False: no ROCm composable-kernel attention here."""
    return False


def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True, enable_cudnn=True):
    """Deprecated (FutureWarning, as torch's): ``torch.nn.attention.sdpa_kernel`` with the backends enabled here.

    Example: ``with torch.backends.cuda.sdp_kernel(enable_flash=False): ...``"""
    warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context manager will be "
                  "removed. Please see `torch.nn.attention.sdpa_kernel()` for the new context manager, with updated "
                  "signature.", FutureWarning, stacklevel=2)
    return _flags_set(flash=bool(enable_flash), math=bool(enable_math), mem_efficient=bool(enable_mem_efficient),
                      cudnn=bool(enable_cudnn), overrideable=False)


@contextlib.contextmanager
def _flags_set(**flags):
    """Sets the sdp switches for a block (also a decorator), restoring them after."""
    previous = dict(SDP_FLAGS)
    SDP_FLAGS.update(flags)
    try:
        yield {}
    finally:
        SDP_FLAGS.update(previous)
