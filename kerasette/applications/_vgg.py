"""The VGG16 and VGG19 builder: five blocks of 3x3 convolutions, each ending in 2x2 max pooling,
then (with ``include_top``) two 4096-unit layers and the classifier, as Keras builds them."""
from __future__ import annotations

from .. import backend
from ..layers import Conv2D, Dense, Flatten, MaxPooling2D
from ..models import Model
from . import imagenet_utils as iu
from .weights import load_weights

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/"

_BLOCK_FILTERS = (64, 128, 256, 512, 512)


def build_vgg(depths, family: str, hashes: dict, include_top=True, weights="imagenet", input_tensor=None,
              input_shape=None, pooling=None, classes=1000, classifier_activation="softmax", name=None):
    """A VGG with ``depths[i]`` convolutions in block ``i + 1``; ``hashes`` maps
    ``"top"``/``"notop"`` to the MD5 of Keras' published file."""
    iu.validate_arguments(weights, include_top, classes)
    input_shape = iu.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                        data_format=backend.image_data_format(),
                                        require_flatten=include_top, weights=weights)
    img_input = iu.image_input(input_tensor, input_shape)
    x = img_input
    for block, (filters, depth) in enumerate(zip(_BLOCK_FILTERS, depths), start=1):
        for conv in range(1, depth + 1):
            x = Conv2D(filters, (3, 3), activation="relu", padding="same",
                       name=f"block{block}_conv{conv}")(x)
        x = MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = Flatten(name="flatten")(x)
        x = Dense(4096, activation="relu", name="fc1")(x)
        x = Dense(4096, activation="relu", name="fc2")(x)
        iu.validate_activation(classifier_activation, weights)
        x = Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.apply_pooling(x, pooling, avg_name=None, max_name=None)
    model = Model(iu.source_inputs(input_tensor, img_input), x, name=name)
    suffix = "" if include_top else "_notop"
    return load_weights(model, weights, f"{family}_weights_tf_dim_ordering_tf_kernels{suffix}.h5",
                        f"{BASE_WEIGHTS_PATH}{family}/", hashes["top" if include_top else "notop"])
