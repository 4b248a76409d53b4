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
import numbers

import numpy

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


def apply_stateful(name, *inputs, **attrs):
    """``apply`` for ops whose value changes from run to run (random draws).

    Inside a graph being built (a layer's ``call`` on symbolic inputs) such an
    op becomes a node even when none of its inputs is one, so the compiled
    program draws at every run instead of keeping one draw as a constant.
    """
    if _building[0] and not any(isinstance(x, Node) for x in inputs):
        inputs = tuple(engine.variable_from_holder(x) if isinstance(x, Tensor) else x for x in inputs)
        return engine.apply(name, *inputs, **attrs)
    return apply(name, *inputs, **attrs)


def split_shape(shape, op_name: str = "op") -> tuple:
    """A shape argument as ``(template, sizes)``: the form creation primitives take.

    ``shape`` is an int, a sequence of sizes or a 1-d integer tensor.  Python
    and numpy integers, 0-d arrays and eager Tensors are sizes known now and
    stand in the template; a symbolic size (``ops.shape(x)[0]`` in a graph,
    the batch size known only when the program runs) is ``None`` in the
    template and goes into ``sizes``, an input of the primitive.

    >>> split_shape((2, 3))
    ((2, 3), ())
    """
    if isinstance(shape, Node):
        if len(shape.shape) == 0:
            entries = [shape]
        elif len(shape.shape) == 1 and shape.shape[0] is not None:
            entries = [engine.apply("getitem", shape, key=(i,)) for i in range(shape.shape[0])]
        else:
            raise ValueError(f"{op_name}: a shape tensor must be 1-d of known length, got {shape!r}")
    elif isinstance(shape, Tensor):
        entries = shape.data.reshape(-1).tolist()
    elif isinstance(shape, (numbers.Integral, numpy.integer)):
        entries = [shape]
    elif isinstance(shape, numpy.ndarray):
        entries = shape.reshape(-1).tolist()
    else:
        entries = list(shape)
    template, sizes = [], []
    for size in entries:
        if isinstance(size, Node):
            if len(size.shape) != 0 or size.dtype.kind not in "iu":
                raise ValueError(f"{op_name}: a size must be a 0-d integer, got {size!r}")
            template.append(None)
            sizes.append(size)
            continue
        if size is None:
            raise ValueError(f"{op_name}: shape {tuple(entries)} holds an unknown size (None); give "
                             f"sizes known at run time as ops.shape(x)[i] of a tensor")
        value = size.data if isinstance(size, Tensor) else size
        array = numpy.asarray(value)
        if array.ndim != 0 or array.dtype.kind not in "iu":
            raise TypeError(f"{op_name}: sizes must be integers, got {size!r} in {tuple(entries)}")
        template.append(int(array))
    return tuple(template), tuple(sizes)


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
