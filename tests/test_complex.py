"""Complex dtypes against PyTorch: promotion, creation, printing, the complex ops and their conjugate Wirtinger
gradients (first and second order), and PyTorch's refusals of real-only ops."""
import numpy as np
import pytest

import autograd_lite as al
from complex_helpers import check_complex

torch = pytest.importorskip("torch")


# ---- dtypes -------------------------------------------------------------------------------------------------

def test_dtype_attributes():
    assert al.cfloat is al.complex64 and al.cdouble is al.complex128
    for name in ("complex64", "complex128"):
        ours, ref = getattr(al, name), getattr(torch, name)
        assert (ours.is_complex, ours.is_floating_point, ours.is_signed, ours.itemsize) == \
            (ref.is_complex, ref.is_floating_point, ref.is_signed, ref.itemsize)
        assert ours.to_real().name == str(ref.to_real()).split(".")[1]
        assert ours.to_complex() is ours
    assert al.float64.to_complex() is al.complex128 and al.float32.to_complex() is al.complex64
    assert not al.float32.is_complex
    assert repr(al.finfo(al.complex64)) == repr(torch.finfo(torch.complex64))
    assert al.finfo(al.complex128).eps == torch.finfo(torch.complex128).eps
    assert al.can_cast(al.float64, al.complex64) and not al.can_cast(al.complex64, al.float64)


NAMES = ("bool", "int64", "float32", "float64", "complex64", "complex128")


@pytest.mark.parametrize("a", NAMES)
@pytest.mark.parametrize("b", NAMES)
def test_promote_types(a, b):
    assert al.promote_types(getattr(al, a), getattr(al, b)).name == \
        str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[1]


@pytest.mark.parametrize("case", [
    lambda lib: lib.ones(2, dtype=lib.float64) * 1j,
    lambda lib: lib.ones(2) * 1j,
    lambda lib: lib.ones(2, dtype=lib.int64) * 1j,
    lambda lib: lib.ones(2, dtype=lib.complex64) * lib.tensor(1.0, dtype=lib.float64),
    lambda lib: lib.ones(2, dtype=lib.float64) * lib.tensor(1j),
    lambda lib: lib.ones(2) * lib.tensor(1j, dtype=lib.complex128),
    lambda lib: lib.ones(2, dtype=lib.complex64) * 2.0,
    lambda lib: lib.ones(2, dtype=lib.complex64) + lib.ones(2, dtype=lib.float64),
    lambda lib: 2j - lib.ones(2),
    lambda lib: lib.ones(2, dtype=lib.complex128) / 2,
])
def test_result_types(case):
    ours, ref = case(al), case(torch)
    assert ours.dtype.name == str(ref.dtype).split(".")[1]
    np.testing.assert_allclose(ours.numpy(), ref.numpy())


def test_random_complex():
    x = al.randn(20000, dtype=al.cfloat)
    assert x.dtype is al.complex64
    assert abs(x.real.var().item() - 0.5) < 0.05 and abs(x.imag.var().item() - 0.5) < 0.05
    u = al.rand(1000, dtype=al.cdouble)
    assert u.dtype is al.complex128 and 0 <= u.imag.min().item() and u.imag.max().item() < 1
    assert u.imag.std().item() > 0.2


def test_casting_to_real_warns_as_torch():
    with pytest.warns(UserWarning, match="Casting complex values to real discards the imaginary part"):
        assert al.tensor([1 + 2j]).float().tolist() == [1.0]


def test_creation_and_conversion():
    assert al.tensor([1 + 2j]).dtype is al.complex64
    assert al.tensor(1j).dtype is al.complex64
    assert al.tensor([1, 2j]).dtype is al.complex64
    assert al.tensor([1.5, 2j]).dtype is al.complex64
    assert al.tensor([1j], dtype=al.cdouble).dtype is al.complex128
    a = np.array([1 + 1j, 2], np.complex128)
    t = al.from_numpy(a)
    assert t.dtype is al.complex128 and t.is_complex() and not t.is_floating_point()
    assert al.tensor(3 - 4j).item() == 3 - 4j and isinstance(al.tensor(3 - 4j).item(), complex)
    assert al.zeros(2, dtype=al.complex64).dtype is al.complex64
    assert al.tensor([1.0]).to(al.complex128).dtype is al.complex128
    al.set_default_dtype(al.float64)
    try:
        assert al.tensor([1j]).dtype is al.complex128
        assert repr(al.tensor([1j])) == "tensor([0.+1.j])"
    finally:
        al.set_default_dtype(al.float32)


