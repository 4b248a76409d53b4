"""Elementwise math: arithmetic with numpy broadcasting, unary functions,
comparisons and logical ops (no gradient), cast, where and clip.

Names, argument names and defaults are Keras 3's ``keras.ops``; each function
normalises its arguments (dtype to a name, static clip bounds to Python
numbers) and hands the primitive to ``apply``.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy

from .core import apply

#: what every op accepts: an array, a Python number or list, an eager Tensor or a symbolic node
TensorLike = Any

__all__ = [
    "add", "subtract", "multiply", "divide", "negative", "power",
    "square", "sqrt", "exp", "expm1", "log", "log1p", "reciprocal", "sin", "cos", "erf",
    "abs", "absolute", "sign", "floor", "ceil", "round",
    "maximum", "minimum", "clip", "where", "cast",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_not", "logical_xor", "isnan", "isinf", "isfinite",
]


def dtype_name(dtype) -> str:
    """``'float32'`` for 'float32', numpy.float32, numpy.dtype('float32') or a tensor's dtype.

    Python's ``float`` and ``int`` mean floatx and int64, as in Keras.
    """
    if dtype is float or (isinstance(dtype, str) and dtype == "float"):
        from .. import backend
        return backend.floatx()
    if dtype is int or (isinstance(dtype, str) and dtype == "int"):
        return "int64"
    if not isinstance(dtype, type):
        dtype = getattr(dtype, "name", dtype)
    return numpy.dtype(dtype).name


# ------------------------------------------------------------------ arithmetic

def add(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 + x2`` with broadcasting."""
    return apply("add", x1, x2)


def subtract(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 - x2`` with broadcasting."""
    return apply("subtract", x1, x2)


def multiply(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 * x2`` with broadcasting."""
    return apply("multiply", x1, x2)


def divide(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 / x2`` with broadcasting."""
    return apply("divide", x1, x2)


def negative(x: TensorLike) -> TensorLike:
    """``-x``."""
    return apply("negative", x)


def power(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 ** x2`` with broadcasting."""
    return apply("power", x1, x2)


# -------------------------------------------------------------------- unary

def square(x: TensorLike) -> TensorLike:
    """``x * x`` elementwise."""
    return apply("square", x)


def sqrt(x: TensorLike) -> TensorLike:
    """Square root elementwise (integers give floatx)."""
    return apply("sqrt", x)


def exp(x: TensorLike) -> TensorLike:
    """``e ** x`` elementwise."""
    return apply("exp", x)


def expm1(x: TensorLike) -> TensorLike:
    """``exp(x) - 1``, accurate for small ``x``."""
    return apply("expm1", x)


def log(x: TensorLike) -> TensorLike:
    """Natural logarithm elementwise."""
    return apply("log", x)


def log1p(x: TensorLike) -> TensorLike:
    """``log(1 + x)``, accurate for small ``x``."""
    return apply("log1p", x)


def reciprocal(x: TensorLike) -> TensorLike:
    """``1 / x`` elementwise."""
    return apply("reciprocal", x)


def sin(x: TensorLike) -> TensorLike:
    """Sine elementwise."""
    return apply("sin", x)


def cos(x: TensorLike) -> TensorLike:
    """Cosine elementwise."""
    return apply("cos", x)


def erf(x: TensorLike) -> TensorLike:
    """The Gauss error function elementwise."""
    return apply("erf", x)


def abs(x: TensorLike) -> TensorLike:  # noqa: A001 (Keras' name)
    """Absolute value elementwise."""
    return apply("abs", x)


absolute = abs


def sign(x: TensorLike) -> TensorLike:
    """-1, 0 or 1 by the sign of ``x`` (gradient zero)."""
    return apply("sign", x)


def floor(x: TensorLike) -> TensorLike:
    """Largest integer not above ``x`` (gradient zero)."""
    return apply("floor", x)


def ceil(x: TensorLike) -> TensorLike:
    """Smallest integer not below ``x`` (gradient zero)."""
    return apply("ceil", x)


def round(x: TensorLike, decimals: int = 0) -> TensorLike:  # noqa: A001 (Keras' name)
    """Round half to even to ``decimals`` places (gradient zero)."""
    return apply("round", x, decimals=int(decimals))


# ------------------------------------------------------------------- binary

def maximum(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """Elementwise maximum with broadcasting; on ties the gradient goes to ``x1``."""
    return apply("maximum", x1, x2)


def minimum(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """Elementwise minimum with broadcasting; on ties the gradient goes to ``x1``."""
    return apply("minimum", x1, x2)


def _static_number(value):
    """``value`` as a Python number if it is one (or a 0-d array), else None."""
    if value is None:
        return None
    if isinstance(value, numbers.Number):
        return value.item() if hasattr(value, "item") else value
    if isinstance(value, numpy.ndarray) and value.ndim == 0:
        return value.item()
    return None


def clip(x: TensorLike, x_min: TensorLike, x_max: TensorLike) -> TensorLike:
    """``x`` limited to ``[x_min, x_max]``; the gradient passes where ``x`` is inside."""
    low, high = _static_number(x_min), _static_number(x_max)
    if (low is None) != (x_min is None) or (high is None) != (x_max is None):
        # bounds that are tensors themselves: clip as max then min, gradients reach them too
        out = x if x_min is None else maximum(x, x_min)
        return out if x_max is None else minimum(out, x_max)
    return apply("clip", x, min=low, max=high)


def where(condition: TensorLike, x1: TensorLike = None, x2: TensorLike = None) -> TensorLike:
    """``x1`` where ``condition`` holds, else ``x2``, all three broadcast together.

    With ``condition`` alone: the indices of its true elements, one int32 array per
    axis (``nonzero``; their length is known when the values are).
    """
    if x1 is None and x2 is None:
        from .sorting import nonzero
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("where: give both x1 and x2, or neither (then it is nonzero(condition))")
    return apply("where", condition, x1, x2)


def cast(x: TensorLike, dtype) -> TensorLike:
    """``x`` as ``dtype``; the gradient flows back (cast to ``x``'s dtype) between float types."""
    return apply("cast", x, dtype=dtype_name(dtype))


# ------------------------------------------------------- comparisons, logic

def equal(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 == x2`` elementwise, as bool."""
    return apply("equal", x1, x2)


def not_equal(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 != x2`` elementwise, as bool."""
    return apply("not_equal", x1, x2)


def less(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 < x2`` elementwise, as bool."""
    return apply("less", x1, x2)


def less_equal(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 <= x2`` elementwise, as bool."""
    return apply("less_equal", x1, x2)


def greater(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 > x2`` elementwise, as bool."""
    return apply("greater", x1, x2)


def greater_equal(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 >= x2`` elementwise, as bool."""
    return apply("greater_equal", x1, x2)


def logical_and(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """Elementwise AND of truth values, as bool."""
    return apply("logical_and", x1, x2)


def logical_or(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """Elementwise OR of truth values, as bool."""
    return apply("logical_or", x1, x2)


def logical_xor(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """Elementwise XOR of truth values, as bool."""
    return apply("logical_xor", x1, x2)


def logical_not(x: TensorLike) -> TensorLike:
    """Elementwise NOT of truth values, as bool."""
    return apply("logical_not", x)


def isnan(x: TensorLike) -> TensorLike:
    """Where ``x`` is NaN, as bool."""
    return apply("isnan", x)


def isinf(x: TensorLike) -> TensorLike:
    """Where ``x`` is +-inf, as bool."""
    return apply("isinf", x)


def isfinite(x: TensorLike) -> TensorLike:
    """Where ``x`` is neither NaN nor infinite, as bool."""
    return apply("isfinite", x)
