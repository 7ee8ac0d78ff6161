"""The creation and utility names scripts reach for (logspace, the windows, asarray, frombuffer, scalar_tensor,
empty_strided, combinations, broadcast_shapes, gradient, histogram / histogramdd, the process switches of _flags,
set_default_device, typename), autograd anomaly detection, PyTorch's rule for in-place ops on views of leaves, and
the scatter-add kernels behind scatter_reduce('sum' / 'mean'), scatter_add, index_add and index_put(accumulate=True):
each against torch (values, dtypes, errors, gradients) or, for a kernel, against NumPy's add.at."""
import warnings

import numpy as np
import pytest

import autograd_lite as al
from op_helpers import check_op

torch = pytest.importorskip("torch")


def _same(ours, ref, rtol=1e-6, atol=1e-6):
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1], (ours.dtype, ref.dtype)
    assert tuple(ours.shape) == tuple(ref.shape), (ours.shape, ref.shape)
    np.testing.assert_allclose(ours.detach().cpu().numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)


def _raises_like(fn, exc=None):
    """Runs fn with torch and autograd_lite: both raise the same type with the same message."""
    with pytest.raises(Exception) as ref:
        fn(torch)
    with pytest.raises(type(ref.value) if exc is None else exc) as ours:
        fn(al)
    assert str(ours.value).replace("autograd_lite", "torch") == str(ref.value), (str(ours.value), str(ref.value))


# ---- creation -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args,kw", [((0, 2, 3), {}), ((0, 2, 3), {"base": 2.0}), ((-1, 1, 5), {}),
                                     ((0, 3, 4), {"dtype": "int64"}), ((0, 1, 1), {}), ((1, 2, 0), {}),
                                     ((0.5, 1.5, 4), {"dtype": "float64"})])
def test_logspace(args, kw):
    t = torch.logspace(*args, **{k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()})
    a = al.logspace(*args, **{k: getattr(al, v) if k == "dtype" else v for k, v in kw.items()})
    _same(a, t, rtol=1e-6)


def test_logspace_errors_and_tensor_bounds():
    _raises_like(lambda lib: lib.logspace(0, 1, -1))
    _same(al.logspace(al.tensor(0.), 1, 2), torch.logspace(torch.tensor(0.), 1, 2))


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
                                  "kaiser_window"])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 16])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows(name, n, periodic):
    _same(getattr(al, name)(n, periodic), getattr(torch, name)(n, periodic), rtol=1e-5, atol=1e-6)
    _same(getattr(al, name)(n, periodic, dtype=al.float64), getattr(torch, name)(n, periodic, dtype=torch.float64),
          rtol=1e-12, atol=1e-12)


def test_window_parameters_and_errors():
    _same(al.hamming_window(8, True, 0.5, 0.4), torch.hamming_window(8, True, 0.5, 0.4))
    _same(al.kaiser_window(9, False, 5.0), torch.kaiser_window(9, False, 5.0), rtol=1e-5)
    assert al.hann_window(4, requires_grad=True).requires_grad
    _raises_like(lambda lib: lib.hann_window(-1))
    with pytest.raises(RuntimeError, match="hann_window expects floating point dtypes"):
        al.hann_window(5, dtype=al.int64)


@pytest.mark.parametrize("value,kw", [(3, {}), (True, {}), (2.5, {}), (2, {"dtype": "int64"}),
                                      (1.5, {"dtype": "float64"})])
def test_scalar_tensor(value, kw):
    _same(al.scalar_tensor(value, **{k: getattr(al, v) for k, v in kw.items()}),
          torch.scalar_tensor(value, **{k: getattr(torch, v) for k, v in kw.items()}))


def test_empty_strided():
    for size, stride in [((2, 3), (1, 2)), ((2, 3), (3, 1)), ((4,), (2,)), ((0, 3), (3, 1)), ((), ())]:
        a, t = al.empty_strided(size, stride), torch.empty_strided(size, stride)
        assert a.stride() == t.stride() and tuple(a.shape) == tuple(t.shape) and a.dtype is al.float32
    a = al.empty_strided((2, 3), (1, 2), dtype=al.float64)
    a.copy_(al.arange(6.).reshape(2, 3))
    np.testing.assert_array_equal(a.numpy(), np.arange(6.).reshape(2, 3))
    _raises_like(lambda lib: lib.empty_strided((2, 3), (1,)))