@pytest.mark.parametrize("values", [[1 + 2j, 3 - 1j], [1.5 + 2j, -0.25 - 1j], [[1e-5 + 1j, 3e4j]], 1.5 + 2j,
                                    [0j, -0j], [[1 + 1j, 2], [3, -4j]], [float("nan") + 1j, float("inf") - 2j]])
def test_repr(values):
    for dt in ("complex64", "complex128"):
        ours = repr(al.tensor(values, dtype=getattr(al, dt)))
        ref = repr(torch.tensor(values, dtype=getattr(torch, dt)))
        assert ours == ref.replace("torch.", "autograd_lite."), (ours, ref)


def test_repr_long_and_grad():
    re, im = np.linspace(-3, 3, 30), np.linspace(2, -1, 30)
    ours = al.complex(al.tensor(re, dtype=al.float32), al.tensor(im, dtype=al.float32))
    ref = torch.complex(torch.tensor(re, dtype=torch.float32), torch.tensor(im, dtype=torch.float32))
    assert repr(ours) == repr(ref)
    ours.requires_grad_()
    assert repr(ours * 2).endswith("grad_fn=<MulBackward0>)")


# ---- ops: values and gradients against torch -----------------------------------------------------------------

UNARY = ["neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "reciprocal", "rsqrt", "square", "abs",
         "angle", "sgn", "conj", "conj_physical", "resolve_conj", "expm1", "log1p", "sinh", "atan"]


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    check_complex(lambda lib, z: getattr(lib, name)(z), [(3, 4)])


@pytest.mark.parametrize("fn", [
    lambda lib, a, b: a + b, lambda lib, a, b: a - b, lambda lib, a, b: a * b, lambda lib, a, b: a / b,
    lambda lib, a, b: a ** 2 * b, lambda lib, a, b: a @ b.mT, lambda lib, a, b: lib.matmul(a[0], b[1]),
    lambda lib, a, b: (a * b.conj()).sum(1), lambda lib, a, b: lib.cat([a, b], 0).mean(0),
    lambda lib, a, b: lib.stack([a, b], -1).reshape(3, 8).permute(1, 0)[2:5],
    lambda lib, a, b: a.view(12)[b.real.flatten().argsort()] * 2,
    lambda lib, a, b: (a * 1j - 2.5 + b / 3j).exp(),
    lambda lib, a, b: a.sum() * b, lambda lib, a, b: lib.vdot(a.flatten(), b.flatten()),
    lambda lib, a, b: a.var(1) * b.std(), lambda lib, a, b: a.cdouble().cfloat() * b.var(0, keepdim=True),
    lambda lib, a, b: lib.einsum("ij,kj->ik", a, b), lambda lib, a, b: lib.where(a.real > 0, a, b).prod(1),
    lambda lib, a, b: (a + 1) ** (b * 0.1), lambda lib, a, b: a.cumsum(1) * b.flip(0).roll(1, 1),
    lambda lib, a, b: lib.addmm(a[:, :3], a, b.mT[:, :3], beta=0.5, alpha=2), lambda lib, a, b: a.cumprod(1),
    lambda lib, a, b: lib.baddbmm(a[None, :, :3], a[None], b.mT[None, :, :3]), lambda lib, a, b: a.prod() * b,
    lambda lib, a, b: lib.linalg.vector_norm(a, dim=1) * lib.linalg.norm(b), lambda lib, a, b: a.norm(p=1) * b,
    lambda lib, a, b: lib.nn.functional.normalize(a, dim=-1) * b,
    lambda lib, a, b: lib.where(a.real > 0, a, 0) + lib.where(b.imag > 0, 1.5, b),
])
def test_binary(fn):
    check_complex(fn, [(3, 4), (3, 4)])


