"""Regularization by noise: GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization.

The noise layers perturb their input only while training (``training=True``)
and are the identity otherwise, like Dropout (in ``core``).  Their draws come
from random primitives that draw afresh each time a compiled graph runs; a
``seed`` gives the layer a generator of its own, so runs repeat.
ActivityRegularization adds ``l1 * sum(|x|) + l2 * sum(x ** 2)`` of its
output to the layer's losses and passes the input through.
"""
from __future__ import annotations

import math

from .. import ops, regularizers
from ..ops import nn as nn_ops
from .core import check_rate, seed_generator
from .layer import Layer

__all__ = [
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
]


class _Noise(Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._generator = seed_generator(seed)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class GaussianNoise(_Noise):
    """Adds zero-centred Gaussian noise of standard deviation ``stddev`` in training.

    >>> bool(GaussianNoise(0.1)(numpy.zeros((2, 3)), training=True).std() > 0)
    True
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if stddev is None or stddev < 0:
            raise ValueError(f"GaussianNoise stddev must be a non-negative float, received stddev={stddev}")
        self.stddev = float(stddev)

    def call(self, inputs, training=None):
        if not training or self.stddev == 0.0:
            return inputs
        noise = nn_ops.random_normal_like(inputs, mean=0.0, stddev=self.stddev, seed=self._generator)
        return ops.add(inputs, noise)

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


class GaussianDropout(_Noise):
    """Multiplies by Gaussian noise of mean 1 and standard deviation ``sqrt(rate / (1 - rate))`` in training.

    >>> GaussianDropout(0.2)(Input(shape=(8,))).shape
    (None, 8)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate("GaussianDropout", rate)

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        if self.rate >= 1.0:
            raise ValueError(f"GaussianDropout '{self.name}' cannot train with rate=1 "
                             "(the noise would have infinite variance)")
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = nn_ops.random_normal_like(inputs, mean=1.0, stddev=stddev, seed=self._generator)
        return ops.multiply(inputs, noise)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


# SELU's constants: AlphaDropout keeps a SELU network's mean and variance
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(_Noise):
    """Dropout for SELU networks: keeps the mean and variance of its inputs.

    In training each entry is kept with probability ``1 - rate`` or set to
    SELU's negative saturation value ``-alpha * scale``, then the result is
    moved by the affine map ``a * x + b`` that restores zero mean and unit
    variance (Keras' formulas).

    >>> AlphaDropout(0.1)(Input(shape=(8,))).shape
    (None, 8)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = check_rate("AlphaDropout", rate)
        self.noise_shape = None if noise_shape is None else tuple(
            None if d is None else int(d) for d in noise_shape)

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        if self.rate >= 1.0:
            raise ValueError(f"AlphaDropout '{self.name}' cannot train with rate=1")
        rate = self.rate
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        # a dropout mask of ones is 0 where dropped and 1 / (1 - rate) where kept
        mask = ops.dropout(ops.ones_like(inputs), rate, noise_shape=self.noise_shape, seed=self._generator)
        kept = ops.cast(ops.greater(mask, 0.0), inputs.dtype)
        a = ((1.0 - rate) * (1.0 + rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * rate
        x = ops.add(ops.multiply(inputs, kept), ops.multiply(ops.subtract(1.0, kept), alpha_p))
        return ops.add(ops.multiply(x, a), b)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate,
                       "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
                       "seed": self.seed})
        return config


class ActivityRegularization(Layer):
    """Passes its input through and adds ``l1 * sum(|x|) + l2 * sum(x ** 2)`` to ``losses``.

    >>> layer = ActivityRegularization(l2=0.01)
    >>> _ = layer(numpy.ones((2, 3))); len(layer.losses)
    1
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"l1": self.l1, "l2": self.l2})
        return config
