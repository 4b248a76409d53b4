"""TensorFlow 1 names for Keras ops with their own calling conventions: ``reduce_*``
(``keep_dims``), ``argmax``/``argmin`` (axis 0 by default, ``output_type``), ``concat``."""
from __future__ import annotations

import numpy

from .. import ops
from .dtypes import int64


def _op(name: str):
    """The op function ``name`` of kerasette.ops, looked up when it is called."""
    try:
        return getattr(ops, name)
    except AttributeError:
        raise NotImplementedError(f"kerasette.ops has no {name!r} yet") from None


def _reduction(op_name: str):
    def reduce(input_tensor, axis=None, keepdims=False, name=None, keep_dims=None):
        if keep_dims is not None:  # TensorFlow 1's older spelling
            keepdims = keep_dims
        return _op(op_name)(input_tensor, axis=axis, keepdims=keepdims)

    reduce.__name__ = reduce.__qualname__ = f"reduce_{op_name}"
    reduce.__doc__ = f"TensorFlow's ``reduce_{op_name}``: ``kerasette.ops.{op_name}`` over ``axis`` (all axes by default)."
    return reduce


reduce_sum = _reduction("sum")
reduce_mean = _reduction("mean")
reduce_max = _reduction("max")
reduce_min = _reduction("min")
reduce_prod = _reduction("prod")
reduce_logsumexp = _reduction("logsumexp")


def argmax(input, axis=None, name=None, output_type=int64):  # noqa: A002 - TensorFlow's name
    """Index of the largest value along ``axis`` (TensorFlow 1 reads ``None`` as axis 0)."""
    result = _op("argmax")(input, axis=0 if axis is None else axis)
    return result if numpy.dtype(output_type) == result.dtype else _op("cast")(result, output_type)


def argmin(input, axis=None, name=None, output_type=int64):  # noqa: A002 - TensorFlow's name
    """Index of the smallest value along ``axis`` (TensorFlow 1 reads ``None`` as axis 0)."""
    result = _op("argmin")(input, axis=0 if axis is None else axis)
    return result if numpy.dtype(output_type) == result.dtype else _op("cast")(result, output_type)


def concat(values, axis, name=None):
    """TensorFlow's ``concat``: ``kerasette.ops.concatenate(values, axis)``."""
    return _op("concatenate")(values, axis=axis)
