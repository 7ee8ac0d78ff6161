"""Shape and indexing ops against PyTorch (one line per case, first and second derivatives through check_op), their
errors (PyTorch's exception type and wording, index checks on every device) and their views."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import autograd_lite as al  # noqa: E402

try:
    from op_helpers import check_op, _OnDevice
except ImportError:  # tests/ imported as a package
    from tests.op_helpers import check_op, _OnDevice

pytestmark = [pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning"),     # torch's, on purpose
              pytest.mark.filterwarnings("ignore:The reduce argument:UserWarning")]


def case(name, fn, *shapes, **kw):
    return pytest.param(fn, shapes, kw, id=name)


def idx(lib, data, dtype=None):
    """An index tensor (int64 unless told) on the case's device."""
    return lib.tensor(data) if dtype is None else lib.tensor(data, dtype=getattr(lib, dtype))


def pieces(xs):
    """The pieces of a split joined again, each scaled differently: every piece's gradient is checked."""
    return [p * (i + 1) for i, p in enumerate(xs)]


SPLITS = [
    case("split-int", lambda lib, x: x.split(2), (5, 3)),
    case("split-int-dim", lambda lib, x: lib.split(x, 3, dim=-1), (2, 7)),
    case("split-list", lambda lib, x: x.split([1, 3], dim=1), (2, 4)),
    case("split-list-zero", lambda lib, x: lib.split(x, [2, 0, 1]), (3, 2)),
    case("split-list-joined", lambda lib, x: lib.cat(pieces(x.split([1, 2, 1], 1)), 1), (3, 4)),
    case("chunk", lambda lib, x: x.chunk(2), (4, 3)),
    case("chunk-uneven", lambda lib, x: lib.chunk(x, 3, dim=1), (2, 7)),
    case("chunk-more-than-size", lambda lib, x: x.chunk(5, -1), (2, 3)),
    case("chunk-joined", lambda lib, x: lib.cat(pieces(x.chunk(3, 1)), 1), (2, 5)),
    case("unbind", lambda lib, x: x.unbind(), (3, 2)),
    case("unbind-dim-neg", lambda lib, x: lib.unbind(x, -1), (2, 3)),
    case("unbind-joined", lambda lib, x: lib.stack(pieces(x.unbind(1)), 0), (2, 3, 2)),
]

REORDER = [
    case("flip-one", lambda lib, x: x.flip(0), (3, 4)),
    case("flip-several", lambda lib, x: lib.flip(x, (0, 2)), (2, 3, 4)),
    case("flip-varargs", lambda lib, x: x.flip(0, 1), (3, 4)),
    case("flip-kw", lambda lib, x: lib.flip(x, dims=[1]), (3, 4)),
    case("flip-method-kw", lambda lib, x: x.flip(dims=(0, -1)), (3, 4)),
    case("flip-neg", lambda lib, x: x.flip(-1), (2, 3, 4)),
    case("flip-neg-several", lambda lib, x: lib.flip(x, [-1, -3]), (2, 3, 4)),
    case("flip-none", lambda lib, x: lib.flip(x, ()), (2, 3)),
    case("flip-0d", lambda lib, x: x.flip(0), ()),
    case("flip-int", lambda lib, x: x.flip(1), (2, 3), dtype="int64"),
    case("fliplr", lambda lib, x: lib.fliplr(x), (3, 4)),
    case("fliplr-3d", lambda lib, x: x.fliplr(), (2, 3, 4)),
    case("flipud", lambda lib, x: lib.flipud(x), (3, 4)),
    case("flipud-1d", lambda lib, x: x.flipud(), (5,)),
    case("movedim-int", lambda lib, x: lib.movedim(x, 0, 2), (2, 3, 4)),
    case("movedim-neg", lambda lib, x: x.movedim(-1, 0), (2, 3, 4)),
    case("movedim-tuple", lambda lib, x: lib.movedim(x, (0, 1), (2, 0)), (2, 3, 4)),
    case("movedim-tuple-neg", lambda lib, x: x.movedim((-1, 0), (1, -1)), (2, 3, 4, 5)),
    case("moveaxis", lambda lib, x: lib.moveaxis(x, 1, -1), (2, 3, 4)),
    case("moveaxis-tuple", lambda lib, x: x.moveaxis((0, 2), (1, 0)), (2, 3, 4)),
    case("roll-dim", lambda lib, x: lib.roll(x, 1, 0), (3, 4)),
    case("roll-neg-shift", lambda lib, x: x.roll(-3, dims=-1), (3, 4)),
    case("roll-flat", lambda lib, x: lib.roll(x, 5), (3, 4)),
    case("roll-flat-method", lambda lib, x: x.roll(-2), (2, 3, 2)),
    case("roll-several", lambda lib, x: lib.roll(x, (1, -2), (0, 2)), (2, 3, 4)),
    case("roll-big-shift", lambda lib, x: x.roll((7, 9), (1, 0)), (3, 4)),
    case("roll-0d", lambda lib, x: x.roll(1), ()),
    case("swapaxes", lambda lib, x: lib.swapaxes(x, 0, 2), (2, 3, 4)),
    case("swapaxes-method", lambda lib, x: x.swapaxes(-1, 1), (2, 3, 4)),
    case("swapdims", lambda lib, x: lib.swapdims(x, 1, 0), (3, 4)),
    case("swapdims-method", lambda lib, x: x.swapdims(0, -1) * 2, (2, 3, 4)),
    case("T-2d", lambda lib, x: x.T, (3, 4)),
    case("T-1d", lambda lib, x: x.T, (4,)),
    case("T-3d", lambda lib, x: x.T * 1, (2, 3, 4)),
    case("mT-2d", lambda lib, x: x.mT, (3, 4)),
    case("mT-3d", lambda lib, x: x.mT @ x, (2, 3, 4)),
    case("mT-int", lambda lib, x: x.mT, (2, 3, 4), dtype="int64"),
]

