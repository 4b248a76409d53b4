"""Configs for layers their authors wrote without ``get_config()``, as Keras 3 makes them.

Keras 3 remembers the arguments a layer was constructed with: when the class
does not define ``get_config()``, the config is the layer's ``name`` followed
by every argument of ``__init__`` (defaults filled in, ``**kwargs`` spread
out), then ``trainable`` and ``dtype``.  So ``CustomDense(10)`` saved inside a
functional model comes back as ``CustomDense(10)``, not with its default
units (the functional-API guide's custom layer).  Only plain values are
remembered (str, int, float, bool, None, in lists, tuples and dicts); a layer
built from anything else, from ``*args``, or with positional-only parameters
has no automatic config, and its ``get_config()`` refuses, naming the class.

kerasette's own layers define their configs themselves and are left out.
"""
from __future__ import annotations

import inspect

__all__ = ["record", "automatic_config"]

_PLAIN = (str, int, float, bool, type(None))

# what record() leaves on a layer: the arguments, or why there are none
_NOT_PLAIN = "not plain"
_POSITIONAL = "positional"


def _plain(value) -> bool:
    if isinstance(value, dict):
        return all(_plain(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return all(_plain(item) for item in value)
    return isinstance(value, _PLAIN)


def record(cls, args, kwargs):
    """The arguments ``cls(*args, **kwargs)`` is being built with, as a config (a dict), or
    ``_NOT_PLAIN`` / ``_POSITIONAL`` when they cannot make one; None for kerasette's classes."""
    if cls.__module__.split(".")[0] == "kerasette":
        return None
    try:
        signature = inspect.signature(cls.__init__)
        spec = inspect.getfullargspec(cls.__init__)
        bound = signature.bind(None, *args, **kwargs)
    except (TypeError, ValueError):
        return _NOT_PLAIN
    own = spec.args[0] if spec.args else None
    if any(parameter.kind is inspect.Parameter.POSITIONAL_ONLY
           for name, parameter in signature.parameters.items() if name != own):
        return _POSITIONAL
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    if spec.varkw is not None:
        arguments.update(arguments.pop(spec.varkw, {}))
    arguments.pop(own, None)
    arguments.pop("name", None)
    if spec.varargs is not None and arguments.pop(spec.varargs, ()):
        return _POSITIONAL
    if not all(_plain(value) for value in arguments.values()):
        return _NOT_PLAIN
    return arguments


def automatic_config(layer, base: dict) -> dict | None:
    """The config of ``layer`` from its recorded arguments (``base``: name, trainable, dtype),
    or None when the layer has none to give (kerasette's own classes, layers made before)."""
    recorded = layer.__dict__.get("_auto_config")
    if recorded is None:
        return None
    if not isinstance(recorded, dict):
        why = ("positional-only or *args parameters" if recorded == _POSITIONAL
               else "argument values other than str, int, float, bool or None")
        raise NotImplementedError(
            f"Layer '{layer.name}' ({type(layer).__name__}) cannot make its config by itself: its "
            f"__init__ was given {why}. Define get_config() (returning the arguments that rebuild "
            f"it) and, if needed, from_config().")
    config = {"name": base["name"], **recorded,
              **{key: value for key, value in base.items() if key != "name"}}
    parameters = inspect.signature(type(layer).__init__).parameters
    takes_kwargs = "kwargs" in parameters and parameters["kwargs"].kind is inspect.Parameter.VAR_KEYWORD
    if "name" not in parameters and not takes_kwargs:
        config.pop("name")          # __init__ could not take it back
    return config
