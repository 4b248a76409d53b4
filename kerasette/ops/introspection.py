"""Facts about tensors, and conversions: ``shape``, ``ndim``, ``size``, ``dtype``,
``is_tensor``, ``convert_to_tensor``, ``convert_to_numpy`` (Keras 3's names),
plus ``axis_size``.

``shape(x)`` is a tuple.  Sizes known when the value is built are Python
ints; in a graph, a size known only at run time (the batch) is a 0-d int64
node, ``axis_size(x, i)``, as TensorFlow's backend of Keras gives a scalar
tensor there.  Such a tuple can be handed straight to the creation ops,
``reshape``, ``broadcast_to`` or ``keras.random``:
``ops.zeros((ops.shape(x)[0], 3))`` compiles once and works for every batch.
"""
from __future__ import annotations

import math

import numpy

from .. import backend
from ..eager import Tensor
from ..engine import Node
from .core import apply, dtype_of, shape_of

__all__ = ["axis_size", "shape", "ndim", "size", "dtype", "is_tensor", "convert_to_tensor",
           "convert_to_numpy"]


def axis_size(x, axis: int = 0):
    """The size of ``axis`` when the value exists (a node in a graph, where it may be unknown)."""
    return apply("axis_size", x, axis=int(axis))


def shape(x) -> tuple:
    """The shape of ``x`` as a tuple: ints, and in a graph ``axis_size`` nodes for run-time sizes.

    >>> shape(numpy.zeros((2, 3)))
    (2, 3)
    """
    if isinstance(x, Node):
        return tuple(axis_size(x, axis) if d is None else d for axis, d in enumerate(x.shape))
    return tuple(int(d) for d in shape_of(x))


def ndim(x) -> int:
    """The number of axes of ``x``."""
    return len(shape_of(x))


def size(x):
    """The number of elements of ``x``: an int, or in a graph with a run-time size a 0-d node."""
    sizes = shape(x)
    known = math.prod(d for d in sizes if not isinstance(d, Node))
    total = known
    for d in sizes:
        if isinstance(d, Node):
            total = d * total
    return total


def dtype(x) -> str:
    """The dtype of ``x`` as its name, such as ``'float32'``."""
    return numpy.dtype(dtype_of(x)).name


def is_tensor(x) -> bool:
    """Whether ``x`` is a tensor of kerasette: an eager Tensor, a graph node or a backend array."""
    return isinstance(x, (Tensor, Node)) or backend.is_array(x)


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as a tensor: tensors stay what they are (cast to ``dtype`` if given);
    Python numbers and lists become arrays, ints as int32 and floats as floatx, as in Keras."""
    if sparse:
        raise ValueError("`sparse=True` is not supported: kerasette has no sparse tensors")
    if ragged:
        raise ValueError("`ragged=True` is not supported: kerasette has no ragged tensors")
    from .math import cast, dtype_name
    if isinstance(x, (Tensor, Node)):
        if dtype is not None and numpy.dtype(dtype_name(dtype)) != x.dtype:
            return cast(x, dtype)
        return x
    if dtype is not None:
        return backend.as_array(x, dtype=dtype_name(dtype))
    if backend.is_array(x) or isinstance(x, numpy.ndarray):
        return backend.as_array(x)
    array = backend.as_array(x)
    if array.dtype == numpy.int64 and not isinstance(x, numpy.generic):
        # Python ints: Keras' int32 (numpy scalars keep their own dtype)
        array = array.astype("int32")
    return array


def convert_to_numpy(x) -> numpy.ndarray:
    """The value of ``x`` as a numpy array (an eager Tensor's data, a variable's or constant's value)."""
    if isinstance(x, Tensor):
        x = x.data
    elif isinstance(x, Node):
        x = x.numpy()
    if isinstance(x, numpy.ndarray):
        return x
    if backend.is_array(x):
        return backend.array_module().asnumpy(x)
    return numpy.asarray(x)
