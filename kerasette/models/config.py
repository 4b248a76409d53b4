"""Model configurations in Keras' format, and models rebuilt from them.

A functional model's config lists its layers (``class_name``, ``config``,
``name``, ``inbound_nodes``) and names its inputs and outputs as
``[layer_name, node_index, tensor_index]``, like Keras 2:

    {"name": "model", "layers": [...], "input_layers": [["input_1", 0, 0]],
     "output_layers": [["dense_1", 0, 0]]}

Node indexes count only the calls that belong to the model, so a layer
shared with another model still serialises as Keras would.  A nested model
with a graph of its own (functional, or Sequential with a known input shape)
counts its calls from 1, as tf.keras and Keras 2 write and read them: for
them that graph is the model's node 0, left out of ``inbound_nodes`` (their
``_should_skip_first_node``).  Configs in Keras 3's form (inbound nodes as
dicts) count the calls from 0 in ``inbound_nodes`` (``input_layers`` and
``output_layers`` are shifted by ``saving.keras3_serialization``), and so did
kerasette's own legacy configs before it followed that rule: a reference to
such a model's node 0 marks them, and they are read as written.  Sequential's
config is ``{"name": ..., "layers": [{"class_name": ..., "config": ...}]}``.
"""
from __future__ import annotations

from ..layers.config_compat import keras_history
from ..layers.input_layer import InputLayer
from ..layers.layer import LayerCall
from ..layers.serialization import (class_name_of, is_config_object, layer_from_config, object_record,
                                    registered_name_of)
from ..layers.structure import flatten
from ..serialization.errors import MALFORMED, ConfigError, describe
from ..serialization.functions import UnsafeDeserializationError

# kept under their old names for code that imported them from here
_class_name = class_name_of


def _model_calls(model, layer, scheduled=None):
    """The calls of ``layer`` that are part of ``model``, in order (``scheduled``: the ids
    of the model's schedule, when the caller has them already)."""
    if isinstance(layer, InputLayer):
        return [layer._calls[0]]
    if scheduled is None:
        scheduled = {id(step) for step in model._schedule}
    return [call for call in layer._calls if id(call) in scheduled]


def functional_config(model) -> dict:
    for step in model._schedule:
        if not isinstance(step, LayerCall):
            raise ValueError(
                f"Model '{model.name}' applies the op '{step.op.name}' directly to a symbolic tensor; "
                "its config cannot describe that. Wrap the op in a Lambda layer to save the model's architecture.")
    scheduled = {id(step) for step in model._schedule}
    node_index = {}
    for layer in model.layers:
        # tf.keras counts a nested graph model's own graph as its node 0 (see module docstring)
        first = 1 if _skips_first_node(layer) else 0
        for index, call in enumerate(_model_calls(model, layer, scheduled)):
            node_index[id(call)] = index + first

    def reference(node):
        call, position = node.origin
        return [call.layer.name, node_index[id(call)], position]

    layers = []
    for layer in model.layers:
        inbound = []
        if not isinstance(layer, InputLayer):
            for call in _model_calls(model, layer, scheduled):
                kwargs = {key: value for key, value in call.kwargs.items() if not hasattr(value, "origin")}
                inbound.append([reference(node) + [kwargs] for node in call.inputs])
        layers.append({"class_name": class_name_of(layer), "config": entry_config(layer),
                       **_registered(layer), "name": layer.name, "inbound_nodes": inbound})
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
            layers.append({"class_name": class_name_of(layer), "config": entry_config(layer), **_registered(layer)})
    return {"name": model.name, "trainable": model.trainable, "layers": layers}


def _registered(layer) -> dict:
    """``{"registered_name": ...}`` for a class registered with ``register_keras_serializable``
    (so that reading finds it before a built-in of the same class name), else nothing."""
    name = registered_name_of(type(layer))
    return {} if name is None else {"registered_name": name}


