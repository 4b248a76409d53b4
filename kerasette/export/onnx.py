"""``export_onnx``: a functional or Sequential model as an ONNX file.

The model's inference graph (Dropout is already gone from it, BatchNormalization
uses its moving statistics, which the export folds into one multiply-add) is
walked primitive by primitive (``onnx_graph``, ``onnx_ops``,
``onnx_recurrent``); the weights are stored in the file as they are now. The
first axis of every input is a named dynamic dimension ("batch"), so the
exported model takes any batch size. The result passes ``onnx.checker`` with
full shape inference before it is written, atomically.

Needs the ``onnx`` package (``pip install kerasette[onnx]``); onnxruntime,
to run the file, is optional.
"""
from __future__ import annotations

import os
import tempfile

import numpy

from .onnx_graph import Builder, ExportError, layer_of, onnx_dtype, topological_nodes
from .onnx_ops import CONVERTERS, Operands
from .onnx_recurrent import read_packed, recurrence

__all__ = ["export_onnx", "to_onnx_model", "DEFAULT_OPSET"]

DEFAULT_OPSET = 17


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("Exporting to ONNX needs the onnx package: pip install kerasette[onnx] "
                          "(or pip install onnx)") from None
    return onnx


def _check_model(model):
    if not getattr(model, "is_functional", False) or not getattr(model, "outputs", None):
        raise ExportError(f"ONNX export: model '{model.name}' has no recorded graph (a subclassed model, or a "
                          "Sequential model without an Input): build it with Input(...) first")


def _names(model, attribute, count, prefix):
    """The model's input or output names; numbered ones where it has none (an output computed
    by ops, not by a layer, has no layer to name it)."""
    try:
        names = list(getattr(model, attribute, None) or [])
    except (AttributeError, TypeError, IndexError):
        names = []
    return names if len(names) == count else [f"{prefix}_{i}" for i in range(count)]


def to_onnx_model(model, opset: int = DEFAULT_OPSET):
    """The ``onnx.ModelProto`` of ``model`` (not written anywhere)."""
    onnx = _onnx()
    helper = onnx.helper
    _check_model(model)
    builder = Builder(opset)
    nodes = topological_nodes(list(model.outputs))
    input_ids = {id(node): index for index, node in enumerate(model.inputs)}
    graph_inputs = []
    names = _names(model, "input_names", len(model.inputs), "input")
    for index, node in enumerate(model.inputs):
        name = builder.fresh(names[index])
        dims = ["batch" if axis == 0 else (f"{name}_dim{axis}" if size is None else int(size))
                for axis, size in enumerate(node.shape)]
        graph_inputs.append(helper.make_tensor_value_info(name, onnx_dtype(node.dtype), dims))
        builder.bind(node, name)
    for node in nodes:
        if builder.has(node):
            continue
        if node.kind == "placeholder":
            if id(node) not in input_ids:
                raise ExportError(f"ONNX export: the graph reads a placeholder {node.name!r} that is not one of "
                                  "the model's inputs")
            continue
        if node.kind in ("variable", "constant"):
            builder.bind(node, builder.constant(numpy.asarray(node.numpy()), name_hint=node.name))
            continue
        if node.kind != "op":
            layer = layer_of(model, node)
            where = f"layer '{layer}'" if layer else f"node {node.name!r}"
            if node.kind == "assign":
                raise ExportError(f"ONNX export: {where} updates its variables when it runs (stateful=True), "
                                  "which an ONNX model cannot do: export a copy built with stateful=False")
            raise ExportError(f"ONNX export: {where}: a {node.kind} node cannot be exported")
        name = node.op.name
        try:
            if name == "recurrence":
                result = recurrence(builder, node, Operands(builder, node), owner=layer_of(model, node) or "",
                                    **node.attrs)
            elif name == "getitem" and builder.lazy(node.inputs[0]) is not None:
                result = read_packed(builder, node, builder.lazy(node.inputs[0]))
            elif name in CONVERTERS:
                result = CONVERTERS[name](builder, node, Operands(builder, node), **node.attrs)
            else:
                layer = layer_of(model, node)
                where = f"layer '{layer}'" if layer else f"node {node.name!r}"
                raise ExportError(f"ONNX export: {where} uses the operation '{name}', which has no ONNX "
                                  "converter in kerasette")
        except ExportError as error:
            message = str(error)
            layer = layer_of(model, node)
            if layer and f"'{layer}'" not in message:
                message = message.replace("ONNX export:", f"ONNX export: layer '{layer}':", 1)
            raise ExportError(message) from None
        builder.bind(node, result)
    outputs = []
    output_names = _names(model, "output_names", len(model.outputs), "output")
    for index, node in enumerate(model.outputs):
        name = builder.fresh(output_names[index] if index < len(output_names) else f"output_{index}")
        builder.add("Identity", [builder.name_of(node)], outputs=[name])
        dims = ["batch" if axis == 0 else (None if size is None else int(size))
                for axis, size in enumerate(node.shape)]
        outputs.append(helper.make_tensor_value_info(name, onnx_dtype(node.dtype), dims))
    builder.prune([output.name for output in outputs])
    graph = helper.make_graph(builder.nodes, model.name, graph_inputs, outputs, builder.initializers)
    proto = helper.make_model(graph, producer_name="kerasette", opset_imports=[helper.make_opsetid("", opset)])
    proto.ir_version = min(proto.ir_version, 9)   # what current onnxruntime releases all read
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(model, filepath, verbose: bool = True, opset: int = DEFAULT_OPSET, **kwargs):
    """Write ``model`` to ``filepath`` as ONNX; returns the path.

    >>> # export_onnx(model, "model.onnx")
    >>> # onnxruntime.InferenceSession("model.onnx").run(None, {"input_layer": x})
    """
    if kwargs:
        raise TypeError(f"ONNX export: unexpected arguments {sorted(kwargs)}")
    proto = to_onnx_model(model, opset=opset)
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    handle, partial = tempfile.mkstemp(prefix=".", suffix=".onnx.partial", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(proto.SerializeToString())
        os.replace(partial, filepath)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    if verbose:
        inputs = ", ".join(f"{i.name}" for i in proto.graph.input)
        outputs = ", ".join(f"{o.name}" for o in proto.graph.output)
        print(f"Saved ONNX model (opset {opset}) to {filepath}: inputs {inputs}; outputs {outputs}")
    return filepath
