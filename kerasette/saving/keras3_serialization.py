"""Keras 3's serialization format: ``serialize_keras_object`` and ``deserialize_keras_object``.

Keras 3 records every object as ``{"module", "class_name", "config",
"registered_name"}`` (plus ``build_config`` and ``compile_config`` for
layers and models), a function as ``{"module": "builtins", "class_name":
"function", "config": name, "registered_name": "function"}``, and a few
values as special records (``__numpy__``, ``__tensor__``, ``__bytes__``,
``__slice__``, ``__ellipsis__``, ``__lambda__``, ``__keras_tensor__``).
kerasette's own classes are written under the Keras module that exports the
class of the same name (``keras.layers``, ``keras.optimizers``, ...), so real
Keras 3 finds them; user classes under their own module and registered name.

Reading takes that form, Keras 2's ``{"class_name", "config"}`` and names,
and builds kerasette objects; layers and models go through the same config
readers as model files (``layers.serialization``), so a record from a
``.keras`` file and one from this module load alike.  Safe mode holds: a
``__lambda__`` or a Lambda layer's bytecode is refused unless
``safe_mode=False``, and a function a record names is only ever looked up
(``serialization.functions.resolve_function``), never imported, in safe
mode.
"""
from __future__ import annotations

import inspect
import types
import warnings

import numpy

from ..engine import Node
from ..eager import Tensor
from ..layers.config_compat import normalize_entry
from ..layers.layer import Layer
from ..layers.op_serialization import mark_operation_entries
from ..layers.serialization import (builtin_layer_class, is_layer_module, keras3_value, layer_from_config,
                                    model_classes, registered_name_of, serialize as serialize_layer)
from ..serialization import functions as _functions
from ..serialization.functions import SafeModeScope, UnsafeDeserializationError, func_dump, func_load, \
    resolve_function
from .object_registration import custom_object_scope, get_registered_object, resolve_custom_objects

__all__ = ["serialize_keras_object", "deserialize_keras_object", "compile_config", "compile_from_config",
           "normalize_function_records", "normalize_keras3_config", "build_from_record",
           "apply_compile_config"]

_PLAIN = (str, int, float, bool)
# the floors of kerasette whose public classes carry Keras 3's module name, in lookup order
_TABLE_NAMES = ("keras.layers", "keras.initializers", "keras.regularizers", "keras.constraints",
                "keras.optimizers.schedules", "keras.optimizers", "keras.losses", "keras.metrics")
_MODEL_MODULES = ("keras", "keras.models", "keras.src.models.functional", "keras.src.models.sequential",
                  "keras.src.models.model", "keras.src.engine.functional", "keras.src.engine.sequential",
                  "keras.engine.functional", "keras.engine.sequential")
_POLICIES = ("DTypePolicy", "FloatDTypePolicy", "Policy")


def _tables() -> dict:
    from .. import constraints, initializers, layers, losses, metrics, optimizers, regularizers
    from ..optimizers import schedules
    return {"keras.layers": layers, "keras.initializers": initializers, "keras.regularizers": regularizers,
            "keras.constraints": constraints, "keras.optimizers.schedules": schedules,
            "keras.optimizers": optimizers, "keras.losses": losses, "keras.metrics": metrics}


def _keras_module_of(cls):
    """The Keras module that exports kerasette's public class ``cls`` under its name, or None."""
    for module, table in _tables().items():
        if getattr(table, cls.__name__, None) is cls:
            return module
    return None


# ------------------------------------------------------------------ writing
def _dtype_name(dtype) -> str:
    """A node's dtype as Keras 3 names it: numpy's object dtype holds Keras' "string" tensors."""
    return "string" if getattr(dtype, "kind", None) == "O" else str(dtype)


