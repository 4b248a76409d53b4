"""Reductions: sum, mean, max, min, prod, var, std, logsumexp, argmax, argmin, cumsum.

Keras 3's ``keras.ops`` names and defaults.  Each function turns ``axis``
(None, an int or a sequence, negatives allowed) into the sorted tuple of
non-negative axes the primitives take, and hands over to ``apply``.
"""
from __future__ import annotations

from typing import Any

from ..primitives.base import normalize_axis
from .core import apply, shape_of

#: an array, a Python number or list, an eager Tensor or a symbolic node
TensorLike = Any

__all__ = ["sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "argmax", "argmin",
           "cumsum"]


def _axes(x, axis, op_name) -> tuple:
    return normalize_axis(axis, len(shape_of(x)), op_name)


def sum(x: TensorLike, axis=None, keepdims: bool = False) -> TensorLike:  # noqa: A001 (Keras' name)
    """Sum over ``axis`` (all axes when None)."""
    return apply("sum", x, axis=_axes(x, axis, "sum"), keepdims=bool(keepdims))


def mean(x: TensorLike, axis=None, keepdims: bool = False) -> TensorLike:
    """Mean over ``axis``; integers give floatx."""
    return apply("mean", x, axis=_axes(x, axis, "mean"), keepdims=bool(keepdims))


def max(x: TensorLike, axis=None, keepdims: bool = False, initial=None) -> TensorLike:  # noqa: A001
    """Largest element over ``axis``; ties share the gradient evenly."""
    out = apply("max", x, axis=_axes(x, axis, "max"), keepdims=bool(keepdims))
    return out if initial is None else apply("maximum", out, initial)


def min(x: TensorLike, axis=None, keepdims: bool = False, initial=None) -> TensorLike:  # noqa: A001
    """Smallest element over ``axis``; ties share the gradient evenly."""
    out = apply("min", x, axis=_axes(x, axis, "min"), keepdims=bool(keepdims))
    return out if initial is None else apply("minimum", out, initial)


def prod(x: TensorLike, axis=None, keepdims: bool = False, dtype=None) -> TensorLike:
    """Product over ``axis``; the gradient is undefined where an element is 0."""
    if dtype is not None:
        from .math import cast
        x = cast(x, dtype)
    return apply("prod", x, axis=_axes(x, axis, "prod"), keepdims=bool(keepdims))


def var(x: TensorLike, axis=None, keepdims: bool = False) -> TensorLike:
    """Population variance (divisor n) over ``axis``."""
    return apply("var", x, axis=_axes(x, axis, "var"), keepdims=bool(keepdims))


def std(x: TensorLike, axis=None, keepdims: bool = False) -> TensorLike:
    """Population standard deviation (divisor n) over ``axis``."""
    return apply("std", x, axis=_axes(x, axis, "std"), keepdims=bool(keepdims))


def logsumexp(x: TensorLike, axis=None, keepdims: bool = False) -> TensorLike:
    """``log(sum(exp(x), axis))`` without overflow."""
    return apply("logsumexp", x, axis=_axes(x, axis, "logsumexp"), keepdims=bool(keepdims))


def _arg_extremum(name, x, axis, keepdims):
    rank = len(shape_of(x))
    if axis is None:
        # numpy and Keras index the flattened array
        from .shape_ops import reshape
        out = apply(name, reshape(x, (-1,)), axis=0, keepdims=bool(keepdims))
        return reshape(out, (1,) * rank) if keepdims else out
    (axis,) = normalize_axis(int(axis), rank, name)
    return apply(name, x, axis=axis, keepdims=bool(keepdims))


def argmax(x: TensorLike, axis=None, keepdims: bool = False) -> TensorLike:
    """Index (int32) of the largest element along ``axis`` (of the flattened array when None)."""
    return _arg_extremum("argmax", x, axis, keepdims)


def argmin(x: TensorLike, axis=None, keepdims: bool = False) -> TensorLike:
    """Index (int32) of the smallest element along ``axis`` (of the flattened array when None)."""
    return _arg_extremum("argmin", x, axis, keepdims)


def cumsum(x: TensorLike, axis=None, dtype=None) -> TensorLike:
    """Running sum along ``axis`` (of the flattened array when None)."""
    if dtype is not None:
        from .math import cast
        x = cast(x, dtype)
    if axis is None:
        from .shape_ops import reshape
        return apply("cumsum", reshape(x, (-1,)), axis=0)
    (axis,) = normalize_axis(int(axis), len(shape_of(x)), "cumsum")
    return apply("cumsum", x, axis=axis)

