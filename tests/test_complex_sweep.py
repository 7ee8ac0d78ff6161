"""Complex input across the whole op surface, against PyTorch.

Every name of ``torch``, ``torch.nn.functional``, ``torch.Tensor``'s methods and ``torch.special`` / ``linalg`` /
``fft`` that autograd_lite also has and that takes a tensor first is called with a small complex64 tensor ``x`` and the first argument list of `CANDIDATES` that
torch accepts (or the one `ARGS` gives). The contract:
- torch returns: ours returns the same values (dtype, shape, allclose), and where torch's output requires grad from
  the complex leaf, the same gradient of a real function of the output;
- torch raises: ours raises the same exception type (the message may name our op rather than torch's kernel), never
  a Numba typing error, a NumPy ufunc error or an internal name.
`ALLOWED` lists the differences left, each with its reason: it is the documentation of what is not done. Its
entries are strict xfails, so an entry that starts passing must leave the list.
"""
import inspect
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import autograd_lite as al
import autograd_lite.nn.functional as AF
from complex_helpers import check_complex

# not tensor-first, creation, global state, storage or hooks: nothing to sweep
SKIP = set("""
set_autocast_cache_enabled set_autocast_cpu_dtype set_autocast_cpu_enabled set_autocast_dtype set_autocast_enabled
set_autocast_gpu_dtype set_default_device set_default_dtype set_default_tensor_type set_float32_matmul_precision
set_flush_denormal set_num_interop_threads set_num_threads set_printoptions set_rng_state set_warn_always
manual_seed seed save load compile vmap cond while_loop use_deterministic_algorithms autocast_decrement_nesting
autocast_increment_nesting clear_autocast_cache from_numpy frombuffer from_dlpack to_dlpack empty zeros ones rand
randn arange full eye linspace logspace range tensor as_tensor asarray scalar_tensor bartlett_window
blackman_window hamming_window hann_window kaiser_window tril_indices triu_indices randint randperm empty_strided
broadcast_shapes promote_types can_cast initial_seed get_rng_state lobpcg typename
backward register_hook register_post_accumulate_grad_hook retain_grad requires_grad_ share_memory_ pin_memory cuda
numpy storage untyped_storage data_ptr apply_ map_ map2_ new_tensor set_ resize_ resize_as_ record_stream tolist
item to_dense to_sparse to_sparse_coo to_sparse_csr to_sparse_csc detach_ cpu module_load is_set_to
handle_torch_function has_torch_function has_torch_function_unary has_torch_function_variadic
""".split())
QUESTIONS = {"is_complex", "is_floating_point", "is_nonzero", "is_same_size", "is_signed", "is_conj", "is_neg",
             "is_inference"}
# random results: compared by dtype and shape only (or by the exception type)
RANDOM = set("""
dropout dropout_ dropout1d dropout2d dropout3d alpha_dropout alpha_dropout_ feature_alpha_dropout
feature_alpha_dropout_ feature_dropout feature_dropout_ native_dropout bernoulli bernoulli_ normal normal_ rand_like
randn_like randint_like multinomial poisson rrelu rrelu_ gumbel_softmax binomial cauchy_ exponential_ geometric_
log_normal_ uniform_ random_ empty_like new_empty new_empty_strided fractional_max_pool2d
fractional_max_pool2d_with_indices fractional_max_pool3d fractional_max_pool3d_with_indices svd_lowrank
pca_lowrank
""".split())


def _index(lib):
    return lib.tensor([[0, 2, 1], [1, 0, 2], [2, 1, 0]])


# the trivial argument lists, tried in order (x: the complex input; square, or 3-D where no square one fits)
CANDIDATES = [lambda L, x: (x,), lambda L, x: (x, x), lambda L, x: (x, 1), lambda L, x: (x, 0),
              lambda L, x: (x, x, x), lambda L, x: (x, [0]), lambda L, x: (x, 2, 1), lambda L, x: (x, (3, 3))]