TRIANGLES = [
    case("tril", lambda lib, x: lib.tril(x), (4, 4)),
    case("tril-above", lambda lib, x: x.tril(1), (3, 5)),
    case("tril-below", lambda lib, x: lib.tril(x, diagonal=-1), (5, 3)),
    case("tril-batch", lambda lib, x: lib.tril(x, 2), (2, 3, 4)),
    case("tril-far", lambda lib, x: x.tril(-9), (3, 4)),
    case("tril-int", lambda lib, x: lib.tril(x), (3, 3), dtype="int64"),
    case("tril-bool", lambda lib, x: x.tril(), (3, 3), dtype="bool"),
    case("tril_", lambda lib, x: (x * 1).tril_(-1), (3, 4)),
    case("triu", lambda lib, x: lib.triu(x), (4, 4)),
    case("triu-above", lambda lib, x: x.triu(2), (3, 5)),
    case("triu-below", lambda lib, x: lib.triu(x, diagonal=-1), (5, 3)),
    case("triu-batch", lambda lib, x: x.triu(-1), (2, 2, 3, 4)),
    case("triu-int32", lambda lib, x: lib.triu(x, 1), (3, 3), dtype="int32"),
    case("triu_", lambda lib, x: (x * 1).triu_(1), (4, 3)),
    case("tril-triu", lambda lib, x: lib.tril(x) @ lib.triu(x), (3, 3)),
]

DIAGONALS = [
    case("diagonal", lambda lib, x: lib.diagonal(x), (3, 4)),
    case("diagonal-above", lambda lib, x: x.diagonal(1), (3, 4)),
    case("diagonal-below", lambda lib, x: lib.diagonal(x, -2), (4, 3)),
    case("diagonal-dims", lambda lib, x: lib.diagonal(x, 0, 0, 2), (3, 2, 4)),
    case("diagonal-dims-neg", lambda lib, x: x.diagonal(offset=1, dim1=-1, dim2=0), (3, 2, 4)),
    case("diagonal-batch", lambda lib, x: x.diagonal(0, -2, -1), (2, 3, 3)),
    case("diagonal-empty", lambda lib, x: lib.diagonal(x, 5), (3, 4)),
    case("diagonal-int", lambda lib, x: x.diagonal(), (3, 3), dtype="int64"),
    case("diagonal-squared", lambda lib, x: x.diagonal() ** 2, (3, 3)),
    case("diagonal-of-transposed", lambda lib, x: x.t().diagonal(1) * 2, (4, 3)),
    case("diag-vector", lambda lib, x: lib.diag(x), (3,)),
    case("diag-vector-above", lambda lib, x: x.diag(1), (3,)),
    case("diag-vector-below", lambda lib, x: lib.diag(x, diagonal=-2), (2,)),
    case("diag-matrix", lambda lib, x: lib.diag(x), (3, 3)),
    case("diag-matrix-above", lambda lib, x: x.diag(1), (3, 4)),
    case("diag-matrix-below", lambda lib, x: lib.diag(x, -1), (4, 3)),
    case("diag-int", lambda lib, x: lib.diag(x), (3,), dtype="int64"),
    case("diag-twice", lambda lib, x: lib.diag(lib.diag(x) * x.sum()), (3,)),
    case("trace", lambda lib, x: lib.trace(x), (3, 3)),
    case("trace-wide", lambda lib, x: x.trace(), (2, 4)),
    case("trace-tall", lambda lib, x: lib.trace(x), (4, 2)),
    case("trace-int32", lambda lib, x: lib.trace(x), (3, 3), dtype="int32"),
    case("trace-f64", lambda lib, x: x.trace(), (3, 3), dtype="float64"),
    case("trace-of-product", lambda lib, x, y: lib.trace(x @ y), (3, 4), (4, 3)),
]

