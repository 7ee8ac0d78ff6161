"""One check for error parity with PyTorch: ``assert_same_error(lambda lib: ...)`` runs the call with torch and with
autograd_lite, and asserts the same exception type and message (library names aside: ``torch.float64`` reads as
``autograd_lite.float64``, ``torch.Size([3])`` as ``autograd_lite.Size([3])``)."""
import pytest


def _words(message, lib_name):
    return message.replace(f"{lib_name}.", "lib.")


def assert_same_error(call):
    import torch

    import autograd_lite
    with pytest.raises(Exception) as ref:
        call(torch)
    with pytest.raises(Exception) as ours:
        call(autograd_lite)
    assert type(ours.value) is type(ref.value)
    assert _words(str(ours.value), "autograd_lite") == _words(str(ref.value), "torch")
