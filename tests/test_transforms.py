"""vision.transforms against hand-computed values and torchvision's semantics and reprs; the batch
path (apply_batch) against the per-sample one; the DataLoader's ``_collated_batch`` hook."""
import sys

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.utils.data import DataLoader, Dataset, default_collate
from autograd_lite.vision import transforms as T

try:
    from test_data import assert_same_batches as assert_same, batches as collect
except ImportError:
    from tests.test_data import assert_same_batches as assert_same, batches as collect

Image = pytest.importorskip("PIL.Image")


def f32(values):
    return np.array(values, dtype=np.float32)


def pixels(img):
    assert isinstance(img, Image.Image)
    return np.asarray(img)


def random_rgb(h=120, w=150, seed=0):
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8))


# ---- ToTensor ------------------------------------------------------------------------------------
def test_to_tensor_hw_uint8():
    out = T.ToTensor()(np.array([[0, 255], [51, 102]], dtype=np.uint8))
    assert isinstance(out, al.Tensor) and out.shape == (1, 2, 2) and out.dtype == al.float32
    np.testing.assert_array_equal(out.numpy(), f32([[[0.0, 1.0], [0.2, 0.4]]]))


def test_to_tensor_hwc_uint8():
    x = np.array([[[0, 51, 255], [102, 153, 204]],
                  [[255, 0, 51], [204, 102, 0]]], dtype=np.uint8)            # (2, 2, 3)
    out = T.ToTensor()(x).numpy()
    assert out.shape == (3, 2, 2) and out.dtype == np.float32 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, f32([[[0.0, 0.4], [1.0, 0.8]],
                                            [[0.2, 0.6], [0.0, 0.4]],
                                            [[1.0, 0.8], [0.2, 0.0]]]))


def test_to_tensor_is_torchs_division_bit_for_bit():
    torch = pytest.importorskip("torch")
    x = np.arange(256, dtype=np.uint8).reshape(16, 16)
    want = torch.from_numpy(x).to(torch.float32).div(255).numpy()
    np.testing.assert_array_equal(T.ToTensor()(x).numpy()[0], want)


def test_to_tensor_pil_images():
    x = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    np.testing.assert_array_equal(T.ToTensor()(Image.fromarray(x)).numpy(), T.ToTensor()(x).numpy())
    rgb = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    out = T.ToTensor()(Image.fromarray(rgb))
    assert out.shape == (3, 2, 4)
    np.testing.assert_array_equal(out.numpy(), T.ToTensor()(rgb).numpy())
    bits = T.ToTensor()(Image.fromarray(np.array([[True, False]])))         # mode "1"
    np.testing.assert_array_equal(bits.numpy(), f32([[[1.0, 0.0]]]))
    floats = T.ToTensor()(Image.fromarray(f32([[0.5, 7.0]])))                # mode "F": not scaled
    np.testing.assert_array_equal(floats.numpy(), f32([[[0.5, 7.0]]]))


def test_to_tensor_float_arrays_are_not_rescaled():
    x = np.array([[0.5, 2.0]], dtype=np.float32)
    out = T.ToTensor()(x)
    assert out.dtype == al.float32
    np.testing.assert_array_equal(out.numpy(), x[None])
    assert T.ToTensor()(np.zeros((2, 2, 3))).dtype == al.float64      # dtype kept, as torchvision


def test_to_tensor_errors():
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray. Got <class 'list'>"):
        T.ToTensor()([[0, 1]])
    with pytest.raises(ValueError, match=r"pic should be 2/3 dimensional. Got 4 dimensions"):
        T.ToTensor()(np.zeros((1, 2, 2, 2), np.uint8))


# ---- Normalize -----------------------------------------------------------------------------------
def test_normalize_arithmetic():
    x = al.tensor([[[0.0, 0.5], [1.0, 0.25]]])
    out = T.Normalize((0.5,), (0.5,))(x)
    assert out.dtype == al.float32
    np.testing.assert_array_equal(out.numpy(), f32([[[-1.0, 0.0], [1.0, -0.5]]]))
    rgb = al.ones(3, 1, 2)
    out = T.Normalize([0.0, 0.5, 3.0], [0.5, 0.25, 2.0])(rgb).numpy()
    np.testing.assert_array_equal(out, f32([[[2.0, 2.0]], [[2.0, 2.0]], [[-1.0, -1.0]]]))
    assert x.numpy()[0, 0, 1] == 0.5                                          # not in place


