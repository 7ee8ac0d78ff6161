"""User-defined differentiable functions with PyTorch's contract (``torch.autograd.Function``): `forward` and
`backward` receive and return Tensors, `ctx` is the graph node (``y.grad_fn``, named ``<Class>Backward``).

The library's own ops subclass the array-level base in op_function.py instead (raw arrays, no per-call wrapping). A
user Function's node is a subclass of that base, so the engine runs it as any other: `_run_backward` wraps the
engine's arrays into Tensors, calls the user's backward (under no_grad, or with grad on under create_graph), checks
what it returns as PyTorch does, and hands arrays (or Tensors) back.

Example (the PyTorch docs' MyReLU)::

    class MyReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            input, = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    y = MyReLU.apply(x)         # y.grad_fn.name() == "MyReLUBackward"
"""
import functools
import inspect
import warnings

from .. import backend as _backend
from . import op_function as _function
from .op_function import Function as _Op, FREED_MESSAGE, Packed, TensorBase, _next_seq, _saved_versions
from .grad_mode import state as _state
from .views import CopySlices, replay_view

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "InplaceFunction", "once_differentiable"]

_new = object.__new__


class FunctionCtx:
    """What ``forward`` (or ``setup_context``) gets as ``ctx``: save tensors for backward, mark outputs, keep any
    attribute (``ctx.constant = 5``) for backward.

    Example: ``ctx.save_for_backward(x, None); ctx.mark_non_differentiable(indices)``"""
    to_save = None
    dirty_tensors = non_differentiable = ()
    materialize_grads = True

    def save_for_backward(self, *tensors):
        """Saves Tensors (or None) for backward, where ``ctx.saved_tensors`` gives them back."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, TensorBase):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(t).__name__}")
        self.to_save = tensors

    def save_for_forward(self, *tensors):
        """Kept for a ``jvp`` (forward-mode AD of custom Functions is not supported here)."""
        self.saved_for_forward = tensors

    def mark_dirty(self, *args):
        """Marks inputs that forward modified in place (they must be returned): their history becomes this node."""
        self.dirty_tensors = args

    def mark_non_differentiable(self, *args):
        """Marks outputs that never require grad (backward still gets a gradient slot for each, zeros)."""
        self.non_differentiable = args

    def set_materialize_grads(self, value):
        """False: backward gets None, not zeros, for the gradients of outputs that were not used."""
        self.materialize_grads = value


class BackwardCFunction(FunctionCtx, _Op):
    """The graph node of one call of a user Function (its ``ctx``); one subclass per Function, ``<Name>Backward``.
    `_roles` tells per saved array whether it is ("in", i) input i, ("out", j) output j, or a constant (None)."""
    _forward_cls = None

    def name(self):
        return type(self).__name__

    @property
    def needs_input_grad(self):
        """Per input of ``apply``: whether it is a Tensor that requires grad."""
        return self._needs

    @property
    def next_functions(self):
        """Per Tensor input (PyTorch leaves out the other arguments): ``(node, 0)``, None where it needs no grad."""
        return tuple(e for e, is_tensor in zip(super().next_functions, self._is_tensor) if is_tensor)

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        if type(saved) is Packed:       # saved-tensor hooks packed them (the engine unpacks them itself)
            saved = saved.unpack(self)
        return tuple(self._tensor(getattr(s, "_data", s), role) for s, role in zip(saved, self._roles))

    def _tensor(self, array, role):
        """A saved array as a Tensor of the graph: an input is that input (its history), an output has this node's
        history, anything else is a constant (so a differentiable backward gives higher-order gradients)."""
        if array is None:
            return None
        t = self._make(array)
        if role is None:
            return t
        kind, i = role
        if kind == "in":
            target = self._inputs[i][0] if self._inputs[i] is not None else None
            if target is None or isinstance(target, TensorBase):     # not in the graph, or a leaf: itself
                return t if target is None else target
        else:
            target = self if self._single is not None else _port(self, i)
        t.grad_fn, t._rg = target, True
        return t

    def apply(self, *grads):
        """The user's backward on this node (PyTorch's ``grad_fn.apply(*grad_outputs)``)."""
        return _user_backward(self._forward_cls)(self, *grads)

    @staticmethod
    def backward(node, grad):
        return _run_backward(node, grad)


class _Port(_Op):
    """Output j's grad_fn when a Function has several differentiable outputs: the engine keeps one gradient per node,
    so each output's gradient reaches the Function's node through its own port, tagged with j. Looks like that node
    (name, next_functions, ctx attributes)."""

    def name(self):
        return self._inputs[0][0].name()

    @property
    def next_functions(self):
        return self._inputs[0][0].next_functions

    def __getattr__(self, name):
        if name.startswith("__") or name in _Op.__slots__:
            raise AttributeError(name)
        return getattr(self._inputs[0][0], name)

    @staticmethod
    def backward(port, grad):
        return _OutputGrads({port._index: grad})


def _port(node, j):
    port = _new(_Port)
    port._inputs = ((node, None, None, None),)      # no shape/dtype: the engine passes _OutputGrads on unchanged
    port._saved, port._versions, port._out_id, port._index = (), None, None, j
    port._seq = _next_seq()
    return port


class _OutputGrads:
    """Gradients of some outputs of a multi-output Function, by output index, on their way to its node; the engine
    sums two of them with `+`. shape, dtype and _data make it pass the engine's per-edge checks unchanged."""
    __slots__ = ("grads",)
    shape = dtype = None

    def __init__(self, grads):
        self.grads = grads

    @property
    def _data(self):
        return self

    def __add__(self, other):
        grads = dict(self.grads)
        for j, g in other.grads.items():
            grads[j] = g if j not in grads else grads[j] + g
        return _OutputGrads(grads)


