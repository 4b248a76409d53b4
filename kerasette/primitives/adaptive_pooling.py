"""Adaptive pooling along one axis: ``output_size`` bins whatever the input's length.

Bin ``i`` of an axis of length ``L`` pooled to ``O`` bins covers the input
positions ``floor(i * L / O)`` up to (not including) ``ceil((i + 1) * L / O)``,
Keras 3's (and PyTorch's) boundaries: bins may overlap by one position and
differ in length by one when ``O`` does not divide ``L``.  Multi-axis adaptive
pooling (``ops.adaptive_average_pool`` / ``ops.adaptive_max_pool``) applies
these one axis at a time; both the mean and the maximum of a box are
separable, so that is the same as pooling each box at once.

The primitives take the axis as an attr, so they work on any layout
(channels first or last) without a transpose:

- ``adaptive_avg_pool(x)`` is linear: the axis is contracted with the ``(O, L)``
  matrix of bin weights ``1 / len(bin)`` (one matmul); its gradient
  ``adaptive_avg_pool_grad(grad, x_like)`` contracts with the transpose.
- ``adaptive_max_pool(x)`` gathers every bin, padded to the longest bin by
  repeating its last position (a repeat changes no maximum), as an
  ``(..., O, longest, ...)`` array and takes the maximum over the window axis.
  Its gradient ``adaptive_max_pool_grad(x, grad)`` puts each bin's gradient at
  the bin's first maximum (positions in two overlapping bins collect from
  both, summed by one ``bincount``); that is linear in ``grad``, and its transpose
  ``adaptive_max_pool_select(x, values)`` reads ``values`` at those positions.
"""
from __future__ import annotations

from .base import Primitive, ShapeError, Spec, format_shape, register


