"""``kerasette.applications``: Keras' ready-made image models, built layer for layer as Keras 3 builds them.

Each family is a module named as in Keras (``kerasette.applications.vgg16``,
``.resnet50``, ``.mobilenet_v2``, ...) holding its constructors plus its own
``preprocess_input`` and ``decode_predictions``; the constructors are also
exported here (``kerasette.applications.VGG16``). ``weights="imagenet"``
fetches Keras' published weight file once, checks its hash and caches it
(``weights.py``); ``imagenet_utils`` holds what all families share.

This is the top floor of the house: it imports models, layers and datasets
(for the downloader), and nothing imports it but the public face.
"""
from . import imagenet_utils, weights
from . import vgg16, vgg19
from .vgg16 import VGG16
from .vgg19 import VGG19

# part B families: imports here

__all__ = [
    "imagenet_utils", "weights",
    "vgg16", "vgg19", "VGG16", "VGG19",
    # part B names here
]
