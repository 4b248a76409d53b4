"""Spatial reshaping layers: ZeroPadding, Cropping and UpSampling, 1-d to 3-d.

They change the spatial size of image-like data and have no weights:
``ZeroPadding*D`` pads with zeros (``ops.pad``), ``Cropping*D`` slices
(``ops.getitem``), ``UpSampling*D`` repeats rows and columns
(``ops.repeat``); ``UpSampling2D(interpolation='bilinear')`` interpolates
with half-pixel centres, like TensorFlow's ``resize`` and PyTorch's
``interpolate(mode='bilinear', align_corners=False)``.

Padding and cropping arguments take Keras' three spellings: an int (the same
on both sides of every axis), one int per axis (the same on both sides), or
one ``(before, after)`` pair per axis.  They are stored as pairs, as Keras
stores them in its configs.

``data_format`` (all but ``Cropping1D`` and ``UpSampling1D``, which Keras
gives none) is ``'channels_last'``, ``'channels_first'`` or ``None``
(``backend.image_data_format()``): the layers work on the spatial axes
wherever the channels are.
"""
from __future__ import annotations

import numbers

import numpy

from .. import backend, ops
from ..primitives.base import ShapeError, format_shape
from .layer import InputSpec, Layer
from .spatial import normalize_data_format, normalize_tuple

__all__ = [
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D", "Cropping3D",
    "UpSampling1D", "UpSampling2D", "UpSampling3D",
]


def _per_axis(data_format: str, spatial, other) -> tuple:
    """One entry per axis: ``spatial``'s on the spatial axes, ``other`` on the batch and the channels."""
    if data_format == "channels_first":
        return (other, other) + tuple(spatial)
    return (other,) + tuple(spatial) + (other,)


def _spatial_sizes(input_shape, data_format: str) -> tuple:
    shape = tuple(input_shape)
    return shape[2:] if data_format == "channels_first" else shape[1:-1]


def _with_spatial(input_shape, data_format: str, sizes) -> tuple:
    """``input_shape`` with its spatial sizes replaced by ``sizes``."""
    shape = tuple(input_shape)
    if data_format == "channels_first":
        return shape[:2] + tuple(sizes)
    return shape[:1] + tuple(sizes) + shape[-1:]


def normalize_pairs(value, rank: int, name: str) -> tuple:
    """``1`` -> ``((1, 1), (1, 1))``; ``(1, 2)`` -> ``((1, 1), (2, 2))``; pairs stay pairs (rank 2).

    For rank 1, a 2-tuple is the ``(before, after)`` pair of the one axis.
    """
    message = (f"`{name}` must be an int, a tuple of {rank} ints or a tuple of {rank} "
               f"(before, after) pairs of ints, got {value!r}")
    if isinstance(value, numbers.Integral):
        pairs = ((value, value),) * rank
    elif rank == 1:
        pairs = (normalize_tuple(value, 2, name, allow_zero=True),)
    else:
        try:
            items = tuple(value)
        except TypeError:
            raise ValueError(message) from None
        if len(items) != rank:
            raise ValueError(message)
        pairs = tuple((item, item) if isinstance(item, numbers.Integral)
                      else normalize_tuple(item, 2, name, allow_zero=True) for item in items)
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(message)
    return tuple((int(before), int(after)) for before, after in pairs)


# ---------------------------------------------------------------- ZeroPadding

