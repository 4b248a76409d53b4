"""``kerasette.ops.image``: Keras 3's image ops (``keras.ops.image``).

Images are ``(batch, height, width, channels)`` or one image without the
batch axis; ``data_format='channels_first'`` puts channels before the
spatial axes.  Numbers follow Keras 3 on JAX: ``resize`` builds
``jax.image.resize``'s interpolation weights (``primitives.resampling``),
``affine_transform`` and ``map_coordinates`` sample like
``scipy.ndimage.map_coordinates`` with order 0 or 1 and Keras' fill modes.
Integer images come back rounded and saturated into their own dtype, as
Keras does.
"""
from __future__ import annotations

from typing import Any

import numpy

from .. import backend
from .core import apply, dtype_of, shape_of

#: an array, a Python number or list, an eager Tensor or a symbolic node
TensorLike = Any

__all__ = ["resize"]

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")


def data_format_of(data_format) -> str:
    data_format = data_format or backend.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format


def image_axes(images, data_format, op_name) -> tuple:
    """``(rank, height axis, width axis, channel axis)`` of a 3-d or 4-d image tensor."""
    rank = len(shape_of(images))
    if rank not in (3, 4):
        raise ValueError(f"{op_name}: images must be rank 3 (one image) or rank 4 (a batch), got shape "
                         f"{shape_of(images)}")
    if data_format_of(data_format) == "channels_last":
        return rank, rank - 3, rank - 2, rank - 1
    return rank, rank - 2, rank - 1, rank - 3


def back_to_dtype(result, dtype):
    """Keras' last step: integer images are rounded and saturated into their dtype."""
    from . import math
    dtype = numpy.dtype(dtype)
    if numpy.dtype(dtype_of(result)) == dtype:
        return result
    if dtype.kind in "iub":
        result = math.round(result)
        if dtype.kind != "b":
            info = numpy.iinfo(dtype)
            result = math.clip(result, float(info.min), float(info.max))
    return math.cast(result, dtype)


def _slice_axes(x, starts_sizes: dict):
    from .shape_ops import getitem
    key = tuple(slice(starts_sizes[a][0], starts_sizes[a][0] + starts_sizes[a][1]) if a in starts_sizes
                else slice(None) for a in range(len(shape_of(x))))
    return getitem(x, key)


def resize(images: TensorLike, size, interpolation: str = "bilinear", antialias: bool = False,
           crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False, fill_mode: str = "constant",
           fill_value: float = 0.0, data_format=None) -> TensorLike:
    """Images resized to ``size = (height, width)`` with Keras 3's interpolation weights.

    >>> resize(numpy.ones((1, 4, 4, 3)), (2, 2)).shape
    (1, 2, 2, 3)
    """
    from .shape_ops import pad
    if len(size) != 2:
        raise ValueError(f"resize: size must be (height, width), got size={size}")
    target_h, target_w = int(size[0]), int(size[1])
    if target_h <= 0 or target_w <= 0:
        raise ValueError(f"resize: size must have positive height and width, got size={size}")
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(f"resize: interpolation must be one of {RESIZE_INTERPOLATIONS}, got {interpolation!r}")
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported, got fill_mode={fill_mode!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("resize: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True")
    rank, h_axis, w_axis, _ = image_axes(images, data_format, "resize")
    dtype = dtype_of(images)
    shape = shape_of(images)
    height, width = shape[h_axis], shape[w_axis]
    if (crop_to_aspect_ratio or pad_to_aspect_ratio) and (height is None or width is None):
        raise ValueError("resize: crop_to_aspect_ratio and pad_to_aspect_ratio need known image sizes, got "
                         f"shape {shape}")
    if crop_to_aspect_ratio:
        crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
        crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
        images = _slice_axes(images, {h_axis: (int(float(height - crop_h) / 2), crop_h),
                                      w_axis: (int(float(width - crop_w) / 2), crop_w)})
    elif pad_to_aspect_ratio:
        pad_h = max(height, int(float(width * target_h) / target_w))
        pad_w = max(width, int(float(height * target_w) / target_h))
        top, left = int(float(pad_h - height) / 2), int(float(pad_w - width) / 2)
        widths = [(0, 0)] * rank
        if top > 0:
            widths[h_axis] = (top, top)
        elif left > 0:
            widths[w_axis] = (left, left)
        if top > 0 or left > 0:
            images = pad(images, widths, constant_values=fill_value)
    out = images
    for axis, target in ((h_axis, target_h), (w_axis, target_w)):
        if shape_of(out)[axis] != target or interpolation == "nearest":
            out = apply("resample", out, axis=axis, size=target, method=interpolation, antialias=bool(antialias))
    return back_to_dtype(out, dtype)
