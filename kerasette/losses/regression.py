"""Regression losses: mean squared/absolute (percentage) error, mean squared logarithmic error, cosine similarity, Huber and log-cosh.

The functions, Keras' short names and aliases (``mse``, ``mae``, ``mape``,
``msle``, ``logcosh``, ``cosine_proximity``) and the Loss classes.
"""
from __future__ import annotations

import math

from .. import backend, ops
from .loss import TensorLike, _BuiltinLoss, _l2_normalize, _prediction_and_target, squeeze_or_expand_to_same_rank


def mean_squared_error(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    scale = ops.maximum(ops.abs(y_true), backend.epsilon())
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred), scale))
    return ops.multiply(ops.mean(diff, axis=-1), 100.0)


def mean_squared_logarithmic_error(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    epsilon = backend.epsilon()
    first_log = ops.log(ops.add(ops.maximum(y_pred, epsilon), 1.0))
    second_log = ops.log(ops.add(ops.maximum(y_true, epsilon), 1.0))
    return ops.mean(ops.square(ops.subtract(first_log, second_log)), axis=-1)


def log_cosh(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``.

    Computed as ``x + softplus(-2x) - log(2)``, which cannot overflow.
    """
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    error = ops.subtract(y_pred, y_true)
    value = ops.subtract(ops.add(error, ops.softplus(ops.multiply(error, -2.0))), math.log(2.0))
    return ops.mean(value, axis=-1)


def huber(y_true: TensorLike, y_pred: TensorLike, delta: float = 1.0) -> TensorLike:
    """Quadratic for small errors, linear for large ones, averaged over the last axis.

    ``0.5 x^2`` where ``|x| <= delta``, else ``delta |x| - 0.5 delta^2`` (``x = y_pred - y_true``).
    """
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    delta = float(delta)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    quadratic = ops.multiply(ops.square(error), 0.5)
    linear = ops.subtract(ops.multiply(abs_error, delta), 0.5 * delta * delta)
    return ops.mean(ops.where(ops.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def cosine_similarity(y_true: TensorLike, y_pred: TensorLike, axis: int = -1) -> TensorLike:
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for identical directions."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    product = ops.multiply(_l2_normalize(y_true, axis), _l2_normalize(y_pred, axis))
    return ops.negative(ops.sum(product, axis=axis))


# Keras' short names and legacy aliases
mse = MSE = mean_squared_error


mae = MAE = mean_absolute_error


mape = MAPE = mean_absolute_percentage_error


msle = MSLE = mean_squared_logarithmic_error


logcosh = log_cosh


cosine_proximity = cosine_similarity


class MeanSquaredError(_BuiltinLoss):
    """``mean(square(y_true - y_pred))``.

    >>> float(MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(_BuiltinLoss):
    """``mean(abs(y_true - y_pred))``.

    >>> float(MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsolutePercentageError(_BuiltinLoss):
    """``100 * mean(abs((y_true - y_pred) / y_true))``.

    >>> float(MeanAbsolutePercentageError()([[2.0]], [[1.0]]))
    50.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error",
                 dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction,
                         dtype=dtype)


class MeanSquaredLogarithmicError(_BuiltinLoss):
    """``mean(square(log(y_true + 1) - log(y_pred + 1)))``.

    >>> round(float(MeanSquaredLogarithmicError()([[0.0]], [[1.0]])), 4)
    0.4805
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error",
                 dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction,
                         dtype=dtype)


class CosineSimilarity(_BuiltinLoss):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: minimising aligns the vectors.

    >>> float(CosineSimilarity()([[1.0, 0.0]], [[2.0, 0.0]]))
    -1.0
    """

    _arguments = ("axis",)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Huber(_BuiltinLoss):
    """Quadratic below ``delta``, linear above: ``0.5 x^2`` or ``delta |x| - 0.5 delta^2``.

    >>> float(Huber(delta=1.0)([[0.0]], [[3.0]]))
    2.5
    """

    _arguments = ("delta",)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)


class LogCosh(_BuiltinLoss):
    """``mean(log(cosh(y_pred - y_true)))``.

    >>> round(float(LogCosh()([[0.0]], [[1.0]])), 4)
    0.4338
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)

