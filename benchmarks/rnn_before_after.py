"""The recurrent layers before and after session 15's whole-direction kernels, with torch, interleaved in one process.

    OMP_NUM_THREADS=1 python benchmarks/rnn_before_after.py 1        # threads (also torch.set_num_threads)
    python benchmarks/rnn_before_after.py 2 lstm_inference,mnist_rnn_step,word_step:LSTM 15   # cases, rounds

"after": the library as it is. "before": the step-by-step path (ops/rnn.py's _SEQUENCE_KERNELS emptied: one np.dot
and one fused-cell call per step, as before session 15) with the pointwise kernels as they were before it (below,
verbatim: 2-D offset indexing, which LLVM left scalar). Each round times after, before and torch in turn, in
rotating order (blocks of ~50 ms; at 2 threads each block first waits SETTLE_S for the threads of the one before to
stop spinning); medians of the rounds, ms per step. Cases are benchmarks/cases_sequence.py's.
"""
import os
import sys

THREADS = sys.argv[1] if len(sys.argv) > 1 else "1"
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = THREADS
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import statistics  # noqa: E402
import time  # noqa: E402

import cases_sequence as cs  # noqa: E402
import autograd_lite.kernels.cpu.rnn as K  # noqa: E402
import autograd_lite.ops.rnn as R  # noqa: E402
from autograd_lite.kernels.cpu._jit import jit  # noqa: E402
from autograd_lite.kernels.cpu.rnn import _sig, _th  # noqa: E402,F401 (used by the kernels below)

# ---- the pointwise kernels before session 15, verbatim
@jit
def _gates_act(gi, gh, gates, lo, hi, tanh_from, tanh_to):
    for r in range(gates.shape[0]):
        for j in range(lo, tanh_from):
            gates[r, j] = _sig(gi[r, j] + gh[r, j])
        for j in range(tanh_from, tanh_to):
            gates[r, j] = _th(gi[r, j] + gh[r, j])
        for j in range(tanh_to, hi):
            gates[r, j] = _sig(gi[r, j] + gh[r, j])


@jit
def _lstm_state(gates, c, c2, tc, h):
    b, n = c.shape
    for r in range(b):
        for j in range(n):
            c2[r, j] = gates[r, n + j] * c[r, j] + gates[r, j] * gates[r, 2 * n + j]
        for j in range(n):
            tc[r, j] = _th(c2[r, j])
        for j in range(n):
            h[r, j] = gates[r, 3 * n + j] * tc[r, j]


@jit
def _lstm_bwd(dh, dc, gates, c, tc, da, dc_prev):
    b, n = c.shape
    one = c.dtype.type(1)
    for r in range(b):
        for j in range(n):
            i, f, g, o = gates[r, j], gates[r, n + j], gates[r, 2 * n + j], gates[r, 3 * n + j]
            t, d_h = tc[r, j], dh[r, j]
            d_c = dc[r, j] + d_h * o * (one - t * t)
            da[r, j] = d_c * g * i * (one - i)
            da[r, n + j] = d_c * c[r, j] * f * (one - f)
            da[r, 2 * n + j] = d_c * i * (one - g * g)
            da[r, 3 * n + j] = d_h * t * o * (one - o)
            dc_prev[r, j] = d_c * f


@jit
def _gru_state(gi, gh, gates, h, h2):
    b, n = h.shape
    for r in range(b):
        for j in range(n):
            gates[r, 2 * n + j] = _th(gi[r, 2 * n + j] + gates[r, j] * gh[r, 2 * n + j])
        for j in range(n):
            h2[r, j] = gates[r, 2 * n + j] + gates[r, n + j] * (h[r, j] - gates[r, 2 * n + j])


@jit
def _gru_bwd(dh, gates, gh, h, dgi, dgh, dh_prev):
    b, n = h.shape
    one = h.dtype.type(1)
    for r in range(b):
        for j in range(n):
            rr, z, nn, d = gates[r, j], gates[r, n + j], gates[r, 2 * n + j], dh[r, j]
            dan = d * (one - z) * (one - nn * nn)
            dar = dan * gh[r, 2 * n + j] * rr * (one - rr)
            daz = d * (h[r, j] - nn) * z * (one - z)
            dgi[r, j], dgi[r, n + j], dgi[r, 2 * n + j] = dar, daz, dan
            dgh[r, j], dgh[r, n + j], dgh[r, 2 * n + j] = dar, daz, dan * rr
            dh_prev[r, j] = d * z



SETTLE_S = 0.3      # at 2 threads, a block waits for the last one's spinning threads (torch's OpenMP, OpenBLAS's)
ORDERS = (("after", "before", "torch"), ("torch", "before", "after"), ("before", "torch", "after"))  # rotated
OLD = {n: globals()[n] for n in ("_gates_act", "_lstm_state", "_lstm_bwd", "_gru_state", "_gru_bwd")}
NEW = {n: getattr(K, n) for n in OLD}
WHOLE = dict(R._SEQUENCE_KERNELS)


def use(after):
    """The library as it is (after) or as it was (the step path and the old pointwise kernels)."""
    R._SEQUENCE_KERNELS.clear()
    if after:
        R._SEQUENCE_KERNELS.update(WHOLE)
    for name in OLD:
        setattr(K, name, (NEW if after else OLD)[name])


def step_of(name, lib):
    fn, _, arg = name.partition(":")
    return getattr(cs, fn)(lib, arg) if arg else getattr(cs, fn)(lib)


def main():
    import torch
    torch.set_num_threads(int(THREADS))
    names = (sys.argv[2] if len(sys.argv) > 2 else "lstm_inference,mnist_rnn_step").split(",")
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    print("| case | threads | after ms | before ms | torch ms | before / after | x torch before | x torch after |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    for name in names:
        steps = {"after": step_of(name, "autograd_lite"), "before": step_of(name, "autograd_lite"),
                 "torch": step_of(name, "torch")}

        def block(k, n):
            use(k != "before")
            if THREADS != "1":
                time.sleep(SETTLE_S)
            t = time.perf_counter()
            for _ in range(n):
                steps[k]()
            return (time.perf_counter() - t) / n * 1e3
        for k in steps:
            block(k, 3)                                 # compiled, warm
        n = max(1, int(50 / max(block("torch", 2), 1e-3)))
        times = {k: [] for k in steps}
        for r in range(rounds):
            for k in ORDERS[r % len(ORDERS)]:
                times[k].append(block(k, n))
        a, b, t = (statistics.median(times[k]) for k in ("after", "before", "torch"))
        print(f"| {name} | {THREADS} | {a:.2f} | {b:.2f} | {t:.2f} | {b / a:.2f}x | {t / b:.2f} | {t / a:.2f} |",
              flush=True)
    use(True)


if __name__ == "__main__":
    main()
