"""Sorting, searching, counting, logical reductions and statistics (Keras 3's names).

``sort`` and ``top_k``'s values are ``take_along_axis`` of indices
(``argsort``, ``top_k_indices``), so they carry gradients.  The quantiles
(``quantile``, ``percentile``, ``median`` and their NaN-skipping forms) sort
the reduced axes flattened into one, then read and interpolate at the
positions ``q * (n - 1)``, where ``n`` is the count of values (of non-NaN
values for the nan-forms): also differentiable.  The ``nan*`` reductions
replace NaNs by the reduction's neutral element first.  Indices and counts
are int32, as in Keras.
"""
from __future__ import annotations

import builtins
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

__all__ = ["sort", "argsort", "top_k", "in_top_k", "argpartition", "searchsorted", "digitize", "bincount",
           "unique", "nonzero", "histogram", "isin", "count_nonzero", "all", "any", "amax", "amin", "ptp",
           "average", "cumprod", "nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin",
           "nanargmax", "nanargmin", "nancumsum", "nancumprod", "quantile", "percentile", "median",
           "nanquantile", "nanpercentile", "nanmedian", "segment_sum", "segment_max", "segment_min",
           "segment_prod"]


def _axis(x, axis, name) -> int:
    return normalize_axis(int(axis), len(shape_of(x)), name)[0]


def _flat(x):
    return _s.reshape(x, (-1,))


def sort(x: TensorLike, axis: int = -1) -> TensorLike:
    """``x`` sorted ascending along ``axis`` (NaNs last); differentiable."""
    if axis is None:
        x, axis = _flat(x), 0
    return _s.take_along_axis(x, argsort(x, axis=axis), axis=axis)


def argsort(x: TensorLike, axis: int = -1) -> TensorLike:
    """The int32 indices that sort ``x`` along ``axis`` (stable)."""
    if axis is None:
        x, axis = _flat(x), 0
    return apply("argsort", x, axis=_axis(x, axis, "argsort"))


def top_k(x: TensorLike, k: int, sorted: bool = True):  # noqa: A002 (Keras' name)
    """``(values, indices)`` of the ``k`` largest entries along the last axis, largest first."""
    indices = apply("top_k_indices", x, k=int(k))
    return _s.take_along_axis(x, indices, axis=-1), indices


def in_top_k(targets: TensorLike, predictions: TensorLike, k: int) -> TensorLike:
    """Whether each row's ``targets`` class is among its ``k`` highest ``predictions`` (bool)."""
    targets = _m.cast(targets, "int32")
    picked = _s.take_along_axis(predictions, _s.expand_dims(targets, -1), axis=-1)
    above = _r.sum(_m.cast(_m.greater(predictions, picked), "int32"), axis=-1)
    return _m.less(above, int(k))


def argpartition(x: TensorLike, kth: int, axis: int = -1) -> TensorLike:
    """numpy's argpartition: the kth element in sorted position, smaller before, larger after."""
    return apply("argpartition", x, kth=int(kth), axis=_axis(x, axis, "argpartition"))


def searchsorted(sorted_sequence: TensorLike, values: TensorLike, side: str = "left") -> TensorLike:
    """Where ``values`` would be inserted into the 1-d ``sorted_sequence`` to keep it sorted (int32)."""
    return apply("searchsorted", sorted_sequence, values, side=side)


def digitize(x: TensorLike, bins: TensorLike) -> TensorLike:
    """The index of the bin (between increasing ``bins``) each value falls into (int32)."""
    return apply("searchsorted", bins, x, side="right")


def bincount(x: TensorLike, weights: TensorLike = None, minlength: int = 0, sparse: bool = False) -> TensorLike:
    """Counts (or summed ``weights``) of each value of the non-negative integers ``x`` (per row if 2-d)."""
    if sparse:
        raise ValueError("bincount: sparse=True is not supported; kerasette has no sparse tensors")
    length = None
    if not isinstance(x, Node):
        values = numpy.asarray(x.data if isinstance(x, Tensor) else x)
        length = builtins.max(int(values.max()) + 1 if values.size else 0, int(minlength))
    inputs = (x,) if weights is None else (x, weights)
    return apply("bincount", *inputs, minlength=int(minlength), length=length)