def test_normalize_matches_torch_bit_for_bit():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).random((4, 3, 5, 5), dtype=np.float32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    want = ((torch.from_numpy(x) - torch.tensor(mean).view(-1, 1, 1))
            / torch.tensor(std).view(-1, 1, 1)).numpy()
    np.testing.assert_array_equal(T.Normalize(mean, std)(al.from_numpy(x)).numpy(), want)


def test_normalize_uses_the_first_c_values_and_broadcasts_one():
    x = al.tensor([[[0.0, 1.0]]])                                             # 1 channel
    np.testing.assert_array_equal(T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))(x).numpy(),
                                  f32([[[-1.0, 1.0]]]))
    np.testing.assert_array_equal(T.Normalize((0.0, 9.0), (2.0, 9.0))(x).numpy(),
                                  f32([[[0.0, 0.5]]]))
    out = T.Normalize(0.5, 0.25)(al.ones(3, 1, 1)).numpy()        # one value: every channel
    np.testing.assert_array_equal(out, np.full((3, 1, 1), 2.0, np.float32))
    with pytest.raises(ValueError, match=r"mean has 2 values for a tensor image with 3 channels"):
        T.Normalize((0.5, 0.5), (0.5, 0.5))(al.ones(3, 2, 2))


def test_normalize_errors():
    with pytest.raises(ValueError, match="division by zero"):
        T.Normalize((0.5, 0.5), (0.5, 0.0))
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to float32"):
        T.Normalize((0.0,), (1e-50,))(al.ones(1, 2, 2))
    with pytest.raises(ValueError, match="mean should be a number or a non-empty sequence"):
        T.Normalize([], [1.0])
    with pytest.raises(TypeError, match=r"img should be Tensor Image.*ToTensor\(\)"):
        T.Normalize((0.5,), (0.5,))(np.zeros((1, 2, 2), np.float32))
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got autograd_lite.uint8"):
        T.Normalize((0.5,), (0.5,))(al.zeros(1, 2, 2, dtype=al.uint8))
    with pytest.raises(ValueError, match=r"size \(\.\.\., C, H, W\). Got tensor.size\(\) = .*\[2, 2\]"):
        T.Normalize((0.5,), (0.5,))(al.ones(2, 2))


def test_normalize_inplace_and_autograd():
    x = al.tensor([[[1.0, 3.0]]])
    out = T.Normalize((1.0,), (2.0,), inplace=True)(x)
    assert out is x
    np.testing.assert_array_equal(x.numpy(), f32([[[0.0, 1.0]]]))
    x = al.ones(2, 1, 1, requires_grad=True)
    T.Normalize((0.0, 0.0), (2.0, 4.0))(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), f32([[[0.5]], [[0.25]]]))


# ---- Compose, Lambda -----------------------------------------------------------------------------
def test_compose_and_lambda():
    t = T.Compose([T.ToTensor(), T.Lambda(lambda x: x * 2), T.Normalize((1.0,), (1.0,))])
    np.testing.assert_array_equal(t(np.array([[255, 0]], np.uint8)).numpy(), f32([[[1.0, -1.0]]]))
    with pytest.raises(TypeError, match="lambd should be callable"):
        T.Lambda(3)


def test_reprs():
    assert repr(T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])) == \
        "Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.5,))\n)"
    assert repr(T.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])) == \
        "Normalize(mean=[0.5, 0.5, 0.5], std=[0.5, 0.5, 0.5])"
    assert repr(T.Lambda(abs)) == "Lambda()"
    assert repr(T.Resize(255)) == \
        "Resize(size=255, interpolation=bilinear, max_size=None, antialias=True)"
    assert repr(T.Resize((32, 48), T.InterpolationMode.NEAREST)) == \
        "Resize(size=(32, 48), interpolation=nearest, max_size=None, antialias=True)"
    assert repr(T.CenterCrop(224)) == "CenterCrop(size=(224, 224))"
    assert repr(T.RandomRotation(30)) == \
        "RandomRotation(degrees=[-30.0, 30.0], interpolation=nearest, expand=False, fill=0)"
    assert repr(T.RandomRotation((0, 90), center=(1, 2))) == \
        ("RandomRotation(degrees=[0.0, 90.0], interpolation=nearest, expand=False, "
         "center=(1, 2), fill=0)")
    assert repr(T.RandomResizedCrop(100)) == (
        "RandomResizedCrop(size=(100, 100), scale=(0.08, 1.0), ratio=(0.75, 1.3333), "
        "interpolation=bilinear, antialias=True)")
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.Grayscale()) == "Grayscale(num_output_channels=1)"
    assert repr(T.ToPILImage()) == "ToPILImage()"
    assert repr(T.ToPILImage("RGB")) == "ToPILImage(mode=RGB)"


