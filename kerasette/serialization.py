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

__all__ = ["ObjectRegistry", "Configurable", "EXTRA_LOOKUPS"]

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
    it may keep it as its own table.  ``module`` (``"keras.losses"``) makes
    ``serialize`` write Keras 3's form and ``deserialize`` prefer a
    config's ``registered_name``, as Keras 3 does; without it both follow
    Keras 2.  ``unknown_error`` (fields ``kind``, ``name``, ``known``: the
    names joined, ``known_list``: the sorted list) and ``interpret_error``
    (fields ``kind``, ``identifier``) are the texts of the two ValueErrors.
    Subclasses change ``find`` for other spellings of a name.

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

    def __init__(self, kind: str, base_class: type | None, objects_by_name: dict, *,
                 module: str | None = None,
                 unknown_error: str = "Unknown {kind} {name!r}; known: {known}",
                 interpret_error: str = "Cannot interpret {kind} identifier {identifier!r}"):
        self.kind = kind
        self.base_class = base_class
        self.objects_by_name = objects_by_name
        self.module = module
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
        """``{"class_name", "config"}`` of an instance (Keras 3's four keys with ``module``)."""
        if obj is None:
            return None
        if not isinstance(obj, self.base_class):
            base = self.base_class.__name__
            article = "an" if base[0] in "AEIOU" else "a"
            raise ValueError(f"Cannot serialize {obj!r}: it is not {article} {base}")
        class_name = type(obj).__name__
        if self.module is None:
            return {"class_name": class_name, "config": obj.get_config()}
        builtin = type(obj) in self.objects_by_name.values()
        return {"module": self.module if builtin else type(obj).__module__,
                "class_name": class_name, "config": obj.get_config(),
                "registered_name": None if builtin else class_name}

    def resolve(self, config: dict, custom_objects: dict | None = None):
        """The class (or other object) a config dict names, before ``from_config``.

        ``custom_objects`` wins over the table, looked up by ``class_name``
        first in Keras 2's form and by ``registered_name`` first in Keras 3's.
        """
        class_name = config["class_name"]
        registered = config.get("registered_name")
        if custom_objects:
            for name in (registered, class_name) if self.module else (class_name, registered):
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
