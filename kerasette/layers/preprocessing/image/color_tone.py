"""Image layers that shift tones and colours: contrast, brightness, grayscale, hue, saturation, colour jitter.

Every layer follows ``base.BaseImagePreprocessingLayer``: in training
``get_random_transformation`` draws one value per image with
``kerasette.random`` (so a compiled model draws afresh at every step) and
``transform_images`` applies it; outside training the images pass through
(cast to the layer's compute dtype).  Arguments, defaults and formulas are
Keras 3.15's; ``value_range`` is the range the pixels live in.
"""
from __future__ import annotations

from .... import ops, random
from .base import BaseImagePreprocessingLayer, batch_size_of, images_of, is_number, per_image, spatial_axes

__all__ = ["RandomContrast", "RandomBrightness", "RandomGrayscale", "RandomHue", "RandomSaturation",
           "RandomColorDegeneration", "RandomColorJitter"]

_EPSILON = 1e-7  # Keras' backend epsilon, in RandomSaturation's factor / (1 - factor)


# ------------------------------------------------------------------ shared helpers

def channel_planes(images, data_format):
    """The channel planes of 4-d images, each ``(batch, h, w)``."""
    count = ops.shape(images)[-1 if data_format == "channels_last" else 1]
    if data_format == "channels_last":
        return [images[..., i] for i in range(count)]
    return [images[:, i] for i in range(count)]


def stack_planes(planes, data_format):
    return ops.stack(planes, axis=-1 if data_format == "channels_last" else 1)


def check_value_range(layer, value_range):
    """Keras' check of ``value_range`` (two numbers), kept sorted."""
    if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
            or not all(is_number(v) for v in value_range)):
        raise ValueError(f"{type(layer).__name__}: the `value_range` argument should be a list of two numbers. "
                         f"Received: value_range={value_range!r}")
    layer.value_range = tuple(sorted(value_range))


def check_probability(layer, name, value):
    if not is_number(value) or not 0 <= value <= 1:
        raise ValueError(f"{type(layer).__name__}: `{name}` should be a number between 0 and 1. "
                         f"Received: {name}={value!r}")
    return value