# ---- apply_batch ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 28, 28), (4, 7, 6, 3), (3, 2, 2, 1)])
def test_apply_batch_equals_stacked_samples(shape):
    x = np.random.default_rng(2).integers(0, 256, shape, dtype=np.uint8)
    channels = 1 if len(shape) == 3 else shape[-1]
    for t in (T.ToTensor(),
              T.Compose([T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]),
              T.Compose([T.ToTensor(), T.Normalize((0.1307,) * channels, (0.3081,) * channels)]),
              T.Compose([T.Compose([T.ToTensor()]), T.Normalize(0.2, 0.7)])):
        batch = t.apply_batch(x)
        want = np.stack([t(img).numpy() for img in x])
        got = batch.numpy()
        assert isinstance(batch, al.Tensor) and got.dtype == np.float32 == want.dtype
        assert got.shape == (shape[0], channels) + shape[1:3]
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(T.ToTensor().apply_batch(al.from_numpy(x)).numpy(),
                                  T.ToTensor().apply_batch(x).numpy())


def test_apply_batch_availability_and_errors():
    assert getattr(T.Compose([T.ToTensor(), T.Lambda(abs)]), "apply_batch", None) is None
    nested = T.Compose([T.ToTensor(), T.Compose([T.Lambda(abs)])])
    assert getattr(nested, "apply_batch", None) is None
    assert getattr(T.Compose([T.RandomHorizontalFlip(), T.ToTensor()]), "apply_batch", None) is None
    with pytest.raises(AttributeError, match="Lambda has none"):
        T.Compose([T.Lambda(abs)]).apply_batch
    with pytest.raises(ValueError, match=r"ToTensor.apply_batch: expected a batch .*\(28, 28\)"):
        T.ToTensor().apply_batch(np.zeros((28, 28), np.uint8))
    with pytest.raises(TypeError, match="expected a NumPy array batch, got list"):
        T.ToTensor().apply_batch([np.zeros((2, 2), np.uint8)])


# ---- PIL transforms ------------------------------------------------------------------------------
def test_resize_values():
    img = Image.fromarray(np.array([[0, 100], [0, 100]], np.uint8))
    # bilinear 2 -> 4 columns: output centres at -0.25, 0.25, 0.75, 1.25 source pixels
    out = T.Resize((2, 4))(img)
    assert out.size == (4, 2)
    np.testing.assert_array_equal(pixels(out), [[0, 25, 75, 100]] * 2)
    x = np.array([[1, 2], [3, 4]], np.uint8)
    np.testing.assert_array_equal(pixels(T.Resize(4, T.InterpolationMode.NEAREST)(x)),
                                  np.kron(x, np.ones((2, 2), np.uint8)))
    np.testing.assert_array_equal(pixels(T.Resize(4, interpolation=0)(x)),    # Pillow's constant
                                  np.kron(x, np.ones((2, 2), np.uint8)))


@pytest.mark.parametrize("hw, size, out_hw", [
    ((120, 150), 60, (60, 75)), ((150, 120), 60, (75, 60)), ((100, 30), 7, (23, 7)),
    ((100, 30), [7], (23, 7)), ((120, 150), (33, 44), (33, 44))])
def test_resize_sizes(hw, size, out_hw):
    img = Image.new("RGB", hw[::-1])
    for mode in (T.InterpolationMode.NEAREST, T.InterpolationMode.BILINEAR):
        assert T.Resize(size, mode)(img).size == out_hw[::-1]


def test_resize_max_size_same_size_and_errors():
    assert T.Resize(10, max_size=20)(Image.new("L", (40, 10))).size == (20, 5)
    img = Image.new("L", (8, 6))
    assert T.Resize(6)(img) is img
    with pytest.raises(ValueError, match="must be strictly greater"):
        T.Resize(10, max_size=10)(img)
    with pytest.raises(ValueError, match="max_size should only be passed"):
        T.Resize((3, 4), max_size=10)
    with pytest.raises(TypeError, match="Size should be int or sequence"):
        T.Resize(2.5)
    with pytest.raises(ValueError, match="1 or 2 values"):
        T.Resize((1, 2, 3))
    with pytest.raises(TypeError, match="interpolation should be a InterpolationMode or a corresponding Pillow"):
        T.Resize(3, interpolation=1.5)


