"""Saving and loading: weights and whole models in Keras' own file layouts.

* ``save_weights`` / ``load_weights``: HDF5 in Keras' legacy layout (any
  name but ``*.weights.h5``) or Keras 3's layout (``*.weights.h5``); loading
  reads files written by kerasette, tf.keras / Keras 2 and Keras 3;
* ``save_model`` / ``load_model``: architecture, weights, training
  configuration and optimizer state in one ``.h5`` file (``.keras`` files
  from Keras 3 load too);
* ``model_to_json`` / ``model_from_json`` / ``model_from_config``;
* ``register_keras_serializable``, ``get_custom_objects``,
  ``custom_object_scope``: naming your own layers, losses and metrics;
* safety: no pickle anywhere; Lambda bytecode only with ``safe_mode=False``;
  every save is atomic (temporary file + rename); every load reads and
  checks the whole file before any weight changes.

>>> model.save("model.h5")
>>> restored = load_model("model.h5")
"""
from .atomic import atomic_write
from .functions import (SafeModeScope, UnsafeDeserializationError, enable_unsafe_deserialization, func_dump,
                        func_load, in_safe_mode)
from .hdf5 import WeightFileError
from .model_io import load_model, save_model
from .object_registration import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                  get_registered_name, get_registered_object, register_keras_serializable)
from .serialization import ConfigError, SubclassedModelError, model_from_config, model_from_json, model_to_json
from .weights import load_weights, save_weights

__all__ = [
    "save_weights", "load_weights", "save_model", "load_model", "model_to_json", "model_from_json",
    "model_from_config", "register_keras_serializable", "get_custom_objects", "custom_object_scope",
    "CustomObjectScope", "get_registered_name", "get_registered_object", "SafeModeScope",
    "enable_unsafe_deserialization", "in_safe_mode", "UnsafeDeserializationError", "WeightFileError",
    "SubclassedModelError", "ConfigError", "atomic_write", "func_dump", "func_load",
]
