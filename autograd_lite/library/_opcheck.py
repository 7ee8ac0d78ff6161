"""``torch.library.opcheck``: checks that an operator's registrations match what it does, on sample arguments.

What each test checks here (PyTorch's names):
- test_schema: on copies of the inputs, an argument the schema does not mark mutable (``Tensor(a!)``) is not changed
  (values or shape), and no output is, or shares memory with, an input or another output.
- test_autograd_registration: when an input requires grad and the op has no Autograd (or CompositeImplicitAutograd)
  kernel, no output requires grad (a backend kernel made of differentiable ops would record a graph nobody declared).
- test_faketensor: a fake impl is registered (custom ops that return no Tensor need none), and, run on copies of the
  real inputs (there are no fake tensors here), it gives outputs of the real outputs' shapes, dtypes and devices.
- test_aot_dispatch_dynamic / _static: PyTorch compares eager with compiled; with no compiler here, what is left is
  the eager half: forward, then backward through every floating output when an input requires grad (a missing
  autograd formula fails it).
"""
from ..autograd.op_function import TensorBase
from . import _dispatch
from ._dispatch import OpOverload, OpOverloadPacket

ALL_TEST_UTILS = ("test_schema", "test_autograd_registration", "test_faketensor", "test_aot_dispatch_static",
                  "test_aot_dispatch_dynamic")
DEFAULT_TEST_UTILS = ("test_schema", "test_autograd_registration", "test_faketensor", "test_aot_dispatch_dynamic")


class OpCheckError(Exception):
    """What `opcheck` raises: the test that failed and why (``opcheck(op, ...): test_schema failed with ...``)."""


def _copy(v):
    """Inputs copied as PyTorch's deepcopy_tensors: new leaves with the same values and requires_grad."""
    if isinstance(v, TensorBase):
        c = v.detach().clone()
        return c.requires_grad_(v.requires_grad) if v.is_floating_point() or v.is_complex() else c
    if isinstance(v, (list, tuple)):
        return type(v)(_copy(x) for x in v)
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    return v


def _outputs(out):
    return [o for o in (out if isinstance(out, (tuple, list)) else (out,)) if isinstance(o, TensorBase)]


def _changed(before, after):
    if before.shape != after.shape:
        return True
    a, b = before.detach().numpy(force=True), after.detach().numpy(force=True)
    eq = (a == b) | ((a != a) & (b != b))
    return not bool(eq.all())


def _test_schema(op, args, kwargs):
    from ._custom_ops import _aliases
    args, kwargs = _copy(args), _copy(kwargs)
    pos, kw = _dispatch._schema.bind(op._name, op._schema, args, kwargs)
    values = {a.name: (pos[i] if i < len(pos) else kw[a.name]) for i, a in enumerate(op._schema.arguments)}
    before = {name: _copy(v) for name, v in values.items()}
    out = op(*args, **kwargs)
    outs = _outputs(out)
    for arg in op._schema.arguments:
        v, b = values[arg.name], before[arg.name]
        pairs = list(zip(v, b)) if isinstance(v, (list, tuple)) else [(v, b)]
        for j, o in enumerate(outs):
            for t, _ in pairs:
                if isinstance(t, TensorBase) and not arg.is_write:
                    if o is t:
                        raise RuntimeError("Dispatcher operators below autograd are not allowed to directly return "
                                           f"inputs.\nHowever, we found that `outputs[{j}] is {arg.name}")
                    if _aliases(o, t):
                        raise RuntimeError(f"Argument {arg.name} is not defined to alias output but was aliasing")
        if any(isinstance(t, TensorBase) and _changed(c, t) for t, c in pairs) and not arg.is_write:
            raise RuntimeError(f"Argument {arg.name} is not defined as mutable but was mutated")
    for i in range(len(outs)):
        for j in range(i + 1, len(outs)):
            if _aliases(outs[i], outs[j]):
                raise RuntimeError(f"Outputs {i} and {j} alias unexpectedly")


def _requires_grad(args, kwargs):
    return any(t._rg for t in _dispatch._tensors((*args, *kwargs.values())))


def _test_autograd_registration(op, args, kwargs):
    args, kwargs = _copy(args), _copy(kwargs)
    if not _requires_grad(args, kwargs):
        return
    dev = _dispatch.device_of(*_dispatch._schema.bind(op._name, op._schema, args, kwargs))
    if op.kernel("Autograd" + dev.upper()) or op.kernel("Autograd") or op.kernel("CompositeImplicitAutograd"):
        return
    with _dispatch.fallback_mode_nothing():
        out = op(*args, **kwargs)
    inputs = {id(t) for t in _dispatch._tensors((*args, *kwargs.values()))}
    if any(o.requires_grad and id(o) not in inputs for o in _outputs(out)):
        raise AssertionError(
            f"{op.name()}: at least one output of this operator has requires_grad=True but the operator does not "
            "have an autograd kernel defined at an autograd key (e.g. DispatchKey::Autograd). This could mean that "
            "you have incorrectly registered an autograd kernel to a non-Autograd DispatchKey, which may lead to "
            "silently incorrect results. If your operator consists of regular PyTorch operations, consider not using "
            "an operator at all or registering your operator as CompositeImplicitAutograd. If you have an "
            "autograd.Function registered to a backend (CPU/CUDA/XPU) key, the correct location for it is the "
            "Autograd key.")


