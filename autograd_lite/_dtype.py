"""dtypes: PyTorch-named wrappers around NumPy dtypes, and PyTorch's promotion rules."""
import numpy as np

__all__ = ["dtype", "float16", "bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
           "float8_e8m0fnu", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
           "int32", "int64",
           "bool_", "complex64", "complex128", "get_default_dtype", "set_default_dtype", "to_dtype", "from_numpy_dtype", "promote_types",
           "result_type", "can_cast", "finfo", "iinfo"]


class dtype:
    """A tensor element type, e.g. ``autograd_lite.float32``; ``.np`` is the NumPy dtype, ``.scalar_type`` the name
    PyTorch's error messages give it ('Float', 'Long', ...)."""
    __slots__ = ("name", "np", "is_floating_point", "is_signed", "is_complex", "category", "itemsize",
                 "scalar_type")

    def __init__(self, name, np_dtype, category, scalar_type):
        self.name, self.np, self.scalar_type = name, np.dtype(np_dtype), scalar_type
        self.category = category               # 0 bool, 1 integer, 2 floating, 3 complex
        self.is_floating_point = category == 2
        self.is_signed = self.np.kind in "ifc"  # as torch.dtype: uint8 and bool are not
        self.is_complex = category == 3
        self.itemsize = self.np.itemsize

    def __repr__(self):
        """``autograd_lite.float32``, where PyTorch prints ``torch.float32`` (str() gives the same)."""
        return f"autograd_lite.{self.name}"

    def __reduce__(self):                      # pickle as the module-level singleton
        return (to_dtype, (self.name,))

    def to_real(self):
        """The real dtype of a complex one (``complex64.to_real()`` is float32); other dtypes return themselves."""
        return _REAL_OF.get(self, self)

    def to_complex(self):
        """The complex dtype of a floating one (``float64.to_complex()`` is complex128; float16 gives complex64,
        as there is no complex32 here); complex dtypes return themselves."""
        if self.category == 3:
            return self
        if self.category != 2:
            raise RuntimeError(f"to_complex is only supported for floating point types, got {self.scalar_type}")
        return complex128 if self.itemsize == 8 else complex64


class _BFloat16(dtype):
    """bfloat16, stored as NumPy arrays of ``ml_dtypes.bfloat16`` (an optional package, imported on first use: its
    import takes about a second). ``.np`` imports it, or raises one line saying how to install it."""
    __slots__ = ("_np",)

    def __init__(self):
        self.name, self.scalar_type, self.category, self.itemsize, self._np = "bfloat16", "BFloat16", 2, 2, None
        self.is_floating_point = self.is_signed = True
        self.is_complex = False

    @property
    def np(self):
        return self._np if self._np is not None else load_bfloat16()


class _Float8(_BFloat16):
    """A float8 dtype, stored as NumPy arrays of ml_dtypes' dtype of the same name (loaded as bfloat16's); casts and
    the few ops PyTorch has for it: autograd_lite/_float8.py."""
    __slots__ = ()

    def __init__(self, name, signed=True):
        self.name, self.scalar_type, self.category, self.itemsize, self._np = name, "F" + name[1:], 2, 1, None
        self.is_floating_point, self.is_signed, self.is_complex = True, signed, False

    @property
    def np(self):
        return self._np if self._np is not None else load_float8()[self]


float16 = dtype("float16", np.float16, 2, "Half")
bfloat16 = _BFloat16()
float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz = (_Float8(n) for n in (
    "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz"))
float8_e8m0fnu = _Float8("float8_e8m0fnu", signed=False)
FLOAT8 = (float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, float8_e8m0fnu)
float32 = dtype("float32", np.float32, 2, "Float")
float64 = dtype("float64", np.float64, 2, "Double")
uint8 = dtype("uint8", np.uint8, 1, "Byte")
uint16 = dtype("uint16", np.uint16, 1, "UInt16")      # torch's "limited support" unsigned types: no promotion
uint32 = dtype("uint32", np.uint32, 1, "UInt32")
uint64 = dtype("uint64", np.uint64, 1, "UInt64")
int8 = dtype("int8", np.int8, 1, "Char")
int16 = dtype("int16", np.int16, 1, "Short")
int32 = dtype("int32", np.int32, 1, "Int")
int64 = dtype("int64", np.int64, 1, "Long")
bool_ = dtype("bool", np.bool_, 0, "Bool")
complex64 = dtype("complex64", np.complex64, 3, "ComplexFloat")
complex128 = dtype("complex128", np.complex128, 3, "ComplexDouble")
_REAL_OF = {complex64: float32, complex128: float64}
_LIMITED = (uint16, uint32, uint64)

