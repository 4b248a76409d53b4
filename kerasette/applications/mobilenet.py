"""``kerasette.applications.mobilenet``: MobileNet (Howard et al., 2017) as Keras builds it:
depthwise separable convolutions scaled by ``alpha`` (width) and ``depth_multiplier``
(resolution of the depthwise step), with its ImageNet preprocessing ("tf" mode)."""
from __future__ import annotations

import warnings

from .. import backend
from ..layers import (Activation, BatchNormalization, Conv2D, DepthwiseConv2D, Dropout,
                      GlobalAveragePooling2D, ReLU, Reshape, ZeroPadding2D)
from ..models import Model
from . import imagenet_utils
from . import imagenet_utils as iu
from .weights import load_weights

__all__ = ["MobileNet", "preprocess_input", "decode_predictions"]

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
WEIGHTS_HASHES: dict = {}  # Keras publishes no hashes for these files and fetches them unchecked

_IMAGENET_SIZES = (128, 160, 192, 224)
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}
# (pointwise filters, stride) of depthwise separable blocks 1..13
_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1),
           (512, 1), (512, 1), (1024, 2), (1024, 1))


def _spatial(shape) -> tuple:
    return (shape[1], shape[2]) if backend.image_data_format() == "channels_first" else (shape[0], shape[1])


def _depthwise_block(x, filters: int, alpha: float, depth_multiplier: int, stride: int, block_id: int):
    axis = iu.channel_axis()
    if stride != 1:
        x = ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = DepthwiseConv2D((3, 3), padding="same" if stride == 1 else "valid", depth_multiplier=depth_multiplier,
                        strides=(stride, stride), use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = BatchNormalization(axis=axis, name=f"conv_dw_{block_id}_bn")(x)
    x = ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = Conv2D(int(filters * alpha), (1, 1), padding="same", use_bias=False, strides=(1, 1),
               name=f"conv_pw_{block_id}")(x)
    x = BatchNormalization(axis=axis, name=f"conv_pw_{block_id}_bn")(x)
    return ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape=None, alpha: float = 1.0, depth_multiplier: int = 1, dropout: float = 1e-3,
              include_top: bool = True, weights="imagenet", input_tensor=None, pooling=None,
              classes: int = 1000, classifier_activation="softmax", name: str | None = None):
    """MobileNet as Keras builds it (same layer names, order and weights).

    ``alpha`` scales every layer's filters (ImageNet weights exist for 0.25, 0.5,
    0.75 and 1.0 at sizes 128, 160, 192 and 224); the classifier is a 1x1
    convolution after pooling with ``dropout``. The default name is
    ``mobilenet_{alpha:.2f}_{rows}``.

    >>> model = MobileNet(weights=None, alpha=0.25, input_shape=(32, 32, 3), classes=10)
    >>> model.output_shape
    (None, 10)
    """
    if not (weights in {"imagenet", None} or iu.weights_file_exists(weights)):
        raise ValueError("The `weights` argument should be either `None` (random initialization), "
                         "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
                         f"loaded. Received weights={weights}")
    iu.validate_arguments(weights, include_top, classes)
    default_size = 224
    if input_shape is not None:
        rows, cols = _spatial(input_shape)
        if rows == cols and rows in _IMAGENET_SIZES:
            default_size = rows
    input_shape = iu.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                        data_format=backend.image_data_format(),
                                        require_flatten=include_top, weights=weights)
    rows, cols = _spatial(input_shape)
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError("If imagenet weights are being loaded, depth multiplier must be 1.  "
                             f"Received depth_multiplier={depth_multiplier}")
        if alpha not in _ALPHA_TEXT:
            raise ValueError("If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, "
                             f"`0.75` or `1.0` only.  Received alpha={alpha}")
        if rows != cols or rows not in _IMAGENET_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in "
                          "[128, 160, 192, 224]. Weights for input shape (224, 224) will be loaded "
                          "as the default.", stacklevel=2)
    img_input = iu.image_input(input_tensor, input_shape)
    x = Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2), name="conv1")(img_input)
    x = BatchNormalization(axis=iu.channel_axis(), name="conv1_bn")(x)
    x = ReLU(6.0, name="conv1_relu")(x)
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_block(x, filters, alpha, depth_multiplier, stride, block_id)
    if include_top:
        x = GlobalAveragePooling2D(keepdims=True)(x)
        x = Dropout(dropout, name="dropout")(x)
        x = Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = Reshape((classes,), name="reshape_2")(x)
        iu.validate_activation(classifier_activation, weights)
        x = Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.apply_pooling(x, pooling, avg_name=None, max_name=None)
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    model = Model(iu.source_inputs(input_tensor, img_input), x, name=name)
    file_name = None
    if weights == "imagenet":
        suffix = "tf.h5" if include_top else "tf_no_top.h5"
        file_name = f"mobilenet_{_ALPHA_TEXT[alpha]}_{rows}_{suffix}"
    return load_weights(model, weights, file_name, BASE_WEIGHT_PATH, WEIGHTS_HASHES.get(file_name))


def preprocess_input(x, data_format: str | None = None):
    """Images in [0, 255] as MobileNet expects them: scaled to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top: int = 5) -> list:
    """The ``top`` ImageNet classes of each prediction row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
