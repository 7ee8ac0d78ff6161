"""Module: the base of every layer. Attributes that are Parameters, Modules or registered buffers
are routed into their own dicts, so state_dict keys ("fc1.weight") need no bookkeeping."""
import collections
import contextvars
import functools

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor, parse_to_args
from ...utils.hooks import RemovableHandle
from ..parameter import Buffer, Parameter, is_lazy


class _IncompatibleKeys(collections.namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """load_state_dict's result, printed as torch's."""
    __slots__ = ()

    def __repr__(self):
        return "<All keys matched successfully>" if not self.missing_keys and not self.unexpected_keys else \
            super().__repr__()

    __str__ = __repr__


_EXTRA_STATE = "_extra_state"      # the state_dict key (after the module's prefix) of get_extra_state()'s value
_EMPTY = {}    # a missing table (__getattr__ during unpickling or a subclass's early access)
# the copies of the load_state_dict in progress, made only once no error was found (a failed load changes nothing)
_PENDING = contextvars.ContextVar("autograd_lite_load_state_dict_pending", default=None)


def _copy_into(key, target, value, assign, error_msgs):
    """One parameter / buffer of a load_state_dict: value (checked: a Tensor of target's shape) copied into
    target (with `assign`, its array taken); a failure is reported in error_msgs, in torch's words."""
    try:
        with no_grad():
            if assign:
                target._data = value._data
            else:
                target.copy_(value)
    except Exception as ex:
        error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                          f"{target.size()} and whose dimensions in the checkpoint are {value.size()}, an "
                          f"exception occurred : {ex.args}.")


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


