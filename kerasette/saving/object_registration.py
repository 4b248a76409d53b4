"""User classes and functions that model files may name: registration and scopes.

A saved model names its layers, losses and metrics by class name.  For a
user's own ``class MyLayer(Layer)`` the loader must be told what that name
means, in one of three ways, as in Keras:

* ``custom_objects={"MyLayer": MyLayer}`` passed to ``load_model`` /
  ``model_from_json``;
* ``with custom_object_scope({"MyLayer": MyLayer}): ...`` around the load;
* ``@register_keras_serializable(package="my_package")`` on the class, once,
  which files it globally as ``"my_package>MyLayer"``.

``get_custom_objects()`` is the global, mutable dictionary (Keras 2 code adds
to it directly); ``get_registered_object(name)`` looks a name up everywhere
(scopes, the global dictionary, registered names, and the plain class name
of a registered object), which is what the config loaders use.
"""
from __future__ import annotations

import inspect
import threading

__all__ = [
    "register_keras_serializable", "get_custom_objects", "custom_object_scope",
    "CustomObjectScope", "get_registered_name", "get_registered_object", "resolve_custom_objects",
]

class _CustomObjects(dict):
    """The global registry: a plain mutable dict whose ``get`` also finds an object by the
    plain name of its registered name (``"Shift"`` for ``"pkg>Shift"``) and looks in the
    active ``custom_object_scope``s first, so that config loaders asking
    ``get_custom_objects().get(class_name)`` find every object a user made known."""

    def get(self, key, default=None):
        found = get_registered_object(key)
        return default if found is None else found


# registered name ("package>Name") or any user-chosen key -> object
_GLOBAL_CUSTOM_OBJECTS: dict = _CustomObjects()
# id(object) -> registered name
_GLOBAL_CUSTOM_NAMES: dict = {}
_scopes = threading.local()


def _scope_stack() -> list:
    if not hasattr(_scopes, "stack"):
        _scopes.stack = []
    return _scopes.stack


def get_custom_objects() -> dict:
    """The global dictionary of custom objects (mutable).

    >>> get_custom_objects()["MyLayer"] = MyLayer     # doctest: +SKIP
    """
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """Within the ``with`` block, the given objects resolve by name in model files.

    >>> with custom_object_scope({"MyLayer": MyLayer}):      # doctest: +SKIP
    ...     model = load_model("m.h5")
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            self.custom_objects.update(objects or {})

    def __enter__(self):
        _scope_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _scope_stack().pop()


custom_object_scope = CustomObjectScope


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Class or function decorator: file the object under ``"package>name"``.

    >>> @register_keras_serializable(package="demo")
    ... class Scale(Layer):
    ...     ...
    >>> get_registered_name(Scale)
    'demo>Scale'
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"The package of a registered object must be a string without '>', got {package!r}")

    def decorator(obj):
        registered_as = name if name is not None else getattr(obj, "__name__", None)
        if not registered_as:
            raise ValueError(f"Cannot register {obj!r}: it has no __name__; pass name=...")
        key = f"{package}>{registered_as}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(f"Cannot register {obj.__name__}: the class must define get_config() "
                             "so that it can be saved")
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        _GLOBAL_CUSTOM_NAMES[id(obj)] = key
        return obj

    return decorator


def get_registered_name(obj) -> str:
    """``"package>Name"`` for a registered object, else its ``__name__``."""
    registered = _GLOBAL_CUSTOM_NAMES.get(id(obj))
    if registered is not None:
        return registered
    return getattr(obj, "__name__", type(obj).__name__)


def _plain_name(key: str) -> str:
    return key.split(">")[-1]


def get_registered_object(name: str, custom_objects: dict | None = None):
    """What ``name`` (``"MyLayer"`` or ``"package>MyLayer"``) means, or None.

    Looked up in ``custom_objects``, the active scopes (innermost first), the
    global dictionary, and then by the plain name of a registered object.
    """
    if name is None:
        return None
    tables = [custom_objects or {}] + list(reversed(_scope_stack())) + [_GLOBAL_CUSTOM_OBJECTS]
    for table in tables:
        if name in table:
            return table[name]
    plain = _plain_name(name)
    for table in tables:
        for key, value in table.items():
            if _plain_name(key) == plain:
                return value
    return None


def resolve_custom_objects(custom_objects: dict | None = None) -> dict:
    """One dictionary with everything a name could mean during a load.

    Registered objects appear under their registered name and their plain
    name (``"demo>Scale"`` and ``"Scale"``), so config loaders that look up
    a class name find them; explicit ``custom_objects`` win over scopes,
    scopes over the global registry.
    """
    merged: dict = {}
    for table in [_GLOBAL_CUSTOM_OBJECTS] + list(_scope_stack()) + [custom_objects or {}]:
        for key, value in table.items():
            merged[key] = value
            merged.setdefault(_plain_name(key), value)
            if ">" in key:
                merged[_plain_name(key)] = value
    return merged


# Registered classes and functions resolve in every ``get``/``deserialize`` of
# initializers, regularizers, constraints, optimizers, losses and metrics.
from ..serialization import EXTRA_LOOKUPS  # noqa: E402

if get_registered_object not in EXTRA_LOOKUPS:
    EXTRA_LOOKUPS.append(get_registered_object)


def _registered_name_or_none(obj):
    return _GLOBAL_CUSTOM_NAMES.get(id(obj))


# ... and Keras 3 records of layers (on the layers floor) name them by their registered name
from ..layers.serialization import REGISTERED_NAME_LOOKUPS  # noqa: E402

if _registered_name_or_none not in REGISTERED_NAME_LOOKUPS:
    REGISTERED_NAME_LOOKUPS.append(_registered_name_or_none)
