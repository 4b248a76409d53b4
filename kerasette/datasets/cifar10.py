"""CIFAR-10 small colour images, as ``keras.datasets.cifar10``.

Read from the CIFAR binary archive (``cifar-10-binary.tar.gz``, 170 MB, from
the CIFAR authors' site) rather than the pickled python version Keras uses, so
no downloaded bytes ever go through ``pickle``; see :mod:`._cifar`. The SHA-256
is the one TensorFlow Datasets records for the same file.

Classes: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog,
7 horse, 8 ship, 9 truck.
"""
from __future__ import annotations

import numpy as np

from . import _cifar
from .download import get_file

__all__ = ["load_data"]

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
_SHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
_FOLDER = "cifar-10-batches-bin/"
_TRAIN = [f"{_FOLDER}data_batch_{index}.bin" for index in range(1, 6)]
_TEST = f"{_FOLDER}test_batch.bin"


def load_data():
    """Load CIFAR-10: 50,000 training and 10,000 test images of 32x32 RGB pixels.

    Returns ``(x_train, y_train), (x_test, y_test)``: x uint8 (n, 32, 32, 3)
    (channels last), y uint8 (n, 1) with classes 0..9, the training batches in
    order 1..5 as in Keras.

    >>> from kerasette.datasets import cifar10
    >>> (x_train, y_train), (x_test, y_test) = cifar10.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train.shape                                # doctest: +SKIP
    ((50000, 32, 32, 3), (50000, 1))
    """
    local = get_file("cifar-10-binary.tar.gz", origin=_ORIGIN, file_hash=_SHA256)
    members = _cifar.read_members(local, _TRAIN + [_TEST])
    parts = [_cifar.split_records(members[name], 1, name) for name in _TRAIN]
    y_train = np.concatenate([labels for labels, _ in parts])
    x_train = np.concatenate([images for _, images in parts])
    y_test, x_test = _cifar.split_records(members[_TEST], 1, _TEST)
    return (x_train, y_train), (x_test, y_test)
