"""Boston housing prices (regression), as ``keras.datasets.boston_housing``.

Keras' ``boston_housing.npz`` (506 samples of 13 attributes and the median
house value in k$), read with ``allow_pickle=False``. The split shuffles with
``numpy.random.RandomState(seed)`` exactly as Keras does, so the same seed
gives the same train and test rows as Keras.

Note from Keras' documentation: one attribute of this dataset ("B") encodes an
assumption about racial self-segregation; use the data to illustrate such
problems rather than as a neutral benchmark.
"""
from __future__ import annotations

import numpy as np

from .download import KERAS_DATASETS_URL, get_file

__all__ = ["load_data"]

_SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113):
    """Load the Boston housing data split into train and test sets.

    ``test_split`` is the fraction kept for testing (0 <= test_split < 1),
    ``seed`` seeds the shuffle before the split. Returns
    ``(x_train, y_train), (x_test, y_test)``: x float (n, 13), y float (n,).

    >>> from kerasette.datasets import boston_housing
    >>> (x_train, y_train), (x_test, y_test) = boston_housing.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_test.shape                                        # doctest: +SKIP
    ((404, 13), (102, 13))
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), got {test_split}")
    local = get_file(path, origin=KERAS_DATASETS_URL + "boston_housing.npz", file_hash=_SHA256)
    with np.load(local, allow_pickle=False) as arrays:
        x, y = arrays["x"], arrays["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
