"""The autograd engine: backward, accumulation, retain_graph, autograd.grad, hooks, grad mode,
detach, graph release (garbage test), deep graphs, in-place checks and custom Functions.

Expected values and behaviours are PyTorch's (checked against torch on the CPU).
"""
import gc
import threading
import warnings
import weakref

import numpy as np
import pytest

import autograd_lite as al


def arr(t):
    return np.array(t.detach().numpy())


def assert_grad(t, expected, dtype=None, rtol=1e-5):
    assert t.grad is not None, "grad is None"
    assert t.grad.dtype == (dtype if dtype is not None else t.dtype)
    assert t.grad.shape == t.shape
    np.testing.assert_allclose(arr(t.grad), np.asarray(expected, dtype=np.float64), rtol=rtol, atol=1e-6)


# --------------------------------------------------------------------------------------------
# backward basics
# --------------------------------------------------------------------------------------------

def test_backward_fills_leaf_grads():
    x = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = al.tensor([4.0, 5.0, 6.0], requires_grad=True)
    c = al.tensor([1.0, 1.0, 2.0])  # does not require grad
    loss = (x * w * c).sum()
    assert loss.requires_grad and loss.shape == ()
    assert loss.backward() is None
    assert_grad(x, [4.0, 5.0, 12.0], al.float32)
    assert_grad(w, [1.0, 2.0, 6.0], al.float32)
    assert c.grad is None


def test_backward_grad_dtype_follows_leaf():
    x = al.tensor([1.0, 2.0], dtype=al.float64, requires_grad=True)
    (x * x).sum().backward()
    assert_grad(x, [2.0, 4.0], al.float64)
    y = al.tensor([1.0, 2.0], requires_grad=True)
    (y.double() * 3).sum().backward()
    assert_grad(y, [3.0, 3.0], al.float32)


def test_backward_broadcasting_unbroadcasts():
    x = al.ones(2, 3, requires_grad=True)
    b = al.tensor([1.0, 2.0, 3.0], requires_grad=True)
    s = al.tensor(2.0, requires_grad=True)
    ((x + b) * s).sum().backward()
    assert_grad(x, np.full((2, 3), 2.0))
    assert_grad(b, [4.0, 4.0, 4.0])
    assert_grad(s, 6 + 2 * (1 + 2 + 3))  # sum(x + b)


def test_grads_accumulate_across_two_backwards():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    assert_grad(x, [3.0, 3.0])
    (x * x).sum().backward()
    assert_grad(x, [5.0, 7.0])
    x.grad.zero_()
    (x * 2).sum().backward()
    assert_grad(x, [2.0, 2.0])
    x.grad = None
    (x * 4).sum().backward()
    assert_grad(x, [4.0, 4.0])


def test_backward_with_gradient_for_non_scalar():
    x = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * x
    g = al.tensor([[1.0, 0.5], [0.0, -1.0]])
    y.backward(gradient=g)
    assert_grad(x, 2 * np.array([[1.0, 2.0], [3.0, 4.0]]) * np.array([[1.0, 0.5], [0.0, -1.0]]))
    x2 = al.tensor([1.0, 2.0], requires_grad=True)
    (x2 * 3).backward(al.ones(2))
    assert_grad(x2, [3.0, 3.0])


def test_retain_graph_allows_second_backward():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    g1 = np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0]))
    assert_grad(x, g1)
    y.backward(retain_graph=True)
    assert_grad(x, 2 * g1)
    y.backward()
    assert_grad(x, 3 * g1)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


@pytest.mark.parametrize("make", [lambda x: x.exp().sum(), lambda x: (x * x).sum(), lambda x: (x @ x.T).sum()],
                         ids=["exp", "mul", "matmul"])
def test_saved_arrays_released_after_backward(make):
    x = al.rand(3, 3, requires_grad=True)
    y = make(x)
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_requires_grad_propagation_and_is_leaf():
    x = al.tensor([1.0], requires_grad=True)
    c = al.tensor([2.0])
    y = x * c
    z = c * 2
    assert x.is_leaf and c.is_leaf
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
    assert z.is_leaf and not z.requires_grad and z.grad_fn is None
    assert x.grad_fn is None


