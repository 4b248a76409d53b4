"""Image layers that mix images of a batch (MixUp, CutMix) or chain random augmentations (AugMix, RandAugment).

MixUp and CutMix pair each image with another of the batch (a random
permutation) and mix both the images and, for dict inputs ``{"images",
"labels"}``, the labels (one-hot or soft, ``(batch, classes)``) in the same
proportions.  AugMix and RandAugment live in ``mixing_policies``.  All follow
``base.BaseImagePreprocessingLayer``: random in training, the identity
outside it; Keras 3.15's arguments and formulas.
"""
from __future__ import annotations

import numbers

from .... import ops, random
from .base import BaseImagePreprocessingLayer
from .color_tone import batch_size_of, images_of, per_image, spatial_axes
from .mixing_policies import AugMix, RandAugment

__all__ = ["MixUp", "CutMix", "AugMix", "RandAugment"]


def random_permutation(batch, seed):
    """A random order of ``range(batch)`` (the batch may be a run-time size)."""
    return ops.cast(ops.argsort(random.uniform((batch,), seed=seed)), "int32")


class _MixingLayer(BaseImagePreprocessingLayer):
    _USE_BASE_FACTOR = False

    def transform_labels(self, labels, transformation, training=True):
        if not training or transformation is None:
            return labels
        if len(ops.shape(labels)) != 2:
            raise ValueError(f"{type(self).__name__} mixes one-hot or soft labels of shape (batch, classes). "
                             f"Received: labels.shape={tuple(ops.shape(labels))}")
        if not ops.dtype(labels).startswith("float"):
            labels = ops.cast(labels, self.compute_dtype)
        weight = ops.cast(ops.reshape(transformation["mix_weight"], (-1, 1)), ops.dtype(labels))
        others = ops.take(labels, transformation["permutation_order"], axis=0)
        return ops.add(ops.multiply(weight, labels), ops.multiply(ops.subtract(1.0, weight), others))


class MixUp(_MixingLayer):
    """Blends each image with another of the batch: ``w * x + (1 - w) * x[perm]``, ``w ~ Beta(alpha, alpha)``.

    Labels of a dict input are blended with the same weights (Zhang et al., 2017).

    >>> MixUp(alpha=0.2, seed=0)(numpy.ones((4, 2, 2, 3))).shape
    (4, 2, 2, 3)
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or alpha <= 0:
            raise ValueError(f"MixUp: argument `alpha` must be a positive number. Received: alpha={alpha!r}")
        self.alpha = alpha
        self._make_seed_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        seed = self._draw_seed(seed)
        order = random_permutation(batch, seed)
        weight = random.beta((batch,), float(self.alpha), float(self.alpha), seed=seed)
        return {"mix_weight": weight, "permutation_order": order}

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        weight = per_image(ops.cast(transformation["mix_weight"], self.compute_dtype))
        others = ops.take(images, transformation["permutation_order"], axis=0)
        return ops.add(ops.multiply(weight, images), ops.multiply(ops.subtract(1.0, weight), others))

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        masks = ops.cast(segmentation_masks, self.compute_dtype)
        weight = per_image(ops.cast(transformation["mix_weight"], self.compute_dtype))
        others = ops.take(masks, transformation["permutation_order"], axis=0)
        return ops.add(ops.multiply(weight, masks), ops.multiply(ops.subtract(1.0, weight), others))

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha, "seed": self.seed})
        return config


class CutMix(_MixingLayer):
    """Pastes a random rectangle of another image of the batch into each image (Yun et al., 2019).

    The rectangle covers about ``1 - w`` of the image, ``w ~ Beta(a, a)``
    with ``a`` drawn in ``factor`` (a number ``f`` gives ``[0, f]``); labels
    of a dict input are mixed by the area actually kept.

    >>> CutMix(seed=0)(numpy.ones((4, 3, 3, 1))).shape
    (4, 3, 3, 1)
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._make_seed_generator(seed)

    def _crop_bounds(self, batch, length, ratio, seed):
        dtype = self.compute_dtype
        crop = ops.cast(ops.multiply(ratio, float(length)), dtype)
        start = ops.multiply(random.uniform((batch,), 0.0, 1.0, dtype=dtype, seed=seed),
                             ops.subtract(float(length), crop))
        return start, ops.add(start, crop)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        shape = ops.shape(images)
        batch = shape[0]
        h_axis, w_axis = spatial_axes(self.data_format)
        height, width = shape[h_axis], shape[w_axis]
        if not isinstance(height, int) or not isinstance(width, int):
            raise ValueError(f"CutMix needs images of known height and width. Received: images.shape={tuple(shape)}")
        seed = self._draw_seed(seed)
        dtype = self.compute_dtype
        alpha = ops.add(random.uniform((), self.factor[0], self.factor[1], dtype=dtype, seed=seed), 1e-6)
        weight = random.beta((batch,), alpha, alpha, dtype=dtype, seed=seed)
        ratio = ops.sqrt(ops.subtract(1.0, weight))
        x0, x1 = self._crop_bounds(batch, width, ratio, seed)
        y0, y1 = self._crop_bounds(batch, height, ratio, seed)
        rows = ops.arange(height, dtype=dtype)
        cols = ops.arange(width, dtype=dtype)
        if self.data_format == "channels_last":
            rows, cols = ops.reshape(rows, (1, -1, 1, 1)), ops.reshape(cols, (1, 1, -1, 1))
        else:
            rows, cols = ops.reshape(rows, (1, 1, -1, 1)), ops.reshape(cols, (1, 1, 1, -1))
        x0, x1, y0, y1 = (per_image(v) for v in (x0, x1, y0, y1))
        masks = ops.logical_and(ops.logical_and(ops.greater_equal(cols, x0), ops.less(cols, x1)),
                                ops.logical_and(ops.greater_equal(rows, y0), ops.less(rows, y1)))
        kept = ops.subtract(1.0, ops.divide(ops.multiply(ops.subtract(x1, x0), ops.subtract(y1, y0)),
                                            float(width * height)))
        order = random_permutation(batch, seed)
        return {"permutation_order": order, "batch_masks": masks, "mix_weight": kept}

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        others = ops.take(images, transformation["permutation_order"], axis=0)
        return ops.where(transformation["batch_masks"], others, images)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "seed": self.seed})
        return config
