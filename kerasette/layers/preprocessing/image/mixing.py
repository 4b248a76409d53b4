"""Image layers that mix images of a batch (MixUp, CutMix) or chain random augmentations (AugMix, RandAugment).

MixUp and CutMix pair each image with another of the batch (a random
permutation) and mix both the images and, for dict inputs ``{"images",
"labels"}``, the labels (one-hot or soft, ``(batch, classes)``) in the same
proportions.  AugMix and RandAugment live in ``mixing_policies``.  All follow
``base.BaseImagePreprocessingLayer``: random in training, the identity
outside it; Keras 3.15's arguments and formulas.
"""
from __future__ import annotations

from .... import ops, random
from .base import (BaseImagePreprocessingLayer, batch_size_of, box_masks, images_of, is_number, known_image_size,
                   per_image, random_boxes)
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
        if not is_number(alpha) or alpha <= 0:
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

    def _blend(self, images, transformation):
        """``w * x + (1 - w) * x[perm]`` per image (4-d ``images`` in the compute dtype)."""
        weight = per_image(ops.cast(transformation["mix_weight"], self.compute_dtype))
        others = ops.take(images, transformation["permutation_order"], axis=0)
        return ops.add(ops.multiply(weight, images), ops.multiply(ops.subtract(1.0, weight), others))

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        return self._blend(images, transformation)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return self._blend(ops.cast(segmentation_masks, self.compute_dtype), transformation)

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

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        batch = batch_size_of(images)
        height, width = known_image_size(self, images)
        seed = self._draw_seed(seed)
        dtype = self.compute_dtype
        alpha = ops.add(random.uniform((), self.factor[0], self.factor[1], dtype=dtype, seed=seed), 1e-6)
        weight = random.beta((batch,), alpha, alpha, dtype=dtype, seed=seed)
        ratio = ops.sqrt(ops.subtract(1.0, weight))
        x0, x1, y0, y1 = box = random_boxes(batch, height, width, ratio, ratio, seed, dtype)
        masks = box_masks(height, width, box, self.data_format, dtype)
        # the labels' weight: the area kept, (batch, 1, 1, 1)
        kept = per_image(ops.subtract(1.0, ops.divide(ops.multiply(ops.subtract(x1, x0), ops.subtract(y1, y0)),
                                                      float(width * height))))
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
