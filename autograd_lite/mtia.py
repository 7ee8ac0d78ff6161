"""``torch.mtia``: Meta's accelerator, which autograd_lite does not have; every call answers as torch's CPU build
(is_available() False, device_count() 0, memory counters 0, the device queries raising its error).

Example: ``if torch.mtia.is_available(): ...``"""
from ._absent_device import install


def _no(what):
    return ("raise", RuntimeError, f"Cannot execute {what}() without MTIA backend.")


_NOT_COMPILED = ("raise", AssertionError, "Torch not compiled with MTIA enabled. Ensure you have `import "
                 "mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and include "
                 "`//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!")

__all__ = install(globals(), {
    "is_available": ("return", False), "device_count": ("return", 0), "is_initialized": ("return", False),
    "is_bf16_supported": ("return", True), "memory_stats": ("return", {}), "memory_allocated": ("return", 0),
    "max_memory_allocated": ("return", 0), "reset_peak_memory_stats": ("return", None),
    "record_memory_history": ("return", None), "get_rng_state_all": ("return", []), "manual_seed": ("return", None),
    "manual_seed_all": ("return", None), "seed": ("return", None), "seed_all": ("return", None),
    "init": _NOT_COMPILED, "get_rng_state": _NOT_COMPILED, "initial_seed": _NOT_COMPILED,
    "synchronize": _no("getCurrentDevice"), "current_device": _no("getCurrentDevice"),
    "current_stream": _no("getCurrentDevice"), "default_stream": _no("getCurrentDevice"),
    "get_device_capability": _no("getCurrentDevice"), "get_device_properties": _no("getCurrentDevice"),
    "set_rng_state": _no("getCurrentDevice"), "set_device": _no("setCurrentDevice"), "snapshot": _no("memorySnapshot"),
    "empty_cache": _no("emptyCache"),
})