def entry_config(layer) -> dict:
    """``layer.get_config()`` with the objects it holds (a custom layer's sublayers,
    initializer or regularizer objects) as their records, as Keras 3 writes every
    config value: a ``from_config`` can then ``deserialize`` them, and the config is
    JSON."""
    def records(value, key=None):
        if is_config_object(value):
            return object_record(value, key)
        if isinstance(value, dict):
            return {name: records(item, name) for name, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(records(item) for item in value)
        return value
    return records(layer.get_config())


def functional_from_config(config: dict, custom_objects=None, cls=None):
    """Rebuild a functional model: make each layer, then replay its calls in order.

    A config that does not describe a model (missing or mistyped entries,
    references to layers or tensors that do not exist, a layer that cannot
    take its saved inputs) raises ``ConfigError`` naming the model and the
    layer.
    """
    from .model import Model
    cls = cls or Model
    if not isinstance(config, dict):
        raise ConfigError(f"A functional model's config must be a dict, got {type(config).__name__}")
    model_name = config.get("name")
    where = f"Model '{model_name}'"
    entries = config.get("layers")
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: 'layers' must be a list of layer entries, got {type(entries).__name__}")
    made = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: each entry of 'layers' must be a dict, got {str(entry)[:100]}")
        name = entry.get("name")
        if not isinstance(name, str):
            name = (entry.get("config") or {}).get("name") if isinstance(entry.get("config"), dict) else None
        if not isinstance(name, str):
            raise ConfigError(f"{where}: a layer entry ({entry.get('class_name')!r}) has no 'name'")
        if name in made:
            raise ConfigError(f"{where}: two layer entries are named '{name}'")
        made[name] = layer_from_config(entry, custom_objects)
    outputs_of = {}   # (layer name, node index) -> output structure
    pending = [(name, index, _checked_node(node, where, name)) for name, entry in zip(made, entries)
               for index, node in enumerate(_inbound(entry, where))]
    for name, entry in zip(made, entries):
        if entry.get("class_name") == "InputLayer":
            calls = getattr(made[name], "_calls", None)
            if not calls:
                raise ConfigError(f"{where}: the InputLayer '{name}' has no input tensor")
            outputs_of[(name, 0)] = calls[0].outputs

    shifted = _first_node_skipped(made, entries, config, pending)

    def tensor_of(history):
        name, node_index, tensor_index = _checked_reference(history, where)
        if name in shifted:
            node_index -= 1
        if (name, node_index) not in outputs_of:
            raise ConfigError(f"{where}: its config refers to output {node_index} of layer '{name}', "
                              "which the config never produces")
        tensors = flatten(outputs_of[(name, node_index)])
        if tensor_index >= len(tensors):
            raise ConfigError(f"{where}: its config refers to tensor {tensor_index} of layer '{name}', "
                              f"which has {len(tensors)}")
        return tensors[tensor_index]

    while pending:
        progressed = False
        remaining = []
        for name, index, node in pending:
            refs = [_reference(item) for item in node]
            kwargs = refs[0][3] if refs else {}
            needed = [(ref[0], ref[1]) for ref in refs] + \
                [tuple(_checked_reference(h, where)[:2]) for h in _keras_histories(kwargs)]
            needed = [(key, index - 1) if key in shifted else (key, index) for key, index in needed]
            if all(key in outputs_of for key in needed):
                tensors = [tensor_of(ref) for ref in refs]
                argument = tensors[0] if len(tensors) == 1 else tensors
                call_kwargs = _with_tensors(kwargs, tensor_of)
                try:
                    outputs_of[(name, index)] = made[name](argument, **call_kwargs)
                except (ConfigError, UnsafeDeserializationError):
                    raise
                except MALFORMED as error:
                    raise ConfigError(f"{where}: layer '{name}' cannot be applied to the inputs its saved "
                                      f"config gives it: {describe(error)}") from error
                progressed = True
            else:
                remaining.append((name, index, node))
        if not progressed:
            missing = sorted({ref[0] for _, _, node in remaining for ref in map(_reference, node)
                              if ref[0] not in made})
            raise ConfigError(f"Cannot rebuild model '{model_name}': its config refers to layers "
                              f"that never produce a value {missing or [n for n, _, _ in remaining]}")
        pending = remaining

    def resolve(key):
        refs = config.get(key)
        if isinstance(refs, dict) and refs:     # Keras 3's dict inputs/outputs: {name: reference}
            return {str(name): tensor_of(ref) for name, ref in refs.items()}
        if isinstance(refs, (list, tuple)) and refs and not isinstance(refs[0], (list, tuple)):
            refs = [refs]
        if not isinstance(refs, (list, tuple)) or not refs:
            raise ConfigError(f"{where}: '{key}' must list [layer name, node index, tensor index] "
                              f"references, got {str(refs)[:100]}")
        return [tensor_of(ref) for ref in refs]

    inputs = resolve("input_layers")
    outputs = resolve("output_layers")
    try:
        model = cls(inputs=inputs if isinstance(inputs, dict) or len(inputs) > 1 else inputs[0],
                    outputs=outputs if isinstance(outputs, dict) or len(outputs) > 1 else outputs[0],
                    name=model_name if isinstance(model_name, str) else None)
    except (ConfigError, UnsafeDeserializationError):
        raise
    except MALFORMED as error:
        raise ConfigError(f"{where}: its inputs and outputs do not form a model: {describe(error)}") from error
    if "trainable" in config:
        model.trainable = bool(config["trainable"])
    return model


def _skips_first_node(layer) -> bool:
    """Whether tf.keras numbers ``layer``'s calls from 1 in a config: a model with a graph of its
    own (functional, or Sequential with a known input shape), whose node 0 is that graph."""
    from .model import Model
    return isinstance(layer, Model) and layer.is_functional


def _first_node_skipped(made, entries, config, pending) -> set:
    """The names of the layers whose node indexes count from 1 in this config (tf.keras' rule,
    ``_skips_first_node``), or none: in Keras 3's form (inbound nodes as dicts), whose node
    references count the calls alone, and in configs kerasette wrote before it followed the
    rule (a reference to such a layer's node 0, which tf.keras never writes)."""
    skipping = {name for name, layer in made.items() if _skips_first_node(layer)}
    if not skipping:
        return set()
    if any(isinstance(node, dict) for entry in entries for node in (entry.get("inbound_nodes") or [])
           if isinstance(entry.get("inbound_nodes"), list)):
        return set()
    references = [item for _, _, node in pending for item in node]
    references += [history for _, _, node in pending for item in node
                   for history in _keras_histories(_reference(item)[3])]
    references += _plain_references([config.get("input_layers"), config.get("output_layers")])
    if any(isinstance(ref, (list, tuple)) and len(ref) >= 2 and ref[0] in skipping and ref[1] == 0
           for ref in references):
        return set()
    return skipping


def _plain_references(value) -> list:
    """Every ``[layer name, node index, tensor index]`` inside ``value``."""
    if isinstance(value, (list, tuple)):
        if len(value) == 3 and isinstance(value[0], str) and isinstance(value[1], int):
            return [value]
        return [ref for item in value for ref in _plain_references(item)]
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in _plain_references(item)]
    return []