_ALL = (float16, bfloat16, float32, float64, uint8, uint16, uint32, uint64, int8, int16, int32, int64, bool_,
        complex64, complex128) + FLOAT8
_BY_NP = {d.np: d for d in _ALL if not isinstance(d, _BFloat16)}    # ml_dtypes' join when it is loaded
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64, cfloat=complex64,
                cdouble=complex128)


class _QDtype(dtype):
    """A quantized dtype (``quint8``, ``qint8``, ``qint32``, ``quint4x2``): ``.np`` is its integer representation's
    NumPy dtype, ``qmin``/``qmax`` its range. Only quantized tensors (autograd_lite/_quantized.py) carry one."""
    __slots__ = ("qmin", "qmax")
    is_signed = property(lambda self: _raise(RuntimeError("isSignedType not supported for quantized types")))

    def __init__(self, name, np_dtype, scalar_type, qmin, qmax):
        self.name, self.np, self.scalar_type, self.category = name, np.dtype(np_dtype), scalar_type, 1
        self.is_floating_point = self.is_complex = False
        self.itemsize, self.qmin, self.qmax = self.np.itemsize, qmin, qmax


def _raise(err):
    raise err


quint8 = _QDtype("quint8", np.uint8, "QUInt8", 0, 255)            # not in _BY_NP: an int array is never quantized
qint8 = _QDtype("qint8", np.int8, "QInt8", -128, 127)
qint32 = _QDtype("qint32", np.int32, "QInt32", -2 ** 31, 2 ** 31 - 1)
quint4x2 = _QDtype("quint4x2", np.uint8, "QUInt4x2", 0, 15)
_BY_NAME.update(quint8=quint8, qint8=qint8, qint32=qint32, quint4x2=quint4x2)
BFLOAT16_HINT = ("bfloat16 needs the ml_dtypes package (NumPy's bfloat16): pip install ml_dtypes, or "
                 "pip install 'autograd_lite[bfloat16]'")
on_bfloat16 = []        # called once ml_dtypes is loaded (autograd's opmath switches on then: nothing to pay before)


def load_bfloat16():
    """The NumPy dtype of bfloat16 (ml_dtypes'), importing ml_dtypes on the first call."""
    if bfloat16._np is None:
        try:
            import ml_dtypes
        except ImportError:
            raise ModuleNotFoundError(BFLOAT16_HINT) from None
        bfloat16._np = np.dtype(ml_dtypes.bfloat16)
        _BY_NP[bfloat16._np] = bfloat16
        for fn in on_bfloat16:
            fn(bfloat16._np)
    return bfloat16._np


on_float8 = []          # called once with {NumPy dtype: dtype} of the five float8 when they are loaded


def load_float8():
    """{float8 dtype: its NumPy dtype (ml_dtypes')}, importing ml_dtypes on the first call."""
    if float8_e4m3fn._np is None:
        try:
            load_bfloat16()
        except ModuleNotFoundError:
            raise ModuleNotFoundError(BFLOAT16_HINT.replace("bfloat16 needs", "float8 dtypes need")) from None
        import ml_dtypes
        for d in FLOAT8:
            d._np = np.dtype(getattr(ml_dtypes, d.name))
            _BY_NP[d._np] = d
        for fn in on_float8:
            fn({d._np: d for d in FLOAT8})
    return {d: d._np for d in FLOAT8}


def is_bfloat16(np_dtype):
    """Whether a NumPy dtype is ml_dtypes' bfloat16 (without importing ml_dtypes)."""
    return np_dtype is bfloat16._np if bfloat16._np is not None else np_dtype.kind == "V" and \
        np_dtype.name == "bfloat16" and load_bfloat16() == np_dtype         # (kind first: numpy's .name costs ~3 us)


