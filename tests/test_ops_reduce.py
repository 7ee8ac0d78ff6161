"""Reductions, scans, sorting, counting and linear algebra (issue 14, section 3) against PyTorch: one line per case
(values, shapes, dtypes, first and second derivatives, on the CPU and the stand-in device), then the errors."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

torch = pytest.importorskip("torch")

import autograd_lite as al  # noqa: E402

try:
    from op_helpers import check_op
except ImportError:  # tests/ imported as a package
    from tests.op_helpers import check_op

INF = float("inf")


def case(name, fn, *shapes, **kw):
    return pytest.param(fn, shapes, kw, id=name)


def is_torch(lib):
    return lib.__name__ == "torch"


# rows with zeros at the start, in the middle (two), at the end: cumprod's and prod's exact gradients
ZEROS = [[1.0, 0.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0, 1.0]]
ZERO_ROW = [[1.0], [0.0], [1.0]]


def cdist_composed(lib, x1, x2, p):
    """cdist as torch differentiates it twice (torch's own cdist has no second derivative)."""
    if not is_torch(lib):
        return lib.cdist(x1, x2, p=p)
    return torch.linalg.vector_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, dim=-1)


SCANS = [
    case("cumsum-dim1", lambda lib, x: lib.cumsum(x, 1), (3, 4)),
    case("cumsum-dim0", lambda lib, x: x.cumsum(dim=0), (3, 4)),
    case("cumsum-dim-neg", lambda lib, x: lib.cumsum(x, -2), (2, 3, 4)),
    case("cumsum-1d", lambda lib, x: x.cumsum(0), (6,)),
    case("cumsum-0d", lambda lib, x: lib.cumsum(x, 0), ()),
    case("cumsum-dtype", lambda lib, x: lib.cumsum(x, 1, dtype=lib.float64), (3, 4)),
    case("cumsum-int", lambda lib, a: lib.cumsum(a, 1), (3, 4), dtype="int64"),
    case("cumsum-int32", lambda lib, a: a.cumsum(0), (3, 4), dtype="int32"),
    case("cumsum-bool", lambda lib, b: lib.cumsum(b, 1), (3, 4), dtype="bool"),
    case("cumprod-dim1", lambda lib, x: lib.cumprod(x, 1), (3, 5)),
    case("cumprod-dim0", lambda lib, x: x.cumprod(dim=0), (4, 3)),
    case("cumprod-dim-neg", lambda lib, x: lib.cumprod(x, -1), (2, 3, 4)),
    case("cumprod-0d", lambda lib, x: lib.cumprod(x, 0), ()),
    case("cumprod-zeros", lambda lib, x: lib.cumprod(x * lib.tensor(ZEROS), 1), (3, 5)),
    case("cumprod-zeros-dim0", lambda lib, x: lib.cumprod(x * lib.tensor(ZEROS).t(), 0), (5, 3)),
    case("cumprod-zeros-f64", lambda lib, x: lib.cumprod(x * lib.tensor(ZEROS, dtype=lib.float64), 1), (3, 5),
         dtype="float64"),
    case("cumprod-int", lambda lib, a: lib.cumprod(a, 1), (3, 4), dtype="int64"),
    case("cumprod-int32", lambda lib, a: a.cumprod(1), (3, 4), dtype="int32"),
    case("cumprod-uint8", lambda lib, a: lib.cumprod(a, 0), (3, 4), dtype="uint8", low=0, high=3),
    case("cumprod-bool", lambda lib, b: lib.cumprod(b, 1), (3, 4), dtype="bool"),
    case("cumprod-dtype", lambda lib, a: lib.cumprod(a, 1, dtype=lib.float32), (3, 4), dtype="int64"),
    case("prod-zeros", lambda lib, x: (x * lib.tensor(ZEROS)).prod(1), (3, 5)),
    case("prod-zeros-all", lambda lib, x: (x * lib.tensor(ZEROS[:1])).prod(), (1, 5)),
]

EXTREMES = [
    case("amax", lambda lib, x: lib.amax(x), (3, 4)),
    case("amax-dim", lambda lib, x: x.amax(1), (3, 4)),
    case("amax-dims-keepdim", lambda lib, x: lib.amax(x, (0, 2), keepdim=True), (2, 3, 4)),
    case("amax-keepdim-all", lambda lib, x: lib.amax(x, keepdim=True), (2, 3)),
    case("amin", lambda lib, x: lib.amin(x), (3, 4)),
    case("amin-dim-neg", lambda lib, x: x.amin(-1), (2, 3, 4)),
    case("amin-dims", lambda lib, x: lib.amin(x, dim=(0, 1)), (2, 3, 4)),
    case("amax-ties", lambda lib, x: lib.amax(lib.cat([x, x], 1), 1), (3, 4)),
    case("amax-ties-three", lambda lib, x: lib.amax(lib.stack([x, x * 0.5, x]), 0), (3, 4), positive=True),
    case("amax-ties-all", lambda lib, x: lib.amax(lib.cat([x, x])), (3, 4)),
    case("amin-ties", lambda lib, x: lib.amin(lib.cat([x, x, x], 0), 0), (2, 3)),
    case("amin-ties-keepdim", lambda lib, x: lib.amin(lib.cat([x, x], -1), (-1,), keepdim=True), (2, 3)),
    case("max-ties-all", lambda lib, x: lib.cat([x, x]).max(), (3, 4)),
    case("min-ties-all", lambda lib, x: lib.cat([x, x]).min(), (3, 4)),
    case("amax-int", lambda lib, a: lib.amax(a, 1), (3, 4), dtype="int64"),
    case("amin-f64", lambda lib, x: lib.amin(x, 0), (3, 4), dtype="float64"),
]

