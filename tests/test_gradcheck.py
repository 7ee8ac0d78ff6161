"""Every differentiable op's backward against central finite differences (float64, no torch)."""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.autograd import Function, gradcheck

try:
    from op_helpers import functional, random_inputs
except ImportError:  # tests/ imported as a package
    from tests.op_helpers import functional, random_inputs

F = functional(al)
idx = al.tensor


def case(name, fn, *shapes, **kw):
    return pytest.param(fn, shapes, kw, id=name)


CASES = [
    case("add-bcast", lambda x, y: x + y, (3, 4), (4,)),
    case("add-bcast-3d", lambda x, y: x + y, (2, 1, 4), (3, 1)),
    case("sub-scalar-tensor", lambda x, y: x - y, (), (2, 3)),
    case("mul-bcast", lambda x, y: x * y, (3, 4), (3, 1)),
    case("mul-1", lambda x, y: x * y, (1,), (5,)),
    case("div-bcast", lambda x, y: x / y, (3, 4), (4,)),
    case("pow-tensor", lambda x, y: x ** y, (3, 4), (4,), positive=True),
    case("pow-lib", lambda x, y: al.pow(x, y), (2, 3), (2, 1), positive=True),
    case("scalar-ops", lambda x: (2 * x + 1) / 3 - x * 0.5, (3, 4)),
    case("scalar-rsub-rdiv", lambda x: 1 - 3 / x, (3, 4)),
    case("scalar-rpow", lambda x: 2 ** x, (3, 4)),
    case("scalar-pow", lambda x: x ** 3 + x ** -1, (3, 4)),
    case("scalar-pow-half", lambda x: x ** 0.5, (3, 4), positive=True),
    case("neg", lambda x: -x, (3, 4)),
    case("abs", lambda x: al.abs(x), (3, 4)),
    case("exp", lambda x: al.exp(x), (3, 4)),
    case("log", lambda x: al.log(x), (3, 4), positive=True),
    case("sqrt", lambda x: al.sqrt(x), (3, 4), positive=True),
    case("sin", lambda x: al.sin(x), (3, 4)),
    case("cos", lambda x: al.cos(x), (3, 4)),
    case("tanh", lambda x: al.tanh(x), (3, 4)),
    case("sigmoid", lambda x: al.sigmoid(x), (3, 4)),
    case("relu", lambda x: al.relu(x), (3, 4)),
    case("clamp", lambda x: al.clamp(x, -0.5, 0.5), (4, 5)),
    case("clamp-min", lambda x: x.clamp(min=0.3), (4, 5)),
    case("clamp-max", lambda x: x.clamp(max=-0.3), (4, 5)),
    case("maximum", lambda x, y: al.maximum(x, y), (3, 4), (4,)),
    case("minimum", lambda x, y: al.minimum(x, y), (3, 4), (3, 1)),
    case("matmul-1d@1d", lambda x, y: x @ y, (4,), (4,)),
    case("matmul-2d@1d", lambda x, y: x @ y, (3, 4), (4,)),
    case("matmul-1d@2d", lambda x, y: x @ y, (4,), (4, 2)),
    case("matmul-2d@2d", lambda x, y: x @ y, (3, 4), (4, 2)),
    case("matmul-3d@3d", lambda x, y: x @ y, (2, 3, 4), (2, 4, 2)),
    case("matmul-3d@2d", lambda x, y: x @ y, (2, 3, 4), (4, 2)),
    case("matmul-batch-bcast", lambda x, y: al.matmul(x, y), (1, 2, 3), (2, 3, 2)),
    case("mm", lambda x, y: al.mm(x, y), (3, 4), (4, 2)),
    case("bmm", lambda x, y: al.bmm(x, y), (2, 3, 4), (2, 4, 2)),
    case("sum", lambda x: x.sum(), (3, 4)),
    case("sum-dim", lambda x: x.sum(dim=-1), (2, 3, 4)),
    case("sum-dim-tuple-keepdim", lambda x: x.sum(dim=(0, 2), keepdim=True), (2, 3, 4)),
    case("mean", lambda x: x.mean(), (3, 4)),
    case("mean-dim-keepdim", lambda x: x.mean(dim=1, keepdim=True), (3, 4)),
    case("mean-dim-tuple", lambda x: x.mean(dim=(1, 2)), (2, 3, 4)),
    case("prod", lambda x: x.prod(), (2, 3)),
    case("prod-dim", lambda x: x.prod(dim=1), (3, 4)),
    case("max-full", lambda x: x.max(), (3, 4)),
    case("max-dim", lambda x: x.max(dim=1)[0], (3, 4)),
    case("max-dim-keepdim", lambda x: x.max(dim=-1, keepdim=True).values, (2, 3, 4)),
    case("min-full", lambda x: x.min(), (3, 4)),
    case("min-dim", lambda x: x.min(dim=0)[0], (3, 4)),
    case("topk", lambda x: x.topk(2)[0], (3, 5)),
    case("topk-smallest-dim0", lambda x: al.topk(x, 2, dim=0, largest=False)[0], (4, 3)),
    case("var", lambda x: x.var(), (3, 4)),
    case("var-dim-correction0", lambda x: x.var(dim=1, correction=0), (3, 4)),
    case("var-dim-tuple-keepdim", lambda x: x.var(dim=(0, 2), keepdim=True), (2, 3, 4)),
    case("std", lambda x: x.std(), (3, 4)),
    case("std-dim-unbiased-false", lambda x: x.std(dim=0, unbiased=False), (3, 4)),
    case("softmax-dim0", lambda x: al.softmax(x, dim=0), (3, 4)),
    case("softmax-dim1", lambda x: al.softmax(x, dim=1), (3, 4)),
    case("softmax-dim-neg", lambda x: x.softmax(dim=-1), (2, 3, 4)),
    case("log_softmax-dim0", lambda x: al.log_softmax(x, dim=0), (3, 4)),
    case("log_softmax-dim1", lambda x: al.log_softmax(x, dim=1), (3, 4)),
    case("log_softmax-dim-neg", lambda x: x.log_softmax(dim=-1), (2, 3, 4)),
    case("logsumexp-dim0", lambda x: al.logsumexp(x, dim=0), (3, 4)),
    case("logsumexp-dim1-keepdim", lambda x: al.logsumexp(x, dim=1, keepdim=True), (3, 4)),
    case("logsumexp-dim-neg", lambda x: x.logsumexp(dim=-1), (2, 3, 4)),
    case("view", lambda x: x.view(2, -1) * x.view(2, -1), (3, 4)),
    case("reshape", lambda x: x.reshape(4, -1).exp(), (2, 3, 2)),
    case("flatten", lambda x: x.flatten(start_dim=1).sin(), (2, 3, 2)),
    case("squeeze", lambda x: x.squeeze().exp(), (1, 3, 1, 2)),
    case("squeeze-dim", lambda x: x.squeeze(-2) @ x.squeeze(-2).t(), (3, 1, 2)),
    case("unsqueeze", lambda x: x.unsqueeze(1) * x.unsqueeze(0), (3,)),
    case("transpose", lambda x: x.transpose(0, 2) * 2, (2, 3, 4)),
    case("permute", lambda x: x.permute(2, 0, 1).sin(), (2, 3, 2)),
    case("t", lambda x: x.t() @ x, (3, 2)),
    case("T", lambda x: x.T.exp(), (3, 2)),
    case("expand", lambda x: x.expand(-1, 4).sin(), (3, 1)),
    case("expand-new-dim", lambda x: x.expand(2, 3, 4).exp(), (3, 1)),
    case("contiguous", lambda x: x.t().contiguous().view(-1).sin(), (3, 2)),
    case("index-int-slice", lambda x: x[1, ::2] * x[-1, 1::2], (3, 4)),
    case("index-none-ellipsis", lambda x: x[None, ..., 1:3], (2, 3, 4)),
    case("index-bool-mask", lambda x: x[x > 0], (3, 4)),
    case("index-long-repeat", lambda x: x[idx([0, 2, 0, 0])], (3, 4)),
    case("index-long-pair", lambda x: x[idx([0, 2, 0]), idx([1, 3, 1])], (3, 4)),
    case("index-long-mixed", lambda x: x[idx([0, 2, 0]), 1:3], (3, 4)),
    case("cat", lambda x, y: al.cat([x, y], dim=1), (2, 3), (2, 2)),
    case("cat-neg", lambda x, y: al.cat([x, y, x], dim=-1), (2, 1), (2, 2)),
    case("stack", lambda x, y: al.stack([x, y], dim=1), (2, 3), (2, 3)),
    case("stack-neg", lambda x, y: al.stack([x, y, x], dim=-1), (2, 3), (2, 3)),
    case("where", lambda x, y: al.where(x > y, x, y * 2), (3, 4), (4,)),
    case("masked_fill", lambda x: x.masked_fill(x > 0.5, 0.0), (3, 4)),
    case("gather", lambda x: al.gather(x, 1, idx([[0, 0], [1, 0], [3, 3]])), (3, 4)),
    case("F.relu", lambda x: F.relu(x), (3, 4)),
    case("F.sigmoid", lambda x: F.sigmoid(x), (3, 4)),
    case("F.tanh", lambda x: F.tanh(x), (3, 4)),
    case("F.softmax", lambda x: F.softmax(x, dim=1), (3, 4)),
    case("F.log_softmax", lambda x: F.log_softmax(x, dim=-1), (3, 4)),
    case("F.linear", lambda x, w, b: F.linear(x, w, b), (5, 3), (4, 3), (4,)),
    case("F.linear-nobias-3d", lambda x, w: F.linear(x, w), (2, 2, 3), (4, 3)),
    case("composite-mlp", lambda x, w: F.log_softmax(al.tanh(x @ w), dim=1).sum(dim=0),
         (4, 3), (3, 2)),
]