def _user_backward(cls):
    if cls.backward is not Function.backward and cls.vjp is not Function.vjp:
        raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You should "
                           "only implement one of them.")
    return cls.vjp if cls.vjp is not Function.vjp else cls.backward


def _run_backward(node, grad):
    """The engine's call: one gradient per output as Tensors (zeros or None where none came), the user's backward,
    then its result checked; arrays back (Tensors under create_graph, when the engine hands Tensors)."""
    given = grad.grads if type(grad) is _OutputGrads else {node._single: grad}
    create_graph = isinstance(next(iter(given.values())), TensorBase)
    make = node._make
    grads = []
    for j, meta in enumerate(node._outs):
        g = given.get(j)
        if g is not None:
            grads.append(g if create_graph else make(g))
        elif meta is None or not node.materialize_grads:
            grads.append(None)
        else:
            shape, dtype, be, device = meta
            with be.on(device.index):
                grads.append(make(be.xp.zeros(shape, dtype)))
    result = _user_backward(node._forward_cls)(node, *grads)
    if type(result) is not tuple:
        result = (result,)
    inputs, name = node._inputs, node.name()
    if len(result) < len(inputs) or any(g is not None for g in result[len(inputs):]):
        raise RuntimeError(f"function {name} returned an incorrect number of gradients (expected {len(inputs)}, got "
                           f"{len(result)})")
    out = []
    for i, (g, entry) in enumerate(zip(result, inputs)):
        if g is None:
            out.append(None)
            continue
        if not isinstance(g, TensorBase):
            kind = type(g)
            raise RuntimeError("expected Variable or None (got "
                               f"{kind.__qualname__ if kind.__module__ == 'builtins' else kind.__module__ + '.' + kind.__qualname__})")
        if not node._is_tensor[i]:
            raise RuntimeError(f"function {name} returned a gradient different than None at position {i + 1}, but "
                               "the corresponding forward input was not a Variable")
        if entry is None:
            out.append(None)
            continue
        shape = entry[1]
        if not _expandable(shape, g._data.shape):
            raise RuntimeError(f"Function {name} returned an invalid gradient at index {i} - got {list(g.shape)} but "
                               f"expected shape compatible with {list(shape)}")
        out.append(g if create_graph else g._data)      # the engine sums a broadcast gradient down to the input
    return tuple(out)


def _expandable(shape, to):
    """Whether `shape` broadcasts to `to` (a gradient of shape `to` then sums down to `shape`)."""
    if len(shape) > len(to):
        return False
    return all(n == m or n == 1 for n, m in zip(shape[::-1], to[::-1]))


