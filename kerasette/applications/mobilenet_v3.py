"""``kerasette.applications.mobilenet_v3``: MobileNetV3Small and MobileNetV3Large (Howard et
al., 2019) as Keras builds them: inverted residual blocks with squeeze-and-excitation and
hard-swish, or the ``minimalistic`` variant (3x3 kernels, ReLU, no squeeze-and-excitation).

The models rescale their own input (``include_preprocessing=True``, a ``Rescaling`` layer
to [-1, 1]), so this family's ``preprocess_input`` returns its input unchanged, as Keras' does.
"""
from __future__ import annotations

import warnings

from .. import backend
from ..engine import Node
from ..layers import (Activation, Add, BatchNormalization, Conv2D, DepthwiseConv2D, Dropout, Flatten,
                      GlobalAveragePooling2D, Multiply, ReLU, Rescaling, ZeroPadding2D)
from ..models import Model
from . import imagenet_utils
from . import imagenet_utils as iu
from .mobilenet_v2 import make_divisible
from .weights import load_weights

__all__ = ["MobileNetV3Small", "MobileNetV3Large", "preprocess_input", "decode_predictions"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
# Keras' published files: (with classifier top, without) MD5 per configuration
WEIGHTS_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c",
                                         "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37",
                                         "cde8136e733e811080d9fcd8a252f7e4"),
}

# Blocks as (expansion, filters, kernel, stride, squeeze-excite, activation); kernel "k" and
# activation "act" are 5/hard-swish (3/ReLU when minimalistic), "se" is used unless minimalistic
_SMALL = ((1, 16, 3, 2, "se", "relu"), (72 / 16, 24, 3, 2, None, "relu"), (88 / 24, 24, 3, 1, None, "relu"),
          (4, 40, "k", 2, "se", "act"), (6, 40, "k", 1, "se", "act"), (6, 40, "k", 1, "se", "act"),
          (3, 48, "k", 1, "se", "act"), (3, 48, "k", 1, "se", "act"), (6, 96, "k", 2, "se", "act"),
          (6, 96, "k", 1, "se", "act"), (6, 96, "k", 1, "se", "act"))
_LARGE = ((1, 16, 3, 1, None, "relu"), (4, 24, 3, 2, None, "relu"), (3, 24, 3, 1, None, "relu"),
          (3, 40, "k", 2, "se", "relu"), (3, 40, "k", 1, "se", "relu"), (3, 40, "k", 1, "se", "relu"),
          (6, 80, 3, 2, None, "act"), (2.5, 80, 3, 1, None, "act"), (2.3, 80, 3, 1, None, "act"),
          (2.3, 80, 3, 1, None, "act"), (6, 112, 3, 1, "se", "act"), (6, 112, 3, 1, "se", "act"),
          (6, 160, "k", 2, "se", "act"), (6, 160, "k", 1, "se", "act"), (6, 160, "k", 1, "se", "act"))


def _relu(x):
    return ReLU()(x)


def _hard_sigmoid(x):
    # two graph ops around an unnamed ReLU(6), as in Keras (the ops are not layers)
    return ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x):
    return Activation("hard_swish")(x)


def _batch_norm(x, name: str):
    return BatchNormalization(axis=iu.channel_axis(), epsilon=1e-3, momentum=0.999, name=name)(x)


