"""Logistic regression trained by gradient descent (sections 1.4-1.6 of the deep-learning course notes
autograd_lite was specified from), twice from the same initial weights: by the notes' hand-derived
gradient and by autograd, which must agree at every step.

Both on float64 tensors:
  (a) by hand, with the notes' gradient of the log-loss: y_hat = sigmoid(w.x + b) (1.4),
      J = -1/m sum[y ln(y_hat) + (1 - y) ln(1 - y_hat)] (1.5), and the descent step (1.6)
      w := w + alpha * 1/m sum (y - y_hat) x,   b := b + alpha * 1/m sum (y - y_hat);
  (b) with autograd: loss = F.binary_cross_entropy(sigmoid(X @ w + b), y) (the mean log-loss),
      loss.backward(), optim.SGD's step.

At every step the hand direction must equal -(autograd's gradient) to 1e-6 (it does to ~1e-16; the
example stops with an error otherwise). The data: two seeded, overlapping Gaussian blobs in 2-D.

    python examples/gradient_descent.py                         # about a second
    python examples/gradient_descent.py --plot gradient_descent.png --epochs 500 --lr 0.5

It prints the log-loss of both every --print-every epochs, with the largest gradient difference so
far, then the final w, b and accuracy:

    epoch    1  log-loss 0.6843 (autograd 0.6843)  max |hand - (-grad)| so far 3.3e-16
    epoch   50  log-loss 0.2809 (autograd 0.2809)  max |hand - (-grad)| so far 3.3e-16
    ...
    epoch  300  log-loss 0.2286 (autograd 0.2286)  max |hand - (-grad)| so far 3.3e-16
    hand gradient = -(autograd gradient) at all 300 steps: max difference 3.3e-16 (tolerance 1e-06); ...
    final: w = [1.6594, 1.4991]  b = 0.0676   accuracy 89.5% (179/200)
"""
import argparse
import sys

import autograd_lite as torch
import autograd_lite.nn.functional as F
from autograd_lite import optim

DTYPE = torch.float64
TOLERANCE = 1e-6


# ---- data ----------------------------------------------------------------------------------------
def blobs(n, std=1.0):
    """n points around (-1, -1) with label 0 and n around (1, 1) with label 1: separable-ish."""
    X = torch.cat([torch.randn(n, 2, dtype=DTYPE) * std - 1, torch.randn(n, 2, dtype=DTYPE) * std + 1])
    y = torch.cat([torch.zeros(n, dtype=DTYPE), torch.ones(n, dtype=DTYPE)])
    return X, y


# ---- the model and its error (1.4, 1.5) ----------------------------------------------------------
def output(w, b, X):
    """The sigmoid of the score: y_hat = sigmoid(w1*x1 + w2*x2 + b) for every row of X."""
    return torch.sigmoid(X @ w + b)


def log_loss(y, y_hat):
    """J = -1/m sum_i [y_i ln(y_hat_i) + (1 - y_i) ln(1 - y_hat_i)]"""
    return -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()


def accuracy(w, b, X, y):
    return ((output(w, b, X) >= 0.5).double() == y).double().mean().item()


# ---- (a) by hand (1.6) ---------------------------------------------------------------------------
def descent_direction(X, y, y_hat):
    """-dJ/dw = 1/m sum_i (y_i - y_hat_i) x_i  and  -dJ/db = 1/m sum_i (y_i - y_hat_i)"""
    error = y - y_hat
    return X.t() @ error / len(y), error.mean()


def hand_step(w, b, X, y, alpha):
    """w := w + alpha * (y - y_hat) x,  b := b + alpha * (y - y_hat), averaged over the batch.
    Returns the new (w, b), the log-loss before the step and the direction used."""
    y_hat = output(w, b, X)
    dw, db = descent_direction(X, y, y_hat)
    return w + alpha * dw, b + alpha * db, log_loss(y, y_hat).item(), (dw, db)


# ---- (b) with autograd ---------------------------------------------------------------------------
def autograd_step(w, b, X, y, optimizer):
    """loss = mean binary cross-entropy; loss.backward(); SGD: w := w - lr * w.grad.
    Returns the loss before the step and the gradients it used (copies)."""
    optimizer.zero_grad()
    loss = F.binary_cross_entropy(output(w, b, X), y)
    loss.backward()
    grads = (w.grad.clone(), b.grad.clone())
    optimizer.step()
    return loss.item(), grads


def max_abs(t):
    return t.abs().max().item()


