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
"""
from __future__ import annotations

import os

from .backend import epsilon, floatx, image_data_format, set_epsilon, set_floatx, set_image_data_format

__all__ = ["floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format", "set_image_data_format",
           "summary_style", "set_summary_style", "SUMMARY_STYLES"]

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