@pytest.mark.parametrize(
    "name, make",
    [
        ("MulBackward0", lambda x, y: x * y),
        ("MulBackward0", lambda x, y: x * 2),
        ("AddBackward0", lambda x, y: x + y),
        ("AddBackward0", lambda x, y: x + 1),
        ("SubBackward0", lambda x, y: x - y),
        ("DivBackward0", lambda x, y: x / y),
        ("SumBackward0", lambda x, y: x.sum()),
        ("MeanBackward0", lambda x, y: x.mean()),
        ("ExpBackward0", lambda x, y: x.exp()),
        ("NegBackward0", lambda x, y: -x),
        ("PowBackward0", lambda x, y: x**2),
    ],
)
def test_grad_fn_names(name, make):
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = al.tensor([3.0, 4.0], requires_grad=True)
    out = make(x, y)
    assert name in repr(out.grad_fn)
    assert f"grad_fn=<{name}>" in repr(out)


# --------------------------------------------------------------------------------------------
# graph shapes
# --------------------------------------------------------------------------------------------

def test_same_tensor_used_twice():
    x = al.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    assert_grad(x, [2.0, -4.0, 6.0])
    x.grad = None
    (x + x).sum().backward()
    assert_grad(x, [2.0, 2.0, 2.0])
    x.grad = None
    (x * x * x).sum().backward()
    assert_grad(x, 3 * np.array([1.0, -2.0, 3.0]) ** 2)


def test_diamond_graph():
    xv = np.array([0.5, -1.0, 2.0])
    x = al.tensor(xv.tolist(), requires_grad=True)
    a = x * 2
    b = a.exp()
    c = a * 3
    out = (b + c).sum()
    out.backward()
    assert_grad(x, 2 * np.exp(2 * xv) + 6)


def test_grad_not_aliased_between_leaves():
    a = al.tensor([1.0, 2.0], requires_grad=True)
    b = al.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.add_(10)
    assert_grad(b, [1.0, 1.0])
    assert_grad(a, [11.0, 11.0])


def test_grad_not_aliased_to_user_gradient():
    a = al.tensor([1.0, 2.0], requires_grad=True)
    b = al.tensor([3.0, 4.0], requires_grad=True)
    g = al.tensor([1.0, 1.0])
    (a + b).backward(g)
    assert not np.shares_memory(a.grad.numpy(), g.numpy())
    assert not np.shares_memory(b.grad.numpy(), g.numpy())
    g.mul_(5)
    assert_grad(a, [1.0, 1.0])
    assert_grad(b, [1.0, 1.0])
    a.grad.add_(1)
    np.testing.assert_array_equal(arr(g), [5.0, 5.0])
    # backward called on a leaf itself
    c = al.tensor([1.0, 2.0], requires_grad=True)
    h = al.tensor([2.0, 3.0])
    c.backward(h)
    assert_grad(c, [2.0, 3.0])
    assert not np.shares_memory(c.grad.numpy(), h.numpy())
    h.zero_()
    assert_grad(c, [2.0, 3.0])


# --------------------------------------------------------------------------------------------
# autograd.grad
# --------------------------------------------------------------------------------------------

def test_autograd_grad_returns_tuple_and_leaves_grad_alone():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    w = al.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    gx, gw = al.autograd.grad(y, (x, w))
    assert x.grad is None and w.grad is None
    np.testing.assert_allclose(arr(gx), [3.0, 4.0])
    np.testing.assert_allclose(arr(gw), [1.0, 2.0])
    assert gx.dtype == al.float32 and gx.shape == (2,)

    y = (x * x).sum()
    res = al.autograd.grad(y, x)
    assert isinstance(res, tuple) and len(res) == 1
    np.testing.assert_allclose(arr(res[0]), [2.0, 4.0])
    assert x.grad is None

    y = (x * x).sum()
    res = al.autograd.grad([y], [x])
    assert isinstance(res, tuple) and len(res) == 1


