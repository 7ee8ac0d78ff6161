"""``torch.backends.mps``: Apple's Metal backend, which autograd_lite does not have."""


def is_available():
    """False: there is no MPS device here."""
    return False


def is_built():
    """False: autograd_lite is not built with MPS."""
    return False
