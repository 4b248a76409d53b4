"""Image preprocessing layers that move pixels (Keras 3's geometric image layers).

Here: Resizing, CenterCrop, RandomCrop, RandomFlip and Pipeline; the warps
(RandomRotation, RandomZoom, RandomTranslation) live in ``geometric_affine``
and RandomPerspective / RandomElasticTransform in ``geometric_warp``.  All
follow the contract of ``base.BaseImagePreprocessingLayer``.
"""
from __future__ import annotations

import numbers

from .... import ops, random
from ...layer import Layer
from ...serialization import deserialize_layer, serialize_layer
from .base import BaseImagePreprocessingLayer, batch_size_of, images_of, spatial_axes
from .geometric_affine import RandomRotation, RandomTranslation, RandomZoom
from .geometric_warp import RandomElasticTransform, RandomPerspective

__all__ = ["Resizing", "CenterCrop", "RandomCrop", "RandomFlip", "RandomRotation", "RandomZoom",
           "RandomTranslation", "RandomPerspective", "RandomElasticTransform", "Pipeline"]

HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL = "horizontal", "vertical", "horizontal_and_vertical"
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


def check_size(layer, **sizes):
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
            raise ValueError(f"{layer}: argument `{name}` must be a positive integer. Received: {name}={value!r}")
        sizes[name] = int(value)
    return tuple(sizes.values())


def _sized_shape(input_shape, data_format, height, width):
    shape = list(input_shape)
    if len(shape) not in (3, 4):
        raise ValueError(f"Expected an image shape of rank 3 (single image) or 4 (batch). Received: {input_shape}")
    h_axis, w_axis = (-3, -2) if data_format == "channels_last" else (-2, -1)
    shape[h_axis], shape[w_axis] = height, width
    return tuple(shape)


class Resizing(BaseImagePreprocessingLayer):
    """Resizes images to ``(height, width)``, in training and inference alike.

    ``interpolation`` is one of ``"bilinear"``, ``"nearest"``, ``"bicubic"``,
    ``"lanczos3"``, ``"lanczos5"``; ``crop_to_aspect_ratio`` first takes the
    largest centred window of the target aspect ratio, ``pad_to_aspect_ratio``
    pads with ``fill_value`` to it instead.  Integer images keep their dtype.

    >>> Resizing(2, 3)(numpy.ones((1, 4, 4, 3))).shape
    (1, 2, 3, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = check_size("Resizing", height=height, width=width)
        if interpolation not in RESIZE_INTERPOLATIONS[:-1]:
            raise ValueError(f"Resizing: invalid value for argument `interpolation`. Expected one of "
                             f"{RESIZE_INTERPOLATIONS[:-1]}. Received: interpolation={interpolation!r}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Resizing: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True. "
                             f"Received: crop_to_aspect_ratio={crop_to_aspect_ratio}, "
                             f"pad_to_aspect_ratio={pad_to_aspect_ratio}")
        if fill_mode != "constant":
            raise ValueError(f"Resizing: argument `fill_mode` only supports 'constant'. Received: fill_mode={fill_mode!r}")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def _transform_images(self, images, transformation, interpolation):
        return ops.image.resize(images, (self.height, self.width), interpolation=interpolation,
                                antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                                pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                                fill_value=self.fill_value, data_format=self.data_format)

    def transform_images(self, images, transformation=None, training=True):
        return self._transform_images(images, transformation, self.interpolation)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return self._transform_images(segmentation_masks, transformation, "nearest")

    def compute_output_shape(self, input_shape):
        return _sized_shape(input_shape, self.data_format, self.height, self.width)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "interpolation": self.interpolation,
                       "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                       "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                       "fill_value": self.fill_value, "antialias": self.antialias})
        return config


class CenterCrop(BaseImagePreprocessingLayer):
    """Takes the central ``height`` x ``width`` window (training and inference alike).

    An image smaller than the target is centre-cropped to the target's
    aspect ratio and resized (bilinear) instead, as Keras' ``smart_resize``
    (for sizes known only at run time, in a graph, images must be at least
    the target's size).

    >>> CenterCrop(2, 2)(numpy.arange(16.0).reshape(4, 4, 1))[..., 0]
    array([[ 5.,  6.],
           [ 9., 10.]], dtype=float32)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = check_size("CenterCrop", height=height, width=width)

    def transform_images(self, images, transformation=None, training=True):
        images = ops.cast(images, self.compute_dtype)
        shape = ops.shape(images)
        h_axis, w_axis = spatial_axes(self.data_format)
        height, width = shape[h_axis], shape[w_axis]
        if not isinstance(height, int) or not isinstance(width, int):
            # sizes known only at run time (a graph): the window is taken at the run-time centre
            top = ops.floor_divide(ops.subtract(height, self.height), 2)
            left = ops.floor_divide(ops.subtract(width, self.width), 2)
            rows = ops.add(ops.arange(self.height, dtype="int32"), ops.cast(top, "int32"))
            cols = ops.add(ops.arange(self.width, dtype="int32"), ops.cast(left, "int32"))
            return ops.take(ops.take(images, rows, axis=h_axis), cols, axis=w_axis)
        if height >= self.height and width >= self.width:
            top, left = (height - self.height) // 2, (width - self.width) // 2
            key = [slice(None)] * 4
            key[h_axis], key[w_axis] = slice(top, top + self.height), slice(left, left + self.width)
            return images[tuple(key)]
        return ops.image.resize(images, (self.height, self.width), crop_to_aspect_ratio=True,
                                data_format=self.data_format)

    def transform_segmentation_masks(self, segmentation_masks, transformation=None, training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def compute_output_shape(self, input_shape):
        return _sized_shape(input_shape, self.data_format, self.height, self.width)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width})
        return config


