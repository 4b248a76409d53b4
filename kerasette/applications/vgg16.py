"""``kerasette.applications.vgg16``: VGG16 (Simonyan and Zisserman, 2014), as Keras builds it,
with its ImageNet preprocessing ("caffe" mode) and prediction decoding."""
from __future__ import annotations

from . import imagenet_utils
from ._vgg import build_vgg

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]

WEIGHTS_HASHES = {"top": "64373286793e3c8b2b4e3219cbf3544b", "notop": "6d6bbae143d832006294945121d1f1fc"}


def VGG16(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
        classes: int = 1000, classifier_activation="softmax", name: str = "vgg16"):
    """The VGG16 network as Keras builds it (same layer names, order and weights).

    ``weights`` is ``None``, ``"imagenet"`` (Keras' published file, downloaded once and
    checked) or a weights file path; ``include_top=False`` drops the classifier, and then
    ``pooling`` (``"avg"``/``"max"``) adds a global pooling layer.

    >>> model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1, 1, 512)
    """
    return build_vgg((2, 2, 3, 3, 3), "vgg16", WEIGHTS_HASHES, include_top=include_top, weights=weights,
                     input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                     classifier_activation=classifier_activation, name=name)


def preprocess_input(x, data_format: str | None = None):
    """Images in [0, 255] as VGG16 expects them: BGR, ImageNet mean pixel subtracted."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top: int = 5) -> list:
    """The ``top`` ImageNet classes of each prediction row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
