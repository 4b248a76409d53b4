"""ConvNeXt Tiny/Small/Base/Large/XLarge (Liu et al., CVPR 2022), as ``keras.applications.convnext``.

A patchify stem (4x4 stride-4 convolution + LayerNormalization, a nested
``Sequential`` as in Keras), four stages of ConvNeXt blocks (7x7 depthwise
convolution, LayerNormalization, Dense 4x, gelu, Dense back, per-channel
:class:`LayerScale`, residual sum) with ``Sequential`` downsampling blocks
between them, then global pooling, LayerNormalization and the classifier.
With ``include_preprocessing`` the model normalises raw [0, 255] pixels
itself (``preprocess_input`` is the identity). :class:`LayerScale` and
:class:`StochasticDepth` are Keras' application-private layers, registered
here under Keras' class names so that model files naming them load.
"""
from __future__ import annotations

import numpy

from .. import backend, initializers, layers, ops
from ..layers import Layer
from ..layers.core import check_rate, seed_generator
from ..models import Model, Sequential
from ..saving import get_custom_objects
from . import imagenet_utils
from .weights import load_weights

_VARIANT_NAMES = ("Tiny", "Small", "Base", "Large", "XLarge")
__all__ = (["ConvNeXt", "LayerScale", "StochasticDepth"] + [f"ConvNeXt{v}" for v in _VARIANT_NAMES]
           + ["preprocess_input", "decode_predictions"])

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
# weights name -> (SHA-256 with top, SHA-256 without)
WEIGHTS_HASHES = {
    "convnext_tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
                      "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "convnext_small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
                       "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "convnext_base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
                      "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "convnext_large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
                       "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "convnext_xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
                        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}

MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768], "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024], "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536], "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048], "default_size": 224},
}


