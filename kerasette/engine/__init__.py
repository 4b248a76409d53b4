"""Define-and-run: symbolic nodes, autodiff that adds nodes, and the compiler.

* ``node``: Node, Graph, placeholder, constant, Variable
* ``build``: ``apply`` adds a primitive to the graph, running its shape rule
* ``autodiff``: ``gradients(ys, xs)`` adds the gradient nodes
* ``compiler``: (fetches, feeds, updates) -> Program, compiled once
* ``session``: Session.run and Keras' backend ``function``
* ``control_flow``: ``cond`` with gradients

The engine knows primitives and arrays, never eager Tensors: an outside
variable joins a graph through ``variable_from_holder``.
"""
from .autodiff import gradients, topological_order
from .build import SYMBOLIC_OPS, apply, is_symbolic
from .compiler import FeedError, Program
from .control_flow import cond
from .node import (Graph, Holder, Node, Variable, constant, get_default_graph, placeholder,
                   reset_default_graph, variable_from_holder)
from .session import InteractiveSession, Session, function

__all__ = [
    "gradients", "topological_order", "SYMBOLIC_OPS", "apply", "is_symbolic", "FeedError",
    "Program", "cond", "Graph", "Holder", "Node", "Variable", "constant", "get_default_graph",
    "placeholder", "reset_default_graph", "variable_from_holder", "InteractiveSession",
    "Session", "function",
]
