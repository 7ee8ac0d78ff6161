"""The CUDA backend: probing, device plumbing, the kernel sources, and (on a GPU) every CUDA kernel.

Without a GPU: `is_available()` and its reasons (CuPy missing, no driver, a kernel that fails), the error of
`.to('cuda')`, every CUDA source compiled by `nvcc -ptx` where nvcc exists, and the device plumbing on the stand-in
device of tests/fake_cuda.py. With a GPU (tests marked `cuda`): each CUDA kernel against the NumPy formula on the
CPU copy of the same input, float32 and float64, odd sizes.
"""
import ast
import pathlib
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest

import autograd_lite as al
import autograd_lite.cuda as cuda
import autograd_lite.kernels.cpu as cpu_kernels
from autograd_lite import nn, optim
from autograd_lite.kernels.cuda import sources
from autograd_lite.optim.adagrad import adagrad_update
from autograd_lite.optim.adam import adam_update
from autograd_lite.optim.rmsprop import rmsprop_update
from autograd_lite.optim.sgd import sgd_update

RULES = {"sgd_update": sgd_update, "adam_update": adam_update, "rmsprop_update": rmsprop_update,
         "adagrad_update": adagrad_update}     # each optimizer's rule: the CUDA kernels' reference

ROOT = pathlib.Path(__file__).resolve().parents[1]
_CUDA_PARAM = pytest.param("gpu", marks=pytest.mark.cuda)


# ---- availability and its reasons -------------------------------------------------------------

def test_import_never_imports_cupy():
    code = "import sys, autograd_lite; assert 'cupy' not in sys.modules; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_disabled_by_environment():
    code = ("import autograd_lite as al\n"
            "assert al.cuda.is_available() is False and al.cuda.device_count() == 0\n"
            "try:\n    al.zeros(2, device='cuda')\nexcept RuntimeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"AUTOGRAD_LITE_DISABLE_CUDA": "1", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert "device 'cuda' is not available" in out.stdout and "AUTOGRAD_LITE_DISABLE_CUDA" in out.stdout


@pytest.fixture
def reprobe(monkeypatch):
    """Runs the probe again in this test with a stand-in `cupy` module (None: not installed); restores after."""
    import autograd_lite.backend as backend
    saved_probe, saved_names, saved_types = cuda._probe, dict(backend._BY_NAME), dict(backend._BY_ARRAY_TYPE)

    def probe(cupy):
        monkeypatch.setitem(sys.modules, "cupy", cupy)
        monkeypatch.delenv("AUTOGRAD_LITE_DISABLE_CUDA", raising=False)
        cuda._probe = None
        return cuda.is_available(), cuda.unavailable_reason()
    yield probe
    cuda._probe = saved_probe
    backend._BY_NAME.clear()
    backend._BY_NAME.update(saved_names)
    backend._BY_ARRAY_TYPE.clear()
    backend._BY_ARRAY_TYPE.update(saved_types)
    backend.array_types = tuple(saved_types)


def _stand_in_cupy(count=None, kernel_error=None):
    def get_count():
        if isinstance(count, Exception):
            raise count
        return count

    def kernel(*args):
        raise kernel_error
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_count)),
                                 ElementwiseKernel=kernel)


def test_unavailable_without_cupy(reprobe):
    ok, reason = reprobe(None)          # sys.modules['cupy'] = None: import raises ImportError
    assert ok is False and "CuPy is not installed" in reason and "autograd_lite[cuda12]" in reason
    with pytest.raises(RuntimeError, match="device 'cuda:0' is not available: CuPy is not installed"):
        al.zeros(3).to("cuda:0")
    with pytest.raises(RuntimeError, match="not available"):
        al.ones(2, device="cuda")
    assert cuda.device_count() == 0


def test_unavailable_without_driver(reprobe):
    ok, reason = reprobe(_stand_in_cupy(count=RuntimeError("cudaErrorNoDevice: no CUDA-capable device")))
    assert ok is False and "no usable CUDA driver or GPU" in reason and "cudaErrorNoDevice" in reason


def test_unavailable_without_gpu(reprobe):
    ok, reason = reprobe(_stand_in_cupy(count=0))
    assert ok is False and "device count 0" in reason


def test_unavailable_when_first_kernel_fails(reprobe):
    ok, reason = reprobe(_stand_in_cupy(count=1, kernel_error=RuntimeError("nvrtc: error: invalid option")))
    assert ok is False and "first CUDA kernel failed" in reason and "nvrtc" in reason
    with pytest.raises(RuntimeError, match="nvrtc"):
        al.zeros(1).cuda()


def test_cuda_functions_without_gpu_raise_clearly(reprobe):
    reprobe(None)
    for fn in (cuda.synchronize, cuda.current_device, cuda.get_device_name):
        with pytest.raises(RuntimeError, match="CUDA is not available: CuPy is not installed"):
            fn()


def test_manual_seed_all_seeds_the_global_generator():
    cuda.manual_seed_all(5)
    a = al.rand(4)
    al.manual_seed(5)
    assert np.array_equal(a.numpy(), al.rand(4).numpy())


# ---- the kernel sources, without a GPU ------------------------------------------------------------

def test_every_cuda_kernel_name_is_in_the_cpu_table():
    missing = [n for n in sources.NAMES if not callable(getattr(cpu_kernels, n, None))]
    assert not missing, f"CUDA kernels without a CPU twin: {missing}"


def test_the_cuda_table_defines_every_name():
    tree = ast.parse((ROOT / "autograd_lite/kernels/cuda/table.py").read_text())
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert set(sources.NAMES) <= defined, sorted(set(sources.NAMES) - defined)


_C_TYPES = {"int64": "long long", "int32": "int", "uint16": "unsigned short", "uint64": "unsigned long long",
            "bool": "bool"}


def elementwise_as_cuda(name, ctype):
    """sources.ELEMENTWISE[name] as a plain CUDA kernel with CuPy's semantics (element i of each non-raw
    parameter bound to its name, raw parameters as pointers), for nvcc."""
    in_params, out_params, operation = sources.ELEMENTWISE[name]
    params, binds = [], []
    for const, plist in (("const ", in_params), ("", out_params)):
        for p in filter(None, (x.strip() for x in plist.split(","))):
            *raw, ty, var = p.split()
            c = ctype if ty == "T" else _C_TYPES[ty]
            if raw:
                params.append(f"{const}{c}* {var}")
            else:
                params.append(f"{const}{c}* {var}_p")
                binds.append(f"{const}{c}& {var} = {var}_p[i];")
    return (f"extern \"C\" __global__ void al_{name}({', '.join(params)}, long long size) {{\n"
            f"  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < size;"
            f" i += (long long)blockDim.x * gridDim.x) {{\n    {' '.join(binds)}\n    {operation};\n  }}\n}}\n")


@pytest.mark.parametrize("ctype", ["float", "double"])
@pytest.mark.parametrize("part", ["elementwise", "rows"])
def test_cuda_sources_compile_with_nvcc(tmp_path, ctype, part):
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        pytest.skip("nvcc not found")
    if part == "rows":
        code = sources.rows_source(ctype)
    else:
        code = f"typedef {ctype} T;\n" + "".join(elementwise_as_cuda(n, ctype) for n in sources.ELEMENTWISE)
    src = tmp_path / f"{part}_{ctype}.cu"
    src.write_text(code)
    out = subprocess.run([nvcc, "-ptx", "-arch=sm_80", "-o", str(tmp_path / "out.ptx"), str(src)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    ptx = (tmp_path / "out.ptx").read_text()
    names = sources.ROW_KERNELS if part == "rows" else ["al_" + n for n in sources.ELEMENTWISE]
    missing = [n for n in names if f".entry {n}(" not in ptx]
    assert not missing, f"kernels missing from the PTX: {missing}"


# ---- device plumbing (every test runs on the stand-in device without a GPU, on the GPU with one) ------

def test_to_and_back(gpu):
    x = al.randn(3, 4)
    y = x.to(gpu)
    assert y.device == al.device("cuda:0") and y.is_cuda and str(y.device) == "cuda:0"
    assert y.dtype is al.float32 and y.shape == (3, 4)
    assert y.to(gpu) is y and y.cuda() is y
    assert np.array_equal(y.cpu().numpy(), x.numpy())
    assert np.array_equal(x.cuda().to("cpu").numpy(), x.numpy())
    z = x.to(gpu, al.float64)
    assert z.dtype is al.float64 and z.is_cuda
    assert x.to(gpu, non_blocking=True).is_cuda
    assert x.to(device=al.device(gpu)).is_cuda and x.to(y).is_cuda
    assert y.type() == "autograd_lite.cuda.FloatTensor" and x.type() == "autograd_lite.FloatTensor"
    back = y.type(al.FloatTensor)
    assert back.device == al.device("cpu") and back.dtype is al.float32


def test_gradient_flows_back_across_devices(gpu):
    x = al.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = (x.to(gpu) * 3).relu().sum()
    y.backward()
    assert x.grad.device == al.device("cpu")
    assert np.array_equal(x.grad.numpy(), [3.0, 0.0, 3.0])


def test_creation_functions_take_device(gpu):
    made = [al.zeros(2, 3, device=gpu), al.ones(2, device=gpu), al.empty(4, device=gpu),
            al.full((2,), 7.0, device=gpu), al.rand(3, device=gpu), al.randn(3, device=gpu),
            al.randint(0, 5, (3,), device=gpu), al.arange(5, device=gpu), al.linspace(0, 1, 5, device=gpu),
            al.eye(3, device=gpu), al.tensor([1.0, 2.0], device=gpu), al.tensor([[1, 2]], device=al.device(gpu)),
            al.randperm(4, device=gpu)]
    for t in made:
        assert t.is_cuda, t
    x = al.ones(2, 2, device=gpu)
    for t in (al.zeros_like(x), al.ones_like(x), al.empty_like(x), al.rand_like(x), al.randn_like(x),
              al.full_like(x, 2.0), x.new_zeros(3), x.new_ones(3), x.new_tensor([1.0])):
        assert t.is_cuda, t
    assert al.zeros_like(x, device="cpu").device == al.device("cpu")
    assert np.array_equal(al.full((2,), 7.0, device=gpu).cpu().numpy(), [7.0, 7.0])
    assert al.zeros(2, device=gpu, requires_grad=True).requires_grad


def test_rand_gives_the_same_numbers_on_every_device(gpu):
    al.manual_seed(3)
    a = al.randn(5)
    al.manual_seed(3)
    b = al.randn(5, device=gpu)
    assert np.array_equal(a.numpy(), b.cpu().numpy())


def test_dropout_masks_are_the_same_on_every_device(gpu):
    x = al.ones(7, 33)
    al.manual_seed(11)
    a = nn.functional.dropout(x, 0.3)
    al.manual_seed(11)
    b = nn.functional.dropout(x.to(gpu), 0.3)
    assert b.is_cuda
    np.testing.assert_allclose(b.cpu().numpy(), a.numpy(), rtol=1e-6)


def test_ops_on_two_devices_raise_naming_both(gpu):
    a, b = al.ones(3, device=gpu), al.ones(3)
    for op in (lambda: a + b, lambda: b * a, lambda: al.matmul(a, b), lambda: al.maximum(b, a)):
        with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at "
                                               "least two devices, (cuda:0 and cpu|cpu and cuda:0)"):
            op()
    with pytest.raises(RuntimeError, match="same device"):
        nn.Linear(3, 2)(a)


def test_numpy_of_a_cuda_tensor_says_cpu_first(gpu):
    x = al.ones(2, device=gpu)
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu\(\)"):
        x.numpy()
    assert x.tolist() == [1.0, 1.0] and al.ones(1, device=gpu).item() == 1.0
    assert np.array_equal(x.cpu().numpy(), [1.0, 1.0])


def test_cpu_index_tensors_index_a_cuda_tensor(gpu):
    x = al.arange(12.0).reshape(3, 4).to(gpu)
    picked = x[al.tensor([2, 0])]
    assert picked.is_cuda and picked.cpu().tolist() == [[8, 9, 10, 11], [0, 1, 2, 3]]
    x[al.tensor([1])] = 0.0
    assert x.sum().item() == 66.0 - (4 + 5 + 6 + 7)


@pytest.mark.parametrize("index, dim, size", [(lambda x, i: x[i], 0, 3), (lambda x, i: x[:, i], 1, 4),
                                              (lambda x, i: x[None, ..., i], 1, 4),
                                              (lambda x, i: x.__setitem__(i, 0.0), 0, 3)])
def test_index_out_of_bounds_raises_on_the_gpu(gpu, index, dim, size):
    """CuPy wraps an integer index out of bounds around (x[[3]] of 3 rows is row 0) where NumPy and PyTorch raise:
    every index array is checked against its dim first (issue 13)."""
    x = al.arange(12.0).reshape(3, 4).to(gpu)
    for bad in (size, -size - 1):
        with pytest.raises(IndexError, match=f"index {bad} is out of bounds for dimension {dim} with size {size}"):
            index(x, al.tensor([0, bad]))
    assert x.sum().item() == 66.0


def test_save_moves_to_the_cpu_and_load_maps_locations(gpu, tmp_path):
    x = al.randn(3, device=gpu)
    path = tmp_path / "x.pt"
    al.save({"x": x}, path)
    assert al.load(path)["x"].is_cuda                                # saved on cuda: comes back there
    on_cpu = al.load(path, map_location="cpu")["x"]
    assert on_cpu.device == al.device("cpu") and np.array_equal(on_cpu.numpy(), x.cpu().numpy())
    assert al.load(path, map_location={"cuda:0": "cpu"})["x"].device == al.device("cpu")
    al.save(al.ones(2), path)
    assert al.load(path, map_location=gpu).is_cuda                   # and the other way
    assert al.load(path, map_location={"cpu": "cuda:0"}).is_cuda


def test_invalid_device_ordinal(gpu):
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        al.zeros(2).to("cuda:99")


def _model():
    al.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3), nn.LogSoftmax(dim=1))


@pytest.mark.parametrize("make_opt", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                      lambda p: optim.Adam(p, lr=0.01)], ids=["sgd-momentum", "adam"])
def test_module_to_moves_parameters_and_optimizer_state(gpu, make_opt):
    x, t = al.randn(5, 6), al.tensor([0, 2, 1, 1, 0])

    def step(model, opt, device):
        opt.zero_grad()
        nn.NLLLoss()(model(x.to(device)), t.to(device)).backward()
        opt.step()

    ref = _model()
    ref_opt = make_opt(ref.parameters())
    moved = _model()
    opt = make_opt(moved.parameters())
    for i in range(3):                        # the same steps, the second model on the GPU from step 2 on
        al.manual_seed(100 + i)
        step(ref, ref_opt, "cpu")
        al.manual_seed(100 + i)
        step(moved, opt, gpu if i else "cpu")
        if i == 0:
            assert moved.to(gpu) is moved
            w = moved[0].weight
            assert w.is_cuda and w.grad.is_cuda
            for key, value in opt.state[w].items():
                assert value.device == (al.device("cpu") if key == "step" else al.device("cuda:0")), key
    for p, q in zip(ref.parameters(), moved.parameters()):
        assert q.is_cuda
        # (on a GPU, sums round differently; Adam's normalised steps can turn that into ~1e-5 here)
        np.testing.assert_allclose(q.detach().cpu().numpy(), p.detach().numpy(), rtol=1e-4, atol=1e-4)
    moved.to("cpu")
    assert all(v.device == al.device("cpu") for s in opt.state.values() for v in s.values())


def test_seed_4_8_device_agnostic_training_loop(device):
    """The seed's section 4.8 loop as written, on each device."""
    import autograd_lite as torch
    from collections import OrderedDict
    al.manual_seed(0)
    images_all, labels_all = torch.randn(128, 1024), torch.randint(0, 2, (128,))
    trainloader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images_all, labels_all),
                                              batch_size=32, shuffle=True)
    model = nn.Module()
    model.classifier = nn.Sequential(OrderedDict([
        ('fc1', nn.Linear(1024, 500)), ('relu', nn.ReLU()), ('fc2', nn.Linear(500, 2)),
        ('output', nn.LogSoftmax(dim=1))]))
    model.forward = lambda x: model.classifier(x)
    criterion = nn.NLLLoss()
    optimizer = optim.Adam(model.classifier.parameters(), lr=0.001)
    model.to(device)
    steps, running_loss, train_accuracy, losses = 0, 0, 0, []
    for e in range(2):
        for images, labels in iter(trainloader):
            images, labels = images.to(device), labels.to(device)
            steps += 1
            optimizer.zero_grad()
            output = model.forward(images)
            loss = criterion(output, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            losses.append(loss.item())
            ps = torch.exp(output)
            equality = (labels.data == ps.max(dim=1)[1])
            train_accuracy += equality.type(torch.FloatTensor).mean()
    assert output.device == al.device(device) and isinstance(train_accuracy, al.Tensor)
    assert losses[-1] < losses[0]
    correct = total = 0
    with torch.no_grad():
        for images, labels in trainloader:
            outputs = model.forward(images.to(device))
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted.to("cpu") == labels).sum().item()
    assert total == 128 and correct > 64


# ---- every CUDA kernel against the NumPy formula (GPU only) -------------------------------------------

