"""Section 4.8 of the seed notes (transfer learning with a pretrained DenseNet) run with only its imports changed, on a
small ImageFolder of PNGs; the "pretrained" file is a torch-saved checkpoint with torchvision's legacy DenseNet key
names, put where the hub cache looks ($AUTOGRAD_LITE_HOME), so nothing is downloaded. The code inside
test_notes_4_8 is the notes' code (train_accuracy, which the notes use before setting, is set first); what surrounds
it builds the data and the file it expects. Also: freezing cuts the graph, and examples/transfer_learning.py runs."""
import os
import re
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest

import autograd_lite as torch
from autograd_lite import nn, optim
from autograd_lite.vision import datasets, models, transforms

PIL = pytest.importorskip("PIL.Image")
reference = pytest.importorskip("torch")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _image_folder(root, per_class, seed):
    """root/<cat|dog>/*.png: reddish cats, bluish dogs, noisy, of assorted sizes."""
    rng = np.random.default_rng(seed)
    for label, name in enumerate(("cat", "dog")):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(per_class):
            h, w = rng.integers(60, 90, 2)
            pixels = rng.integers(0, 120, (h, w, 3))
            pixels[..., 0 if label == 0 else 2] += 120
            PIL.fromarray(pixels.astype(np.uint8)).save(os.path.join(root, name, f"{i}.png"))


def _legacy(key):
    """torchvision's published DenseNet files name norm1 'norm.1' (and conv1 'conv.1', ...)."""
    return re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", key)


@pytest.fixture
def cat_dog_data(tmp_path, monkeypatch):
    """Cat_Dog_data/{train,test} and a torch-saved densenet121 checkpoint in the hub cache."""
    data_dir = tmp_path / "Cat_Dog_data"
    _image_folder(data_dir / "train", 8, 0)
    _image_folder(data_dir / "test", 3, 1)
    monkeypatch.setenv("AUTOGRAD_LITE_HOME", str(tmp_path / "home"))
    torch.manual_seed(0)
    state = models.densenet121().state_dict()
    file = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(models.DenseNet121_Weights.DEFAULT.url))
    os.makedirs(os.path.dirname(file))
    reference.save(OrderedDict((_legacy(k), reference.from_numpy(v.numpy().copy())) for k, v in state.items()
                               if not k.endswith("num_batches_tracked")), file)     # as the published file
    return str(data_dir), state


