"""Configs written by Keras 2, tf.keras and Keras 3, made acceptable to kerasette's classes.

The three writers describe the same layers with small differences:

* Keras 3 writes a layer's ``dtype`` as a policy object
  (``{"class_name": "DTypePolicy", "config": {"name": "float32"}}``) and
  tf.keras mixed precision as ``{"class_name": "Policy", ...}``;
* newer releases add arguments that change nothing at their default
  (``optional=False`` on ``InputLayer``, ``quantization_config=None``,
  ``renorm=False`` on BatchNormalization, ``input_axes=None`` on
  initializers, ``build_config`` beside a config, ...);
* a custom object is named ``"package>Name"`` or by its plain class name.

``normalize_entry`` walks a model config (nested models too) and rewrites
each layer config for kerasette: policies become dtype names, arguments
that kerasette's class does not take are dropped when their value is that
harmless default, and anything else unknown raises an error that names the
layer and the argument (rather than loading a model that would compute
something else).  User classes (not kerasette's) get their config as
written, apart from the dtype.
"""
from __future__ import annotations

import functools
import inspect
import warnings

from ..serialization.errors import MALFORMED, ConfigError, describe
from ..serialization.functions import UnsafeDeserializationError

__all__ = ["normalize_entry", "accepted_arguments", "filter_config"]

_ANY = object()

# argument -> values at which dropping it changes nothing (_ANY: never matters here)
_HARMLESS = {
    "optional": (False, None),
    "sparse": (False, None),
    "ragged": (False, None),
    "quantization_config": (None,),
    "lora_rank": (None,),
    "lora_alpha": (None,),
    "lora_enabled": (False, None),
    "synchronized": (False,),
    "renorm": (False,),
    "renorm_clipping": _ANY,
    "renorm_momentum": _ANY,
    "adjustment": (None,),
    "fused": _ANY,
    "virtual_batch_size": (None,),
    "build_config": _ANY,
    "compile_config": _ANY,
    "dynamic": (False,),
    "autocast": (True,),
    "input_length": (None,),
    "noise_shape": (None,),
    "seed": (None,),
    "data_format": ("channels_last", None),
    "input_axes": (None,),
    "output_axes": (None,),
    "module": _ANY,
    "registered_name": _ANY,
    "shared_object_id": _ANY,
}

_MODELS = ("Functional", "Model", "Sequential")


@functools.lru_cache(maxsize=512)
def accepted_arguments(cls):
    """Names the constructor chain of ``cls`` takes (a frozenset), or None if unknowable
    (**kwargs all along).  Cached per class: a model file names the same classes many times."""
    names = _accepted_arguments(cls)
    return None if names is None else frozenset(names)


def _accepted_arguments(cls):
    names = set()
    for klass in inspect.getmro(cls):
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters
        except (TypeError, ValueError):
            return None
        names |= {name for name, p in parameters.items()
                  if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and name != "self"}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
            return names
        if klass.__module__.startswith("kerasette.layers.layer") or klass.__name__ == "Layer":
            return names
    return names


def _harmless(key, value) -> bool:
    allowed = _HARMLESS.get(key)
    if allowed is None:
        return False
    return allowed is _ANY or any(value is v or value == v for v in allowed)


def filter_config(cls, config: dict, where: str) -> dict:
    """``config`` without the keys ``cls`` does not take that are harmless at their value."""
    accepted = accepted_arguments(cls)
    if accepted is None:
        return config
    result = {}
    for key, value in config.items():
        if key in accepted:
            result[key] = value
        elif _harmless(key, value):
            continue
        else:
            raise ConfigError(f"{where}: kerasette's {cls.__name__} does not support the argument "
                              f"{key}={value!r} found in the saved config")
    return result


def _dtype_name(value):
    if isinstance(value, dict):
        inner = value.get("config") or {}
        name = inner.get("name") if isinstance(inner, dict) else None
        if name is None:
            return None
        if name.startswith("mixed_"):
            warnings.warn(f"The saved model uses the mixed precision policy '{name}'; kerasette computes "
                          "in float32 instead", stacklevel=4)
            return "float32"
        return name
    return value


def _nested_object(value, module, where):
    """An initializer/regularizer/constraint config with keys its kerasette class lacks removed."""
    if not isinstance(value, dict) or "class_name" not in value:
        return value
    try:
        cls = module._lookup(value["class_name"])
    except (ValueError, KeyError, AttributeError):
        return value
    if not inspect.isclass(cls):
        return value
    inner = value.get("config")
    if not isinstance(inner, dict):
        return value
    accepted = accepted_arguments(cls)
    if accepted is None:
        return value
    kept = {}
    for key, item in inner.items():
        if key in accepted:
            kept[key] = item
        elif item is None or _harmless(key, item):
            continue
        else:
            raise ConfigError(f"{where}: kerasette's {cls.__name__} does not support {key}={item!r}")
    return {"class_name": value["class_name"], "config": kept}


