"""Layers by name and by config: the lookup every model config and nested layer goes through.

A config names a layer by ``class_name`` (and, in Keras 3, ``module`` and
``registered_name``).  ``layer_class`` turns that name into a class, from
exactly three places and nowhere else:

* the user's ``custom_objects`` (and what ``custom_object_scope`` or
  ``register_keras_serializable`` made known, through
  ``serialization.EXTRA_LOOKUPS``);
* kerasette's own layer classes: the ``Layer`` subclasses that
  ``kerasette.layers`` exports;
* the model classes the models floor registers here when it is imported
  (``register_model_classes``): ``Functional``, ``Model``, ``Sequential``.

A name that is none of these (a module attribute such as ``"core"`` or
``"__class__"``, a typo) is an "Unknown layer" error, never an attribute
fetched from a module.

This module lives on the layers floor so that layers holding layers
(``Bidirectional``, ``TimeDistributed``, an RNN's cell) can save and rebuild
them without importing models or saving; models and saving import it from
below.
"""
from __future__ import annotations

import inspect

from ..serialization.errors import MALFORMED, ConfigError, describe
from ..serialization.functions import UnsafeDeserializationError
from ..serialization.registry import EXTRA_LOOKUPS
from .config_compat import normalize_entry
from .layer import Layer
from .op_serialization import is_operation_entry, mark_operation_entries, operation_from_entry

__all__ = ["layer_class", "layer_from_config", "serialize_layer", "deserialize_layer", "class_name_of",
           "register_model_classes", "model_classes", "UnknownLayerError", "ConfigError", "serialize",
           "deserialize", "keras3_model_config", "keras3_layer_config", "keras3_value", "dtype_policy",
           "REGISTERED_NAME_LOOKUPS", "registered_name_of", "is_layer_module", "is_config_object", "object_record"]

# set by kerasette.models when it is imported (see register_model_classes)
_models: dict = {"functional": None, "sequential": None, "rebuild_functional": None}
# name -> class of kerasette's own layers and models, made once the layers package is complete
_builtin_cache: dict = {}


class UnknownLayerError(ConfigError):
    """A config names a layer class that neither kerasette nor the user provides."""


def register_model_classes(functional: type, sequential: type, rebuild_functional) -> None:
    """Called once by ``kerasette.models``: the model classes, and the function that
    rebuilds a functional model from its config (``rebuild(config, custom_objects, cls)``)."""
    _models.update(functional=functional, sequential=sequential, rebuild_functional=rebuild_functional)
    _builtin_cache.clear()


def model_classes() -> tuple:
    """``(Model, Sequential)`` as registered by the models floor (``(None, None)`` before)."""
    return _models["functional"], _models["sequential"]


def _builtin_classes() -> dict:
    from .. import layers as layers_package
    namespace = vars(layers_package)
    if _builtin_cache.get("__size__") != len(namespace):     # the package grew (or first use)
        table = {name: value for name, value in namespace.items()
                 if inspect.isclass(value) and issubclass(value, Layer) and not name.startswith("_")}
        functional, sequential = model_classes()
        if functional is not None:
            table.update(Functional=functional, Model=functional, Sequential=sequential)
        _builtin_cache.clear()
        _builtin_cache.update(table, __size__=len(namespace))
    return _builtin_cache


def builtin_layer_class(class_name):
    """kerasette's own class called ``class_name`` (a layer or model class), or None."""
    if not isinstance(class_name, str):
        return None
    if class_name == "__size__":
        return None
    return _builtin_classes().get(class_name)


def _registered(*names):
    for name in names:
        if not isinstance(name, str):
            continue
        for lookup in EXTRA_LOOKUPS:
            found = lookup(name)
            if found is not None:
                return found
    return None


