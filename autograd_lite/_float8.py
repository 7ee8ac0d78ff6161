"""float8: PyTorch's five 8-bit float dtypes on ml_dtypes' NumPy dtypes: its casts, bit for bit, and its few ops.

ml_dtypes stores them; the casts here are PyTorch's, which ml_dtypes' are not everywhere: float32 -> float8_e4m3fn
saturates to +-448 beyond the range and at inf (ml_dtypes: NaN), float8_e5m2's NaN is 0x7f (ml_dtypes: 0x7e),
float8_e8m0fnu takes the exponent of |x| rounded up on the first mantissa bit, zero and denormals too (ml_dtypes:
NaN for zero and negatives). Every other type goes through float32, as PyTorch's conversions do (float64 rounds
twice); float8 -> float32 reads a 256-entry table (PyTorch's NaN bits).

PyTorch's CPU kernels for float8 are few (mul, abs, eq, ne, matmul, copies, views, indexing, cat): `check_op` is the
one place where an op is let through or refused in PyTorch's words; those let through compute in float32 and round
once (Function.apply, autograd/op_function.py).

Example::

    w = torch.tensor([0.3, 500.0], dtype=torch.float8_e4m3fn)     # [0.3125, 448.0]: rounded, saturated
    w.to(torch.float32)
"""
import numpy as np

_F32 = np.dtype(np.float32)
# PyTorch's float32 bits of the float8 NaNs where they differ from ml_dtypes' (0x7fc00000)
_NAN_BITS = {"float8_e4m3fn": {0x7f: 0x7ff00000, 0xff: 0xfff00000},
             "float8_e5m2": {0x7d: 0x7fe00000, 0x7f: 0x7fe00000, 0xfd: 0xffe00000, 0xff: 0xffe00000},
             "float8_e4m3fnuz": {0x80: 0x7f800001}, "float8_e5m2fnuz": {0x80: 0x7f800001},
             "float8_e8m0fnu": {0xff: 0x7f800001}}
_TABLES = {}        # float8 NumPy dtype -> its 256 values as float32


def is_float8(np_dtype):
    """Whether a NumPy dtype is one of ml_dtypes' float8: one byte, kind 'V' (float8_e5m2's is 'f')."""
    return np_dtype.itemsize == 1 and np_dtype.kind in "Vf"


def to_float32(a):
    """A float8 array's values as float32 (exact; PyTorch's NaN bits)."""
    table = _TABLES.get(a.dtype)
    if table is None:
        bits = np.arange(256, dtype=np.uint8).view(a.dtype).astype(_F32).view(np.uint32)
        for k, v in _NAN_BITS[a.dtype.name].items():
            bits[k] = v
        table = _TABLES[a.dtype] = bits.view(_F32)
    return np.asarray(table[a.view(np.uint8)])


def from_float32(f, np_dtype):
    """float32 array `f` rounded to float8 `np_dtype` as PyTorch rounds it."""
    name = np_dtype.name
    bits = f.view(np.uint32)
    if name == "float8_e8m0fnu":
        e = (bits >> 23) & 0xFF
        up = (bits & 0x400000 != 0) & (e != 0xFF) & ((bits & 0x3FFFFF != 0) | (e != 0))
        return np.asarray((e + up).astype(np.uint8).view(np_dtype))
    with np.errstate(all="ignore"):
        out = np.asarray(f.astype(np_dtype))
    fix = np.abs(f) > 448 if name == "float8_e4m3fn" else f != f if name == "float8_e5m2" else None
    if fix is not None and fix.any():       # e4m3fn: saturated to +-448 (0x7e); e5m2: NaN as 0x7f; the sign kept
        top = 0x7e if name == "float8_e4m3fn" else 0x7f
        np.copyto(out.view(np.uint8), ((bits >> 24) & 0x80).astype(np.uint8) | top, where=fix)
    return out


def astype(a, np_dtype):
    """`a.astype(np_dtype)` where either side is float8, as PyTorch converts (through float32)."""
    np_dtype = np.dtype(np_dtype)
    if is_float8(a.dtype):
        a = to_float32(a)
        if a.dtype == np_dtype:
            return a
    if not is_float8(np_dtype):
        with np.errstate(all="ignore"):        # NaN or out of range to an integer: as PyTorch, without a word
            return a.astype(np_dtype)
    if a.dtype != _F32:
        with np.errstate(all="ignore"):
            a = np.asarray(a, dtype=_F32) if a.dtype.kind != "c" else a.real.astype(_F32)
    return from_float32(a, np_dtype)


# ---- which ops PyTorch runs on float8 (CPU) -------------------------------------------------------------------------
_E8M0 = frozenset({"float8_e8m0fnu"})
# op (Function class name) -> the float8 dtypes it refuses (most: none); views are let through without a look
ALLOWED = {**dict.fromkeys(("Cast", "Clone", "Contiguous", "Cat", "ConstantPad", "Flip", "Roll", "IndexAdvanced",
                            "CopyInto", "CopySlices", "Unfold", "Mul", "Eq", "Ne"), frozenset()),
           "Abs": _E8M0, "MatMul": _E8M0, "Linear": _E8M0, "IndexPut": _E8M0}
