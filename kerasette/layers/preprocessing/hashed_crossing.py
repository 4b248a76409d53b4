"""HashedCrossing: crosses of categorical features hashed into bins, as TensorFlow's ``sparse.cross_hashed``.

Each feature value is a 64-bit number (an integer as it is, a string's
FarmHash Fingerprint64); the values of one row are chained with
``FingerprintCat64`` from TensorFlow's seed 0xDECAFCAFFE and taken modulo
``num_bins``, so a cross lands in the bin Keras 3 picks.
"""
from __future__ import annotations

import numpy

from ...eager import Tensor
from ...engine import Node
from ..layer import Layer
from .data import as_numpy, host_call
from .hash_functions import _farmhash
from .index_lookup import encode_categorical

__all__ = ["HashedCrossing"]

_MASK = (1 << 64) - 1
_SEED = 0xDECAFCAFFE
_MULTIPLIER = 0xC6A4A7935BD1E995


def _shift_mix(value):
    return value ^ (value >> 47)


def _fingerprint_cat(first, second):
    result = first ^ _MULTIPLIER
    result ^= (_shift_mix((second * _MULTIPLIER) & _MASK) * _MULTIPLIER) & _MASK
    result = (result * _MULTIPLIER) & _MASK
    result = (_shift_mix(result) * _MULTIPLIER) & _MASK
    return _shift_mix(result)


class HashedCrossing(Layer):
    """Hashes the cross of two or more categorical features (ints or strings) into ``num_bins`` bins.

    >>> HashedCrossing(num_bins=5)((numpy.array([1, 2, 3]), numpy.array(["A", "B", "C"])))
    array([2, 3, 3])
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None, **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("HashedCrossing: sparse=True needs sparse tensors, which kerasette does not have")
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"HashedCrossing: `output_mode` must be 'int' or 'one_hot'. Received: "
                             f"output_mode={output_mode!r}")
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def _check(self, shapes, dtypes):
        if len(shapes) < 2:
            raise ValueError(f"HashedCrossing '{self.name}' needs at least two inputs, got {len(shapes)}")
        first = tuple(shapes[0])
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(f"HashedCrossing '{self.name}': inputs must have shape (), (batch_size,) or "
                             f"(batch_size, 1), got {first}")
        if any(tuple(shape) != first for shape in shapes[1:]):
            raise ValueError(f"HashedCrossing '{self.name}': inputs must have equal shapes, got "
                             f"{[tuple(s) for s in shapes]}")
        for dtype in dtypes:
            if numpy.dtype(dtype).kind not in "iuOUS":
                raise ValueError(f"HashedCrossing '{self.name}': inputs must be integers or strings, got dtype "
                                 f"{numpy.dtype(dtype)}")

    def _forward(self, *columns):
        columns = [numpy.asarray(c) for c in columns]
        self._check([c.shape for c in columns], [c.dtype for c in columns])
        shape = columns[0].shape
        flat = [c.reshape(-1) for c in columns]
        farmhash = None
        keys = []
        for column in flat:
            if column.dtype.kind in "OUS":
                farmhash = farmhash or _farmhash()
                keys.append([farmhash.fingerprint64(v.encode("utf-8") if isinstance(v, str) else v)
                             for v in column.tolist()])
            else:
                keys.append([int(v) & _MASK for v in column.tolist()])
        crossed = []
        for row in zip(*keys):
            value = _SEED
            for key in row:
                value = _fingerprint_cat(value, key)
            crossed.append(value % self.num_bins)
        indices = numpy.asarray(crossed, dtype="int64").reshape(shape)
        if self.output_mode == "int":
            return indices.astype(self.dtype)
        return encode_categorical(indices, "one_hot", self.num_bins, dtype=self.dtype)

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"HashedCrossing '{self.name}' is called on a list or tuple of inputs, got "
                             f"{type(inputs).__name__}")
        if any(isinstance(x, (Node, Tensor)) for x in inputs):
            self._check([x.shape for x in inputs], [x.dtype for x in inputs])
            shape = self.compute_output_shape([tuple(x.shape) for x in inputs])
            return host_call(self._forward, list(inputs), shape, self.dtype, label=self.name)
        return self._forward(*[as_numpy(x) for x in inputs])

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] == 1:
            return first[:-1] + (self.num_bins,)
        return first + (self.num_bins,)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode, "sparse": False, "name": self.name,
                "dtype": self.dtype}
