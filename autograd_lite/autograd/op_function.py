"""Function: one differentiable op, and TensorBase, the state the graph is made of.

Subclasses write `forward(ctx, *arrays)` on raw arrays and `backward(ctx, grad)`, the derivative formula: it runs on
raw arrays, or, under ``create_graph=True``, on Tensors (saved arrays come back as Tensors of the graph), so the
same formula gives higher-order gradients. A `backward_raw` beside it, if any, is its acceleration for raw
arrays (a fused kernel). `apply` wraps them for Tensors and records the graph. This is the library's op base; users'
own Functions (PyTorch's contract: Tensors in forward and backward) subclass `autograd.Function`, function.py.

Example::

    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            x, = ctx.saved_tensors
            return 2 * x * grad

    y = Square.apply(t)
"""
import itertools
import operator
import threading
import weakref

import numpy as _np

from . import autocast_state as _autocast
from . import grad_mode
from .. import _dtype
from .. import _float8 as _f8
from .. import backend as _backend

_new = object.__new__
_state = grad_mode.state
_next_seq = itertools.count().__next__      # creation order of graph nodes (see engine)

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


class TensorBase:
    """An array and the autograd state around it. Tensor (tensor.py) is the class users see; an op's result is an
    instance of the `_result_class` of the first tensor it was given, so autograd needs no name from above."""
    __slots__ = ("_data", "_rg", "_grad", "grad_fn", "_version", "_hooks", "_base", "__weakref__")
    _result_class = None

    def register_post_accumulate_grad_hook(self, hook):
        """Calls ``hook(tensor)`` on this leaf once backward has accumulated its ``.grad`` (DistributedDataParallel's
        signal that a gradient is ready). Example: ``p.register_post_accumulate_grad_hook(lambda p: print(p.grad))``"""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        entry = POST_ACCUMULATE_HOOKS.get(id(self))
        if entry is None:       # kept beside the Tensor (no slot for it), dropped with it
            key = id(self)
            entry = POST_ACCUMULATE_HOOKS[key] = (weakref.ref(self, lambda _: POST_ACCUMULATE_HOOKS.pop(key, None)), [])
        entry[1].append(hook)
        return _PostHookHandle(id(self), hook)


POST_ACCUMULATE_HOOKS = {}      # id(leaf) -> (weakref to the leaf, its post-accumulate-grad hooks)


class _PostHookHandle:
    def __init__(self, key, hook):
        self.key, self.hook = key, hook

    def remove(self):
        entry = POST_ACCUMULATE_HOOKS.get(self.key)
        if entry is not None and self.hook in entry[1]:
            entry[1].remove(self.hook)
            if not entry[1]:
                del POST_ACCUMULATE_HOOKS[self.key]


class AccumulateGrad:
    """The graph node of a leaf that requires grad, as PyTorch's ``next_functions`` show it: ``variable`` is the
    leaf. One per leaf while it lives (the same object from every graph that reaches it). The engine does not run
    it: it accumulates into leaves directly.

    Example: ``(w * 2).sum().grad_fn.next_functions[0][0].next_functions[0][0].variable is w``."""
    __slots__ = ("_leaf", "__weakref__")
    next_functions = ()

    def __init__(self, leaf):
        self._leaf = weakref.ref(leaf)

    @property
    def variable(self):
        return self._leaf()

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


_ACCUMULATORS = {}      # id(leaf) -> its AccumulateGrad, dropped with the leaf


def accumulate_grad(leaf):
    """The leaf's AccumulateGrad node (made on first use)."""
    key = id(leaf)
    node = _ACCUMULATORS.get(key)
    if node is None or node.variable is not leaf:
        node = _ACCUMULATORS[key] = AccumulateGrad(leaf)
        weakref.finalize(leaf, _ACCUMULATORS.pop, key, None)
    return node


