"""More elementwise math: Keras 3's trigonometric, hyperbolic, logarithmic and
special functions, integer division and remainders, bitwise ops, tests, and
the complex-number accessors.

Float functions give floats (integer inputs become floatx); ``floor_divide``,
``mod`` and the bitwise ops keep Keras' promoted dtype.  Each is one
primitive (``primitives.ufuncs``) or a few existing ops composed.
"""
from __future__ import annotations

from typing import Any

import numpy

from .core import apply, dtype_of
from .math import cast, dtype_name, isnan, where

TensorLike = Any

_FLOAT_UNARY = ("tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh",
                "log2", "log10", "exp2", "cbrt", "rsqrt", "deg2rad", "rad2deg", "fabs", "erfc", "erfinv",
                "sinc", "i0", "trunc")
_BINARY = ("arctan2", "hypot", "logaddexp", "logaddexp2", "floor_divide", "mod", "fmod", "fmax", "fmin",
           "heaviside", "ldexp", "nextafter", "gcd", "lcm", "bitwise_and", "bitwise_or", "bitwise_xor",
           "left_shift", "right_shift")

__all__ = list(_FLOAT_UNARY) + list(_BINARY) + [
    "bitwise_left_shift", "bitwise_right_shift", "bitwise_invert", "bitwise_not", "signbit", "isneginf",
    "isposinf", "isreal", "isclose", "allclose", "true_divide", "divide_no_nan", "nan_to_num", "real", "imag",
    "conj", "conjugate", "angle", "saturate_cast",
]


def _unary(name):
    def op(x: TensorLike) -> TensorLike:
        return apply(name, x)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"numpy's ``{name}`` elementwise (Keras 3's ``keras.ops.{name}``)."
    return op


def _binary(name):
    def op(x1: TensorLike, x2: TensorLike) -> TensorLike:
        return apply(name, x1, x2)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"numpy's ``{name}`` with broadcasting (Keras 3's ``keras.ops.{name}``)."
    return op


def _binary_xy(name):
    def op(x: TensorLike, y: TensorLike) -> TensorLike:
        return apply(name, x, y)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"numpy's ``{name}`` of integers with broadcasting (Keras 3's ``keras.ops.{name}``)."
    return op


_XY = ("bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift")
for _name in _FLOAT_UNARY:
    globals()[_name] = _unary(_name)
for _name in _BINARY:
    globals()[_name] = (_binary_xy if _name in _XY else _binary)(_name)

bitwise_left_shift = globals()["left_shift"]
bitwise_right_shift = globals()["right_shift"]


def bitwise_invert(x: TensorLike) -> TensorLike:
    """``~x`` bit by bit for integers (logical NOT for bool)."""
    return apply("bitwise_invert", x)


bitwise_not = bitwise_invert


def signbit(x: TensorLike) -> TensorLike:
    """Where the sign bit is set (``-0.0`` included), as bool."""
    return apply("signbit", x)


def isneginf(x: TensorLike) -> TensorLike:
    """Where ``x`` is ``-inf``, as bool."""
    return apply("isneginf", x)


def isposinf(x: TensorLike) -> TensorLike:
    """Where ``x`` is ``+inf``, as bool."""
    return apply("isposinf", x)


def isreal(x: TensorLike) -> TensorLike:
    """Where the imaginary part is zero (everywhere for real dtypes), as bool."""
    return apply("isreal", x)


def isclose(x1: TensorLike, x2: TensorLike, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> TensorLike:
    """``|x1 - x2| <= atol + rtol * |x2|`` elementwise, as bool."""
    return apply("isclose", x1, x2, rtol=float(rtol), atol=float(atol), equal_nan=bool(equal_nan))


def allclose(x1: TensorLike, x2: TensorLike, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> TensorLike:
    """Whether ``isclose`` holds everywhere (a 0-d bool)."""
    from .sorting import all as all_
    return all_(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


def true_divide(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 / x2`` (the same as ``divide``)."""
    return apply("divide", x1, x2)


def divide_no_nan(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1 / x2``, and 0 where ``x2`` is 0 (the gradient there is 0 too)."""
    from .creation import ones_like, zeros_like
    from .math import divide, equal
    zero = equal(x2, 0)
    safe = where(zero, ones_like(x2), x2)
    quotient = divide(x1, safe)
    return where(zero, zeros_like(quotient), quotient)


def nan_to_num(x: TensorLike, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf`` and ``neginf`` (the dtype's extremes by default)."""
    from .creation import full_like
    dtype = numpy.dtype(dtype_of(x))
    if dtype.kind not in "fc":
        return x
    info = numpy.finfo(dtype)
    high = float(info.max) if posinf is None else float(posinf)
    low = float(info.min) if neginf is None else float(neginf)
    x = where(isnan(x), full_like(x, float(nan)), x)
    x = where(isposinf(x), full_like(x, high), x)
    return where(isneginf(x), full_like(x, low), x)


def real(x: TensorLike) -> TensorLike:
    """The real part (``x`` itself for real dtypes)."""
    if numpy.dtype(dtype_of(x)).kind == "c":
        return apply("complex_part", x, part="real")
    return x


def imag(x: TensorLike) -> TensorLike:
    """The imaginary part (zeros for real dtypes)."""
    from .creation import zeros_like
    if numpy.dtype(dtype_of(x)).kind == "c":
        return apply("complex_part", x, part="imag")
    return zeros_like(x)


def conj(x: TensorLike) -> TensorLike:
    """The complex conjugate (``x`` itself for real dtypes)."""
    if numpy.dtype(dtype_of(x)).kind == "c":
        return apply("complex_part", x, part="conj")
    return x


conjugate = conj


def angle(x: TensorLike) -> TensorLike:
    """The argument of each element: ``arctan2(imag, real)`` (0 or pi for reals)."""
    if numpy.dtype(dtype_of(x)).kind == "c":
        return apply("complex_part", x, part="angle")
    from .creation import zeros_like
    x = cast(x, dtype_name(_float_of(x)))
    return apply("arctan2", zeros_like(x), x)


def _float_of(x):
    dtype = numpy.dtype(dtype_of(x))
    if dtype.kind in "fc":
        return dtype
    from .. import backend
    return numpy.dtype(backend.floatx())


def _inside(bound, dtype, info):
    """``bound`` as the float of ``dtype`` nearest it that still lies inside ``info``'s range."""
    value = numpy.array(bound, dtype)
    if not info.min <= float(value) <= info.max:
        value = numpy.nextafter(value, numpy.array(0, dtype))
    return value


def saturate_cast(x: TensorLike, dtype) -> TensorLike:
    """``x`` cast to ``dtype`` with values clipped into its range first (no wrap-around)."""
    from .math import clip
    target = numpy.dtype(dtype_name(dtype))
    source = numpy.dtype(dtype_of(x))
    if target.kind in "iu" and source.kind in "fiu":
        info = numpy.iinfo(target)
        if source.kind == "f":
            low, high = (float(_inside(bound, source, info)) for bound in (info.min, info.max))
        else:
            s_info = numpy.iinfo(source)
            low, high = max(int(info.min), int(s_info.min)), min(int(info.max), int(s_info.max))
        x = clip(x, low, high)
    elif target.kind == "f" and source.kind == "f" and target.itemsize < source.itemsize:
        info = numpy.finfo(target)
        x = clip(x, float(info.min), float(info.max))
    return cast(x, target.name)