class BaseZeroPadding(Layer):
    """Zeros added around the ``rank`` spatial axes; ``padding`` in any of Keras' spellings."""

    def __init__(self, rank, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self._pairs = normalize_pairs(padding, rank, "padding")
        # Keras keeps one (before, after) pair for 1-d, one pair per axis otherwise
        self.padding = self._pairs[0] if rank == 1 else self._pairs
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def call(self, inputs):
        return ops.pad(inputs, _per_axis(self.data_format, self._pairs, (0, 0)))

    def compute_output_shape(self, input_shape):
        spatial = tuple(None if size is None else size + before + after
                        for size, (before, after) in zip(_spatial_sizes(input_shape, self.data_format),
                                                         self._pairs))
        return _with_spatial(input_shape, self.data_format, spatial)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


class ZeroPadding1D(BaseZeroPadding):
    """Zeros added before and after the steps of ``(batch, steps, channels)``.

    >>> ZeroPadding1D((1, 2))(Input(shape=(5, 3))).shape
    (None, 8, 3)
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(1, padding, data_format, **kwargs)


class ZeroPadding2D(BaseZeroPadding):
    """Rows and columns of zeros around an image.

    >>> ZeroPadding2D(((1, 0), (2, 2)))(Input(shape=(4, 4, 3))).shape
    (None, 5, 8, 3)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(2, padding, data_format, **kwargs)


class ZeroPadding3D(BaseZeroPadding):
    """Zeros around a volume.

    >>> ZeroPadding3D(1)(Input(shape=(2, 3, 4, 1))).shape
    (None, 4, 5, 6, 1)
    """

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(3, padding, data_format, **kwargs)


# ------------------------------------------------------------------- Cropping

class BaseCropping(Layer):
    """``(before, after)`` elements cut from each of the ``rank`` spatial axes."""

    def __init__(self, rank, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.rank = rank
        self._pairs = normalize_pairs(cropping, rank, "cropping")
        self.cropping = self._pairs[0] if rank == 1 else self._pairs
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _check(self, input_shape):
        for size, (before, after) in zip(_spatial_sizes(input_shape, self.data_format), self._pairs):
            if size is not None and before + after >= size:
                raise ShapeError(f"{type(self).__name__} '{self.name}': cropping {self.cropping} leaves "
                                 f"nothing of an input of shape {format_shape(input_shape)}")

    def call(self, inputs):
        self._check(tuple(inputs.shape))
        # a negative stop keeps working when a size is known only at run time
        key = _per_axis(self.data_format, (slice(before, -after if after else None)
                                           for before, after in self._pairs), slice(None))
        return ops.getitem(inputs, key)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check(input_shape)
        spatial = tuple(None if size is None else size - before - after
                        for size, (before, after) in zip(_spatial_sizes(input_shape, self.data_format),
                                                         self._pairs))
        return _with_spatial(input_shape, self.data_format, spatial)

    def get_config(self):
        config = super().get_config()
        config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config


class Cropping1D(BaseCropping):
    """Steps cut from the start and the end of ``(batch, steps, channels)``.

    >>> Cropping1D((1, 2))(Input(shape=(8, 3))).shape
    (None, 5, 3)
    """

    def __init__(self, cropping=(1, 1), data_format=None, **kwargs):
        # Keras gives Cropping1D no data_format (the steps are axis 1); earlier kerasette
        # configs wrote 'channels_last', which is still read
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Cropping1D crops the steps of (batch, steps, channels) and takes no "
                             f"data_format, got data_format={data_format!r}")
        super().__init__(1, cropping, "channels_last", **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config


class Cropping2D(BaseCropping):
    """Rows and columns cut from the borders of an image.

    >>> Cropping2D(((2, 2), (4, 4)))(Input(shape=(28, 28, 3))).shape
    (None, 24, 20, 3)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(2, cropping, data_format, **kwargs)


class Cropping3D(BaseCropping):
    """Slices cut from the borders of a volume.

    >>> Cropping3D(1)(Input(shape=(4, 5, 6, 1))).shape
    (None, 2, 3, 4, 1)
    """

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(3, cropping, data_format, **kwargs)


# ----------------------------------------------------------------- UpSampling

def _repeat_axes(inputs, size, first_axis=1):
    for axis, factor in enumerate(size, start=first_axis):
        if factor != 1:
            inputs = ops.repeat(inputs, factor, axis=axis)
    return inputs


def _bilinear_axis(layer, inputs, axis, factor):
    """Linear interpolation along one axis to ``factor`` times its length (half-pixel centres).

    Output position ``o`` samples the input at ``(o + 0.5) / factor - 0.5``,
    clamped to the first and last pixel; the result is a blend of two
    gathered copies of the input.  The positions depend only on static
    sizes, so they are computed once here as constants.
    """
    shape = tuple(inputs.shape)
    size = shape[axis]
    if size is None:
        raise ShapeError(f"{type(layer).__name__} '{layer.name}': bilinear upsampling needs known "
                         f"spatial sizes, got an input of shape {format_shape(shape)}")
    if factor == 1:
        return inputs
    source = (numpy.arange(size * factor, dtype="float64") + 0.5) / factor - 0.5
    source = numpy.clip(source, 0.0, size - 1)
    lower = numpy.floor(source).astype("int64")
    upper = numpy.minimum(lower + 1, size - 1)
    weight = (source - lower).reshape((-1,) + (1,) * (len(shape) - axis - 1))
    below = ops.take(inputs, lower, axis=axis)
    above = ops.take(inputs, upper, axis=axis)
    weight = backend.as_array(weight, dtype=inputs.dtype)
    return ops.add(below, ops.multiply(ops.subtract(above, below), weight))


def _upsampled_shape(input_shape, size, data_format):
    spatial = tuple(None if s is None else s * f
                    for s, f in zip(_spatial_sizes(input_shape, data_format), size))
    return _with_spatial(input_shape, data_format, spatial)


class UpSampling1D(Layer):
    """Each step repeated ``size`` times: ``(batch, steps, c)`` -> ``(batch, steps * size, c)``.

    >>> UpSampling1D(3)(Input(shape=(4, 2))).shape
    (None, 12, 2)
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 1, "size")[0]
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return _repeat_axes(inputs, (self.size,))

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps * self.size, input_shape[2])

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config


class UpSampling2D(Layer):
    """Rows and columns repeated (``'nearest'``) or interpolated (``'bilinear'``) by ``size``.

    >>> UpSampling2D(interpolation="bilinear")(Input(shape=(7, 7, 3))).shape
    (None, 14, 14, 3)
    """

    _interpolations = ("nearest", "bilinear")

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 2, "size")
        self.data_format = normalize_data_format(data_format)
        interpolation = str(interpolation).lower()
        if interpolation not in self._interpolations:
            raise ValueError(f"UpSampling2D: interpolation must be 'nearest' or 'bilinear' "
                             f"(the others Keras knows are not implemented), got {interpolation!r}")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        first = 2 if self.data_format == "channels_first" else 1
        if self.interpolation == "nearest":
            return _repeat_axes(inputs, self.size, first)
        outputs = _bilinear_axis(self, inputs, first, self.size[0])
        return _bilinear_axis(self, outputs, first + 1, self.size[1])

    def compute_output_shape(self, input_shape):
        return _upsampled_shape(input_shape, self.size, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format,
                       "interpolation": self.interpolation})
        return config


class UpSampling3D(Layer):
    """Each voxel repeated ``size`` times along each spatial axis.

    >>> UpSampling3D()(Input(shape=(2, 3, 4, 1))).shape
    (None, 4, 6, 8, 1)
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 3, "size")
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        return _repeat_axes(inputs, self.size, 2 if self.data_format == "channels_first" else 1)

    def compute_output_shape(self, input_shape):
        return _upsampled_shape(input_shape, self.size, self.data_format)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config
