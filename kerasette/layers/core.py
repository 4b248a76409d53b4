"""Core layers: Dense, Activation, Flatten, and the other small everyday layers.

The tutorial's building blocks (Dense, Activation, Flatten) and the rest of
Keras 2's ``core.py`` family: Dropout and SpatialDropout1D/2D/3D, Reshape,
Permute, RepeatVector, Lambda, plus Embedding and Masking (the layers that
start masks).  Each computes with ``kerasette.ops`` only, so it runs in
graphs, on eager Tensors and on arrays alike.  Weight names and layouts are
Keras' own (Dense kernel ``(input_dim, units)`` then bias ``(units,)``;
Embedding ``embeddings`` ``(input_dim, output_dim)``), so weight files
interchange with Keras.
"""
from __future__ import annotations

import math
import numbers

import numpy

from .. import activations, backend, constraints, initializers, ops, regularizers
from ..primitives.base import ShapeError, format_shape
from .lambda_layer import Lambda, _is_importable_function  # noqa: F401 (Keras 2's core.Lambda path)
from .layer import InputSpec, Layer


__all__ = [
    "Dense", "Activation", "Flatten", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D", "Reshape", "Permute", "RepeatVector", "Lambda", "Embedding", "Masking",
]


def _no_lora_nor_quantization(layer, lora_rank, quantization_config) -> None:
    """Keras 3's ``lora_rank`` / ``lora_alpha`` / ``quantization_config`` are taken (a subclass
    that passes its Keras 3 config on to them loads), and refused unless at their defaults."""
    if lora_rank:
        raise NotImplementedError(f"{layer}(lora_rank={lora_rank!r}): LoRA is not supported by kerasette")
    if quantization_config is not None:
        raise NotImplementedError(f"{layer}(quantization_config=...): quantization is not supported by kerasette")