WINDOWS = [
    case("unfold-overlap", lambda lib, x: x.unfold(1, 2, 1), (3, 4)),
    case("unfold-disjoint", lambda lib, x: x.unfold(0, 2, 2), (5, 3)),
    case("unfold-gaps", lambda lib, x: x.unfold(-1, 2, 3), (2, 8)),
    case("unfold-middle", lambda lib, x: x.unfold(1, 3, 2), (2, 7, 3)),
    case("unfold-whole", lambda lib, x: x.unfold(0, 4, 1), (4, 2)),
    case("unfold-long-windows", lambda lib, x: x.unfold(1, 5, 1), (2, 7)),      # the loop over the windows
    case("unfold-1d", lambda lib, x: x.unfold(0, 3, 1), (6,)),
    case("unfold-0d", lambda lib, x: x.unfold(0, 1, 1), ()),
    case("unfold-empty", lambda lib, x: x.unfold(1, 0, 1), (2, 3), grad=False),
    case("unfold-int", lambda lib, x: x.unfold(1, 2, 1), (2, 4), dtype="int64"),
    case("unfold-squared", lambda lib, x: x.unfold(0, 3, 1) ** 2, (5,)),
    case("unfold-of-transposed", lambda lib, x: x.t().unfold(0, 2, 1) ** 2, (3, 4)),
    case("unfold-twice", lambda lib, x: x.unfold(0, 2, 1).unfold(1, 2, 1) * 2, (4, 5)),
    case("unflatten", lambda lib, x: x.unflatten(1, (2, 2)), (3, 4)),
    case("unflatten-infer", lambda lib, x: lib.unflatten(x, -1, (2, -1)), (3, 6)),
    case("unflatten-one", lambda lib, x: x.unflatten(0, [3]), (3, 2)),
    case("unflatten-three", lambda lib, x: lib.unflatten(x, 0, (2, 1, 3)), (6, 2)),
    case("narrow", lambda lib, x: x.narrow(1, 1, 2), (3, 4)),
    case("narrow-lib", lambda lib, x: lib.narrow(x, 0, 0, 2), (3, 4)),
    case("narrow-neg-start", lambda lib, x: x.narrow(-1, -3, 2), (2, 3, 4)),
    case("narrow-empty", lambda lib, x: x.narrow(1, 4, 0), (3, 4)),
    case("narrow-tensor-start", lambda lib, x: x.narrow(0, idx(lib, 1), 2), (3, 4)),
    case("broadcast_to", lambda lib, x: lib.broadcast_to(x, (2, 3, 4)), (3, 1)),
    case("broadcast_to-keep", lambda lib, x: lib.broadcast_to(x, (2, -1, 4)), (3, 1)),
    case("broadcast_to-method", lambda lib, x: x.broadcast_to((3, 4)) * 2, (4,)),
]

SELECTIONS = [
    case("masked_select", lambda lib, x: lib.masked_select(x, x > 0), (3, 4)),
    case("masked_select-method", lambda lib, x, y: x.masked_select(y > 0), (3, 4), (3, 4)),
    case("masked_select-bcast-mask", lambda lib, x, y: lib.masked_select(x, y > 0), (3, 4), (4,)),
    case("masked_select-bcast-x", lambda lib, x, y: lib.masked_select(x, y > 0), (4,), (3, 4)),
    case("masked_select-int", lambda lib, x: lib.masked_select(x, x > 0), (3, 4), dtype="int64"),
    case("masked_select-0d", lambda lib, x: lib.masked_select(x, x > -5), ()),
    case("index_select", lambda lib, x: lib.index_select(x, 0, idx(lib, [2, 0])), (3, 4)),
    case("index_select-dim1", lambda lib, x: x.index_select(1, idx(lib, [3, 1, 1, 0])), (3, 4)),
    case("index_select-dim-neg", lambda lib, x: lib.index_select(x, -1, idx(lib, [0, 2])), (2, 3, 4)),
    case("index_select-int32", lambda lib, x: x.index_select(0, idx(lib, [1, 1], "int32")), (3, 4)),
    case("index_select-0d-index", lambda lib, x: lib.index_select(x, 1, idx(lib, 2)), (3, 4)),
    case("index_select-empty", lambda lib, x: x.index_select(1, idx(lib, [], "int64")), (3, 4)),
    case("index_select-0d", lambda lib, x: lib.index_select(x, 0, idx(lib, [0])), ()),
    case("index_select-int", lambda lib, x: x.index_select(0, idx(lib, [2, 0])), (3, 4), dtype="int64"),
    case("take_along_dim", lambda lib, x: lib.take_along_dim(x, idx(lib, [[0], [3], [2]]), 1), (3, 4)),
    case("take_along_dim-repeat", lambda lib, x: lib.take_along_dim(x, idx(lib, [[0, 0, 1], [3, 3, 3]]), dim=1),
         (2, 4)),
    case("take_along_dim-bcast-index", lambda lib, x: x.take_along_dim(idx(lib, [[1, 0]]), 1), (3, 4)),
    case("take_along_dim-bcast-x", lambda lib, x: lib.take_along_dim(x, idx(lib, [[0], [1], [3]]), 1), (1, 4)),
    case("take_along_dim-dim0", lambda lib, x: lib.take_along_dim(x, idx(lib, [[2, 0, 1, 1]]), 0), (3, 4)),
    case("take_along_dim-dim-neg", lambda lib, x: lib.take_along_dim(x, idx(lib, [[[1], [0]]]), -2), (2, 3, 2)),
    case("take_along_dim-flat", lambda lib, x: lib.take_along_dim(x, idx(lib, [0, 11, 5, 5])), (3, 4)),
    case("take_along_dim-flat-2d", lambda lib, x: x.take_along_dim(idx(lib, [[1, 2], [3, 0]])), (2, 3)),
    case("take_along_dim-int", lambda lib, x: lib.take_along_dim(x, idx(lib, [[1], [0]]), 1), (2, 3), dtype="int64"),
    case("gather-dim-neg", lambda lib, x: lib.gather(x, -1, idx(lib, [[0, 3], [1, 1], [2, 0]])), (3, 4)),
    case("gather-int32", lambda lib, x: x.gather(0, idx(lib, [[2, 1, 0, 0]], "int32")), (3, 4)),
]

