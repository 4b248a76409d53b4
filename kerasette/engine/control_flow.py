"""``cond``: a branch inside a graph, evaluated lazily, with gradients.

``cond(pred, true_fn, false_fn)`` calls each function once to build its
branch as a subgraph, then adds one node whose inputs are ``pred`` and the
outside nodes the branches read ("captures").  At run time the node runs only
the chosen branch, as a compiled sub-program fed with the captures.  Its
gradient is again a ``cond``: the gradient of whichever branch ran.
"""
from __future__ import annotations

from ..primitives.base import Primitive, ShapeError, Spec, format_shape
from .autodiff import gradients
from .build import apply
from .compiler import Program
from .node import Node, constant, get_default_graph


class Branch:
    """A scope of nodes built inside one branch function."""

    def __init__(self, parent):
        self.parent = parent

    def lineage(self):
        scope, chain = self, []
        while scope is not None:
            chain.append(scope)
            scope = scope.parent
        return chain


def _build_branch(function, graph, outer):
    branch = Branch(outer)
    graph.branch_stack.append(branch)
    try:
        output = function()
        if not isinstance(output, Node):
            output = constant(output)
    finally:
        graph.branch_stack.pop()
    return output


def _captures(output, visible):
    """Outside nodes the branch reads: those built in a scope the cond can see."""
    captured, seen, stack = [], set(), [output]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.branch in visible:
            captured.append(node)
            continue
        if node.kind == "placeholder":
            raise ValueError(f"A cond branch cannot create placeholder '{node.name}:0'")
        stack.extend(node.inputs)
    return sorted(captured, key=lambda node: node.id)


class Cond(Primitive):
    """One instance per ``cond`` call; holds both branches."""

    name = "cond"

    def __init__(self, true_output, false_output, captured):
        self.outputs = (true_output, false_output)
        self.captured = captured
        self._programs = [None, None]

    def infer(self, pred, *captured):
        true_output, false_output = self.outputs
        if len(true_output.shape) != len(false_output.shape):
            raise ShapeError(f"cond: the branches return shapes {format_shape(true_output.shape)} "
                             f"and {format_shape(false_output.shape)} of different ranks")
        shape = tuple(a if a == b else None for a, b in zip(true_output.shape, false_output.shape))
        return Spec(shape, true_output.dtype)

    def forward(self, xp, pred, *captured):
        index = 0 if bool(pred) else 1
        if self._programs[index] is None:
            self._programs[index] = Program([self.outputs[index]], self.captured)
        return self._programs[index](*captured)[0]

    def gradient(self, ops, inputs, output, grad):
        pred, captured = inputs[0], inputs[1:]

        def branch_gradient(branch_output, target):
            def build():
                (result,) = gradients(branch_output, [target], grad_ys=grad)
                return result if result is not None else apply("zeros_like", target)
            return build

        grads = [None]
        for target in captured:
            if target.dtype.kind not in "fc":
                grads.append(None)
                continue
            true_output, false_output = self.outputs
            grads.append(cond(pred, branch_gradient(true_output, target),
                              branch_gradient(false_output, target)))
        return grads


def cond(pred, true_fn, false_fn, name=None) -> Node:
    """``true_fn()`` where ``pred`` is true when the graph runs, else ``false_fn()``.

    >>> y = cond(x > 0, lambda: x * 2.0, lambda: -x)
    """
    graph = get_default_graph()
    outer = graph.branch_stack[-1] if graph.branch_stack else None
    if not isinstance(pred, Node):
        pred = constant(bool(pred))
    true_output = _build_branch(true_fn, graph, outer)
    false_output = _build_branch(false_fn, graph, outer)
    visible = set(outer.lineage()) if outer is not None else set()
    visible.add(None)
    captured = _captures(true_output, visible)
    known = {id(node) for node in captured}
    captured += [node for node in _captures(false_output, visible) if id(node) not in known]
    if true_output.dtype != false_output.dtype:
        raise TypeError(f"cond: the branches return dtypes {true_output.dtype.name} "
                        f"and {false_output.dtype.name}")
    primitive = Cond(true_output, false_output, captured)
    primitive.label = name or "cond"
    return apply(primitive, pred, *captured)


__all__ = ["cond"]
