"""Shape ops that fill or repeat: pad, tile, repeat, broadcast_to (split from ``shape.py``).

Like the other shape ops they do no arithmetic; each gradient moves the
gradient back (a pad is cropped off, tiles and repeats are summed, a
broadcast is summed to the input's shape), and reads its sizes from the
run-time arrays, so graph shapes with ``None`` stay fine.
"""
from __future__ import annotations

from .base import Primitive, ShapeError, Spec, broadcast_shapes, format_shape, register
from .shape import check_axis, scatter_along_axis

# --------------------------------------------------------------- padding

def pad_slices(pad_width):
    return tuple((before, -after if after else None, None) for before, after in pad_width)


@register
class Pad(Primitive):
    """numpy.pad with ``mode`` 'constant' (``constant_values``), 'reflect', 'symmetric', 'edge' or 'wrap'."""

    name = "pad"
    label = "Pad"

    def infer(self, x, pad_width=(), mode="constant", constant_values=0):
        if len(pad_width) != len(x.shape):
            raise ShapeError(f"pad: pad_width {pad_width} does not match the rank of "
                             f"{format_shape(x.shape)}")
        shape = tuple(None if d is None else d + before + after
                      for d, (before, after) in zip(x.shape, pad_width))
        return Spec(shape, x.dtype)

    def forward(self, xp, x, pad_width=(), mode="constant", constant_values=0):
        if mode == "constant":
            return xp.pad(x, pad_width, mode="constant", constant_values=constant_values)
        return xp.pad(x, pad_width, mode=mode)

    def gradient(self, ops, inputs, output, grad, pad_width=(), mode="constant", constant_values=0):
        (x,) = inputs
        if mode == "constant":
            return (ops.getitem(grad, key=pad_slices(pad_width)),)
        return (ops.pad_grad(grad, x, pad_width=pad_width, mode=mode),)


@register
class PadGrad(Primitive):
    """Gradient of a reflect/symmetric/edge/wrap pad: padded positions add back onto their sources.

    Padding is separable, and per axis ``numpy.pad(arange(n), ...)`` names
    the source of every padded position, so each axis is one scatter-add.
    """

    name = "pad_grad"

    def infer(self, grad, x, pad_width=(), mode="reflect"):
        return Spec(tuple(x.shape), grad.dtype)

    def forward(self, xp, grad, x, pad_width=(), mode="reflect"):
        for axis, widths in enumerate(pad_width):
            if widths == (0, 0):
                continue
            source = xp.pad(xp.arange(x.shape[axis]), widths, mode=mode)
            grad = scatter_along_axis(xp, grad, source, x.shape[axis], axis)
        return grad

    def gradient(self, ops, inputs, output, grad, pad_width=(), mode="reflect"):
        return ops.pad(grad, pad_width=pad_width, mode=mode), None


# -------------------------------------------------------------- repeating

@register
class Tile(Primitive):
    """numpy.tile with ``repeats`` already as long as the rank of the result."""

    name = "tile"
    label = "Tile"

    def infer(self, x, repeats=()):
        if len(repeats) < len(x.shape):
            raise ShapeError(f"tile: repeats {repeats} shorter than the rank of {format_shape(x.shape)}")
        shape = (1,) * (len(repeats) - len(x.shape)) + tuple(x.shape)
        return Spec(tuple(None if d is None else d * r for d, r in zip(shape, repeats)), x.dtype)

    def forward(self, xp, x, repeats=()):
        return xp.tile(x, repeats)

    def gradient(self, ops, inputs, output, grad, repeats=()):
        (x,) = inputs
        return (ops.tile_grad(grad, repeats=repeats, rank=len(x.shape)),)


@register
class TileGrad(Primitive):
    """Sum the tiles of ``grad`` back onto one tile (of rank ``rank``)."""

    name = "tile_grad"

    def infer(self, grad, repeats=(), rank=0):
        shape = tuple(None if d is None else d // r for d, r in zip(grad.shape, repeats))
        return Spec(shape[len(shape) - rank:], grad.dtype)

    def forward(self, xp, grad, repeats=(), rank=0):
        split = []
        for size, r in zip(grad.shape, repeats):
            split += [r, size // r]
        summed = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(summed.shape[summed.ndim - rank:])

    def gradient(self, ops, inputs, output, grad, repeats=(), rank=0):
        return (ops.tile(grad, repeats=repeats),)


@register
class Repeat(Primitive):
    """Each element repeated ``repeats`` times along ``axis``."""

    name = "repeat"
    label = "Repeat"

    def infer(self, x, repeats=1, axis=0):
        check_axis(self.name, axis, len(x.shape))
        shape = list(x.shape)
        shape[axis] = None if shape[axis] is None else shape[axis] * repeats
        return Spec(tuple(shape), x.dtype)

    def forward(self, xp, x, repeats=1, axis=0):
        return xp.repeat(x, repeats, axis=axis)

    def gradient(self, ops, inputs, output, grad, repeats=1, axis=0):
        return (ops.repeat_grad(grad, repeats=repeats, axis=axis),)


@register
class RepeatGrad(Primitive):
    """Sum each run of ``repeats`` along ``axis``: the gradient of repeat."""

    name = "repeat_grad"

    def infer(self, grad, repeats=1, axis=0):
        shape = list(grad.shape)
        shape[axis] = None if shape[axis] is None else shape[axis] // repeats
        return Spec(tuple(shape), grad.dtype)

    def forward(self, xp, grad, repeats=1, axis=0):
        shape = grad.shape[:axis] + (grad.shape[axis] // repeats, repeats) + grad.shape[axis + 1:]
        return grad.reshape(shape).sum(axis=axis + 1)

    def gradient(self, ops, inputs, output, grad, repeats=1, axis=0):
        return (ops.repeat(grad, repeats=repeats, axis=axis),)


@register
class BroadcastTo(Primitive):
    """``x`` broadcast to a static ``shape`` (a read-only view)."""

    name = "broadcast_to"
    label = "BroadcastTo"

    def infer(self, x, shape=()):
        shape = tuple(shape)
        merged = broadcast_shapes(self.name, x.shape, shape)
        if len(x.shape) > len(shape) or any(m is not None and m != d for m, d in zip(merged, shape)):
            raise ShapeError(f"broadcast_to: cannot broadcast {format_shape(x.shape)} to "
                             f"{format_shape(shape)}")
        return Spec(shape, x.dtype)

    def forward(self, xp, x, shape=()):
        return xp.broadcast_to(x, shape)

    def gradient(self, ops, inputs, output, grad, shape=()):
        (x,) = inputs
        return (ops.sum_to_like(grad, x),)