SHAPES = [(3, 3), (2, 3, 4)]
# names whose trivial argument lists say nothing (a list of tensors, an index tensor, a probability)
ARGS = {
    **{n: lambda L, x: ([x, x],) for n in "cat concat concatenate stack hstack vstack dstack column_stack "
                                           "row_stack".split()},
    **{n: lambda L, x: (x, 1, _index(L)) for n in "gather take_along_dim".split()},
    **{n: lambda L, x: (x, 0, _index(L)[0]) for n in "index_select".split()},
    **{n: lambda L, x: (x, 0, _index(L)[0], x.clone()) for n in "index_add index_add_ index_copy index_copy_".split()},
    **{n: lambda L, x: (x, 0, _index(L)[0], 2.0) for n in "index_fill index_fill_".split()},
    **{n: lambda L, x: (x, 1, _index(L), x.clone()) for n in "scatter scatter_ scatter_add scatter_add_".split()},
    **{n: lambda L, x: (x, 0, 1, 2) for n in "narrow narrow_copy".split()},
    **{n: lambda L, x: (x, 0.5, True) for n in "dropout dropout_ alpha_dropout alpha_dropout_ feature_alpha_dropout "
                                              "feature_alpha_dropout_ feature_dropout feature_dropout_".split()},
    **{n: lambda L, x: (x, 2, 0, 5.0) for n in "renorm renorm_".split()},
    **{n: lambda L, x: (x, (2, 2), (3, 1)) for n in "as_strided as_strided_ as_strided_copy".split()},
    **{n: lambda L, x: (x, L.stack([x, x]), L.stack([x, x])) for n in "addbmm addbmm_ baddbmm baddbmm_".split()},
    **{n: lambda L, x: (x, x, L.stack([x, x])) for n in "bilinear F.bilinear".split()},
    **{n: lambda L, x: (x[None], 2) for n in "adaptive_max_pool2d adaptive_max_pool2d_with_indices".split()},
    **{n: lambda L, x: (x[None, None], 2) for n in "adaptive_max_pool3d adaptive_max_pool3d_with_indices".split()},
    "F.lp_pool2d": lambda L, x: (x[None], 2.0, 2),
    "F.instance_norm": lambda L, x: (x[None],),
    "F.embedding_bag": lambda L, x: (_index(L), x),
    "F.max_unpool1d": lambda L, x: (x[None], L.tensor([[[0, 3, 4], [1, 2, 5], [0, 2, 4]]]), 2),
    "F.max_unpool2d": lambda L, x: (x[None], L.tensor([[[0, 3, 4], [13, 15, 17], [24, 27, 35]]]), 2),
    "F.max_unpool3d": lambda L, x: (x[None, None], L.tensor([[[[0, 3, 4], [13, 15, 17], [24, 27, 35]]]]), 2),
    "F.embedding": lambda L, x: (_index(L), x),
    "torch.embedding": lambda L, x: (x, _index(L)),
    "unfold": lambda L, x: (x, 0, 2, 1),
    "randint_like": lambda L, x: (x, 5),
    "polygamma": lambda L, x: (1, x),
    "select_scatter": lambda L, x: (x, x[0], 0, 1),
    "new_full": lambda L, x: (x, (2,), 1.5),
    "unflatten": lambda L, x: (x, 1, (3, 1)),
    "softmax": lambda L, x: (x, 1),
    "log_softmax": lambda L, x: (x, 1),
    "where": lambda L, x: (x.real > 0, x, x),
    "flip": lambda L, x: (x, [0]),
    "permute": lambda L, x: (x, (1, 0)),
    "tile": lambda L, x: (x, (2, 1)),
}
# the differences left (strict xfails): name or "namespace.name" -> why
ALLOWED = {
    "linalg.eigh": "eigenvector phases are LAPACK's choice: torch's (MKL) and ours (NumPy's OpenBLAS) differ by a unit "
                   "factor per column in about a third of the columns; compared up to phase in test_complex_linalg",
    "native_norm": "torch 2.13 has no CPU kernel for native_norm at all (any dtype); ours computes it",
    "Tensor.type": "x.type() names the library: torch 'torch.ComplexFloatTensor', ours 'autograd_lite.Tensor' (no "
                   "legacy type class for complex dtypes; the prefix differs for every dtype)",
}


_SUBMODULES = ("special", "linalg", "fft")


def _common_names():
    def usable(name, ours, theirs):
        return (not name.startswith("_") and name not in SKIP and hasattr(ours, name) and callable(theirs)
                and not inspect.isclass(theirs) and not inspect.ismodule(theirs))
    cases = [("torch", n) for n in dir(torch) if usable(n, al, getattr(torch, n))
             and (not n.startswith(("get_", "is_")) or n in QUESTIONS)]
    cases += [("F", n) for n in dir(TF) if usable(n, AF, getattr(TF, n))]
    cases += [("Tensor", n) for n in dir(torch.Tensor) if usable(n, al.Tensor, getattr(torch.Tensor, n))]
    for sub in _SUBMODULES:
        ours, theirs = getattr(al, sub), getattr(torch, sub)
        cases += [(sub, n) for n in dir(theirs) if usable(n, ours, getattr(theirs, n))]
    return cases


def _function(lib, ns, name):
    if ns == "torch":
        return getattr(lib, name)
    if ns in _SUBMODULES:
        return getattr(getattr(lib, ns), name)
    if ns == "F":
        return getattr(TF if lib is torch else AF, name)
    return lambda x, *args: getattr(x, name)(*args)


