"""Symbolic nodes: the vertices of a define-and-run graph.

A ``Node`` is a value that will exist when the graph runs: a placeholder fed
at run time, a constant, a variable (a value that persists between runs and
can be assigned), or the output of a primitive applied to other nodes.  It
knows its shape (``None`` for sizes known only at run time) and dtype, never
its value, and prints like TensorFlow 1: ``Tensor("mul:0", shape=(1,),
dtype=float32)``.

Nodes are named per ``Graph`` (``mul``, ``mul_1``, ...).  There is one default
graph; ``with Graph().as_default():`` scopes a fresh one.
"""
from __future__ import annotations

import contextlib
import itertools

import numpy

from .. import backend
from ..primitives.base import Spec, format_shape
from ..primitives.operators import Operators


class Graph:
    """A namespace for node names, plus the stack of open ``cond`` branches."""

    def __init__(self):
        self._name_counts: dict[str, int] = {}
        self.branch_stack: list = []

    def unique_name(self, base: str) -> str:
        count = self._name_counts.get(base, 0)
        self._name_counts[base] = count + 1
        return base if count == 0 else f"{base}_{count}"

    @contextlib.contextmanager
    def as_default(self):
        global _default_graph
        previous, _default_graph = _default_graph, self
        try:
            yield self
        finally:
            _default_graph = previous


_default_graph = Graph()


def get_default_graph() -> Graph:
    return _default_graph


def reset_default_graph() -> None:
    """Start a fresh default graph: node names count from zero again."""
    global _default_graph
    _default_graph = Graph()


backend.on_clear_session(reset_default_graph)


_ids = itertools.count()


class Node(Operators):
    """A symbolic tensor.  Build them with ops; run them with a Session."""

    __slots__ = ("kind", "op", "inputs", "attrs", "shape", "dtype", "name",
                 "value", "holder", "branch", "id", "origin", "__weakref__")

    def __init__(self, kind, spec: Spec, name: str, op=None, inputs=(), attrs=None,
                 value=None, holder=None):
        self.kind = kind
        self.op = op
        self.inputs = tuple(inputs)
        self.attrs = attrs or {}
        self.shape = tuple(spec.shape)
        self.dtype = numpy.dtype(spec.dtype)
        graph = get_default_graph()
        self.name = graph.unique_name(name)
        self.value = value
        self.holder = holder
        # the innermost cond branch being built when this node was made
        self.branch = graph.branch_stack[-1] if graph.branch_stack else None
        self.id = next(_ids)
        # set by higher floors (layers): which layer call produced this node
        self.origin = None

    # The Operators mixin calls this for every Python operator.
    @classmethod
    def _apply(cls, name, *inputs, **attrs):
        from .build import apply  # build imports this module
        return apply(name, *inputs, **attrs)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self):
        if not self.shape or self.shape[0] is None:
            raise TypeError(f"len() of {self!r}: its first axis has no static size")
        return self.shape[0]

    def __iter__(self):
        raise TypeError(f"{self!r} is symbolic: it has no values to iterate over until it is run")

    def __bool__(self):
        raise TypeError(
            f"{self!r} is symbolic: it has no truth value until it is run. "
            "Use kerasette.graph.cond for a branch inside a graph."
        )

    def __repr__(self):
        return f'Tensor("{self.name}:0", shape={format_shape(self.shape)}, dtype={self.dtype.name})'

    # ----------------------------------------------------------- variables
    def numpy(self):
        """The current value of a variable or constant (other nodes have none)."""
        if self.kind == "variable":
            return self.holder.data
        if self.kind == "constant":
            return self.value
        raise TypeError(f"{self!r} has no value until it is run in a Session")

    def assign(self, value):
        """Set a variable: at once for a value, or when run for a symbolic node."""
        if self.kind != "variable":
            raise TypeError(f"Only variables can be assigned, not {self!r}")
        if isinstance(value, Node):
            if value.shape != self.shape and None not in value.shape:
                raise ValueError(f"Cannot assign a value of shape {format_shape(value.shape)} "
                                 f"to variable '{self.name}' of shape {format_shape(self.shape)}")
            return Node("assign", Spec(self.shape, self.dtype), "Assign", inputs=(value,), holder=self.holder)
        array = backend.as_array(value, dtype=self.dtype)
        if array.shape != self.shape:
            raise ValueError(f"Cannot assign a value of shape {format_shape(array.shape)} "
                             f"to variable '{self.name}' of shape {format_shape(self.shape)}")
        self.holder.data = array
        return self


class Holder:
    """The storage of a graph Variable: anything with a mutable ``.data`` array will do."""

    __slots__ = ("data", "_symbolic_node", "__weakref__")

    def __init__(self, data):
        self.data = data
        self._symbolic_node = None


def placeholder(dtype="float32", shape=None, name=None) -> Node:
    """A value fed at run time: ``x = placeholder(float32, shape=(None, 784))``."""
    if shape is None:
        raise ValueError("placeholder needs a shape (use None for a size known only at run time)")
    shape = tuple(None if d is None or d == -1 else int(d) for d in shape)
    return Node("placeholder", Spec(shape, numpy.dtype(dtype)), name or "Placeholder")


def constant(value, dtype=None, name=None) -> Node:
    """A value fixed when the graph is built."""
    array = backend.as_array(value, dtype=dtype)
    return Node("constant", Spec(array.shape, array.dtype), name or "Const", value=array)


def Variable(initial_value, dtype=None, name=None, trainable=True) -> Node:
    """A value that lives between runs and changes by ``assign`` or updates."""
    array = backend.as_array(initial_value, dtype=dtype)
    node = Node("variable", Spec(array.shape, array.dtype), name or "Variable", holder=Holder(array))
    node.attrs = {"trainable": trainable}
    node.holder._symbolic_node = node
    return node


def variable_from_holder(holder, name: str = "Variable") -> Node:
    """The graph's view of an outside variable (anything with a ``.data`` array).

    Eager Tensors and layer weights enter graphs this way: the node reads
    ``holder.data`` each time a program runs, and updates write it back.
    One holder always maps to the same node.
    """
    node = getattr(holder, "_symbolic_node", None)
    if node is None:
        data = holder.data
        node = Node("variable", Spec(data.shape, data.dtype), name, holder=holder)
        node.attrs = {"trainable": True}
        holder._symbolic_node = node
    return node
