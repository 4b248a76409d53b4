"""``FileDataset``: what the ``*_dataset_from_*`` functions return.

Keras 3 hands back a ``tf.data.Dataset``; kerasette hands back a
``PyDataset`` that loads batch ``i`` from its list of samples when asked, so
``fit``/``evaluate``/``predict`` take it directly, plain Python can iterate
it (``for x, y in dataset``), and ``workers=N`` loads batches in parallel
(utils.prefetch). The few ``tf.data`` methods that Keras tutorials call on it
are here too: ``map``, ``take``, ``prefetch``, ``cache``, ``shuffle`` (the
last three keep the dataset as it is: batches are already loaded ahead by the
workers and reshuffled each epoch), ``as_numpy_iterator``, ``unbatch``.

Shuffling: the order of the samples is drawn again at each epoch's start
from ``(seed, epoch)``, so a seed gives the same batches run after run.
"""
from __future__ import annotations

import math

import numpy

from ..utils.data_utils import PyDataset

__all__ = ["FileDataset", "MappedDataset", "encode_labels"]


def encode_labels(labels, label_mode, num_classes):
    """Labels as Keras 3 hands them out: int32, a float32 column ("binary") or one-hot ("categorical")."""
    labels = numpy.asarray(labels)
    if label_mode == "binary":
        return labels.astype("float32").reshape(-1, 1)
    if label_mode == "categorical":
        return numpy.eye(num_classes, dtype="float32")[labels.astype("int64")]
    return labels.astype("int32")


class FileDataset(PyDataset):
    """Batches of ``load(item)`` over ``items``, with their labels.

    ``batch_size=None`` hands out one sample at a time (Keras' unbatched dataset).

    >>> dataset = FileDataset(["a", "b", "c"], load=len, batch_size=2, stack=numpy.array)
    >>> [batch.tolist() for batch in dataset]
    [[1, 1], [1]]
    """

    def __init__(self, items, load, labels=None, label_mode="int", num_classes=0, batch_size=32, shuffle=False,
                 seed=None, stack=numpy.stack, class_names=None, workers=1, use_multiprocessing=False,
                 max_queue_size=10):
        super().__init__(workers=workers, use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)
        self.items = list(items)
        self.load = load
        self.labels = None if labels is None or label_mode is None else encode_labels(labels, label_mode,
                                                                                       num_classes)
        self.batch_size = batch_size
        self.shuffled = shuffle
        self.seed = 0 if seed is None else int(seed)
        self.stack = stack
        self.class_names = class_names
        self._epoch = 0
        self._order = self._draw_order()

    # The files behind the samples, in the order of the list (Keras' ``file_paths``).
    @property
    def file_paths(self):
        return self.items

    def _draw_order(self):
        if not self.shuffled:
            return numpy.arange(len(self.items))
        return numpy.random.default_rng([self.seed, self._epoch]).permutation(len(self.items))

    def __len__(self):
        if self.batch_size is None:
            return len(self.items)
        return math.ceil(len(self.items) / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range for {len(self)} batches")
        if self.batch_size is None:
            pick = self._order[index:index + 1]
        else:
            pick = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        samples = [self.load(self.items[i]) for i in pick]
        x = self.stack(samples)
        if self.batch_size is None:
            x = x[0]
        if self.labels is None:
            return x
        y = self.labels[pick]
        return x, (y[0] if self.batch_size is None else y)

    def on_epoch_end(self):
        self._epoch += 1
        self._order = self._draw_order()

    # ------------------------------------------------------- tf.data's face
    def map(self, function, num_parallel_calls=None):
        """Apply ``function`` to each batch (to its parts, unpacked, like tf.data)."""
        return MappedDataset(self, function)

    def take(self, count):
        """The first ``count`` batches, as a new dataset."""
        return MappedDataset(self, None, limit=int(count))

    def prefetch(self, buffer_size=None):
        return self

    def cache(self, filename=""):
        return self

    def shuffle(self, buffer_size=None, seed=None, reshuffle_each_iteration=None):
        return self

    def as_numpy_iterator(self):
        return iter(self)

    def unbatch(self):
        """The samples one by one."""
        for batch in self:
            parts = batch if isinstance(batch, tuple) else (batch,)
            for row in zip(*parts):
                yield row if isinstance(batch, tuple) else row[0]

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]
        self.on_epoch_end()


class MappedDataset(PyDataset):
    """A dataset whose batches pass through ``function`` (``None``: unchanged),
    at most ``limit`` of them. Epoch hooks reach the dataset underneath."""

    def __init__(self, dataset, function, limit=None):
        super().__init__(workers=getattr(dataset, "workers", 1),
                         use_multiprocessing=getattr(dataset, "use_multiprocessing", False),
                         max_queue_size=getattr(dataset, "max_queue_size", 10))
        self.dataset, self.function, self.limit = dataset, function, limit
        self.class_names = getattr(dataset, "class_names", None)

    def __len__(self):
        length = len(self.dataset)
        return length if self.limit is None else min(length, self.limit)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range for {len(self)} batches")
        batch = self.dataset[index]
        if self.function is None:
            return batch
        return self.function(*batch) if isinstance(batch, tuple) else self.function(batch)

    def on_epoch_begin(self):
        if hasattr(self.dataset, "on_epoch_begin"):
            self.dataset.on_epoch_begin()

    def on_epoch_end(self):
        if hasattr(self.dataset, "on_epoch_end"):
            self.dataset.on_epoch_end()

    map = FileDataset.map
    take = FileDataset.take
    prefetch = FileDataset.prefetch
    cache = FileDataset.cache
    shuffle = FileDataset.shuffle
    as_numpy_iterator = FileDataset.as_numpy_iterator
    unbatch = FileDataset.unbatch
    __iter__ = FileDataset.__iter__
