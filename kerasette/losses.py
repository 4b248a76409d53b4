"""Loss functions and Loss classes: Keras 3's names, arguments, formulas and reduction.

Two faces, as in Keras:

* loss *functions* (``mean_squared_error``, ``categorical_crossentropy``, ...)
  take ``y_true, y_pred`` and return one value per sample (the mean, or sum,
  over the last axis already taken), unreduced over the batch;
* loss *classes* (``MeanSquaredError()``, ``CategoricalCrossentropy(from_logits=True)``)
  are called as ``loss(y_true, y_pred, sample_weight=None)``: they run the
  function, weight the per-sample values and reduce them to the scalar a
  model minimises (``reduction='sum_over_batch_size'`` by default).

Everything is written with ``kerasette.ops`` only, so one definition serves a
compiled training graph (symbolic nodes, batch size unknown until run time),
eager Tensors (the gradient flows back through ``backward()``) and plain
arrays (metrics use the functions on numpy predictions).  The
cross-entropies hand over to the fused ops of ``kerasette.ops.nn``, whose
gradient is one vectorised pass.  float32 stays float32: Python constants
never widen a float32 tensor.

``get``, ``serialize`` and ``deserialize`` read and write Keras' identifiers
and configs (Keras 3's ``{"module", "class_name", "config",
"registered_name"}`` and Keras 2's ``{"class_name", "config"}`` with
``reduction="auto"``).

>>> from kerasette import losses
>>> losses.MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]])   # mean over both axes
array(0.5, dtype=float32)
"""
from __future__ import annotations

import math
import re
import warnings
from typing import Any

import numpy

from . import backend, ops
from .ops.masking import get_mask, set_mask
from .ops.math import dtype_name
from .serialization import Keras3Registry

#: an array, a Python number or list, an eager Tensor or a symbolic node
TensorLike = Any

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Hinge", "SquaredHinge",
    "CategoricalHinge", "LogCosh", "Huber", "CategoricalCrossentropy", "BinaryCrossentropy",
    "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "CosineSimilarity",
    "mean_squared_error", "mse", "MSE", "mean_absolute_error", "mae", "MAE",
    "mean_absolute_percentage_error", "mape", "MAPE", "mean_squared_logarithmic_error", "msle",
    "MSLE", "squared_hinge", "hinge", "categorical_hinge", "log_cosh", "logcosh", "huber",
    "categorical_crossentropy", "binary_crossentropy", "sparse_categorical_crossentropy",
    "kl_divergence", "kld", "KLD", "kullback_leibler_divergence", "poisson",
    "cosine_similarity", "cosine_proximity", "get", "serialize", "deserialize",
    "to_loss_object", "squeeze_or_expand_to_same_rank", "reduce_weighted_values",
    "REDUCTIONS",
]

#: the reductions a Loss accepts (Keras 3's list; Keras 2's "auto" is read as the default)
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# ------------------------------------------------------------------ helpers

def _tensor(x, dtype=None):
    """Arrays, Tensors and nodes pass through; numbers and lists become arrays (floats: floatx)."""
    if not (hasattr(x, "shape") and hasattr(x, "dtype")):
        x = backend.as_array(x)
    if dtype is not None and numpy.dtype(x.dtype) != numpy.dtype(dtype):
        x = ops.cast(x, dtype)
    return x


def _prediction_and_target(y_true, y_pred):
    """``y_pred`` as a float tensor and ``y_true`` cast to its dtype."""
    y_pred = _tensor(y_pred)
    if numpy.dtype(y_pred.dtype).kind != "f":
        y_pred = ops.cast(y_pred, backend.floatx())
    return _tensor(y_true, y_pred.dtype), y_pred


def _rank(x) -> int:
    return len(tuple(x.shape))


def _last_dim(x):
    shape = tuple(x.shape)
    return shape[-1] if shape else None


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1: bool = True):
    """Keras' fix-up for ranks that differ by one through a trailing axis of size 1.

    ``(N,)`` against ``(N, 1)``: the rank-1 side gains the axis (or, with
    ``expand_rank_1=False``, the other side loses it); ``(N, T)`` against
    ``(N, T, 1)``: the size-1 axis is dropped.  Anything else is left alone.
    """
    rank1, rank2 = _rank(x1), _rank(x2)
    if rank1 == rank2:
        return x1, x2
    if rank1 == rank2 + 1 and _last_dim(x1) == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    if rank2 == rank1 + 1 and _last_dim(x2) == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def _divide_no_nan(numerator, denominator):
    """``numerator / denominator``, 0 where the denominator is 0 (no NaN, no gradient blow-up)."""
    is_zero = ops.equal(denominator, 0.0)
    safe = ops.where(is_zero, 1.0, denominator)
    return ops.where(is_zero, 0.0, ops.divide(numerator, safe))


