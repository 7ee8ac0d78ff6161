"""Sequence models, side by side with PyTorch: word_language_model's training step (LSTM, GRU, Transformer), an LSTM
forward under no_grad, mnist_rnn's training step and the embedding alone.

    cd benchmarks && OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 python cases_sequence.py [--quick]

Every model is built in torch (torch.manual_seed(0)) and its state_dict copied into autograd_lite's (the same
parameter names), so both libraries compute the same step on the same fixed batches (word_language_model: token ids
in [0, VOCAB), (SEQ, BATCH) inputs and the next tokens as targets). Times are per step (us). benchmarks/run.py
imports `cases`.
"""
import functools
import itertools
import math
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import OURS, Case, fmt, measure, ratio  # noqa: E402

VOCAB, EMB, HID, LAYERS, SEQ, BATCH, DROPOUT = 10000, 200, 200, 2, 35, 20, 0.2
CLIP, LR = 0.25, 20.0            # word_language_model's defaults
POOL = 4                          # distinct batches cycled through
LIBS = (OURS, "torch")


def _lib(name):
    return __import__(name)                     # ImportError (torch absent): the harness skips the impl


# ---- models, written once for both libraries (the same nn API) --------------------------------------------
def word_model(lib, kind):
    """word_language_model's RNNModel (LSTM, GRU) or TransformerModel, with VOCAB tokens; the transformer's
    positional encoding is the example's sinusoid table, a buffer."""
    nn = lib.nn

    class RNNModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(DROPOUT)
            self.encoder = nn.Embedding(VOCAB, EMB)
            self.rnn = getattr(nn, kind)(EMB, HID, LAYERS, dropout=DROPOUT)
            self.decoder = nn.Linear(HID, VOCAB)

        def forward(self, x, hidden):
            out, hidden = self.rnn(self.drop(self.encoder(x)), hidden)
            return self.decoder(self.drop(out)).view(-1, VOCAB), hidden

    class TransformerModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(VOCAB, EMB)
            self.register_buffer("pe", lib.from_numpy(positional_encoding(SEQ, EMB)))
            self.drop = nn.Dropout(DROPOUT)
            layer = nn.TransformerEncoderLayer(EMB, 2, HID, DROPOUT)
            self.transformer_encoder = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
            self.decoder = nn.Linear(EMB, VOCAB)

        def forward(self, x, mask):
            x = self.drop(self.encoder(x) * math.sqrt(EMB) + self.pe[:x.shape[0]])
            return self.decoder(self.transformer_encoder(x, mask)).view(-1, VOCAB)

    return TransformerModel() if kind == "Transformer" else RNNModel()


@functools.lru_cache(maxsize=None)
def positional_encoding(length, d):
    pos = np.arange(length, dtype=np.float64)[:, None]
    div = np.exp(np.arange(0, d, 2) * (-math.log(10000.0) / d))
    pe = np.zeros((length, 1, d), np.float32)
    pe[:, 0, 0::2], pe[:, 0, 1::2] = np.sin(pos * div), np.cos(pos * div)
    return pe


def mnist_rnn(lib):
    """mnist_rnn/main.py's Net."""
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(input_size=28, hidden_size=64, batch_first=True)
            self.batchnorm = nn.BatchNorm1d(64)
            self.dropout1, self.dropout2 = nn.Dropout2d(0.25), nn.Dropout2d(0.5)
            self.fc1, self.fc2 = nn.Linear(64, 32), nn.Linear(32, 10)

        def forward(self, x):
            out = self.rnn(x.reshape(-1, 28, 28))[0][:, -1, :]
            out = self.dropout1(self.batchnorm(out))
            out = self.dropout2(F.relu(self.fc1(out)))
            return F.log_softmax(self.fc2(out), dim=1)

    return Net()


MODELS = {"LSTM": functools.partial(word_model, kind="LSTM"), "GRU": functools.partial(word_model, kind="GRU"),
          "Transformer": functools.partial(word_model, kind="Transformer"), "mnist_rnn": mnist_rnn}


@functools.lru_cache(maxsize=None)
def _weights(name):
    """torch's init of the model (seeded), as NumPy arrays: both libraries load it (autograd_lite's own init when
    torch is absent)."""
    try:
        import torch as lib
    except ImportError:
        import autograd_lite as lib
    lib.manual_seed(0)
    return {k: v.detach().numpy().copy() for k, v in MODELS[name](lib).state_dict().items()}


def model(lib_name, name):
    lib = _lib(lib_name)
    m = MODELS[name](lib)
    m.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in _weights(name).items()})
    return lib, m


