"""The TensorFlow-1 face of the engine: Session.run and Keras' backend function.

``Session().run(fetches, feed_dict)`` flattens the fetches (a node, a list, a
tuple or a dict, nested), compiles a program for that set of fetches and
feeds the first time, caches it, and reruns the cached program afterwards.
"""
from __future__ import annotations

from .compiler import Program
from .node import Node


_END = object()


def _flatten(structure, out):
    """The nodes of a fetch structure (lists, tuples, dicts), in order; a loop, not recursion."""
    stack = [iter((structure,))]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, Node):
            out.append(item)
        elif isinstance(item, dict):
            stack.append(iter(item.values()))
        elif isinstance(item, (list, tuple)):
            stack.append(iter(item))
        else:
            raise TypeError(f"Cannot fetch {item!r}: fetches are nodes, lists, tuples or dicts of them")
    return out


def _rebuild(structure, values):
    """``structure`` with each node replaced by the next of ``values`` (``_flatten``'s order)."""
    if isinstance(structure, Node):
        return next(values)

    def frame(container, key):
        items = iter(container.items()) if isinstance(container, dict) else iter(container)
        return container, items, [], key

    stack = [frame(structure, None)]
    while True:
        container, items, done, _ = stack[-1]
        item = next(items, _END)
        if item is _END:
            _, _, _, key = stack.pop()
            if isinstance(container, dict):
                built = dict(done)
            else:
                built = tuple(done) if isinstance(container, tuple) else done
            if not stack:
                return built
            stack[-1][2].append((key, built) if isinstance(stack[-1][0], dict) else built)
            continue
        key, value = item if isinstance(container, dict) else (None, item)
        if isinstance(value, Node):
            value = next(values)
        elif isinstance(value, (dict, list, tuple)):
            stack.append(frame(value, key))
            continue
        done.append((key, value) if isinstance(container, dict) else value)


class Session:
    """Runs graphs.  ``with Session() as sess: sess.run(z, feed_dict={x: [3.0]})``."""

    def __init__(self, graph=None):
        self.graph = graph
        self._programs: dict = {}

    def run(self, fetches, feed_dict=None):
        feed_dict = feed_dict or {}
        flat = _flatten(fetches, [])
        feeds = list(feed_dict)
        for feed in feeds:
            if not isinstance(feed, Node):
                raise TypeError(f"feed_dict keys must be graph nodes, got {feed!r}")
        key = (tuple(id(n) for n in flat), tuple(id(n) for n in feeds))
        entry = self._programs.get(key)
        if entry is None:
            # the nodes are kept with the program so their ids stay theirs
            entry = self._programs[key] = (Program(flat, feeds), flat, feeds)
        values = entry[0](*(feed_dict[node] for node in feeds))
        return _rebuild(fetches, iter(values))

    def close(self):
        self._programs.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class InteractiveSession(Session):
    """A Session meant to stay open in a notebook; the same as Session here."""


def function(inputs, outputs, updates=None, name=None):
    """Keras' backend ``function``: a callable from input values to output values.

    ``updates`` are ``(variable, new_value_node)`` pairs applied after each call,
    which makes a whole training step one compiled program:

    >>> step = function([x, y], [loss], updates=[(w, w - 0.1 * grad_w)])
    >>> loss_value, = step([x_batch, y_batch])
    """
    inputs = list(inputs)
    single = isinstance(outputs, Node)
    outputs = [outputs] if single else list(outputs)
    updates = list(updates or [])
    for pair in updates:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError("updates are (variable, value) pairs")
    program = Program(outputs, inputs, updates)

    def call(values):
        if isinstance(values, dict):
            values = [values[node] for node in inputs]
        results = program(*values)
        return results[0] if single else results

    call.program = program
    call.__name__ = name or "function"
    return call
