"""Train the network of the deep-learning course notes autograd_lite was specified from (their
PyTorch chapter, sections 4.2-4.7) on MNIST or Fashion-MNIST: a 784-128-64-10 ReLU MLP fed by
`vision.datasets` + `transforms` + `DataLoader`, trained with Adam and validated after every epoch,
then (optionally) a checkpoint saved and reloaded, and plots.

    python examples/mnist.py                                  # MNIST, 3 epochs: 97.6-97.9% test accuracy
    python examples/mnist.py --dataset fashion-mnist          # 87.6%
    python examples/mnist.py --hidden 516,256 --dropout 0.5   # the course's arbitrary-layer Network
    python examples/mnist.py --save checkpoint.pth --plot mnist.png
    python examples/mnist.py --model cnn                      # a small convolutional network: 99%+
    mpiexec -n 2 python examples/mnist.py --distributed       # DistributedDataParallel over 2 processes

The data: `--data-dir DIR`, else $AUTOGRAD_LITE_DATA, else ~/.cache/autograd_lite/data. The four IDX
files (gzipped or not) are looked for in DIR/MNIST/raw (torchvision's layout), DIR itself, then
DIR/mnist (FashionMNIST/raw and fashion-mnist for Fashion-MNIST); missing ones are downloaded into
DIR/MNIST/raw (about 11 MB for MNIST, 30 MB for Fashion-MNIST) and verified by MD5. A progress bar
shows the batches of each epoch on a terminal (tqdm's when it is installed: pip install tqdm).
"""
import argparse
import os
import pathlib
import shlex
import sys
import time

import autograd_lite as torch
import autograd_lite.nn.functional as F
from autograd_lite import nn, optim
from autograd_lite.vision import datasets, transforms
from autograd_lite.vision.datasets.utils import DownloadError

# --dataset: (dataset class, view_classify version, pixel mean and std of the training set)
DATASETS = {"mnist": (datasets.MNIST, "MNIST", 0.1307, 0.3081),
            "fashion-mnist": (datasets.FashionMNIST, "Fashion", 0.2860, 0.3530)}


# ---- the networks (course 4.3) -------------------------------------------------------------------
class Network(nn.Module):
    """The course's feed-forward network with arbitrary hidden layers, dropout and log-softmax output."""

    def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
        super().__init__()
        self.hidden_layers = nn.ModuleList([nn.Linear(input_size, hidden_layers[0])])
        layer_sizes = zip(hidden_layers[:-1], hidden_layers[1:])
        self.hidden_layers.extend([nn.Linear(h1, h2) for h1, h2 in layer_sizes])
        self.output = nn.Linear(hidden_layers[-1], output_size)
        self.dropout = nn.Dropout(p=drop_p)

    def forward(self, x):
        for linear in self.hidden_layers:
            x = self.dropout(F.relu(linear(x)))
        return F.log_softmax(self.output(x), dim=1)


