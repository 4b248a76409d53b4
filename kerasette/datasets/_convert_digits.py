"""Write ``digits.npz``, the embedded copy of the UCI handwritten digits.

Run once by hand, in an environment that has scikit-learn (which ships the
UCI "Optical Recognition of Handwritten Digits" test set, 1,797 images of
8x8 pixels with values 0..16); the package never imports this file and does
not depend on scikit-learn::

    python3 -m venv /tmp/skenv && /tmp/skenv/bin/pip install scikit-learn
    /tmp/skenv/bin/python kerasette/datasets/_convert_digits.py

The result holds two arrays in sklearn's original order, ``images`` uint8
(1797, 8, 8) and ``labels`` uint8 (1797,), saved with
``numpy.savez_compressed`` (about 45 KB); ``kerasette.datasets.digits`` splits
them into train and test.
"""
import os
import sys

import numpy as np


def convert(destination: str) -> None:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.asarray(bunch.images)
    labels = np.asarray(bunch.target)
    # the values are small integers stored as float64; check before narrowing
    if not (np.array_equal(images, np.round(images)) and images.min() >= 0 and images.max() <= 16):
        raise ValueError("unexpected pixel values in sklearn's digits")
    if images.shape != (1797, 8, 8) or labels.shape != (1797,):
        raise ValueError(f"unexpected shapes {images.shape}, {labels.shape}")
    np.savez_compressed(destination, images=images.astype(np.uint8), labels=labels.astype(np.uint8))
    print(f"wrote {destination}: {os.path.getsize(destination)} bytes, "
          f"label counts {np.bincount(labels).tolist()}")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    convert(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "digits.npz"))