def serialize_keras_object(obj):
    """Keras 3's record of ``obj`` (``keras.saving.serialize_keras_object``).

    >>> serialize_keras_object(kerasette.optimizers.Adam())["module"]     # doctest: +SKIP
    'keras.optimizers'
    """
    if obj is None or isinstance(obj, _PLAIN):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(item) for item in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return _serialize_dict(obj)
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {"start": serialize_keras_object(obj.start),
                                                      "stop": serialize_keras_object(obj.stop),
                                                      "step": serialize_keras_object(obj.step)}}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, Node):
        history = None
        if obj.origin is not None:
            call, position = obj.origin
            history = [call.layer.name, call.layer._calls.index(call) if call in call.layer._calls else 0,
                       position]
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(obj.shape), "dtype": _dtype_name(obj.dtype), "keras_history": history}}
    if isinstance(obj, Tensor):
        array = numpy.asarray(obj.data)
        return {"class_name": "__tensor__", "config": {"value": array.tolist(), "dtype": array.dtype.name}}
    if isinstance(obj, numpy.ndarray) and obj.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, (numpy.generic, numpy.ndarray)):
        return obj.item()
    if isinstance(obj, numpy.dtype):
        return obj.name
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        warnings.warn("The object being serialized includes a `lambda`, stored as Python bytecode: "
                      "loading it again needs safe_mode=False. Use named functions instead.", stacklevel=2)
        return {"class_name": "__lambda__", "config": {"value": func_dump(obj)}}
    if isinstance(obj, Layer):
        record = serialize_layer(obj)
        functional, sequential = model_classes()
        build = _own_build_config(obj, functional, sequential)
        if build is not None:
            record["build_config"] = build
        if functional is not None and isinstance(obj, functional):
            compiled = _model_compile_config(obj, functional)
            if compiled is not None:
                record["compile_config"] = compiled
        return record
    if callable(obj) and not hasattr(obj, "get_config"):
        name = registered_name_of(obj) or getattr(obj, "__name__", None)
        if name is None:
            raise TypeError(f"Cannot serialize {obj!r}: it has neither get_config() nor a name")
        return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize object {obj!r} of type {type(obj).__name__}. To be serializable, "
                        "a class must implement the `get_config()` method.")
    config = obj.get_config()
    if not isinstance(config, dict):
        raise TypeError(f"The `get_config()` method of {obj!r} should return a dict. It returned: {config!r}")
    module = _keras_module_of(type(obj))
    if module is not None:
        return {"module": module, "class_name": type(obj).__name__, "config": _serialize_dict(config),
                "registered_name": None}
    module = type(obj).__module__
    return {"module": None if module == "__main__" else module, "class_name": type(obj).__name__,
            "config": _serialize_dict(config), "registered_name": registered_name_of(type(obj)) or
            type(obj).__name__}


def _own_build_config(layer, functional, sequential):
    """The build config of a subclassed model, or of a layer whose class writes its own
    ``get_build_config``: Keras 3 records it so that loading can build the object before its
    weights are set.  None where ``serialize_layer`` already wrote the right one."""
    graph = functional is not None and isinstance(layer, functional) and (
        isinstance(layer, sequential) or layer.is_functional)
    if graph:
        return None
    own = type(layer).get_build_config is not Layer.get_build_config
    is_model = functional is not None and isinstance(layer, functional)
    if not (own or is_model):
        return None
    build = layer.get_build_config()
    return build if isinstance(build, dict) else None


def _serialize_dict(config: dict) -> dict:
    return {key: _serialize_value(value, key) for key, value in config.items()}


def _serialize_value(value, key):
    """A config value: objects become records, Keras 2 form dicts Keras 3 records."""
    if isinstance(value, dict) and isinstance(value.get("class_name"), str) and "config" in value \
            and "module" not in value and not value["class_name"].startswith("__"):
        return _keras2_record(value, key)
    if isinstance(value, dict):
        return _serialize_dict(value)
    return serialize_keras_object(value)


def _keras2_record(record: dict, key) -> dict:
    """``{"class_name", "config"}`` (what kerasette's get_config nests) as Keras 3's record."""
    class_name = record["class_name"]
    preferred = {"learning_rate": "keras.optimizers.schedules"}.get(key)
    order = ([preferred] if preferred else []) + list(_TABLE_NAMES)
    tables = _tables()
    for module in order:
        if inspect.isclass(getattr(tables[module], class_name, None)):
            if module in ("keras.initializers", "keras.regularizers", "keras.constraints", "keras.layers"):
                return keras3_value(record, key)
            return {"module": module, "class_name": class_name, "config": _serialize_dict(record["config"] or {}),
                    "registered_name": None}
    found = get_registered_object(class_name)
    module = getattr(found, "__module__", None)
    return {"module": None if module == "__main__" else module, "class_name": class_name,
            "config": _serialize_dict(record["config"] or {}) if isinstance(record["config"], dict)
            else record["config"],
            "registered_name": (registered_name_of(found) if found is not None else None) or class_name}


