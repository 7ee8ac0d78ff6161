"""Optimizer: the skeleton every optimizer shares, as torch.optim.Optimizer (param groups, per-parameter
state, zero_grad, state_dict / load_state_dict, step with a closure).

An optimizer is one file: its update rule, written once on the array module (`rule(param, grad, *state, *hyper)`,
in place, so it runs on every device), and the name of the kernel table's fused kernel of the same signature
(`kernel`), used instead where the parameter's table has it; `_update(p, group)` gathers the arguments and calls
`self.apply_rule(p, ...)`. It may also override `_step_group(group)` to update a whole group in one kernel-table
call (Adam, SGD).

Every optimizer accepts PyTorch's implementation flags (foreach, fused where PyTorch has a fused kernel, capturable,
differentiable) and keeps them in its param groups, as PyTorch's state_dict has them; they select nothing here (each
update is already one pass per parameter, or one kernel-table call per group). Step hooks (`register_step_pre_hook`,
`register_step_post_hook`, and the global `register_optimizer_step_pre_hook` / `_post_hook`) run around every
optimizer's `step`, its own included."""
import copy
import functools
import itertools
import operator
import warnings
import weakref
from collections import defaultdict

from .. import _dtype
from ..autograd import enable_grad
from ..autograd import profiler as _profiler
from ..backend import backend_of
from ..creation import tensor
from ..tensor import Tensor
from ..utils.hooks import RemovableHandle

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()   # a default that every param group must then set


def _typename(obj):
    return "autograd_lite.Tensor" if isinstance(obj, Tensor) else type(obj).__name__


def check_hyper(name, value, ok):
    """PyTorch's ValueError for a bad hyperparameter: "Invalid learning rate: -1"."""
    if not ok:
        raise ValueError(f"Invalid {name}: {value}")


_HYPER_NAMES = {"lr": "learning rate", "eps": "epsilon value"}


def check_nonnegative(**hyper):
    """check_hyper(..., value >= 0) for each keyword, in order, with PyTorch's names for them."""
    for key, value in hyper.items():
        check_hyper(_HYPER_NAMES.get(key, key + " value"), value, value >= 0)


def check_fused(fused, foreach, differentiable):
    """PyTorch's errors for fused=True beside differentiable or foreach (fused itself is accepted: a no-op here)."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


_GLOBAL_PRE_HOOKS, _GLOBAL_POST_HOOKS = {}, {}


def register_optimizer_step_pre_hook(hook):
    """Registers ``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``, run before every optimizer's
    step (before its own pre hooks). Returns a handle whose ``remove()`` unregisters it."""
    handle = RemovableHandle(_GLOBAL_PRE_HOOKS)
    _GLOBAL_PRE_HOOKS[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """Registers ``hook(optimizer, args, kwargs) -> None``, run after every optimizer's step (after its own post
    hooks). Returns a handle whose ``remove()`` unregisters it."""
    handle = RemovableHandle(_GLOBAL_POST_HOOKS)
    _GLOBAL_POST_HOOKS[handle.id] = hook
    return handle


def _hooked(step):
    """`step` with the step hooks around it, as PyTorch's: pre hooks may replace (args, kwargs). A step that calls
    its base class's step runs the hooks once (the outer call)."""
    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        self._opt_called = True                     # lr_scheduler's "step order" check reads this
        if self._in_step or not (self._step_pre_hooks or self._step_post_hooks or _GLOBAL_PRE_HOOKS
                                 or _GLOBAL_POST_HOOKS or _profiler._current is not None):
            return step(*args, **kwargs)
        self._in_step = True
        event = _profiler.record_function(f"Optimizer.step#{type(self).__name__}.step").__enter__()  # torch's event
        try:
            for hook in itertools.chain(list(_GLOBAL_PRE_HOOKS.values()), list(self._step_pre_hooks.values())):
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                                           f"{result}.")
                    args, kwargs = result
            out = step(*args, **kwargs)
            for hook in itertools.chain(list(self._step_post_hooks.values()), list(_GLOBAL_POST_HOOKS.values())):
                hook(self, args, kwargs)
            return out
        finally:
            self._in_step = False
            event.__exit__(None, None, None)
    wrapper._hooked = True
    return wrapper


_LIVE = weakref.WeakSet()      # every optimizer alive, so that Module.to can move their state


def follow_parameters(params):
    """Called by Module.to after it moved `params` (the same Tensors, new arrays): every optimizer's state of
    them (momentum buffers, Adam's averages, LBFGS's history) moves to each parameter's device and floating dtype;
    the 'step' counters and the other 0-d running scalars (NAdam's mu_product, ASGD's eta and mu) stay 0-d CPU
    tensors, read on the host each step without a device round trip."""
    for opt in list(_LIVE):
        moved = False
        for p in params:
            state = opt.state.get(p)
            for key, value in (state or {}).items():
                if key != "step":
                    new = _follow(value, p)
                    if new is not value:
                        state[key] = new
                        moved = True
        if moved:
            opt._plans.clear()


