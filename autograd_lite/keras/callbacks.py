"""Keras callbacks: History (what fit returns), EarlyStopping, ModelCheckpoint, and the progress display of
fit(verbose=1 | 2). Hooks: on_train_begin/end(logs), on_epoch_begin/end(epoch, logs), on_batch_begin/end(batch,
logs); `self.model` is the model being trained; setting ``model.stop_training = True`` ends fit after the epoch.
"""
import math
import sys
import time
import warnings

__all__ = ["Callback", "History", "EarlyStopping", "ModelCheckpoint", "ProgbarLogger"]


class Callback:
    """Base class: override the hooks you need."""
    model = None
    params = None

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass


class History(Callback):
    """``history.history``: each logged value per epoch ('loss', 'val_loss', 'accuracy', 'val_accuracy', and the
    older names 'acc', 'val_acc'); ``history.epoch``: the epoch indices."""

    def on_train_begin(self, logs=None):
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def _better(mode, monitor):
    """A function (current, best, min_delta) -> improved, for mode 'min', 'max' or 'auto' (max for accuracies)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "max" or mode == "auto" and ("acc" in monitor or monitor.startswith("fmeasure")):
        return lambda current, best, delta: current - delta > best, -math.inf
    return lambda current, best, delta: current + delta < best, math.inf


class EarlyStopping(Callback):
    """Stops training when `monitor` has not improved by more than `min_delta` for `patience` epochs (section 2.1:
    train until the validation error starts to increase); restore_best_weights puts back the weights of the best
    epoch when it stops; with a `baseline`, training also stops after `patience` epochs that do not beat it.

    Example: ``model.fit(x, y, validation_split=0.2, callbacks=[EarlyStopping(patience=5,
    restore_best_weights=True)])``
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False):
        self.monitor, self.min_delta, self.patience, self.verbose = monitor, abs(min_delta), int(patience), verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self._improved, self._start = _better(mode, monitor)

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch, self.best_weights = 0, 0, 0, None
        self.best = self._start

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"EarlyStopping: monitor {self.monitor!r} is not among the logged values "
                          f"({', '.join(sorted(logs or {}))})", RuntimeWarning, stacklevel=2)
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._improved(current, self.best, self.min_delta):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improved(current, self.baseline, self.min_delta):
                self.wait = 0                   # patience restarts only once the baseline is beaten too
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose:
                    print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class ModelCheckpoint(Callback):
    """Saves the model (or only its weights) after each epoch to `filepath`, which may name logged values:
    ``'model-{epoch:02d}-{val_loss:.2f}.h5'``; save_best_only keeps only improvements of `monitor`."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto"):
        self.filepath, self.monitor, self.verbose = str(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self._improved, self.best = _better(mode, monitor)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"ModelCheckpoint: can save best model only with {self.monitor!r} available",
                              RuntimeWarning, stacklevel=2)
                return
            if not self._improved(current, self.best, 0.0):
                return
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


def _format_logs(logs):
    return "".join(f" - {k}: {v:.4f}" for k, v in logs.items() if k not in ("acc", "val_acc"))


def _per_step(seconds):
    """Keras' time per step: 2s/step, 15ms/step or 800us/step."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    return f"{seconds * 1e3:.0f}ms/step" if seconds >= 1e-3 else f"{seconds * 1e6:.0f}us/step"


def _eta(seconds):
    """Keras' ETA: 1:02:03, 2:03 or 3s."""
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


def _bar(done, steps, width=30):
    """``12/32 [=========>....................]``, full when done."""
    filled = width if done >= steps else int(width * done / max(steps, 1))
    arrow = "=" * max(filled - 1, 0) + (">" if done < steps else "=") if filled else ""
    return f"{done}/{steps} [{arrow}{'.' * (width - len(arrow))}]"


def _progbar_line(steps, took, logs):
    """The line Keras prints when `steps` batches took `took` seconds:
    ``32/32 [==============================] - 0s 2ms/step - loss: 0.6931 - accuracy: 0.5000``."""
    return f"{_bar(steps, steps)} - {took:.0f}s {_per_step(took / max(steps, 1))}{_format_logs(logs)}"


def _isatty(stream):
    return getattr(stream, "isatty", lambda: False)()


class ProgbarLogger(Callback):
    """fit's display, as Keras': "Epoch i/n", then with verbose=1 a progress bar redrawn in place on a terminal
    (with the ETA and the running averages) that ends as the epoch's line
    ``32/32 [==============================] - 0s 2ms/step - loss: ... - accuracy: ...``
    (only that line when the stream is not a terminal); with verbose=2 one line per epoch,
    ``32/32 - 0s - 2ms/step - loss: ...``."""

    interval = 0.05             # seconds between redraws of the bar: a terminal is slow to write to

    def __init__(self, verbose=1, stream=None):
        self.verbose, self.stream = verbose, stream or sys.stdout

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = self._drawn = time.perf_counter()
        self._width = 0
        print(f"Epoch {epoch + 1}/{self.params['epochs']}", file=self.stream)

    def on_batch_end(self, batch, logs=None):
        steps, now = self.params["steps"], time.perf_counter()
        if self.verbose != 1 or not _isatty(self.stream) or batch + 1 >= steps or now - self._drawn < self.interval:
            return
        self._drawn = now
        eta = (now - self.epoch_start) / (batch + 1) * (steps - batch - 1)
        self._draw(f"{_bar(batch + 1, steps)} - ETA: {_eta(eta)}{_format_logs(logs or {})}")
        self.stream.flush()

    def _draw(self, line, end=""):
        """Writes `line` over the bar drawn before (padded to cover it)."""
        self.stream.write("\r" + line.ljust(self._width) + end)
        self._width = len(line)

    def on_epoch_end(self, epoch, logs=None):
        took, steps, logs = time.perf_counter() - self.epoch_start, self.params["steps"], logs or {}
        if self.verbose != 1:
            print(f"{steps}/{steps} - {took:.0f}s - {_per_step(took / max(steps, 1))}{_format_logs(logs)}",
                  file=self.stream)
        elif _isatty(self.stream):
            self._draw(_progbar_line(steps, took, logs), end="\n")
        else:
            print(_progbar_line(steps, took, logs), file=self.stream)
        self.stream.flush()                 # a pipe shows each epoch as it ends, not at exit