def test_asarray_shares_and_converts():
    arr = np.array([1., 2.])
    t = al.asarray(arr)
    arr[0] = 9
    assert t.dtype is al.float64 and t[0].item() == 9
    x = al.ones(2)
    assert al.asarray(x) is x
    assert al.asarray(x, dtype=al.float64).dtype is al.float64
    c = al.asarray(x, copy=True)
    c.add_(1)
    assert x[0].item() == 1
    for obj in ([1, 2], [1., 2], 2.5, 3, True, np.float64(1.5), [[1, 2], [3, 4]]):
        _same(al.asarray(obj), torch.asarray(obj))
    r = al.asarray(x, requires_grad=True)
    assert r is x and x.requires_grad
    _raises_like(lambda lib: lib.asarray(lib.ones(2), dtype=lib.float64, copy=False))
    _raises_like(lambda lib: lib.asarray(np.ones(2, np.float32), dtype=lib.float64, copy=False))


def test_frombuffer():
    buf = bytearray(np.arange(4, dtype=np.int32).tobytes())
    a, t = al.frombuffer(buf, dtype=al.int32), torch.frombuffer(bytearray(buf), dtype=torch.int32)
    _same(a, t)
    buf[0] = 7                                  # shares the buffer's memory
    assert a[0].item() == 7
    _same(al.frombuffer(bytearray(8), dtype=al.int32, count=1, offset=4),
          torch.frombuffer(bytearray(8), dtype=torch.int32, count=1, offset=4))
    _same(al.frombuffer(bytearray(8), dtype=al.float32), torch.frombuffer(bytearray(8), dtype=torch.float32))
    for kw in ({"count": 3}, {"offset": 9}, {"offset": -1}, {"count": 0}):
        _raises_like(lambda lib: lib.frombuffer(bytearray(8), dtype=lib.int32, **kw))
    _raises_like(lambda lib: lib.frombuffer(bytearray(3), dtype=lib.int32))
    _raises_like(lambda lib: lib.frombuffer(bytearray(0), dtype=lib.int32))


# ---- combinations / broadcast_shapes --------------------------------------------------------------------------------

@pytest.mark.parametrize("r", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("with_replacement", [False, True])
def test_combinations_values(r, with_replacement):
    for data in ([1., 2., 3., 4.], [1, 2, 3], []):
        _same(al.combinations(al.tensor(data), r, with_replacement),
              torch.combinations(torch.tensor(data), r, with_replacement))


def test_combinations_gradients_and_errors():
    check_op(lambda lib, x: lib.combinations(x, 2), [(4,)])
    check_op(lambda lib, x: lib.combinations(x, 3, with_replacement=True), [(3,)])
    _raises_like(lambda lib: lib.combinations(lib.zeros(2, 2)))
    _raises_like(lambda lib: lib.combinations(lib.zeros(3), r=-1))


def test_broadcast_shapes():
    for shapes in [((2, 1), (3,)), ((1,), (4, 1, 5), (5,)), (3, (2, 1)), ((),), ((0, 1), (3,)), ()]:
        ours, ref = al.broadcast_shapes(*shapes), torch.broadcast_shapes(*shapes)
        assert tuple(ours) == tuple(ref) and isinstance(ours, al.Size)
    _raises_like(lambda lib: lib.broadcast_shapes((2,), (3,)))
    _raises_like(lambda lib: lib.broadcast_shapes((2, 4), (1, 3)))


# ---- gradient -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{}, {"edge_order": 2}, {"spacing": 2.0}, {"dim": 1}, {"dim": -1, "edge_order": 2},
                                {"spacing": [0.5, 2.0]}, {"spacing": [0.5], "dim": [0]}])
def test_gradient_uniform(kw):
    check_op(lambda lib, x: lib.gradient(x, **kw), [(4, 5)], atol=1e-5)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_coordinates(edge_order):
    coords = [0., 1., 3., 4., 7.]
    check_op(lambda lib, x: lib.gradient(x, spacing=(lib.tensor(coords, dtype=x.dtype),), dim=1,
                                         edge_order=edge_order), [(3, 5)], atol=1e-5)


