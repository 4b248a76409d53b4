"""California housing prices (regression), as ``keras.datasets.california_housing``.

Keras' ``california_housing.npz``: 20,640 census block groups, 8 features
(median income, house age, rooms, bedrooms, population, occupancy, latitude,
longitude) and the median house value in dollars, read with
``allow_pickle=False`` after its SHA-256 is checked. ``version="small"``
keeps the first 600 rows (Keras' stand-in for boston_housing). The split
shuffles with ``numpy.random.RandomState(seed)`` as Keras 3 does.
"""
from __future__ import annotations

import numpy as np

from .download import KERAS_DATASETS_URL, get_file

__all__ = ["load_data"]

_SHA256 = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"


def load_data(version: str = "large", path: str = "california_housing.npz", test_split: float = 0.2,
              seed: int = 113):
    """``(x_train, y_train), (x_test, y_test)``: x float (n, 8), y float (n,).

    >>> from kerasette.datasets import california_housing
    >>> (x_train, y_train), _ = california_housing.load_data(version="small")  # doctest: +SKIP
    >>> x_train.shape                                                         # doctest: +SKIP
    (480, 8)
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 "
                         "(exclusive of 1).")
    if version not in ("small", "large"):
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: version={version}")
    local = get_file(path, origin=KERAS_DATASETS_URL + "california_housing.npz", file_hash=_SHA256)
    with np.load(local, allow_pickle=False) as arrays:
        x, y = arrays["x"], arrays["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
