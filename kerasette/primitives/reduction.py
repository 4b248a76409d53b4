"""Reductions with axis and keepdims, argmax/argmin, cumsum.

Every reduction takes ``axis`` as a sorted tuple of non-negative ints (the
public functions normalise ``None`` and negative axes) and ``keepdims``.
Their gradient rules put the reduced axes back with ``expand_dims`` (static
positions) and ``broadcast_like`` (the run-time shape), so they also work on
graphs whose batch size is ``None``.  Divisors that depend on the size of a
reduced axis (mean, var, std) come from ``reduction_count``, which reads the
run-time array, for the same reason.
"""
from __future__ import annotations

import numpy

from .. import backend
from .base import Primitive, ShapeError, Spec, reduced_shape, register


def accumulation_dtype(dtype) -> numpy.dtype:
    """cumsum keeps the input's dtype, as in Keras; booleans count as int32."""
    dtype = numpy.dtype(dtype)
    return numpy.dtype("int32") if dtype.kind == "b" else dtype


def total_dtype(dtype) -> numpy.dtype:
    """sum/prod as Keras 3: integers narrower than 32 bits add up in (u)int32, bools in int32."""
    dtype = numpy.dtype(dtype)
    if dtype.kind == "b":
        return numpy.dtype("int32")
    if dtype.kind in "iu" and dtype.itemsize < 4:
        return numpy.dtype("uint32" if dtype.kind == "u" else "int32")
    return dtype


def float_dtype(dtype) -> numpy.dtype:
    """mean/var/std of integers are floatx, as in Keras; floats keep their type."""
    dtype = numpy.dtype(dtype)
    return dtype if dtype.kind in "fc" else numpy.dtype(backend.floatx())


def check_axes(op_name, shape, axis):
    rank = len(shape)
    for a in axis:
        if not 0 <= a < rank:
            raise ShapeError(f"{op_name}: axis {a} is out of range for shape of rank {rank}")


def as_array(xp, value):
    # reductions over every axis give numpy scalars; keep arrays everywhere
    return value if isinstance(value, xp.ndarray) else xp.asarray(value)


def expand_reduced(ops, grad, axis, keepdims):
    """``grad`` of a reduction with the reduced axes restored as size 1."""
    if keepdims or not axis:
        return grad
    return ops.expand_dims(grad, axis=axis)


class Reduction(Primitive):
    """Shape rule of reductions: drop (or keep as 1) the axes in ``axis``."""

    def output_dtype(self, dtype):
        return numpy.dtype(dtype)

    def infer(self, x, axis=(), keepdims=False):
        check_axes(self.name, x.shape, axis)
        return Spec(reduced_shape(tuple(x.shape), axis, keepdims), self.output_dtype(x.dtype))


# ------------------------------------------------------------------- helpers

@register
class ReductionCount(Primitive):
    """How many elements each reduction over ``axis`` covers, read at run time.

    A scalar of ``x``'s float dtype: the divisor of mean and var, known only
    when the graph runs if a reduced axis is the batch.
    """

    name = "reduction_count"
    differentiable = False

    def infer(self, x, axis=()):
        check_axes(self.name, x.shape, axis)
        return Spec((), float_dtype(x.dtype))

    def forward(self, xp, x, axis=()):
        count = 1
        for a in axis:
            count *= x.shape[a]
        return xp.asarray(count, dtype=float_dtype(x.dtype))


@register
class ExtremumShare(Primitive):
    """Each element's share of the gradient of a max/min: 1/k where it ties the extremum k times, else 0.

    Ties split the gradient evenly, like TensorFlow's reduce_max (PyTorch's
    ``amax`` does the same).  ``output`` is the max or min of ``x`` over
    ``axis``; the share is piecewise constant, so it has no gradient.
    """

    name = "extremum_share"
    differentiable = False

    def infer(self, x, output, axis=(), keepdims=False):
        return Spec(tuple(x.shape), float_dtype(x.dtype))

    def forward(self, xp, x, output, axis=(), keepdims=False):
        if not keepdims and axis:
            output = xp.expand_dims(output, axis)
        hits = (x == output).astype(float_dtype(x.dtype))
        hits /= hits.sum(axis=axis, keepdims=True)
        return hits


# ---------------------------------------------------------------- reductions

@register
class Sum(Reduction):
    name = "sum"
    label = "Sum"

    def output_dtype(self, dtype):
        return total_dtype(dtype)

    def forward(self, xp, x, axis=(), keepdims=False):
        return as_array(xp, xp.sum(x, axis=axis, keepdims=keepdims, dtype=total_dtype(x.dtype)))

    def gradient(self, ops, inputs, output, grad, axis=(), keepdims=False):
        (x,) = inputs
        return (ops.broadcast_like(expand_reduced(ops, grad, axis, keepdims), x),)


@register
class Mean(Reduction):
    name = "mean"
    label = "Mean"

    def output_dtype(self, dtype):
        return float_dtype(dtype)

    def forward(self, xp, x, axis=(), keepdims=False):
        return as_array(xp, xp.mean(x, axis=axis, keepdims=keepdims, dtype=float_dtype(x.dtype)))

    def gradient(self, ops, inputs, output, grad, axis=(), keepdims=False):
        (x,) = inputs
        spread = ops.broadcast_like(expand_reduced(ops, grad, axis, keepdims), x)
        return (spread / ops.reduction_count(x, axis=axis),)


class Extremum(Reduction):
    def gradient(self, ops, inputs, output, grad, axis=(), keepdims=False):
        (x,) = inputs
        share = ops.extremum_share(x, output, axis=axis, keepdims=keepdims)
        return (share * expand_reduced(ops, grad, axis, keepdims),)


