"""ctc_loss / nn.CTCLoss / torch.ctc_loss against PyTorch: values and gradients (through log_softmax) in float64 and
float32, padded and concatenated targets, lengths as Tensors or tuples, unbatched input, every reduction,
zero_infinity and impossible alignments, repeated labels, blank != 0, gradcheck, second order (an error, as
PyTorch), errors; the Numba kernels against the array-module formula; the emulated CUDA device."""
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import autograd_lite as al
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.kernels.cpu import _jit, ctc as K
from autograd_lite.ops import ctc as O

T, N, C, S = 12, 5, 6, 4
IL, TL = [12, 10, 3, 7, 0], [4, 3, 3, 0, 0]          # sample 2: 3 steps for 3 labels with a repeat: impossible


def _data(blank=0, seed=0, dtype="float64"):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((T, N, C)).astype(dtype)
    tg = rng.integers(0, C - 1, (N, S))
    tg[tg >= blank] += 1                                  # labels other than the blank
    tg[0, 1] = tg[0, 0]                                   # repeated labels
    tg[2, 1] = tg[2, 0]
    return logits, tg


def _both(logits, tg, il, tl, device="cpu", go=None, **kw):
    """(torch's loss and dL/dlogits, ours) with log_softmax in front."""
    tl_ = torch.tensor(logits, requires_grad=True)
    loss = TF.ctc_loss(tl_.log_softmax(2), torch.tensor(tg), torch.tensor(il), torch.tensor(tl), **kw)
    go = np.random.default_rng(9).random(loss.shape) if go is None else go
    tgrad, = torch.autograd.grad(loss, tl_, torch.tensor(go, dtype=loss.dtype))
    al_ = al.tensor(logits, requires_grad=True, device=device)
    ours = F.ctc_loss(al_.log_softmax(2), al.tensor(tg, device=device), al.tensor(il, device=device),
                      al.tensor(tl, device=device), **kw)
    agrad, = al.autograd.grad(ours, al_, al.tensor(go, dtype=ours.dtype, device=device))
    return (loss, tgrad), (ours, agrad)


