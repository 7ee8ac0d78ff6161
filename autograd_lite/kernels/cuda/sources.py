"""CUDA C sources of the GPU kernel table, as plain strings: `kernels.cuda` builds CuPy kernels from them, and the
tests compile every one with `nvcc -ptx` where nvcc exists (no GPU and no CuPy needed to import this module).

ELEMENTWISE: name -> (in_params, out_params, operation) of a `cupy.ElementwiseKernel` (T: the float type, `i`:
the element index; CuPy reserves the names `i`, `n` and those starting with `_`). ROWS: one source of row kernels (`cupy.RawModule`, built once per float type by prepending
`typedef float T;` or `typedef double T;`): one block per row, warp shuffles and shared memory for the row's max and
sums, sums accumulated in double as the CPU kernels do.
"""

# The kernel table's public names: every one is also in the CPU table (kernels.cpu), with the same signature.
NAMES = ("matmul", "relu_forward", "relu_backward", "sigmoid_forward", "sigmoid_backward", "tanh_forward",
         "tanh_backward", "softmax_forward", "softmax_backward", "log_softmax_forward", "log_softmax_backward",
         "bias_add", "bias_grad", "linear_forward", "activation_bias_backward", "dropout_forward", "dropout_backward",
         "random_words", "cross_entropy_forward", "cross_entropy_backward", "nll_loss_forward", "nll_loss_backward",
         "sgd_update", "sgd_update_many", "adam_update", "adam_update_many", "rmsprop_update", "adagrad_update",
         "erf_forward", "erfinv_forward")

# y = act(v): the epilogues of linear_forward and the activation forwards (NaN stays NaN).
ACT_FORWARD = {
    None: "v",
    "relu": "(v > (T)0 || v != v) ? v : (T)0",
    "sigmoid": "(v >= (T)0) ? (T)1 / ((T)1 + exp(-v)) : exp(v) / ((T)1 + exp(v))",
    "tanh": "tanh(v)",
}
# dL/dz = g * act'(z), from the forward's output y.
ACT_BACKWARD = {
    "relu": "y > (T)0 ? g : (T)0",
    "sigmoid": "g * y * ((T)1 - y)",
    "tanh": "g * ((T)1 - y * y)",
}


def _act_kernels():
    specs = {}
    for act, expr in ACT_FORWARD.items():
        if act is not None:
            specs[f"{act}_forward"] = ("T x", "T y", f"T v = x; y = {expr}")
    for act, expr in ACT_BACKWARD.items():
        specs[f"{act}_backward"] = ("T g, T y", "T dz", f"dz = {expr}")
    for act, expr in ACT_FORWARD.items():   # in place on z = x @ w.T: z = act(z + b[column])
        name = act or "identity"
        specs[f"bias_{name}"] = ("raw T b, int64 nf", "T z", f"T v = z + b[i % nf]; z = {expr}")
    return specs


