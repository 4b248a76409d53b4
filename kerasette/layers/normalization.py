"""Normalization layers: BatchNormalization and LayerNormalization.

BatchNormalization normalizes each channel with the statistics of the batch
while training and with running averages of them at inference; those
running averages (``moving_mean``, ``moving_variance``) are non-trainable
weights that the layer itself updates, which is the one place a layer
changes its own weights during a forward pass:

* called on arrays or eager Tensors with ``training=True``, it assigns the
  new moving statistics at once;
* called on symbolic nodes with ``training=True`` (a graph being built for a
  training program), it cannot assign anything yet, so it appends
  ``(variable, new_value_node)`` pairs to ``layer._pending_updates``.  The
  code that compiles the training step collects them (turning each variable
  into its graph node with ``engine.variable_from_holder``), passes them as
  the program's ``updates``, and clears the list before tracing the graph
  again.

LayerNormalization normalizes each sample over its own features and keeps no
running state.  Weight names, shapes and order are Keras' (gamma, beta,
moving_mean, moving_variance), so weight files interchange.
"""
from __future__ import annotations

import warnings


from .. import constraints, eager, initializers, ops, regularizers
from ..distribution import mesh
from ..engine import Node, variable_from_holder
from ..ops.nn import synchronized_moments
from ..primitives.base import ShapeError, format_shape
from .layer import InputSpec, Layer

__all__ = [
    "BatchNormalization", "LayerNormalization",
    "GroupNormalization", "RMSNormalization", "UnitNormalization", "SpectralNormalization",
]


def _normalize_axes(axis, rank: int, layer) -> tuple:
    axes = (axis,) if isinstance(axis, int) else tuple(int(a) for a in axis)
    result = []
    for a in axes:
        if not -rank <= a < rank:
            raise ShapeError(f"{type(layer).__name__} '{layer.name}': axis {a} is out of range for "
                             f"an input of rank {rank}")
        result.append(a % rank)
    if 0 in result:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' cannot normalize over the batch axis 0")
    return tuple(sorted(set(result)))


def _spec_axis(axis: int, rank: int) -> int:
    # -1 for the last axis, so shape errors say "last axis"
    return -1 if axis == rank - 1 else axis