class Function:
    """A node of the graph; the instance is also the `ctx` its forward and backward receive.

    `_inputs` holds, per positional argument of `apply`, None or `(target, shape, dtype, id of its array)` where
    target is the parent node or a leaf Tensor. A node never references its own output: `_out_id` tells it among
    the saved arrays."""
    __slots__ = ("_inputs", "_saved", "_versions", "_seq", "_out_id", "__weakref__")
    _hooks = _retained = None      # set per node (in its __dict__) only when used
    differentiable = True   # False: outputs never require grad (comparisons, argmax, ...)
    is_view = False         # True: output may share its first input's storage (then also its
    #                         version counter, and in-place ops on it rewrite the base's graph)
    backward_raw = None     # the backward's acceleration on raw arrays, if any
    autocast = None         # autocast's policy for this op ("lower", "fp32", "promote", "banned"): autograd_lite.amp
    opmath = True           # bfloat16 inputs: forward and backward run on them widened to float32 (False: as they are)
    opmath_keep = ()        # indices of arguments forward updates in place (running statistics): never widened
    _widens = True          # opmath and not is_view (per class: one lookup per op)
    _raw = None             # what the engine runs without create_graph: backward_raw, else backward
    saved_names = None      # PyTorch's names of what the node saves (grad_fn._saved_<name>): see saved_attribute

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._raw = staticmethod(cls.backward_raw or cls.backward)
        cls._widens = cls.opmath and not cls.is_view
        if "saved_names" in cls.__dict__:       # properties, not __getattr__: that would slow every attribute read
            _add_saved_properties(cls)

    def save_for_backward(self, *arrays):
        self._saved = arrays

    @property
    def saved_tensors(self):
        saved = self._saved
        if saved is None:
            raise RuntimeError(FREED_MESSAGE)
        return saved.unpack(self) if type(saved) is Packed else saved      # saved-tensor hooks packed it

    @property
    def needs_input_grad(self):
        """Per argument of `apply`: whether backward must return a gradient for it."""
        return tuple(e is not None for e in self._inputs)

    @property
    def next_functions(self):
        """Per input, ``(node, 0)``: the node that made it, its leaf's AccumulateGrad, or None (PyTorch's graph
        walk: ``loss.grad_fn.next_functions[0][0].variable is w``)."""
        return tuple((None if e is None else e[0] if isinstance(e[0], Function) else accumulate_grad(e[0]), 0)
                     for e in self._inputs)

    def name(self):
        return type(self).__name__ + "Backward0"

    def __repr__(self):
        return f"<{self.name()}>"

    def __dir__(self):      # this node's _saved_<name> / _raw_saved_<name> only (not the internal _saved / _raw
        names = type(self).saved_names      # slots), so that torch's [a for a in dir(fn) if a.startswith("_saved")]
        names = names(self) if callable(names) else names or {}     # works
        own = {*("_saved_" + k for k in names),
               *("_raw_saved_" + k for k, v in names.items() if type(v) in (int, tuple))}
        return sorted({a for a in super().__dir__() if not a.startswith(("_saved", "_raw")) or a in own} | own)

    def register_hook(self, fn):
        """Calls ``fn(grad_inputs, grad_outputs)`` (tuples of Tensors or None) once this node has computed its
        gradients; a tuple it returns replaces grad_inputs. Example: ``y.grad_fn.register_hook(lambda gi, go: None)``"""
        from .graph import register_node_hook
        return register_node_hook(self, fn)

    def register_prehook(self, fn):
        """Calls ``fn(grad_outputs)`` before this node runs; a tuple it returns replaces grad_outputs.
        Example: ``y.grad_fn.register_prehook(lambda go: (go[0] * 2,))``"""
        from .graph import register_node_prehook
        return register_node_prehook(self, fn)

    @property
    def metadata(self):
        """A dict of this node's own, for the user (PyTorch's ``grad_fn.metadata``)."""
        return self.__dict__.setdefault("_metadata", {})

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise RuntimeError(f"{type(ctx).__name__} must define forward(ctx, ...) as a staticmethod")

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(f"{type(ctx).__name__} must define backward(ctx, grad) as a staticmethod")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Runs forward on the arrays of `args` (Tensors; other values pass through as they are)
        and, when grad mode is on and an input requires grad, links the output into the graph."""
        if _autocast.regions and cls.autocast is not None:      # autocast on somewhere: it may run the op
            out = _autocast.run(cls, args, kwargs)
            if out is not None:
                return out
        ctx = _new(cls)
        ctx._saved = ()
        raw, inputs, needs, first = [], [], False, None
        for a in args:
            if isinstance(a, TensorBase):
                d = a._data
                raw.append(d)
                if first is None:
                    first = a
                if a._rg:
                    needs = True
                    inputs.append((a.grad_fn or a, d.shape, d.dtype, id(d)))
                else:
                    inputs.append(None)
            else:
                raw.append(a)
                inputs.append(None)
        record = needs and _state.enabled and cls.differentiable
        bits8 = None
        if _float8 is not None:         # float8 is in use: only PyTorch's few float8 ops run, in float32
            for d in raw:
                if type(d) is _ndarray and d.dtype in _float8:
                    if _f8.check_op(cls, args, d.dtype):    # views, moves: on the bytes, exact
                        bits8 = d.dtype
                        raw = [r.view(_np.uint8) if type(r) is _ndarray and r.dtype is bits8 else r for r in raw]
                    elif cls._widens:
                        low = _widen8(args, raw, inputs, cls.opmath_keep)
                        return _apply_opmath(cls, ctx, args, kwargs, raw, inputs, record, first, low)
                    break
        if _bfloat16 is not None and cls._widens:       # bfloat16 is in use (ml_dtypes loaded): is it this op's?
            for d in raw:
                if type(d) is _ndarray and d.dtype is _bfloat16:
                    low = _widen(args, raw, inputs, _bfloat16, cls.opmath_keep)
                    return _apply_opmath(cls, ctx, args, kwargs, raw, inputs, record, first, low)
        ctx._inputs = tuple(inputs) if record else (None,) * len(inputs)    # forward saves what backward needs
        try:
            data = cls.forward(ctx, *raw, **kwargs) if kwargs else cls.forward(ctx, *raw)
        except Exception as e:
            err = _op_error(cls, args, e)
            if err is None:
                raise
            raise err from None
        if type(data) not in _backend.array_types:      # NumPy's 0-d arithmetic gives scalars
            data = _as_array(ctx, data, raw)
        if bits8 is not None and data.dtype == _np.uint8:
            data = data.view(bits8)
        out = _new(first._result_class)
        out._data = data
        out._grad = out._hooks = None
        if cls.is_view and data.base is not None:         # shares the input's storage
            src = args[0]
            out._version = src._version
            step = (cls, args[1:])
            out._base = (src, (step,)) if src._base is None else (src._base[0], src._base[1] + (step,))
        else:
            out._version = [0]
            out._base = None
        if record:
            ctx._seq = _next_seq()
            saved = ctx._saved
            if saved:
                ctx._out_id = id(data)
                ctx._versions = _saved_versions(saved, args, out)
            else:
                ctx._versions = None
            out._rg = True
            out.grad_fn = ctx
        else:
            out._rg = False
            out.grad_fn = None
        return out


_first = operator.itemgetter(0)

# ---- bfloat16: PyTorch's "opmath" (compute in float32, round the result once), for every op, here ------------------
_bfloat16 = None        # ml_dtypes' bfloat16 NumPy dtype once loaded: until then ops pay one global lookup for it
_F32 = _np.dtype(_np.float32)
_ndarray = _np.ndarray


def _bfloat16_loaded(np_dtype):
    global _bfloat16
    _bfloat16 = np_dtype


_dtype.on_bfloat16.append(_bfloat16_loaded)
_float8 = None          # {NumPy dtype: dtype} of the float8 once loaded


def _float8_loaded(by_np):
    global _float8
    _float8 = by_np


_dtype.on_float8.append(_float8_loaded)


def _widen8(args, raw, inputs, keep):
    """As `_widen`, for float8 arrays (all of one dtype: PyTorch does not promote them); returns that dtype, the
    result's."""
    low = None
    for i, a in enumerate(args):
        if isinstance(a, TensorBase) and i not in keep and raw[i].dtype in _float8:
            low = raw[i].dtype
            raw[i] = wide = _f8.to_float32(raw[i])
            if inputs[i] is not None:
                inputs[i] = inputs[i][:3] + (id(wide),)
    return low


