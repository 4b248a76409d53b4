"""Regression metrics: running means of the regression losses, RMSE and cosine similarity.

``MeanSquaredError``, ``MeanAbsoluteError``, ``MeanAbsolutePercentageError``,
``MeanSquaredLogarithmicError`` and ``LogCoshError`` average the loss
functions of ``kerasette.losses`` over every sample seen; ``RootMeanSquaredError``
is the square root of the running mean of squared errors (not the mean of
per-batch roots); ``CosineSimilarity`` averages the *positive* cosine (the
loss of the same name is its negative).  Names and configs are Keras 3's.
"""
from __future__ import annotations

from typing import Any

from .. import backend, losses, ops
from ..losses import _l2_normalize, _prediction_and_target, squeeze_or_expand_to_same_rank
from .base import Mean, _FunctionMetric, to_array

__all__ = ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "RootMeanSquaredError", "CosineSimilarity",
           "LogCoshError", "cosine_similarity"]

TensorLike = Any


def cosine_similarity(y_true: TensorLike, y_pred: TensorLike, axis: int = -1) -> TensorLike:
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: 1 for identical directions."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.sum(ops.multiply(_l2_normalize(y_true, axis), _l2_normalize(y_pred, axis)),
                   axis=axis)


class MeanSquaredError(_FunctionMetric):
    """Running mean of ``mean(square(y_true - y_pred), axis=-1)``.

    >>> m = MeanSquaredError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.25
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(_FunctionMetric):
    """Running mean of ``mean(abs(y_true - y_pred), axis=-1)``.

    >>> m = MeanAbsoluteError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.25
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_FunctionMetric):
    """Running mean of ``100 * mean(abs((y_true - y_pred) / y_true), axis=-1)``.

    >>> m = MeanAbsolutePercentageError(); m.update_state([[2.0], [4.0]], [[1.0], [4.0]])
    >>> float(m.result())
    25.0
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_FunctionMetric):
    """Running mean of ``mean(square(log(y_true + 1) - log(y_pred + 1)), axis=-1)``.

    >>> m = MeanSquaredLogarithmicError(); m.update_state([[0.0]], [[1.0]])
    >>> round(float(m.result()), 4)
    0.4805
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(losses.mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(_FunctionMetric):
    """Running mean of ``mean(log(cosh(y_pred - y_true)), axis=-1)``.

    >>> m = LogCoshError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> round(float(m.result()), 4)
    0.1084
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(losses.log_cosh, name=name, dtype=dtype)


class CosineSimilarity(_FunctionMetric):
    """Running mean of the cosine between label and prediction vectors along ``axis``.

    >>> m = CosineSimilarity(axis=1); m.update_state([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]])
    >>> round(float(m.result()), 4)
    0.5
    """

    _arguments = ("axis",)

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the running (weighted) mean of squared errors over all elements seen.

    >>> m = RootMeanSquaredError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = to_array(y_true, self.dtype)
        y_pred = to_array(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state((y_pred - y_true) ** 2, sample_weight=sample_weight)

    def result(self):
        return backend.array_module().sqrt(super().result())