def compile_config(model):
    """Keras 3's ``model.get_compile_config()``: what ``compile()`` was given, or None if uncompiled."""
    optimizer = getattr(model, "optimizer", None)
    if not getattr(model, "compiled", False) or optimizer is None:
        return None
    given = getattr(model, "_compile_given", None) or {
        "loss": getattr(model, "_loss_spec", None), "loss_weights": getattr(model, "_loss_weights_spec", None),
        "metrics": getattr(model, "_metrics_spec", None),
        "weighted_metrics": getattr(model, "_weighted_metrics_spec", None)}
    return {
        "optimizer": serialize_keras_object(optimizer),
        "loss": serialize_keras_object(given["loss"]),
        "loss_weights": serialize_keras_object(given["loss_weights"]),
        "metrics": serialize_keras_object(given["metrics"]),
        "weighted_metrics": serialize_keras_object(given["weighted_metrics"]),
        "run_eagerly": bool(getattr(model, "run_eagerly", False)),
        "steps_per_execution": int(getattr(model, "steps_per_execution", 1) or 1),
        # kerasette compiles to its own programs; there is no XLA to switch on
        "jit_compile": False,
    }


def _model_compile_config(model, functional):
    """What a model's ``get_compile_config()`` gives: kerasette's record, or, from a subclass
    that overrides it (keras.io's "Customizing Saving" guide), its dict with each value
    serialized, as Keras 3 writes it."""
    if type(model).get_compile_config is functional.get_compile_config:
        return compile_config(model)
    config = model.get_compile_config()
    return None if config is None else _serialize_dict(config)


def apply_compile_config(model, config: dict, raw_config: dict, custom_objects: dict | None = None) -> None:
    """Compile a loaded model from its file's ``compile_config``: a subclass's own
    ``compile_from_config`` gets the record as the file holds it (``raw_config``), with
    ``custom_objects`` in scope, as Keras 3 calls it; otherwise ``compile_from_config``."""
    functional, _ = model_classes()
    if functional is not None and type(model).compile_from_config is not functional.compile_from_config:
        with custom_object_scope(resolve_custom_objects(custom_objects)):
            model.compile_from_config(raw_config)
        return
    compile_from_config(model, config, custom_objects)


def compile_from_config(model, config: dict, custom_objects: dict | None = None) -> None:
    """``model.compile(**arguments)`` from a Keras 3 ``compile_config`` (Keras 3's ``compile_from_config``).

    An absent optimizer is compile()'s default, ``"rmsprop"``.
    """
    from .serialization import compile_arguments
    training = dict(normalize_function_records(config))
    optimizer = training.pop("optimizer", None) or "rmsprop"
    if isinstance(optimizer, str):
        optimizer = {"class_name": optimizer, "config": {}}
    training["optimizer_config"] = optimizer
    outputs = len(model.outputs) if getattr(model, "is_functional", False) else 1
    arguments = compile_arguments(training, resolve_custom_objects(custom_objects), output_count=outputs)
    for key in ("run_eagerly", "steps_per_execution", "jit_compile"):
        if key in training and training[key] is not None:
            arguments[key] = training[key]
    model.compile(**arguments)


