"""Keras' Sequential model on autograd_lite: ``add`` layers, ``compile``, ``fit``, ``evaluate``, ``predict``,
``summary``, ``save`` / ``load_model``. Underneath, one nn.Sequential of the layers' modules and one
autograd_lite.optim optimizer: no second engine.

Example (section 3.2 of the notes)::

    model = Sequential()
    model.add(Dense(32, input_dim=2, kernel_regularizer=regularizers.l2(0.01)))
    model.add(Activation('relu'))
    model.add(Dense(1, activation='sigmoid'))
    model.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    history = model.fit(X, y, epochs=100, verbose=0)
"""
import time

import numpy as np

from .. import nn, random
from ..autograd import no_grad
from ..creation import from_numpy
from . import callbacks as _callbacks, losses as _losses, metrics as _metrics, optimizers as _optimizers
from .layers.core import Layer, _unique_name

__all__ = ["Sequential", "load_model"]


class Sequential:
    """A linear stack of Keras layers (``Sequential()`` then ``add``, or ``Sequential([layers])``)."""

    def __init__(self, layers=None, name=None):
        self.name = name or _unique_name("sequential")
        self._layers, self._net, self.optimizer, self._compiled = [], None, None, None
        self.stop_training, self.history = False, None
        for layer in layers or ():
            self.add(layer)

    # ---- structure ------------------------------------------------------------------------------
    @property
    def layers(self):
        return list(self._layers)

    def add(self, layer):
        """Appends a layer; the first layer must say its input size (input_dim= or input_shape=)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a keras layer (Dense, Activation, Dropout, Flatten), got "
                            f"{type(layer).__name__}")
        if self._net is not None:
            raise RuntimeError("Sequential.add: this model is already built (compiled or used); add every layer "
                               "before compile")
        if any(other.name == layer.name for other in self._layers):
            raise ValueError(f"All layers added to a Sequential model should have unique names. Name '{layer.name}' "
                             "is already the name of a layer in this model. Update the `name` argument to pass a "
                             "unique name.")
        self._layers.append(layer)

    def _build(self):
        """Builds every layer from the first one's input shape, once: the nn.Sequential the model runs."""
        if self._net is not None:
            return self._net
        if not self._layers:
            raise ValueError("Sequential: the model has no layers; add some with model.add(...)")
        first = self._layers[0]
        if first.input_shape is None:
            raise ValueError(f"Sequential: the first layer ({type(first).__name__} {first.name!r}) needs the input "
                             f"size: pass input_dim= (e.g. Dense(32, input_dim=2)) or input_shape=")
        shape = first.input_shape
        for layer in self._layers:
            shape = layer.build(shape)
            if not layer.trainable:
                for p in layer.weights:
                    p.requires_grad_(False)
        self._net = nn.Sequential(*[m for layer in self._layers for m in layer.modules])
        return self._net

    @property
    def input_shape(self):
        return self._layers[0].input_shape if self._layers else None

    @property
    def output_shape(self):
        self._build()
        return self._layers[-1].output_shape

    def count_params(self):
        self._build()
        return sum(layer.count_params() for layer in self._layers)

    def get_weights(self):
        """Every layer's weights as NumPy arrays, in Keras' layout (Dense: kernel (in, units), bias)."""
        self._build()
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, arrays):
        self._build()
        arrays = list(arrays)
        for layer in self._layers:
            n = len(layer.weights)
            layer.set_weights(arrays[:n])
            arrays = arrays[n:]
        if arrays:
            raise ValueError(f"set_weights: {len(arrays)} arrays left over after the last layer")

    def __call__(self, x):
        """The model's output for a Tensor (with autograd), as a Keras model called on a tensor."""
        return self._build()(x)

    # ---- training -------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        """Sets the loss (a name: 'binary_crossentropy', 'categorical_crossentropy',
        'sparse_categorical_crossentropy', 'mse', 'mae', or a callable), the optimizer (a name or a
        keras.optimizers object) and the metrics ('accuracy': binary or categorical, chosen from the loss)."""
        if loss is None:
            raise ValueError("compile: a loss is required, e.g. loss='binary_crossentropy'")
        net = self._build()
        loss_fn = _losses.get(loss)
        loss_name = loss if isinstance(loss, str) else _losses.name_of(loss_fn)
        out_dim = self._layers[-1].output_shape[-1]
        names = [] if metrics is None else [metrics] if isinstance(metrics, str) else list(metrics)
        resolved = [_metrics.get(m, loss_name, out_dim) for m in names]
        keras_opt = _optimizers.get(optimizer)
        self.optimizer = keras_opt
        self._torch_opt = keras_opt.build([p for p in net.parameters() if p.requires_grad])
        self._compiled = {"loss": loss_name, "loss_fn": loss_fn, "metrics": resolved, "metric_names": names,
                          "sparse": loss_name == "sparse_categorical_crossentropy"}

    def _require_compiled(self, what):
        if self._compiled is None:
            raise RuntimeError(f"You must compile your model before {what}. Use `model.compile(optimizer, loss)`.")
        return self._compiled

    def _inputs(self, x, op):
        self._build()
        x = np.asarray(x)
        if x.dtype != np.float32:
            x = x.astype(np.float32)
        want = self.input_shape[1:]
        if x.ndim == 1 and want == (1,):            # (n,) for one input feature, as Keras expands it
            x = x.reshape(-1, 1)
        if x.shape[1:] != want:
            raise ValueError(f"{op}: expected input of shape (batch, {', '.join(map(str, want))}), got an array of "
                             f"shape {x.shape}")
        return x

    def _targets(self, y, out_shape, sparse):
        """y as the loss takes it: class indices (n,) for the sparse loss, else floats of the output's shape (a
        1-D y for one output unit becomes (n, 1)); Keras' ValueError when the shapes are incompatible."""
        y = np.asarray(y)
        if sparse:
            if y.ndim > 2 or y.ndim == 2 and y.shape[1] != 1:
                raise ValueError(f"sparse_categorical_crossentropy: expected class indices of shape (n,) or (n, 1), "
                                 f"got y of shape {y.shape} (one-hot targets go with categorical_crossentropy)")
            return y.astype(np.int64).reshape(-1)
        y = y.astype(np.float32)
        if y.ndim == 1 and out_shape[1:] == (1,):
            y = y.reshape(-1, 1)
        if y.shape[1:] != tuple(out_shape[1:]):
            shape = "(None, " + ", ".join(map(str, y.shape[1:])) + ")"
            raise ValueError(f"Shapes {shape} and {_shape_str(out_shape)} are incompatible: y does not match the "
                             "model's output (class indices go with loss='sparse_categorical_crossentropy')")
        return y

    def _data(self, x, y, op):
        compiled = self._require_compiled("training/testing" if op != "predict" else op)
        x = self._inputs(x, op)
        if y is None:
            raise ValueError(f"{op}: y is required")
        n_y = len(y)
        if len(x) != n_y:
            raise ValueError(f"Data cardinality is ambiguous:\n  x sizes: {len(x)}\n  y sizes: {n_y}\n"
                             "Make sure all arrays contain the same number of samples.")
        return x, self._targets(y, self._layers[-1].output_shape, compiled["sparse"])

    def _regularization(self):
        terms = [t for t in (layer.regularization_loss() for layer in self._layers) if t is not None]
        return sum(terms[1:], terms[0]) if terms else None

    def _batch(self, xb, yb, train):
        """(loss value, metric sums) of one batch; with train, a gradient step on it."""
        compiled = self._compiled
        out = self._net(from_numpy(xb))
        loss = compiled["loss_fn"](from_numpy(yb), out).mean()
        reg = self._regularization()
        if reg is not None:
            loss = loss + reg
        if train:
            self._torch_opt.zero_grad()
            loss.backward()
            self.optimizer.apply(self._torch_opt)
        pred = out.detach().cpu().numpy()
        return loss.item(), [float(np.sum(fn(yb, pred))) for _, fn in compiled["metrics"]]

    def _metric_logs(self, prefix, loss_sum, metric_sums, n):
        logs = {prefix + "loss": loss_sum / n}
        for (key, _), total in zip(self._compiled["metrics"], metric_sums):
            logs[prefix + key] = total / n
            if key in ("accuracy", "acc"):                   # both names, as Keras 1 and 2 logged them
                logs[prefix + ("acc" if key == "accuracy" else "accuracy")] = total / n
        return logs

    def _run_epoch(self, x, y, batch_size, order, train, progress=None):
        n = len(x)
        loss_sum, metric_sums = 0.0, [0.0] * len(self._compiled["metrics"])
        for b, start in enumerate(range(0, n, batch_size)):
            idx = order[start:start + batch_size]
            loss, sums = self._batch(x[idx], y[idx], train)
            loss_sum += loss * len(idx)
            metric_sums = [a + s for a, s in zip(metric_sums, sums)]
            if progress is not None:
                progress(b, self._metric_logs("", loss_sum, metric_sums, start + len(idx)))
        return loss_sum, metric_sums

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, initial_epoch=0, validation_batch_size=None, nb_epoch=None):
        """Trains for `epochs` passes over (x, y) in shuffled batches; returns a History whose ``history`` holds
        'loss' and each metric per epoch, with 'val_' twins when validation_split / validation_data is given
        (evaluated in batches of validation_batch_size, default batch_size)."""
        x, y = self._data(x, y, "fit")
        epochs = nb_epoch if nb_epoch is not None else epochs
        batch_size = int(batch_size or 32)
        if validation_data is not None:
            xv, yv = self._data(validation_data[0], validation_data[1], "fit (validation_data)")
        elif validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split}")
            split = int(len(x) * (1.0 - validation_split))          # the last samples, before shuffling (Keras)
            x, xv, y, yv = x[:split], x[split:], y[:split], y[split:]
        else:
            xv = yv = None
        if len(x) == 0:
            raise ValueError("fit: no training samples (after validation_split)")
        self.history = history = _callbacks.History()
        # as Keras orders them: the progress display, the user's callbacks, then History (it logs what they add)
        cbs = ([_callbacks.ProgbarLogger(verbose)] if verbose else []) + list(callbacks or []) + [history]
        steps = -(-len(x) // batch_size)
        for cb in cbs:
            cb.set_model(self)
            cb.set_params({"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": batch_size})
        self.stop_training = False
        for cb in cbs:
            cb.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            for cb in cbs:
                cb.on_epoch_begin(epoch)
            self._net.train()
            order = random.permutation(len(x)) if shuffle else np.arange(len(x))

            def progress(batch, logs):
                for cb in cbs:
                    cb.on_batch_end(batch, logs)
            loss_sum, metric_sums = self._run_epoch(x, y, batch_size, order, True, progress)
            logs = self._metric_logs("", loss_sum, metric_sums, len(x))
            if xv is not None and len(xv):
                val = self._evaluate_arrays(xv, yv, int(validation_batch_size or batch_size))
                logs.update(self._metric_logs("val_", *val, len(xv)))
            for cb in cbs:
                cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        for cb in cbs:
            cb.on_train_end()
        return history

    def _evaluate_arrays(self, x, y, batch_size):
        self._net.eval()
        try:
            with no_grad():
                return self._run_epoch(x, y, batch_size, np.arange(len(x)), False)
        finally:
            self._net.train()

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1):
        """[loss, metric, ...] on (x, y) in inference mode (the loss alone without metrics)."""
        x, y = self._data(x, y, "evaluate")
        batch_size = int(batch_size or 32)
        start = time.perf_counter()
        loss_sum, metric_sums = self._evaluate_arrays(x, y, batch_size)
        logs = self._metric_logs("", loss_sum, metric_sums, len(x))
        values = [logs["loss"]] + [logs[key] for key, _ in self._compiled["metrics"]]
        if verbose:
            print(_callbacks._progbar_line(-(-len(x) // batch_size), time.perf_counter() - start, logs))
        return values if len(values) > 1 else values[0]

    # ---- inference ------------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose=0):
        """The model's outputs for x, as a NumPy array, in inference mode (dropout off)."""
        net = self._build()
        x = self._inputs(x, "predict")
        batch_size = int(batch_size or 32)
        net.eval()
        try:
            with no_grad():
                outs = [net(from_numpy(x[i:i + batch_size])).cpu().numpy() for i in range(0, len(x), batch_size)]
        finally:
            net.train()
        return np.concatenate(outs) if outs else np.zeros((0,) + self.output_shape[1:], np.float32)

    def predict_proba(self, x, batch_size=None, verbose=0):
        """predict (the Keras 2.0 name for probability outputs)."""
        return self.predict(x, batch_size, verbose)

    def predict_classes(self, x, batch_size=None, verbose=0):
        """Class predictions: argmax over the outputs, or (p > 0.5) as int32 (n, 1) for one sigmoid output."""
        p = self.predict(x, batch_size, verbose)
        return (p > 0.5).astype(np.int32) if p.shape[-1] == 1 else p.argmax(axis=-1)

    # ---- description and saving ---------------------------------------------------------------------
    def summary(self, line_length=65, print_fn=print):
        """Keras' table: each layer's name and type, output shape and parameter count, then the totals."""
        self._build()
        cols = [int(line_length * p) for p in (0.45, 0.85, 1.0)]

        def row(fields):
            line = ""
            for text, end in zip(fields, cols):
                line = (line + str(text))[:end].ljust(end)
            return line.rstrip().ljust(line_length)
        print_fn(f'Model: "{self.name}"')
        print_fn("_" * line_length)
        print_fn(row(["Layer (type)", "Output Shape", "Param #"]))
        print_fn("=" * line_length)
        for i, layer in enumerate(self._layers):
            print_fn(row([f"{layer.name} ({type(layer).__name__})", _shape_str(layer.output_shape),
                          layer.count_params()]))
            print_fn(("=" if i == len(self._layers) - 1 else "_") * line_length)
        total = self.count_params()
        trainable = sum(layer.count_params() for layer in self._layers if layer.trainable)
        print_fn(f"Total params: {total:,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {total - trainable:,}")
        print_fn("_" * line_length)

    def get_config(self):
        self._build()
        return {"name": self.name, "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                                              for layer in self._layers]}

    def save(self, filepath):
        """Architecture, weights, compile settings and optimizer state: HDF5 for a .h5 / .hdf5 path, Keras 3's zip
        for a .keras path (both need h5py: pip install 'autograd_lite[keras]'), else the library's own safe format
        (autograd_lite.save)."""
        from . import saving
        saving.save_model(self, filepath)

    def save_weights(self, filepath):
        from . import saving
        saving.save_weights(self, filepath)

    def load_weights(self, filepath):
        from . import saving
        saving.load_weights(self, filepath)

    def __repr__(self):
        return f"<Sequential name={self.name!r} layers={[layer.name for layer in self._layers]}>"


def _shape_str(shape):
    """(None, 32) as Keras prints shapes."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def load_model(filepath, compile=True):
    """A model saved by ``model.save``: the same layers, weights, compile settings and optimizer state."""
    from . import saving
    return saving.load_model(filepath, compile=compile)