def test_gradient_int_input_and_errors():
    _same(al.gradient(al.tensor([1, 2, 4]))[0], torch.gradient(torch.tensor([1, 2, 4]))[0])
    _raises_like(lambda lib: lib.gradient(lib.ones(4), edge_order=3))
    _raises_like(lambda lib: lib.gradient(lib.ones(4), spacing=[1., 2.]))
    _raises_like(lambda lib: lib.gradient(lib.ones(2), edge_order=2))


# ---- histogram ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{"bins": 4, "range": (0., 3.)}, {"bins": 5}, {"bins": 3, "density": True},
                                {"bins": 4, "weighted": True}, {"bins": "edges"}, {"bins": "edges", "density": True},
                                {"bins": 2, "range": (3., 3.)}])
def test_histogram(kw):
    data = np.random.default_rng(0).normal(size=50).astype(np.float32)
    data[:3] = [0.0, 3.0, 1.5]                  # values on edges
    kw = dict(kw)
    weights = np.random.default_rng(1).uniform(size=50).astype(np.float32) if kw.pop("weighted", False) else None
    results = []
    for lib in (torch, al):
        args = dict(kw)
        if args["bins"] == "edges":
            args["bins"] = lib.tensor([-1.0, 0.0, 0.5, 1.5, 3.0])
        if weights is not None:
            args["weight"] = lib.tensor(weights)
        results.append(lib.histogram(lib.tensor(data), **args))
    ref, ours = results
    assert type(ours).__name__ == "histogram" and ours.hist is ours[0]
    _same(ours.hist, ref.hist, rtol=1e-5)
    _same(ours.bin_edges, ref.bin_edges)
    _same(al.tensor(data).histogram(3).hist, torch.tensor(data).histogram(3).hist)


def test_histogram_edge_cases_and_errors():
    for data in ([1., 1.], []):
        ours, ref = al.histogram(al.tensor(data), 2), torch.histogram(torch.tensor(data), 2)
        _same(ours.hist, ref.hist)
        _same(ours.bin_edges, ref.bin_edges)
    _same(al.histogram(al.tensor([1., 5.], dtype=al.float64), 2).hist,
          torch.histogram(torch.tensor([1., 5.], dtype=torch.float64), 2).hist)
    _raises_like(lambda lib: lib.histogram(lib.tensor([1., 5.]), 2, range=(3., 1.)))
    _raises_like(lambda lib: lib.histogram(lib.tensor([1., 5.]), -1))
    _raises_like(lambda lib: lib.histogram(lib.tensor([1, 2]), 3))


def test_histogramdd():
    pts = np.random.default_rng(0).uniform(0, 2, size=(40, 2)).astype(np.float32)
    w = np.random.default_rng(1).uniform(size=40).astype(np.float32)
    for kw in ({"bins": [3, 3]}, {"bins": 4, "density": True}, {"bins": [2, 5], "range": [0., 1., 0., 2.]},
               {"bins": [3, 2], "weighted": True}, {"bins": "edges"}):
        results = []
        for lib in (torch, al):
            args = dict(kw)
            if args.pop("weighted", False):
                args["weight"] = lib.tensor(w)
            if args["bins"] == "edges":
                args["bins"] = [lib.tensor([0., 0.5, 2.]), lib.tensor([0., 1., 1.5, 2.])]
            results.append(lib.histogramdd(lib.tensor(pts), **args))
        ref, ours = results
        _same(ours.hist, ref.hist, rtol=1e-5)
        assert len(ours.bin_edges) == len(ref.bin_edges)
        for a, t in zip(ours.bin_edges, ref.bin_edges):
            _same(a, t)


# ---- the switches, typename ----------------------------------------------------------------------------------------

