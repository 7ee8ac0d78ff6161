"""The seed's PyTorch sections 4.3 to 4.7 (shared/seed/deep-learning-notes.md), run with only their
imports changed, over random data shaped like MNIST (64 images of 1x28x28 per batch, 10 classes).
The code inside each test is the notes' code; what surrounds it builds the data it expects."""
from collections import OrderedDict

import numpy as np
import pytest

import autograd_lite as torch
import autograd_lite.nn.functional as F
from autograd_lite import nn, optim


@pytest.fixture
def loaders():
    torch.manual_seed(0)
    images = torch.rand(512, 1, 28, 28)
    # learnable labels: the class is the brightest of ten bands of 78 pixels
    labels = images.view(512, -1)[:, :780].reshape(512, 10, 78).mean(dim=2).argmax(dim=1)
    trainset = torch.utils.data.TensorDataset(images[:384], labels[:384])
    testset = torch.utils.data.TensorDataset(images[384:], labels[384:])
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=64, shuffle=True)
    testloader = torch.utils.data.DataLoader(testset, batch_size=64, shuffle=True)
    return trainloader, testloader


# ---- 4.3 Define layers and operations ---------------------------------------------------------

class Network(nn.Module):
    def __init__(self):
        super().__init__()
        # Defining the layers, 128, 64, 10 units each
        self.fc1 = nn.Linear(784, 128)  # fully connected (fc) layer
        self.fc2 = nn.Linear(128, 64)
        # Output layer, 10 units - one for each digit
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        ''' Forward pass through the network, returns the output logits '''

        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        x = F.relu(x)
        x = self.fc3(x)
        # x = F.softmax(x, dim=1)

        return x


class ArbitraryNetwork(nn.Module):   # "Network" in 4.3's second listing
    def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
        super().__init__()

        # Add the first layer, input to a hidden layer
        self.hidden_layers = nn.ModuleList([nn.Linear(input_size, hidden_layers[0])])

        # Add a variable number of more hidden layers
        layer_sizes = zip(hidden_layers[:-1], hidden_layers[1:])
        self.hidden_layers.extend([nn.Linear(h1, h2) for h1, h2 in layer_sizes])

        # Add the output layer
        self.output = nn.Linear(hidden_layers[-1], output_size)

        # Include dropout
        self.dropout = nn.Dropout(p=drop_p)  # Has to be turned off during inference

    def forward(self, x):
        ''' Forward pass through the network, returns the output logits '''

        # Forward through each layer in `hidden_layers`, with ReLU activation and dropout
        for linear in self.hidden_layers:
            x = F.relu(linear(x))
            x = self.dropout(x)

        x = self.output(x)

        return F.log_softmax(x, dim=1)


def test_4_3_build_networks():
    model = Network()
    assert repr(model) == (
        "Network(\n"
        "  (fc1): Linear(in_features=784, out_features=128, bias=True)\n"
        "  (fc2): Linear(in_features=128, out_features=64, bias=True)\n"
        "  (fc3): Linear(in_features=64, out_features=10, bias=True)\n"
        ")")

    # Hyperparameters for our network
    input_size = 784
    hidden_sizes = [128, 64]
    output_size = 10

    # Build a feed-forward network
    model = nn.Sequential(nn.Linear(input_size, hidden_sizes[0]),
                          nn.ReLU(),
                          nn.Linear(hidden_sizes[0], hidden_sizes[1]),
                          nn.ReLU(),
                          nn.Linear(hidden_sizes[1], output_size),
                          # nn.Softmax(dim=1)
                          )
    print(model)
    assert model(torch.rand(64, 784)).shape == (64, 10)

    # Build a feed-forward network
    model = nn.Sequential(OrderedDict([
                          ('fc1', nn.Linear(input_size, hidden_sizes[0])),
                          ('relu1', nn.ReLU()),
                          ('fc2', nn.Linear(hidden_sizes[0], hidden_sizes[1])),
                          ('relu2', nn.ReLU()),
                          ('logits', nn.Linear(hidden_sizes[1], output_size)),
                          # ('softmax', nn.Softmax(dim=1))
    ]))
    assert "(logits): Linear(in_features=64, out_features=10, bias=True)" in repr(model)
    assert model.fc1 is model[0]


# ---- 4.4 criterion, optimizer, validation -----------------------------------------------------

def validation(model, testloader, criterion):
    test_loss = 0
    accuracy = 0
    for images, labels in testloader:

        images.resize_(images.shape[0], 784)

        output = model.forward(images)
        test_loss += criterion(output, labels).item()

        ps = torch.exp(output)  # get the class probabilities from log-softmax
        equality = (labels.data == ps.max(dim=1)[1])
        accuracy += equality.type(torch.FloatTensor).mean()

    return test_loss, accuracy


@pytest.mark.parametrize("criterion_name, optimizer_name", [
    ("CrossEntropyLoss", "SGD"), ("NLLLoss", "Adam")])
