"""Pruning, as ``torch.nn.utils.prune``: ``module.<name>`` becomes ``<name>_orig * <name>_mask``, a plain attribute a
forward pre-hook (the pruning method itself) recomputes before each forward; ``<name>_orig`` is the original
Parameter (it gets the gradients, zero where masked) and ``<name>_mask`` a buffer, so state_dict keys are torch's.
Pruning the same tensor again composes the masks (a PruningContainer); ``remove`` makes the pruning permanent.

Example::

    import autograd_lite.nn.utils.prune as prune
    m = prune.l1_unstructured(nn.Linear(4, 3), "weight", amount=0.5)   # the 6 smallest |w| are zeroed
    sorted(m.state_dict())          # ['bias', 'weight_mask', 'weight_orig']
    prune.remove(m, "weight")       # weight is a Parameter again, with the zeros in it

Ties (equal magnitudes or norms) go to the lower index: the first ones are pruned (unstructured) and the first ones
kept (ln_structured). PyTorch's topk leaves the choice among ties unspecified; on distinct values both agree.
"""
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ...creation import ones_like, rand, rand_like, zeros_like
from ..._memory_format import contiguous_format
from .convert_parameters import parameters_to_vector

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
           "remove", "is_pruned"]


class BasePruningMethod(ABC):
    """The base of the pruning methods: subclasses set ``PRUNING_TYPE`` ('unstructured', 'structured' with a
    ``dim`` attribute, or 'global') and write ``compute_mask(t, default_mask)``. An instance is the forward pre-hook
    that recomputes ``module.<name>`` from ``<name>_orig`` and ``<name>_mask``.

    Example::

        class EveryOther(prune.BasePruningMethod):
            PRUNING_TYPE = "unstructured"
            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.view(-1)[::2] = 0
                return mask
        EveryOther.apply(nn.Linear(3, 2), "weight")
    """
    _tensor_name: str          # set by apply(): the attribute this method prunes

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The new mask (t's shape) from the importance scores `t` and the mask so far (`default_mask`)."""

    def apply_mask(self, module):
        """``<name>_orig * <name>_mask`` of `module` (the pruned tensor, differentiable in ``<name>_orig``)."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prunes ``module.<name>`` with ``cls(*args, **kwargs)`` (composed with an earlier pruning of it) and
        returns the method registered as the forward pre-hook; importance_scores (name's shape) replace the
        tensor's own values when the mask is computed."""
        method = _composite_method(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise AssertionError(f"importance_scores should have the same shape as parameter {name} of "
                                     f"{module}, got {importance_scores.shape} vs {orig.shape}")
        else:
            importance_scores = orig
        first = not isinstance(method, PruningContainer)
        if first:                   # the Parameter moves to <name>_orig; <name> becomes a plain attribute
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone(memory_format=contiguous_format)
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first:               # leave the module as it was
                orig = getattr(module, name + "_orig")
                module.register_parameter(name, orig)
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """`t` times the mask computed from importance_scores (default: t) and default_mask (default: ones)."""
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise AssertionError(f"importance_scores should have the same shape as tensor t, got "
                                     f"{importance_scores.shape} vs {t.shape}")
        else:
            importance_scores = t
        default_mask = default_mask if default_mask is not None else ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module):
        """Makes the pruning permanent: ``<name>_orig`` (the same Parameter, now holding the masked values) is
        ``module.<name>`` again and the mask buffer is gone. The hook itself is removed by ``prune.remove``."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def _composite_method(cls, module, name, *args, **kwargs):
    """The new method, or the container of the earlier one(s) and the new one; the earlier hook is unregistered."""
    old, keys = None, []
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            old = hook
            keys.append(k)
    if len(keys) > 1:
        raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} of module {module}. "
                             "Use a PruningContainer.")
    for k in keys:
        del module._forward_pre_hooks[k]
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if isinstance(old, PruningContainer):
        old.add_pruning_method(method)
        method = old
    elif isinstance(old, BasePruningMethod):
        container = PruningContainer(old)
        container.add_pruning_method(method)
        method = container
    return method


class PruningContainer(BasePruningMethod):
    """A sequence of pruning methods on one tensor, applied iteratively: each new method prunes only what the masks
    so far keep (the remaining entries for unstructured methods, the remaining channels for structured ones, the
    whole tensor for global ones). ``prune.*`` builds one when a tensor is pruned twice.

    Example::

        prune.l1_unstructured(m, "weight", amount=2)
        prune.ln_structured(m, "weight", amount=1, n=2, dim=0)
        m._forward_pre_hooks       # one PruningContainer holding both methods
    """

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1:         # from one method: the container acts on its tensor
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Appends `method` (a BasePruningMethod acting on this container's tensor)."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' to "
                             f"PruningContainer {self}. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """The last method's mask, computed on the part of `t` that default_mask keeps and written into it."""
        return _combine_masks(self._pruning_methods[-1], t, default_mask)


def _combine_masks(method, t, mask):
    new_mask = mask.to(dtype=t.dtype)
    kind = method.PRUNING_TYPE
    if kind == "unstructured":
        slc = mask == 1
    elif kind == "structured":
        if not hasattr(method, "dim"):
            raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the attribute `dim` '
                                 "defined.")
        n_dims = t.dim()
        dim = method.dim + n_dims if method.dim < 0 else method.dim
        if dim < 0:
            raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
        keep_channel = mask.sum(dim=[d for d in range(n_dims) if d != dim]) != 0
        slc = [slice(None)] * n_dims
        slc[dim] = keep_channel
        slc = tuple(slc)
    elif kind == "global":
        slc = (slice(None),) * len(t.shape)
    else:
        raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
    partial_mask = method.compute_mask(t[slc], default_mask=mask[slc])
    new_mask[slc] = partial_mask.to(dtype=new_mask.dtype)
    return new_mask


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones (a tensor can then be handled as pruned)."""
    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class _Unstructured(BasePruningMethod):
    """Prunes `amount` entries (an int, or a fraction in [0, 1]): the k that `_pruned(t, k)` picks (flat indices)."""
    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_pruning_amount_init(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        size = t.nelement()
        k = _compute_nparams_toprune(self.amount, size)
        _validate_pruning_amount(k, size)
        mask = default_mask.clone(memory_format=contiguous_format)
        if k != 0:
            mask.view(-1)[self._pruned(t, k)] = 0
        return mask


class RandomUnstructured(_Unstructured):
    """Prunes `amount` entries (an int, or a fraction in [0, 1]) chosen at random."""

    def _pruned(self, t, k):
        return rand_like(t).view(-1).topk(k).indices

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(_Unstructured):
    """Prunes the `amount` entries (an int, or a fraction in [0, 1]) of smallest absolute value."""

    def _pruned(self, t, k):
        return t.detach().abs().reshape(-1).topk(k, largest=False).indices

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class _Structured(BasePruningMethod):
    """Prunes `amount` whole channels (slices along `dim`): all but those `_kept(t, size, k)` picks (bool mask or
    indices; called before the k == 0 shortcut, so its argument checks always run)."""
    PRUNING_TYPE = "structured"

    def compute_mask(self, t, default_mask):
        _validate_structured_pruning(t)
        _validate_pruning_dim(t, self.dim)
        size = t.shape[self.dim]
        k = _compute_nparams_toprune(self.amount, size)
        _validate_pruning_amount(k, size)
        keep = self._kept(t, size, k)
        if k == 0:
            return default_mask
        mask = _channel_mask(t, self.dim, keep)
        mask *= default_mask.to(dtype=mask.dtype)
        return mask


class RandomStructured(_Structured):
    """Prunes `amount` whole channels (slices along `dim`) chosen at random."""

    def __init__(self, amount, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def _kept(self, t, size, k):
        if k == 0:
            return None                             # (no draw: the generator's state stays as it was)
        prob = rand(size, device=t.device)
        return prob > prob.kthvalue(k).values       # the k lowest draws are pruned

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(_Structured):
    """Prunes the `amount` channels (slices along `dim`) of smallest L`n` norm (n: int, float, inf, -inf, 'fro',
    'nuc')."""

    def __init__(self, amount, n, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def _kept(self, t, size, k):
        return _compute_norm(t.detach(), self.n, self.dim).topk(size - k, largest=True).indices

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


def _channel_mask(t, dim, keep):
    """Ones on the channels `keep` (bool mask or indices) along dim, zeros elsewhere."""
    mask = zeros_like(t)
    slc = [slice(None)] * t.dim()
    slc[dim] = keep
    mask[tuple(slc)] = 1
    return mask


class CustomFromMask(BasePruningMethod):
    """Prunes where the given mask is 0."""
    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if default_mask.shape != self.mask.shape:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match self.mask shape "
                                 f"{self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """Marks ``module.<name>`` as pruned with an all-ones mask; returns module.

    Example: ``prune.identity(nn.Linear(2, 3), "bias").bias_mask`` is ``tensor([1., 1., 1.])``."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Zeroes `amount` entries (an int, or a fraction in [0, 1]) of ``module.<name>`` chosen at random.

    Example: ``prune.random_unstructured(m, "weight", amount=0.3)``"""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Zeroes the `amount` entries (an int, or a fraction in [0, 1]) of ``module.<name>`` of smallest absolute value
    (of importance_scores when given); returns module.

    Example: ``prune.l1_unstructured(nn.Linear(4, 3), "weight", amount=0.5)``"""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Zeroes `amount` channels (slices along `dim`) of ``module.<name>`` chosen at random; returns module.

    Example: ``prune.random_structured(nn.Conv2d(3, 8, 3), "weight", amount=2, dim=0)``"""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Zeroes the `amount` channels (slices along `dim`) of ``module.<name>`` of smallest L`n` norm; returns module.

    Example: ``prune.ln_structured(nn.Conv2d(3, 8, 3), "weight", amount=0.5, n=2, dim=0)``"""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prunes the (module, name) pairs of `parameters` together: the method (unstructured, built from kwargs) sees
    them as one vector, so e.g. the 20% smallest weights of the whole model go, whatever layer they are in.
    importance_scores: a dict {(module, name): scores} replacing those tensors' values.

    Example::

        params = [(model[0], "weight"), (model[2], "weight")]
        prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=0.2)
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    parameters = list(parameters)           # (read twice below; torch's reads its iterable again)
    scores = parameters_to_vector([importance_scores.get((module, name), getattr(module, name))
                                   for module, name in parameters])
    default_mask = parameters_to_vector([getattr(module, name + "_mask", ones_like(getattr(module, name)))
                                         for module, name in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final_mask = container.compute_mask(scores.detach(), default_mask)
    pointer = 0
    for module, name in parameters:
        param = getattr(module, name)
        n = param.numel()
        custom_from_mask(module, name, mask=final_mask[pointer:pointer + n].view_as(param))
        pointer += n


def custom_from_mask(module, name, mask):
    """Zeroes ``module.<name>`` where `mask` is 0; returns module.

    Example: ``prune.custom_from_mask(nn.Linear(3, 2), "bias", mask=torch.tensor([0, 1]))``"""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Makes the pruning of ``module.<name>`` permanent: it is a Parameter again (with the zeros), and
    ``<name>_orig``, ``<name>_mask`` and the hook are gone; returns module.

    Example: ``prune.remove(prune.l1_unstructured(m, "weight", 0.5), "weight")``"""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module):
    """True when `module` or one of its submodules has a pruning hook.

    Example: ``prune.is_pruned(prune.identity(nn.Linear(2, 2), "weight"))`` is True."""
    return any(isinstance(hook, BasePruningMethod)
               for _, sub in module.named_modules() for hook in sub._forward_pre_hooks.values())


def _validate_pruning_amount_init(amount):
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _validate_pruning_amount(amount, tensor_size):
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={tensor_size}")


def _validate_structured_pruning(t):
    shape = t.shape
    if len(shape) <= 1:
        raise ValueError(f"Structured pruning can only be applied to multidimensional tensors. Found tensor of shape "
                         f"{shape} with {len(shape)} dims")


def _compute_nparams_toprune(amount, tensor_size):
    """An int amount as is; a fraction of tensor_size rounded half to even (Python's round, as torch)."""
    return amount if isinstance(amount, numbers.Integral) else round(amount * tensor_size)


def _validate_pruning_dim(t, dim):
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")


def _compute_norm(t, n, dim):
    """The `n`-norm of each slice of t along dim (over every other dim)."""
    dims = list(range(t.dim()))
    dims.remove(dims[dim])
    return t.norm(p=n, dim=dims)
