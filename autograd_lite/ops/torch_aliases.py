"""The names torch's top level has for ops we declare elsewhere: the in-place functions (``torch.exp_(x)``), and the
ATen signatures of functional ops (``torch.dropout(input, p, train)``, ``torch.kl_div(x, y, reduction=1)``,
``torch.embedding(weight, indices)``, the ``native_*`` ops that also return their statistics). Each forwards to
the one declaration of the op; nothing is computed twice. Also torch's "removed" functions, which raise its text."""
import math

import numpy as np

from .. import _api
from .. import random as _random
from .._api import FUNCTIONAL, TOP
from ..autograd.op_function import Function
from ..creation import full as _full, zeros as _zeros
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from . import embedding as _embedding, rnn as _rnn
from ._util import wrap, xp_of
from .linalg import matrix_norm, vector_norm
from .resize import _check_p, _noise_dropout

declare = _api.declare
ATEN = {}       # torch.X -> its function here; kept out of _api.TOP so that autograd_lite.ops.X stays F.X


def _aten(fn):
    ATEN[fn.__name__] = fn
    return fn

# torch.X_ for an in-place method Tensor.X_ that some declaration (or tensor.py) made: listed, not rewritten
TOP_INPLACE = ("abs_ acos_ acosh_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ atanh_ "
               "ceil_ clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ detach_ erf_ erfc_ exp2_ exp_ expm1_ "
               "fill_ fix_ floor_ frac_ gcd_ i0_ index_put_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ "
               "nan_to_num_ neg_ negative_ rad2deg_ reciprocal_ relu_ resize_as_ round_ rsqrt_ sigmoid_ sin_ sinc_ "
               "sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_ zero_ addmv_ detach").split()


def top_names():
    """torch's top-level names of this module, with torch.X_ (and torch.detach) for each listed name the Tensor has
    as a method: called by autograd_lite/__init__ once every op is declared."""
    names = {n: getattr(Tensor, n) for n in TOP_INPLACE if n not in TOP and hasattr(Tensor, n)}
    names.update(ATEN)
    return names


# ---- fill -----------------------------------------------------------------------------------------------------

