"""RandomPerspective and RandomElasticTransform: random non-affine warps.

Both draw per image whether to warp (with a probability drawn in
``factor``) and how, with ``kerasette.random`` (fresh at every step of a
compiled model); the warp itself is built from ops, so it runs in graphs:
the perspective's homography is solved with ``ops.solve`` and the elastic
field is blurred by Gaussian matrices built from the drawn ``sigma``.
"""
from __future__ import annotations

from .... import ops, random
from .base import (BaseImagePreprocessingLayer, batch_size_of, draw_apply, factor_bounds, image_size, images_of, is_number,
                   per_image)
from .geometric_affine import INTERPOLATIONS, back_to_format, channels_last, pixel_grid, sample

__all__ = ["RandomPerspective", "RandomElasticTransform"]

ELASTIC_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _check_unit(value, name):
    message = (f"The `{name}` argument should be a number (or a list of two numbers) in the range [0, 1]. "
               f"Received: {name}={value}")
    lower, upper = factor_bounds(value, (0, 1), message)
    if not isinstance(value, (tuple, list)) and value == 0:
        lower = 0.0  # a plain 0 gives (0.0, 0), not (-0.0, 0)
    return lower, upper


def _float(size):
    return float(size) if isinstance(size, int) else ops.cast(size, "float32")


