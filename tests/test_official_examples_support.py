"""The small library pieces PyTorch's official examples touch, against torch (and torchvision rewritten in a few
lines of torch here, since torchvision cannot be installed beside it): F.pixel_shuffle / pixel_unshuffle and
nn.PixelShuffle / PixelUnshuffle (values, first and second derivatives, errors, reprs), nn.init.orthogonal_ and the
deprecated non-underscore init names, vision.utils.make_grid / save_image, datasets.FakeData, autograd_lite.backends
and the order a Module keeps when a child or a parameter is reassigned."""
import io
import math
import pathlib
import warnings

import numpy as np
import pytest

import autograd_lite as al
import autograd_lite.nn.functional as F
from autograd_lite import nn
from autograd_lite.vision import datasets, transforms, utils
from op_helpers import check_op, functional

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _host(t):
    return t.detach().cpu().numpy()


def _raises_as_torch(ours, ref):
    """ours() fails with the exception type and message ref() (torch's) fails with."""
    with pytest.raises(Exception) as expected:
        ref()
    with pytest.raises(expected.type) as got:
        ours()
    assert str(got.value) == str(expected.value)


# ---- pixel_shuffle / pixel_unshuffle -------------------------------------------------------------------------

SHUFFLE_SHAPES = [(1, 3, 2), (2, 1, 2, 3), (2, 3, 1, 2, 2)]       # (*, C, H, W) before scaling by r


@pytest.mark.parametrize("r", [1, 2, 3])
@pytest.mark.parametrize("base", SHUFFLE_SHAPES, ids=lambda s: f"rank{len(s)}")
def test_pixel_shuffle_against_torch(base, r):
    *batch, c, h, w = base
    check_op(lambda lib, x: functional(lib).pixel_shuffle(x, r), [(*batch, c * r * r, h, w)], dtype="float64")


@pytest.mark.parametrize("r", [1, 2, 3])
@pytest.mark.parametrize("base", SHUFFLE_SHAPES, ids=lambda s: f"rank{len(s)}")
def test_pixel_unshuffle_against_torch(base, r):
    *batch, c, h, w = base
    check_op(lambda lib, x: functional(lib).pixel_unshuffle(x, r), [(*batch, c, h * r, w * r)], dtype="float64")


def test_pixel_shuffle_float32_and_device(device):
    check_op(lambda lib, x: functional(lib).pixel_shuffle(x, 2), [(2, 8, 3, 2)], device=device, second=False)
    check_op(lambda lib, x: functional(lib).pixel_unshuffle(x, 2), [(2, 2, 4, 6)], device=device, second=False)


@pytest.mark.parametrize("r", [1, 2, 3])
def test_pixel_shuffle_round_trips(r):
    x = al.randn(2, 3 * r * r, 2, 3, dtype=al.float64)
    assert np.array_equal(_host(F.pixel_unshuffle(F.pixel_shuffle(x, r), r)), _host(x))
    y = al.randn(2, 3, 2 * r, 3 * r, dtype=al.float64)
    assert np.array_equal(_host(F.pixel_shuffle(F.pixel_unshuffle(y, r), r)), _host(y))


def test_pixel_shuffle_integers_and_empty_batch():
    a = np.arange(2 * 8 * 2 * 3).reshape(2, 8, 2, 3)
    for fn, arr in ((F.pixel_shuffle, a), (F.pixel_unshuffle, a.reshape(2, 2, 4, 6))):
        ours, ref = fn(al.tensor(arr), 2), getattr(TF, fn.__name__)(torch.tensor(arr), 2)
        assert ours.dtype == al.int64 and np.array_equal(_host(ours), ref.numpy())
    assert tuple(F.pixel_shuffle(al.zeros(0, 8, 3, 3), 2).shape) == (0, 2, 6, 6)
    assert tuple(F.pixel_unshuffle(al.zeros(0, 2, 6, 6), 3).shape) == (0, 18, 2, 2)