def _l2_normalize(x, axis):
    # x / max(||x||, epsilon) like keras.ops.normalize; the max sits under the
    # square root so a zero vector has a zero (not NaN) gradient
    epsilon = backend.epsilon()
    squared_norm = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.divide(x, ops.sqrt(ops.maximum(squared_norm, epsilon * epsilon)))


def _to_snake_case(name: str) -> str:
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# --------------------------------------------------------------- reduction

def standardize_reduction(reduction):
    """Check ``reduction``; Keras 2's ``'auto'`` means ``'sum_over_batch_size'``."""
    if reduction == "auto":
        return "sum_over_batch_size"
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`: expected one of "
                         f"{REDUCTIONS}, got {reduction!r}")
    return reduction


def apply_mask(sample_weight, mask, dtype, reduction):
    """Fold a mask into the sample weights, as Keras does.

    For the averaging reductions the kept entries are scaled by
    ``total / valid`` so that the mean over all entries equals the mean over
    the valid ones.
    """
    if mask is None:
        return sample_weight
    mask = _tensor(mask, dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        # total / valid == 1 / mean(mask), which needs no static size
        mask = ops.multiply(mask, _divide_no_nan(1.0, ops.mean(mask)))
    if sample_weight is None:
        return mask
    sample_weight = _tensor(sample_weight, dtype)
    mask, sample_weight = squeeze_or_expand_to_same_rank(mask, sample_weight)
    return ops.multiply(sample_weight, mask)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Sum, or sum divided by the number of elements (or by the summed weights)."""
    shape = tuple(values.shape)
    if reduction is None or reduction == "none" or shape == () or shape == (0,):
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return _divide_no_nan(ops.sum(values), ops.sum(sample_weight))
    # sum / number of elements, counted at run time when the batch size is unknown
    return ops.mean(values)


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype=None):
    """Weight per-sample losses and reduce them: Keras 3's ``reduce_weighted_values``.

    ``sample_weight`` of shape ``(N,)`` meets losses of shape ``(N,)``
    directly and ``(N, 1)`` weights are squeezed to it; ``(N,)`` weights
    against ``(N, T)`` losses weight each sample's steps (tf.keras' rule).
    ``'sum_over_batch_size'`` divides by the number of loss *elements*
    (zero-weighted ones included), like Keras.
    """
    reduction = standardize_reduction(reduction)
    values = _tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = _tensor(sample_weight, values.dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        sample_weight = _per_sample_weights_to_rank(sample_weight, values)
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)


def _per_sample_weights_to_rank(sample_weight, values):
    """``(N,)`` weights against ``(N, T, ...)`` losses gain trailing axes: ``(N, 1, ...)``.

    Keras 3 leaves them to broadcast (an error, or worse a wrong product when
    ``T == N``); tf.keras expanded them, which is what ``fit(sample_weight=...)``
    on sequence outputs needs.  Only weights whose first axis can be the batch
    axis are expanded.
    """
    weight_shape, value_shape = tuple(sample_weight.shape), tuple(values.shape)
    if not 1 <= len(weight_shape) < len(value_shape):
        return sample_weight
    first, batch = weight_shape[0], value_shape[0]
    if first is not None and batch is not None and first != batch and first != 1:
        return sample_weight
    if weight_shape.count(None) > 1:
        return sample_weight    # a reshape could not name more than one unknown size
    missing = len(value_shape) - len(weight_shape)
    target = tuple(-1 if d is None else d for d in weight_shape) + (1,) * missing
    return ops.reshape(sample_weight, target)


# ---------------------------------------------------------- loss functions

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


def cosine_similarity(y_true: TensorLike, y_pred: TensorLike, axis: int = -1) -> TensorLike:
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for identical directions."""
    y_true, y_pred = _prediction_and_target(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    product = ops.multiply(_l2_normalize(y_true, axis), _l2_normalize(y_pred, axis))
    return ops.negative(ops.sum(product, axis=axis))


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


# Keras' short names and legacy aliases
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
cosine_proximity = cosine_similarity


# ------------------------------------------------------------------ classes

class Loss:
    """Base class: subclasses implement ``call(y_true, y_pred)`` returning per-sample losses.

    ``__call__`` converts both inputs to the loss dtype (floatx), runs
    ``call``, applies ``sample_weight`` and any Keras mask on ``y_pred`` (or
    on the losses), and reduces.

    >>> class MeanCubed(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return ops.mean(ops.abs(y_pred - y_true) ** 3, axis=-1)
    >>> float(MeanCubed()([[0.0]], [[2.0]]))
    8.0
    """

    def __init__(self, name: str | None = None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or backend.unique_object_name(_to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype = None if dtype is None else dtype_name(dtype)

    @property
    def dtype(self) -> str:
        return self._dtype or backend.floatx()

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = get_mask(y_pred)
        y_pred = _tensor(y_pred, self.dtype)
        y_true = _tensor(y_true, self.dtype)
        losses = self.call(y_true, y_pred)
        out_mask = get_mask(losses)
        if in_mask is not None and out_mask is not None:
            mask = ops.logical_and(in_mask, out_mask)
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(losses, sample_weight=sample_weight, mask=mask,
                                      reduction=self.reduction, dtype=self.dtype)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def get_config(self) -> dict:
        config = {"name": self.name, "reduction": self.reduction}
        if self._dtype is not None:
            config["dtype"] = self._dtype
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, reduction={self.reduction}>"


class LossFunctionWrapper(Loss):
    """A Loss from a loss function: ``LossFunctionWrapper(fn, name=..., **fn_kwargs)``.

    ``y_true`` of shape ``(N,)`` against ``y_pred`` of shape ``(N, 1)`` (and
    the reverse) is fixed up first, as in Keras.

    >>> wrapped = LossFunctionWrapper(huber, delta=2.0, name="huber2")
    >>> float(wrapped([[0.0]], [[3.0]]))
    4.0
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A Keras built-in loss: the config lists the constructor's own arguments, never ``fn``."""

    #: names of the constructor arguments (besides reduction/name/dtype) kept as attributes;
    #: each is also a keyword argument of the loss function
    _arguments: tuple = ()

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **kwargs)
        for key in self._arguments:
            setattr(self, key, kwargs[key])

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update({key: getattr(self, key) for key in self._arguments})
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


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


# ----------------------------------------------------------- identifiers

_CLASSES = (Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, Huber,
            LogCosh, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson,
            BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy)
_FUNCTIONS = (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_logarithmic_error, cosine_similarity, huber, log_cosh, hinge,
              squared_hinge, categorical_hinge, kl_divergence, poisson, binary_crossentropy,
              categorical_crossentropy, sparse_categorical_crossentropy)

_BY_NAME: dict = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({fn.__name__: fn for fn in _FUNCTIONS})
_BY_NAME.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence,
    "kullback_leibler_divergence": kl_divergence,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "logcosh": log_cosh, "cosine_proximity": cosine_similarity, "huber_loss": huber,
})
_REGISTRY = Keras3Registry("loss", Loss, _BY_NAME, "keras.losses")
_lookup = _REGISTRY.lookup


def serialize(loss) -> dict | None:
    """Keras 3's form: ``{"module": "keras.losses", "class_name", "config", "registered_name"}``.

    A loss function gives ``class_name="function"`` and its name as config.
    """
    return _REGISTRY.serialize(loss)


def deserialize(config, custom_objects: dict | None = None):
    """The loss (instance or function) a ``serialize`` dict, a Keras 2 dict or a name describes."""
    return _REGISTRY.deserialize(config, custom_objects)


def get(identifier):
    """A loss from None, a name, a config dict, a class, a function or a Loss instance.

    Function names and aliases give the function (``get("mse") is
    mean_squared_error``); class names give a fresh instance
    (``get("MeanSquaredError")``), as in Keras 3.
    """
    return _REGISTRY.get(identifier)


def to_loss_object(identifier) -> Loss | None:
    """What ``Model.compile`` needs: always a ``Loss`` instance.

    A function (given as such or by name) is wrapped in a
    ``LossFunctionWrapper`` named after it, as Keras 3's compile does:
    ``to_loss_object("mse").name == "mean_squared_error"``.
    """
    obj = get(identifier)
    if obj is None or isinstance(obj, Loss):
        return obj
    name = getattr(obj, "__name__", None) or _to_snake_case(type(obj).__name__)
    return LossFunctionWrapper(obj, name=name)