class Fill(Function):
    """A new tensor of x's shape full of `value` (a 0-d tensor's gradient is the sum of the output's)."""

    @staticmethod
    def forward(ctx, x, value):
        xp = xp_of(x)
        return xp.full(x.shape, value.item() if hasattr(value, "item") else value, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        return g * 0, g.sum()


@_aten
def fill(input, value):
    """A copy of `input` with every element set to `value` (a number or a 0-d tensor), as ``torch.fill``.

    Example: ``autograd_lite.fill(autograd_lite.zeros(2, 3), 7.0)`` is a 2x3 tensor of sevens."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} "
                               "dimensions.")
        return Fill.apply(input, value.to(input.dtype) if value.dtype != input.dtype else value)
    return Fill.apply(input, value)


# ---- losses with ATen's signatures (reduction is an int: 0 none, 1 mean, 2 sum); torch's binding defaults it to
# 0 (none), whatever its schema says, so these do too

_REDUCTION = {0: "none", 1: "mean", 2: "sum"}


def _red(op, reduction):
    if isinstance(reduction, bool) or not isinstance(reduction, (int, np.integer)):
        raise TypeError(f"{op}(): argument 'reduction' must be int, not {type(reduction).__name__}")
    if int(reduction) not in _REDUCTION:
        raise ValueError(f"{int(reduction)} is not a valid value for reduction")
    return _REDUCTION[int(reduction)]


@_aten
def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    """``F.binary_cross_entropy_with_logits`` with ATen's signature (reduction an int: 0 none, 1 mean, 2 sum).

    Example: ``autograd_lite.binary_cross_entropy_with_logits(logits, labels)``"""
    return FUNCTIONAL["binary_cross_entropy_with_logits"](
        input, target, weight, reduction=_red("binary_cross_entropy_with_logits", reduction), pos_weight=pos_weight)


@_aten
def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    """``F.cosine_embedding_loss`` with ATen's signature. Example: ``autograd_lite.cosine_embedding_loss(a, b, y)``"""
    return FUNCTIONAL["cosine_embedding_loss"](input1, input2, target, margin,
                                               reduction=_red("cosine_embedding_loss", reduction))


@_aten
def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    """``F.hinge_embedding_loss`` with ATen's signature. Example: ``autograd_lite.hinge_embedding_loss(d, y)``"""
    return FUNCTIONAL["hinge_embedding_loss"](input, target, margin,
                                              reduction=_red("hinge_embedding_loss", reduction))


@_aten
def kl_div(input, target, reduction=0, *, log_target=False):
    """``F.kl_div`` with ATen's signature (reduction 1 = mean, default none). Example: ``autograd_lite.kl_div(logp, q, 2)``"""
    red = _red("kl_div", reduction)
    loss = FUNCTIONAL["kl_div"](input, target, reduction="none" if red == "mean" else red, log_target=log_target)
    return loss.mean() if red == "mean" else loss          # ATen's mean, without F.kl_div's warning about it


@_aten
def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    """``F.margin_ranking_loss`` with ATen's signature. Example: ``autograd_lite.margin_ranking_loss(a, b, y)``"""
    return FUNCTIONAL["margin_ranking_loss"](input1, input2, target, margin,
                                             reduction=_red("margin_ranking_loss", reduction))


@_aten
def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """``F.poisson_nll_loss`` with ATen's signature (every argument given).

    Example: ``autograd_lite.poisson_nll_loss(log_rate, counts, True, False, 1e-8, 1)``"""
    return FUNCTIONAL["poisson_nll_loss"](input, target, log_input, full, eps=eps,
                                          reduction=_red("poisson_nll_loss", reduction))


@_aten
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction=0):
    """``F.triplet_margin_loss`` with ATen's signature. Example: ``autograd_lite.triplet_margin_loss(a, p, n)``"""
    return FUNCTIONAL["triplet_margin_loss"](anchor, positive, negative, margin, p, eps, swap,
                                             reduction=_red("triplet_margin_loss", reduction))


# ---- dropouts: torch.X(input, p, train) and torch.X_(input, p, train) ---------------------------------------

def _dropout_pair(name, feature, alpha):
    """torch.X(input, p, train) and torch.X_: dropout of elements or of whole channels (dim 1), plain or alpha."""
    def fn(input, p, train):
        if not feature and not alpha:
            return FUNCTIONAL["dropout"](input, p, train)         # the fast kernel
        _check_p(p)
        return _noise_dropout(input, p, train, False, feature, alpha)

    def fn_(input, p, train):
        _check_p(p)
        return _noise_dropout(input, p, train, True, feature, alpha)
    for f, n in ((fn, name), (fn_, name + "_")):
        f.__name__ = f.__qualname__ = n
        f.__doc__ = (f"Dropout ({'of whole channels, ' if feature else ''}{'alpha, ' if alpha else ''}"
                     f"{'in place, ' if f is fn_ else ''}as torch's) with ATen's positional signature "
                     f"``(input, p, train)``. Example: ``autograd_lite.{n}(x, 0.2, True)``")
        _aten(f)


for _name, _feature, _alpha in (("dropout", False, False), ("alpha_dropout", False, True),
                                ("feature_dropout", True, False), ("feature_alpha_dropout", True, True)):
    _dropout_pair(_name, _feature, _alpha)


@_aten
def native_dropout(input, p, train):
    """Dropout that also returns its keep mask (bool): ``(output, mask)``; not training, the mask is all True.

    Example: ``out, mask = autograd_lite.native_dropout(x, 0.5, True)``"""
    if not train:
        return input.clone(), wrap(xp_of(input._data).ones(input.shape, bool), input._data)
    if p == 1:
        return input * 0, wrap(xp_of(input._data).zeros(input.shape, bool), input._data)
    keep = _random.generator().random(tuple(input.shape)) >= p
    keep = wrap(xp_of(input._data).asarray(keep), input._data)
    return input * keep.to(input.dtype) * (1.0 / (1.0 - p)), keep