def test_pixel_shuffle_factor_types_as_torch():
    """torch's parser takes NumPy ints and 0-d integer tensors as an int."""
    x = np.random.default_rng(0).standard_normal((1, 4, 2, 2))
    ref = TF.pixel_shuffle(torch.tensor(x), 2).numpy()
    for factor in (np.int64(2), al.tensor(2)):
        assert np.array_equal(_host(F.pixel_shuffle(al.tensor(x), factor)), ref)
    assert np.array_equal(_host(F.pixel_unshuffle(al.tensor(ref), np.int32(2))), x)


def test_pixel_shuffle_exports_as_torch():
    assert al.pixel_shuffle is F.pixel_shuffle and al.pixel_unshuffle is F.pixel_unshuffle
    assert hasattr(torch, "pixel_shuffle") and hasattr(torch, "pixel_unshuffle")
    assert hasattr(al.Tensor, "pixel_shuffle") == hasattr(torch.Tensor, "pixel_shuffle")
    assert nn.PixelShuffle is nn.modules.resize.PixelShuffle and nn.PixelUnshuffle.__name__ == "PixelUnshuffle"
    x = al.randn(1, 4, 2, 2)
    out = F.pixel_shuffle(input=x, upscale_factor=2)
    assert np.array_equal(_host(F.pixel_unshuffle(input=out, downscale_factor=2)), _host(x))


ERROR_CASES = [  # (function name, input shape or a non-tensor, factor)
    ("pixel_shuffle", (2, 8, 3, 3), 2.0),
    ("pixel_shuffle", (2, 8, 3, 3), True),
    ("pixel_shuffle", (2, 8, 3, 3), None),
    ("pixel_shuffle", (2, 8, 3, 3), "2"),
    ("pixel_shuffle", (2, 8, 3, 3), "tensor2.0"),
    ("pixel_shuffle", (4, 4), 2),
    ("pixel_shuffle", (4,), 2),
    ("pixel_shuffle", (2, 8, 3, 3), 0),
    ("pixel_shuffle", (2, 8, 3, 3), -1),
    ("pixel_shuffle", (2, 8, 3, 3), 3),
    ("pixel_shuffle", (2, 8, 3, 3), 2 ** 40),
    ("pixel_shuffle", "list", 2),
    ("pixel_unshuffle", (2, 8, 3, 3), 2.0),
    ("pixel_unshuffle", (4, 4), 2),
    ("pixel_unshuffle", (2, 8, 4, 4), 0),
    ("pixel_unshuffle", (2, 8, 3, 4), 2),
    ("pixel_unshuffle", (2, 8, 4, 3), 2),
    ("pixel_unshuffle", (2, 8, 3, 3), 2),
    ("pixel_unshuffle", "list", 2),
]


@pytest.mark.parametrize("name, shape, factor", ERROR_CASES)
def test_pixel_shuffle_errors_as_torch(name, shape, factor):
    def call(lib, fn):
        x = [1.0] if shape == "list" else lib.zeros(*shape)
        f = lib.tensor(2.0) if factor == "tensor2.0" else factor
        return lambda: fn(x, f)
    _raises_as_torch(call(al, getattr(F, name)), call(torch, getattr(TF, name)))


def test_pixel_shuffle_modules_as_torch():
    for ours, ref in ((nn.PixelShuffle(3), torch.nn.PixelShuffle(3)),
                      (nn.PixelUnshuffle(2), torch.nn.PixelUnshuffle(2))):
        assert repr(ours) == repr(ref)
        assert not list(ours.parameters()) and ours.state_dict() == {}
    seq, ref = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.PixelShuffle(2)), \
        torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.PixelShuffle(2))
    assert repr(seq) == repr(ref)
    x = np.random.default_rng(1).standard_normal((2, 9, 4, 6)).astype(np.float32)
    np.testing.assert_array_equal(_host(nn.PixelShuffle(3)(al.tensor(x))), torch.nn.PixelShuffle(3)(torch.tensor(x)))
    np.testing.assert_array_equal(_host(nn.PixelUnshuffle(2)(al.tensor(x))),
                                  torch.nn.PixelUnshuffle(2)(torch.tensor(x)))
    _raises_as_torch(lambda: nn.PixelShuffle(2.0)(al.tensor(x)), lambda: torch.nn.PixelShuffle(2.0)(torch.tensor(x)))


