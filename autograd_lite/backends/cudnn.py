"""``torch.backends.cudnn``: the flags scripts set, kept and not used (autograd_lite has no cuDNN)."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """False: autograd_lite does not use cuDNN."""
    return False


def version():
    """None, as torch's when cuDNN is not there."""
    return None
