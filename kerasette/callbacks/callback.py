"""The base class ``Callback``, the names of its hooks (``_HOOKS``) and
``_to_python``, which turns logged 0-d values into Python floats (shared by
the list and the callbacks that read numbers out of logs)."""
from __future__ import annotations

import numbers


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