def test_center_crop_offsets():
    x = np.arange(20, dtype=np.uint8).reshape(4, 5)
    np.testing.assert_array_equal(pixels(T.CenterCrop((2, 3))(x)), x[1:3, 1:4])
    y = np.arange(25, dtype=np.uint8).reshape(5, 5)
    np.testing.assert_array_equal(pixels(T.CenterCrop(2)(y)), y[2:4, 2:4])    # round(1.5) == 2
    np.testing.assert_array_equal(pixels(T.CenterCrop([3])(y)), y[1:4, 1:4])
    small = np.arange(1, 13, dtype=np.uint8).reshape(3, 4)                    # padded with zeros
    want = np.zeros((5, 5), np.uint8)
    want[1:4, 0:4] = small
    np.testing.assert_array_equal(pixels(T.CenterCrop(5)(small)), want)
    with pytest.raises(ValueError, match="only two dimensions"):
        T.CenterCrop((1, 2, 3))


def test_random_horizontal_flip():
    x = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    np.testing.assert_array_equal(pixels(T.RandomHorizontalFlip(p=0)(x)), x)
    np.testing.assert_array_equal(pixels(T.RandomHorizontalFlip(p=1)(x)), x[:, ::-1])
    flip = T.RandomHorizontalFlip()
    al.manual_seed(3)
    first = [pixels(flip(x))[0, 0, 0] for _ in range(20)]
    al.manual_seed(3)
    assert [pixels(flip(x))[0, 0, 0] for _ in range(20)] == first
    assert set(first) == {0, 3}


def test_random_rotation():
    x = np.arange(16, dtype=np.uint8).reshape(4, 4)
    np.testing.assert_array_equal(pixels(T.RandomRotation(0)(x)), x)
    quarter = T.RandomRotation((90, 90))
    np.testing.assert_array_equal(pixels(quarter(x)), np.rot90(x))            # anticlockwise
    wide = np.arange(6, dtype=np.uint8).reshape(2, 3)
    np.testing.assert_array_equal(pixels(T.RandomRotation((90, 90), expand=True)(wide)),
                                  np.rot90(wide))
    full = np.full((9, 9), 255, np.uint8)
    assert pixels(T.RandomRotation((45, 45))(full))[0, 0] == 0
    assert pixels(T.RandomRotation((45, 45), fill=7)(full))[0, 0] == 7
    assert pixels(T.RandomRotation((45, 45), fill=[7])(full))[0, 0] == 7
    rgb = np.full((9, 9, 3), 255, np.uint8)
    np.testing.assert_array_equal(pixels(T.RandomRotation((45, 45), fill=(1, 2, 3))(rgb))[0, 0],
                                  [1, 2, 3])
    np.testing.assert_array_equal(pixels(T.RandomRotation((45, 45), fill=5)(rgb))[0, 0], [5, 5, 5])
    with pytest.raises(ValueError, match="does not match the number of channels"):
        T.RandomRotation(10, fill=(1, 2))(rgb)
    with pytest.raises(ValueError, match="must be positive"):
        T.RandomRotation(-1)
    with pytest.raises(ValueError, match="sequence of length 2"):
        T.RandomRotation((1, 2, 3))
    rot = T.RandomRotation(30)
    al.manual_seed(5)
    angles = [rot.get_params(rot.degrees) for _ in range(50)]
    assert all(-30 <= a <= 30 for a in angles) and len(set(angles)) == 50
    al.manual_seed(5)
    assert [rot.get_params(rot.degrees) for _ in range(50)] == angles


def test_random_resized_crop():
    img = random_rgb(60, 80)
    crop = T.RandomResizedCrop((30, 40))
    al.manual_seed(7)
    outs = [pixels(crop(img)) for _ in range(3)]
    assert all(o.shape == (30, 40, 3) for o in outs)
    al.manual_seed(7)
    for o in outs:
        np.testing.assert_array_equal(pixels(crop(img)), o)
    al.manual_seed(7)
    for _ in range(200):
        top, left, h, w = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 < h and 0 < w and 0 <= top <= 60 - h and 0 <= left <= 80 - w
        assert 0.08 * 4800 * 0.9 <= h * w <= 4800 and 0.7 <= w / h <= 1.4
    assert T.RandomResizedCrop(5)(np.zeros((10, 12), np.uint8)).size == (5, 5)


