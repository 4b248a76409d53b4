"""Weight regularizers: penalties a layer adds to the loss.

A regularizer is called on a weight (or an activity) and returns a scalar
penalty built with ``kerasette.ops``, so the same object gives a number on a
plain array, a recorded value on an eager Tensor (its gradient flows back to
the weight) and a node in a compiled training graph.  Names, arguments and
formulas are Keras' (``L2(0.01)`` is ``0.01 * sum(w ** 2)``; there is no 1/2).

>>> from kerasette import regularizers
>>> float(regularizers.L2(0.5)([1.0, 2.0]))
2.5
"""
from __future__ import annotations

import math
import numbers

import numpy

from . import backend, ops
from .serialization import Configurable, ObjectRegistry

__all__ = [
    "Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
    "orthogonal_regularizer", "get", "serialize", "deserialize",
]


def _validate_factor(value, name: str) -> float:
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
            or math.isinf(value) or math.isnan(value) or value < 0):
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float, "
                         f"got {value!r}")
    return float(value)


def _as_float32(value: float) -> float:
    return float(numpy.float32(value))


def _as_operand(x):
    # numbers and lists become arrays of floatx; arrays, Tensors and nodes pass through
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return x
    return backend.as_array(x)


class Regularizer(Configurable):
    """Base class: subclasses implement ``__call__(x)`` and ``get_config``.

    >>> class Sum(Regularizer):
    ...     def __call__(self, x):
    ...         return ops.sum(x)
    """

    def __call__(self, x):
        return 0.0

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config")


class L1(Regularizer):
    """``l1 * sum(abs(x))``.

    >>> float(L1(0.1)([1.0, -2.0]))
    0.3...
    """

    def __init__(self, l1=0.01):
        # Keras 3 (and tf.keras) hold this factor as a float32: get_config() and the penalty
        # use its float32 value (0.01 -> 0.009999999776482582); L2 and L1L2 keep theirs exact
        self.l1 = _as_float32(_validate_factor(0.01 if l1 is None else l1, "l1"))

    def __call__(self, x):
        return ops.multiply(ops.sum(ops.abs(_as_operand(x))), self.l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x ** 2)``.

    >>> float(L2(0.1)([1.0, -2.0]))
    0.5
    """

    def __init__(self, l2=0.01):
        self.l2 = _validate_factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return ops.multiply(ops.sum(ops.square(_as_operand(x))), self.l2)

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """``l1 * sum(abs(x)) + l2 * sum(x ** 2)``; a zero factor adds nothing to the graph.

    >>> float(L1L2(l1=0.1, l2=0.1)([1.0, -2.0]))
    0.8...
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _validate_factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _validate_factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        x = _as_operand(x)
        penalty = None
        if self.l1:
            penalty = ops.multiply(ops.sum(ops.abs(x)), self.l1)
        if self.l2:
            term = ops.multiply(ops.sum(ops.square(x)), self.l2)
            penalty = term if penalty is None else ops.add(penalty, term)
        if penalty is None:
            # still a value that depends on x, so it has x's dtype and place in a graph
            penalty = ops.sum(ops.zeros_like(x))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards being orthogonal.

    The penalty is ``factor`` times the mean absolute dot product between
    the L2-normalised rows (``mode="rows"``) or columns (``mode="columns"``),
    each pair counted once and a row with itself not at all.

    >>> float(OrthogonalRegularizer(1.0)([[1.0, 0.0], [0.0, 1.0]]))
    0.0
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _as_float32(_validate_factor(factor, "factor"))    # a float32 in Keras 3, as L1's
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: mode must be 'rows' or 'columns', got {mode!r}")
        self.mode = mode

    def __call__(self, x):
        x = _as_operand(x)
        if len(x.shape) != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2-D input, got shape {tuple(x.shape)}")
        axis = 1 if self.mode == "rows" else 0
        size = x.shape[0] if self.mode == "rows" else x.shape[1]
        if size is None:
            raise ValueError("OrthogonalRegularizer needs a static size along the regularized axis")
        # x / max(||x||, 1e-6), like tf.math.l2_normalize
        squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
        x = ops.divide(x, ops.sqrt(ops.maximum(squares, 1e-12)))
        if self.mode == "rows":
            product = ops.matmul(x, ops.transpose(x))
        else:
            product = ops.matmul(ops.transpose(x), x)
        xp = backend.array_module()
        off_diagonal = 1 - xp.eye(size, dtype=x.dtype)
        pairs = size * (size - 1) / 2.0
        total = ops.sum(ops.abs(ops.multiply(product, off_diagonal)))
        return ops.multiply(total, self.factor * 0.5 / max(pairs, 1.0))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras' lower-case aliases
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

_BY_NAME = {
    "Regularizer": Regularizer, "L1": L1, "L2": L2, "L1L2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer,
}
_REGISTRY = ObjectRegistry("regularizer", Regularizer, _BY_NAME)
_lookup = _REGISTRY.lookup


def serialize(regularizer) -> dict | None:
    """``{"class_name": "L2", "config": {"l2": 0.01}}`` (Keras 2's form)."""
    return _REGISTRY.serialize(regularizer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Regularizer:
    """The regularizer a ``serialize`` dict (Keras 2 or Keras 3 form) describes."""
    return _REGISTRY.deserialize(config, custom_objects)


def get(identifier):
    """A regularizer from None, a name (``'l2'``), a config dict, a class, a callable or an instance.

    >>> get("l2").l2
    0.01
    """
    return _REGISTRY.get(identifier)
