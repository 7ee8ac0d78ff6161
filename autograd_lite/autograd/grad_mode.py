"""Grad mode: a thread-local switch, usable as context manager and as decorator."""
import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]


class _State(threading.local):
    enabled = True              # class attribute: every new thread starts with grad enabled
    inference = False


state = _State()


def is_grad_enabled():
    return state.enabled


class _GradMode:
    """Base of the grad-mode switches: `with no_grad(): ...` or `@no_grad()` / `@no_grad`."""
    mode = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if callable(func):      # used bare as a decorator: @no_grad
            return self(func)
        return self

    def __init__(self, func=None):
        pass

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = state.enabled
            state.enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                state.enabled = prev
        return wrapper


class no_grad(_GradMode):
    """Disables gradient recording. Example: ``with no_grad(): w -= lr * w.grad``."""
    mode = False


class enable_grad(_GradMode):
    """Enables gradient recording inside a ``no_grad`` block."""
    mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` switches at once; also a context manager or decorator that
    restores the previous mode on exit."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self):
        pass

    def __call__(self, func):       # as a decorator the switch applies only inside func
        state.enabled = self.prev
        return super().__call__(func)


def is_inference_mode_enabled():
    return state.inference


class inference_mode(_GradMode):
    """``no_grad`` for inference: nothing is recorded inside (``inference_mode(False)``: a block where inference
    mode is off, grad mode unchanged). A context manager or decorator, bare or called.

    Example: ``with torch.inference_mode(): preds = model(x)``"""

    def __new__(cls, mode=True):
        return super().__new__(cls, mode)

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def __enter__(self):
        self.prev = state.enabled, state.inference
        state.inference = self.mode
        if self.mode:
            state.enabled = False

    def __exit__(self, *exc):
        state.enabled, state.inference = self.prev
        return False

    def __call__(self, func):
        switch = self

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(switch.mode):
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return inference_mode(self.mode)
