"""transforms.functional (PIL and Tensor paths), Tensor inputs for the class transforms, the random
containers and transforms.v2. References: Pillow itself for PIL images (what torchvision calls), torch.nn.functional
for the tensor maths torchvision uses (interpolate, grid_sample, pad, conv2d), torchvision's formulas written in
torch, and PIL-vs-tensor agreement."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF_torch

import autograd_lite as al
from autograd_lite.vision import transforms as T
from autograd_lite.vision.transforms import functional as F
from autograd_lite.vision.transforms import v2

Image = pytest.importorskip("PIL.Image")
from PIL import ImageEnhance, ImageOps  # noqa: E402


@pytest.fixture
def rgb():
    return np.random.default_rng(0).integers(0, 256, (3, 13, 17), dtype=np.uint8)


def pil(chw):
    return Image.fromarray(np.ascontiguousarray(chw.transpose(1, 2, 0)))


def chw(img):
    return np.asarray(img).transpose(2, 0, 1) if np.asarray(img).ndim == 3 else np.asarray(img)[None]


def t(a):
    return al.tensor(a)


# ---- sizes and conversions ---------------------------------------------------------------------------
def test_dimensions_and_conversions(rgb):
    img, x = pil(rgb), t(rgb)
    assert F.get_dimensions(img) == F.get_dimensions(x) == [3, 13, 17]
    assert F.get_image_size(img) == F.get_image_size(x) == [17, 13]
    assert F.get_image_num_channels(img.convert("L")) == 1 and F.get_dimensions(t(rgb[0])) == [1, 13, 17]
    np.testing.assert_array_equal(F.pil_to_tensor(img).numpy(), rgb)
    assert F.pil_to_tensor(img).dtype == al.uint8
    np.testing.assert_array_equal(F.to_tensor(img).numpy(), torch.from_numpy(rgb).float().div(255).numpy())
    np.testing.assert_array_equal(np.asarray(F.to_pil_image(x)), rgb.transpose(1, 2, 0))
    f = F.convert_image_dtype(x, al.float32)
    np.testing.assert_array_equal(f.numpy(), torch.from_numpy(rgb).float().div(255).numpy())
    np.testing.assert_array_equal(F.convert_image_dtype(f, al.uint8).numpy(), rgb)
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray. Got <class 'list'>"):
        F.to_tensor([1])
    with pytest.raises(TypeError, match="pic should be PIL Image. Got"):
        F.pil_to_tensor(x)
    with pytest.raises(TypeError, match=r"pic should be Tensor or ndarray. Got <class 'list'>\."):
        F.to_pil_image([1])
    with pytest.raises(ValueError, match="pic should not have > 4 channels. Got 5 channels."):
        F.to_pil_image(al.zeros(5, 2, 2))
    with pytest.raises(TypeError, match="Input img should be Tensor Image"):
        F.convert_image_dtype(img)
    with pytest.raises(TypeError, match="Unexpected type"):
        F.get_dimensions([1])
    with pytest.raises(TypeError, match="Tensor is not a torch image."):
        F.hflip(al.zeros(3))


def test_normalize_functional():
    x = al.rand(2, 3, 4, 5)
    expect = (x.numpy() - np.float32([0.5, 0.4, 0.3])[:, None, None]) / np.float32([0.2, 0.3, 0.4])[:, None, None]
    np.testing.assert_allclose(F.normalize(x, [0.5, 0.4, 0.3], [0.2, 0.3, 0.4]).numpy(), expect, rtol=1e-6)
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.normalize(np.zeros((3, 2, 2)), [0.5], [0.5])
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        F.normalize(al.zeros(3, 2, 2, dtype=al.uint8), [0.5], [0.5])


# ---- flips and crops: the PIL and the tensor path agree exactly -------------------------------------------
@pytest.mark.parametrize("op", [F.hflip, F.vflip, lambda i: F.crop(i, 2, 3, 7, 9), lambda i: F.crop(i, -2, 10, 8, 9),
                                lambda i: F.center_crop(i, 5), lambda i: F.center_crop(i, (20, 8)),
                                lambda i: F.center_crop(i, [16, 21]),
                                lambda i: F.resized_crop(i, 1, 2, 8, 8, [8, 8], F.InterpolationMode.NEAREST)])
def test_flips_and_crops_pil_equals_tensor(rgb, op):
    out_t = op(t(rgb))
    assert isinstance(out_t, al.Tensor) and out_t.dtype == al.uint8
    np.testing.assert_array_equal(out_t.numpy(), chw(op(pil(rgb))))


def test_flips_and_crops_batched(rgb):
    x = t(np.stack([rgb, 255 - rgb]))
    np.testing.assert_array_equal(F.hflip(x).numpy(), x.numpy()[..., ::-1])
    np.testing.assert_array_equal(F.vflip(x).numpy(), x.numpy()[..., ::-1, :])
    assert F.center_crop(x, 5).shape == (2, 3, 5, 5)
    crops = F.five_crop(x, (4, 6))
    assert len(crops) == 5 and all(c.shape == (2, 3, 4, 6) for c in crops)
    np.testing.assert_array_equal(crops[3].numpy(), x.numpy()[..., -4:, -6:])
    ten = F.ten_crop(t(rgb), 4, vertical_flip=True)
    np.testing.assert_array_equal(ten[5].numpy(), rgb[:, ::-1][:, :4, :4])
    for a, b in zip(F.ten_crop(pil(rgb), 4), F.ten_crop(t(rgb), 4)):
        np.testing.assert_array_equal(chw(a), b.numpy())
    with pytest.raises(ValueError, match=r"Requested crop size \(20, 20\) is bigger than input size \(13, 17\)"):
        F.five_crop(t(rgb), 20)
    with pytest.raises(ValueError, match="Please provide only two dimensions"):
        F.five_crop(t(rgb), (1, 2, 3))


# ---- resize ---------------------------------------------------------------------------------------------
def test_resize_tensor_is_interpolate(rgb):
    x = torch.rand(2, 3, 20, 30)
    out = F.resize(t(x.numpy()), [9, 14])
    ref = TF_torch.interpolate(x, size=(9, 14), mode="bilinear", align_corners=False, antialias=True)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-6)
    out = F.resize(t(x.numpy()), 10, interpolation=F.InterpolationMode.NEAREST)      # shorter side 10
    ref = TF_torch.interpolate(x, size=(10, 15), mode="nearest")
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    out = F.resize(t(x.numpy()), [30, 40], interpolation=F.InterpolationMode.BICUBIC, antialias=False)
    ref = TF_torch.interpolate(x, size=(30, 40), mode="bicubic", align_corners=False)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-5)
    u = F.resize(t(rgb), [7, 9])                                                      # uint8: rounded back
    ref = TF_torch.interpolate(torch.from_numpy(rgb)[None].float(), size=(7, 9), mode="bilinear",
                               align_corners=False, antialias=True).round().to(torch.uint8)[0]
    assert u.dtype == al.uint8 and np.abs(u.numpy().astype(int) - ref.numpy()).max() <= 1
    assert F.resize(t(rgb[0]), [5, 6]).shape == (5, 6)
    img = pil(rgb)
    np.testing.assert_array_equal(np.asarray(F.resize(img, [7, 9])), np.asarray(img.resize((9, 7), Image.BILINEAR)))
    assert F.resize(img, 13) is img and F.resize(t(rgb), 13).shape == (3, 13, 17)
    assert F.resize(t(rgb), 8, max_size=9).shape == (3, 7, 9)
    with pytest.raises(ValueError, match="Size must be an int or a 1 or 2 element tuple/list, not a 3 element"):
        F.resize(img, [1, 2, 3])
    with pytest.raises(TypeError, match="Argument interpolation should be a InterpolationMode"):
        F.resize(img, 3, interpolation=1.5)
    with pytest.raises(ValueError, match="Interpolation mode 'box' is unsupported with Tensor input"):
        F.resize(t(rgb), 3, interpolation=F.InterpolationMode.BOX)
    with pytest.warns(UserWarning, match="Anti-alias option is always applied for PIL Image input"):
        F.resize(img, 5, antialias=False)


# ---- pad ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode,torch_mode", [("constant", "constant"), ("edge", "replicate"), ("reflect", "reflect")])
def test_pad_tensor_is_torch_pad(mode, torch_mode):
    x = torch.rand(2, 3, 6, 7)
    out = F.pad(t(x.numpy()), [1, 2, 3, 4], fill=0 if mode != "constant" else 0.5, padding_mode=mode)
    kw = {"value": 0.5} if mode == "constant" else {}
    np.testing.assert_array_equal(out.numpy(), TF_torch.pad(x, [1, 3, 2, 4], mode=torch_mode, **kw).numpy())


def test_pad_symmetric_negative_and_pil(rgb):
    out = F.pad(t(rgb), [2, 1], padding_mode="symmetric")
    np.testing.assert_array_equal(out.numpy(), np.pad(rgb, [(0, 0), (1, 1), (2, 2)], mode="symmetric"))
    np.testing.assert_array_equal(F.pad(t(rgb), [-1, 2, 3, -2]).numpy(),
                                  np.pad(rgb[:, :-2, 1:], [(0, 0), (2, 0), (0, 3)]))
    img = pil(rgb)
    for mode in ("edge", "reflect", "symmetric"):
        np.testing.assert_array_equal(chw(F.pad(img, 3, padding_mode=mode)),
                                      F.pad(t(rgb), 3, padding_mode=mode).numpy())
    np.testing.assert_array_equal(np.asarray(F.pad(img, (1, 2, 3, 4), fill=(9, 8, 7))),
                                  np.asarray(ImageOps.expand(img, border=(1, 2, 3, 4), fill=(9, 8, 7))))
    np.testing.assert_array_equal(chw(F.pad(img, [2, 3], fill=5)), F.pad(t(rgb), [2, 3], fill=5).numpy())
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3 element"):
        F.pad(t(rgb), [1, 2, 3])
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or symmetric"):
        F.pad(img, 1, padding_mode="wrap")
    with pytest.raises(TypeError, match="Got inappropriate fill arg"):
        F.pad(t(rgb), 1, fill=(1, 2, 3))
    with pytest.raises(TypeError, match="Got inappropriate padding arg"):
        F.pad(t(rgb), "1")
    with pytest.raises(ValueError, match="Padding can not be negative for symmetric padding_mode"):
        F.pad(t(rgb), -1, padding_mode="symmetric")


# ---- rotate and affine: torchvision's grid (written in torch) through torch's grid_sample ------------------
def torchvision_grid(matrix, w, h, ow, oh):
    theta = torch.tensor(matrix, dtype=torch.float32).reshape(1, 2, 3)
    base = torch.empty(1, oh, ow, 3)
    base[..., 0].copy_(torch.linspace(-ow * 0.5 + 0.5, ow * 0.5 + 0.5 - 1, steps=ow))
    base[..., 1].copy_(torch.linspace(-oh * 0.5 + 0.5, oh * 0.5 + 0.5 - 1, steps=oh).unsqueeze_(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h])
    return base.view(1, oh * ow, 3).bmm(rescaled).view(1, oh, ow, 2)


def torchvision_grid_transform(img, grid, mode, fill):
    """torchvision's _apply_grid_transform on a float batch."""
    grid = grid.expand(img.shape[0], *grid.shape[1:])
    if fill is not None:
        img = torch.cat((img, torch.ones_like(img[:, :1])), dim=1)
    out = TF_torch.grid_sample(img, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:].expand_as(out[:, :-1])
        fill_img = torch.tensor(fill, dtype=out.dtype).view(1, -1, 1, 1).expand_as(out)
        out = torch.where(mask < 0.5, fill_img, out) if mode == "nearest" else out * mask + (1.0 - mask) * fill_img
    return out


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill", [None, [0.2, 0.5, 1.0]])
def test_rotate_and_affine_tensor_are_grid_sample(mode, fill):
    x = torch.rand(2, 3, 11, 14)
    interp = F.InterpolationMode(mode)
    for angle, center in ((33.0, None), (-71.5, [3, 4])):
        out = F.rotate(t(x.numpy()), angle, interp, center=center, fill=fill)
        cf = [0.0, 0.0] if center is None else [c - s * 0.5 for c, s in zip(center, [14, 11])]
        matrix = F._get_inverse_affine_matrix(cf, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
        ref = torchvision_grid_transform(x, torchvision_grid(matrix, 14, 11, 14, 11), mode, fill)
        close = np.isclose(out.numpy(), ref.numpy(), atol=1e-5)
        assert close.mean() > (0.995 if mode == "nearest" else 1 - 1e-9)   # nearest: rare ties at .5 may differ
    out = F.affine(t(x.numpy()), 12.0, [2, -1], 1.2, [5.0, -3.0], interp, fill=fill)
    matrix = F._get_inverse_affine_matrix([0.0, 0.0], 12.0, [2.0, -1.0], 1.2, [5.0, -3.0])
    ref = torchvision_grid_transform(x, torchvision_grid(matrix, 14, 11, 14, 11), mode, fill)
    assert np.isclose(out.numpy(), ref.numpy(), atol=1e-5).mean() > 0.995


def test_rotate_expand_uint8_and_pil(rgb):
    out = F.rotate(t(rgb), 90, expand=True)
    np.testing.assert_array_equal(out.numpy(), np.rot90(rgb, 1, axes=(1, 2)))        # exact quarter turn
    img = pil(rgb)
    assert F.rotate(img, 30, expand=True).size == (23, 21) and out.dtype == al.uint8       # Pillow's expand
    assert F.rotate(t(rgb), 30, expand=True).shape == (3, 21, 23)
    np.testing.assert_array_equal(np.asarray(F.rotate(img, 30, fill=(1, 2, 3))),
                                  np.asarray(img.rotate(30, Image.NEAREST, fillcolor=(1, 2, 3))))
    np.testing.assert_array_equal(np.asarray(F.rotate(img, 90, expand=True)),
                                  np.rot90(rgb, 1, axes=(1, 2)).transpose(1, 2, 0))
    m = F._get_inverse_affine_matrix([8.5, 6.5], 10.0, [1, 2], 0.9, [4.0, 0.0])
    expect = img.transform(img.size, Image.AFFINE, m, Image.NEAREST, fillcolor=(0, 0, 0))
    np.testing.assert_array_equal(np.asarray(F.affine(img, 10, [1, 2], 0.9, 4)), np.asarray(expect))
    with pytest.raises(TypeError, match="Argument angle should be int or float"):
        F.rotate(img, "30")
    with pytest.raises(ValueError, match="Argument translate should be a sequence of length 2"):
        F.affine(img, 0, [1], 1.0, 0)
    with pytest.raises(ValueError, match="Argument scale should be positive"):
        F.affine(t(rgb), 0, [0, 0], 0.0, 0)
    with pytest.raises(ValueError, match="Interpolation mode 'bicubic' is unsupported with Tensor input"):
        F.rotate(t(rgb), 10, F.InterpolationMode.BICUBIC)
    with pytest.raises(ValueError, match=r"The number of elements in 'fill' cannot broadcast .* \(2 != 3\)"):
        F.rotate(t(rgb), 10, fill=[1, 2])
    with pytest.raises(ValueError, match=r"does not match the number of channels of the image \(2 != 3\)"):
        F.rotate(img, 10, fill=[1, 2])


# ---- colour ---------------------------------------------------------------------------------------------
def blend_torch(img1, img2, ratio):
    bound = 1.0 if img1.is_floating_point() else 255.0
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def gray_torch(img):
    r, g, b = img.unbind(dim=-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_colour_tensor_formulas(rgb, dtype):
    x = torch.from_numpy(rgb) if dtype == "uint8" else torch.from_numpy(rgb).float() / 255
    ours = t(x.numpy())
    np.testing.assert_array_equal(F.adjust_brightness(ours, 1.3).numpy(), blend_torch(x, torch.zeros_like(x), 1.3))
    np.testing.assert_array_equal(F.adjust_saturation(ours, 0.4).numpy(), blend_torch(x, gray_torch(x), 0.4))
    mean = gray_torch(x).to(torch.float32 if dtype == "uint8" else x.dtype).mean(dim=(-3, -2, -1), keepdim=True)
    diff = F.adjust_contrast(ours, 1.7).numpy().astype(float) - blend_torch(x, mean, 1.7).numpy()
    assert np.abs(diff).max() <= (1 if dtype == "uint8" else 1e-6)
    np.testing.assert_array_equal(F.rgb_to_grayscale(ours).numpy(), gray_torch(x).numpy())
    assert F.rgb_to_grayscale(ours, 3).shape == (3, 13, 17)
    np.testing.assert_array_equal(F.invert(ours).numpy(), ((255 if dtype == "uint8" else 1.0) - x).numpy())
    g = F.adjust_gamma(ours, 0.7, 1.1).numpy()
    xf = x.float() / 255 if dtype == "uint8" else x
    ref = (1.1 * xf ** 0.7).clamp(0, 1)
    ref = ref.mul(255.999).to(torch.uint8) if dtype == "uint8" else ref
    assert np.abs(g.astype(float) - ref.numpy()).max() <= (1 if dtype == "uint8" else 1e-6)
    assert F.adjust_hue(ours, 0.0).dtype == ours.dtype
    back = F.adjust_hue(ours, 0.0).numpy().astype(float)      # the HSV round trip keeps the image
    assert np.abs(back - ours.numpy()).max() <= (1 if dtype == "uint8" else 1e-5)


def test_colour_pil_is_pillow_and_close_to_tensor(rgb):
    img, x = pil(rgb), t(rgb)
    for fn, enh, f in ((F.adjust_brightness, ImageEnhance.Brightness, 1.4),
                       (F.adjust_contrast, ImageEnhance.Contrast, 0.6), (F.adjust_saturation, ImageEnhance.Color, 1.5),
                       (F.adjust_sharpness, ImageEnhance.Sharpness, 1.8)):
        out = fn(img, f)
        np.testing.assert_array_equal(np.asarray(out), np.asarray(enh(img).enhance(f)))
        assert np.abs(chw(out).astype(int) - fn(x, f).numpy()).max() <= 2               # PIL vs tensor
    hue_pil, hue_t = chw(F.adjust_hue(img, 0.2)).astype(int), F.adjust_hue(x, 0.2).numpy().astype(int)
    assert np.median(np.abs(hue_pil - hue_t)) <= 2
    assert np.abs(chw(F.adjust_gamma(img, 0.5)).astype(int) - F.adjust_gamma(x, 0.5).numpy()).max() <= 1
    np.testing.assert_array_equal(np.asarray(F.invert(img)), 255 - rgb.transpose(1, 2, 0))
    np.testing.assert_array_equal(np.asarray(F.to_grayscale(img)), np.asarray(img.convert("L")))
    assert np.abs(chw(F.rgb_to_grayscale(img)).astype(int) - F.rgb_to_grayscale(x).numpy()).max() <= 1
    with pytest.raises(ValueError, match=r"brightness_factor \(-1\) is not non-negative."):
        F.adjust_brightness(x, -1)
    with pytest.raises(ValueError, match=r"hue_factor \(0.7\) is not in \[-0.5, 0.5\]."):
        F.adjust_hue(img, 0.7)
    with pytest.raises(TypeError, match=r"permitted channel values are \[1, 3\], but found 2"):
        F.adjust_saturation(al.zeros(2, 4, 4), 0.5)
    with pytest.raises(ValueError, match="Gamma should be a non-negative real number"):
        F.adjust_gamma(x, -1)
    with pytest.raises(TypeError, match="Input should be PIL Image"):
        F.to_grayscale(x)
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        F.rgb_to_grayscale(x, 2)


def test_gaussian_blur_is_conv2d_with_reflect_padding(rgb):
    x = torch.rand(2, 3, 12, 15)

    def kernel1d(k, s):
        v = torch.linspace(-(k - 1) * 0.5, (k - 1) * 0.5, steps=k)
        pdf = torch.exp(-0.5 * (v / s).pow(2))
        return pdf / pdf.sum()
    k2d = torch.mm(kernel1d(3, 1.2)[:, None], kernel1d(5, 0.7)[None, :])    # (ky, kx)
    ref = TF_torch.conv2d(TF_torch.pad(x, [2, 2, 1, 1], mode="reflect"), k2d.expand(3, 1, 3, 5), groups=3)
    out = F.gaussian_blur(t(x.numpy()), [5, 3], [0.7, 1.2])
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-6)
    out = F.gaussian_blur(pil(rgb), 3)
    ref = F.gaussian_blur(t(rgb), 3)                                          # default sigma 0.15 * k + 0.35
    np.testing.assert_array_equal(chw(out), ref.numpy())
    with pytest.raises(ValueError, match=r"kernel_size should have odd and positive integers. Got \[4, 4\]"):
        F.gaussian_blur(t(rgb), 4)
    with pytest.raises(ValueError, match=r"sigma should have positive values. Got \[0.0, 0.0\]"):
        F.gaussian_blur(t(rgb), 3, 0.0)
    with pytest.raises(TypeError, match="kernel_size should be int or a sequence of integers"):
        F.gaussian_blur(t(rgb), 3.0)


def test_erase():
    x = al.zeros(3, 4, 5)
    out = F.erase(x, 1, 2, 2, 2, al.ones(3, 2, 2))
    assert out is not x and float(x.sum()) == 0 and float(out.sum()) == 12
    assert F.erase(x, 0, 0, 1, 1, 7.0, inplace=True) is x and float(x.sum()) == 21
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        F.erase(np.zeros((3, 4, 5)), 0, 0, 1, 1, 0)


# ---- the class transforms take tensors (batched too) ------------------------------------------------------
@pytest.mark.parametrize("transform,shape", [
    (T.Resize(8), (2, 3, 8, 10)), (T.Resize((6, 7)), (2, 3, 6, 7)), (T.CenterCrop(5), (2, 3, 5, 5)),
    (T.RandomCrop(8, padding=2, padding_mode="reflect"), (2, 3, 8, 8)), (T.RandomResizedCrop(9), (2, 3, 9, 9)),
    (T.RandomHorizontalFlip(1.0), (2, 3, 13, 17)), (T.RandomVerticalFlip(1.0), (2, 3, 13, 17)),
    (T.RandomRotation(20), (2, 3, 13, 17)), (T.RandomRotation(20, expand=True), None),
    (T.RandomAffine(10, (0.1, 0.1), (0.9, 1.1), 5), (2, 3, 13, 17)), (T.Pad((1, 2)), (2, 3, 17, 19)),
    (T.Grayscale(), (2, 1, 13, 17)), (T.RandomGrayscale(1.0), (2, 3, 13, 17)),
    (T.ColorJitter(0.4, 0.4, 0.4, 0.1), (2, 3, 13, 17)), (T.GaussianBlur(3), (2, 3, 13, 17)),
    (T.RandomInvert(1.0), (2, 3, 13, 17)), (T.RandomAdjustSharpness(2, p=1.0), (2, 3, 13, 17)),
])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_class_transforms_on_tensor_batches(rgb, transform, shape, dtype):
    batch = np.stack([rgb, rgb[:, ::-1]])
    x = t(batch if dtype == "uint8" else batch.astype(np.float32) / 255)
    out = transform(x)
    assert isinstance(out, al.Tensor) and out.dtype == x.dtype
    if shape is not None:
        assert tuple(out.shape) == shape
    if dtype == "float32":
        assert 0.0 <= float(out.min()) and float(out.max()) <= 1.0


def test_class_transforms_tensor_matches_pil_where_exact(rgb):
    img, x = pil(rgb), t(rgb)
    for transform in (T.CenterCrop(7), T.RandomHorizontalFlip(1.0), T.RandomVerticalFlip(1.0), T.Pad(2, fill=3),
                      T.Pad([1, 2, 3, 4], padding_mode="symmetric")):
        np.testing.assert_array_equal(chw(transform(img)), transform(x).numpy())
    al.manual_seed(5)
    a = T.RandomCrop(9, padding=1)(img)
    al.manual_seed(5)
    np.testing.assert_array_equal(chw(a), T.RandomCrop(9, padding=1)(x).numpy())
    crops = T.FiveCrop(6)(x)
    assert len(crops) == 5 and crops[0].shape == (3, 6, 6)
    assert T.Normalize([0.5] * 3, [0.5] * 3)(al.rand(2, 3, 4, 4)).shape == (2, 3, 4, 4)


def test_new_classes_reprs_and_errors():
    assert repr(T.Pad(2)) == "Pad(padding=2, fill=0, padding_mode=constant)"
    assert repr(T.RandomVerticalFlip()) == "RandomVerticalFlip(p=0.5)"
    assert repr(T.RandomGrayscale()) == "RandomGrayscale(p=0.1)"
    assert repr(T.RandomInvert()) == "RandomInvert(p=0.5)"
    assert repr(T.RandomAdjustSharpness(2)) == "RandomAdjustSharpness(sharpness_factor=2,p=0.5)"
    assert repr(T.RandomApply([T.RandomInvert()], p=0.3)) == "RandomApply(\n    p=0.3\n    RandomInvert(p=0.5)\n)"
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or symmetric"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(TypeError, match="Got inappropriate padding arg"):
        T.Pad("1")
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3 element"):
        T.Pad([1, 2, 3])
    with pytest.raises(TypeError, match="Argument transforms should be a sequence of callables"):
        T.RandomChoice(T.RandomInvert())
    with pytest.raises(ValueError, match="Length of p doesn't match the number of transforms: 1 != 2"):
        T.RandomChoice([T.RandomInvert(), T.Grayscale()], p=[1])


def test_random_containers():
    x = al.zeros(1, 2, 2)
    add1, times3 = T.Lambda(lambda v: v + 1), T.Lambda(lambda v: v * 3)
    assert float(T.RandomApply([add1, times3], p=1.0)(x).sum()) == 12
    assert T.RandomApply([add1], p=0.0)(x) is x
    al.manual_seed(0)
    applied = [float(T.RandomApply([add1], p=0.5)(x).sum()) != 0 for _ in range(200)]
    assert 60 < sum(applied) < 140
    picks = {float(T.RandomChoice([add1, times3])(x + 1).sum()) for _ in range(50)}
    assert picks == {8.0, 12.0}
    assert {float(T.RandomChoice([add1, times3], p=[0, 1])(x + 1).sum()) for _ in range(20)} == {12.0}
    orders = {float(T.RandomOrder([add1, times3])(x).sum()) for _ in range(50)}
    assert orders == {12.0, 4.0}                       # (0 + 1) * 3 or 0 * 3 + 1
    al.manual_seed(1)
    a = [T.RandomOrder([add1, times3])(x) for _ in range(5)]
    al.manual_seed(1)
    b = [T.RandomOrder([add1, times3])(x) for _ in range(5)]
    assert [float(v.sum()) for v in a] == [float(v.sum()) for v in b]


# ---- v2 ----------------------------------------------------------------------------------------------------
def test_v2_pipeline_and_conversions(rgb):
    img = pil(rgb)
    image = v2.ToImage()(img)
    assert image.dtype == al.uint8 and tuple(image.shape) == (3, 13, 17)
    np.testing.assert_array_equal(v2.ToImage()(rgb.transpose(1, 2, 0)).numpy(), rgb)
    assert v2.ToImage()(image) is image
    scaled = v2.ToDtype(al.float32, scale=True)(image)
    ref = torch.from_numpy(rgb).to(torch.float32).mul_(1.0 / 255)          # v2's formula
    np.testing.assert_array_equal(scaled.numpy(), ref.numpy())
    assert v2.ToDtype(al.float32)(image).numpy().max() > 1                  # scale=False: a cast
    np.testing.assert_array_equal(v2.ToDtype(al.uint8, scale=True)(scaled).numpy(), rgb)
    assert v2.ToDtype({al.Tensor: al.float64, "others": None})(image).dtype == al.float64
    assert v2.ToDtype(al.float32)("label") == "label"
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    pipeline = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(8, antialias=True), v2.RandomHorizontalFlip(),
                           v2.ToDtype(al.float32, scale=True), v2.Normalize(mean, std)])
    out = pipeline(img)
    assert tuple(out.shape) == (3, 8, 8) and out.dtype == al.float32
    assert v2.ToPureTensor()(out) is out
    assert v2.functional.get_size(img) == [13, 17] and v2.functional.horizontal_flip is F.hflip
    assert v2.functional.to_dtype(image, al.float32, scale=True).dtype == al.float32
    with pytest.raises(TypeError, match="Input can either be a pure Tensor, a numpy array, or a PIL image"):
        v2.ToImage()([1])
    import autograd_lite.vision.transforms.v2.functional as v2f
    assert v2f.resize is F.resize and v2.Resize is T.Resize
