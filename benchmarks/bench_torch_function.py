"""What the __torch_function__ protocol costs plain tensors: ``a + b``, ``torch.add``, ``F.relu`` on small tensors and
a small MLP training step, with the protocol off (no subclass, no mode: the op path as before), on (after a Tensor
subclass exists), and torch in the same process; one thread. Medians of many calls, and ratios to torch.

    python benchmarks/bench_torch_function.py [--repeat 2000] [--rounds 5]
"""
import argparse
import statistics
import time


def _median_us(fn, repeat, inner=20):
    for _ in range(50):
        fn()
    times = []
    for _ in range(repeat // inner):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner * 1e6)
    return statistics.median(times)


def _cases(lib):
    F = lib.nn.functional
    a, b = lib.randn(8, 8), lib.randn(8, 8)
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(64, 128), lib.nn.ReLU(), lib.nn.Linear(128, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.01)
    x, y = lib.randn(32, 64), lib.randint(0, 10, (32,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return {"a + b": lambda: a + b, "torch.add(a, b)": lambda: lib.add(a, b), "F.relu(a)": lambda: F.relu(a),
            "mlp step": step}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    import torch
    import autograd_lite
    from autograd_lite import _torch_function
    torch.set_num_threads(1)
    autograd_lite.set_num_threads(1)
    rows = {}
    ref, ours = _cases(torch), _cases(autograd_lite)
    for _ in range(args.rounds):            # the states alternate: a loaded machine drifts between them
        for label in ("off", "on"):
            if label == "on":
                _torch_function.enable()
            for name in ref:
                reps = args.repeat if name != "mlp step" else args.repeat // 10
                rows.setdefault(name, {}).setdefault(label, []).append(
                    (_median_us(ours[name], reps), _median_us(ref[name], reps)))
            _torch_function.restore()
    print(f"{'case':18s} {'protocol':9s} {'lite us':>9s} {'torch us':>9s} {'lite/torch':>10s}   (medians of "
          f"{args.rounds} rounds)")
    for name, by_label in rows.items():
        for label, pairs in by_label.items():
            ours_us = statistics.median(p[0] for p in pairs)
            ref_us = statistics.median(p[1] for p in pairs)
            ratio = statistics.median(p[0] / p[1] for p in pairs)
            print(f"{name:18s} {label:9s} {ours_us:9.2f} {ref_us:9.2f} {ratio:10.2f}")

if __name__ == "__main__":
    main()