def test_random_resized_crop_fallback_is_a_centre_crop():
    impossible = (2.0, 3.0)                             # every attempt is larger than the image
    assert T.RandomResizedCrop.get_params(Image.new("L", (100, 80)), impossible, (3 / 4, 4 / 3)) \
        == (0, 0, 80, 100)
    assert T.RandomResizedCrop.get_params(Image.new("L", (100, 10)), impossible, (3 / 4, 4 / 3)) \
        == (0, 43, 10, 13)                              # too wide: width round(10 * 4/3)
    assert T.RandomResizedCrop.get_params(Image.new("L", (10, 100)), impossible, (3 / 4, 4 / 3)) \
        == (43, 0, 13, 10)                              # too tall: height round(10 / (3/4))
    with pytest.warns(UserWarning, match="Scale and ratio should be of kind"):
        T.RandomResizedCrop(3, scale=(1.0, 0.5))


def test_grayscale_and_to_pil_image():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8)
    np.testing.assert_array_equal(pixels(T.Grayscale()(rgb)), [[76, 150, 29]])   # ITU-R 601-2 luma
    three = pixels(T.Grayscale(3)(rgb))
    assert three.shape == (1, 3, 3) and (three == three[..., :1]).all()
    with pytest.raises(ValueError, match="either 1 or 3"):
        T.Grayscale(2)
    t = al.tensor([[[0.0, 0.5], [1.0, 0.999]]])
    np.testing.assert_array_equal(pixels(T.ToPILImage()(t)), [[0, 127], [255, 254]])   # truncated
    x = np.random.default_rng(3).integers(0, 256, (3, 4, 5), dtype=np.uint8)
    assert T.ToPILImage()(T.ToTensor()(Image.fromarray(x.transpose(1, 2, 0)))).mode == "RGB"
    np.testing.assert_array_equal(pixels(T.ToPILImage()(T.ToTensor()(x.transpose(1, 2, 0)))),
                                  x.transpose(1, 2, 0))
    assert T.ToPILImage()(np.zeros((2, 2, 4), np.uint8)).mode == "RGBA"
    assert T.ToPILImage()(f32([[0.25]])).mode == "F"      # an array's floats are not scaled, as torchvision
    assert T.ToPILImage()(al.tensor([[0.25]])).mode == "L"   # a tensor's are, to uint8
    assert T.ToPILImage("HSV")(np.zeros((2, 2, 3), np.uint8)).mode == "HSV"
    with pytest.raises(ValueError, match=r"Incorrect mode \(RGB\)"):
        T.ToPILImage("RGB")(np.zeros((2, 2), np.uint8))
    with pytest.raises(TypeError, match="Input type float64 is not supported"):
        T.ToPILImage()(np.zeros((2, 2, 3)))
    with pytest.raises(TypeError, match="Input type int64 is not supported"):
        T.ToPILImage()(np.zeros((2, 2, 3), np.int64))


def test_image_transforms_take_arrays_and_tensors():
    x = np.arange(12, dtype=np.uint8).reshape(3, 4)
    for t in (T.Resize(3), T.CenterCrop(2), T.RandomRotation(10), T.RandomResizedCrop(2),
              T.RandomHorizontalFlip(), T.Grayscale()):
        assert isinstance(t(x), Image.Image) and isinstance(t(x[:, :, None]), Image.Image)
        assert isinstance(t(al.zeros(1, 3, 4)), al.Tensor)
    with pytest.raises(TypeError, match=r"Resize: img should be PIL Image or Tensor. Got <class 'list'>"):
        T.Resize(3)([[0]])


def test_without_pillow_the_error_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match=r'needs Pillow.*pip install "autograd_lite\[vision\]"'):
        T.Resize(3)(np.zeros((4, 4), np.uint8))
    assert T.Resize(3)(al.zeros(1, 4, 4)).shape == (1, 3, 3)          # tensors need no Pillow
    out = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])(np.zeros((2, 2), np.uint8))
    np.testing.assert_array_equal(out.numpy(), np.full((1, 2, 2), -1.0, np.float32))


