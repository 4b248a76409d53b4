"""Sorting, searching, counting and segment reductions.

Indices come back as int32, as in Keras 3.  Sorting itself has no primitive:
``ops.sort`` is ``take_along_axis(x, argsort(x))`` and ``ops.top_k`` takes
its values the same way, so their gradients are take_along_axis's.
``argsort`` is stable (equal values keep their order, as JAX's); top_k's
indices prefer the lower index among equal values.

A few outputs have sizes that depend on the values (``bincount`` without a
length, ``unique``, ``nonzero``): their shape rules give ``None`` for that
axis, so they build into graphs and the size is known when the program runs.

``cumprod`` has the gradient ``reverse_cumsum(grad * y) / x`` (exact while
no element is zero).  The segment reductions' gradients read the output
gradient back at each element's segment (``take``).
"""
from __future__ import annotations

import numpy

from .base import Primitive, ShapeError, Spec, format_shape, register
from .shape import check_axis

INDEX = numpy.dtype("int32")


@register
class Argsort(Primitive):
    name = "argsort"
    differentiable = False

    def infer(self, x, axis):
        check_axis(self.name, axis, len(x.shape))
        return Spec(tuple(x.shape), INDEX)

    def forward(self, xp, x, axis):
        return xp.argsort(x, axis=axis, kind="stable").astype(INDEX)


@register
class TopKIndices(Primitive):
    """The indices of the ``k`` largest values along the last axis, largest first."""

    name = "top_k_indices"
    differentiable = False

    def infer(self, x, k):
        if len(x.shape) < 1:
            raise ShapeError(f"top_k: x must have at least one axis, got {format_shape(x.shape)}")
        if x.shape[-1] is not None and not 0 < k <= x.shape[-1]:
            raise ShapeError(f"top_k: k={k} must be in 1..{x.shape[-1]} for x of shape {format_shape(x.shape)}")
        return Spec(tuple(x.shape[:-1]) + (k,), INDEX)

    def forward(self, xp, x, k):
        order = xp.argsort(_descending_key(xp, x), axis=-1, kind="stable")
        return order[..., :k].astype(INDEX)


def _descending_key(xp, x):
    if x.dtype.kind == "b":
        return ~x
    if x.dtype.kind == "u":
        return xp.iinfo(x.dtype).max - x
    if x.dtype.kind in "i":
        return -(x.astype("int64"))
    return -x


@register
class Argpartition(Primitive):
    """Indices with the ``kth + 1`` smallest first (ascending, as Keras 3 on JAX orders them),
    then the others in index order."""

    name = "argpartition"
    differentiable = False

    def infer(self, x, kth, axis):
        check_axis(self.name, axis, len(x.shape))
        return Spec(tuple(x.shape), INDEX)

    def forward(self, xp, x, kth, axis):
        moved = xp.moveaxis(x, axis, -1)
        order = xp.argsort(moved, axis=-1, kind="stable")
        bottom = order[..., :kth + 1]
        rest = xp.sort(order[..., kth + 1:], axis=-1)
        return xp.moveaxis(xp.concatenate([bottom, rest], axis=-1), -1, axis).astype(INDEX)


@register
class Searchsorted(Primitive):
    """Insertion points of ``values`` into the 1-d ``sorted_sequence``."""

    name = "searchsorted"
    differentiable = False

    def infer(self, sorted_sequence, values, side):
        if len(sorted_sequence.shape) != 1:
            raise ShapeError(f"searchsorted: sorted_sequence must be 1-d, got {format_shape(sorted_sequence.shape)}")
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        return Spec(tuple(values.shape), INDEX)

    def forward(self, xp, sorted_sequence, values, side):
        return xp.searchsorted(sorted_sequence, values, side=side).astype(INDEX)


