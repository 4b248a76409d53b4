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
from . import densenet, mobilenet, mobilenet_v2, mobilenet_v3, resnet, resnet50, resnet_v2, vgg16, vgg19
from .densenet import DenseNet121, DenseNet169, DenseNet201
from .mobilenet import MobileNet
from .mobilenet_v2 import MobileNetV2
from .mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from .resnet import ResNet50, ResNet101, ResNet152
from .resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from .vgg16 import VGG16
from .vgg19 import VGG19

# part B families: imports here
from . import convnext, efficientnet, efficientnet_v2, inception_resnet_v2, inception_v3, nasnet, xception
from .convnext import ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge
from .efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3, EfficientNetB4,
                           EfficientNetB5, EfficientNetB6, EfficientNetB7)
from .efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2, EfficientNetV2B3,
                              EfficientNetV2L, EfficientNetV2M, EfficientNetV2S)
from .inception_resnet_v2 import InceptionResNetV2
from .inception_v3 import InceptionV3
from .nasnet import NASNetLarge, NASNetMobile
from .xception import Xception

__all__ = [
    "imagenet_utils", "weights",
    "densenet", "mobilenet", "mobilenet_v2", "mobilenet_v3", "resnet", "resnet50", "resnet_v2", "vgg16", "vgg19",
    "DenseNet121", "DenseNet169", "DenseNet201", "MobileNet", "MobileNetV2", "MobileNetV3Large",
    "MobileNetV3Small", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2",
    "VGG16", "VGG19",
    # part B names here
    "convnext", "efficientnet", "efficientnet_v2", "inception_resnet_v2", "inception_v3", "nasnet", "xception",
    "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge",
    "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
    "EfficientNetB6", "EfficientNetB7", "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2",
    "EfficientNetV2B3", "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L",
    "InceptionResNetV2", "InceptionV3", "NASNetLarge", "NASNetMobile", "Xception",
]
