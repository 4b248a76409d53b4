"""Activation functions: relu family, sigmoid family, elu/selu/gelu, softplus,
softsign, silu (swish), softmax, log_softmax.

These are the hot ops of every network, so each forward works in place on
one fresh buffer where it can, and each gradient reuses the forward's output
when that is cheaper than recomputing (sigmoid: ``g * y * (1 - y)``; tanh:
``g * (1 - y * y)``; elu: ``g * (y + alpha)`` on the negative side).

softmax, log_softmax and gelu get dedicated backward primitives
(``softmax_grad``, ``log_softmax_grad``, ``gelu_grad``): one fused pass
instead of a chain of small nodes, and they keep second derivatives
available through their own gradient rules.

All of them are stable for large inputs: softmax and log_softmax subtract the
maximum, softplus is ``max(x, 0) + log1p(exp(-|x|))``, sigmoid never
overflows into a warning.
"""
from __future__ import annotations

import contextlib
import math

from .arithmetic import Elementwise, Unary, trailing_width
from .base import ShapeError, Spec, normalize_axis, register
from .elementwise import FloatUnary, as_float, float_dtype, special_functions

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
GELU_CUBIC = 0.044715
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
INV_SQRT_2 = 1 / math.sqrt(2)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def quiet_overflow(xp):
    # exp(-x) overflowing to inf is intended in sigmoid (1 / inf = 0); numpy would warn
    errstate = getattr(xp, "errstate", None)
    return errstate(over="ignore") if errstate is not None else contextlib.nullcontext()


def buffer(xp, value):
    """``value`` as an array we may write into: numpy hands 0-d results back as scalars."""
    return value if isinstance(value, xp.ndarray) else xp.asarray(value)


def sigmoid_array(xp, x):
    """1 / (1 + exp(-x)) in one buffer, accurate in relative terms on both tails."""
    out = buffer(xp, xp.negative(x))
    with quiet_overflow(xp):
        xp.exp(out, out=out)
    out += 1
    return xp.reciprocal(out, out=out)


def exponential_linear(xp, x, alpha, scale):
    """scale * (max(x, 0) + alpha * expm1(min(x, 0))): elu and selu without a mask.

    expm1 only ever sees min(x, 0), so large positive x cannot overflow.
    """
    negative_side = buffer(xp, xp.minimum(x, 0))
    xp.expm1(negative_side, out=negative_side)
    negative_side *= alpha * scale
    out = buffer(xp, xp.maximum(x, 0))
    if scale != 1:
        out *= scale
    out += negative_side
    return out


def multiply_into(xp, out, other):
    """``out * other``, in ``out``'s buffer when shape and dtype allow."""
    if isinstance(out, xp.ndarray) and out.shape == other.shape and out.dtype == other.dtype:
        return xp.multiply(out, other, out=out)
    return out * other


def select(mask, a, b):
    """``a`` where ``mask`` else ``b`` for gradient rules, as ``a * mask + b * ~mask``.

    numpy's ``where`` mispredicts a branch per element on a random mask and is
    several times slower than these multiplications by bool.
    """
    return a * mask + b * ~mask


# ------------------------------------------------------------ relu family

@register
class Relu(Unary):
    """Keeps the input's dtype, integers included."""

    name = "relu"
    in_place_inputs = (0,)

    def forward(self, xp, x):
        return maximum_with_zero(xp, x)

    def forward_into(self, xp, out, x):
        return maximum_with_zero(xp, x, out=out)

    def gradient(self, ops, inputs, output, grad):
        return (grad * (output > 0),)


def maximum_with_zero(xp, x, out=None):
    """``maximum(x, 0)`` (into ``out`` if given, which may be ``x``), against a row of zeros
    rather than the scalar 0.

    numpy runs maximum against a scalar in an unvectorised loop (0.11 ms on
    64x24x24x10 float32, four times a copy); viewing a contiguous float
    array as rows of its trailing axes and comparing them with one zero row
    uses the vectorised array-array loop (0.035 ms).  Same values bit for
    bit, nan, -0.0 and infinities included.
    """
    if x.dtype.kind != "f" or x.ndim == 0 or x.size < 4096 or not x.flags.c_contiguous:
        return xp.maximum(x, 0, out=out)
    width = trailing_width(x.shape)
    if width < 64:
        return xp.maximum(x, 0, out=out)
    rows = x.reshape(-1, width)
    result = xp.maximum(rows, xp.zeros(width, dtype=x.dtype), out=None if out is None else out.reshape(-1, width))
    return result.reshape(x.shape) if out is None else out