def _checked_reference(history, where):
    """``(layer name, node index, tensor index)`` of a reference, or ConfigError."""
    if not isinstance(history, (list, tuple)) or len(history) < 3 or not isinstance(history[0], str) \
            or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in history[1:3]):
        raise ConfigError(f"{where}: a reference must be [layer name, node index, tensor index], got "
                          f"{str(history)[:100]}")
    return history[0], history[1], history[2]


def _checked_node(node, where, name):
    """An inbound node: a list of references, each with optional call arguments (a dict)."""
    if not isinstance(node, (list, tuple)):
        raise ConfigError(f"{where}: an inbound node of layer '{name}' must be a list of references, "
                          f"got {str(node)[:100]}")
    for item in node:
        _checked_reference(item, f"{where}, layer '{name}'")
        if len(item) > 3 and not isinstance(item[3], dict):
            raise ConfigError(f"{where}: the call arguments of layer '{name}' must be a dict, got "
                              f"{str(item[3])[:100]}")
    return node


def _with_tensors(value, tensor_of):
    """``value`` with every ``__keras_tensor__`` record replaced by the tensor it names."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return tensor_of(keras_history(value, "A call argument"))
        return {key: _with_tensors(item, tensor_of) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_with_tensors(item, tensor_of) for item in value)
    return value


def _inbound(entry, where="A model"):
    """Inbound nodes as Keras 2 lists, whether written by Keras 2 or by Keras 3."""
    nodes = entry.get("inbound_nodes") or []
    if not isinstance(nodes, list):
        raise ConfigError(f"{where}: 'inbound_nodes' of layer '{entry.get('name')}' must be a list")
    result = []
    for node in nodes:
        if isinstance(node, dict):   # Keras 3: {"args": [...], "kwargs": {...}}
            kwargs = node.get("kwargs") or {}
            if not isinstance(kwargs, dict):
                raise ConfigError(f"{where}: the kwargs of layer '{entry.get('name')}' must be a dict")
            kwargs = dict(kwargs)
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
            return [keras_history(value, "A call argument")]
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
    entries = config.get("layers") if isinstance(config, dict) else config
    name = config.get("name") if isinstance(config, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"Sequential model '{name}': 'layers' must be a list of layer entries, got "
                          f"{type(entries).__name__}")
    model = Sequential(name=name if isinstance(name, str) else None)
    for entry in entries:
        layer = layer_from_config(entry, custom_objects)
        try:
            model.add(layer)
        except (ConfigError, UnsafeDeserializationError):
            raise
        except MALFORMED as error:
            raise ConfigError(f"Sequential model '{name}': layer '{getattr(layer, 'name', layer)}' cannot "
                              f"follow the layers before it: {describe(error)}") from error
    return model
