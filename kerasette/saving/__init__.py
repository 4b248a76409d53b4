"""Saving and loading: weights and whole models in Keras' own file layouts.

* ``save_model`` / ``load_model``: the whole model (architecture, weights,
  compile() arguments, optimizer state) in Keras 3's ``.keras`` archive (a
  ``.keras`` name) or the legacy ``.h5`` file; loading reads files written
  by kerasette, tf.keras / Keras 2 and Keras 3;
* ``save_weights`` / ``load_weights``: HDF5 in Keras' legacy layout (any
  name but ``*.weights.h5``) or Keras 3's layout (``*.weights.h5``);
* ``serialize_keras_object`` / ``deserialize_keras_object``: any Keras
  object as Keras 3's config record, and back;
* ``model_to_json`` / ``model_from_json`` / ``model_from_config``;
* ``register_keras_serializable``, ``get_custom_objects``,
  ``custom_object_scope``: naming your own layers, losses and metrics;
* safety: no pickle anywhere; Lambda bytecode only with ``safe_mode=False``;
  every save is atomic (temporary file + rename); every load reads and
  checks the whole file before any weight changes.

>>> model.save("model.keras")
>>> restored = load_model("model.keras")

The names that need h5py (the file formats) are imported on first use, so
that the registration and serialization functions, which
``kerasette.utils`` and ``kerasette.saving`` both offer, cost nothing at
``import kerasette``.
"""
import importlib

from .atomic import atomic_write
from .functions import (SafeModeScope, UnsafeDeserializationError, enable_unsafe_deserialization, func_dump,
                        func_load, in_safe_mode)
from .keras3_serialization import deserialize_keras_object, serialize_keras_object
from .object_registration import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                  get_registered_name, get_registered_object, register_keras_serializable)
from .serialization import ConfigError, SubclassedModelError, model_from_config, model_from_json, model_to_json

# name -> module of this package that defines it; imported when first asked for (h5py)
_LAZY = {"WeightFileError": "hdf5", "load_model": "model_io", "save_model": "model_io",
         "load_weights": "weights", "save_weights": "weights"}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "save_weights", "load_weights", "save_model", "load_model", "model_to_json", "model_from_json",
    "model_from_config", "register_keras_serializable", "get_custom_objects", "custom_object_scope",
    "CustomObjectScope", "get_registered_name", "get_registered_object", "SafeModeScope",
    "enable_unsafe_deserialization", "in_safe_mode", "UnsafeDeserializationError", "WeightFileError",
    "SubclassedModelError", "ConfigError", "atomic_write", "func_dump", "func_load",
    "serialize_keras_object", "deserialize_keras_object",
]
