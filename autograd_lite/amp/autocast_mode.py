"""``autocast``: mixed precision as ``torch.autocast``. Inside a region, the ops that gain from lower precision
(products, convolutions, recurrent layers) run in the region's dtype (bfloat16 or float16), the ops that need range or precision
(exp, log, pow, softmax, sums, norms, the losses) in float32, and ops taking several floating inputs (cat, atan2)
in the widest of them. PyTorch's lists (autocast_mode.cpp) are the policy; it is applied where every op passes,
Function.apply, so fused paths (nn.Sequential's linear chains, conv + ReLU) follow it too.

float64 tensors are never cast, as in PyTorch. Leaf tensors that require grad (parameters) are cast once per
outermost region and reused (``cache_enabled``).

The CPU's default is bfloat16, as PyTorch's, when ml_dtypes (NumPy's bfloat16) is installed, else float16; CUDA's
is float16 (CuPy has no bfloat16). A lower-precision op gives values computed from inputs rounded to the region's
dtype with float32 accumulation, as PyTorch's; the kernels compute them in float32 (there are no float16 or
bfloat16 kernels), so autocast changes values and dtypes as PyTorch's does, not speed.
"""
import functools
import importlib.util
import threading
import warnings

import numpy as np

from .. import _dtype
from ..autograd import autocast_state as _state_module
from ..autograd.op_function import Function
from ..ops._util import cast
from ..tensor import Tensor

__all__ = ["autocast", "custom_fwd", "custom_bwd", "is_autocast_available"]

_DEVICES = ("cpu", "cuda")
# bfloat16 needs ml_dtypes, imported only when a region first casts to it (its import takes about a second)
_HAS_BFLOAT16 = importlib.util.find_spec("ml_dtypes") is not None
_SUPPORTED = {"cpu": (_dtype.bfloat16, _dtype.float16) if _HAS_BFLOAT16 else (_dtype.float16,),
              "cuda": (_dtype.float16,)}
_DEFAULT = {"cpu": _dtype.bfloat16 if _HAS_BFLOAT16 else _dtype.float16, "cuda": _dtype.float16}
_lock = threading.Lock()

# The declared ops' policies are autograd.autocast_state.POLICY (by op name, applied where they are declared). These
# Function classes are what nn's fused paths run without a declared op (nn.Sequential's linear chains, Conv2d + ReLU
# (+ MaxPool2d), the recurrent layers): Function.apply applies their policy.
CLASS_POLICY = {
    "lower": {
        "autograd_lite.ops.nn": ("Linear", "LinearChain"),
        "autograd_lite.ops.conv": ("Conv", "ConvTranspose", "ConvReluMaxPool"),
        "autograd_lite.ops.rnn": ("Recurrence",),
    },
}

_BANNED_MESSAGE = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using torch.nn.functional.binary_cross_entropy_with_logits\n"
    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
    "safe to autocast.")


def _function_classes():
    seen, todo = {}, [Function]
    while todo:
        for sub in todo.pop().__subclasses__():
            if (sub.__module__, sub.__qualname__) not in seen:
                seen[sub.__module__, sub.__qualname__] = sub
                todo.append(sub)
    return seen


def install_policy():
    """Tags each Function class of CLASS_POLICY with its policy; returns the (module, name) entries not found."""
    classes, missing = _function_classes(), []
    for policy, table in CLASS_POLICY.items():
        for module, names in table.items():
            for name in names:
                cls = classes.get((module, name))
                if cls is None:
                    missing.append((module, name))
                else:
                    cls.autocast = {"cpu": policy, "cuda": policy}
    return missing


def _map(fn, value):
    """fn applied to each tensor of value (lists and tuples looked into: cat's and stack's argument)."""
    if isinstance(value, Tensor):
        return fn(value)
    if type(value) in (list, tuple) and any(isinstance(v, (Tensor, list, tuple)) for v in value):
        return type(value)(_map(fn, v) for v in value)
    return value


def _tensors(value):
    if isinstance(value, Tensor):
        yield value
    elif type(value) in (list, tuple):
        for v in value:
            yield from _tensors(v)


def _eligible(a):
    """A floating tensor autocast may cast: float64 never is, as in PyTorch."""
    return a._data.dtype.kind in "fV" and a._data.dtype != np.float64      # "V": bfloat16


def _cast_leaf(a, convert, st):
    """convert(a), once per outermost region for a leaf that requires grad (a parameter) when caching is on."""
    if st.cache_enabled and a.grad_fn is None and a.requires_grad and a._base is None:
        hit = st.cache.get(id(a))
        if hit is not None and hit[0] is a:
            return hit[1]
        out = convert(a)
        st.cache[id(a)] = (a, out)
        return out
    return convert(a)


