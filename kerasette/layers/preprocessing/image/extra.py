"""RandomShear, ContrastLimitedAdaptiveHistogramEqualization and MaxNumBoundingBoxes (Keras 3.15's last image
preprocessing layers), on ``base.BaseImagePreprocessingLayer``.

* ``RandomShear`` draws, per image, a shear ``(sx, sy)`` in ``x_factor`` and
  ``y_factor`` times one random sign, and samples the image at ``(x + sx * y,
  y + sy * x)`` (output pixel -> input pixel, about the top-left corner), with
  the ``fill_mode`` and ``interpolation`` of ``geometric_affine``.  Identity
  outside training.
* ``ContrastLimitedAdaptiveHistogramEqualization`` (CLAHE) equalizes each
  channel of each image tile by tile (``tile_grid_size`` tiles, the image
  padded symmetrically to whole tiles), histograms clipped at ``clip_limit``
  times the mean bin count with the excess spread over all bins, the tiles'
  tables blended bilinearly between tile centres.  Deterministic: it acts
  whatever ``training`` is, as Keras' does, and keeps the input dtype.
* ``MaxNumBoundingBoxes`` pads (with ``fill_value``, ``-1`` by default) or
  cuts the ``"boxes"`` and ``"labels"`` of a dict input's
  ``"bounding_boxes"`` to ``max_number`` per image, whatever ``training`` is;
  labels and masks pass unchanged, images too (floating ones in the compute
  dtype, as Keras' call gives them).

``RandomColorDegeneration`` lives in ``color_tone`` (exported with the colour layers).
"""
from __future__ import annotations

import numbers

import numpy

from .... import ops, random
from .base import BaseImagePreprocessingLayer, batch_size_of, images_of, is_number
from .geometric_affine import _AffineLayer, check_fill_and_interpolation

__all__ = ["RandomShear", "ContrastLimitedAdaptiveHistogramEqualization", "MaxNumBoundingBoxes"]


def _is_integer(value) -> bool:
    return is_number(value) and float(value).is_integer()


def _autocast(layer, images):
    """Floating images in the layer's compute dtype, integer ones kept (what Keras' call does to its inputs)."""
    images = ops.convert_to_tensor(images)
    if "float" in str(ops.dtype(images)):
        return ops.cast(images, layer.compute_dtype)
    return images


def _static(value):
    """``value`` as a Python int when it is known now, else None (a run-time node)."""
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, (numpy.ndarray, numpy.generic)) and numpy.ndim(value) == 0:
        return int(value)
    return None


# ---------------------------------------------------------------------------------------------- RandomShear