@register
class Relu6(Unary):
    """Keeps the input's dtype, integers included."""

    name = "relu6"

    def forward(self, xp, x):
        out = buffer(xp, xp.maximum(x, 0))
        return xp.minimum(out, 6, out=out)

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        return (grad * ((x > 0) & (x < 6)),)


@register
class LeakyRelu(FloatUnary):
    name = "leaky_relu"

    def forward(self, xp, x, negative_slope=0.2):
        x = as_float(x)
        if 0 <= negative_slope <= 1:
            out = buffer(xp, x * negative_slope)
            return xp.maximum(x, out, out=out)
        return xp.where(x > 0, x, x * negative_slope)

    def gradient(self, ops, inputs, output, grad, negative_slope=0.2):
        (x,) = inputs
        return (select(x > 0, grad, grad * negative_slope),)


@register
class Elu(FloatUnary):
    name = "elu"

    def forward(self, xp, x, alpha=1.0):
        return exponential_linear(xp, as_float(x), alpha, 1.0)

    def gradient(self, ops, inputs, output, grad, alpha=1.0):
        (x,) = inputs
        return (select(x > 0, grad, grad * (output + alpha)),)


@register
class Selu(FloatUnary):
    name = "selu"

    def forward(self, xp, x):
        return exponential_linear(xp, as_float(x), SELU_ALPHA, SELU_SCALE)

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        return (select(x > 0, grad * SELU_SCALE, grad * (output + SELU_SCALE * SELU_ALPHA)),)


# ------------------------------------------------------------------- gelu

# 0.5 x (1 + tanh(u)) = x sigmoid(2u): the sigmoid form keeps float32 precision
# where tanh(u) is close to -1 (x below about -3) and 1 + tanh(u) would cancel;
# likewise the exact form uses erfc(-x / sqrt 2) rather than 1 + erf(x / sqrt 2).

def gelu_exponent(xp, x):
    """exp(-2u) for the tanh form, u = sqrt(2/pi) (x + 0.044715 x^3), in a fresh buffer."""
    out = buffer(xp, x * x)
    out *= GELU_CUBIC
    out += 1
    out *= x
    out *= -2 * SQRT_2_OVER_PI
    with quiet_overflow(xp):
        return xp.exp(out, out=out)


# erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z / 2), for z >= 0: the Chebyshev
# fit of Numerical Recipes (erfcc), relative error below 1.2e-7 everywhere,
# which is float32's own precision, at a fraction of scipy's erfc time
ERFC_COEFFICIENTS = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
                     0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def normal_cdf(xp, x):
    """Phi(x) = erfc(-x / sqrt 2) / 2 in a fresh buffer, accurate on the far negative side."""
    if x.dtype.itemsize > 4:
        out = buffer(xp, special_functions(xp).erfc(x * -INV_SQRT_2))
        out *= 0.5
        return out
    z = buffer(xp, xp.absolute(x))
    z *= INV_SQRT_2
    t = z * 0.5
    t += 1
    xp.reciprocal(t, out=t)
    out = t * ERFC_COEFFICIENTS[-1]
    for coefficient in ERFC_COEFFICIENTS[-2:0:-1]:
        out += coefficient
        out *= t
    out += ERFC_COEFFICIENTS[0]
    # -z^2 as -x^2 / 2: one rounding instead of two in the exponent
    xp.multiply(x, x, out=z)
    z *= 0.5
    out -= z
    xp.exp(out, out=out)
    out *= t
    out *= 0.5                       # Phi(-|x|)
    # Phi(x) = Phi(-|x|) + [x > 0] (1 - 2 Phi(-|x|)), without a branch per element
    upper = z
    xp.multiply(out, -2, out=upper)
    upper += 1
    upper *= x > 0
    out += upper
    return out


def gelu_derivative(xp, x, approximate):
    """d gelu / dx on arrays."""
    if approximate:
        # s + x s (1 - s) 2u', s = sigmoid(2u) = 1 / (1 + exp(-2u))
        s = gelu_exponent(xp, x)
        s += 1
        xp.reciprocal(s, out=s)
        slope = buffer(xp, x * x)
        slope *= 3 * GELU_CUBIC
        slope += 1
        slope *= 2 * SQRT_2_OVER_PI
        slope *= x
        slope *= 1 - s
        slope += 1
        slope *= s
        return slope
    # Phi(x) + x phi(x)
    density = buffer(xp, x * x)
    density *= -0.5
    xp.exp(density, out=density)
    density *= INV_SQRT_2PI
    density *= x
    density += normal_cdf(xp, x)
    return density


