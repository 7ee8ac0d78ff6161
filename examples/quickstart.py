"""Quick start: fit a small network to sin(x) on [-pi, pi] with plain autograd and SGD, and print the
loss falling. Only the Tensor API: PyTorch's code, run with `import autograd_lite`.

    python examples/quickstart.py                 # about a second
    python examples/quickstart.py --hidden 64 --steps 5000
"""
import argparse
import math

import autograd_lite as torch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hidden", type=int, default=32, help="tanh units of the hidden layer (default 32)")
    parser.add_argument("--lr", type=float, default=0.05, help="the learning rate of SGD (default 0.05)")
    parser.add_argument("--steps", type=int, default=2000, help="gradient descent steps (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the initial weights (default 0)")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    x = torch.linspace(-math.pi, math.pi, 256).unsqueeze(1)      # (256, 1)
    y = torch.sin(x)

    hidden = args.hidden
    w1 = (torch.randn(1, hidden) * 1.0).requires_grad_()
    b1 = torch.zeros(hidden, requires_grad=True)
    w2 = (torch.randn(hidden, 1) / math.sqrt(hidden)).requires_grad_()
    b2 = torch.zeros(1, requires_grad=True)
    params = [w1, b1, w2, b2]

    for step in range(args.steps + 1):
        pred = torch.tanh(x @ w1 + b1) @ w2 + b2
        loss = ((pred - y) ** 2).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= args.lr * p.grad
        if step % 200 == 0:
            print(f"step {step:5d}   mse {loss.item():.6f}")

    print(f"final mse {loss.item():.6f} (fit of sin(x) with a {hidden}-unit tanh network)")
    return loss.item()


if __name__ == "__main__":
    main()
