"""Turning what users pass to fit/evaluate/predict into batches.

``x`` and ``y`` may be arrays, lists or dicts of arrays (dicts keyed by input
or output name); arrays are cut into batches here, with an optional shuffle
per epoch, the last short batch kept (``ArrayBatches``).

Or ``x`` yields whole batches (``SourceBatches``): a generator or any other
iterator, a ``Sequence``/``PyDataset``, a ``torch.utils.data.DataLoader``, a
list of batch tuples, or any other iterable that is not itself array-like.
Each batch is ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (a list
counts as a tuple, as in Keras), each part anything numpy can convert (torch
tensors included).  As in Keras 3: without ``steps_per_epoch`` an epoch is
one pass over the data (to its ``len()`` or until it runs out); with it, the
epoch takes that many batches and the next one goes on where it stopped.
Data that can be iterated again (a list, a Sequence, a DataLoader, an object
whose ``__iter__`` makes a new iterator) starts over once it is used up; an
iterator used up (a generator) has no more batches, and training stops with
Keras' warning that the input ran out.
"""
from __future__ import annotations

import math
import numbers
import warnings

import numpy

from .. import backend, config
from ..utils import prefetch

#: Keras 3's warning when the data ends before the steps asked for
RAN_OUT = ("Your input ran out of data; interrupting training. Make sure that your dataset or generator can "
           "generate at least `steps_per_epoch * epochs` batches. You may need to use the `.repeat()` "
           "function when building your dataset.")


def _array_like(x) -> bool:
    """Arrays and what numpy converts as one (torch tensors, eager Tensors, pandas)."""
    return (hasattr(x, "__array__") or hasattr(x, "__array_interface__") or hasattr(x, "__cuda_array_interface__")
            or (hasattr(x, "numpy") and hasattr(x, "shape")))


