"""Image files in and out: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``.

Keras 3's functions with Keras 3's arguments and numbers. Decoding and
encoding are Pillow's (an optional extra: ``pip install kerasette[image]``),
imported when an image is first read or written, so the rest of kerasette
never needs it.
"""
from __future__ import annotations

import io
import os
import pathlib
import warnings

import numpy

from .. import backend

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "pil_image", "PIL_INTERPOLATION_METHODS"]

_PIL_METHOD_NAMES = {
    "nearest": "NEAREST", "bilinear": "BILINEAR", "bicubic": "BICUBIC", "hamming": "HAMMING",
    "box": "BOX", "lanczos": "LANCZOS",
}
#: Keras' interpolation names for ``load_img``, in Keras' order
PIL_INTERPOLATION_METHODS = tuple(_PIL_METHOD_NAMES)


def pil_image():
    """Pillow's ``PIL.Image`` module; an ImportError that names the extra where it is missing."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Reading and writing image files needs Pillow: pip install kerasette[image] "
                          "(or pip install pillow)") from None
    return Image


def _data_format(data_format) -> str:
    return backend.standardize_data_format(data_format)


def array_to_img(x, data_format=None, scale: bool = True, dtype=None):
    """A 3-d array ``(height, width, channels)`` as a PIL image; with ``scale``
    the values are stretched to 0-255 first (Keras' rule).

    >>> array_to_img(numpy.zeros((4, 5, 3))).size
    (5, 4)
    """
    Image = pil_image()
    data_format = _data_format(data_format)
    x = numpy.asarray(x, dtype=dtype or backend.floatx())
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - numpy.min(x)
        peak = numpy.max(x)
        if peak != 0:
            x /= peak
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return Image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return Image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if numpy.max(x) > 255:   # 16- or 32-bit grey
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img, data_format=None, dtype=None) -> numpy.ndarray:
    """A PIL image (or anything array-like) as a 3-d float array.

    >>> img_to_array(numpy.zeros((4, 5), "uint8")).shape
    (4, 5, 1)
    """
    data_format = _data_format(data_format)
    x = numpy.asarray(img, dtype=dtype or backend.floatx())
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x.reshape((1,) + x.shape) if data_format == "channels_first" else x.reshape(x.shape + (1,))
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x


def save_img(path, x, data_format=None, file_format=None, scale: bool = True, **kwargs) -> None:
    """Write a 3-d array to an image file; the format follows the file's
    extension unless ``file_format`` names it. Extra arguments go to Pillow."""
    data_format = _data_format(data_format)
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format or None, **kwargs)


def _open(path):
    Image = pil_image()
    if isinstance(path, io.BytesIO):
        source, name = path, "the BytesIO given"
    elif isinstance(path, (str, bytes, pathlib.Path, os.PathLike)):
        name = os.fsdecode(path)
        with open(name, "rb") as handle:
            source = io.BytesIO(handle.read())
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    try:
        img = Image.open(source)
        img.load()   # decode now: a truncated file fails here, naming itself
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValueError(f"Cannot read the image file {name!r}: {error}") from None
    return img


def load_img(path, color_mode: str = "rgb", target_size=None, interpolation: str = "nearest",
             keep_aspect_ratio: bool = False):
    """Read an image file into a PIL image, converted to ``color_mode``
    ("grayscale", "rgb", "rgba") and resized to ``target_size = (height,
    width)`` if given (``keep_aspect_ratio`` crops the centre to the target's
    aspect ratio first, as Keras does).

    >>> # img = load_img("cat.png", target_size=(224, 224)); arr = img_to_array(img)
    """
    if color_mode not in ("grayscale", "rgb", "rgba"):
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    img = _open(path)
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode == "rgba":
        if img.mode != "RGBA":
            img = img.convert("RGBA")
    elif img.mode != "RGB":
        img = img.convert("RGB")
    if target_size is None:
        return img
    size = (int(target_size[1]), int(target_size[0]))   # PIL's (width, height)
    if img.size == size:
        return img
    if interpolation not in _PIL_METHOD_NAMES:
        raise ValueError(f"Invalid interpolation method {interpolation} specified. Supported methods are "
                         f"{', '.join(PIL_INTERPOLATION_METHODS)}")
    resample = getattr(pil_image().Resampling, _PIL_METHOD_NAMES[interpolation])
    if not keep_aspect_ratio:
        return img.resize(size, resample)
    width, height = img.size
    target_width, target_height = size
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return img.resize(size, resample, box=[left, top, left + crop_width, top + crop_height])
