"""The kernel section of benchmarks/run.py: autograd_lite's CPU kernels (the kernel table, kernels.cpu)
against the plain NumPy formula (cpu.PATHS[name]["numpy"], np.matmul), PyTorch's CPU op on
torch.from_numpy views of the same arrays and, for the bandwidth-bound kernels, a memcpy.

    cd benchmarks && OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 python cases_kernels.py [--quick]

Bandwidth cases report GB/s of `work` = the bytes the op must move at minimum (BYTES below). Their "memcpy"
impl is np.copyto of a float32 array of the op's size, repeated (the last copy partial) until it has moved
`work` bytes, 8 per element copied: its rate is the same-size copy's own GB/s.
Every input is float32 random normal from a fixed seed, built anew by each impl's factory.
"""
import argparse
import functools
import os
import sys
import threading
import time

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import autograd_lite as al  # noqa: E402
from autograd_lite.kernels import cpu  # noqa: E402
from autograd_lite.optim.adam import adam_update  # noqa: E402
from autograd_lite.optim.sgd import sgd_update  # noqa: E402
from _harness import OURS, Case, fmt, measure, torch_cross_entropy  # noqa: E402

SIZES = {"64K": 1 << 16, "1M": 1 << 20, "16M": 1 << 24}
COLS = 1024                       # row length of every 2-D input (log_softmax, cross-entropy: the softmax dim)
P = 0.5                           # dropout probability
# The NumPy formula of each kernel: its "numpy" path, and for the optimizers the library's own update rules
# (written once on the array module; the fused kernels accelerate them).
NP = {k: v["numpy"] for k, v in cpu.PATHS.items() if "numpy" in v}
NP.update(sgd_update=sgd_update, adam_update=adam_update)
W0 = np.empty(0, np.float32)      # "no class weights", as the loss kernels take it
ADAM = (None, 0.9, 0.999, 1e-8, 0.0, 1.0, 1e-3 / (1 - 0.9 ** 10), (1 - 0.999 ** 10) ** 0.5)  # step 10, lr 1e-3
SGD = dict(lr=1e-3, momentum=0.9)


# ---- inputs: n elements -> the arrays every impl of a case gets --------------------------------------------
def _randn(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s, dtype=np.float32) for s in shapes]


