"""More elementwise math, one table each: float functions of one input, of two
inputs, integer/bitwise functions and tests.

Float functions (``tan``, ``arcsinh``, ``log2``, ``cbrt``, ``erfinv``,
``arctan2``, ``hypot``, ``logaddexp`` ...) give floats: integer and bool
inputs become floatx, as in Keras.  Integer-valued ones (``floor_divide``,
``mod``, ``gcd``, the bitwise ops) keep Keras' promoted dtype
(``primitives.dtypes``).  Each gradient rule is one line in the table below,
written with the namespace's primitives like every other rule.
"""
from __future__ import annotations

import math

import numpy

from .arithmetic import Elementwise, Unary
from .base import Spec, broadcast_shapes, register
from .dtypes import float_result, result_type
from .elementwise import as_float, float_dtype, special_functions

LN2, LN10 = math.log(2.0), math.log(10.0)


def _zero(ops, x, y, g):
    return ops.zeros_like(g)


#: name -> (forward on a float array, gradient(ops, x, y, g))
FLOAT_UNARY = {
    "tan": (lambda xp, x: xp.tan(x), lambda ops, x, y, g: g * (y * y + 1)),
    "arcsin": (lambda xp, x: xp.arcsin(x), lambda ops, x, y, g: g / ops.sqrt(1 - x * x)),
    "arccos": (lambda xp, x: xp.arccos(x), lambda ops, x, y, g: -g / ops.sqrt(1 - x * x)),
    "arctan": (lambda xp, x: xp.arctan(x), lambda ops, x, y, g: g / (x * x + 1)),
    "sinh": (lambda xp, x: xp.sinh(x), lambda ops, x, y, g: g * ops.cosh(x)),
    "cosh": (lambda xp, x: xp.cosh(x), lambda ops, x, y, g: g * ops.sinh(x)),
    "arcsinh": (lambda xp, x: xp.arcsinh(x), lambda ops, x, y, g: g / ops.sqrt(x * x + 1)),
    "arccosh": (lambda xp, x: xp.arccosh(x), lambda ops, x, y, g: g / ops.sqrt(x * x - 1)),
    "arctanh": (lambda xp, x: xp.arctanh(x), lambda ops, x, y, g: g / (1 - x * x)),
    "log2": (lambda xp, x: xp.log2(x), lambda ops, x, y, g: g / (x * LN2)),
    "log10": (lambda xp, x: xp.log10(x), lambda ops, x, y, g: g / (x * LN10)),
    "exp2": (lambda xp, x: xp.exp2(x), lambda ops, x, y, g: g * y * LN2),
    "cbrt": (lambda xp, x: xp.cbrt(x), lambda ops, x, y, g: g / (3 * y * y)),
    "rsqrt": (lambda xp, x: 1 / xp.sqrt(x), lambda ops, x, y, g: g * -0.5 * y * y * y),
    "deg2rad": (lambda xp, x: xp.deg2rad(x), lambda ops, x, y, g: g * (math.pi / 180)),
    "rad2deg": (lambda xp, x: xp.rad2deg(x), lambda ops, x, y, g: g * (180 / math.pi)),
    "fabs": (lambda xp, x: xp.fabs(x), lambda ops, x, y, g: g * ops.sign(x)),
    "erfc": (lambda xp, x: special_functions(xp).erfc(x),
             lambda ops, x, y, g: g * (-2 / math.sqrt(math.pi)) * ops.exp(-x * x)),
    "erfinv": (lambda xp, x: special_functions(xp).erfinv(x),
               lambda ops, x, y, g: g * (math.sqrt(math.pi) / 2) * ops.exp(y * y)),
    "sinc": (lambda xp, x: xp.sinc(x),
             lambda ops, x, y, g: g * ops.where(ops.equal(x, 0), ops.zeros_like(x),
                                                (ops.cos(x * math.pi) - y) / ops.where(
                                                    ops.equal(x, 0), ops.ones_like(x), x))),
    "i0": (lambda xp, x: special_functions(xp).i0(x), lambda ops, x, y, g: g * ops.i1(x)),
    "i1": (lambda xp, x: special_functions(xp).i1(x),
           lambda ops, x, y, g: g * (ops.i0(x) - ops.where(ops.equal(x, 0), ops.zeros_like(x) + 0.5,
                                                             y / ops.where(ops.equal(x, 0), ops.ones_like(x), x)))),
}


