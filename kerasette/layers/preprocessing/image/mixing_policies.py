"""AugMix and RandAugment: random chains of Keras 3's augmentation layers.

Both hold the augmentation layers Keras 3.15 uses (shear, translation,
rotation, posterization, solarization, auto-contrast, equalization and, for
RandAugment and ``AugMix(all_ops=True)``, brightness, colour degeneration,
contrast, sharpness), built from their own ``factor``, ``value_range`` and
``interpolation``.  Which layers run is drawn with ``kerasette.random``:
called eagerly only the chosen layers run; in a traced graph (a compiled
model) every candidate runs and ``ops.where`` keeps the chosen one, so each
step of ``fit`` draws its own chain instead of freezing the choice made while
tracing (Keras' AugMix draws its chain with Python's ``random``).
"""
from __future__ import annotations

import numbers

import numpy

from .... import ops, random
from ....eager import Tensor
from .base import BaseImagePreprocessingLayer, is_number
from .color_effects import RandomPosterization, RandomSharpness
from .color_levels import AutoContrast, Equalization, Solarization
from .color_tone import RandomBrightness, RandomColorDegeneration, RandomContrast, check_value_range
from .geometric_affine import RandomRotation, RandomTranslation

__all__ = ["AugMix", "RandAugment"]

AUGMENT_LAYERS_ALL = ("random_shear", "random_translation", "random_rotation", "random_posterization",
                      "solarization", "auto_contrast", "equalization", "random_brightness",
                      "random_color_degeneration", "random_contrast", "random_sharpness")
AUGMENT_LAYERS = AUGMENT_LAYERS_ALL[:7]
RAND_AUGMENT_LAYERS = ("random_shear", "random_translation", "random_rotation", "random_brightness",
                       "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
                       "solarization", "auto_contrast", "equalization")


def _shear_class():
    from .extra import RandomShear
    return RandomShear


def _static_int(value):
    """``value`` as a Python int when it is known now (eager), else None (a graph node)."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, (numpy.ndarray, numpy.generic, numbers.Integral)):
        return int(numpy.asarray(value).reshape(()))
    return None


class _AugmentationPolicy(BaseImagePreprocessingLayer):
    """Holds the augmentation layers and applies a drawn choice among them."""

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def _setup(self, value_range, factor, interpolation, seed, names):
        check_value_range(self, value_range)
        self._set_factor(factor)
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"{type(self).__name__}: argument `interpolation` must be 'nearest' or 'bilinear'. "
                             f"Received: interpolation={interpolation!r}")
        self.interpolation = interpolation
        self._make_seed_generator(seed)
        self._augment_layers = tuple(names)
        factor, value_range = self.factor, self.value_range
        common = {"seed": seed, "data_format": self.data_format, "dtype": self.dtype_policy}
        makers = {
            "random_shear": lambda: _shear_class()(x_factor=factor, y_factor=factor, interpolation=interpolation,
                                                   **common),
            "random_translation": lambda: RandomTranslation(height_factor=factor, width_factor=factor,
                                                            interpolation=interpolation, **common),
            "random_rotation": lambda: RandomRotation(factor=factor, interpolation=interpolation, **common),
            "random_posterization": lambda: RandomPosterization(factor=max(1, int(8 * factor[1])),
                                                                value_range=value_range, **common),
            "solarization": lambda: Solarization(addition_factor=factor, threshold_factor=factor,
                                                 value_range=value_range, **common),
            "auto_contrast": lambda: AutoContrast(value_range=value_range, data_format=self.data_format,
                                                  dtype=self.dtype_policy),
            "equalization": lambda: Equalization(value_range=value_range, data_format=self.data_format,
                                                 dtype=self.dtype_policy),
            "random_brightness": lambda: RandomBrightness(factor=factor, value_range=value_range, **common),
            "random_color_degeneration": lambda: RandomColorDegeneration(factor=factor, value_range=value_range,
                                                                         **common),
            "random_contrast": lambda: RandomContrast(factor=factor, value_range=value_range, **common),
            "random_sharpness": lambda: RandomSharpness(factor=factor, value_range=value_range, **common),
        }
        for name in names:
            setattr(self, name, makers[name]())

    def _draws(self, data, choice, seed):
        """The transformations a choice needs: the chosen layer's when known now, else every layer's."""
        static = _static_int(choice)
        if static is not None:
            names = self._augment_layers[static:static + 1]
        else:
            names = self._augment_layers
        return {name: getattr(self, name).get_random_transformation(data, training=True, seed=seed)
                for name in names}

    def _apply(self, images, choice, transforms, method):
        """``images`` through the layer numbered ``choice`` (a number past the last: unchanged)."""
        dtype = self.compute_dtype

        def run(name):
            return ops.cast(getattr(getattr(self, name), method)(images, transforms[name]), dtype)
        static = _static_int(choice)
        if static is not None:
            return run(self._augment_layers[static]) if static < len(self._augment_layers) else images
        out = images
        for index, name in enumerate(self._augment_layers):
            out = ops.where(ops.equal(choice, index), run(name), out)
        return out

    def _run(self, images, transformation, method):
        """``images`` through the drawn augmentations, each layer's ``method`` (images or masks)."""
        raise NotImplementedError

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        return self._run(images, transformation, "transform_images")

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        if not training or transformation is None:
            return segmentation_masks
        return self._run(segmentation_masks, transformation, "transform_segmentation_masks")

    def transform_labels(self, labels, transformation, training=True):
        return labels


