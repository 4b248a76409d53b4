"""Normalization: ``(x - mean) / sqrt(variance)`` per feature, statistics given or learned by ``adapt``.

The state is Keras 3's: an adapted layer holds three non-trainable weights,
``mean`` and ``variance`` (the shape of the kept axes) and ``count`` (an
integer Keras never updates, kept so weight files line up); a layer given
``mean`` and ``variance`` holds them in its config and has no weights.

Unlike Keras 3, which copies the weights into constants in
``finalize_state()``, ``call`` reads the weights every time (also inside a
compiled graph, where they enter as variables), so ``set_weights``,
``load_weights`` and loading a model take effect at once.
"""
from __future__ import annotations

import math

import numpy

from ... import backend, ops
from ...primitives.base import format_shape
from ..layer import Layer
from .data import adapt_batches

__all__ = ["Normalization"]


class Normalization(Layer):
    """Shifts and scales inputs to mean 0 and variance 1 along ``axis`` (the features).

    >>> layer = Normalization(axis=None)
    >>> layer.adapt(numpy.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    >>> layer(numpy.array([1.0, 2.0, 3.0]))
    array([-1.4142135 , -0.70710677,  0.        ], dtype=float32)

    ``invert=True`` maps normalized values back: ``mean + x * sqrt(variance)``.
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, (int, numpy.integer)):
            axis = (int(axis),)
        else:
            axis = tuple(int(a) for a in axis)
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError("Normalization: give both `mean` and `variance`, or neither "
                             f"(received mean={mean!r}, variance={variance!r})")
        if mean is not None:
            for argument, value in (("mean", mean), ("variance", variance)):
                if numpy.asarray(value).dtype.kind not in "biuf":
                    raise TypeError(f"Normalization: `{argument}` must be numbers, got {value!r}")
            if numpy.shape(mean) != numpy.shape(variance):
                raise ValueError("Normalization: `mean` and `variance` must have the same shape, got "
                                 f"{format_shape(numpy.shape(mean))} and {format_shape(numpy.shape(variance))}")
            if numpy.ndim(mean) > len(self.axis):
                raise ValueError(f"Normalization: `mean` of shape {format_shape(numpy.shape(mean))} has more "
                                 f"axes than `axis`={self.axis} keeps")
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True

    # ------------------------------------------------------------ shapes
    def _layout(self, input_shape):
        """(kept axes, reduced axes, broadcast shape, statistics shape) for ``input_shape``."""
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        for a in self.axis:
            if a < -rank or a >= rank:
                raise ValueError(f"Normalization '{self.name}': `axis`={self.axis} is out of range for inputs "
                                 f"of shape {format_shape(input_shape)}")
        keep = tuple(sorted(a % rank for a in self.axis))
        for a in keep:
            if input_shape[a] is None:
                raise ValueError(f"Normalization '{self.name}': axis {a} of the input shape "
                                 f"{format_shape(input_shape)} is kept (`axis`={self.axis}) and must have a "
                                 "known size")
        reduce = tuple(a for a in range(rank) if a not in keep)
        broadcast = tuple(input_shape[a] if a in keep else 1 for a in range(rank))
        stats = tuple(input_shape[a] for a in keep)
        return keep, reduce, broadcast, stats

    def build(self, input_shape):
        keep, reduce, broadcast, stats = self._layout(input_shape)
        if self.input_mean is not None:
            mean = numpy.asarray(self.input_mean, dtype="float64")
            variance = numpy.asarray(self.input_variance, dtype="float64")
            if mean.ndim:
                expanded = [1] * len(broadcast)
                for i in range(1, mean.ndim + 1):
                    expanded[keep[-i]] = mean.shape[-i]
                mean, variance = mean.reshape(expanded), variance.reshape(expanded)
            try:
                self._fixed = (numpy.broadcast_to(mean, broadcast).astype(self.dtype),
                               numpy.broadcast_to(variance, broadcast).astype(self.dtype))
            except ValueError:
                raise ValueError(f"Normalization '{self.name}': `mean` of shape "
                                 f"{format_shape(numpy.shape(self.input_mean))} does not broadcast to "
                                 f"{format_shape(broadcast)} for inputs of shape "
                                 f"{format_shape(tuple(input_shape))}") from None
        else:
            self._fixed = None
            self.adapt_mean = self.add_weight(name="mean", shape=stats, initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=stats, initializer="ones",
                                                  trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64", initializer="zeros",
                                         trainable=False)
        self._keep_axis, self._reduce_axis, self._broadcast_shape = keep, reduce, broadcast
        self._mean_and_var_shape = stats
        self._build_shapes = tuple(input_shape)
        self.built = True

    # ------------------------------------------------------------- adapt
    def adapt(self, data) -> None:
        """Learn the mean and variance of ``data`` (an array, or an iterable of batches).

        Nothing of the layer changes when ``data`` is refused (empty, strings,
        a kept axis of another size than the layer was built for).
        """
        if self.input_mean is not None:
            raise ValueError(f"Normalization '{self.name}' was given `mean` and `variance`; it cannot adapt")
        batches = adapt_batches(self, data, numeric=True)
        shape = batches[0].shape
        built_shape = getattr(self, "_build_shapes", None) if self.built else None
        keep, reduce, broadcast, stats = self._layout(built_shape if built_shape is not None else shape)
        for batch in batches:
            if batch.ndim != len(broadcast) or any(batch.shape[a] != broadcast[a] for a in keep):
                raise ValueError(f"Normalization '{self.name}': adapt(data) got a batch of shape "
                                 f"{format_shape(batch.shape)}, but the layer normalizes axes {keep} of size "
                                 f"{stats} (built for {format_shape(built_shape or shape)})")
        if len(batches) == 1 and isinstance(data, numpy.ndarray):
            mean, variance = numpy.mean(batches[0], axis=reduce), numpy.var(batches[0], axis=reduce)
        else:
            mean, variance = self._streamed_moments(batches, reduce, stats)
        if not self.built:
            self.build(shape)
        self.adapt_mean.assign(numpy.asarray(mean, dtype=self.dtype))
        self.adapt_variance.assign(numpy.asarray(variance, dtype=self.dtype))

    def _streamed_moments(self, batches, reduce, stats):
        # Keras 3's running update: merge each batch's mean and variance by its share of the count
        total_mean = numpy.zeros(stats, dtype=self.dtype)
        total_variance = numpy.zeros(stats, dtype=self.dtype)
        total_count = 0
        for batch in batches:
            batch = batch.astype(self.dtype)
            batch_mean = numpy.mean(batch, axis=reduce)
            batch_variance = numpy.var(batch, axis=reduce)
            batch_count = math.prod(batch.shape[a] for a in reduce) if reduce else 1
            total_count += batch_count
            batch_weight = float(batch_count) / total_count
            existing_weight = 1.0 - batch_weight
            new_mean = total_mean * existing_weight + batch_mean * batch_weight
            total_variance = ((total_variance + (total_mean - new_mean) ** 2) * existing_weight
                              + (batch_variance + (batch_mean - new_mean) ** 2) * batch_weight)
            total_mean = new_mean
        return total_mean, total_variance

    @property
    def mean(self):
        """The mean ``call`` subtracts, shaped to broadcast against the inputs (None before build)."""
        return self._statistic(0)

    @property
    def variance(self):
        """The variance ``call`` divides by (its square root), shaped like ``mean`` (None before build)."""
        return self._statistic(1)

    def _statistic(self, which):
        if not self.built:
            return None
        compute = getattr(self, "compute_dtype", self.dtype)
        if self._fixed is not None:
            return self._fixed[which].astype(compute)
        weight = self.adapt_mean if which == 0 else self.adapt_variance
        return ops.cast(ops.reshape(weight, self._broadcast_shape), compute)

    def finalize_state(self) -> None:
        """Keras 3's hook after ``adapt``/loading; nothing to do here (``call`` reads the weights)."""

    # -------------------------------------------------------------- call
    def call(self, inputs):
        dtype = numpy.dtype(getattr(inputs, "dtype", None) or numpy.asarray(inputs).dtype)
        if dtype.kind not in "biuf":
            raise TypeError(f"Normalization '{self.name}' takes numbers, got inputs of dtype {dtype}")
        if self._fixed is not None:
            mean, variance = self._fixed
        else:
            mean = ops.reshape(self.adapt_mean, self._broadcast_shape)
            variance = ops.reshape(self.adapt_variance, self._broadcast_shape)
        compute = getattr(self, "compute_dtype", self.dtype)
        if self._fixed is None and compute != self.dtype:
            mean, variance = ops.cast(mean, compute), ops.cast(variance, compute)
        elif self._fixed is not None:
            mean, variance = mean.astype(compute), variance.astype(compute)
        inputs = ops.cast(inputs, compute)
        scale = ops.maximum(ops.sqrt(variance), backend.epsilon())
        if self.invert:
            return ops.add(mean, ops.multiply(inputs, scale))
        return ops.divide(ops.subtract(inputs, mean), scale)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": list(self.axis), "invert": self.invert,
                       "mean": numpy.array(self.input_mean).tolist(),
                       "variance": numpy.array(self.input_variance).tolist()})
        return config

    def get_build_config(self):
        shape = getattr(self, "_build_shapes", None)
        return {"input_shape": list(shape)} if shape else None
