"""What a user sees, as PyTorch shows it (issue 15): dtype, Size and tensor reprs, the return types of the
(values, indices) ops, the warning for reading .grad of a non-leaf, and MNIST items as PIL images.

PyTorch is the oracle where it has the same thing: its repr with 'torch' replaced by 'autograd_lite'."""
import copy
import pickle
import sys
import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import nn, optim, return_types
from autograd_lite.utils.data import DataLoader, default_collate
from autograd_lite.vision import transforms
from autograd_lite.vision.datasets import FashionMNIST, MNIST
from autograd_lite.vision.datasets import mnist as mnist_module
from test_vision_datasets import put, tiny  # noqa: F401  (tiny is a fixture)

torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")

DTYPES = ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]


def theirs(obj):
    """PyTorch's repr, as autograd_lite would print it."""
    return repr(obj).replace("torch", "autograd_lite")


# ---- dtypes, Size, tensors --------------------------------------------------------------------
@pytest.mark.parametrize("name", DTYPES)
def test_dtype_repr_and_attributes_as_torch(name):
    ours, ref = getattr(al, name), getattr(torch, name)
    assert repr(ours) == str(ours) == theirs(ref) == f"autograd_lite.{name}"
    for attr in ("is_floating_point", "is_signed", "is_complex", "itemsize"):
        assert getattr(ours, attr) == getattr(ref, attr), attr
    assert al.tensor([1], dtype=ours).dtype is ours
    assert pickle.loads(pickle.dumps(ours)) is ours


def test_dtype_aliases_print_their_canonical_name():
    for alias in ("half", "float", "double", "short", "int", "long"):
        assert repr(getattr(al, alias)) == theirs(getattr(torch, alias))
    assert al.tensor([1.0]).dtype.is_floating_point and al.tensor([1.0]).dtype.itemsize == 4


@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 3), (1, 2, 3, 4)])
def test_size_repr_as_torch(shape):
    x = al.zeros(shape)
    assert repr(x.shape) == str(x.size()) == theirs(torch.zeros(shape).shape)
    assert x.shape == shape and isinstance(x.shape, tuple)


_TENSORS = [
    ("float64 3-d: the dtype suffix wraps where PyTorch's does",
     lambda m: m.tensor(np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 1.37 - 11, dtype=m.float64)),
    ("float16 3-d", lambda m: m.tensor(np.arange(24).reshape(2, 3, 4) * 1.37 - 11, dtype=m.float16)),
    ("int32 summarized", lambda m: m.tensor(np.arange(1600).reshape(2, 2, 4, 100) % 97 - 50, dtype=m.int32)),
    ("uint8", lambda m: m.tensor([[0, 255], [7, 8]], dtype=m.uint8)),
    ("int16 empty 2-d", lambda m: m.zeros((2, 0), dtype=m.int16)),
    ("float64 requires_grad 2-d", lambda m: m.tensor([[0.5, 2.0], [3.0, 4.25]], dtype=m.float64,
                                                     requires_grad=True)),
    ("scientific", lambda m: m.tensor([1e-5, 1.0, 1000.0])),
    ("nan and inf", lambda m: m.tensor([float("nan"), float("inf"), -float("inf"), 1.5])),
    ("summarized float", lambda m: m.tensor(np.arange(2000, dtype=np.float32).reshape(40, 50) / 7)),
]


@pytest.mark.parametrize("make", [c[1] for c in _TENSORS], ids=[c[0] for c in _TENSORS])
def test_tensor_repr_as_torch(make):
    assert repr(make(al)) == theirs(make(torch))


def test_tensor_repr_fuzz_against_torch():
    rng = np.random.default_rng(15)
    for _ in range(300):
        shape = tuple(int(s) for s in rng.integers(1, 7, rng.integers(0, 5)))
        dtype = str(rng.choice(DTYPES))
        if dtype == "bool":
            a = rng.random(shape) > 0.5
        elif dtype.startswith("float"):
            a = (rng.normal(size=shape) * 10.0 ** rng.integers(-5, 4 if dtype == "float16" else 7)).astype(dtype)
        else:
            a = rng.integers(0, 120, size=shape).astype(dtype)
        grad = dtype.startswith("float") and rng.random() < 0.3
        assert repr(al.tensor(a, requires_grad=grad)) == theirs(torch.tensor(a, requires_grad=grad)), (dtype, shape)