# NumPy's names (axis=, keepdims=) on every reduction, as PyTorch accepts them
ALIASES = [
    case("alias-sum", lambda lib, x: x.sum(axis=1, keepdims=True), (3, 4)),
    case("alias-sum-lib", lambda lib, x: lib.sum(x, axis=(0, 2)), (2, 3, 4)),
    case("alias-mean", lambda lib, x: x.mean(axis=0, keepdims=True), (3, 4)),
    case("alias-mean-lib", lambda lib, x: lib.mean(x, axis=-1), (3, 4)),
    case("alias-prod", lambda lib, x: x.prod(axis=1, keepdims=True), (3, 4)),
    case("alias-prod-lib", lambda lib, x: lib.prod(x, axis=0), (3, 4)),
    case("alias-var", lambda lib, x: x.var(axis=1, keepdims=True), (3, 4)),
    case("alias-var-lib", lambda lib, x: lib.var(x, axis=(0, 1)), (2, 3, 4)),
    case("alias-std", lambda lib, x: x.std(axis=0, keepdims=True), (3, 4)),
    case("alias-std-lib", lambda lib, x: lib.std(x, axis=-1), (3, 4)),
    case("alias-max", lambda lib, x: x.max(axis=1, keepdims=True), (3, 4)),
    case("alias-max-lib", lambda lib, x: lib.max(x, axis=0), (3, 4)),
    case("alias-min", lambda lib, x: x.min(axis=1, keepdims=True), (3, 4)),
    case("alias-min-lib", lambda lib, x: lib.min(x, axis=-1), (3, 4)),
    case("alias-argmax", lambda lib, x: x.argmax(axis=1, keepdims=True), (3, 4)),
    case("alias-argmax-lib", lambda lib, x: lib.argmax(x, axis=0), (3, 4)),
    case("alias-argmin", lambda lib, x: x.argmin(axis=1, keepdims=True), (3, 4)),
    case("alias-argmin-lib", lambda lib, x: lib.argmin(x, axis=0), (3, 4)),
    case("alias-logsumexp", lambda lib, x: x.logsumexp(axis=1, keepdims=True), (3, 4)),
    case("alias-logsumexp-lib", lambda lib, x: lib.logsumexp(x, axis=(0, 1)), (2, 3, 4)),
    case("alias-all", lambda lib, x: (x > -1).all(axis=1, keepdims=True), (3, 4)),
    case("alias-all-lib", lambda lib, x: lib.all(x > -1, axis=0), (3, 4)),
    case("alias-any", lambda lib, x: (x > 1).any(axis=1, keepdims=True), (3, 4)),
    case("alias-any-lib", lambda lib, x: lib.any(x > 1, axis=0), (3, 4)),
    case("alias-amax", lambda lib, x: x.amax(axis=1, keepdims=True), (3, 4)),
    case("alias-amax-lib", lambda lib, x: lib.amax(x, axis=(0, 1)), (2, 3, 4)),
    case("alias-amin", lambda lib, x: x.amin(axis=1, keepdims=True), (3, 4)),
    case("alias-amin-lib", lambda lib, x: lib.amin(x, axis=0), (3, 4)),
    case("alias-keepdims-only", lambda lib, x: lib.sum(x, 1, keepdims=True), (3, 4)),
    # all / any along a dim
    case("all-dim", lambda lib, x: lib.all(x > -1, dim=1), (3, 4)),
    case("all-dim-keepdim", lambda lib, x: (x > -1).all(dim=0, keepdim=True), (3, 4)),
    case("all-dim-tuple", lambda lib, x: lib.all(x > -1.5, dim=(0, 2)), (2, 3, 4)),
    case("all-dim-neg", lambda lib, b: b.all(-1), (2, 3, 4), dtype="bool"),
    case("any-dim", lambda lib, x: lib.any(x > 1, dim=1), (3, 4)),
    case("any-dim-keepdim", lambda lib, x: (x > 1).any(dim=-1, keepdim=True), (2, 3, 4)),
    case("any-dim-tuple", lambda lib, x: lib.any(x > 1.5, dim=(0, 1)), (2, 3, 4)),
    case("any-float-dim", lambda lib, x: x.any(dim=0), (3, 4)),
    case("all-int-dim", lambda lib, a: lib.all(a, dim=1), (3, 4), dtype="int64", low=0, high=3),
]

