"""Architectures and training settings as JSON in Keras' formats.

* ``model_to_json`` / ``model_from_json`` / ``model_from_config``: the
  model's ``{"class_name", "config"}`` (Keras 2 layout, the one tf.keras
  writes, see ``kerasette.models.config``); reading also accepts the
  configs of tf.keras and Keras 3 (``layers.config_compat.normalize_entry``).
  Classes are found through ``kerasette.layers.serialization`` (kerasette's
  layers, the model classes the models floor registers there, and the
  user's custom objects), never by importing models or any module a file
  names.
* ``training_config`` / ``compile_arguments``: what ``compile()`` was given
  (optimizer config, losses, metrics, loss weights) as the
  ``training_config`` attribute of a model file, and back.

Subclassed models have no config to save: their architecture is the Python
code of ``call``.  ``architecture_config`` says so clearly.
"""
from __future__ import annotations

import inspect
import json
import warnings

import numpy

from .. import activations
from ..layers.config_compat import normalize_entry
from ..layers.input_layer import InputLayer
from ..layers.op_serialization import mark_operation_entries
from ..layers.layer import LayerCall
from ..layers.serialization import class_name_of, layer_from_config, model_classes
from ..layers.serialization import serialize as serialize_layer
from ..serialization.errors import MALFORMED, ConfigError, describe
from ..serialization.functions import SafeModeScope, UnsafeDeserializationError
from .object_registration import custom_object_scope, get_registered_name, resolve_custom_objects

__all__ = ["ConfigError", "json_default", "architecture_config", "model_to_json", "model_from_json", "model_from_config",
           "training_config", "compile_arguments", "SubclassedModelError", "written_by_keras2"]


class SubclassedModelError(NotImplementedError):
    """A subclassed model's architecture is code, which a file cannot hold."""


def json_default(value):
    """What ``json.dumps`` cannot write by itself: numpy numbers, arrays, dtypes."""
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    if isinstance(value, numpy.dtype):
        return value.name
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"Cannot write {value!r} ({type(value).__name__}) into a model config: only numbers, "
                    "strings, lists and dicts can be saved. Give the layer a get_config() that returns "
                    "plain values, or rebuild this part of the model in code.")


def architecture_config(model) -> dict:
    """``{"class_name": "Functional" | "Sequential" | <class>, "config": {...}}`` of a model."""
    _, sequential = model_classes()
    if not isinstance(model, sequential) and not model.is_functional:
        raise SubclassedModelError(
            f"Model '{model.name}' ({type(model).__name__}) is a subclassed model: its architecture is the "
            "Python code of its call() method, which cannot be written to a file. Save its weights with "
            "model.save_weights('weights.h5') (or '.weights.h5'), and to restore, build the model in code, "
            "call it once on data, then model.load_weights(...). Functional and Sequential models can be "
            "saved whole with model.save('model.h5').")
    if _applies_bare_ops(model):
        # Keras 2's form (get_config) has no place for an op applied straight to tensors: Keras 3's
        # record (what its to_json writes) holds each as an operation entry
        return serialize_layer(model)
    config = model.get_config()
    _explicit_inputs(model, config)
    return {"class_name": class_name_of(model), "config": config}


def _applies_bare_ops(model) -> bool:
    """Whether a functional model (or one nested in it) applies an op straight to symbolic tensors."""
    functional, _ = model_classes()
    if any(not isinstance(step, LayerCall) for step in getattr(model, "_schedule", None) or []):
        return True
    return any(_applies_bare_ops(layer) for layer in model.layers if isinstance(layer, functional))


def _explicit_inputs(model, config) -> None:
    """Give every Sequential config an InputLayer entry first, as tf.keras and Keras 3 write it.

    A first layer carrying ``batch_input_shape`` (Keras 2.3's form) is misread
    by Keras 3 as an input shape without the batch axis.
    """
    functional, sequential = model_classes()
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        return
    entries = config["layers"]
    if isinstance(model, sequential):
        layers = [layer for layer in model._stack if not isinstance(layer, InputLayer)]
        node = model._input_node
        if node is not None and entries and entries[0].get("class_name") != "InputLayer":
            first = dict(entries[0]["config"])
            shape = first.pop("batch_input_shape", None) or tuple(node.shape)
            entries[0] = dict(entries[0], config=first)
            origin = node.origin[0].layer if node.origin is not None else None
            entries.insert(0, {"class_name": "InputLayer", "config": {
                "batch_input_shape": list(shape), "dtype": str(node.dtype), "sparse": False,
                "ragged": False, "name": origin.name if origin is not None else f"{model.name}_input"}})
        pairs = zip([e for e in entries if e.get("class_name") != "InputLayer"], layers)
    else:
        by_name = {layer.name: layer for layer in model.layers}
        pairs = ((entry, by_name.get(entry.get("name"))) for entry in entries)
    for entry, layer in pairs:
        if isinstance(layer, functional):
            _explicit_inputs(layer, entry.get("config"))