def normalize_function_records(value):
    """Keras 3's function records made readable by kerasette's resolvers.

    Keras 3 writes every function as ``module="builtins"`` and
    ``registered_name="function"`` and finds the name among its built-in
    modules; here the module becomes ``"kerasette"`` (whose public functions
    the resolvers search) and the registered name the function's name.
    """
    if isinstance(value, dict):
        if value.get("class_name") == "function" and isinstance(value.get("config"), str):
            record = dict(value)
            if record.get("module") in (None, "builtins"):
                record["module"] = "kerasette"
            if record.get("registered_name") in (None, "function"):
                record["registered_name"] = record["config"]
            return record
        return {key: normalize_function_records(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalize_function_records(item) for item in value]
    return value


def normalize_keras3_config(config):
    """A Keras 3 model record made readable by kerasette's config readers: function records
    (``normalize_function_records``), and nested functional models counted from 0.

    In ``input_layers`` and ``output_layers`` Keras 3 counts a nested functional
    model's own graph as its node 0, so its first call is node 1 there (its
    ``inbound_nodes`` references count the calls alone, from 0).
    """
    config = normalize_function_records(config)
    return _functional_offsets(config)


def _is_functional_entry(entry) -> bool:
    inner = entry.get("config") if isinstance(entry, dict) else None
    return isinstance(inner, dict) and isinstance(inner.get("layers"), list) \
        and entry.get("class_name") != "Sequential" and "input_layers" in inner


def _functional_offsets(value):
    if isinstance(value, list):
        return [_functional_offsets(item) for item in value]
    if not isinstance(value, dict):
        return value
    value = {key: _functional_offsets(item) for key, item in value.items()}
    inner = value.get("config")
    if _is_functional_entry(value) and ("module" in value or _keras3_nodes(inner)):
        nested = {entry.get("name") for entry in inner["layers"] if _is_functional_entry(entry)}
        if nested:
            inner = dict(inner)
            for key in ("input_layers", "output_layers"):
                inner[key] = _shift_references(inner.get(key), nested)
            value["config"] = inner
    return value


def _keras3_nodes(config) -> bool:
    """Whether a functional config's inbound nodes are Keras 3's (dicts of args and kwargs): the
    top-level config of a Keras 3 ``.h5`` file has no ``module`` to say so."""
    return any(isinstance(node, dict) for entry in config["layers"] if isinstance(entry, dict)
               and isinstance(entry.get("inbound_nodes"), list) for node in entry["inbound_nodes"])


def _shift_references(refs, nested):
    if isinstance(refs, list) and len(refs) == 3 and isinstance(refs[0], str) and isinstance(refs[1], int):
        if refs[0] in nested and refs[1] > 0:
            return [refs[0], refs[1] - 1, refs[2]]
        return refs
    if isinstance(refs, dict):
        return {key: _shift_references(item, nested) for key, item in refs.items()}
    if isinstance(refs, list):
        return [_shift_references(item, nested) for item in refs]
    return refs


# ------------------------------------------------------------------ reading
def _effective_safe_mode(safe_mode) -> bool:
    """Keras 3's rule: an enclosing ``SafeModeScope`` wins over the argument."""
    scoped = getattr(_functions._state, "safe_mode", None)
    if scoped is not None:
        return bool(scoped)
    if safe_mode is None:
        return _functions.in_safe_mode()
    return bool(safe_mode) and _functions.in_safe_mode()


def deserialize_keras_object(config, custom_objects: dict | None = None, safe_mode: bool = True, **kwargs):
    """The object a ``serialize_keras_object`` record (or Keras 2's form) describes
    (``keras.saving.deserialize_keras_object``).

    ``custom_objects`` (and registered or scoped objects) name your own
    classes and functions; ``safe_mode`` (default) refuses stored bytecode.
    """
    module_objects = kwargs.pop("module_objects", None)
    kwargs.pop("printable_module_name", None)
    if kwargs:
        raise TypeError(f"deserialize_keras_object got unexpected arguments {sorted(kwargs)}")
    safe = _effective_safe_mode(safe_mode)
    objects = resolve_custom_objects(custom_objects)
    with custom_object_scope(custom_objects or {}), SafeModeScope(safe):
        return _deserialize(config, objects, module_objects, safe)


def _deserialize(config, objects, module_objects, safe):
    if config is None:
        return None
    if isinstance(config, str):
        if config in objects:
            return objects[config]
        if module_objects is not None and config in module_objects:
            found = module_objects[config]
            return found() if inspect.isclass(found) else found
        return config
    if isinstance(config, (list, tuple)):
        return [_deserialize(item, objects, module_objects, safe) for item in config]
    if isinstance(config, _PLAIN):
        return config
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {key: _deserialize(value, objects, module_objects, safe) for key, value in config.items()}
    class_name = config["class_name"]
    inner = config["config"] if config["config"] is not None else {}
    special = _special(class_name, inner, objects, module_objects, safe)
    if special is not _NOT_SPECIAL:
        return special
    if class_name == "function":
        return _function(config, inner, objects, safe)
    if not isinstance(inner, dict):
        raise TypeError(f"Expected 'config' to be a dict for {class_name}, instead got {type(inner).__name__}. "
                        f"Full config: {config}")
    if module_objects is not None and class_name in module_objects and class_name not in objects:
        found = module_objects[class_name]
        return found.from_config(inner) if hasattr(found, "from_config") else found(**inner)
    return _instance(config, class_name, inner, objects)


_NOT_SPECIAL = object()


def _special(class_name, inner, objects, module_objects, safe):
    if class_name == "__keras_tensor__":
        from ..layers.input_layer import Input
        return Input(batch_shape=tuple(inner["shape"]), dtype=inner.get("dtype"))
    if class_name in ("__tensor__", "__numpy__"):
        return numpy.array(inner["value"], dtype=inner["dtype"])
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(*(_deserialize(inner.get(part), objects, module_objects, safe)
                       for part in ("start", "stop", "step")))
    if class_name == "__lambda__":
        if safe:
            raise UnsafeDeserializationError(
                "Requested the deserialization of a Python lambda, stored as bytecode: loading it would run "
                "code from the config. If you trust its source, pass safe_mode=False, or call "
                "kerasette.saving.enable_unsafe_deserialization().")
        stored = inner.get("value", inner)
        return func_load(stored if not isinstance(stored, dict) else {"config": stored}, "lambda",
                         custom_objects=objects, safe_mode=False)
    return _NOT_SPECIAL


def _function(config, name, objects, safe):
    if not isinstance(name, str):
        raise TypeError(f"Expected 'config' to be a non-null str for a function record, instead got "
                        f"{type(name).__name__}. Full config: {config}")
    from .. import activations, constraints, initializers, losses, metrics, ops, regularizers
    module = config.get("module")
    if module in (None, "builtins"):
        module = "kerasette"
    return resolve_function(name, module, custom_objects=objects, where="The config",
                            namespaces=(activations, losses, metrics, initializers, regularizers, constraints,
                                        ops), safe_mode=safe)


def _instance(config, class_name, inner, objects):
    module = config.get("module")
    registered = config.get("registered_name")
    custom = None
    for key in (registered, class_name):
        if isinstance(key, str) and key in objects:
            custom = objects[key]
            break
    is_model_record = module in _MODEL_MODULES and class_name in ("Functional", "Model", "Sequential")
    if module == "keras" and class_name in _POLICIES and custom is None:
        return inner.get("name")       # kerasette's layers take the dtype's name
    if is_model_record or _names_a_layer(module, class_name, custom):
        return _layer(config, objects)
    if custom is not None:
        if not inspect.isclass(custom):
            return custom
        if not hasattr(custom, "from_config"):
            raise TypeError(f"Unable to reconstruct an instance of '{class_name}' because the class is missing "
                            f"a `from_config()` method. Full object config: {config}")
        return custom.from_config(inner)
    tables = _tables()
    candidates = [module] if isinstance(module, str) and module in tables else []
    if module is None or not isinstance(module, str) or not module.startswith("keras"):
        candidates += [name for name in _TABLE_NAMES if name not in candidates]
    for name in candidates:
        found = getattr(tables[name], class_name, None)
        if inspect.isclass(found):
            table = tables[name]
            record = dict(config, config=inner)
            return table.deserialize(record, custom_objects=objects)
    raise TypeError(f"Could not locate class '{class_name}'. Make sure custom classes are decorated with "
                    "`@keras.saving.register_keras_serializable()` or passed in custom_objects. "
                    f"Full object config: {config}")


def _names_a_layer(module, class_name, custom) -> bool:
    if custom is not None:
        return inspect.isclass(custom) and issubclass(custom, Layer)
    if is_layer_module(module) and module not in _MODEL_MODULES:
        return True
    return (module is None or not str(module).startswith("keras")) and builtin_layer_class(class_name) is not None


def _layer(config, objects):
    entry = normalize_keras3_config(dict(config))
    layer = layer_from_config(normalize_entry(mark_operation_entries(entry), objects), objects)
    build_from_record(layer, config)
    compiled = config.get("compile_config")
    if compiled:
        compile_from_config(layer, compiled, objects)
    return layer


def build_from_record(layer, record) -> None:
    """Build a layer (or model) just made from a Keras 3 record with the record's ``build_config``
    (``layer.build_from_config``), as Keras 3 does before it loads the weights; a layer
    that is built already, or a record without one, is left as it is."""
    build = record.get("build_config") if isinstance(record, dict) else None
    if not isinstance(build, dict) or layer.built or not (
            build.get("input_shape") is not None or isinstance(build.get("shapes_dict"), dict)):
        return
    builder = getattr(layer, "build_from_config", None)
    if callable(builder):
        builder(build)
    else:
        layer.build(_as_shapes(build.get("input_shape")))
        layer.built = True


def _as_shapes(shape):
    if isinstance(shape, list) and shape and all(isinstance(item, (list, tuple)) or item is None
                                                 for item in shape) and any(isinstance(item, (list, tuple))
                                                                            for item in shape):
        return [_as_shapes(item) for item in shape]
    return tuple(shape) if isinstance(shape, (list, tuple)) else shape