# ---- embedding ---------------------------------------------------------------------------------------------

@_aten
def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``F.embedding`` with ATen's order: the weight first; padding_idx -1 is none.

    Example: ``autograd_lite.embedding(table, autograd_lite.tensor([0, 2]))``"""
    return FUNCTIONAL["embedding"](indices, weight, None if padding_idx == -1 else padding_idx,
                                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


@_aten
def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """``F.embedding_bag`` with ATen's signature (mode 0 sum, 1 mean, 2 max), returning torch's four tensors:
    ``(output, offset2bag, bag_size, max_indices)`` as its CPU kernel fills them.

    Example: ``out = autograd_lite.embedding_bag(table, idx, autograd_lite.tensor([0, 3]))[0]``"""
    if mode not in (0, 1, 2):
        raise RuntimeError(f"embedding_bag: mode must be 0 (sum), 1 (mean) or 2 (max), got {mode}")
    out = FUNCTIONAL["embedding_bag"](indices, weight, offsets, mode=("sum", "mean", "max")[mode],
                                      scale_grad_by_freq=scale_grad_by_freq, sparse=sparse,
                                      per_sample_weights=per_sample_weights, include_last_offset=include_last_offset,
                                      padding_idx=padding_idx)
    idx, offs = indices._host().reshape(-1).astype(np.int64), offsets._host().astype(np.int64)
    bags = out.shape[0]
    ends = np.append(offs[1:bags] if include_last_offset else offs[1:], idx.size)[:bags]
    starts = offs[:bags]
    keep = np.ones(idx.size, bool) if padding_idx is None else idx != padding_idx % weight.shape[0]
    bag_of = np.repeat(np.arange(bags), ends - starts) if bags else np.zeros(0, np.int64)
    bag_size = np.array([keep[s:e].sum() for s, e in zip(starts, ends)], np.int64)
    if mode == 0 and per_sample_weights is None:        # torch's CPU fast path leaves these unfilled
        offset2bag, bag_size = np.zeros(0, np.int64), np.zeros(bags, np.int64)
    else:
        offset2bag = bag_of.astype(np.int64)
    if mode == 2:
        w = weight._host()
        max_indices = np.zeros((bags, weight.shape[1]), np.int64)
        for b, (s, e) in enumerate(zip(starts, ends)):
            rows = idx[s:e][keep[s:e]]
            if rows.size:
                max_indices[b] = rows[np.argmax(w[rows], axis=0)]
    else:
        max_indices = bag_size.copy()
    like = out._data
    return (out,) + tuple(wrap(xp_of(like).asarray(a), like) for a in (offset2bag, bag_size, max_indices))


@_aten
def embedding_renorm_(input, indices, max_norm, norm_type):
    """Rescales in place (outside autograd) the rows of `input` named in `indices` whose norm_type-norm exceeds
    max_norm, to that norm. Example: ``autograd_lite.embedding_renorm_(table, idx, 1.0, 2.0)``"""
    _embedding.renorm_(input, indices._data, max_norm, norm_type)
    return input


# ---- normalization ------------------------------------------------------------------------------------------

@_aten
def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    """``F.instance_norm`` with ATen's signature (every argument given).

    Example: ``autograd_lite.instance_norm(x, None, None, None, None, True, 0.1, 1e-5, False)``"""
    return FUNCTIONAL["instance_norm"](input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def _stats(x, dims, eps):
    """(mean, 1 / sqrt(biased var + eps)) over dims, kept, without a graph (torch's saved statistics)."""
    with no_grad():
        mean = x.mean(dims, keepdim=True)
        var = ((x - mean) ** 2).mean(dims, keepdim=True)
        return mean, (var + eps).rsqrt()


@_aten
def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """Layer norm that also returns the statistics it used: ``(output, mean, rstd)``, mean and rstd of shape
    ``input.shape[:-len(normalized_shape)] + (1,) * len(normalized_shape)``.

    Example: ``out, mean, rstd = autograd_lite.native_layer_norm(x, [8], None, None, 1e-5)``"""
    out = FUNCTIONAL["layer_norm"](input, normalized_shape, weight, bias, eps)
    dims = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    return (out,) + _stats(input, dims, eps)


@_aten
def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """Group norm that also returns ``(mean, rstd)``, each (N, group), as ``torch.native_group_norm``.

    Example: ``out, mean, rstd = autograd_lite.native_group_norm(x, None, None, 2, 4, 9, 2, 1e-5)``"""
    out = FUNCTIONAL["group_norm"](input, group, weight, bias, eps)
    mean, rstd = _stats(input.reshape(N, group, -1), (2,), eps)
    return out, mean.reshape(N, group), rstd.reshape(N, group)


@_aten
def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """Batch norm that also returns ``(save_mean, save_invstd)`` (per channel while training, empty otherwise),
    updating the running statistics as ``F.batch_norm``.

    Example: ``out, mean, invstd = autograd_lite.native_batch_norm(x, None, None, rm, rv, True, 0.1, 1e-5)``"""
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("native_batch_norm: running_mean and running_var must be defined in evaluation mode")
    out = FUNCTIONAL["batch_norm"](input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        empty = wrap(xp_of(input._data).zeros(0, input._data.dtype), input._data)
        return out, empty, empty.clone()
    dims = (0,) + tuple(range(2, input.ndim))
    mean, invstd = _stats(input, dims, eps)
    return out, mean.reshape(-1), invstd.reshape(-1)


@_aten
def frobenius_norm(input, dim, keepdim=False):
    """The 2-norm over `dim` (deprecated in torch for ``linalg.vector_norm``). Example:
    ``autograd_lite.frobenius_norm(x, [0, 1])``"""
    return vector_norm(input, 2, dim, keepdim)


@_aten
def nuclear_norm(input, dim=None, keepdim=False):
    """The sum of singular values of a matrix (or of the matrices over `dim`). Example:
    ``autograd_lite.nuclear_norm(a)``"""
    if isinstance(dim, bool):                       # torch.nuclear_norm(input, keepdim)
        dim, keepdim = None, dim
    return matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)


@_aten
def norm_except_dim(v, pow=2, dim=0):
    """The `pow`-norm of v over every dim except `dim`, kept as size-1 dims (weight_norm's g); dim -1: over all.

    Example: ``autograd_lite.norm_except_dim(w, 2, 0)`` has shape (w.shape[0], 1, ...)"""
    if dim == -1:
        return vector_norm(v, pow)
    dims = tuple(i for i in range(v.ndim) if i != dim)
    return vector_norm(v, pow, dims, keepdim=True)


@_aten
def native_norm(input, p=2, dim=None, keepdim=False, dtype=None):
    """The p-norm of all elements, or over `dim` (torch's sparse-only op, here dense).

    Example: ``autograd_lite.native_norm(x, 3)``"""
    return vector_norm(input, 2 if p is None else p, dim, keepdim, dtype=dtype)


# ---- convolution ---------------------------------------------------------------------------------------------

@_aten
def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """ATen's one convolution: ``conv{1,2,3}d`` or ``conv_transpose{1,2,3}d`` by the weight's dims.

    Example: ``autograd_lite.convolution(x, w, None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1)``"""
    nd = weight.ndim - 2
    if nd not in (1, 2, 3):
        raise RuntimeError(f"Expected 3D, 4D or 5D weight for convolution, but got weight of size "
                           f"{list(weight.shape)}")
    if transposed:
        return FUNCTIONAL[f"conv_transpose{nd}d"](input, weight, bias, stride, padding, output_padding, groups,
                                                  dilation)
    return FUNCTIONAL[f"conv{nd}d"](input, weight, bias, stride, padding, dilation, groups)


@declare(method=False, top=False, functional=True)
@_aten
def conv_tbc(input, weight, bias, pad=0):
    """1-d convolution on a (time, batch, channels) input with a (kernel, in, out) weight and an (out,) bias.

    Example: ``autograd_lite.conv_tbc(x, w, b, 1)`` for x (T, B, C_in), w (K, C_in, C_out)"""
    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    out = FUNCTIONAL["conv1d"](input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, 1, pad)
    return out.permute(2, 0, 1)


@_aten
def constant_pad_nd(input, pad, value=0):
    """``F.pad(input, pad, 'constant', value)`` (negative pads crop). Example:
    ``autograd_lite.constant_pad_nd(x, [1, 1], 0.0)``"""
    return FUNCTIONAL["pad"](input, list(pad), "constant", value)


# ---- recurrent cells ---------------------------------------------------------------------------------------------

def _cell(mode, input, hx, w_ih, w_hh, b_ih, b_hh):
    """One step of an RNN / LSTM / GRU cell on (B, in) or (in,) with torch's functions' (hx, weights) order."""
    batched = input.ndim == 2
    x = input if batched else input.unsqueeze(0)
    states = tuple(h if batched else h.unsqueeze(0) for h in hx)
    out = _rnn.cell(mode, x, states, w_ih, w_hh, b_ih, b_hh)
    return out if batched else tuple(o.squeeze(0) for o in out)


@_aten
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """``tanh(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh)``. Example: ``autograd_lite.rnn_tanh_cell(x, h, wi, wh)``"""
    return _cell("RNN_TANH", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


@_aten
def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """``relu(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh)``. Example: ``autograd_lite.rnn_relu_cell(x, h, wi, wh)``"""
    return _cell("RNN_RELU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


@_aten
def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step: ``(h', c')`` from hx = (h, c). Example: ``h, c = autograd_lite.lstm_cell(x, (h, c), wi, wh)``"""
    if len(hx) != 2:
        raise RuntimeError(f"lstm_cell: Expected hx to have 2 tensors, got {len(hx)}")
    return _cell("LSTM", input, tuple(hx), w_ih, w_hh, b_ih, b_hh)


@_aten
def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step. Example: ``h = autograd_lite.gru_cell(x, h, w_ih, w_hh, b_ih, b_hh)``"""
    return _cell("GRU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


# ---- sampling, segments ------------------------------------------------------------------------------------------

@_aten
def binomial(count, prob, generator=None):
    """Draws from Binomial(count, prob) elementwise, in count's dtype. Example:
    ``autograd_lite.binomial(autograd_lite.tensor([10.]), autograd_lite.tensor([0.5]))``"""
    if not count.dtype.is_floating_point:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: {count.dtype.scalar_type}")
    n, p = np.broadcast_arrays(count._host(), prob._host())
    draws = _random.resolve(generator).binomial(n.astype(np.int64), np.clip(p, 0, 1).astype(np.float64))
    like = count._data
    return wrap(xp_of(like).asarray(draws.astype(like.dtype)), like)


_SEGMENT = {"sum": ("sum", 0.0), "mean": ("mean", math.nan), "max": ("amax", -math.inf), "min": ("amin", math.inf),
            "prod": ("prod", 1.0)}


@_aten
def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0, unsafe=False, initial=None):
    """Reduces consecutive segments of `data` along `axis` ('sum', 'mean', 'max', 'min', 'prod'), the segments given
    by 1-D `lengths` or `offsets`; an empty segment gives `initial` (else the reduction's identity, nan for mean).

    Example: ``autograd_lite.segment_reduce(x, 'sum', lengths=autograd_lite.tensor([2, 1]))``"""
    if reduce not in _SEGMENT:
        raise RuntimeError(f"reduce argument must be either sum, max, min, mean or prod, got {reduce}")
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined")
    given = lengths if lengths is not None else offsets
    if axis % max(data.ndim, 1) != given.ndim - 1:
        raise RuntimeError(f"segment_reduce(): Expected axis to be the last dimension of "
                           f"{'lengths' if lengths is not None else 'offsets'} but got {axis}.")
    if given.ndim != 1:
        raise NotImplementedError("segment_reduce: only 1-D lengths / offsets (axis 0) are supported here")
    axis = 0
    if lengths is not None:
        lens = lengths._host().astype(np.int64)
        if not unsafe and (lens.min(initial=0) < 0 or lens.sum() != data.shape[axis]):
            raise RuntimeError("Expected all rows of lengths along axis to sum to data.size(lengths.dim()-1) "
                               "when !unsafe.")
        bounds = np.concatenate([[0], np.cumsum(lens)])
    else:
        bounds = offsets._host().astype(np.int64)
    method, identity = _SEGMENT[reduce]
    fill = identity if initial is None else float(initial)
    parts = []
    for s, e in zip(bounds[:-1], bounds[1:]):
        piece = data.narrow(axis, int(s), int(e - s))
        if e > s:
            r = getattr(piece, method)(axis, keepdim=True)
            if initial is not None and reduce != "mean":
                r = TOP[{"sum": "add", "prod": "mul", "max": "maximum", "min": "minimum"}[reduce]](r, fill)
        else:
            shape = list(data.shape)
            shape[axis] = 1
            r = _full(shape, fill, dtype=data.dtype, device=data.device)
        parts.append(r)
    if not parts:
        shape = list(data.shape)
        shape[axis] = 0
        return _zeros(shape, dtype=data.dtype, device=data.device)
    return TOP["cat"](parts, axis)


# ---- removed functions: torch's own text -------------------------------------------------------------------------

_REMOVED = "This function was deprecated since version 1.9 and is now removed. "
_REMOVED_TEXT = {
    "solve": _REMOVED + "`torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has its "
    "arguments reversed and does not return the LU factorization.\n\nTo get the LU factorization see `torch.lu`, "
    "which can be used with `torch.lu_solve` or `torch.lu_unpack`.\nX = torch.solve(B, A).solution should be "
    "replaced with:\nX = torch.linalg.solve(A, B)",
    "lstsq": _REMOVED + "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` has "
    "reversed arguments and does not return the QR decomposition in the returned tuple (although it returns other "
    "information about the problem).\n\nTo get the QR decomposition consider using `torch.linalg.qr`.\n\nThe "
    "returned solution in `torch.lstsq` stored the residuals of the solution in the last m - n columns of the "
    "returned value whenever m > n. In torch.linalg.lstsq, the residuals are in the field 'residuals' of the "
    "returned named tuple.\n\nThe unpacking of the solution, as in\nX, _ = torch.lstsq(B, A).solution[:A.size(1)]\n"
    "should be replaced with:\nX = torch.linalg.lstsq(A, B).solution",
    "eig": _REMOVED + "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than real "
    "tensors mimicking complex tensors.\n\nL, _ = torch.eig(A) should be replaced with:\nL_complex = "
    "torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, eigenvectors=True) should be replaced with:\n"
    "L_complex, V_complex = torch.linalg.eig(A)",
    "symeig": _REMOVED + "The default behavior has changed from using the upper triangular portion of the matrix by "
    "default to using the lower triangular portion.\n\nL, _ = torch.symeig(A, upper=upper) should be replaced with:"
    "\nL = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\nand\n\nL, V = torch.symeig(A, "
    "eigenvectors=True) should be replaced with:\nL, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')",
    "matrix_rank": _REMOVED[:-1] + "\nPlease use the `torch.linalg.matrix_rank` function instead. The parameter "
    "'symmetric' was renamed in `torch.linalg.matrix_rank()` to 'hermitian'.",
}


def _removed(name):
    def fn(*args, **kwargs):
        raise RuntimeError(_REMOVED_TEXT[name])
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Removed from torch in 1.9: raises torch's RuntimeError saying what replaces it (``{name}``)."
    _aten(fn)
    if name != "matrix_rank":
        setattr(Tensor, name, fn)


for _name in _REMOVED_TEXT:
    _removed(_name)
