"""Layer weights: eager Tensors with a name, that graphs read as variables.

A ``Variable`` is a ``Tensor`` (so it takes part in define-by-run: after
``loss.backward()`` its gradient is in ``.grad``) with a Keras name and path
(``kernel``, ``dense/kernel``) and ``assign``.  When a layer is called on
symbolic inputs, the ops dispatcher lets the variable enter the graph as a
variable node reading ``variable.data`` at every run, so graph programs and
eager code always see the same, current weights.
"""
from __future__ import annotations

import numpy

from . import backend
from .eager import Tensor
from .primitives.base import format_shape


class Variable(Tensor):
    """A named, assignable weight.

    >>> v = Variable([1.0, 2.0], name="bias")
    >>> v.assign([0.0, 0.0]); v.numpy()
    array([0., 0.], dtype=float32)
    """

    # ``legacy_path``: the name legacy HDF5 files give the weight when it differs from ``path``
    # (a layer's weights: ``<layer>/<weight>`` under the RNN and wrapper layers holding the layer,
    # not Keras 3's path through every enclosing layer and model); None: ``path``
    # ``created_trainable``: ``trainable`` as made (the order of a layer's weights and of the files
    # follows it; ``trainable`` itself goes off and on with the layer holding it, as in Keras 3)
    __slots__ = ("name", "path", "legacy_path", "trainable", "created_trainable", "constraint",
                 "_autocast", "aggregation", "synchronization")

    def __init__(self, initializer, shape=None, dtype=None, trainable: bool = True, autocast: bool = True,
                 aggregation="none", synchronization="auto", name: str | None = None, layout=None,
                 constraint=None):
        # Keras 3's arguments, in its order: ``initializer`` is a value (array, list, tensor) or
        # an initializer (name, object, callable) called with ``shape``; ``layout`` is for
        # sharding over devices (one device here: taken and unused)
        aggregation = "none" if aggregation is None else aggregation
        synchronization = "none" if synchronization is None else synchronization
        if aggregation not in ("none", "mean", "sum", "only_first_replica"):
            raise ValueError("Variable: aggregation must be one of None, 'none', 'mean', 'sum', "
                             f"'only_first_replica', got aggregation={aggregation!r}")
        if synchronization not in ("none", "on_read", "on_write", "auto"):
            raise ValueError("Variable: synchronization must be one of None, 'none', 'on_read', 'on_write', "
                             f"'auto', got synchronization={synchronization!r}")
        array = _initial_array(initializer, shape, dtype)
        super().__init__(array, requires_grad=trainable and array.dtype.kind in "fc")
        # unnamed: Keras 3's session-unique automatic name ("variable", "variable_1", ...)
        name = name or backend.unique_object_name("variable")
        self.name = name
        self.path = backend.scoped_path(name)
        self.legacy_path = None
        self.trainable = self.created_trainable = bool(trainable)
        self.constraint = constraint
        self._autocast = bool(autocast)
        self.aggregation = aggregation
        self.synchronization = synchronization

    @property
    def value(self):
        return self.data

    def assign(self, value) -> "Variable":
        """Replace the values (same shape; cast to the variable's dtype)."""
        if isinstance(value, Tensor):
            value = value.data
        array = backend.as_array(value, dtype=self.data.dtype)
        if array.shape != self.data.shape:
            raise ValueError(f"Cannot assign a value of shape {format_shape(array.shape)} to variable "
                             f"'{self.path}' of shape {format_shape(self.data.shape)}")
        self.data = array
        return self

    def assign_add(self, delta) -> "Variable":
        return self.assign(self.data + backend.as_array(delta, dtype=self.data.dtype))

    def assign_sub(self, delta) -> "Variable":
        return self.assign(self.data - backend.as_array(delta, dtype=self.data.dtype))

    def __repr__(self):
        # Keras 3's form: path, shape, dtype and the current values (numpy's printout)
        return (f"<Variable path={self.path}, shape={format_shape(self.shape)}, "
                f"dtype={self.dtype.name}, value={self.data}>")


# kerasette.initializers' ``get`` (a sibling on this floor, which neither may import), handed
# over by kerasette.layers, the floor above both, on import: ``Variable("zeros", shape=...)``
# takes an initializer's name as Keras 3 does
_initializer_lookup = None


def register_initializer_lookup(lookup) -> None:
    global _initializer_lookup
    _initializer_lookup = lookup


def _initial_array(initializer, shape, dtype):
    """The first value: an initializer called with ``shape``, or the value given (its shape)."""
    if isinstance(initializer, str):
        if _initializer_lookup is None:
            raise ValueError(f"Variable: the initializer name {initializer!r} needs kerasette.initializers "
                             "imported (import kerasette)")
        initializer = _initializer_lookup(initializer)
    if callable(initializer) and not isinstance(initializer, Tensor):
        if shape is None:
            raise ValueError(f"Variable: an initializer ({initializer!r}) needs the `shape` argument, "
                             "got shape=None")
        value = initializer(tuple(shape), dtype=dtype or backend.floatx())
        return backend.as_array(value.data if isinstance(value, Tensor) else value, dtype=dtype or backend.floatx())
    if isinstance(initializer, Tensor):
        initializer = initializer.data
    if dtype is None and not backend.is_array(initializer):
        # Python numbers and lists as Keras 3 converts them: ints int32, floats floatx, bools bool
        kind = numpy.asarray(initializer).dtype.kind
        dtype = {"i": "int32", "u": "int32", "b": "bool"}.get(kind, backend.floatx())
    return backend.as_array(initializer, dtype=dtype)


def in_creation_order(variables) -> list:
    """A layer's own variables in Keras 3's order: those made trainable, then the others."""
    made = [getattr(v, "created_trainable", v.trainable) for v in variables]
    return [v for v, t in zip(variables, made) if t] + [v for v, t in zip(variables, made) if not t]