ELEMENTWISE = _act_kernels()
ELEMENTWISE.update({
    # inverted dropout: keep where u >= threshold (u uniform uint16, threshold = round(p * 65536)), scale = 1/(1-p)
    "dropout_forward": ("T x, uint16 u, int32 threshold, T scale", "T y, bool mask",
                        "mask = (int)u >= threshold; y = x * (mask ? scale : (T)0)"),
    "dropout_forward_float": ("T x, T u, T p, T scale", "T y, bool mask",
                              "mask = u >= p; y = x * (mask ? scale : (T)0)"),
    "dropout_backward": ("T g, bool mask, T scale", "T dx", "dx = g * (mask ? scale : (T)0)"),
    # word i of SplitMix64 keyed by `key`, as kernels/cpu/bits.py: the same masks on every device
    "random_words": ("uint64 key", "uint64 out",
                     "unsigned long long z = key + ((unsigned long long)i + 1ULL) * 0x9E3779B97F4A7C15ULL;"
                     " z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;"
                     " z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;"
                     " out = z ^ (z >> 31)"),
    # optimizer updates in place, torch.optim's formulas (as kernels/cpu/optim.py)
    "sgd_update": ("T g, T lr, T momentum, T keep, T wd, bool nesterov, bool maximize, bool first, bool use_mom",
                   "T p, raw T buf",     # buf: the momentum buffer, raveled (a dummy without momentum)
                   "T d = maximize ? -g : g;"
                   " if (wd != (T)0) d = d + wd * p;"
                   " if (use_mom) { T b = first ? d : buf[i] * momentum + keep * d; buf[i] = b;"
                   " d = nesterov ? d + momentum * b : b; }"
                   " p = p - lr * d"),
    "adam_update": ("T g, T w, T w1, T b2, T keep2, T eps, T wd, T scale, T ss, T bc2, bool small, bool maximize",
                    "T p, T m, T v",
                    "T d = maximize ? -g : g; T x = p * scale;"
                    " if (wd != (T)0) d = d + wd * x;"
                    " T mi = small ? m + w * (d - m) : d - (d - m) * w1;"
                    " T vi = v * b2 + keep2 * d * d; m = mi; v = vi;"
                    " p = x - ss * (mi / (sqrt(vi) / bc2 + eps))"),
    "adam_update_amsgrad": ("T g, T w, T w1, T b2, T keep2, T eps, T wd, T scale, T ss, T bc2, bool small,"
                            " bool maximize", "T p, T m, T v, T vmax",
                            "T d = maximize ? -g : g; T x = p * scale;"
                            " if (wd != (T)0) d = d + wd * x;"
                            " T mi = small ? m + w * (d - m) : d - (d - m) * w1;"
                            " T vi = v * b2 + keep2 * d * d; m = mi; v = vi;"
                            " T vm = vmax; vi = (vi >= vm || vi != vi) ? vi : vm; vmax = vi;"
                            " p = x - ss * (mi / (sqrt(vi) / bc2 + eps))"),
    "rmsprop_update": ("T g, T lr, T alpha, T keep, T w1, T eps, T wd, T momentum, bool small, bool centered,"
                       " bool use_mom, bool maximize", "T p, T sq, raw T gavg, raw T buf",
                       "T d = maximize ? -g : g; T x = p;"
                       " if (wd != (T)0) d = d + wd * x;"
                       " T s = sq * alpha + keep * d * d; sq = s;"
                       " if (centered) { T ga = small ? gavg[i] + keep * (d - gavg[i]) : d - (d - gavg[i]) * w1;"
                       " gavg[i] = ga; s = s - ga * ga; }"
                       " T avg = sqrt(s) + eps;"
                       " if (use_mom) { T b = buf[i] * momentum + d / avg; buf[i] = b; p = x - lr * b; }"
                       " else { p = x - lr * (d / avg); }"),
    "adagrad_update": ("T g, T clr, T eps, T wd, bool maximize", "T p, T s",
                       "T d = maximize ? -g : g; T x = p;"
                       " if (wd != (T)0) d = d + wd * x;"
                       " T si = s + d * d; s = si;"
                       " p = x - clr * (d / (sqrt(si) + eps))"),
    # nll over rows: x (R, C) flat, one thread per row; bad counts targets outside [0, C) that are not ignored
    "nll_loss_forward": ("raw T x, int64 t, raw T w, bool has_w, int64 ignore, int64 classes",
                         "T loss, T wrow, raw int32 bad",
                         "if (t == ignore) { loss = 0; wrow = 0; }"
                         " else if (t < 0 || t >= classes) { loss = 0; wrow = 0; atomicAdd(&bad[0], 1); }"
                         " else { T wt = has_w ? w[t] : (T)1; wrow = wt; loss = -wt * x[i * classes + t]; }"),
    # out: zeros (R, C) flat; g[i * gstep] the factor of row i
    "nll_loss_backward": ("raw T g, int64 gstep, int64 t, raw T w, bool has_w, int64 ignore, int64 classes",
                          "raw T out",
                          "if (t != ignore && t >= 0 && t < classes)"
                          " out[i * classes + t] = -(has_w ? w[t] : (T)1) * g[i * gstep]"),
})

