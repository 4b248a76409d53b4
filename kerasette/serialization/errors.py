"""The error every config reader raises for a config it cannot turn into objects."""
from __future__ import annotations

__all__ = ["ConfigError", "describe"]


class ConfigError(ValueError):
    """A saved config (JSON, a model file's ``model_config``, ``from_config``) that cannot be
    rebuilt; the message names the layer or model and what is wrong with its config."""


def describe(error: BaseException) -> str:
    """A short text for an exception raised while reading a config."""
    if isinstance(error, KeyError):
        return f"it has no entry {error}"
    if isinstance(error, ValueError):
        return str(error)
    return f"{type(error).__name__}: {error}"


#: what a malformed config can make ordinary Python code raise; readers turn these into ConfigError
MALFORMED = (TypeError, ValueError, KeyError, IndexError, AttributeError, NotImplementedError,
             ArithmeticError, RecursionError)
