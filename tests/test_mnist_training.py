"""The project's main job on real data: the seed's network trained on MNIST (a 10,000-image
subset, one epoch) through datasets + transforms + DataLoader must reach >= 90% test accuracy.
Skipped when ../shared/data is absent."""
import pytest

import autograd_lite as torch
from autograd_lite import nn, optim
from autograd_lite.utils.data import DataLoader, Subset
from autograd_lite.vision import datasets, transforms


def test_seed_network_one_epoch_on_10k_mnist_images(data_dir):
    torch.manual_seed(0)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    trainset = datasets.MNIST(str(data_dir), train=True, transform=transform)
    testset = datasets.MNIST(str(data_dir), train=False, transform=transform)
    trainloader = DataLoader(Subset(trainset, range(10000)), batch_size=32, shuffle=True)
    testloader = DataLoader(testset, batch_size=1000)

    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                          nn.Linear(64, 10))
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.003)
    model.train()
    for images, labels in trainloader:
        assert images.shape[1:] == (1, 28, 28) and images.dtype == torch.float32
        optimizer.zero_grad()
        loss = criterion(model(images.view(images.shape[0], -1)), labels)
        loss.backward()
        optimizer.step()

    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in testloader:
            ps = model(images.view(images.shape[0], -1))
            correct += int((ps.argmax(dim=1) == labels).sum())
    accuracy = correct / len(testset)
    assert accuracy >= 0.90, accuracy
