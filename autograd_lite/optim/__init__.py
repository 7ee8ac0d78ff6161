"""Optimizers and learning-rate schedulers, as ``torch.optim``.

    from autograd_lite import optim
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10)

Each optimizer is one file: its update rule written once on the array module (so it runs on every device),
and the kernel table's fused in-place kernel of the same signature, used where the parameter's device has it
(kernels/cpu/optim.py, kernels/cuda). Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD and LBFGS have only their
array-module rule. Every optimizer accepts PyTorch's implementation flags (foreach, fused, capturable,
differentiable, as each PyTorch optimizer does) as no-ops.
"""
from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop",
           "ASGD", "LBFGS", "lr_scheduler", "swa_utils"]
__all__ += ["Adafactor", "Muon", "SparseAdam"]