SCATTER_IDX = [[0, 2], [3, 1]]            # no place twice in a row: scatter's result is then defined
SCATTERS = [
    case("scatter", lambda lib, x, s: lib.scatter(x, 1, idx(lib, SCATTER_IDX), s), (3, 4), (2, 2)),
    # torch's own backward fails for a src larger than the index (see test_scatter_src_larger_than_index_gradient)
    case("scatter-src-larger", lambda lib, x, s: x.scatter(1, idx(lib, SCATTER_IDX), s.detach()), (3, 4), (3, 3)),
    case("scatter-dim0", lambda lib, x, s: lib.scatter(x, 0, idx(lib, [[2, 0, 1, 0], [0, 1, 2, 2]]), s), (3, 4),
         (2, 4)),
    case("scatter-dim-neg", lambda lib, x, s: lib.scatter(x, -1, idx(lib, SCATTER_IDX), src=s), (3, 4), (2, 2)),
    case("scatter-value", lambda lib, x: lib.scatter(x, 1, idx(lib, SCATTER_IDX), 1.5), (3, 4)),
    case("scatter-value-kw", lambda lib, x: x.scatter(0, idx(lib, [[1, 0, 2]]), value=-2.0), (3, 4)),
    case("scatter-int32-index", lambda lib, x, s: lib.scatter(x, 1, idx(lib, SCATTER_IDX, "int32"), s), (3, 4),
         (2, 2)),
    case("scatter-empty-index", lambda lib, x, s: lib.scatter(x, 1, idx(lib, [], "int64"), s.detach()), (3, 4), (2,)),
    case("scatter-0d", lambda lib, x, s: lib.scatter(x, 0, idx(lib, 0), s), (), ()),
    case("scatter-int", lambda lib, x, s: lib.scatter(x, 1, idx(lib, SCATTER_IDX), s), (3, 4), (2, 2),
         dtype="int64"),
    case("scatter-int-value", lambda lib, x: x.scatter(1, idx(lib, SCATTER_IDX), 7), (3, 4), dtype="int64"),
    case("scatter-reduce-add", lambda lib, x, s: lib.scatter(x, 1, idx(lib, [[0, 0], [1, 1]]), s, reduce="add"),
         (3, 4), (2, 2), grad=False),
    case("scatter-reduce-multiply", lambda lib, x, s: x.scatter(1, idx(lib, [[0, 0], [2, 2]]), s, reduce="multiply"),
         (3, 4), (2, 2), grad=False),
    case("scatter-reduce-value", lambda lib, x: x.scatter(0, idx(lib, [[0, 0, 1, 1]]), 2.0, reduce="multiply"),
         (3, 4), grad=False),
    case("scatter_", lambda lib, x, s: (x * 1).scatter_(1, idx(lib, SCATTER_IDX), s), (3, 4), (2, 2)),
    case("scatter_-value", lambda lib, x: (x * 1).scatter_(0, idx(lib, [[2, 1]]), 0.5), (3, 2)),
    case("scatter_-reduce", lambda lib, x, s: x.detach().clone().scatter_(1, idx(lib, [[1, 1]]), s, reduce="add"),
         (3, 4), (1, 2), grad=False),
    case("scatter_add", lambda lib, x, s: lib.scatter_add(x, 1, idx(lib, [[0, 0, 3], [2, 2, 2]]), s), (3, 4),
         (2, 3)),
    case("scatter_add-src-larger", lambda lib, x, s: x.scatter_add(0, idx(lib, [[1, 1], [0, 1]]), s.detach()),
         (3, 4), (3, 3)),
    case("scatter_add-int", lambda lib, x, s: lib.scatter_add(x, 0, idx(lib, [[1, 1]]), s), (3, 2), (1, 2),
         dtype="int64"),
    case("scatter_add_", lambda lib, x, s: (x * 1).scatter_add_(-1, idx(lib, [[1, 1]]), s), (2, 3), (1, 2)),
    case("scatter-then-square", lambda lib, x, s: lib.scatter(x, 1, idx(lib, SCATTER_IDX), s) ** 2, (3, 4), (2, 2)),
    case("index_add", lambda lib, x, s: lib.index_add(x, 0, idx(lib, [2, 0]), s), (3, 4), (2, 4)),
    case("index_add-dim1", lambda lib, x, s: x.index_add(1, idx(lib, [3, 1, 3]), s), (2, 4), (2, 3)),
    case("index_add-alpha", lambda lib, x, s: lib.index_add(x, -1, idx(lib, [0, 0]), s, alpha=-1.5), (2, 3),
         (2, 2)),
    case("index_add-int32", lambda lib, x, s: x.index_add(0, idx(lib, [1], "int32"), s), (2, 3), (1, 3)),
    case("index_add-0d-index", lambda lib, x, s: lib.index_add(x, 1, idx(lib, 2), s), (2, 3), (2, 1)),
    case("index_add-0d", lambda lib, x, s: lib.index_add(x, 0, idx(lib, 0), s, alpha=2), (), ()),
    case("index_add-int", lambda lib, x, s: lib.index_add(x, 0, idx(lib, [1, 1]), s, alpha=2), (2, 3), (2, 3),
         dtype="int64"),
    case("index_add-int-alpha-float", lambda lib, x, s: x.index_add(0, idx(lib, [0]), s, alpha=1.5), (2, 3),
         (1, 3), dtype="int64"),
    case("index_add_", lambda lib, x, s: (x * 1).index_add_(1, idx(lib, [0, 2]), s, alpha=3), (2, 3), (2, 2)),
    case("index_add-then-square", lambda lib, x, s: lib.index_add(x, 0, idx(lib, [1, 1]), s) ** 2, (2, 3), (2, 3)),
    case("masked_fill_", lambda lib, x: (x * 1).masked_fill_(x > 0.5, -1.0), (3, 4)),
    case("masked_fill_-bcast", lambda lib, x, y: (x * 2).masked_fill_(y > 0, 0.25), (3, 4), (4,)),
]

