"""RandomRotation, RandomZoom and RandomTranslation: random affine warps (``ops.image.affine_transform``).

Each draws its parameters per image with ``kerasette.random`` (fresh at
every step of a compiled model), builds Keras' 8-number transforms
(output pixel -> input pixel) and samples with ``fill_mode`` (``"reflect"``,
``"wrap"``, ``"constant"``, ``"nearest"``) and ``interpolation``
(``"bilinear"``, ``"nearest"``).  Outside training they are the identity.
The sampling is written with ops on run-time sizes (``sample``), so images of
unknown height and width (``Input((None, None, 3))``) work in graphs too;
its numbers are those of ``ops.image.affine_transform``.
"""
from __future__ import annotations

from .... import ops, random
from .base import BaseImagePreprocessingLayer, batch_size_of, image_size, images_of, is_number

__all__ = ["RandomRotation", "RandomZoom", "RandomTranslation"]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def check_fill_and_interpolation(fill_mode, interpolation):
    if fill_mode not in FILL_MODES:
        raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {FILL_MODES}.")
    if interpolation not in INTERPOLATIONS:
        raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}.")


def factor_range(factor, name, open_low):
    """``(lower, upper)`` of a height/width factor: a number ``f`` is ``(-f, f)``; the bounds are
    ``[-1, 1]`` (``(-1, 1]`` when ``open_low``)."""
    interval = "(-1.0, 1.0]" if open_low else "[-1.0, 1.0]"
    message = (f"The `{name}` argument should be a number (or a list of two numbers) in the range {interval}. "
               f"Received: {name}={factor}")

    def check(value):
        if not is_number(value) or value > 1.0 or value < -1.0 or (open_low and value == -1.0):
            raise ValueError(message)
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(message)
        check(factor[0])
        check(factor[1])
        return tuple(sorted(factor))
    check(factor)
    return -abs(factor), abs(factor)


def channels_last(images, data_format):
    return images if data_format == "channels_last" else ops.transpose(images, (0, 2, 3, 1))


def back_to_format(images, data_format):
    return images if data_format == "channels_last" else ops.transpose(images, (0, 3, 1, 2))


def _fold(index, size, fill_mode):
    """Integer pixel ``index`` brought inside ``[0, size)`` by ``fill_mode`` (scipy's rules, as Keras)."""
    if fill_mode == "nearest":
        index = ops.clip(index, 0, ops.subtract(size, 1))
    elif fill_mode == "wrap":
        index = ops.mod(index, size)
    elif fill_mode == "mirror":
        period = ops.maximum(ops.subtract(size, 1), 1)
        folded = ops.abs(ops.subtract(ops.mod(ops.add(index, period), ops.multiply(period, 2)), period))
        index = ops.where(ops.equal(size, 1), ops.zeros_like(index), folded)
    elif fill_mode == "reflect":
        period = ops.multiply(size, 2)
        twice = ops.add(ops.multiply(index, 2), ops.add(period, 1))
        index = ops.floor_divide(ops.subtract(ops.abs(ops.subtract(ops.mod(twice, ops.multiply(period, 2)), period)),
                                              1), 2)
    return ops.clip(index, 0, ops.subtract(size, 1))


def _nodes(coordinate, interpolation):
    """``[(integer index, weight)]``: one node (nearest, halves away from zero) or two (linear)."""
    if interpolation == "nearest":
        rounded = ops.where(ops.greater_equal(coordinate, 0.0), ops.floor(ops.add(coordinate, 0.5)),
                            ops.ceil(ops.subtract(coordinate, 0.5)))
        return [(ops.cast(rounded, "int32"), None)]
    low = ops.floor(coordinate)
    upper = ops.subtract(coordinate, low)
    low = ops.cast(low, "int32")
    return [(low, ops.subtract(1.0, upper)), (ops.add(low, 1), upper)]


