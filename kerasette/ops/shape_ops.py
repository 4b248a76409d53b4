"""Shape ops, slicing and indexing.

Keras 3's ``keras.ops`` names and defaults (plus ``getitem``, behind
``x[...]``, and numpy's ``flatten``).  The functions normalise arguments into
the static attributes the primitives take: negative axes become
non-negative, ``x[1:3, None]`` becomes the hashable key ``((1, 3, None),
None)``, integer-array indexing becomes ``take``, a boolean mask becomes
``take`` of its true positions, and ``split`` becomes one slice per part.

``reshape``, ``broadcast_to`` and ``tile`` also take sizes known only at run
time (``ops.shape(x)[0]`` in a graph): they become the ``reshape_to`` and
``broadcast_to_sizes`` primitives, whose shape templates read those sizes
when the program runs.
(The module is not called ``shape``: that name is the op ``ops.shape``.)
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy

from .. import backend
from ..eager import Tensor
from ..engine import Node
from ..primitives.base import normalize_axis
from ..primitives.shape import expand_ellipsis
from .core import apply, shape_of, split_shape

#: an array, a Python number or list, an eager Tensor or a symbolic node
TensorLike = Any

__all__ = ["reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack", "split",
           "take", "take_along_axis", "pad", "tile", "repeat", "broadcast_to", "one_hot",
           "flatten", "getitem"]

FULL = (None, None, None)


def _axis(axis, rank, op_name) -> int:
    return normalize_axis(int(axis), rank, op_name)[0]


def _rank(x) -> int:
    return len(shape_of(x))


def _integer_indices(indices):
    """Indices as an integer array, unless they already are a tensor."""
    if isinstance(indices, (Tensor, Node)):
        return indices
    array = backend.as_array(indices)
    if array.dtype.kind not in "iu":
        if array.size and not (array == array.astype("int64")).all():
            raise TypeError(f"indices must be integers, got {array.dtype.name} values")
        array = array.astype("int64")
    return array


def _dynamic(shape) -> bool:
    """Whether a shape argument holds a symbolic size (known only when the graph runs)."""
    if isinstance(shape, Node):
        return True
    return not isinstance(shape, (numbers.Integral, numpy.ndarray, Tensor)) and any(
        isinstance(d, Node) for d in shape)


def _own_axis_size(size, x, axis) -> bool:
    """Whether ``size`` is the node ``ops.shape(x)[axis]``."""
    return (isinstance(size, Node) and size.kind == "op" and size.op.name == "axis_size"
            and size.inputs[0] is x and size.attrs.get("axis") == axis)


def _static_target(x, newshape):
    """``newshape`` as a static target when its one run-time size is x's one unknown axis
    (``reshape(x, (ops.shape(x)[0], -1))``): the sizes the static rule then knows stay known."""
    source = shape_of(x)
    unknown = [i for i, d in enumerate(source) if d is None]
    if len(unknown) != 1 or not isinstance(x, Node):
        return None
    own = [j for j, d in enumerate(newshape) if _own_axis_size(d, x, unknown[0])]
    if len(own) != 1 or any(isinstance(d, Node) for j, d in enumerate(newshape) if j != own[0]):
        return None
    fixed = [int(d) for j, d in enumerate(newshape) if j != own[0] and d != -1]
    free = sum(1 for j, d in enumerate(newshape) if j != own[0] and d == -1)
    known_in = math.prod(d for d in source if d is not None)
    # the -1 that stands for x's unknown size must stand for exactly that size
    if free > 1 or (free and (not math.prod(fixed) or known_in % math.prod(fixed))) or (
            not free and math.prod(fixed) != known_in):
        return None
    rest = known_in // math.prod(fixed) if free else None
    return tuple(-1 if j == own[0] else (rest if d == -1 else int(d)) for j, d in enumerate(newshape))


def reshape(x: TensorLike, newshape) -> TensorLike:
    """``x`` with shape ``newshape`` (one entry may be -1; sizes may be ``ops.shape(y)[i]``)."""
    if _dynamic(newshape):
        if not isinstance(newshape, Node):
            newshape = tuple(-1 if d is None else d for d in newshape)
            target = _static_target(x, newshape)
            if target is not None:
                return apply("reshape", x, shape=target)
        template, sizes = split_shape(newshape, "reshape")
        return apply("reshape_to", x, *sizes, shape=template)
    newshape = (newshape,) if isinstance(newshape, numbers.Integral) else newshape
    newshape = tuple(-1 if d is None else int(d) for d in newshape)
    return apply("reshape", x, shape=newshape)


def flatten(x: TensorLike) -> TensorLike:
    """``x`` as one axis, like numpy's ``ravel``."""
    return apply("reshape", x, shape=(-1,))