def test_flags_round_trip():
    assert not al.are_deterministic_algorithms_enabled() and not al.is_deterministic_algorithms_warn_only_enabled()
    try:
        al.use_deterministic_algorithms(True, warn_only=True)
        assert al.are_deterministic_algorithms_enabled() and al.is_deterministic_algorithms_warn_only_enabled()
    finally:
        al.use_deterministic_algorithms(False)
    with pytest.raises(TypeError):
        al.use_deterministic_algorithms("yes")
    assert al.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    try:
        al.set_float32_matmul_precision("high")
        assert al.get_float32_matmul_precision() == "high"
        with pytest.warns(UserWarning, match="low is not one of 'highest', 'high', or 'medium'"):
            al.set_float32_matmul_precision("low")
        assert al.get_float32_matmul_precision() == "high"
    finally:
        al.set_float32_matmul_precision("highest")
    assert not al.is_warn_always_enabled()
    al.set_warn_always(True)
    assert al.is_warn_always_enabled()
    al.set_warn_always(False)
    assert al.set_flush_denormal(False) is True and al.set_flush_denormal(True) is False


def test_typename_and_is_storage():
    assert al.typename(al.ones(1)) == "autograd_lite.FloatTensor"
    assert al.typename(al.ones(1, dtype=al.int64)) == "autograd_lite.LongTensor"
    assert al.typename(1) == torch.typename(1) == "int"
    assert al.typename(al.nn.Linear(1, 1)) == "autograd_lite.nn.modules.linear.Linear"
    assert al.typename(al.nn.Linear) == "autograd_lite.nn.modules.linear.Linear"
    assert al.is_storage(al.ones(1)) is False and al.numel(al.ones(2, 3)) == 6


def test_default_device_cpu():
    assert al.get_default_device() == al.device("cpu") and repr(al.get_default_device()) == "device(type='cpu')"
    al.set_default_device("cpu")
    try:
        assert al.zeros(2).device == al.device("cpu")
    finally:
        al.set_default_device(None)


def test_default_device_is_followed(gpu):
    al.set_default_device(gpu)
    try:
        made = [al.zeros(2), al.ones(2), al.empty(2), al.full((2,), 1.), al.rand(2), al.randn(2), al.arange(3),
                al.linspace(0, 1, 3), al.eye(2), al.tensor([1., 2.]), al.logspace(0, 1, 2), al.hann_window(4),
                al.randint(0, 3, (2,)), al.randperm(3), al.scalar_tensor(1), al.as_tensor(np.ones(2)),
                al.asarray([1, 2]), al.zeros_like(al.zeros(2)), al.tensor(al.ones(2, device="cpu"))]
        assert all(t.is_cuda for t in made), [t.device for t in made]
        assert al.get_default_device() == al.device("cuda", 0)
        assert not al.from_numpy(np.ones(2)).is_cuda          # from_numpy shares host memory, as PyTorch
        assert al.zeros(2, device="cpu").device == al.device("cpu")
    finally:
        al.set_default_device(None)
    assert not al.zeros(2).is_cuda


# ---- anomaly detection ----------------------------------------------------------------------------------------------

def _nan_backward(lib):
    x = lib.tensor([-1.0, 4.0], requires_grad=True)
    lib.sqrt(x).sum().backward()
    return x


def test_detect_anomaly_names_the_node():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly(), pytest.raises(RuntimeError) as ref:
            _nan_backward(torch)
        with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
            mode = al.autograd.detect_anomaly()
        with mode, pytest.raises(RuntimeError) as ours:
            assert al.autograd.is_anomaly_enabled()
            _nan_backward(al)
    assert str(ours.value) == str(ref.value) == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert not al.autograd.is_anomaly_enabled()
    assert np.isnan(_nan_backward(al).grad.numpy()[0])        # off: the NaN goes through


