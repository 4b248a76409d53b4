"""Adaptive pooling layers: a fixed output size whatever the input's spatial size, 1-d to 3-d.

``AdaptiveAveragePooling2D(output_size=7)`` pools any ``(batch, H, W, C)``
input to ``(batch, 7, 7, C)`` with ``ops.adaptive_average_pool``: bin ``i``
of an axis of length ``L`` covers positions ``floor(i * L / O)`` to
``ceil((i + 1) * L / O)``, Keras 3's boundaries, so bins overlap by one
position where ``O`` does not divide ``L``.  ``data_format`` is
``'channels_last'``, ``'channels_first'`` or ``None``
(``backend.image_data_format()``, read when the layer is made); the
pooling runs on the spatial axes where they are.  The config holds
``output_size`` as a tuple and ``data_format``, as Keras 3's does.  No
weights.
"""
from __future__ import annotations

import numbers

from .. import ops
from .layer import InputSpec, Layer
from .spatial import join_shape, normalize_data_format

__all__ = ["AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
           "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D"]

_AXES = {1: "(length,)", 2: "(height, width)", 3: "(depth, height, width)"}


def _output_size(value, rank):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * rank
    if isinstance(value, (tuple, list)) and len(value) == rank and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        return tuple(int(v) for v in value)
    raise TypeError(f"`output_size` must be an integer or {_AXES[rank]} tuple. "
                    f"Received: {value} of type {type(value)}")


class BaseAdaptivePooling(Layer):
    """Pooling to ``output_size`` bins per spatial axis (``rank`` of them)."""

    rank = None
    pool_mode = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.output_size = _output_size(output_size, self.rank)
        if any(o < 1 for o in self.output_size):
            raise ValueError(f"`output_size` must hold positive ints, got {output_size!r}")
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        pool = ops.adaptive_max_pool if self.pool_mode == "max" else ops.adaptive_average_pool
        return pool(inputs, output_size=self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[1] if self.data_format == "channels_first" else input_shape[-1]
        return join_shape(input_shape[0], self.output_size, channels, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config


class AdaptiveAveragePooling1D(BaseAdaptivePooling):
    """The mean over ``output_size`` bins of the steps.

    >>> AdaptiveAveragePooling1D(4)(Input(shape=(10, 3))).shape
    (None, 4, 3)
    """

    rank, pool_mode = 1, "average"


class AdaptiveAveragePooling2D(BaseAdaptivePooling):
    """The mean over ``output_size`` (an int or ``(height, width)``) bins of the image."""

    rank, pool_mode = 2, "average"


class AdaptiveAveragePooling3D(BaseAdaptivePooling):
    """The mean over ``output_size`` (an int or ``(depth, height, width)``) bins of the volume."""

    rank, pool_mode = 3, "average"


class AdaptiveMaxPooling1D(BaseAdaptivePooling):
    """The maximum over ``output_size`` bins of the steps."""

    rank, pool_mode = 1, "max"


class AdaptiveMaxPooling2D(BaseAdaptivePooling):
    """The maximum over ``output_size`` (an int or ``(height, width)``) bins of the image."""

    rank, pool_mode = 2, "max"


class AdaptiveMaxPooling3D(BaseAdaptivePooling):
    """The maximum over ``output_size`` (an int or ``(depth, height, width)``) bins of the volume."""

    rank, pool_mode = 3, "max"