NORMS = [
    case("norm", lambda lib, x: lib.norm(x), (3, 4)),
    case("norm-method", lambda lib, x: x.norm(), (2, 3, 4)),
    case("norm-dim", lambda lib, x: x.norm(dim=1), (3, 4)),
    case("norm-dim-keepdim", lambda lib, x: lib.norm(x, dim=-1, keepdim=True), (2, 3, 4)),
    case("norm-dims", lambda lib, x: lib.norm(x, dim=(0, 2)), (2, 3, 4)),
    case("norm-fro-dims", lambda lib, x: lib.norm(x, "fro", dim=(1, 2)), (2, 3, 4)),
    case("norm-p1", lambda lib, x: lib.norm(x, p=1), (3, 4)),
    case("norm-p1-dim", lambda lib, x: x.norm(1, 0), (3, 4)),
    case("norm-p3", lambda lib, x: lib.norm(x, 3, dim=1), (3, 4)),
    case("norm-p1.5", lambda lib, x: lib.norm(x, 1.5, dim=0), (3, 4)),
    case("norm-p0.5", lambda lib, x: lib.norm(x, 0.5, dim=1), (3, 4)),
    case("norm-p-neg", lambda lib, x: lib.norm(x, -2, dim=1), (3, 4)),
    case("norm-inf", lambda lib, x: lib.norm(x, INF), (3, 4)),
    case("norm-inf-dim", lambda lib, x: lib.norm(x, INF, dim=1), (3, 4)),
    case("norm-neg-inf", lambda lib, x: lib.norm(x, -INF, dim=0), (3, 4)),
    case("norm-p0", lambda lib, x: lib.norm(x * lib.tensor(ZEROS), 0, dim=1), (3, 5)),
    case("norm-none", lambda lib, x: lib.norm(x, None), (3, 4)),
    case("norm-nuc", lambda lib, x: lib.norm(x, "nuc"), (3, 4), second=False),
    case("norm-dtype", lambda lib, x: lib.norm(x, dtype=lib.float64), (3, 4)),
    case("norm-0d", lambda lib, x: lib.norm(x), ()),
    case("norm-f64", lambda lib, x: lib.norm(x, dim=1), (3, 4), dtype="float64"),
    # a zero norm: subgradient 0 as PyTorch; its second derivative there is nan in PyTorch, 0 here (see below)
    case("norm-zero-row", lambda lib, x: lib.norm(x * lib.tensor(ZERO_ROW), dim=1), (3, 4), second=False),
    case("norm-zero-all", lambda lib, x: lib.norm(x * 0), (3, 4), second=False),
    case("norm-zero-p3", lambda lib, x: lib.norm(x * lib.tensor(ZERO_ROW), 3, dim=1), (3, 4)),
    pytest.param(lambda lib, x: lib.norm(x * lib.tensor(ZERO_ROW), 1.5, dim=1), ((3, 4),), {}, id="norm-zero-p1.5",
                 marks=pytest.mark.filterwarnings("ignore::RuntimeWarning")),    # |x|^1.5: infinite 2nd derivative
    case("vector_norm", lambda lib, x: lib.linalg.vector_norm(x), (3, 4)),
    case("vector_norm-dim", lambda lib, x: lib.linalg.vector_norm(x, dim=(0, 2), keepdim=True), (2, 3, 4)),
    case("vector_norm-ord1", lambda lib, x: lib.linalg.vector_norm(x, 1, dim=-1), (3, 4)),
    case("vector_norm-ord3", lambda lib, x: lib.linalg.vector_norm(x, ord=3), (3, 4)),
    case("vector_norm-ord0.5", lambda lib, x: lib.linalg.vector_norm(x, 0.5, 1), (3, 4), positive=True),
    case("vector_norm-inf", lambda lib, x: lib.linalg.vector_norm(x, INF, dim=0), (3, 4)),
    case("vector_norm-inf-ties", lambda lib, x: lib.linalg.vector_norm(lib.cat([x, -x, x]), INF, dim=0), (3, 4)),
    case("vector_norm-neg-inf-ties", lambda lib, x: lib.linalg.vector_norm(lib.cat([x, -x]), -INF), (3, 4)),
    case("vector_norm-ord0", lambda lib, x: lib.linalg.vector_norm(x, 0), (3, 4)),
    case("vector_norm-dtype", lambda lib, x: lib.linalg.vector_norm(x, dtype=lib.float64), (3, 4)),
    case("vector_norm-zero", lambda lib, x: lib.linalg.vector_norm(x * lib.tensor(ZERO_ROW), dim=1), (3, 4),
         second=False),
    case("matrix_norm-fro", lambda lib, x: lib.linalg.matrix_norm(x), (3, 4)),
    case("matrix_norm-fro-batch", lambda lib, x: lib.linalg.matrix_norm(x, "fro", keepdim=True), (2, 3, 4)),
    case("matrix_norm-1", lambda lib, x: lib.linalg.matrix_norm(x, 1), (3, 4)),
    case("matrix_norm--1", lambda lib, x: lib.linalg.matrix_norm(x, -1), (2, 3, 4)),
    case("matrix_norm-inf", lambda lib, x: lib.linalg.matrix_norm(x, INF), (3, 4)),
    case("matrix_norm--inf", lambda lib, x: lib.linalg.matrix_norm(x, -INF, keepdim=True), (2, 3, 4)),
    case("matrix_norm-dims", lambda lib, x: lib.linalg.matrix_norm(x, 1, dim=(0, 2)), (2, 3, 4)),
    case("matrix_norm-dims-rev", lambda lib, x: lib.linalg.matrix_norm(x, INF, dim=(2, 0), keepdim=True),
         (2, 3, 4)),
    case("matrix_norm-nuc", lambda lib, x: lib.linalg.matrix_norm(x, "nuc"), (2, 3, 4), second=False),
    case("matrix_norm-2", lambda lib, x: lib.linalg.matrix_norm(x, 2), (3, 4), second=False),
    case("matrix_norm--2", lambda lib, x: lib.linalg.matrix_norm(x, -2, dim=(0, 2), keepdim=True), (3, 2, 4),
         second=False),
    case("svdvals", lambda lib, x: lib.linalg.svdvals(x), (2, 4, 3), second=False),
    case("linalg.norm", lambda lib, x: lib.linalg.norm(x), (2, 3, 4)),
    case("linalg.norm-vector-ord", lambda lib, x: lib.linalg.norm(x, 1), (5,)),
    case("linalg.norm-matrix-ord", lambda lib, x: lib.linalg.norm(x, INF), (3, 4)),
    case("linalg.norm-fro", lambda lib, x: lib.linalg.norm(x, "fro"), (3, 4)),
    case("linalg.norm-dim", lambda lib, x: lib.linalg.norm(x, 3, dim=1, keepdim=True), (2, 3, 4)),
    case("linalg.norm-dims", lambda lib, x: lib.linalg.norm(x, -1, dim=(0, 1)), (3, 4, 2)),
    case("dist", lambda lib, x, y: lib.dist(x, y), (3, 4), (3, 4)),
    case("dist-bcast", lambda lib, x, y: x.dist(y), (3, 4), (4,)),
    case("dist-p1", lambda lib, x, y: lib.dist(x, y, 1), (3, 4), (3, 1)),
    case("dist-p3", lambda lib, x, y: lib.dist(x, y, p=3), (2, 3), (2, 3)),
    case("dist-inf", lambda lib, x, y: lib.dist(x, y, INF), (2, 3), (2, 3)),
    case("dist-p0", lambda lib, x, y: lib.dist(x, y, 0), (2, 3), (2, 3), grad=False),  # torch's backward fails
    case("dist-f64", lambda lib, x, y: lib.dist(x, y), (2, 3), (2, 3), dtype=("float32", "float64")),
    case("dist-same", lambda lib, x: lib.dist(x, x * 1), (2, 3), second=False),
    case("cdist", lambda lib, a, b: lib.cdist(a, b), (3, 4), (5, 4), second=False),
    case("cdist-p1", lambda lib, a, b: lib.cdist(a, b, p=1), (3, 4), (5, 4), second=False),
    case("cdist-p3", lambda lib, a, b: lib.cdist(a, b, 3), (3, 2), (4, 2), second=False),
    case("cdist-inf", lambda lib, a, b: lib.cdist(a, b, INF), (3, 2), (4, 2), second=False),
    case("cdist-p0", lambda lib, a, b: lib.cdist(a, b, 0), (3, 2), (4, 2), second=False),
    case("cdist-batch", lambda lib, a, b: lib.cdist(a, b), (2, 3, 4), (2, 5, 4), second=False),
    case("cdist-batch-bcast", lambda lib, a, b: lib.cdist(a, b), (1, 3, 2), (4, 5, 2), second=False),
    case("cdist-f64", lambda lib, a, b: lib.cdist(a, b), (3, 4), (5, 4), dtype="float64", second=False),
    case("cdist-same-points", lambda lib, a: lib.cdist(a, a * 1), (3, 4), second=False),
    # past 25 rows (or asked), the 2-norm goes through a matrix product, as PyTorch's
    case("cdist-mm", lambda lib, a, b: lib.cdist(a, b), (30, 4), (27, 4), second=False),
    case("cdist-mm-mode", lambda lib, a, b: lib.cdist(a, b, compute_mode="use_mm_for_euclid_dist"), (3, 4), (5, 4),
         second=False),
    # float32 |a|^2 + |b|^2 - 2ab cancels: the gradient's last digits follow the BLAS kernel (5.7e-5 on one CPU)
    case("cdist-mm-batch-bcast", lambda lib, a, b: lib.cdist(a, b), (1, 30, 2), (3, 4, 2), second=False, rtol=1e-3,
         atol=1e-4),
    case("cdist-mm-composed", lambda lib, a, b: cdist_composed(lib, a, b, 2.0), (2, 26, 3), (2, 5, 3)),
    case("cdist-no-mm", lambda lib, a, b: lib.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist"), (30, 2),
         (4, 2), second=False),
    case("cdist-composed", lambda lib, a, b: cdist_composed(lib, a, b, 2.0), (3, 4), (5, 4)),
    case("cdist-composed-p1", lambda lib, a, b: cdist_composed(lib, a, b, 1.0), (2, 3, 4), (2, 5, 4)),
    case("cdist-composed-p3", lambda lib, a, b: cdist_composed(lib, a, b, 3.0), (3, 2), (4, 2)),
    case("cdist-composed-inf", lambda lib, a, b: cdist_composed(lib, a, b, INF), (1, 3, 2), (2, 4, 2)),
]

