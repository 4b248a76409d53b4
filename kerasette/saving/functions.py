"""Stored functions and safe mode, under their Keras 2 path (``kerasette.saving.functions``).

The code lives on the bottom floor, in ``kerasette.serialization.functions``,
so that layers (Lambda) can use it without importing the saving package.
"""
from ..serialization.functions import (SafeModeScope, UnsafeDeserializationError,  # noqa: F401
                                       enable_unsafe_deserialization, func_dump, func_load, in_safe_mode,
                                       is_stored_bytecode, resolve_function)