class Function(FunctionCtx):
    """Base class of a user-defined differentiable function, as ``torch.autograd.Function``: static ``forward(ctx,
    *args)`` (or ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``) and ``backward(ctx, *grad_outputs)``
    (alias ``vjp``) on Tensors; call it with ``apply``. forward runs under no_grad; backward returns one gradient per
    input of apply (None for non-Tensors and inputs that need none).

    Example::

        class Exp(torch.autograd.Function):
            @staticmethod
            def forward(ctx, i):
                result = i.exp()
                ctx.save_for_backward(result)
                return result

            @staticmethod
            def backward(ctx, grad_output):
                result, = ctx.saved_tensors
                return grad_output * result

        y = Exp.apply(x)
    """
    generate_vmap_rule = False
    clear_saved_tensors_on_access = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._backward_cls = type(cls.__name__ + "Backward", (BackwardCFunction,),
                                 {"_forward_cls": cls, "__module__": __name__})

    def __init__(self, *args, **kwargs):
        warnings.warn(f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, "
                      "so you should invoke them on the class itself. Instantiating an autograd function will raise "
                      "an error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use "
                           "new-style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with "
                                  "forward mode AD.")

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError("To use autograd.Function with vmap, you must either override the vmap staticmethod "
                                  "or set generate_vmap_rule=True.")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Runs forward on `args` (Tensors as given, under no_grad) and, when grad mode is on and an input requires
        grad, makes this call's node the grad_fn of its floating-point outputs."""
        split = cls.setup_context is not Function.setup_context
        if kwargs or split:     # as PyTorch: keyword arguments bound to forward's signature become inputs
            args, kwargs = _bind(cls.forward, args, kwargs, split)
        node = _new(cls._backward_cls)
        needs = tuple(isinstance(a, TensorBase) and a._rg for a in args)
        record = _state.enabled and True in needs
        node._needs = needs
        node._is_tensor = tuple(isinstance(a, TensorBase) for a in args)
        node._inputs = tuple((a.grad_fn or a, a._data.shape, a._data.dtype, id(a._data)) if n else None
                             for a, n in zip(args, needs)) if record else (None,) * len(args)
        node._saved, node._roles, node._versions, node._out_id, node._single = (), (), None, None, None
        events = _function.op_events
        event = events.begin(cls.__name__, "cpu_op", events._shapes(args)) if events is not None else None
        prev, _state.enabled = _state.enabled, False
        try:
            if split:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(node, args, out)
            else:
                out = cls.forward(node, *args, **kwargs)
        finally:
            _state.enabled = prev
            if event is not None:
                events.end(event)
        return _wrap_outputs(node, args, out, record)


Function._backward_cls = type("FunctionBackward", (BackwardCFunction,), {"_forward_cls": Function, "__module__": __name__})


def _bind(forward, args, kwargs, defaults):
    """(args, kwargs) of a call bound to forward's signature (ctx first unless setup_context is used): the
    positional-or-keyword ones in order as args."""
    signature = inspect.signature(forward)
    bound = signature.bind(*args, **kwargs) if defaults else signature.bind(None, *args, **kwargs)
    if defaults:
        bound.apply_defaults()
    return (bound.args if defaults else bound.args[1:]), bound.kwargs


def _alias(t):
    """A new Tensor on t's storage and version counter (an input returned as it is becomes an output of its own)."""
    out = _new(t._result_class)
    out._data, out._version, out._rg = t._data, t._version, False
    out._grad = out.grad_fn = out._hooks = out._base = None
    return out