def unique(x: TensorLike, sorted: bool = True, return_index: bool = False,  # noqa: A002
           return_inverse: bool = False, return_counts: bool = False, axis=None, size=None, fill_value=None):
    """The sorted distinct values of ``x`` (flattened, or distinct slices along ``axis``), with numpy's
    optional extra results; ``size`` pads (with ``fill_value``, default the smallest value) or cuts."""
    if axis is not None:
        axis = normalize_axis(int(axis), len(shape_of(x)), "unique")[0]
    values = apply("unique", x, part="values", axis=axis)
    results = [values]
    for flag, part in ((return_index, "index"), (return_inverse, "inverse"), (return_counts, "counts")):
        if flag:
            results.append(apply("unique", x, part=part, axis=axis))
    if size is not None:
        if axis not in (None, 0):
            raise NotImplementedError("unique: size= works with axis None or 0")
        results = [_fit(r, size, fill_value if i == 0 else 0) for i, r in enumerate(results)]
    return results[0] if len(results) == 1 else tuple(results)


def _fit(values, size, fill_value):
    count = shape_of(values)[0]
    if count is None:
        raise ValueError("unique(size=...) needs values, not a symbolic tensor")
    if count >= size:
        return values[:size]
    fill = _r.min(values) if fill_value is None else fill_value
    from .creation import full
    return _s.concatenate([values, _m.cast(full((size - count,), fill), dtype_of(values))], axis=0)


def nonzero(x: TensorLike) -> tuple:
    """One int32 index array per axis of the non-zero elements of ``x``."""
    return tuple(apply("nonzero", x, axis=a) for a in range(len(shape_of(x))))


def histogram(x: TensorLike, bins: int = 10, range=None):  # noqa: A002 (numpy's name)
    """``(counts, edges)`` of a 1-d ``x``: ``bins`` equal bins over ``range`` (its min and max by default)."""
    from .creation import linspace
    if len(shape_of(x)) != 1:
        raise ValueError(f"histogram: x must be 1-dimensional, got shape {shape_of(x)}")
    if range is None:
        low, high = _r.min(x), _r.max(x)
    else:
        low, high = range
    edges = linspace(low, high, int(bins) + 1)
    # counts are floats in Keras 3 (the edges' dtype)
    return _m.cast(apply("histogram", x, edges), dtype_of(edges)), edges


def isin(x1: TensorLike, x2: TensorLike, assume_unique: bool = False, invert: bool = False) -> TensorLike:
    """Whether each element of ``x1`` is in ``x2`` (bool, shaped like ``x1``)."""
    return apply("isin", x1, x2, invert=bool(invert))


def count_nonzero(x: TensorLike, axis=None) -> TensorLike:
    """The number of non-zero elements over ``axis`` (int32)."""
    return _r.sum(_m.cast(_m.not_equal(x, 0), "int32"), axis=axis)


def all(x: TensorLike, axis=None, keepdims: bool = False) -> TensorLike:  # noqa: A001 (Keras' name)
    """Whether every element is true over ``axis``."""
    return _r.min(_m.cast(x, "bool"), axis=axis, keepdims=keepdims)


def any(x: TensorLike, axis=None, keepdims: bool = False) -> TensorLike:  # noqa: A001
    """Whether some element is true over ``axis``."""
    return _r.max(_m.cast(x, "bool"), axis=axis, keepdims=keepdims)


def amax(x: TensorLike, axis=None, keepdims: bool = False) -> TensorLike:
    """The maximum over ``axis`` (``max``)."""
    return _r.max(x, axis=axis, keepdims=keepdims)


def amin(x: TensorLike, axis=None, keepdims: bool = False) -> TensorLike:
    """The minimum over ``axis`` (``min``)."""
    return _r.min(x, axis=axis, keepdims=keepdims)


def ptp(x: TensorLike, axis=None, keepdims: bool = False) -> TensorLike:
    """Peak to peak: ``max - min`` over ``axis``."""
    return _m.subtract(_r.max(x, axis=axis, keepdims=keepdims), _r.min(x, axis=axis, keepdims=keepdims))


def average(x: TensorLike, axis=None, weights: TensorLike = None) -> TensorLike:
    """The (``weights``-weighted) mean over ``axis``; 1-d weights run along ``axis``."""
    if weights is None:
        return _r.mean(x, axis=axis)
    rank = len(shape_of(x))
    if len(shape_of(weights)) == 1 and rank > 1 and axis is not None:
        (a,) = normalize_axis(int(axis), rank, "average")
        weights = _s.reshape(weights, tuple(-1 if i == a else 1 for i in builtins.range(rank)))
    from .creation import ones_like
    x = _float(x)
    total = _r.sum(_m.multiply(x, weights), axis=axis)
    return _m.divide(total, _r.sum(_m.multiply(ones_like(x), weights), axis=axis))


def _float(x):
    dtype = numpy.dtype(dtype_of(x))
    if dtype.kind in "fc":
        return x
    from .. import backend
    return _m.cast(x, backend.floatx())


