"""``timeseries_dataset_from_array``: sliding windows over a series, in batches.

Keras 3's arguments, checks and windows: window ``i`` starts at
``start_index + positions[i]`` and takes ``sequence_length`` steps
``sampling_rate`` apart; its target is ``targets[start_index + positions[i]]``;
``positions`` run ``0, sequence_stride, ...`` and are shuffled with
``numpy.random.RandomState(seed)`` as Keras shuffles them (Keras' tf.data
then shuffles again in a buffer, which kerasette does not copy: with a seed
the order is fixed, and different from Keras').
"""
from __future__ import annotations

import math

import numpy

from ..utils.data_utils import PyDataset

__all__ = ["timeseries_dataset_from_array", "TimeseriesDataset"]


class TimeseriesDataset(PyDataset):
    """Batches of windows (and their targets) cut from arrays on demand."""

    def __init__(self, data, targets, positions, sequence_length, sampling_rate, batch_size):
        super().__init__()
        self.data, self.targets, self.positions = data, targets, positions
        self.offsets = numpy.arange(sequence_length) * sampling_rate
        self.batch_size = batch_size

    def __len__(self):
        if self.batch_size is None:
            return len(self.positions)
        return math.ceil(len(self.positions) / self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range for {len(self)} batches")
        size = 1 if self.batch_size is None else self.batch_size
        starts = self.positions[index * size:(index + 1) * size]
        windows = self.data[starts[:, None] + self.offsets]
        if self.batch_size is None:
            windows, starts = windows[0], starts[0]
        if self.targets is None:
            return windows
        return windows, self.targets[starts]

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None,
                                  format="tf"):
    """Windows of ``sequence_length`` steps over ``data`` (and their ``targets``).

    >>> batches = timeseries_dataset_from_array(numpy.arange(10), None, sequence_length=3, batch_size=4)
    >>> batches[0].tolist()
    [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]
    """
    length = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= length:
            raise ValueError(f"`start_index` must be lower than the length of the data. Received: "
                             f"start_index={start_index}, for data of length {length}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"`end_index` must be higher than `start_index`. Received: start_index={start_index}, "
                             f"and end_index={end_index} ")
        if end_index >= length:
            raise ValueError(f"`end_index` must be lower than the length of the data. Received: "
                             f"end_index={end_index}, for data of length {length}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    if sampling_rate <= 0:
        raise ValueError(f"`sampling_rate` must be higher than 0. Received: sampling_rate={sampling_rate}")
    if sampling_rate >= length:
        raise ValueError(f"`sampling_rate` must be lower than the length of the data. Received: "
                         f"sampling_rate={sampling_rate}, for data of length {length}")
    if sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be higher than 0. Received: sequence_stride={sequence_stride}")
    if sequence_stride >= length:
        raise ValueError(f"`sequence_stride` must be lower than the length of the data. Received: "
                         f"sequence_stride={sequence_stride}, for data of length {length}")
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if targets is not None and len(targets) == 0:
        raise ValueError("`targets` is empty: pass None for windows without targets")
    start_index = start_index or 0
    end_index = length if end_index is None else end_index
    count = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        count = min(count, len(targets))
    positions = numpy.arange(0, max(count, 0), sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = numpy.random.randint(1e6)
        numpy.random.RandomState(seed).shuffle(positions)
    data = numpy.asarray(data)[start_index:end_index]
    if targets is not None:
        targets = numpy.asarray(targets)[start_index:end_index]
    return TimeseriesDataset(data, targets, positions, sequence_length, sampling_rate, batch_size)