def first(out):
    return out[0] if isinstance(out, (tuple, list)) else out


@pytest.mark.parametrize("fn, shapes, kw", CASES)
def test_gradcheck(fn, shapes, kw):
    arrays = random_inputs(shapes, "float64", **kw)
    inputs = tuple(al.tensor(a, requires_grad=True) for a in arrays)
    assert all(t.dtype == al.float64 for t in inputs)
    assert gradcheck(lambda *ts: first(fn(*ts)), inputs)


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * grad * x


class BadSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # wrong on purpose: d(x*x)/dx is 2x


def _x():
    return al.tensor(np.array([[0.3, -1.2, 0.7], [1.5, -0.4, 2.0]]), requires_grad=True)


def test_gradcheck_accepts_correct_custom_function():
    x = _x()
    assert gradcheck(Square.apply, (x,)) is True
    assert gradcheck(Square.apply, (x,), raise_exception=False) is True


def test_gradcheck_detects_wrong_backward():
    x = _x()
    assert gradcheck(BadSquare.apply, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError):
        gradcheck(BadSquare.apply, (x,))


def test_gradcheck_detects_wrong_backward_in_second_input():
    x, y = _x(), al.tensor(np.full((2, 3), 0.5), requires_grad=True)
    assert gradcheck(lambda a, b: a * 3 + BadSquare.apply(b), (x, y), raise_exception=False) is False
    assert gradcheck(lambda a, b: BadSquare.apply(a) * 0 + Square.apply(b), (x, y)) is True
