"""The ResNet builder shared by ``resnet`` (v1: post-activation blocks) and ``resnet_v2``
(pre-activation blocks), with Keras' layer names (``conv2_block1_1_conv``, ...)."""
from __future__ import annotations

from .. import backend
from ..layers import (Activation, Add, BatchNormalization, Conv2D, Dense, GlobalAveragePooling2D,
                      MaxPooling2D, ZeroPadding2D)
from ..models import Model
from . import imagenet_utils as iu
from .weights import load_weights

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
# Keras' published files: (with classifier top, without) MD5 per architecture
WEIGHTS_HASHES = {
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}

_EPSILON = 1.001e-5


def _bn_axis() -> int:
    return 1 if backend.image_data_format() == "channels_first" else 3


def _batch_norm(x, name: str):
    return BatchNormalization(axis=_bn_axis(), epsilon=_EPSILON, name=name)(x)


def block_v1(x, filters: int, stride: int = 1, conv_shortcut: bool = True, name: str = ""):
    """Bottleneck block, activation after the sum: 1x1, 3x3, 1x1 (x4 filters)."""
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _batch_norm(shortcut, f"{name}_0_bn")
    else:
        shortcut = x
    x = Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = Activation("relu", name=f"{name}_1_relu")(_batch_norm(x, f"{name}_1_bn"))
    x = Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = Activation("relu", name=f"{name}_2_relu")(_batch_norm(x, f"{name}_2_bn"))
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _batch_norm(x, f"{name}_3_bn")
    x = Add(name=f"{name}_add")([shortcut, x])
    return Activation("relu", name=f"{name}_out")(x)


def stack_v1(x, filters: int, blocks: int, stride1: int = 2, name: str = ""):
    x = block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for index in range(2, blocks + 1):
        x = block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{index}")
    return x


def block_v2(x, filters: int, stride: int = 1, conv_shortcut: bool = False, name: str = ""):
    """Pre-activation bottleneck block; the stride sits on the 3x3 convolution and an
    identity shortcut is subsampled by a 1x1 max pooling."""
    preact = Activation("relu", name=f"{name}_preact_relu")(_batch_norm(x, f"{name}_preact_bn"))
    if conv_shortcut:
        shortcut = Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    elif stride > 1:
        shortcut = MaxPooling2D(1, strides=stride)(x)
    else:
        shortcut = x
    x = Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = Activation("relu", name=f"{name}_1_relu")(_batch_norm(x, f"{name}_1_bn"))
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = Conv2D(filters, 3, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = Activation("relu", name=f"{name}_2_relu")(_batch_norm(x, f"{name}_2_bn"))
    x = Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return Add(name=f"{name}_out")([shortcut, x])


def stack_v2(x, filters: int, blocks: int, stride1: int = 2, name: str = ""):
    x = block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for index in range(2, blocks):
        x = block_v2(x, filters, name=f"{name}_block{index}")
    return block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def build_resnet(depths, preact: bool, weights_name: str, include_top=True, weights="imagenet",
                 input_tensor=None, input_shape=None, pooling=None, classes=1000,
                 classifier_activation="softmax", name="resnet"):
    """A ResNet with ``depths`` blocks in stages conv2..conv5 (v2 when ``preact``)."""
    iu.validate_arguments(weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                        data_format=backend.image_data_format(),
                                        require_flatten=include_top, weights=weights)
    img_input = iu.image_input(input_tensor, input_shape)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = Conv2D(64, 7, strides=2, use_bias=True, name="conv1_conv")(x)
    if not preact:
        x = Activation("relu", name="conv1_relu")(_batch_norm(x, "conv1_bn"))
    x = ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    if preact:
        # v2 strides at the end of each stage, v1 at the start; the last v2 stage keeps its size
        for stage, (filters, blocks) in enumerate(zip((64, 128, 256, 512), depths), start=2):
            x = stack_v2(x, filters, blocks, stride1=1 if stage == 5 else 2, name=f"conv{stage}")
        x = Activation("relu", name="post_relu")(_batch_norm(x, "post_bn"))
    else:
        for stage, (filters, blocks) in enumerate(zip((64, 128, 256, 512), depths), start=2):
            x = stack_v1(x, filters, blocks, stride1=1 if stage == 2 else 2, name=f"conv{stage}")
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        iu.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.apply_pooling(x, pooling)
    model = Model(iu.source_inputs(input_tensor, img_input), x, name=name)
    top, notop = WEIGHTS_HASHES[weights_name]
    suffix = "" if include_top else "_notop"
    return load_weights(model, weights, f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5",
                        BASE_WEIGHTS_PATH, top if include_top else notop)