@pytest.mark.parametrize("fn", [
    lambda lib, a, b: a * b, lambda lib, a, b: b + a, lambda lib, a, b: a / b, lambda lib, a, b: b - a.sum(),
])
def test_mixed_real_complex(fn):
    check_complex(fn, [(3, 4), (4,)], "cr")
    check_complex(fn, [(3, 4), (4,)], "rc")


@pytest.mark.parametrize("fn", [
    lambda lib, x, y: lib.complex(x, y), lambda lib, x, y: lib.polar(x.abs() + 0.5, y),
    lambda lib, x, y: lib.view_as_complex(lib.stack([x, y], -1)) ** 2,
    lambda lib, x, y: lib.complex(x, y).real * y, lambda lib, x, y: lib.complex(x, y).imag * x,
    lambda lib, x, y: lib.real(lib.complex(x, y) ** 2), lambda lib, x, y: lib.imag(lib.complex(x, y) ** 2),
    lambda lib, x, y: lib.view_as_real(lib.complex(x, y) * lib.complex(y, x)),
    lambda lib, x, y: lib.view_as_complex(lib.stack([x, y], -1).mT.contiguous().mT.contiguous()).exp(),
    lambda lib, x, y: lib.complex(x, y).abs(),
    lambda lib, x, y: lib.fft.fft(lib.complex(x, y)).abs().sum(-1),
])
def test_real_to_complex(fn):
    check_complex(fn, [(3, 4), (3, 4)], "rr")


@pytest.mark.parametrize("fn", [
    lambda lib, z: z.mH, lambda lib, z: z.H, lambda lib, z: z.adjoint(), lambda lib, z: lib.adjoint(z),
    lambda lib, z: z.mH @ z, lambda lib, z: lib.view_as_real(z).sum(-1), lambda lib, z: lib.view_as_real(z.mT),
])
def test_adjoints_and_views(fn):
    check_complex(fn, [(3, 4)])


def test_float64_values():
    check_complex(lambda lib, a, b: (a * b).exp() / (a - b).sqrt(), [(5,), (5,)], dtype="float64")


def test_views_share_storage():
    z = al.tensor([1 + 2j, 3 - 1j])
    r = al.view_as_real(z)
    r[0, 1] = 5.0
    assert z[0].item() == 1 + 5j
    x = al.tensor([[1.0, 2.0], [3.0, 4.0]])
    c = al.view_as_complex(x)
    c.mul_(2)
    assert x.tolist() == [[2.0, 4.0], [6.0, 8.0]]
    z.real.mul_(3)
    assert z.tolist() == [3 + 5j, 9 - 1j]


def test_isreal_and_questions():
    z = al.tensor([1 + 0j, 1j, 0j])
    assert al.isreal(z).tolist() == torch.isreal(torch.tensor([1 + 0j, 1j, 0j])).tolist()
    assert al.isreal(al.ones(2)).tolist() == [True, True]
    assert not z.is_conj() and not z.is_neg() and z.conj().resolve_conj().dtype is al.complex64
    assert al.ones(2).conj() is not None and al.ones(2).real.tolist() == [1.0, 1.0]


def test_real_inputs_to_complex_ops():
    x = al.tensor([-1.0, 0.0, 2.0])
    assert al.angle(x).tolist() == torch.angle(torch.tensor([-1.0, 0.0, 2.0])).tolist()
    assert al.sgn(x).tolist() == [-1.0, 0.0, 1.0]


# ---- errors ------------------------------------------------------------------------------------------------

Z = lambda: al.complex(al.randn(3), al.randn(3))  # noqa: E731


