"""The image-pipeline transforms (ColorJitter, RandomAffine, RandomCrop, GaussianBlur,
RandomErasing, PILToTensor, ConvertImageDtype, FiveCrop, TenCrop) against PIL and the formulas of
torchvision's code (torchvision itself cannot be installed beside the CPU torch)."""
import numpy as np
import pytest
import torch

import autograd_lite as al
from autograd_lite.vision import transforms as T

Image = pytest.importorskip("PIL.Image")
from PIL import ImageEnhance  # noqa: E402


@pytest.fixture
def img():
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (36, 48, 3), dtype=np.uint8))


def arr(x):
    return np.asarray(x) if not isinstance(x, al.Tensor) else x.numpy()


# ---- ColorJitter ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,enhancer", [("brightness", ImageEnhance.Brightness),
                                           ("contrast", ImageEnhance.Contrast),
                                           ("saturation", ImageEnhance.Color)])
def test_color_jitter_pil_is_image_enhance(img, kind, enhancer):
    out = T.ColorJitter(**{kind: (1.3, 1.3)})(img)
    np.testing.assert_array_equal(arr(out), arr(enhancer(img).enhance(1.3)))


def test_color_jitter_hue_pil_formula(img):
    out = T.ColorJitter(hue=(0.2, 0.2))(img)
    h, s, v = img.convert("HSV").split()
    shifted = (np.asarray(h, np.uint8) + np.uint8(int(0.2 * 255))).astype(np.uint8)
    expect = Image.merge("HSV", (Image.fromarray(shifted, "L"), s, v)).convert("RGB")
    np.testing.assert_array_equal(arr(out), arr(expect))


def test_color_jitter_tensor_formulas(img):
    x = T.ToTensor()(img)
    t = torch.from_numpy(x.numpy())
    out = T.ColorJitter(brightness=(1.5, 1.5))(x)
    np.testing.assert_allclose(out.numpy(), (t * 1.5).clamp(0, 1).numpy(), rtol=1e-6)
    gray = (0.2989 * t[0] + 0.587 * t[1] + 0.114 * t[2])[None]
    out = T.ColorJitter(saturation=(0.5, 0.5))(x)
    np.testing.assert_allclose(out.numpy(), (0.5 * t + 0.5 * gray).clamp(0, 1).numpy(),
                               rtol=1e-5, atol=1e-6)
    out = T.ColorJitter(contrast=(2.0, 2.0))(x)
    np.testing.assert_allclose(out.numpy(), (2 * t - gray.mean()).clamp(0, 1).numpy(),
                               rtol=1e-5, atol=1e-6)
    hue0 = T.ColorJitter(hue=(0.0, 1e-9))(x)                 # a shift of ~0 keeps the image
    np.testing.assert_allclose(hue0.numpy(), x.numpy(), atol=1e-5)
    u8 = T.PILToTensor()(img)
    out = T.ColorJitter(brightness=(0.5, 0.5))(u8)
    assert out.dtype == al.uint8
    np.testing.assert_array_equal(out.numpy(), (u8.numpy() * 0.5).astype(np.uint8))


def test_color_jitter_random_order_reproducible_and_errors(img):
    cj = T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    assert repr(cj) == ("ColorJitter(brightness=[0.6, 1.4], contrast=[0.6, 1.4], "
                        "saturation=[0.6, 1.4], hue=[-0.1, 0.1])")
    al.manual_seed(3)
    a = [arr(cj(img)) for _ in range(3)]
    al.manual_seed(3)
    b = [arr(cj(img)) for _ in range(3)]
    assert all((x == y).all() for x, y in zip(a, b)) and not (a[0] == a[1]).all()
    al.manual_seed(3)
    fn_idx, *factors = T.ColorJitter.get_params([0.6, 1.4], None, [0.6, 1.4], None)
    assert sorted(fn_idx.tolist()) == [0, 1, 2, 3] and factors[1] is None and factors[3] is None
    assert 0.6 <= factors[0] <= 1.4
    assert T.ColorJitter().brightness is None
    with pytest.raises(ValueError, match="If brightness is a single number, it must be non neg"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match=r"hue values should be between \(-0.5, 0.5\)"):
        T.ColorJitter(hue=0.6)
    with pytest.raises(TypeError, match="contrast should be a single number or a list/tuple"):
        T.ColorJitter(contrast=(1, 2, 3))
    with pytest.raises(TypeError, match="img should be PIL Image or Tensor"):
        cj("image")