# ---- the seed's section 4.2 ----------------------------------------------------------------------
def test_seed_section_4_2_pipelines():
    train_transforms = T.Compose([T.RandomRotation(30),
                                  T.RandomResizedCrop(100),
                                  T.RandomHorizontalFlip(),
                                  T.ToTensor(),
                                  T.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])])
    test_transforms = T.Compose([T.RandomResizedCrop(100),
                                 T.ToTensor(),
                                 T.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])])
    img = random_rgb()
    for transform in (train_transforms, test_transforms):
        al.manual_seed(11)
        out = transform(img)
        assert isinstance(out, al.Tensor) and out.shape == (3, 100, 100) and out.dtype == al.float32
        assert -1.0 <= out.numpy().min() and out.numpy().max() <= 1.0
        al.manual_seed(11)
        np.testing.assert_array_equal(transform(img).numpy(), out.numpy())
    images = [random_rgb(seed=s) for s in range(4)]
    batch = default_collate([(train_transforms(im), i) for i, im in enumerate(images)])
    assert batch[0].shape == (4, 3, 100, 100)
    mnist_transform = T.Compose([T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    assert mnist_transform(np.zeros((28, 28), np.uint8)).shape == (1, 28, 28)


# ---- the DataLoader's _collated_batch hook -------------------------------------------------------
class FakeMNIST(Dataset):
    """MNIST's contract in miniature: uint8 images, a transform, and ``_collated_batch``."""

    def __init__(self, n=50, transform=None, batchable=True):
        rng = np.random.default_rng(4)
        self.data = rng.integers(0, 256, (n, 6, 5), dtype=np.uint8)
        self.targets = rng.integers(0, 10, n)
        self.transform, self.batchable, self.calls = transform, batchable, []

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        img = self.data[i]
        return (self.transform(img) if self.transform is not None else img), int(self.targets[i])

    def _collated_batch(self, indices):
        self.calls.append(indices)
        apply_batch = getattr(self.transform, "apply_batch", None)
        if not self.batchable or apply_batch is None:
            return None
        return [apply_batch(self.data[indices]), al.from_numpy(self.targets[indices])]


def per_sample(ds, **kwargs):
    """The batches through the per-sample path (a collate_fn that isn't default_collate)."""
    return collect(DataLoader(ds, collate_fn=lambda b: default_collate(b), **kwargs))


MNIST_TRANSFORM = T.Compose([T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])


@pytest.mark.parametrize("shuffle, drop_last", [(False, False), (True, False), (True, True)])
def test_dataloader_calls_collated_batch_once_per_batch(shuffle, drop_last):
    ds = FakeMNIST(transform=MNIST_TRANSFORM)
    al.manual_seed(8)
    fast = collect(DataLoader(ds, batch_size=16, shuffle=shuffle, drop_last=drop_last))
    assert len(ds.calls) == len(fast) == (3 if drop_last else 4)
    assert all(isinstance(c, np.ndarray) and c.dtype == np.int64 for c in ds.calls)
    assert fast[0][0].shape == (16, 1, 6, 5) and fast[0][0].dtype == np.float32
    al.manual_seed(8)
    slow = per_sample(ds, batch_size=16, shuffle=shuffle, drop_last=drop_last)
    assert len(ds.calls) == len(fast)                   # a custom collate_fn: no hook
    assert_same(fast, slow)


def test_dataloader_falls_back_when_collated_batch_returns_none():
    for ds in (FakeMNIST(transform=T.Compose([T.ToTensor(), T.Lambda(lambda x: x * 2)])),
               FakeMNIST(transform=MNIST_TRANSFORM, batchable=False)):
        out = collect(DataLoader(ds, batch_size=20))
        assert len(ds.calls) == 3
        assert_same(out, per_sample(ds, batch_size=20))


def test_dataloader_hook_with_a_custom_batch_sampler():
    ds = FakeMNIST(transform=MNIST_TRANSFORM)
    out = collect(DataLoader(ds, batch_sampler=[[3, 1, 4], [1, 5]]))
    assert [c.tolist() for c in ds.calls] == [[3, 1, 4], [1, 5]]
    assert_same(out, [[np.stack([MNIST_TRANSFORM(ds.data[i]).numpy() for i in idx]),
                       ds.targets[idx]] for idx in ([3, 1, 4], [1, 5])])
