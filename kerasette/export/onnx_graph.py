"""From a model's symbolic graph to an ONNX graph: the walk and the builder.

A kerasette model is a graph of primitives (``engine.node.Node``): every
layer, whatever its class, is made of them. The exporter walks that graph
from the model's outputs back to its inputs, in dependency order, and hands
each primitive node to its converter (``onnx_ops``), which appends ONNX nodes
to a ``Builder`` and returns the name of the ONNX value that holds the
node's result. Variables (weights) and constants become initializers; the
model's inputs become graph inputs whose first axis (the batch) is named, so
the exported model takes any batch size.

A primitive with no converter stops the export with an ``ExportError`` that
names the layer it belongs to (the layer call whose outputs lead back to it).
"""
from __future__ import annotations

import numpy

from ..engine.node import Node
from ..layers.layer import LayerCall

__all__ = ["ExportError", "Builder", "topological_nodes", "layer_of"]


class ExportError(ValueError):
    """A model, layer or value that the exporter cannot express."""


_ONNX_DTYPES = {
    "float32": "FLOAT", "float64": "DOUBLE", "float16": "FLOAT16", "int32": "INT32", "int64": "INT64",
    "int16": "INT16", "int8": "INT8", "uint8": "UINT8", "bool": "BOOL",
}


def onnx_dtype(dtype):
    """The ``onnx.TensorProto`` type of a numpy dtype."""
    from onnx import TensorProto
    name = numpy.dtype(dtype).name
    if name not in _ONNX_DTYPES:
        raise ExportError(f"ONNX export: no ONNX tensor type for dtype {name}")
    return getattr(TensorProto, _ONNX_DTYPES[name])


def topological_nodes(outputs) -> list:
    """Every node the outputs depend on, each after its inputs (an explicit stack:
    deep models go deeper than Python's recursion limit)."""
    order, done, stack = [], set(), [(node, False) for node in reversed(outputs)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        stack.append((node, True))
        for parent in reversed(node.inputs):
            if isinstance(parent, Node) and id(parent) not in done:
                stack.append((parent, False))
    return order


def layer_of(model, target) -> str | None:
    """The name of the layer whose call computes ``target`` (None if none does)."""
    from ..models.summary_keras3 import _Graph
    try:
        steps = _Graph(model).steps
    except Exception:   # a model whose graph cannot be mapped: no name, the error still stands
        return None
    for step in steps:
        if not isinstance(step, LayerCall):
            continue
        boundary = {id(node) for node in step.inputs}
        stack, seen = list(step.flat_outputs), set()
        while stack:
            node = stack.pop()
            if not isinstance(node, Node) or id(node) in seen or id(node) in boundary:
                continue
            if node is target:
                return step.layer.name
            seen.add(id(node))
            stack.extend(node.inputs)
    return None


class Builder:
    """ONNX nodes, initializers and value names, appended in order."""

    def __init__(self, opset: int):
        import onnx
        self.onnx = onnx
        self.helper = onnx.helper
        self.opset = opset
        self.nodes: list = []
        self.initializers: list = []
        self._names: dict = {}
        self._counts: dict = {}
        self.consumers: dict = {}
        #: value -> the same value with its time axis (1) flipped, where both exist
        self.reversals: dict = {}
        #: recurrent nodes a Bidirectional's backward layer may join (onnx_recurrent)
        self.recurrent_forward: dict = {}

    def fresh(self, base: str) -> str:
        base = base.replace(":", "_") or "value"
        count = self._counts.get(base, 0)
        self._counts[base] = count + 1
        return base if count == 0 else f"{base}__{count}"

    def add(self, op_type: str, inputs, outputs=1, name_hint=None, **attributes):
        """Append one ONNX node; returns its output name (or the list of them)."""
        count = outputs if isinstance(outputs, int) else len(outputs)
        names = [self.fresh(name_hint or op_type.lower()) for _ in range(count)] if isinstance(outputs, int) \
            else list(outputs)
        self.nodes.append(self.helper.make_node(op_type, list(inputs), names, name=self.fresh("n_" + op_type),
                                                **attributes))
        return names[0] if count == 1 else names

    def constant(self, value, dtype=None, name_hint="const") -> str:
        """An initializer holding ``value``."""
        array = numpy.asarray(value, dtype=dtype)
        if array.dtype == numpy.float64 and dtype is None and not isinstance(value, numpy.ndarray):
            array = array.astype(numpy.float32)
        name = self.fresh(name_hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(numpy.ascontiguousarray(array), name))
        return name

    def int64s(self, values, name_hint="ints") -> str:
        return self.constant(numpy.asarray(list(values), dtype=numpy.int64), name_hint=name_hint)

    # value names of kerasette nodes
    def name_of(self, node) -> str:
        """The ONNX value of ``node``; a value kept lazily (see ``lazy``) is built now."""
        value = self._names[id(node)]
        if not isinstance(value, str):
            value = value.materialize(self)
            self._names[id(node)] = value
        return value

    def lazy(self, node):
        """What ``node`` is bound to when that is not yet an ONNX value (a recurrent
        layer's packed states: ``onnx_recurrent.Packed``), else None."""
        value = self._names.get(id(node))
        return None if isinstance(value, str) else value

    def prune(self, outputs) -> None:
        """Drop the nodes and initializers no output depends on (a recurrent layer's
        input projection folded into its ONNX node leaves its MatMul unread), and
        leave the unread outputs of LSTM, GRU and RNN nodes empty (all are optional)."""
        needed, kept = set(outputs), []
        for node in reversed(self.nodes):
            if not any(name in needed for name in node.output if name):
                continue
            if node.op_type in ("LSTM", "GRU", "RNN"):
                names = [name if name in needed else "" for name in node.output]
                while names and not names[-1]:
                    names.pop()
                del node.output[:]
                node.output.extend(names)
            kept.append(node)
            needed.update(name for name in node.input if name)
        self.nodes = kept[::-1]
        self.initializers = [tensor for tensor in self.initializers if tensor.name in needed]

    def bind(self, node, name: str) -> None:
        self._names[id(node)] = name

    def has(self, node) -> bool:
        return id(node) in self._names
