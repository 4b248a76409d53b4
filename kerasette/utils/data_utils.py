"""Data helpers from ``keras.utils``: one-hot labels, normalising, splitting, Sequence.

These work on numpy arrays before data reaches a model, so they use numpy
directly (nothing here is differentiated). Where Keras 3 returns framework
objects (``split_dataset`` returns ``tf.data.Dataset``), kerasette returns
arrays in the structure it was given, ready for ``fit``.
"""
from __future__ import annotations

import random

import numpy as np

from .. import backend

__all__ = ["to_categorical", "normalize", "split_dataset", "Sequence", "PyDataset", "pack_x_y_sample_weight",
           "unpack_x_y_sample_weight"]


def to_categorical(x, num_classes: int | None = None, dtype=None) -> np.ndarray:
    """One-hot encode integer class labels; the class axis goes last.

    A trailing axis of size 1 is dropped first, so labels shaped (n, 1), as
    CIFAR gives them, become (n, num_classes). ``num_classes`` defaults to
    ``max(x) + 1``; ``dtype`` defaults to ``backend.floatx()`` (float32; Keras 3
    returns float64, tf.keras float32).

    >>> to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    labels = np.asarray(x)
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        if not np.array_equal(labels, np.round(labels)):
            raise ValueError("to_categorical expects integer class labels")
    labels = labels.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if not num_classes:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must lie in [0, {num_classes}), "
                         f"got values from {labels.min()} to {labels.max()}")
    encoded = np.zeros((labels.size, num_classes), dtype=dtype or backend.floatx())
    encoded[np.arange(labels.size), labels] = 1
    return encoded.reshape(shape + (num_classes,))


def normalize(x, axis: int = -1, order: int = 2) -> np.ndarray:
    """Divide ``x`` by its ``order``-norm along ``axis``; all-zero slices stay zero.

    >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an int >= 1, got {order!r}")
    values = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(values, order, axis))
    norm[norm == 0] = 1
    return values / np.expand_dims(norm, axis)


def _split_sizes(left_size, right_size, total: int) -> tuple[int, int]:
    """Keras' rules: an int is a count, a float a fraction; None is the rest."""
    if left_size is None and right_size is None:
        raise ValueError("split_dataset: give left_size, right_size or both")
    sizes = []
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is None:
            sizes.append(None)
            continue
        if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
            raise TypeError(f"split_dataset: {name} must be an int, a float or None, "
                            f"got {type(size).__name__}")
        if isinstance(size, (float, np.floating)):
            if not 0 < size < 1:
                raise ValueError(f"split_dataset: a float {name} must lie in (0, 1), got {size}")
            sizes.append(round(size * total))
        else:
            if not 0 < size < total:
                raise ValueError(f"split_dataset: an int {name} must lie in (0, {total}), got {size}")
            sizes.append(int(size))
    left, right = sizes
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"split_dataset: left_size + right_size = {left + right} exceeds the "
                         f"{total} samples")
    if left == 0 or right == 0:
        raise ValueError(f"split_dataset: with {total} samples these sizes leave the "
                         f"{'left' if left == 0 else 'right'} part empty")
    return left, right


