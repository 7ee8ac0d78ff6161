"""Backpropagation by hand (sections 1.7-1.8 of the deep-learning course notes autograd_lite was
specified from), checked against autograd_lite's loss.backward(), then used to learn XOR.

The network: sigmoid units in every layer (2 inputs, --hidden layers: one of 3 units by default,
1 output), weights Theta(l) of shape s(l+1) x (s(l) + 1), whose column 0 multiplies the bias unit
a_0 = 1.
The error: 1.8's mean squared error, E = 1/2 sum_i (y_i - a_i)^2, averaged over the m records (the
1/m of step (iv)). So the deltas follow 1.8's sign: the output delta is (y - a) a (1 - a), and
Delta / m is *minus* the gradient, used as theta := theta + alpha/m Delta. (With 1.7's log-loss
instead, only the output delta changes, to a - y, and Delta / m is the gradient itself.)

For every record, as in 1.8 (iii):
    forward        z(l+1) = Theta(l) a(l),  a(l+1) = g(z(l+1)) = sigmoid(z(l+1))
    output delta   delta(L) = (y - a(L)) a(L) (1 - a(L))
    hidden deltas  delta(l) = (Theta(l))^T delta(l+1) * a(l) (1 - a(l))   (no bias unit)
    weight step    Delta(l) := Delta(l) + delta(l+1) (a(l))^T

The same network is built from float64 tensors with requires_grad=True, all records at once, and
its loss.backward() must give the same gradients to 1e-10 (they agree to ~1e-17), at the start and at
every training step. Then the hand gradients train it on XOR.

    python examples/backprop.py                    # a few seconds
    python examples/backprop.py --hidden 4,3 --steps 1000 --plot backprop.png

It prints the max |hand - autograd| of every parameter, the error falling every --print-every
steps, and the network's XOR outputs:

    gradients at the initial weights: E/m by hand 0.192411, autograd 0.192411
      Theta1 (3x3)  max |hand - autograd| = 3.5e-18
      Theta2 (1x4)  max |hand - autograd| = 3.5e-18
    gradient descent with the hand gradients, alpha 10, 500 steps
    step     0  E/m 0.1924
    step   100  E/m 0.1005
    step   200  E/m 0.0060
    ...
    step   500  E/m 0.0008
    hand = autograd at every step: max |difference| Theta1 3.0e-17, Theta2 4.0e-17 (tolerance 1e-10)
    x = (0, 0)  y = 0  a = 0.04
    x = (0, 1)  y = 1  a = 0.96
    ...
"""
import argparse
import sys

import autograd_lite as torch

DTYPE = torch.float64
TOLERANCE = 1e-10

XOR_X = [[0, 0], [0, 1], [1, 0], [1, 1]]
XOR_Y = [[0], [1], [1], [0]]


# ---- the network (1.7) ---------------------------------------------------------------------------
def g(z):
    """The activation: the sigmoid, whose derivative is g'(z) = g(z) (1 - g(z))."""
    return torch.sigmoid(z)


def with_bias(a):
    """The column of activations a(l) with the bias unit a_0 = 1 on top."""
    return torch.cat([torch.ones(1, 1, dtype=DTYPE), a])