def sample(images, rows, cols, interpolation, fill_mode, fill_value):
    """Channels-last ``images`` (B, H, W, C) read at float ``rows``/``cols`` (B, H, W): nearest or
    bilinear, outside pixels by ``fill_mode`` (``fill_value`` for ``"constant"``), numbers as
    ``ops.image.map_coordinates``.  Each corner gathers whole pixels (all channels at once), and
    sizes may be known only at run time."""
    batch, height, width, channels = ops.shape(images)
    dtype = ops.dtype(images)
    flat = ops.reshape(images, (-1, channels))
    image_index = ops.reshape(ops.arange(batch, dtype="int32"), (-1, 1, 1))
    out = None
    for row, row_weight in _nodes(rows, interpolation):
        for col, col_weight in _nodes(cols, interpolation):
            index = ops.add(ops.multiply(ops.add(ops.multiply(image_index, height), _fold(row, height, fill_mode)),
                                         width), _fold(col, width, fill_mode))
            value = ops.take(flat, index, axis=0)
            if fill_mode == "constant":
                inside = ops.logical_and(
                    ops.logical_and(ops.greater_equal(row, 0), ops.less(row, height)),
                    ops.logical_and(ops.greater_equal(col, 0), ops.less(col, width)))
                value = ops.where(ops.expand_dims(inside, -1), value, ops.cast(fill_value, dtype))
            weight = row_weight if col_weight is None else (
                col_weight if row_weight is None else ops.multiply(row_weight, col_weight))
            if weight is not None:
                value = ops.multiply(value, ops.expand_dims(ops.cast(weight, dtype), -1))
            out = value if out is None else ops.add(out, value)
    return out


def pixel_grid(height, width):
    """Row and column indices, float32, shaped ``(1, H, 1)`` and ``(1, 1, W)``."""
    return (ops.reshape(ops.arange(height, dtype="float32"), (1, -1, 1)),
            ops.reshape(ops.arange(width, dtype="float32"), (1, 1, -1)))


def affine_warp(images, transform, interpolation, fill_mode, fill_value, data_format):
    """``images`` (4-d) warped by Keras' ``(batch, 8)`` affine transforms (output pixel -> input pixel)."""
    batch = channels_last(images, data_format)
    _, height, width, _ = ops.shape(batch)
    t = [ops.reshape(ops.cast(transform[:, i], "float32"), (-1, 1, 1)) for i in range(6)]
    rows, cols = pixel_grid(height, width)
    in_rows = ops.add(ops.add(ops.multiply(rows, t[4]), ops.multiply(cols, t[3])), t[5])
    in_cols = ops.add(ops.add(ops.multiply(rows, t[1]), ops.multiply(cols, t[0])), t[2])
    return back_to_format(sample(batch, in_rows, in_cols, interpolation, fill_mode, fill_value), data_format)


def _column(x):
    return ops.reshape(x, (-1, 1))


