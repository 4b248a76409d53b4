"""EfficientNetV2 B0-B3, S, M, L (Tan & Le, ICML 2021), as ``keras.applications.efficientnet_v2``.

Fused-MBConv blocks (one full convolution instead of expansion + depthwise)
in the early stages, MBConv blocks with squeeze-and-excitation later.
``include_preprocessing=True`` puts the input scaling inside the model: the
B variants ``Rescaling(1/255)`` then ``Normalization`` with ImageNet's mean
and variance, S/M/L ``Rescaling(1/128, offset=-1)``; ``preprocess_input`` is
the identity. Layer names, order and weight shapes are Keras 3's.
"""
from __future__ import annotations

import copy
import math

from .. import backend, initializers, layers
from ..models import Model
from . import imagenet_utils
from .efficientnet import squeeze_excite
from .weights import load_weights

_NAMES = ("B0", "B1", "B2", "B3", "S", "M", "L")
__all__ = ["EfficientNetV2"] + [f"EfficientNetV2{v}" for v in _NAMES] + ["preprocess_input", "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
# weights key -> (MD5 with top, MD5 without)
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}


def _stages(rows):
    keys = ("kernel_size", "num_repeat", "input_filters", "output_filters", "expand_ratio", "se_ratio", "strides",
            "conv_type")
    return [dict(zip(keys, row)) for row in rows]


# per model: (kernel, repeats, filters in, filters out, expansion, SE ratio, strides, conv type:
# 0 MBConv, 1 Fused-MBConv)
_B_STAGES = _stages([(3, 1, 32, 16, 1, 0, 1, 1), (3, 2, 16, 32, 4, 0, 2, 1), (3, 2, 32, 48, 4, 0, 2, 1),
                     (3, 3, 48, 96, 4, 0.25, 2, 0), (3, 5, 96, 112, 6, 0.25, 1, 0), (3, 8, 112, 192, 6, 0.25, 2, 0)])
DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": _stages([(3, 2, 24, 24, 1, 0.0, 1, 1), (3, 4, 24, 48, 4, 0.0, 2, 1),
                                 (3, 4, 48, 64, 4, 0, 2, 1), (3, 6, 64, 128, 4, 0.25, 2, 0),
                                 (3, 9, 128, 160, 6, 0.25, 1, 0), (3, 15, 160, 256, 6, 0.25, 2, 0)]),
    "efficientnetv2-m": _stages([(3, 3, 24, 24, 1, 0, 1, 1), (3, 5, 24, 48, 4, 0, 2, 1), (3, 5, 48, 80, 4, 0, 2, 1),
                                 (3, 7, 80, 160, 4, 0.25, 2, 0), (3, 14, 160, 176, 6, 0.25, 1, 0),
                                 (3, 18, 176, 304, 6, 0.25, 2, 0), (3, 5, 304, 512, 6, 0.25, 1, 0)]),
    "efficientnetv2-l": _stages([(3, 4, 32, 32, 1, 0, 1, 1), (3, 7, 32, 64, 4, 0, 2, 1), (3, 7, 64, 96, 4, 0, 2, 1),
                                 (3, 10, 96, 192, 4, 0.25, 2, 0), (3, 19, 192, 224, 6, 0.25, 1, 0),
                                 (3, 25, 224, 384, 6, 0.25, 2, 0), (3, 7, 384, 640, 6, 0.25, 1, 0)]),
    **{f"efficientnetv2-b{i}": _B_STAGES for i in range(4)},
}

CONV_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                           "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}
DENSE_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                            "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"}}

# variant -> (width coefficient, depth coefficient, default size, model name, weights key)
_VARIANTS = {
    "B0": (1.0, 1.0, 224, "efficientnetv2-b0", "b0"), "B1": (1.0, 1.1, 240, "efficientnetv2-b1", "b1"),
    "B2": (1.1, 1.2, 260, "efficientnetv2-b2", "b2"), "B3": (1.2, 1.4, 300, "efficientnetv2-b3", "b3"),
    "S": (1.0, 1.0, 384, "efficientnetv2-s", "-s"), "M": (1.0, 1.0, 480, "efficientnetv2-m", "-m"),
    "L": (1.0, 1.0, 480, "efficientnetv2-l", "-l"),
}