class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` over the last axis.

    >>> Dense(50, activation="relu")(Input(shape=(320,))).shape
    (None, 50)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, **kwargs):
        _no_lora_nor_quantization("Dense", lora_rank, quantization_config)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if int(units) <= 0:
            raise ValueError(f"Dense units must be a positive integer, got {units}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ShapeError(f"Dense '{self.name}' needs a known last axis, got {format_shape(input_shape)}")
        self.kernel = self.add_weight(name="kernel", shape=(input_dim, self.units),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        outputs = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config


class Activation(Layer):
    """Applies an activation function: ``Activation('relu')``."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return inputs if self.activation is None else self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Flatten(Layer):
    """Flattens every axis but the batch: ``(None, 4, 4, 20)`` -> ``(None, 320)``.

    With ``data_format='channels_first'`` (or ``None`` while
    ``backend.image_data_format()`` is channels first) the channels are moved
    last before flattening, as Keras does, so the order of the features is
    that of the same data channels last.
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        shape = tuple(inputs.shape)
        if len(shape) == 1:
            return ops.expand_dims(inputs, 1)
        if self.data_format == "channels_first" and len(shape) > 2:
            inputs = ops.transpose(inputs, (0, *range(2, len(shape)), 1))
        inner = shape[1:]
        if None in inner:
            return ops.reshape(inputs, (shape[0] if shape[0] is not None else -1, -1))
        return ops.reshape(inputs, (-1, math.prod(inner)))

    def compute_output_shape(self, input_shape):
        inner = input_shape[1:]
        return (input_shape[0], None if None in inner else math.prod(inner))

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


# ------------------------------------------------------------------ dropout

def seed_generator(seed):
    """The random generator a layer draws from: its own when ``seed`` is given.

    A seeded layer keeps one numpy Generator for its whole life, so its draws
    are repeatable across runs yet differ from call to call (a fresh
    generator per call would repeat the same mask every batch).  Unseeded
    layers use the shared generator of ``kerasette.backend`` (``None`` here).
    """
    if seed is None:
        return None
    if isinstance(seed, numpy.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return numpy.random.default_rng(int(seed))
    raise TypeError(f"seed must be an int or None, got {seed!r}")


def check_rate(layer_name: str, rate) -> float:
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"Invalid value received for argument `rate` of {layer_name}: expected a "
                         f"float value between 0 and 1, received rate={rate}")
    return rate


class Dropout(Layer):
    """Zeroes a fraction ``rate`` of the entries in training, scaling the rest by ``1 / (1 - rate)``.

    Outside training (``training`` False or None) it is the identity.

    >>> Dropout(0.5)(Input(shape=(16,))).shape
    (None, 16)
    >>> sorted(set(Dropout(0.5, seed=0)(numpy.ones((2, 4)), training=True).ravel().tolist()))
    [0.0, 2.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(type(self).__name__, rate)
        self.noise_shape = None if noise_shape is None else tuple(
            None if d is None else int(d) for d in noise_shape)
        self.seed = seed
        self._generator = seed_generator(seed)
        self.supports_masking = True

    def _noise_shape(self, inputs):
        return self.noise_shape

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        if self.rate >= 1.0:
            return ops.zeros_like(inputs)
        return ops.dropout(inputs, self.rate, noise_shape=self._noise_shape(inputs),
                           seed=self._generator)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate,
                       "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
                       "seed": self.seed})
        return config


class _SpatialDropout(Dropout):
    """Drops whole feature maps: one draw per (sample, channel), shared over space."""

    rank = None

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = backend.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _noise_shape(self, inputs):
        # None takes the input's size at run time: the batch and the channels
        if self.data_format == "channels_first":
            return (None, None) + (1,) * self.rank
        return (None,) + (1,) * self.rank + (None,)

    def get_config(self):
        config = super().get_config()
        del config["noise_shape"]
        config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole channels of ``(batch, steps, channels)`` inputs.

    >>> SpatialDropout1D(0.2)(Input(shape=(10, 8))).shape
    (None, 10, 8)
    """

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        # Keras' SpatialDropout1D takes no data_format: the steps are always axis 1
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole channels of ``(batch, rows, cols, channels)`` inputs.

    >>> SpatialDropout2D(0.2)(Input(shape=(8, 8, 3))).shape
    (None, 8, 8, 3)
    """

    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Dropout of whole channels of ``(batch, depth, rows, cols, channels)`` inputs.

    >>> SpatialDropout3D(0.2)(Input(shape=(4, 8, 8, 3))).shape
    (None, 4, 8, 8, 3)
    """

    rank = 3


# ---------------------------------------------------------------- reshaping

class Reshape(Layer):
    """Reshapes every sample to ``target_shape`` (which may hold one -1).

    >>> Reshape((3, -1))(Input(shape=(12,))).shape
    (None, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(int(d) for d in target_shape)
        if target_shape.count(-1) > 1:
            raise ValueError(f"Reshape target_shape can have at most one unknown dimension (-1), "
                             f"got {target_shape}")
        if any(d < -1 or d == 0 for d in target_shape):
            raise ValueError(f"Reshape target_shape must hold positive sizes or -1, got {target_shape}")
        self.target_shape = target_shape

    def _resolved_target(self, input_shape) -> tuple:
        """``target_shape`` with -1 worked out (None where the input does not say)."""
        inner = tuple(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if None in inner:
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = math.prod(inner)
        wrong = (total % known != 0) if -1 in self.target_shape else (total != known)
        if wrong:
            raise ShapeError(f"Reshape '{self.name}' cannot reshape an input of shape "
                             f"{format_shape(tuple(input_shape))} to target shape "
                             f"{format_shape(self.target_shape)}: the total size must be unchanged")
        return tuple(total // known if d == -1 else d for d in self.target_shape)

    def call(self, inputs):
        shape = tuple(inputs.shape)
        target = self._resolved_target(shape)
        if None not in target:
            return ops.reshape(inputs, (-1,) + target)
        if shape[0] is not None:
            return ops.reshape(inputs, (shape[0],) + self.target_shape)
        raise ShapeError(f"Reshape '{self.name}' cannot work out target shape "
                         f"{format_shape(self.target_shape)} for an input of shape {format_shape(shape)} "
                         "whose batch and other sizes are unknown")

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolved_target(input_shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


class Permute(Layer):
    """Permutes the axes of each sample; ``dims`` counts from 1 (the batch axis stays put).

    >>> Permute((2, 1))(Input(shape=(10, 64))).shape
    (None, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(int(d) for d in dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute layer: the indices must "
                             f"be consecutive and start from 1, received dims={dims}")
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = list(self.dims)
        return config


class RepeatVector(Layer):
    """Repeats a ``(batch, features)`` input ``n`` times: ``(batch, n, features)``.

    >>> RepeatVector(3)(Input(shape=(32,))).shape
    (None, 3, 32)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, numbers.Integral) or n <= 0:
            raise TypeError(f"RepeatVector expects a positive integer n, received n={n!r}")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config


# ------------------------------------------------------------------- lambda

class Embedding(Layer):
    """Turns non-negative integer indices into dense vectors: row ``i`` of ``embeddings``.

    With ``mask_zero=True`` index 0 is padding: the output carries the mask
    ``inputs != 0`` for the layers downstream (so ``input_dim`` should count it).

    >>> Embedding(1000, 64)(Input(shape=(10,), dtype="int32")).shape
    (None, 10, 64)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 input_length=None, activity_regularizer=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        _no_lora_nor_quantization("Embedding", lora_rank, quantization_config)
        if input_length is not None and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            # Keras 2: input_length gives the first layer of a Sequential its input shape
            lengths = tuple(input_length) if isinstance(input_length, (list, tuple)) else (input_length,)
            kwargs["input_shape"] = lengths
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if int(input_dim) <= 0 or int(output_dim) <= 0:
            raise ValueError("Both `input_dim` and `output_dim` of Embedding should be positive, "
                             f"received input_dim={input_dim} and output_dim={output_dim}")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.input_length = input_length
        self.supports_masking = self.mask_zero

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(name="embeddings", shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        if numpy.dtype(inputs.dtype).kind not in "iu":
            inputs = ops.cast(inputs, "int32")
        return ops.take(self.embeddings, inputs, axis=0)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
        })
        return config


class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value``.

    Those timesteps become zeros, and the output carries the mask
    ``any(inputs != mask_value, axis=-1)`` for mask-aware layers downstream
    (recurrent layers skip the masked steps).

    >>> Masking(mask_value=0.0)(Input(shape=(10, 8))).shape
    (None, 10, 8)
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def _keep(self, inputs, keepdims):
        # "any" as a max over 0/1 values: a timestep is kept if one feature differs
        differs = ops.cast(ops.not_equal(inputs, self.mask_value), inputs.dtype)
        return ops.greater(ops.max(differs, axis=-1, keepdims=keepdims), 0)

    def call(self, inputs):
        return ops.multiply(inputs, ops.cast(self._keep(inputs, keepdims=True), inputs.dtype))

    def compute_mask(self, inputs, mask=None):
        return self._keep(inputs, keepdims=False)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config
