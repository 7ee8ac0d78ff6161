"""Vectorisable float32 exp, float ordering keys and reassociation guards for numba kernels: intrinsics
(LLVM IR, inlined into the kernel).

numba's exp is a scalar libm call, and its float max reductions stay scalar without 'nnan'; exp and
exp_nonpos below are plain IR that LLVM's loop vectoriser widens, and order_key turns a float max into an
integer one, which it vectorises. exp, exp_nonpos and order_key also ask LLVM for 512-bit vectors in the
function that uses them (see _wide). On float64, exp and exp_nonpos are numba's scalar exp (the float64
kernels keep NumPy's SIMD exp).

numba's cache does not see changes to these from the kernels that inline them: the cache folder is named by a
digest of all the kernel sources (_jit._sources_digest), so an edit here gets a fresh one.
"""
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_F32, _I32 = ir.FloatType(), ir.IntType(32)

# Cephes expf: exp(x) = 2^n * exp(r), n = rint(x * log2(e)), r = x - n * ln2 (in two parts), |r| <= ln2 / 2,
# exp(r) = 1 + r + r^2 * P(r), P of degree 5.
_LOG2E = 1.44269504088896341
_LN2 = (0.693359375, -2.12194440e-4)  # _LN2[0] has 9 significant bits: n * _LN2[0] is exact for |n| < 2^15
_P = (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1)
_ROUND, _ROUND_BITS = 12582912.0, 0x4B400000  # 1.5 * 2^23: t = y + _ROUND rounds y to an integer n, and t's
# bits are _ROUND_BITS + n (|n| < 2^22): n comes from t's bits without a float->int conversion (NaN stays NaN
# in float arithmetic; LLVM's fptosi of NaN would be poison).

# numba's fastmath pass gives its flags ('reassoc', ...) to every float instruction that has none; 'reassoc'
# could fold t - _ROUND, the two-part reduction or the two-step scaling. These carry 'contract' only (an
# fmul + fadd may fuse into an fma, which rounds once less).
_FL = ("contract",)


def _call(builder, name, x):
    """The LLVM intrinsic name.<type> of x."""
    suffix = {"float": "f32", "double": "f64"}[str(x.type)]
    return builder.call(cgutils.get_or_insert_function(builder.module, ir.FunctionType(x.type, [x.type]),
                                                       f"{name}.{suffix}"), [x])


def _wide(builder):
    """LLVM picks 256-bit vectors on Skylake-AVX512/Cascade Lake by default ("prefer-vector-width"="256", to
    spare the AVX-512 clock); exp loops run faster with 512-bit ones (PyTorch's kernels use them too; RESULTS.md,
    Kernel design notes: _fastmath). A string attribute of the function being built; llvmlite's AttributeSet.add only
    takes known keywords, hence set.add. Ignored where AVX-512 is absent."""
    set.add(builder.function.attributes, '"prefer-vector-width"="512"')


def _expf_ir(builder, x, exact):
    """exact: x anywhere, 2^n in two normal factors (denormal results as np.exp's). Else x <= 0 (or NaN),
    2^n in one factor: results below 2^-126.5 (x < -87.68, where np.exp is denormal) flush to 0."""
    c = lambda v: ir.Constant(_F32, v)  # noqa: E731
    add = lambda a, b: builder.fadd(a, b, flags=_FL)  # noqa: E731
    sub = lambda a, b: builder.fsub(a, b, flags=_FL)  # noqa: E731
    mul = lambda a, b: builder.fmul(a, b, flags=_FL)  # noqa: E731
    lo = -110.0 if exact else -88.0  # exact: 2^n underflows to 0 below; else n >= -127, whose 2^n bits are 0
    xc = builder.select(builder.fcmp_ordered("<", x, c(lo), flags=_FL), c(lo), x)  # NaN stays NaN
    if exact:  # beyond 90, 2^n overflows to inf
        xc = builder.select(builder.fcmp_ordered(">", xc, c(90.0), flags=_FL), c(90.0), xc)
    t = add(mul(xc, c(_LOG2E)), c(_ROUND))
    n = sub(t, c(_ROUND))
    r = sub(sub(xc, mul(n, c(_LN2[0]))), mul(n, c(_LN2[1])))
    p = c(_P[0])
    for k in _P[1:]:
        p = add(mul(p, r), c(k))
    p = add(add(mul(p, mul(r, r)), r), c(1.0))
    bits = builder.bitcast(t, _I32)
    if not exact:  # 2^n: bits (n + 127) << 23 = (bits << 23) + (127 << 23), _ROUND_BITS << 23 being 0 mod 2^32
        return mul(p, builder.bitcast(builder.add(builder.shl(bits, _I32(23)), _I32(127 << 23)), _F32))
    # 2^n = 2^(n >> 1) * 2^(n - n >> 1), n in [-159, 130]: both normal, so p * 2^n rounds once, in the last
    # multiply (to a denormal, 0 or inf as exp does).
    ni = builder.sub(bits, _I32(_ROUND_BITS))
    n1 = builder.ashr(ni, _I32(1))
    for e in (n1, builder.sub(ni, n1)):
        p = mul(p, builder.bitcast(builder.shl(builder.add(e, _I32(127)), _I32(23)), _F32))
    return p