# erfinv in double, as kernels/cpu/special.py: Giles' approximation, then Newton steps (on erf(r) - t for t <= 0.5,
# on log(erfc(r) / (1 - t)) above) until the step is below 1e-9 of r; written out, as host compilers have no erfinv.
_ERFINV = ("double a = x, t = fabs(a), w = -log((1.0 - t) * (1.0 + t)), p;"
           " if (w < 5.0) { w -= 2.5; p = 2.81022636e-08; p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w;"
           " p = -4.39150654e-06 + p * w; p = 0.00021858087 + p * w; p = -0.00125372503 + p * w;"
           " p = -0.00417768164 + p * w; p = 0.246640727 + p * w; p = 1.50140941 + p * w; }"
           " else { w = sqrt(w) - 3.0; p = -0.000200214257; p = 0.000100950558 + p * w; p = 0.00134934322 + p * w;"
           " p = -0.00367342844 + p * w; p = 0.00573950773 + p * w; p = -0.0076224613 + p * w;"
           " p = 0.00943887047 + p * w; p = 1.00167406 + p * w; p = 2.83297682 + p * w; }"
           " double r = p * t;"
           " if (t == 1.0) r = w;"            # w = inf
           " else if (t < 1.0) { for (int k = 0; k < 8; ++k) { double dy;"
           " if (t <= 0.5) dy = (t - erf(r)) / (1.1283791670955126 * exp(-r * r));"
           " else { double e = erfc(r); dy = log(e / (1.0 - t)) * e / (1.1283791670955126 * exp(-r * r)); }"
           " r += dy; if (fabs(dy) <= 1e-9 * r) break; } }"
           " y = (T)copysign(r, a)")
ELEMENTWISE.update({
    "erf_forward": ("T x", "T y", "y = erf(x)"),
    "erfinv_forward": ("T x", "T y", _ERFINV),
})