@register
class Max(Extremum):
    """Largest element; the gradient splits evenly among tied maxima (see ``extremum_share``)."""

    name = "max"
    label = "Max"

    def forward(self, xp, x, axis=(), keepdims=False):
        return as_array(xp, xp.max(x, axis=axis, keepdims=keepdims))


@register
class Min(Extremum):
    """Smallest element; the gradient splits evenly among tied minima."""

    name = "min"
    label = "Min"

    def forward(self, xp, x, axis=(), keepdims=False):
        return as_array(xp, xp.min(x, axis=axis, keepdims=keepdims))


@register
class Prod(Reduction):
    """Product over ``axis``.

    The gradient is ``grad * prod / x``: exact wherever ``x`` is nonzero, and
    not defined (inf/nan) at zeros, as in TensorFlow's simple rule.  A
    zero-safe rule (products of the other elements through exclusive
    cumulative products) would need a second-order rule of its own; it is
    left out because products of activations are rare in networks.
    """

    name = "prod"
    label = "Prod"

    def output_dtype(self, dtype):
        return total_dtype(dtype)

    def forward(self, xp, x, axis=(), keepdims=False):
        return as_array(xp, xp.prod(x, axis=axis, keepdims=keepdims, dtype=total_dtype(x.dtype)))

    def gradient(self, ops, inputs, output, grad, axis=(), keepdims=False):
        (x,) = inputs
        weighted = expand_reduced(ops, grad * output, axis, keepdims)
        return (weighted / x,)


@register
class Var(Reduction):
    """Population variance (divisor n), like keras.ops.var and numpy.var."""

    name = "var"
    label = "reduce_variance"

    def output_dtype(self, dtype):
        return float_dtype(dtype)

    def forward(self, xp, x, axis=(), keepdims=False):
        return as_array(xp, xp.var(x, axis=axis, keepdims=keepdims, dtype=float_dtype(x.dtype)))

    def gradient(self, ops, inputs, output, grad, axis=(), keepdims=False):
        (x,) = inputs
        centred = x - ops.mean(x, axis=axis, keepdims=True)
        scale = expand_reduced(ops, grad, axis, keepdims) * 2 / ops.reduction_count(x, axis=axis)
        return (centred * scale,)


@register
class Std(Reduction):
    """Population standard deviation (divisor n), like keras.ops.std."""

    name = "std"
    label = "reduce_std"

    def output_dtype(self, dtype):
        return float_dtype(dtype)

    def forward(self, xp, x, axis=(), keepdims=False):
        return as_array(xp, xp.std(x, axis=axis, keepdims=keepdims, dtype=float_dtype(x.dtype)))

    def gradient(self, ops, inputs, output, grad, axis=(), keepdims=False):
        (x,) = inputs
        centred = x - ops.mean(x, axis=axis, keepdims=True)
        scale = expand_reduced(ops, grad / output, axis, keepdims) / ops.reduction_count(x, axis=axis)
        return (centred * scale,)


@register
class LogSumExp(Reduction):
    """``log(sum(exp(x)))`` computed stably by shifting by the maximum."""

    name = "logsumexp"
    label = "ReduceLogSumExp"

    def forward(self, xp, x, axis=(), keepdims=False):
        shift = xp.max(x, axis=axis, keepdims=True)
        # a slice of all -inf (or inf) would give nan after the shift
        shift = xp.where(xp.isfinite(shift), shift, xp.zeros_like(shift))
        total = xp.sum(xp.exp(x - shift), axis=axis, keepdims=True)
        out = xp.log(total)
        out += shift
        if not keepdims and axis:
            out = out.reshape(reduced_shape(out.shape, axis, False))
        return as_array(xp, out)

    def gradient(self, ops, inputs, output, grad, axis=(), keepdims=False):
        (x,) = inputs
        softmax = ops.exp(x - expand_reduced(ops, output, axis, keepdims))
        return (softmax * expand_reduced(ops, grad, axis, keepdims),)


class ArgExtremum(Primitive):
    """Index of the extremum along one axis, as int32 (Keras' dtype)."""

    differentiable = False

    def infer(self, x, axis=0, keepdims=False):
        check_axes(self.name, x.shape, (axis,))
        return Spec(reduced_shape(tuple(x.shape), (axis,), keepdims), numpy.dtype("int32"))


@register
class ArgMax(ArgExtremum):
    name = "argmax"
    label = "ArgMax"

    def forward(self, xp, x, axis=0, keepdims=False):
        return as_array(xp, xp.argmax(x, axis=axis, keepdims=keepdims)).astype("int32")


@register
class ArgMin(ArgExtremum):
    name = "argmin"
    label = "ArgMin"

    def forward(self, xp, x, axis=0, keepdims=False):
        return as_array(xp, xp.argmin(x, axis=axis, keepdims=keepdims)).astype("int32")


@register
class CumSum(Primitive):
    """Running sum along ``axis``; ``reverse=True`` sums from the end.

    The gradient of a running sum is the running sum of the gradient taken
    from the other end, so one primitive with a ``reverse`` flag is closed
    under differentiation.
    """

    name = "cumsum"
    label = "Cumsum"

    def infer(self, x, axis=0, reverse=False):
        check_axes(self.name, x.shape, (axis,))
        return Spec(tuple(x.shape), accumulation_dtype(x.dtype))

    def forward(self, xp, x, axis=0, reverse=False):
        dtype = accumulation_dtype(x.dtype)
        if not reverse:
            return xp.cumsum(x, axis=axis, dtype=dtype)
        return xp.flip(xp.cumsum(xp.flip(x, axis), axis=axis, dtype=dtype), axis)

    def gradient(self, ops, inputs, output, grad, axis=0, reverse=False):
        return (ops.cumsum(grad, axis=axis, reverse=not reverse),)
