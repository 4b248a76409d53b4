"""Weight constraints: projections applied to a weight after each update.

A constraint is called on a weight and returns the projected weight, built
with ``kerasette.ops`` so that it works on a plain array (applied at once
after an eager update) and on a node (part of a compiled training step).
Names, arguments and formulas are Keras', including the ``epsilon`` that
keeps a zero column from dividing by zero.

>>> from kerasette import constraints
>>> constraints.get("non_neg")([-1.0, 2.0])
array([-0.,  2.], dtype=float32)
"""
from __future__ import annotations

from . import backend, ops
from .serialization import Configurable, ObjectRegistry

__all__ = [
    "Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "maxnorm",
    "non_neg", "nonneg", "unit_norm", "unitnorm", "min_max_norm", "get", "serialize",
    "deserialize",
]


def _as_operand(w):
    if hasattr(w, "shape") and hasattr(w, "dtype"):
        return w
    return backend.as_array(w)


def _norms(w, axis):
    """L2 norms along ``axis``, kept as size-1 axes so they broadcast back over w."""
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


def _axis_config(axis):
    return list(axis) if isinstance(axis, tuple) else axis


class Constraint(Configurable):
    """Base class: subclasses implement ``__call__(w)`` returning the projected weight.

    >>> class Halve(Constraint):
    ...     def __call__(self, w):
    ...         return ops.multiply(w, 0.5)
    """

    def __call__(self, w):
        return w


class MaxNorm(Constraint):
    """Rescales each slice along ``axis`` whose L2 norm exceeds ``max_value`` down to it.

    For a Dense kernel (in, out), ``axis=0`` constrains each unit's incoming
    weights; for a Conv2D kernel (kh, kw, in, out) use ``axis=[0, 1, 2]``.

    >>> MaxNorm(1.0)([[3.0], [4.0]])
    array([[0.6...],
           [0.8...]], dtype=float32)
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = tuple(axis) if isinstance(axis, list) else axis

    def __call__(self, w):
        w = _as_operand(w)
        norms = _norms(w, self.axis)
        desired = ops.clip(norms, 0, self.max_value)
        return ops.multiply(w, ops.divide(desired, ops.add(norms, backend.epsilon())))

    def get_config(self):
        return {"max_value": self.max_value, "axis": _axis_config(self.axis)}


class NonNeg(Constraint):
    """Zeroes the negative entries.

    >>> NonNeg()([-1.0, 0.5])
    array([-0. ,  0.5], dtype=float32)
    """

    def __call__(self, w):
        w = _as_operand(w)
        return ops.multiply(w, ops.cast(ops.greater_equal(w, 0.0), w.dtype))


class UnitNorm(Constraint):
    """Divides each slice along ``axis`` by its L2 norm (plus epsilon).

    >>> UnitNorm()([[3.0], [4.0]])
    array([[0.6...],
           [0.8...]], dtype=float32)
    """

    def __init__(self, axis=0):
        self.axis = tuple(axis) if isinstance(axis, list) else axis

    def __call__(self, w):
        w = _as_operand(w)
        return ops.divide(w, ops.add(_norms(w, self.axis), backend.epsilon()))

    def get_config(self):
        return {"axis": _axis_config(self.axis)}


class MinMaxNorm(Constraint):
    """Moves each slice's L2 norm into ``[min_value, max_value]``, by ``rate`` of the way.

    ``rate=1.0`` enforces the bounds at once; smaller rates step towards them.

    >>> MinMaxNorm(1.0, 2.0)([[0.3], [0.4]]).round(3)
    array([[0.6],
           [0.8]], dtype=float32)
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = tuple(axis) if isinstance(axis, list) else axis

    def __call__(self, w):
        w = _as_operand(w)
        norms = _norms(w, self.axis)
        clipped = ops.clip(norms, self.min_value, self.max_value)
        desired = ops.add(ops.multiply(clipped, self.rate), ops.multiply(norms, 1.0 - self.rate))
        return ops.multiply(w, ops.divide(desired, ops.add(norms, backend.epsilon())))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": _axis_config(self.axis)}


# Keras' lower-case aliases (the unseparated ones are Keras 2's)
max_norm = maxnorm = MaxNorm
non_neg = nonneg = NonNeg
unit_norm = unitnorm = UnitNorm
min_max_norm = MinMaxNorm

_BY_NAME = {
    "Constraint": Constraint, "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm,
    "MinMaxNorm": MinMaxNorm, "max_norm": MaxNorm, "maxnorm": MaxNorm, "non_neg": NonNeg,
    "nonneg": NonNeg, "unit_norm": UnitNorm, "unitnorm": UnitNorm, "min_max_norm": MinMaxNorm,
}
_REGISTRY = ObjectRegistry("constraint", Constraint, _BY_NAME)
_lookup = _REGISTRY.lookup


def serialize(constraint) -> dict | None:
    """``{"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}`` (Keras 2's form)."""
    return _REGISTRY.serialize(constraint)


def deserialize(config: dict, custom_objects: dict | None = None) -> Constraint:
    """The constraint a ``serialize`` dict (Keras 2 or Keras 3 form) describes."""
    return _REGISTRY.deserialize(config, custom_objects)


def get(identifier):
    """A constraint from None, a name (``'max_norm'``), a config dict, a class, a callable
    or an instance.

    >>> get("max_norm").max_value
    2
    """
    return _REGISTRY.get(identifier)