def _close(got, want, dtype="float64"):
    tol = dict(rtol=1e-9, atol=1e-10) if dtype == "float64" else dict(rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(got.detach().cpu().numpy(), want.detach().numpy(), equal_nan=True, **tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("reduction,zero_infinity,blank", list(itertools.product(("none", "mean", "sum"),
                                                                                   (False, True), (0, 3))))
def test_against_torch(reduction, zero_infinity, blank, dtype):
    logits, tg = _data(blank, dtype=dtype)
    want, got = _both(logits, tg, IL, TL, reduction=reduction, zero_infinity=zero_infinity, blank=blank)
    assert got[0].dtype == getattr(al, dtype) and got[0].shape == tuple(want[0].shape)
    assert got[1].dtype == getattr(al, dtype)
    _close(got[0], want[0], dtype)
    _close(got[1], want[1], dtype)


def test_impossible_alignment_is_inf_and_nan_gradient():
    logits, tg = _data()
    want, got = _both(logits, tg, IL, TL, reduction="none")
    assert np.isinf(got[0].detach().numpy()[2]) and np.isnan(got[1].numpy()[:3, 2]).all()
    assert (got[1].numpy()[3:, 2] == 0).all() and (got[1].numpy()[:, 4] == 0).all()     # past the input; T = 0
    want, got = _both(logits, tg, IL, TL, reduction="sum", zero_infinity=True)
    assert (got[1].numpy()[:, 2] == 0).all()
    _close(got[1], want[1])


def test_targets_and_lengths_forms():
    logits, tg = _data(seed=1)
    lp_t, lp_a = torch.tensor(logits).log_softmax(2), al.tensor(logits).log_softmax(2)
    want = TF.ctc_loss(lp_t, torch.tensor(tg), torch.tensor(IL), torch.tensor(TL), reduction="none")
    flat = np.concatenate([tg[i, :n] for i, n in enumerate(TL)])
    for targets, il, tl in ((al.tensor(tg), tuple(IL), tuple(TL)), (al.tensor(flat), al.tensor(IL), al.tensor(TL)),
                            (al.tensor(flat), IL, TL), (al.tensor(tg).int(), al.tensor(IL).int(), al.tensor(TL).int())):
        _close(F.ctc_loss(lp_a, targets, il, tl, reduction="none"), want)
    # unbatched: (T, C), targets (S,), lengths as 0-d tensors or 1-tuples
    want = TF.ctc_loss(lp_t[:, 0], torch.tensor(tg[0]), torch.tensor(12), torch.tensor(4), reduction="none")
    for il, tl in ((al.tensor(12), al.tensor(4)), ((12,), (4,))):
        got = F.ctc_loss(lp_a[:, 0], al.tensor(tg[0]), il, tl, reduction="none")
        assert got.shape == ()
        _close(got, want)
    # torch.ctc_loss: the reduction as an integer; nn.CTCLoss
    for r in range(3):
        _close(al.ctc_loss(lp_a, al.tensor(tg), IL, TL, 0, r, True),
               torch.ctc_loss(lp_t, torch.tensor(tg), IL, TL, 0, r, True))
    crit = nn.CTCLoss(blank=0, zero_infinity=True)
    _close(crit(lp_a, al.tensor(tg), al.tensor(IL), al.tensor(TL)),
           torch.nn.CTCLoss(zero_infinity=True)(lp_t, torch.tensor(tg), torch.tensor(IL), torch.tensor(TL)))


def test_gradcheck():
    logits, tg = _data(seed=2)
    il, tl = [12, 9, 8, 7, 5], [4, 3, 2, 0, 1]
    x = al.tensor(logits[:, :, :], requires_grad=True)
    for red in ("mean", "none"):
        assert al.autograd.gradcheck(lambda v: F.ctc_loss(v.log_softmax(2), al.tensor(tg), il, tl, blank=0,
                                                          reduction=red), (x,))


def test_second_order_raises_as_torch():
    logits, tg = _data()
    msgs = []
    for lib, F_ in ((torch, TF), (al, F)):
        x = lib.tensor(logits, requires_grad=True)
        loss = F_.ctc_loss(x.log_softmax(2), lib.tensor(tg), IL[:2] + [5, 5, 5], TL[:2] + [1, 1, 1])
        g, = lib.autograd.grad(loss, x, create_graph=True)
        with pytest.raises(RuntimeError) as e:
            lib.autograd.grad(g.sum(), x)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1] == "derivative for aten::_ctc_loss_backward is not implemented"


def test_errors():
    logits, tg = _data()
    tl_, al_ = torch.tensor(logits).log_softmax(2), al.tensor(logits).log_softmax(2)
    cases = [
        lambda lib, F_, lp: F_.ctc_loss(lp, lib.tensor(tg), lib.tensor(IL[:2]), lib.tensor(TL)),
        lambda lib, F_, lp: F_.ctc_loss(lp, lib.tensor(tg), lib.tensor(IL), lib.tensor(TL[:3])),
        lambda lib, F_, lp: F_.ctc_loss(lp, lib.tensor(tg), lib.tensor([13] + IL[1:]), lib.tensor(TL)),
        lambda lib, F_, lp: F_.ctc_loss(lp, lib.tensor(tg), lib.tensor([-1] + IL[1:]), lib.tensor(TL)),
        lambda lib, F_, lp: F_.ctc_loss(lp, lib.tensor(tg), lib.tensor(IL), lib.tensor([5] + TL[1:])),
        lambda lib, F_, lp: F_.ctc_loss(lp, lib.tensor(tg), lib.tensor(IL), lib.tensor([-1] + TL[1:])),
        lambda lib, F_, lp: F_.ctc_loss(lp, lib.tensor(tg), lib.tensor(IL), lib.tensor(TL), blank=C),
        lambda lib, F_, lp: F_.ctc_loss(lp, lib.tensor(tg), lib.tensor(IL), lib.tensor(TL), blank=-1),
        lambda lib, F_, lp: F_.ctc_loss(lp, lib.tensor(tg), lib.tensor(IL), lib.tensor(TL), reduction="avg"),
        lambda lib, F_, lp: F_.ctc_loss(lp, lib.tensor(tg.ravel()[:9]), lib.tensor(IL), lib.tensor(TL)),
        lambda lib, F_, lp: F_.ctc_loss(lp, lib.tensor(tg), lib.tensor(IL, dtype=lib.float32), lib.tensor(TL)),
        lambda lib, F_, lp: F_.ctc_loss(lp.long(), lib.tensor(tg), lib.tensor(IL), lib.tensor(TL)),
    ]
    for case in cases:
        with pytest.raises(Exception) as want:
            case(torch, TF, tl_)
        with pytest.raises(type(want.value)) as got:
            case(al, F, al_)
        assert str(got.value) == str(want.value)
    with pytest.raises(IndexError, match=r"target labels must lie in \[0, 6\)"):     # PyTorch reads out of bounds
        F.ctc_loss(al_, al.tensor(tg + C), al.tensor(IL), al.tensor(TL))


@pytest.mark.parametrize("parallel", [False, True])
def test_kernels_against_array_formula(parallel):
    for blank, dtype in ((0, np.float64), (2, np.float32))[:1 if parallel else 2]:     # (one parallel compile)
        logits, tg = _data(blank, seed=4)
        lp = (logits - np.log(np.exp(logits).sum(2, keepdims=True))).astype(dtype)
        il, tl = np.array(IL), np.array(TL)
        with _jit.forced(parallel):
            nll, la = K.ctc_loss_forward(lp, tg, il, tl, blank)
        nll2, la2 = O.ctc_forward_xp(lp, tg, il, tl, blank)
        rtol = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(nll, nll2, rtol=rtol)
        np.testing.assert_allclose(la, la2, rtol=rtol, atol=rtol)
        g = np.random.default_rng(0).random(N).astype(dtype)
        for zi in (False, True):
            with _jit.forced(parallel):
                got = K.ctc_loss_backward(g, lp, tg, il, tl, blank, nll, la, zi)
            want = O.ctc_backward_xp(g, lp, tg, il, tl, blank, nll2, la2, zi)
            np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, equal_nan=True)
    with pytest.raises(TypeError):
        K.ctc_loss_forward(lp.astype(np.int64), tg, il, tl, 0)
    with pytest.raises(IndexError):
        K.ctc_loss_forward(lp, tg + C, il, tl, 0)
    with pytest.raises(ValueError):
        K.ctc_loss_forward(lp, tg, il + 1, tl, 0)


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_devices(device, reduction):
    """On the emulated CUDA device (no CTC kernels) the array-module formula runs."""
    logits, tg = _data(1, seed=6)
    want, got = _both(logits, tg, IL, TL, device=device, reduction=reduction, blank=1, zero_infinity=True)
    assert got[0].device.type == al.device(device).type
    _close(got[0], want[0])
    _close(got[1], want[1])
