"""Shape ops: reshape, transpose, expand/squeeze, concatenate, stack, slicing and indexing, take, one_hot
(pad, tile, repeat and broadcast_to are in ``tiling.py``).

These move values around without arithmetic, so their gradients move the
gradient back: a reshape is undone by ``reshape_like``, a slice by
``getitem_grad`` (the slice written into zeros), a gather by ``take_grad``
(a scatter-add).  Graph shapes may hold ``None`` (the batch), so no gradient
rule reads a shape: the backward primitives read their sizes from the
run-time arrays they are handed (``x`` or ``like``), and each one's own
gradient is the forward op again, which keeps higher derivatives working.

Keys of ``getitem`` are tuples whose items are ints, ``(start, stop, step)``
triples for slices, ``None`` (a new axis) and ``Ellipsis``: hashable, so they
can be attributes.  ``kerasette.ops.getitem`` turns Python keys into them.
"""
from __future__ import annotations

import math

import numpy

from .base import (Primitive, ShapeError, Spec, broadcast_shapes, format_shape, register,
                   result_dtype)


class IndexOutOfRange(ShapeError, IndexError):
    """An integer index past the end of a known axis (an IndexError too, so iteration stops)."""


def known_product(shape) -> int:
    return math.prod(d for d in shape if d is not None)


def merge_sizes(op_name, shapes, skip_axis=None):
    """One shape from several that must agree (``None`` agrees with anything)."""
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes):
        raise ShapeError(f"{op_name}: shapes {' and '.join(format_shape(s) for s in shapes)} "
                         f"have different ranks")
    merged = []
    for axis in range(rank):
        if axis == skip_axis:
            merged.append(None)
            continue
        known = {s[axis] for s in shapes if s[axis] is not None}
        if len(known) > 1:
            raise ShapeError(f"{op_name}: shapes {' and '.join(format_shape(s) for s in shapes)} "
                             f"differ on axis {axis}")
        merged.append(known.pop() if known else None)
    return merged


def check_axis(op_name, axis, rank):
    if not 0 <= axis < rank:
        raise ShapeError(f"{op_name}: axis {axis} is out of range for rank {rank}")


# ------------------------------------------------------------- scatter-add

def scatter_add_rows(xp, index, values, rows):
    """``out[index[i]] += values[i]`` for a 1-D ``index`` and 2-D ``values``, into ``rows`` rows.

    On numpy, float rows go through scipy's sparse product: a ``(rows, n)``
    CSR matrix with a one in column ``i`` of row ``index[i]``, times
    ``values``; each output row is its values summed in the order they come.
    Measured on numpy 2.4 / scipy 1.17 (best of 20, one core), the Embedding
    backward ``take_grad``: 3200 ids into 1000 x 64 (W3) 0.12 ms against 0.69
    ms for the sort-and-``add.reduceat`` below, 4096 into 1000 x 128 (W5)
    0.17 against 1.6 ms, 20000 into 20000 x 128 3.1 against 24 ms
    (``add.at``: 2-4x slower than the sort).  Other dtypes and array modules
    sort the indices and sum each run with ``add.reduceat``, or, for narrow
    rows (<= 16 values), take one ``bincount`` over flat positions.
    """
    width = values.shape[1]
    dtype = values.dtype
    if index.size == 0:
        return xp.zeros((rows, width), dtype=dtype)
    if xp is numpy and dtype in (numpy.float32, numpy.float64):
        import scipy.sparse
        ones = numpy.ones(index.size, dtype=dtype)
        matrix = scipy.sparse.csr_matrix((ones, (index, numpy.arange(index.size))), shape=(rows, index.size))
        return numpy.ascontiguousarray(matrix @ values, dtype=dtype)
    if width <= 16:
        flat = (index[:, None].astype("int64") * width + xp.arange(width)).reshape(-1)
        out = xp.bincount(flat, weights=values.reshape(-1), minlength=rows * width)
        return out.reshape(rows, width).astype(dtype, copy=False)
    order = xp.argsort(index, kind="stable")
    sorted_index = index[order]
    starts = xp.flatnonzero(xp.concatenate((xp.ones(1, dtype=bool),
                                             sorted_index[1:] != sorted_index[:-1])))
    sums = xp.add.reduceat(values[order], starts, axis=0)
    out = xp.zeros((rows, width), dtype=dtype)
    out[sorted_index[starts]] = sums
    return out