def test_parameter_repr_as_torch():
    a = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
    assert repr(nn.Parameter(al.tensor(a))) == theirs(torch.nn.Parameter(torch.tensor(a)))


# ---- return types ----------------------------------------------------------------------------
X = [[3.0, 1.0, 2.0], [0.0, 5.0, 5.0]]
_RESULTS = [
    ("max", lambda m, x: m.max(x, 1)),
    ("max", lambda m, x: x.max(dim=0, keepdim=True)),
    ("min", lambda m, x: m.min(x, 0)),
    ("min", lambda m, x: x.min(-1)),
    ("topk", lambda m, x: m.topk(x, 2)),
    ("topk", lambda m, x: x.topk(1, dim=0, largest=False)),
    ("sort", lambda m, x: m.sort(x, 1, descending=True)),
    ("sort", lambda m, x: x.sort()),
    ("kthvalue", lambda m, x: m.kthvalue(x, 2, 1)),
    ("median", lambda m, x: m.median(x, 1)),
    ("median", lambda m, x: x.median(0, keepdim=True)),
    ("mode", lambda m, x: m.mode(x, 1)),
    ("max", lambda m, x: m.max(x[0, 0], 0)),                      # 0-d input
    ("sort", lambda m, x: m.sort(x[0, 0])),
]


@pytest.mark.parametrize("name,op", _RESULTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(_RESULTS)])
def test_return_type_repr_as_torch(name, op):
    ours, ref = op(al, al.tensor(X)), op(torch, torch.tensor(X))
    assert type(ours) is getattr(return_types, name)
    assert type(ours).__module__ == "autograd_lite.return_types" and type(ours).__name__ == name
    assert repr(ours) == str(ours) == theirs(ref)


def test_return_type_layout_literal():
    assert repr(al.max(al.tensor([[1.0, 2.0], [3.0, 4.0]]), 1)) == (
        "autograd_lite.return_types.max(\nvalues=tensor([2., 4.]),\nindices=tensor([1, 1]))")


def test_return_type_behaves_like_torchs_structseq():
    r = al.max(al.tensor(X), 1)
    values, indices = r
    assert isinstance(r, tuple) and len(r) == 2
    assert r[0] is values is r.values and r[1] is indices is r.indices and r[-1] is indices
    assert type(r[:1]) is tuple and type(r + (1,)) is tuple
    assert indices.dtype == al.int64
    assert r.n_fields == r.n_sequence_fields == 2 and r.n_unnamed_fields == 0
    assert not hasattr(r, "_fields") and not hasattr(torch.max(torch.tensor(X), 1), "_fields")
    with pytest.raises(AttributeError):
        r.values = None
    match r:
        case return_types.max(v, i):
            assert v is values and i is indices
    for copied in (pickle.loads(pickle.dumps(r)), copy.deepcopy(r), copy.copy(r)):
        assert type(copied) is return_types.max
        np.testing.assert_array_equal(copied.values.numpy(), values.numpy())
        np.testing.assert_array_equal(copied.indices.numpy(), indices.numpy())


def test_return_type_constructor_as_torchs():
    for ours, ref in ((return_types.sort, torch.return_types.sort), (return_types.max, torch.return_types.max)):
        assert repr(ours((1, 2))) == theirs(ref((1, 2))) and repr(ours([1, 2])) == theirs(ref([1, 2]))
        for bad in ((1, 2, 3), (1,)):
            with pytest.raises(TypeError) as e:
                ref(bad)
            with pytest.raises(TypeError, match="^" + str(e.value).replace("torch", "autograd_lite")
                               .replace("(", r"\(").replace(")", r"\)") + "$"):
                ours(bad)
        with pytest.raises(TypeError, match="^constructor requires a sequence$"):
            ours(1)
        with pytest.raises(TypeError, match="^constructor requires a sequence$"):
            ref(1)


