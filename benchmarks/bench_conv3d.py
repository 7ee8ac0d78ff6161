"""conv3d against torch, and the depth-stacked conv2d it ran before the 3-d Winograd path (session 15).

    python benchmarks/bench_conv3d.py [--threads 1] [--rounds 9] [--only REGEX]

Per case: forward (no_grad) and forward + backward of the sum, medians of interleaved rounds (bench_pad_layer_norm's
`interleaved`): 'stacked' forces conv3d's depth-stacked conv2d (ops/conv3d's _winograd3d and _pointwise3d off),
'now' is conv3d as it chooses (the 1x1x1 case: one conv2d over (D*H, W)); torch/ours above 1: autograd_lite is
faster. The strided shapes run the same code in both columns."""
import os
import re
import sys

from _harness import pinned_args

ARGS = pinned_args(__doc__) if __name__ == "__main__" else None     # before NumPy / torch load

import numpy as np                       # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_pad_layer_norm import interleaved  # noqa: E402

CASES = [   # (name, input shape, weight shape, conv3d keywords)
    ("4x16x16^3, 16->32, k3, pad 1", (4, 16, 16, 16, 16), (32, 16, 3, 3, 3), dict(padding=1)),
    ("2x64x8x28^2, 64->64, k3, pad 1", (2, 64, 8, 28, 28), (64, 64, 3, 3, 3), dict(padding=1)),
    ("8x32x8x14^2, 32->32, k3, pad 1", (8, 32, 8, 14, 14), (32, 32, 3, 3, 3), dict(padding=1)),
    ("1x1x1 4x32x16^3, 32->64", (4, 32, 16, 16, 16), (64, 32, 1, 1, 1), {}),
    ("stride 2 4x16x16^3, 16->32, k3, pad 1", (4, 16, 16, 16, 16), (32, 16, 3, 3, 3), dict(stride=2, padding=1)),
    ("video stem 2x3x16x112^2, 3->64, k(3,7,7), s(1,2,2), p(1,3,3)", (2, 3, 16, 112, 112), (64, 3, 3, 7, 7),
     dict(stride=(1, 2, 2), padding=(1, 3, 3))),
]


def _stacked(fn):
    """fn with conv3d's Winograd and 1x1x1 paths off: the depth-stacked conv2d (what ran before)."""
    import importlib
    c3 = importlib.import_module("autograd_lite.ops.conv3d")

    def run():
        keep = c3._winograd3d, c3._pointwise3d
        c3._winograd3d = c3._pointwise3d = lambda *a: False
        try:
            fn()
        finally:
            c3._winograd3d, c3._pointwise3d = keep
    return run


def main():
    import torch
    import autograd_lite as al
    torch.set_num_threads(ARGS.threads)
    al.set_num_threads(ARGS.threads)
    rng = np.random.default_rng(0)
    print(f"threads {ARGS.threads}, {ARGS.rounds} rounds; ms per call")
    print(f"{'case':62s} {'pass':8s} {'stacked':>9s} {'now':>9s} {'torch':>9s} {'torch/stacked':>14s} "
          f"{'torch/now':>10s}")
    for name, xs, ws, kw in CASES:
        if ARGS.only and not re.search(ARGS.only, name):
            continue
        xn = rng.standard_normal(xs).astype(np.float32)
        wn = (rng.standard_normal(ws) * 0.1).astype(np.float32)
        fns = {}
        for lib in (al, torch):
            x, w = lib.tensor(xn, requires_grad=True), lib.tensor(wn, requires_grad=True)

            def fwd(lib=lib, x=x, w=w):
                with lib.no_grad():
                    lib.nn.functional.conv3d(x, w, **kw)

            def fwd_bwd(lib=lib, x=x, w=w):
                x.grad = w.grad = None
                lib.nn.functional.conv3d(x, w, **kw).sum().backward()
            fns[lib] = (fwd, fwd_bwd)
        for i, what in enumerate(("forward", "fwd+bwd")):
            s, n, t = (v * 1e3 for v in interleaved([_stacked(fns[al][i]), fns[al][i], fns[torch][i]], ARGS.rounds))
            print(f"{name:62s} {what:8s} {s:9.3f} {n:9.3f} {t:9.3f} {t / s:13.2f}x {t / n:9.2f}x", flush=True)


if __name__ == "__main__":
    main()