def test_4_4_and_4_5_train_and_validate(loaders, criterion_name, optimizer_name):
    trainloader, testloader = loaders
    model = ArbitraryNetwork(784, 10, [516, 256], drop_p=0.5)
    criterion = getattr(nn, criterion_name)()
    lr = 0.1 if optimizer_name == "SGD" else 0.001
    optimizer = getattr(optim, optimizer_name)(model.parameters(), lr=lr)

    # 4.5 Initialize weights and biases
    print(model.hidden_layers[0].weight)
    print(model.hidden_layers[0].bias)
    # Set biases to all zeros
    model.hidden_layers[0].bias.data.fill_(0)
    # sample from random normal with standard dev = 0.01
    model.hidden_layers[0].weight.data.normal_(std=0.01)
    assert float(model.hidden_layers[0].bias.abs().sum()) == 0.0

    # An example forward pass
    dataiter = iter(trainloader)
    images, labels = dataiter.next()
    images.resize_(64, 1, 784)
    img_idx = 0
    ps = model.forward(images[img_idx, :])
    assert ps.shape == (1, 10)

    # Train and validation
    epochs = 2
    print_every = 3
    steps = 0
    running_loss = 0
    printed = []
    for e in range(epochs):
        # Dropout is turned on for training
        model.train()
        for images, labels in trainloader:
            steps += 1
            images.resize_(images.size()[0], 784)
            optimizer.zero_grad()
            output = model.forward(images)
            loss = criterion(output, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()

            if steps % print_every == 0:
                # Make sure network is in eval mode for inference
                model.eval()

                # Turn off gradients for validation, saves memory and computations
                with torch.no_grad():
                    test_loss, accuracy = validation(model, testloader, criterion)

                printed.append("Epoch: {}/{}.. ".format(e + 1, epochs) +
                               "Training Loss: {:.3f}.. ".format(running_loss / print_every) +
                               "Test Loss: {:.3f}.. ".format(test_loss / len(testloader)) +
                               "Test Accuracy: {:.3f}".format(accuracy / len(testloader)))
                running_loss = 0

                # Make sure training is back on
                model.train()
    assert len(printed) == 4 and all("Test Accuracy" in line for line in printed)
    assert np.isfinite(test_loss)


def test_4_5_train_loop_reduces_loss(loaders):
    trainloader, _ = loaders
    model = Network()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=0.003)
    epochs = 3
    losses = []
    for e in range(epochs):
        running_loss = 0
        for images, labels in iter(trainloader):
            # Flatten MNIST images into a 784 long vector
            images.resize_(images.size()[0], 784)
            # Clear the gradients, do this because gradients are accumulated
            optimizer.zero_grad()
            # Forward pass to get the output
            output = model.forward(images)
            # Use output to calculate loss
            loss = criterion(output, labels)
            # Backward pass to calculate the gradients
            loss.backward()
            # Update weights
            optimizer.step()
            running_loss += loss.item()
        losses.append(running_loss / len(trainloader))
    assert losses[-1] < losses[0]


# ---- 4.6 Inference ----------------------------------------------------------------------------

def test_4_6_inference(loaders):
    _, testloader = loaders
    model = Network()
    model.eval()

    dataiter = iter(testloader)
    images, labels = dataiter.next()
    img = images[0]
    img = img.view(1, 784)  # Convert 2D image to 1D vector

    # Turn off gradients to speed up this part
    with torch.no_grad():
        output = model.forward(img)

    # If output of the network are logits, need to take softmax for probabilities
    ps = F.softmax(output, dim=1)
    assert ps.shape == (1, 10) and abs(float(ps.sum()) - 1) < 1e-5
    assert not output.requires_grad
    assert img.view(1, 28, 28).shape == (1, 28, 28)


# ---- 4.7 Save and load ------------------------------------------------------------------------

def test_4_7_save_and_load_checkpoint(tmp_path):
    model = ArbitraryNetwork(784, 10, [512, 256, 128])
    path = str(tmp_path / "checkpoint.pth")

    checkpoint = {'input_size': 784,
                  'output_size': 10,
                  'hidden_layers': [each.out_features for each in model.hidden_layers],
                  'state_dict': model.state_dict()}

    torch.save(checkpoint, path)

    def load_checkpoint(filepath):
        checkpoint = torch.load(filepath)
        model = ArbitraryNetwork(checkpoint['input_size'],
                                 checkpoint['output_size'],
                                 checkpoint['hidden_layers'])
        model.load_state_dict(checkpoint['state_dict'])

        return model

    loaded = load_checkpoint(path)
    print(loaded)
    assert repr(loaded) == repr(model)
    for (k1, v1), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k1 == k2 and np.array_equal(v1.numpy(), v2.numpy())


# ---- 4.8 the classifier block (the pretrained DenseNet itself is out of scope) ------------------

def test_4_8_classifier_with_frozen_features():
    features = nn.Sequential(nn.Linear(2048, 1024), nn.ReLU())
    for param in features.parameters():
        param.requires_grad = False
    classifier = nn.Sequential(OrderedDict([
                              ('fc1', nn.Linear(1024, 500)),  # 1024 must match
                              ('relu', nn.ReLU()),
                              ('fc2', nn.Linear(500, 2)),
                              ('output', nn.LogSoftmax(dim=1))
                              ]))
    out = classifier(features(torch.randn(4, 2048)))
    nn.NLLLoss()(out, torch.tensor([0, 1, 1, 0])).backward()
    assert all(p.grad is None for p in features.parameters())
    assert all(p.grad is not None for p in classifier.parameters())