class FloatFunction(Unary):
    def infer(self, x, **attrs):
        return Spec(tuple(x.shape), float_dtype(x.dtype))

    def forward(self, xp, x):
        x = as_float(x)
        return xp.asarray(self.function(xp, x)).astype(x.dtype, copy=False)

    def gradient(self, ops, inputs, output, grad):
        return (self.rule(ops, inputs[0], output, grad),)


for _name, (_function, _rule) in FLOAT_UNARY.items():
    register(type(_name.title() + "Function", (FloatFunction,),
                  {"name": _name, "function": staticmethod(_function), "rule": staticmethod(_rule)}))


@register
class Trunc(Unary):
    """Rounding toward zero; keeps the dtype, zero gradient."""

    name = "trunc"

    def forward(self, xp, x):
        return xp.trunc(x) if x.dtype.kind in "fc" else x.copy()

    def gradient(self, ops, inputs, output, grad):
        return (ops.zeros_like(grad),)


# ------------------------------------------------------------- two inputs

def _gx(ops, g, x):
    return ops.sum_to_like(g, x)


#: name -> (forward on float arrays, gradient(ops, x, y, out, g) -> (dx, dy))
FLOAT_BINARY = {
    "arctan2": (lambda xp, a, b: xp.arctan2(a, b),
                lambda ops, a, b, out, g: (_gx(ops, g * b / (a * a + b * b), a),
                                           _gx(ops, -g * a / (a * a + b * b), b))),
    "hypot": (lambda xp, a, b: xp.hypot(a, b),
              lambda ops, a, b, out, g: (_gx(ops, g * a / out, a), _gx(ops, g * b / out, b))),
    "logaddexp": (lambda xp, a, b: xp.logaddexp(a, b),
                  lambda ops, a, b, out, g: (_gx(ops, g * ops.exp(a - out), a), _gx(ops, g * ops.exp(b - out), b))),
    "logaddexp2": (lambda xp, a, b: xp.logaddexp2(a, b),
                   lambda ops, a, b, out, g: (_gx(ops, g * ops.exp2(a - out), a),
                                              _gx(ops, g * ops.exp2(b - out), b))),
}


class FloatBinary(Elementwise):
    def infer(self, a, b, **attrs):
        return Spec(broadcast_shapes(self.name, a.shape, b.shape), float_result(a.dtype, b.dtype))

    def forward(self, xp, a, b):
        dtype = float_result(a.dtype, b.dtype)
        return xp.asarray(self.function(xp, a.astype(dtype, copy=False), b.astype(dtype, copy=False)))

    def gradient(self, ops, inputs, output, grad):
        return self.rule(ops, inputs[0], inputs[1], output, grad)


for _name, (_function, _rule) in FLOAT_BINARY.items():
    register(type(_name.title() + "Function", (FloatBinary,),
                  {"name": _name, "function": staticmethod(_function), "rule": staticmethod(_rule)}))


class Promoting(Elementwise):
    """Two inputs promoted by Keras' rules, then numpy's ufunc of the same dtype."""

    ufunc = ""
    #: arithmetic on two bools gives int32 in Keras (the bitwise ops keep bool)
    bool_result = "int32"

    def dtype(self, a, b):
        dtype = result_type(a, b)
        return numpy.dtype(self.bool_result) if dtype.kind == "b" else dtype

    def infer(self, a, b, **attrs):
        return Spec(broadcast_shapes(self.name, a.shape, b.shape), self.dtype(a.dtype, b.dtype))

    def forward(self, xp, a, b):
        dtype = self.dtype(a.dtype, b.dtype)
        out = getattr(xp, self.ufunc or self.name)(a.astype(dtype, copy=False), b.astype(dtype, copy=False))
        return xp.asarray(out).astype(dtype, copy=False)


