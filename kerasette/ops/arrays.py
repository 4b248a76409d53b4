"""numpy's array manipulation in Keras 3's names: flips, rolls, stacks and splits,
diagonals and triangles, products (outer, inner, kron, cross), differences,
slices at run-time positions, scatters, ``select``, ``rearrange``, and the
depth/space rearrangements of ``keras.ops.nn``.

Everything is composed of primitives (``getitem``, ``transpose``,
``concatenate``, ``diagonal``, ``dynamic_slice``, ``scatter_nd``, ...), so
the three callers and the gradients come with them.
"""
from __future__ import annotations

import builtins
import math
import numbers
import re
from typing import Any

import numpy

from ..eager import Tensor
from ..engine import Node
from ..primitives.base import normalize_axis
from . import math as _m
from . import reduction as _r
from . import shape_ops as _s
from .core import apply, dtype_of, shape_of

TensorLike = Any

__all__ = ["flip", "fliplr", "flipud", "roll", "rot90", "swapaxes", "moveaxis", "ravel", "hstack", "vstack",
           "dstack", "append", "array_split", "hsplit", "vsplit", "dsplit", "unstack", "diagonal", "diag",
           "diagflat", "trace", "tril", "triu", "kron", "outer", "inner", "vdot", "cross", "diff", "meshgrid",
           "vander", "copy", "array", "slice", "slice_update", "scatter", "scatter_update", "get_item", "select",
           "unravel_index", "rearrange", "extract_sequences", "depth_to_space", "space_to_depth", "view",
           "view_as_real", "view_as_complex"]

FULL = (None, None, None)


def _rank(x) -> int:
    return len(shape_of(x))


def _axis(x, axis, name) -> int:
    return normalize_axis(int(axis), _rank(x), name)[0]


def flip(x: TensorLike, axis=None) -> TensorLike:
    """``x`` reversed along ``axis`` (all axes when None)."""
    axes = normalize_axis(axis, _rank(x), "flip")
    return apply("getitem", x, key=tuple((None, None, -1) if a in axes else FULL for a in range(_rank(x))))


def fliplr(x: TensorLike) -> TensorLike:
    """Reversed along axis 1."""
    return flip(x, 1)


def flipud(x: TensorLike) -> TensorLike:
    """Reversed along axis 0."""
    return flip(x, 0)


def roll(x: TensorLike, shift, axis=None) -> TensorLike:
    """Elements shifted by ``shift`` along ``axis`` (of the flattened ``x`` when None), wrapping round."""
    if axis is None:
        return _s.reshape(roll(_s.reshape(x, (-1,)), shift, 0), shape_of(x) if None not in shape_of(x)
                          else tuple(-1 if d is None else d for d in shape_of(x)))
    shifts = (shift,) * (1 if isinstance(axis, int) else len(axis)) if isinstance(shift, numbers.Integral) \
        else tuple(shift)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for s, a in zip(shifts, axes):
        a = _axis(x, a, "roll")
        size = shape_of(x)[a]
        if size is None:
            raise ValueError(f"roll: axis {a} has unknown size")
        s = int(s) % size if size else 0
        if s:
            head = (FULL,) * a
            x = _s.concatenate([apply("getitem", x, key=head + ((size - s, None, None),)),
                                apply("getitem", x, key=head + ((None, size - s, None),))], axis=a)
    return x


def swapaxes(x: TensorLike, axis1: int, axis2: int) -> TensorLike:
    """``x`` with two axes exchanged."""
    order = list(range(_rank(x)))
    a, b = _axis(x, axis1, "swapaxes"), _axis(x, axis2, "swapaxes")
    order[a], order[b] = order[b], order[a]
    return _s.transpose(x, tuple(order))