def _widen(args, raw, inputs, bf16, keep):
    """The bfloat16 tensors' arrays in `raw` widened to float32 (their entries in `inputs` then name the widened
    arrays, which forward may save; `keep`: indices left as they are); returns whether the result rounds back to
    bfloat16: no other floating tensor among the arguments (bfloat16 with float32 gives float32, as in PyTorch)."""
    other = False
    for i, a in enumerate(args):
        if isinstance(a, TensorBase):
            dt = raw[i].dtype
            if dt is bf16:
                if i in keep:
                    continue
                raw[i] = wide = raw[i].astype(_F32)
                if inputs[i] is not None:
                    inputs[i] = inputs[i][:3] + (id(wide),)
            elif dt.kind in "fc":
                other = True
    return not other


def _apply_opmath(cls, ctx, args, kwargs, raw, inputs, record, first, round_out):
    """Function.apply's second half for an op given bfloat16 tensors (their arrays already widened in `raw`): the
    forward in float32, its floating result rounded to bfloat16 once (unless a wider input makes it float32), and,
    recorded, a node whose raw backward widens the incoming bfloat16 gradient (Numba kernels never see bfloat16);
    the engine rounds each input's gradient to that input's dtype."""
    ctx._inputs = tuple(inputs) if record else (None,) * len(inputs)
    try:
        data = cls.forward(ctx, *raw, **kwargs) if kwargs else cls.forward(ctx, *raw)
    except Exception as e:
        err = _op_error(cls, args, e)
        if err is None:
            raise
        raise err from None
    if type(data) not in _backend.array_types:
        data = _as_array(ctx, data, raw)
    wide = data
    if round_out and data.dtype == _F32:
        data = data.astype(_bfloat16) if round_out is True else _f8.from_float32(data, round_out)
    out = _new(first._result_class)
    out._data = data
    out._grad = out._hooks = out._base = None
    out._version = [0]
    if record:
        ctx._seq = _next_seq()
        saved = ctx._saved
        if saved:
            ctx._out_id = id(wide)
            ctx._versions = _saved_versions(saved, args, out)
        else:
            ctx._versions = None
        if data is not wide:
            ctx._raw = _widened_backward
        out._rg = True
        out.grad_fn = ctx
    else:
        out._rg = False
        out.grad_fn = None
    return out


