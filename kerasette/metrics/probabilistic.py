"""Classification losses as metrics: cross-entropies, KL divergence, Poisson and the hinges.

Each keeps the running (weighted) mean of the loss function of
``kerasette.losses`` with the same name, so ``metrics=["binary_crossentropy"]``
reports the same number the loss would over the epoch.  Constructor
arguments, their order and the default names are Keras 3's.
"""
from __future__ import annotations

from .. import losses
from .base import _FunctionMetric

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge"]


class BinaryCrossentropy(_FunctionMetric):
    """Running mean of the binary cross-entropy.

    >>> m = BinaryCrossentropy(); m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 3)
    0.815
    """

    _arguments = ("from_logits", "label_smoothing")

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(losses.binary_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(_FunctionMetric):
    """Running mean of the categorical cross-entropy (one-hot labels).

    >>> m = CategoricalCrossentropy()
    >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> round(float(m.result()), 3)
    1.177
    """

    _arguments = ("from_logits", "label_smoothing", "axis")

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(losses.categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_FunctionMetric):
    """Running mean of the sparse categorical cross-entropy (integer labels).

    >>> m = SparseCategoricalCrossentropy()
    >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> round(float(m.result()), 3)
    1.177
    """

    _arguments = ("from_logits", "axis")

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 axis=-1):
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, axis=axis)


class KLDivergence(_FunctionMetric):
    """Running mean of ``sum(y_true * log(y_true / y_pred), axis=-1)``.

    >>> m = KLDivergence(); m.update_state([[0.5, 0.5]], [[0.25, 0.75]])
    >>> round(float(m.result()), 4)
    0.1438
    """

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


class Poisson(_FunctionMetric):
    """Running mean of ``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``.

    >>> m = Poisson(); m.update_state([[1.0]], [[2.0]])
    >>> round(float(m.result()), 4)
    1.3069
    """

    def __init__(self, name="poisson", dtype=None):
        super().__init__(losses.poisson, name=name, dtype=dtype)


class Hinge(_FunctionMetric):
    """Running mean of the hinge loss (labels -1/1, or 0/1 converted).

    >>> m = Hinge(); m.update_state([[1.0, 0.0]], [[0.5, -2.0]])
    >>> float(m.result())
    0.25
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(losses.hinge, name=name, dtype=dtype)


class SquaredHinge(_FunctionMetric):
    """Running mean of the squared hinge loss.

    >>> m = SquaredHinge(); m.update_state([[1.0]], [[0.5]])
    >>> float(m.result())
    0.25
    """

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(_FunctionMetric):
    """Running mean of the categorical hinge loss.

    >>> m = CategoricalHinge(); m.update_state([[0.0, 1.0]], [[0.2, 0.6]])
    >>> round(float(m.result()), 4)
    0.6
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)
