"""``image_dataset_from_directory``: a folder of image files as batches for ``fit``.

Keras 3's arguments, checks, messages, file order, shuffle of the file list
and validation split. Each image is decoded by Pillow (``kerasette[image]``),
converted to the channels asked for as ``tf.image.decode_image`` does
(libpng's truncated grey for ``color_mode="grayscale"``), and resized in
float32 (uint8 for "nearest", as tf.image.resize keeps it) by ``ops.image.resize`` with Keras' interpolation (or
cropped / padded to the target's aspect ratio first). An image that cannot
be read stops the batch with an error naming the file.
"""
from __future__ import annotations

import numpy

from .. import backend
from ..ops import image as image_ops
from ..utils.image_utils import pil_image
from .dataset import FileDataset
from .directory import check_label_args, check_validation_split_arg, index_directory, training_or_validation_split

__all__ = ["image_dataset_from_directory", "load_image", "ALLOWLIST_FORMATS"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_MODES = {"rgb": ("RGB", 3), "rgba": ("RGBA", 4), "grayscale": ("L", 1)}
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


def _decode(path, color_mode):
    Image = pil_image()
    try:
        with Image.open(path) as img:
            img.seek(0)   # an animation: its first frame
            img.load()
            mode = _MODES[color_mode][0]
            if color_mode == "grayscale" and img.mode not in ("L", "1"):
                # libpng's grey as TensorFlow asks for it: 0.299 and 0.587 cut to 1/32768ths (9797, 19234),
                # blue the rest, the sum truncated; alpha dropped
                rgb = numpy.asarray(img.convert("RGB")).astype("uint32")
                array = ((rgb[..., 0] * 9797 + rgb[..., 1] * 19234 + rgb[..., 2] * 3737) >> 15).astype("uint8")
            else:
                array = numpy.asarray(img if img.mode == mode else img.convert(mode))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValueError(f"Cannot read the image file {path!r}: {error}") from None
    return array.reshape(array.shape[:2] + (_MODES[color_mode][1],))


def load_image(path, image_size, color_mode="rgb", interpolation="bilinear", crop_to_aspect_ratio=False,
               pad_to_aspect_ratio=False, data_format="channels_last"):
    """One image file as a float32 array of ``image_size`` (height, width)."""
    decoded = _decode(path, color_mode)
    array = decoded.astype("float32")
    if pad_to_aspect_ratio:
        array = _resize_with_pad(array, image_size, interpolation)
    elif tuple(array.shape[:2]) != tuple(image_size) or crop_to_aspect_ratio:
        array = numpy.asarray(image_ops.resize(array, image_size, interpolation=interpolation,
                                               crop_to_aspect_ratio=crop_to_aspect_ratio,
                                               data_format="channels_last"), dtype="float32")
    if interpolation == "nearest" and not (crop_to_aspect_ratio or pad_to_aspect_ratio):
        array = array.astype(decoded.dtype)   # tf.image.resize keeps the image's dtype for nearest
    if data_format == "channels_first":
        array = array.transpose(2, 0, 1)
    return array


def _resize_with_pad(array, image_size, interpolation):
    """``tf.image.resize_with_pad``, which Keras' loader calls: scale to fit inside,
    whole pixels, then zeros around, the odd pixel after."""
    height, width = array.shape[:2]
    target_height, target_width = int(image_size[0]), int(image_size[1])
    ratio = max(width / target_width, height / target_height)
    resized_height, resized_width = int(height / ratio), int(width / ratio)
    top = max(0, int((target_height - height / ratio) / 2))
    left = max(0, int((target_width - width / ratio) / 2))
    resized = numpy.asarray(image_ops.resize(array, (resized_height, resized_width), interpolation=interpolation,
                                             data_format="channels_last"), dtype="float32")
    padded = numpy.zeros((target_height, target_width, array.shape[2]), "float32")
    padded[top:top + resized_height, left:left + resized_width] = resized
    return padded


class _ImageLoader:
    """``load_image`` with the dataset's settings (a picklable callable, for worker processes)."""

    def __init__(self, **settings):
        self.settings = settings

    def __call__(self, path):
        return load_image(path, **self.settings)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 format="tf", verbose=True, workers=1, use_multiprocessing=False,
                                 max_queue_size=10):
    """Batches ``(images, labels)`` from ``directory/<class name>/<image files>``.

    Returns a ``FileDataset`` (a ``PyDataset``: ``fit`` takes it, Python
    iterates it) with ``class_names`` and ``file_paths``; with
    ``subset="both"`` a list ``[training, validation]``. ``workers`` and
    ``use_multiprocessing`` (kerasette's, not Keras') load batches in parallel.

    >>> # train, val = image_dataset_from_directory("photos", validation_split=0.2, subset="both",
    >>> #                                           seed=1337, image_size=(180, 180), batch_size=64)
    """
    check_label_args(labels, label_mode, class_names)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if color_mode not in _MODES:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                         f"Received: color_mode={color_mode}")
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    elif not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError(f"Invalid `image_size` value. Expected a tuple of 2 integers. Received: "
                         f"image_size={image_size}")
    interpolation = interpolation.lower()
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {_INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    if interpolation not in image_ops.RESIZE_INTERPOLATIONS:
        raise NotImplementedError(f"interpolation={interpolation!r} is not available in kerasette yet; "
                                  f"use one of {image_ops.RESIZE_INTERPOLATIONS}")
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.")
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = numpy.random.randint(1e6)
    paths, found, class_names = index_directory(directory, labels, ALLOWLIST_FORMATS, class_names=class_names,
                                                shuffle=shuffle, seed=seed, follow_links=follow_links,
                                                verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 class_names. '
                         f"Received: class_names={class_names}")
    loader = _ImageLoader(image_size=tuple(int(v) for v in image_size), color_mode=color_mode,
                          interpolation=interpolation, crop_to_aspect_ratio=crop_to_aspect_ratio,
                          pad_to_aspect_ratio=pad_to_aspect_ratio,
                          data_format=backend.standardize_data_format(data_format))

    def make(subset_paths, subset_labels, shuffled):
        return FileDataset(subset_paths, loader, labels=subset_labels, label_mode=label_mode,
                           num_classes=len(class_names) if class_names else 0, batch_size=batch_size,
                           shuffle=shuffled, seed=seed, class_names=class_names, workers=workers,
                           use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)

    if subset == "both":
        train = training_or_validation_split(paths, found, validation_split, "training", verbose)
        val = training_or_validation_split(paths, found, validation_split, "validation", verbose)
        if not train[0]:
            raise ValueError(f"No training images found in directory {directory}. Allowed formats: "
                             f"{ALLOWLIST_FORMATS}")
        if not val[0]:
            raise ValueError(f"No validation images found in directory {directory}. Allowed formats: "
                             f"{ALLOWLIST_FORMATS}")
        return [make(*train, shuffle), make(*val, False)]
    paths, found = training_or_validation_split(paths, found, validation_split, subset, verbose)
    if not paths:
        raise ValueError(f"No images found in directory {directory}. Allowed formats: {ALLOWLIST_FORMATS}")
    return make(paths, found, shuffle)
