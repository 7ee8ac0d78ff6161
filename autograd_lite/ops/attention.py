"""Attention, as ``torch.nn.functional``: scaled_dot_product_attention and multi_head_attention_forward. Both are
compositions of differentiable ops (matmul, softmax, dropout, linear...), so gradients of every order come from
those ops' own backward formulas; nothing here has a backward of its own."""
import math

from .. import _api, _dtype, creation
from .activation import dropout, softmax
from .nn import linear
from .shape import cat

# the C++ type names PyTorch's attention messages print
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}


def _c_name(dt):
    return _C_NAMES.get(dt.name, dt.scalar_type) if hasattr(dt, "name") else str(dt)


def canonical_mask(mask, mask_name, target_dtype):
    """A bool mask (True: masked out) as an additive float mask of `target_dtype` (0 or -inf); a float mask as it
    is (PyTorch's ``F._canonical_mask``); any other dtype fails with PyTorch's message."""
    if mask is None:
        return None
    if mask.dtype is _dtype.bool_:
        return creation.zeros(*mask.shape, dtype=target_dtype, device=mask.device).masked_fill(mask, float("-inf"))
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    return mask


def _safe_softmax(scores):
    """softmax over the last dim where a row masked everywhere (all -inf) gives zeros, not nan, and passes no
    gradient (PyTorch's math backend of scaled_dot_product_attention does the same)."""
    empty = (scores == float("-inf")).all(-1, keepdim=True)
    return softmax(scores.masked_fill(empty, 0.0), -1).masked_fill(empty, 0.0)


def _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal):
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(f"Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead.")
    if not (query.dtype is key.dtype is value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_c_name(query.dtype)} key.dtype: {_c_name(key.dtype)} and value.dtype: "
                           f"{_c_name(value.dtype)} instead.")
    if query.is_complex():                  # PyTorch's softmax has no complex kernel
        raise NotImplementedError(f"\"softmax_lastdim_kernel_impl\" not implemented for '{query.dtype.scalar_type}'")
    if not query.dtype.is_floating_point:
        raise RuntimeError(f"scaled_dot_product_attention: expected query, key and value of a floating-point dtype, "
                           f"but got {_c_name(query.dtype)}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query's embedding size ({query.shape[-1]}) must match "
                           f"key's ({key.shape[-1]}); query of shape {tuple(query.shape)}, key of shape "
                           f"{tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key and value must have the same sequence length, but "
                           f"got key of shape {tuple(key.shape)} and value of shape {tuple(value.shape)}")
    if attn_mask is not None:
        if is_causal:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
        if attn_mask.dtype is not _dtype.bool_ and attn_mask.dtype is not query.dtype:
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {_c_name(attn_mask.dtype)} and  query.dtype: "
                               f"{_c_name(query.dtype)} instead.")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")


def _repeat_heads(x, heads):
    """x (..., Hk, S, E) with each head repeated to `heads` heads (grouped-query attention), as
    repeat_interleave on dim -3."""
    hk = x.shape[-3]
    if hk == heads:
        return x
    shape = tuple(x.shape)
    return x.unsqueeze(-3).expand(*shape[:-2], heads // hk, *shape[-2:]).reshape(
        *shape[:-3], heads, *shape[-2:])