def _widened_backward(node, g):
    """The raw backward of a node whose output was rounded to bfloat16: its formula on the float32 gradient."""
    if g.dtype.kind == "V" or g.dtype.itemsize == 1:       # bfloat16, float8 (float8_e5m2's kind is 'f')
        g = g.astype(_F32)
    return type(node)._raw(node, g)


class Packed:
    """What a node saved, with the arrays as its pack hook's values; `unpack` gives them back as arrays through the
    unpack hook. ids: per slot, the id of the array the node's graph knows it by (None: kept as it was). unpack_hook:
    one hook for every packed slot, or a list of them per slot (SavedTensor.register_hooks packs one slot)."""
    __slots__ = ("items", "ids", "hooks")

    def __init__(self, items, ids, unpack_hook):
        self.items, self.ids = items, ids
        self.hooks = unpack_hook if type(unpack_hook) is list else [None if i is None else unpack_hook for i in ids]

    def unpack(self, node):
        out, arrays = [], {}        # id the graph knows -> the array unpacked for it (one per id: a slot saved twice)
        for item, ident, hook in zip(self.items, self.ids, self.hooks):
            if ident is None:
                out.append(item)
                continue
            t = _unpacked(hook, item)
            out.append(arrays.setdefault(ident, t._data))
        moved = {old: id(a) for old, a in arrays.items() if id(a) != old}
        if moved:       # new arrays: create_graph's saved_as_tensors finds inputs and output by these ids
            node._out_id = moved.get(node._out_id, node._out_id)
            node._inputs = tuple(e if e is None or e[3] not in moved else e[:3] + (moved[e[3]],) for e in node._inputs)
            self.ids = [None if i is None else moved.get(i, i) for i in self.ids]
        return tuple(out)

    def __bool__(self):
        return bool(self.items)


def _unpacked(hook, item):
    t = hook(item)
    if not isinstance(t, TensorBase):
        raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
                        f"{type(t).__name__}")
    return t


