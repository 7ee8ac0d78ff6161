"""Neural-network building blocks, as ``torch.nn``: Module, Parameter, layers, containers,
losses, ``nn.functional`` and ``nn.init``."""
from .parameter import Parameter, Buffer, UninitializedParameter, UninitializedBuffer
from .modules import (Module, Identity, Linear, ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Softmax,
                      LogSoftmax, GELU, SiLU, Mish, Softplus, Hardtanh, Threshold, ReLU6, Hardsigmoid, Hardswish, LogSigmoid,
                      Softsign, SELU, CELU, PReLU, Dropout, Flatten, Sequential, ModuleList, ModuleDict, NLLLoss,
                      CrossEntropyLoss, MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss)
from .modules import (Bilinear, Softmin, Softmax2d, GLU, Hardshrink, Softshrink, Tanhshrink, RReLU, Unflatten,
                      ParameterList, ParameterDict, KLDivLoss, PoissonNLLLoss, GaussianNLLLoss, MarginRankingLoss,
                      HingeEmbeddingLoss, CosineEmbeddingLoss, SoftMarginLoss, MultiLabelSoftMarginLoss,
                      MultiMarginLoss, MultiLabelMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss)
from .modules.distance import *  # noqa: F401,F403
from .modules.conv import *  # noqa: F401,F403
from .modules.pooling import *  # noqa: F401,F403
from .modules.normalization import *  # noqa: F401,F403
from .modules.resize import *  # noqa: F401,F403
from .modules.transformer import *  # noqa: F401,F403
from .modules.sparse import *  # noqa: F401,F403
from .modules.rnn import *  # noqa: F401,F403
from .modules.lazy import *  # noqa: F401,F403
from .modules.channelshuffle import *  # noqa: F401,F403
from .modules.adaptive import *  # noqa: F401,F403
from .modules.fractional_pooling import *  # noqa: F401,F403
from .modules.sync_batchnorm import *  # noqa: F401,F403
from .modules.legacy import *  # noqa: F401,F403
from .modules.linear_cross_entropy import *  # noqa: F401,F403
from . import functional, init
from . import utils
from . import parallel
from . import attention      # nn.attention: sdpa_kernel, SDPBackend (recorded switches)
from . import _reduction     # nn._reduction: legacy_get_string, get_enum (for losses written for torch)
from .parallel import DataParallel  # noqa: E402  (nn.DataParallel, as torch.nn exports it)
from .modules import CTCLoss  # noqa: F401


def __getattr__(name):      # torch.ao.nn's quantized, QAT and fused modules, imported on first use (startup time)
    if name in ("quantized", "qat", "intrinsic"):
        import importlib
        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
