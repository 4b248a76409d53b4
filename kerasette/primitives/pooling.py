"""Max and average pooling in 1, 2 and 3 dimensions, channels last.

Attrs: ``pool_size`` and ``strides`` (tuples, one per spatial axis) and
``padding`` ('valid' or 'same', with TensorFlow's split: the odd pixel of
padding goes at the end).  Average pooling with 'same' divides by the count
of real (not padded) elements in each window, like TensorFlow.

Where windows tile the input (stride == pool size, no padding) the forward is
a reshape to ``(N, H/p, p, W/p, p, C)`` and a reduction, with no copy.
Otherwise, and in the gradients, there is one vectorised step per *window
offset* (p*p steps for a p x p window), each touching every window at once.

The max-pool gradient goes to one position per window, the first maximum in
row-major window order (as TensorFlow and PyTorch do for windows that do not
overlap).  It is a primitive of its own, ``max_pool_grad(x, y, grad)``; as it
is linear in ``grad``, its gradient is ``max_pool_grad_grad(x, y, values)``,
which reads ``values`` at those same positions, and vice versa.
"""
from __future__ import annotations

from .base import Primitive, ShapeError, Spec, format_shape, register
from .convolution import crop_spatial, geometry, offset_slices, pad_spatial

POOL_PADDINGS = ("valid", "same")


def pool_geometry(spatial, pool_size, strides, padding):
    return geometry(spatial, pool_size, strides, (1,) * len(pool_size), padding)


def pool_output_shape(name, shape, pool_size, strides, padding):
    shape = tuple(shape)
    rank = len(shape) - 2
    if rank not in (1, 2, 3):
        raise ShapeError(f"{name}: pooling takes (batch, *spatial, channels) with 1 to 3 spatial "
                         f"axes, got {format_shape(shape)}")
    if padding not in POOL_PADDINGS:
        raise ValueError(f"{name}: padding must be 'valid' or 'same', got {padding!r}")
    for label, values in (("pool_size", pool_size), ("strides", strides)):
        if len(values) != rank or any(v < 1 for v in values):
            raise ValueError(f"{name}: {label} must be {rank} positive ints for input "
                             f"{format_shape(shape)}, got {values}")
    out, _ = pool_geometry(shape[1:-1], pool_size, strides, padding)
    if any(o is not None and o < 1 for o in out):
        raise ShapeError(f"{name}: pool_size {pool_size} is larger than the input {format_shape(shape)} "
                         f"with 'valid' padding")
    return (shape[0],) + out + (shape[-1],)


