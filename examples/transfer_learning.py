"""Transfer learning as in section 4.8 of the deep-learning course notes: a network pretrained on ImageNet
(DenseNet-121 by default, torchvision's weights) is frozen, its classifier replaced by a small new one, and only
that one trained on an ImageFolder of your images (the notes use cats and dogs).

    python examples/transfer_learning.py --data-dir Cat_Dog_data           # train/ and test/, one folder per class
    python examples/transfer_learning.py --make-demo-data demo             # a small real ImageFolder, offline:
    python examples/transfer_learning.py --data-dir demo --epochs 1        #   two Fashion-MNIST classes as RGB PNGs
    python examples/transfer_learning.py --data-dir demo --arch resnet18 --weights none --device cuda

The weights (`--weights DEFAULT`) are downloaded once into ~/.cache/autograd_lite/hub/checkpoints (set
$AUTOGRAD_LITE_HOME to move it); offline, the error says where to put the file. The course's data set:
https://s3.amazonaws.com/content.udacity-data.com/nd089/Cat_Dog_data.zip (unzip it and pass its folder).
"""
import argparse
import collections
import os
import pathlib
import sys
import time

import autograd_lite as torch
from autograd_lite import nn, optim
from autograd_lite.vision import datasets, models, transforms

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]      # ImageNet's: what the pretrained weights expect
DEMO_CLASSES = {1: "trouser", 8: "bag"}                         # Fashion-MNIST labels -> folder names


# ---- data (the notes' transforms) ------------------------------------------------------------------
def loaders(data_dir, batch_size, num_workers):
    train_transforms = transforms.Compose([transforms.RandomRotation(30),
                                           transforms.RandomResizedCrop(224),
                                           transforms.RandomHorizontalFlip(),
                                           transforms.ToTensor(),
                                           transforms.Normalize(MEAN, STD)])
    test_transforms = transforms.Compose([transforms.Resize(256),
                                          transforms.CenterCrop(224),
                                          transforms.ToTensor(),
                                          transforms.Normalize(MEAN, STD)])
    train_data = datasets.ImageFolder(os.path.join(data_dir, "train"), transform=train_transforms)
    test_data = datasets.ImageFolder(os.path.join(data_dir, "test"), transform=test_transforms)
    trainloader = torch.utils.data.DataLoader(train_data, batch_size=batch_size, shuffle=True,
                                              num_workers=num_workers)
    testloader = torch.utils.data.DataLoader(test_data, batch_size=batch_size, num_workers=num_workers)
    return train_data.classes, trainloader, testloader


