"""``kerasette.applications.vgg19``: VGG19 (Simonyan and Zisserman, 2014), as Keras builds it,
with its ImageNet preprocessing ("caffe" mode) and prediction decoding."""
from __future__ import annotations

from . import imagenet_utils
from ._vgg import build_vgg

__all__ = ["VGG19", "preprocess_input", "decode_predictions"]

WEIGHTS_HASHES = {"top": "cbe5617147190e668d6c5d5026f83318", "notop": "253f8cb515780f3b799900260a226db6"}


def VGG19(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
        classes: int = 1000, classifier_activation="softmax", name: str = "vgg19"):
    """The VGG19 network as Keras builds it (same layer names, order and weights).

    ``weights`` is ``None``, ``"imagenet"`` (Keras' published file, downloaded once and
    checked) or a weights file path; ``include_top=False`` drops the classifier, and then
    ``pooling`` (``"avg"``/``"max"``) adds a global pooling layer.

    >>> model = VGG19(weights=None, include_top=False, input_shape=(32, 32, 3))
    >>> model.output_shape
    (None, 1, 1, 512)
    """
    return build_vgg((2, 2, 4, 4, 4), "vgg19", WEIGHTS_HASHES, include_top=include_top, weights=weights,
                     input_tensor=input_tensor, input_shape=input_shape, pooling=pooling, classes=classes,
                     classifier_activation=classifier_activation, name=name)


def preprocess_input(x, data_format: str | None = None):
    """Images in [0, 255] as VGG19 expects them: BGR, ImageNet mean pixel subtracted."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top: int = 5) -> list:
    """The ``top`` ImageNet classes of each prediction row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