def transpose(x: TensorLike, axes=None) -> TensorLike:
    """Permute the axes (reverse them when ``axes`` is None)."""
    rank = _rank(x)
    if axes is None:
        axes = tuple(reversed(range(rank)))
    else:
        axes = tuple(int(a) % rank if -rank <= int(a) < rank else int(a) for a in axes)
    return apply("transpose", x, axes=axes)


def expand_dims(x: TensorLike, axis) -> TensorLike:
    """Insert size-1 axes at ``axis`` (an int or a tuple of positions in the result)."""
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return apply("expand_dims", x, axis=normalize_axis(axes, _rank(x) + len(axes), "expand_dims"))


def squeeze(x: TensorLike, axis=None) -> TensorLike:
    """Drop size-1 axes: those in ``axis``, or every axis statically of size 1 when None."""
    shape = shape_of(x)
    if axis is None:
        axes = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        axes = normalize_axis(axis, len(shape), "squeeze")
    return apply("squeeze", x, axis=axes)


def concatenate(xs, axis: int = 0) -> TensorLike:
    """Join the tensors in ``xs`` along an existing ``axis``."""
    xs = list(xs)
    if not xs:
        raise ValueError("concatenate needs at least one tensor")
    return apply("concatenate", *xs, axis=_axis(axis, _rank(xs[0]), "concatenate"))


def stack(x, axis: int = 0) -> TensorLike:
    """Join the tensors in ``x`` along a new ``axis``."""
    xs = list(x)
    if not xs:
        raise ValueError("stack needs at least one tensor")
    return apply("stack", *xs, axis=_axis(axis, _rank(xs[0]) + 1, "stack"))


