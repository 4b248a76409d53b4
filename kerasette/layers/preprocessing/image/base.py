"""``BaseImagePreprocessingLayer``: the base of every image preprocessing / augmentation layer.

The role of Keras 3's ``BaseImagePreprocessingLayer``; the contract for a subclass:

* ``__init__(..., factor=None, bounding_box_format=None, data_format=None,
  seed=None, **kwargs)`` calls ``super().__init__(factor=..., data_format=...,
  **kwargs)``.  With ``_USE_BASE_FACTOR = True`` (the default) ``factor``
  is checked against ``_FACTOR_BOUNDS`` and stored as ``self.factor = (lower,
  upper)`` by ``_set_factor`` (a number ``f`` gives ``(max(-f, low_bound), f)``);
  a layer whose ``factor`` means something else sets ``_USE_BASE_FACTOR =
  False`` and handles it itself (the base then refuses a ``factor``).
  ``self.data_format`` is ``'channels_last'`` or ``'channels_first'``
  (``None`` -> ``backend.image_data_format()``).
* randomness: call ``self._make_seed_generator(seed)`` in ``__init__`` (sets
  ``self.seed`` and ``self.generator``, a ``kerasette.random.SeedGenerator``)
  and draw with ``kerasette.random`` (``uniform``, ``randint``, ...) passing
  ``seed=self._draw_seed(seed)``.  These draws are primitives: inside a
  compiled model (``fit``) they draw afresh at every step, and the same
  ``seed`` gives the same sequence of outputs.  Never draw with numpy in a
  layer: a numpy draw made while tracing would become a constant.
* ``get_random_transformation(data, training=True, seed=None)`` returns
  whatever the layer needs (a dict of tensors, usually), or ``None``.  Here
  ``data`` is always a *batch*: a 4-d image tensor, or a dict whose
  ``"images"`` is 4-d (``call`` adds the batch axis to a single 3-d image
  first and removes it afterwards).  Use ``ops.shape(images)`` for sizes,
  its batch entry may be a run-time node inside a graph.
* ``transform_images(images, transformation, training=True)`` (4-d images)
  casts to the layer's compute dtype and, in training, calls
  ``_transform_images(images, transformation, self.interpolation)``; a layer
  either overrides ``_transform_images`` (and sets ``self.interpolation``) or
  overrides ``transform_images`` itself.  Deterministic layers (Resizing,
  CenterCrop) transform whatever ``training`` is; random layers return the
  images unchanged (cast) when ``training`` is False.
* ``transform_labels`` (identity by default), ``transform_segmentation_masks``
  (``_transform_images`` with nearest interpolation by default) are used for
  dict inputs ``{"images", "labels", "segmentation_masks"}``; bounding boxes
  are not supported (a clear error).
* ``training``: ``call(data, training=True)`` as in Keras: called directly
  the layer augments; inside a model, ``fit`` passes True and
  ``predict``/``evaluate`` pass False (the identity for random layers).
  ``None`` counts as True.
* value ranges: ``_set_value_range(value_range)`` checks and stores
  ``self.value_range``; ``_transform_value_range(images, from, to)`` maps
  linearly between ranges.  ``_compute_affine_matrix`` gives Keras' 8-number
  affine transforms (for ``ops.image.affine_transform``).
* ``get_config`` gives ``data_format`` (and ``bounding_box_format`` when
  set); a subclass adds its own arguments, ``seed``, ``value_range``, ...
* ``compute_output_shape`` returns the input shape; a layer that changes the
  image size overrides it.

Module-level helpers the layers share: ``images_of`` / ``batch_size_of`` /
``image_size`` / ``spatial_axes`` / ``per_image`` (sizes and broadcasting of a
4-d batch), ``factor_bounds`` (Keras' factor ranges), ``draw_apply`` (the
per-image coin of a probability ``factor``), ``random_boxes`` / ``box_masks``
(the random rectangles of RandomErasing and CutMix).
"""
from __future__ import annotations

import math
import numbers

from .... import backend, ops, random
from ....random import SeedGenerator
from ...layer import Layer

__all__ = ["BaseImagePreprocessingLayer", "draw_apply"]


# ------------------------------------------------------------------ shared helpers

