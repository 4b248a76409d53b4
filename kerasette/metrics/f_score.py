"""F-scores: FBetaScore and F1Score over one-hot (multi-label) targets.

Each batch adds weighted true-positive, false-positive and false-negative
counts per class (or in total with ``average='micro'``) and the weighted
label sums; ``result()`` combines them as Keras 3 does:
``(1 + beta**2) * P * R / (beta**2 * P + R + epsilon)`` with ``P``, ``R``
carrying an ``epsilon`` in their denominators too, then averages per
``average`` (None: one score per class; 'macro': their mean; 'weighted':
weighted by the label sums).  Without ``threshold`` a row's largest score(s)
count as positive; with it, scores above the threshold.
"""
from __future__ import annotations

from .. import backend
from .base import Metric, to_array

__all__ = ["FBetaScore", "F1Score"]


class FBetaScore(Metric):
    """The F-beta score of 2-D one-hot targets and scores ``(batch, classes)``.

    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> [round(float(v), 4) for v in m.result()]
    [0.3846, 0.9091, 0.8333]
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, 'micro', "
                             f"'macro', 'weighted'}}. Received: average={average!r}")
        if not isinstance(beta, float):
            raise ValueError("Invalid `beta` argument value. It should be a Python float. "
                             f"Received: beta={beta!r} of type {type(beta).__name__}")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: "
                             f"beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError("Invalid `threshold` argument value. It should be a Python float. "
                                 f"Received: threshold={threshold!r} of type "
                                 f"{type(threshold).__name__}")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError("Invalid `threshold` argument value. It should verify "
                                 f"0 < threshold <= 1. Received: threshold={threshold}")
        super().__init__(name=name, dtype=dtype)
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"{type(self).__name__} expects 2D inputs with shape (batch_size, "
                             f"output_dim). Received input shapes: y_pred.shape={y_pred_shape} "
                             f"and y_true.shape={y_true_shape}.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", name="false_positives")
        self.false_negatives = self.add_variable(shape, "zeros", name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, "zeros",
                                                      name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        xp = backend.array_module()
        y_true = to_array(y_true, self.dtype)
        y_pred = to_array(y_pred, self.dtype)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{type(self).__name__}: y_true and y_pred must have the same shape, "
                             f"got y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}")
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        elif y_pred.ndim != 2 or (self.average != "micro"
                                  and y_pred.shape[-1] != self.true_positives.shape[0]):
            raise ValueError(f"{type(self).__name__} was built for "
                             f"{self.true_positives.shape[0] if self.true_positives.shape else '?'}"
                             f" classes, got y_pred.shape={y_pred.shape}")
        if self.threshold is None:
            top = y_pred.max(axis=-1, keepdims=True)
            predicted = (y_pred >= top) & (xp.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(self.dtype)
        weight = None if sample_weight is None else to_array(sample_weight, self.dtype)

        def weighted_sum(value):
            if weight is not None:
                value = value * xp.expand_dims(weight, 1)
            return value.sum(axis=self.axis, dtype=self.dtype)

        updates = ((self.true_positives, predicted * y_true),
                   (self.false_positives, predicted * (1 - y_true)),
                   (self.false_negatives, (1 - predicted) * y_true),
                   (self.intermediate_weights, y_true))
        for variable, value in updates:
            variable.assign(variable.data + weighted_sum(value))

    def result(self):
        if not self._built:
            return self._scalar(0.0)
        xp = backend.array_module()
        epsilon = backend.epsilon()
        tp, fp, fn = self.true_positives.data, self.false_positives.data, self.false_negatives.data
        precision = tp / (tp + fp + epsilon)
        recall = tp / (tp + fn + epsilon)
        beta2 = self.beta ** 2
        score = precision * recall / (beta2 * precision + recall + epsilon) * (1 + beta2)
        if self.average == "weighted":
            weights = self.intermediate_weights.data
            score = (score * (weights / (weights.sum() + epsilon))).sum()
        elif self.average is not None:
            score = xp.mean(score)
        return self._scalar(score)

    def reset_state(self) -> None:
        for variable in self.variables:
            variable.assign(backend.array_module().zeros(variable.shape, dtype=variable.dtype))

    def get_config(self) -> dict:
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score: ``FBetaScore`` with ``beta=1``.

    >>> m = F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> [round(float(v), 4) for v in m.result()]
    [0.5, 0.8, 0.6667]
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config
