"""Callbacks: code the training loop calls at fixed points of fit/evaluate/predict.

Keras 3's protocol, so user callbacks port unchanged.  The loop builds one
``CallbackList`` per ``fit``/``evaluate``/``predict`` and calls its hooks; the
list fans each call out to every callback in order (user callbacks first, then
the ``History`` and ``ProgbarLogger`` it adds), passing the *same* ``logs``
dict at an epoch's end, so what an early callback writes into it
(``ReduceLROnPlateau`` adds ``learning_rate``) is recorded by ``History``.

What the loop promises (Keras 3's conventions):

* ``params`` is ``{"verbose", "epochs", "steps"}``;
* batch logs hold the epoch's running values so far (the mean loss over the
  batches seen), epoch logs the epoch's final values plus ``val_*``;
* after each batch and epoch the loop reads ``model.stop_training``, which
  callbacks set to end training.

The callbacks touch the model only through ``stop_training``,
``get_weights``/``set_weights``, ``save``/``save_weights``,
``optimizer.learning_rate`` and (optionally) ``metrics``.
"""
from __future__ import annotations

import collections.abc
import csv
import inspect
import math
import numbers
import os
import warnings
from typing import Callable, Optional

import numpy

from .utils.progbar import Progbar, print_msg

__all__ = [
    "Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
    "CSVLogger", "ReduceLROnPlateau", "LearningRateScheduler", "TerminateOnNaN", "LambdaCallback",
]

_HOOKS = (
    "on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
    "on_predict_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


class Callback:
    """Base class: override the hooks you need; all of them do nothing here.

    ``self.model`` is the model being trained and ``self.params`` the loop's
    parameters (``verbose``, ``epochs``, ``steps``).  ``on_train_batch_*``
    call ``on_batch_*`` unless overridden, so Keras 2 callbacks still work.

    >>> class Losses(Callback):
    ...     def on_train_begin(self, logs=None):
    ...         self.losses = []
    ...     def on_batch_end(self, batch, logs=None):
    ...         self.losses.append(logs["loss"])
    """

    def __init__(self):
        self.model = None
        self.params = None
        self.validation_data = None  # Keras 2 code reads it; the loop may fill it

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model) -> None:
        self.model = model

    def on_batch_begin(self, batch, logs=None):
        """Keras 2's name for the start of a training batch."""

    def on_batch_end(self, batch, logs=None):
        """Keras 2's name for the end of a training batch."""

    def on_epoch_begin(self, epoch, logs=None):
        """Start of epoch ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch, logs=None):
        """End of an epoch; ``logs`` holds its metrics, ``val_*`` included."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Start of a batch in ``evaluate`` (and fit's validation)."""

    def on_test_batch_end(self, batch, logs=None):
        """End of a batch in ``evaluate`` (and fit's validation)."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Start of a batch in ``predict``."""

    def on_predict_batch_end(self, batch, logs=None):
        """End of a batch in ``predict``; ``logs["outputs"]`` holds its outputs."""

    def on_train_begin(self, logs=None):
        """Start of ``fit``."""

    def on_train_end(self, logs=None):
        """End of ``fit``."""

    def on_test_begin(self, logs=None):
        """Start of ``evaluate`` (and of fit's validation pass)."""

    def on_test_end(self, logs=None):
        """End of ``evaluate`` (and of fit's validation pass)."""

    def on_predict_begin(self, logs=None):
        """Start of ``predict``."""

    def on_predict_end(self, logs=None):
        """End of ``predict``."""


def _to_python(value):
    """A float for 0-d numeric values (numpy scalars, 0-d arrays, Tensors), else as is."""
    if value is None or type(value) in (str, bytes, bool, int, float):
        return value
    if getattr(value, "ndim", 1) == 0 or isinstance(value, numbers.Number):
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return value


def _pythonify_in_place(logs: dict) -> dict:
    for key, value in logs.items():
        logs[key] = _to_python(value)
    return logs


