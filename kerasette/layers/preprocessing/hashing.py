"""Hashing: strings or integers into ``num_bins`` bins, the bins Keras 3 (TensorFlow) picks.

FarmHash Fingerprint64 modulo the bins, or SipHash-2-4 with a ``salt``
(see ``hash_functions``); integers are hashed as their decimal text and
floats are truncated to integers first, as Keras does.  With a
``mask_value``, that value goes to bin 0 and the others to bins
``1 .. num_bins - 1``.
"""
from __future__ import annotations

import numpy

from ... import backend
from ...eager import Tensor
from ...engine import Node
from ..layer import Layer
from .data import ListInputs, as_numpy, host_call
from .hash_functions import hash_buckets
from .index_lookup import encode_categorical

__all__ = ["Hashing"]


class Hashing(ListInputs, Layer):
    """Hashes values into ``num_bins`` bins (a stable hash: the same value, the same bin, everywhere).

    >>> Hashing(num_bins=3)(numpy.array([["A"], ["B"], ["C"], ["D"], ["E"]]))
    array([[1],
           [0],
           [1],
           [1],
           [2]])

    String hashing needs ``pyfarmhash`` (``pip install kerasette[text]``) unless a ``salt`` is given.
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"Hashing: `num_bins` must be a positive integer. Received: num_bins={num_bins}")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(f"Hashing: with output_mode='int', `dtype` must be 'int32' or 'int64'. "
                             f"Received: dtype={self.dtype}")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError("Hashing: `output_mode` must be one of 'int', 'one_hot', 'multi_hot', 'count'. "
                             f"Received: output_mode={output_mode!r}")
        if sparse:
            raise ValueError("Hashing: sparse=True needs sparse tensors, which kerasette does not have")
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = False
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError("Hashing: `salt` must be an integer or a tuple of 2 integers. "
                                 f"Received: salt={salt!r}")
        self.built = True

    def _bins(self, values):
        values = numpy.asarray(values)
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        if values.dtype.kind == "f":
            values = values.astype("int64")
        elif values.dtype.kind not in "biuOUS":
            raise TypeError(f"Hashing '{self.name}' takes strings or numbers, got dtype {values.dtype}")
        hashed = hash_buckets(values, bins, salt=self.salt)
        if mask is not None:
            hashed = numpy.where(mask, 0, hashed + 1)
        return hashed

    def _forward(self, inputs):
        inputs = numpy.asarray(inputs)
        if self.output_mode == "one_hot" and inputs.ndim and inputs.shape[-1] == 1:
            inputs = inputs.reshape(inputs.shape[:-1])
        indices = self._bins(inputs)
        if self.output_mode == "int":
            return indices.astype(self.dtype)
        return encode_categorical(indices, self.output_mode, self.num_bins, dtype=self.dtype)

    def call(self, inputs):
        if isinstance(inputs, (Node, Tensor)):
            shape = tuple(inputs.shape)
            if self.output_mode == "one_hot" and shape and shape[-1] == 1:
                shape = shape[:-1]
            shape = shape if self.output_mode == "int" else self._encoded_shape(shape)
            return host_call(self._forward, inputs, shape, self.dtype, label=self.name)
        return self._forward(as_numpy(inputs))

    def _encoded_shape(self, shape):
        if self.output_mode == "one_hot":
            return tuple(shape) + (self.num_bins,) if shape else (1, self.num_bins)
        return tuple(shape[:-1]) + (self.num_bins,) if shape else (self.num_bins,)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_bins,)
        return tuple(input_shape[:-1]) + (self.num_bins,)

    def get_config(self):
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "salt": self.salt, "mask_value": self.mask_value,
                       "output_mode": self.output_mode, "sparse": False})
        return config
