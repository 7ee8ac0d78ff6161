"""``torch.mps``: Apple's Metal device, which autograd_lite does not have; every call answers as torch's CPU build
(is_available() False, device_count() 0, the others raising its error). torch.backends.mps says the same.

Example: ``if torch.mps.is_available(): ...``"""
from ._absent_device import install


def _no(what):
    return ("raise", RuntimeError, f"Cannot execute {what}() without MPS backend.")


__all__ = install(globals(), {
    "is_available": ("return", False), "device_count": ("return", 0), "manual_seed": ("return", None),
    "seed": _no("getDefaultGenerator"), "get_rng_state": _no("getDefaultGenerator"),
    "set_rng_state": _no("getDefaultGenerator"), "synchronize": _no("deviceSynchronize"),
    "empty_cache": _no("emptyCache"), "set_per_process_memory_fraction": _no("setMemoryFraction"),
    "current_allocated_memory": _no("getCurrentAllocatedMemory"),
    "driver_allocated_memory": _no("getDriverAllocatedMemory"),
    "recommended_max_memory": _no("getRecommendedMaxMemory"),
})
