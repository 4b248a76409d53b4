"""Unary math, comparisons and logical ops, cast, where, clip.

Everything here maps one array to one array of the same (broadcast) shape.
Transcendental functions (exp, log, sqrt, sin, ...) give floats: integer and
bool inputs are first cast to ``floatx``, as Keras does.  Comparisons and
logical ops give bool and have no gradient; ``sign``, ``floor``, ``ceil`` and
``round`` have a zero gradient (like PyTorch), so a loss through them can
still call ``backward()``.

Gradient rules reuse the forward's output where that saves work
(``exp``: ``grad * output``; ``sqrt``: ``grad * 0.5 / output``).
"""
from __future__ import annotations

import math

import numpy

from .. import backend
from .arithmetic import Elementwise, Unary, promoted
from .dtypes import result_type as promoted_dtype
from .base import Primitive, Spec, broadcast_shapes, register


def float_dtype(dtype) -> numpy.dtype:
    """The dtype a float-valued function gives for ``dtype``: floats stay, the rest become floatx."""
    dtype = numpy.dtype(dtype)
    return dtype if dtype.kind in "fc" else numpy.dtype(backend.floatx())


def as_float(x):
    """``x`` itself when it is a float array, else cast to floatx (matches ``float_dtype``)."""
    return x if x.dtype.kind in "fc" else x.astype(backend.floatx())


def special_functions(xp):
    """scipy.special for numpy, cupyx.scipy.special for cupy: erf lives there, not in xp."""
    if xp.__name__ == "cupy":
        import cupyx.scipy.special as special
    else:
        import scipy.special as special
    return special


class FloatUnary(Unary):
    """A float-valued function of one input: ints and bools are cast to floatx first."""

    def infer(self, x, **attrs):
        return Spec(tuple(x.shape), float_dtype(x.dtype))


class NumericUnary(Unary):
    """A function that keeps numeric dtypes (abs, square, ...): numpy's ufunc decides."""

    ufunc = ""

    def infer(self, x, **attrs):
        dtype = getattr(numpy, self.ufunc or self.name)(numpy.empty(0, x.dtype)).dtype
        return Spec(tuple(x.shape), dtype)


class Comparison(Primitive):
    """Broadcasting comparison or logical op: bool output, no gradient."""

    differentiable = False

    def infer(self, *inputs, **attrs):
        return Spec(broadcast_shapes(self.name, *(x.shape for x in inputs)), numpy.dtype(bool))

    def forward(self, xp, *arrays):
        return getattr(xp, self.name)(*arrays)


class Predicate(Unary):
    """Elementwise test of one input (isnan, ...): bool output, no gradient."""

    differentiable = False

    def infer(self, x, **attrs):
        return Spec(tuple(x.shape), numpy.dtype(bool))

    def forward(self, xp, x):
        return getattr(xp, self.name)(x)


# ------------------------------------------------------------- unary, smooth

@register
class Square(NumericUnary):
    name = "square"

    def infer(self, x, **attrs):
        return Spec(tuple(x.shape), numpy.dtype("int32") if numpy.dtype(x.dtype).kind == "b" else x.dtype)

    def forward(self, xp, x):
        return xp.square(x.astype("int32") if x.dtype.kind == "b" else x)

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        return (grad * 2 * x,)


@register
class Sqrt(FloatUnary):
    name = "sqrt"

    def forward(self, xp, x):
        return xp.sqrt(as_float(x))

    def gradient(self, ops, inputs, output, grad):
        return (grad * 0.5 / output,)


@register
class Exp(FloatUnary):
    name = "exp"

    def forward(self, xp, x):
        return xp.exp(as_float(x))

    def gradient(self, ops, inputs, output, grad):
        return (grad * output,)


@register
class Expm1(FloatUnary):
    name = "expm1"

    def forward(self, xp, x):
        return xp.expm1(as_float(x))

    def gradient(self, ops, inputs, output, grad):
        return (grad * (output + 1),)


@register
class Log(FloatUnary):
    name = "log"

    def forward(self, xp, x):
        return xp.log(as_float(x))

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        return (grad / x,)


@register
class Log1p(FloatUnary):
    name = "log1p"

    def forward(self, xp, x):
        return xp.log1p(as_float(x))

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        return (grad / (x + 1),)


@register
class Reciprocal(FloatUnary):
    name = "reciprocal"

    def forward(self, xp, x):
        x = as_float(x)
        return xp.reciprocal(x)

    def gradient(self, ops, inputs, output, grad):
        return (-grad * output * output,)


@register
class Sin(FloatUnary):
    name = "sin"

    def forward(self, xp, x):
        return xp.sin(as_float(x))

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        return (grad * ops.cos(x),)


@register
class Cos(FloatUnary):
    name = "cos"

    def forward(self, xp, x):
        return xp.cos(as_float(x))

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        return (-grad * ops.sin(x),)


@register
class Erf(FloatUnary):
    name = "erf"

    def forward(self, xp, x):
        x = as_float(x)
        return special_functions(xp).erf(x).astype(x.dtype, copy=False)

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        return (grad * (2 / math.sqrt(math.pi)) * ops.exp(-x * x),)


# ------------------------------------------------- unary, piecewise constant

@register
class Abs(NumericUnary):
    name = "abs"
    ufunc = "absolute"

    def forward(self, xp, x):
        return xp.absolute(x)

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        return (grad * ops.sign(x),)


class ZeroGradient(NumericUnary):
    """Piecewise constant functions: the gradient is zero almost everywhere."""

    def gradient(self, ops, inputs, output, grad):
        return (ops.zeros_like(grad),)