# the kernel PyTorch's refusal names where it is not the op's name + "_cpu"
KERNEL = {"Add": "add_stub", "Sub": "add_stub", "Mean": "sum_cpu", "Relu": "clamp_min_scalar_cpu", "FullMax": "max_all",
          "Pow": "pow", "Square": "pow", "Clamp": "clamp_scalar_cpu", "Sigmoid": "sigmoid_cpu_reduced_float",
          "Tril": "tril", "Triu": "triu", "NanToNum": "nan_to_num", "Softmax": "softmax_kernel_impl",
          "MaskedFill": "masked_fill", "Gather": "gather_expanded_index", "Abs": "abs_cpu", "MatMul": "addmm_impl_cpu_",
          "Linear": "addmm_impl_cpu_", "IndexPut": "index_put", "Dot": "dot", "Prod": "prod_out_cpu",
          "VectorNorm": "norm_cpu", "Exp2": "exp2",
          **{n: n.lower() + "_vml_cpu" for n in ("Exp", "Log", "Log2", "Sqrt", "Tanh", "Sin", "Cos", "Floor", "Ceil",
                                                 "Round", "Trunc", "Erf")}}
TENSORS_ONLY = {"Mul": "mul_cpu_reduced_float"}   # refused with a Python number or a tensor of another dtype


# ops that only move values: run on the bytes (exact, NaN payloads kept), the others in float32
ON_BYTES = frozenset(("Clone", "Contiguous", "Cat", "Flip", "Roll", "IndexAdvanced", "Unfold", "IndexPut",
                      "CopySlices"))


def check_op(cls, args, np_dtype):
    """Raises PyTorch's NotImplementedError unless the op `cls` runs on float8 `np_dtype` (an argument's); returns
    whether it runs on the bytes (views and moves of values) rather than in float32."""
    if cls.is_view:         # views read no values
        return True
    name = cls.__name__
    if name == "MatMul" and any(getattr(a, "ndim", 2) > 2 for a in args):    # PyTorch's mm only, no bmm
        raise NotImplementedError(f"\"bmm\" not implemented for 'F{np_dtype.name[1:]}'")
    refused = ALLOWED.get(name)
    if refused is None or np_dtype.name in refused:
        raise NotImplementedError(f'"{KERNEL.get(name, name.lower() + "_cpu")}" not implemented for '
                                  f"'F{np_dtype.name[1:]}'")
    kernel = TENSORS_ONLY.get(name)
    if kernel is not None and any(getattr(getattr(a, "_data", None), "dtype", None) != np_dtype for a in args):
        raise NotImplementedError(f'"{kernel}" not implemented for \'F{np_dtype.name[1:]}\'')
    return name in ON_BYTES


# ops written outside Function (their own array code): name -> (PyTorch's kernel name, float8 dtypes it runs on)
NAMED = {"isinf": ("isinf", {"float8_e5m2"}), "isfinite": ("isfinite", {"float8_e5m2", "float8_e8m0fnu"}),
         "isposinf": ("isposinf_cpu", ()), "isneginf": ("isneginf_cpu", ()),
         "softmax": ("softmax_kernel_impl", ()), "log_softmax": ("log_softmax_lastdim_kernel_impl", ()),
         "argmax": ("argmax_cpu", ()), "argmin": ("argmin_cpu", ()), "count_nonzero": ("nonzero_count_cpu", ()),
         "nonzero": ("nonzero_count_cpu", ()), "unique": ("unique", ()), "take": ("take_cpu", ()),
         "logical_not": ("logical_not_cpu", ()), "logical_and": ("logical_and_cpu", ()),
         "logical_or": ("logical_or_cpu", ()), "logical_xor": ("logical_xor_cpu", ()),
         "equal": ("equal_notnan_cpu", ()), "isclose": ("mul_cpu_reduced_float", ()),
         "allclose": ("mul_cpu_reduced_float", ()), "topk": ("topk_cpu", ()),
         "linear": ("addmm_impl_cpu_", {"float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"})}


def refuse(op, *tensors):
    """PyTorch's NotImplementedError for `op` (one of NAMED) given a float8 tensor it has no kernel for."""
    for t in tensors:
        d = getattr(t, "_data", None)
        if d is not None and is_float8(d.dtype):
            kernel, runs_on = NAMED[op]
            if d.dtype.name not in runs_on:
                raise NotImplementedError(f'"{kernel}" not implemented for \'F{d.dtype.name[1:]}\'')


def coerce(value, np_dtype):
    """A value written into a float8 array (a number or an array) rounded to `np_dtype` as PyTorch rounds it."""
    a = value if isinstance(value, np.ndarray) else np.asarray(value, dtype=_F32)
    return a if a.dtype == np_dtype else astype(a, np_dtype)
