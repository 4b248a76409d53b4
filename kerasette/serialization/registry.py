"""Objects by name and by config: the lookup that every ``get`` in kerasette shares.

Initializers, regularizers, constraints, activations, losses, metrics,
optimizers and learning rate schedules are all named the same ways, in user
code and in model files: by a name (``"glorot_uniform"``), by a config dict
(Keras 2's ``{"class_name": "L2", "config": {"l2": 0.01}}`` or Keras 3's, which
adds ``module`` and ``registered_name``), by a class or by an instance.
``ObjectRegistry`` holds one module's table of names and turns each of those
forms into the object, and back.  The modules keep their public ``get``,
``serialize`` and ``deserialize`` as thin functions over their registry, plus
what is theirs alone (activations are functions, optimizer names ignore case,
a loss name may give a function, ...).

A name that neither ``custom_objects`` nor the registry's own table knows is
offered to the callables in ``EXTRA_LOOKUPS`` before the "Unknown ..." error:
the hook through which objects registered elsewhere (kerasette.saving's
``register_keras_serializable``) can be found by every registry at once.

This module sits at the bottom of the package: it imports nothing from
kerasette, so any module may use it.
"""
from __future__ import annotations

import inspect

__all__ = ["ObjectRegistry", "Keras3Registry", "Configurable", "EXTRA_LOOKUPS"]

#: Callables ``lookup(name) -> object or None``, asked in order about a name
#: that custom_objects and a registry's own table do not know.  Empty unless
#: something (kerasette.saving) appends to it.
EXTRA_LOOKUPS: list = []


def _look_up_elsewhere(*names):
    for name in names:
        if name is None:
            continue
        for lookup in EXTRA_LOOKUPS:
            found = lookup(name)
            if found is not None:
                return found
    return None


class ObjectRegistry:
    """One kind of object by name: ``lookup``, ``serialize``, ``deserialize`` and ``get``.

    ``objects_by_name`` is used as it is (not copied): the module that owns
    it may keep it as its own table.  ``serialize`` writes Keras 2's form;
    ``deserialize`` reads Keras 2's and Keras 3's.  ``unknown_error``
    (fields ``kind``, ``name``, ``known``: the names joined, ``known_list``:
    the sorted list) and ``interpret_error`` (fields ``kind``,
    ``identifier``) are the texts of the two ValueErrors.  Subclasses change
    ``find`` for other spellings of a name.  ``base_class`` None (a table of
    functions: activations) leaves only the name lookups usable.

    >>> class Shape:
    ...     def get_config(self):
    ...         return {}
    ...     @classmethod
    ...     def from_config(cls, config):
    ...         return cls(**config)
    >>> class Box(Shape):
    ...     pass
    >>> shapes = ObjectRegistry("shape", Shape, {"Box": Box, "box": Box})
    >>> shapes.serialize(shapes.get("box"))
    {'class_name': 'Box', 'config': {}}
    >>> type(shapes.deserialize({"class_name": "Box", "config": {}})).__name__
    'Box'
    """

    #: Keras 3 looks a config's registered_name up in custom_objects before its class_name
    _registered_name_first = False

    def __init__(self, kind: str, base_class: type | None, objects_by_name: dict, *,
                 unknown_error: str = "Unknown {kind} {name!r}; known: {known}",
                 interpret_error: str = "Cannot interpret {kind} identifier {identifier!r}"):
        self.kind = kind
        self.base_class = base_class
        self.objects_by_name = objects_by_name
        self.unknown_error = unknown_error
        self.interpret_error = interpret_error

    # ------------------------------------------------------------------ names

    def find(self, name):
        """The object the registry's own table calls ``name``, or None."""
        return self.objects_by_name.get(name)

    def unknown(self, name) -> ValueError:
        """The error for a name nothing knows."""
        known = sorted(self.objects_by_name)
        return ValueError(self.unknown_error.format(kind=self.kind, name=name,
                                                    known=", ".join(known), known_list=known))

    def lookup(self, name, custom_objects: dict | None = None):
        """The object called ``name``: from ``custom_objects``, the table, or ``EXTRA_LOOKUPS``."""
        if custom_objects and name in custom_objects:
            return custom_objects[name]
        return self._known_or_extra(name)

    def _known_or_extra(self, name, registered_name=None):
        found = self.find(name)
        if found is None:
            found = _look_up_elsewhere(registered_name, name)
        if found is None:
            raise self.unknown(name)
        return found

    # ---------------------------------------------------------------- configs

    def serialize(self, obj) -> dict | None:
        """``{"class_name", "config"}`` of an instance (None stays None)."""
        if obj is None:
            return None
        if not isinstance(obj, self.base_class):
            base = self.base_class.__name__
            article = "an" if base[0] in "AEIOU" else "a"
            raise ValueError(f"Cannot serialize {obj!r}: it is not {article} {base}")
        return {"class_name": type(obj).__name__, "config": obj.get_config()}

    def resolve(self, config: dict, custom_objects: dict | None = None):
        """The class (or other object) a config dict names, before ``from_config``.

        ``custom_objects`` wins over the table, looked up by ``class_name``
        first (Keras 2) or by ``registered_name`` first (Keras 3).
        """
        class_name = config["class_name"]
        registered = config.get("registered_name")
        if custom_objects:
            keys = (registered, class_name) if self._registered_name_first else (class_name, registered)
            for name in keys:
                if name in custom_objects:
                    return custom_objects[name]
        return self._known_or_extra(class_name, registered)

    def deserialize(self, config: dict, custom_objects: dict | None = None):
        """The instance a ``serialize`` dict (Keras 2 or Keras 3 form) describes."""
        cls = self.resolve(config, custom_objects)
        return cls.from_config(dict(config.get("config") or {}))

    def get(self, identifier):
        """An object from None, a name, a config dict, a class, a callable or an instance.

        A name or a dict that gives a class gives a fresh instance of it; a
        name that gives a function (a loss, say) gives the function.
        """
        if identifier is None or isinstance(identifier, self.base_class):
            return identifier
        if isinstance(identifier, str):
            found = self.lookup(identifier)
        elif isinstance(identifier, dict):
            found = self.deserialize(identifier)
        else:
            found = identifier
        if inspect.isclass(found):
            return found()
        if callable(found):
            return found
        raise ValueError(self.interpret_error.format(kind=self.kind, identifier=identifier))