def _is_batch_tuple(item) -> bool:
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` whose ``x`` holds a batch (not one number)."""
    if not isinstance(item, tuple) or not 1 <= len(item) <= 3:
        return False
    first = item[0]
    if isinstance(first, (dict, list, tuple)):
        return True
    return _array_like(first) and len(getattr(first, "shape", ())) >= 1


def is_batch_source(x) -> bool:
    """Whether ``x`` yields whole batches rather than holding the samples: a
    generator or iterator, a Sequence, a DataLoader, a list of batch tuples,
    or another iterable that is not array-like."""
    if x is None or isinstance(x, (numpy.ndarray, tuple, dict, str, bytes, numbers.Number)):
        return False
    if isinstance(x, list):
        return bool(x) and all(_is_batch_tuple(item) for item in x)
    if _array_like(x):
        return False
    return hasattr(x, "__next__") or hasattr(x, "__iter__") or (hasattr(x, "__getitem__") and hasattr(x, "__len__"))


def source_kind(x) -> str:
    """How Keras names a batch source in its messages."""
    for parent in type(x).__mro__:
        if parent.__name__ == "DataLoader" and "torch.utils.data" in str(parent.__module__):
            return "torch DataLoader"
    if hasattr(x, "__getitem__") and hasattr(x, "__len__") and not isinstance(x, list):
        return "PyDataset"
    if isinstance(x, list):
        return "list of batches"
    return "generator" if hasattr(x, "__next__") else type(x).__name__


def _array(value, what):
    """``value`` as an array; a ragged list or an unconvertible object names ``what``."""
    if hasattr(value, "detach") and hasattr(value, "cpu") and type(value).__module__.startswith("torch"):
        value = value.detach().cpu().numpy()
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


def sample_weights_for(sample_weight, ys, names=None):
    """``sample_weight`` as one entry per target: a single array weighs every
    output (Keras 3 repeats it), a list or dict gives one per output."""
    if sample_weight is None:
        return None
    count = len(ys) if ys is not None else 1
    if not isinstance(sample_weight, (list, tuple, dict)):
        weight = _array(sample_weight, "sample_weight")
        return [weight] * count
    weights = as_arrays(sample_weight, names, "sample_weight")
    if len(weights) < count:
        weights = weights + [None] * (count - len(weights))
    return weights


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


def capped_steps(steps):
    """``steps`` under ``keras.config.set_max_steps_per_epoch``'s debugging cap (every epoch of fit,
    evaluate and predict, as in Keras 3), with Keras' warning when it cuts."""
    cap = config.max_steps_per_epoch()
    if cap and (steps is None or cap < steps):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        return cap
    return steps


class ArrayBatches:
    """Batches of in-memory arrays: ``for xs, ys, weights in batches.epoch(): ...``"""

    exhausted = False   # arrays never run out

    def close(self):
        """Nothing to stop: arrays are cut in the loop's own thread."""

    def __init__(self, xs, ys=None, weights=None, batch_size=32, shuffle=False):
        self.xs, self.ys, self.weights = xs, ys, weights
        self.size = check_cardinality({"x": xs, "y": ys, "sample_weight": weights})
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.steps = capped_steps(max(1, math.ceil(self.size / self.batch_size)) if self.size else 0)

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


def _length(source):
    """``len(source)`` where it has one (a Sequence, a DataLoader, a list), else None."""
    if not hasattr(source, "__len__"):
        return None
    try:
        return int(len(source))
    except TypeError:   # an iterable dataset behind a DataLoader has no length
        return None


class SourceBatches:
    """Batches from a batch source (see the module docstring), ``steps`` per epoch.

    ``steps`` is what the caller asked for (``steps_per_epoch``, ``steps``,
    ``validation_steps``), else the source's ``len()``, else None: the epoch
    lasts until the data runs out.  ``exhausted`` turns True once an iterator
    that cannot start over has run out.
    """

    def __init__(self, source, steps=None, input_names=None, output_names=None, check=None):
        self.source = source
        self.input_names, self.output_names = input_names, output_names
        #: called on each batch's ``(xs, ys, weights)`` before it is handed out; returns them
        self.check = check
        self.length = _length(source)
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1):
            raise ValueError(f"steps must be a positive integer, got {steps!r}")
        if steps is None and self.length == 0:
            raise ValueError(f"The {type(source).__name__} given as data has no batches (len() is 0)")
        self.requested = None if steps is None else int(steps)
        self.steps = capped_steps(self.requested if self.requested is not None else self.length)
        self.indexed = hasattr(source, "__getitem__") and hasattr(source, "__len__") and not isinstance(source, list)
        self.exhausted = False
        self._one_shot = False   # iter(source) is source: an iterator cannot start over
        self._iterator = None
        self._position = 0   # batches taken from the current pass over the data
        self._pending = None

    def _new_pass(self):
        self._position = 0
        if self.indexed:
            return self._sequence_pass()
        iterator = iter(self.source)
        self._one_shot = iterator is self.source
        return iterator

    def _sequence_pass(self):
        if hasattr(self.source, "on_epoch_begin"):
            self.source.on_epoch_begin()
        if prefetch.wants_parallel(self.source):
            # workers load ahead, in order (utils.prefetch); closing this pass stops them
            yield from prefetch.ordered_batches(self.source)
            return
        for index in range(len(self.source)):
            yield self.source[index]

    def close(self):
        """Stop what the current pass holds (a parallel pass's workers): the loop
        calls it when it returns or raises, whatever the data."""
        iterator, self._iterator = self._iterator, None
        if iterator is not None and hasattr(iterator, "close") and not self._one_shot:
            iterator.close()

    def _end_pass(self):
        """The data's end: the next batch starts a new pass (a Sequence's
        ``on_epoch_end`` runs here, e.g. to reshuffle)."""
        self._iterator = None
        if self.indexed and hasattr(self.source, "on_epoch_end"):
            self.source.on_epoch_end()

    def _next(self):
        """The next checked batch, or None when the data has run out."""
        if self._pending is not None:
            batch, self._pending = self._pending, None
            return batch
        if self._iterator is None:
            if self.exhausted:
                return None
            self._iterator = self._new_pass()
        try:
            raw = next(self._iterator)
        except StopIteration:
            self._iterator = None
            if self._one_shot:
                self.exhausted = True
            return None
        self._position += 1
        batch = split_batch(raw, self.input_names, self.output_names)
        return batch if self.check is None else self.check(*batch)

    def peek(self):
        """Fetch and check the first batch now, so that bad data is refused before
        anything runs (the first ``epoch()`` hands it out first)."""
        if self._pending is None:
            self._pending = self._next()
        return self._pending

    def epoch(self):
        count = 0
        while self.steps is None or count < self.steps:
            batch = self._next()
            if batch is None:
                if self.requested is not None:
                    warnings.warn(RAN_OUT, stacklevel=3)
                return
            yield batch
            count += 1
            if self.length is not None and self._position >= self.length:
                # the end of the data: the next pass starts over; an epoch asked
                # for more steps ends here, as in Keras 3
                self._end_pass()
                if self.requested is not None and count < self.requested:
                    warnings.warn(RAN_OUT, stacklevel=3)
                    return


def split_batch(batch, input_names=None, output_names=None):
    """``(x, y[, sample_weight])``, ``(x,)`` or ``x`` alone, as lists of arrays (a
    list counts as a tuple, as Keras unpacks it)."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if isinstance(batch, tuple) and len(batch) > 3:
        raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
                         f"found a tuple of {len(batch)} elements")
    if isinstance(batch, tuple) and batch:
        x = batch[0]
        y = batch[1] if len(batch) > 1 else None
        weights = batch[2] if len(batch) > 2 else None
    else:
        x, y, weights = batch, None, None
    ys = as_arrays(y, output_names, "outputs") if y is not None else None
    return (as_arrays(x, input_names, "inputs"), ys, sample_weights_for(weights, ys, output_names))


__all__ = ["RAN_OUT", "ArrayBatches", "SourceBatches", "as_arrays", "check_cardinality", "is_batch_source",
           "sample_weights_for", "source_kind", "split_batch"]