@register
class Bincount(Primitive):
    """Counts (or summed weights) of each non-negative integer, per row for 2-d input."""

    name = "bincount"
    differentiable = False

    def infer(self, x, *weights, minlength, length):
        if len(x.shape) not in (1, 2):
            raise ShapeError(f"bincount: x must be 1-d or 2-d, got {format_shape(x.shape)}")
        dtype = weights[0].dtype if weights else numpy.dtype("int32")
        return Spec(tuple(x.shape[:-1]) + (length,), dtype)

    def forward(self, xp, x, *weights, minlength, length):
        x = x.astype("int64")
        if x.size and x.min() < 0:
            raise ValueError("bincount: x must hold non-negative integers")
        size = length if length is not None else max(int(x.max()) + 1 if x.size else 0, minlength)
        w = weights[0] if weights else None
        dtype = w.dtype if w is not None else INDEX
        if x.ndim == 1:
            return xp.bincount(x, weights=w, minlength=size)[:size].astype(dtype)
        offsets = (xp.arange(x.shape[0]) * size)[:, None]
        flat = xp.bincount((x + offsets).reshape(-1), weights=None if w is None else xp.broadcast_to(w, x.shape).reshape(-1),
                           minlength=size * x.shape[0])
        return flat.reshape(x.shape[0], size).astype(dtype)


@register
class Unique(Primitive):
    """The sorted distinct values (``axis=None``: of the flattened input; else distinct slices along
    ``axis``), or their first indices, inverse indices or counts (``part``); sizes known at run time."""

    name = "unique"
    differentiable = False

    def infer(self, x, part, axis=None):
        if part == "inverse":
            return Spec(tuple(x.shape) if axis is None else (x.shape[axis],), INDEX)
        if part in ("counts", "index"):
            return Spec((None,), INDEX)
        if axis is None:
            return Spec((None,), x.dtype)
        shape = list(x.shape)
        shape[axis] = None
        return Spec(tuple(shape), x.dtype)

    def forward(self, xp, x, part, axis=None):
        source = x.reshape(-1) if axis is None else x
        values, index, inverse, counts = xp.unique(source, return_index=True, return_inverse=True,
                                                   return_counts=True, axis=axis)
        if part == "inverse":
            return inverse.reshape(x.shape if axis is None else (-1,)).astype(INDEX)
        return {"counts": counts, "index": index}[part].astype(INDEX) if part != "values" else values


@register
class Nonzero(Primitive):
    """The indices along ``axis`` of the non-zero elements (row-major order)."""

    name = "nonzero"
    differentiable = False

    def infer(self, x, axis):
        return Spec((None,), INDEX)

    def forward(self, xp, x, axis):
        return xp.nonzero(x)[axis].astype(INDEX)


@register
class Histogram(Primitive):
    """numpy's histogram counts of ``x`` over the bins between consecutive ``edges``."""

    name = "histogram"
    differentiable = False

    def infer(self, x, edges):
        size = edges.shape[0]
        return Spec((None if size is None else size - 1,), INDEX)

    def forward(self, xp, x, edges):
        return xp.histogram(x.reshape(-1), bins=edges)[0].astype(INDEX)


@register
class Isin(Primitive):
    name = "isin"
    differentiable = False

    def infer(self, x, test, invert):
        return Spec(tuple(x.shape), numpy.dtype(bool))

    def forward(self, xp, x, test, invert):
        return xp.isin(x, test, invert=invert)


@register
class CumProd(Primitive):
    """Running product along ``axis``."""

    name = "cumprod"

    def infer(self, x, axis):
        check_axis(self.name, axis, len(x.shape))
        dtype = numpy.dtype(x.dtype)
        return Spec(tuple(x.shape), numpy.dtype("int32") if dtype.kind == "b" else dtype)

    def forward(self, xp, x, axis):
        return xp.cumprod(x, axis=axis, dtype="int32" if x.dtype.kind == "b" else x.dtype)

    def gradient(self, ops, inputs, output, grad, axis):
        (x,) = inputs
        return (ops.cumsum(grad * output, axis=axis, reverse=True) / x,)


# ----------------------------------------------------------------- diagonals

def _diagonal_index(shape, offset, axis1, axis2):
    rows, cols = shape[axis1], shape[axis2]
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    start_row, start_col = max(-offset, 0), max(offset, 0)
    return numpy.arange(length) + start_row, numpy.arange(length) + start_col


