"""Where Winograd's F(4x4, 3x3) pays on the CPU: the figures behind ops/conv.py's _winograd and _winograd_weight.

    python benchmarks/bench_winograd.py layers      # forward, input and weight gradient: Winograd vs the other paths
    python benchmarks/bench_winograd.py networks    # the MNIST CNN step and DenseNet-121's forward, Winograd on/off

Every pair is timed interleaved in one process (medians of single calls), at `--threads` threads (default 1).
"layers" forces Winograd on for each shape (thresholds off) against the path the CPU takes without it, and prints
whether the current thresholds choose it; "networks" switches all of it on and off between blocks, beside torch.
"""
import argparse
import contextlib
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# (batch, C, O, H = W, padding): DenseNet-121's 3x3, ResNet/VGG-like layers, the MNIST CNN's conv2, small ones
LAYERS = [(8, 128, 32, 56, 1), (8, 128, 32, 28, 1), (8, 128, 32, 14, 1), (8, 128, 32, 7, 1), (8, 64, 64, 56, 1),
          (8, 128, 128, 28, 1), (8, 256, 256, 14, 1), (8, 512, 512, 7, 1), (64, 32, 64, 13, 0),
          (32, 16, 16, 32, 1), (8, 32, 32, 56, 1), (8, 64, 256, 28, 1), (8, 64, 64, 14, 1), (64, 1, 32, 28, 0),
          (32, 3, 16, 32, 1)]


def _median_pair(a, b, seconds):
    """Medians (ms) of single calls of a and b, alternated for `seconds` (at least 5 each)."""
    ta, tb = [], []
    a(), b()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(ta) < 5:
        for f, ts in ((a, ta), (b, tb)):
            for _ in range(2):
                t = time.perf_counter()
                f()
                ts.append(time.perf_counter() - t)
    return np.median(ta) * 1e3, np.median(tb) * 1e3


@contextlib.contextmanager
def _winograd(on, conv):
    """Winograd everywhere it can run (on), or nowhere (off)."""
    names = ("WINOGRAD_MIN_CHANNELS", "WINOGRAD_WEIGHT_MIN_CHANNELS", "WINOGRAD_MIN_TILES",
             "WINOGRAD_MAX_FILTERS_PER_TILE")
    saved = [getattr(conv, k) for k in names]
    for k, v in zip(names, (0, 0, 0, float("inf")) if on else saved[:2] + [float("inf"), 0]):
        setattr(conv, k, v)
    try:
        yield
    finally:
        for k, v in zip(names, saved):
            setattr(conv, k, v)


def layers(seconds):
    from autograd_lite.ops import conv
    print("| layer | tiles | C*O per tile | pass | other path, ms | Winograd, ms | speed-up | chosen now |")
    print("|---|--:|--:|---|--:|--:|--:|---|")
    for n, c, o, hw, pad in LAYERS:
        rng = np.random.default_rng(0)
        ho = hw + 2 * pad - 2
        x = rng.standard_normal((n, c, hw, hw), dtype=np.float32)
        w = (rng.standard_normal((o, c, 3, 3)) * 0.05).astype(np.float32)
        g = rng.standard_normal((n, o, ho, ho), dtype=np.float32)
        p = ((1, 1), (pad, pad), (1, 1), 1)
        tiles = n * (-(-ho // 4)) ** 2
        flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
        passes = (("forward", lambda: conv.conv_raw(x, w, None, p, (ho, ho)), conv._winograd(x, w, p, (ho, ho))),
                  ("input grad", lambda: conv.conv_transpose_raw(g, w, None, p, (hw, hw)),
                   conv._winograd(g, flipped, p, (hw, hw))),
                  ("weight grad", lambda: conv.conv_weight_raw(x, g, p, (3, 3)), conv._winograd_weight(x, g, p, (3, 3))))
        with _winograd(True, conv):
            possible = (conv._winograd(x, w, p, (ho, ho)), conv._winograd(g, flipped, p, (hw, hw)), True)
        for (name, run, chosen), can in zip(passes, possible):
            if not can:         # fewer output than input channels: the taps path, Winograd never runs here
                print(f"| {n}x{c}x{hw}x{hw} -> {o}, pad {pad} | {tiles} | {c * o / tiles:.1f} | {name} | - | - | - | "
                      f"no (fewer outputs than inputs) |", flush=True)
                continue

            def other():
                with _winograd(False, conv):
                    run()

            def wino():
                with _winograd(True, conv):
                    run()
            t_other, t_wino = _median_pair(other, wino, seconds)
            print(f"| {n}x{c}x{hw}x{hw} -> {o}, pad {pad} | {tiles} | {c * o / tiles:.1f} | {name} | {t_other:.2f} | "
                  f"{t_wino:.2f} | {t_other / t_wino:.2f}x | {'yes' if chosen else 'no'} |", flush=True)


def networks(seconds):
    import cases_conv as cc
    from autograd_lite.ops import conv
    for name, make, batch, secs in (("MNIST CNN training step, Adam", cc.cnn_step, 64, seconds * 4),
                                    ("DenseNet-121 forward, eval", cc.densenet_forward, 8, seconds * 15)):
        ours, ref = make("autograd_lite", batch), make("torch", batch)

        def off():
            with _winograd(False, conv):
                ours()
        t_off, t_on = _median_pair(off, ours, secs)
        _, t_torch = _median_pair(ours, ref, secs / 2)
        print(f"{name}, batch {batch}: without Winograd {t_off:.1f} ms, with {t_on:.1f} ms ({t_off / t_on:.2f}x); "
              f"torch {t_torch:.1f} ms: {t_torch / t_off:.2f}x -> {t_torch / t_on:.2f}x torch", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("layers", "networks"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=1.5, help="per pair of layers (networks: x4 and x15)")
    args = parser.parse_args()
    import autograd_lite as al
    al.set_num_threads(args.threads)
    with contextlib.suppress(ImportError):
        import torch
        torch.set_num_threads(args.threads)
    (layers if args.what == "layers" else networks)(args.seconds)


if __name__ == "__main__":
    main()
