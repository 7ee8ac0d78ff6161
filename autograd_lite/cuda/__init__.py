"""``autograd_lite.cuda``: whether a GPU is usable, and the CUDA backend on CuPy (an optional extra).

``import autograd_lite`` never imports CuPy: the first call that needs the GPU (``is_available()``, a
``device='cuda'``, ``.cuda()``, ``.to('cuda')``) probes it once. ``is_available()`` is False, without raising,
when CuPy is not installed, when no driver or GPU is found, or when a first tiny kernel fails to compile or
run; ``unavailable_reason()`` says which, and the error of a later ``.to('cuda')`` quotes it.

Example::

    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    model.to(device)
"""
import os

from .. import backend as _backend

__all__ = ["is_available", "unavailable_reason", "device_count", "current_device", "set_device", "synchronize",
           "get_device_name", "manual_seed", "manual_seed_all", "seed", "seed_all", "is_initialized"]

_probe = None          # None: not probed yet; else (ok, reason)


class CudaBackend(_backend.Backend):
    """The CUDA device type on CuPy: cupy is its array module, kernels.cuda its kernel table."""

    def from_host(self, array, index=None):
        cp = self.xp
        if index is None:
            return cp.asarray(array)
        if not 0 <= index < cp.cuda.runtime.getDeviceCount():
            raise RuntimeError(f"CUDA error: invalid device ordinal: cuda:{index} "
                               f"({cp.cuda.runtime.getDeviceCount()} device(s) available)")
        with cp.cuda.Device(index):
            return cp.asarray(array)

    def device_of(self, array):
        return _backend.device("cuda", array.device.id)

    def on(self, index=None):
        return self.xp.cuda.Device(index) if index is not None else super().on()


def _first_kernel(cp):
    """Compiles and runs one tiny kernel: a GPU that cannot run ours is not available."""
    k = cp.ElementwiseKernel("T x", "T y", "y = x * (T)2 + (T)1", "autograd_lite_probe")
    got = k(cp.arange(4, dtype=cp.float32)).get().tolist()
    if got != [1.0, 3.0, 5.0, 7.0]:
        raise RuntimeError(f"the probe kernel computed {got}, expected [1.0, 3.0, 5.0, 7.0]")


def _run_probe():
    if os.environ.get("AUTOGRAD_LITE_DISABLE_CUDA"):
        return False, "the CUDA backend is disabled by AUTOGRAD_LITE_DISABLE_CUDA"
    try:
        import cupy as cp
    except Exception as e:        # ImportError, or a CuPy built for another CUDA raising at import
        return False, (f"CuPy is not installed or failed to import ({type(e).__name__}: {e}); install the extra "
                       "that matches your CUDA: pip install 'autograd_lite[cuda12]' or 'autograd_lite[cuda13]'")
    try:
        n = cp.cuda.runtime.getDeviceCount()
    except Exception as e:
        return False, f"CuPy found no usable CUDA driver or GPU ({type(e).__name__}: {e})"
    if n < 1:
        return False, "CuPy found no CUDA GPU (device count 0)"
    try:
        _first_kernel(cp)
    except Exception as e:
        return False, f"a first CUDA kernel failed to compile or run ({type(e).__name__}: {e})"
    _backend.register(CudaBackend("cuda", cp, "autograd_lite.kernels.cuda.table"), cp.ndarray)
    return True, None


def is_available():
    """True when CuPy, a driver and a GPU are present and a first kernel compiled and ran (probed once)."""
    global _probe
    if _probe is None:
        _probe = _run_probe()
    return _probe[0]


def unavailable_reason():
    """Why ``is_available()`` is False (None when it is True)."""
    is_available()
    return _probe[1]


def _cupy():
    if not is_available():
        raise RuntimeError(f"CUDA is not available: {unavailable_reason()}")
    import cupy
    return cupy


def is_initialized():
    return _probe is not None and _probe[0]


def device_count():
    """The number of GPUs (0 when CUDA is not available)."""
    return _cupy().cuda.runtime.getDeviceCount() if is_available() else 0


def current_device():
    return _cupy().cuda.Device().id


def set_device(device):
    """Makes `device` (an index, 'cuda:N' or a device) the current GPU."""
    index = device if isinstance(device, int) else (_backend.device(device).index or 0)
    _cupy().cuda.Device(index).use()


def get_device_name(device=None):
    cp = _cupy()
    index = current_device() if device is None else \
        device if isinstance(device, int) else (_backend.device(device).index or 0)
    name = cp.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else name


def synchronize(device=None):
    """Waits for every kernel queued on the GPU (the current one, or `device`)."""
    cp = _cupy()
    if device is None:
        cp.cuda.Device().synchronize()
    else:
        set_index = device if isinstance(device, int) else (_backend.device(device).index or 0)
        cp.cuda.Device(set_index).synchronize()


def manual_seed(seed):
    """Seeds the random draws of CUDA tensors. They come from the library's one global generator (drawn on the
    host, or as keys of the GPU's counter-based stream for dropout), so this is ``autograd_lite.manual_seed``:
    a seed gives the same numbers on every device."""
    from .. import random
    random.manual_seed(seed)


manual_seed_all = manual_seed


def seed():
    """Seeds the global generator from fresh entropy."""
    from .. import random
    import secrets
    random.manual_seed(secrets.randbits(63))


seed_all = seed
