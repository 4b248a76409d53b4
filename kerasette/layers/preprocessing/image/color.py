"""Image layers that change pixel values (Keras 3's colour image preprocessing layers).

``color_tone``: RandomContrast, RandomBrightness, RandomGrayscale, RandomHue,
RandomSaturation, RandomColorDegeneration, RandomColorJitter;
``color_effects``: RandomSharpness, RandomGaussianBlur, RandomPosterization,
RandomInvert, RandomErasing; ``color_levels``: Solarization, Equalization,
AutoContrast.  All follow ``base.BaseImagePreprocessingLayer``.
"""
from __future__ import annotations

from .color_effects import RandomErasing, RandomGaussianBlur, RandomInvert, RandomPosterization, RandomSharpness
from .color_levels import AutoContrast, Equalization, Solarization
from .color_tone import (RandomBrightness, RandomColorDegeneration, RandomColorJitter, RandomContrast,
                         RandomGrayscale, RandomHue, RandomSaturation)

__all__ = ["RandomContrast", "RandomBrightness", "RandomGrayscale", "RandomHue", "RandomSaturation",
           "RandomColorDegeneration", "RandomColorJitter", "RandomSharpness", "RandomPosterization",
           "RandomErasing", "RandomGaussianBlur", "RandomInvert", "Solarization", "Equalization", "AutoContrast"]
