"""ImageFolder + the notes' train transforms through DataLoader: images/s, autograd_lite vs PyTorch.

    python benchmarks/bench_dataloader.py [--images 400] [--epochs 3] [--workers 0,2] [--batch-size 64]

Makes `--images` RGB JPEGs of 256-500 px (two classes) in a temporary directory, then loads them with
the transforms of the notes' section 4.8 (RandomRotation(30), RandomResizedCrop(224),
RandomHorizontalFlip(), ToTensor(), Normalize(ImageNet mean/std)), batch 64, shuffled:

- autograd_lite: `vision.datasets.ImageFolder` + `vision.transforms` + `utils.data.DataLoader`;
- torch: `torch.utils.data.DataLoader` over a Dataset with the same files, whose transforms are
  torchvision's algorithms written here with PIL + torch ops (torchvision cannot be installed
  beside the CPU torch): PIL rotate / crop / resize / flip, `torch.from_numpy(...).permute().float()
  .div(255)`, `sub_`/`div_` by the mean and std.

Both run in this process; epochs alternate (ours, torch, ours, ...) for each worker count, and
the table gives the median images/s over the epochs (worker start-up included, as a training loop
pays it each epoch without persistent_workers). The machine is shared and noisy: read the ratios.
"""
import argparse
import math
import os
import pathlib
import statistics
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def make_image_folder(root, n, seed=0):
    """`n` RGB JPEGs of random sizes (256-500 px a side) with smooth content, in two classes."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    for c in ("cat", "dog"):
        os.makedirs(os.path.join(root, c), exist_ok=True)
    for i in range(n):
        h, w = (int(x) for x in rng.integers(256, 501, 2))
        yy, xx = np.mgrid[0:h, 0:w]
        base = rng.random(3) * 255
        img = (base + 60 * np.sin(xx[..., None] / rng.uniform(5, 40) + rng.random(3) * 6)
               + 60 * np.cos(yy[..., None] / rng.uniform(5, 40)) + rng.normal(0, 8, (h, w, 3)))
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(
            os.path.join(root, ("cat", "dog")[i % 2], f"{i:04d}.jpg"), quality=90)


# ---- ours ---------------------------------------------------------------------------------------
def ours_loader(root, batch_size, workers):
    from autograd_lite.utils.data import DataLoader
    from autograd_lite.vision import datasets, transforms
    train_transforms = transforms.Compose([
        transforms.RandomRotation(30), transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    return DataLoader(datasets.ImageFolder(root, transform=train_transforms),
                      batch_size=batch_size, shuffle=True, num_workers=workers)


# ---- torch with torchvision's algorithms in PIL + torch ops ---------------------------------------
def torch_loader(root, batch_size, workers):
    import torch
    from PIL import Image

    mean = torch.tensor(MEAN).view(-1, 1, 1)
    std = torch.tensor(STD).view(-1, 1, 1)

    def rotation(img):                       # RandomRotation(30): nearest, fill 0
        angle = float(torch.empty(1).uniform_(-30.0, 30.0).item())
        return img.rotate(angle, Image.NEAREST, False, None, fillcolor=(0, 0, 0))

    def resized_crop(img, size=224, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
        width, height = img.size
        area = height * width
        log_ratio = torch.log(torch.tensor(ratio))
        for _ in range(10):
            target_area = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
            aspect = math.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1]).item())
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                i = torch.randint(0, height - h + 1, size=(1,)).item()
                j = torch.randint(0, width - w + 1, size=(1,)).item()
                break
        else:
            w, h = min(width, height), min(width, height)
            i, j = (height - h) // 2, (width - w) // 2
        return img.crop((j, i, j + w, i + h)).resize((size, size), Image.BILINEAR)

    def flip(img):
        return img.transpose(Image.FLIP_LEFT_RIGHT) if torch.rand(1) < 0.5 else img

    def to_tensor(pic):
        t = torch.from_numpy(np.array(pic, np.uint8, copy=True))
        t = t.view(pic.size[1], pic.size[0], 3).permute((2, 0, 1)).contiguous()
        return t.to(dtype=torch.float32).div(255)

    def normalize(t):
        return t.clone().sub_(mean).div_(std)

    class Folder(torch.utils.data.Dataset):
        def __init__(self, root):
            self.samples = sorted((os.path.join(root, c, f), k) for k, c in
                                  enumerate(sorted(os.listdir(root)))
                                  for f in os.listdir(os.path.join(root, c)))

        def __len__(self):
            return len(self.samples)

        def __getitem__(self, i):
            path, target = self.samples[i]
            with open(path, "rb") as f:
                img = Image.open(f).convert("RGB")
            return normalize(to_tensor(flip(resized_crop(rotation(img))))), target

    return torch.utils.data.DataLoader(Folder(root), batch_size=batch_size, shuffle=True,
                                       num_workers=workers)


def epoch_rate(loader):
    """Images per second of one full pass (iterator creation, so worker start-up, included)."""
    t0 = time.perf_counter()
    n = 0
    for images, _ in loader:
        n += images.shape[0]
    return n / (time.perf_counter() - t0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=400)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--workers", default="0,2")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    import torch
    import autograd_lite
    autograd_lite.manual_seed(0)
    torch.manual_seed(0)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        make_image_folder(root, args.images)
        for workers in (int(w) for w in args.workers.split(",")):
            ours = ours_loader(root, args.batch_size, workers)
            theirs = torch_loader(root, args.batch_size, workers)
            epoch_rate(ours), epoch_rate(theirs)                      # warm-up: caches, imports
            rates = {"ours": [], "torch": []}
            for _ in range(args.epochs):
                rates["ours"].append(epoch_rate(ours))
                rates["torch"].append(epoch_rate(theirs))
            o, t = (statistics.median(rates[k]) for k in ("ours", "torch"))
            rows.append((workers, o, t))
            print(f"num_workers={workers}: ours {[round(r) for r in rates['ours']]} torch "
                  f"{[round(r) for r in rates['torch']]} images/s", flush=True)
    print(f"\nImageFolder of {args.images} JPEGs, notes' train transforms, batch {args.batch_size}, "
          f"median of {args.epochs} epochs (images/s)")
    print(f"{'num_workers':>11} | {'autograd_lite':>13} | {'torch':>9} | {'ours/torch':>10}")
    for workers, o, t in rows:
        print(f"{workers:>11} | {o:>13.1f} | {t:>9.1f} | {o / t:>9.2f}x")


if __name__ == "__main__":
    main()
