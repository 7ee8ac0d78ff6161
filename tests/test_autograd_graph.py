"""torch.autograd.graph against torch: saved-tensor hooks (what pack sees, when unpack runs, the gradients),
save_on_cpu, disable_saved_tensors_hooks, Node (type, hooks, prehooks, metadata), register_multi_grad_hook; and that
the graph is still released and Function.apply is the plain one again once the scopes close."""
import gc
import threading
import weakref

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.autograd import op_function as _function

torch = pytest.importorskip("torch")


def _leaf(lib, array, device="cpu"):
    t = lib.tensor(array)
    if device != "cpu":
        t = t.to(device)
    return t.requires_grad_(True) if lib is torch else t.requires_grad_()


def _both(fn, *arrays):
    """fn(lib, *leaves) for torch and autograd_lite: (torch's result, ours)."""
    return tuple(fn(lib, *[_leaf(lib, a) for a in arrays]) for lib in (torch, al))


X = np.array([0.5, -1.5, 2.0], np.float32)


def test_pack_sees_the_inputs_and_outputs_ops_save():
    def run(lib, x):
        seen = []

        def pack(t):
            seen.append(t)
            return t
        with lib.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = x * x
            z = y.exp()
            w = lib.relu(z)
        return [(s is x, s is y, s is z, s is w, tuple(s.shape)) for s in seen]
    ours, theirs = _both(run, X)
    assert ours == theirs and len(ours) == 4


def test_unpack_runs_in_backward_and_the_gradients_are_torchs():
    def run(lib, x):
        calls = {"pack": 0, "unpack": 0}

        def pack(t):
            calls["pack"] += 1
            return t.detach().numpy().copy()          # the saved value leaves the library

        def unpack(a):
            calls["unpack"] += 1
            return lib.from_numpy(a)
        with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
            y = (x * x).exp().sum()
        before = dict(calls)
        y.backward()
        return before, calls, x.grad.numpy()
    (tb, ta, tg), (ob, oa, og) = _both(run, X)
    assert ob == tb and oa == ta and oa["unpack"] == oa["pack"]
    np.testing.assert_allclose(og, tg, rtol=1e-5)
    assert og.dtype == np.float32


def test_retain_graph_unpacks_at_each_backward():
    def run(lib, x):
        count = [0]

        def unpack(t):
            count[0] += 1
            return t
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, unpack):
            y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return count[0], x.grad.numpy()
    (tc, tg), (oc, og) = _both(run, X)
    assert oc == tc
    np.testing.assert_allclose(og, tg, rtol=1e-6)


def test_second_order_gradients_through_copied_saved_tensors():
    def run(lib, x):
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
            y = (x * x * x).sum()
        g, = lib.autograd.grad(y, x, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), x)
        return g.detach().numpy(), gg.numpy()
    (tg, tgg), (og, ogg) = _both(run, X)
    np.testing.assert_allclose(og, tg, rtol=1e-5)
    np.testing.assert_allclose(ogg, tgg, rtol=1e-5)


def test_unpack_must_give_a_tensor():
    x = _leaf(al, X)
    with al.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 5):
        y = (x * x).sum()
    with pytest.raises(TypeError, match="Output of saved tensor unpack_hook expected to be a Tensor but got result "
                                        "of type int"):
        y.backward()


def test_scopes_nest_and_the_innermost_applies():
    x = _leaf(al, X)
    seen = []
    with al.autograd.graph.saved_tensors_hooks(lambda t: seen.append("outer") or t, lambda t: t):
        x.exp()
        with al.autograd.graph.saved_tensors_hooks(lambda t: seen.append("inner") or t, lambda t: t):
            x.exp()
        x.exp()
    x.exp()
    assert seen == ["outer", "inner", "outer"]


def test_no_hooks_without_grad_and_per_thread():
    seen = []
    x = _leaf(al, X)
    with al.autograd.graph.saved_tensors_hooks(lambda t: seen.append(1) or t, lambda t: t):
        with al.no_grad():
            x.exp()
        thread = threading.Thread(target=lambda: x.exp())
        thread.start()
        thread.join()
    assert seen == []


def test_disable_saved_tensors_hooks():
    for lib in (torch, al):
        with lib.autograd.graph.disable_saved_tensors_hooks("no hooks in here"):
            with pytest.raises(RuntimeError, match="no hooks in here"):
                with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass

        @lib.autograd.graph.disable_saved_tensors_hooks("not in this function")
        def f():
            with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
        with pytest.raises(RuntimeError, match="not in this function"):
            f()
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):     # allowed again
            pass


def test_save_on_cpu(device):
    x = _leaf(al, X, device)
    with al.autograd.graph.save_on_cpu(pin_memory=False):
        y = (x.exp() * x).sum()
    y.backward()
    expected = np.exp(X) * (1 + X)
    assert x.grad.device == x.device and x.grad.dtype == al.float32
    np.testing.assert_allclose(x.grad.cpu().numpy(), expected, rtol=1e-5)


def test_the_graph_is_released_and_apply_restored():
    x = _leaf(al, X)
    with al.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = (x * x).exp()        # exp's pack keeps its own output: released by backward
        ref = weakref.ref(y)
        y.sum().backward()
    del y
    gc.disable()
    try:
        assert ref() is None
    finally:
        gc.enable()
    assert _function.Function.__dict__["apply"].__func__ is _function._plain_apply


def test_checkpoint_under_saved_tensors_hooks():
    from autograd_lite.utils.checkpoint import checkpoint
    x = _leaf(al, X)
    with al.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = checkpoint(lambda a: (a * a).exp(), x, use_reentrant=False).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * X * np.exp(X * X), rtol=1e-5)


