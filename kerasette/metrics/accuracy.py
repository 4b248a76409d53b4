"""Accuracy metrics: exact match, thresholded binary, arg-max categorical, sparse and top-k.

Each comes as a function (``binary_accuracy(y_true, y_pred)``: one value per
sample, 1.0 for a hit) written with ``kerasette.ops`` so it also runs in a
graph or on eager Tensors, and as a Metric class that keeps the running mean
(``BinaryAccuracy()``).  Shapes, thresholds, dtypes and tie rules are Keras
3's: ``y_pred > threshold`` (strictly), ``argmax`` takes the first of tied
maxima, and a label is in the top k when fewer than k classes score strictly
higher than it (ties straddling the boundary count as hits, like
``keras.ops.in_top_k``).
"""
from __future__ import annotations

from typing import Any

import numpy

from .. import backend, ops
from ..losses import _last_dim, _rank, _tensor, squeeze_or_expand_to_same_rank
from .base import _FunctionMetric

__all__ = ["accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "Accuracy",
           "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy"]

TensorLike = Any


def _same_dtype(x, dtype):
    return x if numpy.dtype(x.dtype) == numpy.dtype(dtype) else ops.cast(x, dtype)


def _hits(equal):
    return ops.cast(equal, backend.floatx())


def accuracy(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """Mean over the last axis of ``y_true == y_pred`` (exact equality)."""
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(_hits(ops.equal(y_true, y_pred)), axis=-1)


def binary_accuracy(y_true: TensorLike, y_pred: TensorLike, threshold: float = 0.5) -> TensorLike:
    """Mean over the last axis of ``y_true == (y_pred > threshold)``."""
    y_true = _tensor(y_true)
    y_pred = _tensor(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    predicted = ops.cast(ops.greater(y_pred, float(threshold)), y_true.dtype)
    return ops.mean(_hits(ops.equal(y_true, predicted)), axis=-1)


def categorical_accuracy(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """``argmax(y_true) == argmax(y_pred)`` per sample (one-hot labels)."""
    y_true = ops.argmax(_tensor(y_true), axis=-1)
    y_pred = _tensor(y_pred)
    squeezed = _rank(y_true) == _rank(y_pred)
    if squeezed:
        y_true = ops.squeeze(y_true, -1)
    y_pred = _same_dtype(ops.argmax(y_pred, axis=-1), y_true.dtype)
    matches = _hits(ops.equal(y_true, y_pred))
    # back to the labels' own shape, trailing 1 included
    return ops.expand_dims(matches, -1) if squeezed else matches


def sparse_categorical_accuracy(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """``y_true == argmax(y_pred)`` per sample (integer labels of shape (N,) or (N, 1))."""
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true)
    if _rank(y_true) == _rank(y_pred) and _last_dim(y_true) == 1:
        # (N, 1) labels: Keras restores that shape and then squeezes it again
        y_true = ops.squeeze(y_true, -1)
    y_pred = _same_dtype(ops.argmax(y_pred, axis=-1), y_true.dtype)
    matches = _hits(ops.equal(y_true, y_pred))
    if _rank(matches) > 1 and _last_dim(matches) == 1:
        matches = ops.squeeze(matches, -1)
    return matches


def in_top_k(targets: TensorLike, predictions: TensorLike, k: int) -> TensorLike:
    """Whether each integer target is among the ``k`` largest predictions of its row.

    A target is in when fewer than ``k`` classes score strictly higher, so
    classes tied at the boundary all count (Keras' numpy and TF behaviour).
    """
    targets = ops.cast(_tensor(targets), "int64")
    predictions = _tensor(predictions)
    target_scores = ops.take_along_axis(predictions, ops.expand_dims(targets, -1), axis=-1)
    higher = ops.sum(ops.cast(ops.greater(predictions, target_scores), "int32"), axis=-1)
    return ops.less(higher, int(k))


def _top_k_matches(labels, y_pred, k):
    true_shape = tuple(labels.shape)
    reshape = False
    if _rank(y_pred) > 2:
        y_pred = ops.reshape(y_pred, (-1, _last_dim(y_pred)))
    if _rank(labels) > 1:
        reshape = True
        labels = ops.reshape(labels, (-1,))
    matches = _hits(in_top_k(labels, y_pred, k))
    if reshape:
        matches = ops.reshape(matches, _reshape_target(true_shape))
    return matches


def _reshape_target(shape):
    unknown = [i for i, d in enumerate(shape) if d is None]
    if len(unknown) > 1:
        raise ValueError(f"top-k accuracy: cannot restore labels of shape {shape} with more "
                         f"than one unknown dimension")
    return tuple(-1 if d is None else d for d in shape)


def top_k_categorical_accuracy(y_true: TensorLike, y_pred: TensorLike, k: int = 5) -> TensorLike:
    """Whether the class of the one-hot ``y_true`` is among the top ``k`` predictions."""
    y_pred = _tensor(y_pred)
    labels = ops.argmax(_tensor(y_true), axis=-1)
    return _top_k_matches(labels, y_pred, k)


def sparse_top_k_categorical_accuracy(y_true: TensorLike, y_pred: TensorLike,
                                      k: int = 5) -> TensorLike:
    """Whether the integer label is among the top ``k`` predictions."""
    y_pred = _tensor(y_pred)
    labels = _tensor(y_true)
    return _top_k_matches(labels, y_pred, k)


class Accuracy(_FunctionMetric):
    """How often predictions equal labels exactly.

    >>> m = Accuracy(); m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> float(m.result())
    0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(_FunctionMetric):
    """How often ``y_pred > threshold`` matches the 0/1 label.

    >>> m = BinaryAccuracy(); m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> float(m.result())
    0.75
    """

    _arguments = ("threshold",)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and not 0 < threshold < 1:
            raise ValueError(f"Invalid value for argument `threshold`: expected a value in "
                             f"(0, 1), got {threshold}")
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(_FunctionMetric):
    """How often the arg-max of the prediction is the one-hot label's class.

    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(_FunctionMetric):
    """How often the arg-max of the prediction is the integer label.

    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(_FunctionMetric):
    """How often the one-hot label's class is among the ``k`` highest predictions.

    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    _arguments = ("k",)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(_FunctionMetric):
    """How often the integer label is among the ``k`` highest predictions.

    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    _arguments = ("k",)

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
