"""CIFAR-100 small colour images, as ``keras.datasets.cifar100``.

Read from the CIFAR binary archive (``cifar-100-binary.tar.gz``) rather than
the pickled python version Keras uses; see :mod:`._cifar`. Each record starts
with two label bytes, the coarse class (20 superclasses) then the fine class
(100 classes). The SHA-256 is the one TensorFlow Datasets records.
"""
from __future__ import annotations

from . import _cifar
from .download import get_file

__all__ = ["load_data"]

_ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"
_SHA256 = "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec"
_TRAIN = "cifar-100-binary/train.bin"
_TEST = "cifar-100-binary/test.bin"


def load_data(label_mode: str = "fine"):
    """Load CIFAR-100: 50,000 training and 10,000 test images of 32x32 RGB pixels.

    ``label_mode`` is ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).
    Returns ``(x_train, y_train), (x_test, y_test)``: x uint8 (n, 32, 32, 3),
    y uint8 (n, 1).

    >>> from kerasette.datasets import cifar100
    >>> (x_train, y_train), _ = cifar100.load_data(label_mode="coarse")  # doctest: +SKIP
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'label_mode must be "fine" or "coarse", got {label_mode!r}')
    local = get_file("cifar-100-binary.tar.gz", origin=_ORIGIN, file_hash=_SHA256)
    members = _cifar.read_members(local, [_TRAIN, _TEST])
    column = 1 if label_mode == "fine" else 0
    labels_train, x_train = _cifar.split_records(members[_TRAIN], 2, _TRAIN)
    labels_test, x_test = _cifar.split_records(members[_TEST], 2, _TEST)
    return ((x_train, labels_train[:, column:column + 1].copy()),
            (x_test, labels_test[:, column:column + 1].copy()))