def layer_class(class_name, custom_objects: dict | None = None, registered_name=None, where: str | None = None):
    """The class a config's ``class_name`` (and Keras 3 ``registered_name``) names.

    Raises ``UnknownLayerError`` naming the layer when no class is found, and
    ``ConfigError`` when the user's object for that name is not a class.
    """
    where = where or "A layer config"
    if not isinstance(class_name, str) or not class_name:
        raise UnknownLayerError(f"{where}: 'class_name' must be the name of a layer class, got {class_name!r}")
    custom_objects = custom_objects or {}
    found = None
    for key in (class_name, registered_name):
        if isinstance(key, str) and key in custom_objects:
            found = custom_objects[key]
            break
    if found is None:
        # a registered name before a built-in of the same class name, as in Keras 3
        found = _registered(registered_name)
    if found is None:
        found = builtin_layer_class(class_name)
    if found is None:
        found = _registered(registered_name, class_name)
    if found is None:
        raise UnknownLayerError(
            f"Unknown layer: {class_name!r} ({where}). Use a kerasette layer, or pass your own class "
            f"in custom_objects={{{class_name!r}: MyLayer}} (or register it with "
            "kerasette.saving.register_keras_serializable).")
    if not inspect.isclass(found):
        raise ConfigError(f"{where}: {class_name!r} must name a layer class, but custom_objects gives "
                        f"{found!r} ({type(found).__name__})")
    return found


def class_name_of(layer) -> str:
    """The ``class_name`` a config writes for ``layer`` (models say ``Functional``/``Sequential``)."""
    named = getattr(layer, "_config_class_name", None)
    if callable(named):
        return named()
    return type(layer).__name__


def layer_from_config(entry: dict, custom_objects: dict | None = None):
    """Build a layer (or model) from a normalized ``{"class_name": ..., "config": ...}`` entry.

    Whatever a malformed config makes the class raise comes out as
    ``ConfigError`` naming the layer (``UnsafeDeserializationError`` stays
    itself).
    """
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise ConfigError(f"A layer config must be a dict with 'class_name' and 'config', got {str(entry)[:200]}")
    if is_operation_entry(entry):
        # a Keras 3 operation of a functional config (an op applied straight to tensors)
        return operation_from_entry(entry)
    class_name = entry["class_name"]
    config = entry.get("config")
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ConfigError(f"Layer config of {class_name!r}: 'config' must be a dict, got "
                          f"{type(config).__name__}")
    config = dict(config)
    where = f"Layer '{config.get('name')}' ({class_name})" if isinstance(config.get("name"), str) \
        else f"Layer {class_name!r}"
    custom_objects = custom_objects or {}
    registered_name = entry.get("registered_name")
    cls = layer_class(class_name, custom_objects, registered_name if isinstance(registered_name, str) else None,
                      where)
    try:
        layer = _build(cls, config, custom_objects)
        _build_from_entry(layer, entry.get("build_config"))
        return layer
    except (ConfigError, UnsafeDeserializationError):
        raise
    except MALFORMED as error:
        raise ConfigError(f"{where}: cannot be built from its saved config: {describe(error)}") from error


def _build_from_entry(layer, build_config) -> None:
    """A class with its own ``build_from_config`` (a ``build`` with more arguments than the
    input shape) is built from the entry's ``build_config`` before a model calls it, as
    Keras 3 builds every layer it deserializes; the others build on that first call."""
    own = getattr(type(layer), "build_from_config", None)
    if isinstance(build_config, dict) and isinstance(layer, Layer) and not layer.built \
            and own is not Layer.build_from_config:
        layer.build_from_config(build_config)


def _build(cls, config: dict, custom_objects: dict):
    functional, sequential = model_classes()
    rebuild = _models["rebuild_functional"]
    if functional is not None and issubclass(cls, functional) and not issubclass(cls, sequential) \
            and "layers" in config:
        return rebuild(config, custom_objects, cls=cls)
    if not hasattr(cls, "from_config"):
        return cls(**config)
    try:
        parameters = inspect.signature(cls.from_config).parameters
    except (TypeError, ValueError):
        parameters = {}
    if "custom_objects" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return cls.from_config(config, custom_objects=custom_objects)
    return cls.from_config(config)


