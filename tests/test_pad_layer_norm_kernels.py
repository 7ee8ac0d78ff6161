"""The one-pass kernels of non-constant pads (gather3d_forward/backward: CPU serial and parallel, the CUDA table on
the emulated device) and of layer norm's rows (group norm of one group, S = 1): against the NumPy formulas and
torch, float32 and float64, non-contiguous inputs, second order in float64."""
import numpy as np
import pytest

import autograd_lite.kernels.cpu as cpu
from autograd_lite.kernels.cpu import _jit
from autograd_lite.kernels.cpu import normalization as cpu_norm
from op_helpers import check_op, functional

torch = pytest.importorskip("torch")

GATHERS = [  # (input shape (..., D, H, W), di, hi, wi)
    ((2, 3, 1, 5, 6), [0], [1, 0, 1, 2, 3, 4, 3], [1, 0, 1, 2, 3, 4, 5, 4, 3]),          # reflect
    ((4, 1, 1, 7), [0], [0], [0, 0, 0, 1, 2, 3, 4, 5, 6, 6]),                            # replicate, 1-D
    ((2, 4, 5, 5), [3, 0, 1, 2, 3, 0], [4, 0, 1, 2, 3, 4, 0], [3, 4, 0, 1, 2, 3, 4]),    # circular
    ((3, 2, 5, 8), [1], [2, 3], [5, 6, 7]),                                              # crop only
    ((2, 1, 1, 3), [0], [0], [2, 1, 0, 0, 1]),                                           # no run longer than 1
]


def _args(shape, di, hi, wi, dt, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dt)
    return x, *(np.asarray(i, np.int64) for i in (di, hi, wi))


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", GATHERS, ids=[str(c[0]) for c in GATHERS])
def test_gather3d_kernels_match_the_numpy_formulas(case, dt, parallel):
    x, di, hi, wi = _args(*case, dt)
    paths = cpu.PATHS
    with _jit.forced(parallel):
        y = cpu.gather3d_forward(x, di, hi, wi)
        np.testing.assert_array_equal(y, paths["gather3d_forward"]["numpy"](x, di, hi, wi))
        g = np.random.default_rng(1).standard_normal(y.shape).astype(dt)
        dx = cpu.gather3d_backward(g, di, hi, wi, x.shape[-3:])
    assert dx.dtype == dt and dx.shape == x.shape
    np.testing.assert_allclose(dx, paths["gather3d_backward"]["numpy"](g, di, hi, wi, x.shape[-3:]), rtol=1e-6,
                               atol=1e-6)
    # a non-contiguous input: the same values
    xt = np.ascontiguousarray(np.swapaxes(x, 0, -1)).swapaxes(0, -1)
    np.testing.assert_array_equal(cpu.gather3d_forward(xt, di, hi, wi), y)


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["float32", "float64"])
def test_gather3d_cuda_table_matches_the_cpu_one(dt):
    import emulated_cupy
    if emulated_cupy.available():
        pytest.skip(emulated_cupy.available())
    table = emulated_cupy.kernel_table()
    cp = table.cp
    for case in GATHERS:
        x, di, hi, wi = _args(*case, dt)
        y = cp.asnumpy(table.gather3d_forward(cp.asarray(x), di, hi, wi))
        np.testing.assert_array_equal(y, cpu.gather3d_forward(x, di, hi, wi))
        g = np.random.default_rng(1).standard_normal(y.shape).astype(dt)
        dx = cp.asnumpy(table.gather3d_backward(cp.asarray(g), di, hi, wi, x.shape[-3:]))
        np.testing.assert_allclose(dx, cpu.gather3d_backward(g, di, hi, wi, x.shape[-3:]), rtol=1e-6, atol=1e-6)