ROWS = r"""
#define FULL_MASK 0xffffffffu

__device__ __forceinline__ double warp_sum(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ T max_nan(T a, T b) { return (a > b || a != a) ? a : b; }

// exp in T's own precision, by name (no reliance on C++ overloads of exp)
__device__ __forceinline__ float ex(float v) { return expf(v); }
__device__ __forceinline__ double ex(double v) { return exp(v); }

__device__ __forceinline__ T warp_max(T v) {
    for (int o = 16; o > 0; o >>= 1) v = max_nan(v, __shfl_xor_sync(FULL_MASK, v, o));
    return v;
}

// The sum over the block of each thread's v (blockDim.x a multiple of 32, at most 1024); every thread gets it.
__device__ double block_sum(double v) {
    __shared__ double part[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();                    // part[] may still be read by a previous call
    if (lane == 0) part[warp] = v;
    __syncthreads();
    v = lane < warps ? part[lane] : 0.0;
    return warp_sum(v);
}

__device__ T block_max(T v) {
    __shared__ T part[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) part[warp] = v;
    __syncthreads();
    v = lane < warps ? part[lane] : part[0];
    return warp_max(v);
}

__device__ T row_max(const T* x, long long n) {
    T m = (T)__int_as_float(0xff800000);   // -inf
    for (long long j = threadIdx.x; j < n; j += blockDim.x) m = max_nan(m, x[j]);
    return block_max(m);
}

__device__ double row_sum_exp(const T* x, T m, long long n) {
    double s = 0.0;
    for (long long j = threadIdx.x; j < n; j += blockDim.x) s += (double)ex(x[j] - m);
    return block_sum(s);
}

extern "C" __global__ void softmax_forward(const T* x, T* y, long long n) {
    const T* xr = x + (long long)blockIdx.x * n;
    T* yr = y + (long long)blockIdx.x * n;
    T m = row_max(xr, n);
    T inv = (T)(1.0 / row_sum_exp(xr, m, n));
    for (long long j = threadIdx.x; j < n; j += blockDim.x) yr[j] = ex(xr[j] - m) * inv;
}

extern "C" __global__ void log_softmax_forward(const T* x, T* y, long long n) {
    const T* xr = x + (long long)blockIdx.x * n;
    T* yr = y + (long long)blockIdx.x * n;
    T m = row_max(xr, n);
    T lse = (T)log(row_sum_exp(xr, m, n));
    for (long long j = threadIdx.x; j < n; j += blockDim.x) yr[j] = (xr[j] - m) - lse;
}

extern "C" __global__ void softmax_backward(const T* g, const T* y, T* dx, long long n) {
    long long o = (long long)blockIdx.x * n;
    double s = 0.0;
    for (long long j = threadIdx.x; j < n; j += blockDim.x) s += (double)g[o + j] * (double)y[o + j];
    T dot = (T)block_sum(s);
    for (long long j = threadIdx.x; j < n; j += blockDim.x) dx[o + j] = y[o + j] * (g[o + j] - dot);
}

extern "C" __global__ void log_softmax_backward(const T* g, const T* y, T* dx, long long n) {
    long long o = (long long)blockIdx.x * n;
    double s = 0.0;
    for (long long j = threadIdx.x; j < n; j += blockDim.x) s += (double)g[o + j];
    T gs = (T)block_sum(s);
    for (long long j = threadIdx.x; j < n; j += blockDim.x) dx[o + j] = g[o + j] - ex(y[o + j]) * gs;
}

__device__ double weight_sum(const T* w, int has_w, long long n) {
    if (!has_w) return (double)n;
    double s = 0.0;
    for (long long j = threadIdx.x; j < n; j += blockDim.x) s += (double)w[j];
    return block_sum(s);
}

// Per row r: probs = softmax(x[r]); loss = (1 - eps) * w[t] * (lse - x[t]) + eps / n * sum_c w[c] * (lse - x[c])
// (0 where t == ignore); wrow = w[t] or 0; a target outside [0, n) that is not ignore counts in bad[0].
extern "C" __global__ void cross_entropy_forward(const T* x, const long long* t, const T* w, int has_w,
                                                 long long ignore, double eps, T* losses, T* probs, T* wrow,
                                                 int* bad, long long n) {
    long long r = blockIdx.x, o = r * n;
    const T* xr = x + o;
    T m = row_max(xr, n);
    double s = row_sum_exp(xr, m, n);
    T inv = (T)(1.0 / s);
    for (long long j = threadIdx.x; j < n; j += blockDim.x) probs[o + j] = ex(xr[j] - m) * inv;
    double wsh = 0.0, wsum = 0.0;
    if (eps != 0.0) {
        for (long long j = threadIdx.x; j < n; j += blockDim.x)
            wsh += (has_w ? (double)w[j] : 1.0) * (double)(xr[j] - m);
        wsh = block_sum(wsh);
        wsum = weight_sum(w, has_w, n);
    }
    if (threadIdx.x != 0) return;
    long long tr = t[r];
    if (tr == ignore || tr < 0 || tr >= n) {
        losses[r] = 0;
        wrow[r] = 0;
        if (tr != ignore) atomicAdd(bad, 1);
        return;
    }
    double wt = has_w ? (double)w[tr] : 1.0, ls = log(s);
    double loss = (1.0 - eps) * wt * (ls - (double)(xr[tr] - m));
    if (eps != 0.0) loss += eps / (double)n * (wsum * ls - wsh);
    losses[r] = (T)loss;
    wrow[r] = (T)wt;
}

// out[r] = d(g_r * loss_r)/dx[r] from the forward's softmax p (log_probs: p holds log-probabilities);
// g[r * gstep]: gstep 0 for one factor for every row.
extern "C" __global__ void cross_entropy_backward(const T* g, long long gstep, const T* p, int log_probs,
                                                  const long long* t, const T* w, int has_w, long long ignore,
                                                  double eps, T* out, long long n) {
    long long r = blockIdx.x, o = r * n;
    double wsum = eps != 0.0 ? weight_sum(w, has_w, n) : 0.0;
    long long tr = t[r];
    if (tr == ignore || tr < 0 || tr >= n) {
        for (long long j = threadIdx.x; j < n; j += blockDim.x) out[o + j] = (T)0;
        return;
    }
    double gr = (double)g[r * gstep], wt = has_w ? (double)w[tr] : 1.0;
    T a = (T)(((1.0 - eps) * wt + eps * wsum / (double)n) * gr);
    T c = (T)(eps / (double)n * gr);
    for (long long j = threadIdx.x; j < n; j += blockDim.x) {
        T pj = log_probs ? ex(p[o + j]) : p[o + j];
        T v = pj * a - c * (has_w ? w[j] : (T)1);
        if (j == tr) v -= (T)((1.0 - eps) * wt * gr);
        out[o + j] = v;
    }
}
"""