# ---- PyTorch's names of what a node saved: grad_fn._saved_<name>, grad_fn._raw_saved_<name> -----------------------
# An op declares them beside its forward, as `saved_names = {torch's name: source}` (or saved_variants of such dicts,
# when they depend on the call: mm or bmm). A source is an int, the slot of `_saved` (an array comes back as a Tensor:
# the input itself, or an output of the node; a saved Python number as torch's 0-d tensor), a pair (slot,
# fn(node, tensor)): that Tensor as torch shows it (linear's mat2 is weight.t()), a string, an attribute of the node,
# or a function of the node. Both slot forms have a _raw_saved_<name>. Function.__init_subclass__ makes a property
# per name: resolved only when read, and ops' own attribute reads stay as fast as without them (no __getattr__).

REGISTER_FREED = (
    "Calling register_hooks on a saved tensor after it has been freed. Saved intermediate values of the graph are "
    "freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through "
    "the graph a second time or if you need to access saved variables after calling backward.")


class saved_variants:
    """`saved_names` of an op whose node saves one of several sets, as torch's nodes of two overloads (SumBackward0
    and SumBackward1): ``pick(node)`` names the node's set among `variants`.

    Example: ``saved_names = saved_variants(lambda node: "dims" if node.dims else "all", all={...}, dims={...})``
    """

    def __init__(self, pick, **variants):
        self.pick, self.variants = pick, variants

    def __call__(self, node):
        return self.variants[self.pick(node)]


def _add_saved_properties(cls):
    """A property per name cls.saved_names declares (each variant's): _saved_<name>, and _raw_saved_<name> for
    tensors it saved (slot sources)."""
    names = cls.__dict__["saved_names"]
    for variant in (names.variants.values() if isinstance(names, saved_variants) else (names,)):
        for key, source in variant.items():
            for attr in ("_saved_" + key,) + (("_raw_saved_" + key,) if type(source) in (int, tuple) else ()):
                if attr not in cls.__dict__:
                    setattr(cls, attr, _saved_property(attr))


def _saved_property(attr):
    return property(lambda node: saved_attribute(node, attr, type(node).saved_names),
                    doc=f"PyTorch's grad_fn.{attr} (raises AttributeError where this node did not save it).")


def saved_attribute(node, name, names):
    """``node._saved_<key>`` (the value, with torch's type) or ``node._raw_saved_<key>`` (a SavedTensor)."""
    raw = name.startswith("_raw_saved_")
    key = name[11:] if raw else name[7:]
    if callable(names):
        names = names(node)
    source = names.get(key)
    if source is None or (raw and type(source) not in (int, tuple)):     # torch: a raw SavedTensor only for tensors
        raise AttributeError(f"'{node.name()}' object has no attribute '{name}'")
    if raw:
        return SavedTensor(node, source if type(source) is int else source[0])
    if type(source) is int:
        return saved_tensor(node, source)
    if type(source) is tuple:
        t = saved_tensor(node, source[0])
        return None if t is None else source[1](node, t)
    return getattr(node, source) if type(source) is str else source(node)


def saved_value(node, i):
    """Slot i of what the node saved, as it is (raises PyTorch's error once backward has freed it)."""
    saved = node._saved
    if saved is None:
        raise RuntimeError(FREED_MESSAGE)
    return saved.items[i] if type(saved) is Packed else saved[i]


def input_sizes(i, slot=None):
    """A source for torch's ``<name>_sym_sizes``: the shape of input i (kept after backward), else of saved slot."""
    def sizes(node):
        entry = node._inputs[i]
        return tuple(entry[1]) if entry is not None else tuple(saved_value(node, slot).shape)
    return sizes


