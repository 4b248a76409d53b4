"""What every ImageNet model of ``kerasette.applications`` shares.

The public half is Keras' ``keras.applications.imagenet_utils``:

* :func:`preprocess_input` turns images with values in [0, 255] into what a
  model was trained on, in one of three modes (``"caffe"``: RGB to BGR and
  the ImageNet mean pixel subtracted; ``"tf"``: scaled to [-1, 1];
  ``"torch"``: scaled to [0, 1] and normalised per channel);
* :func:`decode_predictions` turns a ``(samples, 1000)`` batch of scores into
  the top ``(class_name, description, score)`` tuples, reading Keras'
  published ``imagenet_class_index.json`` through the cached, checked
  downloader.

The rest are the building checks every family runs before it lays down a
single layer, with Keras' own messages, so a wrong argument fails the same
way in both: :func:`validate_arguments` (``weights``, ``classes``),
:func:`obtain_input_shape`, :func:`validate_activation`, plus the small
graph helpers the families share (:func:`image_input`, :func:`source_inputs`,
:func:`apply_pooling`, :func:`correct_pad`, :func:`channel_axis`).
"""
from __future__ import annotations

import json
import os
import warnings

import numpy

from .. import activations, backend, ops
from ..layers import GlobalAveragePooling2D, GlobalMaxPooling2D, Input
from ..engine import Node, topological_order
from .weights import fetch_file

__all__ = ["preprocess_input", "decode_predictions", "obtain_input_shape", "correct_pad",
           "validate_activation", "validate_arguments", "weights_file_exists", "image_input", "source_inputs",
           "apply_pooling", "channel_axis", "CLASS_INDEX_PATH", "CLASS_INDEX_HASH"]

# Keras' published ImageNet class index and its MD5 (facts from Keras' source)
CLASS_INDEX_PATH = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
CLASS_INDEX = None  # {"0": ["n01440764", "tench"], ...} once read

_IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def preprocess_input(x, data_format: str | None = None, mode: str = "caffe"):
    """Prepare a batch of images with values in [0, 255] for an ImageNet model.

    ``x`` is a 3D or 4D numpy array or tensor with 3 colour channels. A numpy
    array of a floating dtype is overwritten in place and returned (other
    dtypes are converted to floatx first), as in Keras; tensors give new
    tensors. ``mode`` is ``"caffe"`` (default), ``"tf"`` or ``"torch"``.

    >>> import numpy as np
    >>> preprocess_input(np.full((1, 2, 2, 3), 127.5), mode="tf")[0, 0, 0]
    array([0., 0., 0.])
    """
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}")
    if data_format is None:
        data_format = backend.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Expected data_format to be one of `channels_first` or `channels_last`. "
                         f"Received: data_format={data_format}")
    if isinstance(x, numpy.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _channel_index(ndim: int, data_format: str) -> int:
    if data_format == "channels_first":
        return 0 if ndim == 3 else 1
    return ndim - 1


def _preprocess_numpy(x: numpy.ndarray, data_format: str, mode: str) -> numpy.ndarray:
    if not numpy.issubdtype(x.dtype, numpy.floating):
        x = x.astype(backend.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_index(x.ndim, data_format)
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = numpy.flip(x, axis=axis)  # RGB to BGR, a view (writes reach the caller's array)
        mean, std = _IMAGENET_MEAN_BGR, None
    index = [slice(None)] * x.ndim
    for channel in range(3):
        index[axis] = channel
        x[tuple(index)] -= mean[channel]
        if std is not None:
            x[tuple(index)] /= std[channel]
    return x


def _preprocess_tensor(x, data_format: str, mode: str):
    ndim = len(x.shape)
    if mode == "tf":
        return x / 127.5 - 1.0
    axis = _channel_index(ndim, data_format)
    if mode == "torch":
        x = x / 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = ops.take(x, [2, 1, 0], axis=axis)  # RGB to BGR
        mean, std = _IMAGENET_MEAN_BGR, None
    shape = [1] * ndim
    shape[axis] = 3
    dtype = ops.dtype(x)
    x = x - ops.convert_to_tensor(numpy.reshape(numpy.array(mean), shape), dtype=dtype)
    if std is not None:
        x = x / ops.convert_to_tensor(numpy.reshape(numpy.array(std), shape), dtype=dtype)
    return x


def _class_index() -> dict:
    global CLASS_INDEX
    if CLASS_INDEX is None:
        path = fetch_file("imagenet_class_index.json", CLASS_INDEX_PATH, CLASS_INDEX_HASH)
        with open(path, encoding="utf-8") as handle:
            CLASS_INDEX = json.load(handle)
    return CLASS_INDEX


def decode_predictions(preds, top: int = 5) -> list:
    """The ``top`` ImageNet classes of each row of ``preds``, best first.

    ``preds`` has shape ``(samples, 1000)``; each row becomes a list of
    ``(class_name, class_description, score)`` tuples. The class index file
    is downloaded once (checked against its published MD5) and cached.

    >>> decode_predictions(numpy.eye(1000)[[1]], top=1)  # doctest: +SKIP
    [[('n01443537', 'goldfish', 1.0)]]
    """
    if len(preds.shape) != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array of "
                         f"shape (samples, 1000)). Received array with shape: {tuple(preds.shape)}")
    index = _class_index()
    preds = ops.convert_to_numpy(preds)
    results = []
    for row in preds:
        best = row.argsort()[-top:][::-1]
        entries = [tuple(index[str(i)]) + (row[i],) for i in best]
        entries.sort(key=lambda entry: entry[2], reverse=True)
        results.append(entries)
    return results


def obtain_input_shape(input_shape, default_size: int, min_size: int, data_format: str,
                       require_flatten: bool, weights=None) -> tuple:
    """The image input shape a model is built for, with Keras' checks and messages.

    ``input_shape`` is the user's (or ``None``); with ``require_flatten`` (a
    classifier top) the shape must be static, and with ImageNet weights it
    must be the default ``(default_size, default_size, 3)``.
    """
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was passed "
                          f"an input_shape with {channels} input channels.", stacklevel=3)
        if channels_first:
            default_shape = (input_shape[0], default_size, default_size)
        else:
            default_shape = (default_size, default_size, input_shape[-1])
    else:
        default_shape = (3, default_size, default_size) if channels_first else (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, "
                             f"`input_shape` should be {default_shape}.  Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels = input_shape[0] if channels_first else input_shape[-1]
        spatial = input_shape[1:] if channels_first else input_shape[:2]
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        if any(size is not None and size < min_size for size in spatial):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return input_shape


def weights_file_exists(weights) -> bool:
    """Whether ``weights`` names an existing file (the third thing ``weights`` may be)."""
    return isinstance(weights, (str, os.PathLike)) and os.path.exists(weights)


def validate_arguments(weights, include_top: bool, classes: int) -> None:
    """Keras' first two checks: ``weights`` is None, ``"imagenet"`` or an existing file,
    and ImageNet weights with a classifier top mean 1000 classes."""
    if not (weights in {"imagenet", None} or weights_file_exists(weights)):
        raise ValueError("The `weights` argument should be either `None` (random initialization), "
                         "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
                         f"loaded.  Received: weights={weights}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` should be "
                         f"1000.  Received classes={classes}")


def validate_activation(classifier_activation, weights) -> None:
    """With pretrained weights the classifier may only be ``None`` (logits) or ``"softmax"``."""
    if weights is None:
        return
    resolved = activations.get(classifier_activation)
    if resolved not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError("Only `None` and `softmax` activations are allowed for the "
                         "`classifier_activation` argument when using pretrained weights, with "
                         f"`include_top=True`; Received: classifier_activation={classifier_activation}")


def channel_axis() -> int:
    """The channel axis of a 4D image batch under the current image data format."""
    return 1 if backend.image_data_format() == "channels_first" else -1


def image_input(input_tensor, input_shape):
    """The model's image input: a new ``Input(shape=input_shape)``, or ``input_tensor``
    itself (a symbolic tensor, e.g. another model's output or a preprocessing chain)."""
    if input_tensor is None:
        return Input(shape=input_shape)
    if not isinstance(input_tensor, Node):
        raise ValueError("Argument `input_tensor` must be a symbolic tensor, the result of "
                         f"`kerasette.layers.Input()` or of layers called on it. Received: "
                         f"input_tensor={type(input_tensor).__name__}")
    return input_tensor


def source_inputs(input_tensor, img_input):
    """The inputs of the model to build: the ``Input`` placeholders ``input_tensor`` comes
    from (so layers before it stay part of the model), else ``img_input``."""
    if input_tensor is None:
        return img_input
    found = sorted((node for node in topological_order([input_tensor]) if node.kind == "placeholder"),
                   key=lambda node: node.id)
    return found[0] if len(found) == 1 else found


def apply_pooling(x, pooling, avg_name: str = "avg_pool", max_name: str = "max_pool"):
    """The feature-extraction head of ``include_top=False``: ``pooling`` ``"avg"`` or
    ``"max"`` adds the global pooling layer of that name; anything else adds nothing."""
    if pooling == "avg":
        return GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return GlobalMaxPooling2D(name=max_name)(x)
    return x


def correct_pad(inputs, kernel_size) -> tuple:
    """The zero padding before a strided 'valid' convolution that lines it up with
    TensorFlow's 'same' padding: one less row/column before than after when the
    size is even (or unknown)."""
    spatial = inputs.shape[2:4] if backend.image_data_format() == "channels_first" else inputs.shape[1:3]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if spatial[0] is None else (1 - spatial[0] % 2, 1 - spatial[1] % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))