class CallbackList(Callback):
    """The callbacks of one fit/evaluate/predict call, called as one.

    Adds a ``History`` (``add_history``) and a ``ProgbarLogger``
    (``add_progbar``) unless the list already holds one, hands every callback
    the model and ``params``, and sets ``model.history``.

    >>> callbacks = CallbackList([EarlyStopping(monitor="loss")], add_history=True,
    ...                          verbose=0, epochs=2, steps=1)
    >>> [type(c).__name__ for c in callbacks]
    ['EarlyStopping', 'History']
    """

    def __init__(self, callbacks=None, add_history: bool = False, add_progbar: bool = False,
                 model=None, **params):
        super().__init__()
        self.callbacks = list(_flatten(callbacks)) if callbacks else []
        self._history = None
        self._progbar = None
        for callback in self.callbacks:
            if isinstance(callback, History):
                self._history = callback
            elif isinstance(callback, ProgbarLogger):
                self._progbar = callback
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)

    @property
    def history(self) -> Optional["History"]:
        """The ``History`` callback in this list (what ``fit`` returns), or None."""
        return self._history

    @property
    def progbar(self) -> Optional["ProgbarLogger"]:
        return self._progbar

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def append(self, callback: Callback) -> None:
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)
        self.callbacks.append(callback)

    def set_params(self, params: dict) -> None:
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _call(self, hook: str, *args, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)
        return logs

    # Whole-run hooks.
    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs=logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs=logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        # In place: callbacks that add keys (learning_rate) must be seen by
        # the later ones and by the caller.
        self._call("on_epoch_end", epoch, logs=_pythonify_in_place({} if logs is None else logs))

    # Batch hooks.  The Keras 2 names are the train-batch ones: calling
    # both would run each callback twice.
    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs=_pythonify_in_place(dict(logs or {})))

    on_batch_begin = on_train_batch_begin
    on_batch_end = on_train_batch_end

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs=_pythonify_in_place(dict(logs or {})))

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch, logs=None):
        # Outputs are arrays: leave them alone.
        self._call("on_predict_batch_end", batch, logs=logs)


def _flatten(items):
    if isinstance(items, (list, tuple)):
        for item in items:
            yield from _flatten(item)
    elif items is not None:
        yield items


class History(Callback):
    """Records each epoch's logs; ``fit`` returns it.

    ``history.history`` maps each key to its per-epoch values, ``history.epoch``
    lists the epochs run and ``history.params`` the loop's parameters.

    >>> history = History()
    >>> history.on_train_begin()
    >>> history.on_epoch_end(0, {"loss": 0.5})
    >>> history.history, history.epoch
    ({'loss': [0.5]}, [0])
    """

    def __init__(self):
        super().__init__()
        self.history: dict = {}
        self.epoch: list = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints ``Epoch 3/10`` and a progress bar per epoch (``verbose=1``) or one
    line per epoch (``verbose=2``); added by ``fit`` when ``verbose`` is truthy.

    Logs are shown as the loop gives them (running values, Keras 3's
    convention), not averaged again.  Inside ``fit`` the validation pass is
    silent: its ``val_*`` results appear on the epoch's line.  Keyword
    arguments go to each ``Progbar`` (``dynamic``, ``file``, ``clock``,
    ``width``, ``style``).

    >>> logger = ProgbarLogger(dynamic=False)
    >>> logger.set_params({"verbose": 2, "epochs": 3, "steps": 10})
    """

    def __init__(self, **progbar_options):
        super().__init__()
        self.progbar_options = progbar_options
        self.progbar: Optional[Progbar] = None
        self.seen = 0
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}", file=self.progbar_options.get("file"))

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # predictions are not metrics

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        # The bar is made now, not at the first batch: its clock starts here,
        # so the first step's time is counted.
        self.seen = 0
        self.progbar = None
        if self.verbose:
            self._make_progbar()

    def _make_progbar(self):
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step",
                                   **self.progbar_options)
        return self.progbar

    def _update_progbar(self, batch, logs):
        if not self.verbose:
            return
        progbar = self._make_progbar()
        self.seen = batch + 1  # batches are 0-based, the bar counts steps done
        logs = dict(logs or {})
        progbar.stateful_metrics.update(logs)
        # verbose=2 writes only at the end: the values can wait until then
        progbar.update(self.seen, list(logs.items()) if self.verbose == 1 else None,
                       finalize=False)

    def _finalize_progbar(self, logs):
        if not self.verbose:
            return
        progbar = self._make_progbar()
        if self.target is None:
            # steps unknown up front (a generator): now they are
            self.target = self.seen
            progbar.target = self.seen
        logs = dict(logs or {})
        progbar.stateful_metrics.update(logs)
        progbar.update(self.target, list(logs.items()), finalize=True)


# -- monitoring a metric -------------------------------------------------------

# Metric names whose values grow when the model improves (Keras' metrics
# with direction "up"); every other name, losses and errors, should shrink.
_MAXIMIZED_NAMES = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2",
                    "true_positives", "true_negatives", "cosine_similarity", "specificity",
                    "sensitivity")


def _infer_mode(monitor: str, model) -> str:
    """'min' or 'max' for ``mode='auto'``: the model's metric direction when it
    declares one, else from the name like Keras 2 (``acc`` -> max)."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for metric in _model_metrics(model):
        if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
            return "max" if metric._direction == "up" else "min"
    lowered = name.lower()
    return "max" if any(part in lowered for part in _MAXIMIZED_NAMES) else "min"


def _model_metrics(model):
    metrics = getattr(model, "metrics", None) if model is not None else None
    if not isinstance(metrics, (list, tuple)):
        return []
    flat = []
    for metric in metrics:
        inner = getattr(metric, "metrics", None)
        flat.extend(inner if isinstance(inner, (list, tuple)) else [metric])
    return flat


