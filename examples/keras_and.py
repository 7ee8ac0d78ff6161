"""The notes' Keras script (section 3.2), verbatim apart from the imports: a Sequential model of Dense,
Activation and Dropout layers with L2 regularization learns the AND table; summary, fit with a validation split,
the training curves, predictions, and save / load_model.

    python examples/keras_and.py                  # about 5 s: summary, final losses, predictions
    python examples/keras_and.py --plot and.png   # also the accuracy curves the notes plot

What it shows, as Keras would: 'categorical_crossentropy' on a single sigmoid output normalises that output to 1,
so its loss is ~0 whatever the weights and the model learns nothing (predictions stay near 0.5; the accuracy
Keras picks for one output unit is the binary one). And validation_split=0.2 holds out the last row, [1, 1], the
only positive one. `--loss binary_crossentropy --validation-split 0` trains the same network on the loss that
fits a sigmoid output, on all four rows, and `--hidden-activation relu` replaces the softmax over the 32 hidden
units (whose L2-shrunk inputs make them near-uniform, so the network settles on the base rate 0.25): then it
learns AND.
"""
import argparse
import pathlib
import sys
import tempfile


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--loss", default="categorical_crossentropy", help="as in the notes; try binary_crossentropy")
    p.add_argument("--validation-split", type=float, default=0.2, help="as in the notes; try 0")
    p.add_argument("--hidden-activation", default="softmax", help="as in the notes; try relu")
    p.add_argument("--save", default=None, metavar="PATH",
                   help="where to save the model (default: voice_model_trained.h5 in a temporary folder)")
    p.add_argument("--plot", metavar="PNG", help="save the accuracy curves")
    p.add_argument("--seed", type=int, default=0)
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
    return model, history


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
