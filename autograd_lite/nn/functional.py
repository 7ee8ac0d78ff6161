"""Functional neural-network ops, as in ``torch.nn.functional``: activations, linear, dropout and the losses
(cross_entropy is one fused, stable kernel). Each is declared once in autograd_lite.ops (functional=True)."""
from .. import _api, _torch_function, ops  # noqa: F401  (importing the ops declares them)

globals().update(_api.FUNCTIONAL)
from .._torch_function import (handle_torch_function, has_torch_function,  # noqa: F401,E402  (torch's F.X)
                              has_torch_function_unary, has_torch_function_variadic)
__all__ = sorted(_api.FUNCTIONAL)
_torch_function.install(__name__, __all__, "python")      # __torch_function__ wrappers