def _exp_intrinsic(exact):
    def typer(typingctx, x):
        if x == types.float64:
            def codegen(context, builder, sig, args):
                return _call(builder, "llvm.exp", args[0])
            return types.float64(types.float64), codegen
        if x == types.float32:
            def codegen(context, builder, sig, args):
                _wide(builder)
                return _expf_ir(builder, args[0], exact)
            return types.float32(types.float32), codegen
        return None
    return typer


exp = intrinsic(_exp_intrinsic(True))
exp.__doc__ = """exp(x). float32: vectorisable; within 1 ulp of the correctly rounded exp over all of float32,
denormal results included (error figures: RESULTS.md, Kernel design notes: _fastmath); exp(-inf) = 0, inf from
x > 88.7228 on, NaN stays NaN. float64: numba's (libm) exp."""
exp_nonpos = intrinsic(_exp_intrinsic(False))
exp_nonpos.__doc__ = """exp(x) for x <= 0, -inf or NaN (exp's arguments in softmax and sigmoid). float32: as exp,
faster (2^n in one factor, no overflow clamp: RESULTS.md, Kernel design notes: _fastmath), but results below
2^-126.5 (x < -87.68, where np.exp's are denormal) are 0; x > 0 is out of contract (no overflow handling).
float64: numba's (libm) exp."""


def _int_type(x):
    return types.int64 if x == types.float64 else types.int32


def _key_ir(builder, b):
    """Bits b of a float -> its key, and back: negative floats get their 31 (63) low bits flipped."""
    sign = builder.ashr(b, b.type(b.type.width - 1))
    return builder.xor(b, builder.and_(sign, b.type((1 << (b.type.width - 1)) - 1)))


@intrinsic
def order_key(typingctx, x):
    """A float32 (float64) as an int32 (int64) ordered as the floats (-0 < +0; NaN beyond +-inf on its sign's
    side): a max over keys vectorises where a float max (no 'nnan') stays scalar. from_key inverts it."""
    if x not in (types.float32, types.float64):
        return None

    def codegen(context, builder, sig, args):
        _wide(builder)
        return _key_ir(builder, builder.bitcast(args[0], context.get_value_type(sig.return_type)))

    return _int_type(x)(x), codegen


@intrinsic
def from_key(typingctx, k, like):
    """The float of like's type whose order_key is k."""
    if like not in (types.float32, types.float64) or k != _int_type(like):
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(_key_ir(builder, args[0]), context.get_value_type(like))

    return like(k, like), codegen


@intrinsic
def strict_sub(typingctx, a, b):
    """a - b without numba's fast-math flags ('contract' only). With 'reassoc', LLVM may compute (x - m) - c
    as x - (m + c), which loses x for a huge m (log_softmax's x - max - log-sum-exp). Its users must be
    strict too: a fast one may still rewrite it (c - (x - m) into c + (m - x), flags and all); see fence."""
    if a not in (types.float32, types.float64) or b != a:
        return None

    def codegen(context, builder, sig, args):
        return builder.fsub(*args, flags=_FL)

    return a(a, b), codegen


@intrinsic
def fence(typingctx, x):
    """x behind llvm.arithmetic.fence: no fast-math rewrite crosses it. LLVM does not vectorise a loop through
    it: for values computed once a row, or off the hot path."""
    if x not in (types.float32, types.float64):
        return None

    def codegen(context, builder, sig, args):
        return _call(builder, "llvm.arithmetic.fence", args[0])

    return x(x), codegen