def cumprod(x: TensorLike, axis=None, dtype=None) -> TensorLike:
    """Running product along ``axis`` (of the flattened array when None)."""
    if dtype is not None:
        x = _m.cast(x, dtype)
    if axis is None:
        return apply("cumprod", _flat(x), axis=0)
    return apply("cumprod", x, axis=_axis(x, axis, "cumprod"))


# ------------------------------------------------------------------ nan-forms

def _nan_to(x, value):
    from .creation import full_like
    if numpy.dtype(dtype_of(x)).kind not in "fc":
        return x
    return _m.where(_m.isnan(x), full_like(x, value), x)


def _count(x, axis, keepdims):
    return _r.sum(_m.cast(_m.logical_not(_m.isnan(x)), dtype_of(x)), axis=axis, keepdims=keepdims)


def nansum(x, axis=None, keepdims=False):
    """Sum over ``axis`` with NaNs counted as zero."""
    return _r.sum(_nan_to(x, 0), axis=axis, keepdims=keepdims)


def nanprod(x, axis=None, keepdims=False):
    """Product over ``axis`` with NaNs counted as one."""
    return _r.prod(_nan_to(x, 1), axis=axis, keepdims=keepdims)


def nanmean(x, axis=None, keepdims=False):
    """Mean of the non-NaN values over ``axis`` (NaN where there are none)."""
    x = _float(x)
    return _m.divide(nansum(x, axis, keepdims), _count(x, axis, keepdims))


def nanvar(x, axis=None, keepdims=False):
    """Population variance of the non-NaN values over ``axis``."""
    x = _float(x)
    # NaNs replaced before squaring, so no NaN reaches a gradient through the unselected branch
    centred = _nan_to(_m.subtract(x, nanmean(x, axis, keepdims=True)), 0)
    return _m.divide(_r.sum(_m.square(centred), axis=axis, keepdims=keepdims), _count(x, axis, keepdims))


def nanstd(x, axis=None, keepdims=False):
    """Population standard deviation of the non-NaN values over ``axis``."""
    return _m.sqrt(nanvar(x, axis, keepdims))


def _all_nan(x, axis, keepdims):
    return all(_m.isnan(x), axis=axis, keepdims=keepdims)


def nanmax(x, axis=None, keepdims=False):
    """Maximum ignoring NaNs (NaN where every value is NaN)."""
    if numpy.dtype(dtype_of(x)).kind not in "fc":
        return _r.max(x, axis=axis, keepdims=keepdims)
    out = _r.max(_nan_to(x, -numpy.inf), axis=axis, keepdims=keepdims)
    return _m.where(_all_nan(x, axis, keepdims), _m.cast(numpy.nan, dtype_of(out)), out)


def nanmin(x, axis=None, keepdims=False):
    """Minimum ignoring NaNs (NaN where every value is NaN)."""
    if numpy.dtype(dtype_of(x)).kind not in "fc":
        return _r.min(x, axis=axis, keepdims=keepdims)
    out = _r.min(_nan_to(x, numpy.inf), axis=axis, keepdims=keepdims)
    return _m.where(_all_nan(x, axis, keepdims), _m.cast(numpy.nan, dtype_of(out)), out)


def nanargmax(x, axis=None, keepdims=False):
    """Index of the maximum ignoring NaNs."""
    return _r.argmax(_nan_to(x, -numpy.inf), axis=axis, keepdims=keepdims)


def nanargmin(x, axis=None, keepdims=False):
    """Index of the minimum ignoring NaNs."""
    return _r.argmin(_nan_to(x, numpy.inf), axis=axis, keepdims=keepdims)


def nancumsum(x, axis=None, dtype=None):
    """Running sum with NaNs counted as zero."""
    return _r.cumsum(_nan_to(x, 0), axis=axis, dtype=dtype)


def nancumprod(x, axis=None, dtype=None):
    """Running product with NaNs counted as one."""
    return cumprod(_nan_to(x, 1), axis=axis, dtype=dtype)


# ------------------------------------------------------------------ quantiles

QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x, q, axis, method, keepdims, skip_nan, name):
    if method not in QUANTILE_METHODS:
        raise ValueError(f"{name}: method must be one of {QUANTILE_METHODS}, got {method!r}")
    if isinstance(q, (Node, Tensor)):
        q = q.numpy() if isinstance(q, Tensor) else None
        if q is None:
            raise TypeError(f"{name}: q must be known when the op is built (a number or an array)")
    q = numpy.asarray(q, dtype=numpy.float64)
    if numpy.any((q < 0) | (q > 1)):
        raise ValueError(f"{name}: quantiles must lie in [0, 1], got {q}")
    x = _float(x)
    rank = len(shape_of(x))
    axes = normalize_axis(axis, rank, name)
    kept = [a for a in builtins.range(rank) if a not in axes]
    moved = _s.transpose(x, tuple(kept) + axes)
    sizes = shape_of(x)
    from .introspection import shape as runtime_shape
    lead = tuple(runtime_shape(x)[a] for a in kept)
    flat = _s.reshape(moved, lead + (-1,))
    ordered = sort(flat, axis=-1)
    dtype = dtype_of(ordered)
    if skip_nan:
        count = _count(flat, axis=-1, keepdims=True)
    else:
        total = 1
        for a in axes:
            total = None if total is None or sizes[a] is None else total * sizes[a]
        if total is None:
            count = _m.cast(_s.expand_dims(_r.sum(_m.cast(_m.logical_or(_m.equal(flat, flat), _m.isnan(flat)),
                                                          dtype), axis=-1), -1), dtype)
        else:
            count = numpy.full((1,) * (len(kept) + 1), total, dtype)
    qs = q.reshape(-1).astype(dtype)
    position = _m.multiply(_m.subtract(count, 1), qs)              # (..., Q)
    low = _m.floor(position)
    high = _m.ceil(position)
    if method == "lower":
        high = low
    elif method == "higher":
        low = high
    elif method == "nearest":
        low = high = _m.round(position)
    last = _m.maximum(_m.subtract(count, 1), 0)

    def gather(index):
        index = _m.cast(_m.clip(_m.minimum(index, last), 0, None), "int32")
        return _s.take_along_axis(ordered, index, axis=-1)

    low_values, high_values = gather(low), gather(high)
    if method == "midpoint":
        out = _m.multiply(_m.add(low_values, high_values), 0.5)
    elif method == "linear":
        weight = _m.subtract(position, low)
        out = _m.add(low_values, _m.multiply(_m.subtract(high_values, low_values), weight))
    else:
        out = low_values
    if not skip_nan:
        has_nan = any(_m.isnan(flat), axis=-1, keepdims=True)
        out = _m.where(has_nan, _m.cast(numpy.nan, dtype), out)
    else:
        out = _m.where(_m.equal(count, 0), _m.cast(numpy.nan, dtype), out)
    # (..., Q) -> (Q, ...), reduced axes back as size 1 if keepdims
    out = _s.transpose(out, (len(kept),) + tuple(builtins.range(len(kept))))
    if keepdims:
        shape = list(runtime_shape(out)[:1]) + [1 if a in axes else runtime_shape(x)[a] for a in builtins.range(rank)]
        out = _s.reshape(out, tuple(shape))
    if q.ndim == 0:
        out = _s.squeeze(out, axis=0)
    return out


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles (``q`` in [0, 1], a number or 1-d) over ``axis``, numpy's methods."""
    return _quantile(x, q, axis, method, keepdims, False, "quantile")


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` with ``q`` in percent."""
    return _quantile(x, numpy.asarray(q, dtype=numpy.float64) / 100, axis, method, keepdims, False, "percentile")


def median(x, axis=None, keepdims=False):
    """The median over ``axis``."""
    return _quantile(x, 0.5, axis, "linear", keepdims, False, "median")


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` of the non-NaN values."""
    return _quantile(x, q, axis, method, keepdims, True, "nanquantile")


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """``percentile`` of the non-NaN values."""
    return _quantile(x, numpy.asarray(q, dtype=numpy.float64) / 100, axis, method, keepdims, True,
                     "nanpercentile")


def nanmedian(x, axis=None, keepdims=False):
    """The median of the non-NaN values."""
    return _quantile(x, 0.5, axis, "linear", keepdims, True, "nanmedian")


# ------------------------------------------------------------------- segments

def _segment(kind, data, segment_ids, num_segments):
    if num_segments is None and not isinstance(segment_ids, Node):
        ids = numpy.asarray(segment_ids.data if isinstance(segment_ids, Tensor) else segment_ids)
        num_segments = int(ids.max()) + 1 if ids.size else 0
    return apply("segment_reduce", data, _m.cast(segment_ids, "int32"), kind=kind,
                 num_segments=None if num_segments is None else int(num_segments))


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Rows of ``data`` summed per segment id (``num_segments`` rows; empty segments are 0)."""
    return _segment("sum", data, segment_ids, num_segments)


def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Row-wise maximum per segment (empty segments: the dtype's lowest value)."""
    return _segment("max", data, segment_ids, num_segments)


def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Row-wise minimum per segment (empty segments: the dtype's highest value)."""
    return _segment("min", data, segment_ids, num_segments)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Row-wise product per segment (empty segments are 1)."""
    return _segment("prod", data, segment_ids, num_segments)