def tiles(x, pool_size, strides, padding):
    """The no-copy view ``(N, o1, p1, o2, p2, ..., C)`` when windows tile ``x``, else None."""
    if tuple(strides) != tuple(pool_size):
        return None
    spatial = x.shape[1:-1]
    if padding == "same" and any(size % p for size, p in zip(spatial, pool_size)):
        return None
    # 'valid' drops the leftover rows at the end: a slice, still a view
    x = x[(slice(None),) + tuple(slice(0, size - size % p) for size, p in zip(spatial, pool_size))]
    shape = (x.shape[0],)
    for size, p in zip(x.shape[1:-1], pool_size):
        shape += (size // p, p)
    return x.reshape(shape + (x.shape[-1],))


def lowest(xp, dtype):
    return -xp.inf if xp.dtype(dtype).kind == "f" else xp.iinfo(dtype).min


def first_max_masks(xp, x_padded, y, pool_size, strides):
    """For each window offset: its index and where that offset holds the window's first maximum."""
    taken = xp.zeros(y.shape, dtype=bool)
    for offset, index in offset_slices(pool_size, strides, (1,) * len(pool_size), y.shape[1:-1]):
        hit = x_padded[index] == y
        hit &= ~taken
        taken |= hit
        yield index, hit


def window_counts(xp, spatial, pool_size, strides, padding, dtype):
    """How many real input elements each window covers, shaped ``(1, *out, 1)``."""
    out, pads = pool_geometry(spatial, pool_size, strides, padding)
    counts = xp.ones((1,) * (len(spatial) + 2), dtype=dtype)
    for axis, (size, p, s, o, (before, _)) in enumerate(zip(spatial, pool_size, strides, out, pads)):
        start = xp.arange(o) * s - before
        per_axis = (xp.minimum(start + p, size) - xp.maximum(start, 0)).astype(dtype)
        shape = [1] * counts.ndim
        shape[axis + 1] = o
        counts = counts * per_axis.reshape(shape)
    return counts


class Pooling(Primitive):
    def infer(self, x, pool_size, strides, padding="valid"):
        return Spec(pool_output_shape(self.name, x.shape, pool_size, strides, padding), x.dtype)


@register
class MaxPool(Pooling):
    """``max_pool(x)``: the largest element of each window."""

    name = "max_pool"
    label = "MaxPool"

    def forward(self, xp, x, pool_size, strides, padding="valid"):
        tiled = tiles(x, pool_size, strides, padding)
        if tiled is not None:
            return tiled.max(axis=tuple(range(2, tiled.ndim - 1, 2)))
        out, pads = pool_geometry(x.shape[1:-1], pool_size, strides, padding)
        padded = pad_spatial(xp, x, pads, lowest(xp, x.dtype))
        result = None
        for _, index in offset_slices(pool_size, strides, (1,) * len(pool_size), out):
            if result is None:
                result = padded[index].copy()
            else:
                xp.maximum(result, padded[index], out=result)
        return result

    def gradient(self, ops, inputs, output, grad, **attrs):
        (x,) = inputs
        return (ops.max_pool_grad(x, output, grad, **attrs),)


@register
class MaxPoolGrad(Primitive):
    """``max_pool_grad(x, y, grad)``: each window's ``grad`` placed at its first maximum in ``x``."""

    name = "max_pool_grad"

    def infer(self, x, y, grad, pool_size, strides, padding="valid"):
        expected = pool_output_shape(self.name, x.shape, pool_size, strides, padding)
        for what, shape in (("pooled output", y.shape), ("gradient", grad.shape)):
            check_pooled(self.name, what, shape, expected)
        return Spec(tuple(x.shape), grad.dtype)

    def forward(self, xp, x, y, grad, pool_size, strides, padding="valid"):
        spatial = x.shape[1:-1]
        _, pads = pool_geometry(spatial, pool_size, strides, padding)
        padded = pad_spatial(xp, x, pads, lowest(xp, x.dtype))
        result = xp.zeros(padded.shape, dtype=grad.dtype)
        zero = xp.zeros((), dtype=grad.dtype)
        for index, hit in first_max_masks(xp, padded, y, pool_size, strides):
            result[index] += xp.where(hit, grad, zero)
        return crop_spatial(result, pads, spatial)

    def gradient(self, ops, inputs, output, grad, **attrs):
        x, y, _ = inputs
        return None, None, ops.max_pool_grad_grad(x, y, grad, **attrs)


@register
class MaxPoolGradGrad(Primitive):
    """``max_pool_grad_grad(x, y, values)``: ``values`` (shaped like x) read at each window's first max."""

    name = "max_pool_grad_grad"

    def infer(self, x, y, values, pool_size, strides, padding="valid"):
        expected = pool_output_shape(self.name, x.shape, pool_size, strides, padding)
        check_pooled(self.name, "pooled output", y.shape, expected)
        check_pooled(self.name, "values", values.shape, tuple(x.shape))
        return Spec(tuple(y.shape), values.dtype)

    def forward(self, xp, x, y, values, pool_size, strides, padding="valid"):
        _, pads = pool_geometry(x.shape[1:-1], pool_size, strides, padding)
        padded = pad_spatial(xp, x, pads, lowest(xp, x.dtype))
        values = pad_spatial(xp, values, pads)
        result = xp.zeros(y.shape, dtype=values.dtype)
        for index, hit in first_max_masks(xp, padded, y, pool_size, strides):
            xp.copyto(result, values[index], where=hit)
        return result

    def gradient(self, ops, inputs, output, grad, **attrs):
        x, y, _ = inputs
        return None, None, ops.max_pool_grad(x, y, grad, **attrs)


@register
class AvgPool(Pooling):
    """``avg_pool(x)``: the mean of each window's real (unpadded) elements."""

    name = "avg_pool"
    label = "AvgPool"

    def forward(self, xp, x, pool_size, strides, padding="valid"):
        tiled = tiles(x, pool_size, strides, padding)
        if tiled is not None:
            return tiled.mean(axis=tuple(range(2, tiled.ndim - 1, 2)))
        spatial = x.shape[1:-1]
        out, pads = pool_geometry(spatial, pool_size, strides, padding)
        padded = pad_spatial(xp, x, pads)
        result = None
        for _, index in offset_slices(pool_size, strides, (1,) * len(pool_size), out):
            if result is None:
                result = padded[index].copy()
            else:
                result += padded[index]
        result /= window_counts(xp, spatial, pool_size, strides, padding, result.dtype)
        return result

    def gradient(self, ops, inputs, output, grad, **attrs):
        (x,) = inputs
        return (ops.avg_pool_grad(grad, x, **attrs),)


@register
class AvgPoolGrad(Primitive):
    """``avg_pool_grad(grad, x_like)``: each window's ``grad`` spread evenly over its real elements."""

    name = "avg_pool_grad"

    def infer(self, grad, x_like, pool_size, strides, padding="valid"):
        expected = pool_output_shape(self.name, x_like.shape, pool_size, strides, padding)
        check_pooled(self.name, "gradient", grad.shape, expected)
        return Spec(tuple(x_like.shape), grad.dtype)

    def forward(self, xp, grad, x_like, pool_size, strides, padding="valid"):
        spatial = x_like.shape[1:-1]
        out, pads = pool_geometry(spatial, pool_size, strides, padding)
        share = grad / window_counts(xp, spatial, pool_size, strides, padding, grad.dtype)
        padded = tuple(size + before + after for size, (before, after) in zip(spatial, pads))
        result = xp.zeros((grad.shape[0],) + padded + (grad.shape[-1],), dtype=grad.dtype)
        for _, index in offset_slices(pool_size, strides, (1,) * len(pool_size), out):
            result[index] += share
        return crop_spatial(result, pads, spatial)

    def gradient(self, ops, inputs, output, grad, **attrs):
        return ops.avg_pool(grad, **attrs), None


def check_pooled(name, what, shape, expected):
    if len(shape) != len(expected) or any(
            a is not None and b is not None and a != b for a, b in zip(shape, expected)):
        raise ShapeError(f"{name}: {what} shape {format_shape(shape)} does not match "
                         f"{format_shape(expected)}")
