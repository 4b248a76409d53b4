"""Slices at run-time positions and scatter/gather by index tuples.

``dynamic_slice(x, starts)`` reads a block of static ``shape`` whose corner
``starts`` (a 1-d integer tensor) is known only when the program runs;
``slice_update(x, updates, starts)`` writes such a block.  Starts are
clamped so the block stays inside ``x`` (as JAX and Keras do).

``gather_nd(x, indices)`` reads ``x[tuple(indices[..., :k].T)]`` (each index
row picks one element or one trailing slice); ``scatter_nd(x, indices,
updates, reduction)`` writes (``reduction=None``) or combines ('add', 'max',
'min', 'mul') ``updates`` into a copy of ``x`` there.  Gradients are each
other: a slice's is an update into zeros, an update's splits into the part
of ``grad`` outside the block and the block itself.  The 'max', 'min' and
'mul' scatters have no gradient rule.
"""
from __future__ import annotations

import numpy

from .base import Primitive, ShapeError, Spec, format_shape, register


def _starts(xp, starts, shape, block):
    starts = numpy.asarray(starts).astype(numpy.int64).reshape(-1)
    if starts.size != len(shape):
        raise ShapeError(f"slice: {starts.size} start indices for an input of rank {len(shape)}")
    return tuple(slice(int(min(max(s, 0), n - b)), int(min(max(s, 0), n - b)) + b)
                 for s, n, b in zip(starts, shape, block))


@register
class DynamicSlice(Primitive):
    name = "dynamic_slice"

    def infer(self, x, starts, shape):
        if len(shape) != len(x.shape):
            raise ShapeError(f"slice: shape {shape} has a different rank than the input {format_shape(x.shape)}")
        return Spec(tuple(shape), x.dtype)

    def forward(self, xp, x, starts, shape):
        return x[_starts(xp, starts, x.shape, shape)].copy()

    def gradient(self, ops, inputs, output, grad, shape):
        x, starts = inputs
        return ops.slice_update(ops.zeros_like(x), grad, starts), None


@register
class SliceUpdate(Primitive):
    name = "slice_update"

    def infer(self, x, updates, starts):
        if len(updates.shape) != len(x.shape):
            raise ShapeError(f"slice_update: updates {format_shape(updates.shape)} and inputs "
                             f"{format_shape(x.shape)} differ in rank")
        return Spec(tuple(x.shape), x.dtype)

    def forward(self, xp, x, updates, starts):
        out = x.copy()
        out[_starts(xp, starts, x.shape, updates.shape)] = updates
        return out

    def gradient(self, ops, inputs, output, grad):
        x, updates, starts = inputs
        return (ops.slice_update(grad, ops.zeros_like(updates), starts),
                ops.dynamic_slice(grad, starts, shape=tuple(updates.shape)), None)


def _index(indices):
    indices = indices.astype(numpy.int64)
    return tuple(numpy.moveaxis(indices, -1, 0))


@register
class GatherNd(Primitive):
    name = "gather_nd"

    def infer(self, x, indices):
        depth = indices.shape[-1]
        if depth is None or depth > len(x.shape):
            raise ShapeError(f"gather_nd: indices {format_shape(indices.shape)} index deeper than "
                             f"{format_shape(x.shape)}")
        return Spec(tuple(indices.shape[:-1]) + tuple(x.shape[depth:]), x.dtype)

    def forward(self, xp, x, indices):
        return x[_index(indices)]

    def gradient(self, ops, inputs, output, grad):
        x, indices = inputs
        return ops.scatter_nd(ops.zeros_like(x), indices, grad, reduction="add"), None


@register
class ScatterNd(Primitive):
    name = "scatter_nd"

    def infer(self, x, indices, updates, reduction):
        if reduction not in (None, "add", "max", "min", "mul"):
            raise ValueError(f"scatter_update: reduction must be None, 'add', 'max', 'min' or 'mul', got "
                             f"{reduction!r}")
        return Spec(tuple(x.shape), x.dtype)

    def forward(self, xp, x, indices, updates, reduction):
        out = x.copy()
        index = _index(indices)
        updates = updates.astype(x.dtype, copy=False)
        if reduction is None:
            out[index] = updates
        else:
            ufunc = {"add": xp.add, "max": xp.maximum, "min": xp.minimum, "mul": xp.multiply}[reduction]
            ufunc.at(out, index, updates)
        return out

    def gradient(self, ops, inputs, output, grad, reduction):
        x, indices, updates = inputs
        if reduction == "add":
            return grad, None, ops.gather_nd(grad, indices)
        if reduction is None:
            return (ops.scatter_nd(grad, indices, ops.zeros_like(updates), reduction=None), None,
                    ops.gather_nd(grad, indices))
        raise NotImplementedError(f"scatter_update(reduction={reduction!r}) has no gradient rule")


@register
class OverlapAdd(Primitive):
    """Frames ``(..., T, F)`` summed into a signal of length ``F + stride (T - 1)``, frame t at ``t * stride``."""

    name = "overlap_add"

    def infer(self, frames, stride):
        if len(frames.shape) < 2:
            raise ShapeError(f"overlap_add: frames must be (..., frames, frame_length), got "
                             f"{format_shape(frames.shape)}")
        count, length = frames.shape[-2:]
        size = None if count is None or length is None else length + stride * (count - 1)
        return Spec(tuple(frames.shape[:-2]) + (size,), frames.dtype)

    def forward(self, xp, frames, stride):
        count, length = frames.shape[-2:]
        out = xp.zeros(frames.shape[:-2] + (length + stride * (count - 1),), frames.dtype)
        for t in range(count):
            out[..., t * stride:t * stride + length] += frames[..., t, :]
        return out

    def gradient(self, ops, inputs, output, grad, stride):
        (frames,) = inputs
        count, length = frames.shape[-2:]
        index = numpy.arange(count)[:, None] * stride + numpy.arange(length)[None, :]
        return (ops.take(grad, index, axis=len(grad.shape) - 1),)
