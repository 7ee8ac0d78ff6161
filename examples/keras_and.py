"""The Keras script of the deep-learning course notes autograd_lite was specified from (section 3.2),
verbatim apart from the imports: a Sequential model of Dense, Activation and Dropout layers with L2
regularization trained on the AND table; summary, fit with a validation split, evaluate, predictions,
and save / load_model. With the notes' settings it cannot learn AND: it prints why, and the command
that learns it.

    python examples/keras_and.py                  # about 2 s: summary, accuracy 0.25, predictions, why
    python examples/keras_and.py --loss binary_crossentropy --validation-split 0 --hidden-activation relu
    python examples/keras_and.py --plot and.png   # also the accuracy curves the notes plot

The notes' settings that keep it from learning (`verdict` words them for the user): a categorical
cross-entropy on one sigmoid output (zero whatever the weights), a validation split that holds out
the only positive row, and a softmax over the hidden units (near-uniform once L2 shrinks them).
"""
import argparse
import os
import pathlib
import shlex
import sys
import tempfile

# the notes' settings that keep the network from learning AND -> (flag, the setting that learns it)
FIXES = {"loss": ("--loss", "binary_crossentropy"), "validation_split": ("--validation-split", 0.0),
         "hidden_activation": ("--hidden-activation", "relu")}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=1000, help="training epochs (default 1000, as in the notes)")
    p.add_argument("--loss", default="categorical_crossentropy",
                   help="the loss (default categorical_crossentropy, as in the notes; binary_crossentropy "
                        "is the one for a sigmoid output)")
    p.add_argument("--validation-split", type=float, default=0.2, metavar="FRACTION",
                   help="fraction of the rows held out from the end (default 0.2, as in the notes: the row "
                        "[1, 1], the only positive one; 0 trains on all four)")
    p.add_argument("--hidden-activation", default="softmax", metavar="NAME",
                   help="activation of the 32 hidden units (default softmax, as in the notes; try relu)")
    p.add_argument("--save", default=None, metavar="PATH",
                   help="where to save the model (default: voice_model_trained.h5 in a temporary folder)")
    p.add_argument("--plot", metavar="PNG", help="save the accuracy curves (needs matplotlib)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the initial weights and dropout (default 0)")
    args = p.parse_args(argv)

    import autograd_lite
    autograd_lite.manual_seed(args.seed)

    # ---- the notes' script from here (imports: keras -> autograd_lite.keras) ------------------------------
    import numpy as np
    from autograd_lite.keras.models import Sequential
    from autograd_lite.keras.layers.core import Dense, Dropout, Activation
    from autograd_lite.keras import regularizers

    # X has shape (num_rows, num_cols), where the training data are stored
    # as row vectors
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)

    # y must have an output vector for each input vector
    y = np.array([[0], [0], [0], [1]], dtype=np.float32)

    # Create the Sequential model
    model = Sequential()

    # 1st Layer - Add an input layer of 32 nodes with the same input shape as the training samples in X; add a L2 regularization on weights
    model.add(Dense(32, input_dim=X.shape[1], kernel_regularizer=regularizers.l2(0.01)))

    # Add a softmax activation layer
    model.add(Activation(args.hidden_activation))     # the notes: Activation('softmax')
    model.add(Dropout(.1))

    # 2nd Layer - Add a fully connected output layer
    model.add(Dense(1, kernel_regularizer=regularizers.l2(0.01)))

    # Add a sigmoid activation layer
    model.add(Activation('sigmoid'))

    model.compile(loss=args.loss, optimizer="adam", metrics = ["accuracy"])

    model.summary()

    history = model.fit(X, y, epochs=args.epochs, batch_size=100, shuffle=True, verbose=0,
                        validation_split=args.validation_split)

    if args.plot:
        plot_history(history, args.plot)

    # Evaluate the model (the notes call model.evaluate() with no data: Keras needs the data to evaluate on)
    score = model.evaluate(X, y, verbose=0)
    print("\nAccuracy: ", score[-1])

    # Checking the predictions
    print("\nPredictions:")
    print(model.predict_proba(X))

    # Save the model
    path = pathlib.Path(args.save or pathlib.Path(tempfile.mkdtemp()) / "voice_model_trained.h5")
    try:
        model.save(path)
    except ImportError as e:                 # h5py missing: the library's own format instead
        path = path.with_suffix(".alk")
        print(f"({e}; saving to {path} instead)")
        model.save(path)

    # Load the model
    from autograd_lite.keras.models import load_model
    voice_model = load_model(path)
    # ---- end of the notes' script ------------------------------------------------------------------

    same = np.array_equal(voice_model.predict_proba(X), model.predict_proba(X))
    val = f", validation loss {history.history['val_loss'][-1]:.4f}" if "val_loss" in history.history else ""
    print(f"\nfinal loss {history.history['loss'][-1]:.4f}{val}; saved to {path} and loaded back: "
          f"{'the same predictions' if same else 'DIFFERENT predictions'}")
    print("\n" + verdict(args, score[-1], argv))
    return model, history


def verdict(args, accuracy, argv):
    """Whether AND was learned; if not, why (the notes' settings still in use) and the command that learns it."""
    if accuracy == 1.0:
        return "AND learned: all four rows right."
    why = []
    if args.loss == "categorical_crossentropy":
        why.append("loss='categorical_crossentropy' divides the outputs by their sum before the log: with one "
                   "sigmoid unit that is 1 whatever the weights, so the loss and its gradient are 0, only the L2 "
                   "penalty trains (pulling the weights to 0) and all four predictions stay near 0.5, rounding "
                   "the same way. One sigmoid output needs 'binary_crossentropy'.")
    if args.validation_split > 0:
        why.append(f"validation_split={args.validation_split:g} holds out the last rows, and the last row, "
                   "[1, 1] -> 1, is the only positive example: it is never trained on.")
    if args.hidden_activation == "softmax":
        why.append("Activation('softmax') makes the 32 hidden units sum to 1; with L2-shrunk weights each is near "
                   "1/32 for every input, so the output layer cannot tell the rows apart.")
    if not why:
        return f"Accuracy {accuracy:g}: AND not learned yet; try more epochs (--epochs)."
    argv = list(sys.argv[1:] if argv is None else argv)
    for name, (flag, value) in FIXES.items():
        if getattr(args, name) != value:
            argv += [flag, f"{value:g}" if isinstance(value, float) else value]
    script = os.path.relpath(__file__)
    if script.startswith(os.pardir):
        script = os.path.abspath(__file__)
    return (f"Accuracy {accuracy:g}: the network did not learn AND, and with these settings it cannot:\n"
            + "".join(f"  - {reason}\n" for reason in why)
            + f"It learns AND with:\n    {shlex.join(['python', script, *argv])}")


def plot_history(history, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("keras_and.py: --plot needs matplotlib: pip install 'autograd_lite[plot]'")
    plt.figure(figsize=(6, 4))
    if "val_acc" in history.history:
        plt.plot(history.history['val_acc'], label="validation")
    plt.plot(history.history['acc'], label="training")
    plt.ylim(bottom=0)
    plt.legend()
    plt.xlabel("epoch")
    plt.ylabel("accuracy")
    plt.savefig(path, dpi=80)
    plt.close()
    print(f"accuracy curves saved to {path}")


if __name__ == "__main__":
    main()