# ---- Node ------------------------------------------------------------------------------------------------------

def test_node_type_name_next_functions_metadata():
    for lib in (torch, al):
        x = _leaf(lib, X)
        y = x * 2
        node = y.grad_fn
        assert isinstance(node, lib.autograd.graph.Node)
        assert isinstance(node.next_functions[0][0], lib.autograd.graph.Node)
        assert node.name() == "MulBackward0"
        assert node.next_functions[0][0].variable is x
        node.metadata["tag"] = 1
        assert y.grad_fn.metadata == {"tag": 1}
        assert lib.autograd.graph.get_gradient_edge(y).node is node


def test_node_hook_sees_reduced_gradients_and_replaces_them():
    a = np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5

    def run(lib, a, b):
        seen = []

        def hook(grad_inputs, grad_outputs):
            seen.append(([None if g is None else tuple(g.shape) for g in grad_inputs],
                         [tuple(g.shape) for g in grad_outputs]))
            return grad_inputs[0] * 2, grad_inputs[1]
        c = a * b
        c.grad_fn.register_hook(hook)
        c.sum().backward()
        return seen, a.grad.numpy(), b.grad.numpy()
    (ts, ta, tb), (os_, oa, ob) = _both(run, a, X)
    assert os_ == ts
    np.testing.assert_allclose(oa, ta)
    np.testing.assert_allclose(ob, tb)


def test_node_hook_with_a_constant_input_and_create_graph():
    def run(lib, x):
        seen = []
        y = x * 2
        y.grad_fn.register_hook(lambda gi, go: seen.append([g is None for g in gi]))
        g, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        return seen, g.detach().numpy()
    (ts, tg), (os_, og) = _both(run, X)
    assert os_ == ts
    np.testing.assert_allclose(og, tg)


def test_node_prehook_replaces_the_output_gradient_and_handles_remove():
    def run(lib, x):
        y = x.exp()
        seen = []
        handle = y.grad_fn.register_prehook(lambda go: seen.append(len(go)) or (go[0] * 3,))
        y.sum().backward(retain_graph=True)
        first = x.grad.numpy().copy()
        handle.remove()
        x.grad = None
        y.sum().backward()
        return seen, first, x.grad.numpy()
    (ts, t1, t2), (os_, o1, o2) = _both(run, X)
    assert os_ == ts == [1]
    np.testing.assert_allclose(o1, t1, rtol=1e-6)
    np.testing.assert_allclose(o2, t2, rtol=1e-6)


def test_register_multi_grad_hook():
    def run(lib, a, b):
        seen = []
        lib.autograd.graph.register_multi_grad_hook(
            (a, b), lambda grads: seen.append(["all"] + [None if g is None else tuple(g.shape) for g in grads]))
        (a * 2).sum().backward()
        (a * b).sum().backward()
        handle = lib.autograd.graph.register_multi_grad_hook((a, b), lambda g: seen.append(["any", tuple(g.shape)]),
                                                             mode="any")
        (a * b).sum().backward()
        handle.remove()
        (a * b).sum().backward()
        return seen
    theirs, ours = _both(run, X, X[::-1].copy())
    assert ours == theirs
    for lib in (torch, al):
        with pytest.raises(ValueError, match=r"Expects mode to be one of \('all', 'any'\) but got x"):
            lib.autograd.graph.register_multi_grad_hook((_leaf(lib, X),), print, mode="x")


def test_post_accumulate_grad_hook():
    def run(lib, x):
        seen = []
        x.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.numpy().copy()))
        (x * x).sum().backward()
        return seen
    theirs, ours = _both(run, X)
    assert len(ours) == len(theirs) == 1
    np.testing.assert_allclose(ours[0], theirs[0])


def test_increment_version_invalidates_saved_tensors():
    for lib in (torch, al):
        x = _leaf(lib, X)
        y = x.exp()
        lib.autograd.graph.increment_version(y)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_grad_runs_only_the_nodes_its_inputs_need():
    """autograd.grad(inputs=[b]) runs the nodes between the roots and b only, as torch's engine: a shared node off
    that path keeps its saved tensors for a later call, and its hooks do not run."""
    def run(lib, a, b):
        calls = []
        e = a.exp()
        e.register_hook(lambda g: calls.append("e"))
        gb, = lib.autograd.grad((e * b).sum(), [b])
        after_b = list(calls)
        ga, = lib.autograd.grad((e * b).sum(), [a])          # exp's saved result is still there
        y = a * 2
        gy, gx = lib.autograd.grad(y.sin().sum(), [y, a])   # a non-leaf input on the way to a leaf
        return gb.numpy(), ga.numpy(), after_b, calls, gy.numpy(), gx.numpy()
    theirs, ours = _both(run, X, X[::-1].copy())
    for t, o in zip(theirs, ours):
        if isinstance(t, list):
            assert o == t
        else:
            np.testing.assert_allclose(o, t, rtol=1e-6)
    assert ours[2] == [] and ours[3] == ["e"]


def test_backward_with_inputs_leaves_other_paths_unreleased():
    def run(lib, a, b):
        e = a.exp()
        (e * b).sum().backward(inputs=[b])
        (e * b).sum().backward(inputs=[a])
        return a.grad.numpy(), b.grad.numpy()
    theirs, ours = _both(run, X, X[::-1].copy())
    for t, o in zip(theirs, ours):
        np.testing.assert_allclose(o, t, rtol=1e-6)
