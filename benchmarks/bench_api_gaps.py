"""The ops added to close PyTorch API gaps (sessions 11 to 13), against torch eager, forward + backward unless
said: the scatter-add family, multinomial, conv3d, 3-d pools, grid_sample, ctc_loss, matrix_exp, torch.special's
one-argument functions; fft (a spectral loss, an FFT convolution, stft), complex matmul, fractional max pooling, a
user-defined autograd.Function, vmap'd per-sample gradients; sparse.mm, a sparse Embedding's training step, complex
linalg (session 13), a bfloat16 MLP.

    python benchmarks/bench_api_gaps.py [--threads 1] [--rounds 9] [--only REGEX]

Each round times every implementation once, in turn (interleaved: the noise of a shared machine hits both); the
table shows the medians over rounds and torch / autograd_lite (above 1: autograd_lite is faster)."""
import re
import os
import sys

from _harness import pinned_args

ARGS = pinned_args(__doc__) if __name__ == "__main__" else None     # before NumPy / torch load

import numpy as np                       # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_pad_layer_norm import interleaved  # noqa: E402


def _both(shape, seed=0, grad=True, dtype=np.float32):
    import torch
    import autograd_lite as al
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return al.tensor(x, requires_grad=grad), torch.tensor(x, requires_grad=grad)


def _fwd_bwd(run, *inputs):
    """run(*inputs) then backward of its sum, gradients cleared first."""
    def step():
        for t in inputs:
            t.grad = None
        run(*inputs).sum().backward()
    return step


SPECIAL = ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
           "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
           "spherical_bessel_j0", "airy_ai", "i0", "i0e", "i1", "i1e", "ndtr", "log_ndtr", "ndtri", "erfcx", "entr")


def cases():
    import torch
    import autograd_lite as al
    libs = (al, torch)
    rng = np.random.default_rng(0)

    src = _both((1024, 512))
    index = rng.integers(0, 256, (1024, 512))
    idx = [lib.tensor(index) for lib in libs]
    yield ("scatter_reduce sum 1024x512 -> 256x512",
           [_fwd_bwd(lambda s, lib=lib, i=i: lib.zeros(256, 512).scatter_reduce(0, i, s, "sum"), s)
            for lib, s, i in zip(libs, src, idx)])
    rows = [lib.tensor(rng.integers(0, 256, 1024)) for lib in libs]
    yield ("index_add 1024x512 -> 256x512",
           [_fwd_bwd(lambda s, lib=lib, r=r: lib.zeros(256, 512).index_add(0, r, s), s)
            for lib, s, r in zip(libs, src, rows)])

    probs = [lib.softmax(lib.tensor(rng.standard_normal((1024, 10)).astype(np.float32)), 1) for lib in libs]
    yield ("multinomial 1024 rows, 1 draw (no backward)",
           [lambda lib=lib, p=p: lib.multinomial(p, 1, True) for lib, p in zip(libs, probs)])

    x = _both((4, 16, 16, 16, 16))
    w = _both((32, 16, 3, 3, 3), 1)
    yield ("conv3d 4x16x16^3, 16->32, k3, pad 1",
           [_fwd_bwd(lambda a, b, lib=lib: lib.nn.functional.conv3d(a, b, padding=1), xa, wa)
            for lib, xa, wa in zip(libs, x, w)])
    p = _both((4, 16, 32, 32, 32), 2)
    yield ("max_pool3d(2) 4x16x32^3", [_fwd_bwd(lambda a, lib=lib: lib.nn.functional.max_pool3d(a, 2), t)
                                       for lib, t in zip(libs, p)])
    yield ("avg_pool3d(2) 4x16x32^3", [_fwd_bwd(lambda a, lib=lib: lib.nn.functional.avg_pool3d(a, 2), t)
                                       for lib, t in zip(libs, p)])

    img = _both((8, 16, 64, 64), 3)
    grid = [lib.tensor((rng.random((8, 64, 64, 2)) * 2.2 - 1.1).astype(np.float32), requires_grad=True)
            for lib in libs]
    for mode in ("bilinear", "nearest"):
        yield (f"grid_sample {mode} 8x16x64x64",
               [_fwd_bwd(lambda a, g, lib=lib, mode=mode: lib.nn.functional.grid_sample(a, g, mode=mode,
                                                                                       align_corners=False), i, g)
                for lib, i, g in zip(libs, img, grid)])

    logits = _both((50, 16, 20), 4)
    targets = [lib.tensor(rng.integers(1, 20, (16, 30))) for lib in libs]
    in_len = [lib.full((16,), 50, dtype=lib.long) for lib in libs]
    tg_len = [lib.tensor(rng.integers(10, 30, 16)) for lib in libs]
    yield ("ctc_loss T50 N16 C20 S30 (with log_softmax)",
           [_fwd_bwd(lambda a, lib=lib, t=t, il=il, tl=tl: lib.nn.functional.ctc_loss(
               a.log_softmax(2), t, il, tl), x_) for lib, x_, t, il, tl in zip(libs, logits, targets, in_len, tg_len)])

    m = _both((64, 64), 5)
    yield ("matrix_exp 64x64", [_fwd_bwd(lambda a, lib=lib: lib.linalg.matrix_exp(a * 0.1), t)
                                for lib, t in zip(libs, m)])
    b = _both((1_000_000,), 6, grad=False, dtype=np.float64)
    yield ("special.bessel_j0 1e6 float64 (no backward)",
           [lambda lib=lib, t=t: lib.special.bessel_j0(t) for lib, t in zip(libs, b)])
    # every one-argument special function on 1e6 float32 points of [0, 10) (ndtri: of [0, 1)), forward only
    u = rng.random(1_000_000).astype(np.float32)
    for name in SPECIAL:
        v = u if name == "ndtri" else u * 10
        yield (f"special.{name} 1e6 float32", [lambda lib=lib, t=lib.tensor(v), name=name: getattr(lib.special, name)(t)
                                               for lib in libs])

    yield from _session12_cases(libs, rng)


