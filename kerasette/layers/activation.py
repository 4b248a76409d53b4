"""Activation layers with options: ReLU, LeakyReLU, PReLU, ELU, Softmax, ThresholdedReLU.

``Activation('relu')`` (in ``core``) covers plain activation functions; the
layers here carry parameters (a slope, a cap, a threshold, an axis) in their
config, and PReLU learns its slope as a weight named ``alpha`` shaped like
Keras' (the input shape without the batch, size 1 on the shared axes).
All pass masks through; Softmax also honours one (masked positions get
probability 0).
"""
from __future__ import annotations

import numpy

from .. import activations, constraints, initializers, ops, regularizers
from ..primitives.base import ShapeError, format_shape
from .layer import InputSpec, Layer

__all__ = [
    "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU",
]


class _Elementwise(Layer):
    """An activation layer: output shape = input shape, masks pass through."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_Elementwise):
    """Rectified linear unit with Keras' options.

    ``max_value`` where ``x >= max_value``; ``x`` where ``threshold <= x < max_value``;
    ``negative_slope * (x - threshold)`` below the threshold.

    >>> ReLU(max_value=6.0)(numpy.array([-1.0, 3.0, 9.0], "float32"))
    array([0., 3., 6.], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value, received max_value={max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError("negative_slope of a ReLU layer cannot be a negative value, "
                             f"received negative_slope={negative_slope}")
        if threshold is None or threshold < 0.0:
            raise ValueError(f"threshold of a ReLU layer cannot be a negative value, received threshold={threshold}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


class LeakyReLU(_Elementwise):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below (Keras' layer default 0.3).

    Keras 2's argument name ``alpha`` is accepted for ``negative_slope``.

    >>> LeakyReLU(negative_slope=0.1)(numpy.array([-2.0, 2.0], "float32"))
    array([-0.2,  2. ], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError("negative_slope of a LeakyReLU layer cannot be None or a negative value, "
                             f"received negative_slope={negative_slope}")
        self.negative_slope = float(negative_slope)

    @property
    def alpha(self) -> float:
        """Keras 2's name for ``negative_slope``."""
        return self.negative_slope

    def call(self, inputs):
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class PReLU(_Elementwise):
    """Leaky ReLU whose slope ``alpha`` is learned, one per input element (or shared over axes).

    ``alpha`` has the input's shape without the batch, with size 1 on each of
    ``shared_axes`` (counted from 1, like Keras: ``shared_axes=[1, 2]`` shares
    one slope per channel of an image).

    >>> p = PReLU(shared_axes=[1, 2])
    >>> p.build((None, 8, 8, 3)); p.alpha.shape
    (1, 1, 3)
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(a) for a in shared_axes]
        else:
            self.shared_axes = [int(shared_axes)]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis <= len(shape):
                raise ShapeError(f"PReLU '{self.name}': shared axis {axis} is out of range for an input "
                                 f"of shape {format_shape(tuple(input_shape))}")
            shape[axis - 1] = 1
        if None in shape:
            raise ShapeError(f"PReLU '{self.name}' needs known sizes on the axes it does not share, "
                             f"got {format_shape(tuple(input_shape))}")
        self.alpha = self.add_weight(name="alpha", shape=tuple(shape), initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        rank = len(input_shape)
        # -1 for the last axis, so shape errors say "last axis"
        axes = {(-1 if i == rank - 1 else i): size for i, size in enumerate(input_shape)
                if i > 0 and not (self.shared_axes and i in self.shared_axes)}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        positive = ops.relu(inputs)
        negative = ops.multiply(ops.negative(self.alpha), ops.relu(ops.negative(inputs)))
        return ops.add(positive, negative)

    def get_config(self):
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return config


class ELU(_Elementwise):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below.

    >>> ELU()(numpy.array([-1.0, 1.0], "float32"))
    array([-0.63212055,  1.        ], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return ops.elu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


def _large_negative(dtype) -> float:
    # large enough to vanish in exp, small enough not to overflow the dtype
    return -3e4 if numpy.dtype(dtype) == numpy.float16 else -1e9


class Softmax(_Elementwise):
    """Softmax along ``axis`` (an int or a list of axes).

    With a mask (``True`` = keep), masked positions get a large negative
    added before the softmax and are zero afterwards, so a fully masked row
    gives zeros rather than a uniform distribution.

    >>> Softmax()(numpy.array([[1.0, 1.0]], "float32"))
    array([[0.5, 0.5]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = [int(a) for a in axis] if isinstance(axis, (list, tuple)) else int(axis)

    def call(self, inputs, mask=None):
        if mask is not None:
            keep = ops.cast(mask, inputs.dtype)
            if len(keep.shape) < len(inputs.shape):
                # a mask over timesteps masks all of a timestep's entries
                keep = ops.expand_dims(keep, -1)
            adder = ops.multiply(ops.subtract(1.0, keep), _large_negative(inputs.dtype))
            inputs = ops.add(inputs, adder)
        if isinstance(self.axis, list) and len(self.axis) > 1:
            outputs = ops.exp(ops.subtract(inputs, ops.logsumexp(inputs, axis=tuple(self.axis), keepdims=True)))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            outputs = ops.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = ops.multiply(outputs, keep)
        return outputs

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class ThresholdedReLU(_Elementwise):
    """``x`` where ``x > theta``, else 0 (Keras 2's layer).

    >>> ThresholdedReLU(theta=1.0)(numpy.array([0.5, 1.0, 2.0], "float32"))
    array([0., 0., 2.], dtype=float32)
    """

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        if theta is None or theta < 0:
            raise ValueError(f"The theta value of a ThresholdedReLU layer should be >= 0, received theta={theta}")
        self.theta = float(theta)

    def call(self, inputs):
        return ops.multiply(inputs, ops.cast(ops.greater(inputs, self.theta), inputs.dtype))

    def get_config(self):
        config = super().get_config()
        config["theta"] = self.theta
        return config
