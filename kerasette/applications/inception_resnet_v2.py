"""Inception-ResNet-v2 (Szegedy et al., AAAI 2017), as ``keras.applications.inception_resnet_v2``.

An Inception stem, then 10 ``block35``, 20 ``block17`` and 10 ``block8``
residual Inception blocks joined by reduction modules (``mixed_5b``,
``mixed_6a``, ``mixed_7a``). Each residual block adds its scaled branch
output to its input with :class:`CustomScaleLayer` (Keras' private layer,
here registered under Keras' class name so model files naming it load).
Names, order and weight shapes are Keras 3's.
"""
from __future__ import annotations

from .. import backend, layers
from ..layers import Layer
from ..models import Model
from ..saving import get_custom_objects
from . import imagenet_utils
from .weights import load_weights

__all__ = ["InceptionResNetV2", "CustomScaleLayer", "preprocess_input", "decode_predictions",
           "conv2d_bn", "inception_resnet_block"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/inception_resnet_v2/"
WEIGHTS_FILES = {
    True: ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5", "e693bd0210a403b3192acc6073ad2e96"),
    False: ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
            "d19885ff4a710c122648d3b5c3b684e4"),
}


class CustomScaleLayer(Layer):
    """``inputs[0] + inputs[1] * scale``: the scaled residual sum of an Inception-ResNet block.

    >>> import numpy as np
    >>> CustomScaleLayer(0.5)([np.ones((1, 2)), np.ones((1, 2))])
    array([[1.5, 1.5]])
    """

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        config = super().get_config()
        config["scale"] = self.scale
        return config


get_custom_objects().setdefault("CustomScaleLayer", CustomScaleLayer)


def conv2d_bn(x, filters: int, kernel_size, strides=1, padding: str = "same", activation="relu",
              use_bias: bool = False, name: str | None = None):
    """Conv2D, then (without bias) BatchNormalization(scale=False), then ``activation``.

    With ``name``: ``<name>``, ``<name>_bn`` and ``<name>_ac``.
    """
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias,
                      name=name)(x)
    if not use_bias:
        axis = 1 if backend.image_data_format() == "channels_first" else 3
        x = layers.BatchNormalization(axis=axis, scale=False, name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def _branch(x, specs):
    """conv2d_bn for each (filters, kernel_size) in turn."""
    for filters, kernel in specs:
        x = conv2d_bn(x, filters, kernel)
    return x


# the branches of each block type, as lists of (filters, kernel size)
_BLOCK_BRANCHES = {
    "block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
    "block17": [[(192, 1)], [(128, 1), (160, [1, 7]), (192, [7, 1])]],
    "block8": [[(192, 1)], [(192, 1), (224, [1, 3]), (256, [3, 1])]],
}


def inception_resnet_block(x, scale: float, block_type: str, block_idx: int, activation="relu"):
    """One residual Inception block: branches, ``<type>_<idx>_mixed`` concatenation, 1x1
    ``<type>_<idx>_conv`` back to the input's channels, scaled sum, ``<type>_<idx>_ac``."""
    if block_type not in _BLOCK_BRANCHES:
        raise ValueError('Unknown Inception-ResNet block type. Expects "block35", "block17" or "block8", '
                         f"but got: {block_type}")
    branches = [_branch(x, specs) for specs in _BLOCK_BRANCHES[block_type]]
    block_name = f"{block_type}_{block_idx}"
    axis = 1 if backend.image_data_format() == "channels_first" else 3
    mixed = layers.Concatenate(axis=axis, name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[axis], 1, activation=None, use_bias=True, name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def InceptionResNetV2(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
                      pooling=None, classes: int = 1000, classifier_activation="softmax",
                      name: str = "inception_resnet_v2") -> Model:
    """Inception-ResNet-v2 for images of at least 75x75 (default 299x299x3).

    >>> model = InceptionResNetV2(weights=None, include_top=False, input_shape=(75, 75, 3))
    >>> model.output_shape
    (None, 1, 1, 1536)
    """
    imagenet_utils.validate_arguments(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = 1 if backend.image_data_format() == "channels_first" else 3

    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)

    # mixed_5b (Inception-A)
    branches = [_branch(x, [(96, 1)]), _branch(x, [(48, 1), (64, 5)]), _branch(x, [(64, 1), (96, 3), (96, 3)])]
    pooled = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    branches.append(conv2d_bn(pooled, 64, 1))
    x = layers.Concatenate(axis=axis, name="mixed_5b")(branches)
    for idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=idx)

    # mixed_6a (Reduction-A)
    branches = [conv2d_bn(x, 384, 3, strides=2, padding="valid"),
                conv2d_bn(_branch(x, [(256, 1), (256, 3)]), 384, 3, strides=2, padding="valid"),
                layers.MaxPooling2D(3, strides=2, padding="valid")(x)]
    x = layers.Concatenate(axis=axis, name="mixed_6a")(branches)
    for idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=idx)

    # mixed_7a (Reduction-B)
    branches = [conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid"),
                conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid"),
                conv2d_bn(_branch(x, [(256, 1), (288, 3)]), 320, 3, strides=2, padding="valid"),
                layers.MaxPooling2D(3, strides=2, padding="valid")(x)]
    x = layers.Concatenate(axis=axis, name="mixed_7a")(branches)
    for idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8", block_idx=10)

    x = conv2d_bn(x, 1536, 1, name="conv_7b")
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