def bin_bounds(xp, length: int, output_size: int):
    """Start and end (exclusive) of each of the ``output_size`` bins over ``length`` positions."""
    i = xp.arange(output_size, dtype=xp.int64)
    starts = (i * length) // output_size
    ends = -((-(i + 1) * length) // output_size)
    return starts, ends


def bin_weights(xp, length: int, output_size: int, dtype):
    """The ``(output_size, length)`` matrix whose row ``i`` averages bin ``i``."""
    starts, ends = bin_bounds(xp, length, output_size)
    positions = xp.arange(length)
    inside = (positions >= starts[:, None]) & (positions < ends[:, None])
    return inside.astype(dtype) / (ends - starts).astype(dtype)[:, None]


def bin_indices(xp, length: int, output_size: int):
    """``(output_size, longest)`` input positions of each bin, the last one repeated to fill a row."""
    starts, ends = bin_bounds(xp, length, output_size)
    longest = int((ends - starts).max())
    index = starts[:, None] + xp.arange(longest)[None, :]
    return xp.minimum(index, ends[:, None] - 1)


def pooled_shape(name, shape, axis, output_size):
    shape = tuple(shape)
    if not 0 <= axis < len(shape):
        raise ShapeError(f"{name}: axis {axis} is outside the input {format_shape(shape)}")
    if int(output_size) < 1:
        raise ValueError(f"{name}: output_size must be a positive int, got {output_size!r}")
    if shape[axis] == 0:
        raise ShapeError(f"{name}: axis {axis} of the input {format_shape(shape)} is empty")
    return shape[:axis] + (int(output_size),) + shape[axis + 1:]


def check_shape(name, what, shape, expected):
    if len(shape) != len(expected) or any(
            a is not None and b is not None and a != b for a, b in zip(shape, expected)):
        raise ShapeError(f"{name}: {what} shape {format_shape(shape)} does not match "
                         f"{format_shape(expected)}")


def contract(xp, x, matrix, axis):
    """``x`` with its ``axis`` multiplied by ``matrix`` (``(new, old)``), the new axis in its place."""
    moved = xp.moveaxis(x, axis, -1)
    return xp.moveaxis(moved @ matrix.T, -1, axis)


def first_max_positions(xp, x, axis, output_size):
    """For each bin (``x``'s shape with the axis pooled): the input position of its first maximum."""
    index = bin_indices(xp, x.shape[axis], output_size)
    windows = xp.take(x, index, axis=axis)                 # (..., O, longest, ...)
    choice = xp.expand_dims(xp.argmax(windows, axis=axis + 1), axis + 1)
    shape = [1] * windows.ndim
    shape[axis], shape[axis + 1] = index.shape
    return xp.take_along_axis(xp.broadcast_to(index.reshape(shape), windows.shape), choice,
                              axis=axis + 1).squeeze(axis + 1)


@register
class AdaptiveAvgPool(Primitive):
    """``adaptive_avg_pool(x)``: the mean of each of ``output_size`` bins along ``axis``."""

    name = "adaptive_avg_pool"
    label = "AdaptiveAvgPool"

    def infer(self, x, axis, output_size):
        return Spec(pooled_shape(self.name, x.shape, axis, output_size), x.dtype)

    def forward(self, xp, x, axis, output_size):
        return contract(xp, x, bin_weights(xp, x.shape[axis], output_size, x.dtype), axis)

    def gradient(self, ops, inputs, output, grad, **attrs):
        (x,) = inputs
        return (ops.adaptive_avg_pool_grad(grad, x, **attrs),)


@register
class AdaptiveAvgPoolGrad(Primitive):
    """``adaptive_avg_pool_grad(grad, x_like)``: each bin's ``grad`` spread evenly over its positions."""

    name = "adaptive_avg_pool_grad"

    def infer(self, grad, x_like, axis, output_size):
        expected = pooled_shape(self.name, x_like.shape, axis, output_size)
        check_shape(self.name, "gradient", grad.shape, expected)
        return Spec(tuple(x_like.shape), grad.dtype)

    def forward(self, xp, grad, x_like, axis, output_size):
        return contract(xp, grad, bin_weights(xp, x_like.shape[axis], output_size, grad.dtype).T, axis)

    def gradient(self, ops, inputs, output, grad, **attrs):
        return ops.adaptive_avg_pool(grad, **attrs), None


@register
class AdaptiveMaxPool(Primitive):
    """``adaptive_max_pool(x)``: the largest element of each of ``output_size`` bins along ``axis``."""

    name = "adaptive_max_pool"
    label = "AdaptiveMaxPool"

    def infer(self, x, axis, output_size):
        return Spec(pooled_shape(self.name, x.shape, axis, output_size), x.dtype)

    def forward(self, xp, x, axis, output_size):
        index = bin_indices(xp, x.shape[axis], output_size)
        return xp.take(x, index, axis=axis).max(axis=axis + 1)

    def gradient(self, ops, inputs, output, grad, **attrs):
        (x,) = inputs
        return (ops.adaptive_max_pool_grad(x, grad, **attrs),)


@register
class AdaptiveMaxPoolGrad(Primitive):
    """``adaptive_max_pool_grad(x, grad)``: each bin's ``grad`` placed at the bin's first maximum in ``x``."""

    name = "adaptive_max_pool_grad"

    def infer(self, x, grad, axis, output_size):
        expected = pooled_shape(self.name, x.shape, axis, output_size)
        check_shape(self.name, "gradient", grad.shape, expected)
        return Spec(tuple(x.shape), grad.dtype)

    def forward(self, xp, x, grad, axis, output_size):
        positions = xp.moveaxis(first_max_positions(xp, x, axis, output_size), axis, -1)
        shares = xp.moveaxis(grad, axis, -1)
        # one bincount over (row, position) pairs: overlapping bins add up at a shared position
        length = x.shape[axis]
        rows = shares.size // output_size
        flat = (xp.arange(rows).reshape(positions.shape[:-1] + (1,)) * length + positions).reshape(-1)
        total = xp.bincount(flat, weights=shares.reshape(-1), minlength=rows * length)
        result = total.astype(grad.dtype).reshape(positions.shape[:-1] + (length,))
        return xp.moveaxis(result, -1, axis)

    def gradient(self, ops, inputs, output, grad, **attrs):
        x, _ = inputs
        return None, ops.adaptive_max_pool_select(x, grad, **attrs)


@register
class AdaptiveMaxPoolSelect(Primitive):
    """``adaptive_max_pool_select(x, values)``: ``values`` (shaped like x) read at each bin's first maximum."""

    name = "adaptive_max_pool_select"

    def infer(self, x, values, axis, output_size):
        check_shape(self.name, "values", values.shape, tuple(x.shape))
        return Spec(pooled_shape(self.name, x.shape, axis, output_size), values.dtype)

    def forward(self, xp, x, values, axis, output_size):
        positions = first_max_positions(xp, x, axis, output_size)
        return xp.take_along_axis(values, positions, axis=axis)

    def gradient(self, ops, inputs, output, grad, **attrs):
        x, _ = inputs
        return None, ops.adaptive_max_pool_grad(x, grad, **attrs)