def serialize_layer(layer) -> dict:
    """The entry of a layer held inside another (a wrapper's layer, an RNN's cell).

    In Keras 3's form, ``module`` and ``registered_name`` included: Keras 3
    resolves nested built-in layers through ``module``, and tf.keras reads
    the same entry.
    """
    class_name = class_name_of(layer)
    builtin = builtin_layer_class(class_name) is type(layer) and class_name not in ("Functional", "Model",
                                                                                       "Sequential")
    return {"module": "keras.layers" if builtin else type(layer).__module__, "class_name": class_name,
            "config": layer.get_config(),
            "registered_name": None if builtin else registered_name_of(type(layer)) or class_name}


def deserialize_layer(entry, custom_objects: dict | None = None):
    """The layer a ``serialize_layer`` entry (or Keras' nested layer config) describes."""
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise ConfigError(f"A nested layer config must be a dict with 'class_name' and 'config', got "
                         f"{str(entry)[:200]}")
    return layer_from_config(normalize_entry(mark_operation_entries(entry), custom_objects), custom_objects)


# ------------------------------------------------------------------ Keras 3's form
#
# ``serialize`` writes what ``keras.layers.serialize`` (Keras 3's
# ``serialize_keras_object``) writes for a layer: ``module``, ``class_name``,
# ``config``, ``registered_name`` and, for a layer that has been called,
# ``build_config``; inside the config, dtypes as ``DTypePolicy`` records and
# initializers, regularizers, constraints and nested layers as entries of the
# same form.  Models (Sequential, functional) get Keras 3's model configs:
# layer entries with ``inbound_nodes`` of ``{"args", "kwargs"}`` holding
# ``__keras_tensor__`` records.  This is the form of a ``.keras`` file's
# ``config.json``; the saving floor adds a model's ``compile_config``.

#: callables ``name_of(obj) -> "package>Name" or None``: the saving floor adds the
#: lookup of ``register_keras_serializable`` when it is imported (any registered
#: object implies that it was)
REGISTERED_NAME_LOOKUPS: list = []
_NESTED_KINDS = (("_initializer", "initializers"), ("_regularizer", "regularizers"), ("_constraint", "constraints"))


def registered_name_of(obj):
    """The name ``obj`` was registered under (``"package>Name"``), or None."""
    for lookup in REGISTERED_NAME_LOOKUPS:
        found = lookup(obj)
        if found is not None:
            return found
    return None


def keras3_module_of(cls, keras_module: str):
    """``(module, registered_name)`` Keras 3 writes for class ``cls``: ``keras_module`` for one of
    kerasette's own public classes, else the class's module (None for ``__main__``) and its name."""
    if getattr(_public_table(keras_module), cls.__name__, None) is cls:
        return keras_module, None
    module = cls.__module__
    if (module, cls.__name__) in _KERAS_APPLICATION_LAYERS:
        # a layer of Keras' own applications: Keras 3 finds it in its module of the same name
        return _KERAS_APPLICATION_LAYERS[(module, cls.__name__)], registered_name_of(cls) or cls.__name__
    return (None if module == "__main__" else module), registered_name_of(cls) or cls.__name__


# the applications' own layer classes that Keras 3 defines too, in the module its files name
_KERAS_APPLICATION_LAYERS = {
    ("kerasette.applications.convnext", "LayerScale"): "keras.src.applications.convnext",
    ("kerasette.applications.convnext", "StochasticDepth"): "keras.src.applications.convnext",
    ("kerasette.applications.inception_resnet_v2", "CustomScaleLayer"): "keras.src.applications.inception_resnet_v2",
}


def _public_table(keras_module: str):
    from .. import constraints, initializers, regularizers
    if keras_module == "keras.layers":
        from .. import layers
        return layers
    return {"keras.initializers": initializers, "keras.regularizers": regularizers,
            "keras.constraints": constraints}.get(keras_module)


