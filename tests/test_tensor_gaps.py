"""Tensor methods and top-level functions a gap analysis found missing (ops/writes.py, misc.py, math.py,
arithmetic.py, reduction.py, products.py, ...) against PyTorch: values, dtypes, shapes, gradients and second order
through check_op; integer and bool results, in-place variants and errors through `same`, which runs one expression
in both libraries and compares results or exceptions (type and message)."""
import math
import warnings

import numpy as np
import pytest

import autograd_lite as al

torch = pytest.importorskip("torch")

try:
    from op_helpers import check_op
except ImportError:  # tests/ imported as a package
    from tests.op_helpers import check_op


def case(name, fn, *shapes, **kw):
    return pytest.param(fn, shapes, kw, id=name)


NAN = float("nan")
INF = float("inf")


def _idx(lib, rows):
    return lib.tensor(rows)


SCATTER_INDEX = [[0, 1, 2, 0], [0, 1, 1, 0]]

GRAD_CASES = [
    # ---- writes.py
    case("index_fill", lambda lib, x: x.index_fill(1, lib.tensor([0, -1, 0]), 7.0), (3, 4)),
    case("index_fill-tensor", lambda lib, x, v: lib.index_fill(x, 0, lib.tensor([2, 0]), v), (3, 4), ()),
    case("index_copy", lambda lib, x, s: x.index_copy(0, lib.tensor([2, 0]), s), (3, 4), (2, 4)),
    case("index_copy-top", lambda lib, x, s: lib.index_copy(x, 1, lib.tensor([3]), s), (2, 4), (2, 1)),
    case("index_put", lambda lib, x, v: x.index_put((lib.tensor([0, 2]), lib.tensor([1, 1])), v), (3, 4), (2,)),
    case("index_put-accumulate", lambda lib, x, v: x.index_put((lib.tensor([0, 0, 2]),), v, accumulate=True),
         (3, 4), (4,)),
    case("put", lambda lib, x, v: x.put(lib.tensor([0, -1, 5]), v), (3, 4), (3,)),
    case("put-accumulate", lambda lib, x, v: lib.put(x, lib.tensor([0, -1, 0]), v, accumulate=True), (3, 4), (3,)),
    case("masked_scatter", lambda lib, x, s: x.masked_scatter(lib.tensor([True, False, True, False]), s),
         (3, 4), (2, 5)),
    case("masked_scatter-top", lambda lib, x, s: lib.masked_scatter(x, x > 0, s), (3, 4), (12,)),
    case("select_scatter", lambda lib, x, s: lib.select_scatter(x, s, 1, -1), (3, 4), (3,)),
    case("slice_scatter", lambda lib, x, s: lib.slice_scatter(x, s, 1, 1, None, 2), (3, 4), (3, 2)),
    case("slice_scatter-method", lambda lib, x, s: x.slice_scatter(s, start=2), (4, 3), (2, 3)),
    case("diagonal_scatter", lambda lib, x, s: lib.diagonal_scatter(x, s, 0, 0, 2), (2, 3, 4), (3, 2)),
    case("diagonal_scatter-offset", lambda lib, x, s: x.diagonal_scatter(s, -1), (3, 4), (2,)),
]
for _r in ("sum", "prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        GRAD_CASES.append(case(
            f"scatter_reduce-{_r}-{_inc}",
            lambda lib, x, s, r=_r, inc=_inc: x.scatter_reduce(0, lib.tensor(SCATTER_INDEX), s, r, include_self=inc),
            (3, 4), (2, 4)))
        if _r != "sum":
            GRAD_CASES.append(case(
                f"index_reduce-{_r}-{_inc}",
                lambda lib, x, s, r=_r, inc=_inc: lib.index_reduce(x, 1, lib.tensor([0, 0, 3]), s, r, include_self=inc),
                (3, 4), (3, 3)))