def model_to_json(model, **kwargs) -> str:
    """The model's architecture as JSON text (``model_from_json`` reads it back)."""
    from .legacy_h5 import BACKEND_NAME, KERAS_FORMAT_VERSION
    config = architecture_config(model)
    config["keras_version"] = KERAS_FORMAT_VERSION
    config["backend"] = BACKEND_NAME
    kwargs.setdefault("default", json_default)
    return json.dumps(config, **kwargs)


def written_by_keras2(keras_version, backend=None, kerasette_version=None) -> bool:
    """Whether a file (or JSON text) was written by Keras 2 / tf.keras, whose names can mean
    other functions than Keras 3's (``hard_sigmoid``, see ``activations.keras2_names``).

    kerasette's own files name what they computed (they carry ``kerasette_version``;
    its JSON text the backend ``numpy``, which no Keras 2 wrote); a file without a
    version is taken as Keras 3's.
    """
    from .legacy_h5 import BACKEND_NAME
    if kerasette_version or backend == BACKEND_NAME or not isinstance(keras_version, str):
        return False
    major = keras_version.strip().split(".")[0]
    return major.isdigit() and int(major) < 3


def model_from_config(config: dict, custom_objects: dict | None = None, safe_mode: bool | None = None):
    """Build the model (or layer) a ``{"class_name", "config"}`` dict describes.

    Keras 2, tf.keras and Keras 3 configs are accepted; user classes come
    from ``custom_objects``, ``custom_object_scope`` or
    ``register_keras_serializable``.  Lambda bytecode is refused while safe
    mode is on (the default).
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ConfigError(f"A model config must be a dict with 'class_name' and 'config', got "
                          f"{str(config)[:200]!r}")
    objects = resolve_custom_objects(custom_objects)
    scope = SafeModeScope(safe_mode) if safe_mode is not None else _NullScope()
    try:
        entry = normalize_entry(mark_operation_entries(config), objects)
        with custom_object_scope(custom_objects), scope:
            return layer_from_config(entry, objects)
    except (ConfigError, UnsafeDeserializationError):
        raise
    except MALFORMED as error:
        # the readers check what they can name; anything a mutated config still
        # provokes inside a layer's own code is reported the same way
        raise ConfigError(f"Cannot rebuild the model from its config: {describe(error)}") from error


class _NullScope:
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def model_from_json(json_string: str, custom_objects: dict | None = None, safe_mode: bool | None = None):
    """The model a ``model.to_json()`` text (from kerasette, tf.keras or Keras 3) describes.

    >>> clone = model_from_json(model.to_json())       # fresh weights, same architecture
    """
    try:
        from .json_text import parse_json
        config = parse_json(json_string, "The JSON text given to model_from_json")
    except (TypeError, ValueError) as error:
        raise ValueError(f"model_from_json needs JSON text; it cannot be parsed: {error}") from None
    keras2 = isinstance(config, dict) and written_by_keras2(config.get("keras_version"), config.get("backend"))
    with activations.keras2_names(keras2):
        return model_from_config(config, custom_objects, safe_mode=safe_mode)


# ------------------------------------------------------------------ training
def _serialize_spec(value):
    """A loss or metric spec as compile() received it, in JSON-able form."""
    from .. import losses, metrics
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {key: _serialize_spec(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_serialize_spec(item) for item in value]
    if inspect.isclass(value):
        return get_registered_name(value)
    if isinstance(value, (losses.Loss, metrics.Metric)) or hasattr(value, "get_config"):
        return {"class_name": get_registered_name(type(value)), "config": value.get_config()}
    if callable(value):
        return get_registered_name(value)
    raise ValueError(f"Cannot save the compile() argument {value!r}")


def _expand_loss_aliases(spec):
    """``"mse"`` -> ``"mean_squared_error"``: Keras 3 cannot compile from an alias in a legacy file."""
    from .. import losses
    if isinstance(spec, str):
        found = losses._BY_NAME.get(spec)
        name = getattr(found, "__name__", None)
        if found is not None and not inspect.isclass(found) and name and losses._BY_NAME.get(name) is found:
            return name
        return spec
    if isinstance(spec, list):
        return [_expand_loss_aliases(item) for item in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {key: _expand_loss_aliases(item) for key, item in spec.items()}
    return spec


_KERAS3_ONLY_DEFAULTS = {"weight_decay": None, "use_ema": False, "ema_momentum": 0.99,
                         "ema_overwrite_frequency": None, "loss_scale_factor": None,
                         "gradient_accumulation_steps": None}


def training_config(model) -> dict:
    """The ``training_config`` of a compiled model (Keras 2 / tf.keras keys)."""
    optimizer = model.optimizer
    optimizer_config = dict(optimizer.get_config())
    # Keras 3's arguments that tf.keras' (legacy) optimizers reject: left out at their
    # defaults, so that both Keras 3 and tf.keras compile the model from the file
    for key, default in _KERAS3_ONLY_DEFAULTS.items():
        if key in optimizer_config and optimizer_config[key] == default:
            optimizer_config.pop(key)
    return {
        "loss": _expand_loss_aliases(_serialize_spec(getattr(model, "_loss_spec", None))),
        "metrics": _serialize_spec(getattr(model, "_metrics_spec", None)),
        "weighted_metrics": _serialize_spec(getattr(model, "_weighted_metrics_spec", None)),
        "loss_weights": _serialize_spec(getattr(model, "_loss_weights_spec", None)),
        "optimizer_config": {"class_name": get_registered_name(type(optimizer)), "config": optimizer_config},
    }


def _object_from(value, kind, custom_objects):
    """A loss or metric from its saved form; strings stay strings unless they are custom names."""
    from .. import losses, metrics
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return custom_objects.get(value, value)
    if isinstance(value, list):
        return [_object_from(item, kind, custom_objects) for item in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {key: _object_from(item, kind, custom_objects) for key, item in value.items()}
    if not isinstance(value, dict):
        raise ValueError(f"Cannot read the {kind} {value!r}")
    class_name = value["class_name"]
    inner = value.get("config")
    if class_name == "MeanMetricWrapper" and isinstance(inner, dict):
        # tf.keras wraps every string metric; its name is what compile() was given
        name, function = inner.get("name"), inner.get("fn")
        for candidate in (name, function):
            if isinstance(candidate, str) and candidate in custom_objects:
                return custom_objects[candidate]
        for candidate in (name, function):
            if isinstance(candidate, str):
                try:
                    metrics.get(candidate)
                    return candidate
                except ValueError:
                    continue
        if name in ("accuracy", "acc"):
            return name
    registered = value.get("registered_name") or class_name
    found = custom_objects.get(registered, custom_objects.get(class_name))
    if found is not None:
        if inspect.isclass(found):
            return found.from_config(dict(inner or {})) if hasattr(found, "from_config") else found()
        return found
    module = losses if kind == "loss" else metrics
    try:
        return module.deserialize(value, custom_objects=custom_objects)
    except (TypeError, ValueError) as error:
        if class_name in ("function", "builtins.function") and isinstance(inner, str):
            return inner
        raise ValueError(f"Cannot rebuild the {kind} {class_name!r} from the file ({error}); pass it in "
                         "custom_objects") from None


def _optimizer_from(config, custom_objects):
    from .. import optimizers
    config = dict(config)
    inner = dict(config.get("config") or {})
    # tf.keras-only switches that change nothing for kerasette's optimizers
    for key in ("jit_compile", "is_legacy_optimizer", "mesh"):
        inner.pop(key, None)
    config["config"] = inner
    class_name = config.get("class_name")
    found = custom_objects.get(config.get("registered_name") or "", custom_objects.get(class_name))
    if found is not None and inspect.isclass(found):
        return found.from_config(inner)
    return optimizers.deserialize(config, custom_objects=custom_objects)


def compile_arguments(config: dict, custom_objects: dict | None = None, output_count: int = 1) -> dict:
    """``compile()`` keyword arguments from a ``training_config`` (kerasette, tf.keras or Keras 3)."""
    custom_objects = custom_objects or {}
    metrics = _object_from(config.get("metrics"), "metric", custom_objects)
    weighted = _object_from(config.get("weighted_metrics"), "metric", custom_objects)

    def unnest(value):
        # tf.keras writes a single output's metrics as [[...]]
        if output_count == 1 and isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
            return value[0]
        return value

    optimizer_config = config.get("optimizer_config")
    if optimizer_config is None:
        raise ValueError("the training_config has no optimizer_config")
    arguments = {
        "optimizer": _optimizer_from(optimizer_config, custom_objects),
        "loss": _object_from(config.get("loss"), "loss", custom_objects),
        "metrics": unnest(metrics),
        "weighted_metrics": unnest(weighted),
        "loss_weights": config.get("loss_weights"),
    }
    if config.get("sample_weight_mode") not in (None, "None"):
        warnings.warn("The file's sample_weight_mode is ignored (Keras 3 and kerasette infer it)", stacklevel=3)
    return arguments
