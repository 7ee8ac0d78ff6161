"""Python bytecodes executed per phase of one seed-MLP training step: the framework's overhead, counted
exactly (timings on a shared machine move by 2x; this count does not move at all).

    python benchmarks/bytecodes.py [--top N]

Counts opcodes with sys.settrace (f_trace_opcodes) in every Python frame, after 3 warm-up steps,
for autograd_lite's zero_grad / forward / loss / backward / optimizer step and for the hand-written
NumPy step (benchmarks/numpy_mlp.py). Time spent in C (NumPy, BLAS, Numba kernels) is not counted:
at roughly 20-30 ns a bytecode here, the difference of the totals is the Python cost to cut.
"""
import argparse
import collections
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases_training as ct  # noqa: E402


def count(fn):
    """(result of fn(), Counter of bytecodes by (file, function))."""
    counts = collections.Counter()

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True
        if event == "opcode":
            code = frame.f_code
            counts[(os.path.basename(code.co_filename), code.co_name)] += 1
        return tracer

    sys.settrace(tracer)
    try:
        out = fn()
    finally:
        sys.settrace(None)
    return out, counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=0, help="also list the N costliest functions per phase")
    args = parser.parse_args(argv)
    import autograd_lite as al
    spec = dict(sizes=ct.SEED, loss="nll")
    model, criterion, opt = ct.build(al, **spec)
    x, y = ct.batches(ct.SEED[0], 64)[0]
    X, Y = al.from_numpy(x), al.from_numpy(y)
    for _ in range(3):
        opt.zero_grad()
        criterion(model(X), Y).backward()
        opt.step()
    phases = [("zero_grad", opt.zero_grad), ("forward", lambda: model(X)), ("loss", None),
              ("backward", None), ("optimizer step", opt.step), ("loss.item()", None)]
    total, state = 0, {}
    print("| phase | bytecodes |\n|---|--:|")
    for name, fn in phases:
        if name == "loss":
            fn = lambda: criterion(state["forward"], Y)             # noqa: E731
        elif name == "backward":
            fn = state["loss"].backward
        elif name == "loss.item()":
            fn = state["loss"].item
        state[name], counts = count(fn)
        n = sum(counts.values())
        total += n
        print(f"| {name} | {n:,} |")
        for (file, func), k in counts.most_common(args.top):
            print(f"|   {file}:{func} | {k:,} |")
    print(f"| autograd_lite step | {total:,} |")
    mlp = ct.numpy_mlp(**spec)
    mlp.step(x, y)
    _, counts = count(lambda: mlp.step(x, y))
    print(f"| numpy_mlp step | {sum(counts.values()):,} |")


if __name__ == "__main__":
    main()