class RandomCrop(BaseImagePreprocessingLayer):
    """Crops a random ``height`` x ``width`` window in training (one window for the whole batch, as Keras).

    An image not larger than the target on both sides is cut from the corner
    of the centred window of the target's aspect ratio and resized, as
    Keras does; outside training the images pass
    unchanged (Keras 3's behaviour).

    >>> RandomCrop(2, 2, seed=0)(numpy.zeros((1, 4, 4, 3))).shape
    (1, 2, 2, 3)
    """

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(data_format=data_format, name=name, **kwargs)
        self.height, self.width = check_size("RandomCrop", height=height, width=width)
        self._make_seed_generator(seed)
        if seed is None:
            # as Keras: the config keeps the seed the generator drew, so a reloaded layer repeats it
            self.seed = int(self.generator.state.data[0])

    def get_random_transformation(self, data, training=True, seed=None):
        images = images_of(data)
        h_axis, w_axis = spatial_axes(self.data_format)
        shape = ops.core.shape_of(images)
        height, width = shape[h_axis], shape[w_axis]
        if height is None or width is None:
            raise ValueError("RandomCrop requires the input to have a fully defined height and width. "
                             f"Received: images.shape={tuple(shape)}")
        if training and height > self.height and width > self.width:
            seed = self._draw_seed(seed)
            top = ops.cast(random.uniform((), 0.0, float(height - self.height + 1), seed=seed), "int32")
            left = ops.cast(random.uniform((), 0.0, float(width - self.width + 1), seed=seed), "int32")
            return {"top": top, "left": left, "size": (self.height, self.width)}
        # Keras centres a window of the target's aspect ratio but then slices the target's size
        # from its corner (clipped by the image) and resizes what it got
        crop_height = max(min(height, int(float(width * self.height) / self.width)), 1)
        crop_width = max(min(width, int(float(height * self.width) / self.height)), 1)
        top, left = int(float(height - crop_height) / 2), int(float(width - crop_width) / 2)
        return {"top": top, "left": left,
                "size": (min(self.height, height - top), min(self.width, width - left))}

    def transform_images(self, images, transformation, training=True):
        if not training:
            return images
        images = ops.cast(images, self.compute_dtype)
        top, left = transformation["top"], transformation["left"]
        crop_height, crop_width = transformation["size"]
        h_axis, w_axis = spatial_axes(self.data_format)
        if isinstance(top, int):
            key = [slice(None)] * 4
            key[h_axis], key[w_axis] = slice(top, top + crop_height), slice(left, left + crop_width)
            images = images[tuple(key)]
        else:
            rows = ops.add(ops.arange(crop_height, dtype="int32"), top)
            cols = ops.add(ops.arange(crop_width, dtype="int32"), left)
            images = ops.take(ops.take(images, rows, axis=h_axis), cols, axis=w_axis)
        if (crop_height, crop_width) != (self.height, self.width):
            images = ops.cast(ops.image.resize(images, (self.height, self.width), data_format=self.data_format),
                              self.compute_dtype)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def compute_output_shape(self, input_shape):
        return _sized_shape(input_shape, self.data_format, self.height, self.width)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "seed": self.seed})
        return config


class RandomFlip(BaseImagePreprocessingLayer):
    """Flips images left-right and/or top-bottom at random in training (each image with probability 1/2).

    ``mode`` is ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``
    (both flips together, one draw per image, as in Keras).

    >>> RandomFlip("horizontal", seed=1)(numpy.zeros((2, 4, 4, 3))).shape
    (2, 4, 4, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if mode not in (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL):
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument {mode!r}: "
                             f"`mode` must be one of {HORIZONTAL!r}, {VERTICAL!r}, {HORIZONTAL_AND_VERTICAL!r}")
        self.mode = mode
        self._make_seed_generator(seed)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        batch = batch_size_of(images_of(data))
        draws = random.uniform((batch, 1, 1, 1), seed=self._draw_seed(seed))
        return {"flips": ops.less_equal(draws, 0.5)}

    def _transform_images(self, images, transformation, interpolation):
        if transformation is None:
            return images
        flips = transformation["flips"]
        width_axis, height_axis = (-2, -3) if self.data_format == "channels_last" else (-1, -2)
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            images = ops.where(flips, ops.flip(images, axis=width_axis), images)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            images = ops.where(flips, ops.flip(images, axis=height_axis), images)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        return self.transform_images(segmentation_masks, transformation, training=training)

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed, "mode": self.mode})
        return config


class Pipeline(Layer):
    """Applies a list of layers in order (Keras 3's ``keras.layers.Pipeline``).

    ``training`` is handed to every layer that takes it; unlike
    ``Sequential`` it is a layer, not a model.

    >>> Pipeline([RandomFlip(seed=0), Resizing(2, 2)])(numpy.zeros((1, 4, 4, 3))).shape
    (1, 2, 2, 3)
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, Layer) for layer in layers):
            raise ValueError(f"Pipeline: argument `layers` must be a list of layers. Received: layers={layers!r}")
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        return self._pipeline_layers

    def call(self, inputs, training=True, mask=None):
        outputs = inputs
        for layer in self._pipeline_layers:
            kwargs = {}
            if layer._call_accepts("training") and training is not None:
                kwargs["training"] = training
            outputs = layer(outputs, **kwargs)
        return outputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        return {"layers": [serialize_layer(layer) for layer in self._pipeline_layers], "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError("`Pipeline` config must contain a `layers` key mapping to a list of serialized "
                             f"layers. Received config with layers={layers}.")
        config = dict(config)
        config["layers"] = [deserialize_layer(entry, custom_objects=custom_objects) for entry in layers]
        return cls(**config)