def cnn(output_size, drop_p):
    """Two 3x3 convolutions with ReLU and 2x2 max pooling, then a 1600-128-10 classifier: (B, 1, 28, 28) in, logits
    out. 28x28 -> conv 26x26 -> pool 13x13 -> conv 11x11 -> pool 5x5, so 64 * 5 * 5 = 1600 features."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(1600, 128), nn.ReLU(), nn.Dropout(drop_p),
        nn.Linear(128, output_size))


def build_model(arch, input_size, output_size, hidden_layers, drop_p):
    """'sequential': the course's nn.Sequential of Linear+ReLU layers, logits out (CrossEntropyLoss);
    'network': the course's Network, log-probabilities out (NLLLoss); 'cnn': the convolutional network above,
    logits out (CrossEntropyLoss)."""
    if arch == "network":
        return Network(input_size, output_size, hidden_layers, drop_p), nn.NLLLoss()
    if arch == "cnn":
        return cnn(output_size, drop_p), nn.CrossEntropyLoss()
    sizes = [input_size, *hidden_layers]
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], output_size)), nn.CrossEntropyLoss()


def probabilities(model, output):
    return torch.exp(output) if isinstance(model, Network) else F.softmax(output, dim=1)


# ---- checkpoints (course 4.7) --------------------------------------------------------------------
def save_checkpoint(model, arch, drop_p, path):
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    checkpoint = {"arch": arch,
                  "input_size": linears[0].in_features,
                  "output_size": linears[-1].out_features,
                  "hidden_layers": [each.out_features for each in linears[:-1]],
                  "drop_p": drop_p,
                  "state_dict": model.state_dict()}
    torch.save(checkpoint, path)


def load_checkpoint(path):
    checkpoint = torch.load(path)
    model, _ = build_model(checkpoint["arch"], checkpoint["input_size"], checkpoint["output_size"],
                           checkpoint["hidden_layers"], checkpoint["drop_p"])
    model.load_state_dict(checkpoint["state_dict"])
    return model


# ---- data (course 4.2) ---------------------------------------------------------------------------
def default_data_dir():
    if os.environ.get("AUTOGRAD_LITE_DATA"):
        return pathlib.Path(os.environ["AUTOGRAD_LITE_DATA"])
    cache = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(cache) / "autograd_lite" / "data"


def load_data(args):
    dataset_cls, _, mean, std = DATASETS[args.dataset]
    root = pathlib.Path(args.data_dir) if args.data_dir else default_data_dir()
    # standardised pixels: 97.5% in 3 epochs where the course's Normalize((0.5,), (0.5,)) gives ~96%
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])
    trainset = dataset_cls(root, train=True, transform=transform, download=True)
    testset = dataset_cls(root, train=False, transform=transform, download=True)
    if args.limit is not None:
        trainset = torch.utils.data.Subset(trainset, range(min(args.limit, len(trainset))))
    if args.distributed:        # each rank its share of every epoch, and of the global batch
        sampler = torch.utils.data.DistributedSampler(trainset, seed=args.seed)
        trainloader = torch.utils.data.DataLoader(trainset, batch_size=args.batch_size // args.world_size,
                                                  sampler=sampler)
    else:
        trainloader = torch.utils.data.DataLoader(trainset, batch_size=args.batch_size, shuffle=True)
    testloader = torch.utils.data.DataLoader(testset, batch_size=args.batch_size)
    return trainloader, testloader


def download_advice(error, argv):
    """What to do when the data could not be downloaded: the mirrors' reasons in one line, where to
    get the four files, and this run's command with --data-dir DIR (the library's error names
    every file and mirror in full; a newcomer needs the next step)."""
    rest, after_flag = [], False
    for arg in argv:                                  # every --data-dir X and --data-dir=X dropped
        if not after_flag and arg != "--data-dir" and not arg.startswith("--data-dir="):
            rest.append(arg)
        after_flag = arg == "--data-dir"
    script = os.path.relpath(__file__)
    if script.startswith(os.pardir):
        script = os.path.abspath(__file__)
    command = shlex.join(["python", script, *rest, "--data-dir", "DIR"])
    source = next((m for m in error.mirrors if m.startswith("https://")), error.mirrors[0])
    files = ", ".join(name + ".gz" for name in error.files)
    return (f"mnist.py: could not download {error.dataset}: {error.summary}.\n"
            f"Get the files {files} (from {source}; gzipped or not) into a folder DIR, then run:\n"
            f"    {command}\n"
            f"(or put them in {error.folder}, where this run looked first, and run it again).")


# ---- training and validation (course 4.4-4.5) ----------------------------------------------------
def progress(iterable, desc):
    """tqdm when installed, else a one-line bar on stderr; nothing when stderr is not a terminal.
    Yields (batch, set_loss) so the loop can show its running loss."""
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        bar = tqdm(iterable, desc=desc, leave=False, disable=None, unit="batch", file=sys.stderr)
        for batch in bar:
            yield batch, lambda loss: bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        return
    if not sys.stderr.isatty():
        for batch in iterable:
            yield batch, lambda loss: None
        return
    total, last, state = len(iterable), 0.0, {"loss": None}
    for i, batch in enumerate(iterable, 1):
        yield batch, lambda loss: state.update(loss=loss)
        now = time.perf_counter()
        if now - last > 0.1 or i == total:
            last, filled = now, 30 * i // total
            loss = "" if state["loss"] is None else f"  loss {state['loss']:.3f}"
            sys.stderr.write(f"\r{desc} [{'#' * filled}{'.' * (30 - filled)}] {i}/{total}{loss}")
            sys.stderr.flush()
    sys.stderr.write("\r\033[K")
    sys.stderr.flush()


def flatten(images, device, model=None):
    """The batch as the model takes it: (B, 784) for the MLPs, (B, 1, 28, 28) as it is for the CNN."""
    if not isinstance(model, nn.Sequential) or not isinstance(model[0], nn.Conv2d):
        images = images.view(images.shape[0], -1)    # (B, 1, 28, 28) -> (B, 784)
    return images if device == "cpu" else images.to(device)


def train_epoch(model, trainloader, criterion, optimizer, device, desc):
    model.train()
    running_loss, batches = 0.0, 0
    for (images, labels), show in progress(trainloader, desc):
        images, labels = flatten(images, device, model), labels if device == "cpu" else labels.to(device)
        optimizer.zero_grad()
        output = model(images)
        loss = criterion(output, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        batches += 1
        if batches % 20 == 0:
            show(running_loss / batches)
    return running_loss / max(batches, 1)


def validation(model, testloader, criterion, device):
    """Mean test loss per image and accuracy, in eval mode without gradients."""
    model.eval()
    test_loss, correct, total = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in testloader:
            images, labels = flatten(images, device, model), labels if device == "cpu" else labels.to(device)
            output = model(images)
            test_loss += criterion(output, labels).item() * len(labels)
            correct += (output.argmax(dim=1) == labels).sum().item()
            total += len(labels)
    return test_loss / total, correct / total


# ---- plots ---------------------------------------------------------------------------------------
def import_pyplot():
    try:
        import matplotlib
    except ImportError:
        sys.exit('mnist.py: --plot needs matplotlib: pip install "autograd_lite[plot]"')
    matplotlib.use("Agg")                             # the figure is only saved to a file
    import matplotlib.pyplot as plt
    return plt


def plot(history, model, testloader, device, version, path, n_images=4):
    from autograd_lite.vision.utils import view_classify
    plt = import_pyplot()
    fig = plt.figure(figsize=(3 * n_images, 7.5), layout="constrained")
    curves, predictions = fig.subfigures(2, 1, height_ratios=[1, 1.1])
    epochs = range(1, len(history["train_loss"]) + 1)
    ax_loss, ax_acc = curves.subplots(1, 2)
    ax_loss.plot(epochs, history["train_loss"], "o-", label="train loss")
    ax_loss.plot(epochs, history["test_loss"], "o-", label="test loss")
    ax_loss.set_title("Loss")
    ax_loss.legend()
    ax_acc.plot(epochs, history["test_accuracy"], "o-", color="C2")
    ax_acc.set_title("Test accuracy")
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel("epoch")
        ax.set_xticks(list(epochs))
    images, _ = next(iter(testloader))
    model.eval()
    with torch.no_grad():
        ps = probabilities(model, model(flatten(images[:n_images], device, model)))
    axes = predictions.subplots(1, 2 * n_images)
    for i in range(n_images):
        view_classify(images[i], ps[i], version=version, axes=axes[2 * i:2 * i + 2])
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


# ---- main ----------------------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", metavar="DIR",
                   help="folder of the four IDX files (default: $AUTOGRAD_LITE_DATA, else "
                        "~/.cache/autograd_lite/data, downloading what is missing)")
    p.add_argument("--dataset", choices=sorted(DATASETS), default="mnist",
                   help="mnist: handwritten digits (default); fashion-mnist: Zalando's images of "
                        "clothes, in the same format")
    p.add_argument("--epochs", type=int, default=3, help="passes over the training set (default 3)")
    p.add_argument("--batch-size", type=int, default=64, help="images per training step (default 64)")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate (default 2e-3)")
    p.add_argument("--lr-decay", type=float, default=0.5,
                   help="the learning rate is multiplied by this after every epoch (default 0.5)")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed of the initial weights and the shuffling (default 0)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                   help="cpu (default) or cuda: an NVIDIA GPU through CuPy "
                        "(pip install -e '.[cuda12]' or '.[cuda13]')")
    p.add_argument("--model", choices=["mlp", "cnn"], default="mlp",
                   help="mlp: the notes' 784-128-64-10 network (default; see --hidden, --dropout); cnn: two 3x3 "
                        "convolutions with max pooling and a 1600-128-10 classifier with dropout (99%% in 3 epochs)")
    p.add_argument("--hidden", metavar="SIZES",
                   help="hidden layer sizes, e.g. 516,256: the course's Network with ModuleList, "
                        "dropout and log_softmax + NLLLoss (default: nn.Sequential 128,64 with "
                        "CrossEntropyLoss)")
    p.add_argument("--dropout", type=float, metavar="P",
                   help="dropout probability of the Network (default 0.5; implies the Network)")
    p.add_argument("--save", metavar="PATH", help="save a checkpoint, reload it, check its predictions")
    p.add_argument("--plot", metavar="PNG", help="save loss/accuracy curves and predictions "
                                                 "(needs matplotlib)")
    p.add_argument("--limit", type=int, metavar="N", help="train on the first N images only")
    p.add_argument("--distributed", action="store_true",
                   help="DistributedDataParallel over the processes of `mpiexec -n N`: the batch is split over "
                        "the ranks; rank 0 prints and saves")
    args = p.parse_args(argv)
    try:
        args.hidden_layers = [int(h) for h in args.hidden.split(",")] if args.hidden else [128, 64]
    except ValueError:
        p.error(f"--hidden: expected sizes separated by commas, e.g. 516,256, got {args.hidden!r}")
    if not args.hidden_layers or min(args.hidden_layers) < 1:
        p.error(f"--hidden: sizes must be positive, got {args.hidden!r}")
    if args.model == "cnn" and args.hidden:
        p.error("--hidden sets the MLP's layers: it does not go with --model cnn")
    args.arch = "cnn" if args.model == "cnn" else \
        "network" if args.hidden or args.dropout is not None else "sequential"
    args.drop_p = 0.5 if args.dropout is None else args.dropout
    args.rank, args.world_size = 0, 1
    for name in ("epochs", "batch_size", "limit"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def start_distributed(args):
    """Joins the ranks of mpiexec; every rank but 0 trains silently."""
    import autograd_lite.distributed as dist
    dist.init_process_group("mpi")
    args.rank, args.world_size = dist.get_rank(), dist.get_world_size()
    if args.batch_size % args.world_size:
        sys.exit(f"mnist.py: --batch-size {args.batch_size} must split evenly over {args.world_size} ranks")
    if args.rank != 0:
        sys.stdout = open(os.devnull, "w")
    print(f"distributed: {args.world_size} ranks (MPI), {args.batch_size // args.world_size} images per rank "
          "and step", flush=True)


def main(argv=None):
    args = parse_args(argv)
    if args.plot:
        import_pyplot()                               # fail now, not after training
    device = args.device
    if device == "cuda":
        try:
            torch.zeros(1).to(device)
        except RuntimeError as e:
            sys.exit(f"mnist.py: --device cuda: {e}")
    torch.manual_seed(args.seed)
    if args.distributed:
        start_distributed(args)

    try:
        trainloader, testloader = load_data(args)
    except DownloadError as e:
        sys.exit(download_advice(e, sys.argv[1:] if argv is None else argv))
    except (RuntimeError, OSError) as e:
        sys.exit(f"mnist.py: {e}")
    model, criterion = build_model(args.arch, 784, 10, args.hidden_layers, args.drop_p)
    model.to(device)
    if args.distributed:
        model = nn.parallel.DistributedDataParallel(model)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.ExponentialLR(optimizer, gamma=args.lr_decay)
    n_train = len(trainloader.dataset)
    described = {"network": f"784-{'-'.join(map(str, args.hidden_layers))}-10 Network (dropout {args.drop_p})",
                 "sequential": f"784-{'-'.join(map(str, args.hidden_layers))}-10 Sequential",
                 "cnn": f"CNN conv32-conv64-1600-128-10 (dropout {args.drop_p})"}[args.arch]
    print(f"{args.dataset}: {n_train} training images, {len(testloader.dataset)} test images; {described}"
          f", Adam lr {args.lr:g} (x{args.lr_decay:g} per epoch), batch {args.batch_size}, {device}",
          flush=True)

    history = {"train_loss": [], "test_loss": [], "test_accuracy": []}
    start = time.perf_counter()
    for e in range(args.epochs):
        if args.distributed:
            trainloader.sampler.set_epoch(e)
        train_loss = train_epoch(model, trainloader, criterion, optimizer, device,
                                 f"epoch {e + 1}/{args.epochs}")
        scheduler.step()
        test_loss, accuracy = validation(model, testloader, criterion, device)
        for key, value in zip(history, (train_loss, test_loss, accuracy)):
            history[key].append(value)
        print(f"epoch {e + 1}/{args.epochs}  train loss {train_loss:.3f}  test loss {test_loss:.3f}  "
              f"test accuracy {accuracy:.4f}", flush=True)
    elapsed = time.perf_counter() - start
    epochs = f"{args.epochs} epoch{'s' if args.epochs != 1 else ''}"
    print(f"{epochs} in {elapsed:.1f} s ({args.epochs * n_train / elapsed:.0f} training images/s, validation "
          "included)")

    if args.distributed:
        model = model.module        # the trained network (the same on every rank)
        torch.distributed.destroy_process_group()
    if args.save and args.rank == 0:
        save_checkpoint(model, args.arch, args.drop_p, args.save)
        reloaded = load_checkpoint(args.save).to(device)
        model.eval()
        reloaded.eval()
        images, _ = next(iter(testloader))
        with torch.no_grad():
            x = flatten(images, device, model)
            same = model(x).equal(reloaded(x))
        if not same:
            sys.exit(f"mnist.py: the checkpoint reloaded from {args.save} predicts differently")
        print(f"checkpoint saved to {args.save}, reloaded into a new model: same predictions on "
              f"{len(images)} test images")
    if args.plot and args.rank == 0:
        plot(history, model, testloader, device, DATASETS[args.dataset][1], args.plot)
        print(f"plots saved to {args.plot}")
    print(f"test accuracy: {history['test_accuracy'][-1]:.4f}")


if __name__ == "__main__":
    main()
