"""Model configurations in Keras' format, and models rebuilt from them.

A functional model's config lists its layers (``class_name``, ``config``,
``name``, ``inbound_nodes``) and names its inputs and outputs as
``[layer_name, node_index, tensor_index]``, like Keras 2:

    {"name": "model", "layers": [...], "input_layers": [["input_1", 0, 0]],
     "output_layers": [["dense_1", 0, 0]]}

Node indexes count only the calls that belong to the model, so a layer
shared with another model still serialises as Keras would.  Sequential's
config is ``{"name": ..., "layers": [{"class_name": ..., "config": ...}]}``.
"""
from __future__ import annotations

from ..layers.input_layer import InputLayer
from ..layers.layer import LayerCall
from ..layers.serialization import class_name_of, layer_from_config
from ..layers.structure import flatten

# kept under their old names for code that imported them from here
_class_name = class_name_of


def _model_calls(model, layer):
    """The calls of ``layer`` that are part of ``model``, in order."""
    if isinstance(layer, InputLayer):
        return [layer._calls[0]]
    scheduled = {id(step) for step in model._schedule}
    return [call for call in layer._calls if id(call) in scheduled]


def functional_config(model) -> dict:
    for step in model._schedule:
        if not isinstance(step, LayerCall):
            raise ValueError(
                f"Model '{model.name}' applies the op '{step.op.name}' directly to a symbolic tensor; "
                "its config cannot describe that. Wrap the op in a Lambda layer to save the model's architecture.")
    node_index = {}
    for layer in model.layers:
        for index, call in enumerate(_model_calls(model, layer)):
            node_index[id(call)] = index

    def reference(node):
        call, position = node.origin
        return [call.layer.name, node_index[id(call)], position]

    layers = []
    for layer in model.layers:
        inbound = []
        if not isinstance(layer, InputLayer):
            for call in _model_calls(model, layer):
                kwargs = {key: value for key, value in call.kwargs.items() if not hasattr(value, "origin")}
                inbound.append([reference(node) + [kwargs] for node in call.inputs])
        layers.append({"class_name": class_name_of(layer), "config": layer.get_config(),
                       "name": layer.name, "inbound_nodes": inbound})
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": [reference(node) for node in model.inputs],
        "output_layers": [reference(node) for node in model.outputs],
    }


def sequential_config(model) -> dict:
    """Keras 2's form: an InputLayer entry first (when the input shape is known), then each layer."""
    layers = []
    if model._input_node is not None:
        input_layer = model._input_node.origin[0].layer
        layers.append({"class_name": "InputLayer", "config": input_layer.get_config()})
    for layer in model._stack:
        if not isinstance(layer, InputLayer):
            layers.append({"class_name": class_name_of(layer), "config": layer.get_config()})
    return {"name": model.name, "trainable": model.trainable, "layers": layers}


def functional_from_config(config: dict, custom_objects=None, cls=None):
    """Rebuild a functional model: make each layer, then replay its calls in order."""
    from .model import Model
    cls = cls or Model
    made = {}
    for entry in config["layers"]:
        made[entry["name"]] = layer_from_config(entry, custom_objects)
    outputs_of = {}   # (layer name, node index) -> output structure
    pending = [(entry["name"], index, node) for entry in config["layers"]
               for index, node in enumerate(_inbound(entry))]
    for entry in config["layers"]:
        if entry["class_name"] == "InputLayer":
            outputs_of[(entry["name"], 0)] = made[entry["name"]]._calls[0].outputs

    def tensor_of(history):
        return flatten(outputs_of[(history[0], history[1])])[history[2]]

    while pending:
        progressed = False
        remaining = []
        for name, index, node in pending:
            refs = [_reference(item) for item in node]
            kwargs = refs[0][3] if refs else {}
            needed = [(ref[0], ref[1]) for ref in refs] + [(h[0], h[1]) for h in _keras_histories(kwargs)]
            if all(key in outputs_of for key in needed):
                tensors = [tensor_of(ref) for ref in refs]
                argument = tensors[0] if len(tensors) == 1 else tensors
                outputs_of[(name, index)] = made[name](argument, **_with_tensors(kwargs, tensor_of))
                progressed = True
            else:
                remaining.append((name, index, node))
        if not progressed:
            missing = sorted({ref[0] for _, _, node in remaining for ref in map(_reference, node)
                              if ref[0] not in made})
            raise ValueError(f"Cannot rebuild model '{config.get('name')}': its config refers to layers "
                             f"that never produce a value {missing or [n for n, _, _ in remaining]}")
        pending = remaining

    def resolve(refs):
        if refs and not isinstance(refs[0], (list, tuple)):
            refs = [refs]
        return [tensor_of(ref) for ref in refs]

    inputs = resolve(config["input_layers"])
    outputs = resolve(config["output_layers"])
    model = cls(inputs=inputs if len(inputs) > 1 else inputs[0],
                outputs=outputs if len(outputs) > 1 else outputs[0], name=config.get("name"))
    if "trainable" in config:
        model.trainable = config["trainable"]
    return model


def _with_tensors(value, tensor_of):
    """``value`` with every ``__keras_tensor__`` record replaced by the tensor it names."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return tensor_of(value["config"]["keras_history"])
        return {key: _with_tensors(item, tensor_of) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_with_tensors(item, tensor_of) for item in value)
    return value


def _inbound(entry):
    """Inbound nodes as Keras 2 lists, whether written by Keras 2 or by Keras 3."""
    result = []
    for node in entry.get("inbound_nodes") or []:
        if isinstance(node, dict):   # Keras 3: {"args": [...], "kwargs": {...}}
            kwargs = dict(node.get("kwargs", {}))
            if _keras_histories(kwargs.get("mask")):
                del kwargs["mask"]          # kerasette's tensors carry their masks (compat.mask_only_layers)
            result.append([list(history) + [kwargs] for history in _keras_histories(node.get("args", []))])
        else:
            result.append(node)
    return result


def _keras_histories(value):
    """The ``keras_history`` of every ``__keras_tensor__`` record inside ``value``, in order."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return [value["config"]["keras_history"]]
        return [h for item in value.values() for h in _keras_histories(item)]
    if isinstance(value, (list, tuple)):
        return [h for item in value for h in _keras_histories(item)]
    return []


def _reference(item):
    name, node_index, tensor_index = item[0], item[1], item[2]
    kwargs = item[3] if len(item) > 3 and isinstance(item[3], dict) else {}
    return name, node_index, tensor_index, kwargs


def sequential_from_config(config: dict, custom_objects=None):
    from .sequential import Sequential
    entries = config["layers"] if isinstance(config, dict) else config
    model = Sequential(name=config.get("name") if isinstance(config, dict) else None)
    for entry in entries:
        model.add(layer_from_config(entry, custom_objects))
    return model