def split_dataset(dataset, left_size=None, right_size=None, shuffle: bool = False,
                  seed: int | None = None):
    """Split arrays into two parts, as ``keras.utils.split_dataset``.

    ``dataset`` is an array, or a tuple, list or dict of arrays with the same
    number of samples; both parts come back in the same structure. Sizes are
    counts (int) or fractions (float); when both are given and sum to fewer
    than all samples, the samples between the parts are left out, as in Keras.
    ``shuffle`` reorders the samples first with ``seed`` (without touching
    numpy's global generator).

    >>> (x_left, y_left), (x_right, y_right) = split_dataset(
    ...     (np.arange(10), np.arange(10) * 2), left_size=0.8)
    >>> x_left.shape, y_right.tolist()
    ((8,), [16, 18])
    """
    if isinstance(dataset, dict):
        keys = list(dataset)
        arrays = [np.asarray(dataset[key]) for key in keys]
    elif isinstance(dataset, (tuple, list)):
        arrays = [np.asarray(item) for item in dataset]
    else:
        arrays = [np.asarray(dataset)]
    if not arrays or any(a.ndim == 0 for a in arrays):
        raise ValueError("split_dataset expects arrays with a leading sample axis")
    total = len(arrays[0])
    if any(len(a) != total for a in arrays):
        raise ValueError("split_dataset: the arrays have different numbers of samples: "
                         f"{[len(a) for a in arrays]}")
    left, right = _split_sizes(left_size, right_size, total)
    order = np.arange(total)
    if shuffle:
        np.random.RandomState(random.randint(0, 10**6) if seed is None else seed).shuffle(order)
    left_parts = [a[order[:left]] for a in arrays]
    right_parts = [a[order[total - right:]] for a in arrays]
    if isinstance(dataset, dict):
        return dict(zip(keys, left_parts)), dict(zip(keys, right_parts))
    if isinstance(dataset, (tuple, list)):
        return type(dataset)(left_parts), type(dataset)(right_parts)
    return left_parts[0], right_parts[0]


class Sequence:
    """Base class for data that comes in batches, as ``keras.utils.Sequence``/``PyDataset``.

    Subclass it and define ``__len__`` (batches per epoch) and
    ``__getitem__(index)`` (one batch: ``x``, ``(x, y)`` or ``(x, y,
    sample_weight)``); ``on_epoch_end`` runs after every epoch, e.g. to
    reshuffle. ``fit``, ``evaluate`` and ``predict`` accept an instance, so
    only one batch needs to be in memory at a time. The constructor takes
    Keras' ``workers``, ``use_multiprocessing`` and ``max_queue_size`` so
    Keras code runs unchanged; kerasette reads the batches one after another
    in the training loop.

    >>> import math
    >>> class Batches(Sequence):
    ...     def __init__(self, x, y, batch_size, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.y, self.batch_size = x, y, batch_size
    ...     def __len__(self):
    ...         return math.ceil(len(self.x) / self.batch_size)
    ...     def __getitem__(self, index):
    ...         part = slice(index * self.batch_size, (index + 1) * self.batch_size)
    ...         return self.x[part], self.y[part]
    >>> batches = Batches(np.zeros((10, 3)), np.ones(10), batch_size=4)
    >>> len(batches), batches[2][0].shape
    (3, (2, 3))
    """

    # class-level defaults, so subclasses that skip super().__init__() still work
    workers = 1
    use_multiprocessing = False
    max_queue_size = 10

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index: int):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")

    @property
    def num_batches(self) -> int:
        """Batches per epoch (Keras 3's name for ``len(sequence)``)."""
        return len(self)

    def on_epoch_begin(self) -> None:
        """Called before each epoch; override to prepare one."""

    def on_epoch_end(self) -> None:
        """Called after each epoch; override to reshuffle, for example."""

    def __iter__(self):
        """One pass over the batches in order."""
        for index in range(len(self)):
            yield self[index]


# Keras 3's name for the same base class
PyDataset = Sequence


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch given as ``x``, ``(x,)``, ``(x, y)``
    or ``(x, y, sample_weight)`` (a list counts as a tuple), with None for what is absent.

    >>> unpack_x_y_sample_weight((1, 2))
    (1, 2, None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) in (1, 2, 3):
        return (tuple(data) + (None, None))[:3]
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
                     f"found: {data}")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch tuple ``fit`` unpacks: ``x`` (``(x,)`` when x is a tuple or list),
    ``(x, y)`` or ``(x, y, sample_weight)``.

    >>> pack_x_y_sample_weight([1, 2])
    ([1, 2],)
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return x, y
    return x, y, sample_weight
