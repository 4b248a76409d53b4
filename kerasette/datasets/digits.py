"""The UCI handwritten digits, embedded: a real dataset that needs no network.

1,797 greyscale images of 8x8 pixels, digits 0..9: the test part of the UCI
"Optical Recognition of Handwritten Digits" set (written by 13 people), the
same data scikit-learn ships as ``load_digits``. The file ``digits.npz`` beside this
module (about 45 KB) was made once by ``_convert_digits.py``; nothing is
downloaded, so examples and tests run on a machine with no network.

Like Keras' image datasets the arrays are uint8: images (n, 8, 8) with the
original pixel values 0..16 (each the count of set pixels in a 4x4 block of
the scanned 32x32 bitmap; divide by 16 to scale to [0, 1]) and labels (n,).
Train and test are split as Keras splits ``boston_housing``: a shuffle with
``numpy.random.RandomState(seed)``, then the last ``test_split`` of the rows
for testing (1,437 train and 360 test samples by default).
"""
from __future__ import annotations

import os

import numpy as np

__all__ = ["load_data", "DATA_PATH"]

DATA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.npz")


def load_data(test_split: float = 0.2, seed: int = 113):
    """Load the embedded digits split into train and test sets.

    Returns ``(x_train, y_train), (x_test, y_test)``: x uint8 (n, 8, 8) with
    values 0..16, y uint8 (n,) with digits 0..9. The split is the same on every
    machine for the same ``seed``.

    >>> from kerasette.datasets import digits
    >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
    >>> x_train.shape, x_test.shape
    ((1437, 8, 8), (360, 8, 8))
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"test_split must be in [0, 1), got {test_split}")
    with np.load(DATA_PATH, allow_pickle=False) as arrays:
        images, labels = arrays["images"], arrays["labels"]
    order = np.arange(len(images))
    np.random.RandomState(seed).shuffle(order)
    images, labels = images[order], labels[order]
    cut = int(len(images) * (1 - test_split))
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])