class RandomShear(_AffineLayer):
    """Shears each image along x and y by random amounts, in training.

    ``x_factor`` / ``y_factor``: a number ``f`` in ``[0, 1]`` (amounts drawn in
    ``[-f, f]``) or a pair ``(lower, upper)`` within ``[-1, 1]``; each image's
    pair of amounts is then multiplied by a random sign.  An amount ``s``
    moves a pixel of row ``y`` by ``s * y`` columns (x) or of column ``x`` by
    ``s * x`` rows (y).  ``fill_mode`` (``"reflect"``, ``"wrap"``,
    ``"constant"`` with ``fill_value``, ``"nearest"``) fills what comes from
    outside; ``interpolation`` is ``"bilinear"`` or ``"nearest"``.

    >>> image = numpy.arange(9.0).reshape(1, 3, 3, 1)
    >>> shear = RandomShear(x_factor=0.5)
    >>> shear.transform_images(image, {"shear_factor": numpy.array([[1.0, 0.0]])})[0, ..., 0]
    array([[0., 1., 2.],
           [4., 5., 5.],
           [8., 8., 7.]], dtype=float32)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = self._shear_range(x_factor, "x_factor")
        self.y_factor = self._shear_range(y_factor, "y_factor")
        check_fill_and_interpolation(fill_mode, interpolation)
        if not is_number(fill_value):
            raise ValueError(f"RandomShear: argument `fill_value` must be a number. Received: fill_value={fill_value!r}")
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value
        self._make_seed_generator(seed)

    @staticmethod
    def _shear_range(factor, name):
        """A number ``f`` in ``[0, 1]`` gives ``(-f, f)``; a pair is sorted and may reach down to -1 (the range a
        number gives, as ``get_config`` stores it: Keras' own check refuses it on reloading)."""
        message = (f"The `{name}` argument should be a number in the range [0, 1.0] (or a list of two numbers in "
                   f"[-1.0, 1.0]). Received: {name}={factor!r}")
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(is_number(f) and -1.0 <= f <= 1.0 for f in factor):
                raise ValueError(message)
            return tuple(sorted(factor))
        if not is_number(factor) or not 0.0 <= factor <= 1.0:
            raise ValueError(message)
        return (-abs(factor), abs(factor))

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        seed = self._draw_seed(seed)
        dtype = self.compute_dtype
        coin = random.uniform((batch, 1), 0.0, 1.0, dtype=dtype, seed=seed)
        sign = ops.where(ops.greater(coin, 0.5), -1.0, 1.0)
        shear_y = random.uniform((batch, 1), self.y_factor[0], self.y_factor[1], dtype=dtype, seed=seed)
        shear_x = random.uniform((batch, 1), self.x_factor[0], self.x_factor[1], dtype=dtype, seed=seed)
        amounts = ops.concatenate([shear_x, shear_y], axis=1)
        return {"shear_factor": ops.multiply(amounts, ops.cast(sign, dtype))}

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        shear = ops.cast(transformation["shear_factor"], "float32")
        shear_x, shear_y = shear[:, 0], shear[:, 1]
        ones, zeros = ops.ones_like(shear_x), ops.zeros_like(shear_x)
        matrix = ops.stack([ones, shear_x, zeros, shear_y, ones, zeros, zeros, zeros], axis=1)
        return ops.cast(self._warp(images, matrix, interpolation), self.compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """Masks move with their images (nearest pixels) and keep their dtype."""
        dtype = ops.dtype(segmentation_masks)
        if not training or transformation is None:
            return segmentation_masks
        return ops.cast(self._transform_images(segmentation_masks, transformation, "nearest"), dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"x_factor": self.x_factor, "y_factor": self.y_factor, **self._common_config()})
        return config


# ------------------------------------------------------------------------------------------------------ CLAHE

def _ceil_div(size, parts):
    """``ceil(size / parts)``: a Python int when ``size`` is known, else a run-time node."""
    if _static(size) is not None:
        return -(-_static(size) // parts)
    return ops.floor_divide(ops.add(ops.cast(size, "int32"), parts - 1), parts)


def _times(a, b):
    if _static(a) is not None and _static(b) is not None:
        return _static(a) * _static(b)
    return ops.multiply(ops.cast(a, "int32"), ops.cast(b, "int32"))


def _symmetric_index(count, size):
    """Indices ``0 .. count - 1`` folded into ``[0, size)`` as numpy's ``"symmetric"`` padding reads them."""
    index = ops.arange(count, dtype="int32")
    period = ops.mod(index, ops.multiply(ops.cast(size, "int32"), 2))
    return ops.where(ops.less(period, size), period, ops.subtract(ops.subtract(ops.multiply(size, 2), 1), period))


def _blend_grid(size, tile, grid):
    """Per pixel of an axis of ``size`` pixels: the two neighbouring tile-centre indices (into the tables padded
    by one tile each side) and the weight of the second one."""
    position = ops.add(ops.divide(ops.subtract(ops.arange(size, dtype="float32"),
                                               ops.divide(ops.cast(tile, "float32"), 2.0)),
                                  ops.cast(tile, "float32")), 1.0)
    low = ops.floor(position)
    weight = ops.subtract(position, low)
    first = ops.cast(ops.clip(low, 0.0, float(grid + 1)), "int32")
    second = ops.cast(ops.clip(ops.add(low, 1.0), 0.0, float(grid + 1)), "int32")
    return first, second, weight


class ContrastLimitedAdaptiveHistogramEqualization(BaseImagePreprocessingLayer):
    """Contrast limited adaptive histogram equalization of each channel of each image.

    The image (``value_range`` mapped to ``[0, 255]``, pixels binned by their
    integer part) is cut into ``tile_grid_size = (rows, cols)`` tiles, padded
    symmetrically at the bottom and right to whole tiles.  Each tile's
    256-bin histogram is clipped at ``clip_limit * tile_pixels / 256`` (no
    clipping when ``clip_limit <= 0``), the clipped excess shared evenly by
    all bins, and turned into a table ``255 * (cdf - cdf_min) / (tile_pixels -
    cdf_min)``.  A pixel's value is the bilinear blend of the tables of the
    four nearest tile centres.  It acts in training and inference alike.

    The number of channels must be known when the layer is called (height and width may be run-time sizes).

    >>> flat = numpy.full((1, 4, 4, 1), 100.0)  # one bin of 4 clipped at 4 * 4 / 256, the rest spread
    >>> ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))(flat)[0, 0, :, 0].round(2)
    array([102.43, 102.43, 102.43, 102.43], dtype=float32)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_value_range(value_range)
        if not is_number(clip_limit):
            raise ValueError("ContrastLimitedAdaptiveHistogramEqualization: argument `clip_limit` must be a number. "
                             f"Received: clip_limit={clip_limit!r}")
        self.clip_limit = clip_limit
        if (not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2
                or not all(_is_integer(t) and t >= 1 for t in tile_grid_size)):
            raise ValueError("ContrastLimitedAdaptiveHistogramEqualization: argument `tile_grid_size` must be a "
                             "tuple of two positive integers (rows, cols). "
                             f"Received: tile_grid_size={tile_grid_size!r}")
        self.tile_grid_size = tuple(int(t) for t in tile_grid_size)

    def transform_images(self, images, transformation=None, training=True):
        images = _autocast(self, images)
        original_dtype = ops.dtype(images)
        if self.data_format == "channels_first":
            images = ops.transpose(images, (0, 2, 3, 1))
        images = self._transform_value_range(ops.cast(images, "float32"), self.value_range, (0, 255))
        images = self._clahe(images)
        images = self._transform_value_range(images, (0, 255), self.value_range)
        if self.data_format == "channels_first":
            images = ops.transpose(images, (0, 3, 1, 2))
        return ops.cast(images, original_dtype)

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return segmentation_masks

    def _clahe(self, images):
        batch, height, width, channels = ops.shape(images)
        channels = _static(channels)
        if channels is None:
            raise ValueError("ContrastLimitedAdaptiveHistogramEqualization needs images of a known number of "
                             f"channels. Received: images.shape={tuple(ops.shape(images))}")
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = _ceil_div(height, grid_h), _ceil_div(width, grid_w)
        padded_h, padded_w = _times(tile_h, grid_h), _times(tile_w, grid_w)
        pixels = ops.clip(ops.cast(images, "int32"), 0, 255)  # (B, H, W, C), binned by their integer part

        # the image padded symmetrically to whole tiles; each pixel's bin code
        # ((tile row * grid_w + tile col) * C + channel) * 256 + value, counted per image
        padded = pixels
        if _static(padded_h) is None or _static(padded_h) != _static(height):
            padded = ops.take(padded, _symmetric_index(padded_h, height), axis=1)
        if _static(padded_w) is None or _static(padded_w) != _static(width):
            padded = ops.take(padded, _symmetric_index(padded_w, width), axis=2)
        tile_row = ops.reshape(ops.floor_divide(ops.arange(padded_h, dtype="int32"), tile_h), (-1, 1, 1))
        tile_col = ops.reshape(ops.floor_divide(ops.arange(padded_w, dtype="int32"), tile_w), (1, -1, 1))
        channel = numpy.arange(channels, dtype="int32").reshape(1, 1, -1)
        code = ops.add(ops.multiply(ops.add(ops.multiply(ops.add(ops.multiply(tile_row, grid_w), tile_col), channels),
                                            channel), 256), padded)
        bins = grid_h * grid_w * channels * 256
        counts = ops.bincount(ops.reshape(code, (batch, -1)), minlength=bins)
        hist = ops.cast(ops.reshape(counts, (-1, grid_h, grid_w, channels, 256)), "float32")

        tile_pixels = _times(tile_h, tile_w)
        if self.clip_limit > 0:
            if _static(tile_pixels) is not None:
                limit = numpy.float32(self.clip_limit * _static(tile_pixels) / 256.0)
            else:
                limit = ops.divide(ops.multiply(ops.cast(tile_pixels, "float32"), float(self.clip_limit)), 256.0)
            clipped = ops.minimum(ops.maximum(hist, 0.0), limit)
            excess = ops.sum(ops.subtract(hist, clipped), axis=-1, keepdims=True)
            hist = ops.add(clipped, ops.divide(excess, 256.0))
        cdf = ops.cumsum(hist, axis=-1)
        cdf_min = ops.min(cdf, axis=-1, keepdims=True)
        denominator = ops.subtract(ops.cast(tile_pixels, "float32"), cdf_min)
        denominator = ops.where(ops.equal(denominator, 0.0), ops.ones_like(denominator), denominator)
        table = ops.clip(ops.divide(ops.multiply(ops.subtract(cdf, cdf_min), 255.0), denominator), 0.0, 255.0)

        # the tables padded by one tile (edge copies) each side, read at the four tile centres around each pixel
        table = ops.concatenate([table[:, :1], table, table[:, -1:]], axis=1)
        table = ops.concatenate([table[:, :, :1], table, table[:, :, -1:]], axis=2)
        flat = ops.reshape(table, (-1,))
        stride_x = 256 * channels
        stride_y = stride_x * (grid_w + 2)
        stride_b = stride_y * (grid_h + 2)
        row0, row1, row_weight = _blend_grid(height, tile_h, grid_h)
        col0, col1, col_weight = _blend_grid(width, tile_w, grid_w)
        image_index = ops.reshape(ops.arange(batch, dtype="int32"), (-1, 1, 1, 1))
        base = ops.add(ops.add(ops.multiply(image_index, stride_b), channel.reshape(1, 1, 1, -1) * 256), pixels)

        def read(rows, cols):
            offset = ops.add(ops.multiply(ops.reshape(rows, (1, -1, 1, 1)), stride_y),
                             ops.multiply(ops.reshape(cols, (1, 1, -1, 1)), stride_x))
            return ops.take(flat, ops.add(base, offset))

        wx = ops.reshape(col_weight, (1, 1, -1, 1))
        wy = ops.reshape(row_weight, (1, -1, 1, 1))
        top = ops.add(ops.multiply(read(row0, col0), ops.subtract(1.0, wx)), ops.multiply(read(row0, col1), wx))
        bottom = ops.add(ops.multiply(read(row1, col0), ops.subtract(1.0, wx)), ops.multiply(read(row1, col1), wx))
        return ops.add(ops.multiply(top, ops.subtract(1.0, wy)), ops.multiply(bottom, wy))

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "clip_limit": self.clip_limit,
                       "tile_grid_size": self.tile_grid_size})
        return config


# ---------------------------------------------------------------------------------------- MaxNumBoundingBoxes

class MaxNumBoundingBoxes(BaseImagePreprocessingLayer):
    """Pads or cuts the bounding boxes of each image to exactly ``max_number``.

    Called on ``{"images": ..., "bounding_boxes": {"boxes": (batch, n, 4),
    "labels": (batch, n)}}`` (or one image: ``(n, 4)`` and ``(n,)``), with a
    ``bounding_box_format`` set (any of Keras' names; the boxes are not
    read), it keeps the first ``max_number`` boxes and labels and pads the
    rest with ``fill_value`` (``-1``).  ``labels`` and ``segmentation_masks``
    pass unchanged, and so do images (floating ones in the compute dtype),
    alone or in the dict.

    >>> layer = MaxNumBoundingBoxes(max_number=3, bounding_box_format="xyxy")
    >>> out = layer({"images": numpy.zeros((1, 4, 4, 3)),
    ...              "bounding_boxes": {"boxes": numpy.ones((1, 1, 4)), "labels": numpy.array([[2]])}})
    >>> out["bounding_boxes"]["labels"]
    array([[ 2, -1, -1]])
    """

    _USE_BASE_FACTOR = False

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        if not _is_integer(max_number) or max_number < 1:
            raise ValueError("MaxNumBoundingBoxes: argument `max_number` must be a positive integer. "
                             f"Received: max_number={max_number!r}")
        if not _is_integer(fill_value):
            raise ValueError("MaxNumBoundingBoxes: argument `fill_value` must be an integer. "
                             f"Received: fill_value={fill_value!r}")
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def transform_images(self, images, transformation=None, training=True):
        return _autocast(self, images)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return segmentation_masks

    def _fit(self, values, name, rank):
        """``values`` (batch first, ``rank`` dims) cut or padded along axis 1 to ``max_number``."""
        shape = tuple(ops.shape(values))
        if len(shape) != rank or (name == "boxes" and _static(shape[-1]) not in (None, 4)):
            wanted = "(batch, num_boxes, 4)" if name == "boxes" else "(batch, num_boxes)"
            raise ValueError(f"MaxNumBoundingBoxes: bounding_boxes['{name}'] should have the shape {wanted}. "
                             f"Received: shape={shape}")
        count = _static(shape[1])
        values = values[:, :self.max_number]
        if count is None:  # known only at run time (a graph): append max_number fill rows, keep the first ones
            row = ops.sum(ops.zeros_like(values), axis=1, keepdims=True)  # (batch, 1[, 4]) zeros, even for 0 boxes
            block = ops.add(ops.tile(row, (1, self.max_number) + (1,) * (rank - 2)),
                            ops.cast(self.fill_value, ops.dtype(values)))
            values = ops.concatenate([values, block], axis=1)[:, :self.max_number]
            return ops.reshape(values, (-1, self.max_number) + ((4,) if rank == 3 else ()))
        missing = self.max_number - min(count, self.max_number)
        if missing:
            widths = [[0, 0], [0, missing]] + [[0, 0]] * (rank - 2)
            values = ops.pad(values, widths, constant_values=self.fill_value)
        return values

    @staticmethod
    def _check_entries(bounding_boxes):
        if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
            keys = sorted(bounding_boxes) if isinstance(bounding_boxes, dict) else type(bounding_boxes).__name__
            raise ValueError("MaxNumBoundingBoxes: `bounding_boxes` should be a dict with keys 'boxes' and "
                             f"'labels'. Received: {keys}")

    def transform_bounding_boxes(self, bounding_boxes, transformation=None, training=True):
        self._check_entries(bounding_boxes)
        out = dict(bounding_boxes)
        out["boxes"] = self._fit(ops.convert_to_tensor(bounding_boxes["boxes"]), "boxes", 3)
        out["labels"] = self._fit(ops.convert_to_tensor(bounding_boxes["labels"]), "labels", 2)
        return out

    def _single(self, bounding_boxes):
        """One image's boxes ``(n, 4)`` and labels ``(n,)`` through ``transform_bounding_boxes``."""
        self._check_entries(bounding_boxes)
        batched = dict(bounding_boxes)
        for key, rank in (("boxes", 2), ("labels", 1)):
            value = ops.convert_to_tensor(bounding_boxes[key])
            if len(ops.shape(value)) != rank:
                wanted = "(num_boxes, 4)" if key == "boxes" else "(num_boxes,)"
                raise ValueError(f"MaxNumBoundingBoxes: for one image, bounding_boxes['{key}'] should have the "
                                 f"shape {wanted}. Received: shape={tuple(ops.shape(value))}")
            batched[key] = ops.expand_dims(value, 0)
        out = self.transform_bounding_boxes(batched)
        for key in ("boxes", "labels"):
            out[key] = ops.squeeze(out[key], 0)
        return out

    def call(self, data, training=True):
        if not isinstance(data, dict):
            self._rank_of(data)
            return self.transform_images(data)
        if "images" not in data:
            raise ValueError(f"MaxNumBoundingBoxes: a dict input needs an 'images' entry, got keys {sorted(data)}")
        batched = self._rank_of(data["images"]) == 4
        out = dict(data)
        out["images"] = self.transform_images(data["images"])
        if "bounding_boxes" in data:
            if not self.bounding_box_format:
                raise ValueError("You passed an input with a 'bounding_boxes' key, but you didn't specify a "
                                 "bounding box format. Pass a `bounding_box_format` argument to your "
                                 "MaxNumBoundingBoxes layer, e.g. `bounding_box_format='xyxy'`.")
            boxes = data["bounding_boxes"]
            out["bounding_boxes"] = self.transform_bounding_boxes(boxes) if batched else self._single(boxes)
        return out

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            shapes = dict(input_shape)
            boxes = dict(shapes["bounding_boxes"])
            for key in ("boxes", "labels"):
                if key in boxes:
                    shape = list(boxes[key])
                    shape[1 if len(shape) > (2 if key == "boxes" else 1) else 0] = self.max_number
                    boxes[key] = tuple(shape)
            shapes["bounding_boxes"] = boxes
            return shapes
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"max_number": self.max_number, "fill_value": self.fill_value})
        return config