class Keras3Registry(ObjectRegistry):
    """A registry of classes and plain functions (losses, metrics), in Keras 3's form.

    An instance serializes to ``{"module", "class_name", "config",
    "registered_name"}`` (``module`` for the built-in classes, the class's
    own module and a registered name for others); a named function to
    ``{"class_name": "function", "config": name, ...}``.  ``deserialize``
    also takes None, a name, and Keras 2's dicts (whose class_name may name
    a function); subclasses change ``resolve_function`` and
    ``function_module`` where functions come from elsewhere too.

    >>> class Penalty:
    ...     pass
    >>> def absolute(x):
    ...     return abs(x)
    >>> penalties = Keras3Registry("penalty", Penalty, {"absolute": absolute}, "demo")
    >>> penalties.serialize(absolute)["config"]
    'absolute'
    >>> penalties.get({"class_name": "function", "config": "absolute"})(-2)
    2
    """

    _registered_name_first = True

    def __init__(self, kind: str, base_class: type, objects_by_name: dict, module: str, *,
                 interpret_error: str = "Could not interpret {kind} identifier: {identifier!r}",
                 **messages):
        super().__init__(kind, base_class, objects_by_name, interpret_error=interpret_error,
                         **messages)
        self.module = module

    def serialize(self, obj) -> dict | None:
        if obj is None:
            return None
        if isinstance(obj, self.base_class):
            builtin = type(obj) in self.objects_by_name.values()
            class_name = type(obj).__name__
            return {"module": self.module if builtin else type(obj).__module__,
                    "class_name": class_name, "config": obj.get_config(),
                    "registered_name": None if builtin else class_name}
        if callable(obj):
            return self.serialize_function(obj)
        raise ValueError(f"Cannot serialize {obj!r}: it is not a {self.kind}")

    def serialize_function(self, fn) -> dict:
        """Keras 3's record of a function: ``{"class_name": "function", "config": name, ...}``."""
        name = getattr(fn, "__name__", None)
        if name is None:
            raise ValueError(f"Cannot serialize {fn!r}: it is neither a {self.base_class.__name__} "
                             "nor a named function")
        return {"module": self.function_module(fn), "class_name": "function", "config": name,
                "registered_name": name}

    def function_module(self, fn) -> str:
        return self.module

    def resolve_function(self, name, config: dict, custom_objects: dict | None = None):
        """What a function record (``config``) naming ``name`` stands for."""
        return self.lookup(name, custom_objects)

    def deserialize(self, config, custom_objects: dict | None = None):
        """The instance or function a ``serialize`` dict, a Keras 2 dict or a name describes."""
        if config is None:
            return None
        if isinstance(config, str):
            return self.lookup(config, custom_objects)
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"Cannot deserialize a {self.kind} from {config!r}")
        if config["class_name"] in ("function", "builtins.function"):
            name = config.get("registered_name") or config.get("config")
            return self.resolve_function(name, config, custom_objects)
        found = self.resolve(config, custom_objects)
        if not inspect.isclass(found):
            return found   # a function stored under its own name (Keras 2's form)
        return found.from_config(dict(config.get("config") or {}))


class Configurable:
    """Mixin for objects rebuilt from ``get_config()``: ``from_config`` and a readable repr.

    >>> class Scale(Configurable):
    ...     def __init__(self, factor=1.0):
    ...         self.factor = factor
    ...     def get_config(self):
    ...         return {"factor": self.factor}
    >>> Scale.from_config({"factor": 2.0})
    Scale(factor=2.0)
    """

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        try:
            arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            # an abstract base whose subclass forgot get_config still prints
            arguments = ""
        return f"{type(self).__name__}({arguments})"
