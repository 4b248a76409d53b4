"""One op set, three callers: the dispatch every public op function goes through.

``apply(name, *inputs, **attrs)`` looks at the inputs:

* any symbolic node among them: add a node to the graph (engine); eager
  Tensors met there enter the graph as variables that read their value when
  the program runs;
* else any eager Tensor: compute now and record on the tape (eager);
* else: just compute on arrays and return an array.

The public functions in this package normalise their arguments (axes as
tuples, strides as tuples, ...) and call ``apply``; they do no math.
"""
from __future__ import annotations

import contextlib

from .. import eager, engine
from ..eager import Tensor
from ..engine import Node


_building = [0]


@contextlib.contextmanager
def building_graph():
    """Inside, an op whose inputs are weights only (eager Tensors, no node) still
    adds a node: a layer called on symbolic inputs must trace ``-alpha`` or
    ``moving_mean * momentum`` into its graph, not compute them once."""
    _building[0] += 1
    try:
        yield
    finally:
        _building[0] -= 1


def apply(name, *inputs, **attrs):
    if any(isinstance(x, Node) for x in inputs) or (
            _building[0] and any(isinstance(x, Tensor) for x in inputs)):
        inputs = tuple(engine.variable_from_holder(x) if isinstance(x, Tensor) else x for x in inputs)
        return engine.apply(name, *inputs, **attrs)
    if any(isinstance(x, Tensor) for x in inputs):
        return eager.apply(name, *inputs, **attrs)
    return eager.compute(name, *inputs, **attrs)


def shape_of(x) -> tuple:
    """Static shape of anything ops accept (``None`` for run-time sizes)."""
    shape = getattr(x, "shape", None)
    if shape is not None:
        return tuple(shape)
    from .. import backend
    return tuple(backend.as_array(x).shape)


def dtype_of(x):
    dtype = getattr(x, "dtype", None)
    if dtype is not None:
        return dtype
    from .. import backend
    return backend.as_array(x).dtype


def as_tuple(value, rank: int, name: str) -> tuple:
    """``3`` -> ``(3, 3)`` for rank 2; sequences are checked for length."""
    if isinstance(value, int):
        return (value,) * rank
    value = tuple(int(v) for v in value)
    if len(value) != rank:
        raise ValueError(f"{name} must be an int or {rank} ints, got {value}")
    return value
