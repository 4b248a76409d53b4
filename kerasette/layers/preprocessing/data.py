"""What every preprocessing layer shares: reading ``adapt()`` data, and host functions in graphs.

``adapt(data)`` takes an array (numpy, a list, an eager Tensor) or an
iterable of batches (a list of arrays, a generator, a ``PyDataset``); a
batch may be ``(x, y)`` or ``(x, y, sample_weight)``, and only ``x`` is
read.  ``adapt_batches`` turns any of these into a list of numpy arrays,
checked before anything of the layer is touched, so that a bad ``adapt``
leaves the layer as it was.

Lookups, hashing and text splitting are not array math a gradient flows
through: they run as a *host function*, a primitive whose forward calls a
Python function on the arrays.  The primitive is handed to the op dispatch
as an instance and is never registered in the primitive table (it has no
gradient and no op name of its own), so the same ``call`` works on arrays,
on eager Tensors and inside a compiled graph (``Model.predict``).
"""
from __future__ import annotations

import numpy

from ...eager import Tensor
from ...ops.core import apply
from ...primitives.base import Primitive, Spec

__all__ = ["adapt_batches", "host_call", "as_numpy", "is_string_dtype", "ListInputs"]


def _first_part(batch):
    return batch[0] if isinstance(batch, tuple) else batch


def as_numpy(value):
    """``value`` (array, Tensor, list, scalar) as a numpy array."""
    if isinstance(value, Tensor):
        value = value.data
    if hasattr(value, "numpy") and not isinstance(value, numpy.ndarray):
        value = value.numpy()
    if isinstance(value, numpy.ndarray):
        return value
    return numpy.asarray(value)


_SCALARS = (str, bytes, bool, int, float, numpy.generic)


def _values_only(value) -> bool:
    if isinstance(value, (list, tuple)):
        return bool(value) and all(_values_only(item) for item in value)
    return isinstance(value, _SCALARS)


class ListInputs:
    """Mixin: a (nested) list or tuple of Python values is called on as one array.

    Keras leaves such a list as it is and its preprocessing layers read it
    whole (``layer(["the cat", "a dog"])``); the general ``Layer.__call__``
    would take each string or number for an input of its own.
    """

    def __call__(self, *args, **kwargs):
        if args and _values_only(args[0]):
            args = (numpy.asarray(args[0]),) + args[1:]
        return super().__call__(*args, **kwargs)


def is_string_dtype(dtype) -> bool:
    return numpy.dtype(dtype).kind in "OUS"


def adapt_batches(layer, data, numeric: bool) -> list:
    """``data`` given to ``layer.adapt`` as a list of numpy batches (one for an array).

    Raises a ValueError naming ``data`` when it holds nothing, and when
    ``numeric`` layers get strings (or string layers get floats).
    """
    where = f"{type(layer).__name__} '{layer.name}': adapt(data)"
    if data is None:
        raise ValueError(f"{where} needs data, got None")
    if isinstance(data, (numpy.ndarray, Tensor)) or (isinstance(data, (list, tuple)) and (
            not data or not hasattr(_first_part(data[0]), "shape"))):
        batches = [as_numpy(data)]
    elif isinstance(data, (str, bytes)):
        raise TypeError(f"{where} got a single string {data!r}; pass an array or a list of strings")
    elif hasattr(data, "__iter__") or hasattr(data, "__getitem__"):
        batches = [as_numpy(_first_part(batch)) for batch in data]
        if not batches:
            raise ValueError(f"{where} received an empty iterable (no batches): pass an array or at "
                             "least one batch")
    else:
        raise TypeError(f"{where} takes an array or an iterable of batches, got {type(data).__name__}")
    if sum(batch.size for batch in batches) == 0:
        raise ValueError(f"{where} received no values (shape {batches[0].shape}): adapt needs at least one")
    for batch in batches:
        kind = batch.dtype.kind
        if numeric and kind not in "biuf":
            raise TypeError(f"{where} received values of dtype {batch.dtype} ({_sample(batch)}); "
                            f"{type(layer).__name__} takes numbers")
        if not numeric and kind == "f":
            raise TypeError(f"{where} received floats (dtype {batch.dtype}); "
                            f"{type(layer).__name__} takes strings or integers")
    return batches


def _sample(array) -> str:
    flat = array.reshape(-1)
    return "e.g. " + repr(flat[0].item() if hasattr(flat[0], "item") else flat[0])


class HostFunction(Primitive):
    """A non-differentiable step that runs a Python function on arrays (see the module docstring)."""

    name = "host_function"
    differentiable = False

    def infer(self, *inputs, function, shape, dtype, label=None) -> Spec:
        return Spec(tuple(shape), numpy.dtype(dtype))

    def forward(self, xp, *arrays, function, shape, dtype, label=None):
        return function(*arrays)

    def gradient(self, ops, inputs, output, grad, **attrs):
        return [None] * len(inputs)

    def gradient_of(self, needed, ops, inputs, output, grad, **attrs):
        return [None] * len(inputs)


_HOST = HostFunction()


def host_call(function, inputs, shape, dtype, label: str = "host_function"):
    """``function(*arrays)`` on the inputs' values, now or when a graph runs.

    ``shape`` is the static output shape (``None`` for sizes known at run
    time) and ``dtype`` its dtype.
    """
    if not isinstance(inputs, (list, tuple)):
        inputs = (inputs,)
    return apply(_HOST, *inputs, function=function, shape=tuple(shape), dtype=numpy.dtype(dtype), label=label)
