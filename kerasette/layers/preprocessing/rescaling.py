"""Rescaling: ``inputs * scale + offset``, e.g. pixels from [0, 255] to [0, 1] or [-1, 1].

Stateless; ``scale`` and ``offset`` are numbers or per-channel sequences,
kept in the config as given (Keras 3 serializes a numpy array as a
``__numpy__`` record, which ``from_config`` reads back).
"""
from __future__ import annotations

import numpy

from ... import backend, ops
from ..layer import Layer

__all__ = ["Rescaling"]


def _plain(value):
    if isinstance(value, dict) and value.get("class_name") in ("__numpy__", "__tensor__"):
        inner = value.get("config", {})
        return numpy.asarray(inner.get("value"), dtype=inner.get("dtype"))
    return value


def _config_value(value):
    if isinstance(value, numpy.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, numpy.generic):
        return value.item()
    return value


class Rescaling(Layer):
    """Multiplies inputs by ``scale`` and adds ``offset`` (computed in the layer's dtype).

    >>> Rescaling(scale=1 / 127.5, offset=-1)(numpy.array([[0.0, 255.0]]))
    array([[-1.,  1.]], dtype=float32)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = _plain(scale)
        self.offset = _plain(offset)
        for argument, value in (("scale", self.scale), ("offset", self.offset)):
            array = numpy.asarray(value)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"Rescaling: `{argument}` must be a number or a sequence of numbers, "
                                f"got {value!r}")
        self.supports_masking = True

    def call(self, inputs):
        dtype = getattr(self, "compute_dtype", self.dtype)
        scale = numpy.asarray(self.scale, dtype=dtype)
        offset = numpy.asarray(self.offset, dtype=dtype)
        if scale.ndim > 0 and backend.image_data_format() == "channels_first":
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
        return ops.add(ops.multiply(ops.cast(inputs, dtype), scale), offset)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"scale": _config_value(self.scale), "offset": _config_value(self.offset)})
        return config
