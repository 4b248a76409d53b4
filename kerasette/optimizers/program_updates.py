"""The optimizer step for a compiled training program (split from ``base.py``).

``Optimizer.get_updates`` feeds the graph nodes of the variables, slots and
``iterations`` through the same ``_step_values`` that ``apply`` runs on
arrays, and returns ``(Variable, new_value_node)`` pairs;
``to_program_updates`` turns them into the pairs ``engine.Program`` takes.
"""
from __future__ import annotations

from .. import engine, ops
from ..eager import Tensor
from ..engine import Node

__all__ = ["get_updates", "to_program_updates"]


def to_program_updates(pairs):
    """``(Variable, node)`` pairs as the ``(variable_node, node)`` pairs ``engine.Program`` takes."""
    return [(engine.variable_from_holder(variable, getattr(variable, "name", "Variable")), value)
            for variable, value in pairs]


def get_updates(optimizer, variables, grads):
    """The symbolic step: ``[(Variable, new_value_node), ...]`` for a compiled program.

    ``variables`` are kerasette Variables, ``grads`` the matching symbolic
    nodes (``engine.gradients``; None where a variable has no gradient: it
    is left alone).  The pairs cover, in this order: each model variable
    that has a gradient, then its slots, then the optimizer-wide state
    (Nadam's ``u_product``), and last ``iterations`` (+1).  Every value is
    computed from the variables as they are when the program starts (the
    compiler writes all updates after the run).  Wrap with
    ``to_program_updates`` for ``engine.Program(fetches, feeds, updates)``.

    Keras 2's ``get_updates(loss, params)`` also works: a loss node first
    computes the gradients.
    """
    if isinstance(variables, Node):
        loss, variables = variables, list(grads)
        grads = engine.gradients(loss, [engine.variable_from_holder(v, v.name) for v in variables])
    variables = list(variables)
    grads = list(grads)
    variables = optimizer._prepare(grads, variables)
    grads, variables = optimizer._filter_empty_gradients(grads, variables)
    grads = [g if isinstance(g, Node) else engine.constant(_unwrap(g)) for g in grads]
    indices = [optimizer._get_variable_index(v) for v in variables]
    node = _node_of
    values = [node(v) for v in variables]
    slot_values = [{k: node(s) for k, s in optimizer._slots[i].items()} for i in indices]
    shared_values = {k: node(v) for k, v in optimizer._shared.items()}
    iterations = node(optimizer._iterations)
    new_values, new_slots, new_shared = optimizer._step_values(
        variables, grads, values, slot_values, shared_values, iterations)
    updates = []
    slot_updates = []
    for variable, value, index, old_slots, slots in zip(variables, new_values, indices,
                                                        slot_values, new_slots):
        if getattr(variable, "constraint", None) is not None:
            value = variable.constraint(value)
        updates.append((variable, value))
        for slot_name, slot_value in slots.items():
            # a slot the rule left as it was needs no write
            if slot_value is not old_slots.get(slot_name):
                slot_updates.append((optimizer._slots[index][slot_name], slot_value))
    updates += slot_updates
    for shared_name, shared_value in new_shared.items():
        if shared_value is not shared_values[shared_name]:
            updates.append((optimizer._shared[shared_name], shared_value))
    updates.append((optimizer._iterations, ops.add(iterations, 1)))
    return [(variable, _as_node(value, variable)) for variable, value in updates]


def _unwrap(value):
    return value.data if isinstance(value, Tensor) else value


def _node_of(variable):
    return engine.variable_from_holder(variable, getattr(variable, "name", "Variable"))


def _as_node(value, like):
    """A symbolic value for an update (a constant if the rule gave a plain value)."""
    if isinstance(value, Node):
        return value
    return engine.constant(_unwrap(value), dtype=like.dtype)