def train(X, y, alpha, epochs, print_every):
    """Both trainings side by side from the same initial weights; returns their history."""
    w0, b0 = torch.randn(2, dtype=DTYPE) * 0.1, torch.zeros((), dtype=DTYPE)
    w_hand, b_hand = w0.clone(), b0.clone()                              # (a)
    w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()      # (b)
    optimizer = optim.SGD([w, b], lr=alpha)
    history = {"loss": [], "autograd_loss": [], "grad_diff": [],
               "boundaries": [(w0.tolist(), b0.item())]}
    for e in range(1, epochs + 1):
        w_hand, b_hand, loss, (dw, db) = hand_step(w_hand, b_hand, X, y, alpha)
        autograd_loss, (w_grad, b_grad) = autograd_step(w, b, X, y, optimizer)
        # the hand direction is minus the gradient: dw == -dJ/dw, db == -dJ/db
        diff = max(max_abs(dw + w_grad), max_abs(db + b_grad))
        if diff > TOLERANCE:
            sys.exit(f"gradient_descent.py: epoch {e}: the hand gradient and -(autograd's) differ "
                     f"by {diff:.3g} > {TOLERANCE:g}:\n  hand {dw.tolist()}, {db.item()}\n"
                     f"  -grad {(-w_grad).tolist()}, {-b_grad.item()}")
        history["loss"].append(loss)
        history["autograd_loss"].append(autograd_loss)
        history["grad_diff"].append(diff)
        history["boundaries"].append((w_hand.tolist(), b_hand.item()))
        if e % print_every == 0 or e in (1, epochs):
            print(f"epoch {e:>4}  log-loss {loss:.4f} (autograd {autograd_loss:.4f})  "
                  f"max |hand - (-grad)| so far {max(history['grad_diff']):.1e}")
    history["param_diff"] = max(max_abs(w_hand - w.detach()), max_abs(b_hand - b.detach()))
    history["w"], history["b"] = w_hand, b_hand
    return history


# ---- plot ----------------------------------------------------------------------------------------
def import_pyplot():
    try:
        import matplotlib
    except ImportError:
        sys.exit('gradient_descent.py: --plot needs matplotlib: pip install "autograd_lite[plot]"')
    matplotlib.use("Agg")                             # the figure is only saved to a file
    import matplotlib.pyplot as plt
    return plt


def plot(history, X, y, path, n_lines=6):
    plt = import_pyplot()
    fig, (ax_loss, ax_data) = plt.subplots(1, 2, figsize=(11, 4.5))
    epochs = range(1, len(history["loss"]) + 1)
    ax_loss.plot(epochs, history["loss"], label="(a) by hand")
    ax_loss.plot(epochs, history["autograd_loss"], "--", label="(b) autograd")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("log-loss")
    ax_loss.set_title("Log-loss falling")
    ax_loss.legend()

    points, labels = X.numpy(), y.numpy()
    for label, color in ((0, "C3"), (1, "C0")):
        ax_data.scatter(*points[labels == label].T, s=14, color=color, edgecolor="k", lw=0.4,
                        label=f"label {label}")
    lo, hi = points.min() - 0.5, points.max() + 0.5
    last = len(history["boundaries"]) - 1
    for k in range(n_lines):
        i = round(last * (k / (n_lines - 1)) ** 2)          # more lines early, where they move
        (w1, w2), b = history["boundaries"][i]
        if w2 == 0:
            continue
        final = i == last
        # the boundary: w1*x1 + w2*x2 + b = 0 (y_hat = 0.5)
        ax_data.plot([lo, hi], [-(w1 * lo + b) / w2, -(w1 * hi + b) / w2],
                     color="black" if final else plt.cm.Greys(0.3 + 0.5 * k / n_lines),
                     lw=2 if final else 1, ls="-" if final else "--",
                     label=f"epoch {i}" + (" (final)" if final else ""))
    ax_data.set_xlim(lo, hi)
    ax_data.set_ylim(lo, hi)
    ax_data.set_aspect("equal")
    ax_data.set_title("Boundary w.x + b = 0")
    ax_data.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


# ---- main ----------------------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lr", type=float, default=0.1, help="the learning rate alpha (default 0.1)")
    p.add_argument("--epochs", type=int, default=300, help="full-batch steps (default 300)")
    p.add_argument("--points", type=int, default=100, help="points per class (default 100)")
    p.add_argument("--print-every", type=int, default=50, metavar="N",
                   help="print the log-loss every N epochs (default 50)")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed of the data and the initial weights (default 0)")
    p.add_argument("--plot", metavar="PNG", help="save the log-loss curve and the boundary")
    args = p.parse_args(argv)
    for name in ("epochs", "points", "print_every"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.lr <= 0:
        p.error("--lr must be positive")
    return args


def main(argv=None):
    """Runs the example; returns train()'s history (for the tests)."""
    args = parse_args(argv)
    if args.plot:
        import_pyplot()                               # fail now, not after training
    torch.manual_seed(args.seed)
    X, y = blobs(args.points)
    print(f"logistic regression on {len(y)} points, alpha {args.lr:g}, {args.epochs} epochs of "
          f"full-batch gradient descent: (a) by hand, (b) autograd + SGD")
    history = train(X, y, args.lr, args.epochs, args.print_every)
    w, b = history["w"], history["b"]
    acc = accuracy(w, b, X, y)
    print(f"hand gradient = -(autograd gradient) at all {args.epochs} steps: max difference "
          f"{max(history['grad_diff']):.1e} (tolerance {TOLERANCE:g}); final weights differ by "
          f"{history['param_diff']:.1e}")
    print(f"final: w = [{w[0].item():.4f}, {w[1].item():.4f}]  b = {b.item():.4f}   "
          f"accuracy {acc:.1%} ({round(acc * len(y))}/{len(y)})")
    if args.plot:
        plot(history, X, y, args.plot)
        print(f"plot saved to {args.plot}")
    history["accuracy"] = acc
    return history


if __name__ == "__main__":
    main()