def dtype_policy(name) -> dict:
    """Keras 3's record of a layer's dtype policy."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}


def _nested_module(class_name: str, key) -> tuple:
    """``(module, registered_name)`` of an object a Keras 2 form ``{"class_name", "config"}`` names."""
    from .. import constraints, initializers, regularizers
    tables = {"initializers": initializers, "regularizers": regularizers, "constraints": constraints}
    order = [kind for suffix, kind in _NESTED_KINDS if isinstance(key, str) and key.endswith(suffix)]
    order += [kind for kind in tables if kind not in order]
    for kind in order:
        found = getattr(tables[kind], class_name, None)
        if inspect.isclass(found) and not class_name.startswith("_"):
            return f"keras.{kind}", None
    if builtin_layer_class(class_name) is not None:
        return "keras.layers", None
    found = _registered(class_name)
    if found is not None:
        module = getattr(found, "__module__", None)
        return (None if module == "__main__" else module), registered_name_of(found) or class_name
    return None, class_name


def keras3_value(value, key=None):
    """A value of a Keras 2 form layer config in Keras 3's form (nested objects, dtypes, tuples)."""
    if is_config_object(value):
        return object_record(value, key)
    if isinstance(value, dict):
        class_name = value.get("class_name")
        if isinstance(class_name, str) and "config" in value:
            return _keras3_record(value, key)
        return {name: keras3_value(item, name) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [keras3_value(item) for item in value]
    return value


def is_config_object(value) -> bool:
    """Whether a config value is an object with a ``get_config`` (a layer, a regularizer...)."""
    return not isinstance(value, type) and callable(getattr(value, "get_config", None))


def object_record(obj, key=None) -> dict:
    """Keras 3's record of an object a config holds (what its ``serialize_keras_object``
    writes for each value of a config): a layer's ``serialize``, else module, class name,
    config and registered name (``keras.initializers`` and the like for kerasette's own)."""
    if isinstance(obj, Layer):
        return serialize(obj)
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"The get_config() of {obj!r} (in the config's {key!r}) should return a dict, "
                        f"got {type(config).__name__}")
    cls = type(obj)
    module, registered = keras3_module_of(cls, "keras.layers")
    for kind in ("keras.initializers", "keras.regularizers", "keras.constraints"):
        if getattr(_public_table(kind), cls.__name__, None) is cls:
            module, registered = kind, None
    return {"module": module, "class_name": cls.__name__, "config": keras3_value(config),
            "registered_name": registered}


def _keras3_record(record: dict, key) -> dict:
    class_name = record["class_name"]
    if class_name.startswith("__") or class_name in ("function", "DTypePolicy"):
        return record
    record = dict(record)
    if "module" not in record:
        module, registered = _nested_module(class_name, key)
        record = {"module": module, "class_name": class_name, "config": record["config"],
                  "registered_name": registered}
    inner = record["config"]
    is_layer = record.get("module") == "keras.layers" or builtin_layer_class(class_name) is not None
    if isinstance(inner, dict) and is_layer:
        record["config"] = keras3_layer_config(inner, class_name)
    else:
        record["config"] = keras3_value(inner)
    return record


def keras3_layer_config(config: dict, class_name: str = "") -> dict:
    """A layer's ``get_config()`` in Keras 3's form.

    ``batch_input_shape`` goes (Keras 3 writes an InputLayer entry instead,
    ``keras3_model_config``), an ``InputLayer`` writes ``batch_shape`` and
    ``optional``, every other layer its dtype as a ``DTypePolicy`` record.
    """
    config = dict(config)
    if class_name == "InputLayer":
        shape = config.pop("batch_input_shape", None)
        if shape is not None:
            config = {"batch_shape": list(shape), **config}
        config.setdefault("optional", False)
        return keras3_value(config)
    result = {}
    for key, value in config.items():
        if key == "batch_input_shape":
            continue
        if key == "dtype" and isinstance(value, str):
            result[key] = dtype_policy(value)
        else:
            result[key] = keras3_value(value, key)
    return result