def test_set_detect_anomaly_call_context_and_decorator():
    try:
        al.autograd.set_detect_anomaly(True)
        assert al.autograd.is_anomaly_enabled() and al.autograd.is_anomaly_check_nan_enabled()
        with pytest.raises(RuntimeError, match="returned nan values"):
            _nan_backward(al)
    finally:
        al.autograd.set_detect_anomaly(False)
    with al.autograd.set_detect_anomaly(True, check_nan=False):
        assert al.autograd.is_anomaly_enabled()
        _nan_backward(al)                                      # check_nan=False: no check
    assert not al.autograd.is_anomaly_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @al.autograd.detect_anomaly()
        def run():
            return _nan_backward(al)
    with pytest.raises(RuntimeError, match="'SqrtBackward0'"), pytest.warns(UserWarning, match="Anomaly Detection"):
        run()
    x = al.tensor([1.0, 4.0], requires_grad=True)             # no NaN: runs as usual, create_graph too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with al.autograd.detect_anomaly():
            g, = al.autograd.grad(al.sqrt(x).sum(), x, create_graph=True)
            g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-0.25, -1 / 32])


# ---- in-place on views of leaves ------------------------------------------------------------------------------------

_INPLACE_CASES = {
    "view made a leaf": lambda lib: lib.arange(4.).reshape(2, 2).requires_grad_().mul_(2),
    "leaf": lambda lib: lib.ones(4, requires_grad=True).mul_(2),
    "slice of a leaf": lambda lib: lib.ones(4, requires_grad=True)[:2].mul_(2),
    "view of a leaf": lambda lib: lib.ones(4, requires_grad=True).view(2, 2).add_(1),
    "slice made a leaf": lambda lib: lib.ones(4)[:2].requires_grad_().add_(1),
    "fill_ of a view made a leaf": lambda lib: lib.arange(4.).reshape(2, 2).requires_grad_().fill_(1),
    "zero_ of a slice of a leaf": lambda lib: lib.ones(4, requires_grad=True)[1:].zero_(),
}


@pytest.mark.parametrize("case", list(_INPLACE_CASES))
def test_inplace_on_leaf_views_raises_as_torch(case):
    _raises_like(_INPLACE_CASES[case])


def test_inplace_on_views_that_may_change():
    for lib in (torch, al):
        y = lib.ones(4, requires_grad=True)
        with lib.no_grad():
            y[:2].mul_(2)
        z = y.clone()
        z[:2].mul_(3)
        y.detach()[:1].mul_(2)
        y.data[1:2].mul_(2)
        lib.zeros(4)[:2].add_(y[:2])
        z.sum().backward()
        np.testing.assert_allclose(y.grad.numpy(), [3, 3, 1, 1])
        np.testing.assert_allclose(y.detach().numpy(), [4, 4, 1, 1])


# ---- the scatter-add kernels and the ops on them --------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
def test_scatter_kernels_equal_numpy_add_at(dtype):
    from autograd_lite.kernels.cpu import add_along, add_flat, add_index
    rng = np.random.default_rng(0)
    out = rng.integers(-5, 5, (3, 6, 4)).astype(dtype)
    index = rng.integers(0, 6, (3, 9, 4))
    src = rng.integers(-5, 5, (3, 9, 4)).astype(dtype)
    expected = out.copy()
    np.add.at(expected, (np.arange(3)[:, None, None], index, np.arange(4)), src)
    np.testing.assert_array_equal(add_along(out.copy(), index, src), expected)
    np.testing.assert_array_equal(add_along(out.copy(), index.astype(np.int32), src[:, ::-1][:, ::-1]), expected)
    rows = rng.integers(0, 6, 9)
    expected = out.copy()
    np.add.at(expected, (slice(None), rows), src)
    np.testing.assert_array_equal(add_index(out.copy(), rows, src), expected)
    flat = out.reshape(-1).copy()
    pos = rng.integers(0, flat.size, 50)
    vals = rng.integers(-5, 5, 50).astype(dtype)
    expected = flat.copy()
    np.add.at(expected, pos, vals)
    np.testing.assert_array_equal(add_flat(flat, pos, vals), expected)


def test_scatter_kernel_errors_name_the_kernel():
    from autograd_lite.kernels.cpu import add_along, add_flat, add_index
    with pytest.raises(TypeError, match="add_along: out must be a C-contiguous 3-D"):
        add_along(np.zeros((2, 3), np.float32), np.zeros((2, 1, 3), np.int64), np.zeros((2, 1, 3), np.float32))
    with pytest.raises(ValueError, match="add_along: index must be"):
        add_along(np.zeros((2, 3, 4), np.float32), np.zeros((1, 1, 4), np.int64), np.zeros((1, 1, 4), np.float32))
    with pytest.raises(TypeError, match="add_index: index must be a 1-D integer array"):
        add_index(np.zeros((1, 3, 4)), np.zeros(2), np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="add_flat: src must be"):
        add_flat(np.zeros(4), np.zeros(2, np.int64), np.zeros(3))


