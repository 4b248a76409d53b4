"""Inception-v3 (Szegedy et al., CVPR 2016), as ``keras.applications.inception_v3`` builds it.

A stem of plain convolutions, then eleven "mixed" modules (``mixed0`` ...
``mixed10``) whose parallel branches (1x1, factorised 5x5/7x7/3x3, pooling)
are concatenated. Every convolution is Conv2D (no bias) + BatchNormalization
(no scale) + relu with Keras' automatic names, made in Keras' order, so the
names, the layer order and the weight files are Keras 3's.
"""
from __future__ import annotations

from .. import backend, layers
from ..models import Model
from . import imagenet_utils
from .weights import load_weights

__all__ = ["InceptionV3", "preprocess_input", "decode_predictions", "conv2d_bn"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
WEIGHTS_FILES = {
    True: ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
    False: ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63"),
}


def conv2d_bn(x, filters: int, num_row: int, num_col: int, padding: str = "same", strides=(1, 1),
              name: str | None = None):
    """Conv2D (no bias) -> BatchNormalization(scale=False) -> relu.

    With ``name``, the layers are ``<name>_conv``, ``<name>_bn`` and ``<name>``.
    """
    axis = 1 if backend.image_data_format() == "channels_first" else 3
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding, use_bias=False,
                      name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=axis, scale=False, name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _avg_branch(x, filters: int):
    pooled = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
    return conv2d_bn(pooled, filters, 1, 1)


def _chain(x, specs):
    """Apply conv2d_bn for each (filters, rows, cols) in turn."""
    for filters, rows, cols in specs:
        x = conv2d_bn(x, filters, rows, cols)
    return x


def _module_a(x, pool_filters: int, axis: int, name: str):
    """35x35 module: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1."""
    branches = [conv2d_bn(x, 64, 1, 1),
                _chain(x, [(48, 1, 1), (64, 5, 5)]),
                _chain(x, [(64, 1, 1), (96, 3, 3), (96, 3, 3)]),
                _avg_branch(x, pool_filters)]
    return layers.concatenate(branches, axis=axis, name=name)


def _module_c(x, width: int, axis: int, name: str):
    """17x17 module with factorised 7x7 convolutions of ``width`` channels inside."""
    branches = [conv2d_bn(x, 192, 1, 1),
                _chain(x, [(width, 1, 1), (width, 1, 7), (192, 7, 1)]),
                _chain(x, [(width, 1, 1), (width, 7, 1), (width, 1, 7), (width, 7, 1), (192, 1, 7)]),
                _avg_branch(x, 192)]
    return layers.concatenate(branches, axis=axis, name=name)


def InceptionV3(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes: int = 1000, classifier_activation="softmax",
                name: str = "inception_v3") -> Model:
    """Inception-v3 for images of at least 75x75 (default 299x299x3).

    >>> model = InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))
    >>> model.output_shape
    (None, 1, 1, 2048)
    """
    imagenet_utils.validate_arguments(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = 1 if backend.image_data_format() == "channels_first" else 3

    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    x = _module_a(x, 32, axis, "mixed0")
    x = _module_a(x, 64, axis, "mixed1")
    x = _module_a(x, 64, axis, "mixed2")

    # mixed3: 35x35 -> 17x17
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    double = _chain(x, [(64, 1, 1), (96, 3, 3)])
    double = conv2d_bn(double, 96, 3, 3, strides=(2, 2), padding="valid")
    branches = [branch3x3, double, layers.MaxPooling2D((3, 3), strides=(2, 2))(x)]
    x = layers.concatenate(branches, axis=axis, name="mixed3")

    x = _module_c(x, 128, axis, "mixed4")
    x = _module_c(x, 160, axis, "mixed5")
    x = _module_c(x, 160, axis, "mixed6")
    x = _module_c(x, 192, axis, "mixed7")

    # mixed8: 17x17 -> 8x8
    branch3x3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = _chain(x, [(192, 1, 1), (192, 1, 7), (192, 7, 1)])
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    pooled = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch7x7x3, pooled], axis=axis, name="mixed8")

    # mixed9, mixed10: 8x8 modules with split 1x3 / 3x1 branches
    for i in range(2):
        branch1x1 = conv2d_bn(x, 320, 1, 1)
        branch3x3 = conv2d_bn(x, 384, 1, 1)
        branch3x3 = layers.concatenate([conv2d_bn(branch3x3, 384, 1, 3), conv2d_bn(branch3x3, 384, 3, 1)],
                                       axis=axis, name=f"mixed9_{i}")
        double = _chain(x, [(448, 1, 1), (384, 3, 3)])
        double = layers.concatenate([conv2d_bn(double, 384, 1, 3), conv2d_bn(double, 384, 3, 1)], axis=axis)
        pool = _avg_branch(x, 192)
        x = layers.concatenate([branch1x1, branch3x3, double, pool], axis=axis, name=f"mixed{9 + i}")

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.apply_pooling(x, pooling, avg_name=None, max_name=None)

    model = Model(imagenet_utils.source_inputs(input_tensor, img_input), x, name=name)
    fname, file_hash = WEIGHTS_FILES[bool(include_top)]
    return load_weights(model, weights, fname, BASE_WEIGHTS_PATH, file_hash)


def preprocess_input(x, data_format=None):
    """Scale pixels from [0, 255] to [-1, 1] (Keras' ``"tf"`` mode)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top: int = 5) -> list:
    """The ``top`` ImageNet classes of each row of ``preds``, as ``(id, name, score)``."""
    return imagenet_utils.decode_predictions(preds, top=top)