EINSUM = [
    case("einsum-matmul", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), (2, 3), (3, 4)),
    case("einsum-implicit", lambda lib, a, b: lib.einsum("ij,jk", a, b), (2, 3), (3, 4)),
    case("einsum-implicit-order", lambda lib, a, b: lib.einsum("kj,ji", a, b), (2, 3), (3, 4)),
    case("einsum-spaces", lambda lib, a, b: lib.einsum("i j , j k -> k i", a, b), (2, 3), (3, 4)),
    case("einsum-list", lambda lib, a, b: lib.einsum("ij,jk->ik", [a, b]), (2, 3), (3, 4)),
    case("einsum-bmm-large", lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b), (2, 70, 65), (2, 65, 3)),
    case("einsum-bmm", lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b), (2, 2, 3), (2, 3, 4)),
    case("einsum-batch-bcast", lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b), (1, 2, 3), (3, 3, 2)),
    case("einsum-size1-bcast", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), (2, 1), (3, 4)),
    case("einsum-transpose", lambda lib, a: lib.einsum("ij->ji", a), (2, 3)),
    case("einsum-sum", lambda lib, a: lib.einsum("ij->", a), (2, 3)),
    case("einsum-sum-dim", lambda lib, a: lib.einsum("ijk->ik", a), (2, 3, 4)),
    case("einsum-dot", lambda lib, a, b: lib.einsum("i,i", a, b), (4,), (4,)),
    case("einsum-outer", lambda lib, a, b: lib.einsum("i,j->ij", a, b), (3,), (4,)),
    case("einsum-hadamard", lambda lib, a, b: lib.einsum("ij,ij->ij", a, b), (2, 3), (2, 3)),
    case("einsum-same-operand", lambda lib, a: lib.einsum("ij,ij", a, a), (2, 3)),
    case("einsum-gram", lambda lib, a: lib.einsum("ik,jk->ij", a, a), (3, 4)),
    case("einsum-three", lambda lib, a, b, c: lib.einsum("ij,jk,kl->il", a, b, c), (2, 3), (3, 4), (4, 2)),
    case("einsum-bilinear", lambda lib, a, w, b: lib.einsum("bi,oij,bj->bo", a, w, b), (2, 3), (4, 3, 5),
         (2, 5)),
    case("einsum-only-in-one", lambda lib, a, b: lib.einsum("ij,k->ik", a, b), (2, 3), (4,)),
    case("einsum-diagonal", lambda lib, a: lib.einsum("ii->i", a), (3, 3)),
    case("einsum-trace", lambda lib, a: lib.einsum("ii", a), (3, 3)),
    case("einsum-batch-diagonal", lambda lib, a: lib.einsum("bii->bi", a), (2, 3, 3)),
    case("einsum-triple-repeat", lambda lib, a: lib.einsum("iii->i", a), (2, 2, 2)),
    case("einsum-diag-times", lambda lib, a, b: lib.einsum("ii,ij->j", a, b), (3, 3), (3, 4)),
    case("einsum-repeat-mixed", lambda lib, a: lib.einsum("iji->j", a), (3, 2, 3)),
    case("einsum-ellipsis", lambda lib, a, b: lib.einsum("...ij,...jk", a, b), (1, 2, 3), (4, 3, 2)),
    case("einsum-ellipsis-out", lambda lib, a: lib.einsum("i...->...", a), (2, 3, 4)),
    case("einsum-ellipsis-mixed", lambda lib, a, b: lib.einsum("ba,...->...ab", a, b), (2, 3), (4,)),
    case("einsum-ellipsis-sum", lambda lib, a: lib.einsum("...i->i", a), (2, 3, 4)),
    case("einsum-ellipsis-mid", lambda lib, a: lib.einsum("i...j->ji...", a), (2, 3, 4, 5)),
    case("einsum-upper", lambda lib, a: lib.einsum("iJ->J", a), (2, 3)),
    case("einsum-sublist", lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2], [0, 2]), (2, 3), (3, 4)),
    case("einsum-sublist-implicit", lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2]), (2, 3), (3, 4)),
    case("einsum-sublist-ellipsis", lambda lib, a: lib.einsum(a, [0, Ellipsis], [Ellipsis]), (2, 3)),
    case("einsum-0d", lambda lib, a, b: lib.einsum(",i->i", a, b), (), (3,)),
    case("einsum-int", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), (2, 3), (3, 4), dtype="int64"),
    case("einsum-f64", lambda lib, a, b: lib.einsum("bij,bkj->bik", a, b), (2, 2, 3), (2, 4, 3), dtype="float64"),
]

PRODUCTS = [
    case("matmul-2d", lambda lib, a, b: a @ b, (2, 3), (3, 4)),          # the fast path, after its device check
    case("matmul-2d-nograd", lambda lib, a, b: a @ b, (2, 3), (3, 4), grad=False),
    case("matmul-batched", lambda lib, a, b: lib.matmul(a, b), (2, 2, 3), (3, 4)),
    case("addmm", lambda lib, i, a, b: lib.addmm(i, a, b), (2, 4), (2, 3), (3, 4)),
    case("addmm-bcast-row", lambda lib, i, a, b: lib.addmm(i, a, b), (4,), (2, 3), (3, 4)),
    case("addmm-bcast-col", lambda lib, i, a, b: lib.addmm(i, a, b), (2, 1), (2, 3), (3, 4)),
    case("addmm-bcast-0d", lambda lib, i, a, b: lib.addmm(i, a, b), (), (2, 3), (3, 4)),
    case("addmm-beta-alpha", lambda lib, i, a, b: lib.addmm(i, a, b, beta=0.5, alpha=-2), (2, 4), (2, 3), (3, 4)),
    case("addmm-beta0", lambda lib, i, a, b: lib.addmm(i, a, b, beta=0), (2, 4), (2, 3), (3, 4)),
    case("addmm-beta0-nan", lambda lib, a, b: lib.addmm(lib.full((4,), math.nan, dtype=a.dtype).to(a.device), a, b,
                                                        beta=0), (2, 3), (3, 4)),
    case("addmm-method", lambda lib, i, a, b: i.addmm(a, b, alpha=3), (2, 4), (2, 3), (3, 4)),
    case("addmm-inplace", lambda lib, i, a, b: (i * 1).addmm_(a, b, beta=2), (2, 4), (2, 3), (3, 4)),
    case("addmm-int", lambda lib, i, a, b: lib.addmm(i, a, b, beta=2, alpha=3), (4,), (2, 3), (3, 4),
         dtype="int64"),
    case("addmm-f64", lambda lib, i, a, b: lib.addmm(i, a, b), (2, 4), (2, 3), (3, 4), dtype="float64"),
    case("baddbmm", lambda lib, i, a, b: lib.baddbmm(i, a, b), (2, 3, 4), (2, 3, 5), (2, 5, 4)),
    case("baddbmm-bcast", lambda lib, i, a, b: lib.baddbmm(i, a, b), (4,), (2, 3, 5), (2, 5, 4)),
    case("baddbmm-bcast-batch", lambda lib, i, a, b: lib.baddbmm(i, a, b), (1, 3, 4), (2, 3, 5), (2, 5, 4)),
    case("baddbmm-beta-alpha", lambda lib, i, a, b: lib.baddbmm(i, a, b, beta=-1, alpha=0.25), (2, 3, 4),
         (2, 3, 5), (2, 5, 4)),
    case("baddbmm-beta0", lambda lib, i, a, b: lib.baddbmm(i, a, b, beta=0.0), (2, 3, 4), (2, 3, 5), (2, 5, 4)),
    case("baddbmm-method", lambda lib, i, a, b: i.baddbmm(a, b), (2, 3, 4), (2, 3, 5), (2, 5, 4)),
    case("baddbmm-inplace", lambda lib, i, a, b: (i + 0).baddbmm_(a, b, alpha=2), (2, 3, 4), (2, 3, 5), (2, 5, 4)),
    case("baddbmm-int", lambda lib, i, a, b: lib.baddbmm(i, a, b), (2, 3, 4), (2, 3, 5), (2, 5, 4), dtype="int64"),
]