def make_demo_data(folder, fashion_dir, per_class):
    """An ImageFolder of two Fashion-MNIST classes (DEMO_CLASSES) as 28x28 RGB PNGs: per_class training and
    per_class // 4 test images each, under folder/train/<class> and folder/test/<class>."""
    root = pathlib.Path(fashion_dir) if fashion_dir else default_data_dir()
    for train, count in ((True, per_class), (False, max(1, per_class // 4))):
        data = datasets.FashionMNIST(root, train=train, download=True)
        seen = collections.Counter()
        for i in range(len(data)):
            image, label = data[i]
            name = DEMO_CLASSES.get(int(label))
            if name is None or seen[name] >= count:
                continue
            target = pathlib.Path(folder) / ("train" if train else "test") / name
            target.mkdir(parents=True, exist_ok=True)
            image.convert("RGB").save(target / f"{i:05d}.png")
            seen[name] += 1
            if len(seen) == len(DEMO_CLASSES) and min(seen.values()) >= count:
                break
    print(f"demo ImageFolder written to {folder}: classes {sorted(DEMO_CLASSES.values())}, {per_class} training "
          f"and {max(1, per_class // 4)} test images each")


def default_data_dir():
    if os.environ.get("AUTOGRAD_LITE_DATA"):
        return pathlib.Path(os.environ["AUTOGRAD_LITE_DATA"])
    cache = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(cache) / "autograd_lite" / "data"


# ---- the model (the notes' classifier) -----------------------------------------------------------
def build_model(arch, weights, n_classes):
    """The pretrained network, every parameter frozen, its last layer replaced by the notes' classifier
    (in -> 500 -> ReLU -> n_classes -> LogSoftmax): the only part trained."""
    model = models.get_model(arch, weights=weights)
    for param in model.parameters():
        param.requires_grad = False

    def classifier(n_in):
        return nn.Sequential(collections.OrderedDict([
            ("fc1", nn.Linear(n_in, 500)), ("relu", nn.ReLU()), ("fc2", nn.Linear(500, n_classes)),
            ("output", nn.LogSoftmax(dim=1))]))

    if isinstance(getattr(model, "fc", None), nn.Linear):                     # resnets
        model.fc = classifier(model.fc.in_features)
        return model, model.fc
    head = model.classifier
    if isinstance(head, nn.Linear):                                          # densenets
        model.classifier = classifier(head.in_features)
        return model, model.classifier
    last = max(i for i, m in enumerate(head) if isinstance(m, (nn.Linear, nn.Conv2d)))
    if isinstance(head[last], nn.Conv2d):                                    # squeezenet: a 1x1 conv head
        head[last] = nn.Conv2d(head[last].in_channels, n_classes, 1)
        model.classifier = nn.Sequential(*head, nn.Flatten(), nn.LogSoftmax(dim=1))    # its forward's flatten: a no-op
    else:                                                                    # vgg, alexnet, mobilenet_v2
        head[last] = classifier(head[last].in_features)
    return model, model.classifier


# ---- training and testing (the notes' loops) -----------------------------------------------------
def train(model, head, trainloader, device, epochs, lr, print_every, max_steps):
    criterion = nn.NLLLoss()
    optimizer = optim.Adam(head.parameters(), lr=lr)       # only the classifier: the features are frozen
    model.to(device)
    steps, running_loss, history = 0, 0.0, []
    for e in range(epochs):
        model.train()
        for images, labels in trainloader:
            images, labels = images.to(device), labels.to(device)
            steps += 1
            optimizer.zero_grad()
            output = model.forward(images)
            loss = criterion(output, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            history.append(loss.item())
            if steps % print_every == 0:
                print(f"Epoch: {e + 1}/{epochs}.. Training Loss: {running_loss / print_every:.3f}..", flush=True)
                running_loss = 0.0
            if max_steps and steps >= max_steps:
                return history
    return history


def test(model, testloader, device):
    correct, total = 0, 0
    model.eval()
    with torch.no_grad():
        for images, labels in testloader:
            images, labels = images.to(device), labels.to(device)
            outputs = model(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    return correct / max(total, 1)


def plot_predictions(model, testloader, classes, device, path, n_images=6):
    try:
        import matplotlib
    except ImportError:
        sys.exit('transfer_learning.py: --plot needs matplotlib: pip install "autograd_lite[plot]"')
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    data = testloader.dataset                   # images spread over the test set: every class shows
    picks = [data[int(i)] for i in torch.linspace(0, len(data) - 1, min(n_images, len(data)))]
    images, labels = torch.stack([image for image, _ in picks]), [label for _, label in picks]
    model.eval()
    with torch.no_grad():
        ps = torch.exp(model(images.to(device))).cpu()
    fig, axes = plt.subplots(2, n_images, figsize=(2.2 * n_images, 4.6), layout="constrained")
    for i in range(min(n_images, len(labels))):
        image = (images[i].numpy().transpose(1, 2, 0) * STD + MEAN).clip(0, 1)
        axes[0, i].imshow(image)
        axes[0, i].set_title(f"{classes[int(labels[i])]}", fontsize=9)
        axes[0, i].axis("off")
        axes[1, i].barh(range(len(classes)), ps[i].numpy())
        axes[1, i].set_yticks(range(len(classes)), classes, fontsize=8)
        axes[1, i].set_xlim(0, 1)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"predictions on {n_images} test images saved to {path}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", metavar="DIR", help="an ImageFolder root with train/ and test/, one folder per class")
    p.add_argument("--make-demo-data", metavar="DIR",
                   help="write a small ImageFolder of two Fashion-MNIST classes to DIR and stop (the Fashion-MNIST "
                        "files come from --fashion-dir, else $AUTOGRAD_LITE_DATA or the cache, downloaded if "
                        "missing)")
    p.add_argument("--fashion-dir", metavar="DIR", help="folder of the Fashion-MNIST IDX files, for --make-demo-data")
    p.add_argument("--demo-images", type=int, default=200, help="training images per class of the demo data")
    p.add_argument("--arch", default="densenet121", help="a model of autograd_lite.vision.models (default "
                                                         "densenet121, the notes'; e.g. resnet18, mobilenet_v2)")
    p.add_argument("--weights", default="DEFAULT", help="DEFAULT (the pretrained ImageNet weights, downloaded once) "
                                                        "or none (random: to try the pipeline offline)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where the model trains")
    p.add_argument("--epochs", type=int, default=1, help="passes over the training images (notes: 4)")
    p.add_argument("--batch-size", type=int, default=64, help="images per step (notes: 64)")
    p.add_argument("--lr", type=float, default=0.001, help="Adam's learning rate for the classifier")
    p.add_argument("--num-workers", type=int, default=2, help="DataLoader worker processes decoding images")
    p.add_argument("--print-every", type=int, default=10, help="steps between loss lines (notes: 40)")
    p.add_argument("--max-steps", type=int, default=0, help="stop training after this many steps (0: no limit)")
    p.add_argument("--plot", metavar="PNG", help="save a plot of predictions on test images")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.make_demo_data:
        make_demo_data(args.make_demo_data, args.fashion_dir, args.demo_images)
        return 0
    if not args.data_dir or not os.path.isdir(os.path.join(args.data_dir, "train")):
        print("transfer_learning.py: needs --data-dir DIR, an ImageFolder with DIR/train/<class>/*.jpg and "
              "DIR/test/<class>/*.jpg.\nThe notes' cats and dogs: "
              "https://s3.amazonaws.com/content.udacity-data.com/nd089/Cat_Dog_data.zip; or, offline:\n"
              f"    python {os.path.relpath(__file__)} --make-demo-data demo\n"
              f"    python {os.path.relpath(__file__)} --data-dir demo", file=sys.stderr)
        return 2
    if args.device == "cuda" and not torch.cuda.is_available():
        print("transfer_learning.py: --device cuda, but no CUDA device is usable here (see README 'On the GPU')",
              file=sys.stderr)
        return 2
    classes, trainloader, testloader = loaders(args.data_dir, args.batch_size, args.num_workers)
    weights = None if args.weights.lower() == "none" else args.weights
    try:
        model, head = build_model(args.arch, weights, len(classes))
    except (OSError, RuntimeError) as error:       # offline: hub's message says where to put the file
        print(f"transfer_learning.py: {error}\n(or run with --weights none to try the pipeline without them)",
              file=sys.stderr)
        return 2
    print(f"{args.arch} ({'pretrained' if weights else 'random'} weights, frozen) + a new classifier for "
          f"{classes}; {len(trainloader.dataset)} training and {len(testloader.dataset)} test images, "
          f"{args.device}", flush=True)
    start = time.perf_counter()
    history = train(model, head, trainloader, args.device, args.epochs, args.lr, args.print_every, args.max_steps)
    seconds = time.perf_counter() - start
    accuracy = test(model, testloader, args.device)
    print(f"{len(history)} steps in {seconds:.1f} s; loss {history[0]:.3f} -> {history[-1]:.3f}; "
          f"test accuracy {accuracy:.4f}")
    if args.plot:
        plot_predictions(model, testloader, classes, args.device, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