def init_weights(sizes):
    """1.8 (i): near 0, all different, on the scale 1/sqrt(n) for n input units.
    Theta(l) maps layer l (plus its bias unit) to layer l+1: shape s(l+1) x (s(l) + 1)."""
    return [torch.randn(n_out, n_in + 1, dtype=DTYPE) / n_in ** 0.5
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def forward(thetas, x):
    """a(1) = x, then z(l+1) = Theta(l) a(l), a(l+1) = g(z(l+1)). Columns; returns [a(1), ..., a(L)]."""
    a = [x]
    for theta in thetas:
        a.append(g(theta @ with_bias(a[-1])))
    return a


# ---- backpropagation by hand (1.8 (ii)-(iv)) -----------------------------------------------------
def backprop(thetas, X, Y):
    """Delta(l) summed over the records. Returns ([Delta(1), ...], E) with E = 1/2 sum (y - a)^2."""
    Deltas = [torch.zeros_like(theta) for theta in thetas]            # (ii) Delta(l) = 0
    E = 0.0
    for x, y in zip(X, Y):                                              # (iii) for each record
        x, y = x.view(-1, 1), y.view(-1, 1)
        a = forward(thetas, x)
        # output unit: delta(L) = (y - f(theta x)) f'(theta x), with f'(theta x) = a (1 - a)
        delta = (y - a[-1]) * a[-1] * (1 - a[-1])
        # lists count from 0: thetas[l], a[l], Deltas[l] are the notes' Theta(l+1), a(l+1), Delta(l+1)
        for l in reversed(range(len(thetas))):
            # Delta(l) := Delta(l) + delta(l+1) (a(l))^T
            Deltas[l] = Deltas[l] + delta @ with_bias(a[l]).t()
            if l > 0:
                # delta(l) = (Theta(l))^T delta(l+1) a(l) (1 - a(l)); the error leaves out the bias unit
                delta = (thetas[l].t() @ delta)[1:] * a[l] * (1 - a[l])
        E += 0.5 * ((y - a[-1]) ** 2).sum().item()
    return Deltas, E


def hand_gradients(Deltas, m):
    """dJ/dTheta(l) for J = E/m: with 1.8's deltas, Delta/m is minus the gradient."""
    return [-Delta / m for Delta in Deltas]


def gradient_descent_step(thetas, Deltas, m, alpha):
    """(iv) theta := theta + alpha/m Delta"""
    return [theta + alpha / m * Delta for theta, Delta in zip(thetas, Deltas)]


# ---- the same network with autograd ---------------------------------------------------------------
def autograd_gradients(thetas, X, Y):
    """loss = E/m computed on all records at once (records as rows), then loss.backward()."""
    params = [theta.clone().requires_grad_() for theta in thetas]
    m = len(X)
    a = X
    for theta in params:
        a = torch.sigmoid(torch.cat([torch.ones(m, 1, dtype=DTYPE), a], dim=1) @ theta.t())
    loss = 0.5 * ((Y - a) ** 2).sum() / m
    loss.backward()
    return [p.grad for p in params], loss.item()


def compare(thetas, X, Y):
    """Backpropagation by hand and by autograd at the same weights. Returns the max |hand - autograd|
    of each Theta(l), the Delta(l), E/m by hand and the autograd loss."""
    Deltas, E = backprop(thetas, X, Y)
    hand = hand_gradients(Deltas, len(X))
    auto, loss = autograd_gradients(thetas, X, Y)
    return [(h - a).abs().max().item() for h, a in zip(hand, auto)], Deltas, E / len(X), loss


# ---- plot ----------------------------------------------------------------------------------------
def import_pyplot():
    try:
        import matplotlib
    except ImportError:
        sys.exit('backprop.py: --plot needs matplotlib: pip install "autograd_lite[plot]"')
    matplotlib.use("Agg")                             # the figure is only saved to a file
    import matplotlib.pyplot as plt
    return plt


def plot(history, thetas, path, grid=101):
    plt = import_pyplot()
    fig, (ax_loss, ax_out) = plt.subplots(1, 2, figsize=(11, 4.5))
    ax_loss.plot(history["loss"])
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("E / m")
    ax_loss.set_title("Error falling (hand gradients)")
    # the trained network's output over the unit square, all grid points as one batch of rows
    t = torch.linspace(-0.25, 1.25, grid, dtype=DTYPE)
    x1, x2 = t.view(1, grid).expand(grid, grid), t.view(grid, 1).expand(grid, grid)  # a meshgrid
    a = torch.stack([x1.reshape(-1), x2.reshape(-1)], dim=1)
    for theta in thetas:
        a = torch.sigmoid(torch.cat([torch.ones(len(a), 1, dtype=DTYPE), a], dim=1) @ theta.t())
    image = ax_out.imshow(a.view(grid, grid).numpy(), origin="lower", extent=(-0.25, 1.25, -0.25, 1.25),
                          cmap="RdBu", vmin=0, vmax=1)
    for (p, q), (y,) in zip(XOR_X, XOR_Y):
        ax_out.scatter(p, q, s=80, color="C0" if y else "C3", edgecolor="k", zorder=3)
    fig.colorbar(image, ax=ax_out, label="network output a")
    ax_out.set_xlabel("x1")
    ax_out.set_ylabel("x2")
    ax_out.set_title("XOR learned")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


# ---- main ----------------------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hidden", default="3", help="hidden layer sizes, e.g. 3 or 4,3 (default 3)")
    p.add_argument("--lr", type=float, default=10.0, help="the learning rate alpha (default 10)")
    p.add_argument("--steps", type=int, default=500, help="gradient descent steps (default 500)")
    p.add_argument("--print-every", type=int, default=100, metavar="N",
                   help="print the error every N steps (default 100)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the initial weights (default 0)")
    p.add_argument("--plot", metavar="PNG", help="save the error curve and the learned function")
    args = p.parse_args(argv)
    try:
        args.hidden_layers = [int(h) for h in args.hidden.split(",")]
    except ValueError:
        p.error(f"--hidden: expected sizes separated by commas, e.g. 4,3, got {args.hidden!r}")
    if min(args.hidden_layers) < 1:
        p.error(f"--hidden: sizes must be positive, got {args.hidden!r}")
    for name in ("steps", "print_every"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.lr <= 0:
        p.error("--lr must be positive")
    return args


def main(argv=None):
    """Runs the example; returns its history (for the tests): the initial and largest gradient
    differences per parameter, the loss at every step, the final outputs."""
    args = parse_args(argv)
    if args.plot:
        import_pyplot()                               # fail now, not after training
    torch.manual_seed(args.seed)
    X, Y = torch.tensor(XOR_X, dtype=DTYPE), torch.tensor(XOR_Y, dtype=DTYPE)
    sizes = [2, *args.hidden_layers, 1]
    thetas = init_weights(sizes)
    names = [f"Theta{l + 1} ({theta.shape[0]}x{theta.shape[1]})" for l, theta in enumerate(thetas)]
    print(f"network {'-'.join(map(str, sizes))}, sigmoid units, error E/m = 1/(2m) sum (y - a)^2 "
          f"on XOR (m = {len(X)})")

    diffs, _, E, loss = compare(thetas, X, Y)
    print(f"gradients at the initial weights: E/m by hand {E:.6f}, autograd {loss:.6f}")
    for name, diff in zip(names, diffs):
        print(f"  {name}  max |hand - autograd| = {diff:.1e}")
    history = {"initial_diff": dict(zip(names, diffs)), "max_diff": dict(zip(names, diffs)),
               "loss": []}
    if max(diffs) > TOLERANCE:
        sys.exit(f"backprop.py: the hand gradients differ from autograd's by more than {TOLERANCE:g}")

    print(f"gradient descent with the hand gradients, alpha {args.lr:g}, {args.steps} steps")
    for s in range(args.steps + 1):                   # the last pass only checks and reports
        diffs, Deltas, E, _ = compare(thetas, X, Y)
        for name, diff in zip(names, diffs):
            history["max_diff"][name] = max(history["max_diff"][name], diff)
        if max(diffs) > TOLERANCE:
            sys.exit(f"backprop.py: step {s}: the hand gradients differ from autograd's by "
                     f"{max(diffs):.3g} > {TOLERANCE:g}")
        history["loss"].append(E)
        if s % args.print_every == 0 or s == args.steps:
            print(f"step {s:>5}  E/m {E:.4f}")
        if s < args.steps:
            thetas = gradient_descent_step(thetas, Deltas, len(X), args.lr)
    worst = ", ".join(f"{name.split()[0]} {d:.1e}" for name, d in history["max_diff"].items())
    print(f"hand = autograd at every step: max |difference| {worst} (tolerance {TOLERANCE:g})")

    outputs = [forward(thetas, x.view(-1, 1))[-1].item() for x in X]
    for (p, q), (y,), a in zip(XOR_X, XOR_Y, outputs):
        print(f"x = ({p}, {q})  y = {y}  a = {a:.2f}")
    history["outputs"] = outputs
    history["thetas"] = thetas
    if args.plot:
        plot(history, thetas, args.plot)
        print(f"plot saved to {args.plot}")
    return history


if __name__ == "__main__":
    main()
