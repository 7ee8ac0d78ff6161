"""Optimizers and learning-rate schedulers, as ``torch.optim``.

    from autograd_lite import optim
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10)

Each optimizer is one file: its update rule written once on the array module (so it runs on every device),
and the kernel table's fused in-place kernel of the same signature, used where the parameter's device has it
(kernels/cpu/optim.py, kernels/cuda).
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
