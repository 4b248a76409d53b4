"""Creation ops: ``zeros``, ``ones``, ``full``, ``*_like``, ``empty``, ``eye``,
``identity``, ``tri``, ``arange``, ``linspace``, ``logspace``, ``geomspace``.

Keras 3's names, arguments, defaults and dtypes: shapes default to floatx
(float32); ``arange``, ``linspace`` and ``logspace`` infer their dtype from
their bounds as Keras does (Python ints int32, Python floats floatx, and a
64-bit result narrowed to 32 bits, as Keras' JAX, NumPy and PyTorch backends
do); the ``*_like`` ops keep the input's dtype.

A shape may hold sizes known only when a graph runs (``ops.shape(x)[0]``
inside a layer's ``call``): the result is then a node of the ``fill``,
``broadcast_to_sizes``, ``eye``, ``tri`` or ``arange`` primitive, which reads
those sizes at every run.  Otherwise the result is an array, which graphs
take in as a constant.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy

from .. import backend
from ..eager import Tensor
from ..engine import Node
from .core import apply, dtype_of, shape_of, split_shape
from .introspection import shape as shape_op
from .math import cast, dtype_name

#: an array, a Python number or list, an eager Tensor or a symbolic node
TensorLike = Any

__all__ = ["zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
           "eye", "identity", "tri", "arange", "linspace", "logspace", "geomspace"]


def static_number(value):
    """``value`` as a Python number when it is one (a number, a numpy scalar, a 0-d array), else None."""
    if isinstance(value, (bool, numbers.Number, numpy.generic)):
        return value.item() if hasattr(value, "item") else value
    if isinstance(value, numpy.ndarray) and value.ndim == 0:
        return value.item()
    return None


def result_dtype(*values) -> str:
    """Keras' dtype for ``arange``/``linspace`` bounds: Python ints are a weak int32, Python
    floats (and ``float`` itself) a weak floatx; typed values (arrays, tensors) decide
    otherwise, and a 64-bit result becomes 32-bit, as in Keras (except its TensorFlow backend)."""
    strong, weak_int, weak_float = [], False, False
    for value in values:
        if value is float or (isinstance(value, float) and not isinstance(value, numpy.generic)):
            weak_float = True
        elif isinstance(value, int) and not isinstance(value, (bool, numpy.generic)):
            weak_int = True
        else:
            strong.append(numpy.dtype(dtype_of(value)))
    floatx = numpy.dtype(backend.floatx())
    if strong:
        result = numpy.result_type(*strong)
        if weak_float and result.kind in "biu":
            result = floatx
        elif weak_int and result.kind == "b":
            result = numpy.dtype("int32")
    else:
        result = floatx if weak_float or not weak_int else numpy.dtype("int32")
    narrow = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}
    if result.name in narrow and not (result.kind == "f" and floatx == numpy.float64):
        result = numpy.dtype(narrow[result.name])
    return result.name


def _dtype(dtype, default) -> str:
    return default if dtype is None else dtype_name(dtype)


# ------------------------------------------------------------------ shapes

def full(shape, fill_value, dtype=None) -> TensorLike:
    """An array of ``shape`` filled with ``fill_value`` (a number, or an array that broadcasts)."""
    dtype = _dtype(dtype, backend.floatx())
    template, sizes = split_shape(shape, "full")
    value = static_number(fill_value)
    if value is not None:
        return apply("fill", *sizes, shape=template, value=value, dtype=dtype)
    if not isinstance(fill_value, (Tensor, Node)):
        fill_value = backend.as_array(fill_value)
    return apply("broadcast_to_sizes", cast(fill_value, dtype), *sizes, shape=template)


def zeros(shape, dtype=None) -> TensorLike:
    """Zeros of ``shape`` (floatx unless ``dtype`` is given).

    >>> zeros((2, 3)).dtype
    dtype('float32')
    """
    return full(shape, 0, dtype=dtype)


def ones(shape, dtype=None) -> TensorLike:
    """Ones of ``shape`` (floatx unless ``dtype`` is given)."""
    return full(shape, 1, dtype=dtype)


def empty(shape, dtype=None) -> TensorLike:
    """An array of ``shape``; kerasette's are zeros (Keras leaves the values unspecified)."""
    return full(shape, 0, dtype=dtype)


def full_like(x: TensorLike, fill_value, dtype=None) -> TensorLike:
    """``fill_value`` in ``x``'s shape, and ``x``'s dtype unless ``dtype`` is given."""
    return full(shape_op(x), fill_value, dtype=_dtype(dtype, numpy.dtype(dtype_of(x)).name))


def _like(name, x, dtype):
    if dtype is not None and numpy.dtype(dtype_name(dtype)) != numpy.dtype(dtype_of(x)):
        return cast(apply(name, x), dtype)
    return apply(name, x)


def ones_like(x: TensorLike, dtype=None) -> TensorLike:
    """Ones of ``x``'s shape, and ``x``'s dtype unless ``dtype`` is given."""
    return _like("ones_like", x, dtype)


