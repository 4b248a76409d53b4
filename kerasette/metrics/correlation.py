"""Goodness-of-fit metrics: Pearson and concordance correlation (per sample) and R2Score.

``pearson_correlation`` / ``concordance_correlation`` compute one
coefficient per sample along ``axis`` (written with ``kerasette.ops``, so they
also serve as graph functions); ``PearsonCorrelation`` and
``ConcordanceCorrelation`` average them over the samples seen.  The
concordance formula is Keras 3.15's exactly: its covariance term is
``(y_true - mean(y_pred)) * (y_pred - mean(y_pred))``.

``R2Score`` accumulates per-output weighted sums (Keras 3's ``squared_sum``,
``sum``, ``residual``, ``count`` and the element count ``num_samples``) and
reports the coefficient of determination, averaged uniformly or by variance,
optionally adjusted for ``num_regressors``.
"""
from __future__ import annotations

import warnings

import numpy

from .. import backend, ops
from ..losses import TensorLike, _prediction_and_target, squeeze_or_expand_to_same_rank
from .base import Metric, _FunctionMetric, to_array

__all__ = ["pearson_correlation", "concordance_correlation", "PearsonCorrelation",
           "ConcordanceCorrelation", "R2Score"]


def pearson_correlation(y_true: TensorLike, y_pred: TensorLike, axis: int = -1) -> TensorLike:
    """Pearson's r of ``y_true`` and ``y_pred`` along ``axis`` (population standard deviations)."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    true_centred = ops.subtract(y_true, ops.mean(y_true, axis=axis, keepdims=True))
    pred_centred = ops.subtract(y_pred, ops.mean(y_pred, axis=axis, keepdims=True))
    true_centred = ops.divide(true_centred, ops.std(true_centred, axis=axis, keepdims=True))
    pred_centred = ops.divide(pred_centred, ops.std(pred_centred, axis=axis, keepdims=True))
    return ops.mean(ops.multiply(true_centred, pred_centred), axis=axis)


def concordance_correlation(y_true: TensorLike, y_pred: TensorLike,
                            axis: int = -1) -> TensorLike:
    """Lin's concordance correlation along ``axis``, as Keras 3.15 computes it."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    true_mean = ops.mean(y_true, axis=axis, keepdims=True)
    pred_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    true_var = ops.var(ops.subtract(y_true, true_mean), axis=axis, keepdims=True)
    pred_var = ops.var(ops.subtract(y_pred, pred_mean), axis=axis, keepdims=True)
    covariance = ops.multiply(ops.subtract(y_true, pred_mean), ops.subtract(y_pred, pred_mean))
    norm = ops.add(ops.add(true_var, pred_var), ops.square(ops.subtract(true_mean, pred_mean)))
    return ops.mean(ops.divide(ops.multiply(covariance, 2.0), ops.add(norm, backend.epsilon())),
                    axis=axis)


class PearsonCorrelation(_FunctionMetric):
    """Running mean of the per-sample Pearson correlation.

    >>> m = PearsonCorrelation()
    >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    >>> round(float(m.result()), 4)
    0.9967
    """

    _arguments = ("axis",)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(_FunctionMetric):
    """Running mean of the per-sample concordance correlation.

    >>> m = ConcordanceCorrelation()
    >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    >>> round(float(m.result()), 4)
    0.9816
    """

    _arguments = ("axis",)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)


class R2Score(Metric):
    """The coefficient of determination of 2-D targets ``(batch, outputs)``.

    >>> m = R2Score()
    >>> m.update_state([[1], [4], [3]], [[2], [4], [4]]); round(float(m.result()), 4)
    0.5714
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(f"Invalid value for argument `class_aggregation`. Expected one of "
                             f"{valid}. Received: class_aggregation={class_aggregation!r}")
        if num_regressors < 0:
            raise ValueError("Invalid value for argument `num_regressors`. Expected a value >= 0. "
                             f"Received: num_regressors={num_regressors}")
        super().__init__(name=name, dtype=dtype)
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim). "
                             f"Received input shapes: y_pred.shape={y_pred_shape} and "
                             f"y_true.shape={y_true_shape}.")
        outputs = (y_pred_shape[-1],)
        self.squared_sum = self.add_variable(outputs, "zeros", name="squared_sum")
        self.sum = self.add_variable(outputs, "zeros", name="sum")
        self.total_mse = self.add_variable(outputs, "zeros", name="residual")
        self.count = self.add_variable(outputs, "zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp = backend.array_module()
        y_true = to_array(y_true, self.dtype)
        y_pred = to_array(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if y_true.ndim != 2 or y_true.shape[-1] != self.sum.shape[0] or (
                y_pred.shape != y_true.shape):
            raise ValueError(f"R2Score was built for {self.sum.shape[0]} outputs; got "
                             f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}")
        weight = xp.asarray(1.0 if sample_weight is None else to_array(sample_weight),
                            dtype=self.dtype)
        if weight.ndim == 1:
            weight = xp.expand_dims(weight, 1)
        weight = xp.broadcast_to(weight, y_true.shape)
        weighted = y_true * weight
        self.sum.assign(self.sum.data + weighted.sum(axis=0))
        self.squared_sum.assign(self.squared_sum.data + (y_true * weighted).sum(axis=0))
        self.total_mse.assign(self.total_mse.data + ((y_true - y_pred) ** 2 * weight).sum(axis=0))
        self.count.assign(self.count.data + weight.sum(axis=0))
        self.num_samples.assign(self.num_samples.data + y_true.size)

    def result(self):
        if not self._built:
            return self._scalar(0.0)
        xp = backend.array_module()
        with numpy.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum.data / self.count.data
            total = self.squared_sum.data - self.sum.data * mean
            raw = 1 - self.total_mse.data / total
        raw = xp.where(xp.isinf(raw), 0.0, raw).astype(self.dtype)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw).sum() / total.sum()
        else:
            score = raw
        if self.num_regressors != 0:
            samples = float(self.num_samples.data)
            if self.num_regressors > samples - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 score. "
                              "Falling back to standard R2 score.", stacklevel=2)
            elif self.num_regressors == samples - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 "
                              "score.", stacklevel=2)
            else:
                n, p = numpy.float32(samples), numpy.float32(self.num_regressors)
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return self._scalar(score)

    def reset_state(self) -> None:
        for variable in self.variables:
            variable.assign(backend.array_module().zeros(variable.shape, dtype=variable.dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