@register
class Diagonal(Primitive):
    """numpy's ``diagonal(x, offset, axis1, axis2)``: the diagonal becomes the last axis."""

    name = "diagonal"

    def infer(self, x, offset, axis1, axis2):
        shape = tuple(x.shape)
        if len(shape) < 2 or axis1 == axis2:
            raise ShapeError(f"diagonal: needs two distinct axes of x, got axes {axis1}, {axis2} of "
                             f"{format_shape(shape)}")
        rest = tuple(d for i, d in enumerate(shape) if i not in (axis1, axis2))
        rows, cols = shape[axis1], shape[axis2]
        length = None if rows is None or cols is None else max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
        return Spec(rest + (length,), x.dtype)

    def forward(self, xp, x, offset, axis1, axis2):
        return xp.diagonal(x, offset=offset, axis1=axis1, axis2=axis2).copy()

    def gradient(self, ops, inputs, output, grad, offset, axis1, axis2):
        (x,) = inputs
        return (ops.diagonal_grad(grad, x, offset=offset, axis1=axis1, axis2=axis2),)


@register
class DiagonalGrad(Primitive):
    """Zeros shaped like ``x`` with ``grad`` written on the diagonal ``diagonal`` reads."""

    name = "diagonal_grad"

    def infer(self, grad, x, offset, axis1, axis2):
        return Spec(tuple(x.shape), grad.dtype)

    def forward(self, xp, grad, x, offset, axis1, axis2):
        out = xp.zeros(x.shape, dtype=grad.dtype)
        rows, cols = _diagonal_index(x.shape, offset, axis1, axis2)
        moved = xp.moveaxis(out, (axis1, axis2), (-2, -1))
        moved[..., rows, cols] = grad
        return out

    def gradient(self, ops, inputs, output, grad, offset, axis1, axis2):
        return (ops.diagonal(grad, offset=offset, axis1=axis1, axis2=axis2), None)


# ------------------------------------------------------------------ segments

SEGMENT_KINDS = ("sum", "max", "min", "prod")


@register
class SegmentReduce(Primitive):
    """Rows of ``data`` combined per ``segment_ids`` into ``num_segments`` rows (empty: 0 / identity)."""

    name = "segment_reduce"

    def infer(self, data, ids, kind, num_segments):
        if kind not in SEGMENT_KINDS:
            raise ValueError(f"segment_reduce: kind must be one of {SEGMENT_KINDS}, got {kind!r}")
        if len(ids.shape) != 1 or (ids.shape[0] is not None and data.shape[0] is not None
                                   and ids.shape[0] != data.shape[0]):
            raise ShapeError(f"segment_{kind}: segment_ids must be 1-d and as long as data's first axis, got "
                             f"{format_shape(ids.shape)} for data {format_shape(data.shape)}")
        return Spec((num_segments,) + tuple(data.shape[1:]), data.dtype)

    def forward(self, xp, data, ids, kind, num_segments):
        ids = ids.astype("int64")
        count = num_segments if num_segments is not None else (int(ids.max()) + 1 if ids.size else 0)
        shape = (count,) + data.shape[1:]
        keep = (ids >= 0) & (ids < count)
        ids, data = ids[keep], data[keep]
        if kind == "sum":
            out = xp.zeros(shape, data.dtype)
            xp.add.at(out, ids, data)
        elif kind == "prod":
            out = xp.ones(shape, data.dtype)
            xp.multiply.at(out, ids, data)
        else:
            if data.dtype.kind == "f":
                fill = -xp.inf if kind == "max" else xp.inf
            else:
                info = xp.iinfo(data.dtype)
                fill = info.min if kind == "max" else info.max
            out = xp.full(shape, fill, data.dtype)
            (xp.maximum if kind == "max" else xp.minimum).at(out, ids, data)
        return out

    def gradient(self, ops, inputs, output, grad, kind, num_segments):
        data, ids = inputs
        back = ops.take(grad, ids, axis=0)
        if kind == "sum":
            return back, None
        picked = ops.take(output, ids, axis=0)
        if kind == "prod":
            return back * picked / data, None
        return ops.where(ops.equal(data, picked), back, ops.zeros_like(back)), None