SORTING = [
    case("sort", lambda lib, x: lib.sort(x), (3, 5)),
    case("sort-method", lambda lib, x: x.sort(dim=0), (4, 3)),
    case("sort-descending", lambda lib, x: lib.sort(x, descending=True), (3, 5)),
    case("sort-dim-neg-desc", lambda lib, x: x.sort(-2, True), (2, 4, 3)),
    case("sort-stable", lambda lib, x: lib.sort(x, dim=1, stable=True), (3, 5)),
    case("sort-1d", lambda lib, x: lib.sort(x), (7,)),
    case("sort-0d", lambda lib, x: lib.sort(x), ()),
    case("sort-values", lambda lib, x: lib.sort(x, 1).values * 2, (3, 5)),
    case("sort-indices", lambda lib, x: lib.sort(x, 0, descending=True).indices, (4, 3)),
    case("sort-int-ties-stable", lambda lib, a: lib.sort(a, dim=1, stable=True), (4, 9), dtype="int64"),
    case("sort-int-ties-stable-desc", lambda lib, a: lib.sort(a, stable=True, dim=0, descending=True), (9, 4),
         dtype="int64"),
    case("sort-bool", lambda lib, b: lib.sort(b, stable=True), (3, 6), dtype="bool"),
    case("sort-f64", lambda lib, x: lib.sort(x, 1, descending=True), (3, 5), dtype="float64"),
    case("sort-nan", lambda lib, x: lib.sort(lib.where(x > 1, float("nan"), x), 1), (3, 5)),
    case("sort-nan-desc", lambda lib, x: lib.sort(lib.where(x > 1, float("nan"), x), 1, descending=True), (3, 5)),
    case("argsort", lambda lib, x: lib.argsort(x), (3, 5)),
    case("argsort-method-desc", lambda lib, x: x.argsort(dim=0, descending=True), (4, 3)),
    case("argsort-int-stable", lambda lib, a: lib.argsort(a, stable=True), (3, 8), dtype="int64"),
    case("argsort-int-stable-desc", lambda lib, a: lib.argsort(a, dim=0, descending=True, stable=True), (8, 3),
         dtype="int64"),
    case("argsort-0d", lambda lib, x: lib.argsort(x), ()),
    case("kthvalue", lambda lib, x: lib.kthvalue(x, 2), (3, 5)),
    case("kthvalue-first", lambda lib, x: x.kthvalue(1, dim=0), (4, 3)),
    case("kthvalue-last-keepdim", lambda lib, x: lib.kthvalue(x, 5, 1, True), (3, 5)),
    case("kthvalue-dim-neg", lambda lib, x: lib.kthvalue(x, 3, dim=-2), (2, 4, 3)),
    case("kthvalue-0d", lambda lib, x: lib.kthvalue(x, 1), ()),
    case("kthvalue-int", lambda lib, a: lib.kthvalue(a, 2, 0), (4, 3), dtype="int64", low=-50, high=50),
    case("kthvalue-values", lambda lib, x: lib.kthvalue(x, 3).values.sum(), (3, 5)),
    case("median", lambda lib, x: lib.median(x), (3, 5)),
    case("median-even", lambda lib, x: x.median(), (2, 4)),
    case("median-ties", lambda lib, x: lib.median(lib.cat([x, x])), (2, 3)),
    case("median-ties-odd", lambda lib, x: lib.median(lib.cat([x, x, x[:1]])), (2, 3)),
    case("median-0d", lambda lib, x: lib.median(x), ()),
    case("median-nan", lambda lib, x: lib.median(lib.where(x > 1.5, float("nan"), x)), (3, 4)),
    case("median-int", lambda lib, a: lib.median(a), (3, 4), dtype="int64", low=-50, high=50),
    case("median-dim", lambda lib, x: lib.median(x, 1), (3, 5)),
    case("median-dim-even", lambda lib, x: x.median(dim=0), (4, 3)),
    case("median-dim-keepdim", lambda lib, x: lib.median(x, -1, keepdim=True), (2, 3, 4)),
    case("median-dim-0d", lambda lib, x: lib.median(x, 0), ()),
    case("median-dim-nan", lambda lib, x: lib.median(lib.where(x > 1.2, float("nan"), x), 1), (4, 5)),
    case("median-dim-int", lambda lib, a: lib.median(a, 0), (5, 3), dtype="int64", low=-50, high=50),
    case("mode", lambda lib, a: lib.mode(a), (4, 7), dtype="int64", low=0, high=3),
    case("mode-dim0-keepdim", lambda lib, a: a.mode(0, keepdim=True), (9, 3), dtype="int64", low=0, high=4),
    case("mode-float-repeats", lambda lib, x: lib.mode(lib.cat([x, x[:, 1:3], x[:, 2:3]], 1), 1), (3, 5)),
    case("mode-float-all-distinct", lambda lib, x: lib.mode(x, 0), (4, 3)),
    case("mode-0d", lambda lib, x: lib.mode(x), ()),
    case("mode-values", lambda lib, x: lib.mode(lib.cat([x, x[:, :1]], 1)).values * 3, (3, 4)),
    case("unique", lambda lib, a: lib.unique(a), (4, 5), dtype="int64"),
    case("unique-all", lambda lib, a: lib.unique(a, return_inverse=True, return_counts=True), (4, 5),
         dtype="int64"),
    case("unique-inverse", lambda lib, a: a.unique(return_inverse=True), (3, 4), dtype="int64"),
    case("unique-counts", lambda lib, a: lib.unique(a, return_counts=True), (7,), dtype="int64"),
    case("unique-dim0", lambda lib, a: lib.unique(lib.cat([a, a[:2]]), dim=0, return_inverse=True,
                                                  return_counts=True), (4, 3), dtype="int64"),
    case("unique-dim1", lambda lib, a: lib.unique(lib.cat([a, a], 1), return_inverse=True, dim=1), (2, 3),
         dtype="int64"),
    case("unique-float", lambda lib, x: lib.unique(lib.cat([x, x]), return_counts=True), (2, 3), grad=False),
    case("unique-bool", lambda lib, b: lib.unique(b, return_counts=True), (3, 4), dtype="bool"),
    case("unique-0d", lambda lib, a: lib.unique(a), (), dtype="int64"),
    case("bincount", lambda lib, a: lib.bincount(a), (9,), dtype="int64", low=0, high=6),
    case("bincount-minlength", lambda lib, a: a.bincount(minlength=12), (9,), dtype="int64", low=0, high=6),
    case("bincount-weights", lambda lib, a, w: lib.bincount(a, w), (9,), (9,), dtype=("int64", "float32"),
         low=0, high=6, grad=False),
    case("bincount-weights-f64", lambda lib, a, w: lib.bincount(a, weights=w, minlength=10), (9,), (9,),
         dtype=("int64", "float64"), low=0, high=6, grad=False),
    case("bincount-weights-int", lambda lib, a, w: lib.bincount(a, w), (9,), (9,), dtype="int64", low=0, high=6),
    case("bincount-int32", lambda lib, a: lib.bincount(a), (9,), dtype="int32", low=0, high=6),
    case("bincount-uint8", lambda lib, a: lib.bincount(a), (9,), dtype="uint8", low=0, high=6),
    case("histc", lambda lib, x: lib.histc(x), (50,), grad=False),
    case("histc-range", lambda lib, x: lib.histc(x, bins=7, min=-1, max=1), (6, 5), grad=False),
    case("histc-method", lambda lib, x: x.histc(4, 0, 3), (20,), grad=False, low=-1, high=4),
    case("histc-edges", lambda lib, x: lib.histc(lib.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]) + x * 0, 6, 0, 3),
         (7,), grad=False),
    case("histc-f64", lambda lib, x: lib.histc(x, bins=10), (30,), dtype="float64", grad=False),
    case("histc-nan", lambda lib, x: lib.histc(lib.where(x > 1, float("nan"), x), 5, -2, 2), (20,), grad=False),
]

CASES = SCANS + EXTREMES + ALIASES + NORMS + EINSUM + PRODUCTS + SORTING


@pytest.mark.parametrize("fn, shapes, kw", CASES)
def test_op(fn, shapes, kw, device):
    check_op(fn, shapes, device=device, **kw)


# ---- more than one case can say ----------------------------------------------------------------