def scatter_along_axis(xp, grad, index, size, axis):
    """Sum the slices ``grad[..., i, ...]`` (along ``axis``) into position ``index[i]`` of ``size``."""
    moved = xp.moveaxis(grad, axis, 0)
    rest = moved.shape[1:]
    summed = scatter_add_rows(xp, index, moved.reshape(index.size, -1), size)
    return xp.moveaxis(summed.reshape((size,) + rest), 0, axis)


# ------------------------------------------------------------------ reshape

@register
class Reshape(Primitive):
    """``x.reshape(shape)``; ``shape`` may hold one -1.

    With an unknown (``None``) size in ``x`` the -1 takes the unknown part:
    (None, 4, 4, 20) -> (-1, 320) gives (None, 320), and (None, 3) ->
    (-1, 6, 3) gives (None, 6, 3).  One known product must divide the other,
    so (None, 300) -> (-1, 320) is an error when the graph is built, as in
    Keras, instead of a surprise at run time.
    """

    name = "reshape"
    label = "Reshape"

    def infer(self, x, shape=()):
        shape = tuple(shape)
        source = tuple(x.shape)
        if shape.count(-1) > 1 or any(d < -1 for d in shape):
            raise ShapeError(f"reshape: invalid target shape {shape}")

        def fail():
            raise ShapeError(f"reshape: cannot reshape {format_shape(source)} into "
                             f"{format_shape(shape)}")

        known_in = known_product(source)
        known_out = math.prod(d for d in shape if d != -1)
        if None not in source:
            if -1 in shape:
                if known_out == 0 or known_in % known_out:
                    fail()
                return Spec(tuple(known_in // known_out if d == -1 else d for d in shape), x.dtype)
            if known_in != known_out:
                fail()
            return Spec(shape, x.dtype)
        if -1 in shape:
            # the unknown sizes may fold several known ones in ((None, 3) -> (-1, 6, 3): TimeDistributed
            # unfolding steps from the batch) or out of them ((None, 4, 5) -> (-1, 5)), not neither
            if known_out == 0 or (known_in % known_out and known_out % known_in):
                fail()
            return Spec(tuple(None if d == -1 else d for d in shape), x.dtype)
        if known_in == 0 or known_out % known_in:
            fail()
        return Spec(shape, x.dtype)

    def forward(self, xp, x, shape=()):
        return xp.reshape(x, shape)

    def gradient(self, ops, inputs, output, grad, shape=()):
        (x,) = inputs
        return (ops.reshape_like(grad, x),)


@register
class ReshapeLike(Primitive):
    """``x`` reshaped to the run-time shape of ``like``: undoes a reshape on any batch size."""

    name = "reshape_like"
    label = "Reshape"

    def infer(self, x, like):
        if None not in x.shape and None not in like.shape and \
                known_product(x.shape) != known_product(like.shape):
            raise ShapeError(f"reshape_like: cannot reshape {format_shape(x.shape)} into "
                             f"{format_shape(like.shape)}")
        return Spec(tuple(like.shape), x.dtype)

    def forward(self, xp, x, like):
        return xp.reshape(x, like.shape)

    def gradient(self, ops, inputs, output, grad):
        x, _ = inputs
        return ops.reshape_like(grad, x), None


@register
class Transpose(Primitive):
    name = "transpose"
    label = "transpose"

    def infer(self, x, axes=()):
        if sorted(axes) != list(range(len(x.shape))):
            raise ShapeError(f"transpose: axes {tuple(axes)} are not a permutation of the axes "
                             f"of {format_shape(x.shape)}")
        return Spec(tuple(x.shape[a] for a in axes), x.dtype)

    def forward(self, xp, x, axes=()):
        return xp.transpose(x, axes)

    def gradient(self, ops, inputs, output, grad, axes=()):
        inverse = tuple(sorted(range(len(axes)), key=lambda i: axes[i]))
        return (ops.transpose(grad, axes=inverse),)


@register
class ExpandDims(Primitive):
    """New axes of size 1 at ``axis`` (positions in the output)."""

    name = "expand_dims"
    label = "ExpandDims"

    def infer(self, x, axis=()):
        rank = len(x.shape) + len(axis)
        for a in axis:
            check_axis(self.name, a, rank)
        rest = iter(x.shape)
        return Spec(tuple(1 if i in axis else next(rest) for i in range(rank)), x.dtype)

    def forward(self, xp, x, axis=()):
        return xp.expand_dims(x, axis)

    def gradient(self, ops, inputs, output, grad, axis=()):
        return (ops.squeeze(grad, axis=axis),)


@register
class Squeeze(Primitive):
    """Drop the size-1 axes listed in ``axis``."""

    name = "squeeze"
    label = "Squeeze"

    def infer(self, x, axis=()):
        for a in axis:
            check_axis(self.name, a, len(x.shape))
            if x.shape[a] not in (1, None):
                raise ShapeError(f"squeeze: cannot squeeze axis {a} of size {x.shape[a]} "
                                 f"in {format_shape(x.shape)}")
        return Spec(tuple(d for i, d in enumerate(x.shape) if i not in axis), x.dtype)

    def forward(self, xp, x, axis=()):
        return xp.squeeze(x, axis)

    def gradient(self, ops, inputs, output, grad, axis=()):
        return (ops.expand_dims(grad, axis=axis),)


# ---------------------------------------------------------- joining arrays

@register
class Concatenate(Primitive):
    """Join any number of inputs along ``axis``."""

    name = "concatenate"
    label = "concat"

    def infer(self, *inputs, axis=0):
        shapes = [tuple(x.shape) for x in inputs]
        if not shapes:
            raise ShapeError("concatenate: needs at least one input")
        check_axis(self.name, axis, len(shapes[0]))
        try:
            merged = merge_sizes(self.name, shapes, skip_axis=axis)
        except ShapeError:
            raise ShapeError(f"concatenate: shapes {' and '.join(format_shape(s) for s in shapes)} "
                             f"cannot be concatenated along axis {axis}") from None
        sizes = [s[axis] for s in shapes]
        merged[axis] = None if None in sizes else sum(sizes)
        return Spec(tuple(merged), result_dtype(*(x.dtype for x in inputs)))

    def forward(self, xp, *arrays, axis=0):
        return xp.concatenate(arrays, axis=axis)

    def gradient(self, ops, inputs, output, grad, axis=0):
        return tuple(ops.concatenate_grad(grad, *inputs, index=i, axis=axis)
                     for i in range(len(inputs)))


@register
class ConcatenateGrad(Primitive):
    """The part of a concatenation's gradient that belongs to ``inputs[index]``.

    The offsets come from the run-time sizes of the inputs, so concatenating
    along an axis of unknown size (the batch) is differentiable too.
    """

    name = "concatenate_grad"

    def infer(self, grad, *inputs, index=0, axis=0):
        return Spec(tuple(inputs[index].shape), grad.dtype)

    def forward(self, xp, grad, *inputs, index=0, axis=0):
        start = sum(x.shape[axis] for x in inputs[:index])
        key = (slice(None),) * axis + (slice(start, start + inputs[index].shape[axis]),)
        return grad[key]

    def gradient(self, ops, inputs, output, grad, index=0, axis=0):
        _, *parts = inputs
        pieces = [grad if i == index else ops.zeros_like(part) for i, part in enumerate(parts)]
        return (ops.concatenate(*pieces, axis=axis),) + (None,) * len(parts)


@register
class Stack(Primitive):
    """Join inputs of one shape along a new axis ``axis``."""

    name = "stack"
    label = "stack"

    def infer(self, *inputs, axis=0):
        shapes = [tuple(x.shape) for x in inputs]
        if not shapes:
            raise ShapeError("stack: needs at least one input")
        check_axis(self.name, axis, len(shapes[0]) + 1)
        merged = merge_sizes(self.name, shapes)
        merged.insert(axis, len(shapes))
        return Spec(tuple(merged), result_dtype(*(x.dtype for x in inputs)))

    def forward(self, xp, *arrays, axis=0):
        return xp.stack(arrays, axis=axis)

    def gradient(self, ops, inputs, output, grad, axis=0):
        full = (None, None, None)
        return tuple(ops.getitem(grad, key=(full,) * axis + (i,)) for i in range(len(inputs)))


# ------------------------------------------------------------ basic indexing

def decode_key(key) -> tuple:
    """An attribute key as a numpy index: ``(start, stop, step)`` triples become slices."""
    return tuple(slice(*item) if isinstance(item, tuple) else item for item in key)


def expand_ellipsis(key, rank, op_name="getitem"):
    """``key`` with its Ellipsis (or missing trailing axes) as full slices."""
    consumed = sum(1 for item in key if item is not None and item is not Ellipsis)
    if consumed > rank:
        raise IndexOutOfRange(f"{op_name}: too many indices ({consumed}) for rank {rank}")
    full = ((None, None, None),) * (rank - consumed)
    if any(item is Ellipsis for item in key):
        if sum(1 for item in key if item is Ellipsis) > 1:
            raise IndexError(f"{op_name}: an index can only have a single ellipsis")
        at = next(i for i, item in enumerate(key) if item is Ellipsis)
        return tuple(key[:at]) + full + tuple(key[at + 1:])
    return tuple(key) + full


@register
class GetItem(Primitive):
    """Basic indexing ``x[key]`` (ints, slices, None, Ellipsis); a view, no copy."""

    name = "getitem"
    label = "strided_slice"

    def infer(self, x, key=()):
        shape = tuple(x.shape)
        key = expand_ellipsis(key, len(shape))
        out, axis = [], 0
        for item in key:
            if item is None:
                out.append(1)
                continue
            size = shape[axis]
            if isinstance(item, tuple):
                out.append(None if size is None else len(range(*slice(*item).indices(size))))
            elif size is not None and not -size <= item < size:
                raise IndexOutOfRange(f"getitem: index {item} is out of range for axis {axis} "
                                      f"of {format_shape(shape)}")
            axis += 1
        return Spec(tuple(out), x.dtype)

    def forward(self, xp, x, key=()):
        return x[decode_key(key)]

    def gradient(self, ops, inputs, output, grad, key=()):
        (x,) = inputs
        return (ops.getitem_grad(grad, x, key=key),)


@register
class GetItemGrad(Primitive):
    """Zeros shaped like ``x`` with ``grad`` written at ``x[key]``: the gradient of a slice."""

    name = "getitem_grad"

    def infer(self, grad, x, key=()):
        return Spec(tuple(x.shape), grad.dtype)

    def forward(self, xp, grad, x, key=()):
        out = xp.zeros(x.shape, dtype=grad.dtype)
        out[decode_key(key)] = grad
        return out

    def gradient(self, ops, inputs, output, grad, key=()):
        return ops.getitem(grad, key=key), None


# ------------------------------------------------------------------ gathers

@register
class Take(Primitive):
    """``take(x, indices, axis)``: whole slices of ``x`` picked by integer ``indices`` (Embedding)."""

    name = "take"
    label = "GatherV2"

    def infer(self, x, indices, axis=0):
        check_axis(self.name, axis, len(x.shape))
        if numpy.dtype(indices.dtype).kind not in "iu":
            raise ShapeError(f"take: indices must be integers, got {numpy.dtype(indices.dtype).name}")
        shape = tuple(x.shape)
        return Spec(shape[:axis] + tuple(indices.shape) + shape[axis + 1:], x.dtype)

    def forward(self, xp, x, indices, axis=0):
        return xp.take(x, indices, axis=axis)

    def gradient(self, ops, inputs, output, grad, axis=0):
        x, indices = inputs
        return ops.take_grad(grad, x, indices, axis=axis), None


@register
class TakeGrad(Primitive):
    """Zeros shaped like ``x`` with the slices of ``grad`` added at ``indices``: take's gradient."""

    name = "take_grad"

    def infer(self, grad, x, indices, axis=0):
        return Spec(tuple(x.shape), grad.dtype)

    def forward(self, xp, grad, x, indices, axis=0):
        size = x.shape[axis]
        index = indices.reshape(-1) % size if indices.size else indices.reshape(-1)
        rows = grad.reshape(grad.shape[:axis] + (index.size,) + grad.shape[axis + indices.ndim:])
        return scatter_along_axis(xp, rows, index, size, axis)

    def gradient(self, ops, inputs, output, grad, axis=0):
        _, _, indices = inputs
        return ops.take(grad, indices, axis=axis), None, None


@register
class TakeAlongAxis(Primitive):
    """``take_along_axis(x, indices, axis)``: one element per index, like numpy's."""

    name = "take_along_axis"

    def infer(self, x, indices, axis=0):
        if len(x.shape) != len(indices.shape):
            raise ShapeError(f"take_along_axis: x {format_shape(x.shape)} and indices "
                             f"{format_shape(indices.shape)} have different ranks")
        check_axis(self.name, axis, len(x.shape))
        x_shape = tuple(1 if i == axis else d for i, d in enumerate(x.shape))
        i_shape = tuple(1 if i == axis else d for i, d in enumerate(indices.shape))
        shape = list(broadcast_shapes(self.name, x_shape, i_shape))
        shape[axis] = indices.shape[axis]
        return Spec(tuple(shape), x.dtype)

    def forward(self, xp, x, indices, axis=0):
        shape = list(xp.broadcast_shapes(
            tuple(1 if i == axis else d for i, d in enumerate(x.shape)),
            tuple(1 if i == axis else d for i, d in enumerate(indices.shape))))
        x_shape, i_shape = list(shape), list(shape)
        x_shape[axis], i_shape[axis] = x.shape[axis], indices.shape[axis]
        return xp.take_along_axis(xp.broadcast_to(x, x_shape), xp.broadcast_to(indices, i_shape),
                                  axis=axis)

    def gradient(self, ops, inputs, output, grad, axis=0):
        x, indices = inputs
        return ops.take_along_axis_grad(grad, x, indices, axis=axis), None


@register
class TakeAlongAxisGrad(Primitive):
    """Zeros shaped like ``x`` with ``grad`` added at ``indices`` along ``axis``."""

    name = "take_along_axis_grad"

    def infer(self, grad, x, indices, axis=0):
        return Spec(tuple(x.shape), grad.dtype)

    def forward(self, xp, grad, x, indices, axis=0):
        size = x.shape[axis]
        index = xp.moveaxis(xp.broadcast_to(indices, grad.shape), axis, -1) % size
        values = xp.moveaxis(grad, axis, -1)
        lead = values.shape[:-1]
        rows = math.prod(lead)
        flat = (xp.arange(rows).reshape(lead + (1,)) * size + index).reshape(-1)
        summed = xp.bincount(flat, weights=values.reshape(-1), minlength=rows * size)
        full = xp.moveaxis(summed.reshape(lead + (size,)), -1, axis).astype(grad.dtype, copy=False)
        # x may have been broadcast against indices: sum those axes back
        axes = tuple(i for i, d in enumerate(x.shape) if d == 1 and full.shape[i] != 1)
        return full.sum(axis=axes, keepdims=True) if axes else full

    def gradient(self, ops, inputs, output, grad, axis=0):
        _, _, indices = inputs
        return ops.take_along_axis(grad, indices, axis=axis), None, None


@register
class OneHot(Primitive):
    """1 at each index along a new axis of ``num_classes``, else 0; indices out of range give all zeros."""

    name = "one_hot"
    differentiable = False

    def infer(self, x, num_classes=1, axis=-1, dtype="float32"):
        shape = list(x.shape)
        position = len(shape) if axis == -1 else axis
        check_axis(self.name, position, len(shape) + 1)
        shape.insert(position, num_classes)
        return Spec(tuple(shape), numpy.dtype(dtype))

    def forward(self, xp, x, num_classes=1, axis=-1, dtype="float32"):
        position = x.ndim if axis == -1 else axis
        classes = xp.arange(num_classes).reshape((num_classes,) + (1,) * (x.ndim - position))
        return (xp.expand_dims(x, position) == classes).astype(dtype)
