"""``torch.compiler`` for scripts that call it. autograd_lite has no graph compiler (its kernels are compiled by
Numba / CuPy ahead of the call), so, as ``torch.compile`` here (_compile.py), every decorator returns its function
unchanged, nothing is ever compiling or exporting, and the stance and default backend are recorded, not acted on.

Example::

    @torch.compiler.disable
    def step(x): ...
    with torch.compiler.set_stance("force_eager"): ...
"""
import functools

from ._compile import compile  # noqa: A004,F401  (torch.compiler.compile is torch.compile)

__all__ = ["compile", "assume_constant_result", "reset", "allow_in_graph", "substitute_in_graph", "list_backends",
           "disable", "set_default_backend", "get_default_backend", "set_stance", "cudagraph_mark_step_begin",
           "is_compiling", "is_dynamo_compiling", "is_exporting", "nested_compile_region"]

_state = {"stance": "default", "backend": "inductor"}


def reset():
    """Clears the compiler's caches: there are none here."""


def allow_in_graph(fn):
    """Returns fn (there is no graph to let it into)."""
    return fn


def assume_constant_result(fn):
    """Returns fn, marked as torch marks it (no compiler reads the mark here)."""
    fn._dynamo_marked_constant = True
    return fn


def substitute_in_graph(original_fn, *, can_constant_fold_through=False, skip_signature_check=False):
    """A decorator registering a polyfill for original_fn when compiled; as in torch's eager mode, the decorated
    name calls original_fn itself.

    Example: ``@torch.compiler.substitute_in_graph(operator.indexOf)`` over a Python indexOf."""
    if not callable(original_fn):
        raise TypeError(f"substitute_in_graph expects a callable, got {type(original_fn)}")

    def wrap(polyfill):
        @functools.wraps(polyfill)
        def call(*args, **kwargs):
            return original_fn(*args, **kwargs)
        call.__torch_dynamo_original__, call.__torch_dynamo_polyfill__ = original_fn, polyfill
        return call
    return wrap


def list_backends(exclude_tags=("debug", "experimental")):
    """The backend names torch.compile accepts, as torch 2.13's CPU build lists them (accepted and ignored here)."""
    return ["cudagraphs", "inductor", "openxla", "tvm"]


def disable(fn=None, recursive=True, *, reason=None):
    """Marks fn as never compiled: returns it unchanged (nothing is compiled here); without fn, a decorator.

    Example: ``@torch.compiler.disable`` or ``@torch.compiler.disable(recursive=False)``"""
    return (lambda f: f) if fn is None else fn


def set_default_backend(backend):
    """Records the backend torch.compile uses by default (None: "inductor"); torch.compile here ignores it."""
    if backend is not None and not isinstance(backend, str) and not callable(backend):
        raise TypeError(f"backend must be a string or callable, got {type(backend)}")
    _state["backend"] = "inductor" if backend is None else backend


def get_default_backend():
    """The backend set by set_default_backend ("inductor" at first)."""
    return _state["backend"]


class set_stance:
    """Records the compiler's stance ("default", "force_eager", "eager_on_recompile", "fail_on_recompile",
    "eager_then_compile", "aot_eager_then_compile"), as a call, a context manager or a decorator; every stance runs
    eagerly here, as all code does.

    Example: ``with torch.compiler.set_stance("force_eager"): model(x)``"""

    def __init__(self, stance="default", *, skip_guard_eval_unsafe=False, force_backend=None):
        if force_backend is not None and stance != "default":
            raise RuntimeError("non-default stance cannot have force_backend set")
        self.stance, self.prev = stance, _state["stance"]
        _state["stance"] = stance

    def __enter__(self):
        _state["stance"] = self.stance

    def __exit__(self, *exc):
        _state["stance"] = self.prev
        return False

    def __call__(self, fn):
        _state["stance"] = self.prev            # (as a decorator, only while fn runs)

        @functools.wraps(fn)
        def run(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return run


def cudagraph_mark_step_begin():
    """Marks a new training / inference step for CUDA graphs: there are none here."""


def is_compiling():
    """False: no code runs under a compiler here."""
    return False


def is_dynamo_compiling():
    """False: there is no Dynamo."""
    return False


def is_exporting():
    """False: there is no torch.export."""
    return False


def nested_compile_region(fn=None, *, options=None, max_reuse_entries=8, reuse_hash_fn=None):
    """Marks fn as a region compiled once and reused: returns it unchanged; without fn, a decorator."""
    return (lambda f: f) if fn is None else fn