def test_autograd_grad_grad_outputs_and_retain_graph():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    (g,) = al.autograd.grad(y, x, grad_outputs=al.tensor([1.0, 0.5]), retain_graph=True)
    np.testing.assert_allclose(arr(g), np.exp([1.0, 2.0]) * [1.0, 0.5], rtol=1e-6)
    (g,) = al.autograd.grad(y, [x], grad_outputs=[al.ones(2)], retain_graph=None)
    np.testing.assert_allclose(arr(g), np.exp([1.0, 2.0]), rtol=1e-6)
    assert x.grad is None
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        al.autograd.grad(y, x, grad_outputs=al.ones(2))


def test_autograd_grad_then_backward():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp()).sum()
    (g,) = al.autograd.grad(y, x, retain_graph=True)
    y.backward()
    np.testing.assert_allclose(arr(g), arr(x.grad), rtol=1e-6)


def test_autograd_backward_function():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    al.autograd.backward((x * 3).sum())
    assert_grad(x, [3.0, 3.0])


# --------------------------------------------------------------------------------------------
# hooks and retain_grad
# --------------------------------------------------------------------------------------------

def test_register_hook_on_leaf():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def hook(g):
        seen.append(arr(g))
        return g * 2

    handle = x.register_hook(hook)
    (x * 3).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    assert_grad(x, [6.0, 6.0])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert len(seen) == 1
    assert_grad(x, [3.0, 3.0])


def test_register_hook_returning_none_keeps_grad():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.shape))
    (x * 5).sum().backward()
    assert seen == [(2,)]
    assert_grad(x, [5.0, 5.0])


def test_register_hook_on_non_leaf():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []

    def hook(g):
        seen.append(arr(g))
        return g * 10

    handle = y.register_hook(hook)
    (y * y).sum().backward(retain_graph=True)
    np.testing.assert_allclose(seen[0], 2 * 3 * np.array([1.0, 2.0]))
    assert_grad(x, 10 * 3 * 2 * 3 * np.array([1.0, 2.0]))  # hook result flows upstream
    handle.remove()
    x.grad = None
    y.sum().backward()
    assert len(seen) == 1
    assert_grad(x, [3.0, 3.0])


