"""``TerminateOnNaN``: stop training at the first NaN or infinite loss."""
from __future__ import annotations

import math

from ..utils.progbar import print_msg
from .callback import Callback, _to_python


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