def _input(lib, shape, grad):
    rng = np.random.default_rng(len(shape))
    a = (rng.uniform(-2, 2, shape) + 1j * rng.uniform(-2, 2, shape)).astype(np.complex64)
    return lib.tensor(a, requires_grad=grad)


def _call(lib, ns, name, shape, make_args, grad=False):
    x = _input(lib, shape, grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            args = make_args(lib, x)
            if name.endswith("_"):              # in place: the other operands apart from the one written
                args = args[:1] + tuple(a.clone() if a is x else a for a in args[1:])
            return x, _function(lib, ns, name)(*args), None
        except Exception as e:  # noqa: BLE001  (the outcome compared)
            return x, None, e


def _choose_args(ns, name):
    """The argument list and shape for `name`: ARGS's, else the first candidate torch runs (else the first it
    refuses for a reason other than the argument list)."""
    given = ARGS.get(f"{ns}.{name}", ARGS.get(name))
    options = [(s, given) for s in SHAPES] if given else [(s, c) for s in SHAPES for c in CANDIDATES]
    refused = None
    for shape, make_args in options:
        _, out, err = _call(torch, ns, name, shape, make_args)
        if err is None:
            return shape, make_args
        if refused is None and not isinstance(err, TypeError):
            refused = shape, make_args
    return refused


def _builtin_type(e):
    """torch's own exception classes (torch.linalg.LinAlgError, ...) as the builtin one they derive from."""
    return next(t for t in type(e).__mro__ if t.__module__ == "builtins")


def _tensors(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _tensors(o)]
    return [out] if isinstance(out, (torch.Tensor, al.Tensor)) else []


def _np(t):
    if str(t.dtype).endswith("bfloat16"):       # no NumPy dtype (numpy() refuses it): compared in float32
        t = t.float()
    return t.detach().resolve_conj().resolve_neg().cpu().numpy() if isinstance(t, torch.Tensor) else t.numpy(force=True)


def _compare(ours, theirs, values):
    if isinstance(theirs, (torch.Tensor, al.Tensor)) or isinstance(theirs, (tuple, list)):
        t_list, a_list = _tensors(theirs), _tensors(ours)
        assert len(a_list) == len(t_list), (ours, theirs)
        for a, t in zip(a_list, t_list):
            assert str(a.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (a.dtype, t.dtype)
            assert tuple(a.shape) == tuple(t.shape), (a.shape, t.shape)
            if values:
                np.testing.assert_allclose(_np(a), _np(t), rtol=1e-4, atol=1e-5, equal_nan=True)
    elif values and isinstance(theirs, (bool, int, float, complex, str)):
        assert ours == theirs or (isinstance(theirs, float) and np.isclose(ours, theirs)), (ours, theirs)


def _loss(lib, outs):
    """A real function of every differentiable output, weighted by position (so no symmetry hides a wrong sign)."""
    total = 0
    for t in outs:
        if not t.requires_grad:
            continue
        w = lib.arange(t.numel(), dtype=lib.float32).reshape(t.shape) * 0.1 + 1
        total = total + ((t * (0.3 + 0.7j)).real * w).sum() if t.is_complex() else total + (t * w).sum()
    return total


def _case_id(case):
    return f"{case[0]}.{case[1]}"


CASES = _common_names()


def _params():
    for ns, name in CASES:
        reason = ALLOWED.get(f"{ns}.{name}", ALLOWED.get(name))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        yield pytest.param(ns, name, marks=marks, id=f"{ns}.{name}")


_FOREIGN = ("numba", "ufunc", "typing", "invalid integer data type", "unsupported dtype", "special_unary",
            "cannot cast array")


def _raises_as_torch(t_err, a_err):
    assert a_err is not None, f"torch raises {type(t_err).__name__}: {t_err}; ours returns"
    assert isinstance(a_err, _builtin_type(t_err)), (
        f"torch raises {type(t_err).__name__}: {t_err}; ours {type(a_err).__name__}: {a_err}")
    assert not any(w in str(a_err).lower() for w in _FOREIGN), f"internal wording: {a_err}"


@pytest.mark.parametrize("ns, name", list(_params()))
def test_complex_input_as_torch(ns, name):
    chosen = _choose_args(ns, name)
    if chosen is None:
        pytest.skip("takes no tensor first")
    shape, make_args = chosen
    grad = not name.endswith("_") and name not in QUESTIONS
    t_x, t_out, t_err = _call(torch, ns, name, shape, make_args, grad)
    if t_err is not None and grad:
        # torch refuses to differentiate some ops of complex outputs (silu, nan_to_num, select_scatter: "does not
        # support automatic differentiation for outputs with complex dtype"); ours differentiates them
        t_x, t_out, t_err = _call(torch, ns, name, shape, make_args, grad=False)
        grad = False
    a_x, a_out, a_err = _call(al, ns, name, shape, make_args, grad)
    if t_err is not None:
        _raises_as_torch(t_err, a_err)
        return
    assert a_err is None, f"torch returns; ours raises {type(a_err).__name__}: {a_err}"
    values = name not in RANDOM
    _compare(a_out, t_out, values)
    if name.endswith("_"):
        _compare(a_x, t_x, values)                  # the in-place result lands in the input
    t_loss = _loss(torch, _tensors(t_out)) if grad and values else 0
    if isinstance(t_loss, torch.Tensor) and t_loss.requires_grad:
        try:
            t_loss.backward()
        except RuntimeError:                        # torch has no derivative for it (detach_copy, ...)
            return
        _loss(al, _tensors(a_out)).backward()
        assert a_x.grad is not None, "no gradient"
        _compare(a_x.grad, t_x.grad, True)


# ---- what this sweep opened, on every device, with second derivatives ------------------------------------------

_OPENED = {
    "silu": lambda lib, z: functional_of(lib).silu(z.detach() if lib is torch else z),   # torch: values only
    "sinc": lambda lib, z: lib.sinc(z),
    "softsign": lambda lib, z: functional_of(lib).softsign(z),
    "acosh": lambda lib, z: lib.acosh(z),
    "logsumexp": lambda lib, z: lib.logsumexp(z, 1),
    "rpow": lambda lib, z: lib.pow(2.0, z),
    "dist": lambda lib, z: lib.dist(z, z * 0.5 + 1),
    "cov": lambda lib, z: lib.cov(z),
    "float_power": lambda lib, z: lib.float_power(z, 2),
    "lerp": lambda lib, z: lib.lerp(z, z * z, 0.3 - 0.2j),
    "lerp_tensor": lambda lib, z: lib.lerp(z, z * 2j, z),
    "global_mean": lambda lib, z: functional_of(lib).adaptive_avg_pool2d(z[None], 1),
}


def functional_of(lib):
    return TF if lib is torch else AF


@pytest.mark.parametrize("name", sorted(_OPENED))
def test_opened_ops_on_device(device, name):
    check_complex(_OPENED[name], [(3, 3)], device=device, second=False, grad=name != "silu")


@pytest.mark.parametrize("name", ["sinc", "acosh", "rpow", "logsumexp", "lerp_tensor"])
def test_opened_ops_second_order(name):
    check_complex(_OPENED[name], [(3, 3)], dtype="float64")


def test_silu_gradient_is_its_formula():
    """torch refuses to differentiate silu of complex input; ours gives the gradient of z * sigmoid(z)."""
    a = np.array([[0.5 + 1j, -1.5 + 0.25j], [2 - 1j, -0.3 - 0.7j]])
    w = al.tensor(np.array([[1 + 2j, -0.5j], [0.25, 3 - 1j]]))
    grads = []
    for f in (AF.silu, lambda z: z * al.sigmoid(z)):
        z = al.tensor(a, requires_grad=True)
        g, = al.autograd.grad((f(z) * w).real.sum(), z, create_graph=True)
        g2, = al.autograd.grad((g * w).imag.sum(), z)
        grads.append((g.detach().numpy(), g2.numpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-12)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-12)


@pytest.mark.parametrize("fn, kind, match", [
    (lambda z: AF.hardtanh(z), NotImplementedError, "clamp is not supported for complex types"),
    (lambda z: AF.relu6(z), NotImplementedError, "clamp is not supported for complex types"),
    (lambda z: z.relu_(), NotImplementedError, "clamp is not supported for complex types"),
    (lambda z: AF.threshold(z, 0.5, 0.0), NotImplementedError, "\"threshold\" not implemented for 'ComplexFloat'"),
    (lambda z: z.median(), NotImplementedError, "not implemented for 'ComplexFloat'"),
    (lambda z: al.heaviside(z, z), RuntimeError, "heaviside is not yet implemented for complex tensors"),
    (lambda z: z.logit(), NotImplementedError, "\"logit\" not implemented for 'ComplexFloat'"),
    (lambda z: z.nansum(), RuntimeError, "nansum on CPU does not support complex inputs"),
    (lambda z: AF.dropout(z, 0.5), NotImplementedError, "bernoulli_scalar_cpu_"),
    (lambda z: z.abs_(), RuntimeError, "In-place abs is not supported for complex tensors"),
    (lambda z: z.i0(), NotImplementedError, "\"i0_cpu\" not implemented for 'ComplexFloat'"),
])
def test_refusals_on_device(device, fn, kind, match):
    z = al.tensor(np.array([[1 + 2j, -0.5 + 1j]], np.complex64), device=device)
    with pytest.raises(kind, match=match):
        fn(z)