@_api.declare(method=False, top=False, functional=True)
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value, as ``torch.nn.functional.scaled_dot_product_attention``.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev). attn_mask: bool (True: takes part) or
    float (added to the scores), broadcast to (..., L, S). is_causal: query i sees keys j <= i. scale: default
    1/sqrt(E). enable_gqa: key/value heads (dim -3) repeated to query's. A query row that sees no key gives zeros.

    Example::

        >>> q = k = v = autograd_lite.randn(2, 4, 5, 8)     # batch, heads, length, head size
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        autograd_lite.Size([2, 4, 5, 8])
    """
    _check_sdpa(query, key, value, attn_mask, dropout_p, is_causal)
    L, S = query.shape[-2], key.shape[-2]
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in query")
        key, value = _repeat_heads(key, hq), _repeat_heads(value, hq)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query * scale) @ key.transpose(-2, -1)
    if is_causal:
        allowed = creation.ones(L, S, dtype=_dtype.bool_, device=query.device).tril()
        scores = scores.masked_fill(allowed.logical_not(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype is _dtype.bool_:
            attn_mask = canonical_mask(attn_mask.logical_not(), "attn_mask", query.dtype)
        scores = scores + attn_mask
        weights = _safe_softmax(scores)
    else:
        weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value


def mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the inputs are batched (query 3-d) or not (2-d), with PyTorch's errors for the other shapes."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(f"For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(f"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(f"For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(f"For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                                 f"found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(f"For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask.ndim}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {attn_mask.shape}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D query "
                         f"tensor")


def _in_projection(query, key, value, w_q, w_k, w_v, b_q, b_k, b_v):
    E = query.shape[-1]
    for name, w, cols in (("query", w_q, E), ("key", w_k, key.shape[-1]), ("value", w_v, value.shape[-1])):
        if tuple(w.shape) != (E, cols):
            raise AssertionError(f"expecting {name} weights shape of {(E, cols)}, but got {w.shape}")
    for name, b in (("query", b_q), ("key", b_k), ("value", b_v)):
        if b is not None and tuple(b.shape) != (E,):
            raise AssertionError(f"expecting {name} bias shape of {(E,)}, but got {b.shape}")
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _in_projection_packed(query, key, value, w, b):
    """q, k, v from one (3E, E) weight: a single product when query, key and value are the same tensor
    (self-attention), two when key is value (encoder-decoder attention)."""
    E = query.shape[-1]
    if key is value:
        if query is key:
            return linear(query, w, b).chunk(3, -1)
        q = linear(query, w[:E], None if b is None else b[:E])
        return (q,) + tuple(linear(key, w[E:], None if b is None else b[E:]).chunk(2, -1))
    bs = (None,) * 3 if b is None else b.chunk(3)
    return tuple(linear(x, wi, bi) for x, wi, bi in zip((query, key, value), w.chunk(3), bs))


def _pad_last(mask):
    """mask with one more column of zeros (nothing masked) on its last dim."""
    return cat([mask, creation.zeros(*mask.shape[:-1], 1, dtype=mask.dtype, device=mask.device)], -1)


@_api.declare(method=False, top=False, functional=True)
def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention on sequence-first inputs, as ``torch.nn.functional.multi_head_attention_forward``
    (nn.MultiheadAttention's forward): query (L, N, E) or (L, E), key/value (S, N, Ek/Ev) or (S, Ek/Ev) ->
    (output (L, N, E), weights (N, L, S) averaged over heads, (N, heads, L, S), or None).

    Example::

        >>> mha = nn.MultiheadAttention(8, 2)
        >>> x = autograd_lite.randn(5, 3, 8)
        >>> out, w = F.multi_head_attention_forward(x, x, x, 8, 2, mha.in_proj_weight, mha.in_proj_bias, None,
        ...     None, False, 0.0, mha.out_proj.weight, mha.out_proj.bias)
        >>> out.shape, w.shape
        (autograd_lite.Size([5, 3, 8]), autograd_lite.Size([3, 5, 5]))
    """
    is_batched = mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:      # run as a batch of one, squeezed again at the end
        same_kv, same_qk = key is value, query is key
        query = query.unsqueeze(1)
        key = query if same_qk else key.unsqueeze(1)
        value = key if same_kv else value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None        # the hint alone: scaled_dot_product_attention builds the causal mask
    else:
        attn_mask = canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False   # merged with the padding mask, the mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                                 f"{value.shape[:2]}")
    elif key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
        b_q, b_k, b_v = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight, v_proj_weight, b_q, b_k, b_v)

    if attn_mask is not None:   # made 3-d: (1 or N * heads, L, S)
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    # heads folded into the batch: (N * heads, length, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, "static_k", bsz * num_heads, head_dim)
    v = _heads(v, static_v, "static_v", bsz * num_heads, head_dim)
    if add_zero_attn:
        zeros = creation.zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype, device=k.device)
        k, v = cat([k, zeros], 1), cat([v, zeros.to(v.dtype)], 1)
        attn_mask = None if attn_mask is None else _pad_last(attn_mask)
        key_padding_mask = None if key_padding_mask is None else _pad_last(key_padding_mask)
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1).reshape(
            bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if need_weights:
        # the weights are returned: computed here (a fully masked row is nan, as PyTorch's)
        if attn_mask is not None and attn_mask.dtype is not q.dtype:
            raise RuntimeError(f"Input dtypes must be the same, got: input {_c_name(attn_mask.dtype)}, batch1: "
                               f"{_c_name(q.dtype)}, batch2: {_c_name(k.dtype)}")
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p, True)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not is_batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights
    if attn_mask is not None:
        attn_mask = attn_mask.unsqueeze(0) if attn_mask.shape[0] == 1 else attn_mask.reshape(
            bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    return (out if is_batched else out.squeeze(1)), None


def _heads(x, static, name, batch_heads, head_dim):
    """key or value (S, N, E) as (N * heads, S, head_dim), or the given static one after checking its shape."""
    if static is None:
        return x.reshape(x.shape[0], batch_heads, head_dim).transpose(0, 1)
    if static.shape[0] != batch_heads:
        raise AssertionError(f"expecting {name}.size(0) of {batch_heads}, but got {static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.shape[2]}")
    return static
