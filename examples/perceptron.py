"""The perceptron trick (section 1.3 of the deep-learning course notes autograd_lite was specified
from), with autograd_lite tensors and no autograd, learning AND, OR and two separable point clouds.

A line w1*x1 + w2*x2 + b = 0 (1.1), the perceptron's prediction step(w1*x1 + w2*x2 + b >= 0) (1.2),
and for every misclassified point (x_p, x_q)

    predicted 1:  w1 := w1 - x_p*alpha   w2 := w2 - x_q*alpha   b := b - alpha
    predicted 0:  w1 := w1 + x_p*alpha   w2 := w2 + x_q*alpha   b := b + alpha

It learns AND, OR (the four points of {0,1}^2) and two seeded Gaussian blobs (made linearly
separable: the points within a margin of the line halfway between the centers, or past it, are
dropped), one pass over the points per epoch, from a random line, until an epoch makes no mistake.

    python examples/perceptron.py                       # about a second
    python examples/perceptron.py --plot perceptron.png # the line after each epoch, over the points
    python examples/perceptron.py --lr 0.01 --points 100 --seed 1

For each data set it prints the epochs and updates it took, the final w1, w2 and b, the line, and
the accuracy (100% once converged):

    perceptron trick, alpha 0.1, at most 200 epochs, seed 0
    AND      4 points: converged in 8 epochs (15 updates); epoch 9 made no mistake
           w1 = 0.0365  w2 = 0.0866  b = -0.1000   line 0.0365*x1 + 0.0866*x2 - 0.1000 = 0
           accuracy 100% (4/4)
    ...
    blobs   95 points: converged in 15 epochs (45 updates); epoch 16 made no mistake
           w1 = 0.4183  w2 = 0.3643  b = -1.5000   line 0.4183*x1 + 0.3643*x2 - 1.5000 = 0
           accuracy 100% (95/95)
"""
import argparse
import sys

import autograd_lite as torch

DTYPE = torch.float64


# ---- data ----------------------------------------------------------------------------------------
def logic_gate(name):
    """The truth table of AND or OR as points (x1, x2) in {0,1}^2 and labels 0/1 (notes 1.2)."""
    X = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=DTYPE)
    y = X[:, 0] * X[:, 1] if name == "AND" else torch.maximum(X[:, 0], X[:, 1])
    return X, y.long()


def blobs(n, std=0.6, margin=0.2):
    """Two Gaussian blobs of n points each, around (1, 1) (label 0) and (3, 2.5) (label 1), minus
    the points closer than `margin` to the line halfway between the centers, or on its wrong side:
    what is left is linearly separable, which the perceptron trick needs to converge."""
    centers = torch.tensor([[1.0, 1.0], [3.0, 2.5]], dtype=DTYPE)
    X = torch.cat([torch.randn(n, 2, dtype=DTYPE) * std + centers[k] for k in (0, 1)])
    y = torch.cat([torch.zeros(n, dtype=torch.int64), torch.ones(n, dtype=torch.int64)])
    u = (centers[1] - centers[0]) / (centers[1] - centers[0]).pow(2).sum().sqrt()
    side = ((X - centers.mean(0)) @ u) * (2 * y - 1)     # signed distance toward its own class
    keep = side >= margin
    return X[keep], y[keep]


# ---- the perceptron (1.2) and its trick (1.3) ----------------------------------------------------
def step(t):
    """The step function: 1 where t >= 0, else 0."""
    return (t >= 0).long()


def prediction(w1, w2, b, x1, x2):
    """The perceptron: y_hat = step(w1*x1 + w2*x2 + b). x1, x2 may be single values or columns."""
    return step(w1 * x1 + w2 * x2 + b)


def perceptron_trick(w1, w2, b, x_p, x_q, predicted, alpha):
    """Move the line w1*x1 + w2*x2 + b = 0 toward the misclassified point (x_p, x_q), whose
    incorrect prediction was `predicted`; returns the new (w1, w2, b)."""
    if predicted == 1:
        # w1 := w1 - x_p*alpha,  w2 := w2 - x_q*alpha,  b := b - alpha
        return w1 - x_p * alpha, w2 - x_q * alpha, b - alpha
    # incorrect prediction = 0:  w1 := w1 + x_p*alpha,  w2 := w2 + x_q*alpha,  b := b + alpha
    return w1 + x_p * alpha, w2 + x_q * alpha, b + alpha


def epoch(w1, w2, b, X, y, alpha):
    """One pass over the points in order, applying the trick to every misclassified one.
    Returns the new (w1, w2, b) and the number of updates made."""
    updates = 0
    for point, label in zip(X, y):
        x_p, x_q = point[0], point[1]
        predicted = int(prediction(w1, w2, b, x_p, x_q))
        if predicted != int(label):
            w1, w2, b = perceptron_trick(w1, w2, b, x_p, x_q, predicted, alpha)
            updates += 1
    return w1, w2, b, updates


def accuracy(w1, w2, b, X, y):
    return (prediction(w1, w2, b, X[:, 0], X[:, 1]) == y).double().mean().item()