def _prepare(policy, dev, args, kwargs, st):
    """(args, kwargs, the dtype to cast floating outputs to or None) for running an op of `policy` on `dev`, or None
    when autocast leaves it alone. Lower precision: eligible tensors rounded to the region's dtype and widened
    back, the op in float32, its floating outputs cast to the region's dtype: a float16 op accumulating in float32
    (the kernels compute float16 in float32 on both devices)."""
    if policy == "banned":
        if dev == "cuda":
            raise RuntimeError(_BANNED_MESSAGE)
        policy = "fp32"
    out_dtype = None
    if policy == "lower":
        f32, out_dtype = _dtype.float32, st.dtype.get(dev, _DEFAULT[dev])

        def rounded(u):
            return cast(cast(u, out_dtype), f32) if u._data.dtype != out_dtype.np else cast(u, f32)

        def convert(t):
            return _cast_leaf(t, rounded, st) if _eligible(t) else t
    elif policy == "fp32":
        def convert(t):
            return cast(t, _dtype.float32) if _eligible(t) and t._data.dtype.itemsize < 4 else t
    else:
        floats = {_dtype.from_numpy_dtype(t._data.dtype) for t in _tensors((args, kwargs)) if t._data.dtype.kind in "fV"}
        if len(floats) < 2:
            return None
        widest = functools.reduce(_dtype.promote_types, floats)     # bfloat16 with float16: float32

        def convert(t):
            return cast(t, widest) if t._data.dtype.kind in "fV" else t
    new_args = _map(convert, args)
    new_kwargs = {k: _map(convert, v) for k, v in kwargs.items()} if kwargs else kwargs
    return new_args, new_kwargs, out_dtype


def _device_type(args, kwargs):
    for t in _tensors((args, tuple(kwargs.values()) if kwargs else ())):
        return t.device.type
    return None


def _run(call, policies, args, kwargs):
    st = _state_module.state
    dev = _device_type(args, kwargs)
    policy = policies.get(dev) if dev is not None and st.enabled.get(dev) else None
    if policy is None:
        return None
    prepared = _prepare(policy, dev, args, kwargs, st)
    if prepared is None:
        return None
    new_args, new_kwargs, out_dtype = prepared
    st.enabled[dev] = False         # the op runs once as it is: its inner ops are not autocast again
    try:
        out = call(*new_args, **new_kwargs)
    finally:
        st.enabled[dev] = True
    if out_dtype is not None:
        out = _map(lambda t: cast(t, out_dtype) if t._data.dtype.kind in "fV" and t._data.dtype != np.float64
                   else t, out)
    return out


def run(cls, args, kwargs):
    """Function.apply's hook for the classes CLASS_POLICY tags: cls.apply as autocast runs it, or None."""
    return _run(cls.apply, cls.autocast, args, kwargs)


def run_function(fn, policies, args, kwargs):
    """The declared ops' hook (autograd.autocast_state.with_policy): fn as autocast runs it."""
    out = _run(fn, policies, args, kwargs)
    return fn(*args, **kwargs) if out is None else out


def _check_device(device_type):
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if device_type not in _DEVICES:
        from ..backend import device
        device(device_type)         # not a device type: its error
        raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")


def is_autocast_available(device_type):
    """Whether autocast supports `device_type` ('cpu' and 'cuda')."""
    return device_type in _DEVICES


def _set_enabled(device_type, enabled):
    st = _state_module.state
    enabled = bool(enabled)
    if st.enabled[device_type] != enabled:
        with _lock:
            _state_module.regions += 1 if enabled else -1
        st.enabled[device_type] = enabled