@register
class Sign(ZeroGradient):
    name = "sign"

    def forward(self, xp, x):
        return xp.sign(x)


@register
class Floor(ZeroGradient):
    """Largest integer not above ``x``; integers and bools give floatx, as in Keras 3."""

    name = "floor"

    def infer(self, x, **attrs):
        return Spec(tuple(x.shape), float_dtype(x.dtype))

    def forward(self, xp, x):
        return xp.floor(as_float(x))


@register
class Ceil(ZeroGradient):
    """Smallest integer not below ``x``; integers and bools give floatx, as in Keras 3."""

    name = "ceil"

    def infer(self, x, **attrs):
        return Spec(tuple(x.shape), float_dtype(x.dtype))

    def forward(self, xp, x):
        return xp.ceil(as_float(x))


@register
class Round(ZeroGradient):
    """Round half to even, like numpy and Keras; ``decimals`` as in ``numpy.round``."""

    name = "round"

    def infer(self, x, decimals=0):
        return Spec(tuple(x.shape), numpy.round(numpy.empty(0, x.dtype), decimals).dtype)

    def forward(self, xp, x, decimals=0):
        return xp.round(x, decimals)

    def gradient(self, ops, inputs, output, grad, decimals=0):
        return (ops.zeros_like(grad),)


# ------------------------------------------------------------------- binary

def bool_mask(ops, condition):
    """``condition`` as bool: masks multiply gradients (``grad * mask``), since
    ``where`` on a random mask is several times slower in numpy (branch misses)."""
    dtype = getattr(condition, "dtype", None)
    if dtype is not None and numpy.dtype(dtype) == numpy.bool_:
        return condition
    return ops.not_equal(condition, 0)


class MaxMin(Elementwise):
    def gradient(self, ops, inputs, output, grad):
        x, y = inputs
        # on ties the whole gradient goes to x, like TensorFlow
        grad_x = grad * self.x_wins(x, y)
        return ops.sum_to_like(grad_x, x), ops.sum_to_like(grad - grad_x, y)


@register
class Maximum(MaxMin):
    name = "maximum"

    def forward(self, xp, x, y):
        x, y = promoted(x, y)
        return xp.maximum(x, y)

    @staticmethod
    def x_wins(x, y):
        return x >= y


@register
class Minimum(MaxMin):
    name = "minimum"

    def forward(self, xp, x, y):
        x, y = promoted(x, y)
        return xp.minimum(x, y)

    @staticmethod
    def x_wins(x, y):
        return x <= y


@register
class Clip(Unary):
    """``x`` limited to ``[min, max]`` (static bounds; the gradient passes where inside, bounds included)."""

    name = "clip"

    def infer(self, x, min=None, max=None):
        # Python bounds are weak, as in numpy: float32 stays float32, int with a float bound gives float
        dtype = numpy.result_type(x.dtype, *(b for b in (min, max) if b is not None))
        return Spec(tuple(x.shape), dtype)

    def forward(self, xp, x, min=None, max=None):
        return xp.clip(x, min, max)

    def gradient(self, ops, inputs, output, grad, min=None, max=None):
        (x,) = inputs
        if min is None and max is None:
            return (grad,)
        if min is None:
            inside = x <= max
        elif max is None:
            inside = x >= min
        else:
            inside = (x >= min) & (x <= max)
        return (grad * inside,)


@register
class Where(Primitive):
    """``x`` where ``condition`` holds, else ``y``; all three broadcast together."""

    name = "where"

    def infer(self, condition, x, y):
        shape = broadcast_shapes(self.name, condition.shape, x.shape, y.shape)
        return Spec(shape, promoted_dtype(x.dtype, y.dtype))

    def forward(self, xp, condition, x, y):
        x, y = promoted(x, y)
        return xp.where(condition, x, y)

    def gradient(self, ops, inputs, output, grad):
        condition, x, y = inputs
        grad_x = grad * bool_mask(ops, condition)
        return None, ops.sum_to_like(grad_x, x), ops.sum_to_like(grad - grad_x, y)


@register
class Cast(Unary):
    """``x`` as ``dtype`` (a dtype name); the gradient is cast back, float to float only."""

    name = "cast"

    def infer(self, x, dtype):
        return Spec(tuple(x.shape), numpy.dtype(dtype))

    def forward(self, xp, x, dtype):
        return x.astype(dtype, copy=False)

    def gradient(self, ops, inputs, output, grad, dtype):
        (x,) = inputs
        source = numpy.dtype(x.dtype)
        if source.kind not in "fc" or numpy.dtype(dtype).kind not in "fc":
            return (None,)
        return (ops.cast(grad, dtype=source.name),)


# --------------------------------------------------- comparisons and logic

@register
class Equal(Comparison):
    name = "equal"


@register
class NotEqual(Comparison):
    name = "not_equal"


@register
class Less(Comparison):
    name = "less"


@register
class LessEqual(Comparison):
    name = "less_equal"


@register
class Greater(Comparison):
    name = "greater"


@register
class GreaterEqual(Comparison):
    name = "greater_equal"


@register
class LogicalAnd(Comparison):
    name = "logical_and"


@register
class LogicalOr(Comparison):
    name = "logical_or"


@register
class LogicalXor(Comparison):
    name = "logical_xor"


@register
class LogicalNot(Predicate):
    name = "logical_not"


@register
class IsNan(Predicate):
    name = "isnan"


@register
class IsInf(Predicate):
    name = "isinf"


@register
class IsFinite(Predicate):
    name = "isfinite"