def zeros_like(x: TensorLike, dtype=None) -> TensorLike:
    """Zeros of ``x``'s shape, and ``x``'s dtype unless ``dtype`` is given."""
    return _like("zeros_like", x, dtype)


def empty_like(x: TensorLike, dtype=None) -> TensorLike:
    """An array of ``x``'s shape and dtype (``dtype`` if given); kerasette's are zeros."""
    return _like("zeros_like", x, dtype)


# ----------------------------------------------------------------- matrices

def _matrix(name, N, M, k, dtype):
    template, sizes = split_shape((N, N if M is None else M), name)
    return apply(name, *sizes, shape=template, k=int(k), dtype=_dtype(dtype, backend.floatx()))


def eye(N, M=None, k: int = 0, dtype=None) -> TensorLike:  # noqa: N803 (Keras' names)
    """An ``N x M`` (``N x N``) matrix with ones on diagonal ``k`` and zeros elsewhere."""
    return _matrix("eye", N, M, k, dtype)


def identity(n, dtype=None) -> TensorLike:
    """The ``n x n`` identity matrix."""
    return _matrix("eye", n, None, 0, dtype)


def tri(N, M=None, k: int = 0, dtype=None) -> TensorLike:  # noqa: N803 (Keras' names)
    """An ``N x M`` (``N x N``) matrix with ones at and below diagonal ``k``, zeros above."""
    return _matrix("tri", N, M, k, dtype)


# ------------------------------------------------------------------- ranges

def _bound(value):
    """A bound as a Python number, or the (0-d) node that gives it at run time."""
    if isinstance(value, Node):
        if len(value.shape) != 0:
            raise ValueError(f"arange: bounds must be scalars, got {value!r}")
        return None
    if isinstance(value, Tensor):
        value = value.data
    number = static_number(value)
    if number is None:
        raise ValueError(f"arange: bounds must be scalars, got {value!r}")
    return number


def arange(start, stop=None, step=None, dtype=None) -> TensorLike:
    """``start, start + step, ...`` below ``stop``, like numpy; ``arange(n)`` is ``0 .. n-1``.

    >>> arange(3).dtype, arange(3.0).dtype
    (dtype('int32'), dtype('float32'))
    """
    if dtype is None:
        dtype = result_dtype(*(b for b in (start, stop, step) if b is not None))
    else:
        dtype = dtype_name(dtype)
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    given = (start, stop, step)
    bounds = tuple(_bound(b) for b in given)
    if bounds[2] == 0:
        raise ValueError("arange: step must not be zero")
    inputs = [b for b, known in zip(given, bounds) if known is None]
    return apply("arange", *inputs, bounds=bounds, dtype=dtype)


def _endpoint(value):
    """A start or stop value: tensors as they are, numbers and lists as float64 arrays (exact)."""
    if isinstance(value, (Tensor, Node)):
        return value
    array = numpy.asarray(value)
    return array.astype("float64") if array.dtype.kind in "biu" else array


def _spaced(name, start, stop, num, endpoint, axis, dtype, **attrs):
    if isinstance(num, (Node, Tensor)) or static_number(num) is None:
        raise ValueError(f"{name}: num must be a Python int, got {num!r}")
    num = int(num)
    if num < 0:
        raise ValueError(f"{name}: num must be non-negative, got {num}")
    rank = max(len(shape_of(start)), len(shape_of(stop))) + 1
    if not -rank <= int(axis) < rank:
        raise ValueError(f"{name}: axis {axis} is out of range for a result of rank {rank}")
    return apply(name, _endpoint(start), _endpoint(stop), num=num, endpoint=bool(endpoint),
                 axis=int(axis) % rank, dtype=dtype, **attrs)


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False, dtype=None,
             axis: int = 0):
    """``num`` evenly spaced samples from ``start`` to ``stop`` (included unless ``endpoint=False``).

    With ``retstep=True`` it returns ``(samples, step)``.
    """
    dtype = result_dtype(start, stop, float) if dtype is None else dtype_name(dtype)
    samples = _spaced("linspace", start, stop, num, endpoint, axis, dtype)
    if not retstep:
        return samples
    divisions = int(num) - 1 if endpoint else int(num)
    step_dtype = dtype if numpy.dtype(dtype).kind == "f" else backend.floatx()
    difference = apply("subtract", _endpoint(stop), _endpoint(start))
    if divisions > 0:
        step = apply("divide", difference, float(divisions))
    else:
        step = apply("multiply", difference, float("nan"))
    return samples, cast(step, step_dtype)


def logspace(start, stop, num: int = 50, endpoint: bool = True, base=10, dtype=None, axis: int = 0):
    """``base ** linspace(start, stop, num)``: samples evenly spaced on a log scale."""
    dtype = result_dtype(start, stop, float) if dtype is None else dtype_name(dtype)
    return _spaced("logspace", start, stop, num, endpoint, axis, dtype, base=float(base))


def geomspace(start, stop, num: int = 50, endpoint: bool = True, dtype=None, axis: int = 0):
    """``num`` samples from ``start`` to ``stop`` in a geometric progression (floatx by default)."""
    return _spaced("geomspace", start, stop, num, endpoint, axis, _dtype(dtype, backend.floatx()))