@pytest.mark.parametrize("seed", range(20))
def test_sort_mode_median_match_torch_on_ties(seed):
    """Small integer inputs full of ties: sort (stable), mode (the smallest most frequent value, its last index) and
    median along a dim (its value) as PyTorch's."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, size=(5, int(rng.integers(1, 15))))
    ours, ref = al.tensor(a), torch.tensor(a)
    for desc in (False, True):
        s, t = al.sort(ours, dim=1, descending=desc, stable=True), torch.sort(ref, dim=1, descending=desc, stable=True)
        np.testing.assert_array_equal(s.values.numpy(), t.values.numpy())
        np.testing.assert_array_equal(s.indices.numpy(), t.indices.numpy())
    s, t = al.mode(ours, 1), torch.mode(ref, 1)
    np.testing.assert_array_equal(s.values.numpy(), t.values.numpy())
    np.testing.assert_array_equal(s.indices.numpy(), t.indices.numpy())
    np.testing.assert_array_equal(al.median(ours, 1).values.numpy(), torch.median(ref, 1).values.numpy())
    np.testing.assert_array_equal(al.median(ours).numpy(), torch.median(ref).numpy())


def test_histc_matches_torch_on_random_data():
    rng = np.random.default_rng(0)
    for dtype in ("float32", "float64"):
        x = rng.normal(size=1000).astype(dtype)
        for bins, lo, hi in ((100, 0, 0), (13, -1.5, 2.0), (7, -0.3, 0.3), (1, -1, 1)):
            np.testing.assert_array_equal(al.histc(al.tensor(x), bins, lo, hi).numpy(),
                                          torch.histc(torch.tensor(x), bins, lo, hi).numpy())


def test_return_types():
    x = al.tensor([[3.0, 1.0, 2.0]])
    for name, out in (("sort", al.sort(x)), ("kthvalue", al.kthvalue(x, 1)), ("median", al.median(x, 1)),
                      ("mode", al.mode(x))):
        assert type(out).__name__ == name
        values, indices = out
        assert out.values is values and out.indices is indices
        assert indices.dtype == al.int64


def test_non_differentiable_outputs():
    x = al.tensor([1.0, 2.0, 2.0], requires_grad=True)
    assert not al.unique(x).requires_grad
    assert not al.histc(x, 3).requires_grad
    assert not al.argsort(x).requires_grad
    assert not al.sort(x).indices.requires_grad
    assert al.sort(x).values.requires_grad


def test_svd_norms_second_derivative():
    a = al.tensor([[1.0, 2.0], [3.0, 5.0]], requires_grad=True)
    g, = al.autograd.grad(al.linalg.matrix_norm(a, "nuc"), a)
    u, _, vh = np.linalg.svd(a.detach().numpy())
    np.testing.assert_allclose(g.numpy(), u @ vh, rtol=1e-5)
    t = torch.tensor([[1.0, 2.0], [3.0, 5.0]], requires_grad=True)
    for lib, x in ((al, a), (torch, t)):     # second order through the differentiable SVD
        g, = lib.autograd.grad(lib.linalg.matrix_norm(x, 2), x, create_graph=True)
        x.grad = None
        (g * lib.tensor([[1.0, -2.0], [0.5, 3.0]])).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_norm_zero_gradient_is_zero_not_nan():
    x = al.zeros(3, requires_grad=True)
    al.norm(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3, np.float32))
    y = al.zeros(2, 3, requires_grad=True)
    g, = al.autograd.grad(al.linalg.vector_norm(y, dim=1).sum(), y, create_graph=True)
    h, = al.autograd.grad(g.sum(), y)
    assert np.all(np.isfinite(h.numpy()))


def test_einsum_output_has_its_own_storage():
    x = al.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = al.einsum("ij->ji", x)
    y[0, 0] = 10.0
    assert x[0, 0].item() == 1.0
    d = al.einsum("ii->i", x)
    d[0] = 7.0
    assert x[0, 0].item() == 1.0


def test_einsum_fourth_order_is_einsum():
    """The gradient of an einsum is an einsum, so every order works: d^3/dx^3 of sum(x_i x_i x_i) is 6."""
    x = al.tensor([0.5, -1.0], requires_grad=True)
    y = al.einsum("i,i,i->", x, x, x)
    g, = al.autograd.grad(y, x, create_graph=True)
    h, = al.autograd.grad(g.sum(), x, create_graph=True)
    k, = al.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(k.numpy(), [6.0, 6.0])


@st.composite
def einsum_equations(draw):
    """A random equation of 1 to 3 operands over letters of fixed sizes (repeats within an operand, letters summed
    away, implicit or explicit output, a size-1 letter) and the operand shapes."""
    sizes = {c: draw(st.integers(1, 3)) for c in "abcd"}
    terms = [draw(st.text("abcd", min_size=0, max_size=3)) for _ in range(draw(st.integers(1, 3)))]
    letters = sorted(set("".join(terms)))
    if draw(st.booleans()):
        out = "".join(draw(st.permutations(letters))[:draw(st.integers(0, len(letters)))])
        equation = ",".join(terms) + "->" + out
    else:
        equation = ",".join(terms)
    return equation, [tuple(sizes[c] for c in t) for t in terms]


@settings(max_examples=40, deadline=None)
@given(einsum_equations())
def test_einsum_random_equations(spec):
    """Forward, gradients and second derivatives of random equations against torch.einsum."""
    equation, shapes = spec
    check_op(lambda lib, *ops: lib.einsum(equation, *ops), shapes)


# ---- errors, in PyTorch's wording ---------------------------------------------------------------

def _f(*shape, dtype=None):
    return al.ones(*shape) if dtype is None else al.ones(*shape, dtype=dtype)


ERRORS = [
    # norms
    ("norm-int", lambda: al.norm(al.arange(3)), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    ("vector_norm-int", lambda: al.linalg.vector_norm(al.arange(3)), RuntimeError,
     "Expected a floating point or complex tensor as input. Got Long"),
    ("vector_norm-dtype-int", lambda: al.linalg.vector_norm(_f(3), dtype=al.int64), RuntimeError,
     "linalg.vector_norm: dtype should be floating point or complex, but got Long"),
    ("vector_norm-narrowing", lambda: al.linalg.vector_norm(_f(3, dtype=al.float64), dtype=al.float32), RuntimeError,
     r"the dtype of the input \(Double\) should be convertible without narrowing to the specified dtype \(Float\)"),
    ("vector_norm-ord-str", lambda: al.linalg.vector_norm(_f(3), ord="fro"), TypeError,
     "argument 'ord' must be Number, not str"),
    ("vector_norm-empty-inf", lambda: al.linalg.vector_norm(_f(0), ord=INF), RuntimeError,
     "cannot compute the inf norm on an empty tensor because the operation does not have an identity"),
    ("vector_norm-empty-neg", lambda: al.linalg.vector_norm(_f(0), ord=-1), RuntimeError,
     "cannot compute the -1 norm on an empty tensor"),
    ("vector_norm-empty-dim", lambda: al.linalg.vector_norm(_f(0, 3), ord=INF, dim=0), RuntimeError,
     "cannot compute the inf norm on the dimension 0 because this dimension is empty"),
    ("vector_norm-dim-range", lambda: al.linalg.vector_norm(_f(2, 3), 2, 5), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)"),
    ("vector_norm-dim-twice", lambda: al.linalg.vector_norm(_f(2, 3), dim=(0, 0)), RuntimeError,
     "appears multiple times in the list of dims"),
    ("matrix_norm-1d", lambda: al.linalg.matrix_norm(_f(3)), RuntimeError,
     "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."),
    ("matrix_norm-int", lambda: al.linalg.matrix_norm(_f(3, 3, dtype=al.int64)), RuntimeError,
     "linalg.matrix_norm: Expected a floating point or complex tensor as input. Got Long"),
    ("matrix_norm-order", lambda: al.linalg.matrix_norm(_f(3, 3), 3), RuntimeError,
     "linalg.matrix_norm: Order 3 not supported."),
    ("matrix_norm-order-str", lambda: al.norm(_f(3, 3), p="abc"), RuntimeError,
     "linalg.matrix_norm: Order abc not supported."),
    ("matrix_norm-same-dims", lambda: al.linalg.matrix_norm(_f(3, 3), dim=(0, 0)), RuntimeError,
     r"linalg.matrix_norm: dims must be different. Got \(0, 0\)"),
    ("matrix_norm-3-dims", lambda: al.norm(_f(3, 3, 3), p="fro", dim=(0, 1, 2)), RuntimeError,
     "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
    ("norm-nuc-int-dim", lambda: al.norm(_f(3, 3), p="nuc", dim=0), RuntimeError,
     "linalg.matrix_norm: dim must be a 2-tuple. Got 0"),
    ("linalg.norm-3d-ord", lambda: al.linalg.norm(_f(3, 3, 3), ord=2), RuntimeError,
     "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D."),
    ("linalg.norm-3-dims", lambda: al.linalg.norm(_f(3, 3, 3), dim=(0, 1, 2)), RuntimeError,
     r"linalg.norm: If dim is specified, it must be of length 1 or 2. Got \[0, 1, 2\]"),
    ("linalg.norm-fro-1d", lambda: al.linalg.norm(_f(3), ord="fro"), RuntimeError,
     "The input tensor A must have at least 2 dimensions."),
    ("dist-int", lambda: al.dist(al.arange(3), al.arange(3)), RuntimeError,
     "input dtype should be either floating point or complex. Got Long instead."),
    ("dist-shapes", lambda: al.dist(_f(3), _f(4)), RuntimeError, r"\(3,\) and \(4,\)"),
    ("cdist-1d", lambda: al.cdist(_f(3), _f(3)), RuntimeError, "cdist only supports at least 2D tensors, X1 got: 1D"),
    ("cdist-1d-x2", lambda: al.cdist(_f(2, 3), _f(3)), RuntimeError,
     "cdist only supports at least 2D tensors, X2 got: 1D"),
    ("cdist-int", lambda: al.cdist(_f(3, 2, dtype=al.int64), _f(3, 2, dtype=al.int64)), RuntimeError,
     "cdist only supports floating-point dtypes, X1 got: Long"),
    ("cdist-columns", lambda: al.cdist(_f(3, 2), _f(3, 4)), RuntimeError,
     "X1 and X2 must have the same number of columns. X1: 2 X2: 4"),
    ("cdist-p", lambda: al.cdist(_f(3, 2), _f(3, 2), p=-1), RuntimeError,
     "cdist only supports non-negative p values"),
    ("cdist-batch", lambda: al.cdist(_f(2, 3, 2), _f(3, 3, 2)), RuntimeError,
     r"The size of tensor a \(2\) must match the size of tensor b \(3\) at non-singleton dimension 0"),
    ("cdist-mode", lambda: al.cdist(_f(3, 2), _f(3, 2), compute_mode="x"), ValueError,
     "x is not a valid value for compute_mode"),
    ("cdist-dtypes", lambda: al.cdist(_f(3, 2), _f(3, 2, dtype=al.float64)), RuntimeError,
     "expected scalar type Float but found Double"),
    # einsum
    ("einsum-size", lambda: al.einsum("ij,jk->ik", _f(2, 3), _f(4, 4)), RuntimeError,
     "einsum\\(\\): subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3"),
    ("einsum-fewer", lambda: al.einsum("ij,jk->ik", _f(2, 3)), RuntimeError,
     r"einsum\(\): fewer operands were provided than specified in the equation"),
    ("einsum-more", lambda: al.einsum("ij->ij", _f(2, 3), _f(2, 3)), RuntimeError,
     r"einsum\(\): more operands were provided than specified in the equation"),
    ("einsum-ndim", lambda: al.einsum("ij,jk->ik", _f(2, 3), _f(3, 4, 1)), RuntimeError,
     r"the number of subscripts in the equation \(2\) does not match the number of dimensions \(3\) for operand 1 "
     "and no ellipsis was given"),
    ("einsum-ellipsis-ndim", lambda: al.einsum("ijk...->i", _f(2, 3)), RuntimeError,
     r"the number of subscripts in the equation \(3\) is more than the number of dimensions \(2\) for operand 0"),
    ("einsum-repeat-size", lambda: al.einsum("ii->i", _f(2, 3)), RuntimeError,
     "subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
    ("einsum-char", lambda: al.einsum("i0->i", _f(2, 3)), RuntimeError,
     r"invalid subscript given at index 1 in the equation string, subscripts must be in \[a-zA-Z\]"),
    ("einsum-out-twice", lambda: al.einsum("ij->ii", _f(2, 3)), RuntimeError,
     "output subscript i appears more than once in the output"),
    ("einsum-out-unknown", lambda: al.einsum("ij->k", _f(2, 3)), RuntimeError,
     "output subscript k does not appear in the equation for any input operand"),
    ("einsum-dtypes", lambda: al.einsum("ij,jk->ik", _f(2, 3), _f(3, 4, dtype=al.float64)), RuntimeError,
     "expected scalar type Float but found Double"),
    ("einsum-bool", lambda: al.einsum("ij,jk", _f(2, 3, dtype=al.bool), _f(3, 4, dtype=al.bool)),
     NotImplementedError, "\"einsum\" not implemented for 'Bool'"),
    ("einsum-no-operand", lambda: al.einsum("ij"), RuntimeError, "must provide at least one operand"),
    ("einsum-stray-dot", lambda: al.einsum("i.j->i", _f(2, 3)), RuntimeError, "found '.' for operand 0"),
    ("einsum-sublist-range", lambda: al.einsum(_f(2, 3), [0, 60]), RuntimeError,
     r"expected subscript to be within the range \[0, 52\), but got 60"),
    # addmm / baddbmm
    ("addmm-shapes", lambda: al.addmm(_f(2, 5), _f(2, 3), _f(4, 5)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    ("addmm-input", lambda: al.addmm(_f(2, 4), _f(2, 3), _f(3, 5)), RuntimeError,
     r"The expanded size of the tensor \(5\) must match the existing size \(4\) at non-singleton dimension 1.  "
     r"Target sizes: \[2, 5\].  Tensor sizes: \[2, 4\]"),
    ("addmm-mat1-3d", lambda: al.addmm(_f(5), _f(2, 3, 1), _f(3, 5)), RuntimeError, "mat1 must be a matrix, got 3-D"),
    ("addmm-mat2-1d", lambda: al.addmm(_f(5), _f(2, 3), _f(3)), RuntimeError, "mat2 must be a matrix, got 1-D"),
    ("addmm-input-dtype", lambda: al.addmm(_f(5, dtype=al.int64), _f(2, 3), _f(3, 5)), RuntimeError,
     "self and mat2 must have the same dtype, but got Long and Float"),
    ("addmm-mat-dtypes", lambda: al.addmm(_f(5), _f(2, 3, dtype=al.float64), _f(3, 5)), RuntimeError,
     "mat1 and mat2 must have the same dtype, but got Double and Float"),
    ("addmm-bool", lambda: al.addmm(_f(5, dtype=al.bool), _f(2, 3, dtype=al.bool), _f(3, 5, dtype=al.bool)),
     NotImplementedError, "\"addmm\" not implemented for 'Bool'"),
    ("baddbmm-batch", lambda: al.baddbmm(_f(5), _f(2, 2, 3), _f(3, 3, 5)), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[3, 3\]."),
    ("baddbmm-inner", lambda: al.baddbmm(_f(5), _f(2, 2, 3), _f(2, 4, 5)), RuntimeError,
     r"batch2 tensor to be: \[2, 3\] but got: \[2, 4\]."),
    ("baddbmm-2d", lambda: al.baddbmm(_f(5), _f(2, 3), _f(3, 5)), RuntimeError, "batch1 must be a 3D tensor"),
    ("baddbmm-input", lambda: al.baddbmm(_f(3, 5), _f(2, 2, 3), _f(2, 3, 5)), RuntimeError,
     r"The expanded size of the tensor \(2\) must match the existing size \(3\) at non-singleton dimension 1"),
    ("baddbmm-dtypes", lambda: al.baddbmm(_f(2, 1, 5, dtype=al.float64), _f(2, 2, 3), _f(2, 3, 5)), RuntimeError,
     "Input dtypes must be the same, got: input double, batch1: float, batch2: float"),
    # sorting and counting
    ("sort-dim", lambda: al.sort(_f(3, 4), dim=2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    ("argsort-dim", lambda: al.argsort(_f(3, 2), dim=-3), IndexError, "but got -3"),
    ("kthvalue-k-big", lambda: al.kthvalue(_f(3, 4), 5), RuntimeError,
     r"kthvalue\(\): selected number k out of range for dimension 1"),
    ("kthvalue-k-zero", lambda: al.kthvalue(_f(3, 4), 0), RuntimeError, "selected number k out of range"),
    ("kthvalue-0d", lambda: al.kthvalue(al.tensor(3.0), 2), RuntimeError,
     "selected number k out of range for dimension 0"),
    ("kthvalue-dim", lambda: al.kthvalue(_f(3, 4), 2, dim=3), IndexError, "Dimension out of range"),
    ("median-empty-dim", lambda: al.median(_f(0, 3), 0), IndexError,
     r"median\(\): Expected reduction dim 0 to have non-zero size."),
    ("mode-empty-dim", lambda: al.mode(_f(0, 3), 0), IndexError,
     r"mode\(\): Expected reduction dim 0 to have non-zero size."),
    ("unique-dim", lambda: al.unique(al.tensor([[2, 1], [2, 1]]), dim=2), IndexError, "Dimension out of range"),
    ("unique-dim-0d", lambda: al.unique(al.tensor(3), dim=0), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    ("bincount-negative", lambda: al.bincount(al.tensor([-1, 2])), RuntimeError,
     "bincount only supports 1-d non-negative integral inputs."),
    ("bincount-2d", lambda: al.bincount(al.tensor([[1, 2]])), RuntimeError,
     "bincount only supports 1-d non-negative integral inputs."),
    ("bincount-float", lambda: al.bincount(al.tensor([1.0, 2.0])), NotImplementedError,
     "\"bincount\" not implemented for 'Float'"),
    ("bincount-bool", lambda: al.bincount(al.tensor([True, False])), NotImplementedError,
     "\"bincount\" not implemented for 'Bool'"),
    ("bincount-weights", lambda: al.bincount(al.tensor([1, 3, 3, 0]), weights=al.tensor([1.0, 2.0, 3.0])),
     RuntimeError, "weights should be 1-d and have the same length as input"),
    ("bincount-minlength", lambda: al.bincount(al.tensor([1, 2]), minlength=-1), RuntimeError,
     "minlength should be >= 0"),
    ("histc-int", lambda: al.histc(al.tensor([1, 2, 1]), bins=4), NotImplementedError,
     "\"histc\" not implemented for 'Long'"),
    ("histc-bins", lambda: al.histc(al.tensor([1.0, 2.0]), bins=0), RuntimeError, "bins must be > 0, but got 0"),
    ("histc-min-max", lambda: al.histc(al.tensor([1.0, 2.0]), bins=4, min=3, max=1), RuntimeError,
     "histc: max must be larger than min"),
    ("histc-inf", lambda: al.histc(al.tensor([1.0, float("inf"), 1.0]), bins=4), RuntimeError,
     r"histc: range of \[1, inf\] is not finite"),
    # reductions and scans
    ("cumsum-dim", lambda: al.cumsum(_f(3, 4), 2), IndexError, "Dimension out of range"),
    ("cumprod-dim", lambda: al.cumprod(_f(3), -2), IndexError, "Dimension out of range"),
    ("amax-dim-twice", lambda: al.amax(_f(3, 4), (1, -1)), RuntimeError, "appears multiple times"),
    ("any-dim", lambda: al.any(_f(3, 4), dim=2), IndexError, "Dimension out of range"),
    ("sum-axis-range", lambda: _f(3, 4).sum(axis=3), IndexError, "Dimension out of range"),
]


@pytest.mark.parametrize("fn, exc, pattern", [pytest.param(f, e, p, id=n) for n, f, e, p in ERRORS])
def test_error(fn, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn()


@pytest.mark.parametrize("name, fn, exc, pattern", [
    ("cdist-devices", lambda dev: al.cdist(_f(3, 2), _f(3, 2).to(dev)), RuntimeError, "same device"),
    ("einsum-devices", lambda dev: al.einsum("ij,jk", _f(2, 3), _f(3, 2).to(dev)), RuntimeError, "same device"),
    ("addmm-devices", lambda dev: al.addmm(_f(2), _f(2, 3), _f(3, 2).to(dev)), RuntimeError, "same device"),
    ("bincount-devices", lambda dev: al.bincount(al.tensor([0, 1]), al.ones(2).to(dev)), RuntimeError,
     "same device"),
    ("matmul-devices", lambda dev: al.ones(2, 3) @ al.ones(3, 2).to(dev), RuntimeError, "same device"),
    ("matmul-devices-grad", lambda dev: al.ones(2, 3, requires_grad=True) @ al.ones(3, 2).to(dev), RuntimeError,
     "same device"),
    ("matmul-devices-3d", lambda dev: al.ones(2, 2, 3) @ al.ones(3, 2).to(dev), RuntimeError, "same device"),
])
def test_mixed_devices(name, fn, exc, pattern, fake_cuda):
    with pytest.raises(exc, match=pattern):
        fn(fake_cuda)


def test_torch_also_refuses_what_we_refuse():
    """The error cases' PyTorch counterparts raise too (a check on the table above, for the ones named alike)."""
    with pytest.raises(RuntimeError, match="selected number k out of range for dimension 1"):
        torch.kthvalue(torch.ones(3, 4), 5)
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        torch.addmm(torch.zeros(2, 5), torch.zeros(2, 3), torch.zeros(4, 5))
    with pytest.raises(RuntimeError, match="subscript i is repeated for operand 0"):
        torch.einsum("ii->i", torch.ones(2, 3))
    assert math.isnan(torch.median(torch.tensor([])).item()) and math.isnan(al.median(al.tensor([])).item())
