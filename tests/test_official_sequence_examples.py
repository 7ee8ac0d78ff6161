"""The flows of PyTorch's official sequence examples (pytorch/examples word_language_model and
time_sequence_prediction) as tests, written here from their descriptions (not vendored), with the imports swapped:

- word_language_model: a corpus tokenised into one index tensor, batchify (narrow, view, t, contiguous), bptt
  slices, Embedding -> dropout -> LSTM / GRU / RNN_TANH (2 layers, inter-layer dropout) -> Linear decoder with
  tied weights, log_softmax + CrossEntropyLoss, hidden states detached between batches, clip_grad_norm_, the old
  ``p.data.add_(p.grad, alpha=-lr)`` update, evaluation under no_grad, ``torch.save(model)`` of the whole model and
  ``torch.load(f, weights_only=False)`` + ``flatten_parameters()``, and the Transformer variant (nn.Transformer
  subclass, square subsequent mask, encoder only);
- time_sequence_prediction: two LSTMCells in float64 stepping over a sine wave, LBFGS with a closure, predicting
  the future under no_grad.

Each trains a few steps on a small synthetic corpus / wave and must lower its loss."""
import math

import numpy as np
import pytest

import autograd_lite as torch
import autograd_lite.nn as nn
import autograd_lite.nn.functional as F


def corpus(lib, n_words=3000, vocab=30, seed=0):
    """Token ids of a text with structure to learn: each word mostly follows from the one before it."""
    rng = np.random.default_rng(seed)
    ids = [0]
    for _ in range(n_words - 1):
        ids.append((ids[-1] * 7 + 3) % vocab if rng.random() < 0.8 else int(rng.integers(vocab)))
    return lib.tensor(ids).type(lib.int64), vocab


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    return data.narrow(0, 0, nbatch * bsz).view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].view(-1)


class _RNNModelBody:
    """The example's RNNModel (tied weights), on the library of the nn.Module it is mixed with: `nn_` and `F_`,
    class attributes, name that library."""

    def setup(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout):
        nn_ = self.nn_
        self.ntoken, self.rnn_type, self.nhid, self.nlayers = ntoken, rnn_type, nhid, nlayers
        self.drop = nn_.Dropout(dropout)
        self.encoder = nn_.Embedding(ntoken, ninp)
        if rnn_type in ("LSTM", "GRU"):
            self.rnn = getattr(nn_, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            self.rnn = nn_.RNN(ninp, nhid, nlayers, nonlinearity="tanh", dropout=dropout)
        self.decoder = nn_.Linear(nhid, ntoken)
        self.decoder.weight = self.encoder.weight
        nn_.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn_.init.zeros_(self.decoder.bias)

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.drop(self.encoder(input)), hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.ntoken)
        return self.F_.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


class RNNModel(_RNNModelBody, nn.Module):          # module level: torch.save(model) pickles it by name
    nn_, F_ = nn, F

    def __init__(self, *args, **kwargs):
        nn.Module.__init__(self)
        self.setup(*args, **kwargs)


def rnn_model(lib, *args, **kwargs):
    """RNNModel on autograd_lite, or the same on torch (the reference)."""
    if lib is torch:
        return RNNModel(*args, **kwargs)

    class TorchRNNModel(_RNNModelBody, lib.nn.Module):
        nn_, F_ = lib.nn, lib.nn.functional

        def __init__(self):
            lib.nn.Module.__init__(self)
            self.setup(*args, **kwargs)
    return TorchRNNModel()


def repackage_hidden(lib, h):
    return h.detach() if isinstance(h, lib.Tensor) else tuple(repackage_hidden(lib, v) for v in h)


def evaluate(lib, model, source, bptt, ntokens, bsz):
    model.eval()
    criterion, total, hidden = lib.nn.CrossEntropyLoss(), 0.0, model.init_hidden(bsz)
    with lib.no_grad():
        for i in range(0, source.size(0) - 1, bptt):
            data, targets = get_batch(source, i, bptt)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(lib, hidden)
            total += len(data) * criterion(output, targets).item()
    return total / (len(source) - 1)


def train_epoch(lib, model, train_data, bptt, ntokens, lr):
    model.train()
    criterion, hidden = lib.nn.CrossEntropyLoss(), model.init_hidden(train_data.size(1))
    for i in range(0, train_data.size(0) - 1, bptt):
        data, targets = get_batch(train_data, i, bptt)
        model.zero_grad()
        hidden = repackage_hidden(lib, hidden)
        output, hidden = model(data, hidden)
        criterion(output.view(-1, ntokens), targets).backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)


