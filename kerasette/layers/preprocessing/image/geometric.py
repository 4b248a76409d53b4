"""Image preprocessing layers that move pixels (Keras 3's geometric image layers)."""
from __future__ import annotations

from .... import ops, random
from .base import BaseImagePreprocessingLayer

__all__ = ["RandomFlip"]

HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL = "horizontal", "vertical", "horizontal_and_vertical"


class RandomFlip(BaseImagePreprocessingLayer):
    """Flips images left-right and/or top-bottom at random in training (each image with probability 1/2).

    ``mode`` is ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``
    (both flips together, one draw per image, as in Keras).

    >>> RandomFlip("horizontal", seed=1)(numpy.zeros((2, 4, 4, 3))).shape
    (2, 4, 4, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if mode not in (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL):
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument {mode!r}: "
                             f"`mode` must be one of {HORIZONTAL!r}, {VERTICAL!r}, {HORIZONTAL_AND_VERTICAL!r}")
        self.mode = mode
        self._make_seed_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch = ops.shape(images)[0]
        draws = random.uniform((batch, 1, 1, 1), seed=self._draw_seed(seed))
        return {"flips": ops.less_equal(draws, 0.5)}

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        flips = transformation["flips"]
        width_axis, height_axis = (-2, -3) if self.data_format == "channels_last" else (-1, -2)
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            images = ops.where(flips, ops.flip(images, axis=width_axis), images)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            images = ops.where(flips, ops.flip(images, axis=height_axis), images)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed, "mode": self.mode})
        return config