def _check_mode(mode: str, owner: str) -> str:
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=3)
        return "auto"
    return mode


class _MonitorCallback(Callback):
    """Shared by the callbacks that watch one logged quantity for improvement."""

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        self.monitor = monitor
        self.mode = _check_mode(mode, type(self).__name__)
        self.min_delta = abs(min_delta)
        self.best = baseline
        self.monitor_op: Optional[Callable] = None

    def _set_monitor_op(self):
        # Deferred to the first epoch end: the model's metrics exist by then.
        mode = self.mode if self.mode != "auto" else _infer_mode(self.monitor, self.model)
        self.monitor_op = numpy.less if mode == "min" else numpy.greater
        if self.best is None:
            self.best = math.inf if mode == "min" else -math.inf

    def _is_improvement(self, value, reference) -> bool:
        if reference is None:
            return True
        delta = -self.min_delta if self.monitor_op is numpy.less else self.min_delta
        return bool(self.monitor_op(value - delta, reference))


class EarlyStopping(_MonitorCallback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    ``min_delta``: smaller changes do not count as improvement; ``baseline``:
    an improvement only resets the patience once it also beats the baseline;
    ``start_from_epoch``: epochs before this one are not watched;
    ``restore_best_weights``: at the end of training put back the weights of
    the best epoch.

    >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor=monitor, mode=mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None

    def on_train_begin(self, logs=None):
        # An instance may serve several fit calls: start afresh each time.
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights = None
        self.best = None
        self.monitor_op = None

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Nothing better seen yet: the weights now are the best so far.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(f"Restoring model weights from the end of the best epoch: "
                          f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}", stacklevel=2)
        return value


class ModelCheckpoint(_MonitorCallback):
    """Save the model (``model.save``) or its weights (``model.save_weights``)
    after every epoch, every ``save_freq`` batches, or only on improvement.

    A ``.keras`` name saves Keras 3's archive (``ModelCheckpoint("ckpt_{epoch}.keras")``),
    from which ``load_model`` resumes training; ``.h5`` the legacy file.

    ``filepath`` may hold ``{epoch}`` (1-based) and any log key:
    ``"w.{epoch:02d}-{val_loss:.2f}.h5"`` gives ``w.03-0.41.h5``.
    Keras 2's ``period=N`` (save every N epochs) is accepted too.

    >>> checkpoint = ModelCheckpoint("best.weights.h5", save_best_only=True,
    ...                              save_weights_only=True)
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None, **kwargs):
        period = kwargs.pop("period", 1)
        if kwargs:
            raise TypeError(f"ModelCheckpoint got unexpected arguments: {sorted(kwargs)}")
        super().__init__(monitor=monitor, mode=mode, baseline=initial_value_threshold)
        self.filepath = os.fspath(filepath)
        if save_weights_only and self.filepath.endswith(".keras"):
            # a '.keras' archive is a whole model (Keras 3 refuses this too)
            raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided "
                             "must end in `.weights.h5` (Keras weights format) or `.h5`. Received: "
                             f"filepath={self.filepath}")
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. "
                             "Expected save_freq are 'epoch' or integer values")
        self.save_freq = save_freq
        self.period = int(period)
        self._epochs_since_last_save = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = -1
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        # batch restarts at 0 each epoch: count the batches done, not the index
        if batch <= self._last_batch_seen:
            self._batches_seen_since_last_saving += batch + 1
        else:
            self._batches_seen_since_last_saving += batch - self._last_batch_seen
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq != "epoch":
            return
        self._epochs_since_last_save += 1
        if self._epochs_since_last_save >= self.period:
            self._epochs_since_last_save = 0
            self._save_model(epoch, None, logs)

    def _get_file_path(self, epoch, batch, logs) -> str:
        logs = dict(logs or {})
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as error:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {error}") from None

    def _should_save(self, epoch, logs, filepath) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"Epoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=3)
            return True
        best_text = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(f"Epoch {epoch + 1}: {self.monitor} improved from {best_text} to "
                          f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: {self.monitor} did not improve from {best_text}")
        return False

    def _save_model(self, epoch, batch, logs):
        if self.monitor_op is None:
            self._set_monitor_op()
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if os.path.isdir(filepath):
            raise IOError("Please specify a non-directory filepath for ModelCheckpoint. "
                          f"Filepath used is an existing directory: {filepath}")
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)


class CSVLogger(Callback):
    """Stream each epoch's logs to a CSV file: column ``epoch`` (0-based) then
    the log keys in sorted order, like Keras.

    ``append=True`` continues an existing file (without a second header).

    >>> logger = CSVLogger("training.log", separator=",", append=False)
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "r", newline="") as existing:
                    self.append_header = not existing.readline()
            mode = "a"
        else:
            self.append_header = True
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            # A validation metric missing on this epoch (validation_freq > 1)
            # still gets its column, filled with NA.
            for name in getattr(self.model, "metrics_names", None) or []:
                if isinstance(name, str) and name.startswith("val_") and name not in self.keys:
                    self.keys.append(name)
        if self.writer is None:
            class Dialect(csv.excel):
                delimiter = self.sep
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = collections.OrderedDict(epoch=epoch)
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _csv_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and getattr(value, "ndim", 1) != 0:
        return f'"[{", ".join(map(str, value))}]"'
    return value


