"""Python functions inside model files: Lambda bytecode, and the safe mode that guards it.

A ``Lambda(lambda x: x * 2)`` has no importable name, so Keras stores the
function's bytecode: ``marshal`` of its code object, base64-encoded, with its
defaults and closure values (Keras 2's ``func_dump``:
``[code, defaults, closure]``; Keras 3 wraps the same under
``{"class_name": "__lambda__", "config": {"code", "defaults", "closure"}}``).
Turning that back into a function runs code that came from the file, so
loading it is refused unless the caller says the file is trusted:
``load_model(path, safe_mode=False)``, a ``SafeModeScope(False)`` block, or
``enable_unsafe_deserialization()`` for the whole process.

Bytecode only loads on the Python version that wrote it (``marshal``'s
format changes between versions); the error then says so.  No pickle is
used anywhere.
"""
from __future__ import annotations

import base64
import builtins
import marshal
import sys
import threading
import types

__all__ = ["func_dump", "func_load", "SafeModeScope", "in_safe_mode",
           "enable_unsafe_deserialization", "UnsafeDeserializationError"]

_state = threading.local()
_unsafe_globally = [False]


class UnsafeDeserializationError(ValueError):
    """Loading would run Python code stored in a file, and safe mode forbids it."""


class SafeModeScope:
    """``with SafeModeScope(False): ...`` allows Lambda bytecode to load inside the block."""

    def __init__(self, safe_mode: bool | None = True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self._previous = getattr(_state, "safe_mode", None)
        _state.safe_mode = self.safe_mode
        return self

    def __exit__(self, *exc_info):
        _state.safe_mode = self._previous


def enable_unsafe_deserialization() -> None:
    """Allow Lambda bytecode to load everywhere in this process (Keras 3's switch)."""
    _unsafe_globally[0] = True


def in_safe_mode() -> bool:
    """True unless the current scope or the process allows running stored code."""
    scoped = getattr(_state, "safe_mode", None)
    if scoped is not None:
        return bool(scoped)
    return not _unsafe_globally[0]


def func_dump(function) -> list:
    """``[code (base64 of marshal), defaults, closure values]`` of a Python function."""
    code = getattr(function, "__code__", None)
    if code is None:
        raise ValueError(f"Cannot store {function!r}: it is not a Python function")
    raw = marshal.dumps(code)
    encoded = base64.b64encode(raw).decode("ascii")
    defaults = list(function.__defaults__) if function.__defaults__ else None
    closure = [cell.cell_contents for cell in function.__closure__] if function.__closure__ else None
    return [encoded, defaults, closure]


def _make_cell(value):
    return types.CellType(value)


def _globals(custom_objects=None) -> dict:
    """What a loaded lambda sees as module globals: builtins, kerasette's
    public modules under their usual names, and the caller's custom objects."""
    import numpy
    from .. import activations, backend, ops
    import kerasette
    namespace = {"__builtins__": builtins, "ops": ops, "K": backend, "backend": backend,
                 "activations": activations, "keras": kerasette, "kerasette": kerasette, "np": numpy}
    namespace.update(custom_objects or {})
    return namespace


def func_load(stored, what: str = "function", layer_name: str | None = None, custom_objects=None,
              safe_mode: bool | None = None):
    """The function ``func_dump`` (or Keras 2 / Keras 3) stored; refused in safe mode."""
    where = f"Lambda layer '{layer_name}'" if layer_name else "A Lambda layer"
    safe = in_safe_mode() if safe_mode is None else safe_mode
    if safe:
        raise UnsafeDeserializationError(
            f"{where} stores its {what} as Python bytecode; loading it would run code from the file. "
            "If you trust the file's source, load it with safe_mode=False (load_model(path, "
            "safe_mode=False)), or call kerasette.saving.enable_unsafe_deserialization().")
    if isinstance(stored, dict):  # Keras 3: {"class_name": "__lambda__", "config": {...}}
        inner = stored.get("config", stored)
        stored = [inner.get("code"), inner.get("defaults"), inner.get("closure")]
    if isinstance(stored, (list, tuple)):
        code, defaults, closure = (list(stored) + [None, None])[:3]
    else:
        code, defaults, closure = stored, None, None
    if not isinstance(code, str):
        raise ValueError(f"{where}: its stored {what} is not bytecode text: {type(code).__name__}")
    try:
        raw = base64.b64decode(code.encode("ascii"))
        code_object = marshal.loads(raw)
    except (ValueError, EOFError, TypeError) as error:
        raise ValueError(
            f"{where}: its {what}'s bytecode cannot be read ({error}). Bytecode loads only on the Python "
            f"version that wrote it (this is Python {sys.version.split()[0]}); rebuild the layer in code, "
            "or pass the function in custom_objects.") from None
    if not isinstance(code_object, types.CodeType):
        raise ValueError(f"{where}: its stored {what} is not a code object")
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    cells = tuple(_make_cell(value) for value in closure) if closure else None
    if cells is not None and len(cells) != len(code_object.co_freevars):
        raise ValueError(f"{where}: its {what} needs {len(code_object.co_freevars)} closure values, "
                         f"the file has {len(cells)}")
    return types.FunctionType(code_object, _globals(custom_objects), code_object.co_name, defaults, cells)


def is_stored_bytecode(value) -> bool:
    """Whether a Lambda config value holds bytecode (Keras 2 list or Keras 3 dict)."""
    if isinstance(value, dict):
        return value.get("class_name") == "__lambda__"
    return isinstance(value, (list, tuple)) and len(value) >= 1 and isinstance(value[0], str) \
        and len(value) <= 3
