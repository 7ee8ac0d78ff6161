"""Quick start: fit a small network to sin(x) on [-pi, pi] with plain autograd and SGD, and
print the loss falling. Only the Tensor API: PyTorch's code, run with `import autograd_lite`.

    python examples/quickstart.py
"""
import math

import autograd_lite as torch

torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 256).unsqueeze(1)      # (256, 1)
y = torch.sin(x)

hidden = 32
w1 = (torch.randn(1, hidden) * 1.0).requires_grad_()
b1 = torch.zeros(hidden, requires_grad=True)
w2 = (torch.randn(hidden, 1) / math.sqrt(hidden)).requires_grad_()
b2 = torch.zeros(1, requires_grad=True)
params = [w1, b1, w2, b2]

lr, steps = 0.05, 2000
for step in range(steps + 1):
    pred = torch.tanh(x @ w1 + b1) @ w2 + b2
    loss = ((pred - y) ** 2).mean()
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    if step % 200 == 0:
        print(f"step {step:5d}   mse {loss.item():.6f}")

print(f"final mse {loss.item():.6f} (fit of sin(x) with a {hidden}-unit tanh network)")
