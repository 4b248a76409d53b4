"""Arithmetic with numpy broadcasting, and the two ops that undo broadcasting.

Binary ops broadcast like numpy; their gradient rules hand each input's
gradient to ``sum_to_like`` so that it is summed back to that input's shape.
Inputs of different dtypes are promoted by Keras' rules (``dtypes.result_type``:
``int32 + float32`` is float32, where numpy would give float64) before numpy
computes; ``divide`` of integers gives floatx.
"""
from __future__ import annotations

import numpy

from .base import Primitive, ShapeError, Spec, broadcast_shapes, register
from .dtypes import float_result
from .dtypes import result_type as promoted_dtype


def promoted(*arrays):
    """The arrays in Keras' promoted dtype (as they are when they already share one)."""
    first = arrays[0].dtype
    if all(a.dtype == first for a in arrays[1:]):
        return arrays
    dtype = promoted_dtype(*(a.dtype for a in arrays))
    return tuple(a.astype(dtype, copy=False) for a in arrays)


class Elementwise(Primitive):
    """Shape rule shared by ops that broadcast their inputs (dtypes promoted as Keras does)."""

    #: the numpy ufunc of a binary op that may write its result into a dead input
    #: (``forward_into``; the compiler's ``in_place`` rewrite decides when)
    ufunc = None

    @property
    def in_place_inputs(self):
        return (0, 1) if self.ufunc else ()

    def infer(self, *inputs, **attrs):
        shape = broadcast_shapes(self.name, *(x.shape for x in inputs))
        return Spec(shape, promoted_dtype(*(x.dtype for x in inputs)))

    def forward_into(self, xp, out, x, y):
        """``forward(x, y)`` written into ``out`` (``x`` or ``y`` itself), or None where the
        result would not fit it: another dtype (promotion) or a larger broadcast shape.  The
        other operand may be boolean (a relu's mask in its gradient): numpy then runs the
        loop of ``out``'s dtype on 0 and 1, as the promoted forward does."""
        other = y if out is x else x
        dtype = getattr(other, "dtype", None)
        same = dtype == out.dtype or (getattr(dtype, "kind", None) == "b" and out.dtype.kind in "iuf")
        if self.ufunc is None or not same or not fits_into(getattr(other, "shape", None), out.shape):
            return None
        return binary(xp, self.ufunc, x, y, out=out)


class Unary(Primitive):
    def infer(self, x, **attrs):
        return Spec(tuple(x.shape), x.dtype)


# ------------------------------------------------------- undoing broadcasting

@register
class SumToLike(Primitive):
    """Sum ``x`` over the axes along which it was broadcast from ``like``'s shape."""

    name = "sum_to_like"

    def infer(self, x, like):
        return Spec(tuple(like.shape), x.dtype)

    def forward(self, xp, x, like):
        return sum_to(xp, x, like.shape)

    def gradient(self, ops, inputs, output, grad):
        x, _ = inputs
        return ops.broadcast_like(grad, x), None


@register
class BroadcastLike(Primitive):
    """Broadcast ``x`` to the shape of ``like`` (a run-time shape, batch included)."""

    name = "broadcast_like"

    def infer(self, x, like):
        shape = broadcast_shapes(self.name, x.shape, like.shape)
        if tuple(shape) != tuple(like.shape) and None not in like.shape:
            raise ShapeError(f"{self.name}: cannot broadcast {x.shape} to {like.shape}")
        return Spec(tuple(like.shape), x.dtype)

    def forward(self, xp, x, like):
        return xp.broadcast_to(x, like.shape)

    def gradient(self, ops, inputs, output, grad):
        x, _ = inputs
        return ops.sum_to_like(grad, x), None


def fits_into(shape, target):
    """Whether an operand of ``shape`` broadcasts to ``target`` without enlarging it."""
    if shape is None or len(shape) > len(target):
        return False
    return shape == target or all(a == 1 or a == b for a, b in zip(reversed(shape), reversed(target)))


#: channel counts below which a per-channel operand is tiled along wide rows (``binary``)
CHANNEL_LIMIT = 256
#: the widest row an array is viewed as for a row-long numpy loop (elements: ``binary``,
#: ``activations.maximum_with_zero``)
ROW_LIMIT = 16384


