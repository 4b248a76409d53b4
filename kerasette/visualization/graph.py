"""The drawing of a model, before it is drawn: boxes, clusters and edges.

``plot_model``/``model_to_dot`` (Graphviz, ``dot.py``) and the text rendering
(``text.py``) draw the same picture; this module decides what is in it, once,
the way Keras 3's ``model_to_dot`` does:

* a Sequential model: one box per layer of ``model.layers`` (no Input box),
  each joined to the next;
* a functional model: one box per operation (Input layers, layers, and ops
  applied straight to symbolic tensors) in Keras 3's order, deepest first
  (``summary_keras3._Graph``), and an edge for every input of every call that
  belongs to the model (a shared layer gets one box and one edge per caller);
* a subclassed model: one box, the model itself (its ``call`` is Python code,
  not a recorded graph);
* ``expand_nested``: a nested Sequential or functional model becomes a cluster
  of its own boxes, and the edges into and out of it go to the box that
  really receives or produces each tensor (its Input box, its first layer, the
  layer that makes the output), however deep;
* ``layer_range=[first, last]``: only the operations from the first one whose
  name matches ``first`` (``re.match``) to the last one matching ``last``, and
  the edges between them (Keras 2's meaning; Keras 3 dropped the argument).

Keys are the layers' names (``outer/inner`` inside clusters), so that the
drawing reads the same in a ``.dot`` file, an SVG and the text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.node import Node
from ..layers.layer import LayerCall
from ..models import Model, Sequential
from ..models.summary_keras3 import (_class_name, _Graph, _inputs_of, _is_input, _layer_range, _op_names,
                                     _operation, _producer)

__all__ = ["Box", "Cluster", "Drawing", "build_drawing"]


@dataclass
class Box:
    """One operation: what its label may show (the renderers pick by their ``show_*`` flags)."""

    key: str
    name: str
    class_name: str
    activation: str | None = None
    input_shape: str | None = None     # None for Input layers, which have no input
    output_shape: str = "?"
    dtype: str = "?"
    trainable: bool | None = None      # None: the operation has no weights


@dataclass
class Cluster:
    """A nested model drawn as a frame around its own boxes."""

    key: str
    name: str
    class_name: str
    items: list = field(default_factory=list)


@dataclass
class Drawing:
    """Everything a renderer needs: the items (boxes and clusters, in drawing order) and the edges
    (pairs of box keys, each once, in the order they were found)."""

    name: str
    items: list
    edges: list

    def boxes(self) -> list:
        """All boxes, clusters opened, in drawing order."""
        found, stack = [], list(reversed(self.items))
        while stack:
            item = stack.pop()
            if isinstance(item, Cluster):
                stack.extend(reversed(item.items))
            else:
                found.append(item)
        return found


# ------------------------------------------------------------------ fields

def _shape_text(shapes) -> str:
    """A structure of shapes as Keras 3 prints it: ``(None, 4)``, ``[(None, 4), (None, 2)]``,
    ``a: (None, 4), b: (None, 2)``."""
    if isinstance(shapes, dict):
        return ", ".join(f"{key}: {_shape_text(value)}" for key, value in shapes.items())
    if isinstance(shapes, tuple) and all(size is None or isinstance(size, int) for size in shapes):
        return "(" + ", ".join(str(size) for size in shapes) + (",)" if len(shapes) == 1 else ")")
    if isinstance(shapes, (list, tuple)):
        return "[" + ", ".join(_shape_text(value) for value in shapes) + "]"
    return "?"


def _structure_of(structure, leaf):
    if isinstance(structure, Node):
        return leaf(structure)
    if isinstance(structure, dict):
        return {key: _structure_of(value, leaf) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_structure_of(value, leaf) for value in structure]
    return None


def _call_fields(call) -> tuple:
    """(input shapes, output shapes, output dtypes) of one call, as text."""
    if isinstance(call, Node):    # a bare op: its tensor inputs, its one output
        inputs = [node for node in _inputs_of(call) if _producer(node) is not None]
        shapes_in = _shape_text(tuple(inputs[0].shape)) if len(inputs) == 1 else \
            _shape_text([tuple(node.shape) for node in inputs])
        return shapes_in, _shape_text(tuple(call.shape)), str(call.dtype)
    args = call.args[0] if len(call.args) == 1 else list(call.args)
    shapes_in = _shape_text(_structure_of(args, lambda node: tuple(node.shape)))
    shapes_out = _shape_text(_structure_of(call.outputs, lambda node: tuple(node.shape)))
    dtypes = sorted({str(node.dtype) for node in call.flat_outputs})
    return shapes_in, shapes_out, ", ".join(dtypes)


def _activation_name(operation) -> str | None:
    activation = getattr(operation, "activation", None)
    if activation is None or isinstance(operation, Node):
        return None
    return getattr(activation, "__name__", None) or getattr(activation, "name", None) or str(activation)


def _make_box(key, name, operation, calls) -> Box:
    box = Box(key=key, name=name, class_name=_class_name(operation), activation=_activation_name(operation))
    # a shared layer shows its first call, as Keras 3 does (``layer.input`` is its first node's)
    first = (getattr(operation, "_calls", None) or calls)[:1]
    if first:
        box.input_shape, box.output_shape, box.dtype = _call_fields(first[0])
        if _is_input(first[0]):
            box.input_shape = None
    else:   # a subclassed model, or a layer only ever called eagerly: what build() and calls left
        if isinstance(operation, Model) and getattr(operation, "_build_shapes", None) is not None:
            box.input_shape = _shape_text(operation._build_shapes)
        if getattr(operation, "_last_output_shape", None) is not None:
            box.output_shape = _shape_text(operation._last_output_shape)
        if getattr(operation, "dtype", None):
            box.dtype = str(operation.dtype)
    weights = [] if isinstance(operation, Node) else operation.weights
    box.trainable = bool(operation.trainable) if weights else None
    return box


# ------------------------------------------------------------------ the walk

class _Builder:
    def __init__(self, expand_nested: bool):
        self.expand_nested = expand_nested
        self.edges, self.edge_set = [], set()
        self.keys = {}     # id(operation) -> its box key (nested models: not a box, see resolve)
        self.drawn = {}    # id(model) -> (prefix) for nested models already expanded

    def add_edge(self, source: str, target: str) -> None:
        if (source, target) not in self.edge_set:
            self.edge_set.add((source, target))
            self.edges.append((source, target))

    @staticmethod
    def expandable(operation) -> bool:
        return isinstance(operation, Model) and operation.is_functional

    # -- where an edge really ends, inside nested models
    def output_key(self, operation, position: int, prefix: str) -> str | None:
        """The box that produces output ``position`` of ``operation`` (drawn under ``prefix``)."""
        while self.expandable(operation) and self.expand_nested:
            node = operation.outputs[position]
            step = _producer(node)
            prefix = prefix + operation.name + "/"
            operation = _operation(step)
            position = node.origin[1] if isinstance(step, LayerCall) else 0
        return self.keys.get((prefix, id(operation)))

    def input_key(self, operation, position: int, prefix: str) -> str | None:
        """The box that receives input ``position`` of ``operation`` (drawn under ``prefix``)."""
        while self.expandable(operation) and self.expand_nested:
            prefix = prefix + operation.name + "/"
            if isinstance(operation, Sequential):
                operation, position = operation.layers[0], 0
            else:
                operation = operation.inputs[min(position, len(operation.inputs) - 1)].origin[0].layer
        return self.keys.get((prefix, id(operation)))

    # -- one model's items and edges
    def model_items(self, model, prefix: str, layer_range=None) -> list:
        if not self.expandable(model):    # subclassed: the model is one box
            box = _make_box(prefix + model.name, model.name, model, list(getattr(model, "_calls", [])))
            self.keys[(prefix, id(model))] = box.key
            return [box]
        sequential = isinstance(model, Sequential)
        if sequential:
            calls = {id(step.layer): [step] for step in model._schedule if isinstance(step, LayerCall)}
            operations = list(model.layers)
            steps = [calls[id(layer)][0] for layer in operations]
            names = {}
        else:
            graph = _Graph(model)
            operations = graph.operations
            steps = graph.steps
            names = _op_names(operations)
            calls = {}
            for step in steps:
                calls.setdefault(id(_operation(step)), []).append(step)
        first, last = _layer_range(operations, layer_range,
                                   lambda operation: names.get(id(operation)) or operation.name)
        chosen = operations[first:last]
        items = []
        for operation in chosen:
            name = names.get(id(operation)) or operation.name
            if self.expand_nested and self.expandable(operation):
                cluster = Cluster(key=prefix + name, name=name, class_name=_class_name(operation))
                cluster.items = self.model_items(operation, prefix + name + "/")
                items.append(cluster)
                self.keys[(prefix, id(operation))] = None
            else:
                box = _make_box(prefix + name, name, operation, calls.get(id(operation), []))
                self.keys[(prefix, id(operation))] = box.key
                items.append(box)
        chosen_ids = {id(operation) for operation in chosen}
        if sequential:
            for before, after in zip(operations, operations[1:]):
                if id(before) in chosen_ids and id(after) in chosen_ids:
                    self.connect(before, 0, after, 0, prefix)
            return items
        for step in steps:
            operation = _operation(step)
            if _is_input(step) or id(operation) not in chosen_ids:
                continue
            for position, tensor in enumerate(_inputs_of(step)):
                parent = _producer(tensor)
                if parent is None or id(_operation(parent)) not in chosen_ids:
                    continue
                output_position = tensor.origin[1] if isinstance(parent, LayerCall) else 0
                self.connect(_operation(parent), output_position, operation, position, prefix)
        return items

    def connect(self, source, output_position, target, input_position, prefix) -> None:
        source_key = self.output_key(source, output_position, prefix)
        target_key = self.input_key(target, input_position, prefix)
        if source_key is not None and target_key is not None:
            self.add_edge(source_key, target_key)


def build_drawing(model, expand_nested: bool = False, layer_range=None) -> Drawing:
    """What ``model``'s picture holds (see the module's docstring)."""
    if not isinstance(model, Model):
        raise TypeError(f"plot_model/model_to_dot take a kerasette Model, got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"Model '{model.name}' has not yet been built. Build it first by calling build() "
                         "or by calling the model on a batch of data.")
    if layer_range is not None and not isinstance(layer_range, (list, tuple)):
        raise ValueError(f"layer_range must be a list or tuple of two layer names, got {layer_range!r}")
    builder = _Builder(bool(expand_nested))
    if layer_range is not None and not builder.expandable(model):
        raise ValueError("layer_range needs a Sequential or functional model; "
                         f"'{model.name}' is a subclassed model, drawn as one box")
    items = builder.model_items(model, "", layer_range)
    return Drawing(name=model.name, items=items, edges=builder.edges)