def round_filters(filters, width_coefficient, min_depth, depth_divisor) -> int:
    """Scale ``filters`` by the width coefficient, to a multiple of ``depth_divisor``."""
    filters *= width_coefficient
    return int(max(min_depth or depth_divisor, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def _conv(filters, kernel_size, strides, name, activation=None):
    return layers.Conv2D(filters, kernel_size, strides=strides, kernel_initializer=CONV_KERNEL_INITIALIZER,
                         padding="same", use_bias=activation is not None, activation=activation, name=name)


def _tail(x, inputs, input_filters, output_filters, strides, survival_probability, name):
    if strides == 1 and input_filters == output_filters:
        if survival_probability:
            x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def MBConvBlock(input_filters: int, output_filters: int, expand_ratio=1, kernel_size=3, strides=1, se_ratio=0.0,
                bn_momentum=0.9, activation="swish", survival_probability: float = 0.8, name: str | None = None):
    """An MBConv block as a function of its input (expansion, depthwise, SE, projection)."""
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    if name is None:
        name = backend.unique_object_name("block0")

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, 1, 1, f"{name}expand_conv")(x)
            x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        x = layers.DepthwiseConv2D(kernel_size, strides=strides, depthwise_initializer=CONV_KERNEL_INITIALIZER,
                                   padding="same", use_bias=False, name=f"{name}dwconv2")(x)
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)), activation, name, axis)
        x = _conv(output_filters, 1, 1, f"{name}project_conv")(x)
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}project_bn")(x)
        return _tail(x, inputs, input_filters, output_filters, strides, survival_probability, name)

    return apply


def FusedMBConvBlock(input_filters: int, output_filters: int, expand_ratio=1, kernel_size=3, strides=1,
                     se_ratio=0.0, bn_momentum=0.9, activation="swish", survival_probability: float = 0.8,
                     name: str | None = None):
    """A Fused-MBConv block as a function of its input (full expansion convolution, SE, projection)."""
    axis = 3 if backend.image_data_format() == "channels_last" else 1
    if name is None:
        name = backend.unique_object_name("block0")

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, kernel_size, strides, f"{name}expand_conv")(x)
            x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}expand_bn")(x)
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        if 0 < se_ratio <= 1:
            x = squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)), activation, name, axis)
        fused = expand_ratio == 1
        x = _conv(output_filters, kernel_size if fused else 1, strides if fused else 1, f"{name}project_conv")(x)
        x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name=f"{name}project_bn")(x)
        if fused:
            x = layers.Activation(activation, name=f"{name}project_activation")(x)
        return _tail(x, inputs, input_filters, output_filters, strides, survival_probability, name)

    return apply