class _MyReLU:
    """The PyTorch docs' custom Function, built once per library."""
    @staticmethod
    def build(lib):
        class MyReLU(lib.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return input.clamp(min=0)

            @staticmethod
            def backward(ctx, grad_output):
                input, = ctx.saved_tensors
                grad_input = grad_output.clone()
                grad_input[input < 0] = 0
                return grad_input
        return MyReLU


def _session12_cases(libs, rng):
    sig = _both((16, 4096), 7)
    yield ("fft: rfft(x).abs().sum() 16x4096", [_fwd_bwd(lambda a, lib=lib: lib.fft.rfft(a).abs(), t)
                                                for lib, t in zip(libs, sig)])
    ker = _both((16, 4096), 8)
    yield ("fft: FFT convolution irfft(rfft(x) rfft(k)) 16x4096",
           [_fwd_bwd(lambda a, k, lib=lib: lib.fft.irfft(lib.fft.rfft(a) * lib.fft.rfft(k), n=4096), t, kk)
            for lib, t, kk in zip(libs, sig, ker)])
    wav = _both((4, 16000), 9)
    yield ("stft magnitude n_fft 256, hop 64, 4x16000",
           [_fwd_bwd(lambda a, lib=lib: lib.stft(a, 256, 64, window=lib.hann_window(256),
                                                 return_complex=True).abs(), t) for lib, t in zip(libs, wav)])
    re_, im_ = _both((128, 128), 10), _both((128, 128), 11)
    yield ("complex matmul 128x128 (|z z|.sum)",
           [_fwd_bwd(lambda a, b, lib=lib: (lambda z: (z @ z).abs())(lib.complex(a, b)), r, i)
            for lib, r, i in zip(libs, re_, im_)])
    fx = _both((16, 16, 50, 32), 12)
    samples = rng.random((16, 16, 2)).astype(np.float32)
    yield ("fractional_max_pool2d k3 ratio 0.5 16x16x50x32",
           [_fwd_bwd(lambda a, lib=lib: lib.nn.functional.fractional_max_pool2d(
               a, 3, output_ratio=(0.5, 0.5), _random_samples=lib.tensor(samples)), t) for lib, t in zip(libs, fx)])
    small = _both((256,), 13)
    yield ("custom autograd.Function (the docs' MyReLU) 256", [_fwd_bwd(lambda a, f=_MyReLU.build(lib): f.apply(a), t)
                                                             for lib, t in zip(libs, small)])
    yield from _per_sample_grads(libs, rng)
    yield from _session13_cases(libs, rng)


def _session13_cases(libs, rng):
    """Sparse COO tensors, complex linear algebra, bfloat16."""
    import warnings
    warnings.filterwarnings("ignore", "Sparse invariant checks")        # torch's, once per process
    n, nnz = 4096, 40960                     # a graph's adjacency (10 edges a node) times 64 features
    edges = rng.integers(0, n, (2, nnz))
    weights = rng.random(nnz).astype(np.float32)
    adj = [lib.sparse_coo_tensor(lib.tensor(edges), lib.tensor(weights), (n, n)).coalesce() for lib in libs]
    feat = _both((n, 64), 14)
    yield ("sparse.mm 4096^2 (40960 nnz) @ 4096x64 (dense grad)",
           [_fwd_bwd(lambda f, lib=lib, a=a: lib.sparse.mm(a, f), t) for lib, a, t in zip(libs, adj, feat)])
    ids = rng.integers(0, 100_000, (64, 32))
    emb_step = []
    for lib in libs:
        emb = lib.nn.Embedding(100_000, 64, sparse=True)
        head = lib.nn.Linear(64, 2)
        opt_sparse, opt_dense = lib.optim.SparseAdam(emb.parameters()), lib.optim.Adam(head.parameters())
        batch, target = lib.tensor(ids), lib.tensor(rng.integers(0, 2, 64))

        def step(lib=lib, emb=emb, head=head, opts=(opt_sparse, opt_dense), batch=batch, target=target):
            for o in opts:
                o.zero_grad()
            lib.nn.functional.cross_entropy(head(emb(batch).mean(1)), target).backward()
            for o in opts:
                o.step()
        emb_step.append(step)
    yield ("Embedding(100000, 64, sparse=True) + SparseAdam step, 64x32 ids", emb_step)
    for name, fn in (("inv", lambda lib, z: lib.linalg.inv(z).abs()), ("svdvals", lambda lib, z: lib.linalg.svdvals(z)),
                     ("det", lambda lib, z: lib.linalg.det(z).abs())):
        re_, im_ = _both((8, 32, 32), 15), _both((8, 32, 32), 16)
        yield (f"complex linalg.{name} 8x32x32 (fwd+bwd)",
               [_fwd_bwd(lambda a, b, lib=lib, fn=fn: fn(lib, lib.complex(a, b)), r, i)
                for lib, r, i in zip(libs, re_, im_)])
    x16 = [lib.tensor(rng.standard_normal((64, 784)).astype(np.float32)).to(lib.bfloat16) for lib in libs]
    mlps = []
    for lib in libs:
        lib.manual_seed(0)
        mlps.append(lib.nn.Sequential(lib.nn.Linear(784, 128), lib.nn.ReLU(), lib.nn.Linear(128, 10)).bfloat16())
    yield ("bfloat16 MLP 784-128-10 forward+backward, batch 64",
           [_fwd_bwd(lambda a, m=m: m(a), t) for m, t in zip(mlps, x16)])


def _per_sample_grads(libs, rng):
    """torch.func's per-sample-gradients tutorial: vmap(grad(loss)) over a batch of 64, a 784-128-10 MLP."""
    x = rng.standard_normal((64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    w1 = (rng.standard_normal((128, 784)) * 0.03).astype(np.float32)
    w2 = (rng.standard_normal((10, 128)) * 0.1).astype(np.float32)
    fns = []
    for lib in libs:
        F = lib.nn.functional
        params = {"w1": lib.tensor(w1), "w2": lib.tensor(w2)}
        data, target = lib.tensor(x), lib.tensor(y)

        def loss(p, xi, yi, F=F):
            return F.cross_entropy(F.linear(F.relu(F.linear(xi[None], p["w1"])), p["w2"]), yi[None])
        per_sample = lib.func.vmap(lib.func.grad(loss), in_dims=(None, 0, 0))
        fns.append(lambda f=per_sample, p=params, d=data, t=target: f(p, d, t))
    yield ("vmap(grad) per-sample gradients, MLP 784-128-10, batch 64 (no backward)", fns)


def main():
    print(f"threads {ARGS.threads}, {ARGS.rounds} rounds; times per call (forward + backward unless said)")
    print(f"{'case':48s} {'autograd_lite':>14s} {'torch':>12s} {'torch/ours':>11s}")
    for name, fns in cases():
        if not re.search(ARGS.only, name):
            continue
        ours, ref = interleaved(fns, ARGS.rounds)
        print(f"{name:48s} {ours * 1e3:11.3f} ms {ref * 1e3:9.3f} ms {ref / ours:10.2f}x")


if __name__ == "__main__":
    main()