class Module:
    """Base class of all layers: subclass it, create layers in ``__init__``, write ``forward``.

    Example::

        class Network(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(784, 128)
                self.fc2 = nn.Linear(128, 10)

            def forward(self, x):
                return self.fc2(F.relu(self.fc1(x)))
    """
    training: bool
    _version = 1        # the module's state_dict format, recorded in state_dict()._metadata (torch's numbers)

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = collections.OrderedDict()
        d["_buffers"] = collections.OrderedDict()
        d["_non_persistent_buffers"] = set()
        d["_modules"] = collections.OrderedDict()
        d["_forward_hooks"] = collections.OrderedDict()
        d["_forward_pre_hooks"] = collections.OrderedDict()

    def forward(self, *args, **kwargs):
        raise RuntimeError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            out = hook(self, args)
            if out is not None:
                args = out if isinstance(out, tuple) else (out,)
        result = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            out = hook(self, args, result)
            if out is not None:
                result = out
        return result

    def register_forward_hook(self, hook):
        """``hook(module, inputs, output)`` runs after forward; a returned value replaces output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook):
        """``hook(module, inputs)`` runs before forward; a returned value replaces the inputs."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    # ---- registration ---------------------------------------------------------------------------
    def _check_init(self):
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameters or modules before Module.__init__() call")

    def __setattr__(self, name, value):
        d = self.__dict__
        params, modules, buffers = d.get("_parameters"), d.get("_modules"), d.get("_buffers")
        if isinstance(value, Buffer):
            self._check_init()
            self._forget(name, keep="_buffers")
            self.register_buffer(name, value, value.persistent)
        elif isinstance(value, Parameter):
            self._check_init()
            self._forget(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            self._check_init()
            self._forget(name, keep="_modules")
            modules[name] = value
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}' "
                                "(nn.Module or None expected)")
            modules[name] = None
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep):
        # the table assigned to keeps its key (and its place: children()/state_dict() order), as torch's
        self.__dict__.pop(name, None)
        for table in ("_parameters", "_buffers", "_modules"):
            if table != keep:
                self.__dict__[table].pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name):
        d = self.__dict__
        params = d.get("_parameters")
        if params is not None:                  # (absent before Module.__init__ has run)
            if name in params:
                return params[name]
            buffers = d.get("_buffers", _EMPTY)
            if name in buffers:
                return buffers[name]
            modules = d.get("_modules", _EMPTY)
            if name in modules:
                return modules[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for table in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[table]:
                del self.__dict__[table][name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def _check_name(self, name, kind, table):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f'{kind} name can\'t contain "." or be empty, got "{name}"')
        if name not in table and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        self._check_init()
        self._check_name(name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                            "(nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             "parameters must be created explicitly.")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        self._check_init()
        self._check_name(name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        self._check_init()
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module", self._modules)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        mod = self
        for part in target.split(".") if target else ():
            if part not in mod._modules:
                raise AttributeError(f"{type(mod).__name__} has no attribute `{part}`")
            mod = mod._modules[part]
        return mod

    # ---- traversal ----------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                                remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, table, prefix, recurse, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_prefix, mod in modules:
            for name, value in getattr(mod, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn):
        """Calls ``fn`` on every submodule (children first) and on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ---- modes and gradients ------------------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.detach_()
                p.grad.zero_()

    # ---- dtype and device -----------------------------------------------------------------------
    def _apply(self, fn):
        """Replaces every parameter's and buffer's data by ``fn(tensor)`` (the same objects stay); optimizers'
        state of the parameters follows them (optim.optimizer.follow_parameters)."""
        moved = []
        for m in self.modules():
            for table in (m._parameters, m._buffers):
                for key, t in table.items():
                    if t is None:
                        continue
                    if is_lazy(t):              # stays uninitialised, on fn's device / dtype (as torch's)
                        t._convert_(fn)
                        continue
                    with no_grad():
                        new = fn(t)
                    if table is m._parameters:
                        if new._data is not t._data:
                            moved.append(t)
                        t._data = new._data
                        t._version[0] += 1
                        if t.grad is not None:
                            with no_grad():
                                t._grad = Tensor._make(fn(t.grad)._data)
                    else:
                        table[key] = new
        if moved:
            from ...optim.optimizer import follow_parameters
            follow_parameters(moved)
        return self

    def to(self, *args, device=None, dtype=None, non_blocking=False):
        """``to(device)``, ``to(dtype)`` (floating parameters and buffers only), or both."""
        device, dtype = parse_to_args(args, device, dtype)
        if dtype is not None:
            if not dtype.is_floating_point:
                raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired "
                                f"dtype={dtype!r}")

        def convert(t):
            if device is not None:
                t = t.to(device)
            return t.to(dtype) if dtype is not None and t.is_floating_point() else t
        return self._apply(convert)

    def float(self):
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self):
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self):
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self):
        """Floating parameters and buffers cast to bfloat16 (needs ml_dtypes). Example: ``model.bfloat16()``"""
        return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)

    def cpu(self):
        return self._apply(lambda t: t.cpu())

    def cuda(self, device=None):
        return self._apply(lambda t: t.cuda(device))

    def type(self, dst_type):
        return self._apply(lambda t: t.type(dst_type))

    def share_memory(self):
        """Moves every parameter and buffer into shared memory (``Tensor.share_memory_``), in place; returns self.
        Processes that receive the module (autograd_lite.multiprocessing) then train the same weights (Hogwild).

        Example::

            >>> model = nn.Linear(4, 2).share_memory()
            >>> model.weight.is_shared()
            True
        """
        return self._apply(lambda t: t.share_memory_())

    # ---- state dict ---------------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """Writes this module's own parameters and persistent buffers (not its children's) into `destination`, as
        torch's; a subclass overrides it (calling super()) to save more.

        Example::

            def _save_to_state_dict(self, destination, prefix, keep_vars):
                super()._save_to_state_dict(destination, prefix, keep_vars)
                destination[prefix + "step"] = autograd_lite.tensor(self.step)
        """
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        skip = self._non_persistent_buffers
        for name, b in self._buffers.items():
            if b is not None and name not in skip:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE] = self.get_extra_state()

    def get_extra_state(self):
        """The extra state (any picklable object) saved under "_extra_state" in this module's state_dict; a module
        overrides it, with set_extra_state, to save state that is not a parameter or buffer.

        Example::

            def get_extra_state(self):
                return {"step": self.step}
        """
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called. Please file "
                           "an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to "
                           "report this bug.")

    def set_extra_state(self, state):
        """Receives the "_extra_state" entry of a loaded state_dict (what get_extra_state returned); a module
        overrides both. With strict=True, load_state_dict requires the entry when this method is overridden.

        Example::

            def set_extra_state(self, state):
                self.step = state["step"]
        """
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called. Please file "
                           "an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to "
                           "report this bug.")

    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """An OrderedDict of every parameter and persistent buffer, keyed "sub.module.name"; its ``_metadata`` maps
        each module's prefix to ``{"version": module._version}``, as torch's (old checkpoints are upgraded from it).

        Example::

            >>> sd = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)).state_dict()
            >>> list(sd)[:2], sd._metadata["1"]
            (['0.weight', '0.bias'], {'version': 2})
        """
        if destination is None:
            destination = collections.OrderedDict()
            destination._metadata = collections.OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        d = self.__dict__
        for hook in list(d.get("_state_dict_pre_hooks", _EMPTY).values()):
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=f"{prefix}{name}.", keep_vars=keep_vars)
        for hook in list(d.get("_state_dict_hooks", _EMPTY).values()):
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:
                destination = result
        return destination

    def _add_hook(self, table_name, hook):
        # hook tables are made on first use: most modules never get one (and unpickled ones may predate them)
        table = self.__dict__.setdefault(table_name, collections.OrderedDict())
        handle = RemovableHandle(table)
        table[handle.id] = hook
        return handle

    def _register_state_dict_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` runs after state_dict(); a returned dict replaces it."""
        return self._add_hook("_state_dict_hooks", hook)

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` runs after this module's state_dict() entries (its
        children's included) are written; it edits state_dict in place and returns None.

        Example: ``m.register_state_dict_post_hook(lambda m, sd, prefix, meta: sd.pop(prefix + "bias"))``"""
        hook = functools.partial(hook)          # (marked as torch marks it; a bound method takes no attribute)
        hook._from_public_api = True
        return self._add_hook("_state_dict_hooks", hook)

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` runs before this module's state_dict() entries are written.

        Example: ``m.register_state_dict_pre_hook(lambda m, prefix, keep_vars: print("saving", prefix))``"""
        return self._add_hook("_state_dict_pre_hooks", hook)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Loads this module's own parameters and persistent buffers (not its children's) from `state_dict` (a copy
        holding the keys under `prefix`, free to edit), as torch's: load_state_dict calls it on every module.
        `local_metadata` is this module's ``_metadata`` entry (``{"version": n}`` when saved by state_dict(), ``{}``
        if none); with `strict`, keys are reported in missing_keys / unexpected_keys; other problems are appended
        to error_msgs. A subclass upgrades old checkpoints by editing state_dict, then calls super(). Unlike torch's,
        inside load_state_dict the values are copied in only once every module has been read without error (a failed
        load changes no parameter): code after super() still sees the old values.

        Example::

            def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args):
                if local_metadata.get("version", 1) < 2 and prefix + "w" in state_dict:
                    state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")
                super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)
        """
        for hook in list(self.__dict__.get("_load_state_dict_pre_hooks", _EMPTY).values()):
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        local = {k: v for k, v in self._parameters.items() if v is not None}
        skip = self._non_persistent_buffers
        local.update((k, v) for k, v in self._buffers.items() if v is not None and k not in skip)
        assign = local_metadata.get("assign_to_params_buffers", False)
        pending = _PENDING.get()
        for name, target in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected '
                                  "autograd_lite.Tensor or Tensor-like object from checkpoint but "
                                  f"received {type(value)}")
                continue
            if is_lazy(target):
                continue                        # both uninitialised (a lazy target meets data materialised)
            shape, model_shape = value.shape, target.shape
            if shape != model_shape:
                if not model_shape and shape == (1,):
                    value = value[0]            # a PyTorch 0.3 checkpoint's scalar, as torch loads it
                else:
                    error_msgs.append(f"size mismatch for {key}: copying a param with shape {shape} from "
                                      f"checkpoint, the shape in current model is {model_shape}.")
                    continue
            if pending is None:                 # (called outside load_state_dict)
                _copy_into(key, target, value, assign, error_msgs)
            else:
                pending.append((key, target, value, assign))
        extra = prefix + _EXTRA_STATE
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra in state_dict:
                if pending is None:
                    self.set_extra_state(state_dict[extra])
                else:                           # (called with the copies, once the whole load is known good)
                    pending.append(functools.partial(self.set_extra_state, state_dict[extra]))
            elif strict:
                missing_keys.append(extra)
        elif strict and extra in state_dict:
            unexpected_keys.append(extra)
        if strict:
            n, modules, run = len(prefix), self._modules, None
            for key in state_dict:
                if run is not None and key.startswith(run):
                    continue                    # (a child's keys come in a run)
                if key.startswith(prefix) and key != extra:
                    rest = key[n:]
                    if rest in local:
                        continue
                    head, dot, _ = rest.partition(".")
                    if not dot or head not in modules:
                        unexpected_keys.append(key)
                    else:
                        run = f"{prefix}{head}."

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copies `state_dict` into this module's parameters and buffers, each module through its
        ``_load_from_state_dict``. Missing and unexpected keys (with strict=True) and shape mismatches are reported
        together in one RuntimeError; returns (missing_keys, unexpected_keys). `assign`: the module takes the
        checkpoint's arrays instead of copying into its own.

        Example: ``model.load_state_dict(autograd_lite.load("model.pth"))``"""
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = collections.OrderedDict(state_dict)        # the modules may edit their copy
        if metadata is not None:
            state_dict._metadata = metadata
        pending = []
        token = _PENDING.set(pending)
        try:
            self._load_tree(state_dict, "", metadata, assign, missing, unexpected, errors)
        finally:
            _PENDING.reset(token)
        if not errors and not (strict and (missing or unexpected)):
            for args in pending:
                args() if callable(args) else _copy_into(*args, errors)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)

    def _load_tree(self, state_dict, prefix, metadata, assign, missing, unexpected, errors):
        """load_state_dict's walk: this module's _load_from_state_dict, then each child's on the keys under its
        prefix (split off in one pass over this module's keys), then this module's post-hooks."""
        local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
        if assign:                              # (a copy: the checkpoint's metadata stays as it was)
            local_metadata = {**local_metadata, "assign_to_params_buffers": True}
        self._load_from_state_dict(state_dict, prefix, local_metadata, True, missing, unexpected, errors)
        modules = self._modules
        if modules:
            parts, n = {name: {} for name, m in modules.items() if m is not None}, len(prefix)
            run, bucket = None, None            # a child's keys come in a run: one startswith each
            for key, value in state_dict.items():
                if run is not None and key.startswith(run):
                    bucket[key] = value
                    continue
                head, dot, _ = key[n:].partition(".")
                if dot and head in parts and key.startswith(prefix):
                    run, bucket = f"{prefix}{head}.", parts[head]
                    bucket[key] = value
            for name, part in parts.items():
                modules[name]._load_tree(part, f"{prefix}{name}.", metadata, assign, missing, unexpected, errors)
        hooks = self.__dict__.get("_load_state_dict_post_hooks")
        if hooks:
            keys = _IncompatibleKeys(missing, unexpected)
            for hook in list(hooks.values()):
                if hook(self, keys) is not None:
                    raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` are not "
                                         "expected to return new values, if incompatible_keys need to be modified, "
                                         "it should be done inplace.")

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        """``hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)`` (with
        `with_module`, the module first) runs at the start of this module's _load_from_state_dict; it may edit
        state_dict (a copy of the caller's)."""
        return self._add_hook("_load_state_dict_pre_hooks", functools.partial(hook, self) if with_module else hook)

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)``
        runs before load_state_dict reads this module's entries."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)`` runs after load_state_dict has loaded this module and its children; it
        may edit incompatible_keys.missing_keys / unexpected_keys in place (strict then judges what is left).

        Example: ``m.register_load_state_dict_post_hook(lambda m, keys: keys.missing_keys.clear())``"""
        return self._add_hook("_load_state_dict_post_hooks", hook)

    # ---- printing -----------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(m), 2) for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"