@register
class Gelu(FloatUnary):
    """Gaussian error linear unit; ``approximate=True`` is the tanh form (Keras ops' default)."""

    name = "gelu"

    def forward(self, xp, x, approximate=True):
        x = as_float(x)
        if approximate:
            out = gelu_exponent(xp, x)
            out += 1
            return xp.divide(x, out, out=out)
        out = normal_cdf(xp, x)
        out *= x
        return out

    def gradient(self, ops, inputs, output, grad, approximate=True):
        (x,) = inputs
        return (ops.gelu_grad(x, grad, approximate=approximate),)


@register
class GeluGrad(Elementwise):
    """``grad * gelu'(x)``: gelu's backward pass in one primitive."""

    name = "gelu_grad"

    def forward(self, xp, x, grad, approximate=True):
        return multiply_into(xp, gelu_derivative(xp, as_float(x), approximate), grad)

    def gradient(self, ops, inputs, output, grad, approximate=True):
        x, upstream = inputs
        if approximate:
            # gelu = x s(v), v = 2u:  gelu'' = s (1 - s) (2 v' + x ((1 - 2 s) v'^2 + v''))
            x_squared = x * x
            v = x * (1 + GELU_CUBIC * x_squared) * (2 * SQRT_2_OVER_PI)
            v_slope = (1 + 3 * GELU_CUBIC * x_squared) * (2 * SQRT_2_OVER_PI)
            s = ops.sigmoid(v)
            curvature = s * (1 - s) * (2 * v_slope + x * ((1 - 2 * s) * v_slope * v_slope
                                                          + (12 * GELU_CUBIC * SQRT_2_OVER_PI) * x))
        else:
            # gelu'' = phi(x) (2 - x^2)
            curvature = ops.exp(-0.5 * x * x) * INV_SQRT_2PI * (2 - x * x)
        grad_x = ops.sum_to_like(grad * upstream * curvature, x)
        grad_upstream = ops.sum_to_like(ops.gelu_grad(x, grad, approximate=approximate), upstream)
        return grad_x, grad_upstream


# --------------------------------------------------------- sigmoid family

@register
class Tanh(FloatUnary):
    name = "tanh"

    def forward(self, xp, x):
        return xp.tanh(as_float(x))

    def gradient(self, ops, inputs, output, grad):
        return (grad * (1 - output * output),)


@register
class Sigmoid(FloatUnary):
    name = "sigmoid"

    def forward(self, xp, x):
        return sigmoid_array(xp, as_float(x))

    def gradient(self, ops, inputs, output, grad):
        return (grad * output * (1 - output),)


@register
class HardSigmoid(FloatUnary):
    """Keras 3's ``relu6(x + 3) / 6``."""

    name = "hard_sigmoid"

    def forward(self, xp, x):
        out = buffer(xp, as_float(x) + 3)
        xp.maximum(out, 0, out=out)
        xp.minimum(out, 6, out=out)
        out /= 6
        return out

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        return (grad * ((x > -3) & (x < 3)) / 6,)


@register
class Silu(FloatUnary):
    """``x * sigmoid(x)``, also called swish."""

    name = "silu"

    def forward(self, xp, x):
        x = as_float(x)
        out = sigmoid_array(xp, x)
        out *= x
        return out

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        # d/dx x s(x) = s (1 + x (1 - s)) = s (1 + x - y)
        return (grad * ops.sigmoid(x) * (1 + x - output),)


@register
class Softplus(FloatUnary):
    name = "softplus"

    def forward(self, xp, x):
        x = as_float(x)
        out = buffer(xp, xp.absolute(x))
        xp.negative(out, out=out)
        xp.exp(out, out=out)
        xp.log1p(out, out=out)
        out += xp.maximum(x, 0)
        return out

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        return (grad * ops.sigmoid(x),)


@register
class Softsign(FloatUnary):
    name = "softsign"

    def forward(self, xp, x):
        x = as_float(x)
        denominator = buffer(xp, xp.absolute(x))
        denominator += 1
        return xp.divide(x, denominator, out=denominator)

    def gradient(self, ops, inputs, output, grad):
        (x,) = inputs
        denominator = 1 + ops.abs(x)
        return (grad / (denominator * denominator),)


# ---------------------------------------------------------------- softmax

#: rows longer than this are summed by numpy's pairwise sum (einsum adds them in a few running sums)
EINSUM_ROW_LIMIT = 4096


def _rows_along_last(x, axis) -> bool:
    """Whether ``axis`` is the last axis alone of a float32/float64 ``x`` with rows short
    enough for einsum's row sums."""
    ndim = x.ndim
    return (ndim >= 1 and x.dtype.char in "fd" and 0 < x.shape[-1] <= EINSUM_ROW_LIMIT
            and tuple(a % ndim for a in axis) == (ndim - 1,))