def test_return_types_module():
    assert sorted(t.__name__ for t in return_types.all_return_types) == \
        sorted(["kthvalue", "max", "median", "min", "mode", "sort", "topk", "cummax", "cummin", "nanmedian", "slogdet",
                "linalg_slogdet", "linalg_eigh", "linalg_svd", "svd", "linalg_qr", "qr", "linalg_lstsq", "aminmax",
                "frexp", "triangular_solve", "lu_unpack", "linalg_lu", "linalg_lu_factor", "linalg_lu_factor_ex",
                "linalg_inv_ex", "linalg_solve_ex", "linalg_cholesky_ex", "histogram", "histogramdd", "linalg_eig",
                "geqrf"])
    for t in return_types.all_return_types:
        assert getattr(torch.return_types, t.__name__)     # the names PyTorch has
    assert al.return_types is return_types
    assert type(al.max(al.tensor(X))) is al.Tensor          # a full reduction is a tensor, as in torch


def test_return_type_values_are_differentiable():
    x = al.tensor(X, requires_grad=True)
    t = torch.tensor(X, requires_grad=True)
    for op in (lambda m, x: m.max(x, 1), lambda m, x: m.sort(x, 1)[0], lambda m, x: m.topk(x, 2).values):
        op(al, x)[0].sum().backward()
        op(torch, t)[0].sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_collate_of_return_types_as_torch():
    """torch's default_collate treats a structseq as a plain sequence: a list of collated fields."""
    batch = [al.max(al.tensor(X), 1), al.max(al.tensor(X) * 2, 1)]
    out = default_collate(batch)
    assert type(out) is list and tuple(out[0].shape) == (2, 2) and out[1].dtype == al.int64
    ref = torch.utils.data.default_collate([torch.max(torch.tensor(X), 1), torch.max(torch.tensor(X) * 2, 1)])
    assert type(ref) is list
    np.testing.assert_array_equal(out[0].numpy(), ref[0].numpy())


# ---- reading .grad of a non-leaf ----------------------------------------------------------------
def torch_message():
    x = torch.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (x * 2).grad                                                  # noqa: B018
    message = str(caught[0].message)
    return message.split(" (Triggered internally at")[0]


def test_non_leaf_grad_warns_as_torch():
    x = al.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning) as caught:
        assert y.grad is None
    assert len(caught) == 1 and str(caught[0].message) == torch_message()
    assert caught[0].filename == __file__                            # the user's line, not the library's
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert x[0].grad is None                                     # a view is not a leaf either


def test_no_warning_where_torch_has_none():
    x = al.ones(2, requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = x * 4
    z.grad = al.ones(2)
    with al.no_grad():
        q = x * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None and x.detach().grad is None and al.ones(2).grad is None and q.grad is None
        assert y.grad is None and z.grad is not None
        (y * y).sum().backward()
        assert y.grad is not None and x.grad is not None


def test_training_step_reads_no_non_leaf_grad():
    al.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(al.randn(5, 4)), al.tensor([0, 1, 0, 1, 1]))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        model.zero_grad(set_to_none=False)
        model.double()


def test_backward_inputs_non_leaf_does_not_warn():
    x = al.ones(2, requires_grad=True)
    y = x * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (y * y).sum().backward(inputs=[y])


# ---- MNIST items ------------------------------------------------------------------------------
@pytest.fixture
def mnist_root(tmp_path, tiny):  # noqa: F811
    arrays, contents = tiny
    put(tmp_path, contents, gz=False)
    return tmp_path, arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]


@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_item_without_transform_is_a_pil_image(mnist_root, cls):
    """torchvision: ``Image.fromarray(img.numpy(), mode="L")`` and an int."""
    root, images, labels = mnist_root
    img, target = cls(root)[3]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(img), images[3])
    assert type(target) is int and target == labels[3]


