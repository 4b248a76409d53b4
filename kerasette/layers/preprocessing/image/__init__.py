"""Image preprocessing and augmentation layers (Keras 3's ``image_preprocessing`` family).

``base`` holds the shared base class (training-only randomness, seeds,
``value_range``, data formats); ``geometric`` the layers that move pixels
(resizing, crops, flips, rotations, zooms, translations, perspective and
elastic warps, ``Pipeline``); ``color`` the layers that change pixel values;
``mixing`` the layers that mix images or chain augmentations (MixUp, CutMix,
AugMix, RandAugment); ``extra`` RandomShear, ContrastLimitedAdaptiveHistogramEqualization
and MaxNumBoundingBoxes.
"""
from . import color, extra, geometric, mixing
from .color import *  # noqa: F401,F403
from .extra import *  # noqa: F401,F403
from .geometric import *  # noqa: F401,F403
from .mixing import *  # noqa: F401,F403

__all__ = geometric.__all__ + color.__all__ + mixing.__all__ + extra.__all__