def _wrap_outputs(node, args, out, record):
    """Links forward's outputs to `node` (dirty inputs rebased, non-differentiable ones left out) and moves what
    forward saved into the node as arrays."""
    is_seq = isinstance(out, (tuple, list))
    outs = list(out) if is_seq else [out]
    returned = {id(o) for o in outs}
    dirty = {id(t) for t in node.dirty_tensors}
    if not dirty <= returned:
        raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. The "
                           "inputs that are modified inplace must all be outputs of the Function.")
    for t in node.dirty_tensors:
        if record and t._rg and t.grad_fn is None and t._base is None:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        if record and t._base is not None and t._base[0].grad_fn is None and (t._base[0]._rg or t._rg):
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
        t._version[0] += 1          # as PyTorch: marking dirty counts as a write
    non_diff = {id(t) for t in node.non_differentiable}
    inputs = {id(a) for a in args if isinstance(a, TensorBase)}
    metas, diff = [], []
    for j, o in enumerate(outs):
        if not isinstance(o, TensorBase):
            metas.append(None)
            continue
        if id(o) in inputs and id(o) not in dirty:
            outs[j] = _alias(o)
        d = o._data
        be = _backend.backend_of(d)
        metas.append((d.shape, d.dtype, be, be.device_of(d)))
        if record and id(o) not in non_diff and d.dtype.kind in "fcV":      # "V": bfloat16
            diff.append(j)
    node.dirty_tensors = node.non_differentiable = ()      # the node must not hold its outputs
    to_save, node.to_save = node.to_save, None
    if diff:
        node._outs = tuple(metas)
        node._make = outs[diff[0]]._make
        node._seq = _next_seq()
        if len(diff) == 1:
            node._single = diff[0]
            _attach(outs[diff[0]], node, dirty)
        else:
            for j in diff:
                _attach(outs[j], _port(node, j), dirty)
        if to_save:
            _save(node, to_save, args, outs, diff)
    if not is_seq:
        return outs[0]
    return tuple(outs) if isinstance(out, tuple) else outs


def _attach(t, fn, dirty):
    t.grad_fn, t._rg = fn, True
    if id(t) in dirty and t._base is not None:      # an in-place change of a view rewrites its base's history
        base, steps = t._base
        new_base = CopySlices.apply(base, t, steps)
        base.grad_fn, base._rg = new_base.grad_fn, True
        v = replay_view(base, steps)
        t.grad_fn, t._rg = v.grad_fn, v._rg


def _save(node, to_save, args, outs, diff):
    """forward's saved Tensors as arrays (the node keeps no Tensor: saving an output makes no cycle), with each one's
    role, version counters to check, and the saved-tensor hooks' packing when a scope is open."""
    roles = []
    for t in to_save:
        role = None
        if t is not None:
            j = next((j for j in diff if outs[j] is t), None)
            if j is not None:
                role = ("out", j)
            else:
                i = next((i for i, a in enumerate(args) if a is t), None)
                role = None if i is None else ("in", i)
        roles.append(role)
    node._saved = tuple(None if t is None else t._data for t in to_save)
    node._roles = tuple(roles)
    tensors = tuple(a for a in (*args, *outs) if isinstance(a, TensorBase))
    first = outs[diff[0]]
    node._versions = _saved_versions(node._saved, tensors, first)
    if _function.pack_saved is not None:
        _function.pack_saved(node, first, tensors)


class _DelayedError(_Op):
    """The grad_fn once_differentiable gives a gradient that requires grad: differentiating it again raises."""

    def name(self):
        return "torch::autograd::Error"

    @staticmethod
    def backward(node, grad):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


def once_differentiable(fn):
    """Decorates a Function's backward that is not itself differentiable: it runs under no_grad, and a double
    backward through its gradients raises.

    Example::

        @staticmethod
        @once_differentiable
        def backward(ctx, grad_output): ...
    """
    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        prev, _state.enabled = _state.enabled, False
        try:
            outputs = fn(ctx, *args, **kwargs)
        finally:
            _state.enabled = prev
        if not prev or not any(isinstance(a, TensorBase) and a._rg for a in args):
            return outputs
        single = not isinstance(outputs, tuple)
        wrapped = tuple(_errored(v) for v in ((outputs,) if single else outputs))
        return wrapped[0] if single else wrapped
    return wrapper


def _errored(v):
    if not isinstance(v, TensorBase):
        return v
    node = _new(_DelayedError)
    node._inputs, node._saved, node._versions, node._out_id = (), (), None, None
    node._seq = _next_seq()
    t = _alias(v)
    t.grad_fn, t._rg = node, True
    return t


class InplaceFunction(Function):
    """Kept for old code (PyTorch keeps it for backward compatibility): a Function with an ``inplace`` flag."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace
