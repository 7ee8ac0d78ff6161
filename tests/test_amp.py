"""autograd_lite.amp against torch.amp: autocast's dtypes and values op by op (torch's CPU autocast in float16 is the
reference on the CPU; on the stand-in CUDA device, PyTorch's CUDA lists), training steps through nn's fused paths,
the cast cache, the state functions and their errors, GradScaler step for step against torch's, the deprecated
torch.cuda.amp / torch.cpu.amp spellings, custom_fwd / custom_bwd."""
import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.amp import autocast_mode
from autograd_lite.autograd import autocast_state

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
A = RNG.standard_normal((4, 6)).astype(np.float32)
B = RNG.standard_normal((6, 5)).astype(np.float32)
W = RNG.standard_normal((5, 6)).astype(np.float32)
IMG = RNG.standard_normal((2, 3, 8, 8)).astype(np.float32)
K = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
TARGET = np.array([0, 1, 2, 3])
ONES = np.ones((4, 5), np.float32)


def _ab(L, T):
    return L.matmul(T(A), T(B))


# name -> f(lib, to_tensor): the op under autocast, most on a float16 product's output (what a network feeds them)
OPS = {
    "matmul": _ab,
    "mm": lambda L, T: L.mm(T(A), T(B)),
    "bmm": lambda L, T: L.bmm(T(A[None]), T(B[None])),
    "@": lambda L, T: T(A) @ T(B),
    "addmm": lambda L, T: L.addmm(T(np.ones(5, np.float32)), T(A), T(B)),
    "linear": lambda L, T: L.nn.functional.linear(T(A), T(W), T(np.ones(5, np.float32))),
    "conv2d": lambda L, T: L.nn.functional.conv2d(T(IMG), T(K), padding=1),
    "conv1d": lambda L, T: L.nn.functional.conv1d(T(IMG[:, :, 0]), T(K[:, :, 0])),
    "sdpa": lambda L, T: L.nn.functional.scaled_dot_product_attention(T(A[None]), T(A[None]), T(A[None])),
    "exp": lambda L, T: L.exp(_ab(L, T)),
    "softmax": lambda L, T: L.softmax(_ab(L, T), 1),
    "log_softmax": lambda L, T: L.nn.functional.log_softmax(_ab(L, T), 1),
    "relu": lambda L, T: L.relu(_ab(L, T)),
    "sum": lambda L, T: _ab(L, T).sum(),
    "layer_norm": lambda L, T: L.nn.functional.layer_norm(_ab(L, T), (5,)),
    "batch_norm": lambda L, T: L.nn.functional.batch_norm(L.nn.functional.conv2d(T(IMG), T(K)),
                                                          T(np.zeros(4, np.float32)), T(np.ones(4, np.float32)),
                                                          training=True),
    "cross_entropy": lambda L, T: L.nn.functional.cross_entropy(_ab(L, T), T(TARGET)),
    "nll_loss": lambda L, T: L.nn.functional.nll_loss(L.nn.functional.log_softmax(_ab(L, T), 1), T(TARGET)),
    "mse_loss": lambda L, T: L.nn.functional.mse_loss(_ab(L, T), T(ONES)),
    "l1_loss": lambda L, T: L.nn.functional.l1_loss(_ab(L, T), T(ONES)),
    "bce_with_logits": lambda L, T: L.nn.functional.binary_cross_entropy_with_logits(_ab(L, T), T(ONES)),
    "bce": lambda L, T: L.nn.functional.binary_cross_entropy(L.sigmoid(_ab(L, T)), T(ONES)),
    "prod": lambda L, T: _ab(L, T).prod(),
    "cat": lambda L, T: L.cat([_ab(L, T), T(np.ones((1, 5), np.float32))]),
    "stack": lambda L, T: L.stack([_ab(L, T), T(ONES)]),
    "add 16+32": lambda L, T: _ab(L, T) + T(np.ones(5, np.float32)),
    "float64 matmul": lambda L, T: L.matmul(T(A.astype(np.float64)), T(B.astype(np.float64))),
}


def _run(L, f):
    def to_tensor(x):
        return L.from_numpy(np.ascontiguousarray(x))
    with L.autocast("cpu", dtype=L.float16):
        return f(L, to_tensor)


@pytest.mark.parametrize("name", sorted(OPS))
def test_cpu_autocast_matches_torch(name):
    ref, out = _run(torch, OPS[name]), _run(al, OPS[name])
    assert str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    assert tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy().astype(np.float64), ref.detach().numpy().astype(np.float64),
                               rtol=2e-2, atol=2e-2)


def test_autocast_outside_a_region_changes_nothing():
    out = _run(al, OPS["matmul"])
    assert out.dtype is al.float16
    assert (al.from_numpy(A) @ al.from_numpy(B)).dtype is al.float32
    assert not al.is_autocast_enabled("cpu") and autocast_state.regions == 0


def _mlp(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(6, 16), L.nn.ReLU(), L.nn.Linear(16, 16), L.nn.Tanh(), L.nn.Linear(16, 4))


def _cnn(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Conv2d(3, 4, 3, padding=1), L.nn.ReLU(), L.nn.MaxPool2d(2), L.nn.Conv2d(4, 4, 3),
                           L.nn.BatchNorm2d(4), L.nn.ReLU(), L.nn.Flatten(), L.nn.Linear(4 * 2 * 2, 4))


@pytest.mark.parametrize("build, x", [(_mlp, A), (_cnn, IMG[[0, 1, 0, 1]])], ids=["mlp", "cnn"])
def test_training_step_through_the_fused_paths(build, x):
    """nn.Sequential's linear chain and Conv2d + ReLU + MaxPool2d run as fused nodes: autocast reaches them too.
    Forward in float16 values, gradients in float32 on the float32 parameters, equal to torch's within float16's
    precision; the step trains."""
    ours, ref = build(al), build(torch)
    ours.load_state_dict({k: al.from_numpy(v.detach().numpy().copy()) for k, v in ref.state_dict().items()})
    results = []
    for L, model in ((al, ours), (torch, ref)):
        with L.autocast("cpu", dtype=L.float16):
            out = model(L.from_numpy(x.copy()))
            loss = L.nn.functional.cross_entropy(out, L.from_numpy(TARGET))
        loss.backward()
        results.append((out, loss, [p.grad for p in model.parameters()]))
    (out, loss, grads), (t_out, t_loss, t_grads) = results
    assert out.dtype is al.float16 and loss.dtype is al.float32
    np.testing.assert_allclose(out.detach().numpy().astype(np.float32), t_out.detach().float().numpy(), rtol=2e-2, atol=2e-2)
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-2)
    for g, tg, p in zip(grads, t_grads, ours.parameters()):
        assert g.dtype is al.float32 and g.shape == p.shape
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=5e-2, atol=5e-3)


def test_parameters_are_cast_once_per_region_and_the_cache_clears():
    lin = al.nn.Linear(6, 5)
    x = al.from_numpy(A)
    st = autocast_state.state
    with al.autocast("cpu"):
        lin(x)
        assert id(lin.weight) in st.cache
        cached = st.cache[id(lin.weight)][1]
        lin(x)
        assert st.cache[id(lin.weight)][1] is cached
        with al.autocast("cpu"):            # nested: the same cache
            lin(x)
        assert id(lin.weight) in st.cache
    assert st.cache == {}
    with al.autocast("cpu", cache_enabled=False):
        lin(x)
        assert st.cache == {}


def test_two_backward_passes_through_cached_casts():
    lin = al.nn.Linear(6, 5)
    x = al.from_numpy(A)
    with al.autocast("cpu"):
        lin(x).float().sum().backward()
        first = lin.weight.grad.clone()
        lin(x).float().sum().backward()
    np.testing.assert_allclose(lin.weight.grad.numpy(), 2 * first.numpy(), rtol=1e-6)


def test_nested_disabled_region_and_decorator():
    x = al.from_numpy(A)
    with al.autocast("cpu"):
        with al.autocast("cpu", enabled=False):
            assert not al.is_autocast_enabled("cpu")
            assert (x @ al.from_numpy(B)).dtype is al.float32
        assert al.is_autocast_enabled("cpu")

    @al.autocast("cpu")
    def product(a, b):
        return a @ b
    assert product(x, al.from_numpy(B)).dtype is al.bfloat16        # the CPU's default, as torch's
    assert not al.is_autocast_enabled("cpu")
    with pytest.raises(TypeError, match="requires a callable"):
        al.autocast("cpu")(3)


def test_state_functions_as_torch():
    assert al.is_autocast_enabled() is torch.is_autocast_enabled() is False
    assert al.get_autocast_dtype("cuda") is al.float16
    assert al.get_autocast_gpu_dtype() is al.float16 and al.get_autocast_cpu_dtype() is al.bfloat16
    al.set_autocast_dtype("cpu", al.float16)
    al.set_autocast_enabled("cpu", True)
    try:
        assert al.is_autocast_enabled("cpu") and al.is_autocast_cpu_enabled() and autocast_state.regions == 1
        assert (al.from_numpy(A) @ al.from_numpy(B)).dtype is al.float16
    finally:
        al.set_autocast_enabled("cpu", False)
        al.set_autocast_dtype("cpu", al.bfloat16)       # the default again, for the tests after this one
    assert autocast_state.regions == 0
    al.set_autocast_enabled(False)          # the legacy one-argument form: CUDA
    assert al.is_autocast_cache_enabled()
    al.set_autocast_cache_enabled(False)
    assert not al.is_autocast_cache_enabled()
    al.set_autocast_cache_enabled(True)
    assert al.autocast_increment_nesting() == 1 and al.autocast_decrement_nesting() == 0
    assert al.amp.is_autocast_available("cpu") and not al.amp.is_autocast_available("xla")


def test_errors_and_warnings_as_torch():
    for L in (torch, al):
        with pytest.raises(RuntimeError, match="device type at start of device string: tpu"):
            L.autocast("tpu")
        with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
            L.autocast(0)
    with pytest.warns(UserWarning, match="In CPU autocast, but the target dtype is not supported. Disabling"):
        region = al.autocast("cpu", dtype=al.float64)
    with region:
        assert not al.is_autocast_enabled("cpu")
    if not al.cuda.is_available():
        for L in (torch, al):
            with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling"):
                region = L.autocast("cuda")
            with region:
                assert not L.is_autocast_enabled("cuda")


def test_every_fused_class_of_the_policy_exists():
    assert autocast_mode.install_policy() == []


def test_declared_ops_of_the_policy_exist():
    """Each op name the policy lists is declared here (so it is autocast), or is one we do not have at all."""
    declared = set(al._api.TOP) | set(al._api.FUNCTIONAL)
    wrapped = {n for n in declared if hasattr(al._api.TOP.get(n) or al._api.FUNCTIONAL.get(n), "autocast_policy")}
    for name in autocast_state.POLICY:
        if name in declared:
            assert name in wrapped, name
    for name in ("matmul", "linear", "conv2d", "cross_entropy", "softmax", "cat", "layer_norm"):
        assert name in wrapped


# ---- the stand-in CUDA device: PyTorch's CUDA lists --------------------------------------------------------

CUDA_DTYPES = {"matmul": "float16", "linear": "float16", "conv2d": "float16", "bmm": "float16", "exp": "float32",
               "softmax": "float32", "log_softmax": "float32", "sum": "float32", "layer_norm": "float32",
               "relu": "float16", "cross_entropy": "float32", "mse_loss": "float32", "cat": "float32",
               "batch_norm": "float16", "float64 matmul": "float64", "sdpa": "float16"}


@pytest.mark.parametrize("name", sorted(CUDA_DTYPES))
def test_cuda_policy_on_the_stand_in_device(fake_cuda, name):
    def to_tensor(x):
        return al.from_numpy(np.ascontiguousarray(x)).to("cuda")
    with al.autocast("cuda"):
        out = OPS[name](al, to_tensor)
    assert out.device.type == "cuda"
    assert str(out.dtype).split(".")[-1] == CUDA_DTYPES[name]
    ref = _run(torch, OPS[name]).detach().float().numpy()
    np.testing.assert_allclose(out.cpu().numpy().astype(np.float32), ref, rtol=2e-2, atol=2e-2)


def test_cuda_refuses_binary_cross_entropy(fake_cuda):
    p = al.full((3,), 0.5, device="cuda")
    with al.autocast("cuda"):
        with pytest.raises(RuntimeError, match="binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast"):
            al.nn.functional.binary_cross_entropy(p, al.ones(3, device="cuda"))


def test_cuda_training_step_on_the_stand_in_device(fake_cuda):
    model = _mlp(al).to("cuda")
    opt = al.optim.SGD(model.parameters(), lr=0.1)
    scaler = al.amp.GradScaler("cuda")
    x, y = al.from_numpy(A).to("cuda"), al.from_numpy(TARGET).to("cuda")
    losses = []
    for _ in range(5):
        opt.zero_grad()
        with al.autocast("cuda"):
            out = model(x)
            loss = al.nn.functional.cross_entropy(out, y)
        assert out.dtype is al.float16 and loss.dtype is al.float32
        scaler.scale(loss).backward()
        assert model[0].weight.grad.dtype is al.float32
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert scaler.get_scale() == 2.0 ** 16


# ---- GradScaler ---------------------------------------------------------------------------------------------

def _scaler_run(L, steps, inf_at, **kw):
    """SGD on a linear model with GradScaler('cpu'); at the steps of inf_at one gradient is made inf. Returns the
    scales after each update, the weights and the final state_dict."""
    L.manual_seed(0)
    w = L.nn.Parameter(L.from_numpy(W.copy()))
    opt = L.optim.SGD([w], lr=0.01)
    scaler = L.amp.GradScaler("cpu", **kw)
    scales = []
    for i in range(steps):
        opt.zero_grad()
        loss = (L.from_numpy(A) @ w.t()).square().mean()
        scaler.scale(loss).backward()
        if i in inf_at:
            w.grad[0, 0] = float("inf")
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
    return scales, w.detach().numpy().copy(), scaler.state_dict()


@pytest.mark.parametrize("kw", [{}, {"init_scale": 8.0, "growth_interval": 3, "growth_factor": 4.0,
                                     "backoff_factor": 0.25}])
def test_grad_scaler_step_for_step_as_torch(kw):
    ours, ref = _scaler_run(al, 9, {1, 5, 6}, **kw), _scaler_run(torch, 9, {1, 5, 6}, **kw)
    assert ours[0] == ref[0]
    np.testing.assert_allclose(ours[1], ref[1], rtol=1e-5, atol=1e-7)
    assert ours[2] == ref[2]


def test_grad_scaler_unscale_clip_and_errors():
    w = al.nn.Parameter(al.from_numpy(W.copy()))
    opt = al.optim.SGD([w], lr=0.1)
    scaler = al.amp.GradScaler("cpu", init_scale=4.0)
    with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
        scaler.step(opt)
    loss = scaler.scale((al.from_numpy(A) @ w.t()).sum())
    assert loss.item() == pytest.approx(4.0 * (A @ W.T).sum(), rel=1e-5)
    loss.backward()
    scaler.unscale_(opt)
    np.testing.assert_allclose(w.grad.numpy(), np.ones((4, 5), np.float32).T @ A, rtol=1e-5)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called on this optimizer"):
        scaler.unscale_(opt)
    al.nn.utils.clip_grad_norm_([w], 1.0)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the last update\(\)"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) is being called after step\(\)"):
        scaler.unscale_(opt)
    scaler.update()
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0)
    scaler.update(2.0)
    assert scaler.get_scale() == 2.0
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        scaler.scale(3)
    a, b = scaler.scale([al.ones(1), (al.ones(2),)])
    assert a.item() == 2.0 and b[0].tolist() == [2.0, 2.0]
    w16 = al.nn.Parameter(al.ones(2, dtype=al.float16))
    opt16 = al.optim.SGD([w16], lr=0.1)
    scaler.scale(w16.sum()).backward()
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients."):
        scaler.unscale_(opt16)


def test_grad_scaler_state_dict_and_disabled():
    scaler = al.amp.GradScaler("cpu", init_scale=16.0, growth_interval=7)
    t_scaler = torch.amp.GradScaler("cpu", init_scale=16.0, growth_interval=7)
    assert scaler.state_dict() == t_scaler.state_dict()
    other = al.amp.GradScaler("cpu")
    other.load_state_dict(t_scaler.state_dict())
    assert other.get_scale() == 16.0 and other.get_growth_interval() == 7
    off = al.amp.GradScaler("cpu", enabled=False)
    x = al.ones(2)
    assert off.scale(x) is x and off.state_dict() == {} and off.get_scale() == 1.0 and not off.is_enabled()
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        other.load_state_dict({})
    with pytest.raises(AssertionError, match="The growth factor must be > 1.0."):
        al.amp.GradScaler("cpu", growth_factor=1.0)
    if not al.cuda.is_available():
        with pytest.warns(UserWarning, match="GradScaler is enabled, but CUDA is not available.  Disabling."):
            assert not al.amp.GradScaler().is_enabled()


# ---- deprecated spellings, custom Functions ---------------------------------------------------------------------

@pytest.mark.parametrize("spelling, expected", [
    (lambda L: L.cpu.amp.autocast(), "`torch.cpu.amp.autocast(args...)` is deprecated. Please use "
                                     "`torch.amp.autocast('cpu', args...)` instead."),
    (lambda L: L.cpu.amp.GradScaler(), "`torch.cpu.amp.GradScaler(args...)` is deprecated. Please use "
                                       "`torch.amp.GradScaler('cpu', args...)` instead."),
    (lambda L: L.cuda.amp.GradScaler(enabled=False), "`torch.cuda.amp.GradScaler(args...)` is deprecated. "
                                                     "Please use `torch.amp.GradScaler('cuda', args...)` instead."),
    (lambda L: L.cuda.amp.autocast(enabled=False), "`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                                                   "`torch.amp.autocast('cuda', args...)` instead."),
    (lambda L: L.cuda.amp.custom_fwd(lambda ctx: 0), "`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please "
                                                     "use `torch.amp.custom_fwd(args..., device_type='cuda')` "
                                                     "instead."),
])
def test_deprecated_spellings_warn_as_torch(spelling, expected):
    for L in (torch, al):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            spelling(L)
        assert expected in [str(w.message) for w in caught if w.category is FutureWarning], L
    with pytest.warns(FutureWarning):
        region = al.cpu.amp.autocast()
    with region:
        assert al.is_autocast_enabled("cpu")


def test_custom_fwd_casts_inputs_and_custom_bwd_restores_the_state():
    seen = {}

    class Square(al.autograd.Function):
        @staticmethod
        @al.amp.custom_fwd(device_type="cpu", cast_inputs=al.float32)
        def forward(ctx, x):
            seen["forward"] = (x.dtype, al.is_autocast_enabled("cpu"))
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @al.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            seen["backward"] = al.is_autocast_enabled("cpu")
            x, = ctx.saved_tensors
            return 2 * x * g

    x = al.ones(3, dtype=al.float16, requires_grad=True)
    with al.autocast("cpu"):
        y = Square.apply(x)
    assert seen["forward"] == (al.float32, False) and y.dtype is al.float32
    y.sum().backward()
    assert seen["backward"] is False and x.grad.dtype is al.float16 and x.grad.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        al.amp.custom_fwd(device_type=None)
