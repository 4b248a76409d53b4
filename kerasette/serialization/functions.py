"""Python functions named or stored in model files, and the safe mode that guards them.

A Lambda layer's function reaches a file in one of two ways:

* by name: a module-level function is stored as its name and module
  (Keras 2: ``"function_type": "function"`` with ``"module"``; Keras 3:
  ``{"class_name": "function", "config": name, "module": ...}``).
  ``resolve_function`` turns the name back into a callable.
* as bytecode: a ``lambda`` or closure has no name to find it by, so its
  code object is stored (Keras 2's ``func_dump``: ``[code, defaults,
  closure]``, base64 of ``marshal``; Keras 3 wraps the same under
  ``{"class_name": "__lambda__", "config": {"code", "defaults", "closure"}}``).
  ``func_load`` turns it back into a function.

Both can run code the file chose, so both obey safe mode, which is on by
default.  In safe mode nothing a file names is imported or called unless it
is a kerasette built-in (a public function of the namespaces the caller
hands in, such as ``kerasette.ops``) or the user made it known
(``custom_objects``, ``custom_object_scope``, ``register_keras_serializable``,
all reached through ``EXTRA_LOOKUPS``); bytecode never loads.  The caller
turns safe mode off for a file it trusts: ``load_model(path,
safe_mode=False)``, a ``SafeModeScope(False)`` block, or
``enable_unsafe_deserialization()`` for the whole process.

Bytecode only loads on the Python version that wrote it (``marshal``'s
format changes between versions); the error then says so.  No pickle is
used anywhere.  This module is on the bottom floor: it imports nothing from
kerasette.
"""
from __future__ import annotations

import base64
import builtins
import importlib
import marshal
import sys
import threading
import types

from .registry import EXTRA_LOOKUPS

__all__ = ["func_dump", "func_load", "SafeModeScope", "in_safe_mode", "is_stored_bytecode",
           "enable_unsafe_deserialization", "UnsafeDeserializationError", "resolve_function"]

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
        # Keras 3: after enable_unsafe_deserialization() the process-wide switch wins over a
        # safe_mode=True argument (load_model's default), so files load without safe_mode=False
        _state.safe_mode = False if self.safe_mode and _unsafe_globally[0] else self.safe_mode
        return self

    def __exit__(self, *exc_info):
        _state.safe_mode = self._previous


def enable_unsafe_deserialization() -> None:
    """Allow Lambda bytecode to load everywhere in this process (Keras 3's switch): later loads no
    longer need ``safe_mode=False``, and ``safe_mode=True`` arguments no longer refuse."""
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


def _globals(namespace=None, custom_objects=None) -> dict:
    """What a loaded lambda sees as module globals: builtins, the names the
    caller hands in (a Lambda hands kerasette's ops, backend, numpy, ...),
    and the user's custom objects."""
    result = {"__builtins__": builtins}
    result.update(namespace or {})
    result.update(custom_objects or {})
    return result


def func_load(stored, what: str = "function", layer_name: str | None = None, custom_objects=None,
              safe_mode: bool | None = None, namespace: dict | None = None):
    """The function ``func_dump`` (or Keras 2 / Keras 3) stored; refused in safe mode.

    ``namespace`` is what the function sees as its module globals, besides
    Python's builtins and ``custom_objects``.
    """
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
    return types.FunctionType(code_object, _globals(namespace, custom_objects), code_object.co_name,
                              defaults, cells)


def is_stored_bytecode(value) -> bool:
    """Whether a Lambda config value holds bytecode (Keras 2 list or Keras 3 dict)."""
    if isinstance(value, dict):
        return value.get("class_name") == "__lambda__"
    return isinstance(value, (list, tuple)) and len(value) >= 1 and isinstance(value[0], str) \
        and len(value) <= 3


# modules whose functions a file may name and get kerasette's function of the same
# name: kerasette's own, the libraries whose model files kerasette reads, and
# "builtins", which Keras 3 writes for some of its own functions (only kerasette's
# public functions are ever returned for these, never the module's own)
_LIBRARY_MODULES = ("kerasette", "keras", "tf_keras", "tensorflow", "tf", "builtins")


def _library_module(module) -> bool:
    return not module or module.split(".")[0] in _LIBRARY_MODULES


def _builtin(name: str, namespaces):
    """The public kerasette function called ``name`` in ``namespaces``, or None."""
    if not name.isidentifier() or name.startswith("_"):
        return None
    for namespace in namespaces:
        found = getattr(namespace, name, None)
        if callable(found) and not isinstance(found, type) \
                and (getattr(found, "__module__", None) or "").startswith("kerasette"):
            return found
    return None


def _registered(name: str, module: str | None):
    for key in (name, f"{module}>{name}" if module else None):
        if key is None:
            continue
        for lookup in EXTRA_LOOKUPS:
            found = lookup(key)
            if found is not None:
                return found
    return None


def resolve_function(name, module=None, *, namespaces=(), custom_objects=None, where: str = "A Lambda layer",
                     what: str = "function", safe_mode: bool | None = None):
    """The callable a file names as ``module.name``, under the safe-mode rule.

    Looked up in order: ``custom_objects``; objects the user registered
    (``EXTRA_LOOKUPS``); then, when ``module`` is kerasette's or a Keras
    library's (or not given), the public kerasette function of that name in
    ``namespaces``.  Only outside safe mode is ``module`` imported and the
    name fetched from it.  Anything else raises ``UnsafeDeserializationError``
    (safe mode) or ``ValueError`` (not found), naming ``where``, the module
    and the function.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: its {what} must be stored as a function name, got {name!r}")
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    found = _registered(name, module)
    if found is not None:
        return found
    safe = in_safe_mode() if safe_mode is None else safe_mode
    if _library_module(module):
        found = _builtin(name, namespaces)
        if found is not None:
            return found
    qualified = f"{module}.{name}" if module else name
    if safe:
        raise UnsafeDeserializationError(
            f"{where}: its {what} is {qualified!r} (module {module!r}, function {name!r}), which is not a "
            "kerasette built-in. In safe mode kerasette never imports or calls a function that a file "
            "names. If you trust the file's source, load it with safe_mode=False (load_model(path, "
            f"safe_mode=False)), or pass the function yourself: custom_objects={{{name!r}: ...}}.")
    if module:
        try:
            imported = importlib.import_module(module)
        except ImportError as error:
            raise ValueError(f"{where}: its {what} {qualified!r} cannot be found: module {module!r} does "
                             f"not import ({error}); pass the function in custom_objects") from None
        found = getattr(imported, name, None)
        if callable(found):
            return found
    found = _builtin(name, namespaces)
    if found is not None:
        return found
    raise ValueError(f"{where}: unknown {what} {qualified!r}; pass it in custom_objects={{{name!r}: ...}}")
