"""autograd_lite.quantization: ``torch.quantization``, PyTorch's deprecated name of ``torch.ao.quantization``
(the same objects). Example: ``torch.quantization.quantize_dynamic(model, {torch.nn.Linear})``"""
from .ao.quantization import *  # noqa: F401,F403
from .ao.quantization import observer, fake_quantize, qconfig, quantize, stubs  # noqa: F401
from .ao.quantization.observer import __all__ as _obs_all
from .ao.quantization.fake_quantize import __all__ as _fq_all
from .ao.quantization.qconfig import __all__ as _qc_all
from .ao.quantization.quantize import __all__ as _q_all

__all__ = list(_obs_all) + list(_fq_all) + list(_qc_all) + list(_q_all) + ["QuantStub", "DeQuantStub",
                                                                           "QuantWrapper"]