def moveaxis(x: TensorLike, source, destination) -> TensorLike:
    """``x`` with the ``source`` axes moved to ``destination``, the rest in order."""
    rank = _rank(x)
    source = [normalize_axis(int(a), rank, "moveaxis")[0] for a in ((source,) if isinstance(source, int) else source)]
    destination = [normalize_axis(int(a), rank, "moveaxis")[0]
                   for a in ((destination,) if isinstance(destination, int) else destination)]
    if len(source) != len(destination):
        raise ValueError(f"moveaxis: source {source} and destination {destination} differ in length")
    order = [a for a in range(rank) if a not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return _s.transpose(x, tuple(order))


def rot90(array: TensorLike, k: int = 1, axes=(0, 1)) -> TensorLike:
    """``array`` rotated by 90 degrees ``k`` times in the plane of ``axes``."""
    a, b = (_axis(array, ax, "rot90") for ax in axes)
    if a == b:
        raise ValueError(f"rot90: axes must differ, got {axes}")
    k = int(k) % 4
    if k == 0:
        return array
    if k == 2:
        return flip(flip(array, a), b)
    if k == 1:
        return swapaxes(flip(array, b), a, b)
    return flip(swapaxes(array, a, b), b)


def ravel(x: TensorLike) -> TensorLike:
    """``x`` flattened to 1-d."""
    return _s.reshape(x, (-1,))


def _at_least(x, rank):
    shape = shape_of(x)
    if len(shape) >= rank:
        return x
    if rank == 2:
        return _s.reshape(x, (1, -1) if len(shape) == 1 else (1, 1))
    if len(shape) == 0:
        return _s.reshape(x, (1, 1, 1))
    if len(shape) == 1:
        return _s.reshape(x, (1, -1, 1))
    return _s.expand_dims(x, -1)


def hstack(xs) -> TensorLike:
    """Stacked along axis 1 (axis 0 for 1-d arrays)."""
    return _s.concatenate(list(xs), axis=0 if _rank(xs[0]) == 1 else 1)


def vstack(xs) -> TensorLike:
    """Stacked along axis 0, 1-d arrays as rows."""
    return _s.concatenate([_at_least(x, 2) for x in xs], axis=0)


def dstack(xs) -> TensorLike:
    """Stacked along axis 2 (depth), after making each at least 3-d."""
    return _s.concatenate([_at_least(x, 3) for x in xs], axis=2)


def append(x1: TensorLike, x2: TensorLike, axis=None) -> TensorLike:
    """``x2`` joined after ``x1`` along ``axis`` (both flattened when None)."""
    if axis is None:
        return _s.concatenate([ravel(x1), ravel(x2)], axis=0)
    return _s.concatenate([x1, x2], axis=axis)


def array_split(x: TensorLike, indices_or_sections, axis: int = 0) -> list:
    """Like ``split`` but sections may differ by one (the first ones are longer)."""
    axis = _axis(x, axis, "array_split")
    if isinstance(indices_or_sections, numbers.Integral):
        size = shape_of(x)[axis]
        sections = int(indices_or_sections)
        each, extra = divmod(size, sections)
        bounds, total = [], 0
        for i in range(sections - 1):
            total += each + (1 if i < extra else 0)
            bounds.append(total)
        return _s.split(x, bounds, axis=axis)
    return _s.split(x, indices_or_sections, axis=axis)


def hsplit(x, indices_or_sections) -> list:
    """``split`` along axis 1 (axis 0 for 1-d)."""
    return _s.split(x, indices_or_sections, axis=0 if _rank(x) == 1 else 1)


def vsplit(x, indices_or_sections) -> list:
    """``split`` along axis 0."""
    return _s.split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections) -> list:
    """``split`` along axis 2."""
    return _s.split(x, indices_or_sections, axis=2)


def unstack(x: TensorLike, num=None, axis: int = 0) -> list:
    """The slices of ``x`` along ``axis``, as a list."""
    axis = _axis(x, axis, "unstack")
    size = shape_of(x)[axis] if num is None else int(num)
    if size is None:
        raise ValueError(f"unstack: axis {axis} has unknown size; pass num")
    return [apply("getitem", x, key=(FULL,) * axis + (i,)) for i in range(size)]


