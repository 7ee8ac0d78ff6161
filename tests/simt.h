// CUDA's execution model on the CPU, enough to run kernels.cuda.sources as written (tests/emulated_cupy.py).
// A launch runs its blocks one after another; a block's blockDim.x threads are fibers (ucontext) on one OS thread,
// so `__shared__` (a static) is the block's shared memory. Warps run one at a time, each until all its lanes wait
// at __syncthreads (or have returned: a returned thread counts as arrived, as on current GPUs); then the barrier
// opens. A warp shuffle syncs only its warp. So a missing __syncthreads shows as a wrong result: a warp reads
// shared memory before another warp wrote it, or overwrites it before another warp read it.
#include <ucontext.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

using std::exp;
using std::fabs;
using std::log;
using std::sqrt;
using std::tanh;

struct Dim3 { unsigned x = 0, y = 0, z = 0; };
static Dim3 threadIdx, blockIdx, blockDim, gridDim;     // one fiber runs at a time: plain globals

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

static ucontext_t simt_scheduler;
static std::vector<ucontext_t> simt_fibers;
static std::vector<char> simt_stacks;
static std::vector<char> simt_state;              // RUNNABLE, AT_WARP_SYNC, AT_BARRIER, DONE
static const std::function<void()>* simt_body = nullptr;
static double simt_exchange[1024];
static const size_t SIMT_STACK = 64 * 1024;
enum { RUNNABLE, AT_WARP_SYNC, AT_BARRIER, DONE };

inline void simt_yield(char state) {
    simt_state[threadIdx.x] = state;
    swapcontext(&simt_fibers[threadIdx.x], &simt_scheduler);
}

inline void __syncthreads() { simt_yield(AT_BARRIER); }

// A warp's lanes exchange values: every lane writes, the warp syncs, every lane reads, the warp syncs. Only the
// warp waits: other warps may be anywhere before their next __syncthreads, as on a GPU.
template <class V>
V __shfl_xor_sync(unsigned, V v, int lane_mask) {
    simt_exchange[threadIdx.x] = (double)v;       // float and double values survive the round trip exactly
    simt_yield(AT_WARP_SYNC);
    V out = (V)simt_exchange[threadIdx.x ^ lane_mask];
    simt_yield(AT_WARP_SYNC);
    return out;
}

inline int atomicAdd(int* address, int value) {
    int old = *address;
    *address = old + value;
    return old;
}

inline float __int_as_float(int bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

static void simt_entry() {
    (*simt_body)();
    simt_state[threadIdx.x] = DONE;               // then back to the scheduler through uc_link
}

static void simt_fail(const char* what) {
    std::fprintf(stderr, "simt: %s (block %u)\n", what, blockIdx.x);
    std::abort();
}

// Runs warp w's lanes until each waits at __syncthreads or has returned: its warp syncs are released as soon as
// all its live lanes reach one. Warps run one after another, each as far as it can: the order that exposes a
// missing __syncthreads (a warp reads shared memory before another warp wrote it, or overwrites it first).
static void simt_run_warp(unsigned w, unsigned block) {
    unsigned lo = w * 32, hi = lo + 32 < block ? lo + 32 : block;
    for (;;) {
        bool ran = false;
        for (unsigned t = lo; t < hi; ++t) {
            if (simt_state[t] != RUNNABLE) continue;
            threadIdx.x = t;
            swapcontext(&simt_scheduler, &simt_fibers[t]);
            ran = true;
        }
        unsigned live = 0, at_sync = 0;
        for (unsigned t = lo; t < hi; ++t) {
            live += simt_state[t] != DONE;
            at_sync += simt_state[t] == AT_WARP_SYNC;
        }
        if (at_sync && at_sync == live) {
            for (unsigned t = lo; t < hi; ++t)
                if (simt_state[t] == AT_WARP_SYNC) simt_state[t] = RUNNABLE;
            continue;
        }
        if (at_sync) simt_fail("a warp shuffle that not every live lane of the warp reached");
        if (!ran) return;
    }
}

// Runs body() as `block` threads for each of `grid` blocks.
inline void simt_launch(unsigned grid, unsigned block, const std::function<void()>& body) {
    if (block == 0 || block > 1024 || block % 32) simt_fail("bad block size");
    blockDim.x = block;
    gridDim.x = grid;
    simt_body = &body;
    simt_fibers.resize(block);
    if (simt_stacks.size() < block * SIMT_STACK) simt_stacks.resize(block * SIMT_STACK);
    for (unsigned b = 0; b < grid; ++b) {
        blockIdx.x = b;
        simt_state.assign(block, RUNNABLE);
        for (unsigned t = 0; t < block; ++t) {
            getcontext(&simt_fibers[t]);
            simt_fibers[t].uc_stack.ss_sp = &simt_stacks[t * SIMT_STACK];
            simt_fibers[t].uc_stack.ss_size = SIMT_STACK;
            simt_fibers[t].uc_link = &simt_scheduler;
            makecontext(&simt_fibers[t], simt_entry, 0);
        }
        for (;;) {
            for (unsigned w = 0; w * 32 < block; ++w) simt_run_warp(w, block);
            bool waiting = false;                 // every live thread is at __syncthreads now: release them
            for (unsigned t = 0; t < block; ++t)
                if (simt_state[t] == AT_BARRIER) { simt_state[t] = RUNNABLE; waiting = true; }
            if (!waiting) break;
        }
    }
}
