"""``LearningRateScheduler``: set the learning rate at each epoch's start from
a schedule function."""
from __future__ import annotations

import inspect
from typing import Callable

from ..utils.progbar import print_msg
from .callback import Callback, _to_python
from .learning_rate import _get_learning_rate, _set_learning_rate


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
