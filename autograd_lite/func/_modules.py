"""torch.func's helpers for modules: stack_module_state (the model-ensembling recipe with vmap and
functional_call) and replace_all_batch_norm_modules_."""
from ..nn.modules.normalization import _BatchNorm
from ..ops.shape import stack

__all__ = ["stack_module_state", "replace_all_batch_norm_modules_"]


def stack_module_state(models):
    """``(params, buffers)``: dicts of each parameter's and buffer's values across `models` (modules of one class,
    in one training/eval mode) stacked along a new first dim; the stacked parameters are new leaves that require
    grad (optimizable), as PyTorch's.

    Example::

        >>> models = [nn.Linear(3, 2) for _ in range(5)]
        >>> params, buffers = stack_module_state(models)
        >>> params["weight"].shape
        autograd_lite.Size([5, 2, 3])
        >>> call = lambda p, b, x: functional_call(models[0], (p, b), (x,))
        >>> vmap(call, in_dims=(0, 0, None))(params, buffers, autograd_lite.ones(4, 3)).shape
        autograd_lite.Size([5, 4, 2])
    """
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    if not all(type(m) is type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_params = [dict(m.named_parameters()) for m in models]
    all_buffers = [dict(m.named_buffers()) for m in models]
    return ({k: _stacked_leaf([p[k] for p in all_params], k) for k in all_params[0]},
            {k: _stacked_leaf([b[k] for b in all_buffers], k) for k in all_buffers[0]})


def _stacked_leaf(tensors, name):
    flags = {t.requires_grad for t in tensors}
    if len(flags) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = stack(tensors)
    return result.detach().requires_grad_() if flags == {True} else result


def replace_all_batch_norm_modules_(root):
    """Makes every BatchNorm in `root` stop tracking running statistics (running_mean / running_var /
    num_batches_tracked None, track_running_stats False), in place, so it normalizes with batch statistics under
    vmap; returns root.

    Example: ``replace_all_batch_norm_modules_(model)``"""
    for module in root.modules():
        if isinstance(module, _BatchNorm) and module.track_running_stats:
            module.running_mean = module.running_var = module.num_batches_tracked = None
            module.track_running_stats = False
    return root
