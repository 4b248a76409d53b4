"""Arguments shared by the layers over spatial axes: convolution, pooling, padding, cropping, upsampling.

Windows (``kernel_size``, ``strides``, ``pool_size``...) are normalised to
one int per spatial axis, paddings to Keras' names, and ``data_format`` to
``'channels_last'`` (``(batch, *spatial, channels)``) or ``'channels_first'``
(``(batch, channels, *spatial)``); ``None`` means
``backend.image_data_format()``, read when the layer is made, as Keras does.

Layers compute channels last: a channels-first layer transposes its input
to channels last, runs the same code, and transposes the result back
(``in_channels_last``), so both layouts give the same numbers and share
every fast path.
"""
from __future__ import annotations

import numbers

from .. import backend
from ..ops.convolution import to_channels_first, to_channels_last

__all__ = ["normalize_tuple", "normalize_data_format", "normalize_padding", "conv_output_length",
           "channel_axis", "spatial_of", "join_shape", "in_channels_last"]


def normalize_tuple(value, rank: int, name: str, allow_zero: bool = False) -> tuple:
    """``3`` -> ``(3, 3)`` for rank 2; a sequence must have ``rank`` ints (positive ones)."""
    if isinstance(value, numbers.Integral):
        values = (value,) * rank
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(f"`{name}` must be an int or a tuple of {rank} ints, got {value!r}") from None
        if len(values) != rank or not all(isinstance(v, numbers.Integral) for v in values):
            raise ValueError(f"`{name}` must be an int or a tuple of {rank} ints, got {value!r}")
    lowest = 0 if allow_zero else 1
    if any(v < lowest for v in values):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`{name}` must hold {kind} ints, got {value!r}")
    return tuple(int(v) for v in values)


def normalize_data_format(data_format) -> str:
    """``'channels_last'`` or ``'channels_first'``; ``None`` gives ``backend.image_data_format()``."""
    return backend.standardize_data_format(data_format)


def normalize_padding(padding, allowed=("valid", "same")) -> str:
    value = str(padding).lower()
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"`padding` must be one of {choices}, got {padding!r}")
    return value


def conv_output_length(size, kernel: int, stride: int, dilation: int, padding: str):
    """Spatial size after a convolution or pooling window (``None`` stays ``None``)."""
    if size is None:
        return None
    span = (kernel - 1) * dilation + 1
    if padding in ("same", "causal"):
        return -(-size // stride)
    return (size - span) // stride + 1 if size >= span else 0


def channel_axis(data_format: str) -> int:
    """The channel axis of a shape: 1 for channels first, -1 for channels last."""
    return 1 if data_format == "channels_first" else -1


def spatial_of(shape, data_format: str) -> tuple:
    """The spatial sizes of ``shape`` (every axis but the batch and the channels)."""
    shape = tuple(shape)
    return shape[2:] if data_format == "channels_first" else shape[1:-1]


def join_shape(batch, spatial, channels, data_format: str) -> tuple:
    """A full shape from its batch, spatial sizes and channels, in ``data_format``'s order."""
    if data_format == "channels_first":
        return (batch, channels) + tuple(spatial)
    return (batch,) + tuple(spatial) + (channels,)


def in_channels_last(compute, inputs, rank: int, data_format: str):
    """``compute`` (written for channels-last data) applied in ``data_format``."""
    if data_format != "channels_first":
        return compute(inputs)
    return to_channels_first(compute(to_channels_last(inputs, rank)), rank)