# ---- nn.init.orthogonal_ and the deprecated names --------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (4, 2, 3, 3), (2, 3, 2)])
@pytest.mark.parametrize("gain", [1, 2.5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_orthogonal_is_semi_orthogonal(shape, gain, dtype):
    w = al.empty(*shape, dtype=getattr(al, dtype))
    assert nn.init.orthogonal_(w, gain=gain) is w
    assert w.dtype == getattr(al, dtype) and tuple(w.shape) == shape
    flat = _host(w).reshape(shape[0], -1).astype(np.float64)
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(gram, np.eye(len(gram)) * gain ** 2, atol=tol * gain ** 2)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (3, 2, 2)])
def test_orthogonal_is_torchs_qr_of_the_same_normal_draw(shape):
    """After the same seed, the Q (signs from R's diagonal) torch.linalg.qr makes of the normal matrix our RNG
    draws, as torch's orthogonal_ builds it."""
    rows, cols = shape[0], math.prod(shape[1:])
    al.manual_seed(7)
    draw = torch.tensor(_host(al.empty(rows, cols, dtype=al.float64).normal_(0, 1)))
    draw = draw.t() if rows < cols else draw
    q, r = torch.linalg.qr(draw)
    q = q * torch.diag(r).sign()
    q = q.t() if rows < cols else q
    al.manual_seed(7)
    w = nn.init.orthogonal_(al.empty(*shape, dtype=al.float64), gain=0.5)
    np.testing.assert_allclose(_host(w), 0.5 * q.reshape(shape).numpy(), rtol=1e-10, atol=1e-12)


def test_orthogonal_reproducible_on_device_and_on_a_parameter(device):
    layer = nn.Linear(6, 4).to(device)
    al.manual_seed(3)
    nn.init.orthogonal_(layer.weight)
    first = _host(layer.weight).copy()
    al.manual_seed(3)
    nn.init.orthogonal_(layer.weight)
    assert np.array_equal(_host(layer.weight), first)
    assert layer.weight.device == al.device(device) and layer.weight.is_leaf and layer.weight.grad_fn is None
    np.testing.assert_allclose(first @ first.T, np.eye(4), atol=1e-5)
    assert not np.array_equal(_host(nn.init.orthogonal_(layer.weight)), first)


def test_orthogonal_errors_and_empty_as_torch():
    for make in (lambda lib: lib.zeros(3), lambda lib: lib.tensor(0.0)):
        _raises_as_torch(lambda: nn.init.orthogonal_(make(al)), lambda: torch.nn.init.orthogonal_(make(torch)))
    for shape in ((0, 3), (3, 0), (2, 0, 3)):
        w = al.empty(*shape)
        assert nn.init.orthogonal_(w) is w and tuple(w.shape) == shape


DEPRECATED = [  # (old name, args after the tensor)
    ("uniform", (-1.0, 1.0)), ("normal", (0.0, 1.0)), ("constant", (0.3,)), ("xavier_uniform", ()),
    ("xavier_normal", ()), ("kaiming_uniform", ()), ("kaiming_normal", ()), ("orthogonal", ()),
]