def split(x: TensorLike, indices_or_sections, axis: int = 0) -> list:
    """Cut ``x`` along ``axis`` into equal sections or at the given indices, like numpy.split."""
    shape = shape_of(x)
    axis = _axis(axis, len(shape), "split")
    size = shape[axis]
    if isinstance(indices_or_sections, numbers.Integral):
        sections = int(indices_or_sections)
        if size is None:
            raise ValueError(f"split: cannot cut axis {axis} of unknown size into {sections} "
                             f"sections; give the split indices instead")
        if sections <= 0 or size % sections:
            raise ValueError(f"split: axis {axis} of size {size} does not divide into "
                             f"{sections} equal sections")
        bounds = [i * (size // sections) for i in range(1, sections)]
    else:
        bounds = [int(i) for i in indices_or_sections]
    starts = [0] + bounds
    stops = bounds + [None]
    head = (FULL,) * axis
    return [apply("getitem", x, key=head + ((start, stop, None),)) for start, stop in zip(starts, stops)]


def take(x: TensorLike, indices, axis=None) -> TensorLike:
    """Slices of ``x`` at integer ``indices`` along ``axis`` (of the flattened ``x`` when None)."""
    indices = _integer_indices(indices)
    if axis is None:
        return apply("take", flatten(x), indices, axis=0)
    return apply("take", x, indices, axis=_axis(axis, _rank(x), "take"))


def take_along_axis(x: TensorLike, indices, axis=None) -> TensorLike:
    """One element of ``x`` per index in ``indices`` along ``axis``, like numpy's."""
    indices = _integer_indices(indices)
    if axis is None:
        return apply("take_along_axis", flatten(x), flatten(indices), axis=0)
    return apply("take_along_axis", x, indices, axis=_axis(axis, _rank(x), "take_along_axis"))


_PAD_MODES = ("constant", "reflect", "symmetric", "edge", "wrap")


def pad(x: TensorLike, pad_width, mode: str = "constant", constant_values=None) -> TensorLike:
    """Pad like numpy.pad; ``mode`` is 'constant', 'reflect', 'symmetric', 'edge' or 'wrap'."""
    rank = _rank(x)
    widths = numpy.broadcast_to(numpy.asarray(pad_width, dtype="int64"), (rank, 2))
    pad_width = tuple((int(before), int(after)) for before, after in widths)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {_PAD_MODES}, got {mode!r}")
    if mode != "constant":
        if constant_values is not None:
            raise ValueError("pad: constant_values can only be given with mode='constant'")
        return apply("pad", x, pad_width=pad_width, mode=mode)
    value = 0 if constant_values is None else constant_values
    value = value.item() if hasattr(value, "item") else value
    return apply("pad", x, pad_width=pad_width, mode="constant", constant_values=value)


def tile(x: TensorLike, repeats) -> TensorLike:
    """``x`` repeated ``repeats`` times along each axis, like numpy.tile.

    A repeat count known only at run time (``ops.shape(y)[0]``) is allowed
    along an axis of size 1, where tiling is broadcasting.
    """
    if _dynamic(repeats):
        return _tile_dynamic(x, repeats)
    repeats = (repeats,) if isinstance(repeats, numbers.Integral) else tuple(int(r) for r in repeats)
    rank = _rank(x)
    repeats = (1,) * (rank - len(repeats)) + tuple(int(r) for r in repeats)
    return apply("tile", x, repeats=repeats)


def repeat(x: TensorLike, repeats, axis=None) -> TensorLike:
    """Each element repeated ``repeats`` times along ``axis`` (of the flattened ``x`` when None)."""
    if axis is None:
        x, axis = flatten(x), 0
    shape = shape_of(x)
    axis = _axis(axis, len(shape), "repeat")
    if not isinstance(repeats, numbers.Integral):
        counts = numpy.asarray(repeats, dtype="int64").reshape(-1)
        if counts.size != 1:
            # a count per element is a gather of each element's position
            if shape[axis] is None:
                raise ValueError("repeat: per-element repeats need an axis of known size")
            return apply("take", x, backend.as_array(numpy.repeat(numpy.arange(shape[axis]), counts)),
                         axis=axis)
        repeats = counts[0]
    return apply("repeat", x, repeats=int(repeats), axis=axis)


def _tile_dynamic(x, repeats):
    counts, sizes = split_shape(repeats, "tile")
    source = shape_of(x)
    rank = max(len(source), len(counts))
    source = (1,) * (rank - len(source)) + tuple(source)
    counts = (1,) * (rank - len(counts)) + counts
    if any(count is None and size != 1 for count, size in zip(counts, source)):
        raise ValueError(f"tile: a repeat count known only at run time needs an axis of size 1, "
                         f"got an input of shape {source} and repeats {counts}")
    if rank != len(shape_of(x)):
        x = expand_dims(x, tuple(range(rank - len(shape_of(x)))))
    static = tile(x, tuple(1 if count is None else count for count in counts))
    # -1: the axis keeps the size it has (known or not); None: the run-time count
    return apply("broadcast_to_sizes", static, *sizes,
                 shape=tuple(None if count is None else -1 for count in counts))


def broadcast_to(x: TensorLike, shape) -> TensorLike:
    """``x`` broadcast to ``shape`` (sizes may be ``ops.shape(y)[i]``)."""
    if _dynamic(shape):
        template, sizes = split_shape(shape, "broadcast_to")
        return apply("broadcast_to_sizes", x, *sizes, shape=template)
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(int(d) for d in shape)
    return apply("broadcast_to", x, shape=shape)


def one_hot(x: TensorLike, num_classes: int, axis: int = -1, dtype=None, sparse: bool = False) -> TensorLike:
    """One-hot encoding of integer ``x`` along a new ``axis``; out-of-range labels give zeros."""
    if sparse:
        raise NotImplementedError("one_hot: sparse tensors are not supported")
    from .math import dtype_name
    dtype = backend.floatx() if dtype is None else dtype_name(dtype)
    x = _integer_indices(x)
    rank = _rank(x)
    if axis != -1:
        axis = _axis(axis, rank + 1, "one_hot")
        axis = -1 if axis == rank else axis
    return apply("one_hot", x, num_classes=int(num_classes), axis=axis, dtype=dtype)


# ------------------------------------------------------------------ indexing

_ADVANCED = object()


def _encode(item):
    """An index item as a key attribute, or _ADVANCED for array indexing."""
    if item is None or item is Ellipsis:
        return item
    if isinstance(item, slice):
        parts = (item.start, item.stop, item.step)
        if not all(p is None or isinstance(p, numbers.Integral) for p in parts):
            raise TypeError(f"slice bounds must be ints or None, got {item}")
        return tuple(None if p is None else int(p) for p in parts)
    if isinstance(item, (bool, numpy.bool_)):
        return _ADVANCED
    if isinstance(item, numbers.Integral):
        return int(item)
    if isinstance(item, numpy.ndarray) and item.ndim == 0 and item.dtype.kind in "iu":
        return int(item)
    return _ADVANCED


def _concrete(item):
    """The values of an index array, or None for a symbolic one."""
    if isinstance(item, Node):
        return None
    if isinstance(item, Tensor):
        return item.data
    return backend.as_array(item)


def _getitem_advanced(x, key, encoded):
    """One integer array (or boolean mask) among basic items: basic slicing, then take."""
    position = next(i for i, e in enumerate(encoded) if e is _ADVANCED)
    item = key[position]
    values = _concrete(item)
    is_mask = (item.dtype.kind == "b") if isinstance(item, (Tensor, Node)) else values.dtype.kind == "b"
    if is_mask:
        if values is None:
            raise TypeError("indexing with a symbolic boolean mask gives a shape known only "
                            "from the values; use where() instead")
        rest = [e for e in encoded[position + 1:] if e is not Ellipsis]
        if position != 0 or any(e != FULL for e in rest):
            return None
        shape = shape_of(x)
        if values.ndim > len(shape) or any(
                d is not None and d != m for d, m in zip(shape, values.shape)):
            raise IndexError(f"boolean mask of shape {values.shape} does not match the "
                             f"leading axes of {shape}")
        flat = reshape(x, (-1,) + tuple(shape[values.ndim:]))
        return apply("take", flat, backend.array_module().flatnonzero(values), axis=0)

    # numpy moves the result axes to the front when ints and the array are not
    # adjacent; only the adjacent (common) case maps onto one take
    integers = [i for i, e in enumerate(encoded) if isinstance(e, int) or e is _ADVANCED]
    if integers[-1] - integers[0] + 1 != len(integers):
        return None
    marker = "advanced"
    expanded = expand_ellipsis(tuple(marker if e is _ADVANCED else e for e in encoded), _rank(x))
    at = expanded.index(marker)
    axis = sum(1 for e in expanded[:at] if e is None or isinstance(e, tuple))
    basic = tuple(FULL if e == marker else e for e in expanded)
    sliced = x if all(e == FULL for e in basic) else apply("getitem", x, key=basic)
    return apply("take", sliced, _integer_indices(item if values is None else values), axis=axis)


def getitem(x: TensorLike, key) -> TensorLike:
    """``x[key]``: ints, slices, None, Ellipsis, one integer array (a gather) or a leading boolean mask."""
    items = key if isinstance(key, tuple) else (key,)
    encoded = tuple(_encode(item) for item in items)
    advanced = sum(1 for e in encoded if e is _ADVANCED)
    if not advanced:
        return apply("getitem", x, key=expand_ellipsis(encoded, _rank(x)))
    result = _getitem_advanced(x, items, encoded) if advanced == 1 else None
    if result is not None:
        return result
    if isinstance(x, (Tensor, Node)):
        raise NotImplementedError(
            f"indexing a tensor with {key!r}: only basic indexing plus one integer array "
            f"(or one leading boolean mask) is differentiable here; use take/take_along_axis")
    # plain arrays: no gradient is wanted, so numpy's own advanced indexing serves
    return backend.as_array(x)[tuple(_concrete(i) if e is _ADVANCED else i
                                     for i, e in zip(items, encoded))]