class autocast:
    """A region (context manager or decorator) where ops run in mixed precision, as ``torch.autocast``.

    Example::

        with torch.autocast(device_type="cuda", dtype=torch.float16):
            loss = loss_fn(model(x), y)     # products in float16, the loss in float32
        scaler.scale(loss).backward()       # outside the region, as PyTorch recommends
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        _check_device(device_type)
        self.device = device_type
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtype
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None else bool(cache_enabled)
        if enabled:
            if device_type == "cuda" and not _cuda_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
                enabled = False
            elif self.fast_dtype not in _SUPPORTED[device_type]:
                name = device_type.upper()
                warnings.warn(f"In {name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                              f"{name} Autocast only supports dtypes of "
                              f"{', '.join(map(str, _SUPPORTED[device_type]))} currently.", stacklevel=2)
                enabled = False
        self._enabled = bool(enabled)

    def __enter__(self):
        st = _state_module.state
        self.prev_cache_enabled = st.cache_enabled
        self.prev = st.enabled[self.device]
        self.prev_fastdtype = get_autocast_dtype(self.device)
        _set_enabled(self.device, self._enabled)
        st.dtype[self.device] = self.fast_dtype
        st.nesting += 1
        st.cache_enabled = self._cache_enabled
        return self

    def __exit__(self, *exc):
        st = _state_module.state
        st.nesting -= 1
        if st.nesting == 0:
            st.cache.clear()
        _set_enabled(self.device, self.prev)
        st.dtype[self.device] = self.prev_fastdtype
        st.cache_enabled = self.prev_cache_enabled
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(f"autocast()(func) requires a callable, but got {type(func).__name__}. Did you mean to "
                            f"use autocast as a context manager? For example:\n"
                            f"    with torch.autocast(device_type=...):\n        output = model(input)")

        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorated


def _cuda_available():
    from .. import cuda
    return cuda.is_available()


# ---- the state functions PyTorch has at the top level ----------------------------------------------------------

def is_autocast_enabled(device_type=None):
    """Whether autocast is on for `device_type` in this thread (no argument: CUDA, as PyTorch)."""
    if device_type is None:
        device_type = "cuda"
    _check_device(device_type)
    return _state_module.state.enabled[device_type]


def set_autocast_enabled(device_type, enabled=None):
    """``set_autocast_enabled(device_type, enabled)``, or the legacy ``set_autocast_enabled(enabled)`` (CUDA)."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    _check_device(device_type)
    _set_enabled(device_type, enabled)


def get_autocast_dtype(device_type):
    """The dtype autocast's lower-precision ops run in on `device_type`."""
    _check_device(device_type)
    return _state_module.state.dtype.get(device_type, _DEFAULT[device_type])


def set_autocast_dtype(device_type, dtype):
    _check_device(device_type)
    _state_module.state.dtype[device_type] = dtype


def is_autocast_cache_enabled():
    return _state_module.state.cache_enabled


def set_autocast_cache_enabled(enabled):
    _state_module.state.cache_enabled = bool(enabled)


def clear_autocast_cache():
    _state_module.state.cache.clear()


def autocast_increment_nesting():
    st = _state_module.state
    st.nesting += 1
    return st.nesting


def autocast_decrement_nesting():
    st = _state_module.state
    st.nesting -= 1
    return st.nesting


def is_autocast_cpu_enabled():
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled):
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype():
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype):
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype():
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype):
    set_autocast_dtype("cuda", dtype)


STATE_FUNCTIONS = ("is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype", "set_autocast_dtype",
                   "is_autocast_cache_enabled", "set_autocast_cache_enabled", "clear_autocast_cache",
                   "autocast_increment_nesting", "autocast_decrement_nesting", "is_autocast_cpu_enabled",
                   "set_autocast_cpu_enabled", "get_autocast_cpu_dtype", "set_autocast_cpu_dtype",
                   "get_autocast_gpu_dtype", "set_autocast_gpu_dtype")


# ---- custom Functions -------------------------------------------------------------------------------------------

def _cast_floating(value, device_type, dtype):
    """Floating tensors (and arrays, what our Function.forward receives) on `device_type` cast to dtype."""
    if isinstance(value, Tensor):
        if value.device.type == device_type and value.is_floating_point() and value.dtype is not _dtype.float64:
            return value.to(dtype)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_floating(v, device_type, dtype) for v in value)
    if isinstance(value, dict):
        return {k: _cast_floating(v, device_type, dtype) for k, v in value.items()}
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if kind in ("f", "V") and value.dtype != np.float64 and hasattr(value, "astype"):
        on_cpu = isinstance(value, np.ndarray)
        if on_cpu == (device_type == "cpu"):
            return value.astype(dtype.np)
    return value


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorator for a custom Function's ``forward``, as ``torch.amp.custom_fwd``: with `cast_inputs`, inside an
    autocast region its floating inputs are cast to that dtype and forward runs with autocast off.

    Example::

        class MyMM(torch.autograd.Function):
            @staticmethod
            @torch.amp.custom_fwd(device_type="cuda", cast_inputs=torch.float32)
            def forward(ctx, a, b): ...
    """
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None:
            ctx._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        ctx._fwd_used_autocast = False
        if is_autocast_enabled(device_type):
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast_floating(args, device_type, cast_inputs),
                           **_cast_floating(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type):
    """Decorator for a custom Function's ``backward``: it runs with the autocast state its forward ran with."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type=device_type, enabled=getattr(ctx, "_fwd_used_autocast", False),
                      dtype=getattr(ctx, "_dtype", None)):
            return bwd(*args, **kwargs)
    return decorate_bwd