GRAD_CASES += [
    # ---- misc.py / shape.py / reduction.py / linalg.py
    case("tensor_split", lambda lib, x: lib.tensor_split(x, 3, dim=1), (2, 7)),
    case("tensor_split-indices", lambda lib, x: x.tensor_split([1, 5, 3]), (7, 2)),
    case("hsplit", lambda lib, x: lib.hsplit(x, [1])[1] * 2, (3, 4)),
    case("vsplit-dsplit", lambda lib, x: x.vsplit(2)[0] + lib.dsplit(x, 2)[1].sum(), (2, 3, 2)),
    case("split_with_sizes", lambda lib, x: x.split_with_sizes([1, 3], 1), (2, 4)),
    case("aminmax", lambda lib, x: lib.aminmax(x, dim=1), (3, 4)),
    case("aminmax-all", lambda lib, x: x.aminmax(keepdim=True), (3, 4)),
    case("sum_to_size", lambda lib, x: x.sum_to_size(1, 4) * x.sum_to_size(3, 1), (3, 4)),
    case("renorm", lambda lib, x: lib.renorm(x, 2, 0, 1.5), (3, 4)),
    case("renorm-p1", lambda lib, x: x.renorm(1, 1, 2.0), (3, 4)),
    case("renorm-inplace", lambda lib, x: (x * 1).renorm_(3, 2, 1.0), (2, 2, 3)),
    case("squeeze_-t_", lambda lib, x: (x * 2).unsqueeze_(0).squeeze_(0).t_().transpose_(0, 1), (3, 4)),
    case("clamp_min", lambda lib, x: lib.clamp_min(x, 0.3) + x.clamp_max(-0.3), (3, 4)),
    case("clamp_min-tensor", lambda lib, x, lo: x.clamp_min(lo), (3, 4), (4,)),
    case("rsub", lambda lib, x, y: lib.rsub(x, y, alpha=2) + lib.rsub(x, 3.0), (3, 4), (4,)),
    case("fill_diagonal_", lambda lib, x: (x * 1).fill_diagonal_(5.0, wrap=True), (7, 3)),
    # ---- elementwise.py
    case("erfc", lambda lib, x: lib.erfc(x * 2), (3, 4)),
    case("erfc-f64", lambda lib, x: x.erfc(), (3, 4), dtype="float64", low=-6.0, high=6.0),
    case("sinc", lambda lib, x: lib.sinc(x), (3, 4)),
    case("sinc-zero", lambda lib, x: (x * lib.tensor([0.0, 1.0, 1.0])).sinc(), (2, 3), second=False),
    case("sgn", lambda lib, x: lib.sgn(x) * x, (3, 4)),
    case("fmax", lambda lib, a, b: lib.fmax(a, b), (3, 4), (4,)),
    case("fmin", lambda lib, a, b: a.fmin(b), (3, 4), (3, 1)),
    case("fmax-nan", lambda lib, a, b: lib.fmax(a, lib.where(b > 0, b, NAN)), (3, 4), (3, 4)),
    case("copysign", lambda lib, a, b: lib.copysign(a, b), (3, 4), (4,)),
    case("copysign-scalar", lambda lib, a: a.copysign(-1.0), (3, 4)),
    case("ldexp", lambda lib, a, b: lib.ldexp(a, b), (3, 4), (4,)),
    case("mvlgamma", lambda lib, x: lib.mvlgamma(x + 2, 3), (3, 4), positive=True),
    case("mvlgamma-method", lambda lib, x: (x * 3).mvlgamma(1), (5,), positive=True),
    # ---- products.py
    case("addmv", lambda lib, i, a, v: lib.addmv(i, a, v, beta=0.5, alpha=2), (2,), (2, 3), (3,)),
    case("addmv-method", lambda lib, i, a, v: i.addmv(a, v), (), (2, 3), (3,)),
    case("addr", lambda lib, i, a, b: lib.addr(i, a, b, alpha=-1), (2, 3), (2,), (3,)),
    case("addr-beta0", lambda lib, i, a, b: i.addr(a, b, beta=0), (3,), (2,), (3,)),
    case("addbmm", lambda lib, i, a, b: lib.addbmm(i, a, b, beta=2), (2, 4), (3, 2, 5), (3, 5, 4)),
    case("vdot", lambda lib, a, b: lib.vdot(a, b) + a.vdot(a), (4,), (4,)),
    case("chain_matmul", lambda lib, a, b, c: lib.chain_matmul(a, b, c), (2, 3), (3, 4), (4, 2)),
    case("multi_dot", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), (3,), (3, 4), (4,)),
    case("matrix_power", lambda lib, a: lib.matrix_power(a, 3) + a.matrix_power(0), (2, 3, 3)),
    case("matrix_power-negative", lambda lib, a: lib.linalg.matrix_power(a + 3 * lib.eye(3, dtype=a.dtype), -2), (3, 3),
         dtype="float64"),
    case("scatter_reduce-amax-ties", lambda lib, x, s: (x * 0).scatter_reduce(0, lib.tensor(SCATTER_INDEX), s * 0,
                                                                               "amax"), (3, 4), (2, 4)),
    case("scatter_reduce-prod-zeros", lambda lib, x, s: (x * (x > 0)).scatter_reduce(
        0, lib.tensor(SCATTER_INDEX), s * (s > 0), "prod"), (3, 4), (2, 4), second=False),   # torch refuses it
]