def build_config_of(layer):
    """``{"input_shape": ...}`` from the shapes of the layer's first recorded call, or None."""
    from .input_layer import InputLayer
    from .recurrent import InitialStateInputs
    from .structure import map_structure
    own = getattr(type(layer), "get_build_config", None)
    if own is not None and own is not getattr(Layer, "get_build_config", None):
        # a class that writes its own (Keras 3's shapes_dict of the attention layers)
        build = layer.get_build_config()
        if isinstance(build, dict):
            return build
    calls = getattr(layer, "_calls", None)
    if isinstance(layer, InputLayer) or not calls or not calls[0].args:
        return None
    inputs = calls[0].args[0]
    if isinstance(layer, InitialStateInputs) and isinstance(inputs, (list, tuple)):
        inputs = inputs[0]
    try:
        return {"input_shape": map_structure(lambda node: list(node.shape), inputs)}
    except AttributeError:
        return None


def serialize(layer) -> dict:
    """Keras 3's ``keras.layers.serialize``: a layer (or model) as a ``module`` /
    ``class_name`` / ``config`` / ``registered_name`` record (``build_config``
    once it has been called); ``deserialize`` rebuilds it.

    >>> record = serialize(Dense(2))
    >>> record["module"], record["class_name"], record["registered_name"]
    ('keras.layers', 'Dense', None)
    """
    if not isinstance(layer, Layer):
        raise ValueError(f"keras.layers.serialize needs a layer, got {layer!r}")
    functional, sequential = model_classes()
    is_model = functional is not None and isinstance(layer, functional)
    graph_model = is_model and (isinstance(layer, sequential) or layer.is_functional)
    class_name = class_name_of(layer)
    if is_model and isinstance(layer, sequential) and type(layer) is sequential:
        module, registered = "keras", None
    elif graph_model and class_name == "Functional":
        module, registered = "keras.src.models.functional", "Functional"
    else:
        module, registered = keras3_module_of(type(layer), "keras.layers")
    if graph_model:
        config = keras3_model_config(layer)
    elif builtin_layer_class("Lambda") is type(layer):
        from .lambda_layer import keras3_lambda_config
        config = keras3_lambda_config(layer)
    else:
        config = keras3_layer_config(layer.get_config(), class_name)
    record = {"module": module, "class_name": class_name if graph_model else type(layer).__name__,
              "config": config, "registered_name": registered}
    if is_model:
        record["build_config"] = {"input_shape": _model_input_shape(layer, sequential)}
    else:
        build = build_config_of(layer)
        if build is not None:
            record["build_config"] = build
    return record


def _model_input_shape(model, sequential):
    if isinstance(model, sequential):
        node = model._input_node
        return list(node.shape) if node is not None else None
    return None


def deserialize(config, custom_objects: dict | None = None):
    """Keras 3's ``keras.layers.deserialize``: the layer a ``serialize`` record (or a
    Keras 2 ``{"class_name", "config"}`` dict) describes, with fresh weights."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"keras.layers.deserialize needs a dict with 'class_name' and 'config', got {config!r}")
    module = config.get("module")
    if isinstance(module, str) and module.split(".")[0] == "keras" and not is_layer_module(module):
        raise ValueError("`keras.layers.deserialize` was passed a `config` object that is not a "
                         f"`keras.layers.Layer`. Received: {config}")
    layer = deserialize_layer(config, custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError("`keras.layers.deserialize` was passed a `config` object that is not a "
                         f"`keras.layers.Layer`. Received: {config}")
    return layer


def is_layer_module(module) -> bool:
    """Whether a record's Keras ``module`` holds layers or models (``keras.layers``, ``keras.src.models...``)."""
    if not isinstance(module, str):
        return False
    parts = module.split(".")
    if parts[:1] != ["keras"]:
        return False
    rest = parts[2:] if parts[1:2] == ["src"] else parts[1:]
    return rest == [] or rest[0] in ("layers", "models", "engine")


# --------------------------------------------------------- Keras 3 model configs
def keras3_model_config(model) -> dict:
    """A Sequential or functional model's config in Keras 3's form."""
    _, sequential = model_classes()
    if isinstance(model, sequential):
        return _keras3_sequential_config(model)
    return _keras3_functional_config(model)


