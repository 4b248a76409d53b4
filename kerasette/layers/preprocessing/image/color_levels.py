"""Image layers that remap pixel levels: Solarization, Equalization, AutoContrast.

Keras 3.15's arguments and formulas on ``base.BaseImagePreprocessingLayer``.
Solarization is random (identity outside training); Equalization acts in
training only (called directly it acts, in ``predict`` it is the identity);
AutoContrast acts whatever ``training`` is, as Keras' does.  All work on
pixels mapped from ``value_range`` to ``[0, 255]`` and back.
"""
from __future__ import annotations

import numbers


from .... import ops, random
from .base import BaseImagePreprocessingLayer
from .color_tone import (batch_size_of, channel_planes, check_value_range, images_of, spatial_axes,
                         stack_planes)

__all__ = ["Solarization", "Equalization", "AutoContrast"]


def _solarization_factor(layer, value, name):
    message = (f"{type(layer).__name__}: the `addition_factor` and `threshold_factor` arguments should be a number "
               f"(or a list of two numbers) in the range [0, 1]. Received: {name}={value!r}")

    def check(v):
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 <= v <= 1:
            raise ValueError(message)
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(message)
        for v in value:
            check(v)
        return tuple(sorted(value))
    check(value)
    return (0, value)


class Solarization(BaseImagePreprocessingLayer):
    """Inverts the pixels at or above a random threshold after adding a random amount to all of them.

    Per image, ``add`` is drawn in ``[a0, a1 * 255]`` and ``threshold`` in
    ``[t0, t1 * 255]`` (``addition_factor=(a0, a1)``, ``threshold_factor=(t0,
    t1)``, a number ``f`` meaning ``(0, f)``, all in ``[0, 1]``); on ``[0,
    255]`` pixels ``p = clip(x + add, 0, 255)`` the output is ``p`` below the
    threshold and ``255 - p`` from it on.  The defaults (both 0) invert
    every pixel.

    >>> Solarization()(numpy.array([[[[0.0, 100.0, 255.0]]]]))[0, 0, 0]
    array([255., 155.,   0.], dtype=float32)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self._make_seed_generator(seed)
        self.addition_factor = _solarization_factor(self, addition_factor, "addition_factor")
        self.threshold_factor = _solarization_factor(self, threshold_factor, "threshold_factor")
        check_value_range(self, value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        seed = self._draw_seed(seed)
        dtype = self.compute_dtype
        additions = random.uniform((batch, 1, 1, 1), self.addition_factor[0], self.addition_factor[1] * 255,
                                   dtype=dtype, seed=seed)
        thresholds = random.uniform((batch, 1, 1, 1), self.threshold_factor[0], self.threshold_factor[1] * 255,
                                    dtype=dtype, seed=seed)
        return {"additions": additions, "thresholds": thresholds}

    def transform_images(self, images, transformation, training=True):
        dtype = self.compute_dtype
        images = ops.cast(images, dtype)
        if not training or transformation is None:
            return images
        images = self._transform_value_range(images, self.value_range, (0, 255), dtype=dtype)
        results = ops.clip(ops.add(images, ops.cast(transformation["additions"], dtype)), 0.0, 255.0)
        results = ops.where(ops.less(results, ops.cast(transformation["thresholds"], dtype)), results,
                            ops.subtract(255.0, results))
        return ops.cast(self._transform_value_range(results, (0, 255), self.value_range, dtype=dtype), dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "addition_factor": self.addition_factor,
                       "threshold_factor": self.threshold_factor, "seed": self.seed})
        return config


def _scale(values, source, target):
    scale = (target[1] - target[0]) / (source[1] - source[0])
    return ops.add(ops.multiply(values, scale), target[0] - source[0] * scale)


class Equalization(BaseImagePreprocessingLayer):
    """Histogram equalization of each channel (over the whole batch, as Keras does), in training.

    Pixels of ``value_range`` are binned into ``bins`` equal bins of ``[0,
    255]``; each pixel becomes ``round(255 * (cdf(bin) - cdf_min) / (n -
    cdf_min))``.  A channel whose pixels all fall in one bin is kept.

    >>> Equalization()(numpy.array([[[[0.0], [10.0]], [[10.0], [200.0]]]]))[0, ..., 0]
    array([[  0., 170.],
           [170., 255.]], dtype=float32)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(bins, bool) or not isinstance(bins, numbers.Integral) or bins < 1:
            raise ValueError(f"Equalization: argument `bins` must be a positive integer. Received: bins={bins!r}")
        self.bins = int(bins)
        check_value_range(self, value_range)

    def _histogram(self, channel):
        scaled = ops.divide(ops.multiply(ops.cast(channel, "float32"), float(self.bins - 1)), 255.0)
        indices = ops.clip(ops.cast(scaled, "int32"), 0, self.bins - 1)
        return ops.bincount(ops.reshape(indices, (-1,)), minlength=self.bins)

    def _equalize(self, channel):
        channel = _scale(channel, self.value_range, (0, 255))
        histogram = ops.cast(self._histogram(channel), "int32")
        cdf = ops.cumsum(histogram)
        cdf_min = ops.take(cdf, ops.argmax(ops.greater(cdf, 0)))
        denominator = ops.subtract(cdf[-1], cdf_min)
        denominator = ops.where(ops.equal(denominator, 0), ops.ones_like(denominator), denominator)
        table = ops.divide(ops.cast(ops.multiply(ops.subtract(cdf, cdf_min), 255), "float32"),
                           ops.cast(denominator, "float32"))
        table = ops.clip(ops.round(table), 0.0, 255.0)
        indices = ops.cast(ops.clip(ops.multiply(ops.divide(channel, 255.0), float(self.bins - 1)), 0.0,
                                    float(self.bins - 1)), "int32")
        equalized = ops.cast(ops.take(table, indices), ops.dtype(channel))
        equalized = ops.where(ops.less_equal(ops.count_nonzero(histogram), 1), channel, equalized)
        return _scale(equalized, (0, 255), self.value_range)

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if not training:
            return images
        planes = [self._equalize(plane) for plane in channel_planes(images, self.data_format)]
        return ops.cast(stack_planes(planes, self.data_format), self.compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def get_config(self):
        config = super().get_config()
        config.update({"bins": self.bins, "value_range": self.value_range})
        return config


class AutoContrast(BaseImagePreprocessingLayer):
    """Stretches each channel of each image to the full ``value_range`` (its lowest pixel to the low end,
    its highest to the high end), whatever ``training`` is (Keras 3's behaviour).

    A channel of one value is kept as it is.

    >>> AutoContrast()(numpy.array([[[[50.0], [100.0]]]]))[0, 0, :, 0]
    array([  0., 255.], dtype=float32)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        check_value_range(self, value_range)

    def transform_images(self, images, transformation=None, training=True):
        dtype = self.compute_dtype
        original = ops.cast(images, dtype)
        images = ops.cast(self._transform_value_range(original, self.value_range, (0, 255), dtype=dtype), dtype)
        axes = spatial_axes(self.data_format)
        low = ops.min(images, axis=axes, keepdims=True)
        high = ops.max(images, axis=axes, keepdims=True)
        spread = ops.subtract(high, low)
        flat = ops.less_equal(spread, 0.0)
        scale = ops.divide(255.0, ops.where(flat, ops.ones_like(spread), spread))
        results = ops.clip(ops.add(ops.multiply(images, scale), ops.multiply(ops.negative(low), scale)), 0.0, 255.0)
        results = self._transform_value_range(results, (0, 255), self.value_range, dtype=dtype)
        return ops.cast(ops.where(flat, original, results), dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def get_config(self):
        config = super().get_config()
        config["value_range"] = self.value_range
        return config