@pytest.mark.parametrize("fn,shapes,kw", GRAD_CASES)
def test_against_torch(fn, shapes, kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_op(fn, shapes, **kw)


def _normalize(result):
    if isinstance(result, (tuple, list)):
        return [_normalize(r) for r in result]
    if hasattr(result, "numpy") and hasattr(result, "dtype"):
        return ("tensor", str(result.dtype).split(".")[-1], tuple(result.shape),
                np.asarray(result.detach().numpy()).tolist())
    if hasattr(result, "is_floating_point"):        # a dtype
        return str(result).split(".")[-1]
    return result


def _run(lib, expr, env):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return _normalize(eval(expr, {"lib": lib, "NAN": NAN, "INF": INF, **{k: v(lib) for k, v in env.items()}}))
    except Exception as e:      # noqa: BLE001  (compared with torch's)
        return ("raises", type(e).__name__, str(e))


def _same_nan(a, b, tol=1e-5):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and type(a) is type(b):
        return len(a) == len(b) and all(_same_nan(x, y, tol) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=tol, abs_tol=tol / 10)
    return a == b


ENV = {
    "G": lambda lib: lib.arange(12.0).reshape(3, 4),
    "L": lambda lib: lib.arange(12).reshape(3, 4),
    "I": lambda lib: lib.tensor([3, 1, 1, 2, 2, 0]),
    "B": lambda lib: lib.tensor([True, False, False, True]),
    "F": lambda lib: lib.tensor([1.0, NAN, -INF, 0.0, -0.0, -2.5]),
    "R": lambda lib: lib.tensor([[0, 1, 2, 0], [0, 1, 1, 0]]),
}

SAME = [
    # writes.py: values, integer dtypes, errors
    "G.index_fill(1, lib.tensor([0, -1, 0]), 7.0)", "L.index_fill(1, lib.tensor([0]), 2.5)",
    "L.index_fill(0, lib.tensor([1]), lib.tensor(-3))", "lib.tensor(2.0).index_fill(0, lib.tensor(0), 1.0)",
    "G.index_fill(1, lib.tensor([0], dtype=lib.int32), 1.0)", "G.index_fill(1, lib.tensor([0, 5]), 1.0)",
    "G.index_fill(1, lib.tensor([[0]]), 1.0)", "G.index_fill(1, lib.tensor([0]), lib.tensor([1.0, 2.0]))",
    "L.index_copy(1, lib.tensor([3, 0]), -L[:, :2])", "G.index_copy(1, lib.tensor(1), lib.ones(3, 1))",
    "G.index_copy(1, lib.tensor([0, 1]), lib.ones(3, 3))",
    "G.index_copy(1, lib.tensor([0, 1], dtype=lib.int32), lib.ones(3, 2))",
    "G.index_copy(1, lib.tensor([0, 1]), lib.ones(3, 2, dtype=lib.float64))",
    "G.index_copy(1, lib.tensor([0, 7]), lib.ones(3, 2))", "G.index_copy(1, lib.tensor([0, -1]), lib.ones(3, 2))",
    "G.index_copy(1, lib.tensor(1), lib.ones(3))",
    "L.index_put((lib.tensor([0, 0, 2]),), lib.tensor([1, 2, 3, 4]), accumulate=True)",
    "G.index_put((lib.tensor([0, 0]), lib.tensor([1, 1])), lib.tensor(5.0))",
    "G.index_put(lib.tensor([0, 0]), lib.ones(4), accumulate=True)",
    "G.index_put((lib.tensor([0, 0]),), lib.ones(4, dtype=lib.float64))",
    "lib.index_put(G, (B[:3],), lib.tensor(-1.0))",
    "L.put(lib.tensor([0, -1, 0]), lib.tensor([1, 2, 3]), accumulate=True)", "G.t().put(lib.tensor([1]), lib.ones(1))",
    "G.put(lib.tensor([0, 13]), lib.ones(2))", "G.put(lib.tensor([0, 1]), lib.ones(3))",
    "G.put(lib.tensor([0.0, 1]), lib.ones(2))", "G.put(lib.tensor([0, 1]), lib.ones(2).double())",
    "G.masked_scatter(B, -lib.arange(20.0))", "L.masked_scatter(L > 5, -L)",
    "G.masked_scatter(lib.tensor([[True], [False], [True]]), -lib.arange(8.0))",
    "G.masked_scatter(G < 1, lib.ones(3))", "G.masked_scatter(G < 100, lib.ones(3))",
    "G.masked_scatter(G < 1, lib.ones(13, dtype=lib.float64))", "G.masked_scatter(lib.zeros(3, 4), lib.ones(13))",
    "G.scatter_reduce(0, R, -G[:2], 'foo')", "G.scatter_reduce(0, R, G[:2].double(), 'sum')",
    "G.scatter_reduce(0, R.int(), -G[:2], 'amax')", "G.scatter_reduce(0, lib.tensor([[0, 5]]), -G[:1, :2], 'sum')",
    "G.scatter_reduce(0, R[:, :2], -G[:2], 'amin', include_self=False)",
    "L.scatter_reduce(0, R, L[:2] - 7, 'mean')", "L.scatter_reduce(0, R, L[:2] - 7, 'mean', include_self=False)",
    "L.scatter_reduce(0, R, L[:2] - 7, 'prod', include_self=False)",
    "L.scatter_reduce(0, R, L[:2] - 7, 'amax', include_self=False)",
    "B.scatter_reduce(0, lib.tensor([0, 0, 1]), ~B[:3], 'amax')",
    "lib.tensor([1.0, NAN]).scatter_reduce(0, lib.tensor([0, 1, 0]), lib.tensor([NAN, 1.0, 3.0]), 'amin')",
    "lib.scatter_reduce(G, 1, R, -G[:2], 'sum')", "lib.tensor(3.0).scatter_reduce(0, lib.tensor(0), lib.tensor(2.0), 'prod')",
    "G.index_reduce(0, lib.tensor([0, 1]), lib.ones(2, 4), 'sum')",
    "L.index_reduce(0, lib.tensor([0, 0]), L[:2] * 3, 'mean')", "L.index_reduce(1, lib.tensor([0, 0, 3]), L[:, :3], 'amin')",
    "G.index_reduce(0, lib.tensor([0, 4]), lib.ones(2, 4), 'amax')",
    "G.index_reduce(0, lib.tensor([0, 1]), lib.ones(2, 3), 'amax')",
    "G.index_reduce(0, lib.tensor([0, 1, 2]), lib.ones(2, 4), 'amax')",
    "lib.select_scatter(G, lib.ones(4), 0, 0)", "lib.select_scatter(G, lib.ones(3), 0, 0)",
    "lib.select_scatter(G, lib.ones(4), 0, 5)", "lib.select_scatter(G, lib.ones(4).double(), 0, -3)",
    "lib.select_scatter(L, lib.ones(4), 0, 1)",
    "lib.slice_scatter(G, lib.ones(3, 2), 1, 0, 4, 2)", "lib.slice_scatter(G, lib.ones(3, 3), 1, 0, 4, 2)",
    "lib.slice_scatter(G, lib.ones(3, 1), 1, -1)", "lib.slice_scatter(G, lib.ones(0, 4), 0, 5)",
    "lib.diagonal_scatter(G, lib.ones(3), 0)", "lib.diagonal_scatter(G, lib.ones(4), 0)",
    "lib.diagonal_scatter(G, lib.ones(2), 2)", "lib.diagonal_scatter(L, lib.ones(3), 0, 1, 0)",
    # splits
    "lib.tensor_split(lib.arange(7), 3)", "lib.tensor_split(lib.arange(7), [5, 2, 9])", "lib.arange(7).tensor_split((-2,))",
    "lib.tensor_split(lib.arange(7), lib.tensor([[1]]))", "lib.tensor_split(lib.arange(7), lib.tensor([1.0]))",
    "lib.tensor_split(lib.arange(7), lib.tensor(3))", "lib.tensor_split(lib.arange(7), lib.tensor([2, 3]))",
    "lib.tensor_split(lib.arange(7), 2.5)", "lib.tensor_split(lib.arange(7), 0)", "lib.tensor_split(lib.tensor(1), 1)",
    "lib.tensor_split(L, 3, dim=1)", "lib.tensor_split(L, 5, dim=0)", "lib.hsplit(L, 2)", "lib.hsplit(lib.tensor(1.0), 2)",
    "lib.hsplit(L, 3)", "L.vsplit([1])", "lib.vsplit(lib.arange(12), 3)", "lib.vsplit(L, 0)", "lib.hsplit(lib.arange(6), 3)",
    "lib.dsplit(lib.arange(12).reshape(1, 3, 4), 2)", "lib.dsplit(L, 2)", "lib.split_with_sizes(lib.arange(12), [5, 6])",
    "lib.arange(12).split_with_sizes([5, 7])", "L.split_with_sizes([5, -1, 8])", "L.split_with_sizes([1, 3], dim=1)",
    # in-place views
    "lib.ones(2, 1, 3).squeeze_()", "lib.ones(2, 1, 3).squeeze_(1)", "lib.ones(2, 1, 3).unsqueeze_(-1)", "lib.ones(2, 3).t_()",
    "lib.ones(2, 3, 4).t_()", "lib.ones(2, 3, 4).transpose_(0, 2)", "lib.ones(2, 3, 4).swapaxes_(0, 2)",
    "lib.ones(2, 3, 4).swapdims_(-1, 1)", "lib.ones(3).t_()",
    # in-place comparisons, logical and bitwise (results written in the tensor's dtype)
    "lib.tensor([1, 2]).eq_(lib.tensor([1.0, 3.0]))", "lib.tensor([1.0, 2]).ge_(lib.tensor([1.0, 3.0]))",
    "lib.tensor([True, False]).lt_(lib.tensor([1.0, 3.0]))", "lib.tensor([1.0, 2]).greater_equal_(1.5)",
    "lib.tensor([1.0, 2]).not_equal_(2)", "lib.tensor([1.0, 2]).less_(2)", "lib.tensor([1, 2]).less_equal_(1)",
    "lib.tensor([1, 2]).greater_(1)", "lib.tensor([1, 2]).ne_(1)", "lib.tensor([1, 2]).le_(1)", "lib.tensor([1, 2]).gt_(1.5)",
    "lib.logical_and(lib.tensor([1, 2]), lib.tensor([2, 0]))", "lib.logical_or(lib.tensor([1.0, 0]), lib.tensor([0, 0]))",
    "lib.logical_not(lib.tensor([1.0, 0]))", "lib.logical_not(I)", "lib.bitwise_not(I)", "lib.bitwise_and(I, 2)",
    "lib.bitwise_and(G, 2)", "lib.logical_xor(I, 2)", "lib.logical_xor(I, B[:1])", "I & lib.tensor([True])",
    "B & lib.tensor([True, True, False, False])", "~G", "~B", "~I", "lib.bitwise_not(G)", "I & 1.5", "G << 1", "I << 1.5",
    "lib.bitwise_right_shift(G, 1)", "lib.bitwise_left_shift(3, I)", "2 << I", "lib.tensor([-8, 5]) >> 1",
    "lib.tensor([-8, 5]) >> lib.tensor([1, 2])", "lib.logical_and(I, lib.tensor(3.0))", "I.int() & I",
    "lib.tensor([1, 2], dtype=lib.uint8) << lib.tensor([1, 2])", "3 | I", "I ^ 1", "I.bitwise_or(B[:1])",
    "lib.tensor([1, 2]).logical_and_(lib.tensor([1.0, 0.0]))", "lib.tensor([1.0, 2]).logical_not_()",
    "lib.tensor([True, False]).logical_or_(lib.tensor([0, 0]))", "lib.tensor([5, 6]).bitwise_and_(lib.tensor([4, 4]))",
    "lib.tensor([5, 6]).bitwise_left_shift_(2)", "lib.tensor([5, 6]).bitwise_right_shift_(1)",
    "lib.tensor([5, 6]).bitwise_not_()", "lib.tensor([1, 2]).logical_xor_(lib.tensor([1, 0]))",
    "lib.tensor([5, 6]).bitwise_xor_(3)", "lib.tensor([5, 6]).bitwise_or_(lib.tensor([8, 8]))",
    # in-place arithmetic aliases and scans
    "lib.tensor([1.0, 2]).multiply_(3)", "lib.tensor([1, 2]).multiply_(3)", "lib.tensor([1.0, 2]).divide_(2)",
    "lib.tensor([1.0, 2]).true_divide_(2)", "lib.tensor([1.0, 2]).subtract_(2, alpha=2)",
    "lib.tensor([5, -7]).floor_divide_(2)", "lib.tensor([5.0, -7]).floor_divide_(2)",
    "lib.tensor([1.0, 2]).divide_(2, rounding_mode='floor')", "L.cumsum_(1)", "G.cumprod_(0)", "lib.tensor(3.0).cumprod_(0)",
    "G.cumsum_(0, dtype=lib.float64)", "L.cumsum_(0, dtype=lib.int32)",
    # clamp_min / clamp_max, positive, rsub
    "lib.clamp_min(G, 1.5)", "lib.clamp_min(L, 1.5)", "L.clamp_max(1)", "lib.clamp_max_(G, 0.5)", "lib.clamp_min_(L, 2)",
    "lib.clamp_min(G, lib.tensor([0.0, 3, 5, 13]))", "G.clamp_min_(lib.tensor([0.0, 3, 5, 13]))", "G.clamp_max_(I[:4])",
    "lib.positive(I)", "B.positive()", "lib.rsub(I, 3)", "lib.rsub(G, G, alpha=2)", "lib.rsub(I, 3.5)",
    "lib.clamp_(lib.tensor([1.0, 2]), 0, 1)",
    # sum_to_size, renorm, aminmax, argwhere
    "G.sum_to_size(1, 4)", "G.sum_to_size((4,))", "G.sum_to_size(3, 1)", "G.sum_to_size(4, 3)", "G.sum_to_size(1, 3, 4)",
    "L.sum_to_size(lib.Size([1, 1]))", "G.renorm(2, 0, 1.0)", "G.renorm(1, 1, 4.0)", "G.renorm(2, 0, -1.0)",
    "G[0].renorm(2, 0, 1.0)", "L.renorm(2, 0, 1.0)", "G.renorm(INF, 0, 2.0)", "G.clone().renorm_(2, 1, 3.0)",
    "lib.aminmax(G, dim=1, keepdim=True)", "lib.aminmax(lib.tensor([]))", "lib.aminmax(lib.zeros(0, 2), dim=0)",
    "L.aminmax()", "lib.aminmax(L, keepdim=True)", "lib.aminmax(F)", "lib.aminmax(B, dim=0)",
    "lib.argwhere(L % 3 == 0)", "lib.tensor(2.0).argwhere()", "lib.tensor(0).nonzero()", "lib.tensor(2.0).nonzero(as_tuple=True)",
    # properties and small queries
    "G.is_cpu", "G.get_device()", "lib.get_device(G)", "G.double().itemsize", "G.nbytes", "B.nbytes", "G.ndimension()",
    "G[:, 1:].storage_offset()", "G[2].storage_offset()", "G.t()[1].storage_offset()", "G.storage_offset()",
    "lib.zeros(0).data_ptr()", "lib.is_signed(G)", "lib.ones(2, dtype=lib.uint8).is_signed()", "B.is_signed()",
    "lib.ones(2, dtype=lib.int8).is_signed()", "G.is_same_size(lib.zeros(3, 4))", "lib.is_same_size(G, G[0])",
    "L.int().new(2, 3).shape", "L.int().new([1, 2])", "L.new().shape", "G.new(lib.Size([2, 1])).shape", "G.new((2, 1))",
    "lib.zeros(3, 3).fill_diagonal_(1)", "lib.zeros(7, 3).fill_diagonal_(2, wrap=True)", "lib.zeros(7, 3).fill_diagonal_(2)",
    "lib.zeros(2, 2, 2, dtype=lib.long).fill_diagonal_(2.5)", "lib.zeros(2, 3, 2).fill_diagonal_(1)",
    "lib.zeros(2).fill_diagonal_(1)", "lib.zeros(3, 5).fill_diagonal_(-1)",
    # elementwise.py
    "lib.erfc(I)", "lib.erfc(lib.tensor([-30.0, -3, -1.5, -0.2, 0, 0.3, 1.9, 2.0, 2.1, 4, 9, 10.5, 30, INF, NAN], "
    "dtype=lib.float64))", "lib.erfc(lib.tensor([0.5, 3.0], dtype=lib.float16))", "lib.sinc(I)", "lib.sinc(F)",
    "lib.heaviside(F, lib.tensor([0.5]))", "lib.heaviside(I, lib.tensor([5]))", "lib.heaviside(G, lib.tensor(2))",
    "lib.heaviside(G, 0.5)", "lib.fmax(I, F)", "lib.fmax(G, 1)", "lib.fmax(I, I.flip(0))", "lib.fmin(F, F.flip(0))",
    "lib.fmax(B, B)", "lib.copysign(I, F)", "lib.copysign(I, 1)", "lib.copysign(F, -1)", "lib.copysign(I, -1.5)",
    "lib.copysign(B, F[:4])", "lib.signbit(I - 2)", "lib.signbit(F)", "lib.signbit(B)", "lib.sgn(I - 2)", "lib.sgn(F)", "lib.sign(F)",
    "lib.ldexp(I, I - 3)", "lib.ldexp(F, lib.tensor([2]))", "lib.ldexp(F, 2)",
    "lib.ldexp(lib.tensor([1.0, 2], dtype=lib.float16), lib.tensor([2]))", "lib.gcd(I, I.flip(0) * 2)", "lib.gcd(G, G)",
    "lib.gcd(I, 6)", "lib.lcm(I, lib.tensor([6]))", "lib.lcm(I - 2, I.flip(0) - 3)", "lib.nextafter(F, F.flip(0))",
    "lib.nextafter(F, 2.0)", "lib.nextafter(I, I)", "lib.nextafter(G, lib.tensor([2.0], dtype=lib.float64))",
    "lib.frexp(F[:2])", "lib.frexp(G)", "lib.frexp(I)", "lib.frexp(lib.tensor([1.0, 2, 0.1], dtype=lib.float16))",
    "lib.frexp(G).mantissa", "lib.mvlgamma(lib.tensor([2.5, 3.0]), 2)", "lib.mvlgamma(lib.tensor([0.5, 3.0]), 2)",
    "lib.mvlgamma(I, 1)", "lib.mvlgamma(G, 0)",
    "lib.tensor([1.5]).erfc_()", "lib.erfc_(lib.tensor([1.5]))", "lib.xlogy_(lib.tensor([1.5]), lib.tensor([2.0]))",
    "lib.sinc_(lib.tensor([1.5]))", "lib.ldexp_(lib.tensor([1.5]), lib.tensor([2]))", "lib.gcd_(lib.tensor([4]), lib.tensor([6]))",
    "lib.lcm_(lib.tensor([4]), lib.tensor([6]))", "lib.tensor([1.5, -1]).copysign_(lib.tensor([-1.0, 1]))",
    "lib.tensor([1.5, 0]).heaviside_(lib.tensor([3.0]))", "lib.tensor([1.5, 2.5]).mvlgamma_(2)", "lib.tensor([1.5, 0]).sgn_()",
    "lib.tensor([1.5, 0]).nextafter_(lib.tensor([3.0]))", "lib.tensor([4, 6]).gcd_(lib.tensor([6]))",
    "lib.tensor([1.5, 0]).ldexp_(lib.tensor([3]))",
    # products.py
    "lib.addmv(G[0, :2], G[:2, :3], G[2, :3], beta=2, alpha=0.5)", "lib.addmv(lib.tensor(NAN), G[:2, :3], G[2, :3], beta=0)",
    "lib.addmv(lib.ones(3), G[:2, :3], G[2, :3])", "lib.addmv(L[0, :2], L[:2, :3], L[2, :3], alpha=2)",
    "lib.addmv(G[0, :2], G[:2, :3], L[2, :3])", "G[0, :2].clone().addmv_(G[:2, :3], G[2, :3])",
    "lib.addmv_(G[0, :2].clone(), G[:2, :3], G[2, :3])", "lib.addr(lib.zeros(2, 3), lib.ones(2), G[0, :3], alpha=2)",
    "lib.zeros(2, 3).addr_(lib.ones(2), G[0, :3])", "lib.addr(lib.zeros(2, 3), lib.ones(2, 1), G[0, :3])",
    "lib.addr(lib.zeros(2, 3, dtype=lib.bool), lib.tensor([True, False]), lib.tensor([True, True, False]))",
    "lib.addbmm(lib.zeros(2, 4), lib.ones(3, 2, 5), lib.ones(3, 5, 4), beta=0.5)",
    "lib.zeros(2, 4).addbmm_(lib.ones(3, 2, 5), lib.ones(3, 5, 4))",
    "lib.vdot(G[0], G[1])", "lib.vdot(G[0], L[1])", "lib.vdot(G, G)", "lib.vdot(L[0], L[1])",
    "lib.chain_matmul(G, G.t(), G)", "lib.chain_matmul(G)", "lib.chain_matmul(G, G[0])",
    "lib.linalg.multi_dot([G[0], G.t(), G[:, 0]])", "lib.linalg.multi_dot([G[0]])", "lib.linalg.multi_dot([G, G[0], G])",
    "lib.matrix_power(G[:, :3], 3)", "lib.matrix_power(G[:, :3], 0)", "lib.matrix_power(L[:, :3], 2)",
    "lib.matrix_power(G[:, :3] + 2 * lib.eye(3), -2)", "G[:2, :2].matrix_power(1)", "lib.matrix_power(G, 2)",
    "lib.matrix_power(lib.ones(4, 3, 3), 5)", "lib.linalg.matrix_power(G[0], 2)",
]


@pytest.mark.parametrize("expr", SAME)
def test_same_as_torch(expr):
    ours, ref = _run(al, expr, ENV), _run(torch, expr, ENV)
    if isinstance(ref, tuple) and ref[:1] == ("raises",):
        assert isinstance(ours, tuple) and ours[:1] == ("raises",), f"{expr}: expected {ref[1]}: {ref[2]}, got {ours}"
        assert ours[1] == ref[1], f"{expr}: raised {ours[1]}: {ours[2]}, expected {ref[1]}: {ref[2]}"
        assert ours[2] == ref[2], f"{expr}: message {ours[2]!r}, expected {ref[2]!r}"
        return
    assert _same_nan(ours, ref), f"{expr}:\n ours  {ours}\n torch {ref}"


def _version(x):
    return x._version[0] if isinstance(x._version, list) else x._version


INPLACE = [
    ("index_fill_", lambda lib: (1, lib.tensor([0, 2]), -1.0)),
    ("index_copy_", lambda lib: (1, lib.tensor([3]), lib.ones(3, 1))),
    ("index_put_", lambda lib: ((lib.tensor([0, 0]),), lib.ones(4), True)),
    ("put_", lambda lib: (lib.tensor([1, 1]), lib.tensor([2.0, 3.0]), True)),
    ("masked_scatter_", lambda lib: (lib.tensor([True, False, False, True]), -lib.arange(6.0))),
    ("scatter_reduce_", lambda lib: (0, lib.tensor([[0, 1, 2, 0]]), -lib.ones(1, 4), "amin")),
    ("index_reduce_", lambda lib: (0, lib.tensor([0, 0]), lib.ones(2, 4) * 3, "mean")),
]


@pytest.mark.parametrize("name,args", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_variants(name, args):
    """x.name_(...) writes into x (same object, version bumped), equals torch's; a leaf requiring grad refuses; a
    non-leaf records the gradient."""
    results = []
    for lib in (torch, al):
        x = lib.arange(12.0).reshape(3, 4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            version = _version(x)
            out = getattr(x, name)(*args(lib))
            assert out is x and _version(x) > version, name
            results.append(x.tolist())
            leaf = lib.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4), requires_grad=True)
            with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
                getattr(leaf, name)(*args(lib))
            y = leaf * 2
            getattr(y, name)(*args(lib))
            y.sum().backward()
            results.append(leaf.grad.tolist())
    assert results[0] == results[2] and results[1] == results[3], (name, results)


def test_top_level_inplace():
    x = al.zeros(3, 4)
    assert al.index_put_(x, (al.tensor([1]),), al.tensor(2.0)) is x and x[1].tolist() == [2.0] * 4


DEVICE_CASES = [c for c in GRAD_CASES if c.id in (
    "index_fill", "index_put-accumulate", "masked_scatter", "scatter_reduce-amax-True", "scatter_reduce-prod-False",
    "scatter_reduce-mean-True", "index_reduce-amin-False", "diagonal_scatter", "tensor_split", "erfc", "sinc", "fmax",
    "copysign", "renorm", "addmv", "matrix_power", "fill_diagonal_")]


@pytest.mark.parametrize("fn,shapes,kw", DEVICE_CASES)
def test_on_device(fn, shapes, kw, device):
    """The same ops on the `device` fixture's device (the emulated CUDA device included): outputs and gradients stay
    there and match torch's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check_op(fn, shapes, device=device, second=False, **kw)
