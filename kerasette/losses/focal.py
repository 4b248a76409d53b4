"""Focal and noise-robust cross-entropies: binary and categorical focal cross-entropy, generalized CE.

Keras 3's ``binary_focal_crossentropy`` / ``BinaryFocalCrossentropy``,
``categorical_focal_crossentropy`` / ``CategoricalFocalCrossentropy`` (Lin et
al., 2018: a ``(1 - p_t) ** gamma`` factor down-weights the examples the model
already gets right) and ``categorical_generalized_cross_entropy`` /
``CategoricalGeneralizedCrossEntropy`` (Zhang & Sabuncu, 2018:
``(1 - p ** q) / q`` of the true class' probability).  They sit beside the
plain cross-entropies of ``probabilistic.py`` as Keras keeps them together,
in a file of their own to keep the family files short.
"""
from __future__ import annotations

import warnings

from .. import backend, ops
from .loss import TensorLike, _BuiltinLoss, _last_dim, _prediction_and_target, _rank, _tensor
from .probabilistic import _check_axis


def binary_focal_crossentropy(y_true: TensorLike, y_pred: TensorLike,
                              apply_class_balancing: bool = False, alpha: float = 0.25,
                              gamma: float = 2.0, from_logits: bool = False,
                              label_smoothing: float = 0.0, axis: int = -1) -> TensorLike:
    """Mean over ``axis`` of ``(1 - p_t) ** gamma * bce``, ``p_t`` the probability of the label.

    With ``apply_class_balancing`` each entry is also weighted by ``alpha``
    (label 1) or ``1 - alpha`` (label 0).  ``gamma=0`` gives the binary
    cross-entropy.
    """
    axis = _check_axis(axis)
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    if label_smoothing:
        label_smoothing = float(label_smoothing)
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = ops.binary_crossentropy(y_true, y_pred, from_logits=False)
    # p_t = y * p + (1 - y) * (1 - p)
    p_t = ops.add(ops.multiply(y_true, y_pred),
                  ops.multiply(ops.subtract(1.0, y_true), ops.subtract(1.0, y_pred)))
    focal = ops.multiply(ops.power(ops.subtract(1.0, p_t), float(gamma)), bce)
    if apply_class_balancing:
        alpha = float(alpha)
        weight = ops.add(ops.multiply(y_true, alpha),
                         ops.multiply(ops.subtract(1.0, y_true), 1.0 - alpha))
        focal = ops.multiply(weight, focal)
    return ops.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true: TensorLike, y_pred: TensorLike, alpha=0.25,
                                   gamma: float = 2.0, from_logits: bool = False,
                                   label_smoothing: float = 0.0, axis: int = -1) -> TensorLike:
    """``sum(alpha * (1 - p) ** gamma * -y * log(p), axis)``, ``p`` renormalised and clipped.

    ``alpha`` may be a scalar or one weight per class.  The predictions are
    divided by their sum over ``axis`` and clipped to ``[epsilon, 1 - epsilon]``
    (softmax first with ``from_logits=True``).
    """
    axis = _check_axis(axis)
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    if _last_dim(y_pred) == 1:
        warnings.warn("In loss categorical_focal_crossentropy, expected y_pred.shape to be "
                      f"(batch_size, num_classes) with num_classes > 1, got {tuple(y_pred.shape)}. "
                      "Consider using 'binary_crossentropy' if you only have 2 classes.",
                      SyntaxWarning, stacklevel=2)
    if label_smoothing:
        label_smoothing = float(label_smoothing)
        num_classes = _last_dim(y_true)
        if num_classes is None:
            num_classes = ops.cast(ops.axis_size(y_true, _rank(y_true) - 1), y_pred.dtype)
            share = ops.divide(label_smoothing, num_classes)
        else:
            share = label_smoothing / num_classes
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), share)
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    output = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    epsilon = backend.epsilon()
    output = ops.clip(output, epsilon, 1.0 - epsilon)
    cce = ops.multiply(ops.negative(y_true), ops.log(output))
    factor = ops.power(ops.subtract(1.0, output), float(gamma))
    if isinstance(alpha, (int, float)):
        factor = ops.multiply(factor, float(alpha))
    else:
        factor = ops.multiply(factor, _tensor(alpha, y_pred.dtype))
    return ops.sum(ops.multiply(factor, cce), axis=axis)


def categorical_generalized_cross_entropy(y_true: TensorLike, y_pred: TensorLike,
                                          q: float) -> TensorLike:
    """``(1 - p ** q) / q`` with ``p`` the predicted probability of the integer label.

    Labels of shape ``(N,)`` (or ``(N, 1)``) against probabilities ``(N, C)``.
    """
    y_pred = _tensor(y_pred)
    y_true = _tensor(y_true)
    if _rank(y_true) == _rank(y_pred) and _last_dim(y_true) == 1 and _rank(y_true) > 1:
        y_true = ops.squeeze(y_true, -1)
    num_classes = _last_dim(y_pred)
    if num_classes is None:
        raise ValueError("categorical_generalized_cross_entropy needs the number of classes "
                         f"(y_pred's last axis) to be known, got y_pred.shape={tuple(y_pred.shape)}")
    one_hot = ops.one_hot(ops.cast(y_true, "int32"), num_classes, dtype=y_pred.dtype)
    p = ops.sum(ops.multiply(y_pred, one_hot), axis=-1)
    q = float(q)
    return ops.divide(ops.subtract(1.0, ops.power(p, q)), q)


class BinaryFocalCrossentropy(_BuiltinLoss):
    """Binary cross-entropy scaled by a focal factor ``(1 - p_t) ** gamma`` (Lin et al., 2018).

    >>> loss = BinaryFocalCrossentropy(gamma=2.0, from_logits=True)
    >>> round(float(loss([[0, 1], [0, 0]], [[-18.6, 0.51], [2.94, -12.8]])), 3)
    0.691
    """

    _arguments = ("apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing",
                  "axis")

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalFocalCrossentropy(_BuiltinLoss):
    """Categorical cross-entropy scaled by ``alpha * (1 - p) ** gamma`` per class.

    >>> loss = CategoricalFocalCrossentropy()
    >>> round(float(loss([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])), 4)
    0.2332
    """

    _arguments = ("alpha", "gamma", "from_logits", "label_smoothing", "axis")

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(categorical_focal_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalGeneralizedCrossEntropy(_BuiltinLoss):
    """Generalized cross-entropy ``(1 - p ** q) / q`` of integer labels; ``q`` in ``(0, 1)``.

    >>> loss = CategoricalGeneralizedCrossEntropy(q=0.5)
    >>> round(float(loss([0, 1], [[0.7, 0.3], [0.2, 0.8]])), 4)
    0.2689
    """

    _arguments = ("q",)

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        if not 0 < q < 1:
            raise ValueError(f"`q` must be in the interval (0, 1), got q={q!r}")
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction,
                         dtype=dtype, q=q)
