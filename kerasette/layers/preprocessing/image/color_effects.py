"""Image layers that filter or overwrite pixels: sharpness, Gaussian blur, posterization, inversion, erasing.

Keras 3.15's arguments, defaults and formulas, on ``base.BaseImagePreprocessingLayer``
(see ``color_tone`` for the common part).  A layer whose ``factor`` is a
probability (RandomGaussianBlur, RandomInvert, RandomErasing) draws, per image,
a probability in ``factor`` and a threshold in ``[0, 1)`` and acts when the
threshold is below the probability, as Keras does: ``factor=1.0`` (the range
``(0, 1)``) acts on about half of the images, ``factor=(1.0, 1.0)`` on all.
"""
from __future__ import annotations

import numpy

from .... import ops, random
from .base import (batch_size_of, box_masks, draw_apply, factor_bounds, images_of, is_number, known_image_size, per_image,
                   random_boxes)
from .color_tone import ColorLayer

__all__ = ["RandomSharpness", "RandomGaussianBlur", "RandomPosterization", "RandomInvert", "RandomErasing"]


def named_factor(layer, value, name, bounds=(0, 1)):
    """Keras' ``_set_factor_by_name``: a number ``f`` gives ``(max(-f, low), f)``, a pair is sorted."""
    message = (f"{type(layer).__name__}: the `{name}` argument should be a number (or a list of two numbers) "
               f"in the range [{bounds[0]}, {bounds[1]}]. Received: {name}={value!r}")
    return factor_bounds(value, bounds, message)


class RandomSharpness(ColorLayer):
    """Sharpens (or smooths) each image by a random amount (PIL's ImageEnhance.Sharpness).

    The image is blended with its 3x3 smoothed version (kernel ``[1 1 1; 1 5
    1; 1 1 1] / 13``, zero padding) as ``image + (1 - 2 f) * (smoothed -
    image)``, ``f`` drawn in ``factor`` (a number ``f`` gives ``[0, f]``):
    0.5 keeps the image, 0 smooths it, 1 sharpens it.  Clipped to ``value_range``.

    >>> RandomSharpness((0.5, 0.5))(numpy.full((1, 3, 3, 1), 7.0))[0, 1, 1]
    array([7.], dtype=float32)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        return {"factor": random.uniform((batch,), self.factor[0], self.factor[1], seed=self._draw_seed(seed))}

    def _apply(self, images, transformation):
        dtype = self.compute_dtype
        channels_first = self.data_format == "channels_first"
        if channels_first:
            images = ops.swapaxes(images, -3, -1)
        sharpness = per_image(ops.cast(ops.multiply(transformation["factor"], 2.0), dtype))
        channels = ops.shape(images)[-1]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = numpy.array([[a, a, a], [a, b, a], [a, a, a]], dtype=dtype)
        kernel = numpy.tile(kernel[:, :, None, None], (1, 1, channels, 1))
        smoothed = ops.cast(ops.depthwise_conv(images, kernel, strides=1, padding="same",
                                               data_format="channels_last"), dtype)
        images = ops.add(images, ops.multiply(ops.subtract(1.0, sharpness), ops.subtract(smoothed, images)))
        images = ops.clip(images, self.value_range[0], self.value_range[1])
        return ops.swapaxes(images, -3, -1) if channels_first else images


def _kernel_size(layer, value):
    name = "kernel_size"
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or not all(is_number(v) for v in value):
            raise ValueError(f"{type(layer).__name__}: the `{name}` argument should be a number (or a list of two "
                             f"numbers). Received: {name}={value!r}")
        sizes = tuple(value)
    elif is_number(value):
        sizes = (value, value)
    else:
        raise ValueError(f"{type(layer).__name__}: {name} must be an odd number. Received: {name}={value!r}")
    if any(int(s) != s or s % 2 == 0 or s < 1 for s in sizes):
        raise ValueError(f"{type(layer).__name__}: {name} must be an odd number. Received: {name}={value!r}")
    return tuple(int(s) for s in sizes)


def gaussian_kernel(kernel_size, sigma, dtype):
    """The ``(kh, kw)`` Gaussian of Keras' ``gaussian_blur`` for a (possibly drawn) ``sigma`` ``(sx, sy)``."""
    def one_d(size, s):
        x = numpy.arange(size, dtype=dtype) - numpy.asarray((size - 1) / 2, dtype=dtype)
        k = ops.exp(ops.multiply(-0.5, ops.square(ops.divide(x, s))))
        return ops.divide(k, ops.sum(k))
    sigma = ops.cast(sigma, dtype)
    return ops.outer(one_d(kernel_size[1], sigma[1]), one_d(kernel_size[0], sigma[0]))


