"""Operations (fetches that act: the variable initializers) and the Sessions that run them
among nodes (``with tf.Session() as sess: sess.run(...)``)."""
from __future__ import annotations

import numpy

from ..engine import Graph
from ..engine import InteractiveSession as _EngineInteractiveSession
from ..engine import Session as _EngineSession
from ..engine import constant as _engine_constant
from .building import _variables, global_variables


class Operation:
    """A fetch that acts instead of computing a value: ``Session.run`` returns ``None`` for it.

    >>> sess.run(global_variables_initializer())
    """

    def __init__(self, name: str, action):
        self.name = name
        self._action = action

    def run(self):
        self._action()

    def __repr__(self):
        return f"<tf.Operation '{self.name}' type=NoOp>"


def variables_initializer(var_list, name: str = "init") -> Operation:
    """An Operation that sets each variable of ``var_list`` back to its initial value."""
    initial = {id(node): value for graph_variables in _variables.values() for node, value in graph_variables}
    pairs = []
    for node in var_list:
        if id(node) not in initial:
            raise ValueError(f"{node!r} was not made with kerasette.graph.Variable; "
                             "its initial value is unknown")
        pairs.append((node, initial[id(node)]))

    def reset():
        for node, value in pairs:
            node.holder.data = value.copy()

    return Operation(name, reset)


def global_variables_initializer() -> Operation:
    """An Operation that sets every variable made so far back to its initial value.

    Variables hold their value from the start in kerasette, so running it
    first is harmless and not required; running it later restarts training.
    """
    return variables_initializer(global_variables())


def _operations_in(structure, found):
    if isinstance(structure, Operation):
        found.append(structure)
    elif isinstance(structure, dict):
        for value in structure.values():
            _operations_in(value, found)
    elif isinstance(structure, (list, tuple)):
        for value in structure:
            _operations_in(value, found)
    return found


def _replace_operations(structure, stand_in):
    if isinstance(structure, Operation):
        return stand_in
    if isinstance(structure, dict):
        return {key: _replace_operations(value, stand_in) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        items = [_replace_operations(value, stand_in) for value in structure]
        return tuple(items) if isinstance(structure, tuple) else items
    return structure


def _none_for_operations(structure, result):
    if isinstance(structure, Operation):
        return None
    if isinstance(structure, dict):
        return {key: _none_for_operations(value, result[key]) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        items = [_none_for_operations(value, part) for value, part in zip(structure, result)]
        return tuple(items) if isinstance(structure, tuple) else items
    return result


# A node that Operations stand in for while the engine runs the fetches; it
# lives in a graph of its own so that it takes no name in the user's graph.
with Graph().as_default():
    _STAND_IN = _engine_constant(numpy.zeros((), dtype="float32"), name="NoOp")


class _OperationsMixin:
    def run(self, fetches, feed_dict=None):
        """Run ``fetches`` (nodes, Operations, or lists, tuples and dicts of them) and return their values.

        ``feed_dict`` maps placeholders to values; every placeholder a fetch
        needs must be fed.  The program for one set of fetches and feeds is
        compiled on the first run and reused afterwards.
        """
        operations = _operations_in(fetches, [])
        if not operations:
            return super().run(fetches, feed_dict)
        for operation in operations:
            operation.run()
        if isinstance(fetches, Operation):
            return None
        result = super().run(_replace_operations(fetches, _STAND_IN), feed_dict)
        return _none_for_operations(fetches, result)


class Session(_OperationsMixin, _EngineSession):
    """Runs graphs: ``with tf.Session() as sess: sess.run(z, feed_dict={x: [3.0]})``."""


class InteractiveSession(_OperationsMixin, _EngineInteractiveSession):
    """A Session meant to stay open in a notebook: ``tf.InteractiveSession().run(z)``."""