VIEWS_IN_PLACE = [          # in-place changes through the new views reach their base (and its gradient)
    case("diagonal-mul_", lambda lib, x: _through(x, lambda v: v.diagonal().mul_(3)), (3, 4)),
    case("diagonal-offset-mul_", lambda lib, x: _through(x, lambda v: v.diagonal(-1, 1, 0).mul_(2)), (3, 3, 2)),
    case("unfold-disjoint-mul_", lambda lib, x: _through(x, lambda v: v.unfold(1, 2, 2).mul_(-2)), (2, 5)),
    case("narrow-mul_", lambda lib, x: _through(x, lambda v: v.narrow(1, 1, 2).mul_(4)), (3, 4)),
]


def _through(x, change):
    y = x * 1
    change(y)
    return y * x


@pytest.mark.parametrize("fn, shapes, kw", SPLITS + REORDER + TRIANGLES + DIAGONALS + WINDOWS + SELECTIONS + SCATTERS
                         + VIEWS_IN_PLACE)
def test_op(fn, shapes, kw, device):
    check_op(fn, shapes, device=device, **kw)


# ------------------------------------------------------------------------------------------------------------------
# errors: PyTorch's type, and its wording in ours
# ------------------------------------------------------------------------------------------------------------------

X = np.arange(12, dtype=np.float32).reshape(3, 4)


def err(name, fn, phrase=None):
    """fn(lib, x) must raise in torch and in autograd_lite alike; `phrase`: what our message must hold (default:
    the first line of torch's)."""
    return pytest.param(fn, phrase, id=name)


