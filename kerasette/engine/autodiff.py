"""Reverse-mode autodiff on graphs: gradients are more nodes.

``gradients(ys, xs)`` walks the graph from ``ys`` back to ``xs`` and asks each
primitive's gradient rule for its vector-Jacobian product, handing it the
symbolic namespace so that every rule adds nodes instead of computing.  The
result is part of the same graph: forward, loss, gradients and updates of a
training step compile into one program.
"""
from __future__ import annotations

from .build import SYMBOLIC_OPS, apply
from .node import Node, constant


def topological_order(outputs, stop=()) -> list:
    """Every node the outputs depend on, inputs before users; ``stop`` nodes are leaves."""
    stop_ids = {id(n) for n in stop}
    order, seen = [], set()
    for root in outputs:
        if id(root) in seen:
            continue
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            if id(node) not in stop_ids:
                for parent in reversed(node.inputs):
                    if id(parent) not in seen:
                        stack.append((parent, False))
    return order


def add_all(terms):
    total = terms[0]
    for term in terms[1:]:
        total = apply("add", total, term)
    return total


def gradients(ys, xs, grad_ys=None) -> list:
    """Symbolic d(sum of ys)/d(x) for each x, as a list like ``tf.gradients``.

    ``None`` stands where the ys do not depend on an x.  ``grad_ys`` weights
    each y's gradient (ones by default).

    >>> x = placeholder("float32", (1,)); z = x * constant([2.0])
    >>> (dz_dx,) = gradients(z, [x])
    """
    ys = [ys] if isinstance(ys, Node) else list(ys)
    xs = [xs] if isinstance(xs, Node) else list(xs)
    if grad_ys is None:
        grad_ys = [None] * len(ys)
    elif isinstance(grad_ys, Node):
        grad_ys = [grad_ys]

    order = topological_order(ys)
    # only nodes that depend on some x carry gradients
    on_path = {id(x) for x in xs}
    for node in order:
        if any(id(parent) in on_path for parent in node.inputs):
            on_path.add(id(node))

    pending: dict[int, list] = {}
    for y, grad_y in zip(ys, grad_ys):
        if grad_y is None:
            grad_y = apply("ones_like", y)
        elif not isinstance(grad_y, Node):
            grad_y = constant(grad_y, dtype=y.dtype)
        pending.setdefault(id(y), []).append(grad_y)

    totals: dict[int, Node] = {}
    for node in reversed(order):
        terms = pending.pop(id(node), None)
        if terms is None or id(node) not in on_path:
            continue
        grad = add_all(terms)
        totals[id(node)] = grad
        if node.kind != "op" or not node.op.differentiable:
            continue
        needed = [id(parent) in on_path for parent in node.inputs]
        input_grads = node.op.gradient_of(needed, SYMBOLIC_OPS, node.inputs, node, grad, **node.attrs)
        for parent, parent_grad in zip(node.inputs, input_grads):
            if parent_grad is None or id(parent) not in on_path:
                continue
            if not isinstance(parent_grad, Node):
                parent_grad = constant(parent_grad, dtype=parent.dtype)
            pending.setdefault(id(parent), []).append(parent_grad)
    return [totals.get(id(x)) for x in xs]
