"""Watching one logged metric for improvement: ``_MonitorCallback`` (the base
of ``EarlyStopping`` and ``ModelCheckpoint``) and the mode helpers
(``_infer_mode``, ``_check_mode``) that ``ReduceLROnPlateau`` uses too."""
from __future__ import annotations

import warnings
from typing import Callable, Optional

import numpy

from .callback import Callback


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
        # ``best`` stays None until the first value comes (Keras 3.15: "improved from None")

    def _is_improvement(self, value, reference) -> bool:
        if reference is None:
            return True
        delta = -self.min_delta if self.monitor_op is numpy.less else self.min_delta
        return bool(self.monitor_op(value - delta, reference))