@pytest.mark.parametrize("fn, match", [
    (lambda: Z() < Z(), "not implemented for 'ComplexFloat'"),
    (lambda: Z().max(), "not implemented for 'ComplexFloat'"),
    (lambda: Z().topk(1), "topk does not support complex dtypes"),
    (lambda: Z().sort(), "Sort does not support complex dtypes"),
    (lambda: Z().argsort(descending=True), "Sort does not support complex dtypes"),
    (lambda: Z().amax(), "not implemented for 'ComplexFloat'"),
    (lambda: Z().max(0), "max\\(\\): does not support complex input"),
    (lambda: Z() >= 0, "not implemented for 'ComplexFloat'"),
    (lambda: Z().clamp(0, 1), "clamp is not supported for complex types"),
    (lambda: al.relu(Z()), "clamp is not supported for complex types"),
    (lambda: al.nn.functional.relu(Z()), "clamp is not supported for complex types"),
    (lambda: al.maximum(Z(), Z()), "maximum not implemented for complex tensors"),
    (lambda: Z().floor(), "floor is not supported for complex inputs"),
    (lambda: Z().sign(), "Please use torch.sgn instead"),
    (lambda: al.erf(Z()), "not implemented for 'ComplexFloat'"),
    (lambda: Z().argmax(), "does not support complex input"),
    (lambda: al.ones(2).imag, "imag is not implemented for tensors with non-complex dtypes"),
    (lambda: al.view_as_real(al.ones(2)), "view_as_real is only supported for complex tensors"),
    (lambda: al.view_as_complex(al.ones(2, 3)), "Tensor must have a last dimension of size 2"),
    (lambda: al.view_as_complex(al.ones(2, 2).mT), "Tensor must have a last dimension with stride 1"),
    (lambda: al.view_as_complex(al.ones(2, 2, dtype=al.int64)), "only supported for float and double tensors"),
    (lambda: al.complex(al.ones(2), al.ones(2, dtype=al.float64)), "Expected object of scalar type Float"),
    (lambda: al.complex(al.ones(2, dtype=al.int64), al.ones(2, dtype=al.int64)), "Expected both inputs"),
    (lambda: Z().requires_grad_().sum().backward(), "grad can be implicitly created only for real scalar outputs"),
    (lambda: al.ones(2).mH, "tensor.mH is only supported on matrices"),
    (lambda: al.ones(2).mul_(1j), "result type ComplexFloat can't be cast to the desired output type Float"),
    (lambda: al.ones(2, dtype=al.float64).add_(al.tensor([1j, 2])), "result type ComplexDouble can't be cast to"),
    (lambda: al.ones(2, 2, 2).H, "tensor.H is only supported on matrices"),
])
def test_refusals(fn, match):
    with pytest.raises((RuntimeError, NotImplementedError), match=match):
        fn()


def test_refusal_messages_match_torch():
    z = torch.complex(torch.randn(3), torch.randn(3))
    for op, ours in ((lambda x: x.floor(), lambda: Z().floor()), (lambda x: x.sign(), lambda: Z().sign()),
                     (lambda x: x.clamp(0, 1), lambda: Z().clamp(0, 1))):
        with pytest.raises(Exception) as ref:
            op(z)
        with pytest.raises(type(ref.value), match=str(ref.value)[:30].replace(".", r"\.")):
            ours()


def test_complex_leaf_and_grad_dtype():
    z = al.tensor([1 + 1j, 2 - 1j], requires_grad=True)
    (z * z.conj()).real.sum().backward()
    assert z.grad.dtype is al.complex64
    np.testing.assert_allclose(z.grad.numpy(), 2 * np.array([1 + 1j, 2 - 1j]))


@pytest.mark.parametrize("name", ["exp", "mul", "matmul", "abs"])
def test_on_device(device, name):
    fns = {"exp": lambda lib, z: z.exp(), "mul": lambda lib, z: z * z.conj() * 2j,
           "matmul": lambda lib, z: z @ z.mT, "abs": lambda lib, z: z.abs()}
    check_complex(fns[name], [(3, 3)], device=device, second=False)


# ---- linalg.eig ----------------------------------------------------------------------------------------------

def _eig_input(lib, dtype):
    rng = np.random.default_rng(3)
    return lib.tensor(rng.standard_normal((2, 4, 4)), dtype=getattr(lib, dtype))