@functools.lru_cache(maxsize=None)
def token_batches(n=POOL, seed=1):
    """n (input (SEQ, BATCH), target (SEQ * BATCH,)) int64 pairs: a random corpus cut as get_batch cuts it."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        s = rng.integers(0, VOCAB, (SEQ + 1, BATCH), dtype=np.int64)
        out.append((s[:-1].copy(), s[1:].reshape(-1).copy()))
    return out


@functools.lru_cache(maxsize=None)
def image_batches(batch=64, n=POOL, seed=2):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((batch, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, batch, dtype=np.int64))
            for _ in range(n)]


# ---- steps -----------------------------------------------------------------------------------------------------
def word_step(lib_name, kind):
    """word_language_model's train() loop body: hidden detached (repackage_hidden) or the causal mask, zero_grad,
    forward, CrossEntropyLoss, backward, clip_grad_norm_(0.25), p.data.add_(p.grad, alpha=-lr)."""
    lib, m = model(lib_name, kind)
    m.train()
    criterion = lib.nn.CrossEntropyLoss()
    params = list(m.parameters())
    data = itertools.cycle([(lib.from_numpy(x), lib.from_numpy(y)) for x, y in token_batches()])
    if kind == "Transformer":
        mask = lib.nn.Transformer.generate_square_subsequent_mask(SEQ)
    else:
        zeros = lib.zeros(LAYERS, BATCH, HID)
        state = [(zeros, zeros) if kind == "LSTM" else zeros]

    def step():
        x, y = next(data)
        m.zero_grad()
        if kind == "Transformer":
            out = m(x, mask)
        else:
            hidden = state[0]
            hidden = tuple(h.detach() for h in hidden) if isinstance(hidden, tuple) else hidden.detach()
            out, state[0] = m(x, hidden)
        loss = criterion(out, y)
        loss.backward()
        lib.nn.utils.clip_grad_norm_(params, CLIP)
        for p in params:
            p.data.add_(p.grad, alpha=-LR)
        return loss.item()
    return step


def lstm_inference(lib_name):
    """word_language_model's 2-layer LSTM alone, forward in eval mode under no_grad, on embedded batches."""
    lib, m = model(lib_name, "LSTM")
    rnn = m.rnn.eval()
    rng = np.random.default_rng(3)
    data = itertools.cycle([lib.from_numpy(rng.standard_normal((SEQ, BATCH, EMB), dtype=np.float32))
                            for _ in range(POOL)])

    def step():
        with lib.no_grad():
            return rnn(next(data))[0]
    return step


def mnist_rnn_step(lib_name, batch=64):
    """mnist_rnn's train() loop body: zero_grad, forward, nll_loss, backward, Adadelta(lr=0.1) step."""
    lib, m = model(lib_name, "mnist_rnn")
    m.train()
    opt = lib.optim.Adadelta(m.parameters(), lr=0.1)
    data = itertools.cycle([(lib.from_numpy(x), lib.from_numpy(y)) for x, y in image_batches(batch)])

    def step():
        x, y = next(data)
        opt.zero_grad()
        with warnings.catch_warnings():          # both warn: mnist_rnn's Dropout2d gets (N, C) input
            warnings.filterwarnings("ignore", message=".*dropout2d.*")
            out = m(x)
        loss = lib.nn.functional.nll_loss(out, y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def embedding_fwd_bwd(lib_name):
    """Embedding(VOCAB, EMB) on a (SEQ, BATCH) batch: forward, then the weight's gradient from a fixed one."""
    lib = _lib(lib_name)
    emb = lib.nn.Embedding(VOCAB, EMB)
    emb.weight.data.copy_(lib.from_numpy(_weights("LSTM")["encoder.weight"].copy()))
    g = lib.from_numpy(np.random.default_rng(4).standard_normal((SEQ, BATCH, EMB), dtype=np.float32))
    data = itertools.cycle([lib.from_numpy(x) for x, _ in token_batches()])
    return lambda: lib.autograd.grad(emb(next(data)), emb.weight, g)


def _impls(fn, *args):
    return {lib: functools.partial(fn, lib, *args) for lib in LIBS}


def cases(quick=False):
    wlm = f"seq {SEQ}, batch {BATCH}"
    note = (f"word_language_model: Embedding({VOCAB}, {EMB}), {LAYERS} layers of {HID}, dropout {DROPOUT}, "
            f"Linear decoder, CrossEntropyLoss, clip_grad_norm_({CLIP}), p.data.add_(p.grad, alpha=-lr); weights "
            "copied from torch's init")
    out = [Case("sequence", f"word_language_model {k} training step", wlm, "us", 1, _impls(word_step, k), note)
           for k in ("LSTM", "GRU")]
    out.append(Case("sequence", "word_language_model Transformer training step", wlm, "us", 1,
                    _impls(word_step, "Transformer"),
                    "Transformer: TransformerEncoderLayer(200, 2, 200) x 2, causal mask, sinusoid positions"))
    out.append(Case("sequence", "LSTM forward, eval, no_grad", f"{wlm}, {LAYERS}x{HID}", "us", 1,
                    _impls(lstm_inference)))
    out.append(Case("sequence", "mnist_rnn training step", "batch 64", "us", 1, _impls(mnist_rnn_step),
                    "mnist_rnn: LSTM(28, 64, batch_first) over 28 rows, BatchNorm1d, Dropout2d, 64-32-10, "
                    "Adadelta(lr=0.1)"))
    out.append(Case("sequence", "Embedding forward + backward", f"{VOCAB}x{EMB}, {SEQ}x{BATCH} ids", "us", 1,
                    _impls(embedding_fwd_bwd)))
    return out


def main():
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    print(f"| case | size | {OURS} us | torch us | torch / ours |\n|---|---|--:|--:|--:|")
    for case in cases(quick="--quick" in sys.argv):
        times = measure(case, rounds=3 if "--quick" in sys.argv else 7)
        rates = [fmt(case.rate(times[k]), case.unit) if k in times else "-" for k in LIBS]
        print(f"| {case.name} | {case.size} | {' | '.join(rates)} | {fmt(ratio(case, times, 'torch'), 'x')} |",
              flush=True)


if __name__ == "__main__":
    main()
