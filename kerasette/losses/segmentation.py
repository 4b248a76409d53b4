"""Overlap losses for segmentation: Dice and Tversky (functions and Loss classes).

``dice = 1 - 2 * sum(y * p) / (sum(y) + sum(p) + epsilon)`` and
``tversky = 1 - tp / (tp + alpha * fp + beta * fn + epsilon)``, the sums over
``axis`` (``None``: over everything, batch included, so the loss is one
number; ``axis=(1, 2, 3)`` gives one value per image), as Keras 3 defines
them.
"""
from __future__ import annotations

from .. import backend, ops
from .loss import TensorLike, _BuiltinLoss, _prediction_and_target


def _axis(axis):
    if axis is None or isinstance(axis, int):
        return axis
    return tuple(int(a) for a in axis)


def dice(y_true: TensorLike, y_pred: TensorLike, axis=None) -> TensorLike:
    """``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)`` over ``axis``."""
    axis = _axis(axis)
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    total = ops.add(ops.add(ops.sum(y_true, axis=axis), ops.sum(y_pred, axis=axis)),
                    backend.epsilon())
    return ops.subtract(1.0, ops.divide(ops.multiply(intersection, 2.0), total))


def tversky(y_true: TensorLike, y_pred: TensorLike, alpha: float = 0.5, beta: float = 0.5,
            axis=None) -> TensorLike:
    """``1 - tp / (tp + alpha * fp + beta * fn + epsilon)``, soft counts summed over ``axis``.

    ``fp = sum((1 - y_pred) * y_true)`` and ``fn = sum(y_pred * (1 - y_true))``
    as Keras 3 names them; ``alpha = beta = 0.5`` gives the Dice loss.
    """
    axis = _axis(axis)
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    fp = ops.sum(ops.multiply(ops.subtract(1.0, y_pred), y_true), axis=axis)
    fn = ops.sum(ops.multiply(y_pred, ops.subtract(1.0, y_true)), axis=axis)
    denominator = ops.add(ops.add(intersection, ops.multiply(fp, float(alpha))),
                          ops.add(ops.multiply(fn, float(beta)), backend.epsilon()))
    return ops.subtract(1.0, ops.divide(intersection, denominator))


class Dice(_BuiltinLoss):
    """The Dice loss ``1 - 2|Y ∩ P| / (|Y| + |P|)`` over ``axis`` (``None``: all axes).

    >>> y_true = [[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]]
    >>> y_pred = [[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]]
    >>> [round(float(v), 4) for v in Dice(axis=(1, 2, 3), reduction=None)(y_true, y_pred)]
    [0.5, 0.7576]
    """

    _arguments = ("axis",)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Tversky(_BuiltinLoss):
    """The Tversky loss: Dice with false positives weighted ``alpha`` and false negatives ``beta``.

    >>> round(float(Tversky(alpha=0.3, beta=0.7)([[1.0, 0.0]], [[0.6, 0.3]])), 4)
    0.3548
    """

    _arguments = ("alpha", "beta", "axis")

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha,
                         beta=beta, axis=axis)