def saved_strides(slot):
    """A source for torch's ``<name>_sym_strides``: the strides, in elements, of the array in saved slot."""
    def strides(node):
        a = saved_value(node, slot)
        return tuple(s // a.itemsize for s in a.strides)
    return strides


def saved_tensor(node, i):
    """Slot i of what the node saved as PyTorch's ``_saved_<name>`` gives it: an input's array is that input (a
    leaf itself; another node's output as a Tensor of that node), the output's a new Tensor of this node, anything
    else a constant; through its unpack hook when one packed it; its in-place changes since checked, as torch."""
    saved = node._saved
    if type(saved) is Packed and saved.hooks[i] is not None:
        return _unpacked(saved.hooks[i], saved.items[i])
    value = saved_value(node, i)
    make = _tensor_class()._make
    if value is None:
        return None
    if type(value) not in _backend.array_types:     # a Python number: torch's wrapped number (int64, float64)
        return make(_np.asarray(value))
    versions = node._versions
    if versions is not None and tuple(map(_first, versions[0])) != versions[1]:
        check_versions(node)                        # raises
    return saved_as_tensor(node, value, make)


def saved_as_tensor(node, array, make):
    """One saved array as a Tensor of the graph: an input's array is that input (its node's output, or the leaf
    itself), the output's array an output of this node, anything else (a mask, a target) a constant."""
    ident = id(array)
    if ident == node._out_id:
        t = make(array)
        t.grad_fn, t._rg = node, True
        return t
    for entry in node._inputs:
        if entry is not None and entry[3] == ident:
            target = entry[0]
            if isinstance(target, TensorBase):
                return target
            t = make(array)
            t.grad_fn, t._rg = target, True
            return t
    return make(array)


def _tensor_class():
    """The Tensor class (autograd names nothing above it): the TensorBase subclass whose results are its own."""
    return next(c for c in TensorBase.__subclasses__() if c._result_class is c)


class SavedTensor:
    """``grad_fn._raw_saved_<name>``: one tensor a node saved, as PyTorch's ``torch._C._autograd.SavedTensor``.

    Example::

        y = x.pow(2)
        y.grad_fn._raw_saved_self.register_hooks(lambda t: t.numpy(), lambda a: torch.from_numpy(a))
    """
    __slots__ = ("_node", "_slot")

    def __init__(self, node, slot):
        self._node, self._slot = node, slot

    def register_hooks(self, pack_hook, unpack_hook):
        """Runs ``pack_hook(tensor)`` now and keeps its result instead of the tensor; ``unpack_hook(packed)`` gives
        the tensor back each time backward (or ``_saved_<name>``) reads it. One pair per saved tensor."""
        if not callable(pack_hook) or not callable(unpack_hook):
            raise TypeError("register_hooks(): incompatible function arguments. The following argument types are "
                            "supported:\n    1. (self: SavedTensor, arg0: Callable, arg1: Callable) -> None")
        node, i = self._node, self._slot
        saved = node._saved
        if saved is None:
            raise RuntimeError(REGISTER_FREED)
        packed = type(saved) is Packed
        if packed and saved.hooks[i] is not None:
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have already been set. Hint: "
                               "only one pair of hooks is allowed at a time.")
        array = saved_value(node, i)
        if array is None:
            raise RuntimeError("Calling register_hooks on a saved tensor with value None is forbidden")
        if type(array) not in _backend.array_types:     # its backward reads a Python number, not a tensor
            raise RuntimeError(f"register_hooks: {node.name()} saved a Python number here, not a tensor: "
                               "autograd_lite cannot pack it")
        items = list(saved.items if packed else saved)
        ids = list(saved.ids) if packed else [None] * len(items)
        hooks = list(saved.hooks) if packed else [None] * len(items)
        items[i] = pack_hook(saved_tensor(node, i))
        ids[i], hooks[i] = id(array), unpack_hook
        node._saved = Packed(tuple(items), ids, hooks)


_plain_apply = Function.__dict__["apply"].__func__

# A profiler or saved-tensor hooks observe every op: while one is on, Function.apply is `_observed_apply` (swapped by
# `observe`), so while none is, ops pay nothing for them. autograd.profiler sets op_events, autograd.graph pack_saved.
op_events = None        # the recording of the profiler on now (autograd.profiler._Trace), if any
pack_saved = None       # (node, out, args) -> None: packs what a new node saved, while saved-tensor hooks are on
_observers = 0
_observe_lock = threading.Lock()


def observe(delta):
    """A profiler or a saved-tensor-hooks scope starts (+1) or ends (-1) observing ops."""
    global _observers
    with _observe_lock:
        _observers += delta
        Function.apply = classmethod(_observed_apply if _observers else _plain_apply)