ROW_KERNELS = ("softmax_forward", "log_softmax_forward", "softmax_backward", "log_softmax_backward",
               "cross_entropy_forward", "cross_entropy_backward")

CUDA_TYPES = {"float32": "float", "float64": "double"}


def rows_source(ctype):
    """The row kernels for one float type ('float' or 'double')."""
    return f"typedef {ctype} T;\n{ROWS}"


# ---- convolution: im2col / col2im (kernels of the conv section append here) ----

# im2col: one thread per column element; cols (N, K, L), or (K, N, L) with `transposed` (kernels/cpu/conv.py).
# col2im: one thread per image pixel, gathering the column elements that read it: no atomics.
NAMES += ("im2col", "col2im")
_CONV_GEOMETRY = ("int64 nimg, int64 C, int64 H, int64 W, int64 kh, int64 kw, int64 sh, int64 sw, int64 ph, "
                  "int64 pw, int64 dh, int64 dw, int64 Ho, int64 Wo, bool transposed")
ELEMENTWISE.update({
    "im2col": ("raw T x, " + _CONV_GEOMETRY, "T col",
               "long long L = Ho * Wo, K = C * kh * kw, img, r, l;"
               " if (transposed) { r = i / (nimg * L); img = (i / L) % nimg; } else { img = i / (K * L); r = (i / L) % K; }"
               " l = i % L;"
               " long long c = r / (kh * kw), ki = (r / kw) % kh, kj = r % kw;"
               " long long iy = (l / Wo) * sh - ph + ki * dh, ix = (l % Wo) * sw - pw + kj * dw;"
               " col = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x[((img * C + c) * H + iy) * W + ix] : (T)0"),
    "col2im": ("raw T cols, " + _CONV_GEOMETRY, "T im",
               "long long L = Ho * Wo, K = C * kh * kw;"
               " long long ix = i % W, iy = (i / W) % H, c = (i / (W * H)) % C, img = i / (W * H * C);"
               " T acc = (T)0;"
               " for (long long ki = 0; ki < kh; ++ki) {"
               "  long long ty = iy + ph - ki * dh; if (ty < 0 || ty % sh) continue;"
               "  long long oy = ty / sh; if (oy >= Ho) continue;"
               "  for (long long kj = 0; kj < kw; ++kj) {"
               "   long long tx = ix + pw - kj * dw; if (tx < 0 || tx % sw) continue;"
               "   long long ox = tx / sw; if (ox >= Wo) continue;"
               "   long long r = (c * kh + ki) * kw + kj, l = oy * Wo + ox;"
               "   acc += cols[transposed ? (r * nimg + img) * L + l : (img * K + r) * L + l]; } }"
               " im = acc"),
})


# ---- pooling (kernels of the pooling section append here) ----

# Pooling over the planes of (P, H, W) arrays, one thread per output element forward; the backwards gather, one
# thread per input element, over the outputs whose windows can hold it (no atomics; the same order of additions as
# the CPU kernels' scatter). `adaptive`: the windows of adaptive pooling, [o * H / OH, ceil((o + 1) * H / OH)).
_POOL_SIZES = "int64 H, int64 W, int64 OH, int64 OW, int64 kh, int64 kw, int64 sh, int64 sw, int64 ph, int64 pw"
_POOL_OUT = "long long ow = i % OW, oh = (i / OW) % OH, p = i / (OW * OH);"
_POOL_IN = "long long w = i % W, h = (i / W) % H, p = i / (W * H);"
# [h0, h1) x [w0, w1) of output (oh, ow) of a max pool: the first in-bounds tap and the bound of the taps
_MAX_WINDOW = (
    "long long h0, h1, w0, w1, sth = dh, stw = dw;"
    " if (adaptive) { h0 = oh * H / OH; h1 = ((oh + 1) * H + OH - 1) / OH;"
    " w0 = ow * W / OW; w1 = ((ow + 1) * W + OW - 1) / OW; sth = 1; stw = 1; }"
    " else { long long a = oh * sh - ph, c = ow * sw - pw;"
    " h0 = a < 0 ? a + (-a + dh - 1) / dh * dh : a; h1 = a + (kh - 1) * dh + 1; if (h1 > H) h1 = H;"
    " w0 = c < 0 ? c + (-c + dw - 1) / dw * dw : c; w1 = c + (kw - 1) * dw + 1; if (w1 > W) w1 = W; }")