def _se_block(inputs, filters: int, se_ratio: float, prefix: str):
    x = GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = Conv2D(make_divisible(filters * se_ratio, 8), kernel_size=1, padding="same",
               name=f"{prefix}squeeze_excite_conv")(x)
    x = ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = Conv2D(filters, kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation, block_id):
    shortcut = x
    in_filters = x.shape[iu.channel_axis()]
    prefix = "expanded_conv_"
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = Conv2D(make_divisible(in_filters * expansion, 8), kernel_size=1, padding="same", use_bias=False,
                   name=f"{prefix}expand")(x)
        x = activation(_batch_norm(x, f"{prefix}expand_bn"))
    if stride == 2:
        x = ZeroPadding2D(padding=iu.correct_pad(x, kernel_size), name=f"{prefix}depthwise_pad")(x)
    x = DepthwiseConv2D(kernel_size, strides=stride, padding="same" if stride == 1 else "valid",
                        use_bias=False, name=f"{prefix}depthwise")(x)
    x = activation(_batch_norm(x, f"{prefix}depthwise_bn"))
    if se_ratio:
        x = _se_block(x, make_divisible(in_filters * expansion, 8), se_ratio, prefix)
    x = Conv2D(filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = _batch_norm(x, f"{prefix}project_bn")
    if stride == 1 and in_filters == filters:
        x = Add(name=f"{prefix}add")([shortcut, x])
    return x


def _check_input_tensor(input_tensor, input_shape) -> None:
    if not isinstance(input_tensor, Node):
        raise ValueError(f"input_tensor specified: {input_tensor} is not a keras tensor")
    if input_shape is None:
        return
    if backend.image_data_format() == "channels_first":
        if input_tensor.shape[1] != input_shape[1]:
            raise ValueError("When backend.image_data_format()=channels_first, input_shape[1] must equal "
                             f"input_tensor.shape[1].  Received input_shape={input_shape}, "
                             f"input_tensor.shape={input_tensor.shape}")
    elif input_tensor.shape[2] != input_shape[1]:
        raise ValueError("input_shape[1] must equal input_tensor.shape[2].  Received "
                         f"input_shape={input_shape}, input_tensor.shape={input_tensor.shape}")


def _build(blocks, last_point_ch: int, model_type: str, input_shape, alpha, minimalistic, include_top,
           weights, input_tensor, classes, pooling, dropout_rate, classifier_activation,
           include_preprocessing, name):
    if not (weights in {"imagenet", None} or iu.weights_file_exists(weights)):
        raise ValueError("The `weights` argument should be either `None` (random initialization), `imagenet` "
                         "(pre-training on ImageNet), or the path to the weights file to be loaded.  "
                         f"Received weights={weights}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError('If using `weights="imagenet"` with `include_top` as true, `classes` should be '
                         f"1000.  Received classes={classes}")
    channels_first = backend.image_data_format() == "channels_first"
    if input_tensor is not None:
        _check_input_tensor(input_tensor, input_shape)
        if input_shape is None:
            # Keras' order: (cols, rows) from the tensor
            if channels_first:
                input_shape = (3, input_tensor.shape[3], input_tensor.shape[2])
            else:
                input_shape = (input_tensor.shape[2], input_tensor.shape[1], 3)
    if input_shape is None:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    rows, cols = (input_shape[1], input_shape[2]) if channels_first else (input_shape[0], input_shape[1])
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received `input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic and alpha != 1.0):
            raise ValueError("If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for "
                             "non minimalistic or `1.0` for minimalistic only.")
        if rows != cols or rows != 224:
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not 224. Weights for "
                          "input shape (224, 224) will be loaded as the default.", stacklevel=3)
    img_input = iu.image_input(input_tensor, input_shape)
    if minimalistic:
        kernel, activation, se_ratio = 3, _relu, None
    else:
        kernel, activation, se_ratio = 5, _hard_swish, 0.25
    x = img_input
    if include_preprocessing:
        x = Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = activation(_batch_norm(x, "conv_bn"))
    for block_id, (expansion, filters, size, stride, se, act) in enumerate(blocks):
        x = _inverted_res_block(x, expansion, make_divisible(filters * alpha, 8), kernel if size == "k" else size,
                                stride, se_ratio if se else None, activation if act == "act" else _relu,
                                block_id)
    last_conv_ch = make_divisible(x.shape[iu.channel_axis()] * 6, 8)
    if alpha > 1.0:
        last_point_ch = make_divisible(last_point_ch * alpha, 8)
    x = Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False, name="conv_1")(x)
    x = activation(_batch_norm(x, "conv_1_bn"))
    if include_top:
        x = GlobalAveragePooling2D(keepdims=True)(x)
        x = Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True, name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = Dropout(dropout_rate)(x)
        x = Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = Flatten()(x)
        iu.validate_activation(classifier_activation, weights)
        x = Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.apply_pooling(x, pooling)
    model = Model(iu.source_inputs(input_tensor, img_input), x, name=name)
    file_name = file_hash = None
    if weights == "imagenet":
        config = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
        if include_top:
            file_name, file_hash = f"weights_mobilenet_v3_{config}.h5", WEIGHTS_HASHES[config][0]
        else:
            file_name, file_hash = f"weights_mobilenet_v3_{config}_no_top_v2.h5", WEIGHTS_HASHES[config][1]
    return load_weights(model, weights, file_name, BASE_WEIGHT_PATH, file_hash)


def MobileNetV3Small(input_shape=None, alpha: float = 1.0, minimalistic: bool = False, include_top: bool = True,
                     weights="imagenet", input_tensor=None, classes: int = 1000, pooling=None,
                     dropout_rate: float = 0.2, classifier_activation="softmax",
                     include_preprocessing: bool = True, name: str = "MobileNetV3Small"):
    """MobileNetV3Small as Keras builds it (same layer names, order and weights).

    Takes images in [0, 255] (``include_preprocessing``); ImageNet weights exist for
    ``alpha`` 0.75 and 1.0, and 1.0 when ``minimalistic``.

    >>> model = MobileNetV3Small(weights=None, minimalistic=True, input_shape=(32, 32, 3), classes=10)
    >>> model.output_shape
    (None, 10)
    """
    return _build(_SMALL, 1024, "small", input_shape, alpha, minimalistic, include_top, weights, input_tensor,
                  classes, pooling, dropout_rate, classifier_activation, include_preprocessing, name)


def MobileNetV3Large(input_shape=None, alpha: float = 1.0, minimalistic: bool = False, include_top: bool = True,
                     weights="imagenet", input_tensor=None, classes: int = 1000, pooling=None,
                     dropout_rate: float = 0.2, classifier_activation="softmax",
                     include_preprocessing: bool = True, name: str = "MobileNetV3Large"):
    """MobileNetV3Large as Keras builds it (same layer names, order and weights).

    >>> model = MobileNetV3Large(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape
    (None, 960)
    """
    return _build(_LARGE, 1280, "large", input_shape, alpha, minimalistic, include_top, weights, input_tensor,
                  classes, pooling, dropout_rate, classifier_activation, include_preprocessing, name)


def preprocess_input(x, data_format: str | None = None):
    """Returns ``x`` unchanged: MobileNetV3 models rescale their input themselves."""
    return x


def decode_predictions(preds, top: int = 5) -> list:
    """The ``top`` ImageNet classes of each prediction row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