def test_gather3d_rejects_bad_indices_and_shapes():
    x = np.zeros((2, 3, 4, 5), np.float32)
    with pytest.raises(IndexError, match="gather3d_forward: w indices must lie in"):
        cpu.gather3d_forward(x, [0], [0], [5])
    with pytest.raises(ValueError, match="gather3d_backward: g of shape"):
        cpu.gather3d_backward(x, [0], [0], [0, 1], (3, 4, 5))
    with pytest.raises(TypeError, match="gather3d_forward"):
        cpu.gather3d_forward(x.astype(np.int64), [0], [0], [0])


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [((2, 5, 9, 11), (3, 2, 1, 4)), ((3, 4, 13), (5, 6)),
                                       ((1, 2, 4, 6, 7), (2, 1, 3, 3, 1, 2)), ((2, 3, 10, 9), (-2, 3, 4, -1))])
def test_pad_through_the_gather_matches_torch(mode, shape, pad):
    if mode == "reflect" and max(pad) >= min(shape[-len(pad) // 2:]):
        pytest.skip("reflect pads must be smaller than the dims")
    f = lambda lib, x: functional(lib).pad(x, pad, mode=mode)       # noqa: E731
    check_op(f, [shape])
    check_op(f, [shape], dtype="float64")
    check_op(lambda lib, x: functional(lib).pad(x.transpose(0, 1), pad, mode=mode), [shape], dtype="float64",
             second=False)


def test_pad_parallel_path_matches_torch():
    with _jit.forced(True):
        check_op(lambda lib, x: functional(lib).pad(x, (1, 1, 1, 1), mode="replicate"), [(4, 8, 12, 12)],
                 second=False)


LAYER = [(37, 64), (5, 7, 32), (3, 200), (4, 1)]


@pytest.mark.parametrize("affine", ["none", "both", "bias"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", LAYER, ids=[str(s) for s in LAYER])
def test_layer_norm_rows_match_torch(shape, dtype, affine):
    d = shape[-1]

    def f(lib, x, w, b):
        w = w if affine == "both" else None
        b = None if affine == "none" else b
        return functional(lib).layer_norm(x, (d,), w, b)
    # second order with a bias alone: torch's own double backward fails (an undefined weight gradient)
    check_op(f, [shape, (d,), (d,)], dtype=dtype, second=dtype == "float64" and affine != "bias",
             atol=1e-4 if dtype == "float32" else None)


def test_layer_norm_non_contiguous_and_parallel_match_torch():
    f = lambda lib, x, w, b: functional(lib).layer_norm(x.transpose(0, 1), (24,), w, b)     # noqa: E731
    check_op(f, [(24, 40), (24,), (24,)], atol=1e-4)
    with _jit.forced(True):
        check_op(lambda lib, x, w, b: functional(lib).layer_norm(x, (48,), w, b), [(300, 48), (48,), (48,)],
                 atol=1e-4, second=False)


def test_group_norm_of_one_group_without_spatial_dims_matches_torch():
    check_op(lambda lib, x, w, b: functional(lib).group_norm(x, 1, w, b), [(9, 16), (16,), (16,)], atol=1e-4)


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["float32", "float64"])
def test_layer_norm_kernels_match_the_numpy_formulas(dt):
    rng = np.random.default_rng(0)
    x, g = rng.standard_normal((50, 33)).astype(dt) * 3 + 5, rng.standard_normal((50, 33)).astype(dt)
    w, b = rng.standard_normal(33).astype(dt), rng.standard_normal(33).astype(dt)
    tol = dict(rtol=2e-5, atol=2e-5) if dt == np.float32 else dict(rtol=1e-10, atol=1e-10)
    for parallel in (False, True):
        with _jit.forced(parallel):
            got = cpu_norm.group_norm_forward(x, 1, w, b)
            back = cpu_norm.group_norm_backward(g, x, got[1], got[2], w, 1)
        for a, e in zip(got, cpu_norm._np_gn_forward(x, 1, w, b)):
            np.testing.assert_allclose(a, e, **tol)
        for a, e in zip(back, cpu_norm._np_gn_backward(g, x, got[1], got[2], w, 1)):
            np.testing.assert_allclose(a, e, **tol)
