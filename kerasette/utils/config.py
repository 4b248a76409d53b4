"""``keras.utils.Config``: a dict of named settings that also reads and writes as attributes.

>>> config = Config(learning_rate=0.1)
>>> config.momentum = 0.9
>>> config["seed"] = 123
>>> config.learning_rate, config["momentum"], sorted(config)
(0.1, 0.9, ['learning_rate', 'momentum', 'seed'])
>>> config.freeze()
>>> config.seed = 1
Traceback (most recent call last):
...
ValueError: Cannot mutate attribute(s) because the config is frozen.

As in Keras 3: iteration gives the keys sorted, ``keys``/``values``/``items``
give them in insertion order, ``as_dict`` is a shallow copy, ``to_json`` the
JSON text, and an unknown attribute's ``AttributeError`` suggests the
closest key.  Names of the class's own attributes and methods (``freeze``,
``keys``...) stay those; such keys are reached with ``config["keys"]``.
"""
from __future__ import annotations

import copy
import difflib
import json

__all__ = ["Config"]


class Config:
    """Named values, reachable as ``config.name`` and ``config["name"]``, freezable."""

    def __init__(self, **kwargs):
        object.__setattr__(self, "_values", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    # -- freezing ---------------------------------------------------------------

    @property
    def frozen(self) -> bool:
        """Whether changes are refused (after ``freeze()``)."""
        return self._frozen

    def freeze(self) -> None:
        """Refuse every later change (setting, deleting, ``pop``, ``update``) until ``unfreeze()``."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        """Allow changes again."""
        object.__setattr__(self, "_frozen", False)

    def _refuse_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen.")

    # -- dict face --------------------------------------------------------------

    def as_dict(self) -> dict:
        """A shallow copy of the values as a plain dict."""
        return copy.copy(self._values)

    def to_json(self) -> str:
        """The values as JSON text."""
        return json.dumps(self._values)

    def keys(self):
        return self._values.keys()

    def values(self):
        return self._values.values()

    def items(self):
        return self._values.items()

    def get(self, keyname, value=None):
        """``config[keyname]``, or ``value`` when it is not set."""
        return self._values.get(keyname, value)

    def pop(self, *args):
        self._refuse_if_frozen()
        return self._values.pop(*args)

    def update(self, *args, **kwargs):
        self._refuse_if_frozen()
        self._values.update(*args, **kwargs)

    def __getitem__(self, key):
        return self._values[key]

    def __setitem__(self, key, value):
        self._refuse_if_frozen()
        self._values[key] = value

    def __delitem__(self, key):
        self._refuse_if_frozen()
        del self._values[key]

    def __contains__(self, key) -> bool:
        return key in self._values

    def __iter__(self):
        return iter(sorted(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"<Config {self._values}>"

    # -- attribute face ---------------------------------------------------------

    def __getattr__(self, name):
        # only called when normal lookup fails: the name is a setting, or unknown
        values = self.__dict__.get("_values")
        if values is None:     # copy/pickle probing a half-made instance
            raise AttributeError(name)
        if name in values:
            return values[name]
        message = f"Unknown attribute: '{name}'."
        close = difflib.get_close_matches(name, [key for key in values if isinstance(key, str)], n=1, cutoff=0.7)
        if close:
            message += f" Did you mean '{close[0]}'?"
        raise AttributeError(message)

    def __setattr__(self, name, value):
        if hasattr(type(self), name) or name in self.__dict__:
            object.__setattr__(self, name, value)
            return
        self._refuse_if_frozen()
        self._values[name] = value