def check_device(np_dtype, device):
    """Refuses a bfloat16 array for a device other than the CPU (CuPy has no bfloat16 dtype), naming both."""
    if is_bfloat16(np_dtype):
        raise TypeError(f"bfloat16 tensors cannot be on device '{device}': CuPy has no bfloat16 dtype (keep them on "
                        "the CPU, or convert them with .float() or .half() before moving them)")
    if np_dtype.itemsize == 1 and np_dtype.kind not in "biu" and np_dtype.name.startswith("float8"):
        raise TypeError(f"{np_dtype.name} tensors cannot be on device '{device}': CuPy has no float8 dtypes (keep them "
                        "on the CPU, or convert them with .float() before moving them)")


def category_of(np_dtype):
    """PyTorch's category of a NumPy dtype (0 bool, 1 integer, 2 floating, 3 complex), bfloat16's (kind 'V') too."""
    return from_numpy_dtype(np_dtype).category


_BY_CATEGORY_DEFAULT = {0: bool_, 1: int64, 2: float32}     # [2]: the default dtype, set_default_dtype's


def default_complex():
    """The dtype of Python complex numbers: the complex dtype of the default dtype (complex64 for float32)."""
    if _BY_CATEGORY_DEFAULT[2] is bfloat16:
        raise RuntimeError("invalid default scalar type for complex")
    return _BY_CATEGORY_DEFAULT[2].to_complex()


def get_default_dtype():
    """The dtype of Python floats and of the float creation functions (float32 unless ``set_default_dtype``)."""
    return _BY_CATEGORY_DEFAULT[2]


def set_default_dtype(d):
    """Sets the dtype Python floats and the creation functions (``tensor([1.])``, ``zeros``, ``rand``...) give:
    float32 (the default), float64, float16 or bfloat16.

    Example: ``torch.set_default_dtype(torch.float64)``"""
    if not isinstance(d, dtype):
        raise TypeError(f"set_default_dtype(): argument 'd' (position 1) must be torch.dtype, not {type(d).__name__}")
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _BY_CATEGORY_DEFAULT[2] = d


def can_cast(from_, to):
    """Whether PyTorch's type promotion allows casting `from_` to `to`: never to a lower category
    (float -> int, int -> bool). Example: ``torch.can_cast(torch.int64, torch.float32)`` is True."""
    for name, d in (("from_", from_), ("to", to)):
        if not isinstance(d, dtype):
            raise TypeError(f"can_cast(): argument '{name}' must be torch.dtype, not {type(d).__name__}")
    return from_.category <= to.category


def _check_info_arg(name, spec):
    if spec is None:
        return get_default_dtype()
    if not isinstance(spec, dtype):
        raise TypeError(f"{name}(): argument 'type' (position 1) must be torch.dtype, not {type(spec).__name__}")
    return spec


class finfo:
    """The limits of a floating point dtype (the default dtype if none; a complex dtype gives those of its real
    parts): bits, eps, max, min, tiny (= smallest_normal), resolution, dtype (its name).

    Example: ``torch.finfo(torch.float32).eps`` is 1.1920928955078125e-07."""

    def __init__(self, type=None):
        d = _check_info_arg("finfo", type).to_real()
        if not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        if d is bfloat16:       # PyTorch's values, without importing ml_dtypes for them
            self.bits, self.dtype, self.eps, self.resolution = 16, d.name, 2.0 ** -7, 0.01
            self.max = float(np.float32(3.3895313892515355e+38))
            self.min, self.tiny = -self.max, 2.0 ** -126
            self.smallest_normal = self.tiny
            return
        if d in _FLOAT8_INFO:       # PyTorch's values (its resolution is 1 for all five)
            self.eps, self.max, self.min, self.tiny = _FLOAT8_INFO[d]
            self.bits, self.dtype, self.resolution, self.smallest_normal = 8, d.name, 1.0, self.tiny
            return
        info = np.finfo(d.np)
        self.bits, self.dtype = info.bits, d.name
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


_FLOAT8_INFO = {float8_e4m3fn: (0.125, 448.0, -448.0, 2.0 ** -6), float8_e5m2: (0.25, 57344.0, -57344.0, 2.0 ** -14),
                float8_e4m3fnuz: (0.125, 240.0, -240.0, 2.0 ** -7),
                float8_e5m2fnuz: (0.125, 57344.0, -57344.0, 2.0 ** -15),
                float8_e8m0fnu: (1.0, 2.0 ** 127, 2.0 ** -127, 2.0 ** -127)}