def _observed_apply(cls, *args, **kwargs):
    events = op_events
    # under autocast the op may run through apply again with cast inputs (autocast off for it then): recorded there
    if events is None or (_autocast.regions and cls.autocast is not None and True in _autocast.state.enabled.values()):
        out = _plain_apply(cls, *args, **kwargs)
    else:
        event = events.op(cls, args)
        try:
            out = _plain_apply(cls, *args, **kwargs)
        except BaseException:
            events.end(event)
            raise
        events.end_op(event, out)
    pack = pack_saved
    if pack is not None and out.grad_fn is not None and out.grad_fn._saved and type(out.grad_fn._saved) is not Packed:
        pack(out.grad_fn, out, args)
    return out


def _saved_versions(saved, args, out):
    """(version counters, their values now) of the tensors whose storage forward saved (an input's or the output's
    array, or a view of it: a reshaped target), or None: an in-place change to one of them before backward must
    raise. Arrays of the op's own (a mask, a copy) are skipped: no user code can change them. By identity, in a
    loop: an op saves one or two arrays of one to three inputs."""
    counters, values = [], []
    for s in saved:
        if s is out._data:
            c = out._version
        else:
            for t in args:
                if isinstance(t, TensorBase) and t._data is s:
                    c = t._version
                    break
            else:
                c = _view_owner(s, args, out)
                if c is None:
                    continue
        counters.append(c)
        values.append(c[0])
    return (tuple(counters), tuple(values)) if counters else None


def _view_owner(array, args, out):
    """The version counter of the input or output whose storage `array` views (NumPy's base is the owner), or None."""
    base = getattr(array, "base", None)
    if base is None:
        return out._version if array is out._data.base and array is not None else None
    for t in (*args, out):
        if isinstance(t, TensorBase) and (t._data is base or t._data.base is base):
            return t._version
    return None


def _as_array(ctx, data, raw):
    """A forward's NumPy scalar (from 0-d arithmetic) as a 0-d array; saved as the output, it is replaced too."""
    array = _np.asarray(data) if isinstance(data, _np.generic) else _backend.backend_of(raw[0]).xp.asarray(data)
    if ctx._saved:
        ctx._saved = tuple(array if s is data else s for s in ctx._saved)
    return array


def check_versions(node):
    """Raises if an array saved for backward was modified in place since it was saved."""
    for counter, value in zip(*node._versions):
        if counter[0] != value:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: the output of or an input to {node.name()} is at version "
                f"{counter[0]}; expected version {value} instead.")


def _describe(args):
    return ", ".join(f"{tuple(a.shape)} {a.dtype.name}" for a in args if isinstance(a, TensorBase))


def device_error(op, tensors):
    """PyTorch's error for an op on Tensors of two devices, or None when they share one."""
    devices = list(dict.fromkeys(str(t.device) for t in tensors))
    if len(devices) < 2:
        return None
    return RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                        f"{devices[0]} and {devices[1]}! (in {op})")


def _op_error(cls, args, err):
    """The op's own error for an error raised inside its forward, naming devices, shapes and dtypes (None: let
    the error through as it is)."""
    op = getattr(cls, "op_name", cls.__name__.lower())
    mixed = device_error(op, [a for a in args if isinstance(a, TensorBase)])
    if mixed is not None:
        return mixed
    if not isinstance(err, (ValueError, TypeError, IndexError, ZeroDivisionError)):
        return None
    msg = str(err)
    if "could not be broadcast" in msg:
        shapes = " and ".join(str(tuple(a.shape)) for a in args if isinstance(a, TensorBase))
        return RuntimeError(f"{op}: shapes {shapes} cannot be broadcast together")
    if isinstance(err, TypeError) and "ufunc" in msg:       # NumPy has no loop for these dtypes
        first = next(a for a in args if isinstance(a, TensorBase))
        return NotImplementedError(f'"{op}" not implemented for \'{first.dtype.scalar_type}\'')
    # the builtin class: NumPy's own subclasses take other constructor arguments
    kind = next(k for k in (RuntimeError, TypeError, IndexError, ZeroDivisionError)
                if isinstance(err, ValueError if k is RuntimeError else k))
    return kind(f"{op}: {msg} (input shapes and dtypes: {_describe(args)})")