# [h0, h1) x [w0, w1) and the divisor `pool` of output (oh, ow) of an average pool (PyTorch's avg_pool2d)
_AVG_WINDOW = (
    "long long h0, h1, w0, w1, pool;"
    " if (adaptive) { h0 = oh * H / OH; h1 = ((oh + 1) * H + OH - 1) / OH;"
    " w0 = ow * W / OW; w1 = ((ow + 1) * W + OW - 1) / OW; pool = (h1 - h0) * (w1 - w0); }"
    " else { long long a = oh * sh - ph, b = a + kh, c = ow * sw - pw, d = c + kw;"
    " if (b > H + ph) b = H + ph; if (d > W + pw) d = W + pw; pool = (b - a) * (d - c);"
    " h0 = a < 0 ? 0 : a; h1 = b < H ? b : H; w0 = c < 0 ? 0 : c; w1 = d < W ? d : W;"
    " if (!include_pad) pool = (h1 - h0) * (w1 - w0); }"
    " if (divisor) pool = divisor;")
# the outputs [oh0, oh1) x [ow0, ow1) whose windows can hold input (h, w); kh, kw: the windows' extent
_CANDIDATES = (
    "long long oh0, oh1, ow0, ow1;"
    " if (adaptive) { oh0 = h * OH / H; oh1 = ((h + 1) * OH + H - 1) / H; ow0 = w * OW / W;"
    " ow1 = ((w + 1) * OW + W - 1) / W; }"
    " else { long long a = h + ph - (kh - 1) * EH, c = w + pw - (kw - 1) * EW;"
    " oh0 = a <= 0 ? 0 : (a + sh - 1) / sh; oh1 = (h + ph) / sh + 1; ow0 = c <= 0 ? 0 : (c + sw - 1) / sw;"
    " ow1 = (w + pw) / sw + 1; }"
    " if (oh1 > OH) oh1 = OH; if (ow1 > OW) ow1 = OW;")
ELEMENTWISE.update({
    "max_pool2d_forward": (
        f"raw T x, {_POOL_SIZES}, int64 dh, int64 dw, bool adaptive", "T y, int64 idx",
        f"{_POOL_OUT} {_MAX_WINDOW} const T* xp = &x[p * H * W];"
        " if (h0 >= h1 || w0 >= w1) { y = -(T)1 / (T)0; idx = (h0 < H ? h0 : H - 1) * W + (w0 < W ? w0 : W - 1); }"
        " else { long long bi = h0 * W + w0; T best = xp[bi];"
        " for (long long hh = h0; hh < h1; hh += sth) for (long long ww = w0; ww < w1; ww += stw) {"
        " T v = xp[hh * W + ww]; if (v > best || v != v) { best = v; bi = hh * W + ww; } }"
        " y = best; idx = bi; }"),
    "max_pool2d_backward": (
        f"raw T g, raw int64 idx, {_POOL_SIZES}, int64 dh, int64 dw, bool adaptive", "T dx",
        f"{_POOL_IN} {_CANDIDATES.replace('EH', 'dh').replace('EW', 'dw')}"
        " const T* gp = &g[p * OH * OW]; const long long* ip = &idx[p * OH * OW]; long long j = h * W + w;"
        " T s = (T)0; for (long long a = oh0; a < oh1; ++a) for (long long b = ow0; b < ow1; ++b)"
        " if (ip[a * OW + b] == j) s += gp[a * OW + b]; dx = s"),
    "avg_pool2d_forward": (
        f"raw T x, {_POOL_SIZES}, bool include_pad, int64 divisor, bool adaptive", "T y",
        f"{_POOL_OUT} {_AVG_WINDOW} const T* xp = &x[p * H * W]; T s = (T)0;"
        " for (long long hh = h0; hh < h1; ++hh) for (long long ww = w0; ww < w1; ++ww) s += xp[hh * W + ww];"
        " y = s / (T)pool"),
    "avg_pool2d_backward": (
        f"raw T g, {_POOL_SIZES}, bool include_pad, int64 divisor, bool adaptive", "T dx",
        f"{_POOL_IN} {_CANDIDATES.replace('EH', '1').replace('EW', '1')} const T* gp = &g[p * OH * OW];"
        " T s = (T)0;"
        " for (long long oh = oh0; oh < oh1; ++oh) for (long long ow = ow0; ow < ow1; ++ow) {"
        f" {_AVG_WINDOW} if (h >= h0 && h < h1 && w >= w0 && w < w1) s += gp[oh * OW + ow] / (T)pool; }}"
        " dx = s"),
})
NAMES += ("max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
          "adaptive_max_pool2d_forward", "adaptive_max_pool2d_backward", "adaptive_avg_pool2d_forward",
          "adaptive_avg_pool2d_backward")


