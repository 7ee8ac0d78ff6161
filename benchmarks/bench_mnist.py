"""MNIST training end to end, data loading included: autograd_lite against PyTorch with the same recipe.

    python benchmarks/bench_mnist.py [--data-dir DIR] [--dataset mnist|fashion-mnist] [--threads 1,2]
                                     [--epochs 3] [--seeds 0]

The recipe is examples/mnist.py's: the seed's 784-128-64-10 ReLU network, CrossEntropyLoss on the
logits, Adam(lr=2e-3) halved after every epoch (ExponentialLR(0.5)), batch 64, shuffled, pixels
standardised with the training set's mean and std; images flattened with `view(B, -1)`. One code path runs it
with `lib` = autograd_lite or torch:

- autograd_lite: `vision.datasets.MNIST` + `transforms.Compose([ToTensor(), Normalize((mean,), (std,))])`
  + `DataLoader`, so every batch is converted from the uint8 images (the batched fast path);
- torch: `TensorDataset` + `DataLoader` over the same images already normalised to float32 in memory
  (torchvision cannot be installed here), `torch.set_num_threads(T)`.

Each (library, thread count) runs in its own process with OPENBLAS/OMP/MKL/NUMBA_NUM_THREADS = T, after a
warm-up of a few batches (numba kernels loaded from their cache). Per epoch it records the training time
(validation excluded), the time spent inside the loader's `next()` during it, and separately one pass of
the loader alone; then the test accuracy after the last epoch. The table gives medians over all epochs
and seeds. Read the ratios: the machine is shared and noisy.
"""
import argparse
import datetime
import importlib.util
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# ---- one worker: one library, one thread count ---------------------------------------------------
def recipe(lib, seed):
    lib.manual_seed(seed)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                          nn.Linear(64, 10))
    optimizer = lib.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = lib.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    return model, nn.CrossEntropyLoss(), optimizer, scheduler


# the training set's pixel mean and std (examples/mnist.py normalises with them too)
STATS = {"mnist": (0.1307, 0.3081), "fashion-mnist": (0.2860, 0.3530)}


def loaders(lib_name, data_dir, dataset):
    """(lib, train loader, test loader) for the library."""
    from autograd_lite.vision import datasets, transforms
    cls = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}[dataset]
    mean, std = STATS[dataset]
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])
    train = cls(data_dir, train=True, transform=transform)
    test = cls(data_dir, train=False, transform=transform)
    if lib_name == "autograd_lite":
        import autograd_lite as lib
        DataLoader = lib.utils.data.DataLoader
    else:
        import torch as lib
        from torch.utils.data import DataLoader, TensorDataset

        def normalised(ds):                   # what ToTensor + Normalize((mean,), (std,)) give
            images = (ds.data.numpy()[:, None] / np.float32(255) - np.float32(mean)) / np.float32(std)
            return TensorDataset(lib.from_numpy(images.astype(np.float32)),
                                 lib.from_numpy(ds.targets.numpy().copy()))
        train, test = normalised(train), normalised(test)
    return lib, DataLoader(train, batch_size=64, shuffle=True), DataLoader(test, batch_size=1000)


def train_epoch(model, criterion, optimizer, loader):
    """(seconds, seconds inside the loader's next()) of one training epoch."""
    model.train()
    loading, it = 0.0, iter(loader)
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        try:
            images, labels = next(it)
        except StopIteration:
            break
        loading += time.perf_counter() - t0
        images = images.view(images.shape[0], -1)
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        loss.item()
    return time.perf_counter() - start, loading


def accuracy(lib, model, loader):
    model.eval()
    correct = 0
    with lib.no_grad():
        for images, labels in loader:
            correct += (model(images.view(images.shape[0], -1)).argmax(dim=1) == labels).sum().item()
    return correct / len(loader.dataset)