@pytest.fixture(scope="module", params=["emulated", _CUDA_PARAM])
def table(request):
    """The CUDA kernel table: on the GPU, and on the CPU through tests/emulated_cupy.py (CuPy's kernel API over
    the same CUDA C sources compiled by g++, CUDA's threads emulated)."""
    if request.param == "emulated":
        import emulated_cupy
        reason = emulated_cupy.available()
        if reason:
            pytest.skip(reason)
        return emulated_cupy.kernel_table()
    if not cuda.is_available():
        pytest.skip(f"CUDA not available: {cuda.unavailable_reason()}")
    import autograd_lite.kernels.cuda.table as gpu_table
    return gpu_table


def _to_device(cp, x):
    if isinstance(x, np.ndarray):
        return cp.asarray(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_to_device(cp, v) for v in x)
    return x


def _to_host(cp, x):
    if isinstance(x, cp.ndarray):
        return cp.asnumpy(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_to_host(cp, v) for v in x)
    return x


def _kernel_cases(rng, dt):
    """(name, host args, reference fn on host args): reference = the CPU table's NumPy formula."""
    P = cpu_kernels.PATHS

    def r(*shape, positive=False):
        a = rng.standard_normal(shape).astype(dt)
        return np.abs(a) + dt(0.1) if positive else a
    x, g = r(37, 53), r(37, 53)
    t = rng.integers(0, 53, 37)
    t[3] = -100
    w = r(53, positive=True)
    soft = P["softmax_forward"]["numpy"](x, 1)
    logp = P["log_softmax_forward"]["numpy"](x, 1)
    np_w = np.empty(0, dt)
    cases = [
        ("matmul", (r(37, 29), r(29, 41)), P["matmul"]["numpy"]),
        ("matmul", (r(3, 37, 29), r(3, 29, 5)), np.matmul),
        ("bias_add", (x, r(53)), P["bias_add"]["numpy"]),
        ("bias_grad", (g,), P["bias_grad"]["numpy"]),
        ("softmax_forward", (r(7, 9, 11), 1), P["softmax_forward"]["numpy"]),
        ("softmax_forward", (r(5, 1500), -1), P["softmax_forward"]["numpy"]),
        ("log_softmax_forward", (x, 1), P["log_softmax_forward"]["numpy"]),
        ("log_softmax_forward", (r(7, 9, 11), 0), P["log_softmax_forward"]["numpy"]),
        ("softmax_backward", (g, soft, 1), P["softmax_backward"]["numpy"]),
        ("log_softmax_backward", (g, logp, 1), P["log_softmax_backward"]["numpy"]),
        ("dropout_forward", (x, rng.integers(0, 65536, x.shape).astype(np.uint16), 0.3),
         P["dropout_forward"]["numpy"]),
        ("dropout_forward", (x, rng.random(x.shape).astype(dt), 0.3), P["dropout_forward"]["numpy"]),
        ("dropout_backward", (g, rng.random(g.shape) < 0.7, 0.3), P["dropout_backward"]["numpy"]),
        ("cross_entropy_forward", (x, t, None, -100, 0.0), lambda x, t, w, i, e: P["cross_entropy_forward"]["numpy"](
            x, t, np_w, i, e)),
        ("cross_entropy_forward", (x, t, w, -100, 0.1), P["cross_entropy_forward"]["numpy"]),
        ("cross_entropy_backward", (r(37), soft, t, w, -100, 0.1, False), P["cross_entropy_backward"]["numpy"]),
        ("cross_entropy_backward", (np.asarray(0.5, dt), logp, t, None, -100, 0.0, True),
         lambda g, p, t, w, i, e, lp: P["cross_entropy_backward"]["numpy"](g, p, t, np_w, i, e, lp)),
        ("nll_loss_forward", (logp, t, w, -100), P["nll_loss_forward"]["numpy"]),
        ("nll_loss_forward", (logp, t, None, -100), lambda x, t, w, i: P["nll_loss_forward"]["numpy"](x, t, np_w, i)),
        ("nll_loss_backward", (r(37), t, w, -100, 53), P["nll_loss_backward"]["numpy"]),
        ("random_words", (12345, 1001), cpu_kernels.random_words),
    ]
    for act in ("relu", "sigmoid", "tanh"):
        cases += [(f"{act}_forward", (r(1001),), P[f"{act}_forward"]["numpy"]),
                  (f"{act}_backward", (r(1001), P[f"{act}_forward"]["numpy"](r(1001))), P[f"{act}_backward"]["numpy"])]
    for act in (None, "relu", "sigmoid", "tanh", "log_softmax"):
        cases.append(("linear_forward", (r(2, 19, 29), r(41, 29), r(41), act), P["linear_forward"]["numpy"]))
    cases.append(("linear_forward", (r(19, 29), r(41, 29), None, "relu"), P["linear_forward"]["numpy"]))
    for act in ("relu", "sigmoid", "tanh", "log_softmax"):
        y = P["linear_forward"]["numpy"](r(19, 29), r(41, 29), r(41), act)
        cases.append(("activation_bias_backward", (r(19, 41), y, act), P["activation_bias_backward"]["numpy"]))
    p, gr, b1, b2, b3 = r(101), r(101), r(101), r(101, positive=True), r(101, positive=True)
    cases += [
        ("sgd_update", (p, gr, b1, 0.1, 0.9, 0.1, 0.01, True, False, False), RULES["sgd_update"]),
        ("sgd_update", (p, gr, None, 0.1, 0.0, 0.0, 0.0, False, True, False), RULES["sgd_update"]),
        ("adam_update", (p, gr, b1, b2, None, 0.9, 0.999, 1e-8, 0.01, 1.0, 0.01, 0.3, False),
         RULES["adam_update"]),
        ("adam_update", (p, gr, b1, b2, b3, 0.9, 0.999, 1e-8, 0.0, 0.999, 0.01, 0.3, True), RULES["adam_update"]),
        ("rmsprop_update", (p, gr, b2, b1 * 0.1, b3, 0.01, 0.99, 1e-8, 0.01, 0.9, False),
         RULES["rmsprop_update"]),
        ("rmsprop_update", (p, gr, b2, None, None, 0.01, 0.99, 1e-8, 0.0, 0.0, True), RULES["rmsprop_update"]),
        ("adagrad_update", (p, gr, b2, 0.05, 1e-10, 0.01, False), RULES["adagrad_update"]),
    ]
    return cases