def _resolve_named(value, custom_objects):
    """A custom object named in a config (an activation, an initializer) as the object itself."""
    if isinstance(value, str) and value in custom_objects:
        return custom_objects[value]
    if isinstance(value, dict) and "class_name" in value:
        key = value.get("registered_name") or value["class_name"]
        if key in custom_objects or value["class_name"] in custom_objects:
            found = custom_objects.get(key, custom_objects.get(value["class_name"]))
            inner = value.get("config")
            if inspect.isclass(found):
                return found.from_config(inner) if hasattr(found, "from_config") else found(**(inner or {}))
            return found
    return value


def _layer_class(class_name, registered_name, custom_objects):
    from .serialization import builtin_layer_class
    for key in (registered_name, class_name):
        if isinstance(key, str) and key in custom_objects:
            return custom_objects[key], True
    cls = builtin_layer_class(class_name)
    if cls is not None:
        return cls, False
    return None, True


def _reads_own_config(cls) -> bool:
    """A class with its own ``from_config`` interprets its config keys itself (Lambda)."""
    from .layer import Layer
    own = getattr(cls.from_config, "__func__", None)
    return own is not None and own is not Layer.from_config.__func__


def normalize_layer_config(class_name, config: dict, custom_objects: dict, registered_name=None) -> dict:
    from .. import constraints, initializers, regularizers
    config = dict(config)
    where = f"Layer '{config.get('name')}' ({class_name})"
    if "dtype" in config:
        config["dtype"] = _dtype_name(config["dtype"])
    cls, custom = _layer_class(class_name, registered_name, custom_objects)
    for key, value in list(config.items()):
        names_an_object = key.endswith(("activation", "_initializer", "_regularizer", "_constraint"))
        resolved = _resolve_named(value, custom_objects) if custom_objects and names_an_object else value
        if resolved is not value:
            config[key] = resolved
            continue
        if key.endswith("_initializer"):
            config[key] = _nested_object(value, initializers, where)
        elif key.endswith("_regularizer"):
            config[key] = _nested_object(value, regularizers, where)
        elif key.endswith("_constraint"):
            config[key] = _nested_object(value, constraints, where)
    if class_name == "BatchNormalization" and isinstance(config.get("axis"), list) and len(config["axis"]) == 1:
        config["axis"] = config["axis"][0]      # tf.keras writes the axis as a list
    if cls is not None and not custom and not _reads_own_config(cls):
        config = filter_config(cls, config, where)
    return config


def _keras_tensors(structure) -> list:
    """The ``__keras_tensor__`` records inside a Keras 3 node's arguments, in order."""
    if isinstance(structure, dict):
        if structure.get("class_name") == "__keras_tensor__":
            return [structure]
        return [found for value in structure.values() for found in _keras_tensors(value)]
    if isinstance(structure, (list, tuple)):
        return [found for item in structure for found in _keras_tensors(item)]
    return []


def keras_history(record, where: str) -> list:
    """``[layer_name, node_index, tensor_index]`` of a ``__keras_tensor__`` record, checked."""
    config = record.get("config") if isinstance(record, dict) else None
    history = config.get("keras_history") if isinstance(config, dict) else None
    if not isinstance(history, (list, tuple)) or len(history) < 3 or not isinstance(history[0], str) \
            or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in history[1:3]):
        raise ConfigError(f"{where}: a tensor record must carry keras_history [layer name, node index, "
                          f"tensor index], got {str(history)[:100]}")
    return list(history[:3])


def _keras2_nodes(nodes, where: str) -> list:
    """Keras 3 ``inbound_nodes`` (``{"args": [...], "kwargs": {...}}``) in Keras 2's list form."""
    if not isinstance(nodes, list):
        raise ConfigError(f"{where}: 'inbound_nodes' must be a list, got {type(nodes).__name__}")
    result = []
    for node in nodes:
        if not isinstance(node, dict):
            result.append(node)
            continue
        node_kwargs = node.get("kwargs") or {}
        if not isinstance(node_kwargs, dict):
            raise ConfigError(f"{where}: the 'kwargs' of an inbound node must be a dict, got "
                              f"{type(node_kwargs).__name__}")
        # tensors passed as keyword arguments (initial_state=...) stay records, resolved
        # when the call is replayed; a tensor mask is dropped (see mask_only_layers)
        kwargs = {key: value for key, value in node_kwargs.items()
                  if not (key == "mask" and _keras_tensors(value))}
        refs = []
        for tensor in _keras_tensors(node.get("args", [])):
            history = keras_history(tensor, where)
            refs.append(history + [kwargs])
        result.append(refs)
    return result


