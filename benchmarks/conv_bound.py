"""What bounds a network's convolutions on the CPU: for every convolution of a forward pass, PyTorch's conv2d time
against the BLAS product alone that autograd_lite's convolution runs (ops/conv.py), at one thread, interleaved
medians: im2col's, the (O, C*kh*kw) weights by pre-made (N, C*kh*kw, Ho*Wo) columns, or, where the output has fewer
channels than the input (ops/conv.py's "taps" path), the (kh*kw*O, C) taps by the (N, C, H*W) images; written into a
given output.

    python benchmarks/conv_bound.py                     # DenseNet-121, eval, batch 8, 224x224
    python benchmarks/conv_bound.py --model mnist_cnn --batch 64 --side 28

The products alone are what autograd_lite's convolutions cannot go below while their products run on NumPy's BLAS:
where their total exceeds PyTorch's convolutions, no layout or fusion elsewhere closes the gap.
"""
import argparse
import collections
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def _median(f, reps):
    f()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def convolutions(torch, model, x):
    """{(input shape, weight shape, stride, padding): calls} of one forward of a torch model."""
    calls = collections.Counter()

    def hook(mod, inp, out):
        calls[(tuple(inp[0].shape), tuple(mod.weight.shape), mod.stride, mod.padding)] += 1
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="densenet121", choices=["densenet121", "mnist_cnn"],
                    help="a model of benchmarks/cases_conv.py (default densenet121)")
    ap.add_argument("--batch", type=int, default=8, help="images per forward (default 8)")
    ap.add_argument("--side", type=int, default=224, help="image height and width (default 224)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds per shape (default 5)")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    sys.path.insert(0, HERE)
    import cases_conv
    model = cases_conv.MODELS[args.model](torch).eval()
    channels = 1 if args.model == "mnist_cnn" else 3
    calls = convolutions(torch, model, torch.randn(args.batch, channels, args.side, args.side))
    rng = np.random.default_rng(0)
    totals = collections.defaultdict(float)
    print("| kernel | input | out channels | calls | torch ms | GFLOP/s | products alone ms | GFLOP/s |\n"
          "|---|---|--:|--:|--:|--:|--:|--:|")
    for (xs, ws, st, pd), count in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0])):
        n, c, h, w = xs
        o, cg, kh, kw = ws
        ho, wo = (h + 2 * pd[0] - kh) // st[0] + 1, (w + 2 * pd[1] - kw) // st[1] + 1
        x, wt = torch.randn(xs), torch.randn(ws)
        if o * h * w < c * ho * wo and kh * kw > 1:         # the taps path's product
            a = rng.standard_normal((kh * kw * o, cg), dtype=np.float32)
            b = rng.standard_normal((n, cg, h * w), dtype=np.float32)
            out = np.empty((n, kh * kw * o, h * w), np.float32)
        else:                                               # im2col's (a 1x1 kernel: the image itself)
            a = rng.standard_normal((o, cg * kh * kw), dtype=np.float32)
            b = rng.standard_normal((n, cg * kh * kw, ho * wo), dtype=np.float32)
            out = np.empty((n, o, ho * wo), np.float32)
        t_torch, t_gemm = [], []
        for _ in range(args.rounds):
            with torch.no_grad():
                t_torch.append(_median(lambda: torch.nn.functional.conv2d(x, wt, None, st, pd), 3))
            t_gemm.append(_median(lambda: np.matmul(a, b, out=out), 3))
        tt, tg = statistics.median(t_torch), statistics.median(t_gemm)
        flops = 2.0 * n * o * cg * kh * kw * ho * wo
        kind = f"{kh}x{kw}"
        totals[kind, "torch"] += tt * count
        totals[kind, "gemm"] += tg * count
        totals[kind, "flop"] += flops * count
        print(f"| {kind} s{st[0]} | {'x'.join(map(str, xs))} | {o} | {count} | {tt * 1e3:.2f} | {flops / tt / 1e9:.0f} "
              f"| {tg * 1e3:.2f} | {flops / tg / 1e9:.0f} |", flush=True)
    print("\n| kernels | GFLOP | torch ms | products alone ms | products / torch |\n|---|--:|--:|--:|--:|")
    for kind in sorted({k for k, _ in totals}):
        tt, tg = totals[kind, "torch"], totals[kind, "gemm"]
        print(f"| {kind} | {totals[kind, 'flop'] / 1e9:.2f} | {tt * 1e3:.1f} | {tg * 1e3:.1f} | {tg / tt:.2f} |")
    tt = sum(v for (k, what), v in totals.items() if what == "torch")
    tg = sum(v for (k, what), v in totals.items() if what == "gemm")
    print(f"| all | {sum(v for (k, w), v in totals.items() if w == 'flop') / 1e9:.2f} | {tt * 1e3:.1f} | "
          f"{tg * 1e3:.1f} | {tg / tt:.2f} |")


if __name__ == "__main__":
    main()