class StochasticDepth(Layer):
    """Drops the whole residual branch of a sample with probability ``drop_path_rate`` in training.

    Kept samples are scaled by ``1 / (1 - drop_path_rate)``; outside training it is the identity.

    >>> import numpy as np
    >>> StochasticDepth(0.5)(np.ones((2, 3)))
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """

    def __init__(self, drop_path_rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate
        self._rate = check_rate(type(self).__name__, drop_path_rate)
        self._generator = seed_generator(seed)

    def call(self, x, training=None):
        if not training or self._rate == 0.0:
            return x
        noise_shape = (None,) + (1,) * (len(x.shape) - 1)
        return ops.dropout(x, self._rate, noise_shape=noise_shape, seed=self._generator)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["drop_path_rate"] = self.drop_path_rate
        return config


class LayerScale(Layer):
    """Multiplies the last axis by a learned per-channel ``gamma`` (``projection_dim`` values,
    starting at ``init_values``), the layer scale of ConvNeXt and CaiT.

    >>> import numpy as np
    >>> LayerScale(0.5, 3)(np.ones((1, 3)))
    array([[0.5, 0.5, 0.5]])
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        # unnamed in Keras, whose variables then take session-unique automatic names
        # ("variable", "variable_1", ...), as here
        self.gamma = self.add_weight(name=backend.unique_object_name("variable"), shape=(self.projection_dim,),
                                     initializer=initializers.Constant(self.init_values), trainable=True)
        self.built = True

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"init_values": self.init_values, "projection_dim": self.projection_dim})
        return config


get_custom_objects().setdefault("LayerScale", LayerScale)
get_custom_objects().setdefault("StochasticDepth", StochasticDepth)


def ConvNeXtBlock(projection_dim: int, drop_path_rate: float = 0.0, layer_scale_init_value=1e-6,
                  name: str | None = None):
    """One ConvNeXt block as a function of its input; layers named ``<name>_depthwise_conv`` ..."""
    if name is None:
        name = f"prestem{backend.unique_object_name('prestem')}"

    def apply(inputs):
        x = layers.Conv2D(projection_dim, kernel_size=7, padding="same", groups=projection_dim,
                          name=f"{name}_depthwise_conv")(inputs)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            last = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            last = layers.Activation("linear", name=f"{name}_identity")
        return inputs + last(x)

    return apply


def ConvNeXt(depths, projection_dims, drop_path_rate: float = 0.0, layer_scale_init_value=1e-6,
             default_size: int = 224, name: str = "convnext", include_preprocessing: bool = True,
             include_top: bool = True, weights=None, input_tensor=None, input_shape=None, pooling=None,
             classes: int = 1000, classifier_activation="softmax", weights_name: str | None = None) -> Model:
    """A ConvNeXt of any depth and width (Keras' generic builder; see ConvNeXtTiny ... XLarge).

    >>> model = ConvNeXt([1, 1, 1, 1], [8, 16, 24, 32], default_size=32, input_shape=(32, 32, 3),
    ...                  classes=4)
    >>> model.output_shape
    (None, 4)
    """
    if backend.image_data_format() == "channels_first":
        raise ValueError("ConvNeXt does not support the `channels_first` image data format. Switch to "
                         "`channels_last` by editing your local config file at ~/.keras/keras.json")
    imagenet_utils.validate_arguments(weights, include_top, classes)
    if weights == "imagenet":
        # checked before anything is built (Keras checks after building, with the same messages)
        expected = MODEL_CONFIGS[weights_name.split("convnext_")[-1]]
        if list(depths) != expected["depths"] or list(projection_dims) != expected["projection_dims"]:
            raise ValueError(
                f"Architecture configuration does not match {weights_name} variant. When using pre-trained "
                "weights, the model architecture must match the pre-trained configuration exactly. Expected "
                f"depths: {expected['depths']}, got: {depths}. Expected projection_dims: "
                f"{expected['projection_dims']}, got: {projection_dims}.")
        if weights_name not in name:
            raise ValueError(
                f'Model name "{name}" does not match weights variant "{weights_name}". When using imagenet '
                'weights, model name must contain the weights variant (e.g., "convnext_'
                f'{weights_name.split("convnext_")[-1]}").')
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    x = imagenet_utils.image_input(input_tensor, input_shape)
    inputs = imagenet_utils.source_inputs(input_tensor, x)
    if isinstance(inputs, list):
        inputs = inputs[0]

    if include_preprocessing and input_shape[-1] == 3:
        x = layers.Normalization(mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
                                 variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
                                 name=f"{name}_prestem_normalization")(x)

    downsampling = [Sequential([layers.Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
                                layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm")],
                               name=f"{name}_stem")]
    for i in range(3):
        downsampling.append(Sequential(
            [layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
             layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2, name=f"{name}_downsampling_conv_{i}")],
            name=f"{name}_downsampling_block_{i}"))

    rates = [float(r) for r in numpy.linspace(0.0, drop_path_rate, sum(depths))]
    done = 0
    for stage in range(4):
        x = downsampling[stage](x)
        for j in range(depths[stage]):
            x = ConvNeXtBlock(projection_dims[stage], drop_path_rate=rates[done + j],
                              layer_scale_init_value=layer_scale_init_value,
                              name=f"{name}_stage_{stage}_block_{j}")(x)
        done += depths[stage]

    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
    else:
        x = imagenet_utils.apply_pooling(x, pooling, avg_name=None, max_name=None)
        x = layers.LayerNormalization(epsilon=1e-6)(x)

    model = Model(inputs, x, name=name)
    file_name = file_hash = None
    if weights == "imagenet":
        file_name = name + (".h5" if include_top else "_notop.h5")
        file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
    return load_weights(model, weights, file_name, BASE_WEIGHTS_PATH, file_hash)


def _variant(label: str):
    key = label.lower()
    config = MODEL_CONFIGS[key]
    default_name = f"convnext_{key}"

    def constructor(include_top: bool = True, include_preprocessing: bool = True, weights="imagenet",
                    input_tensor=None, input_shape=None, pooling=None, classes: int = 1000,
                    classifier_activation="softmax", name: str = default_name) -> Model:
        return ConvNeXt(weights_name=default_name, depths=config["depths"], projection_dims=config["projection_dims"],
                        drop_path_rate=0.0, layer_scale_init_value=1e-6, default_size=config["default_size"],
                        name=name, include_top=include_top, include_preprocessing=include_preprocessing,
                        weights=weights, input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                        classes=classes, classifier_activation=classifier_activation)

    constructor.__name__ = constructor.__qualname__ = f"ConvNeXt{label}"
    constructor.__doc__ = (
        f"ConvNeXt-{label}: depths {config['depths']}, widths {config['projection_dims']}, "
        f"{config['default_size']}x{config['default_size']}x3 images in [0, 255].\n\n"
        f"    >>> model = ConvNeXt{label}(weights=None)   # doctest: +SKIP\n")
    return constructor


ConvNeXtTiny = _variant("Tiny")
ConvNeXtSmall = _variant("Small")
ConvNeXtBase = _variant("Base")
ConvNeXtLarge = _variant("Large")
ConvNeXtXLarge = _variant("XLarge")


def preprocess_input(x, data_format=None):
    """The identity: ConvNeXt models normalise their input inside (kept for API parity)."""
    return x


def decode_predictions(preds, top: int = 5) -> list:
    """The ``top`` ImageNet classes of each row of ``preds``, as ``(id, name, score)``."""
    return imagenet_utils.decode_predictions(preds, top=top)
