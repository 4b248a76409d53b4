"""Per-sample normalizations of Keras 3: GroupNormalization, RMSNormalization, UnitNormalization.

None keeps running state; each is composed of ordinary ops (moments,
reductions, reshapes), so their gradients are those of the ops.  Weight
names and shapes are Keras 3's: ``gamma``/``beta`` of shape (channels,) for
GroupNormalization, ``scale`` (the normalized axes) for RMSNormalization,
none for UnitNormalization.
"""
from __future__ import annotations

from .. import constraints, initializers, ops, regularizers
from ..primitives.base import ShapeError, format_shape
from .layer import InputSpec, Layer

__all__ = ["GroupNormalization", "RMSNormalization", "UnitNormalization"]


def _axes_list(axis, name):
    if isinstance(axis, (list, tuple)):
        return [int(a) for a in axis]
    if isinstance(axis, int):
        return axis
    raise TypeError(f"Invalid value for `axis` argument of {name}: expected an int or a list/tuple of "
                    f"ints. Received: axis={axis!r}")


def _check_axes(axis, input_shape):
    for a in (axis if isinstance(axis, list) else [axis]):
        if a >= len(input_shape) or a < -len(input_shape):
            raise ValueError(f"Axis {a} is out of bounds for input shape {tuple(input_shape)}. "
                             f"Received: axis={axis}")
    return tuple(input_shape)


def _weight_view(weight, axes, rank):
    """``weight`` (the sizes of ``axes``) shaped to broadcast against a rank-``rank`` input."""
    if list(axes) == list(range(rank - len(axes), rank)):
        return weight
    shape = [1] * rank
    for a, size in zip(axes, weight.shape):
        shape[a] = size
    return ops.reshape(weight, tuple(shape[1:]))


class GroupNormalization(Layer):
    """Normalizes each sample over groups of channels (``groups=-1``: instance normalization).

    The channels (``axis``) are split into ``groups`` groups; mean and
    variance are taken over each group and all other non-batch axes, then
    ``gamma`` and ``beta`` (one per channel) scale and shift.

    >>> GroupNormalization(groups=4)(Input(shape=(5, 8))).shape
    (None, 5, 8)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError("Received an invalid value for argument `groups`, expected a positive integer "
                             f"(or `-1` for instance normalization). Received: groups={groups}")
        super().__init__(**kwargs)
        self.supports_masking = True
        self.groups = groups
        self.axis = int(axis)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = self.beta = None

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ShapeError(f"GroupNormalization '{self.name}': axis {self.axis} does not fit an input "
                             f"of shape {format_shape(input_shape)}")
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension but the "
                             f"layer received an input with shape {tuple(input_shape)}.")
        if self.groups == -1:
            self.groups = channels
        if channels < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number of "
                             f"channels ({channels}).")
        if channels % self.groups:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the number of "
                             f"channels ({channels}).")
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: channels})
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(name="beta", shape=(channels,), initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.built = True

    def call(self, inputs):
        static = list(inputs.shape)
        rank = len(static)
        axis = self.axis % rank
        runtime = ops.shape(inputs)
        # (batch, ..., groups, channels // groups, ...): the channel axis split in two
        grouped = [-1] + [runtime[i] if static[i] is None else static[i] for i in range(1, rank)]
        grouped[axis:axis + 1] = [self.groups, static[axis] // self.groups]
        x = ops.reshape(inputs, tuple(grouped))
        reduce = tuple(i for i in range(1, rank + 1) if i != axis)
        mean, variance = ops.moments(x, reduce, keepdims=True)
        inverse = ops.divide(1.0, ops.sqrt(ops.add(variance, self.epsilon)))
        params = [1] * (rank + 1)
        params[axis:axis + 2] = [self.groups, static[axis] // self.groups]
        if self.gamma is not None:
            inverse = ops.multiply(inverse, ops.reshape(self.gamma, tuple(params[1:])))
        shift = ops.negative(ops.multiply(mean, inverse))
        if self.beta is not None:
            shift = ops.add(shift, ops.reshape(self.beta, tuple(params[1:])))
        outputs = ops.add(ops.multiply(x, inverse), shift)
        return ops.reshape(outputs, tuple([-1] + grouped[1:axis] + [static[axis]] + grouped[axis + 2:]))

    def compute_output_shape(self, input_shape):
        return _check_axes(self.axis, input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return config


class RMSNormalization(Layer):
    """``scale * x / sqrt(mean(x**2, axis) + epsilon)`` (root-mean-square normalization).

    >>> layer = RMSNormalization()
    >>> layer(Input(shape=(4, 6))).shape
    (None, 4, 6)
    >>> [w.name for w in layer.weights]
    ['scale']
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axes_list(axis, "RMSNormalization")
        self.epsilon = float(epsilon)
        self.scale = None

    def build(self, input_shape):
        rank = len(input_shape)
        _check_axes(self.axis, input_shape)
        # Keras 3 keeps the axes as a sorted list once built
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        self._axes = tuple(a % rank for a in self.axis)
        shape = tuple(input_shape[a] for a in self.axis)
        if None in shape:
            raise ShapeError(f"RMSNormalization '{self.name}' needs known sizes on axes {self.axis}, "
                             f"got {format_shape(input_shape)}")
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self._rank = rank
        self.built = True

    def call(self, inputs):
        mean_square = ops.mean(ops.square(inputs), axis=self._axes, keepdims=True)
        outputs = ops.divide(inputs, ops.sqrt(ops.add(mean_square, self.epsilon)))
        return ops.multiply(outputs, _weight_view(self.scale, self._axes, self._rank))

    def compute_output_shape(self, input_shape):
        return _check_axes(self.axis, input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon})
        return config


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``: ``x / max(||x||, 1e-12)``.

    >>> UnitNormalization()(np.array([[3.0, 4.0]], dtype="float32"))
    array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _axes_list(axis, "UnitNormalization")
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        rank = len(inputs.shape)
        axes = tuple(a % rank for a in (self.axis if isinstance(self.axis, list) else [self.axis]))
        square_sum = ops.sum(ops.square(inputs), axis=axes, keepdims=True)
        inverse_norm = ops.minimum(ops.divide(1.0, ops.sqrt(square_sum)), 1e12)
        return ops.multiply(inputs, inverse_norm)

    def compute_output_shape(self, input_shape):
        return _check_axes(self.axis, input_shape)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