# ---- RandomAffine --------------------------------------------------------------------------------
def test_random_affine_matches_pil_and_formulas(img):
    sq = img.crop((0, 0, 36, 36))
    out = T.RandomAffine(degrees=(90, 90))(sq)
    np.testing.assert_array_equal(arr(out), arr(sq.rotate(-90)))    # affine's angle: clockwise
    np.testing.assert_array_equal(arr(T.RandomAffine(0)(img)), arr(img))
    al.manual_seed(5)
    angle, (tx, ty), scale, shear = T.RandomAffine.get_params([0, 0], (0.2, 0.2), None, None,
                                                              [48, 36])
    assert abs(tx) <= 0.2 * 48 and abs(ty) <= 0.2 * 36 and (tx, ty) != (0, 0)
    al.manual_seed(5)
    out = arr(T.RandomAffine(0, translate=(0.2, 0.2), fill=7)(img))
    src = arr(img)
    shifted = np.full_like(src, 7)
    h, w = src.shape[:2]
    shifted[max(ty, 0):h + min(ty, 0), max(tx, 0):w + min(tx, 0)] = \
        src[max(-ty, 0):h - max(ty, 0), max(-tx, 0):w - max(tx, 0)]
    np.testing.assert_array_equal(out, shifted)
    al.manual_seed(1)
    a = arr(T.RandomAffine(20, scale=(0.8, 1.2), shear=(-5, 5, -5, 5))(img))
    al.manual_seed(1)
    assert (a == arr(T.RandomAffine(20, scale=(0.8, 1.2), shear=(-5, 5, -5, 5))(img))).all()
    assert repr(T.RandomAffine(10, scale=(0.9, 1.1))) == \
        "RandomAffine(degrees=[-10.0, 10.0], scale=(0.9, 1.1))"
    for kwargs, msg in [(dict(degrees=-1), "If degrees is a single number, it must be positive"),
                        (dict(degrees=0, translate=(0.5,)), "translate should be a sequence of "
                                                            "length 2"),
                        (dict(degrees=0, translate=(2, 0)), "translation values should be between"),
                        (dict(degrees=0, scale=(0, 1)), "scale values should be positive"),
                        (dict(degrees=0, shear=(1, 2, 3)), "shear should be a sequence of length "
                                                           "2 or 4")]:
        with pytest.raises(ValueError, match=msg):
            T.RandomAffine(**kwargs)


# ---- RandomCrop ----------------------------------------------------------------------------------
def test_random_crop_padding_and_coordinates(img):
    src = arr(img)
    for mode, np_mode in [("constant", "constant"), ("reflect", "reflect"), ("edge", "edge"),
                          ("symmetric", "symmetric")]:
        al.manual_seed(2)
        out = arr(T.RandomCrop(32, padding=4, padding_mode=mode)(img))
        padded = np.pad(src, [(4, 4), (4, 4), (0, 0)], mode=np_mode)
        al.manual_seed(2)
        i, j, h, w = T.RandomCrop.get_params(Image.fromarray(padded), (32, 32))
        np.testing.assert_array_equal(out, padded[i:i + h, j:j + w])
    al.manual_seed(2)
    x = T.ToTensor()(img)
    out = T.RandomCrop((20, 30), padding=(1, 2), fill=0.5)(x)
    padded = np.pad(x.numpy(), [(0, 0), (2, 2), (1, 1)], constant_values=0.5)
    al.manual_seed(2)
    i, j, h, w = T.RandomCrop.get_params(al.from_numpy(padded), (20, 30))
    np.testing.assert_array_equal(out.numpy(), padded[:, i:i + h, j:j + w])
    out = T.RandomCrop(50, pad_if_needed=True, fill=9)(img)
    assert out.size == (50, 50)
    assert T.RandomCrop.get_params(img, (36, 48)) == (0, 0, 36, 48)
    with pytest.raises(ValueError, match=r"Required crop size \(50, 50\) is larger than input "
                                         r"image size \(36, 48\)"):
        T.RandomCrop(50)(img)
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge"):
        T.RandomCrop(5, padding_mode="wrap")


# ---- GaussianBlur --------------------------------------------------------------------------------
def torch_blur(x, ksize, sigma):
    """torchvision's gaussian_blur written with torch ops."""
    half = (ksize - 1) * 0.5
    k = torch.exp(-0.5 * (torch.linspace(-half, half, ksize) / sigma) ** 2)
    k = k / k.sum()
    k2 = (k[:, None] * k[None, :]).expand(x.shape[0], 1, ksize, ksize)
    p = ksize // 2
    padded = torch.nn.functional.pad(x[None], [p, p, p, p], mode="reflect")
    return torch.nn.functional.conv2d(padded, k2, groups=x.shape[0])[0]


def test_gaussian_blur_against_torch(img):
    x = T.ToTensor()(img)
    out = T.GaussianBlur(5, sigma=1.5)(x)
    ref = torch_blur(torch.from_numpy(x.numpy()), 5, 1.5)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-6)
    out = arr(T.GaussianBlur(3, sigma=0.8)(img))
    ref = torch_blur(torch.from_numpy(arr(img).transpose(2, 0, 1).astype(np.float32)), 3, 0.8)
    assert out.dtype == np.uint8
    assert np.abs(out.astype(int) - ref.round().clamp(0, 255).numpy().transpose(1, 2, 0)).max() <= 1
    al.manual_seed(4)
    s = T.GaussianBlur.get_params(0.1, 2.0)
    assert 0.1 <= s <= 2.0
    for kwargs, msg in [(dict(kernel_size=4), "Kernel size value should be an odd and positive"),
                        (dict(kernel_size=3, sigma=0), "If sigma is a single number, it must be "
                                                       "positive"),
                        (dict(kernel_size=3, sigma=(2, 1)), "sigma values should be positive and "
                                                            "of the form")]:
        with pytest.raises(ValueError, match=msg):
            T.GaussianBlur(**kwargs)


