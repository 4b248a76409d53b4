"""CategoryEncoding: integer category ids to one-hot, multi-hot or count vectors (stateless)."""
from __future__ import annotations

import numpy

from ...eager import Tensor
from ...engine import Node
from ..layer import Layer
from .data import ListInputs, as_numpy, host_call
from .index_lookup import categorical_shape, encode_categorical

__all__ = ["CategoryEncoding"]


class CategoryEncoding(ListInputs, Layer):
    """Encodes integer ids in ``[0, num_tokens)`` as vectors of size ``num_tokens``.

    >>> CategoryEncoding(num_tokens=4, output_mode="multi_hot")(numpy.array([[0, 1], [0, 0], [1, 2], [3, 1]]))
    array([[1., 1., 0., 0.],
           [1., 0., 0., 0.],
           [0., 1., 1., 0.],
           [0., 1., 0., 1.]], dtype=float32)

    ``output_mode="count"`` takes ``count_weights`` (same shape as the inputs).
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"CategoryEncoding: unknown `output_mode` {output_mode!r}; use 'one_hot', "
                             "'multi_hot' or 'count'")
        if num_tokens is None:
            raise ValueError("CategoryEncoding: `num_tokens` must be set (if the number of tokens is not known "
                             "beforehand, use IntegerLookup)")
        if num_tokens < 1:
            raise ValueError(f"CategoryEncoding: `num_tokens` must be >= 1. Received: num_tokens={num_tokens}")
        if sparse:
            raise ValueError("CategoryEncoding: sparse=True needs sparse tensors, which kerasette does not have")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False

    def _encode(self, inputs, count_weights=None):
        inputs = numpy.asarray(inputs)
        if inputs.dtype.kind not in "biu" and not (inputs.dtype.kind == "f" and numpy.all(inputs == numpy.round(inputs))):
            raise TypeError(f"CategoryEncoding '{self.name}' takes integer ids, got dtype {inputs.dtype}")
        inputs = inputs.astype("int64")
        if count_weights is not None:
            weights = numpy.asarray(count_weights, dtype=self.dtype)
            return encode_categorical(inputs, "count", self.num_tokens, count_weights=weights).astype(self.dtype)
        return encode_categorical(inputs, self.output_mode, self.num_tokens, dtype=self.dtype)

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError("CategoryEncoding: `count_weights` is only used when `output_mode` is 'count'. "
                             f"Received: output_mode={self.output_mode!r}")
        tensors = [inputs] + ([count_weights] if count_weights is not None else [])
        if any(isinstance(t, (Node, Tensor)) for t in tensors):
            shape = self.compute_output_shape(tuple(inputs.shape))
            return host_call(self._encode, tensors, shape, self.dtype, label=self.name)
        return self._encode(as_numpy(inputs), None if count_weights is None else as_numpy(count_weights))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if not input_shape:
            return (self.num_tokens,)
        return categorical_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode})
        return config