def _test_faketensor(op, args, kwargs):
    from ._custom_ops import OPDEFS
    from .. import no_grad
    fake = op.kernel("Meta")
    real = op(*_copy(args), **_copy(kwargs))
    if fake is None:
        if not _outputs(real) and not any(r.base == "Tensor" for r in op._schema.returns):
            return      # nothing to describe: PyTorch generates this trivial fake impl
        opdef = OPDEFS.get(op._name)
        if opdef is not None:
            raise RuntimeError(f"There was no fake impl registered for {opdef}. This is necessary for torch.compile/"
                               f"export/fx tracing to work. Please use `{opdef._init_fn.__name__}.register_fake` to "
                               "add an fake impl.")
        raise RuntimeError(f"{op.name()}: no fake impl (Meta kernel) was registered. Please use "
                           "torch.library.register_fake to add one.")
    pos, kw = _dispatch._schema.bind(op._name, op._schema, _copy(args), _copy(kwargs))
    p, k = _dispatch._schema.kernel_args(op._schema, pos, kw)
    with no_grad():
        fake_out = fake(*p, **k)
    reals, fakes = _outputs(real), _outputs(fake_out)
    if len(reals) != len(fakes):
        raise RuntimeError(f"{op.name()}: the fake impl returned {len(fakes)} Tensors where the operator returned "
                           f"{len(reals)}")
    for i, (r, f) in enumerate(zip(reals, fakes)):
        for what in ("shape", "dtype", "device"):
            if getattr(r, what) != getattr(f, what):
                raise RuntimeError(f"{op.name()}: output {i} of the fake impl has {what} {getattr(f, what)} where "
                                   f"the real kernel's has {getattr(r, what)}")


def _test_eager_autograd(op, args, kwargs):
    from ..autograd import grad
    _test_faketensor(op, args, kwargs)      # as PyTorch's: tracing needs the fake impl first
    args, kwargs = _copy(args), _copy(kwargs)
    out = op(*args, **kwargs)
    if not _requires_grad(args, kwargs):
        return
    leaves = [t for t in _dispatch._tensors((*args, *kwargs.values())) if t._rg]
    outs = [o for o in _outputs(out) if o.requires_grad]
    if outs:
        grad(outs, leaves, [o.detach() * 0 + 1 for o in outs], allow_unused=True)


_TESTS = {"test_schema": _test_schema, "test_autograd_registration": _test_autograd_registration,
          "test_faketensor": _test_faketensor, "test_aot_dispatch_static": _test_eager_autograd,
          "test_aot_dispatch_dynamic": _test_eager_autograd}


def opcheck(op, args, kwargs=None, *, test_utils=DEFAULT_TEST_UTILS, raise_exception=True, atol=None, rtol=None):
    """Checks `op`'s registrations on sample `args` (see this module's docstring for what each test checks here);
    returns ``{test: "SUCCESS" or the exception}`` or raises OpCheckError on the first failure.

    Example: ``torch.library.opcheck(numpy_sin, (torch.randn(3, requires_grad=True),))``"""
    from ._custom_ops import CustomOpDef
    if (rtol is None) ^ (atol is None):
        raise ValueError("opcheck(op, ...): if you specify one of rtol/atol, you must specify both")
    kwargs = {} if kwargs is None else kwargs
    if isinstance(op, CustomOpDef):
        op = op._opoverload
    if isinstance(op, OpOverloadPacket):
        overloads = list(op._overloads.values())
        if len(overloads) != 1:
            raise ValueError(f"opcheck can only test operators without overloads. Got the following overloads for "
                             f"{op._qualified_op_name}: {op.overloads()}")
        op = overloads[0]
    if not isinstance(op, OpOverload):
        raise ValueError(f"opcheck(op, ...): op must be instance of torch._ops.OpOverload, e.g. "
                         f"torch.ops.aten.sin.default, got {type(op)}")
    if test_utils == "ALL":
        test_utils = ALL_TEST_UTILS
    if isinstance(test_utils, str):
        test_utils = (test_utils,)
    if not isinstance(test_utils, (tuple, list)) or not set(test_utils) <= set(ALL_TEST_UTILS):
        raise ValueError(f"opcheck(op, ..., test_utils={test_utils}), expected test_utils to be subset of "
                         f"{ALL_TEST_UTILS} but it was not")
    results = {}
    for name in test_utils:
        try:
            _TESTS[name](op, args, kwargs)
            results[name] = "SUCCESS"
        except Exception as ex:  # noqa: BLE001  (each test's failure is reported, as PyTorch's opcheck)
            if raise_exception:
                raise OpCheckError(f"opcheck(op, ...): {name} failed with {ex} (scroll up for stack trace)") from ex
            results[name] = ex
    return results