class iinfo:
    """The limits of an integer dtype: bits, max, min, dtype (its name).

    Example: ``torch.iinfo(torch.int64).max`` is 9223372036854775807."""

    def __init__(self, type):
        if type is bool_:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        d = _check_info_arg("iinfo", type)
        if d.category != 1:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            "'torch.iinfo'")
        info = np.iinfo(d.np)
        self.bits, self.dtype, self.max, self.min = info.bits, d.name, int(info.max), int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def from_numpy_dtype(np_dtype):
    d = _BY_NP.get(np_dtype)
    if d is None and getattr(np_dtype, "name", None) == "bfloat16" and is_bfloat16(np_dtype):   # ml_dtypes came first
        return bfloat16
    if d is None and getattr(np_dtype, "name", "").startswith("float8_") and np_dtype.name in _BY_NAME:  # likewise
        load_float8()
        d = _BY_NP.get(np_dtype)
    if d is None:
        raise TypeError(f"can't convert NumPy array of dtype {np_dtype}: the supported dtypes are "
                        + ", ".join(x.name for x in _ALL))
    return d


def is_dtype_name(spec):
    """Whether a string names a dtype ('float32', 'autograd_lite.long', ...)."""
    return spec.rsplit(".", 1)[-1] in _BY_NAME


def to_dtype(spec):
    """Accepts an autograd_lite dtype, a name ('float32'), a NumPy dtype or a Python type."""
    if isinstance(spec, dtype):
        return spec
    if isinstance(spec, str):
        d = _BY_NAME.get(spec.rsplit(".", 1)[-1])
        if d is None:
            raise TypeError(f"unknown dtype {spec!r}")
        return d
    if spec is float:
        return float32
    if spec is int:
        return int64
    if spec is bool:
        return bool_
    if spec is complex:
        return default_complex()
    tensor_type_dtype = getattr(spec, "_tensor_type_dtype", None)   # FloatTensor and friends
    if tensor_type_dtype is not None:
        return tensor_type_dtype
    return from_numpy_dtype(np.dtype(spec))


def promote_types(a, b):
    """PyTorch's rule: a higher category wins outright (int64 + float16 -> float16), except that a complex dtype
    takes a float's precision (float64 + complex64 -> complex128)."""
    if a is b:
        return a
    if a.itemsize == 1 and a.category == 2 or b.itemsize == 1 and b.category == 2:
        raise RuntimeError(f"Promotion for Float8 Types is not supported, attempted to promote {a.scalar_type} and "
                           f"{b.scalar_type}")
    if (a in _LIMITED or b in _LIMITED) and (a.category != 2 and b.category != 2):      # torch 2.13's rule
        raise RuntimeError(f"Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
                           f"{a.scalar_type} and {b.scalar_type}")
    if a.category != b.category:
        hi, lo = (a, b) if a.category > b.category else (b, a)
        if hi.category == 3 and lo.category == 2 and lo.itemsize > hi.itemsize // 2:
            return complex128
        return hi
    if a is bfloat16 or b is bfloat16:      # float16 + bfloat16 -> float32; otherwise the wider one
        other = b if a is bfloat16 else a
        return float32 if other is float16 else other
    return _BY_NP[np.promote_types(a.np, b.np)]


def scalar_category(x):
    if isinstance(x, (bool, np.bool_)):
        return 0
    return 1 if isinstance(x, (int, np.integer)) else 3 if isinstance(x, (complex, np.complexfloating)) else 2


def _over(out, r):
    """PyTorch's combine_categories: a lower priority level's dtype `r` of a higher category than `out`; a complex
    one over a float keeps the float's precision (float64 tensor * 1j -> complex128, float32 * complex128 0-d ->
    complex64)."""
    if r.category == 3 and out.category == 2:
        return out.to_complex()
    return r if r.category == 3 else promote_types(out, r)


def result_type(dims, zero_dims=(), scalars=()):
    """Result dtype of an op over tensors with dim > 0, 0-d tensors and Python scalars (PyTorch's
    three priority levels: a lower level only matters when its category is higher)."""
    out = None
    for group in (dims, zero_dims):
        r = None
        for d in group:
            r = d if r is None else promote_types(r, d)
        if r is not None and (out is None or r.category > out.category):
            out = r if out is None else _over(out, r)
    for s in scalars:
        c = scalar_category(s)
        if out is None or c > out.category:
            out = _over(out, default_complex()) if c == 3 and out is not None else \
                default_complex() if c == 3 else _BY_CATEGORY_DEFAULT[c]
    return out
