"""A small residual network: identity and projection shortcuts joined by ``Add``.

The shape of He et al.'s ResNet (2015) at toy size: each block computes
conv-BN-ReLU-conv-BN and adds its input back before the last ReLU, so the
block only has to learn a correction.  Convolutions before BatchNormalization
carry no bias, since BN's beta would cancel it.  Global average pooling at the
end makes the parameter count independent of the image size.
"""
from __future__ import annotations

from kerasette import Model
from kerasette.layers import (Activation, Add, BatchNormalization, Conv2D, Dense,
                              GlobalAveragePooling2D, Input)


def _residual_block(x, filters: int, strides: int, name: str):
    """conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut, then ReLU.

    The shortcut is the input itself unless the block changes the number of
    channels or the resolution; then a strided 1x1 convolution with BN
    projects it, as in ResNet's option B.
    """
    shortcut = x
    y = Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = BatchNormalization(name=f"{name}_bn1")(y)
    y = Activation("relu", name=f"{name}_relu1")(y)
    y = Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = BatchNormalization(name=f"{name}_bn2")(y)
    if strides != 1 or x.shape[-1] != filters:
        shortcut = Conv2D(filters, 1, strides=strides, use_bias=False, name=f"{name}_proj")(x)
        shortcut = BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    y = Add(name=f"{name}_add")([y, shortcut])
    return Activation("relu", name=f"{name}_out")(y)


def small_resnet(input_shape=(8, 8, 1), num_classes: int = 10, filters=(16, 32), blocks_per_stage: int = 1,
                 name: str = "small_resnet") -> Model:
    """A small ResNet: a stem, one stage of residual blocks per entry of ``filters``, a classifier.

    Architecture (defaults)::

        Input(input_shape)
        -> Conv2D(16, 3, same, no bias) -> BatchNormalization -> ReLU          stem
        -> residual block, 16 filters, identity shortcut                       stage 1
        -> residual block, 32 filters, stride 2, 1x1-conv + BN shortcut        stage 2
        -> GlobalAveragePooling2D -> Dense(num_classes, softmax)

    A residual block is Conv2D(3x3, no bias) -> BN -> ReLU -> Conv2D(3x3, no
    bias) -> BN -> Add(shortcut) -> ReLU.  Every stage after the first halves
    the resolution in its first block; ``blocks_per_stage`` blocks per stage.
    The count does not depend on the image size (global pooling); it includes
    BatchNormalization's non-trainable moving statistics, as Keras' does.

    Parameter count: 19,994 (default arguments); 19,994 with input_shape=(28, 28, 1).

    >>> small_resnet().count_params()
    19994
    """
    inputs = Input(shape=tuple(input_shape), name="image")
    x = Conv2D(filters[0], 3, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = BatchNormalization(name="stem_bn")(x)
    x = Activation("relu", name="stem_relu")(x)
    for stage, stage_filters in enumerate(filters, start=1):
        for block in range(1, blocks_per_stage + 1):
            strides = 2 if stage > 1 and block == 1 else 1
            x = _residual_block(x, stage_filters, strides, name=f"stage{stage}_block{block}")
    x = GlobalAveragePooling2D(name="pool")(x)
    outputs = Dense(num_classes, activation="softmax", name="predictions")(x)
    return Model(inputs, outputs, name=name)
