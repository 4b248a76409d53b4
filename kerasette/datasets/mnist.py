"""MNIST handwritten digits, as ``keras.datasets.mnist``.

The file is Keras' own ``mnist.npz`` (about 11 MB), fetched once from Keras'
public address into the kerasette cache (see :mod:`kerasette.datasets.download`)
and read with ``allow_pickle=False``: it holds plain uint8 arrays.
"""
from __future__ import annotations

import numpy as np

from .download import KERAS_DATASETS_URL, get_file

__all__ = ["load_data"]

_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path: str = "mnist.npz"):
    """Load MNIST: 60,000 training and 10,000 test images of 28x28 grey pixels.

    ``path`` is where to cache the file, relative to the kerasette dataset
    folder (``~/.kerasette/datasets`` by default).

    Returns ``(x_train, y_train), (x_test, y_test)``: x uint8 (n, 28, 28) with
    values 0..255, y uint8 (n,) with digits 0..9.

    >>> from kerasette.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_test.shape                               # doctest: +SKIP
    ((60000, 28, 28), (10000,))
    """
    local = get_file(path, origin=KERAS_DATASETS_URL + "mnist.npz", file_hash=_SHA256)
    with np.load(local, allow_pickle=False) as arrays:
        return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
