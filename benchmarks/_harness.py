"""The comparison harness behind benchmarks/run.py and the pytest-benchmark suites.

A `Case` is one measurement done by several implementations ("autograd_lite", "numpy", "torch",
"memcpy", ...): each entry of `impls` is a factory that builds its inputs once and returns the
zero-argument step to time. `measure` times them interleaved, block by block, so that machine drift
hits every implementation alike, and returns the median seconds per step of each.

    case = Case("kernels", "relu forward", "1M", "GB/s", work=8e6,
                impls={"autograd_lite": make_ours, "numpy": make_numpy})
    times = measure(case)            # {"autograd_lite": 3.1e-4, "numpy": 4.0e-4}
    case.rate(times["numpy"])        # work / seconds in the case's unit (GB/s here)
"""
import argparse
import dataclasses
import os
import statistics
import time
from typing import Callable, Dict

OURS = "autograd_lite"
UNITS = {"GB/s": 1e9, "GFLOP/s": 1e9, "samples/s": 1.0, "us": None}


@dataclasses.dataclass
class Case:
    section: str                    # "kernels", "training", "overhead"
    name: str                       # "relu forward"
    size: str                       # "1M", "64x784 @ 784x128", "batch 64"
    unit: str                       # a key of UNITS; "us": report microseconds per step
    work: float                     # bytes moved, flops or samples per step (unused for "us")
    impls: Dict[str, Callable[[], Callable[[], object]]]
    note: str = ""                  # shown under the table when set

    def rate(self, seconds):
        """One step's `work` over `seconds`, in the case's unit (microseconds for "us")."""
        scale = UNITS[self.unit]
        return seconds * 1e6 if scale is None else self.work / seconds / scale

    @property
    def higher_is_better(self):
        return UNITS[self.unit] is not None


def _block(step, number):
    t0 = time.perf_counter()
    for _ in range(number):
        step()
    return (time.perf_counter() - t0) / number


def measure(case, rounds=7, target_s=0.05, warmup=2, only=None, prepare=None):
    """Median seconds per step of each implementation of `case`, timed in `rounds` rounds of one
    block each (about `target_s` long), the order rotating every round. An implementation whose
    factory raises ImportError (torch absent) is left out. `prepare(name)`, when given, runs untimed
    before each of an implementation's blocks (run.py sets the BLAS threads each library expects)."""
    prepare = prepare or (lambda name: None)
    steps = {}
    for name, factory in case.impls.items():
        if only and name not in only:
            continue
        try:
            steps[name] = factory()
        except ImportError:
            continue
    numbers = {}
    for name, step in steps.items():
        prepare(name)
        for _ in range(warmup):
            step()
        one = max(_block(step, 1), 1e-7)
        numbers[name] = max(1, int(target_s / one))
    runs = {name: [] for name in steps}
    names = list(steps)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            prepare(name)
            runs[name].append(_block(steps[name], numbers[name]))
    return {name: statistics.median(ts) for name, ts in runs.items()}


def ratio(case, times, other):
    """How many times faster autograd_lite is than `other` (> 1: ours is faster)."""
    if OURS not in times or other not in times:
        return None
    return times[other] / times[OURS]


def fmt(value, unit):
    if value is None:
        return "-"
    if unit == "us":
        return f"{value:.1f}"
    return f"{value:,.0f}" if value >= 100 else f"{value:.2f}" if value < 10 else f"{value:.1f}"


def torch_cross_entropy(T, x, t):
    """PyTorch's cross-entropy forward and backward as its eager step runs them (aten log_softmax + nll_loss and
    their backwards), without autograd's bookkeeping: the reference of the fused cross-entropy kernels."""
    a = T.ops.aten
    lp = a._log_softmax(x, 1, False)
    loss, total = a.nll_loss_forward(lp, t, None, 1, -100)
    glp = a.nll_loss_backward(T.ones_like(loss), lp, t, None, 1, -100, total)
    return loss, a._log_softmax_backward_data(glp, lp, 1, T.float32)


def pinned_args(doc, only_choices=None):
    """The command line of an interleaved side-by-side script (--threads, --rounds, --only), with the thread pools
    of NumPy, torch and numba pinned to --threads: call it before they load (they read these once).

    Example: ``ARGS = pinned_args(__doc__) if __name__ == "__main__" else None`` above ``import numpy``."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=9)
    if only_choices:
        p.add_argument("--only", choices=only_choices, default=None)
    else:
        p.add_argument("--only", default="", help="a regular expression: run the cases whose name it matches")
    args = p.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    return args