ERRORS = [
    # reordering and splitting
    err("flip-dim", lambda lib, x: x.flip(2)),
    err("flip-repeated", lambda lib, x: lib.flip(x, (0, -2))),
    err("fliplr-1d", lambda lib, x: lib.fliplr(x[0])),
    err("flipud-0d", lambda lib, x: lib.flipud(x[0, 0])),
    err("movedim-dim", lambda lib, x: lib.movedim(x, 2, 0)),
    err("movedim-repeated-source", lambda lib, x: lib.movedim(x, (0, 0), (0, 1))),
    err("movedim-repeated-destination", lambda lib, x: x.movedim((0, 1), (1, 1))),
    err("movedim-lengths", lambda lib, x: lib.movedim(x, (0, 1), (0,))),
    err("roll-dim", lambda lib, x: lib.roll(x, 1, 2)),
    err("roll-align", lambda lib, x: lib.roll(x, (1, 2), (0,))),
    err("roll-no-dims", lambda lib, x: x.roll((1, 2)), "shifts and dimensions must align. shifts: 2, dims:0"),
    err("roll-0d-dim", lambda lib, x: x[0, 0].roll(1, 0)),
    err("swapaxes-dim", lambda lib, x: x.swapaxes(0, 2)),
    err("swapdims-dim", lambda lib, x: lib.swapdims(x, -3, 0)),
    err("mT-1d", lambda lib, x: x[0].mT),
    err("split-sizes-sum", lambda lib, x: x.split([1, 1], 0)),
    err("split-negative-size", lambda lib, x: x.split([-1, 4], 0)),
    err("split-size-0", lambda lib, x: x.split(0)),
    err("split-size-neg", lambda lib, x: lib.split(x, -1)),
    err("split-0d", lambda lib, x: x[0, 0].split(1)),
    err("split-dim", lambda lib, x: x.split(1, 2)),
    err("chunk-0", lambda lib, x: x.chunk(0)),
    err("chunk-neg", lambda lib, x: lib.chunk(x, -1)),
    err("chunk-0d", lambda lib, x: x[0, 0].chunk(1)),
    err("unbind-dim", lambda lib, x: x.unbind(2)),
    err("unbind-0d", lambda lib, x: x[0, 0].unbind()),
    # triangles, diagonals, windows
    err("tril-1d", lambda lib, x: lib.tril(x[0])),
    err("triu-0d", lambda lib, x: x[0, 0].triu()),
    err("diagonal-same-dims", lambda lib, x: lib.diagonal(x, 0, 1, 1)),
    err("diagonal-same-dims-neg", lambda lib, x: x.diagonal(0, 1, -1)),
    err("diagonal-dim", lambda lib, x: x.diagonal(0, 0, 2)),
    err("diagonal-1d", lambda lib, x: lib.diagonal(x[0])),
    err("diag-3d", lambda lib, x: lib.diag(x.reshape(2, 3, 2))),
    err("diag-0d", lambda lib, x: x[0, 0].diag()),
    err("trace-1d", lambda lib, x: lib.trace(x[0])),
    err("trace-3d", lambda lib, x: x.reshape(2, 3, 2).trace()),
    err("trace-bool", lambda lib, x: lib.trace(x > 3)),
    err("unfold-size", lambda lib, x: x.unfold(1, 5, 1)),
    err("unfold-step", lambda lib, x: x.unfold(1, 2, 0)),
    err("unfold-size-neg", lambda lib, x: x.unfold(1, -1, 1)),
    err("unfold-dim", lambda lib, x: x.unfold(2, 2, 1)),
    err("unfold-0d-size", lambda lib, x: x[0, 0].unfold(0, 2, 1)),
    err("unflatten-sizes", lambda lib, x: x.unflatten(1, (3, 2))),
    err("unflatten-infer", lambda lib, x: lib.unflatten(x, 1, (-1, 3))),
    err("unflatten-empty", lambda lib, x: x.unflatten(1, ())),
    err("unflatten-two-infer", lambda lib, x: x.unflatten(1, (-1, -1)), "only one dimension can be inferred"),
    err("unflatten-dim", lambda lib, x: x.unflatten(3, (2, 2))),
    err("unflatten-0d", lambda lib, x: x[0, 0].unflatten(0, (1,)), "Dimension specified as 0 but tensor has no "
                                                                   "dimensions"),
    err("narrow-start", lambda lib, x: x.narrow(1, 5, 1)),
    err("narrow-start-neg", lambda lib, x: lib.narrow(x, 1, -5, 1)),
    err("narrow-length", lambda lib, x: x.narrow(1, 2, 3)),
    err("narrow-length-neg", lambda lib, x: x.narrow(1, 0, -1)),
    err("narrow-0d", lambda lib, x: x[0, 0].narrow(0, 0, 1)),
    err("narrow-dim", lambda lib, x: x.narrow(2, 0, 1)),
    err("narrow-float-start", lambda lib, x: x.narrow(0, lib.tensor(1.0), 1)),
    err("broadcast_to-size", lambda lib, x: lib.broadcast_to(x, (3, 5)), "must match the existing size (4) at "
                                                                        "non-singleton dimension 1"),
    err("broadcast_to-fewer", lambda lib, x: lib.broadcast_to(x, (4,)), "the number of sizes provided (1) must be "
                                                                       "greater or equal to the number of dimensions"),
    # selections
    err("masked_select-float-mask", lambda lib, x: lib.masked_select(x, x)),
    err("masked_select-uint8-mask", lambda lib, x: x.masked_select((x > 2).to(lib.uint8))),
    err("masked_select-shapes", lambda lib, x: lib.masked_select(x[0], lib.tensor([True, False, True]))),
    err("index_select-oob", lambda lib, x: lib.index_select(x, 0, lib.tensor([3]))),
    err("index_select-negative", lambda lib, x: x.index_select(0, lib.tensor([0, -1]))),
    err("index_select-2d", lambda lib, x: lib.index_select(x, 0, lib.tensor([[0]]))),
    err("index_select-float", lambda lib, x: lib.index_select(x, 0, lib.tensor([0.0]))),
    err("index_select-int16", lambda lib, x: x.index_select(0, lib.tensor([0], dtype=lib.int16))),
    err("index_select-bool", lambda lib, x: lib.index_select(x, 0, lib.tensor([True]))),
    err("index_select-dim", lambda lib, x: lib.index_select(x, 2, lib.tensor([0]))),
    err("index_select-list", lambda lib, x: lib.index_select(x, 0, [0]), "must be Tensor, not list"),
    err("index_select-0d-many", lambda lib, x: lib.index_select(x[0, 0], 0, lib.tensor([0, 0]))),
    err("index_select-0d-oob", lambda lib, x: x[0, 0].index_select(0, lib.tensor([1]))),
    err("take_along_dim-flat-oob", lambda lib, x: lib.take_along_dim(x, lib.tensor([12]))),
    err("take_along_dim-flat-neg", lambda lib, x: lib.take_along_dim(x, lib.tensor([-1]))),
    err("take_along_dim-ndim", lambda lib, x: lib.take_along_dim(x, lib.tensor([0]), 1)),
    err("take_along_dim-float", lambda lib, x: lib.take_along_dim(x, lib.tensor([[0.0]]), 1)),
    err("take_along_dim-int32", lambda lib, x: x.take_along_dim(lib.tensor([[0]], dtype=lib.int32), 1)),
    err("take_along_dim-bool", lambda lib, x: lib.take_along_dim(x, lib.tensor([[True]]), 1)),
    err("take_along_dim-bcast", lambda lib, x: lib.take_along_dim(x, lib.tensor([[0], [1]]), 1)),
    err("take_along_dim-dim", lambda lib, x: lib.take_along_dim(x, lib.tensor([[0]]), 2)),
    err("gather-negative", lambda lib, x: lib.gather(x, 1, lib.tensor([[-1]]))),
    err("gather-oob", lambda lib, x: x.gather(0, lib.tensor([[3]]))),
    err("gather-float", lambda lib, x: lib.gather(x, 1, lib.tensor([[0.0]]))),
    # writes along a dim
    err("scatter-oob", lambda lib, x: lib.scatter(x, 1, lib.tensor([[4]]), lib.ones(1, 1))),
    err("scatter-negative", lambda lib, x: lib.scatter(x, 1, lib.tensor([[-1]]), lib.ones(1, 1))),
    err("scatter-oob-value", lambda lib, x: x.scatter(0, lib.tensor([[0, 3]]), 1.0)),
    err("scatter-float-index", lambda lib, x: lib.scatter(x, 1, lib.tensor([[0.0]]), lib.ones(1, 1))),
    err("scatter-bool-index", lambda lib, x: lib.scatter(x, 1, lib.tensor([[True]]), lib.ones(1, 1))),
    err("scatter-src-dtype", lambda lib, x: lib.scatter(x, 1, lib.tensor([[0]]), lib.ones(1, 1, dtype=lib.float64))),
    err("scatter-index-ndim", lambda lib, x: lib.scatter(x, 1, lib.tensor([0]), lib.ones(1, 1))),
    err("scatter-src-ndim", lambda lib, x: lib.scatter(x, 1, lib.tensor([[0]]), lib.tensor(5.0))),
    err("scatter-src-small", lambda lib, x: lib.scatter(x, 1, lib.tensor([[0, 1], [2, 0]]), lib.ones(2, 1))),
    err("scatter-index-large", lambda lib, x: x.scatter(1, lib.zeros(4, 1, dtype=lib.int64), lib.ones(4, 1))),
    err("scatter-dim", lambda lib, x: lib.scatter(x, 2, lib.tensor([[0]]), lib.ones(1, 1))),
    err("scatter-reduce", lambda lib, x: lib.scatter(x, 1, lib.tensor([[0]]), lib.ones(1, 1), reduce="mean")),
    err("scatter_-oob", lambda lib, x: x.clone().scatter_(1, lib.tensor([[4]]), 2.0)),
    err("scatter_add-oob", lambda lib, x: lib.scatter_add(x, 1, lib.tensor([[0, 4]]), lib.ones(1, 2))),
    err("scatter_add-dtype", lambda lib, x: x.scatter_add(1, lib.tensor([[0]]), lib.ones(1, 1, dtype=lib.float64)),
        "Expected self.dtype to be equal to src.dtype"),
    err("scatter_add-float-index", lambda lib, x: lib.scatter_add(x, 1, lib.tensor([[0.0]]), lib.ones(1, 1)),
        "Expected dtype int32/int64 for index"),
    err("scatter_add-index-large", lambda lib, x: lib.scatter_add(x, 1, lib.zeros(4, 1, dtype=lib.int64),
                                                                   lib.ones(4, 1))),
    err("scatter_add_-oob", lambda lib, x: x.clone().scatter_add_(0, lib.tensor([[3]]), lib.ones(1, 1))),
    err("index_add-oob", lambda lib, x: lib.index_add(x, 1, lib.tensor([0, 4]), lib.ones(3, 2))),
    err("index_add-negative", lambda lib, x: lib.index_add(x, 1, lib.tensor([0, -1]), lib.ones(3, 2))),
    err("index_add-count", lambda lib, x: lib.index_add(x, 1, lib.tensor([0, 2]), lib.ones(3, 3))),
    err("index_add-shape", lambda lib, x: x.index_add(1, lib.tensor([0, 2]), lib.ones(2, 2))),
    err("index_add-source-ndim", lambda lib, x: lib.index_add(x, 1, lib.tensor([0, 2]), lib.ones(2))),
    err("index_add-index-2d", lambda lib, x: lib.index_add(x, 1, lib.tensor([[0, 2]]), lib.ones(3, 2))),
    err("index_add-float-index", lambda lib, x: lib.index_add(x, 1, lib.tensor([0.0, 1.0]), lib.ones(3, 2))),
    err("index_add-dtype", lambda lib, x: lib.index_add(x, 1, lib.tensor([0, 1]), lib.ones(3, 2, dtype=lib.float64))),
    err("index_add-dim", lambda lib, x: lib.index_add(x, 2, lib.tensor([0, 1]), lib.ones(3, 2))),
    err("index_add-0d-shape", lambda lib, x: lib.index_add(x[0, 0], 0, lib.tensor([0]), lib.ones(1))),
    err("index_add_-oob", lambda lib, x: x.clone().index_add_(0, lib.tensor([3]), lib.ones(1, 4))),
]


