"""The Loss base class and what every loss shares: reductions, masks and sample weights.

``Loss``, ``LossFunctionWrapper`` and ``_BuiltinLoss`` (the base of Keras'
built-in loss classes); ``REDUCTIONS``, ``standardize_reduction``,
``reduce_values`` and ``reduce_weighted_values``; ``apply_mask`` (a mask
folded into the sample weights); ``squeeze_or_expand_to_same_rank`` and the
small tensor helpers the loss functions and the metrics use.
"""
from __future__ import annotations

import re
from typing import Any

import numpy

from .. import backend, ops
from ..ops.masking import get_mask
from ..ops.math import dtype_name


#: an array, a Python number or list, an eager Tensor or a symbolic node
TensorLike = Any


#: the reductions a Loss accepts (Keras 3's list; Keras 2's "auto" is read as the default)
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


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

    >>> from kerasette.losses import huber
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
        from . import serialize     # the registry, in the package's __init__
        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict):
        from . import deserialize   # the registry, in the package's __init__
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

