"""Max and average pooling in 1, 2 and 3 dimensions, channels last.

Attrs: ``pool_size`` and ``strides`` (tuples, one per spatial axis) and
``padding`` ('valid' or 'same', with TensorFlow's split: the odd pixel of
padding goes at the end).  Average pooling with 'same' divides by the count
of real (not padded) elements in each window, like TensorFlow.

Max pooling is separable, so its forward takes the maximum along one spatial
axis at a time: first the rows of each window (``maximum`` of whole
strided row blocks, long contiguous runs), then the columns of that smaller
result.  A 2x2 pool is two ``maximum`` calls; a numpy reduction over the
short window axes instead checks floating-point flags per tiny chunk and was
10x slower.  Average pooling, where windows tile the input (stride == pool
size, no padding), is a reshape to ``(N, H/p, p, W/p, p, C)`` and a mean,
with no copy.  Otherwise, and in the gradients, there is one vectorised step
per *window offset* (p*p steps for a p x p window), each touching every
window at once.

The max-pool gradient goes to one position per window, the first maximum in
row-major window order (as TensorFlow and PyTorch do for windows that do not
overlap).  It is a primitive of its own, ``max_pool_grad(x, y, grad)``; as it
is linear in ``grad``, its gradient is ``max_pool_grad_grad(x, y, values)``,
which reads ``values`` at those same positions, and vice versa.  Where windows
do not overlap (stride >= pool size) each window offset's share is written
straight into the result (no zero fill where the windows cover it, no ``+=``),
and the first-max masks live in two reused boolean buffers.
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


def strided_positions(x, axis, offset, stride, count):
    """The view of ``x`` at positions ``offset, offset + stride, ...`` (``count`` of them) along ``axis``."""
    index = [slice(None)] * x.ndim
    index[axis] = slice(offset, offset + stride * (count - 1) + 1, stride)
    return x[tuple(index)]


def separable_max(xp, x, pool_size, strides, out):
    """The maximum of each window of ``x`` (already padded), one spatial axis at a time."""
    result, fresh = x, False
    for axis, (p, s, m) in enumerate(zip(pool_size, strides, out), start=1):
        if p == 1:
            result = strided_positions(result, axis, 0, s, m)
            continue
        reduced = xp.maximum(strided_positions(result, axis, 0, s, m),
                             strided_positions(result, axis, 1, s, m))
        for offset in range(2, p):
            xp.maximum(reduced, strided_positions(result, axis, offset, s, m), out=reduced)
        result, fresh = reduced, True
    # a 1-wide pool only strides: hand back an array of our own, never a view of x
    return result if fresh else result.copy()


def first_max_masks(xp, x_padded, y, pool_size, strides):
    """For each window offset: its index and where that offset holds the window's first maximum.

    The yielded mask is a buffer overwritten at the next offset: use it before
    asking for the next one.
    """
    offsets = list(offset_slices(pool_size, strides, (1,) * len(pool_size), y.shape[1:-1]))
    hit = xp.empty(y.shape, dtype=bool)
    free = xp.empty(y.shape, dtype=bool) if len(offsets) > 1 else None
    for k, (_, index) in enumerate(offsets):
        xp.equal(x_padded[index], y, out=hit)
        if k:
            xp.logical_and(hit, free, out=hit)
        # free: windows whose first maximum is still to come (hit is a subset of free)
        if k == 0 and free is not None:
            xp.logical_not(hit, out=free)
        elif 0 < k < len(offsets) - 1:
            xp.logical_xor(free, hit, out=free)
        yield index, hit


def select_into(xp, out, values, mask):
    """``out[...] = where(mask, values, 0)`` exactly (signed zeros, inf and nan kept), in one pass.

    Floats are multiplied as their integer bit patterns by 0 or 1: exact and
    branch-free, where ``where`` mispredicts a branch per element on a random
    mask (3x slower here) and a float multiply would turn ``-x * 0`` into -0.0
    and ``inf * 0`` into nan.
    """
    dtype = values.dtype
    if dtype.kind == "f" and dtype.itemsize in (2, 4, 8) and out.dtype == dtype:
        bits = xp.dtype(f"i{dtype.itemsize}")
        xp.multiply(values.view(bits), mask, out=out.view(bits))
    elif dtype.kind in "iu" and out.dtype == dtype:
        xp.multiply(values, mask, out=out)
    else:
        out[...] = xp.where(mask, values, xp.zeros((), dtype=dtype))


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
        out, pads = pool_geometry(x.shape[1:-1], pool_size, strides, padding)
        padded = pad_spatial(xp, x, pads, lowest(xp, x.dtype))
        return separable_max(xp, padded, pool_size, strides, out)

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
        out, pads = pool_geometry(spatial, pool_size, strides, padding)
        padded = pad_spatial(xp, x, pads, lowest(xp, x.dtype))
        masks = first_max_masks(xp, padded, y, pool_size, strides)
        if any(s < p for s, p in zip(strides, pool_size)):
            # overlapping windows: an input position may collect from several
            result = xp.zeros(padded.shape, dtype=grad.dtype)
            share = xp.empty(y.shape, dtype=grad.dtype)
            for index, hit in masks:
                select_into(xp, share, grad, hit)
                result[index] += share
        else:
            # each position is in at most one window: write the shares in place;
            # only positions no window covers (stride > pool, leftover rows) need zeros
            covered = all(s == p and size == o * s for s, p, size, o in
                          zip(strides, pool_size, padded.shape[1:-1], out))
            result = (xp.empty if covered else xp.zeros)(padded.shape, dtype=grad.dtype)
            for index, hit in masks:
                select_into(xp, result[index], grad, hit)
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
