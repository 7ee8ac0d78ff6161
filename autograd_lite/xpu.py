"""``torch.xpu``: Intel's GPU device, which autograd_lite does not have; every call answers as torch's CPU build
(is_available() False, device_count() 0, memory counters 0, the device queries raising its AssertionError).

Example: ``if torch.xpu.is_available(): ...``"""
from ._absent_device import install

_NO = ("raise", AssertionError, "Torch not compiled with XPU enabled")

__all__ = install(globals(), {
    "is_available": ("return", False), "device_count": ("return", 0), "is_initialized": ("return", False),
    "is_bf16_supported": ("return", False), "is_tf32_supported": ("return", False), "get_arch_list": ("return", []),
    "get_gencode_flags": ("return", ""), "get_rng_state_all": ("return", []), "empty_cache": ("return", None),
    "manual_seed": ("return", None), "manual_seed_all": ("return", None), "seed": ("return", None),
    "seed_all": ("return", None), "set_rng_state": ("return", None), "set_rng_state_all": ("return", None),
    "memory_allocated": ("return", 0), "max_memory_allocated": ("return", 0), "memory_reserved": ("return", 0),
    "max_memory_reserved": ("return", 0), "memory_stats": ("return", {}), "memory_snapshot": ("return", []),
    "init": _NO, "current_device": _NO, "set_device": _NO, "current_stream": _NO, "synchronize": _NO,
    "get_device_name": _NO, "get_device_capability": _NO, "get_device_properties": _NO, "get_rng_state": _NO,
    "initial_seed": _NO, "mem_get_info": _NO, "get_per_process_memory_fraction": _NO,
})
