"""autograd_lite: a PyTorch-style reverse-mode autograd library on NumPy and Numba.

    import autograd_lite as torch
    x = torch.randn(3, requires_grad=True)
    (x * x).sum().backward()
    x.grad          # 2 * x
"""
from ._dtype import (dtype, float16, bfloat16, float32, float64, uint8, uint16, uint32, uint64, int8, int16, int32,
                     int64, get_default_dtype, set_default_dtype, promote_types, can_cast, finfo, iinfo)
from ._dtype import bool_ as bool  # noqa: A001  (autograd_lite.bool, like torch.bool)
from ._dtype import complex64, complex128, complex64 as cfloat, complex128 as cdouble
from ._dtype import float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, float8_e8m0fnu  # noqa: F401
from .backend import device
from ._memory_format import (layout, memory_format, strided, sparse_coo, sparse_csr, sparse_csc, sparse_bsr,  # noqa: F401
                             sparse_bsc, jagged, contiguous_format, channels_last, channels_last_3d, preserve_format,
                             legacy_contiguous_format)
from .tensor import Tensor, Size
from .autograd import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled, inference_mode,
                       is_inference_mode_enabled)
from . import autograd
from .autograd.anomaly_mode import is_anomaly_enabled, is_anomaly_check_nan_enabled  # noqa: F401  (torch.X too)
from . import cuda
from . import accelerator       # autograd_lite.accelerator: torch.accelerator on cuda
from . import backends          # autograd_lite.backends: torch.backends.cudnn/mps flags, for scripts
from . import onnx              # autograd_lite.onnx: torch.onnx as scripts import it (export refuses, saying how)
from .kernels.cpu._threads import (get_num_threads, set_num_threads, get_num_interop_threads,
                                   set_num_interop_threads)
from ._generator import (Generator, default_generator, manual_seed, seed, initial_seed, get_rng_state,
                         set_rng_state)
from ._format import set_printoptions
from ._compile import compile  # noqa: A004  (torch.compile: returns the model unchanged)
from .creation import (tensor, as_tensor, from_numpy, zeros, ones, full, empty, rand, randn,
                       randint, randperm, arange, linspace, eye, zeros_like, ones_like, full_like,
                       empty_like, rand_like, randn_like, randint_like, FloatTensor, DoubleTensor, HalfTensor,
                       BFloat16Tensor, LongTensor, IntTensor, ShortTensor, ByteTensor, CharTensor, BoolTensor)
from .creation import (logspace, asarray, frombuffer, scalar_tensor, empty_strided, hann_window, hamming_window,
                       blackman_window, bartlett_window, kaiser_window)
from ._flags import *  # noqa: F401,F403  (set_default_device, use_deterministic_algorithms, ... : recorded switches)
from . import _api, ops
from . import sparse            # autograd_lite.sparse: sparse COO tensors (before TOP: it adds sparse_coo_tensor, ...)
from . import _quantized        # quantized tensors (before TOP: it adds quantize_per_tensor, qint8, ...)
from . import return_types       # autograd_lite.return_types.max, .sort, ...: the (values, indices) results
globals().update(_api.TOP)          # every op declared with top=True: autograd_lite.exp, autograd_lite.matmul, ...
globals().update(ops.torch_aliases.top_names())   # torch.exp_, torch.dropout(x, p, train), torch.native_*
from . import _torch_function  # noqa: E402  (the public functions become __torch_function__ wrappers)
_torch_function.install(__name__, _torch_function.top_names())
from . import linalg                # autograd_lite.linalg: norm, vector_norm, matrix_norm, svdvals
from . import fft                   # autograd_lite.fft: torch.fft (fft, rfft, irfft, fftn, fftfreq, fftshift, ...)
from . import special               # autograd_lite.special: torch.special (Bessel, ndtr, erfcx, zeta, polynomials)
from . import nn
from . import func                 # autograd_lite.func: torch.func (functional_call, grad, vjp, jacrev, hessian)
from .func import vmap             # torch.vmap: torch.func.vmap
from . import optim
from . import utils
from . import multiprocessing   # autograd_lite.multiprocessing: torch.multiprocessing, shared-memory tensors
from . import distributed         # autograd_lite.distributed: process groups and collectives (MPI, NCCL)
from .serialization import save, load
from . import hub                   # autograd_lite.hub: load_state_dict_from_url, download_url_to_file
from . import amp                   # autograd_lite.amp: autocast and GradScaler (after the ops: it tags them)
from .amp import autocast
from .amp.autocast_mode import (is_autocast_enabled, set_autocast_enabled, get_autocast_dtype, set_autocast_dtype,
                                is_autocast_cache_enabled, set_autocast_cache_enabled, clear_autocast_cache,
                                autocast_increment_nesting, autocast_decrement_nesting, is_autocast_cpu_enabled,
                                set_autocast_cpu_enabled, get_autocast_cpu_dtype, set_autocast_cpu_dtype,
                                get_autocast_gpu_dtype, set_autocast_gpu_dtype)
from .cuda import amp as _cuda_amp  # noqa: F401  (autograd_lite.cuda.amp: torch.cuda.amp's deprecated names)
from . import cpu                   # autograd_lite.cpu: torch.cpu (and its deprecated amp names)
from . import testing               # autograd_lite.testing: assert_close, make_tensor
from . import jit                   # autograd_lite.jit: script/trace return their argument (no TorchScript)
from . import profiler              # autograd_lite.profiler: torch.profiler (profile, schedule, record_function)
from . import distributions       # autograd_lite.distributions: torch.distributions (Normal, Categorical, kl, ...)
from . import quasirandom        # autograd_lite.quasirandom: SobolEngine (torch's direction numbers)
from . import signal            # autograd_lite.signal.windows: torch.signal.windows (hann, kaiser, ...)
from .interop import range, set_default_tensor_type, from_dlpack, to_dlpack, get_device_module  # noqa: A004
from .storage import UntypedStorage, TypedStorage   # Tensor.untyped_storage() / .storage(): data_ptr, nbytes, ...
from . import compiler, mps, xpu, mtia  # torch.compiler (nothing compiles: returns fns unchanged); absent devices
from ._small_api import *  # noqa: F401,F403  (set_anomaly_enabled, empty_permuted, from_file, Event, Stream, sym_*)
from .amp import GradScaler         # torch.GradScaler: torch.amp.GradScaler
from .nn import grad as _nn_grad    # noqa: F401  (torch.nn.grad: conv{1,2,3}d_input / _weight)

half, float, double = float16, float32, float64          # noqa: A001
short, int, long = int16, int32, int64                   # noqa: A001
from math import e, pi, inf, nan  # noqa: E402,F401  (torch.e, torch.pi, torch.inf, torch.nan)
newaxis = None                                           # torch.newaxis, as numpy's

__version__ = "0.1.0"


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(x):
    return x.numel()


def _assert(condition, message):
    """torch._assert: ``assert condition, message`` as a function (torchvision's models call it; fx records it).

    Example: ``torch._assert(x.dim() == 4, "expected a batch of images")``"""
    assert condition, message


def __getattr__(name):      # imported on first use (startup time): fx, library (torch.library), ao (torch.ao's
    if name in ("fx", "library", "ao", "quantization", "overrides"):  # eager quantization), quantization (its old
    #                                                     name), overrides (importing it switches __torch_function__ on)
        import importlib
        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'autograd_lite' has no attribute '{name}'")

