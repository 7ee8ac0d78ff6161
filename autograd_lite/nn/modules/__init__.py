from .module import Module
from .linear import Identity, Linear, Bilinear
from .activation import (ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Softmax, LogSoftmax, GELU, SiLU, Mish, Softplus,
                         Hardtanh, Threshold, ReLU6, Hardsigmoid, Hardswish, LogSigmoid, Softsign, SELU, CELU, PReLU,
                         Softmin, Softmax2d, GLU, Hardshrink, Softshrink, Tanhshrink, RReLU)
from .dropout import Dropout
from .flatten import Flatten, Unflatten
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
from .loss import NLLLoss, CrossEntropyLoss, MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss
from .loss import (KLDivLoss, PoissonNLLLoss, GaussianNLLLoss, MarginRankingLoss, HingeEmbeddingLoss,
                   CosineEmbeddingLoss, SoftMarginLoss, MultiLabelSoftMarginLoss, MultiMarginLoss, MultiLabelMarginLoss,
                   TripletMarginLoss, TripletMarginWithDistanceLoss)
from .distance import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .resize import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .lazy import *  # noqa: F401,F403
from .loss import CTCLoss  # noqa: F401
from .channelshuffle import *  # noqa: F401,F403
from .adaptive import *  # noqa: F401,F403
from .fractional_pooling import *  # noqa: F401,F403
from .sync_batchnorm import *  # noqa: F401,F403
from .legacy import *  # noqa: F401,F403
from .linear_cross_entropy import *  # noqa: F401,F403