@pytest.mark.parametrize("fn, phrase", ERRORS)
def test_error(fn, phrase, device):
    with pytest.raises(Exception) as ref:
        fn(torch, torch.tensor(X))
    lib = al if device == "cpu" else _OnDevice(al, device)
    with pytest.raises(Exception) as ours:
        fn(lib, lib.tensor(X))
    assert type(ours.value) is type(ref.value), f"{type(ours.value).__name__}: {ours.value}, expected " \
                                                f"{type(ref.value).__name__}: {ref.value}"
    expected = phrase or str(ref.value).splitlines()[0]
    assert expected in str(ours.value), f"{str(ours.value)!r} does not hold torch's {expected!r}"


def test_take_along_dim_checks_what_torch_reads_out_of_bounds(device):
    """torch.take_along_dim with a dim reads past the end for an index out of range (no check); here it raises,
    with the message torch gives without a dim, on every device (CuPy would wrap the index around)."""
    x = al.tensor(X, device=device)
    for bad, shown in (([[0], [1], [4]], 4), ([[0], [-1], [2]], -1)):
        with pytest.raises(RuntimeError, match=rf"index {shown} is out of bounds for dimension 1 with size 4"):
            al.take_along_dim(x, al.tensor(bad, device=device), 1)


def test_scatter_src_larger_than_index_gradient(device):
    """src's gradient is g at the scattered places, zeros where src is not read (torch's backward raises there)."""
    x = al.tensor(X, requires_grad=True, device=device)
    src = al.tensor(np.arange(9, dtype=np.float32).reshape(3, 3), requires_grad=True, device=device)
    w = np.arange(12, dtype=np.float32).reshape(3, 4) + 1
    out = al.scatter(x, 1, al.tensor(SCATTER_IDX, device=device), src)
    (out * al.tensor(w, device=device)).sum().backward()
    out = al.scatter(x, 1, al.tensor(SCATTER_IDX, device=device), src)
    expected = np.zeros((3, 3), np.float32)
    expected[:2, :2] = np.take_along_axis(w[:2], np.array(SCATTER_IDX), 1)
    np.testing.assert_array_equal(src.grad.cpu().numpy(), expected)
    keep = np.ones((3, 4), bool)
    np.put_along_axis(keep[:2], np.array(SCATTER_IDX), False, 1)
    np.testing.assert_array_equal(x.grad.cpu().numpy(), w * keep)
    gx, gs = al.autograd.grad((out * out).sum(), (x, src), create_graph=True)      # and again
    (gs ** 2).sum().backward()
    np.testing.assert_allclose(src.grad.cpu().numpy()[:2, :2],
                               expected[:2, :2] + 8 * np.arange(9, dtype=np.float32).reshape(3, 3)[:2, :2])


