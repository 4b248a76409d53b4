"""The bottom floor of (de)serialization: names, configs and stored functions.

* ``registry``: ``ObjectRegistry`` and ``Keras3Registry``, the lookup behind
  every ``get``/``serialize``/``deserialize`` (initializers, losses, ...),
  and ``EXTRA_LOOKUPS``, the hook through which objects registered with
  ``kerasette.saving.register_keras_serializable`` are found everywhere.
* ``functions``: Python functions named or stored in model files (Lambda
  layers): the safe mode that guards them, Lambda bytecode, and
  ``resolve_function``, the one place where a function named by a file is
  turned into a callable.
* ``errors``: ``ConfigError``, what every config reader raises for a config
  it cannot rebuild, naming the layer and the problem.

Nothing here imports the rest of kerasette, so every floor may use it.
"""
from .errors import ConfigError
from .functions import (SafeModeScope, UnsafeDeserializationError, enable_unsafe_deserialization, func_dump,
                        func_load, in_safe_mode, is_stored_bytecode, resolve_function)
from .registry import EXTRA_LOOKUPS, Configurable, Keras3Registry, ObjectRegistry

__all__ = ["ConfigError", "ObjectRegistry", "Keras3Registry", "Configurable", "EXTRA_LOOKUPS", "SafeModeScope",
           "UnsafeDeserializationError", "enable_unsafe_deserialization", "func_dump", "func_load",
           "in_safe_mode", "is_stored_bytecode", "resolve_function"]