@pytest.mark.parametrize("reduce", ["sum", "mean"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim,index_shape", [(0, (7, 4)), (1, (3, 6)), (0, (2, 3)), (-1, (3, 2))])
def test_scatter_reduce_sum_mean(device, reduce, include_self, dim, index_shape):
    index = np.random.default_rng(1).integers(0, 3 if dim == 0 else 4, index_shape)

    def fn(lib, x, src):
        idx = lib.tensor(index)
        if lib is not torch:
            idx = idx.to(x.device)
        return x.scatter_reduce(dim, idx, src, reduce, include_self=include_self)
    check_op(fn, [(3, 4), index_shape], device=device)      # (torch's backward fails for src larger than index)


def test_scatter_add_index_add_index_put_accumulate(device):
    index = np.random.default_rng(2).integers(0, 5, (8, 3))
    rows = np.random.default_rng(3).integers(-5, 5, 8)

    def on(lib, x, a):
        t = lib.tensor(a)
        return t if lib is torch else t.to(x.device)
    check_op(lambda lib, x, s: x.scatter_add(0, on(lib, x, index), s), [(5, 3), (8, 3)], device=device)
    check_op(lambda lib, x, s: lib.scatter_add(x, 1, on(lib, x, index[:5, :2] % 3), s), [(5, 3), (5, 2)], device=device)
    check_op(lambda lib, x, s: x.index_add(0, on(lib, x, rows % 5), s, alpha=2.0), [(5, 3), (8, 3)], device=device)
    check_op(lambda lib, x, s: x.index_add(1, on(lib, x, rows[:4] % 3), s), [(2, 3, 2), (2, 4, 2)], device=device)
    check_op(lambda lib, x, s: x.index_put((on(lib, x, rows),), s, accumulate=True), [(5, 3), (8, 3)],
             device=device)
    check_op(lambda lib, x, s: x.index_put((on(lib, x, rows),), s, accumulate=True), [(5, 3), (3,)], device=device)
    check_op(lambda lib, x, s: x.index_put((on(lib, x, rows % 5), on(lib, x, rows % 3)), s, accumulate=True),
             [(5, 3), (8,)], device=device)
    check_op(lambda lib, x, s: x.index_put((on(lib, x, rows % 3),), s, accumulate=True), [(3,), (8,)],
             device=device)


def test_integer_scatter_adds_and_index_errors():
    x = np.arange(12).reshape(4, 3)
    idx = np.array([[0, 1, 3], [3, 3, 0]])
    for lib in (torch, al):
        out = lib.tensor(x).scatter_add(0, lib.tensor(idx), lib.tensor(idx * 10))
        out2 = lib.tensor(x).index_put((lib.tensor([0, 0, -1]),), lib.tensor(5), accumulate=True)
        out3 = lib.tensor(x).scatter_reduce(0, lib.tensor(idx), lib.tensor(idx * 10), "mean")
        if lib is torch:
            ref = (out, out2, out3)
    for a, t in zip((out, out2, out3), ref):
        _same(a, t)
    with pytest.raises(IndexError, match="index 4 is out of bounds"):
        al.zeros(4, 3).index_put((al.tensor([0, 4]),), al.ones(3), accumulate=True)
    with pytest.raises(IndexError, match="index -5 is out of bounds"):
        al.zeros(4, 3).index_put((al.tensor([0, -5]),), al.ones(3), accumulate=True)


def test_advanced_index_backward_accumulates():
    check_op(lambda lib, x: x[lib.tensor([[0, 2, 2], [1, 1, 0]])], [(3, 4)])
    check_op(lambda lib, x: x[:, lib.tensor([0, 2, 2, 1])], [(3, 4)])
    check_op(lambda lib, x: x[lib.tensor([0, 2, 2]), lib.tensor([1, 1, 1])], [(3, 4)])