# float32: sums of ~30 products of N(0, 1) values summed in another order (cuBLAS, the row kernels) differ by a
# few 1e-6 near zero
_TOL = {np.float32: dict(rtol=2e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["float32", "float64"])
def test_cuda_kernels_match_the_numpy_formulas(table, dt):
    cp = table.cp
    rng = np.random.default_rng(0)
    failures = []
    for name, args, ref in _kernel_cases(rng, dt):
        host = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        dev = _to_device(cp, [a.copy() if isinstance(a, np.ndarray) else a for a in args])
        want = ref(*host)
        got = _to_host(cp, getattr(table, name)(*dev))
        pairs = list(zip(want, got)) if isinstance(want, tuple) else [(want, got)]
        pairs += [(h, _to_host(cp, d)) for h, d in zip(host, dev) if isinstance(h, np.ndarray)]   # in-place updates
        for i, (w_, g_) in enumerate(pairs):
            if w_ is None:
                continue
            w_, g_ = np.asarray(w_), np.asarray(g_)
            try:
                assert g_.shape == w_.shape, f"shape {g_.shape}, expected {w_.shape}"
                assert g_.dtype == w_.dtype, f"dtype {g_.dtype}, expected {w_.dtype}"
                if w_.dtype.kind == "f":
                    np.testing.assert_allclose(g_, w_, **_TOL[dt])
                else:
                    np.testing.assert_array_equal(g_, w_)
            except AssertionError as e:
                failures.append(f"{name} part {i}: {e}")
    assert not failures, "\n".join(failures)


def test_cuda_kernels_reject_host_arrays_and_bad_targets(table):
    cupy = table.cp
    with pytest.raises(TypeError, match="relu_forward: expected CUDA"):
        table.relu_forward(np.ones(3, np.float32))
    x, t = cupy.zeros((2, 3), cupy.float32), cupy.asarray([0, 7])
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        table.cross_entropy_forward(x, t)
    with pytest.raises(IndexError, match="Target 7 is out of bounds"):
        table.nll_loss_forward(x, t)


@pytest.mark.parametrize("require", ["", "1"])
def test_require_gpu_turns_skips_into_failures(require):
    env = {"PATH": "/usr/bin:/bin", "AUTOGRAD_LITE_DISABLE_CUDA": "1", "AUTOGRAD_LITE_REQUIRE_GPU": require}
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs",
                          "tests/test_cuda.py::test_cuda_kernels_reject_host_arrays_and_bad_targets[gpu]"],
                         capture_output=True, text=True, cwd=ROOT, env=env)
    if require:
        assert out.returncode == 1 and "AUTOGRAD_LITE_REQUIRE_GPU=1 but CUDA is not available" in out.stdout
    else:
        assert out.returncode == 0 and "1 skipped" in out.stdout, out.stdout[-2000:]