def EfficientNetV2(width_coefficient: float, depth_coefficient: float, default_size: int,
                   dropout_rate: float = 0.2, drop_connect_rate: float = 0.2, depth_divisor: int = 8,
                   min_depth: int = 8, bn_momentum: float = 0.9, activation="swish", blocks_args="default",
                   name: str = "efficientnetv2", include_top: bool = True, weights="imagenet", input_tensor=None,
                   input_shape=None, pooling=None, classes: int = 1000, classifier_activation="softmax",
                   include_preprocessing: bool = True, weights_name: str | None = None) -> Model:
    """An EfficientNetV2 of any scaling (Keras' generic builder; see EfficientNetV2B0 ... L).

    ``blocks_args="default"`` takes the stage table of the model ``name``
    (``"efficientnetv2-b0"`` ... ``"efficientnetv2-l"``), as in Keras.

    >>> model = EfficientNetV2(0.25, 0.5, 32, name="efficientnetv2-b0", weights=None,
    ...                        input_shape=(32, 32, 3), classes=5)
    >>> model.output_shape
    (None, 5)
    """
    if blocks_args == "default":
        if name not in DEFAULT_BLOCKS_ARGS:
            raise ValueError(f"`blocks_args='default'` needs one of the model names {sorted(DEFAULT_BLOCKS_ARGS)}; "
                             f"received name={name!r}. Pass `blocks_args` for another name.")
        blocks_args = DEFAULT_BLOCKS_ARGS[name]
    imagenet_utils.validate_arguments(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    img_input = imagenet_utils.image_input(input_tensor, input_shape)
    axis = 3 if backend.image_data_format() == "channels_last" else 1

    x = img_input
    if include_preprocessing:
        channels = input_shape[axis - 1]
        if name.split("-")[-1].startswith("b") and channels == 3:
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=[0.485, 0.456, 0.406], variance=[0.229 ** 2, 0.224 ** 2, 0.225 ** 2],
                                     axis=axis)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)

    def filters_of(value):
        return round_filters(value, width_coefficient, min_depth, depth_divisor)

    x = _conv(filters_of(blocks_args[0]["input_filters"]), 3, 2, "stem_conv")(x)
    x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    blocks_args = copy.deepcopy(blocks_args)
    total = float(sum(args["num_repeat"] for args in blocks_args))
    done = 0
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError("The number of repeats in `EfficientNetV2` must be > 0. "
                             f"Received: num_repeat={args['num_repeat']}")
        args["input_filters"] = filters_of(args["input_filters"])
        args["output_filters"] = filters_of(args["output_filters"])
        make_block = FusedMBConvBlock if args.pop("conv_type") == 1 else MBConvBlock
        repeats = int(math.ceil(depth_coefficient * args.pop("num_repeat")))
        for j in range(repeats):
            if j > 0:
                args["strides"] = 1
                args["input_filters"] = args["output_filters"]
            x = make_block(activation=activation, bn_momentum=bn_momentum,
                           survival_probability=drop_connect_rate * done / total,
                           name=f"block{i + 1}{chr(j + 97)}_", **args)(x)
            done += 1

    x = _conv(filters_of(1280), 1, 1, "top_conv")(x)
    x = layers.BatchNormalization(axis=axis, momentum=bn_momentum, name="top_bn")(x)
    x = layers.Activation(activation=activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, kernel_initializer=DENSE_KERNEL_INITIALIZER,
                         bias_initializer=initializers.Constant(0.0), name="predictions")(x)
    else:
        x = imagenet_utils.apply_pooling(x, pooling)

    model = Model(imagenet_utils.source_inputs(input_tensor, img_input), x, name=name)
    file_name = file_hash = None
    if weights == "imagenet":
        file_name = name + (".h5" if include_top else "_notop.h5")
        file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
    return load_weights(model, weights, file_name, BASE_WEIGHTS_PATH, file_hash)


def _variant(key: str):
    width, depth, size, default_name, weights_key = _VARIANTS[key]

    def constructor(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
                    pooling=None, classes: int = 1000, classifier_activation="softmax",
                    include_preprocessing: bool = True, name: str = default_name) -> Model:
        return EfficientNetV2(width, depth, size, name=name, include_top=include_top, weights=weights,
                              input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                              classifier_activation=classifier_activation,
                              include_preprocessing=include_preprocessing, weights_name=weights_key)

    constructor.__name__ = constructor.__qualname__ = f"EfficientNetV2{key}"
    constructor.__doc__ = (
        f"EfficientNetV2-{key}: width x{width}, depth x{depth}, {size}x{size}x3 images in [0, 255].\n\n"
        f"    >>> model = EfficientNetV2{key}(weights=None)   # doctest: +SKIP\n")
    return constructor


EfficientNetV2B0 = _variant("B0")
EfficientNetV2B1 = _variant("B1")
EfficientNetV2B2 = _variant("B2")
EfficientNetV2B3 = _variant("B3")
EfficientNetV2S = _variant("S")
EfficientNetV2M = _variant("M")
EfficientNetV2L = _variant("L")


def preprocess_input(x, data_format=None):
    """The identity: EfficientNetV2 models scale their input inside (kept for API parity)."""
    return x


def decode_predictions(preds, top: int = 5) -> list:
    """The ``top`` ImageNet classes of each row of ``preds``, as ``(id, name, score)``."""
    return imagenet_utils.decode_predictions(preds, top=top)