class RandomGaussianBlur(ColorLayer):
    """Blurs images with a Gaussian of random ``sigma`` (drawn in ``sigma``, one pair for the batch).

    ``factor`` is the probability range of blurring an image (see the module
    docstring); ``kernel_size`` an odd number or pair; ``sigma`` a number
    ``s`` (the range ``[0, s]``) or a pair.  Clipped to ``value_range``.

    >>> blurred = RandomGaussianBlur(factor=(1.0, 1.0), sigma=(0.5, 0.5))(numpy.full((1, 4, 4, 1), 5.0))
    >>> blurred[0, 1:3, 1:3, 0].round(4)  # the inside keeps a flat image; zero padding darkens the edges
    array([[5., 5.],
           [5., 5.]], dtype=float32)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.kernel_size = _kernel_size(self, kernel_size)
        self.sigma = named_factor(self, sigma, "sigma")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        seed = self._draw_seed(seed)
        apply = draw_apply(self, batch, seed)
        sigma = ops.add(random.uniform((2,), self.sigma[0], self.sigma[1], dtype=self.compute_dtype, seed=seed),
                        1e-6)
        return {"should_apply_blur": apply, "blur_factor": sigma}

    def _apply(self, images, transformation):
        dtype = self.compute_dtype
        kernel = gaussian_kernel(self.kernel_size, transformation["blur_factor"], dtype)
        channels = ops.shape(images)[-1 if self.data_format == "channels_last" else 1]
        kernel = ops.tile(ops.reshape(kernel, (self.kernel_size[1], self.kernel_size[0], 1, 1)),
                          (1, 1, channels, 1))
        if self.data_format == "channels_first":
            blurred = ops.transpose(ops.depthwise_conv(ops.transpose(images, (0, 2, 3, 1)), kernel, strides=1,
                                                       padding="same", data_format="channels_last"), (0, 3, 1, 2))
        else:
            blurred = ops.depthwise_conv(images, kernel, strides=1, padding="same", data_format="channels_last")
        images = ops.where(per_image(transformation["should_apply_blur"]), ops.cast(blurred, dtype), images)
        return ops.clip(images, self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update({"kernel_size": self.kernel_size, "sigma": self.sigma})
        return config


class RandomPosterization(ColorLayer):
    """Keeps only the ``bits`` highest bits of each 8-bit pixel value, ``bits`` drawn in ``factor``.

    ``factor`` is a number ``f`` in ``[1, 8]`` (bits drawn in ``[1, f)``, as
    Keras' ``randint``) or a pair; a pair ``(b, b)`` always keeps ``b`` bits.
    Pixels go to ``[0, 255]``, are cut to uint8, shifted, and come back to
    ``value_range``.

    >>> RandomPosterization((2, 2))(numpy.array([[[[200.0, 100.0, 63.0]]]]))[0, 0, 0]
    array([192.,  64.,   0.], dtype=float32)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (1, 8)
    _MAX_FACTOR = 8

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        low, high = int(self.factor[0]), int(self.factor[1])
        if low != high:
            bits = random.randint((batch,), low, high, dtype="uint8", seed=self._draw_seed(seed))
        else:
            bits = ops.multiply(ops.ones((batch,), dtype="uint8"), numpy.uint8(low))
        return {"shift_factor": ops.subtract(numpy.uint8(self._MAX_FACTOR), bits)}

    def _apply(self, images, transformation):
        dtype = self.compute_dtype
        shift = ops.reshape(ops.cast(transformation["shift_factor"], "uint8"), (-1, 1, 1, 1))
        images = self._transform_value_range(images, self.value_range, (0, 255), dtype=dtype)
        images = ops.cast(images, "uint8")
        images = ops.bitwise_left_shift(ops.bitwise_right_shift(images, shift), shift)
        images = ops.cast(images, dtype)
        return ops.cast(self._transform_value_range(images, (0, 255), self.value_range, dtype=dtype), dtype)


class RandomInvert(ColorLayer):
    """Replaces an image by ``high - image`` (``high`` of ``value_range``) at random.

    ``factor`` is the probability range of inverting an image (see the
    module docstring; the default 1.0 inverts about half of them).

    >>> RandomInvert((1.0, 1.0))(numpy.array([[[[0.0, 55.0, 255.0]]]]))[0, 0, 0]
    array([255., 200.,   0.], dtype=float32)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        return {"apply_inversion": draw_apply(self, batch, self._draw_seed(seed))}

    def _apply(self, images, transformation):
        inverted = ops.subtract(ops.cast(self.value_range[1], images.dtype), images)
        return ops.where(per_image(transformation["apply_inversion"]), inverted, images)


class RandomErasing(ColorLayer):
    """Overwrites a random rectangle of each image (Zhong et al.'s random erasing).

    ``factor`` is the probability range of erasing an image (see the module
    docstring); ``scale`` the range of the rectangle's side ratios before
    their square root (each side ``sqrt(s) * size``, ``s`` in ``scale``);
    ``fill_value`` a number, three numbers (per channel), or ``None`` for
    Gaussian noise times ``high``; the fill is clipped to ``value_range``.

    >>> RandomErasing(factor=(1.0, 1.0), scale=(1.0, 1.0), fill_value=7.0)(numpy.zeros((1, 2, 2, 1)))[0, ..., 0]
    array([[7., 7.],
           [7., 7.]], dtype=float32)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(value_range=value_range, seed=seed, data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = named_factor(self, scale, "scale")
        if fill_value is not None and not is_number(fill_value) and not (
                isinstance(fill_value, (tuple, list)) and len(fill_value) == 3
                and all(is_number(v) for v in fill_value)):
            raise ValueError(f"{type(self).__name__}: the `fill_value` argument should be a number (or a list of "
                             f"three numbers). Received: fill_value={fill_value!r}")
        self.fill_value = list(fill_value) if isinstance(fill_value, tuple) else fill_value

    def _fill(self, images, seed):
        dtype = self.compute_dtype
        if self.fill_value is None:
            fill = ops.multiply(random.normal(ops.shape(images), dtype=dtype, seed=seed),
                                float(self.value_range[1]))
        else:
            values = numpy.asarray(self.fill_value, dtype=dtype)
            if values.ndim and self.data_format == "channels_first":
                values = values.reshape(3, 1, 1)
            fill = ops.multiply(ops.ones_like(images, dtype=dtype), values)
        return ops.clip(fill, self.value_range[0], self.value_range[1])

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        batch = batch_size_of(images)
        height, width = known_image_size(self, images)
        seed = self._draw_seed(seed)
        dtype = self.compute_dtype
        sides = ops.sqrt(random.uniform((batch, 2), self.scale[0], self.scale[1], dtype=dtype, seed=seed))
        box = random_boxes(batch, height, width, sides[:, 0], sides[:, 1], seed, dtype)
        masks = box_masks(height, width, box, self.data_format, dtype)
        apply = draw_apply(self, batch, seed)
        return {"apply_erasing": apply, "batch_masks": masks, "fill_value": self._fill(images, seed)}

    def _apply(self, images, transformation):
        fill = ops.cast(transformation["fill_value"], images.dtype)
        erased = ops.where(transformation["batch_masks"], fill, images)
        return ops.where(per_image(transformation["apply_erasing"]), erased, images)

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale, "fill_value": self.fill_value})
        return config
