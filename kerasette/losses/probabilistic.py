"""Probabilistic losses: the cross-entropies (binary, categorical, sparse categorical), KL divergence and Poisson.

The functions, Keras' aliases (``kld``, ``KLD``,
``kullback_leibler_divergence``) and the Loss classes.
"""
from __future__ import annotations

import warnings

import numpy

from .. import backend, ops
from ..ops.masking import set_mask
from .loss import (TensorLike, _BuiltinLoss, _last_dim, _prediction_and_target, _rank, _tensor,
                   squeeze_or_expand_to_same_rank)


def kl_divergence(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """``sum(y_true * log(y_true / y_pred), axis=-1)``, both clipped to ``[epsilon, 1]``."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_true = ops.clip(y_true, backend.epsilon(), 1.0)
    y_pred = ops.clip(y_pred, backend.epsilon(), 1.0)
    return ops.sum(ops.multiply(y_true, ops.log(ops.divide(y_true, y_pred))), axis=-1)


def poisson(y_true: TensorLike, y_pred: TensorLike) -> TensorLike:
    """``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    log_pred = ops.log(ops.add(y_pred, backend.epsilon()))
    return ops.mean(ops.subtract(y_pred, ops.multiply(y_true, log_pred)), axis=-1)


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, (int, numpy.integer)):
        raise ValueError(f"`axis` must be an int, got {axis!r} of type {type(axis).__name__}")
    return int(axis)


def categorical_crossentropy(y_true: TensorLike, y_pred: TensorLike, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> TensorLike:
    """Cross-entropy of one-hot (or soft) labels and probabilities (or logits), per sample.

    ``label_smoothing=0.1`` uses ``0.1 / num_classes`` for the other classes
    and ``0.9 + 0.1 / num_classes`` for the target class.
    """
    axis = _check_axis(axis)
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    if _last_dim(y_pred) == 1:
        warnings.warn("In loss categorical_crossentropy, expected y_pred.shape to be "
                      f"(batch_size, num_classes) with num_classes > 1, got {tuple(y_pred.shape)}. "
                      "Consider using 'binary_crossentropy' if you only have 2 classes.",
                      stacklevel=2)
    if label_smoothing:
        label_smoothing = float(label_smoothing)
        num_classes = _last_dim(y_true)
        if num_classes is None:
            num_classes = ops.cast(ops.axis_size(y_true, _rank(y_true) - 1), y_pred.dtype)
            share = ops.divide(label_smoothing, num_classes)
        else:
            share = label_smoothing / num_classes
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), share)
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _sparse_crossentropy_and_mask(y_true, y_pred, from_logits, ignore_class, axis):
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true)
    if _rank(y_true) == _rank(y_pred) and _last_dim(y_true) == 1:
        y_true = ops.squeeze(y_true, -1)
    valid = None
    if ignore_class is not None:
        valid = ops.not_equal(y_true, ignore_class)
        # an ignored entry gets label 0 so the op sees a valid index; its loss
        # (and so its gradient) is zeroed below.  Unlike Keras, y_pred is not
        # zeroed: probabilities of all zeros would be 0/0 in the backward pass.
        y_true = ops.multiply(y_true, ops.cast(valid, y_true.dtype))
    result = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits,
                                                 axis=axis)
    if valid is not None:
        result = ops.where(valid, result, 0.0)
    return result, valid


def sparse_categorical_crossentropy(y_true: TensorLike, y_pred: TensorLike,
                                    from_logits: bool = False, ignore_class=None,
                                    axis: int = -1) -> TensorLike:
    """Cross-entropy of integer labels and probabilities (or logits), per sample.

    Labels of shape ``(N,)`` or ``(N, 1)`` against predictions ``(N, C)``.
    ``ignore_class`` (e.g. -1 or 255 in segmentation maps) gives those
    entries a loss of 0 and a mask that the Loss class and the metrics use
    to average over the other entries only.
    """
    axis = _check_axis(axis)
    result, valid = _sparse_crossentropy_and_mask(y_true, y_pred, from_logits, ignore_class,
                                                  axis)
    if valid is not None:
        set_mask(result, valid)
    return result


def binary_crossentropy(y_true: TensorLike, y_pred: TensorLike, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> TensorLike:
    """Mean over ``axis`` of the elementwise binary cross-entropy.

    ``label_smoothing`` squeezes the labels towards 0.5:
    ``y * (1 - label_smoothing) + 0.5 * label_smoothing``.
    """
    axis = _check_axis(axis)
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if label_smoothing:
        label_smoothing = float(label_smoothing)
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    elementwise = ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits)
    return ops.mean(elementwise, axis=axis)


kld = KLD = kullback_leibler_divergence = kl_divergence


class KLDivergence(_BuiltinLoss):
    """``sum(y_true * log(y_true / y_pred))``, both clipped to ``[epsilon, 1]``.

    >>> round(float(KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]])), 4)
    0.1438
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(_BuiltinLoss):
    """``mean(y_pred - y_true * log(y_pred + epsilon))``.

    >>> round(float(Poisson()([[1.0]], [[2.0]])), 4)
    1.3069
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


class BinaryCrossentropy(_BuiltinLoss):
    """Binary cross-entropy of 0/1 labels and probabilities (or logits with ``from_logits=True``).

    >>> bce = BinaryCrossentropy(from_logits=True)
    >>> round(float(bce([[0.0, 1.0], [0.0, 0.0]], [[-18.6, 0.51], [2.94, -12.8]])), 3)
    0.865
    """

    _arguments = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy of one-hot labels and class probabilities (or logits).

    >>> cce = CategoricalCrossentropy()
    >>> round(float(cce([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])), 3)
    1.177
    """

    _arguments = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_BuiltinLoss):
    """Cross-entropy of integer labels and class probabilities (or logits).

    With ``ignore_class``, entries of that label count neither in the sum
    nor in the number the default reduction divides by.

    >>> scce = SparseCategoricalCrossentropy()
    >>> round(float(scce([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])), 3)
    1.177
    """

    _arguments = ("from_logits", "ignore_class")

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class)