@pytest.mark.parametrize("old, args", DEPRECATED)
def test_deprecated_init_names_warn_as_torch_and_work(old, args):
    with pytest.warns(FutureWarning) as ref:
        getattr(torch.nn.init, old)(torch.empty(4, 3), *args)
    w = al.zeros(4, 3)
    with pytest.warns(FutureWarning) as got:
        assert getattr(nn.init, old)(w, *args) is w
    assert [str(r.message) for r in got] == [str(r.message) for r in ref]
    assert got[0].filename == __file__                 # stacklevel: the caller's line, as torch's
    assert getattr(nn.init, old).__name__ == getattr(torch.nn.init, old).__name__ == old
    if old == "constant":
        assert np.all(_host(w) == np.float32(0.3))
    elif old == "orthogonal":
        np.testing.assert_allclose(_host(w).T @ _host(w), np.eye(3), atol=1e-5)
    else:
        assert np.count_nonzero(_host(w)) == 12


def test_deprecated_init_names_follow_the_new_ones():
    al.manual_seed(5)
    expected = _host(nn.init.kaiming_uniform_(al.empty(5, 4), a=math.sqrt(5)))
    al.manual_seed(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        got = _host(nn.init.kaiming_uniform(al.empty(5, 4), a=math.sqrt(5)))
    assert np.array_equal(got, expected)


# ---- vision.utils.make_grid / save_image ---------------------------------------------------------------------

def _ref_make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """torchvision.utils.make_grid, written again in torch."""
    if isinstance(tensor, list):
        tensor = torch.stack(tensor)
    if tensor.dim() == 2:
        tensor = tensor[None]
    if tensor.dim() == 3:
        tensor = (tensor.repeat(3, 1, 1) if tensor.size(0) == 1 else tensor)[None]
    if tensor.size(1) == 1:
        tensor = tensor.repeat(1, 3, 1, 1)
    if normalize:
        tensor = tensor.clone()
        for img in (tensor if scale_each else [tensor]):
            low, high = value_range or (float(img.min()), float(img.max()))
            img.clamp_(min=low, max=high).sub_(low).div_(max(high - low, 1e-5))
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    n, c, h, w = tensor.shape
    cols, rows = min(nrow, n), math.ceil(n / min(nrow, n))
    grid = tensor.new_full((c, rows * (h + padding) + padding, cols * (w + padding) + padding), pad_value)
    for k in range(n):
        y, x = divmod(k, cols)
        top, left = y * (h + padding) + padding, x * (w + padding) + padding
        grid[:, top:top + h, left:left + w] = tensor[k]
    return grid


def _ref_png_pixels(grid):
    """What torchvision.utils.save_image writes for a grid."""
    return grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()


GRIDS = [  # (shape, kwargs)
    ((5, 3, 4, 6), {}),
    ((5, 3, 4, 6), {"nrow": 2, "padding": 1, "pad_value": 0.5}),
    ((5, 3, 4, 6), {"nrow": 10, "padding": 0}),
    ((6, 1, 3, 2), {"nrow": 3}),
    ((7, 2, 3, 3), {"nrow": 1, "padding": 3, "pad_value": -1.0}),
    ((5, 3, 4, 6), {"normalize": True}),
    ((5, 3, 4, 6), {"normalize": True, "scale_each": True}),
    ((5, 3, 4, 6), {"normalize": True, "value_range": (-1.0, 0.5)}),
    ((5, 3, 4, 6), {"normalize": True, "value_range": (-0.5, 0.5), "scale_each": True, "pad_value": 1}),
    ((1, 3, 4, 6), {"padding": 5}),
    ((3, 4, 6), {"normalize": True}),
    ((1, 4, 6), {}),
    ((4, 6), {"pad_value": 1.0}),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, kwargs", GRIDS)
def test_make_grid_as_torchvision(shape, kwargs, dtype):
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    ours, ref = utils.make_grid(al.tensor(x), **kwargs), _ref_make_grid(torch.tensor(x), **kwargs)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_allclose(_host(ours), ref.numpy(), rtol=1e-6, atol=1e-7)


def test_make_grid_list_uint8_and_input_untouched():
    rng = np.random.default_rng(3)
    images = [rng.standard_normal((1, 5, 4)).astype(np.float32) for _ in range(3)]
    kwargs = {"nrow": 2, "normalize": True}
    ours = utils.make_grid([al.tensor(a) for a in images], **kwargs)
    ref = _ref_make_grid([torch.tensor(a) for a in images], **kwargs)
    np.testing.assert_allclose(_host(ours), ref.numpy(), rtol=1e-6, atol=1e-7)
    x = al.tensor(np.stack(images), requires_grad=True)
    before = _host(x).copy()
    out = utils.make_grid(x, normalize=True)
    assert np.array_equal(_host(x), before) and not out.requires_grad
    ints = rng.integers(0, 256, (3, 3, 2, 2)).astype(np.uint8)
    ours, ref = utils.make_grid(al.tensor(ints), pad_value=255), _ref_make_grid(torch.tensor(ints), pad_value=255)
    assert ours.dtype == al.uint8 and np.array_equal(_host(ours), ref.numpy())


def test_make_grid_keeps_the_device(device):
    x = al.rand(3, 1, 4, 4, device=device)
    out = utils.make_grid(x, nrow=2)
    assert out.device == x.device and tuple(out.shape) == (3, 14, 14)
    ref = _ref_make_grid(torch.tensor(_host(x)), nrow=2)
    assert np.array_equal(_host(out), ref.numpy())


def test_make_grid_errors_as_torchvision():
    with pytest.raises(TypeError, match=r"^tensor or list of tensors expected, got <class 'str'>$"):
        utils.make_grid("images")
    with pytest.raises(TypeError, match=r"^tensor or list of tensors expected, got a list containing <class 'int'>$"):
        utils.make_grid([al.zeros(3, 2, 2), 1])
    with pytest.raises(TypeError, match=r"^value_range has to be a tuple \(min, max\) if specified\. min and max"):
        utils.make_grid(al.rand(2, 3, 2, 2), normalize=True, value_range=[0, 1])
    utils.make_grid(al.rand(2, 3, 2, 2), value_range=[0, 1])      # not normalizing: torchvision does not look


@pytest.mark.parametrize("shape, kwargs", [((5, 3, 4, 6), {"nrow": 3, "normalize": True}),
                                            ((4, 1, 3, 5), {"padding": 1, "pad_value": 0.25}),
                                            ((3, 4, 6), {}),
                                            ((4, 6), {})])
def test_save_image_pixels_as_torchvision(tmp_path, shape, kwargs):
    PIL = pytest.importorskip("PIL.Image")
    x = (np.random.default_rng(4).random(shape) * 1.4 - 0.2).astype(np.float32)   # some outside [0, 1]: clamped
    path = tmp_path / "grid.png"
    assert utils.save_image(al.tensor(x), path, **kwargs) is None
    with PIL.open(path) as img:
        assert img.format == "PNG" and img.mode == "RGB"
        pixels = np.asarray(img)
    assert np.array_equal(pixels, _ref_png_pixels(_ref_make_grid(torch.tensor(x), **kwargs)))


def test_save_image_file_object_list_and_errors(tmp_path):
    PIL = pytest.importorskip("PIL.Image")
    images = [al.rand(3, 4, 4) for _ in range(3)]
    buf = io.BytesIO()
    utils.save_image(images, buf, format="PNG", nrow=3)
    buf.seek(0)
    with PIL.open(buf) as img:
        pixels = np.asarray(img)
    assert np.array_equal(pixels, _ref_png_pixels(_ref_make_grid([torch.tensor(_host(t)) for t in images], nrow=3)))
    utils.save_image(images[0], str(tmp_path / "one.png"))
    assert pathlib.Path(tmp_path / "one.png").stat().st_size > 0
    with pytest.raises(ValueError):                    # Pillow's: no name to take the format from
        utils.save_image(images[0], io.BytesIO())
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        utils.save_image(np.zeros((3, 2, 2)), tmp_path / "bad.png")


# ---- datasets.FakeData ---------------------------------------------------------------------------------------

def test_fakedata_items():
    PIL = pytest.importorskip("PIL.Image")
    data = datasets.FakeData(size=5, image_size=(3, 6, 4), num_classes=3)
    assert len(data) == 5
    labels = set()
    for img, label in data:                            # iteration ends at IndexError, as torchvision's
        assert isinstance(img, PIL.Image) and img.mode == "RGB" and img.size == (4, 6)
        assert type(label) is int and 0 <= label < 3
        labels.add(label)
    assert len(np.unique(np.asarray(img))) > 20       # noise, not a constant image
    gray, _ = datasets.FakeData(size=1, image_size=(1, 5, 7))[0]
    assert gray.mode == "L" and gray.size == (7, 5)
    assert repr(data) == "Dataset FakeData\n    Number of datapoints: 5"
    default = datasets.FakeData()
    assert len(default) == 1000 and default.image_size == (3, 224, 224) and default.num_classes == 10


def test_fakedata_deterministic_by_index_and_offset():
    data = datasets.FakeData(size=6, image_size=(3, 5, 5))
    a, la = data[2]
    b, lb = data[2]
    assert np.array_equal(np.asarray(a), np.asarray(b)) and la == lb
    assert not np.array_equal(np.asarray(data[1][0]), np.asarray(a))
    shifted = datasets.FakeData(size=6, image_size=(3, 5, 5), random_offset=2)
    c, lc = shifted[0]
    assert np.array_equal(np.asarray(c), np.asarray(a)) and lc == la
    assert np.asarray(data[-1][0]).shape == (5, 5, 3)  # a negative index seeds as torch.manual_seed(-1) would


def test_fakedata_index_error():
    data = datasets.FakeData(size=3)
    with pytest.raises(IndexError, match=r"^FakeData index out of range$"):
        data[3]


def test_fakedata_transforms_and_loader():
    data = datasets.FakeData(size=10, image_size=(3, 8, 6), num_classes=4, transform=transforms.ToTensor(),
                             target_transform=lambda y: y + 100)
    img, label = data[0]
    assert isinstance(img, al.Tensor) and img.dtype == al.float32 and tuple(img.shape) == (3, 8, 6)
    assert 0.0 <= float(img.min()) and float(img.max()) <= 1.0 and 100 <= label < 104
    assert repr(data).startswith("Dataset FakeData\n    Number of datapoints: 10\n    StandardTransform\n")
    images, labels = next(iter(al.utils.data.DataLoader(data, batch_size=4)))
    assert tuple(images.shape) == (4, 3, 8, 6) and labels.dtype == al.int64


def test_fakedata_leaves_the_global_rng_alone():
    data = datasets.FakeData(size=4, image_size=(3, 4, 4))
    al.manual_seed(11)
    np.random.seed(11)
    expected, expected_np = _host(al.rand(5)), np.random.rand(5)
    al.manual_seed(11)
    np.random.seed(11)
    for i in range(4):
        data[i]
    assert np.array_equal(_host(al.rand(5)), expected) and np.array_equal(np.random.rand(5), expected_np)
    al.manual_seed(0)
    first = np.asarray(data[1][0])
    al.manual_seed(1)
    assert np.array_equal(np.asarray(data[1][0]), first)     # the global seed does not change an item


# ---- autograd_lite.backends ----------------------------------------------------------------------------------

def test_backends_as_torch_on_a_machine_without_cudnn_or_mps():
    import autograd_lite.backends.cudnn as cudnn
    assert cudnn is al.backends.cudnn
    for flag in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(cudnn, flag) == getattr(torch.backends.cudnn, flag), flag
    assert cudnn.is_available() is False and cudnn.version() is None
    assert al.backends.mps.is_available() is False and al.backends.mps.is_built() is False
    saved = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark, cudnn.deterministic = True, True      # scripts set them; kept, no effect
        assert al.backends.cudnn.benchmark is True and al.backends.cudnn.deterministic is True
    finally:
        cudnn.benchmark, cudnn.deterministic = saved


# ---- Module: reassigning keeps the place ---------------------------------------------------------------------

def _net(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.first = lib.nn.Linear(2, 3)
            self.scale = lib.nn.Parameter(lib.ones(3))
            self.act = lib.nn.ReLU()
            self.norm = lib.nn.BatchNorm1d(3)
            self.shift = lib.nn.Parameter(lib.zeros(3))
            self.last = lib.nn.Linear(3, 1)
            self.plain = 5
    return Net()


def _orders(net):
    return (list(net.state_dict()), [n for n, _ in net.named_children()], [n for n, _ in net.named_parameters()],
            [n for n, _ in net.named_buffers()])


@pytest.mark.parametrize("steps", [
    ["first"], ["scale"], ["first", "scale", "last"], ["act_none", "act"], ["norm_buffer"], ["plain_module"],
    ["act_to_param"], ["act_to_param", "act_none_param", "plain_module"],
])
def test_module_reassign_keeps_torchs_order(steps):
    nets = {}
    for lib in (torch, al):
        net = _net(lib)
        for step in steps:
            if step in ("first", "last"):
                setattr(net, step, lib.nn.Linear(*((2, 3) if step == "first" else (3, 1))))
            elif step == "scale":
                net.scale = lib.nn.Parameter(lib.full((3,), 2.0))
            elif step == "act_none":
                net.act = None
            elif step == "act":
                net.act = lib.nn.Tanh()
            elif step == "norm_buffer":
                net.norm.running_mean = lib.full((3,), 0.5)
            elif step == "plain_module":
                net.plain = lib.nn.Identity()
            elif step == "act_none_param":
                net.act = None
            elif step == "act_to_param":
                net.act = lib.nn.Parameter(lib.ones(1))
        nets[lib.__name__] = net
    assert _orders(nets["autograd_lite"]) == _orders(nets["torch"])
    assert [type(m).__name__ for m in nets["autograd_lite"].children()] == \
        [type(m).__name__ for m in nets["torch"].children()]


def test_module_into_a_parameter_slot_fails_as_torch():
    for lib in (torch, al):
        net = _net(lib)
        with pytest.raises(TypeError, match=r"as parameter 'scale' \((torch\.)?nn\.Parameter or None expected\)$"):
            net.scale = lib.nn.Identity()
        with pytest.raises(TypeError, match=r"as child module 'act' \(.*Module or None expected\)$"):
            net.act = lib.ones(2)
        assert _orders(net) == _orders(_net(lib))


def test_module_reassigned_state_dict_loads_into_torch():
    ours, ref = _net(al), _net(torch)
    ours.first = nn.Linear(2, 3)
    ours.scale = nn.Parameter(al.full((3,), 2.0))
    ref.first = torch.nn.Linear(2, 3)
    ref.scale = torch.nn.Parameter(torch.ones(3))
    state = {k: torch.tensor(_host(v)) for k, v in ours.state_dict().items()}
    assert list(state) == list(ref.state_dict())
    ref.load_state_dict(state)
    assert np.array_equal(ref.scale.detach().numpy(), np.full(3, 2.0, np.float32))


# ---- torch.onnx as scripts import it ---------------------------------------------------------------------------------
def test_onnx_imports_and_export_refuses_saying_how():
    import autograd_lite.onnx as onnx
    assert al.onnx is onnx and onnx.is_in_onnx_export() is False
    with pytest.raises(RuntimeError, match=r"onnx.export: exporting to ONNX is not supported; .*format='torch'.*"
                                           r"torch.onnx.export there"):
        onnx.export(al.nn.Linear(2, 2), (al.ones(1, 2),), "model.onnx")
