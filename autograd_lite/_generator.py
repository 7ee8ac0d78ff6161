"""``autograd_lite.Generator``: an independent, seedable random stream, and the global one
(``default_generator``) behind ``manual_seed``. Every function that takes ``generator=`` (rand, randn, randint,
randperm, normal, bernoulli, multinomial, Tensor.normal_ / uniform_ / ..., DataLoader, random_split) draws from
it. The streams are reproducible per seed, not PyTorch's numbers (PyTorch uses a Mersenne Twister).

Example::

    g = torch.Generator().manual_seed(42)
    a = torch.rand(3, generator=g)
    g.manual_seed(42); assert torch.equal(torch.rand(3, generator=g), a)
"""
import numpy as np

from . import random as _random
from .backend import device as _device
from .tensor import Tensor

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state"]


class Generator:
    """A random number generator of its own (PCG64), seeded with PyTorch's default seed until told.

    Example: ``torch.randperm(10, generator=torch.Generator().manual_seed(0))``"""

    def __init__(self, device="cpu"):
        self.device = _device(device)
        self._seed = _random.DEFAULT_SEED
        self._gen = np.random.Generator(np.random.PCG64(self._seed))

    def numpy_generator(self):
        """The NumPy Generator it draws from."""
        return self._gen

    def manual_seed(self, seed):
        """Reseeds it; returns it (``g = torch.Generator().manual_seed(0)``)."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            seed = int(seed)
        self._seed = int(seed) % (1 << 64)
        self._gen = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self):
        """Reseeds it from fresh entropy; returns the seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy) % (1 << 63))
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """Its state as a uint8 tensor, for ``set_state``."""
        return Tensor._make(np.frombuffer(_random.state_bytes(self.numpy_generator()), np.uint8).copy())

    def set_state(self, new_state):
        """Restores a state from ``get_state``; returns it."""
        if not isinstance(new_state, Tensor) or new_state.dtype.name != "uint8":
            raise TypeError(f"expected a torch.ByteTensor, but got {_type_name(new_state)}")
        _random.set_state_bytes(self.numpy_generator(), new_state._host().tobytes())
        return self

    def clone_state(self):
        g = Generator(self.device)
        g._seed = self._seed
        g.set_state(self.get_state())
        return g

    # NumPy's Generator interface, as the samplers of utils.data draw from it
    def permutation(self, n):
        return self.numpy_generator().permutation(n)

    def integers(self, low, high=None, size=None, dtype=np.int64):
        return self.numpy_generator().integers(low, high, size=size, dtype=dtype)

    def __repr__(self):
        return f"<autograd_lite.Generator object at {id(self):#x}>"


def _type_name(x):
    return f"{x.dtype.scalar_type}Tensor" if isinstance(x, Tensor) else type(x).__name__


class _DefaultGenerator(Generator):
    """The global generator (autograd_lite.random's), as a Generator."""

    def __init__(self):
        self.device = _device("cpu")

    def numpy_generator(self):
        return _random.generator()

    def manual_seed(self, seed):
        _random.manual_seed(int(seed))
        return self

    def seed(self):
        return _random.seed()

    def initial_seed(self):
        return _random.initial_seed()

    @property
    def _seed(self):
        return _random.initial_seed()


default_generator = _DefaultGenerator()


def manual_seed(seed):
    """Seeds the global generator (rand, randn, dropout, init, shuffling); returns ``default_generator``.

    Example: ``torch.manual_seed(0)``"""
    return default_generator.manual_seed(seed)


def seed():
    """Seeds the global generator from fresh entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    """The seed the global generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state():
    """The global generator's state as a uint8 tensor. Example: ``s = torch.get_rng_state(); ...;
    torch.set_rng_state(s)``"""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restores the global generator's state from ``get_rng_state``."""
    default_generator.set_state(new_state)
