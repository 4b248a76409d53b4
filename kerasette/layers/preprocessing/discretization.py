"""Discretization: numbers to bucket ids by boundaries, given or learned (``adapt``) as quantiles.

``adapt`` builds Keras 3's quantile summary (sorted values thinned to about
``1 / epsilon`` points with weights, merged batch by batch and compressed by
interpolating cumulative weights), and takes ``num_bins - 1`` boundaries
from it, so the learned boundaries are Keras' own.  They live in the
config (``bin_boundaries``), as in Keras 3; the layer has no weights.
"""
from __future__ import annotations

import numpy

from ... import backend
from ...eager import Tensor
from ...engine import Node
from ..layer import Layer
from .data import ListInputs, adapt_batches, as_numpy, host_call
from .index_lookup import categorical_shape, encode_categorical

__all__ = ["Discretization"]


def _summarize(values, epsilon):
    values = numpy.sort(numpy.reshape(values, [-1]))
    step = max(values.size / (1.0 / epsilon), 1)
    points = values[int(step - 1)::int(step)]
    return numpy.stack([points, numpy.ones_like(points) * step])


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + numpy.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    shares = cumulative / cumulative[-1]
    bins = numpy.interp(percents, shares, summary[0])
    cumulative = numpy.interp(percents, shares, cumulative)
    weights = cumulative - numpy.concatenate((numpy.array([0]), cumulative[:-1]))
    return numpy.stack((bins, weights)).astype("float32")


def _merge(first, second, epsilon):
    merged = numpy.concatenate((first, second), axis=1)
    merged = numpy.take(merged, numpy.argsort(merged[0]), axis=1)
    return _compress(merged, epsilon)


class Discretization(ListInputs, Layer):
    """Buckets numbers: ``bin_boundaries=[0., 1., 2.]`` makes the bins
    ``(-inf, 0), [0, 1), [1, 2), [2, +inf)``.

    >>> Discretization(bin_boundaries=[0.0, 1.0, 2.0])(numpy.array([[-1.5, 1.0, 3.4, 0.5]]))
    array([[0, 2, 3, 1]], dtype=int32)

    With ``num_bins``, ``adapt`` learns boundaries at the data's quantiles.
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 dtype=None, name=None, **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("Discretization: sparse=True needs sparse tensors, which kerasette does not have")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError("Discretization: `output_mode` must be 'int', 'one_hot', 'multi_hot' or 'count'. "
                             f"Received: output_mode={output_mode!r}")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"Discretization: `num_bins` must be >= 0. Received: num_bins={num_bins}")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Discretization: set `num_bins` or `bin_boundaries`, not both. Received: "
                             f"num_bins={num_bins} and bin_boundaries={bin_boundaries}")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("Discretization: set either `num_bins` or `bin_boundaries`")
        if bin_boundaries is not None:
            bin_boundaries = [float(b) for b in bin_boundaries]
            if any(b > a for a, b in zip(bin_boundaries[1:], bin_boundaries)):
                raise ValueError(f"Discretization: `bin_boundaries` must be sorted, got {bin_boundaries}")
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self.summary = None if bin_boundaries else numpy.array([[], []], dtype="float32")
        self.built = True

    @property
    def output_dtype(self):
        return "int32" if self.output_mode == "int" else self.dtype

    def adapt(self, data, steps=None) -> None:
        """Learn ``num_bins - 1`` boundaries at the quantiles of ``data`` (an array or batches)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with "
                             "`bin_boundaries`, use `num_bins` instead.")
        if steps is not None and not isinstance(data, (numpy.ndarray, Tensor, list, tuple)):
            data = [batch for index, batch in zip(range(steps), data)]
        if isinstance(data, (list, tuple)) and data and not hasattr(data[0], "shape"):
            data = numpy.asarray(data)
        batches = adapt_batches(self, data, numeric=True)
        summary = numpy.array([[], []], dtype="float32")
        for batch in batches:
            summary = _merge(_summarize(batch.astype("float32"), self.epsilon), summary, self.epsilon)
        self.summary = summary
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def _depth(self):
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins

    def _bucketize(self, inputs):
        inputs = numpy.asarray(inputs)
        if inputs.dtype.kind not in "biuf":
            raise TypeError(f"Discretization '{self.name}' takes numbers, got dtype {inputs.dtype}")
        indices = numpy.digitize(inputs.astype(backend.floatx()),
                                 numpy.asarray(self.bin_boundaries, dtype=backend.floatx())).astype("int32")
        if self.output_mode == "int":
            return indices
        return encode_categorical(indices, self.output_mode, self._depth(), dtype=self.output_dtype)

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("Discretization: pass `bin_boundaries` or call adapt(data) before using the layer")
        if isinstance(inputs, (Node, Tensor)):
            shape = self.compute_output_shape(tuple(inputs.shape))
            return host_call(self._bucketize, inputs, shape, self.output_dtype, label=self.name)
        return self._bucketize(as_numpy(inputs))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self._depth()
        if self.output_mode == "one_hot":
            return categorical_shape(input_shape, "one_hot", depth)
        if len(input_shape) >= 2:
            return (input_shape[0],) + input_shape[2:] + (depth,)
        return (depth,)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": False, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = [float(b) for b in boundaries]
            return layer
        return cls(**config)
