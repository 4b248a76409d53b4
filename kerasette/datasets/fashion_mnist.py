"""Fashion-MNIST (Zalando's clothing images), as ``keras.datasets.fashion_mnist``.

Four gzip-compressed IDX files (the format of the original MNIST: a big-endian
header of magic number and dimensions, then raw uint8 values), fetched from
Keras' public address into ``<cache>/fashion-mnist/``. The header is checked
rather than skipped, so a wrong file gives a clear error instead of garbage.

Classes: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal,
6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.
"""
from __future__ import annotations

import gzip

import numpy as np

from .download import KERAS_DATASETS_URL, get_file

__all__ = ["load_data"]

_SHA256 = {
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}


def read_idx(path: str) -> np.ndarray:
    """Read a gzip-compressed IDX file of unsigned bytes into an array of its shape."""
    with gzip.open(path, "rb") as stream:
        data = stream.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    rank = data[3]
    shape = tuple(int(v) for v in np.frombuffer(data, dtype=">u4", count=rank, offset=4))
    offset = 4 + 4 * rank
    if len(data) - offset != int(np.prod(shape)):
        raise ValueError(f"{path}: header says {shape}, but {len(data) - offset} values follow")
    # a copy, so the arrays handed out are writable like those of np.load
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape).copy()


def load_data():
    """Load Fashion-MNIST: 60,000 training and 10,000 test images of 28x28 pixels.

    Returns ``(x_train, y_train), (x_test, y_test)``: x uint8 (n, 28, 28),
    y uint8 (n,) with classes 0..9.

    >>> from kerasette.datasets import fashion_mnist
    >>> (x_train, y_train), _ = fashion_mnist.load_data()  # doctest: +SKIP
    """
    arrays = []
    for name in ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
                 "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"):
        local = get_file(name, origin=KERAS_DATASETS_URL + name, file_hash=_SHA256[name],
                         cache_subdir="fashion-mnist")
        arrays.append(read_idx(local))
    y_train, x_train, y_test, x_test = arrays
    return (x_train, y_train), (x_test, y_test)