# ---- normalization (kernels of the normalization section append here) ----
NAMES += ("batch_norm_forward", "batch_norm_backward", "group_norm_forward", "group_norm_backward")
# x flat over (N, C, S): channel k = (i / s) % c; group norm's row (sample, group) r = i / (s * kg), kg channels a group
ELEMENTWISE.update({
    "bn_normalize": ("T x, raw T mean, raw T scale, raw T bias, int64 c, int64 s, int64 relu", "T y",
                     "long long k = (i / s) % c; T v = (x - mean[k]) * scale[k] + bias[k];"
                     " y = relu && v < (T)0 ? (T)0 : v"),
    # dx = g * p - (x - mean) * q - o per channel (kernels/cpu/normalization.py's _bn_bwd)
    "bn_backward": ("T g, T x, raw T mean, raw T p, raw T q, raw T o, int64 c, int64 s", "T dx",
                    "long long k = (i / s) % c; dx = g * p[k] - (x - mean[k]) * q[k] - o[k]"),
    "gn_normalize": ("T x, raw T mean, raw T rstd, raw T w, raw T b, int64 c, int64 s, int64 kg", "T y",
                     "long long k = (i / s) % c, r = i / (s * kg); y = (x - mean[r]) * (w[k] * rstd[r]) + b[k]"),
    "gn_backward": ("T g, T x, raw T mean, raw T rstd, raw T w, raw T q, raw T o, int64 c, int64 s, int64 kg",
                    "T dx",
                    "long long k = (i / s) % c, r = i / (s * kg);"
                    " dx = g * (w[k] * rstd[r]) - (x - mean[r]) * q[r] - o[r]"),
})


# ---- resize: the gathers of non-constant pads (kernels of the resize section append here) ----
NAMES += ("gather3d_forward", "gather3d_backward")
# x (P, D, H, W) flat; y (P, D2, H2, W2) flat. The backward is a gather too: each dx element sums the g elements of
# its sources' outputs, listed per axis as CSR (starts per input index, outputs sorted by source): no atomics
_GATHER_SIZES = "int64 D, int64 H, int64 W, int64 D2, int64 H2, int64 W2"
ELEMENTWISE.update({
    "gather3d_forward": (
        f"raw T x, raw int64 di, raw int64 hi, raw int64 wi, {_GATHER_SIZES}", "T y",
        "long long c = i % W2, b = (i / W2) % H2, a = (i / (W2 * H2)) % D2, p = i / (W2 * H2 * D2);"
        " y = x[((p * D + di[a]) * H + hi[b]) * W + wi[c]]"),
    "gather3d_backward": (
        f"raw T g, raw int64 ds, raw int64 dk, raw int64 hs, raw int64 hk, raw int64 ws, raw int64 wk, "
        f"{_GATHER_SIZES}", "T dx",
        "long long w = i % W, h = (i / W) % H, d = (i / (W * H)) % D, p = i / (W * H * D);"
        " const T* gp = &g[p * D2 * H2 * W2]; T s = (T)0;"
        " for (long long a = ds[d]; a < ds[d + 1]; ++a) for (long long b = hs[h]; b < hs[h + 1]; ++b)"
        " for (long long c = ws[w]; c < ws[w + 1]; ++c) s += gp[(dk[a] * H2 + hk[b]) * W2 + wk[c]];"
        " dx = s"),
})