def _phase_free(V):
    """Unit eigenvectors with their largest component made real positive (LAPACK builds may differ by a sign)."""
    k = np.abs(V).argmax(-2)[..., None, :]
    ref = np.take_along_axis(V, k, -2)
    return V * (np.abs(ref) / ref)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_eig_values(dtype):
    L, V = al.linalg.eig(_eig_input(al, dtype))
    tL, tV = torch.linalg.eig(_eig_input(torch, dtype))
    assert L.dtype.name == str(tL.dtype)[6:] and V.dtype.name == str(tV.dtype)[6:]
    np.testing.assert_allclose(L.numpy(), tL.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_phase_free(V.numpy()), _phase_free(tV.numpy()), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(al.linalg.eigvals(_eig_input(al, dtype)).numpy(), tL.numpy(), rtol=1e-4, atol=1e-5)
    A = _eig_input(al, dtype).to(L.dtype)
    np.testing.assert_allclose((A @ V).numpy(), (V * L.unsqueeze(-2)).numpy(), atol=1e-4)
    assert type(al.linalg.eig(_eig_input(al, dtype))).__name__ == "linalg_eig"


@pytest.mark.parametrize("fn", [
    lambda lib, a: lib.linalg.eigvals(a),
    lambda lib, a: lib.linalg.eig(a)[1].abs(),
    lambda lib, a: lib.linalg.eig(a)[0] * lib.linalg.eig(a)[1].abs().sum(-2),
])
def test_eig_grad(fn):
    check_complex(fn, [(3, 3)], "r", dtype="float64", seed=4)
    check_complex(fn, [(3, 3)], "c", dtype="float64", seed=5)


def test_eig_errors():
    with pytest.raises(RuntimeError, match="A must be batches of square matrices"):
        al.linalg.eig(al.ones(2, 3))
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor"):
        al.linalg.eigvals(al.ones(2, 2, dtype=al.int64))
    a = al.complex(al.randn(3, 3, dtype=al.float64), al.randn(3, 3, dtype=al.float64)).requires_grad_()
    with pytest.raises(RuntimeError, match="specified up to multiplication by"):
        al.view_as_real(al.linalg.eig(a)[1]).sum().backward()


# ---- finite differences (independent of torch): complex inputs and outputs as their real views ----------------

def realified(fn):
    """fn of complex tensors as a function of their real views (..., 2), its complex output as a real view too:
    what our float64 gradcheck / gradgradcheck perturb (the real and imaginary parts, as torch's gradcheck)."""
    def wrapped(*xs):
        out = fn(*(al.view_as_complex(x) for x in xs))
        return al.view_as_real(out) if out.is_complex() else out
    return wrapped


@pytest.mark.parametrize("fn", [
    lambda a, b: a * b / (a - b), lambda a, b: (a.exp() + b.sqrt()).log(), lambda a, b: a @ b.mH,
    lambda a, b: (a.abs() * b.angle()), lambda a, b: a.sgn() * b.conj(), lambda a, b: al.linalg.eigvals(a @ b),
])
def test_gradcheck_complex(fn):
    xs = [al.randn(3, 3, 2, dtype=al.float64, requires_grad=True) for _ in range(2)]
    assert al.autograd.gradcheck(realified(fn), xs)
    assert al.autograd.gradgradcheck(realified(fn), xs)


@pytest.mark.parametrize("fn", [
    lambda a, b: a * b / (a - b), lambda a, b: (a.abs() + b.real).sum(), lambda a, b: al.fft.rfft(a.real + b.imag),
    lambda a, b: (al.view_as_real(a @ b.mH), a.angle()),
])
def test_gradcheck_takes_complex_directly(fn):
    xs = [al.complex(al.randn(3, 3, dtype=al.float64), al.randn(3, 3, dtype=al.float64)).requires_grad_()
          for _ in range(2)]
    assert al.autograd.gradcheck(fn, xs)
    assert al.autograd.gradgradcheck(fn, xs)


def test_gradcheck_catches_a_wrong_complex_gradient():
    class NoConj(al.autograd.Function):        # z * w with the real formula's gradient (no conjugate): wrong
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z * (2 + 1j)

        @staticmethod
        def backward(ctx, g):
            return g * (2 + 1j)
    z = al.complex(al.randn(3, dtype=al.float64), al.randn(3, dtype=al.float64)).requires_grad_()
    assert not al.autograd.gradcheck(NoConj.apply, (z,), raise_exception=False)
    assert al.autograd.gradcheck(lambda z: z * (2 + 1j), (z,))