# -- the learning rate ---------------------------------------------------------

def _get_learning_rate(optimizer) -> float:
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute.')
    value = optimizer.learning_rate
    try:
        return float(value)
    except TypeError:
        raise TypeError("The optimizer's learning_rate is not a number (a schedule?): "
                        f"{value!r}; callbacks that set it need a constant learning rate.") from None


def _set_learning_rate(optimizer, value: float) -> None:
    current = getattr(optimizer, "learning_rate", None)
    if hasattr(current, "assign"):
        # A variable the compiled training program reads: change its value,
        # do not replace the object the program holds.
        current.assign(value)
    else:
        optimizer.learning_rate = value


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved
    for ``patience`` epochs, then wait ``cooldown`` epochs; never below ``min_lr``.

    Writes the current ``learning_rate`` into each epoch's logs.

    >>> reduce_lr = ReduceLROnPlateau(monitor="val_loss", factor=0.2, patience=5, min_lr=0.001)
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:  # Keras 2's name for min_delta
            min_delta = kwargs.pop("epsilon")
            warnings.warn("`epsilon` argument is deprecated, use `min_delta` instead.",
                          stacklevel=2)
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected arguments: {sorted(kwargs)}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received factor={factor}")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = _check_mode(mode, "Learning rate reduction")
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.cooldown_counter = 0
        self.wait = 0
        self.best = None
        self.monitor_op = None

    def _reset(self):
        mode = self.mode if self.mode != "auto" else _infer_mode(self.monitor, self.model)
        if mode == "min":
            self.monitor_op = lambda value, best: value < best - self.min_delta
            self.best = math.inf
        else:
            self.monitor_op = lambda value, best: value > best + self.min_delta
            self.best = -math.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._reset()
        logs = logs if logs is not None else {}
        optimizer = getattr(self.model, "optimizer", None)
        logs["learning_rate"] = _get_learning_rate(optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: {','.join(logs)}.",
                          stacklevel=2)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        old_lr = _get_learning_rate(optimizer)
        # compare in float32: the rate lives in a float32 variable
        if old_lr > numpy.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            _set_learning_rate(optimizer, new_lr)
            if self.verbose > 0:
                print_msg(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                          f"{new_lr}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0


def _takes_two_arguments(function) -> bool:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return True
    positional = [p for p in signature.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    has_varargs = any(p.kind == p.VAR_POSITIONAL for p in signature.parameters.values())
    return has_varargs or len(positional) >= 2


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch's start to ``schedule(epoch, lr)``
    (or Keras 1's ``schedule(epoch)``); ``epoch`` is 0-based.

    >>> scheduler = LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr * 0.9)
    """

    def __init__(self, schedule: Callable, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        current = _get_learning_rate(optimizer)
        if _takes_two_arguments(self.schedule):
            learning_rate = self.schedule(epoch, current)
        else:
            learning_rate = self.schedule(epoch)
        number = _to_python(learning_rate)
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise ValueError(f"The output of the `schedule` function should be a float. "
                             f"Got: {learning_rate}")
        learning_rate = float(number)
        _set_learning_rate(optimizer, learning_rate)
        if self.verbose > 0:
            print_msg(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                      f"{learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _get_learning_rate(getattr(self.model, "optimizer", None))


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite.

    Prints ``Batch 7: Invalid loss, terminating training`` and sets
    ``model.stop_training``; with ``raise_error=True`` raises RuntimeError
    instead (so no other callback's ``on_train_end`` runs).

    >>> guard = TerminateOnNaN()
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = _to_python(loss)
        if isinstance(loss, float) and not math.isfinite(loss):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. "
                                   f"Loss value: {loss}. Terminating training immediately.")
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback made of plain functions, one per hook.

    ``on_epoch_begin/end(epoch, logs)``, ``on_train_begin/end(logs)``,
    ``on_train_batch_begin/end(batch, logs)``; any other hook by keyword
    (``on_batch_end=...``, ``on_test_end=...``).

    >>> printer = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        unknown = [name for name in kwargs if name not in _HOOKS]
        if unknown:
            raise TypeError(f"LambdaCallback got unknown hooks {unknown}; "
                            f"hooks are {', '.join(_HOOKS)}")
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
