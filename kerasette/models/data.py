"""Turning what users pass to fit/evaluate/predict into batches.

``x`` and ``y`` may be arrays, lists or dicts of arrays (dicts keyed by input
or output name), a Python generator yielding ``(x, y)`` or ``(x, y,
sample_weight)`` batches, or a ``Sequence`` (anything with ``__len__`` and
``__getitem__`` returning batches).  Arrays are cut into batches here, with
an optional shuffle per epoch; the last short batch is kept.
"""
from __future__ import annotations

import math
import numbers

import numpy

from .. import backend


def is_batch_source(x) -> bool:
    """A generator or a Sequence: something that yields whole batches."""
    if x is None or isinstance(x, (numpy.ndarray, list, tuple, dict, str, bytes)):
        return False
    return hasattr(x, "__next__") or (hasattr(x, "__getitem__") and hasattr(x, "__len__"))


def _array(value, what):
    """``value`` as an array; a ragged list or an unconvertible object names ``what``."""
    try:
        return numpy.asarray(value)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{what} could not be made into one array ({type(value).__name__}): {error}") from None


def as_arrays(structure, names=None, what="x"):
    """A list of arrays from an array, a list or a dict (ordered by ``names``)."""
    if structure is None:
        return None
    if isinstance(structure, dict):
        if names is None:
            return [_array(v, f"{what}[{k!r}]") for k, v in structure.items()]
        missing = [name for name in names if name not in structure]
        if missing:
            raise ValueError(f"No data provided for {what} {missing}: the keys given are "
                             f"{sorted(structure)}, the model expects {names}")
        return [_array(structure[name], f"{what}[{name!r}]") for name in names]
    if isinstance(structure, (list, tuple)) and structure:
        arrays = all(isinstance(item, numpy.ndarray) or hasattr(item, "numpy") for item in structure)
        nested = all(isinstance(item, (list, tuple)) for item in structure)
        count_matches = names is None or len(structure) == len(names)
        if (arrays and count_matches) or (nested and names is not None and len(names) > 1 and count_matches):
            return [_array(item, f"{what}[{i}]") for i, item in enumerate(structure)]
    return [_array(structure, what)]


def check_cardinality(arrays_by_role: dict) -> int:
    """The number of samples every array holds (``{"x": [...], "y": [...], ...}``);
    a ``ValueError`` naming each argument's sizes and shapes when they differ."""
    present = {role: [a for a in arrays if a is not None] for role, arrays in arrays_by_role.items() if arrays}
    sizes = {role: [len(a) for a in arrays] for role, arrays in present.items()}
    distinct = {n for values in sizes.values() for n in values}
    if len(distinct) > 1:
        detail = ", ".join(f"{role} sizes: {', '.join(map(str, values))}" for role, values in sizes.items())
        shapes = ", ".join(f"{role} shapes: {', '.join(str(tuple(a.shape)) for a in arrays)}"
                           for role, arrays in present.items())
        raise ValueError(f"Data cardinality is ambiguous: {detail} ({shapes}). "
                         "Make sure all arrays contain the same number of samples.")
    return distinct.pop() if distinct else 0


class ArrayBatches:
    """Batches of in-memory arrays: ``for xs, ys, weights in batches.epoch(): ...``"""

    def __init__(self, xs, ys=None, weights=None, batch_size=32, shuffle=False):
        self.xs, self.ys, self.weights = xs, ys, weights
        self.size = check_cardinality({"x": xs, "y": ys, "sample_weight": weights})
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.steps = max(1, math.ceil(self.size / self.batch_size)) if self.size else 0

    def epoch(self):
        order = None
        if self.shuffle:
            order = backend.rng().permutation(self.size)
        for step in range(self.steps):
            start, stop = step * self.batch_size, min(self.size, (step + 1) * self.batch_size)
            pick = slice(start, stop) if order is None else order[start:stop]
            yield (
                [a[pick] for a in self.xs],
                None if self.ys is None else [a[pick] for a in self.ys],
                None if self.weights is None else [w[pick] for w in self.weights],
            )


class SourceBatches:
    """Batches from a generator or a Sequence, ``steps`` at a time per epoch."""

    def __init__(self, source, steps=None, input_names=None, output_names=None, check=None):
        self.source = source
        self.input_names, self.output_names = input_names, output_names
        #: called on each batch's ``(xs, ys, weights)`` before it is handed out; returns them
        self.check = check
        if steps is None:
            if not hasattr(source, "__len__"):
                raise ValueError("With a generator as data, pass steps_per_epoch (or steps) so an epoch has an end")
            steps = len(source)
            if steps == 0:
                raise ValueError(f"The {type(source).__name__} given as data has no batches (len() is 0)")
        elif isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
            raise ValueError(f"steps must be a positive integer, got {steps!r}")
        self.steps = int(steps)
        self._iterator = None
        self._pending = None

    def _batches(self):
        if hasattr(self.source, "__getitem__") and hasattr(self.source, "__len__"):
            while True:
                if hasattr(self.source, "on_epoch_begin"):
                    self.source.on_epoch_begin()
                for index in range(len(self.source)):
                    yield self.source[index]
                if hasattr(self.source, "on_epoch_end"):
                    self.source.on_epoch_end()
        else:
            yield from self.source

    def _next(self):
        if self._iterator is None:
            self._iterator = self._batches()
        batch = split_batch(next(self._iterator), self.input_names, self.output_names)
        return batch if self.check is None else self.check(*batch)

    def peek(self):
        """Fetch and check the first batch now, so that bad data is refused before
        anything runs (the first ``epoch()`` hands it out first)."""
        if self._pending is None:
            try:
                self._pending = self._next()
            except StopIteration:
                pass

    def epoch(self):
        for _ in range(self.steps):
            if self._pending is not None:
                batch, self._pending = self._pending, None
            else:
                try:
                    batch = self._next()
                except StopIteration:
                    return
            yield batch


def split_batch(batch, input_names=None, output_names=None):
    """``(x, y[, sample_weight])`` or ``x`` alone, as lists of arrays."""
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3:
        x = batch[0]
        y = batch[1] if len(batch) > 1 else None
        weights = batch[2] if len(batch) > 2 else None
    else:
        x, y, weights = batch, None, None
    return (as_arrays(x, input_names, "inputs"),
            as_arrays(y, output_names, "outputs") if y is not None else None,
            as_arrays(weights, output_names, "sample_weight") if weights is not None else None)


__all__ = ["ArrayBatches", "SourceBatches", "as_arrays", "check_cardinality", "is_batch_source",
           "split_batch"]