def _follow(value, p):
    """value (a state Tensor, or a list of them) on p's device and floating dtype; 0-d Tensors and the rest as
    they are."""
    if isinstance(value, list):
        new = [_follow(v, p) for v in value]
        return value if all(a is b for a, b in zip(new, value)) else new
    if not isinstance(value, Tensor) or value._data.ndim == 0:
        return value
    new = value.to(p.device)
    if new.is_floating_point() and new.dtype is not p.dtype and p.is_floating_point():
        new = new.to(p.dtype)
    return new


class Optimizer:
    """Base class of all optimizers.

    Args:
        params (iterable): Tensors to optimize, or dicts (parameter groups: ``{'params': [...], 'lr': ...}``)
            whose other keys override ``defaults`` for that group.
        defaults (dict): the default hyperparameters of every group.

    Example::

        >>> opt = optim.SGD([{'params': model.fc1.parameters()},
        ...                  {'params': model.fc2.parameters(), 'lr': 1e-2}], lr=1e-3)
        >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or "
                            f"dicts, but got {_typename(params)}")
        self.state = defaultdict(dict)
        self.param_groups = []
        self._plans = {}          # optimizers that cache per-group kernel plans (Adam): id(group) -> plan
        self._step_pre_hooks, self._step_post_hooks = {}, {}
        _LIVE.add(self)
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    _step_pre_hooks = _step_post_hooks = {}    # read only: instances get their own in __init__
    _in_step = False
    _state_like_params = True     # every state buffer has its parameter's shape (LBFGS: False)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _hooked(step)

    def register_step_pre_hook(self, hook):
        """Registers ``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``, run before each step;
        returns a handle whose ``remove()`` unregisters it.

        Example::

            >>> handle = optimizer.register_step_pre_hook(lambda opt, args, kwargs: print("stepping"))
            >>> handle.remove()
        """
        if "_step_pre_hooks" not in self.__dict__:
            self._step_pre_hooks = {}
        handle = RemovableHandle(self._step_pre_hooks)
        self._step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        """Registers ``hook(optimizer, args, kwargs) -> None``, run after each step; returns a handle whose
        ``remove()`` unregisters it."""
        if "_step_post_hooks" not in self.__dict__:
            self._step_post_hooks = {}
        handle = RemovableHandle(self._step_post_hooks)
        self._step_post_hooks[handle.id] = hook
        return handle

    def add_param_group(self, param_group):
        """Adds a group (a dict with 'params' and optional hyperparameters) to `param_groups`: for example
        layers unfrozen while fine-tuning. Its missing hyperparameters come from `defaults`."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]       # from model.named_parameters()
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(params):
            raise ValueError("all optimizer params should be with/without names. Some param names are missing")
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        param_group["params"] = params
        if names:
            param_group["param_names"] = names
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
            if any(id(p) in ids for p in group["params"]):
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Resets every parameter's `.grad`: to None (the default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure=None):
        """One update of every parameter that has a `.grad`. `closure` (optional) re-evaluates the model
        and returns the loss; it runs first, with gradients enabled, and its loss is returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._opt_called = True                       # lr_scheduler's "step order" check reads this
        if not self.sparse_grads:
            _refuse_sparse(self)
        for group in self.param_groups:
            self._step_group(group)
        return loss

    step = _hooked(step)

    def _step_group(self, group):
        """One update of the group's parameters that have a `.grad`: `_update` for each, by default; an
        optimizer may override it to update the whole group in one kernel-table call."""
        for p in group["params"]:
            if p._grad is not None:
                self._update(p, group)
                p._version[0] += 1

    rule = None         # the update rule on raw arrays, in place (a staticmethod of the subclass)
    sparse_grads = False    # whether it takes sparse COO gradients (SGD, Adagrad, SparseAdam); else step() refuses
    kernel = None       # the name of its fused kernel in the kernel tables, if any

    def _update(self, p, group):
        """Updates p._data (and self.state[p]) in place from p.grad with the group's hyperparameters."""
        raise NotImplementedError(f"{type(self).__name__} must define _update(p, group)")

    def apply_rule(self, p, *args):
        """The update on p's arrays: the kernel table's fused kernel where it has one, else the array-module rule."""
        fused = getattr(kernels(p), self.kernel, None) if self.kernel else None
        (fused or self.rule)(*args)

    # ---- state ----------------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as PyTorch lays it out: ``{'state': {index: {name: Tensor or number}},
        'param_groups': [{hyperparameters..., 'params': [indices]}]}``, parameters numbered in group order.
        Like PyTorch's, the state Tensors are the live buffers, not copies: save (or deep-copy) the dict
        to keep a snapshot."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Loads a `state_dict()` (of an optimizer of the same kind over parameters of the same shapes):
        hyperparameters and state, copied onto each parameter's device and (but 'step') dtype, so that
        training continues exactly where the saved run was."""
        groups = self.param_groups
        saved = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(itertools.chain.from_iterable(s["params"] for s in saved),
                          itertools.chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {key: _cast(p, k, key, val, self._state_like_params) for key, val in v.items()}
            else:
                state[k] = copy.deepcopy(v)
        for g, s in zip(groups, saved):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            for key, default in self.defaults.items():      # a state_dict saved before a flag existed
                s.setdefault(key, default)
        self.state, self.param_groups = state, saved

    def __repr__(self):
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"


def _cast(p, index, key, value, like_param=True):
    """A copy of a loaded state value for parameter p: Tensors onto p's device (0-d ones, counters and running
    scalars, stay on the host), float ones in p's dtype (but the 'step' counter), buffers checked against p's
    shape (where the optimizer's buffers are like its parameters: `like_param`)."""
    if key == "step" and not isinstance(value, Tensor):
        return step_counter(float(value))
    if isinstance(value, Tensor):
        data = value._host()
        if key != "step":
            if like_param and data.ndim and data.shape != p._data.shape:
                raise ValueError(f"loaded state dict has state '{key}' of shape {tuple(data.shape)} for parameter "
                                 f"{index} of shape {tuple(p._data.shape)}")
            if data.dtype.kind == "f":
                data = data.astype(p._data.dtype)
        be = backend_of(p._data) if key != "step" and data.ndim else backend_of(data)
        return Tensor._make(be.xp.array(be.from_host(data), copy=True, order="C"))
    if isinstance(value, dict):
        return {k: _cast(p, index, k, v, like_param) for k, v in value.items()}
    if isinstance(value, (list, tuple)):            # LBFGS's history
        return type(value)(_cast(p, index, None, v, like_param) for v in value)
    return copy.deepcopy(value)


# ---- helpers of the update rules ------------------------------------------------------------------
data_of, grad_data_of, version_of = map(operator.attrgetter, ("_data", "_grad._data", "_version"))   # over Tensors


def _refuse_sparse(optimizer):
    """PyTorch's error for a sparse gradient (nn.Embedding(sparse=True)) given to an optimizer without a sparse
    rule, raised before any parameter changes."""
    for group in optimizer.param_groups:
        for p in group["params"]:
            g = p._grad
            if g is not None and type(g) is not Tensor and g.is_sparse:
                name = type(optimizer).__name__
                if name in ("Adam", "AdamW"):
                    raise RuntimeError("Adam does not support sparse gradients, please consider SparseAdam instead")
                raise RuntimeError(f"{name} does not support sparse gradients")


def sparse_grad(p):
    """Whether p's gradient is a sparse COO tensor."""
    return type(p._grad) is not Tensor and p._grad.is_sparse


def step_counter(value=0.0):
    """A parameter's step count, as PyTorch keeps it: a 0-d Tensor on the CPU in the default float dtype."""
    return tensor(value, dtype=_dtype.get_default_dtype())


def next_step(state):
    """Increments state['step'] in place; the new count as a Python float."""
    s = state["step"]._data
    t = s.item() + 1
    s[()] = t                 # ~10x faster than s += 1 on a 0-d array
    return t


def zeros_like(p, fill=0.0):
    """A new state buffer: p's shape, dtype and device, C-contiguous, filled with `fill`."""
    return Tensor._make(backend_of(p._data).xp.full(p._data.shape, fill, p._data.dtype))


def stepped_state(optimizer, p):
    """optimizer.state[p], created with its step counter on p's first step."""
    state = optimizer.state[p]
    if not state:
        state["step"] = step_counter()
    return state


def buffer(state, key, p):
    """state[key]'s array, created as zeros like p on first use."""
    b = state.get(key)
    if b is None:
        b = state[key] = zeros_like(p)
    return b._data


def kernels(p):
    return backend_of(p._data).kernels


def xp_of(array):
    return backend_of(array).xp


def scalar_state(value):
    """A running scalar of the state (NAdam's mu_product, ASGD's eta and mu): like the step counter, a 0-d host
    Tensor in the default float dtype, as PyTorch keeps them."""
    return step_counter(value)


def set_scalar(state, key, value):
    """state[key] = value, in place, rounded through the default float dtype as PyTorch's
    ``state[key].copy_(torch.as_tensor(value))`` is; the stored value as a Python float."""
    s = state[key]._data
    s[...] = _dtype.get_default_dtype().np.type(value)
    return s.item()


def lerp_(start, end, weight):
    """start = lerp(start, end, weight) in place, with PyTorch's two formulas (exact at either end)."""
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)
    return start


def decayed(param, grad, weight_decay, maximize):
    """The gradient an update rule follows: negated to maximize, plus weight_decay * param (L2)."""
    d = -grad if maximize else grad
    return d + weight_decay * param if weight_decay != 0 else d