def _keras3_sequential_config(model) -> dict:
    from .input_layer import InputLayer
    layers = []
    node = model._input_node
    if node is not None:
        input_layer = node.origin[0].layer if node.origin is not None else None
        layers.append({"module": "keras.layers", "class_name": "InputLayer",
                       "config": {"batch_shape": list(node.shape),
                                  "dtype": "string" if node.dtype.kind == "O" else str(node.dtype), "sparse": False,
                                  "ragged": False,
                                  "name": input_layer.name if input_layer is not None else f"{model.name}_input",
                                  "optional": False},
                       "registered_name": None})
    for layer in model._stack:
        if not isinstance(layer, InputLayer):
            layers.append(serialize(layer))
    config = {"name": model.name, "trainable": model.trainable, "dtype": dtype_policy(model.dtype),
              "layers": layers}
    if node is not None:
        config["build_input_shape"] = list(node.shape)
    return config


def _keras3_functional_config(model) -> dict:
    from .input_layer import InputLayer
    from .layer import LayerCall
    from .recurrent import InitialStateInputs
    from .structure import map_structure
    from .op_serialization import operation_entries
    functional, sequential = model_classes()
    scheduled = {id(step) for step in model._schedule}
    # ops applied straight to symbolic tensors: Keras 3 writes each as an operation entry
    op_nodes = [step for step in model._schedule if not isinstance(step, LayerCall)]

    def model_calls(layer):
        if isinstance(layer, InputLayer):
            return [layer._calls[0]]
        return [call for call in layer._calls if id(call) in scheduled]

    node_index, offset = {}, {}
    for layer in model.layers:
        for index, call in enumerate(model_calls(layer)):
            node_index[id(call)] = index
        # in input_layers and output_layers Keras 3 counts a nested functional model's own
        # graph as its node 0 (inbound nodes count the calls alone)
        offset[id(layer)] = 1 if isinstance(layer, functional) and not isinstance(layer, sequential) \
            and layer.is_functional else 0

    def reference(node, counted=False):
        if node.origin is None:
            return [op_names[id(node)], 0, 0]
        call, position = node.origin
        return [call.layer.name, node_index[id(call)] + (offset[id(call.layer)] if counted else 0), position]

    def is_tensor(value):
        return getattr(value, "origin", None) is not None or id(value) in op_names

    def tensor_record(value):
        if hasattr(value, "origin") and is_tensor(value):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(value.shape),
                               "dtype": "string" if value.dtype.kind == "O" else str(value.dtype),
                               "keras_history": reference(value)}}
        return keras3_value(value)

    op_names, build_operation = operation_entries(model.name, op_nodes, [layer.name for layer in model.layers],
                                                  tensor_record, is_tensor)
    layers = []
    for layer in model.layers:
        entry = serialize(layer)
        entry["name"] = layer.name
        nodes = []
        if not isinstance(layer, InputLayer):
            for call in model_calls(layer):
                args = list(call.args)
                kwargs = dict(call.kwargs)
                if isinstance(layer, InitialStateInputs) and args and isinstance(args[0], (list, tuple)) \
                        and len(args[0]) > 1:
                    # kerasette joins initial states to the inputs; Keras 3 passes them by keyword
                    kwargs["initial_state"] = list(args[0][1:])
                    args[0] = args[0][0]
                nodes.append({"args": map_structure(tensor_record, args),
                              "kwargs": map_structure(tensor_record, kwargs)})
        entry["inbound_nodes"] = nodes
        layers.append(entry)
    operations_placed = set()
    for node in op_nodes:
        # after the entries of its inputs, as Keras lists an operation after what it reads
        produced = {reference(item)[0] for item in node.inputs if is_tensor(item)}
        at = max((position for position, entry in enumerate(layers) if entry["name"] in produced), default=-1)
        while at + 1 < len(layers) and layers[at + 1]["name"] in operations_placed:
            at += 1
        layers.insert(at + 1, build_operation(node))
        operations_placed.add(layers[at + 1]["name"])
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": map_structure(lambda node: reference(node, counted=True), model._input_structure),
        "output_layers": map_structure(lambda node: reference(node, counted=True), model._output_structure),
    }
