"""``ProgbarLogger``: the progress bar and per-epoch lines that ``fit``,
``evaluate`` and ``predict`` print."""
from __future__ import annotations

from typing import Optional

from ..utils.progbar import Progbar, print_msg
from .callback import Callback


class ProgbarLogger(Callback):
    """Prints ``Epoch 3/10`` and a progress bar per epoch (``verbose=1``) or one
    line per epoch (``verbose=2``); added by ``fit`` when ``verbose`` is truthy.

    ``count_mode`` is ``"steps"`` (Keras 3: the bar counts batches) or
    ``"samples"`` (tf.keras 2's option: it counts samples, e.g. ``640/1000``).
    Logs are shown as the loop gives them (running values, Keras 3's
    convention), not averaged again.  Inside ``fit`` the validation pass is
    silent: its ``val_*`` results appear on the epoch's line.  Keyword
    arguments go to each ``Progbar`` (``dynamic``, ``file``, ``clock``,
    ``width``, ``style``).

    >>> logger = ProgbarLogger(dynamic=False)
    >>> logger.set_params({"verbose": 2, "epochs": 3, "steps": 10})
    """

    def __init__(self, count_mode: str = "steps", stateful_metrics=None, **progbar_options):
        super().__init__()
        if count_mode not in ("steps", "samples"):
            raise ValueError(f'Unknown `count_mode`: {count_mode!r}. Expected "steps" or "samples".')
        self.count_mode = count_mode
        # tf.keras 2's argument, accepted: every value the loop logs is already a running value
        self.stateful_metrics = set(stateful_metrics or ())
        self.progbar_options = progbar_options
        self._samples_seen = 0
        self._samples_total = None
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

    def note_samples(self, count: int, total=None) -> None:
        """The loop tells how many samples the batch it just ran held (and how
        many there are in all, where known); counted in ``"samples"`` mode."""
        self._samples_seen += int(count)
        self._samples_total = total

    def _reset_progbar(self):
        # The bar is made now, not at the first batch: its clock starts here,
        # so the first step's time is counted.
        self.seen = 0
        self._samples_seen = 0
        self.progbar = None
        if self.verbose:
            self._make_progbar()

    def _make_progbar(self):
        if self.progbar is None:
            if self.count_mode == "samples":
                self.progbar = Progbar(target=self._samples_total, verbose=self.verbose, unit_name="sample",
                                       **self.progbar_options)
            else:
                self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step",
                                       **self.progbar_options)
        return self.progbar

    def _update_progbar(self, batch, logs):
        if not self.verbose:
            return
        progbar = self._make_progbar()
        # batches are 0-based, the bar counts steps (or samples) done
        self.seen = self._samples_seen if self.count_mode == "samples" else batch + 1
        if self.count_mode == "samples" and progbar.target is None and self._samples_total is not None:
            progbar.target = self._samples_total
        logs = dict(logs or {})
        progbar.stateful_metrics.update(logs)
        # verbose=2 writes only at the end: the values can wait until then
        progbar.update(self.seen, list(logs.items()) if self.verbose == 1 else None,
                       finalize=False)

    def _finalize_progbar(self, logs):
        if not self.verbose:
            return
        progbar = self._make_progbar()
        if self.count_mode == "samples":
            # the samples counted are the total now, known up front or not
            progbar.target = self._samples_seen
            target = self._samples_seen
        else:
            if self.target is None:
                # steps unknown up front (a generator): now they are
                self.target = self.seen
                progbar.target = self.seen
            target = self.target
        logs = dict(logs or {})
        progbar.stateful_metrics.update(logs)
        progbar.update(target, list(logs.items()), finalize=True)
