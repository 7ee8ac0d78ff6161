// CUDA's execution model on the CPU, enough to run kernels.cuda.sources as written (tests/emulated_cupy.py).
// A launch runs its blocks one after another; a block's blockDim.x threads are fibers (ucontext) on one OS thread,
// so `__shared__` (a static) is the block's shared memory. __syncthreads switches back to the scheduler, which
// resumes every thread of the block once per round: a round ends when each thread has reached the barrier or
// returned (a returned thread counts as arrived, as on current GPUs). A warp shuffle exchanges values through a
// buffer between two barriers: every thread of the block must shuffle together, as the library's reductions do.
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
static std::vector<char> simt_done;
static const std::function<void()>* simt_body = nullptr;
static double simt_exchange[1024];
static const size_t SIMT_STACK = 64 * 1024;

inline void __syncthreads() { swapcontext(&simt_fibers[threadIdx.x], &simt_scheduler); }

template <class V>
V __shfl_xor_sync(unsigned, V v, int lane_mask) {
    simt_exchange[threadIdx.x] = (double)v;       // float and double values survive the round trip exactly
    __syncthreads();
    V out = (V)simt_exchange[threadIdx.x ^ lane_mask];
    __syncthreads();
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
    simt_done[threadIdx.x] = 1;                   // then back to the scheduler through uc_link
}

// Runs body() as `block` threads for each of `grid` blocks.
inline void simt_launch(unsigned grid, unsigned block, const std::function<void()>& body) {
    if (block == 0 || block > 1024) {
        std::fprintf(stderr, "simt: bad block size %u\n", block);
        std::abort();
    }
    blockDim.x = block;
    gridDim.x = grid;
    simt_body = &body;
    simt_fibers.resize(block);
    if (simt_stacks.size() < block * SIMT_STACK) simt_stacks.resize(block * SIMT_STACK);
    for (unsigned b = 0; b < grid; ++b) {
        blockIdx.x = b;
        simt_done.assign(block, 0);
        for (unsigned t = 0; t < block; ++t) {
            getcontext(&simt_fibers[t]);
            simt_fibers[t].uc_stack.ss_sp = &simt_stacks[t * SIMT_STACK];
            simt_fibers[t].uc_stack.ss_size = SIMT_STACK;
            simt_fibers[t].uc_link = &simt_scheduler;
            makecontext(&simt_fibers[t], simt_entry, 0);
        }
        for (unsigned running = block; running;) {
            for (unsigned t = 0; t < block; ++t) {
                if (simt_done[t]) continue;
                threadIdx.x = t;
                swapcontext(&simt_scheduler, &simt_fibers[t]);
                if (simt_done[t]) --running;
            }
        }
    }
}
