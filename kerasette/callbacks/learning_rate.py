"""Reading and setting an optimizer's learning rate, shared by
``ReduceLROnPlateau`` and ``LearningRateScheduler``."""
from __future__ import annotations


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