@register
class FloorDivide(Promoting):
    """``x1 // x2`` (floor of the quotient); zero gradient like floor."""

    name = "floor_divide"

    def gradient(self, ops, inputs, output, grad):
        a, b = inputs
        return _gx(ops, ops.zeros_like(grad), a), _gx(ops, ops.zeros_like(grad), b)


@register
class Mod(Promoting):
    """``x1 % x2`` with the sign of ``x2`` (numpy's remainder)."""

    name = "mod"
    ufunc = "remainder"

    def gradient(self, ops, inputs, output, grad):
        a, b = inputs
        return _gx(ops, grad, a), _gx(ops, -grad * ops.floor_divide(a, b), b)


@register
class Fmod(Promoting):
    """C's fmod: the remainder with the sign of ``x1``."""

    name = "fmod"

    def gradient(self, ops, inputs, output, grad):
        a, b = inputs
        return _gx(ops, grad, a), _gx(ops, -grad * ops.trunc(a / b), b)


class NanExtremum(Promoting):
    """fmax/fmin: the larger/smaller, ignoring NaN; the gradient goes to the chosen input (x1 on ties)."""

    bool_result = "bool"

    def gradient(self, ops, inputs, output, grad):
        a, b = inputs
        first = ops.logical_or(ops.equal(output, a), ops.isnan(b))
        zero = ops.zeros_like(grad)
        return _gx(ops, ops.where(first, grad, zero), a), _gx(ops, ops.where(first, zero, grad), b)


@register
class Fmax(NanExtremum):
    name = "fmax"


@register
class Fmin(NanExtremum):
    name = "fmin"


@register
class Heaviside(Promoting):
    """0 below zero, 1 above, ``x2`` at zero; only ``x2`` gets a gradient (where ``x1 == 0``)."""

    name = "heaviside"

    def forward(self, xp, a, b):
        dtype = float_result(a.dtype, b.dtype)
        return xp.heaviside(a.astype(dtype), b.astype(dtype))

    def infer(self, a, b, **attrs):
        return Spec(broadcast_shapes(self.name, a.shape, b.shape), float_result(a.dtype, b.dtype))

    def gradient(self, ops, inputs, output, grad):
        a, b = inputs
        return (_gx(ops, ops.zeros_like(grad), a),
                _gx(ops, ops.where(ops.equal(a, 0), grad, ops.zeros_like(grad)), b))


@register
class Ldexp(Elementwise):
    """``x1 * 2 ** x2`` for integer ``x2``."""

    name = "ldexp"

    def infer(self, a, b, **attrs):
        return Spec(broadcast_shapes(self.name, a.shape, b.shape), float_dtype(a.dtype))

    def forward(self, xp, a, b):
        return xp.asarray(xp.ldexp(as_float(a), b.astype("int32")))

    def gradient(self, ops, inputs, output, grad):
        a, b = inputs
        return _gx(ops, grad * ops.exp2(ops.cast(b, dtype=grad.dtype.name)), a), None


class NoGradient(Promoting):
    differentiable = False
    bool_result = "bool"


@register
class Nextafter(Promoting):
    """The next float after ``x1`` toward ``x2`` (no gradient)."""

    name = "nextafter"
    differentiable = False

    def infer(self, a, b, **attrs):
        return Spec(broadcast_shapes(self.name, a.shape, b.shape), float_result(a.dtype, b.dtype))

    def forward(self, xp, a, b):
        dtype = float_result(a.dtype, b.dtype)
        return xp.nextafter(a.astype(dtype), b.astype(dtype))


