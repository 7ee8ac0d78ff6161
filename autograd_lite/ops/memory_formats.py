"""What a tensor says of its layout and memory format: ``is_contiguous(memory_format=)``, ``layout``, and the
layout flags of torch's other backends (``is_sparse``, ``is_quantized``, ``is_meta``, ...: all False here)."""
from .. import _api
from .. import _memory_format as _mf

declare = _api.declare


@declare(top=False)
def is_contiguous(input, memory_format=_mf.contiguous_format):
    """Whether the elements lie densely in memory in `memory_format`'s order (row-major by default; NHWC for
    ``channels_last``). Example: ``x.contiguous(memory_format=autograd_lite.channels_last).is_contiguous()`` is
    False for a (2, 3, 4, 5) x."""
    return _mf.is_in_format(input._data, memory_format)


_api.attach_property("layout", lambda self: _mf.strided, "The tensor's layout: always ``autograd_lite.strided``.")

_FLAGS = ("is_sparse", "is_sparse_csr", "is_quantized", "is_meta", "is_mkldnn", "is_nested", "is_mps", "is_xpu",
          "is_vulkan", "is_ipu", "is_xla", "is_maia", "is_mtia")     # torch's other layouts and backends: never here
for _flag in _FLAGS:
    _api.attach_property(_flag, lambda self: False, f"``{_flag}``: always False (dense tensors on CPU or CUDA).")