def test_notes_4_8(cat_dog_data, capsys):
    data_dir, saved = cat_dog_data
    torch.manual_seed(0)
    train_accuracy = 0
    losses = []
    # ---- the notes' code ----------------------------------------------------------------------------------
    data_dir = data_dir      # 'Cat_Dog_data'

    # Define transforms for the training data and testing data
    train_transforms = transforms.Compose([transforms.RandomRotation(30),
                                           transforms.RandomResizedCrop(224),
                                           transforms.RandomHorizontalFlip(),
                                           transforms.ToTensor(),
                                           transforms.Normalize([0.485, 0.456, 0.406],
                                                                [0.229, 0.224, 0.225])])
    test_transforms = transforms.Compose([transforms.Resize(256),
                                          transforms.CenterCrop(224),
                                          transforms.ToTensor(),
                                          transforms.Normalize([0.485, 0.456, 0.406],
                                                               [0.229, 0.224, 0.225])])

    # Pass transforms in here, then run the next cell to see how the transforms look
    train_data = datasets.ImageFolder(data_dir + '/train', transform=train_transforms)
    test_data = datasets.ImageFolder(data_dir + '/test', transform=test_transforms)

    trainloader = torch.utils.data.DataLoader(train_data, batch_size=64, shuffle=True)
    testloader = torch.utils.data.DataLoader(test_data, batch_size=32)

    with pytest.warns(UserWarning, match="pretrained"):
        model = models.densenet121(pretrained=True)
    model

    frozen = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}
    assert len(frozen) == len([k for k in saved if "running" not in k and "num_batches" not in k])
    for name, value in frozen.items():          # the "pretrained" file's values, legacy keys remapped
        np.testing.assert_array_equal(value, saved[name].detach().numpy())

    # Freeze parameters so we don't backprop through them
    for param in model.parameters():
        param.requires_grad = False

    classifier = nn.Sequential(OrderedDict([
                              ('fc1', nn.Linear(1024, 500)),  # 1024 must match
                              ('relu', nn.ReLU()),
                              ('fc2', nn.Linear(500, 2)),
                              ('output', nn.LogSoftmax(dim=1))
                              ]))

    model.classifier = classifier

    # At beginning of the script, write device agnostic which will automatically use CUDA if it's enabled
    device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")

    criterion = nn.NLLLoss()
    optimizer = optim.Adam(model.classifier.parameters(), lr=0.001)  # Only train the classifier parameters

    # Whenever you get a new Tensor or Module, this won't copy if they are already on the desired device
    model.to(device)

    epochs = 4
    print_every = 40
    steps = 0
    running_loss = 0

    for e in range(epochs):
        for images, labels in iter(trainloader):

            images, labels = images.to(device), labels.to(device)  # Move input and label tensors to the GPU

            steps += 1
            optimizer.zero_grad()
            output = model.forward(images)
            loss = criterion(output, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            losses.append(loss.item())

            # get the class probabilities from log-softmax
            ps = torch.exp(output)
            equality = (labels.data == ps.max(dim=1)[1])
            train_accuracy += equality.type(torch.FloatTensor).mean()

            if steps % print_every == 0:

                print("Epoch: {}/{}.. ".format(e+1, epochs),
                      "Training Loss: {:.3f}.. ".format(running_loss/print_every))
                running_loss = 0

    correct = 0
    total = 0
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            outputs = model(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    # ---- end of the notes' code ---------------------------------------------------------------------------
    assert steps == 4 and total == 6 and 0 <= correct <= 6
    assert losses[-1] < losses[0], losses                                   # the classifier learns
    for name, p in model.named_parameters():
        if not name.startswith("classifier."):
            assert p.grad is None, name                                     # frozen: no gradient made
            np.testing.assert_array_equal(p.detach().numpy(), frozen[name])  # and unchanged
    assert all(p.grad is not None for p in model.classifier.parameters())
    assert 0 <= float(train_accuracy) <= 4


def test_freezing_cuts_the_graph():
    """Nothing behind the frozen features is recorded: the output's graph is the classifier's alone, and batch norm
    in train mode still updates its running statistics (eval() stops it), as PyTorch."""
    torch.manual_seed(0)
    model = models.densenet121()
    for p in model.parameters():
        p.requires_grad_(False)
    model.classifier = nn.Linear(1024, 2)
    x = torch.randn(2, 3, 64, 64)
    before = model.features.norm0.running_mean.numpy().copy()
    out = model(x)
    nodes, leaves, stack = [], [], [out.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is not None and fn.name() == "torch::autograd::AccumulateGrad":
            leaves.append(fn.variable)
        elif fn is not None and all(fn is not n for n in nodes):
            nodes.append(fn)
            stack.extend(f for f, _ in fn.next_functions)
    assert len(nodes) == 1 and {id(p) for p in leaves} <= {id(p) for p in model.classifier.parameters()}, nodes
    assert not np.array_equal(model.features.norm0.running_mean.numpy(), before)
    model.eval()
    after = model.features.norm0.running_mean.numpy().copy()
    model(x)
    np.testing.assert_array_equal(model.features.norm0.running_mean.numpy(), after)


def test_example_runs_offline_on_demo_style_data(tmp_path):
    """examples/transfer_learning.py on a small ImageFolder with random weights: trains, tests, plots."""
    _image_folder(tmp_path / "data" / "train", 4, 0)
    _image_folder(tmp_path / "data" / "test", 2, 1)
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "transfer_learning.py"), "--data-dir",
                          str(tmp_path / "data"), "--arch", "resnet18", "--weights", "none", "--batch-size", "4",
                          "--num-workers", "0", "--epochs", "1", "--print-every", "1"],
                         capture_output=True, text=True, timeout=300, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert out.returncode == 0, out.stderr
    assert "Training Loss" in out.stdout and "test accuracy" in out.stdout
    missing = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "transfer_learning.py")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "--make-demo-data" in missing.stderr


@pytest.mark.parametrize("arch", ["resnet18", "densenet121", "mobilenet_v2"])
def test_transfer_step_on_each_device(device, arch):
    """The frozen network and a new head on `device` (the GPU, or the stand-in CUDA device running the CUDA kernel
    table): the same log-probabilities and head gradients as on the CPU, and no gradient for the frozen part."""
    torch.manual_seed(0)
    model, head = _frozen_with_head(arch)
    model.double()          # batch norm over a few values amplifies float32's differences between the kernels
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    # a batch of 4: the last feature maps are 1x1, and batch norm over 2 values amplifies rounding by 1 / |x1 - x2|
    x, y = torch.randn(4, 3, 32, 32, dtype=torch.float64), torch.tensor([0, 1, 1, 0])
    outs = []
    for where in ("cpu", device):
        model.load_state_dict(state)
        model.to(where)
        model.train()
        for m in model.modules():           # batch norm on the batch's statistics; dropout off (its draws differ)
            if isinstance(m, nn.Dropout):
                m.eval()
        head.zero_grad()
        out = model(x.to(where))
        nn.NLLLoss()(out, y.to(where)).backward()
        assert out.device == torch.device(where)
        outs.append((out.detach().cpu().numpy(), [p.grad.cpu().numpy() for p in head.parameters()]))
        assert all(p.grad is None for n, p in model.named_parameters() if not n.startswith(_HEADS[arch]))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-6, atol=1e-8)
    for a, b in zip(outs[1][1], outs[0][1]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


_HEADS = {"resnet18": "fc", "densenet121": "classifier", "mobilenet_v2": "classifier.1"}


def _frozen_with_head(arch):
    model = models.get_model(arch)
    for p in model.parameters():
        p.requires_grad = False
    head = nn.Sequential(nn.Linear({"resnet18": 512, "densenet121": 1024, "mobilenet_v2": 1280}[arch], 2),
                         nn.LogSoftmax(dim=1))
    if arch == "resnet18":
        model.fc = head
    elif arch == "densenet121":
        model.classifier = head
    else:
        model.classifier[1] = head
    return model, head
