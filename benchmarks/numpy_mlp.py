"""The no-framework reference of the training benchmarks: an MLP written by hand in NumPy for speed.

    mlp = NumpyMLP(weights, biases, optimizer="adam", lr=1e-3)     # weights (out, in), as nn.Linear's
    loss = mlp.step(x, y)          # zero_grad + forward + log_softmax/NLL (mean) + backward + update
    labels = mlp.predict(x)        # eval forward (no dropout), argmax of the logits

float32 throughout; ReLU hidden layers, optional inverted dropout after each hidden ReLU; the loss is
log_softmax + NLLLoss (mean), i.e. CrossEntropyLoss on the logits. Gradients by hand. Adam and
SGD(momentum) are PyTorch's single-tensor formulas with its defaults (bias correction included).
Parameters, gradients and optimizer state each live in one flat buffer (the layers' arrays are views),
so an update is a few whole-buffer in-place passes; activations are preallocated per batch size. Dropout masks come from
16 random bits per element (NumPy's cheapest draw: PCG64 bytes; autograd_lite draws 16 bits per element too,
from a counter-based SplitMix64 kernel).
Tests: tests/test_bench_reference.py checks it against autograd_lite step by step.
"""
import types

import numpy as np

F32 = np.float32


class NumpyMLP:
    def __init__(self, weights, biases, optimizer="adam", lr=1e-3, momentum=0.0, dropout=0.0,
                 betas=(0.9, 0.999), eps=1e-8, rng=None, bits16=None):
        if optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
        shapes = [np.shape(w) for w in weights] + [np.shape(b) for b in biases]
        n = sum(int(np.prod(s)) for s in shapes)
        self.flat, self.grad, self.tmp = (np.zeros(n, F32) for _ in range(3))
        self.W, self.b = self._views(self.flat, shapes, len(weights))
        self.gW, self.gb = self._views(self.grad, shapes, len(weights))
        for dst, src in zip(self.W + self.b, list(weights) + list(biases)):
            dst[...] = src                                     # a copy: the caller's arrays stay as they are
        self.optimizer, self.lr, self.momentum, self.betas, self.eps = optimizer, lr, momentum, betas, eps
        self.state = [np.zeros(n, F32) for _ in range(2 if optimizer == "adam" else 1)]
        self.t = 0
        self.p, self.scale = float(dropout), F32(1 / (1 - dropout)) if dropout < 1 else F32(0)
        self.rng = np.random.default_rng(0) if rng is None else rng
        self.bits16 = bits16 or self._pcg_bits16     # shape -> uint16 draws (tests plug in autograd_lite's stream)
        self._bufs = {}

    @staticmethod
    def _views(flat, shapes, n_layers):
        views, at = [], 0
        for s in shapes:
            size = int(np.prod(s))
            views.append(flat[at:at + size].reshape(s))
            at += size
        return views[:n_layers], views[n_layers:]

    def _buffers(self, batch):
        """The activations (H), their gradients (G) and masks of one batch size, allocated once."""
        b = self._bufs.get(batch)
        if b is None:
            outs = [w.shape[0] for w in self.W]
            b = self._bufs[batch] = types.SimpleNamespace(
                H=[np.empty((batch, o), F32) for o in outs], G=[np.empty((batch, o), F32) for o in outs],
                M=[np.empty((batch, o), bool) for o in outs[:-1]],
                row=np.empty((batch, 1), F32), rows=np.arange(batch))
        return b

    def _forward(self, x, train):
        """The logits (a view of a buffer that the next call overwrites)."""
        bufs, last = self._buffers(len(x)), len(self.W) - 1
        h = x
        for i, (w, b) in enumerate(zip(self.W, self.b)):
            z = bufs.H[i]
            np.matmul(h, w.T, out=z)
            z += b
            if i < last:
                np.maximum(z, 0, out=z)
                if train and self.p:        # inverted dropout: keep where 16 random bits >= p * 65536, scale
                    keep = bufs.M[i]
                    u = self.bits16(z.shape)
                    np.greater_equal(u, round(self.p * 65536), out=keep)
                    z *= keep
                    z *= self.scale
            h = z
        return h

    def _pcg_bits16(self, shape):
        return np.frombuffer(self.rng.bytes(2 * int(np.prod(shape))), np.uint16).reshape(shape)

    def predict(self, x):
        """Class indices of an eval forward (no dropout; argmax of the logits = of the log-probabilities)."""
        return self._forward(x, False).argmax(axis=1)

    def logits(self, x):
        """A copy of the eval forward's logits."""
        return self._forward(x, False).copy()

    def step(self, x, y):
        """One training step on float32 x (B, in) and int labels y (B,); returns the mean loss."""
        bufs = self._buffers(len(x))
        z = self._forward(x, True)
        # stable log_softmax + NLL: loss = mean(log(sum(exp(z - max))) - (z - max)[y]);
        # d loss / dz = (softmax(z) - onehot(y)) / B
        row, r, g = bufs.row, bufs.rows, bufs.G[-1]
        np.max(z, axis=1, keepdims=True, out=row)
        z -= row
        np.exp(z, out=g)
        np.sum(g, axis=1, keepdims=True, out=row)
        loss = float(np.mean(np.log(row[:, 0]) - z[r, y]))
        row *= len(x)
        np.divide(g, row, out=g)
        g[r, y] -= F32(1 / len(x))
        for i in range(len(self.W) - 1, -1, -1):
            h = x if i == 0 else bufs.H[i - 1]
            np.matmul(g.T, h, out=self.gW[i])
            np.sum(g, axis=0, out=self.gb[i])
            if i:
                gh, keep = bufs.G[i - 1], bufs.M[i - 1]
                np.matmul(g, self.W[i], out=gh)
                np.greater(h, 0, out=keep)                     # h > 0: ReLU active and (dropout) kept
                gh *= keep
                if self.p:
                    gh *= self.scale
                g = gh
        self._update()
        return loss

    def _update(self):
        p, g, tmp = self.flat, self.grad, self.tmp
        self.t += 1
        if self.optimizer == "sgd":                            # torch.optim.SGD, dampening 0
            if self.momentum:
                buf = self.state[0]
                if self.t == 1:
                    buf[...] = g
                else:
                    buf *= self.momentum
                    buf += g
                g = buf
            np.multiply(g, self.lr, out=tmp)
            p -= tmp
            return
        (b1, b2), (m, v) = self.betas, self.state              # torch.optim.Adam
        np.subtract(g, m, out=tmp)                             # m = lerp(m, g, 1 - b1)
        tmp *= 1 - b1
        m += tmp
        v *= b2                                                # v = b2 v + (1 - b2) g²
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v += tmp
        step_size, bc2 = self.lr / (1 - b1 ** self.t), (1 - b2 ** self.t) ** 0.5
        # p -= step_size * m / (sqrt(v) / bc2 + eps), as p -= (step_size bc2) m / (sqrt(v) + eps bc2)
        np.sqrt(v, out=tmp)
        tmp += self.eps * bc2
        np.divide(m, tmp, out=tmp)
        tmp *= step_size * bc2
        p -= tmp
