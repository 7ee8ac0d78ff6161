from .module import Module
from .linear import Identity, Linear
from .activation import (ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Softmax, LogSoftmax, GELU, SiLU, Mish, Softplus,
                         Hardtanh, ReLU6, Hardsigmoid, Hardswish, LogSigmoid, Softsign, SELU, CELU, PReLU)
from .dropout import Dropout
from .flatten import Flatten
from .container import Sequential, ModuleList, ModuleDict
from .loss import NLLLoss, CrossEntropyLoss, MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss
