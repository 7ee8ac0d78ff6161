"""``torch.nn.attention``: ``sdpa_kernel`` (a context manager and decorator) and the ``SDPBackend`` enum.

Which backends may run is recorded (``torch.backends.cuda.flash_sdp_enabled()`` and the like report it), and nothing
else changes: autograd_lite has one scaled_dot_product_attention implementation (the math one, on every device),
so its results are the same whatever backends are chosen.

Example::

    >>> from autograd_lite.nn.attention import SDPBackend, sdpa_kernel
    >>> with sdpa_kernel([SDPBackend.MATH, SDPBackend.EFFICIENT_ATTENTION]):
    ...     out = autograd_lite.nn.functional.scaled_dot_product_attention(q, k, v)
"""
import enum

from ...backends import cuda as _cuda

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]

WARN_FOR_UNFUSED_KERNELS = False       # torch's switch for warnings from its fused kernels (none here)


class SDPBackend(enum.IntEnum):
    """The backends of scaled_dot_product_attention, as torch's (all run the one math implementation here).

    Example: ``sdpa_kernel(SDPBackend.FLASH_ATTENTION)``"""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __str__(self):
        return f"SDPBackend.{self.name}"


# torch's _backend_names: the switch of backends/cuda.py -> the member
_BACKEND_NAMES = {"cudnn": SDPBackend.CUDNN_ATTENTION, "flash": SDPBackend.FLASH_ATTENTION,
                  "mem_efficient": SDPBackend.EFFICIENT_ATTENTION, "math": SDPBackend.MATH,
                  "overrideable": SDPBackend.OVERRIDEABLE}
_priority = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH,
             SDPBackend.CUDNN_ATTENTION, SDPBackend.OVERRIDEABLE]     # recorded by set_priority=True


def _cur_sdpa_kernel_backends(with_priority=False):
    """The backends enabled now (in priority order with `with_priority`)."""
    found = [member for flag, member in _BACKEND_NAMES.items() if _cuda.SDP_FLAGS[flag]]
    return sorted(found, key=_priority.index) if with_priority else found


class sdpa_kernel:
    """Selects the backends scaled_dot_product_attention may use, for a ``with`` block or a decorated function;
    the previous selection comes back after. backends: a SDPBackend or a list of them; set_priority: their order
    is also their priority. Recorded only: one math implementation runs here whatever is chosen.

    Example::

        >>> with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        ...     out = F.scaled_dot_product_attention(q, k, v)
    """

    def __init__(self, backends, set_priority=False):
        if not isinstance(backends, (list, SDPBackend)):
            raise AssertionError(f"Backend must be an instance of SDPBackend or a list of SDPBackend instances, got "
                                 f"{type(backends).__name__}")
        self.backends = list(dict.fromkeys([backends] if isinstance(backends, SDPBackend) else backends))
        self.set_priority = set_priority
        self._saved = []

    def __enter__(self):
        self._saved.append((dict(_cuda.SDP_FLAGS), list(_priority)))
        for flag, member in _BACKEND_NAMES.items():
            _cuda.SDP_FLAGS[flag] = member in self.backends
        if self.set_priority:
            _priority[:] = self.backends + [b for b in _priority if b not in self.backends]
        return {}

    def __exit__(self, *exc):
        flags, priority = self._saved.pop()
        _cuda.SDP_FLAGS.update(flags)
        _priority[:] = priority
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with sdpa_kernel(self.backends, self.set_priority):
                return fn(*args, **kwargs)
        return wrapped
