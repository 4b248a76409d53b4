"""Datasets, as ``keras.datasets``: each module has Keras' ``load_data()``.

* ``digits``: 1,797 8x8 handwritten digits embedded in the package, no network;
* ``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb``, ``reuters``,
  ``boston_housing``, ``california_housing``: downloaded once from their standard public addresses
  into ``~/.kerasette/datasets`` (``KERASETTE_DATASETS`` or ``KERASETTE_HOME``
  to move it), checked against a known checksum, then read from the cache.
  See :mod:`kerasette.datasets.download` for working offline.

No downloaded file is ever passed to ``pickle``.

>>> from kerasette.datasets import digits
>>> (x_train, y_train), (x_test, y_test) = digits.load_data()
>>> x_train.shape, x_train.dtype.name
((1437, 8, 8), 'uint8')
"""
from . import (boston_housing, california_housing, cifar10, cifar100, digits, download, fashion_mnist, imdb, mnist,
               reuters)
from .download import DownloadError, cache_dir, get_file

__all__ = ["boston_housing", "california_housing", "reuters", "cifar10", "cifar100", "digits", "download", "fashion_mnist", "imdb",
           "mnist", "DownloadError", "cache_dir", "get_file"]
