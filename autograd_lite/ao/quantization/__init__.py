"""autograd_lite.ao.quantization: PyTorch's eager-mode quantization (torch.ao.quantization): observers, fake
quantization, QConfig, and the flows that swap modules for quantized ones (``quantize_dynamic``; ``prepare`` /
``convert``; ``prepare_qat``) with QuantStub / DeQuantStub marking where tensors are quantized.

Example::

    qmodel = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
"""
from .observer import *  # noqa: F401,F403
from .observer import ObserverBase  # noqa: F401
from .fake_quantize import *  # noqa: F401,F403
from .qconfig import *  # noqa: F401,F403
from .quantize import *  # noqa: F401,F403
from .fuse_modules import fuse_modules, fuse_known_modules, fuse_conv_bn_weights  # noqa: F401
from .stubs import QuantStub, DeQuantStub, QuantWrapper  # noqa: F401