# ---- RandomErasing -------------------------------------------------------------------------------
def test_random_erasing(img):
    x = T.ToTensor()(img)
    al.manual_seed(0)
    out = T.RandomErasing(p=1.0, value=(0.1, 0.2, 0.3))(x)
    changed = (out.numpy() != x.numpy()).any(axis=0)
    rows, cols = np.nonzero(changed)
    assert changed.sum() > 0 and np.allclose(out.numpy()[:, rows[0], cols[0]], [0.1, 0.2, 0.3])
    assert T.RandomErasing(p=0.0)(x) is x
    y = x.clone()
    assert T.RandomErasing(p=1.0, value="random", inplace=True)(y) is y
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        T.RandomErasing()(img)
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="noise")
    with pytest.raises(ValueError, match="Random erasing probability should be between 0 and 1"):
        T.RandomErasing(p=2)
    with pytest.raises(ValueError, match="Scale should be between 0 and 1"):
        T.RandomErasing(scale=(0.5, 2))
    with pytest.raises(ValueError, match="it should have either a single value or 3"):
        T.RandomErasing(p=1, value=(1, 2))(x)


def test_random_erasing_rectangle_matches_get_params(img):
    x = T.ToTensor()(img)
    al.manual_seed(8)
    al.random.generator().random()                       # the p draw
    i, j, h, w, _ = T.RandomErasing.get_params(x, (0.02, 0.33), (0.3, 3.3), [0.0])
    al.manual_seed(8)
    out = T.RandomErasing(p=1.0, value=0)(x).numpy()
    expect = x.numpy().copy()
    expect[:, i:i + h, j:j + w] = 0
    np.testing.assert_array_equal(out, expect)


# ---- dtypes --------------------------------------------------------------------------------------
def test_pil_to_tensor_and_convert_image_dtype(img):
    t = T.PILToTensor()(img)
    assert t.dtype == al.uint8 and t.shape == (3, 36, 48)
    np.testing.assert_array_equal(t.numpy(), arr(img).transpose(2, 0, 1))
    assert T.PILToTensor()(img.convert("L")).shape == (1, 36, 48)
    ref = torch.from_numpy(t.numpy())
    f = T.ConvertImageDtype(al.float32)(t)
    np.testing.assert_array_equal(f.numpy(), (ref.float() / 255).numpy())
    np.testing.assert_allclose(f.numpy(), T.ToTensor()(img).numpy(), rtol=1e-6)
    back = T.ConvertImageDtype(al.uint8)(f)
    np.testing.assert_array_equal(back.numpy(), (torch.from_numpy(f.numpy()) * (256 - 1e-3))
                                  .to(torch.uint8).numpy())
    np.testing.assert_array_equal(back.numpy(), t.numpy())
    i32 = T.ConvertImageDtype(al.int32)(t)
    assert i32.dtype == al.int32
    np.testing.assert_array_equal(i32.numpy(), t.numpy().astype(np.int64) * (2 ** 31 // 256))
    np.testing.assert_array_equal(T.ConvertImageDtype(al.uint8)(i32).numpy(), t.numpy())
    assert T.ConvertImageDtype(al.uint8)(t) is t
    with pytest.raises(RuntimeError, match="The cast from .*float32 to .*int32 cannot be performed "
                                           "safely"):
        T.ConvertImageDtype(al.int32)(f)
    with pytest.raises(TypeError, match="pic should be PIL Image"):
        T.PILToTensor()(t)


# ---- FiveCrop / TenCrop --------------------------------------------------------------------------
def test_five_and_ten_crop_coordinates(img):
    src = arr(img)
    crops = T.FiveCrop((20, 30))(img)
    boxes = [(0, 0), (0, 18), (16, 0), (16, 18), (8, 9)]
    for c, (top, left) in zip(crops, boxes):
        np.testing.assert_array_equal(arr(c), src[top:top + 20, left:left + 30])
    ten = T.TenCrop(20)(img)
    assert len(ten) == 10
    np.testing.assert_array_equal(arr(ten[5]), src[:, ::-1][:20, :20])
    ten_v = T.TenCrop(20, vertical_flip=True)(img)
    np.testing.assert_array_equal(arr(ten_v[5]), src[::-1][:20, :20])
    x = T.ToTensor()(img)
    tcrops = T.TenCrop(20)(x)
    np.testing.assert_array_equal(tcrops[4].numpy(), x.numpy()[:, 8:28, 14:34])
    np.testing.assert_array_equal(tcrops[6].numpy(), x.numpy()[:, :, ::-1][:, :20, 28:48])
    with pytest.raises(ValueError, match=r"Requested crop size \(40, 40\) is bigger than input "
                                         r"size \(36, 48\)"):
        T.FiveCrop(40)(img)
    with pytest.raises(ValueError, match="provide only two dimensions"):
        T.FiveCrop((1, 2, 3))
