"""``torch.jit`` as scripts use it: autograd_lite has no TorchScript compiler, so ``script`` and ``trace`` return
the function or module unchanged (it runs as it is, its kernels compiled by Numba / CuPy), the decorators and
queries behave as outside scripting, and ``save``/``load`` (a TorchScript archive) refuse, saying what to do.

Example::

    @torch.jit.script
    def gelu(x):
        return x * 0.5 * (1.0 + torch.erf(x / 1.41421))
"""

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting", "is_tracing", "annotate",
           "Final", "save", "load", "freeze", "optimize_for_inference", "ScriptModule", "ScriptFunction"]

_ARCHIVE = ("a TorchScript archive cannot be {} by autograd_lite (it has no TorchScript); save the weights with "
            "autograd_lite.save(model.state_dict(), path) and rebuild the model in Python")


class ScriptModule:
    """Stands for torch.jit.ScriptModule in isinstance checks: nothing here is one."""


class ScriptFunction:
    """Stands for torch.jit.ScriptFunction in isinstance checks: nothing here is one."""


def script(obj=None, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Returns `obj` (a function or Module) unchanged: it runs as Python."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """Returns `func` (a function or Module) unchanged: it runs as Python on any input."""
    return func


def trace_module(mod, inputs, *args, **kwargs):
    return mod


def ignore(drop=False, **kwargs):
    """``@torch.jit.ignore`` / ``@torch.jit.ignore(drop=True)``: the function unchanged."""
    return drop if callable(drop) else (lambda fn: fn)


def unused(fn):
    return fn


def export(fn):
    return fn


def is_scripting():
    """False: code here never runs under TorchScript."""
    return False


def is_tracing():
    """False: code here never runs under a trace."""
    return False


def annotate(the_type, the_value):
    return the_value


class _FinalType:
    def __getitem__(self, item):
        return item


Final = _FinalType()


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def save(m, f, _extra_files=None):
    """Refuses: there is no TorchScript archive to write."""
    raise RuntimeError("autograd_lite.jit.save: " + _ARCHIVE.format("written"))


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    """Refuses: a TorchScript archive holds code for PyTorch's interpreter."""
    raise RuntimeError("autograd_lite.jit.load: " + _ARCHIVE.format("read"))