def is_number(value) -> bool:
    """A real number, not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def factor_bounds(value, bounds, message):
    """Keras' ``_set_factor``: a number ``f`` in ``bounds`` gives ``(max(-|f|, low), |f|)``; a pair of numbers
    overlapping ``bounds`` is sorted; anything else raises ``ValueError(message)``."""
    low_bound, high_bound = bounds
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or not all(is_number(v) for v in value):
            raise ValueError(message)
        if value[0] > high_bound or value[1] < low_bound:
            raise ValueError(message)
        return tuple(sorted(value))
    if is_number(value):
        if value < low_bound or value > high_bound:
            raise ValueError(message)
        value = abs(value)
        return (max(-value, low_bound), value)
    raise ValueError(message)


def images_of(data):
    """The image batch of a layer input (a dict's ``"images"``)."""
    return data["images"] if isinstance(data, dict) else data


def batch_size_of(images):
    """The batch size of 4-d images: an int, or a run-time node inside a graph."""
    return ops.shape(images)[0]


def spatial_axes(data_format):
    """The (height, width) axes of a 4-d batch."""
    return (1, 2) if data_format == "channels_last" else (2, 3)


def image_size(images, data_format):
    """``(height, width)`` of a 4-d batch: ints, or run-time nodes in a graph where unknown."""
    shape = ops.shape(images)
    h_axis, w_axis = spatial_axes(data_format)
    return shape[h_axis], shape[w_axis]


def known_image_size(layer, images):
    """``(height, width)`` of a 4-d batch as ints; refused (a ``ValueError``) where only known at run time."""
    height, width = image_size(images, layer.data_format)
    if not isinstance(height, int) or not isinstance(width, int):
        raise ValueError(f"{type(layer).__name__} needs images of known height and width. "
                         f"Received: images.shape={tuple(ops.shape(images))}")
    return height, width


def per_image(values):
    """A ``(batch,)`` tensor reshaped to broadcast over ``(batch, h, w, c)`` images."""
    return ops.reshape(values, (-1, 1, 1, 1))


def draw_apply(layer, batch, seed):
    """Keras' per-image coin: a probability drawn in ``layer.factor``, a threshold below it."""
    probability = random.uniform((batch,), layer.factor[0], layer.factor[1], seed=seed)
    threshold = random.uniform((batch,), 0.0, 1.0, seed=seed)
    return ops.less(threshold, probability)


def _crop_bounds(batch, length, ratio, seed, dtype):
    crop = ops.cast(ops.multiply(ratio, float(length)), dtype)
    start = ops.multiply(random.uniform((batch,), 0.0, 1.0, dtype=dtype, seed=seed),
                         ops.subtract(float(length), crop))
    return start, ops.add(start, crop)


def random_boxes(batch, height, width, width_ratio, height_ratio, seed, dtype):
    """Per image a box ``(x0, x1, y0, y1)`` (``(batch,)`` each) of sides ``ratio * size`` at a random place
    inside the image (Keras' RandomErasing and CutMix boxes: the x draw first, then the y draw)."""
    x0, x1 = _crop_bounds(batch, width, width_ratio, seed, dtype)
    y0, y1 = _crop_bounds(batch, height, height_ratio, seed, dtype)
    return x0, x1, y0, y1


def box_masks(height, width, box, data_format, dtype):
    """Boolean masks, True inside each image's ``box = (x0, x1, y0, y1)``: ``(batch, h, w, 1)``
    (``(batch, 1, h, w)`` channels-first), shared by the channels."""
    rows = ops.arange(height, dtype=dtype)
    cols = ops.arange(width, dtype=dtype)
    if data_format == "channels_last":
        rows, cols = ops.reshape(rows, (1, -1, 1, 1)), ops.reshape(cols, (1, 1, -1, 1))
    else:
        rows, cols = ops.reshape(rows, (1, 1, -1, 1)), ops.reshape(cols, (1, 1, 1, -1))
    x0, x1, y0, y1 = (per_image(v) for v in box)
    return ops.logical_and(ops.logical_and(ops.greater_equal(cols, x0), ops.less(cols, x1)),
                           ops.logical_and(ops.greater_equal(rows, y0), ops.less(rows, y1)))


class BaseImagePreprocessingLayer(Layer):
    """Shared machinery of image preprocessing layers (see the module docstring for the contract)."""

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS = (-1, 1)

    def __init__(self, factor=None, bounding_box_format=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.data_format = backend.standardize_data_format(data_format)
        if self._USE_BASE_FACTOR:
            self._set_factor(0.0 if factor is None else factor)
        elif factor is not None:
            raise ValueError(f"Layer {type(self).__name__} does not take a `factor` argument. "
                             f"Received: factor={factor}")

    # ------------------------------------------------------------ arguments
    def _set_factor(self, factor):
        low_bound, high_bound = self._FACTOR_BOUNDS
        message = ("The `factor` argument should be a number (or a list of two numbers) in the range "
                   f"[{low_bound}, {high_bound}]. Received: factor={factor}")
        self.factor = factor_bounds(factor, self._FACTOR_BOUNDS, message)

    def _set_value_range(self, value_range):
        if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
                or not all(is_number(v) for v in value_range) or value_range[0] > value_range[1]):
            raise ValueError("The `value_range` argument should be a list of two numbers (low, high) with "
                             f"low <= high. Received: value_range={value_range}")
        self.value_range = tuple(value_range)

    def _make_seed_generator(self, seed):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"{type(self).__name__}: argument `seed` must be an integer or None. "
                             f"Received: seed={seed!r}")
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _draw_seed(self, seed=None):
        """The seed a draw takes: the one given, else the layer's generator."""
        if seed is not None:
            return seed
        generator = getattr(self, "generator", None)
        if generator is None:
            self._make_seed_generator(None)
            generator = self.generator
        return generator

    # --------------------------------------------------------- transforms
    def get_random_transformation(self, data, training=True, seed=None):
        return None

    def _transform_images(self, images, transformation, interpolation):
        raise NotImplementedError(f"{type(self).__name__} must implement `_transform_images` or "
                                  "`transform_images`")

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if training:
            images = self._transform_images(images, transformation, getattr(self, "interpolation", "bilinear"))
        return images

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if training:
            segmentation_masks = self._transform_images(segmentation_masks, transformation, "nearest")
        return segmentation_masks

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        raise NotImplementedError(f"{type(self).__name__}: bounding boxes are not supported in kerasette")

    # ------------------------------------------------------------- calling
    @staticmethod
    def _rank_of(images) -> int:
        rank = len(ops.shape(images))
        if rank not in (3, 4):
            raise ValueError("Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
                             f"Received: data.shape={tuple(ops.shape(images))}")
        return rank

    def call(self, data, training=True):
        training = True if training is None else bool(training)
        if isinstance(data, dict):
            if "images" not in data:
                raise ValueError(f"{type(self).__name__}: a dict input needs an 'images' entry, got keys "
                                 f"{sorted(data)}")
            if "bounding_boxes" in data:
                if not self.bounding_box_format:
                    raise ValueError("You passed an input with a 'bounding_boxes' key, but you didn't specify a "
                                     "bounding box format. Pass a `bounding_box_format` argument to your "
                                     f"{type(self).__name__} layer, e.g. `bounding_box_format='xyxy'`.")
                raise NotImplementedError(f"{type(self).__name__}: bounding boxes are not supported in kerasette")
            batched = self._rank_of(data["images"]) == 4
            data = dict(data)
            if not batched:
                for key in ("images", "labels", "segmentation_masks"):
                    if key in data:
                        data[key] = ops.expand_dims(data[key], 0)
            transformation = self.get_random_transformation(data, training=training)
            out = dict(data)
            out["images"] = self.transform_images(data["images"], transformation, training=training)
            if "labels" in data:
                out["labels"] = self.transform_labels(data["labels"], transformation, training=training)
            if "segmentation_masks" in data:
                out["segmentation_masks"] = self.transform_segmentation_masks(
                    data["segmentation_masks"], transformation, training=training)
            if not batched:
                for key in ("images", "labels", "segmentation_masks"):
                    if key in out:
                        out[key] = ops.squeeze(out[key], 0)
            return out
        batched = self._rank_of(data) == 4
        images = data if batched else ops.expand_dims(data, 0)
        transformation = self.get_random_transformation(images, training=training)
        out = self.transform_images(images, transformation, training=training)
        return out if batched else ops.squeeze(out, 0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config

    # ------------------------------------------------------------ helpers
    def _transform_value_range(self, images, original_range, target_range, dtype="float32"):
        """``images`` mapped linearly from ``original_range`` to ``target_range`` (cast to ``dtype``)."""
        if tuple(original_range) == tuple(target_range):
            return images
        images = ops.cast(images, dtype)
        low, high = (ops.cast(v, dtype) for v in original_range)
        target_low, target_high = (ops.cast(v, dtype) for v in target_range)
        unit = ops.divide(ops.subtract(images, low), ops.subtract(high, low))
        return ops.add(ops.multiply(unit, ops.subtract(target_high, target_low)), target_low)

    def _compute_affine_matrix(self, center_x, center_y, angle, translate_x, translate_y, scale, shear_x,
                               shear_y, height, width):
        """Keras' ``(batch, 8)`` transforms: scale, shear and rotation (degrees) about the centre
        ``(center_x * (width - 1), center_y * (height - 1))``, then a translation in pixels."""
        to_radians = math.pi / 180.0
        angle = ops.multiply(angle, to_radians)
        dtype = ops.dtype(angle)
        width = ops.cast(width, dtype)
        height = ops.cast(height, dtype)
        cx = ops.multiply(center_x, ops.subtract(width, 1.0))
        cy = ops.multiply(center_y, ops.subtract(height, 1.0))
        cos, sin = ops.cos(angle), ops.sin(angle)
        shear_x = ops.tan(ops.multiply(shear_x, to_radians))
        shear_y = ops.tan(ops.multiply(shear_y, to_radians))
        a0 = ops.multiply(scale, ops.add(cos, ops.multiply(shear_x, sin)))
        a1 = ops.multiply(scale, ops.add(ops.negative(sin), ops.multiply(shear_x, cos)))
        a2 = ops.subtract(ops.subtract(ops.add(translate_x, cx), ops.multiply(cx, a0)), ops.multiply(cy, a1))
        b0 = ops.multiply(scale, ops.add(ops.multiply(shear_y, cos), sin))
        b1 = ops.multiply(scale, ops.add(ops.multiply(shear_y, ops.negative(sin)), cos))
        b2 = ops.subtract(ops.subtract(ops.add(translate_y, cy), ops.multiply(cx, b0)), ops.multiply(cy, b1))
        zeros = ops.zeros_like(a0)
        return ops.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
