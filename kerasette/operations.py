"""``keras.Operation`` and ``keras.Function``: user-level operations and graphs of them.

``Operation`` is the base of a computation written with ``kerasette.ops``:
its ``call`` runs on symbolic tensors (``KerasTensor``, kerasette's graph
``Node``), eager ``Tensor``s and arrays alike, because every op does, so
``__call__`` simply calls it; ``compute_output_spec`` traces it on
placeholders to learn the output's shape and dtype without computing.

``Function(inputs, outputs)`` turns symbolic inputs (from ``keras.Input``
or ``engine.placeholder``) and the outputs computed from them into a
callable: the graph between them is compiled once into an
``engine.Program`` and run on arrays, keeping the nesting of ``outputs``.
The module sits on the floor above ``ops`` (it uses ops and the engine).
"""
from __future__ import annotations

import re

from . import backend, engine
from .engine import Node

__all__ = ["Operation", "Function"]


def _flatten(structure) -> list:
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in _flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    return [structure]


def _pack(structure, flat: list):
    position = [0]

    def take(item):
        if isinstance(item, dict):
            return {key: take(item[key]) for key in sorted(item)}
        if isinstance(item, (list, tuple)):
            return type(item)(take(x) for x in item)
        value = flat[position[0]]
        position[0] += 1
        return value

    return take(structure)


def _flatten_like(structure, value) -> list:
    """The leaves of ``value`` following ``structure`` (an array stands for one leaf)."""
    if isinstance(structure, dict):
        if not isinstance(value, dict) or sorted(value) != sorted(structure):
            raise ValueError(f"Expected inputs with the keys {sorted(structure)}, got {value!r}")
        return [leaf for key in sorted(structure) for leaf in _flatten_like(structure[key],
                                                                            value[key])]
    if isinstance(structure, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(structure):
            raise ValueError(f"Expected {len(structure)} inputs, got {value!r}")
        return [leaf for s, v in zip(structure, value) for leaf in _flatten_like(s, v)]
    return [value]


def _snake(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Operation:
    """Base class of an operation: override ``call`` with ``kerasette.ops``.

    >>> from kerasette import ops
    >>> class Cube(Operation):
    ...     def call(self, x):
    ...         return ops.multiply(ops.square(x), x)
    >>> Cube()([2.0, 3.0])
    array([ 8., 27.], dtype=float32)
    >>> Cube().compute_output_spec(engine.placeholder("float32", (None, 4))).shape
    (None, 4)
    """

    def __init__(self, name: str | None = None):
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError("Argument `name` must be a string and cannot contain character `/`. "
                             f"Received: name={name!r} (of type {type(name)})")
        self.name = name or backend.unique_object_name(_snake(type(self).__name__))

    def __call__(self, *args, **kwargs):
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def compute_output_spec(self, *args, **kwargs):
        """The output as symbolic tensors (shape and dtype), traced on placeholders like the inputs."""
        def placeholder_for(value):
            if isinstance(value, Node):
                return value
            if hasattr(value, "shape") and hasattr(value, "dtype"):
                return engine.placeholder(str(value.dtype), tuple(value.shape))
            return value

        with engine.Graph().as_default():
            args = _pack(args, [placeholder_for(v) for v in _flatten(args)])
            return self.call(*args, **kwargs)

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f"<Operation name={self.name}>"


class Function:
    """A callable graph from symbolic ``inputs`` to the ``outputs`` computed from them.

    >>> from kerasette import ops
    >>> x = engine.placeholder("float32", (None, 2))
    >>> double_and_sum = Function(x, {"double": ops.multiply(x, 2.0), "sum": ops.sum(x, axis=1)})
    >>> double_and_sum([[1.0, 2.0]])["sum"]
    array([3.], dtype=float32)
    """

    def __init__(self, inputs, outputs, name: str | None = None):
        self.name = name or backend.unique_object_name("function")
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self._inputs, self._outputs = _flatten(inputs), _flatten(outputs)
        for value in self._inputs:
            if not isinstance(value, Node):
                raise ValueError("All `inputs` values must be KerasTensors (symbolic inputs, e.g. "
                                 f"from keras.Input). Received: {value!r}")
        for value in self._outputs:
            if not isinstance(value, Node):
                raise ValueError("All `outputs` values must be KerasTensors computed from the "
                                 f"inputs. Received: {value!r}")
        self._program = None

    @property
    def inputs(self) -> list:
        return list(self._inputs)

    @property
    def outputs(self) -> list:
        return list(self._outputs)

    def __call__(self, inputs):
        flat = _flatten_like(self._inputs_struct, inputs)
        arrays = []
        for value, spec in zip(flat, self._inputs):
            array = backend.as_array(getattr(value, "data", value), dtype=str(spec.dtype))
            expected = tuple(spec.shape)
            if len(expected) != array.ndim or any(
                    e is not None and e != a for e, a in zip(expected, array.shape)):
                raise ValueError(f"Function '{self.name}': an input of shape {array.shape} does "
                                 f"not fit the symbolic input of shape {expected}")
            arrays.append(array)
        if self._program is None:
            self._program = engine.Program(self._outputs, self._inputs)
        return _pack(self._outputs_struct, list(self._program(*arrays)))

    def compute_output_spec(self, inputs=None):
        """The symbolic outputs (shape and dtype), in the nesting of ``outputs``."""
        return self._outputs_struct

    def __repr__(self):
        return f"<Function name={self.name}, inputs={len(self._inputs)}, outputs={len(self._outputs)}>"