for _name, _ufunc in (("gcd", ""), ("lcm", ""), ("bitwise_and", ""), ("bitwise_or", ""),
                      ("bitwise_xor", ""), ("left_shift", ""), ("right_shift", "")):
    register(type("".join(p.title() for p in _name.split("_")), (NoGradient,), {"name": _name, "ufunc": _ufunc}))


@register
class BitwiseInvert(Unary):
    name = "bitwise_invert"
    differentiable = False

    def forward(self, xp, x):
        return xp.invert(x)


class Test(Unary):
    """An elementwise test: bool output, no gradient."""

    differentiable = False

    def infer(self, x, **attrs):
        return Spec(tuple(x.shape), numpy.dtype(bool))

    def forward(self, xp, x):
        return xp.asarray(getattr(xp, self.name)(x))


for _name in ("signbit", "isneginf", "isposinf", "isreal"):
    register(type(_name.title(), (Test,), {"name": _name}))


@register
class Isclose(Elementwise):
    """``|x1 - x2| <= atol + rtol * |x2|`` (NaNs equal with equal_nan); bool, no gradient."""

    name = "isclose"
    differentiable = False

    def infer(self, a, b, **attrs):
        return Spec(broadcast_shapes(self.name, a.shape, b.shape), numpy.dtype(bool))

    def forward(self, xp, a, b, rtol, atol, equal_nan):
        return xp.asarray(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@register
class ComplexPart(Unary):
    """``part``: 'real', 'imag', 'angle' (real results) or 'conj' of a complex input; no gradient."""

    name = "complex_part"
    differentiable = False

    def infer(self, x, part):
        dtype = numpy.dtype(x.dtype)
        if part != "conj":
            dtype = numpy.dtype("float64" if dtype == numpy.complex128 else "float32")
        return Spec(tuple(x.shape), dtype)

    def forward(self, xp, x, part):
        if part == "conj":
            return xp.conj(x)
        out = {"real": xp.real, "imag": xp.imag, "angle": xp.angle}[part](x)
        return xp.asarray(out).astype("float64" if x.dtype == numpy.complex128 else "float32")


@register
class Bitcast(Unary):
    """The bytes of ``x`` read as ``dtype``; the last axis scales by the itemsize ratio (no gradient)."""

    name = "bitcast"
    differentiable = False

    def infer(self, x, dtype):
        old, new = numpy.dtype(x.dtype).itemsize, numpy.dtype(dtype).itemsize
        shape = tuple(x.shape)
        if old != new:
            if not shape or shape[-1] is None or (shape[-1] * old) % new:
                raise ValueError(f"view: cannot read the last axis of {shape} ({x.dtype}) as {dtype}")
            shape = shape[:-1] + (shape[-1] * old // new,)
        return Spec(shape, numpy.dtype(dtype))

    def forward(self, xp, x, dtype):
        return xp.ascontiguousarray(x).view(dtype)


@register
class ComplexView(Unary):
    """``to='real'``: complex (...) -> float (..., 2); ``to='complex'``: the reverse (no gradient)."""

    name = "complex_view"
    differentiable = False

    def infer(self, x, to):
        dtype = numpy.dtype(x.dtype)
        if to == "real":
            return Spec(tuple(x.shape) + (2,), numpy.dtype("float64" if dtype == numpy.complex128 else "float32"))
        if not x.shape or x.shape[-1] not in (2, None):
            raise ValueError(f"view_as_complex: the last axis must have size 2, got shape {tuple(x.shape)}")
        return Spec(tuple(x.shape[:-1]), numpy.dtype("complex128" if dtype == numpy.float64 else "complex64"))

    def forward(self, xp, x, to):
        if to == "real":
            return xp.stack([x.real, x.imag], axis=-1)
        return xp.ascontiguousarray(x).view("complex128" if x.dtype == numpy.float64 else "complex64")[..., 0]