def mask_only_layers(layers) -> set:
    """Names of the entries whose outputs only ever feed another call's ``mask``,
    directly or through other such entries.

    Keras 3 records the mask an ``Embedding(mask_zero=True)`` makes as an op
    (``NotEqual``) whose output is passed on as ``mask=``, and the masks layers
    combine from it (``Any``, ``LogicalOr``, ``ConvertToTensor`` after the
    attention layers) as chains of ops ending in a ``mask=``; kerasette's tensors
    carry their masks themselves, so those entries are left out and the ``mask``
    arguments dropped.
    """
    uses = {}   # producer -> [consumer name, or None for a mask= use]
    for entry in layers:
        if not isinstance(entry, dict):
            continue
        where = _where(entry)
        consumer = entry.get("name")
        if not isinstance(consumer, str) and isinstance(entry.get("config"), dict):
            consumer = entry["config"].get("name")
        nodes = entry.get("inbound_nodes") or []
        for node in nodes if isinstance(nodes, list) else []:
            if not isinstance(node, dict):
                continue
            kwargs = node.get("kwargs") or {}
            if not isinstance(kwargs, dict):
                continue
            for t in _keras_tensors(kwargs.get("mask")):
                uses.setdefault(keras_history(t, where)[0], []).append(None)
            others = [node.get("args", [])] + [value for key, value in kwargs.items() if key != "mask"]
            for t in _keras_tensors(others):
                uses.setdefault(keras_history(t, where)[0], []).append(consumer)
    # the largest set whose every use is a mask= or a use by a member
    inputs = {entry.get("name") for entry in layers
              if isinstance(entry, dict) and entry.get("class_name") == "InputLayer"}
    found = set(uses) - inputs
    changed = True
    while changed:
        changed = False
        for name in list(found):
            if not all(use is None or use in found for use in uses[name]):
                found.discard(name)
                changed = True
    return {name for name in found if _reaches_a_mask(name, uses, found)}


def _reaches_a_mask(name, uses, found) -> bool:
    """Whether ``name``'s outputs end, through members of ``found``, in some ``mask=``."""
    stack, seen = [name], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        for use in uses.get(current, []):
            if use is None:
                return True
            if use in found:
                stack.append(use)
    return False


def _where(entry) -> str:
    """``Layer 'dense' (Dense)`` for an entry, as well as a malformed entry allows."""
    if not isinstance(entry, dict):
        return "A layer entry"
    config = entry.get("config")
    name = entry.get("name")
    if not isinstance(name, str) and isinstance(config, dict):
        name = config.get("name")
    class_name = entry.get("class_name")
    label = f"Layer '{name}'" if isinstance(name, str) else "A layer entry"
    return f"{label} ({class_name})" if isinstance(class_name, str) else label


def normalize_entry(entry: dict, custom_objects: dict | None = None) -> dict:
    """A ``{"class_name", "config"}`` layer or model entry rewritten for kerasette.

    A malformed entry raises ``ConfigError`` naming the layer.
    """
    try:
        return _normalize_entry(entry, custom_objects or {})
    except (ConfigError, UnsafeDeserializationError):
        raise
    except MALFORMED as error:
        raise ConfigError(f"{_where(entry)}: its saved config cannot be read: {describe(error)}") from error


def _normalize_entry(entry, custom_objects: dict) -> dict:
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise ConfigError(f"A model config entry must be a dict with 'class_name' and 'config', got "
                          f"{str(entry)[:200]}")
    where = _where(entry)
    entry = dict(entry)
    class_name = entry["class_name"]
    if not isinstance(class_name, str) or not class_name:
        raise ConfigError(f"{where}: 'class_name' must be the name of a layer class, got {class_name!r}")
    registered = entry.get("registered_name")
    if not isinstance(registered, str):
        registered = None
    if registered and registered in custom_objects and class_name not in custom_objects:
        custom_objects = dict(custom_objects)
        custom_objects[class_name] = custom_objects[registered]
    config = entry.get("config")
    if isinstance(config, list):    # Keras 1/2 Sequential: the config is the layer list
        config = {"layers": config}
    if config is not None and not isinstance(config, dict):
        raise ConfigError(f"{where}: 'config' must be a dict, got {type(config).__name__}")
    config = dict(config or {})
    if "inbound_nodes" in entry:
        entry["inbound_nodes"] = _keras2_nodes(entry["inbound_nodes"], where)
    if class_name in _MODELS and isinstance(config.get("layers"), list):
        outputs = config.get("output_layers") or []
        outputs = [outputs] if isinstance(outputs, list) and outputs and isinstance(outputs[0], str) else outputs
        kept_outputs = {ref[0] for ref in outputs if isinstance(ref, list) and ref and isinstance(ref[0], str)} \
            if isinstance(outputs, list) else set()
        skipped = mask_only_layers(config["layers"]) - kept_outputs
        config["layers"] = [normalize_entry(layer, custom_objects) for layer in config["layers"]
                            if not (isinstance(layer, dict) and layer.get("name") in skipped)]
        if "dtype" in config:
            config["dtype"] = _dtype_name(config["dtype"])
        for key in ("build_input_shape", "build_config"):
            config.pop(key, None)
    elif isinstance(config.get("layers"), list) and class_name in custom_objects:
        # a functional subclass registered by the user
        config["layers"] = [normalize_entry(layer, custom_objects) for layer in config["layers"]]
    else:
        config = normalize_layer_config(class_name, config, custom_objects, registered)
    entry["config"] = config
    return entry
