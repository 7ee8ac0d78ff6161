"""Overfitting and its remedies, as section 2.1 of the deep-learning course notes autograd_lite was specified from
names them: one network that overfits a small noisy data set, then the same network with L2 regularization, with
dropout, and with early stopping. Prints the training and validation loss and accuracy of each run as it ends (the
Keras API of autograd_lite.keras).

    python examples/overfitting.py                # about 5 s: a table of the four runs, row by row
    python examples/overfitting.py --plot of.png  # also the validation loss of each run per epoch

The data: two interleaved half moons with label noise (60 training points, 500 validation points), the network
2-64-64-1 (ReLU, sigmoid output, binary cross-entropy, Adam). Without a remedy the training loss keeps falling
while the validation loss rises after a while: the gap between them is the overfitting.
"""
import argparse
import sys

import numpy as np


def moons(n, noise, flip, rng):
    """n points of two half moons with Gaussian noise; a fraction `flip` of the labels flipped."""
    t = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label[:, None] == 0, np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    x = x + rng.normal(0, noise, (n, 2))
    label = np.where(rng.random(n) < flip, 1 - label, label)
    return x.astype(np.float32), label.astype(np.float32).reshape(-1, 1)


def network(l2=0.0, dropout=0.0):
    from autograd_lite.keras import regularizers
    from autograd_lite.keras.layers import Dense, Dropout
    from autograd_lite.keras.models import Sequential
    reg = regularizers.l2(l2) if l2 else None
    layers = [Dense(64, input_dim=2, activation="relu", kernel_regularizer=reg)]
    layers += [Dropout(dropout)] if dropout else []
    layers += [Dense(64, activation="relu", kernel_regularizer=reg)]
    layers += [Dropout(dropout)] if dropout else []
    layers += [Dense(1, activation="sigmoid", kernel_regularizer=reg)]
    model = Sequential(layers)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def log_loss(y, p):
    """Section 1.5's error of logistic regression, -1/m sum(y ln p + (1 - y) ln(1 - p)): the data's loss alone,
    without the L2 penalty that Keras adds to the loss it reports, so that the runs compare."""
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def run(name, model, data, epochs, callbacks=()):
    (x, y), (xv, yv) = data
    history = model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, validation_data=(xv, yv),
                        validation_batch_size=len(xv), callbacks=list(callbacks))
    p, pv = model.predict(x), model.predict(xv, batch_size=len(xv))
    return {"name": name, "epochs": len(history.epoch), "train_loss": log_loss(y, p),
            "train_acc": float(np.mean((p > 0.5) == y)), "val_loss": log_loss(yv, pv),
            "val_acc": float(np.mean((pv > 0.5) == yv)), "val_curve": history.history["val_loss"]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=200, help="epochs of each run (default 200)")
    p.add_argument("--l2", type=float, default=0.005, help="the L2 run's weight penalty factor (default 0.005)")
    p.add_argument("--dropout", type=float, default=0.5, help="the dropout run's dropout probability (default 0.5)")
    p.add_argument("--patience", type=int, default=20,
                   help="the early-stopping run stops after this many epochs without a better validation loss "
                        "(default 20)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the data and the initial weights (default 0)")
    p.add_argument("--plot", metavar="PNG", help="save the validation loss curves")
    args = p.parse_args(argv)

    import autograd_lite
    from autograd_lite.keras.callbacks import EarlyStopping
    rng = np.random.default_rng(args.seed)
    data = moons(60, 0.25, 0.1, rng), moons(500, 0.25, 0.1, rng)
    print(f"{'run':<34}{'epochs':>7}{'train loss':>12}{'val loss':>10}{'train acc':>11}{'val acc':>9}", flush=True)
    runs = []
    for name, make, cbs in [
        ("no remedy", lambda: network(), ()),
        (f"L2 {args.l2:g}", lambda: network(l2=args.l2), ()),
        (f"dropout {args.dropout:g}", lambda: network(dropout=args.dropout), ()),
        (f"early stopping (patience {args.patience})", lambda: network(),
         (EarlyStopping(monitor="val_loss", patience=args.patience, restore_best_weights=True),)),
    ]:
        autograd_lite.manual_seed(args.seed)            # the same initial weights for every run
        r = run(name, make(), data, args.epochs, cbs)
        runs.append(r)
        print(f"{r['name']:<34}{r['epochs']:>7}{r['train_loss']:>12.3f}{r['val_loss']:>10.3f}"
              f"{r['train_acc']:>11.3f}{r['val_acc']:>9.3f}", flush=True)     # each row as its run ends
    if args.plot:
        plot(runs, args.plot)
    return runs


def plot(runs, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("overfitting.py: --plot needs matplotlib: pip install 'autograd_lite[plot]'")
    plt.figure(figsize=(7, 4))
    for r in runs:
        plt.plot(r["val_curve"], label=r["name"])
    plt.xlabel("epoch")
    plt.ylabel("validation loss")
    plt.legend()
    plt.savefig(path, dpi=80)
    plt.close()
    print(f"validation curves saved to {path}")


if __name__ == "__main__":
    main()
