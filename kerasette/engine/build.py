"""Adding primitives to a graph: ``apply`` and the namespace gradient rules get.

``apply(name, *inputs, **attrs)`` runs the primitive's shape rule on its
inputs' shapes (so shape errors surface while the graph is built, naming the
op and the shapes) and returns the new node.  Python numbers and arrays among
the inputs become constants; a Python number takes the dtype of the node it
meets, as in ``x * 2.0``.
"""
from __future__ import annotations

import numbers

from ..primitives.base import Primitive, get
from .node import Node, constant


def _as_node(value, like_dtype):
    if isinstance(value, Node):
        return value
    if like_dtype is not None and isinstance(value, numbers.Number) and not isinstance(value, bool):
        kind = like_dtype.kind
        if isinstance(value, numbers.Integral) or kind in "fc":
            return constant(value, dtype=like_dtype)
    return constant(value)


def apply(primitive, *inputs, **attrs) -> Node:
    """Add ``primitive`` (an instance or a registered name) applied to ``inputs``."""
    if not isinstance(primitive, Primitive):
        primitive = get(primitive)
    like = next((x.dtype for x in inputs if isinstance(x, Node)), None)
    nodes = tuple(_as_node(x, like) for x in inputs)
    spec = primitive.infer(*nodes, **attrs)
    return Node("op", spec, primitive.node_label, op=primitive, inputs=nodes, attrs=attrs)


class SymbolicOps:
    """``ops.<name>(...)`` builds nodes: the namespace gradient rules get from the engine."""

    def __getattr__(self, name):
        primitive = get(name)

        def build(*inputs, **attrs):
            return apply(primitive, *inputs, **attrs)

        build.__name__ = name
        return build


SYMBOLIC_OPS = SymbolicOps()


def is_symbolic(value) -> bool:
    return isinstance(value, Node)


__all__ = ["apply", "SYMBOLIC_OPS", "is_symbolic"]