class RandomPerspective(BaseImagePreprocessingLayer):
    """Moves the four corners of each image at random (a projective warp), in training.

    ``factor`` (in ``[0, 1]``, or a pair): each image is warped with a
    probability drawn uniformly in it; ``scale`` (``[0, 1]``): each corner moves
    by up to ``scale / 2`` of its own coordinates.  Pixels from outside the
    image take ``fill_value``.

    >>> RandomPerspective(seed=0)(numpy.zeros((2, 5, 5, 1))).shape
    (2, 5, 5, 1)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        if not is_number(scale) or not 0.0 <= scale <= 1.0:
            raise ValueError(f"The `scale` argument should be a number in the range [0,1]. Received: scale={scale}")
        if interpolation not in INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}.")
        self.scale = scale
        self.fill_value = fill_value
        self.interpolation = interpolation
        self._make_seed_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = images_of(data)
        height, width = image_size(images, self.data_format)
        batch = batch_size_of(images)
        seed = self._draw_seed(seed)
        apply = draw_apply(self, batch, seed)
        moves = random.uniform((batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale, seed=seed,
                               dtype=self.compute_dtype)
        right, bottom = ops.subtract(_float(width), 1.0), ops.subtract(_float(height), 1.0)
        zero = ops.multiply(right, 0.0)
        corners = ops.cast(ops.stack([ops.stack([zero, zero]), ops.stack([right, zero]), ops.stack([zero, bottom]),
                                      ops.stack([right, bottom])]), self.compute_dtype)
        start_points = ops.add(ops.zeros_like(moves), corners)
        return {"apply_perspective": apply, "start_points": start_points,
                "end_points": ops.add(start_points, ops.multiply(start_points, moves))}

    @staticmethod
    def _homography(start_points, end_points):
        """Per image the 8 coefficients taking output (end) pixels to input (start) ones."""
        start = ops.cast(start_points, "float32")
        end = ops.cast(end_points, "float32")
        sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
        zeros, ones = ops.zeros_like(ex), ops.ones_like(ex)
        x_rows = ops.stack([ex, ey, ones, zeros, zeros, zeros, -sx * ex, -sx * ey], axis=-1)
        y_rows = ops.stack([zeros, zeros, zeros, ex, ey, ones, -sy * ex, -sy * ey], axis=-1)
        matrix = ops.concatenate([x_rows, y_rows], axis=1)
        target = ops.expand_dims(ops.concatenate([sx, sy], axis=-1), -1)
        return ops.squeeze(ops.solve(matrix, target), -1)

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        height, width = image_size(images, self.data_format)
        t = self._homography(transformation["start_points"], transformation["end_points"])
        t = [ops.reshape(t[:, i], (-1, 1, 1)) for i in range(8)]
        y, x = pixel_grid(height, width)
        denominator = t[6] * x + t[7] * y + 1.0
        in_x = (t[0] * x + t[1] * y + t[2]) / denominator
        in_y = (t[3] * x + t[4] * y + t[5]) / denominator
        batch = channels_last(images, self.data_format)
        warped = back_to_format(sample(batch, in_y, in_x, interpolation, "constant", self.fill_value), self.data_format)
        return ops.where(per_image(transformation["apply_perspective"]), warped, images)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale, "interpolation": self.interpolation,
                       "fill_value": self.fill_value, "seed": self.seed})
        return config


class RandomElasticTransform(BaseImagePreprocessingLayer):
    """Displaces pixels along a smooth random field, in training.

    Each image is transformed with a probability drawn in ``factor``; one
    distortion ``d`` is drawn in ``scale`` per batch, giving Keras'
    ``alpha = max(H, W) * 0.1 * d`` and ``sigma = min(H, W) * 0.05 * d``: the
    displacements are normal noise times ``sigma``, Gaussian-blurred with
    ``sigma`` (kernel of ``int(6 sigma) | 1`` taps, zero padding), times
    ``alpha``.  The result is clipped to ``value_range``.  The row and column
    displacements are independent fields (Keras 3.15 draws both from one seed,
    so its pixels only move along the diagonal).

    >>> RandomElasticTransform(seed=0)(numpy.zeros((2, 8, 8, 1))).shape
    (2, 8, 8, 1)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = _check_unit(scale, "scale")
        if interpolation not in INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}.")
        if fill_mode not in ELASTIC_FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {ELASTIC_FILL_MODES}.")
        self._set_value_range(value_range)
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self._make_seed_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return None
        images = images_of(data)
        height, width = image_size(images, self.data_format)
        batch = batch_size_of(images)
        seed = self._draw_seed(seed)
        apply = draw_apply(self, batch, seed)
        distortion = random.uniform((), self.scale[0], self.scale[1], seed=seed, dtype="float32")
        noise = random.normal((2, batch, height, width), seed=seed, dtype="float32")
        return {"apply_transform": apply, "distortion_factor": distortion,
                "noise": noise}

    @staticmethod
    def _blur_matrix(size, sigma, taps):
        """``(size, size)`` zero-padded Gaussian blur of ``int(6 sigma) | 1`` taps (sigma known at run
        time); ``taps`` spans every distance the kernel can reach."""
        half = ops.floor(ops.divide(ops.floor(ops.multiply(sigma, 6.0)), 2.0))
        safe = ops.maximum(sigma, 1e-6)

        def weight(d):
            inside = ops.cast(ops.less_equal(ops.abs(d), half), "float32")
            return ops.multiply(ops.exp(ops.multiply(ops.square(ops.divide(d, safe)), -0.5)), inside)
        index = ops.arange(size, dtype="float32")
        distance = ops.subtract(ops.reshape(index, (-1, 1)), ops.reshape(index, (1, -1)))
        return ops.divide(weight(distance), ops.sum(weight(taps)))

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        height, width = image_size(images, self.data_format)
        factor = transformation["distortion_factor"]
        alpha = ops.multiply(ops.multiply(factor, ops.maximum(_float(height), _float(width))), 0.1)
        sigma = ops.multiply(ops.multiply(factor, ops.minimum(_float(height), _float(width))), 0.05)
        # 3 sigma <= 0.15 * min(H, W): every tap lies within +-(H - 1)
        taps = ops.arange(ops.subtract(1, height), height, dtype="float32")
        noise = ops.multiply(transformation["noise"], sigma)
        # blurred = B_h @ noise @ B_w^T for each field and image
        blurred = ops.einsum("ij,fbjk,lk->fbil", self._blur_matrix(height, sigma, taps), noise,
                             self._blur_matrix(width, sigma, taps))
        rows, cols = pixel_grid(height, width)
        rows = ops.add(rows, ops.multiply(blurred[1], alpha))
        cols = ops.add(cols, ops.multiply(blurred[0], alpha))
        batch = channels_last(images, self.data_format)
        warped = back_to_format(sample(batch, rows, cols, interpolation, self.fill_mode, self.fill_value), self.data_format)
        images = ops.where(per_image(transformation["apply_transform"]), warped, images)
        images = ops.clip(images, self.value_range[0], self.value_range[1])
        return ops.cast(images, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale, "interpolation": self.interpolation,
                       "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                       "value_range": self.value_range, "seed": self.seed})
        return config
