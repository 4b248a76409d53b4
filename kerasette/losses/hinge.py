"""Hinge losses: ``hinge``, ``squared_hinge`` and ``categorical_hinge`` and their Loss classes."""
from __future__ import annotations

from .. import ops
from .loss import TensorLike, _BuiltinLoss, _prediction_and_target, squeeze_or_expand_to_same_rank


def _hinge_labels(y_true):
    """0/1 labels become -1/1; labels that are not all 0 or 1 are left as they are.

    Keras decides with a ``cond`` on ``all(y in {0, 1})``; a 0/1 flag times
    ``y - 1`` gives the same numbers without control flow, in a graph too.
    """
    is_binary_entry = ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0))
    all_binary = ops.min(ops.cast(is_binary_entry, y_true.dtype))
    return ops.add(y_true, ops.multiply(all_binary, ops.subtract(y_true, 1.0)))


def hinge(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels are read as -1/1."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    margin = ops.subtract(1.0, ops.multiply(y_true, y_pred))
    return ops.mean(ops.maximum(margin, 0.0), axis=-1)


def squared_hinge(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``; 0/1 labels are read as -1/1."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    margin = ops.subtract(1.0, ops.multiply(y_true, y_pred))
    return ops.mean(ops.square(ops.maximum(margin, 0.0)), axis=-1)


def categorical_hinge(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """``maximum(neg - pos + 1, 0)`` per sample.

    ``pos = sum(y_true * y_pred)`` and ``neg = max((1 - y_true) * y_pred)`` over the last axis.
    """
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    positive = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    negative = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(negative, positive), 1.0), 0.0)


class Hinge(_BuiltinLoss):
    """``mean(maximum(1 - y_true * y_pred, 0))`` with labels -1/1 (0/1 are converted).

    >>> float(Hinge()([[1.0, 0.0]], [[0.5, -2.0]]))
    0.25
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(_BuiltinLoss):
    """``mean(square(maximum(1 - y_true * y_pred, 0)))`` with labels -1/1 (0/1 are converted).

    >>> float(SquaredHinge()([[1.0]], [[0.5]]))
    0.25
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(_BuiltinLoss):
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``.

    >>> round(float(CategoricalHinge()([[0.0, 1.0]], [[0.2, 0.6]])), 4)
    0.6
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)