def test_pil_item_is_a_copy_on_write(mnist_root):
    root, images, _ = mnist_root
    ds = MNIST(root)
    img, _ = ds[0]
    img.putpixel((0, 0), 255 - int(images[0, 0, 0]))
    np.testing.assert_array_equal(ds.data.numpy(), images)               # the dataset is untouched


def test_to_tensor_takes_the_pil_item(mnist_root):
    root, images, _ = mnist_root
    img, _ = MNIST(root)[2]
    t = transforms.ToTensor()(img)
    assert t.dtype == al.float32 and tuple(t.shape) == (1, 28, 28)
    np.testing.assert_array_equal(t.numpy(), transforms.ToTensor()(images[2]).numpy())
    np.testing.assert_array_equal(t.numpy()[0], images[2].astype(np.float32) / np.float32(255))


def test_user_transform_gets_a_pil_image(mnist_root):
    root, images, _ = mnist_root
    seen = []
    ds = MNIST(root, transform=lambda img: seen.append(type(img)) or transforms.ToTensor()(img.rotate(0)))
    x, _ = ds[1]
    assert seen == [Image.Image] and tuple(x.shape) == (1, 28, 28)
    pipeline = transforms.Compose([transforms.Lambda(lambda img: img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
                                   transforms.ToTensor()])
    x, _ = MNIST(root, transform=pipeline)[1]
    np.testing.assert_array_equal(x.numpy()[0], images[1][:, ::-1] / np.float32(255))


def test_batch_transforms_get_the_array_and_match_the_pil_path(mnist_root):
    root, images, labels = mnist_root
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    ds = MNIST(root, transform=pipeline)
    for i in range(len(ds)):
        x, y = ds[i]
        np.testing.assert_array_equal(x.numpy(), pipeline(Image.fromarray(images[i])).numpy())
        assert y == labels[i]


def test_dataloader_batches(mnist_root):
    root, images, labels = mnist_root
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    x, y = next(iter(DataLoader(MNIST(root, transform=pipeline), batch_size=4)))
    assert tuple(x.shape) == (4, 1, 28, 28) and x.dtype == al.float32 and y.tolist() == labels[:4].tolist()
    per_item = transforms.Compose([transforms.Lambda(lambda img: img), pipeline])      # no apply_batch
    x2, y2 = next(iter(DataLoader(MNIST(root, transform=per_item), batch_size=4)))
    np.testing.assert_array_equal(x2.numpy(), x.numpy())
    raw, y3 = next(iter(DataLoader(MNIST(root), batch_size=4)))     # no transform: the uint8 images
    assert raw.dtype == al.uint8 and tuple(raw.shape) == (4, 28, 28)
    np.testing.assert_array_equal(raw.numpy(), images[:4])


def test_without_pillow_items_are_arrays_with_one_note(mnist_root, monkeypatch):
    root, images, _ = mnist_root
    monkeypatch.setattr(mnist_module, "_image_module", None)
    monkeypatch.setitem(sys.modules, "PIL", None)                      # `from PIL import Image` fails
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    ds = MNIST(root)
    with pytest.warns(UserWarning, match=r'Pillow is not installed.*pip install "autograd_lite\[vision\]"') as w:
        img, _ = ds[0]
    assert len(w) == 1 and w[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                 # told once
        img2, _ = ds[1]
        x, _ = MNIST(root, transform=transforms.ToTensor())[1]
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (28, 28)
    np.testing.assert_array_equal(img2, images[1])
    np.testing.assert_array_equal(x.numpy()[0], images[1] / np.float32(255))


@pytest.mark.parametrize("convert", [float, int, bool, complex])
@pytest.mark.parametrize("values", [[1.5], [[2.0]], 3.0, [1.0, 2.0], [], 1 + 2j])
def test_python_scalar_conversions_as_torch(convert, values):
    """float/int/bool/complex of a tensor: the value of a one-element tensor, torch's error type and text else."""
    outcomes = []
    for lib in (torch, al):
        try:
            outcomes.append(("ok", convert(lib.tensor(values))))
        except Exception as e:          # noqa: BLE001 (the type and text are what is compared)
            outcomes.append((type(e), str(e)))
    assert outcomes[0] == outcomes[1]