class BatchNormalization(Layer):
    """Normalizes each channel (the ``axis``): ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    In training (``training=True``) ``mean`` and ``var`` are the batch's
    statistics (the biased variance, as Keras uses) and the moving statistics
    move towards them: ``moving = moving * momentum + batch_stat * (1 - momentum)``.
    Otherwise the moving statistics are used.  A layer with ``trainable=False``
    always runs in inference mode, as in Keras.  In a graph the updates are
    left in ``_pending_updates`` (see the module docstring).

    ``synchronized=True`` (Keras 3's argument): in training under a
    ``kerasette.distribution.DataParallel`` distribution over several MPI
    processes, the statistics are those of the global batch, every rank's
    part included (one allgather of per-rank counts, means and centred sums
    of squares in the forward pass, one allreduce in the backward pass), so
    the ranks train as one process on the whole batch would.  On one process
    it is plain batch normalization.

    >>> bn = BatchNormalization()
    >>> bn(Input(shape=(8, 8, 16))).shape
    (None, 8, 8, 16)
    >>> [w.name for w in bn.weights]
    ['gamma', 'beta', 'moving_mean', 'moving_variance']
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                 synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if renorm:
            raise NotImplementedError("BatchNormalization(renorm=True) (batch renormalization) is not "
                                      "supported by kerasette")
        if not isinstance(axis, int):
            raise TypeError(f"BatchNormalization axis must be an int, received axis={axis!r}")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.synchronized = bool(synchronized)
        self.renorm = False
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = None
        self._pending_updates = []

    def build(self, input_shape):
        rank = len(input_shape)
        (axis,) = _normalize_axes(self.axis, rank, self)
        channels = input_shape[axis]
        if channels is None:
            raise ShapeError(f"BatchNormalization '{self.name}' needs a known size on axis {self.axis}, "
                             f"got {format_shape(input_shape)}")
        shape = (channels,)
        # Keras' creation order, which its weight files follow
        if self.scale:
            self.gamma = self.add_weight(name="gamma", shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.moving_mean = self.add_weight(name="moving_mean", shape=shape,
                                           initializer=self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=shape,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        self._axis = axis
        self._reduction_axes = tuple(a for a in range(rank) if a != axis)
        self.input_spec = InputSpec(ndim=rank, axes={_spec_axis(axis, rank): channels})
        self.built = True

    def _moments(self, inputs, mask):
        if mask is None:
            return ops.moments(inputs, self._reduction_axes)
        weights = _mask_weights(inputs, mask)
        count = ops.add(ops.sum(weights, axis=self._reduction_axes, keepdims=True), 1e-7)
        mean = ops.divide(ops.sum(ops.multiply(weights, inputs), axis=self._reduction_axes,
                                  keepdims=True), count)
        squares = ops.multiply(weights, ops.square(ops.subtract(inputs, mean)))
        variance = ops.divide(ops.sum(squares, axis=self._reduction_axes, keepdims=True), count)
        return ops.squeeze(mean, axis=self._reduction_axes), ops.squeeze(variance, axis=self._reduction_axes)

    def _synchronized_moments(self, inputs, mask, rank, size):
        """The global batch's mean and variance over every rank's part (ops.nn.synchronized_moments),
        masked-out positions not counted."""
        weights = None if mask is None else _mask_weights(inputs, mask)
        return synchronized_moments(inputs, self._reduction_axes, rank, size, weights=weights)

    def call(self, inputs, training=None, mask=None):
        if training and self.trainable:
            world = mesh.data_parallel_world() if self.synchronized else None
            if world is None:
                mean, variance = self._moments(inputs, mask)
            else:
                mean, variance = self._synchronized_moments(inputs, mask, world[0], world[1])
            self._update_moving_statistics(inputs, mean, variance)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        return ops.batch_normalization(inputs, mean, variance, axis=self._axis, offset=self.beta,
                                       scale=self.gamma, epsilon=self.epsilon)

    def _update_moving_statistics(self, inputs, mean, variance):
        pairs = [(self.moving_mean, mean), (self.moving_variance, variance)]
        if isinstance(inputs, Node):
            for variable, statistic in pairs:
                self._pending_updates.append((variable, self._moved(variable, statistic)))
            return
        # eager or arrays: assign now; the update is not part of any gradient
        with eager.no_grad():
            for variable, statistic in pairs:
                variable.assign(self._moved(variable, statistic))

    def _moved(self, variable, statistic):
        statistic = ops.cast(statistic, variable.dtype)
        if isinstance(statistic, Node):
            # read the variable when the program runs, not its value now
            variable = variable_from_holder(variable)
        return ops.add(ops.multiply(variable, self.momentum),
                       ops.multiply(statistic, 1.0 - self.momentum))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
            "synchronized": self.synchronized,
        })
        return config


def _mask_weights(inputs, mask):
    """A mask (over all axes but the last, or all) as 0/1 weights shaped like ``inputs``:
    masked-out positions do not count in the batch statistics."""
    weights = ops.cast(mask, inputs.dtype)
    if len(weights.shape) < len(inputs.shape):
        weights = ops.expand_dims(weights, -1)
    return ops.multiply(weights, ops.ones_like(inputs))


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (the features): ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.

    ``gamma`` and ``beta`` have the shape of the normalized axes; there is no
    running state, so training and inference compute the same.  Keras 3's
    deprecated ``rms_scaling=True`` computes ``gamma * x / sqrt(var + epsilon)``
    (the variance, not the mean square, as Keras 3 does) and has no ``beta``.

    >>> ln = LayerNormalization()
    >>> ln(Input(shape=(10, 32))).shape
    (None, 10, 32)
    >>> [w.shape for w in ln.weights]
    [(32,), (32,)]
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 rms_scaling=False, **kwargs):
        super().__init__(**kwargs)
        if rms_scaling:
            warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument incorrectly "
                          "scales the input by the variance, not the root mean square. To correctly use "
                          "RMS Normalization, please use `keras.layers.RMSNormalization` instead.",
                          stacklevel=2)
        self.rms_scaling = bool(rms_scaling)
        if isinstance(axis, (list, tuple)):
            axis = [int(a) for a in axis]
        elif not isinstance(axis, int):
            raise TypeError(f"LayerNormalization axis must be an int or a list of ints, received axis={axis!r}")
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape):
        rank = len(input_shape)
        axes = _normalize_axes(self.axis, rank, self)
        # Keras 3 keeps the axes as a sorted list once built (its configs say [-1])
        self.axis = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        sizes = [input_shape[a] for a in axes]
        if None in sizes:
            raise ShapeError(f"LayerNormalization '{self.name}' needs known sizes on axes {self.axis}, "
                             f"got {format_shape(input_shape)}")
        shape = tuple(sizes)
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(name="gamma", shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self._axes = axes
        # gamma and beta line up with the input unless the axes are not the trailing ones
        trailing = axes == tuple(range(rank - len(axes), rank))
        self._broadcast_shape = None if trailing else tuple(
            input_shape[a] if a in axes else 1 for a in range(1, rank))
        self.input_spec = InputSpec(ndim=rank, axes={_spec_axis(a, rank): input_shape[a] for a in axes})
        self.built = True

    def _broadcast(self, weight):
        if weight is None or self._broadcast_shape is None:
            return weight
        return ops.reshape(weight, self._broadcast_shape)

    def call(self, inputs):
        if (not self.rms_scaling and self.gamma is not None and self.beta is not None
                and self._broadcast_shape is None and ops.dtype(inputs) == ops.dtype(self.gamma)):
            # one fused primitive forward and one backward (gamma and beta line up with the input)
            return ops.layer_normalization(inputs, self.gamma, self.beta, axis=self._axes,
                                           epsilon=self.epsilon)
        mean, variance = ops.moments(inputs, self._axes, keepdims=True)
        centered = inputs if self.rms_scaling else ops.subtract(inputs, mean)
        outputs = ops.divide(centered, ops.sqrt(ops.add(variance, self.epsilon)))
        if self.gamma is not None:
            outputs = ops.multiply(outputs, self._broadcast(self.gamma))
        if self.beta is not None:
            outputs = ops.add(outputs, self._broadcast(self.beta))
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": list(self.axis) if isinstance(self.axis, list) else self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return config


# the other normalization families live in their own modules (imported last: they use the helpers above)
from .feature_normalization import GroupNormalization, RMSNormalization, UnitNormalization  # noqa: E402
from .spectral_normalization import SpectralNormalization  # noqa: E402