class ColorLayer(BaseImagePreprocessingLayer):
    """The common part of the colour layers: ``value_range``, ``seed``, identity outside training."""

    def __init__(self, factor=None, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        if self._USE_BASE_FACTOR:
            super().__init__(factor=factor, data_format=data_format, **kwargs)
        else:
            super().__init__(data_format=data_format, **kwargs)
        check_value_range(self, value_range)
        self._make_seed_generator(seed)

    def _apply(self, images, transformation):
        raise NotImplementedError

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        return self._apply(images, transformation)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config


# ------------------------------------------------------------------------ layers

class RandomContrast(ColorLayer):
    """Scales each image's distance from its mean by a random factor in ``[1 - lower, 1 + upper]``.

    ``factor`` is a number ``f`` (the range ``[1 - f, 1 + f]``) or a pair
    ``(lower, upper)``, in ``[0, 1]``; the result is clipped to
    ``value_range``.  Each channel keeps its own mean over height and width.

    >>> RandomContrast(0.5, seed=0)(numpy.full((1, 2, 2, 3), 9.0))[0, 0, 0]
    array([9., 9., 9.], dtype=float32)
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor=factor, value_range=value_range, seed=seed, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        factor = random.uniform((batch, 1, 1, 1), 1.0 - self.factor[0], 1.0 + self.factor[1],
                                dtype=self.compute_dtype, seed=self._draw_seed(seed))
        return {"contrast_factor": factor}

    def _apply(self, images, transformation):
        factor = ops.cast(transformation["contrast_factor"], images.dtype)
        mean = ops.mean(images, axis=spatial_axes(self.data_format), keepdims=True)
        outputs = ops.add(ops.multiply(ops.subtract(images, mean), factor), mean)
        return ops.clip(outputs, self.value_range[0], self.value_range[1])


class RandomBrightness(ColorLayer):
    """Adds a random ``delta * (high - low)`` to every pixel of an image, ``delta`` drawn in ``factor``.

    ``factor`` is a number ``f`` in ``[-1, 1]`` (``delta`` in ``[-|f|, |f|]``)
    or a pair ``(lower, upper)``; the result is clipped to ``value_range``.

    >>> RandomBrightness((0.1, 0.1))(numpy.zeros((1, 1, 1, 3)))[0, 0, 0]
    array([25.5, 25.5, 25.5], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor=factor, value_range=value_range, seed=seed, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        delta = random.uniform((batch, 1, 1, 1), self.factor[0], self.factor[1], seed=self._draw_seed(seed))
        return {"rgb_delta": ops.multiply(delta, float(self.value_range[1] - self.value_range[0]))}

    def _apply(self, images, transformation):
        images = ops.add(images, ops.cast(transformation["rgb_delta"], images.dtype))
        return ops.clip(images, self.value_range[0], self.value_range[1])


class RandomGrayscale(BaseImagePreprocessingLayer):
    """Turns each image to grayscale (kept in 3 channels) with probability ``factor`` (default 0.5).

    >>> RandomGrayscale(1.0)(numpy.array([[[[10.0, 20.0, 30.0]]]]))[0, 0, 0]
    array([18.149, 18.149, 18.149], dtype=float32)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = check_probability(self, "factor", factor)
        self._make_seed_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        draws = random.uniform((batch,), seed=self._draw_seed(seed))
        return per_image(ops.less(draws, float(self.factor)))

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        gray = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        return ops.where(transformation, gray, images)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "seed": self.seed})
        return config


def _hsv_channel_update(images, data_format, channel, update):
    """Images in HSV with channel ``channel`` replaced by ``update(plane)``."""
    planes = channel_planes(images, data_format)
    planes[channel] = update(planes[channel])
    return stack_planes(planes, data_format)


class RandomHue(ColorLayer):
    """Rotates each image's hue by a random ``+-factor / 2`` of the colour circle.

    ``factor`` is a number ``f`` in ``[0, 1]`` (an amount in ``[0, f]``) or a
    pair; the sign is drawn with even odds.  The images go through HSV in
    ``[0, 1]`` and come back in ``value_range``.

    >>> RandomHue(0.5, seed=1)(numpy.full((1, 1, 1, 3), 128.0))[0, 0, 0]
    array([128., 128., 128.], dtype=float32)
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor=factor, value_range=value_range, seed=seed, data_format=data_format, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        seed = self._draw_seed(seed)
        sign = ops.where(ops.greater(random.uniform((batch,), seed=seed), 0.5), -1.0, 1.0)
        amount = random.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        return {"factor": ops.multiply(ops.multiply(sign, amount), 0.5)}

    def _apply(self, images, transformation):
        dtype = self.compute_dtype
        images = ops.cast(self._transform_value_range(images, self.value_range, (0, 1), dtype=dtype), dtype)
        shift = ops.reshape(ops.cast(transformation["factor"], dtype), (-1, 1, 1))

        def rotate(hue):
            hue = ops.add(hue, shift)
            hue = ops.where(ops.greater(hue, 1.0), ops.subtract(hue, 1.0), hue)
            return ops.where(ops.less(hue, 0.0), ops.add(hue, 1.0), hue)

        hsv = ops.image.rgb_to_hsv(images, data_format=self.data_format)
        images = ops.image.hsv_to_rgb(_hsv_channel_update(hsv, self.data_format, 0, rotate),
                                      data_format=self.data_format)
        images = ops.clip(images, 0.0, 1.0)
        return ops.cast(self._transform_value_range(images, (0, 1), self.value_range, dtype=dtype), dtype)


class RandomSaturation(ColorLayer):
    """Scales each image's saturation (HSV) by ``f / (1 - f)``, ``f`` drawn in ``factor``.

    ``factor`` is a number ``f`` in ``[-1, 1]`` (the range ``[-|f|, |f|]``,
    Keras' bounds) or a pair: 0.5 keeps the saturation, 0 and below give
    grayscale, 1 the most saturated colours.  As in Keras the RGB values enter
    the HSV conversion as they are and the new saturation is clipped to
    ``value_range``.

    >>> RandomSaturation((0.0, 0.0), value_range=(0, 1))(numpy.array([[[[1.0, 0.5, 0.0]]]]))[0, 0, 0]
    array([1., 1., 1.], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor=factor, value_range=value_range, seed=seed, data_format=data_format, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        factor = random.uniform((batch,), self.factor[0], self.factor[1], seed=self._draw_seed(seed))
        return {"factor": ops.divide(factor, ops.add(ops.subtract(1.0, factor), _EPSILON))}

    def _apply(self, images, transformation):
        scale = ops.reshape(ops.cast(transformation["factor"], self.compute_dtype), (-1, 1, 1))
        low, high = self.value_range

        def saturate(plane):
            return ops.clip(ops.multiply(plane, scale), low, high)

        hsv = ops.image.rgb_to_hsv(images, data_format=self.data_format)
        return ops.image.hsv_to_rgb(_hsv_channel_update(hsv, self.data_format, 1, saturate),
                                    data_format=self.data_format)


class RandomColorDegeneration(ColorLayer):
    """Blends each image toward its grayscale version by a random ``factor`` (Keras' RandomColorDegeneration).

    ``factor`` is a number ``f`` in ``[-1, 1]`` (the range ``[-|f|, |f|]``) or
    a pair: 0 keeps the image, 1 gives grayscale; clipped to ``value_range``.

    >>> RandomColorDegeneration((1.0, 1.0))(numpy.array([[[[10.0, 20.0, 30.0]]]]))[0, 0, 0]
    array([18.149, 18.149, 18.149], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor=factor, value_range=value_range, seed=seed, data_format=data_format, **kwargs)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        return {"factor": random.uniform((batch, 1, 1, 1), self.factor[0], self.factor[1],
                                         seed=self._draw_seed(seed))}

    def _apply(self, images, transformation):
        factor = ops.cast(transformation["factor"], images.dtype)
        gray = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        images = ops.add(images, ops.multiply(factor, ops.subtract(gray, images)))
        return ops.clip(images, self.value_range[0], self.value_range[1])


class RandomColorJitter(BaseImagePreprocessingLayer):
    """Random brightness, contrast, saturation and hue, in that order (each only when its factor is given).

    ``brightness_factor``, ``contrast_factor``, ``saturation_factor`` and
    ``hue_factor`` take the ``factor`` of RandomBrightness, RandomContrast,
    RandomSaturation and RandomHue; every draw comes from this layer's seed.

    >>> RandomColorJitter(brightness_factor=(0.1, 0.1))(numpy.zeros((1, 1, 1, 3)))[0, 0, 0]
    array([25.5, 25.5, 25.5], dtype=float32)
    """

    _USE_BASE_FACTOR = False
    _STAGES = (("brightness", RandomBrightness), ("contrast", RandomContrast),
               ("saturation", RandomSaturation), ("hue", RandomHue))

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None, saturation_factor=None,
                 hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        check_value_range(self, value_range)
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self._make_seed_generator(seed)
        dtype = kwargs.get("dtype")
        self._stages = []
        for stage, cls in self._STAGES:
            factor = getattr(self, f"{stage}_factor")
            layer = None
            if factor is not None:
                layer = cls(factor=factor, value_range=self.value_range, seed=seed,
                            data_format=self.data_format, dtype=dtype, name=f"random_{stage}")
                self._stages.append((stage, layer))
            setattr(self, f"random_{stage}", layer)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        seed = self._draw_seed(seed)
        return {stage: layer.get_random_transformation(data, training=True, seed=seed)
                for stage, layer in self._stages}

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        for stage, layer in self._stages:
            images = ops.cast(layer.transform_images(images, transformation[stage]), self.compute_dtype)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "brightness_factor": self.brightness_factor,
                       "contrast_factor": self.contrast_factor, "saturation_factor": self.saturation_factor,
                       "hue_factor": self.hue_factor, "seed": self.seed})
        return config