class AugMix(_AugmentationPolicy):
    """AugMix (Hendrycks et al., 2020): a mix of ``num_chains`` random augmentation chains, blended with the image.

    Each chain applies up to ``chain_depth`` layers drawn at random (each step
    may also do nothing); the chains are mixed with Dirichlet(``alpha``)
    weights and the result blended with the original by a Beta(``alpha``,
    ``alpha``) weight, then clipped to ``value_range``.  ``factor`` (a number
    ``f`` gives ``[0, f]``) sets the strength of every augmentation;
    ``all_ops=False`` leaves out brightness, colour degeneration, contrast and
    sharpness.

    >>> AugMix(seed=0)(numpy.full((2, 4, 4, 3), 100.0)).shape
    (2, 4, 4, 3)
    """

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        for name, value in (("num_chains", num_chains), ("chain_depth", chain_depth)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"AugMix: argument `{name}` must be a positive integer. Received: {name}={value!r}")
        if not is_number(alpha) or alpha <= 0:
            raise ValueError(f"AugMix: argument `alpha` must be a positive number. Received: alpha={alpha!r}")
        self.num_chains, self.chain_depth, self.alpha = int(num_chains), int(chain_depth), alpha
        self.all_ops = bool(all_ops)
        self._setup(value_range, factor, interpolation, seed, AUGMENT_LAYERS_ALL if all_ops else AUGMENT_LAYERS)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        seed = self._draw_seed(seed)
        gammas = random.gamma((self.num_chains,), float(self.alpha), seed=seed)
        weights = ops.divide(gammas, ops.sum(gammas, axis=-1, keepdims=True))
        blend = random.beta((), float(self.alpha), float(self.alpha), seed=seed)
        chains = []
        for _ in range(self.num_chains):
            steps = []
            for _ in range(self.chain_depth):
                # one more choice than layers: "no augmentation at this step"
                choice = random.randint((), 0, len(self._augment_layers) + 1, seed=seed)
                steps.append((choice, self._draws(data, choice, seed)))
            chains.append(steps)
        return {"chain_mixing_weights": weights, "weight_sample": blend, "chain_transforms": chains}

    def _run(self, images, transformation, method):
        """The chains mixed with their weights, blended with ``images``."""
        dtype = self.compute_dtype
        images = ops.cast(images, dtype)
        weights = ops.cast(transformation["chain_mixing_weights"], dtype)
        blend = ops.cast(transformation["weight_sample"], dtype)
        mixed = ops.zeros_like(images)
        for index, steps in enumerate(transformation["chain_transforms"]):
            chained = images
            for choice, transforms in steps:
                chained = self._apply(chained, choice, transforms, method)
            mixed = ops.add(mixed, ops.multiply(chained, weights[index]))
        return ops.add(ops.multiply(blend, images), ops.multiply(ops.subtract(1.0, blend), mixed))

    def transform_images(self, images, transformation, training=True):
        images = super().transform_images(images, transformation, training=training)
        if not training or transformation is None:
            return images
        return ops.clip(images, self.value_range[0], self.value_range[1])

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "num_chains": self.num_chains,
                       "chain_depth": self.chain_depth, "factor": self.factor, "alpha": self.alpha,
                       "all_ops": self.all_ops, "interpolation": self.interpolation, "seed": self.seed})
        return config


class RandAugment(_AugmentationPolicy):
    """RandAugment (Cubuk et al., 2019): ``num_ops`` augmentation layers drawn at random, applied in turn.

    The eleven layers (shear, translation, rotation, brightness, colour
    degeneration, contrast, sharpness, posterization, solarization,
    auto-contrast, equalization) all take their strength from ``factor`` (a
    number ``f`` gives ``[0, f]``); each layer draws its parameters once per
    call, as Keras does.

    >>> RandAugment(seed=0)(numpy.full((2, 4, 4, 3), 100.0)).shape
    (2, 4, 4, 3)
    """

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(num_ops, bool) or not isinstance(num_ops, numbers.Integral) or num_ops < 0:
            raise ValueError(f"RandAugment: argument `num_ops` must be a non-negative integer. "
                             f"Received: num_ops={num_ops!r}")
        self.num_ops = int(num_ops)
        self._setup(value_range, factor, interpolation, seed, RAND_AUGMENT_LAYERS)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training or self.num_ops == 0:
            return None
        seed = self._draw_seed(seed)
        choices = random.randint((self.num_ops,), 0, len(self._augment_layers), seed=seed)
        if _static_int(choices[0]) is not None:
            wanted = sorted({int(c) for c in numpy.asarray(choices)})
            names = [self._augment_layers[i] for i in wanted]
        else:
            names = self._augment_layers
        transforms = {name: getattr(self, name).get_random_transformation(data, training=True, seed=seed)
                      for name in names}
        return {"transforms": transforms, "layer_idxes": choices}

    def _run(self, images, transformation, method):
        """The ``num_ops`` chosen layers in turn."""
        choices = transformation["layer_idxes"]
        for i in range(self.num_ops):
            images = self._apply(images, choices[i], transformation["transforms"], method)
        return images

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "num_ops": self.num_ops, "factor": self.factor,
                       "interpolation": self.interpolation, "seed": self.seed})
        return config