@pytest.mark.parametrize("rnn_type", ["LSTM", "GRU", "RNN_TANH"])
def test_word_language_model_flow_follows_torch_epoch_for_epoch(rnn_type, tmp_path):
    """Without dropout (the only randomness) and from torch's initial weights, every epoch's validation loss equals
    PyTorch's; then the whole model goes through torch.save / torch.load(weights_only=False)."""
    torch_ref = pytest.importorskip("torch")
    losses = {}
    torch_ref.manual_seed(0)
    reference = rnn_model(torch_ref, rnn_type, 30, 32, 32, 2, dropout=0.0)
    ours = rnn_model(torch, rnn_type, 30, 32, 32, 2, dropout=0.0)
    ours.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in reference.state_dict().items()})
    assert ours.decoder.weight is ours.encoder.weight
    for lib, model in ((torch_ref, reference), (torch, ours)):
        ids, ntokens = corpus(lib)
        train_data, val_data = batchify(ids[:2400], 20), batchify(ids[2400:], 10)
        losses[lib] = [evaluate(lib, model, val_data, 10, ntokens, 10)]
        for _ in range(6):
            train_epoch(lib, model, train_data, 10, ntokens, lr=5.0)
            losses[lib].append(evaluate(lib, model, val_data, 10, ntokens, 10))
    np.testing.assert_allclose(losses[torch], losses[torch_ref], rtol=1e-4)
    assert losses[torch][0] == pytest.approx(math.log(30), rel=0.1)           # untrained: about uniform

    with open(tmp_path / "model.pt", "wb") as f:
        torch.save(ours, f)
    with open(tmp_path / "model.pt", "rb") as f:
        loaded = torch.load(f, weights_only=False)
    loaded.rnn.flatten_parameters()
    assert loaded.decoder.weight is loaded.encoder.weight                      # the tie survives the round trip
    assert evaluate(torch, loaded, val_data, 10, ntokens, 10) == pytest.approx(losses[torch][-1], rel=1e-6)


def test_word_language_model_with_dropout_learns():
    torch.manual_seed(1111)
    ids, ntokens = corpus(torch)
    train_data, val_data = batchify(ids[:2400], 20), batchify(ids[2400:], 10)
    model = rnn_model(torch, "GRU", ntokens, 32, 32, 2, dropout=0.2)
    before = evaluate(torch, model, val_data, 10, ntokens, 10)
    for _ in range(6):
        train_epoch(torch, model, train_data, 10, ntokens, lr=5.0)
    assert evaluate(torch, model, val_data, 10, ntokens, 10) < 0.75 * before


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=500):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0).transpose(0, 1))

    def forward(self, x):
        return self.dropout(x + self.pe[:x.size(0), :])


class TransformerModel(nn.Transformer):
    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.1):
        super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers)
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)

    def forward(self, src):
        mask = (torch.triu(torch.ones(len(src), len(src))) == 1).transpose(0, 1)
        mask = mask.float().masked_fill(mask == 0, float("-inf")).masked_fill(mask == 1, float(0.0))
        src = self.pos_encoder(self.input_emb(src) * math.sqrt(self.ninp))
        return F.log_softmax(self.decoder(self.encoder(src, mask=mask)), dim=-1)


def test_word_language_model_transformer_flow():
    torch.manual_seed(1111)
    ids, ntokens = corpus(torch, 1500)
    train_data = batchify(ids, 10)
    model = TransformerModel(ntokens, 32, 2, 64, 2, dropout=0.0)
    criterion = nn.NLLLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(4):
        for i in range(0, train_data.size(0) - 1, 10):
            data, targets = get_batch(train_data, i, 10)
            optimizer.zero_grad()
            loss = criterion(model(data).view(-1, ntokens), targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.8 * np.mean(losses[:10]), (losses[:10], losses[-10:])


class Sequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm1 = nn.LSTMCell(1, 16)
        self.lstm2 = nn.LSTMCell(16, 16)
        self.linear = nn.Linear(16, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), 16, dtype=torch.double)
        c_t = torch.zeros(input.size(0), 16, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), 16, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), 16, dtype=torch.double)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


def test_time_sequence_prediction_flow(tmp_path):
    np.random.seed(2)
    x = np.arange(60) + np.random.randint(-40, 40, 12).reshape(12, 1)
    torch.save(np.sin(x / 1.0 / 5).astype("float64"), open(tmp_path / "traindata.pt", "wb"))
    torch.manual_seed(0)
    data = torch.from_numpy(torch.load(tmp_path / "traindata.pt"))      # a plain array: loads weights-only
    input, target = data[3:, :-1], data[3:, 1:]
    test_input, test_target = data[:3, :-1], data[:3, 1:]
    seq = Sequence().double()
    criterion = nn.MSELoss()
    optimizer = torch.optim.LBFGS(seq.parameters(), lr=0.8)
    losses = []

    def closure():
        optimizer.zero_grad()
        loss = criterion(seq(input), target)
        losses.append(loss.item())
        loss.backward()
        return loss

    with torch.no_grad():
        first = criterion(seq(test_input), test_target).item()
    for _ in range(2):
        optimizer.step(closure)
    with torch.no_grad():
        pred = seq(test_input, future=20)
        test_loss = criterion(pred[:, :-20], test_target).item()
    assert pred.shape == (3, 59 + 20) and pred.dtype == torch.float64
    assert losses[-1] < 0.2 * losses[0] and test_loss < 0.2 * first, (losses[0], losses[-1], first, test_loss)
