"""The array module and the numeric defaults every other room reads.

Everything that does array math asks this module for ``xp`` (numpy by
default, cupy on request) instead of importing numpy by name, so that a GPU
backend is a switch here and nowhere else.  It also owns ``floatx`` (the
default float type, float32 like Keras), ``epsilon`` and the seeded random
generator used for initializers and dropout.
"""
from __future__ import annotations

import importlib

import numpy

_state = {
    "xp": numpy,
    "floatx": "float32",
    "epsilon": 1e-7,
    "rng": numpy.random.default_rng(),
}


def array_module():
    """The module arrays are made with: numpy, or cupy after ``set_array_module('cupy')``."""
    return _state["xp"]


def set_array_module(name: str) -> None:
    """Switch the array module (``'numpy'`` or ``'cupy'``) for everything computed afterwards."""
    if name == "numpy":
        _state["xp"] = numpy
        return
    if name != "cupy":
        raise ValueError(f"Unknown array module {name!r}: expected 'numpy' or 'cupy'.")
    try:
        _state["xp"] = importlib.import_module("cupy")
    except ImportError as error:
        raise ImportError(
            "The GPU backend needs cupy: pip install 'kerasette[gpu]' "
            "(or a cupy wheel matching your CUDA version)."
        ) from error


def floatx() -> str:
    """The default float type as a string, ``'float32'`` unless changed."""
    return _state["floatx"]


def set_floatx(value: str) -> None:
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"Unknown floatx {value!r}: expected float16, float32 or float64.")
    _state["floatx"] = value


def epsilon() -> float:
    """The fuzz factor Keras adds to avoid division by zero (1e-7)."""
    return _state["epsilon"]


def set_epsilon(value: float) -> None:
    _state["epsilon"] = float(value)


def set_seed(seed: int | None) -> None:
    """Seed the generator behind initializers and dropout, for repeatable runs."""
    _state["rng"] = numpy.random.default_rng(seed)


def rng() -> numpy.random.Generator:
    """The shared random generator (a numpy Generator)."""
    return _state["rng"]


# ------------------------------------------------------------------ naming

_name_counts: dict = {}
_clear_session_hooks: list = []


def unique_object_name(base: str, zero_based: bool = True) -> str:
    """Keras' layer naming: ``dense``, ``dense_1``, ... (or ``input_1``, ``input_2``).

    ``zero_based=False`` numbers from 1 (``input_1``), as tf.keras does for inputs.
    """
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    if zero_based:
        return base if count == 0 else f"{base}_{count}"
    return f"{base}_{count + 1}"


def on_clear_session(hook) -> None:
    """Register a function that ``clear_session`` calls (higher floors reset their state)."""
    _clear_session_hooks.append(hook)


def clear_session() -> None:
    """Forget generated names (the next Dense is ``dense`` again) and reset graphs."""
    _name_counts.clear()
    for hook in _clear_session_hooks:
        hook()


def is_array(value) -> bool:
    return isinstance(value, _state["xp"].ndarray)


def as_array(value, dtype=None):
    """Turn a Python number, list or array into an array of the backend.

    Python floats become ``floatx`` (like Keras), integers keep numpy's
    default, and arrays keep their dtype unless ``dtype`` is given.
    """
    xp = _state["xp"]
    if dtype is not None:
        return xp.asarray(value, dtype=dtype)
    if isinstance(value, xp.ndarray):
        return value
    if isinstance(value, numpy.generic):
        return xp.asarray(value)   # a numpy scalar keeps its dtype (float64 stays float64)
    array = xp.asarray(value)
    if array.dtype.kind == "f" and array.dtype != xp.dtype(floatx()):
        array = array.astype(floatx())
    return array
