"""``kerasette.applications.resnet_v2``: ResNet50V2, ResNet101V2 and ResNet152V2 (identity mappings) (He et al.), as Keras builds them,
with their ImageNet preprocessing ("tf" mode) and prediction decoding."""
from __future__ import annotations

from . import imagenet_utils
from ._resnet import build_resnet

__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input", "decode_predictions"]


def ResNet50V2(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes: int = 1000, classifier_activation="softmax", name: str = "resnet50v2"):
    """ResNet50V2 as Keras builds it (same layer names, order and weights).

    ``weights`` is ``None``, ``"imagenet"`` (Keras' published file, downloaded once and
    checked) or a weights file path; ``include_top=False`` drops the classifier, and then
    ``pooling`` (``"avg"``/``"max"``) adds a global pooling layer.

    >>> model = ResNet50V2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg")
    >>> model.output_shape
    (None, 2048)
    """
    return build_resnet((3, 4, 6, 3), True, "resnet50v2", include_top=include_top, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                        classes=classes, classifier_activation=classifier_activation, name=name)


def ResNet101V2(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes: int = 1000, classifier_activation="softmax", name: str = "resnet101v2"):
    """ResNet101V2 as Keras builds it (same layer names, order and weights).

    ``weights`` is ``None``, ``"imagenet"`` (Keras' published file, downloaded once and
    checked) or a weights file path; ``include_top=False`` drops the classifier, and then
    ``pooling`` (``"avg"``/``"max"``) adds a global pooling layer.
    """
    return build_resnet((3, 4, 23, 3), True, "resnet101v2", include_top=include_top, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                        classes=classes, classifier_activation=classifier_activation, name=name)


def ResNet152V2(include_top: bool = True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes: int = 1000, classifier_activation="softmax", name: str = "resnet152v2"):
    """ResNet152V2 as Keras builds it (same layer names, order and weights).

    ``weights`` is ``None``, ``"imagenet"`` (Keras' published file, downloaded once and
    checked) or a weights file path; ``include_top=False`` drops the classifier, and then
    ``pooling`` (``"avg"``/``"max"``) adds a global pooling layer.
    """
    return build_resnet((3, 8, 36, 3), True, "resnet152v2", include_top=include_top, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                        classes=classes, classifier_activation=classifier_activation, name=name)


def preprocess_input(x, data_format: str | None = None):
    """Images in [0, 255] as these models expect them: scaled to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top: int = 5) -> list:
    """The ``top`` ImageNet classes of each prediction row (see ``imagenet_utils``)."""
    return imagenet_utils.decode_predictions(preds, top=top)
