"""Pooling layers: windowed max/average pooling and global pooling, 1-d to 3-d.

Windowed pooling (``MaxPooling2D`` and friends) hands the window to
``ops.max_pool`` / ``ops.average_pool``: ``strides`` default to
``pool_size``, and 'same' average pooling counts only the real (unpadded)
elements of a window, as Keras and TensorFlow do.  Global pooling reduces
every spatial axis with ``ops.max`` / ``ops.mean``; ``keepdims=True`` keeps
them as size-1 axes.  ``GlobalAveragePooling1D`` averages only the unmasked
steps when a mask arrives (from ``Embedding(mask_zero=True)`` or ``Masking``).

``data_format`` is ``'channels_last'`` (``(batch, *spatial, channels)``),
``'channels_first'`` (``(batch, channels, *spatial)``) or ``None``
(``backend.image_data_format()``); windowed pooling of channels-first data
runs channels last between two transposes, global pooling reduces the
spatial axes where they are.  No pooling layer has weights.
"""
from __future__ import annotations

from .. import ops
from ..primitives.base import ShapeError, format_shape
from .layer import InputSpec, Layer
from .spatial import (conv_output_length, in_channels_last, join_shape, normalize_data_format, normalize_padding,
                      normalize_tuple, spatial_of)

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
    "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
]


def _channels(shape, data_format):
    return shape[1] if data_format == "channels_first" else shape[-1]


class BasePooling(Layer):
    """Pooling over windows of ``pool_size`` moved by ``strides`` (``None``: ``pool_size``)."""

    def __init__(self, rank, pool_mode, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.pool_mode = pool_mode
        self.pool_size = normalize_tuple(pool_size, rank, "pool_size")
        self.strides = self.pool_size if strides is None else normalize_tuple(strides, rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs):
        pool = ops.max_pool if self.pool_mode == "max" else ops.average_pool
        shape = tuple(inputs.shape)
        if self.padding == "valid":
            # a window larger than the input would give an empty axis: say so while building
            for size, window in zip(spatial_of(shape, self.data_format), self.pool_size):
                if size is not None and size < window:
                    raise ShapeError(f"{type(self).__name__} '{self.name}': pool_size {self.pool_size} "
                                     f"is larger than the input {format_shape(shape)} with padding 'valid'")
        return in_channels_last(lambda x: pool(x, self.pool_size, strides=self.strides, padding=self.padding,
                                               data_format="channels_last"),
                                inputs, self.rank, self.data_format)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = tuple(conv_output_length(size, window, stride, 1, self.padding)
                        for size, window, stride in zip(spatial_of(input_shape, self.data_format),
                                                        self.pool_size, self.strides))
        return join_shape(input_shape[0], spatial, _channels(input_shape, self.data_format), self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding, "strides": self.strides,
                       "data_format": self.data_format})
        return config


class MaxPooling1D(BasePooling):
    """The maximum over windows of ``pool_size`` steps.

    >>> MaxPooling1D()(Input(shape=(10, 3))).shape
    (None, 5, 3)
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(1, "max", pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(BasePooling):
    """The maximum over ``pool_size`` windows of an image.

    >>> MaxPooling2D()(Input(shape=(24, 24, 10))).shape
    (None, 12, 12, 10)
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(2, "max", pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(BasePooling):
    """The maximum over ``pool_size`` windows of a volume.

    >>> MaxPooling3D()(Input(shape=(4, 6, 8, 2))).shape
    (None, 2, 3, 4, 2)
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(3, "max", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(BasePooling):
    """The mean over windows of ``pool_size`` steps.

    >>> AveragePooling1D(3, strides=1, padding="same")(Input(shape=(10, 3))).shape
    (None, 10, 3)
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(1, "average", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(BasePooling):
    """The mean over ``pool_size`` windows of an image.

    >>> AveragePooling2D()(Input(shape=(8, 8, 3))).shape
    (None, 4, 4, 3)
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(2, "average", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(BasePooling):
    """The mean over ``pool_size`` windows of a volume.

    >>> AveragePooling3D()(Input(shape=(4, 4, 4, 1))).shape
    (None, 2, 2, 2, 1)
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(3, "average", pool_size, strides, padding, data_format, **kwargs)


# ------------------------------------------------------------ global pooling

class BaseGlobalPooling(Layer):
    """Reduce every spatial axis (1 to ``rank``) to one value per channel."""

    def __init__(self, rank, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self.data_format = normalize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=rank + 2)

    @property
    def _axes(self):
        """The spatial axes, which global pooling reduces."""
        first = 2 if self.data_format == "channels_first" else 1
        return tuple(range(first, first + self.rank))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = _channels(input_shape, self.data_format)
        if self.keepdims:
            return join_shape(input_shape[0], (1,) * self.rank, channels, self.data_format)
        return (input_shape[0], channels)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class _GlobalMax(BaseGlobalPooling):
    def call(self, inputs):
        return ops.max(inputs, axis=self._axes, keepdims=self.keepdims)


class _GlobalAverage(BaseGlobalPooling):
    def call(self, inputs):
        return ops.mean(inputs, axis=self._axes, keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalMax):
    """The maximum over all steps: ``(batch, steps, channels)`` -> ``(batch, channels)``.

    >>> GlobalMaxPooling1D()(Input(shape=(10, 3))).shape
    (None, 3)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)


class GlobalMaxPooling2D(_GlobalMax):
    """The maximum over height and width: ``(batch, h, w, channels)`` -> ``(batch, channels)``.

    >>> GlobalMaxPooling2D(keepdims=True)(Input(shape=(5, 5, 3))).shape
    (None, 1, 1, 3)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)


class GlobalMaxPooling3D(_GlobalMax):
    """The maximum over the three spatial axes.

    >>> GlobalMaxPooling3D()(Input(shape=(2, 3, 4, 5))).shape
    (None, 5)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)


class GlobalAveragePooling1D(BaseGlobalPooling):
    """The mean over all steps; with a mask ``(batch, steps)``, over the unmasked steps only.

    >>> GlobalAveragePooling1D()(Input(shape=(10, 3))).shape
    (None, 3)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        steps = self._axes[0]
        if mask is None:
            return ops.mean(inputs, axis=steps, keepdims=self.keepdims)
        # the mask (batch, steps) spread over the channels: after the steps, or before them
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), 2 if steps == 1 else 1)
        total = ops.sum(ops.multiply(inputs, weights), axis=steps, keepdims=self.keepdims)
        return ops.divide(total, ops.sum(weights, axis=steps, keepdims=self.keepdims))

    def compute_mask(self, inputs, mask=None):
        # the steps are gone, and with them what the mask described
        return None


class GlobalAveragePooling2D(_GlobalAverage):
    """The mean over height and width: ``(batch, h, w, channels)`` -> ``(batch, channels)``.

    >>> GlobalAveragePooling2D()(Input(shape=(7, 7, 64))).shape
    (None, 64)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)


class GlobalAveragePooling3D(_GlobalAverage):
    """The mean over the three spatial axes.

    >>> GlobalAveragePooling3D(keepdims=True)(Input(shape=(2, 3, 4, 5))).shape
    (None, 1, 1, 1, 5)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)


# Keras' shorter names for the same classes
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
