"""Autocast's switches, per thread and per device type, its policy (which op runs in which dtype: PyTorch's lists
from autocast_mode.cpp, per device type, by our op names), and the slots through which the declared ops and
Function.apply let autograd_lite.amp run an op while autocast is on.

The declared ops with a policy and Function.apply read `regions` (a plain module global: while no thread has
autocast on, the cost is one lookup) before the thread's own switches."""
import functools
import threading

regions = 0             # autocast regions enabled now, over all threads


class _State(threading.local):
    def __init__(self):
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = {}             # device type -> autograd_lite dtype (unset: autograd_lite.amp's default)
        self.cache_enabled = True
        self.nesting = 0
        self.cache = {}             # id(leaf) -> (leaf, its cast): leaves cast once per outermost region


state = _State()

# "lower": the region's dtype; "fp32": float32; "promote": the widest floating input's dtype; "banned": refused.
_LOWER_BOTH = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu",
               "addmm", "addbmm", "baddbmm", "bmm", "mm", "matmul", "linear", "scaled_dot_product_attention",
               "linalg_vecdot")
_LOWER_CUDA = ("addmv", "addr", "mv", "einsum", "chain_matmul", "multi_dot", "lstm_cell", "gru_cell",
               "rnn_tanh_cell", "rnn_relu_cell")
_FP32_BOTH = ("mse_loss", "nll_loss", "cross_entropy", "l1_loss", "smooth_l1_loss", "huber_loss",
              "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss", "hinge_embedding_loss",
              "poisson_nll_loss", "margin_ranking_loss", "soft_margin_loss", "triplet_margin_loss",
              "multi_margin_loss", "multilabel_margin_loss", "ctc_loss", "prod", "cdist")
_FP32_CUDA = ("acos", "asin", "cosh", "erfinv", "exp", "expm1", "log", "log10", "log2", "log1p", "reciprocal",
              "rsqrt", "sinh", "tan", "pow", "softplus", "layer_norm", "group_norm", "norm", "cosine_similarity",
              "dist", "pdist", "renorm", "logsumexp", "softmax", "log_softmax", "cumprod", "cumsum", "sum",
              "vector_norm", "matrix_norm", "interpolate")
_FP32_CPU = ("binary_cross_entropy", "grid_sample", "inverse", "cholesky", "pinverse", "max_pool3d", "avg_pool3d",
             "adaptive_avg_pool3d", "max_unpool2d", "max_unpool3d", "stft", "quantile", "nanquantile", "trace")
_PROMOTE_BOTH = ("addcdiv", "addcmul", "atan2", "bilinear", "cross", "dot", "grid_sample", "index_put",
                 "scatter_add", "tensordot", "cat", "stack", "index_copy", "vdot")

POLICY = {}             # op name -> {device type: policy}
for _names, _devices, _policy in ((_LOWER_BOTH, ("cpu", "cuda"), "lower"), (_LOWER_CUDA, ("cuda",), "lower"),
                                  (_FP32_BOTH, ("cpu", "cuda"), "fp32"), (_FP32_CUDA, ("cuda",), "fp32"),
                                  (_FP32_CPU, ("cpu",), "fp32"), (_PROMOTE_BOTH, ("cpu", "cuda"), "promote"),
                                  (("binary_cross_entropy",), ("cuda",), "banned")):
    for _name in _names:
        for _device in _devices:
            POLICY.setdefault(_name, {}).setdefault(_device, _policy)


def run(cls, args, kwargs):
    """cls.apply(*args, **kwargs) as autocast runs it, or None when autocast leaves the op alone (autograd_lite.amp
    replaces this)."""
    return None


def run_function(fn, policy, args, kwargs):
    """fn(*args, **kwargs), a declared op with an autocast policy, as autocast runs it (autograd_lite.amp replaces
    this)."""
    return fn(*args, **kwargs)


def with_policy(fn, name):
    """fn as declared under `name`: itself when autocast has no policy for that name, else a wrapper that lets
    autocast run it while a region is on."""
    policy = POLICY.get(name)
    if policy is None:
        return fn

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if regions:
            return run_function(fn, policy, args, kwargs)
        return fn(*args, **kwargs)
    op.autocast_policy = policy
    return op