def diagonal(x: TensorLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> TensorLike:
    """The diagonal ``offset`` of the planes ``(axis1, axis2)``, as the last axis."""
    return apply("diagonal", x, offset=int(offset), axis1=_axis(x, axis1, "diagonal"),
                 axis2=_axis(x, axis2, "diagonal"))


def diag(x: TensorLike, k: int = 0) -> TensorLike:
    """A 1-d ``x`` as the diagonal ``k`` of a square matrix; a 2-d ``x``'s diagonal ``k``."""
    rank = _rank(x)
    if rank == 2:
        return diagonal(x, k)
    if rank != 1:
        raise ValueError(f"diag: x must be 1-d or 2-d, got shape {shape_of(x)}")
    n = shape_of(x)[0] + builtins.abs(int(k))
    return apply("diagonal_grad", x, numpy.zeros((n, n), dtype=numpy.dtype(dtype_of(x))), offset=int(k),
                 axis1=0, axis2=1)


def diagflat(x: TensorLike, k: int = 0) -> TensorLike:
    """The flattened ``x`` as the diagonal ``k`` of a square matrix."""
    return diag(ravel(x), k)


def trace(x: TensorLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> TensorLike:
    """The sum of the diagonal ``offset`` of the planes ``(axis1, axis2)``."""
    return _r.sum(diagonal(x, offset, axis1, axis2), axis=-1)


def _triangle(x, k, lower, name):
    from .creation import arange, zeros_like
    rows, cols = shape_of(x)[-2:]
    if rows is not None and cols is not None:
        mask = numpy.tri(rows, cols, k, dtype=bool) if lower else ~numpy.tri(rows, cols, k - 1, dtype=bool)
    else:
        # sizes known only at run time: compare row and column indices then
        from .introspection import shape as runtime_shape
        rows, cols = runtime_shape(x)[-2:]
        offset = _m.subtract(_s.expand_dims(arange(cols, dtype="int32"), 0),
                             _s.expand_dims(arange(rows, dtype="int32"), 1))
        mask = _m.less_equal(offset, k) if lower else _m.greater_equal(offset, k)
    return _m.where(mask, x, zeros_like(x))


def tril(x: TensorLike, k: int = 0) -> TensorLike:
    """``x`` with the elements above diagonal ``k`` of its last two axes set to zero."""
    return _triangle(x, int(k), True, "tril")


def triu(x: TensorLike, k: int = 0) -> TensorLike:
    """``x`` with the elements below diagonal ``k`` of its last two axes set to zero."""
    return _triangle(x, int(k), False, "triu")


def kron(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """The Kronecker product (block ``x1[i] * x2``)."""
    a, b = shape_of(x1), shape_of(x2)
    rank = builtins.max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + tuple(a), (1,) * (rank - len(b)) + tuple(b)
    left = _s.reshape(x1, tuple(v for d in a for v in (d, 1)))
    right = _s.reshape(x2, tuple(v for d in b for v in (1, d)))
    return _s.reshape(_m.multiply(left, right), tuple(p * q for p, q in zip(a, b)))


def outer(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """``x1[i] * x2[j]`` of the flattened inputs."""
    return _m.multiply(_s.reshape(x1, (-1, 1)), _s.reshape(x2, (1, -1)))


def inner(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """Sum of products over the last axes (a product when one is a scalar)."""
    if _rank(x1) == 0 or _rank(x2) == 0:
        return _m.multiply(x1, x2)
    from .linalg import tensordot
    return tensordot(x1, x2, axes=([_rank(x1) - 1], [_rank(x2) - 1]))


def vdot(x1: TensorLike, x2: TensorLike) -> TensorLike:
    """The dot product of the flattened inputs (the first conjugated)."""
    from .numeric import conj
    return _r.sum(_m.multiply(conj(ravel(x1)), ravel(x2)))


def cross(x1: TensorLike, x2: TensorLike, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis=None):
    """The cross product of 3-vectors (or 2-vectors: its z component) along the given axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(x1, axisa, -1)
    b = moveaxis(x2, axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: vectors must have 2 or 3 components, got {na} and {nb}")

    def part(v, i, n):
        if i >= n:
            return None
        return apply("getitem", v, key=(FULL,) * (_rank(v) - 1) + (i,))
    a0, a1, a2 = (part(a, i, na) for i in range(3))
    b0, b1, b2 = (part(b, i, nb) for i in range(3))
    z = _m.subtract(_m.multiply(a0, b1), _m.multiply(a1, b0))
    if a2 is None and b2 is None:
        return z
    if a2 is None:
        x, y = _m.multiply(a1, b2), _m.negative(_m.multiply(a0, b2))
    elif b2 is None:
        x, y = _m.negative(_m.multiply(a2, b1)), _m.multiply(a2, b0)
    else:
        x = _m.subtract(_m.multiply(a1, b2), _m.multiply(a2, b1))
        y = _m.subtract(_m.multiply(a2, b0), _m.multiply(a0, b2))
    out = _s.stack([x, y, z], axis=-1)
    return moveaxis(out, -1, axisc)


def diff(a: TensorLike, n: int = 1, axis: int = -1) -> TensorLike:
    """The ``n``-th differences along ``axis``."""
    axis = _axis(a, axis, "diff")
    head = (FULL,) * axis
    for _ in range(int(n)):
        # booleans differ where they change (numpy and Keras use not_equal there)
        step = _m.not_equal if numpy.dtype(dtype_of(a)).kind == "b" else _m.subtract
        a = step(apply("getitem", a, key=head + ((1, None, None),)), apply("getitem", a, key=head + ((None, -1, None),)))
    return a


def meshgrid(*x, indexing: str = "xy") -> list:
    """Coordinate arrays from 1-d inputs ('xy': Cartesian, 'ij': matrix indexing)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    sizes = [shape_of(v)[0] for v in x]
    if indexing == "xy" and len(x) > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, v in enumerate(x):
        position = i
        if indexing == "xy" and len(x) > 1 and i < 2:
            position = 1 - i
        shape = [1] * len(x)
        shape[position] = -1
        out.append(_s.broadcast_to(_s.reshape(v, tuple(shape)), tuple(sizes)))
    return out


def vander(x: TensorLike, N=None, increasing: bool = False) -> TensorLike:  # noqa: N803 (numpy's name)
    """Columns ``x ** (N-1), ..., x ** 0`` (reversed when ``increasing``)."""
    n = shape_of(x)[0] if N is None else int(N)
    powers = numpy.arange(n) if increasing else numpy.arange(n)[::-1].copy()
    dtype = numpy.dtype(dtype_of(x))
    return _m.power(_s.expand_dims(x, -1), powers.astype(dtype if dtype.kind != "b" else "int32"))


def copy(x: TensorLike) -> TensorLike:
    """A copy of ``x``."""
    if isinstance(x, (Tensor, Node)):
        return apply("identity", x)
    from .. import backend
    return backend.as_array(x).copy()


def array(x, dtype=None) -> TensorLike:
    """``x`` as a tensor (``convert_to_tensor``)."""
    from .introspection import convert_to_tensor
    return convert_to_tensor(x, dtype=dtype)


def get_item(x: TensorLike, key) -> TensorLike:
    """``x[key]``."""
    return _s.getitem(x, key)


def _start_vector(start_indices):
    if isinstance(start_indices, (Tensor, Node)):
        return _m.cast(start_indices, "int64")
    if any(isinstance(s, (Tensor, Node)) for s in start_indices):
        return _s.stack([_m.cast(s, "int64") for s in start_indices])
    return numpy.asarray(start_indices, dtype=numpy.int64).reshape(-1)


def slice(inputs: TensorLike, start_indices, shape) -> TensorLike:  # noqa: A001 (Keras' name)
    """The block of ``shape`` starting at ``start_indices`` (which may be known only at run time)."""
    return apply("dynamic_slice", inputs, _start_vector(start_indices), shape=tuple(int(d) for d in shape))


def slice_update(inputs: TensorLike, start_indices, updates: TensorLike) -> TensorLike:
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    return apply("slice_update", inputs, updates, _start_vector(start_indices))


def _indices(indices):
    if isinstance(indices, (Tensor, Node)):
        return _m.cast(indices, "int64")
    return numpy.asarray(indices, dtype=numpy.int64)


def scatter(indices, values, shape) -> TensorLike:
    """Zeros of ``shape`` with ``values`` added at the index rows ``indices`` (duplicates add up)."""
    from .creation import zeros
    dtype = dtype_of(values)
    return apply("scatter_nd", zeros(tuple(shape), dtype=numpy.dtype(dtype).name), _indices(indices), values,
                 reduction="add")


def scatter_update(inputs: TensorLike, indices, updates: TensorLike, reduction=None) -> TensorLike:
    """``inputs`` with ``updates`` written (or combined by ``reduction``) at the index rows ``indices``."""
    return apply("scatter_nd", inputs, _indices(indices), updates, reduction=reduction)


def select(condlist, choicelist, default=0) -> TensorLike:
    """From ``choicelist``, the entry of the first true condition, else ``default``."""
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: {len(condlist)} conditions for {len(choicelist)} choices")
    from .creation import zeros_like
    out = _m.add(zeros_like(choicelist[0]), default)
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        out = _m.where(condition, choice, out)
    return out


def unravel_index(indices: TensorLike, shape) -> tuple:
    """The coordinates in an array of ``shape`` of flat ``indices`` (one array per axis)."""
    from .numeric import floor_divide, mod
    coords = []
    for size in reversed(tuple(int(d) for d in shape)):
        coords.append(mod(indices, size))
        indices = floor_divide(indices, size)
    return tuple(reversed(coords))


# ------------------------------------------------------------------ rearrange

def _groups(side):
    tokens = re.findall(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|\d+", side)
    groups, current = [], None
    for token in tokens:
        if token == "(":
            current = []
        elif token == ")":
            groups.append(current)
            current = None
        elif current is not None:
            current.append(token)
        else:
            groups.append([token])
    return groups


def rearrange(tensor: TensorLike, pattern: str, **axes_lengths) -> TensorLike:
    """einops-style reshape and transpose: ``rearrange(x, 'b (h w) c -> b h w c', h=4)``."""
    left, right = (side.strip() for side in pattern.split("->"))
    lhs, rhs = _groups(left), _groups(right)
    shape = shape_of(tensor)
    if len(lhs) != len(shape):
        raise ValueError(f"rearrange: pattern {left!r} has {len(lhs)} axes, the tensor has {len(shape)}")
    sizes = {k: int(v) for k, v in axes_lengths.items()}
    for group, size in zip(lhs, shape):
        unknown = [n for n in group if n not in sizes]
        known = math.prod(sizes[n] for n in group if n in sizes)
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of {unknown} in {pattern!r}")
        if unknown:
            sizes[unknown[0]] = -1 if size is None else size // known
    names = [n for group in lhs for n in group]
    if sorted(names) != sorted(n for group in rhs for n in group):
        raise ValueError(f"rearrange: both sides of {pattern!r} must name the same axes")
    x = _s.reshape(tensor, tuple(sizes[n] for n in names))
    order = [names.index(n) for group in rhs for n in group]
    x = _s.transpose(x, tuple(order))
    return _s.reshape(x, tuple(-1 if any(sizes[n] == -1 for n in group) else math.prod(sizes[n] for n in group)
                               for group in rhs))


def extract_sequences(x: TensorLike, sequence_length: int, sequence_stride: int) -> TensorLike:
    """Frames of ``sequence_length`` along the last axis every ``sequence_stride``: ``(..., frames, length)``."""
    size = shape_of(x)[-1]
    count = 1 + (size - int(sequence_length)) // int(sequence_stride)
    index = numpy.arange(count)[:, None] * int(sequence_stride) + numpy.arange(int(sequence_length))[None, :]
    return _s.take(x, index, axis=-1)


def _channels_last(data_format):
    return (data_format or "channels_last") == "channels_last"


def depth_to_space(x: TensorLike, block_size: int, data_format: str = "channels_last") -> TensorLike:
    """Channels moved into ``block_size x block_size`` spatial blocks (TensorFlow's layout)."""
    from .introspection import shape as runtime_shape
    bs = int(block_size)
    if not _channels_last(data_format):
        x = _s.transpose(x, (0, 2, 3, 1))
    n, h, w, c = runtime_shape(x)
    x = _s.reshape(x, (n, h, w, bs, bs, c // (bs * bs)))
    x = _s.transpose(x, (0, 1, 3, 2, 4, 5))
    x = _s.reshape(x, (n, h * bs, w * bs, c // (bs * bs)))
    return x if _channels_last(data_format) else _s.transpose(x, (0, 3, 1, 2))


def space_to_depth(x: TensorLike, block_size: int, data_format: str = "channels_last") -> TensorLike:
    """Each ``block_size x block_size`` spatial block moved into the channels."""
    from .introspection import shape as runtime_shape
    bs = int(block_size)
    if not _channels_last(data_format):
        x = _s.transpose(x, (0, 2, 3, 1))
    n, h, w, c = runtime_shape(x)
    x = _s.reshape(x, (n, h // bs, bs, w // bs, bs, c))
    x = _s.transpose(x, (0, 1, 3, 2, 4, 5))
    x = _s.reshape(x, (n, h // bs, w // bs, c * bs * bs))
    return x if _channels_last(data_format) else _s.transpose(x, (0, 3, 1, 2))


def view(x: TensorLike, dtype=None) -> TensorLike:
    """The same bytes read as ``dtype`` (the last axis grows or shrinks by the size ratio)."""
    if dtype is None:
        return x
    from .math import dtype_name
    return apply("bitcast", x, dtype=dtype_name(dtype))


def view_as_real(x: TensorLike) -> TensorLike:
    """A complex array as floats with a last axis of (real, imaginary)."""
    return apply("complex_view", x, to="real")


def view_as_complex(x: TensorLike) -> TensorLike:
    """Floats with a last axis of (real, imaginary) as one complex array."""
    return apply("complex_view", x, to="complex")
