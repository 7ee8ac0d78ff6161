"""F.pad (constant / reflect / replicate) and F.layer_norm against torch eager, forward and forward+backward.

    python benchmarks/bench_pad_layer_norm.py [--threads 1] [--rounds 9] [--only pad|layer_norm]

Each round times every implementation once, in turn (interleaved: the noise of a shared machine hits both); the
table shows the medians over rounds and torch / autograd_lite (above 1: autograd_lite is faster)."""
import os
import statistics
import sys
import time

from _harness import pinned_args

ARGS = pinned_args(__doc__, ("pad", "layer_norm")) if __name__ == "__main__" else None     # before NumPy / torch load

import numpy as np                       # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def _block(fn, target_s=0.03):
    """Calls of fn per timed block: about target_s each."""
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    return max(1, int(target_s / one))


def interleaved(fns, rounds):
    """Median seconds per call of each fn, timed in turn round after round."""
    for fn in fns:
        fn()
        fn()
    numbers = [_block(fn) for fn in fns]
    times = [[] for _ in fns]
    for _ in range(rounds):
        for fn, n, t in zip(fns, numbers, times):
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            t.append((time.perf_counter() - t0) / n)
    return [statistics.median(t) for t in times]


def _detach(t):
    return None if t is None else t.detach()


def _pair(shape, seed=0):
    import torch
    import autograd_lite as al
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return al.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def pad_cases():
    import torch.nn.functional as TF
    import autograd_lite.nn.functional as AF
    for shape, p in (((8, 64, 56, 56), 1), ((64, 3, 32, 32), 4)):
        a, t = _pair(shape)
        for mode in ("constant", "reflect", "replicate"):
            pads = (p,) * 4
            out = shape[:2] + (shape[2] + 2 * p, shape[3] + 2 * p)
            ga, gt = _pair(out, 1)
            ga, gt = ga.detach(), gt.detach()

            def fwd(F, x):
                return lambda: F.pad(x.detach(), pads, mode=mode)

            def both(F, x, g):
                def step():
                    x.grad = None
                    F.pad(x, pads, mode=mode).backward(g)
                return step
            yield f"pad {mode} {shape} by {p}", "fwd", fwd(AF, a), fwd(TF, t)
            yield f"pad {mode} {shape} by {p}", "fwd+bwd", both(AF, a, ga), both(TF, t, gt)


def layer_norm_cases():
    import torch
    import torch.nn.functional as TF
    import autograd_lite as al
    import autograd_lite.nn.functional as AF
    for shape in ((4096, 64), (64 * 128, 32), (8, 197, 768)):
        a, t = _pair(shape)
        d = shape[-1]
        ga, gt = _pair(shape, 1)
        ga, gt = ga.detach(), gt.detach()
        rng = np.random.default_rng(2)
        wn, bn = rng.standard_normal(d).astype(np.float32), rng.standard_normal(d).astype(np.float32)
        wa, ba = al.tensor(wn, requires_grad=True), al.tensor(bn, requires_grad=True)
        wt, bt = torch.tensor(wn, requires_grad=True), torch.tensor(bn, requires_grad=True)
        for affine in (False, True):
            def fwd(F, x, w, b):
                return lambda: F.layer_norm(x.detach(), (d,), _detach(w), _detach(b))

            def both(F, x, w, b, g):
                def step():
                    x.grad = None
                    if w is not None:
                        w.grad = b.grad = None
                    F.layer_norm(x, (d,), w, b).backward(g)
                return step
            wa_, ba_, wt_, bt_ = (wa, ba, wt, bt) if affine else (None,) * 4
            name = f"layer_norm {shape}{' affine' if affine else ''}"
            yield name, "fwd", fwd(AF, a, wa_, ba_), fwd(TF, t, wt_, bt_)
            yield name, "fwd+bwd", both(AF, a, wa_, ba_, ga), both(TF, t, wt_, bt_, gt)


def main(args):
    import torch
    torch.set_num_threads(args.threads)
    groups = {"pad": pad_cases, "layer_norm": layer_norm_cases}
    print(f"threads={args.threads} rounds={args.rounds}; medians in us; ratio = torch / autograd_lite")
    print(f"{'case':46s} {'pass':8s} {'autograd_lite':>14s} {'torch':>10s} {'ratio':>7s}")
    for key, cases in groups.items():
        if args.only not in (None, key):
            continue
        for name, kind, mine, theirs in cases():
            ta, tt = interleaved([mine, theirs], args.rounds)
            print(f"{name:46s} {kind:8s} {ta * 1e6:14.1f} {tt * 1e6:10.1f} {tt / ta:7.2f}", flush=True)


if __name__ == "__main__":
    main(ARGS)