def test_retain_grad_on_non_leaf():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = x * 2
    (y * y + z).sum().backward()
    assert_grad(y, 2 * 3 * np.array([1.0, 2.0]))
    assert_grad(x, 2 * 9 * np.array([1.0, 2.0]) + 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns when reading a non-leaf's .grad
        assert z.grad is None


# --------------------------------------------------------------------------------------------
# grad mode
# --------------------------------------------------------------------------------------------

def test_no_grad_context():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    assert al.is_grad_enabled()
    with al.no_grad():
        assert not al.is_grad_enabled()
        y = x * 2
        z = (x @ x).exp()
    assert al.is_grad_enabled()
    for t in (y, z):
        assert t.requires_grad is False and t.grad_fn is None and t.is_leaf
    np.testing.assert_allclose(arr(y), [2.0, 4.0])


def test_enable_grad_inside_no_grad_and_nesting():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    with al.no_grad():
        with al.enable_grad():
            assert al.is_grad_enabled()
            y = x * 2
        assert not al.is_grad_enabled()
        with al.no_grad():
            assert not al.is_grad_enabled()
        assert not al.is_grad_enabled()
        with al.set_grad_enabled(True):
            w = x * 2
        u = x * 2
    assert y.requires_grad and y.grad_fn is not None
    assert w.requires_grad
    assert not u.requires_grad
    with al.set_grad_enabled(False):
        v = x * 2
        with al.set_grad_enabled(True):
            assert al.is_grad_enabled()
        assert not al.is_grad_enabled()
    assert not v.requires_grad
    assert al.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with al.no_grad():
            raise ValueError("boom")
    assert al.is_grad_enabled()


def test_grad_mode_decorators():
    x = al.tensor([1.0, 2.0], requires_grad=True)

    @al.no_grad()
    def f(t):
        assert not al.is_grad_enabled()
        return t * 2

    @al.enable_grad()
    def g(t):
        return t * 2

    @al.set_grad_enabled(False)
    def h(t):
        return t * 2

    assert not f(x).requires_grad
    assert al.is_grad_enabled()
    with al.no_grad():
        assert g(x).requires_grad
        assert not al.is_grad_enabled()
    assert not h(x).requires_grad
    assert al.is_grad_enabled()
    assert f.__name__ == "f"


def test_no_grad_bare_decorator():
    @al.no_grad
    def f(t):
        return t * 2

    assert not f(al.ones(2, requires_grad=True)).requires_grad
    assert al.is_grad_enabled()


def test_set_grad_enabled_as_function():
    try:
        al.set_grad_enabled(False)
        assert not al.is_grad_enabled()
        assert not (al.ones(1, requires_grad=True) * 2).requires_grad
    finally:
        al.set_grad_enabled(True)
    assert al.is_grad_enabled()


def test_grad_mode_is_thread_local():
    results = {}

    def worker():
        results["enabled"] = al.is_grad_enabled()
        results["rg"] = (al.ones(1, requires_grad=True) * 2).requires_grad

    with al.no_grad():
        th = threading.Thread(target=worker)
        th.start()
        th.join()
        assert not al.is_grad_enabled()
    assert results == {"enabled": True, "rg": True}

    # and a thread's no_grad does not leak into the main thread
    entered, release = threading.Event(), threading.Event()

    def holder():
        with al.no_grad():
            entered.set()
            release.wait(5)

    th = threading.Thread(target=holder)
    th.start()
    entered.wait(5)
    try:
        assert al.is_grad_enabled()
        assert (al.ones(1, requires_grad=True) * 2).requires_grad
    finally:
        release.set()
        th.join()


def test_autograd_module_exports_grad_mode():
    with al.autograd.no_grad():
        assert not al.is_grad_enabled()


# --------------------------------------------------------------------------------------------
# detach
# --------------------------------------------------------------------------------------------

def test_detach_shares_storage_and_has_no_grad():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.requires_grad is False and d.grad_fn is None and d.is_leaf
    np.testing.assert_allclose(arr(d), [2.0, 4.0])
    dx = x.detach()
    dx.zero_()
    np.testing.assert_allclose(arr(x), [0.0, 0.0])
    assert x.requires_grad
    # a detached branch does not contribute gradient
    x2 = al.tensor([1.0, 2.0], requires_grad=True)
    (x2 * x2.detach()).sum().backward()
    assert_grad(x2, [1.0, 2.0])


def test_detach_():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    ret = y.detach_()
    assert ret is y
    assert y.requires_grad is False and y.grad_fn is None and y.is_leaf
    np.testing.assert_allclose(arr(y), [2.0, 4.0])


# --------------------------------------------------------------------------------------------
# garbage: a finished graph is freed by reference counting alone
# --------------------------------------------------------------------------------------------

def _build_mlp(refs):
    al.manual_seed(0)
    x = al.randn(8, 5)
    w1 = al.randn(5, 16, requires_grad=True)
    b1 = al.zeros(16, requires_grad=True)
    w2 = al.randn(16, 3, requires_grad=True)
    h0 = x @ w1
    h = h0 + b1
    a = h.relu()
    logits = al.matmul(a, w2)
    p = logits.softmax(dim=1)
    picked = p[:, 0]
    s = picked.sum()
    m = logits.mean()
    loss = s + m
    for t in (h0, h, a, logits, p, picked, s, m, loss):
        assert t.grad_fn is not None
        refs.append(weakref.ref(t))
        refs.append(weakref.ref(t.grad_fn))
    return (w1, b1, w2), loss


def _assert_dead(refs):
    alive = [r() for r in refs if r() is not None]
    assert not alive, f"{len(alive)} graph objects still alive: {[type(o).__name__ for o in alive]}"


@pytest.mark.parametrize("do_backward", [True, False], ids=["after_backward", "never_backwarded"])
def test_graph_freed_without_cyclic_gc(do_backward):
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        refs = []
        params, loss = _build_mlp(refs)
        if do_backward:
            loss.backward()
            for p in params:
                assert p.grad is not None and p.grad.shape == p.shape
        del loss
        _assert_dead(refs)
        for p in params:
            assert p.grad_fn is None
    finally:
        if was_enabled:
            gc.enable()


def test_graph_freed_after_autograd_grad():
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        refs = []
        params, loss = _build_mlp(refs)
        grads = al.autograd.grad(loss, params)
        assert len(grads) == 3
        del loss
        _assert_dead(refs)
    finally:
        if was_enabled:
            gc.enable()


# --------------------------------------------------------------------------------------------
# deep graphs
# --------------------------------------------------------------------------------------------

N_DEEP = 10_000


def test_deep_mul_chain_no_recursion_error():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(N_DEEP):
        y = y * 1.0001
    y.sum().backward()
    assert_grad(x, [1.0001**N_DEEP] * 2, rtol=1e-3)
    assert x.grad.dtype == al.float32
    del y


def test_deep_add_chain_no_recursion_error():
    x = al.tensor([0.5, -1.0], requires_grad=True)
    y = x
    for _ in range(N_DEEP):
        y = y + x
    y.sum().backward()
    assert_grad(x, [N_DEEP + 1.0] * 2)
    np.testing.assert_allclose(arr(y), (N_DEEP + 1) * np.array([0.5, -1.0]))
    del y


def test_deep_chain_freed_without_backward():
    x = al.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(N_DEEP):
        y = y * 1.0
    r = weakref.ref(y)
    del y
    assert r() is None


# --------------------------------------------------------------------------------------------
# in-place ops and the graph
# --------------------------------------------------------------------------------------------

def test_inplace_on_tensor_saved_for_backward_raises():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_on_tensor_not_saved_is_fine():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    np.testing.assert_allclose(arr(y), [3.0, 5.0])
    y.sum().backward()
    assert_grad(x, [2.0, 2.0])


def test_inplace_mul_on_non_leaf_backprops():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = x + 0
    y.mul_(3)
    assert y.requires_grad and not y.is_leaf
    y.sum().backward()
    assert_grad(x, [3.0, 3.0])


def test_optimizer_pattern_inplace_under_no_grad():
    w = al.tensor([1.0, 2.0], requires_grad=True)
    w0 = w
    (w * w).sum().backward()
    lr = 0.1
    with al.no_grad():
        w -= lr * w.grad
    assert w is w0
    assert w.requires_grad and w.is_leaf and w.grad_fn is None
    np.testing.assert_allclose(arr(w), [0.8, 1.6], rtol=1e-6)
    with al.no_grad():
        ret = w.sub_(lr * w.grad)
        w.add_(0.0)
        w.mul_(1.0)
    assert ret is w and w.grad_fn is None and w.is_leaf
    np.testing.assert_allclose(arr(w), [0.6, 1.2], rtol=1e-6)
    w.grad.zero_()
    (w * w).sum().backward()
    assert_grad(w, [1.2, 2.4])


def test_seed_4_5_training_loop_pattern():
    import autograd_lite as torch

    torch.manual_seed(0)
    images_all = torch.rand(64, 1, 28, 28)
    target = torch.rand(64, 10)
    w = torch.randn(784, 10) * 0.01
    w.requires_grad_(True)
    b = torch.zeros(10, requires_grad=True)
    lr = 0.05
    losses = []
    for e in range(3):
        running_loss = 0
        images = images_all.clone()
        images.resize_(images.size()[0], 784)
        if w.grad is not None:
            w.grad.zero_()
            b.grad.zero_()
        output = images @ w + b
        loss = ((output - target) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        running_loss += loss.item()
        msg = "Epoch: {}/{}... ".format(e + 1, 3) + "Loss: {:.4f}".format(running_loss / 1)
        assert msg.startswith("Epoch: ")
        losses.append(running_loss)
    assert losses[-1] < losses[0]
    assert w.is_leaf and w.requires_grad and w.dtype == torch.float32
    with torch.no_grad():
        test_loss = ((images @ w + b - target) ** 2).mean()
    assert "{:.3f}".format(test_loss / 2)


# --------------------------------------------------------------------------------------------
# user-defined Function
# --------------------------------------------------------------------------------------------

class Cube(al.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


class MulFn(al.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class TensorExp(al.autograd.Function):
    seen_types = []

    @staticmethod
    def forward(ctx, x):
        TensorExp.seen_types.append(type(x))
        out = x.exp()
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        TensorExp.seen_types.append(type(grad))
        (out,) = ctx.saved_tensors
        return grad * out


def test_custom_function_single_input():
    x = al.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = Cube.apply(x)
    assert isinstance(y, al.Tensor)
    assert y.dtype == al.float32 and y.requires_grad and not y.is_leaf and y.grad_fn is not None
    np.testing.assert_allclose(arr(y), [1.0, -8.0, 27.0])
    y.sum().backward()
    assert_grad(x, 3 * np.array([1.0, -2.0, 3.0]) ** 2)


def test_custom_function_two_inputs_and_composition():
    a = al.tensor([1.0, 2.0], requires_grad=True)
    b = al.tensor([3.0, 4.0], requires_grad=True)
    out = MulFn.apply(a * 2, b).sum()
    out.backward()
    assert_grad(a, [6.0, 8.0])
    assert_grad(b, [2.0, 4.0])


def test_custom_function_input_without_grad():
    a = al.tensor([1.0, 2.0], requires_grad=True)
    c = al.tensor([3.0, 4.0])
    MulFn.apply(a, c).sum().backward()
    assert_grad(a, [3.0, 4.0])
    assert c.grad is None


def test_custom_function_under_no_grad():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    with al.no_grad():
        y = Cube.apply(x)
    assert y.requires_grad is False and y.grad_fn is None
    np.testing.assert_allclose(arr(y), [1.0, 8.0])


def test_custom_function_gets_tensors_as_torch():
    TensorExp.seen_types.clear()
    x = al.tensor([0.0, 1.0, 2.0], requires_grad=True)
    y = TensorExp.apply(x)
    assert isinstance(y, al.Tensor) and y.dtype == al.float32
    np.testing.assert_allclose(arr(y), np.exp([0.0, 1.0, 2.0]), rtol=1e-6)
    (y * 2).sum().backward()
    assert_grad(x, 2 * np.exp([0.0, 1.0, 2.0]))
    assert TensorExp.seen_types == [al.Tensor, al.Tensor]


def test_custom_function_saved_released_after_backward():
    x = al.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_gradcheck_on_library_ops():
    al.manual_seed(0)
    x = al.rand(3, dtype=al.float64, requires_grad=True)
    w = al.rand(3, dtype=al.float64, requires_grad=True)
    assert al.autograd.gradcheck(lambda a, b: (a * b + a.exp()) / (b + 1), (x, w)) is True
    assert al.autograd.gradcheck(Cube.apply, (x,), eps=1e-6, atol=1e-5, rtol=1e-3) is True
    assert al.autograd.gradcheck(MulFn.apply, (x, w)) is True


# --------------------------------------------------------------------------------------------
# in-place ops through views of a tensor in the graph (torch rebases the base's grad_fn)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "modify, expected",
    [
        (lambda y: y.view(2, 2).mul_(5), [[10.0, 10.0], [10.0, 10.0]]),
        (lambda y: y.t().mul_(3), [[6.0, 6.0], [6.0, 6.0]]),
        (lambda y: y[0].mul_(5), [[10.0, 10.0], [2.0, 2.0]]),
        (lambda y: y[:, 0].mul_(0), [[0.0, 2.0], [0.0, 2.0]]),
    ],
    ids=["view", "t", "y[0]", "y[:, 0]"],
)
def test_inplace_on_view_of_non_leaf_gives_correct_grad(modify, expected):
    x = al.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 2
    modify(y)
    y.sum().backward()
    assert_grad(x, expected)


def test_copy_into_graph_tensor_gives_zero_grad_to_its_old_history():
    x = al.tensor([1., 2.], requires_grad=True)
    w = al.tensor([3., 4.], requires_grad=True)
    y = x * 2
    y.copy_(w)
    (y * al.tensor([1., 10.])).sum().backward()
    assert x.grad.tolist() == [0., 0.]           # as torch: y's old values no longer matter
    assert w.grad.tolist() == [1., 10.]


def test_reflected_remainder():
    assert (5 % al.tensor([2., 3.])).tolist() == [1., 2.]


def test_matmul_without_a_graph_records_no_node():
    """2-D a @ b when nothing needs a gradient (no input requires one, or no_grad): a plain Tensor, no node; float16
    2-D products (and their gradients) as PyTorch's."""
    torch = pytest.importorskip("torch")
    a, b = al.randn(3, 4), al.randn(4, 2)
    out = a @ b
    assert out.grad_fn is None and not out.requires_grad and out.is_leaf and out.dtype == al.float32
    np.testing.assert_allclose(out.numpy(), a.numpy() @ b.numpy(), rtol=1e-6)
    w = al.randn(4, 2, requires_grad=True)
    with al.no_grad():
        quiet = a @ w
    assert quiet.grad_fn is None and not quiet.requires_grad
    assert (a @ w).grad_fn.name() == "MmBackward0"      # torch's name
    x16, w16 = al.randn(3, 4).half(), al.randn(4, 2).half().requires_grad_()
    y = x16 @ w16
    y.sum().backward()
    tx, tw = torch.from_numpy(x16.numpy()), torch.from_numpy(w16.detach().numpy()).requires_grad_()
    ty = tx @ tw
    ty.sum().backward()
    assert y.dtype == al.float16 and w16.grad.dtype == al.float16
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(w16.grad.numpy(), tw.grad.numpy(), rtol=2e-3, atol=2e-3)


def test_grad_results_never_alias_the_callers_gradient_or_each_other():
    """autograd.grad returns fresh backward arrays as they are, and copies what someone else holds: the caller's
    grad_outputs passed through, views of them, one array reaching two inputs."""
    import numpy as np
    x = al.randn(3, 4, requires_grad=True)
    y = al.randn(3, 4, requires_grad=True)
    g = al.ones(3, 4)
    gx, gy = al.autograd.grad(x + y, (x, y), g)             # add hands the caller's g to both inputs
    for r in (gx, gy):
        assert not np.shares_memory(r.numpy(), g.numpy())
    assert not np.shares_memory(gx.numpy(), gy.numpy())
    gx, = al.autograd.grad(x.reshape(12), x, g.reshape(12))  # a view of the caller's gradient
    assert not np.shares_memory(gx.numpy(), g.numpy())
    gx.add_(1)
    assert (g.numpy() == 1).all()
    z = (x * 3).sum()
    gx, = al.autograd.grad(z, x, retain_graph=True)
    gx2, = al.autograd.grad(z, x)
    assert not np.shares_memory(gx.numpy(), gx2.numpy()) and (gx.numpy() == 3).all()


def test_next_functions_show_leaves_as_accumulate_grad_nodes_as_torch():
    import torch as pt
    w, x = al.randn(3, requires_grad=True), al.randn(3)
    tw, tx = pt.tensor(w.detach().numpy(), requires_grad=True), pt.tensor(x.numpy())
    ours, ref = (w * x).sum(), (tw * tx).sum()
    node, i = ours.grad_fn.next_functions[0]        # (ours also lists None for a node's non-tensor arguments)
    tnode, ti = ref.grad_fn.next_functions[0]
    assert (node.name(), i) == (tnode.name(), ti) == ("MulBackward0", 0)
    (acc, _), (none, _) = node.next_functions
    (tacc, _), (tnone, _) = tnode.next_functions
    assert acc.name() == tacc.name() == "torch::autograd::AccumulateGrad"
    assert acc.variable is w and tacc.variable is tw and none is None and tnone is None
    assert acc.next_functions == tacc.next_functions == ()
    assert (w + 1).grad_fn.next_functions[0][0] is acc           # one node per leaf, as torch's
    assert "AccumulateGrad" in repr(acc)
