"""Xception (Chollet, CVPR 2017), as ``keras.applications.xception`` builds it.

Depthwise-separable convolutions in an entry flow (three strided residual
blocks), a middle flow (eight identical 728-channel blocks) and an exit flow.
Layer names, order and weight shapes are Keras 3's, so Keras' published
ImageNet files (tf.keras ``.h5`` layout) and Keras 3 ``.weights.h5`` files of
the model load here. Inputs are scaled to [-1, 1] (``preprocess_input``).
"""
from __future__ import annotations

from .. import backend, layers
from ..models import Model
from . import imagenet_utils
from .weights import load_weights

__all__ = ["Xception", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
# (file name, MD5) of Keras' published weights: with and without the classifier
WEIGHTS_FILES = {
    True: ("xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
    False: ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97"),
}


def _sep_bn(x, filters: int, name: str, axis: int):
    """SeparableConv2D 3x3 'same' without bias, then its batch norm (``<name>_bn``)."""
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=axis, name=f"{name}_bn")(x)


def _shortcut(x, filters: int, axis: int):
    """The strided 1x1 projection of a downsampling block (unnamed layers, as in Keras)."""
    residual = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return layers.BatchNormalization(axis=axis)(residual)


def _down_block(x, block: int, filters: tuple, axis: int, first_relu: bool = True):
    """relu, sepconv, relu, sepconv, max pool, plus the projected shortcut."""
    residual = _shortcut(x, filters[1], axis)
    prefix = f"block{block}"
    if first_relu:
        x = layers.Activation("relu", name=f"{prefix}_sepconv1_act")(x)
    x = _sep_bn(x, filters[0], f"{prefix}_sepconv1", axis)
    x = layers.Activation("relu", name=f"{prefix}_sepconv2_act")(x)
    x = _sep_bn(x, filters[1], f"{prefix}_sepconv2", axis)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"{prefix}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes: int = 1000, classifier_activation="softmax",
             name: str = "xception") -> Model:
    """Xception for images of at least 71x71 (default 299x299x3).

    Arguments are Keras': ``weights`` is ``None``, ``"imagenet"`` or a
    weights file; ``pooling`` (``None``, ``"avg"``, ``"max"``) applies when
    ``include_top`` is False.

    >>> model = Xception(weights=None, include_top=False, input_shape=(71, 71, 3))
    >>> model.output_shape
    (None, 3, 3, 2048)
    """
    imagenet_utils.validate_arguments(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=71, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = imagenet_utils.channel_axis()

    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = layers.Activation("relu", name="block1_conv2_act")(x)

    # entry flow: block2 starts without a relu (the one before it already ran)
    x = _down_block(x, 2, (128, 128), axis, first_relu=False)
    x = _down_block(x, 3, (256, 256), axis)
    x = _down_block(x, 4, (728, 728), axis)

    # middle flow
    for block in range(5, 13):
        residual = x
        for step in (1, 2, 3):
            x = layers.Activation("relu", name=f"block{block}_sepconv{step}_act")(x)
            x = _sep_bn(x, 728, f"block{block}_sepconv{step}", axis)
        x = layers.add([x, residual])

    # exit flow
    x = _down_block(x, 13, (728, 1024), axis)
    x = _sep_bn(x, 1536, "block14_sepconv1", axis)
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = _sep_bn(x, 2048, "block14_sepconv2", axis)
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)

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
