"""``kerasette.applications.densenet``: DenseNet121, DenseNet169 and DenseNet201 (Huang et al.,
2017) as Keras builds them: dense blocks whose layers each add 32 channels by concatenation,
joined by transition blocks that halve channels and size, with the "torch" preprocessing."""
from __future__ import annotations

from .. import backend
from ..layers import (Activation, AveragePooling2D, BatchNormalization, Concatenate, Conv2D, Dense,
                      GlobalAveragePooling2D, MaxPooling2D, ZeroPadding2D)
from ..models import Model
from . import imagenet_utils
from . import imagenet_utils as iu
from .weights import load_weights

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input", "decode_predictions"]

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
# Keras' published files: (with classifier top, without) MD5 per depth
WEIGHTS_HASHES = {
    "densenet121": ("9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
    "densenet169": ("d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
    "densenet201": ("1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1"),
}
_DEPTHS = {(6, 12, 24, 16): "densenet121", (6, 12, 32, 32): "densenet169", (6, 12, 48, 32): "densenet201"}
_EPSILON = 1.001e-5
_BN_AXIS = 3  # DenseNet is channels_last only, as in Keras


def _bn_relu(x, name: str):
    x = BatchNormalization(axis=_BN_AXIS, epsilon=_EPSILON, name=f"{name}_bn")(x)
    return Activation("relu", name=f"{name}_relu")(x)


def conv_block(x, growth_rate: int, name: str):
    """BN-ReLU-1x1 (4 x growth) then BN-ReLU-3x3 (growth), concatenated to the input."""
    y = _bn_relu(x, f"{name}_0")
    y = Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = _bn_relu(y, f"{name}_1")
    y = Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    return Concatenate(axis=_BN_AXIS, name=f"{name}_concat")([x, y])


def dense_block(x, blocks: int, name: str):
    for index in range(1, blocks + 1):
        x = conv_block(x, 32, name=f"{name}_block{index}")
    return x


def transition_block(x, reduction: float, name: str):
    x = _bn_relu(x, name)
    x = Conv2D(int(x.shape[_BN_AXIS] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def DenseNet(blocks, include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes: int = 1000, classifier_activation="softmax", name: str = "densenet"):
    """A DenseNet with ``blocks[i]`` conv blocks in dense block ``i`` (Keras' builder)."""
    if backend.image_data_format() == "channels_first":
        raise ValueError("DenseNet does not support the `channels_first` image data format. Switch to "
                         "`channels_last` with kerasette.backend.set_image_data_format('channels_last')")
    if not (weights in {"imagenet", None} or iu.weights_file_exists(weights)):
        raise ValueError("The `weights` argument should be either `None` (random initialization), `imagenet` "
                         "(pre-training on ImageNet), or the path to the weights file to be loaded.")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError('If using `weights` as `"imagenet"` with `include_top` as true, `classes` should '
                         "be 1000")
    input_shape = iu.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                        data_format=backend.image_data_format(),
                                        require_flatten=include_top, weights=weights)
    img_input = iu.image_input(input_tensor, input_shape)
    x = ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _bn_relu(x, "conv1")
    x = ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, depth in enumerate(blocks, start=2):
        x = dense_block(x, depth, name=f"conv{stage}")
        if stage < 5:
            x = transition_block(x, 0.5, name=f"pool{stage}")
    x = BatchNormalization(axis=_BN_AXIS, epsilon=_EPSILON, name="bn")(x)
    x = Activation("relu", name="relu")(x)
    if include_top:
        x = GlobalAveragePooling2D(name="avg_pool")(x)
        iu.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.apply_pooling(x, pooling)
    model = Model(iu.source_inputs(input_tensor, img_input), x, name=name)
    file_name = file_hash = None
    if weights == "imagenet":
        family = _DEPTHS.get(tuple(blocks))
        if family is None:
            raise ValueError("weights_path undefined")
        suffix = "" if include_top else "_notop"
        file_name = f"{family}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        file_hash = WEIGHTS_HASHES[family][0 if include_top else 1]
    return load_weights(model, weights, file_name, BASE_WEIGHTS_PATH, file_hash)


def DenseNet121(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes: int = 1000, classifier_activation="softmax", name: str = "densenet121"):
    """DenseNet121 as Keras builds it (same layer names, order and weights).

    >>> model = DenseNet121(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape
    (None, 1024)
    """
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


def DenseNet169(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes: int = 1000, classifier_activation="softmax", name: str = "densenet169"):
    """DenseNet169 as Keras builds it (same layer names, order and weights)."""
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


def DenseNet201(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes: int = 1000, classifier_activation="softmax", name: str = "densenet201"):
    """DenseNet201 as Keras builds it (same layer names, order and weights)."""
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name=name)


def preprocess_input(x, data_format: str | None = None):
    """Images in [0, 255] as DenseNet expects them: scaled to [0, 1], then normalised per
    channel with the ImageNet mean and standard deviation."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top: int = 5) -> list:
    """The ``top`` ImageNet classes of each prediction row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