def train(X, y, alpha, max_epochs):
    """Random initial line, then epochs until one makes no mistake (or max_epochs).
    Returns a dict: the final w1, w2, b, epochs and updates made, the line after every epoch."""
    w1, w2 = torch.randn(2, dtype=DTYPE)
    b = torch.zeros((), dtype=DTYPE)
    lines = [(w1.item(), w2.item(), b.item())]
    total, converged = 0, False
    for e in range(1, max_epochs + 1):
        w1, w2, b, updates = epoch(w1, w2, b, X, y, alpha)
        if updates == 0:
            converged = True
            break
        total += updates
        lines.append((w1.item(), w2.item(), b.item()))
    return {"w1": w1.item(), "w2": w2.item(), "b": b.item(), "converged": converged,
            "epochs": len(lines) - 1, "updates": total, "lines": lines,
            "accuracy": accuracy(w1, w2, b, X, y)}


def number(v):
    """v to 4 decimals, without the '-0.0000' of a sum of alphas that is 0 up to rounding."""
    return f"{round(v, 12) + 0.0:.4f}"


def line_text(w1, w2, b):
    w2, b = round(w2, 12), round(b, 12)
    return (f"{number(w1)}*x1 {'-' if w2 < 0 else '+'} {number(abs(w2))}*x2 "
            f"{'-' if b < 0 else '+'} {number(abs(b))} = 0")


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def report(name, X, y, result):
    n = len(y)
    if result["converged"]:
        head = (f"converged in {plural(result['epochs'], 'epoch')} "
                f"({plural(result['updates'], 'update')}); "
                f"epoch {result['epochs'] + 1} made no mistake")
    else:
        head = (f"did not converge in {plural(result['epochs'], 'epoch')} "
                f"({plural(result['updates'], 'update')})")
    w1, w2, b = result["w1"], result["w2"], result["b"]
    correct = round(result["accuracy"] * n)
    print(f"{name:<6} {n:>3} points: {head}")
    print(f"{'':<7}w1 = {number(w1)}  w2 = {number(w2)}  b = {number(b)}   "
          f"line {line_text(w1, w2, b)}")
    print(f"{'':<7}accuracy {result['accuracy']:.0%} ({correct}/{n})")


# ---- plot ----------------------------------------------------------------------------------------
def import_pyplot():
    try:
        import matplotlib
    except ImportError:
        sys.exit('perceptron.py: --plot needs matplotlib: pip install "autograd_lite[plot]"')
    matplotlib.use("Agg")                             # the figure is only saved to a file
    import matplotlib.pyplot as plt
    return plt


def line_points(w1, w2, b, lo, hi):
    """Two points of w1*x1 + w2*x2 + b = 0 spanning the box [lo, hi]^2 (None if w1 = w2 = 0)."""
    if abs(w2) >= abs(w1) and w2 != 0:
        return [lo, hi], [-(w1 * lo + b) / w2, -(w1 * hi + b) / w2]
    if w1 != 0:
        return [-(w2 * lo + b) / w1, -(w2 * hi + b) / w1], [lo, hi]
    return None


def plot(datasets, results, path, max_lines=8):
    plt = import_pyplot()
    fig, axes = plt.subplots(1, len(datasets), figsize=(5 * len(datasets), 5.6))
    for ax, (name, (X, y)) in zip(axes, datasets.items()):
        points, labels = X.numpy(), y.numpy()
        lo, hi = points.min() - 0.5, points.max() + 0.5
        lines = results[name]["lines"]
        shown = sorted({round(i * (len(lines) - 1) / (max_lines - 1)) for i in range(max_lines)})
        for k, i in enumerate(shown):
            xy = line_points(*lines[i], lo, hi)
            if xy is None:
                continue
            last = i == len(lines) - 1
            ax.plot(*xy, color="black" if last else plt.cm.Greys(0.25 + 0.5 * k / len(shown)),
                    lw=2 if last else 1, ls="-" if last else "--",
                    label=f"epoch {i}" + (" (final)" if last else ""))
        for label, color in ((0, "C3"), (1, "C0")):
            ax.scatter(*points[labels == label].T, color=color, edgecolor="k", zorder=3,
                       label=f"label {label}")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal")
        ax.set_title(f"{name}: {results[name]['epochs']} epochs")
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    fig.suptitle("Perceptron trick (1.3): the line after each epoch")
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


# ---- main ----------------------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lr", type=float, default=0.1, help="the learning rate alpha (default 0.1)")
    p.add_argument("--max-epochs", type=int, default=200,
                   help="give up on a data set after this many passes (default 200)")
    p.add_argument("--points", type=int, default=50, help="points per blob before the margin cut "
                                                          "(default 50)")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed of the blobs and the initial lines (default 0)")
    p.add_argument("--plot", metavar="PNG", help="save the line after each epoch over the points")
    args = p.parse_args(argv)
    for name in ("max_epochs", "points"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.lr <= 0:
        p.error("--lr must be positive")
    return args


def main(argv=None):
    """Runs the example; returns {data set name: train()'s result} (for the tests)."""
    args = parse_args(argv)
    if args.plot:
        import_pyplot()                               # fail now, not after training
    torch.manual_seed(args.seed)
    datasets = {"AND": logic_gate("AND"), "OR": logic_gate("OR"), "blobs": blobs(args.points)}
    print(f"perceptron trick, alpha {args.lr:g}, at most {args.max_epochs} epochs, seed {args.seed}")
    results = {}
    for name, (X, y) in datasets.items():
        results[name] = train(X, y, args.lr, args.max_epochs)
        report(name, X, y, results[name])
    if args.plot:
        plot(datasets, results, args.plot)
        print(f"plot saved to {args.plot}")
    return results


if __name__ == "__main__":
    main()
