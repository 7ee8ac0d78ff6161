"""Optimizers and learning-rate schedulers, as ``torch.optim``.

    from autograd_lite import optim
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10)

Each update rule is one fused in-place kernel per parameter, from the parameter's backend kernel table
(kernels/cpu/optim.py on the CPU).
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