#: the widest range of values one shift for the whole array may cover: exp(-60) ~ 1e-26 keeps
#: float32's full precision, so a row whose maximum sits 60 below the array's stays exact
SHIFT_RANGE = 60.0


def _shift(xp, x):
    """What softmax subtracts before ``exp``: the array's maximum, one number, when all values lie
    within ``SHIFT_RANGE`` of it (two fast whole-array reductions); else each row's maximum
    (numpy's row reductions over short rows are ~6x slower).  Either shift keeps ``exp`` <= 1
    and every row's largest term >= exp(-60), so the result is the same up to rounding."""
    if x.size:
        top, bottom = x.max(), x.min()
        if top - bottom <= SHIFT_RANGE:      # False for NaN and infinities
            return top
    return x.max(axis=-1, keepdims=True)


class AlongAxis(FloatUnary):
    """Shape rule of ops normalised along ``axis`` (a tuple of ints)."""

    def infer(self, x, axis=(-1,)):
        normalize_axis(axis, len(x.shape), self.name)
        return Spec(tuple(x.shape), float_dtype(x.dtype))


@register
class Softmax(AlongAxis):
    name = "softmax"

    def forward(self, xp, x, axis=(-1,)):
        x = as_float(x)
        if _rows_along_last(x, axis):
            # rows along the last axis: einsum's row sums (several times faster than sum's
            # for short rows) and one reciprocal per row instead of a division per element
            out = xp.subtract(x, _shift(xp, x))
            xp.exp(out, out=out)
            totals = xp.einsum("...i->...", out)
            xp.reciprocal(totals, out=totals)
            out *= totals[..., None]
            return out
        out = buffer(xp, x - x.max(axis=axis, keepdims=True))
        xp.exp(out, out=out)
        out /= out.sum(axis=axis, keepdims=True)
        return out

    def gradient(self, ops, inputs, output, grad, axis=(-1,)):
        return (ops.softmax_grad(output, grad, axis=axis),)


@register
class LogSoftmax(AlongAxis):
    name = "log_softmax"

    def forward(self, xp, x, axis=(-1,)):
        x = as_float(x)
        out = x - x.max(axis=axis, keepdims=True)
        out -= xp.log(xp.exp(out).sum(axis=axis, keepdims=True))
        return out

    def gradient(self, ops, inputs, output, grad, axis=(-1,)):
        return (ops.log_softmax_grad(output, grad, axis=axis),)


class AxisGrad(Elementwise):
    """Shape rule of the fused softmax backward ops: (output, grad) of one shape."""

    def infer(self, output, grad, axis=(-1,)):
        if len(output.shape) != len(grad.shape) or any(
                a is not None and b is not None and a != b for a, b in zip(output.shape, grad.shape)):
            raise ShapeError(f"{self.name}: output shape {tuple(output.shape)} and gradient shape "
                             f"{tuple(grad.shape)} differ")
        normalize_axis(axis, len(output.shape), self.name)
        return super().infer(output, grad)


@register
class SoftmaxGrad(AxisGrad):
    """``y * (g - sum(g * y, axis))``: softmax's backward pass from its output ``y``."""

    name = "softmax_grad"

    def forward(self, xp, y, grad, axis=(-1,)):
        if _rows_along_last(y, axis) and grad.dtype == y.dtype and grad.shape == y.shape:
            # sum(g * y) per row without the product's buffer
            out = xp.subtract(grad, xp.einsum("...i,...i->...", grad, y)[..., None])
            out *= y
            return out
        total = (grad * y).sum(axis=axis, keepdims=True)
        return multiply_into(xp, grad - total, y)

    def gradient(self, ops, inputs, output, upstream, axis=(-1,)):
        y, grad = inputs
        total = ops.sum(grad * y, axis=axis, keepdims=True)
        upstream_total = ops.sum(upstream * y, axis=axis, keepdims=True)
        grad_y = upstream * (grad - total) - grad * upstream_total
        return grad_y, ops.softmax_grad(y, upstream, axis=axis)


@register
class LogSoftmaxGrad(AxisGrad):
    """``g - exp(y) * sum(g, axis)``: log_softmax's backward pass from its output ``y``."""

    name = "log_softmax_grad"

    def forward(self, xp, y, grad, axis=(-1,)):
        out = xp.exp(y)
        out *= grad.sum(axis=axis, keepdims=True)
        return grad - out

    def gradient(self, ops, inputs, output, upstream, axis=(-1,)):
        y, grad = inputs
        probabilities = ops.exp(y)
        weighted = upstream * probabilities
        grad_y = -weighted * ops.sum(grad, axis=axis, keepdims=True)
        grad_grad = upstream - ops.sum(weighted, axis=axis, keepdims=True)
        return grad_y, grad_grad