def test_scatter_reduce_has_no_derivative():
    for lib in (torch, al):
        x = lib.tensor(X, requires_grad=True)
        out = lib.scatter(x, 1, lib.tensor([[0, 0]]), lib.ones(1, 2), reduce="add")
        with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
            out.sum().backward()


# ------------------------------------------------------------------------------------------------------------------
# views and saved indices
# ------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, part", [
    (lambda x: x.diagonal(), (slice(None, 3), slice(None, 3))),
    (lambda x: x.diagonal(1), None),
    (lambda x: x.unfold(1, 2, 2), (slice(None), slice(None))),
    (lambda x: x.narrow(1, 1, 2), (slice(None), slice(1, 3))),
    (lambda x: x.T, (slice(None), slice(None))),
    (lambda x: x.mT, (slice(None), slice(None))),
    (lambda x: x.swapaxes(0, 1), (slice(None), slice(None))),
    (lambda x: x.movedim(0, 1), (slice(None), slice(None))),
    (lambda x: x.unflatten(1, (2, 2)), (slice(None), slice(None))),
    (lambda x: x.split(1)[1], (slice(1, 2), slice(None))),
    (lambda x: x.unbind(1)[2], (slice(None), slice(2, 3))),
], ids=["diagonal", "diagonal-offset", "unfold", "narrow", "T", "mT", "swapaxes", "movedim", "unflatten", "split",
        "unbind"])
def test_views_share_storage(make, part, device):
    """As in PyTorch, these ops return views: a change to the base shows in the view and one through the view
    (where it has a place of its own) shows in the base."""
    for lib in (torch, al):
        x = lib.tensor(X) if lib is torch else al.tensor(X, device=device)
        v = make(x)
        x.add_(1)
        v.mul_(-1)
        if lib is torch:
            ref_v, ref_x = v.numpy().copy(), x.numpy().copy()
        else:
            np.testing.assert_array_equal(v.cpu().numpy(), ref_v)
            np.testing.assert_array_equal(x.cpu().numpy(), ref_x)


def test_unfold_overlapping_windows_are_read_only():
    """Overlapping windows share elements: a write through them would land twice, so the view refuses it."""
    v = al.tensor(X).unfold(1, 3, 1)
    assert not v._data.flags.writeable
    assert al.tensor(X).unfold(1, 2, 2)._data.flags.writeable


@pytest.mark.parametrize("op, torch_checks", [
    (lambda lib, x, i: lib.scatter(x, 1, i, x[:, :2] * 2), True),
    (lambda lib, x, i: lib.scatter_add(x, 1, i, x[:, :2] * 2), True),
    (lambda lib, x, i: lib.index_add(x, 1, i[0], x[:, :2] * 2), True),
    (lambda lib, x, i: lib.index_select(x, 1, i[0]), True),
    (lambda lib, x, i: lib.take_along_dim(x, i, 1), False),     # torch: no error (its gradient reads the new index)
], ids=["scatter", "scatter_add", "index_add", "index_select", "take_along_dim"])
def test_index_changed_in_place_before_backward_raises(op, torch_checks):
    """The index is saved for backward: changing it in place in between raises PyTorch's error (the gradient
    would go to other places)."""
    for lib in (torch, al) if torch_checks else (al,):
        x = lib.tensor(X, requires_grad=True)
        i = lib.tensor([[0, 3], [1, 2], [2, 1]])
        out = op(lib, x, i)
        i.add_(0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scatter_multiply_repeats_without_ufunc_at(dtype):
    """The CuPy path of scatter(reduce='multiply') (no multiply.at): repeated places multiply in turn."""
    from autograd_lite.ops import indexing

    rng = np.random.default_rng(0)
    out = rng.uniform(1, 2, (3, 4)).astype(dtype)
    values = rng.uniform(1, 2, (3, 3)).astype(dtype)
    index = np.array([[0, 0, 0], [1, 3, 1], [2, 2, 0]])
    key = indexing.along(index, 1)
    ref = out.copy()
    np.multiply.at(ref, key, values)

    got = out.copy()
    indexing._multiply_rounds(np, got, key, values)
    np.testing.assert_allclose(got, ref, rtol=1e-6)
