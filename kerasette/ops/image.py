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

__all__ = ["resize", "map_coordinates", "affine_transform", "perspective_transform", "crop_images", "pad_images",
           "extract_patches", "extract_patches_3d", "rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb",
           "gaussian_blur", "sobel_edges", "ssim", "elastic_transform", "scale_and_translate"]

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


# ---------------------------------------------------------------- sampling

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
AFFINE_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}


def map_coordinates(inputs: TensorLike, coordinates: TensorLike, order: int, fill_mode: str = "constant",
                    fill_value=0) -> TensorLike:
    """``inputs`` sampled at ``coordinates`` (``(inputs.ndim, ...)``): order 0 (nearest) or 1 (linear)."""
    if len(shape_of(coordinates)) < 2:
        raise ValueError(f"map_coordinates: coordinates must have rank >= 2, got shape {shape_of(coordinates)}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"map_coordinates: fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    return apply("map_coordinates", inputs, coordinates, order=int(order), fill_mode=fill_mode,
                 fill_value=float(fill_value))


def _as_batch(images, data_format, op_name):
    """``(channels-last 4-d images, undo)``."""
    from .shape_ops import expand_dims, squeeze, transpose
    rank, _, _, _ = image_axes(images, data_format, op_name)
    single = rank == 3
    if single:
        images = expand_dims(images, 0)
    first = data_format_of(data_format) == "channels_first"
    if first:
        images = transpose(images, (0, 2, 3, 1))

    def undo(out):
        if first:
            out = transpose(out, (0, 3, 1, 2))
        return squeeze(out, 0) if single else out
    return images, undo


def _sample_batch(images, rows, cols, order, fill_mode, fill_value):
    """Channels-last ``images`` (B, H, W, C) sampled at float ``rows``/``cols`` (B, H, W): (B, H, W, C)."""
    from . import math as m
    from .shape_ops import broadcast_to, expand_dims, stack
    from .introspection import shape as runtime_shape
    from .creation import arange
    from .shape_ops import reshape
    b, h, w, c = runtime_shape(images)
    dtype = numpy.dtype(dtype_of(rows))
    grid_b = reshape(arange(b, dtype=dtype.name), (-1, 1, 1, 1))
    grid_c = numpy.arange(c, dtype=dtype).reshape(1, 1, 1, -1)
    target = (b, h, w, c)
    rows4 = rows if len(shape_of(rows)) == 4 else expand_dims(rows, -1)
    cols4 = cols if len(shape_of(cols)) == 4 else expand_dims(cols, -1)
    parts = [broadcast_to(grid_b, target), broadcast_to(rows4, target), broadcast_to(cols4, target),
             broadcast_to(m.add(m.multiply(rows4, 0.0), grid_c), target)]
    return map_coordinates(images, stack(parts, axis=0), order, fill_mode, fill_value)


def affine_transform(images: TensorLike, transform: TensorLike, interpolation: str = "bilinear",
                     fill_mode: str = "constant", fill_value=0, data_format=None) -> TensorLike:
    """Images warped by projective ``transform`` rows ``[a0, a1, a2, b0, b1, b2, c0, c1]`` (output -> input)."""
    from . import math as m
    from .shape_ops import expand_dims, getitem, reshape
    if interpolation not in AFFINE_INTERPOLATIONS:
        raise ValueError(f"affine_transform: interpolation must be 'nearest' or 'bilinear', got {interpolation!r}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"affine_transform: fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    if len(shape_of(transform)) not in (1, 2):
        raise ValueError(f"affine_transform: transform must be (8,) or (batch, 8), got {shape_of(transform)}")
    batch, undo = _as_batch(images, data_format, "affine_transform")
    if len(shape_of(transform)) == 1:
        transform = expand_dims(transform, 0)
    height, width, channels = shape_of(batch)[1:]
    dtype = numpy.dtype(dtype_of(transform))
    if dtype.kind != "f":
        transform = m.cast(transform, backend.floatx())
        dtype = numpy.dtype(backend.floatx())
    rows = numpy.arange(height, dtype=dtype).reshape(1, -1, 1)
    cols = numpy.arange(width, dtype=dtype).reshape(1, 1, -1)

    def t(i):
        return reshape(getitem(transform, (slice(None), i)), (-1, 1, 1))
    # Keras 3 (JAX) maps output (row, col, channel) to input row b1*row + b0*col + c0*channel + b2, col
    # a1*row + a0*col + c1*channel + a2 (and the channel to itself)
    in_rows = m.add(m.add(m.multiply(rows, t(4)), m.multiply(cols, t(3))), t(5))
    in_cols = m.add(m.add(m.multiply(rows, t(1)), m.multiply(cols, t(0))), t(2))
    channel = numpy.arange(channels, dtype=dtype).reshape(1, 1, 1, -1)
    in_rows = m.add(expand_dims(in_rows, -1), m.multiply(expand_dims(t(6), -1), channel))
    in_cols = m.add(expand_dims(in_cols, -1), m.multiply(expand_dims(t(7), -1), channel))
    out = _sample_batch(batch, in_rows, in_cols, AFFINE_INTERPOLATIONS[interpolation], fill_mode, fill_value)
    return undo(out)


def _homography(start_points, end_points):
    """Per batch, the 8 coefficients mapping output (end) pixels to input (start) ones."""
    from .introspection import convert_to_numpy
    start = numpy.asarray(convert_to_numpy(start_points), numpy.float64).reshape(-1, 4, 2)
    end = numpy.asarray(convert_to_numpy(end_points), numpy.float64).reshape(-1, 4, 2)
    out = []
    for s, e in zip(start, end):
        rows = []
        rhs = []
        for (x, y), (u, v) in zip(e, s):
            rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
            rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
            rhs.extend([u, v])
        out.append(numpy.linalg.solve(numpy.array(rows), numpy.array(rhs)))
    return numpy.stack(out)


def perspective_transform(images: TensorLike, start_points, end_points, interpolation: str = "bilinear",
                          fill_value=0, data_format=None) -> TensorLike:
    """Images warped so that the 4 ``start_points`` (x, y) land on ``end_points`` (values, not symbolic)."""
    if interpolation not in AFFINE_INTERPOLATIONS:
        raise ValueError(f"perspective_transform: interpolation must be 'nearest' or 'bilinear', got "
                         f"{interpolation!r}")
    batch, undo = _as_batch(images, data_format, "perspective_transform")
    coefficients = _homography(start_points, end_points)
    height, width = shape_of(batch)[1:3]
    dtype = numpy.dtype(dtype_of(batch)) if numpy.dtype(dtype_of(batch)).kind == "f" else numpy.dtype("float32")
    y, x = numpy.meshgrid(numpy.arange(height), numpy.arange(width), indexing="ij")
    c = coefficients[:, :, None, None]
    denominator = c[:, 6] * x + c[:, 7] * y + 1.0
    in_x = ((c[:, 0] * x + c[:, 1] * y + c[:, 2]) / denominator).astype(dtype)
    in_y = ((c[:, 3] * x + c[:, 4] * y + c[:, 5]) / denominator).astype(dtype)
    count = shape_of(batch)[0]
    if in_x.shape[0] != count:
        in_x, in_y = numpy.broadcast_to(in_x, (count,) + in_x.shape[1:]), numpy.broadcast_to(in_y, (count,) + in_y.shape[1:])
    out = _sample_batch(batch, in_y, in_x, AFFINE_INTERPOLATIONS[interpolation], "constant", fill_value)
    return undo(out)


# ------------------------------------------------------------- crop and pad

def _sides(before, after, target, size, what):
    if before is None and after is None and target is None:
        return 0, 0
    if target is not None:
        if before is None and after is None:
            raise ValueError(f"{what}: give one of the two sides with the target size")
        if before is None:
            before = size - target - after if what == "crop_images" else target - after - size
        if after is None:
            after = size - target - before if what == "crop_images" else target - before - size
    before, after = before or 0, after or 0
    if before < 0 or after < 0:
        raise ValueError(f"{what}: the sizes give negative amounts ({before}, {after}) for size {size}")
    return before, after


def pad_images(images: TensorLike, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
               target_height=None, target_width=None, data_format=None) -> TensorLike:
    """Images padded with zeros on each side (or to ``target_height`` x ``target_width``)."""
    from .shape_ops import pad
    rank, h_axis, w_axis, _ = image_axes(images, data_format, "pad_images")
    shape = shape_of(images)
    top, bottom = _sides(top_padding, bottom_padding, target_height, shape[h_axis], "pad_images")
    left, right = _sides(left_padding, right_padding, target_width, shape[w_axis], "pad_images")
    widths = [(0, 0)] * rank
    widths[h_axis], widths[w_axis] = (top, bottom), (left, right)
    return pad(images, widths)


def crop_images(images: TensorLike, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None) -> TensorLike:
    """Images cropped on each side (or to ``target_height`` x ``target_width``)."""
    rank, h_axis, w_axis, _ = image_axes(images, data_format, "crop_images")
    shape = shape_of(images)
    top, bottom = _sides(top_cropping, bottom_cropping, target_height, shape[h_axis], "crop_images")
    left, right = _sides(left_cropping, right_cropping, target_width, shape[w_axis], "crop_images")
    return _slice_axes(images, {h_axis: (top, shape[h_axis] - top - bottom),
                                w_axis: (left, shape[w_axis] - left - right)})


# ---------------------------------------------------------------- patches

def extract_patches(images: TensorLike, size, strides=None, dilation_rate=1, padding: str = "valid",
                    data_format=None) -> TensorLike:
    """Patches of ``size`` as channels: ``(..., rows, cols, ph * pw * C)`` (an identity-kernel convolution)."""
    from .convolution import conv
    from .shape_ops import expand_dims, squeeze
    if not isinstance(size, int) and len(size) == 3:
        return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    ph, pw = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    rank, _, _, c_axis = image_axes(images, data_format, "extract_patches")
    channels = shape_of(images)[c_axis]
    depth = ph * pw * channels
    kernel = numpy.eye(depth, dtype=numpy.dtype(dtype_of(images))).reshape(ph, pw, channels, depth)
    single = rank == 3
    if single:
        images = expand_dims(images, 0)
    out = conv(images, kernel, strides=strides or (ph, pw), padding=padding, data_format=data_format,
               dilation_rate=dilation_rate)
    return squeeze(out, 0) if single else out


def extract_patches_3d(volumes: TensorLike, size, strides=None, dilation_rate=1, padding: str = "valid",
                       data_format=None) -> TensorLike:
    """3-d patches of ``size`` as channels (an identity-kernel 3-d convolution)."""
    from .convolution import conv
    from .shape_ops import expand_dims, squeeze
    size = (size,) * 3 if isinstance(size, int) else tuple(int(v) for v in size)
    rank = len(shape_of(volumes))
    if rank not in (4, 5):
        raise ValueError(f"extract_patches_3d: volumes must be rank 4 or 5, got shape {shape_of(volumes)}")
    channels = shape_of(volumes)[-1 if data_format_of(data_format) == "channels_last" else -4]
    depth = size[0] * size[1] * size[2] * channels
    kernel = numpy.eye(depth, dtype=numpy.dtype(dtype_of(volumes))).reshape(*size, channels, depth)
    single = rank == 4
    if single:
        volumes = expand_dims(volumes, 0)
    out = conv(volumes, kernel, strides=strides or size, padding=padding, data_format=data_format,
               dilation_rate=dilation_rate)
    return squeeze(out, 0) if single else out


# ------------------------------------------------------------------ colour

def rgb_to_grayscale(images: TensorLike, data_format=None) -> TensorLike:
    """One channel of ``0.2989 R + 0.5870 G + 0.1140 B`` (ITU-R 601), in the images' dtype."""
    from . import math as m
    from .linalg import tensordot
    from .shape_ops import expand_dims
    rank, _, _, c_axis = image_axes(images, data_format, "rgb_to_grayscale")
    channels = shape_of(images)[c_axis]
    if channels not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: images must have 1 or 3 channels, got {channels}")
    if channels == 1:
        return images
    dtype = numpy.dtype(dtype_of(images))
    compute = dtype if dtype.kind == "f" else numpy.dtype(backend.floatx())
    weights = numpy.array([0.2989, 0.5870, 0.1140], dtype=compute)
    gray = tensordot(m.cast(images, compute.name), weights, axes=([c_axis], [0]))
    return m.cast(expand_dims(gray, c_axis - rank if c_axis != rank - 1 else -1), dtype.name)


def _planes(images, data_format, op_name):
    from .shape_ops import getitem
    rank, _, _, c_axis = image_axes(images, data_format, op_name)
    if numpy.dtype(dtype_of(images)).kind != "f":
        raise TypeError(f"{op_name}: images must have a float dtype, got {numpy.dtype(dtype_of(images)).name}")
    key = [slice(None)] * rank
    planes = []
    for i in range(3):
        key[c_axis] = i
        planes.append(getitem(images, tuple(key)))
    return planes, c_axis


def rgb_to_hsv(images: TensorLike, data_format=None) -> TensorLike:
    """RGB in [0, 1] to hue, saturation, value in [0, 1] (Keras 3's / dm_pix's formulas)."""
    from . import math as m
    from .creation import zeros_like
    from .shape_ops import stack
    eps = float(numpy.finfo(numpy.dtype(dtype_of(images))).eps)
    images = m.where(m.less(m.abs(images), eps), zeros_like(images), images)
    (r, g, b), c_axis = _planes(images, data_format, "rgb_to_hsv")
    value = m.maximum(m.maximum(r, g), b)
    minimum = m.minimum(m.minimum(r, g), b)
    spread = m.subtract(value, minimum)
    zeros = zeros_like(value)
    safe_value = m.where(m.greater(value, 0), value, m.add(zeros, 1.0))
    safe_spread = m.where(m.greater(spread, 0), spread, m.add(zeros, 1.0))
    saturation = m.where(m.greater(value, 0), m.divide(spread, safe_value), zeros)
    norm = m.divide(1.0, m.multiply(safe_spread, 6.0))
    hue = m.where(m.equal(value, g), m.add(m.multiply(norm, m.subtract(b, r)), 2.0 / 6.0),
                  m.add(m.multiply(norm, m.subtract(r, g)), 4.0 / 6.0))
    hue = m.where(m.equal(value, r), m.multiply(norm, m.subtract(g, b)), hue)
    hue = m.add(m.where(m.greater(spread, 0), hue, zeros), m.cast(m.less(hue, 0.0), dtype_of(hue)))
    return stack([hue, saturation, value], axis=c_axis)


def hsv_to_rgb(images: TensorLike, data_format=None) -> TensorLike:
    """Hue, saturation, value in [0, 1] back to RGB."""
    from . import math as m
    from .numeric import mod
    from .shape_ops import stack
    (hue, saturation, value), c_axis = _planes(images, data_format, "hsv_to_rgb")
    dh = m.multiply(mod(hue, 1.0), 6.0)
    dr = m.clip(m.subtract(m.abs(m.subtract(dh, 3.0)), 1.0), 0.0, 1.0)
    dg = m.clip(m.subtract(2.0, m.abs(m.subtract(dh, 2.0))), 0.0, 1.0)
    db = m.clip(m.subtract(2.0, m.abs(m.subtract(dh, 4.0))), 0.0, 1.0)
    keep = m.subtract(1.0, saturation)
    planes = [m.multiply(value, m.add(keep, m.multiply(saturation, d))) for d in (dr, dg, db)]
    return stack(planes, axis=c_axis)


# ----------------------------------------------------------------- filters

def _depthwise(images, kernel2d, data_format, op_name):
    """Each channel convolved with ``kernel2d`` ('same' padding), in the images' layout."""
    from .convolution import depthwise_conv
    batch, undo = _as_batch(images, data_format, op_name)
    channels = shape_of(batch)[-1]
    dtype = numpy.dtype(dtype_of(batch))
    kernel = numpy.tile(kernel2d.astype(dtype)[:, :, None, None], (1, 1, channels, 1))
    return undo(depthwise_conv(batch, kernel, strides=1, padding="same", data_format="channels_last"))


def gaussian_blur(images: TensorLike, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None) -> TensorLike:
    """Each channel blurred by a normalised Gaussian of ``kernel_size`` and ``sigma`` ('same' size)."""
    def one_d(size, s):
        x = numpy.arange(size) - (size - 1) / 2
        k = numpy.exp(-0.5 * (x / s) ** 2)
        return k / k.sum()
    from .introspection import convert_to_numpy
    sigma = numpy.asarray(convert_to_numpy(sigma), numpy.float64).reshape(-1)
    sigma = numpy.repeat(sigma, 2) if sigma.size == 1 else sigma
    kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    kernel = numpy.outer(one_d(kernel_size[1], sigma[1]), one_d(kernel_size[0], sigma[0]))
    return _depthwise(images, kernel, data_format, "gaussian_blur")


def sobel_edges(images: TensorLike, data_format=None) -> TensorLike:
    """Sobel derivatives of each channel, stacked last as ``[dy, dx]``."""
    from .shape_ops import stack
    sobel_x = numpy.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    dx = _depthwise(images, sobel_x, data_format, "sobel_edges")
    dy = _depthwise(images, sobel_x.T.copy(), data_format, "sobel_edges")
    return stack([dy, dx], axis=-1)


def ssim(image1: TensorLike, image2: TensorLike, max_val=1.0, filter_size: int = 11, filter_sigma: float = 1.5,
         k1: float = 0.01, k2: float = 0.03, data_format=None) -> TensorLike:
    """Structural similarity per image (Gaussian-windowed, 'valid' windows), averaged over pixels and channels."""
    from . import math as m
    from .convolution import depthwise_conv
    from .reduction import mean
    a, _ = _as_batch(image1, data_format, "ssim")
    b, _ = _as_batch(image2, data_format, "ssim")
    a = m.cast(a, "float32") if numpy.dtype(dtype_of(a)).kind != "f" else a
    b = m.cast(b, dtype_of(a))
    x = numpy.arange(filter_size) - (filter_size - 1) / 2
    g = numpy.exp(-0.5 * (x / filter_sigma) ** 2)
    g = numpy.outer(g, g)
    g /= g.sum()
    channels = shape_of(a)[-1]
    kernel = numpy.tile(g.astype(numpy.dtype(dtype_of(a)))[:, :, None, None], (1, 1, channels, 1))

    def blur(v):
        return depthwise_conv(v, kernel, strides=1, padding="valid", data_format="channels_last")
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = blur(a), blur(b)
    s11 = m.subtract(blur(m.multiply(a, a)), m.multiply(mu1, mu1))
    s22 = m.subtract(blur(m.multiply(b, b)), m.multiply(mu2, mu2))
    s12 = m.subtract(blur(m.multiply(a, b)), m.multiply(mu1, mu2))
    numerator = m.multiply(m.add(m.multiply(m.multiply(mu1, mu2), 2.0), c1), m.add(m.multiply(s12, 2.0), c2))
    denominator = m.multiply(m.add(m.add(m.multiply(mu1, mu1), m.multiply(mu2, mu2)), c1), m.add(m.add(s11, s22), c2))
    out = mean(m.divide(numerator, denominator), axis=(1, 2, 3))
    return out if len(shape_of(image1)) == 4 else out[0]


def elastic_transform(images: TensorLike, alpha: float = 20.0, sigma: float = 5.0, interpolation: str = "bilinear",
                      fill_mode: str = "reflect", fill_value=0.0, seed=None, data_format=None) -> TensorLike:
    """Images displaced by a smooth random field (Gaussian-blurred uniform noise times ``alpha``)."""
    from . import math as m
    from .nn import random_uniform_like
    from .shape_ops import getitem
    batch, undo = _as_batch(images, data_format, "elastic_transform")
    b, h, w, _ = shape_of(batch)
    dtype = numpy.dtype(dtype_of(batch)) if numpy.dtype(dtype_of(batch)).kind == "f" else numpy.dtype("float32")
    size = int(2 * numpy.ceil(3 * sigma) + 1)
    like = m.cast(getitem(batch, (Ellipsis, slice(0, 1))), dtype.name)
    seeds = (seed, seed + 1) if isinstance(seed, int) else (seed, seed)
    noise = [random_uniform_like(like, -1.0, 1.0, seed=s) for s in seeds]
    dy, dx = (m.multiply(gaussian_blur(n, (size, size), (sigma, sigma)), float(alpha))[..., 0] for n in noise)
    rows = m.add(numpy.arange(h, dtype=dtype).reshape(1, -1, 1), dy)
    cols = m.add(numpy.arange(w, dtype=dtype).reshape(1, 1, -1), dx)
    out = _sample_batch(batch, rows, cols, AFFINE_INTERPOLATIONS[interpolation], fill_mode, fill_value)
    return undo(out)


def scale_and_translate(images: TensorLike, output_shape, scale, translation, spatial_dims, method: str,
                        antialias: bool = True) -> TensorLike:
    """``jax.image.scale_and_translate``: each of ``spatial_dims`` resampled to ``output_shape`` with output
    pixel ``i`` read at input position ``(i + 0.5 - translation) / scale - 0.5`` (values, not symbolic)."""
    from .introspection import convert_to_numpy
    scale = numpy.asarray(convert_to_numpy(scale), numpy.float64).reshape(-1)
    translation = numpy.asarray(convert_to_numpy(translation), numpy.float64).reshape(-1)
    method = {"linear": "bilinear", "trilinear": "bilinear", "cubic": "bicubic", "tricubic": "bicubic"}.get(
        method, method)
    if method not in ("bilinear", "bicubic", "lanczos3", "lanczos5"):
        raise ValueError(f"scale_and_translate: method must be linear, cubic, lanczos3 or lanczos5 (or their "
                         f"bi/tri forms), got {method!r}")
    out = images
    for i, axis in enumerate(spatial_dims):
        out = apply("resample", out, axis=int(axis), size=int(output_shape[axis]), method=method,
                    antialias=bool(antialias), scale=float(scale[i]), translation=float(translation[i]))
    return out
