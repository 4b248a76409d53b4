"""Global settings, under Keras 3's ``keras.config`` names.

``image_data_format`` / ``set_image_data_format`` (where layers given
``data_format=None`` expect the channels), ``floatx`` / ``set_floatx`` and
``epsilon`` / ``set_epsilon`` are ``kerasette.backend``'s, as in Keras.

``summary_style`` / ``set_summary_style`` are kerasette's own: the table
``model.summary()`` prints.  ``'keras2'`` (the default) is Keras 2's
``_``/``=`` table, the one the tutorial shows; ``'keras3'`` is Keras 3's box
table with weight sizes in bytes.  The environment variable
``KERASETTE_SUMMARY_STYLE`` sets the starting value, so that Keras 3 scripts
print Keras 3's table unchanged; ``model.summary(style=...)`` overrides the
setting for one call.

The rest follows Keras 3:

* ``backend()`` is ``'numpy'``: kerasette computes with its own engine on
  numpy (cupy, when chosen, is an array module under the same engine);
* ``enable_interactive_logging`` / ``disable_interactive_logging`` /
  ``is_interactive_logging_enabled``: progress bars and callback messages on
  stdout, or through Python's ``logging`` (the ``"kerasette"`` logger, INFO);
  the switch itself is ``kerasette.backend``'s, which the progress bar reads;
* ``enable_traceback_filtering`` / ``disable_traceback_filtering`` /
  ``is_traceback_filtering_enabled``: a flag only, kept for scripts that set
  it.  kerasette never trims tracebacks, whatever its value;
* ``set_max_epochs`` / ``max_epochs`` and ``set_max_steps_per_epoch`` /
  ``max_steps_per_epoch``: debugging caps on every ``fit`` (and every epoch
  of ``fit``, ``evaluate``, ``predict``), also set by the environment
  variables ``KERAS_MAX_EPOCHS`` / ``KERAS_MAX_STEPS_PER_EPOCH``;
* ``enable_unsafe_deserialization`` (from the saving floor) and
  ``dtype_policy`` / ``set_dtype_policy`` are handed over by kerasette's
  ``__init__``.
"""
from __future__ import annotations

import os

from .backend import (disable_interactive_logging, enable_interactive_logging, epsilon, floatx, image_data_format,
                      is_interactive_logging_enabled, set_epsilon, set_floatx, set_image_data_format)

__all__ = ["floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format", "set_image_data_format",
           "summary_style", "set_summary_style", "SUMMARY_STYLES", "backend", "enable_interactive_logging",
           "disable_interactive_logging", "is_interactive_logging_enabled", "enable_traceback_filtering",
           "disable_traceback_filtering", "is_traceback_filtering_enabled", "max_epochs", "set_max_epochs",
           "max_steps_per_epoch", "set_max_steps_per_epoch"]

SUMMARY_STYLES = ("keras2", "keras3")


def normalize_summary_style(style) -> str:
    value = str(style).lower()
    if value not in SUMMARY_STYLES:
        raise ValueError(f"The summary style must be one of {SUMMARY_STYLES}. Received: style={style!r}")
    return value


_summary = {"style": normalize_summary_style(os.environ.get("KERASETTE_SUMMARY_STYLE") or "keras2")}


def summary_style() -> str:
    """The table ``model.summary()`` prints: ``'keras2'`` (default) or ``'keras3'``."""
    return _summary["style"]


def set_summary_style(style: str) -> None:
    """Make ``model.summary()`` print Keras 2's table (``'keras2'``) or Keras 3's (``'keras3'``)."""
    _summary["style"] = normalize_summary_style(style)


def backend() -> str:
    """The name of the backend doing the math: ``'numpy'`` (kerasette's own engine)."""
    return "numpy"


# -- traceback filtering: a flag only (Keras 3 trims its own frames from tracebacks; kerasette
# leaves every traceback whole, so the flag changes nothing but what is_... returns)
_traceback = {"filtering": True}


def enable_traceback_filtering() -> None:
    """Set the traceback-filtering flag (on by default).  kerasette never trims tracebacks: a flag only."""
    _traceback["filtering"] = True


def disable_traceback_filtering() -> None:
    """Clear the traceback-filtering flag.  kerasette's tracebacks are always whole: a flag only."""
    _traceback["filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    """The traceback-filtering flag (True unless ``disable_traceback_filtering()`` was called)."""
    return _traceback["filtering"]


# -- debugging caps on fit: epochs per fit() call, steps per epoch (fit, evaluate, predict)
def _checked_cap(value, name):
    """A cap as an int, or None for no cap (None or 0, as in Keras)."""
    if value is None:
        return None
    if isinstance(value, bool) or not hasattr(value, "__index__") or value.__index__() < 0:
        raise ValueError(f"`{name}` must be a positive integer, or None for no limit. Received: {name}={value!r}")
    return value.__index__() or None


def _cap_from_environment(variable):
    text = os.environ.get(variable, "").strip()
    if not text:
        return None
    try:
        return _checked_cap(int(text), variable)
    except ValueError:
        raise ValueError(f"The environment variable {variable} must be a positive integer. "
                         f"Received: {variable}={text!r}") from None


_caps = {"epochs": _cap_from_environment("KERAS_MAX_EPOCHS"),
         "steps_per_epoch": _cap_from_environment("KERAS_MAX_STEPS_PER_EPOCH")}


def set_max_epochs(max_epochs) -> None:
    """Cap the epochs of every ``fit`` call at ``max_epochs`` (None: no cap).  For debugging runs;
    the environment variable ``KERAS_MAX_EPOCHS`` sets it too."""
    _caps["epochs"] = _checked_cap(max_epochs, "max_epochs")


def max_epochs():
    """The cap on epochs per ``fit`` call, or None."""
    return _caps["epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch) -> None:
    """Cap the steps of every epoch of ``fit``, ``evaluate`` and ``predict`` (None: no cap).  For
    debugging runs; the environment variable ``KERAS_MAX_STEPS_PER_EPOCH`` sets it too."""
    _caps["steps_per_epoch"] = _checked_cap(max_steps_per_epoch, "max_steps_per_epoch")


def max_steps_per_epoch():
    """The cap on steps per epoch, or None."""
    return _caps["steps_per_epoch"]