def test_device_arrays_become_tensors_on_their_device(gpu):
    import autograd_lite.backend as backend
    array = backend.get_backend("cuda").from_host(np.arange(6, dtype=np.float32).reshape(2, 3))
    shared = al.as_tensor(array)
    copied = al.tensor(array, requires_grad=True)
    assert shared.is_cuda and copied.is_cuda and copied.requires_grad and copied.dtype is al.float32
    shared.add_(1.0)                                     # as_tensor shares the array, tensor copies it
    assert shared.cpu().tolist() == [[1, 2, 3], [4, 5, 6]] and copied.detach().cpu().tolist()[0] == [0, 1, 2]
    assert al.tensor(array, dtype=al.float64).dtype is al.float64
    assert al.tensor(array, device="cpu").device == al.device("cpu")
    w = al.zeros(2, 3, device=gpu)
    w.data = array                                       # .data = a device array keeps it on the device
    assert w.is_cuda and w.cpu().tolist() == [[1, 2, 3], [4, 5, 6]]


def test_cross_entropy_with_no_classes_names_the_target(table):
    cp = table.cp
    x = cp.zeros((2, 0), np.float32)
    with pytest.raises(IndexError, match="Target 1 is out of bounds"):
        table.cross_entropy_forward(x, cp.asarray(np.array([-100, 1])))
    losses, probs, total = table.cross_entropy_forward(x, cp.asarray(np.array([-100, -100])))
    assert cp.asnumpy(losses).tolist() == [0.0, 0.0] and float(total) == 0.0 and probs.shape == (2, 0)


def test_kernels_run_on_the_device_of_their_arrays():
    """With several GPUs, each table function makes its arrays' device current (checked with a stand-in)."""
    import emulated_cupy
    if emulated_cupy.available():
        pytest.skip(emulated_cupy.available())
    table = emulated_cupy.kernel_table()
    seen = []

    class Device:
        def __init__(self, i):
            self.id = i

        def __enter__(self):
            seen.append(self.id)

        def __exit__(self, *exc):
            return False
    x = table.cp.asarray(np.ones(3, np.float32))
    wrapped = table._on_the_arrays_device(lambda a, b=None: "ran")
    saved = type(x).__dict__["device"]
    type(x).device = property(lambda self: Device(7))
    try:
        assert wrapped(x) == "ran" and wrapped([x]) == "ran" and wrapped(3) == "ran"
    finally:
        type(x).device = saved
    assert seen == [7, 7]


def test_the_emulator_catches_a_missing_barrier():
    """tests/simt.h runs warps apart between barriers, as a GPU may: without the __syncthreads between writing and
    reading the block's partial sums, the emulated row kernel computes a wrong result (so the emulated tests would
    catch such a race), and with it, the right one."""
    import ctypes
    import emulated_cupy
    if emulated_cupy.available():
        pytest.skip(emulated_cupy.available())
    barrier = "    if (lane == 0) part[warp] = v;\n    __syncthreads();\n    v = lane < warps ? part[lane] : 0.0;"
    assert sources.ROWS.count(barrier) == 1
    broken = sources.ROWS.replace(barrier, barrier.replace("    __syncthreads();\n", ""))
    x = np.random.default_rng(0).standard_normal((3, 300)).astype(np.float32)
    want = x - x.max(1, keepdims=True)
    want = want - np.log(np.exp(want).sum(1, keepdims=True))
    results = {}
    for name, rows in (("intact", sources.ROWS), ("broken", broken)):
        y = np.zeros_like(x)
        run = emulated_cupy.library("float", rows).run_log_softmax_forward
        run(ctypes.c_uint(3), ctypes.c_uint(128), ctypes.c_void_p(x.ctypes.data), ctypes.c_void_p(y.ctypes.data),
            ctypes.c_longlong(300))
        results[name] = np.abs(y - want).max()
    assert results["intact"] < 1e-5 and results["broken"] > 1e-3, results
