"""PyTorch's official MNIST example (pytorch/examples, mnist/main.py) as a test: its flow with the imports swapped,
written here from its description (not vendored): torch.accelerator picks the device, the conv net (two 3x3
convolutions, max pool, dropout 0.25 and 0.5, 9216-128-10, log_softmax), Adadelta lr 1.0 with StepLR(step_size=1,
gamma=0.7), batch 64 unshuffled on the CPU as the example's loader, its train/test loops (train_epoch, evaluate here) (nll_loss, argmax,
``pred.eq(target.view_as(pred))``), --save-model's torch.save of the state_dict and a reload. One epoch on the real
MNIST reaches >= 98% (PyTorch's about 98.3%). Skipped when ../shared/data is absent."""
import pytest

import autograd_lite as torch
import autograd_lite.nn as nn
import autograd_lite.nn.functional as F
import autograd_lite.optim as optim
from autograd_lite.optim.lr_scheduler import StepLR
from autograd_lite.vision import datasets, transforms


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = self.dropout1(F.max_pool2d(x, 2))
        x = self.dropout2(F.relu(self.fc1(torch.flatten(x, 1))))
        return F.log_softmax(self.fc2(x), dim=1)


def train_epoch(model, device, loader, optimizer, dry_run=False):
    model.train()
    losses = []
    for data, target in loader:
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if dry_run:
            break
    return losses


def evaluate(model, device, loader):
    model.eval()
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    return test_loss / len(loader.dataset), correct / len(loader.dataset)


def _setup(data_dir):
    use_accel = torch.accelerator.is_available()
    torch.manual_seed(1)
    device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST(str(data_dir), train=True, transform=transform)
    test_set = datasets.MNIST(str(data_dir), train=False, transform=transform)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=64)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=1000)
    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    return device, train_loader, test_loader, model, optimizer, StepLR(optimizer, step_size=1, gamma=0.7)


def test_dry_run_takes_one_step(data_dir):
    device, train_loader, _, model, optimizer, scheduler = _setup(data_dir)
    assert len(train_epoch(model, device, train_loader, optimizer, dry_run=True)) == 1
    scheduler.step()
    assert scheduler.get_last_lr() == [0.7]


def test_one_epoch_reaches_98_percent_and_the_saved_model_reloads(data_dir, tmp_path):
    device, train_loader, test_loader, model, optimizer, scheduler = _setup(data_dir)
    losses = train_epoch(model, device, train_loader, optimizer)
    test_loss, accuracy = evaluate(model, device, test_loader)
    scheduler.step()
    assert len(losses) == 938 and sum(losses[-50:]) < sum(losses[:50]) / 5
    assert accuracy >= 0.98 and test_loss < 0.08, (accuracy, test_loss)
    assert optimizer.param_groups[0]["lr"] == 0.7
    torch.save(model.state_dict(), tmp_path / "mnist_cnn.pt")
    reloaded = Net().to(device)
    reloaded.load_state_dict(torch.load(tmp_path / "mnist_cnn.pt"))
    reloaded_loss, reloaded_accuracy = evaluate(reloaded, device, test_loader)
    # the same weights; the float32 sums may split over another number of threads on a busy machine (the thread
    # policy sizes each call to the free cores), so the loss is equal to rounding, not bit for bit
    assert reloaded_accuracy == accuracy and reloaded_loss == pytest.approx(test_loss, rel=1e-6)