def _rows(n):
    return (n // COLS, COLS)


def _x(n):
    return _randn(_rows(n))


def _gy(fwd):                     # (g, y = fwd(x)): a backward's inputs
    def make(n):
        g, x = _randn(_rows(n), _rows(n))
        return [g, fwd(x)]
    return make


def _ce_in(n):
    return [*_x(n), np.random.default_rng(1).integers(0, COLS, n // COLS)]


def _bits16(rng, shape):             # what F.dropout draws: 16 counter-based random bits per element
    from autograd_lite.random import bits16
    return bits16(shape)


def _x_rng(n):                    # x and a generator for dropout's uniforms, drawn every step
    return [*_x(n), np.random.default_rng(2)]


def _g_mask(n):
    g, rng = _x_rng(n)
    return [g, rng.random(g.shape, dtype=np.float32) >= P]


def _params(nbuf):                # a flat parameter, its gradient and nbuf state buffers
    return lambda n: _randn(n, n) + [np.full(n, 0.1, np.float32) for _ in range(nbuf)]


# ---- composite steps --------------------------------------------------------------------------------------
def _ce_ours(x, t):               # the mean loss and its gradient
    losses, p, total = cpu.cross_entropy_forward(x, t)
    return losses.sum() / total, cpu.cross_entropy_backward(1 / total, p, t)


def _ce_numpy(x, t):
    losses, p, total = NP["cross_entropy_forward"](x, t, W0, -100, 0.0)
    return losses.sum() / total, NP["cross_entropy_backward"](1 / total, p, t, W0, -100, 0.0)


class _Setup:
    """A torch entry that builds its step once: fn(torch, *tensors) -> step."""
    def __init__(self, fn):
        self.fn = fn


def _torch_optim(name, **kw):
    def setup(T, p, g, *_):
        p.requires_grad_()
        p.grad = g
        opt = getattr(T.optim, name)([p], **kw)                   # foreach: torch's default
        opt.step()                                                # creates the state
        return opt.step
    return _Setup(setup)


def _kernel(name, *extra):       # (ours, the NumPy formula) of a kernel, called with these trailing arguments
    return (lambda *a: getattr(cpu, name)(*a, *extra)), (lambda *a: NP[name](*a, *extra))


def _ew(name, fwd=None):          # an elementwise kernel's inputs (forward: x; backward: g, y = fwd(x)), ours, NumPy's
    return (_x if fwd is None else _gy(fwd)), getattr(cpu, name), NP[name]


# case: (bytes per element that must move, inputs(n), ours, the NumPy formula, torch(T, *tensors), note)
BYTES = {
    "relu forward": (8, *_ew("relu_forward"), lambda T, x: T.relu(x), ""),               # read x, write y
    "relu backward": (12, *_ew("relu_backward", cpu.relu_forward),                       # read g, y; write dx
                      lambda T, g, y: T.ops.aten.threshold_backward(g, y, 0), ""),
    "sigmoid forward": (8, *_ew("sigmoid_forward"), lambda T, x: T.sigmoid(x), ""),
    "sigmoid backward": (12, *_ew("sigmoid_backward", cpu.sigmoid_forward),
                         lambda T, g, y: T.ops.aten.sigmoid_backward(g, y), ""),
    "tanh forward": (8, *_ew("tanh_forward"), lambda T, x: T.tanh(x), ""),
    "tanh backward": (12, *_ew("tanh_backward", cpu.tanh_forward), lambda T, g, y: T.ops.aten.tanh_backward(g, y), ""),
    "log_softmax forward": (8, _x, *_kernel("log_softmax_forward", -1), lambda T, x: T.log_softmax(x, -1), ""),
    "log_softmax backward": (12, _gy(_kernel("log_softmax_forward", -1)[0]), *_kernel("log_softmax_backward", -1),
                             lambda T, g, y: T.ops.aten._log_softmax_backward_data(g, y, -1, T.float32), ""),
    # the forward reads x; the backward reads x (or what the forward kept) and writes dx
    "cross_entropy fwd+bwd": (12, _ce_in, _ce_ours, _ce_numpy, torch_cross_entropy,
                              "mean over rows; torch: aten _log_softmax, nll_loss_forward, nll_loss_backward, "
                              "_log_softmax_backward_data (what autograd runs for F.cross_entropy, no graph)"),
    # read x; write y and a bool mask (uniforms need not reach memory)
    "dropout forward": (9, _x_rng, lambda x, r: cpu.dropout_forward(x, _bits16(r, x.shape), P),
                        lambda x, r: NP["dropout_forward"](x, r.random(x.shape, dtype=np.float32), P),
                        lambda T, x, r: T.ops.aten.native_dropout(x, P, True),
                        f"p={P}, drawing the mask included: ours 16 random bits per element (as F.dropout: SplitMix64 "
                        "keyed by the global generator), numpy float32 uniforms (PCG64), torch's native_dropout its "
                        "bernoulli"),
    "dropout backward": (9, _g_mask, *_kernel("dropout_backward", P),                  # read g, mask; write dx
                         lambda T, g, m: T.ops.aten.native_dropout_backward(g, m, 1 / (1 - P)), f"p={P}"),
    "sgd momentum update": (20, _params(1), *_kernel("sgd_update", *SGD.values()),    # read p, g, buf; write p, buf
                            _torch_optim("SGD", **SGD),
                            "one flat parameter; torch: optim.SGD(lr=1e-3, momentum=0.9).step(), Python included"),
    "adam update": (28, _params(2), *_kernel("adam_update", *ADAM),              # read p, g, m, v; write p, m, v
                    _torch_optim("Adam", lr=1e-3), "one flat parameter; torch: optim.Adam(lr=1e-3).step(), "
                    "Python included"),
}
ROW_OPS = ("log_softmax", "cross_entropy", "dropout")  # ... sizes that name their (rows, COLS) shape
MATMULS = [(64, 784, 128, False), (64, 128, 64, False), (784, 64, 128, True), (512, 512, 512, False),
           (1024, 1024, 1024, False), (2048, 2048, 2048, False)]  # m, k, n, a = X.T of a (k, m) array


def _factory(make, fn, n, lib=None):
    """Factory: builds make(n) and returns the step fn(*inputs); lib "torch": fn(torch, *torch.from_numpy
    views), or the _Setup's step; lib "tensor": fn(*autograd_lite tensors sharing the arrays)."""
    def factory():
        args = make(n)
        if lib == "torch":
            import torch
            args = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
            return fn.fn(torch, *args) if isinstance(fn, _Setup) else functools.partial(fn, torch, *args)
        if lib == "tensor":
            args = [al.from_numpy(a) for a in args]
        return functools.partial(fn, *args)
    return factory


def _memcpy(n, nbytes):
    """np.copyto of an n-element float32 array, repeated (the last copy partial) until nbytes are moved."""
    def factory():
        src = np.ones(n, np.float32)
        dst = np.empty_like(src)
        whole, rest = divmod(int(nbytes) // 8, n)
        copies = [(dst, src)] * whole + [(dst[:rest], src[:rest])] * bool(rest)
        return lambda: [np.copyto(d, s) for d, s in copies]
    return factory


def _mm_in(spec):
    m, k, n, transposed = spec
    a, b = _randn((k, m) if transposed else (m, k), (k, n))
    return [a.T if transposed else a, b]


def cases(quick=False):
    """Every kernel case: matmul at the MLP shapes and squares (GFLOP/s), the bandwidth cases (GB/s)."""
    out = []
    for spec in MATMULS[:-1] if quick else MATMULS:
        m, k, n, tr = spec
        size = f"{m}x{k} @ {k}x{n}" + (" (X.T view)" if tr else "")
        for name, ours in (("matmul (kernel)", _factory(_mm_in, cpu.matmul, spec)),
                           ("matmul (Tensor)", _factory(_mm_in, lambda a, b: a @ b, spec, "tensor"))):
            out.append(Case("kernels", name, size, "GFLOP/s", 2.0 * m * k * n, {
                OURS: ours, "numpy": _factory(_mm_in, np.matmul, spec),
                "torch": _factory(_mm_in, lambda T, a, b: T.mm(a, b), spec, "torch")},
                "autograd_lite Tensors, no grad" if "Tensor" in name else ""))
    for name, (bpe, make, ours, numpy_, torch_, note) in BYTES.items():
        for label, n in list(SIZES.items())[:2 if quick else 3]:
            size = f"{label} ({n // COLS}x{COLS})" if name.startswith(ROW_OPS) else label
            out.append(Case("kernels", name, size, "GB/s", bpe * n, {
                OURS: _factory(make, ours, n), "numpy": _factory(make, numpy_, n),
                "torch": _factory(make, torch_, n, "torch"), "memcpy": _memcpy(n, bpe * n)}, note))
    return out


# ---- the float32 FMA peak ---------------------------------------------------------------------------------
_ACC = 16  # independent 16-lane accumulators: 2 FMA ports x 4 cycles of latency need 8; 16 leave room


@intrinsic
def _fma_loop(typingctx, iters, m, c):
    """Sum of _ACC <16 x float> accumulators after `iters` rounds of acc = fma(acc, m, c), in registers."""
    def codegen(context, builder, sig, args):
        n, mv, cv = args
        vt, i32 = ir.VectorType(ir.FloatType(), 16), ir.IntType(32)
        undef = ir.Constant(vt, ir.Undefined)

        def splat(x):
            return builder.shuffle_vector(builder.insert_element(undef, x, i32(0)), undef,
                                          ir.Constant(ir.VectorType(i32, 16), [0] * 16))
        M, C = splat(mv), splat(cv)
        fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vt, [vt] * 3), "llvm.fma.v16f32")
        pre, loop, done = builder.block, builder.append_basic_block("fma"), builder.append_basic_block("fma_done")
        builder.branch(loop)
        builder.position_at_end(loop)
        i = builder.phi(n.type)
        accs = [builder.phi(vt) for _ in range(_ACC)]
        new = [builder.call(fma, [a, M, C]) for a in accs]
        i1 = builder.add(i, n.type(1))
        i.add_incoming(n.type(0), pre)
        i.add_incoming(i1, loop)
        for k, (a, v) in enumerate(zip(accs, new)):
            a.add_incoming(ir.Constant(vt, [1e-3 * (k + j) for j in range(16)]), pre)
            a.add_incoming(v, loop)
        builder.cbranch(builder.icmp_signed("<", i1, n), loop, done)
        builder.position_at_end(done)
        s = functools.reduce(builder.fadd, new)
        return functools.reduce(builder.fadd, [builder.extract_element(s, i32(j)) for j in range(16)])
    return numba.float32(numba.int64, numba.float32, numba.float32), codegen


@numba.njit(nogil=True)
def _fma_kernel(iters):
    return _fma_loop(iters, np.float32(0.999), np.float32(0.001))  # converges to 1: no overflow, no denormals


_FLOPS_PER_ITER = 2 * 16 * _ACC


@functools.lru_cache(maxsize=None)
def peak_gflops(threads=1):
    """The float32 FMA peak, GFLOP/s: _fma_kernel, ~0.2 s of llvm.fma.v16f32 on 16 independent accumulators,
    run once per thread at a time in `threads` Python threads (the kernel releases the GIL; more threads than
    cores measure nothing more); the best of 3 runs (interference only slows it).

    Written as an intrinsic emitting <16 x float> FMAs because numba's auto-vectorized loop gets LLVM's
    256-bit preference on Skylake-AVX512/Cascade Lake: it measured 82 GFLOP/s, the AVX2 peak, below
    OpenBLAS's single-thread sgemm. Measured on the 2-core 2.5 GHz Cascade Lake VM (shared, noisy):
    145-151 GFLOP/s on 1 thread (117-136 while the host was busy); theory 2.5 GHz x 2 FMA ports x 16 lanes
    x 2 = 160, the AVX-512 clock being a little lower. np.matmul 2048^3 float32 with OPENBLAS_NUM_THREADS=1:
    115 at best, 0.77 of it. 2 threads: 291 once, 145-165 mostly (the other vCPU is rarely free)."""
    _fma_kernel(1000)
    t0 = time.perf_counter()
    _fma_kernel(1 << 20)
    iters = max(1, int(0.2 / (time.perf_counter() - t0) * (1 << 20)))
    best = 0.0
    for _ in range(3):
        pool = [threading.Thread(target=_fma_kernel, args=(iters,)) for _ in range(threads)]
        t0 = time.perf_counter()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        best = max(best, threads * iters * _FLOPS_PER_ITER / (time.perf_counter() - t0) / 1e9)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="drop the 2048^3 matmul and the 16M cases")
    ap.add_argument("--only", default="", help="cases whose name contains this")
    a = ap.parse_args()
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        pass
    peak = peak_gflops()
    print(f"float32 FMA peak, 1 thread: {peak:.0f} GFLOP/s\n")
    impls = [OURS, "numpy", "torch", "memcpy"]
    print("| case | size | " + " | ".join(impls) + " | unit | ours/numpy | ours/torch | ours/memcpy or /peak |")
    print("|---|---|" + "--:|" * len(impls) + "---|--:|--:|--:|")
    for case in cases(a.quick):
        if a.only in case.name:
            r = {k: case.rate(v) for k, v in measure(case).items()}
            r["peak"] = peak
            ref = "memcpy" if "memcpy" in case.impls else "peak"
            ratios = " | ".join(f"{r[OURS] / r[k]:.2f}" if k in r else "-" for k in ("numpy", "torch", ref))
            print(f"| {case.name} | {case.size} | " + " | ".join(fmt(r.get(k), case.unit) for k in impls)
                  + f" | {case.unit} | {ratios} |", flush=True)

if __name__ == "__main__":
    main()