class _AffineLayer(BaseImagePreprocessingLayer):
    """A layer that warps by Keras' ``(batch, 8)`` affine transforms with ``fill_mode``, ``fill_value`` and
    ``interpolation`` (these three layers and ``extra.RandomShear``)."""

    def _setup(self, fill_mode, interpolation, fill_value, seed):
        check_fill_and_interpolation(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value
        self._make_seed_generator(seed)

    def _warp(self, images, transform, interpolation):
        return affine_warp(images, transform, interpolation, self.fill_mode, self.fill_value, self.data_format)

    def _common_config(self):
        return {"fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                "fill_value": self.fill_value}


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle in ``factor * 360`` degrees about its centre, in training.

    ``factor``: a fraction of a full turn, a number ``f`` (``[-f, f]``) or a pair
    ``(lower, upper)`` within ``[-1, 1]``; positive angles turn counter-clockwise.

    >>> RandomRotation(0.1, seed=0)(numpy.zeros((2, 5, 5, 1))).shape
    (2, 5, 5, 1)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self._setup(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        height, width = image_size(images, self.data_format)
        batch = batch_size_of(images)
        angle = random.uniform((batch,), self.factor[0] * 360.0, self.factor[1] * 360.0,
                               seed=self._draw_seed(seed))
        zeros, ones = ops.zeros_like(angle), ops.ones_like(angle)
        matrix = self._compute_affine_matrix(0.5, 0.5, angle, zeros, zeros, ones, zeros, zeros, height, width)
        return {"angle": angle, "rotation_matrix": matrix}

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        return self._warp(images, transformation["rotation_matrix"], interpolation)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, **self._common_config()})
        return config


class RandomZoom(_AffineLayer):
    """Zooms each image by a random amount in training, about its centre.

    ``height_factor`` / ``width_factor``: numbers or ``(lower, upper)`` pairs in
    ``(-1, 1]``; the input window is scaled by ``1 + factor`` (positive: zoom
    out, negative: zoom in).  Without ``width_factor`` both axes share the draw.

    >>> RandomZoom(0.2, seed=0)(numpy.zeros((2, 5, 5, 1))).shape
    (2, 5, 5, 1)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = factor_range(height_factor, "height_factor", open_low=True)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = factor_range(width_factor, "width_factor", open_low=True)
        self._setup(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        batch = batch_size_of(images)
        seed = self._draw_seed(seed)
        height_zoom = random.uniform((batch, 1), 1.0 + self.height_lower, 1.0 + self.height_upper, seed=seed)
        width_zoom = height_zoom if self.width_factor is None else random.uniform(
            (batch, 1), 1.0 + self.width_lower, 1.0 + self.width_upper, seed=seed)
        return {"height_zoom": height_zoom, "width_zoom": width_zoom}

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        height, width = image_size(images, self.data_format)
        zoom_w = ops.cast(transformation["width_zoom"], "float32")
        zoom_h = ops.cast(transformation["height_zoom"], "float32")
        x_offset = ops.multiply((ops.cast(width, "float32") - 1.0) / 2.0, ops.subtract(1.0, zoom_w))
        y_offset = ops.multiply((ops.cast(height, "float32") - 1.0) / 2.0, ops.subtract(1.0, zoom_h))
        zeros = ops.zeros_like(zoom_w)
        transform = ops.concatenate([zoom_w, zeros, x_offset, zeros, zoom_h, y_offset, zeros, zeros], axis=1)
        return self._warp(images, transform, interpolation)

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor,
                       **self._common_config()})
        return config


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its height and width in training.

    ``height_factor`` / ``width_factor``: numbers ``f`` (shifts in ``[-f, f]``
    of the size) or ``(lower, upper)`` pairs in ``[-1, 1]``; positive moves
    down / right.

    >>> RandomTranslation(0.2, 0.2, seed=0)(numpy.zeros((2, 5, 5, 1))).shape
    (2, 5, 5, 1)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = factor_range(height_factor, "height_factor", open_low=False)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = factor_range(width_factor, "width_factor", open_low=False)
        self._setup(fill_mode, interpolation, fill_value, seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        height, width = image_size(images, self.data_format)
        batch = batch_size_of(images)
        seed = self._draw_seed(seed)
        shift_h = ops.multiply(random.uniform((batch, 1), self.height_lower, self.height_upper, seed=seed),
                               ops.cast(height, "float32"))
        shift_w = ops.multiply(random.uniform((batch, 1), self.width_lower, self.width_upper, seed=seed),
                               ops.cast(width, "float32"))
        return {"translations": ops.cast(ops.concatenate([shift_w, shift_h], axis=1), "float32")}

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        shifts = transformation["translations"]
        shift_w, shift_h = _column(shifts[:, 0]), _column(shifts[:, 1])
        zeros, ones = ops.zeros_like(shift_w), ops.ones_like(shift_w)
        transform = ops.concatenate([ones, zeros, ops.negative(shift_w), zeros, ones, ops.negative(shift_h),
                                     zeros, zeros], axis=1)
        return self._warp(images, transform, interpolation)

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor, "width_factor": self.width_factor,
                       **self._common_config()})
        return config
