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

__all__ = ["layer_class", "layer_from_config", "serialize_layer", "deserialize_layer", "class_name_of",
           "register_model_classes", "model_classes", "UnknownLayerError", "ConfigError"]

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
        return _build(cls, config, custom_objects)
    except (ConfigError, UnsafeDeserializationError):
        raise
    except MALFORMED as error:
        raise ConfigError(f"{where}: cannot be built from its saved config: {describe(error)}") from error


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
            "config": layer.get_config(), "registered_name": None if builtin else class_name}


def deserialize_layer(entry, custom_objects: dict | None = None):
    """The layer a ``serialize_layer`` entry (or Keras' nested layer config) describes."""
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise ConfigError(f"A nested layer config must be a dict with 'class_name' and 'config', got "
                         f"{str(entry)[:200]}")
    return layer_from_config(normalize_entry(entry, custom_objects), custom_objects)