def worker(lib_name, threads, data_dir, dataset, epochs, seeds):
    lib, train, test = loaders(lib_name, data_dir, dataset)
    if lib_name == "torch":
        lib.set_num_threads(threads)
    model, criterion, optimizer, _ = recipe(lib, 1234)       # warm-up: kernels, caches, allocator
    for i, (images, labels) in enumerate(train):
        optimizer.zero_grad()
        criterion(model(images.view(images.shape[0], -1)), labels).backward()
        optimizer.step()
        if i == 20:
            break
    loader_alone = []
    for _ in range(3):
        t0 = time.perf_counter()
        for _batch in train:
            pass
        loader_alone.append(time.perf_counter() - t0)
    epochs_out, accs = [], []
    for seed in seeds:
        model, criterion, optimizer, scheduler = recipe(lib, seed)
        for _ in range(epochs):
            epochs_out.append(train_epoch(model, criterion, optimizer, train))
            scheduler.step()
        accs.append(accuracy(lib, model, test))
    version = lib.__version__
    return {"lib": lib_name, "version": version, "threads": threads,
            "n_train": len(train.dataset), "loader_alone_s": loader_alone, "epochs": epochs_out,
            "accuracy": accs}


# ---- the driver ----------------------------------------------------------------------------------
def run_worker(lib_name, threads, args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), NUMBA_NUM_THREADS=str(threads))
    cmd = [sys.executable, __file__, "--worker", lib_name, "--threads", str(threads),
           "--data-dir", str(args.data_dir), "--dataset", args.dataset, "--epochs", str(args.epochs),
           "--seeds", ",".join(map(str, args.seeds))]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"bench_mnist.py: the {lib_name} worker failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def row(r):
    """(median seconds per epoch, the table row) of a worker's result."""
    times = [t for t, _ in r["epochs"]]
    epoch = statistics.median(times)
    loading = statistics.median(inside / t for t, inside in r["epochs"])
    alone = statistics.median(r["loader_alone_s"])
    accs = " / ".join(f"{a:.4f}" for a in r["accuracy"])
    return epoch, (f"| {r['lib']} {r['version']} | {r['threads']} | {epoch:.2f} (min {min(times):.2f}) | "
                   f"{r['n_train'] / epoch:,.0f} | {alone:.3f} ({alone / epoch:.1%}) | {loading:.1%} | "
                   f"{accs} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=pathlib.Path,
                    default=os.environ.get("AUTOGRAD_LITE_DATA", ROOT.parent / "shared" / "data"),
                    help="folder with the IDX files, or with mnist/ and fashion-mnist/ (default: "
                         "$AUTOGRAD_LITE_DATA, else ../shared/data beside the repository)")
    ap.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist")
    ap.add_argument("--threads", default="1", help="thread counts, e.g. 1,2 (default 1)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seeds", default="0", help="seeds of the training runs, e.g. 0,1,2 (default 0)")
    ap.add_argument("--worker", choices=["autograd_lite", "torch"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.seeds = [int(s) for s in str(args.seeds).split(",")]
    if args.worker:
        print(json.dumps(worker(args.worker, int(args.threads), args.data_dir, args.dataset,
                                args.epochs, args.seeds)))
        return
    import numba
    print(f"<!-- {datetime.date.today()}, {platform.machine()}, {os.cpu_count()} "
          f"CPUs; python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__} -->")
    print(f"<!-- python benchmarks/bench_mnist.py --dataset {args.dataset} --threads {args.threads} "
          f"--epochs {args.epochs} --seeds {','.join(map(str, args.seeds))} -->\n")
    print("| library | threads | s per epoch (median) | samples/s | loader alone: s per epoch (share) | "
          f"time in next() while training | test accuracy after {args.epochs} epochs (seeds "
          f"{', '.join(map(str, args.seeds))}) |")
    print("|---|--:|--:|--:|--:|--:|---|")
    has_torch = importlib.util.find_spec("torch") is not None
    ratios = []
    for threads in [int(t) for t in args.threads.split(",")]:
        t_ours, line = row(run_worker("autograd_lite", threads, args))
        print(line, flush=True)
        if has_torch:
            t_torch, line = row(run_worker("torch", threads, args))
            print(line, flush=True)
            ratios.append(f"{t_ours / t_torch:.2f} ({threads} thread{'s' if threads > 1 else ''})")
    print(f"\nautograd_lite / torch, time per epoch: {', '.join(ratios)}" if has_torch else
          "\n(PyTorch is not installed: no comparison)")


if __name__ == "__main__":
    main()