def trailing_width(shape, limit=ROW_LIMIT):
    """The size of the longest run of trailing axes of ``shape`` holding at most ``limit``
    elements (1 when the last axis alone is larger): the rows a C-contiguous array is
    viewed as, so that a numpy loop runs along a whole row."""
    width = 1
    for size in reversed(shape):
        if width * size > limit:
            break
        width *= size
    return width


def _channel_width(big, small):
    """The row width (a multiple of the channel count) at which ``big`` (C-contiguous, at least
    4096 elements) meets ``small``, one value per channel of its last axis; else None."""
    shape = getattr(big, "shape", ())
    if len(shape) < 2 or big.size < 4096 or shape[-1] >= CHANNEL_LIMIT or not big.flags.c_contiguous:
        return None
    channels = shape[-1]
    small_shape = getattr(small, "shape", ())
    if (not small_shape or len(small_shape) > len(shape) or small_shape[-1] != channels
            or small.size != channels or small.dtype != big.dtype):
        return None
    width = trailing_width(shape)
    return width if width > channels else None


def binary(xp, name, x, y, out=None):
    """``ufunc(x, y)`` (the ufunc ``name``, into ``out`` if given), the same bits, faster where
    one operand holds one value per channel of a large array with few channels (a bias).

    numpy broadcasts such an operand along an inner loop as short as the channel count
    (10 channels: 0.85 ms to add a bias to 1024x12x12x10 float32); viewed as rows of
    several pixels, with the operand tiled to match, the loop runs along the whole row
    (0.32 ms).
    """
    ufunc = getattr(xp, name)
    width = _channel_width(x, y)
    big = x
    if width is None:
        width = _channel_width(y, x)
        big = y
        if width is None:
            return ufunc(x, y) if out is None else ufunc(x, y, out=out)
    if out is not None and not (out.shape == big.shape and out.flags.c_contiguous):
        return ufunc(x, y, out=out)
    channels = big.shape[-1]
    rows = big.reshape(-1, width)
    tiled = xp.tile((y if big is x else x).reshape(channels), width // channels)
    operands = (rows, tiled) if big is x else (tiled, rows)
    result = ufunc(*operands, out=None if out is None else out.reshape(-1, width))
    return out if out is not None else result.reshape(big.shape)


def sum_to(xp, x, shape):
    """Sum ``x`` down to ``shape`` (the inverse of broadcasting to x.shape)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if d == 1 and x.shape[lead + i] != 1
    )
    if (axes and x.dtype.kind == "f" and x.size and x.flags.c_contiguous
            and all(i in axes or x.shape[i] == 1 for i in range(axes[-1]))):
        # only leading axes are summed (a bias gradient: (N, H, W, C) -> (C,))
        return sum_leading(x, axes[-1] + 1).reshape(shape)
    out = x.sum(axis=axes, keepdims=True) if axes else x
    if lead:
        out = out.reshape(out.shape[lead:])
    return out


#: rows are folded into lines of up to this many elements before numpy sums them
FOLD_WIDTH = 8192


def sum_leading(x, count):
    """The sum of ``x`` over its first ``count`` axes, flattened.

    numpy sums the leading axes of a C-contiguous array one row at a time,
    an inner loop as short as the kept size (10 channels: 0.82 ms for a
    128x24x24x10 bias gradient).  Viewing the rows as wide lines of several
    rows each, summing the lines (long vectorised adds), then summing the
    few partial rows left takes 0.05 ms, with less rounding error (fewer
    terms per running sum), and needs no BLAS call (a ones-vector gemv
    is as fast at one BLAS thread, several times slower at two).
    """
    kept = 1
    for size in x.shape[count:]:
        kept *= size
    fold, axis = 1, count
    while axis > 0 and fold * x.shape[axis - 1] * kept <= FOLD_WIDTH:
        axis -= 1
        fold *= x.shape[axis]
    if axis == 0 or fold == 1:
        return x.reshape(-1, kept).sum(axis=0)
    return x.reshape(-1, fold * kept).sum(axis=0).reshape(fold, kept).sum(axis=0)


# ------------------------------------------------------------------ arithmetic

@register
class Add(Elementwise):
    name = "add"
    ufunc = "add"

    def forward(self, xp, x, y):
        x, y = promoted(x, y)
        return binary(xp, self.ufunc, x, y)

    def gradient(self, ops, inputs, output, grad):
        x, y = inputs
        return ops.sum_to_like(grad, x), ops.sum_to_like(grad, y)


@register
class Sub(Elementwise):
    name = "subtract"
    ufunc = "subtract"
    label = "sub"

    def forward(self, xp, x, y):
        x, y = promoted(x, y)
        return binary(xp, self.ufunc, x, y)

    def gradient(self, ops, inputs, output, grad):
        x, y = inputs
        return ops.sum_to_like(grad, x), ops.sum_to_like(-grad, y)


@register
class Mul(Elementwise):
    name = "multiply"
    ufunc = "multiply"
    label = "mul"

    def forward(self, xp, x, y):
        x, y = promoted(x, y)
        return binary(xp, self.ufunc, x, y)

    def gradient(self, ops, inputs, output, grad):
        x, y = inputs
        return ops.sum_to_like(grad * y, x), ops.sum_to_like(grad * x, y)


@register
class Div(Elementwise):
    name = "divide"
    label = "truediv"
    ufunc = "true_divide"

    def infer(self, x, y):
        return Spec(broadcast_shapes(self.name, x.shape, y.shape), float_result(x.dtype, y.dtype))

    def forward(self, xp, x, y):
        dtype = float_result(x.dtype, y.dtype)
        return xp.true_divide(x.astype(dtype, copy=False), y.astype(dtype, copy=False))

    def forward_into(self, xp, out, x, y):
        return super().forward_into(xp, out, x, y) if out.dtype.kind == "f" else None

    def gradient(self, ops, inputs, output, grad):
        x, y = inputs
        grad_x = grad / y
        return ops.sum_to_like(grad_x, x), ops.sum_to_like(-grad_x * x / y, y)


@register
class Neg(Unary):
    name = "negative"
    label = "neg"
    in_place_inputs = (0,)

    def forward(self, xp, x):
        return xp.negative(x)

    def forward_into(self, xp, out, x):
        return xp.negative(x, out=out)

    def gradient(self, ops, inputs, output, grad):
        return (-grad,)


@register
class Pow(Elementwise):
    name = "power"
    label = "pow"

    def infer(self, x, y):
        dtype = promoted_dtype(x.dtype, y.dtype)
        return Spec(broadcast_shapes(self.name, x.shape, y.shape), numpy.dtype("int32") if dtype.kind == "b" else dtype)

    def forward(self, xp, x, y):
        x, y = promoted(x, y)
        if x.dtype.kind == "b":
            x, y = x.astype("int32"), y.astype("int32")
        return xp.power(x, y)

    def gradient(self, ops, inputs, output, grad):
        x, y = inputs
        grad_x = grad * y * ops.power(x, y - 1)
        # d/dy x**y = x**y log x, defined where x > 0; elsewhere take 0 like TF
        safe_log = ops.log(ops.where(x > 0, x, ops.ones_like(x)))
        grad_y = grad * output * safe_log
        return ops.sum_to_like(grad_x, x), ops.sum_to_like(grad_y, y)


@register
class OnesLike(Unary):
    name = "ones_like"
    differentiable = False

    def forward(self, xp, x):
        return xp.ones_like(x)


@register
class ZerosLike(Unary):
    name = "zeros_like"
    differentiable = False

    def forward(self, xp, x):
        return xp.zeros_like(x)


@register
class Contiguous(Unary):
    """The input's values in an array of their own, C-contiguous (the input itself when it
    already is one): a strided slice read by several products is copied once here, not in
    each of them (the recurrent layers' gradients of their projected inputs)."""

    name = "contiguous"

    def forward(self, xp, x):
        return xp.ascontiguousarray(x)

    def gradient(self, ops, inputs, output, grad):
        return (grad,)


@register
class Identity(Unary):
    """The input itself, as a new node (a layer that passes its input through
    still needs an output of its own in the graph)."""

    name = "identity"

    def forward(self, xp, x):
        return x

    def gradient(self, ops, inputs, output, grad):
        return (grad,)
