"""What a layer call may take positionally, checked before the layer builds or runs.

As in Keras 3: arguments after the first that are not tensors (a Python number, bool,
string) must be passed by keyword (``ValueError`` naming the value and its type), unless the
layer sets ``_allow_non_tensor_positional_args``; and a positional argument may not land on
``call``'s ``training`` parameter, which the layer call passes itself (``TypeError``, the
message Python gives for a twice-given argument; ``model(x, y)`` meets it on a functional
model, whose ``call`` is ``call(inputs, training=None, mask=None)``).
"""
from __future__ import annotations

import inspect

import numpy

from .. import backend
from ..eager import Tensor
from ..engine import Node
from .structure import flatten


def _is_tensor(value) -> bool:
    return value is None or backend.is_array(value) or isinstance(value, (Tensor, Node, numpy.ndarray, numpy.generic))


def _positional_names(cls) -> tuple:
    """The names ``cls.call`` takes positionally after ``self`` (cached on the class)."""
    cached = cls.__dict__.get("_positional_call_names")
    if cached is None:
        parameters = list(inspect.signature(cls.call).parameters.values())[1:]
        cached = tuple(p.name for p in parameters
                       if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
        type.__setattr__(cls, "_positional_call_names", cached)
    return cached


def check_positional_arguments(layer, args) -> None:
    """Refuse ``args`` (a layer call's positional arguments, two or more) as Keras 3 does."""
    if not getattr(layer, "_allow_non_tensor_positional_args", False):
        for value in flatten(list(args[1:])):
            if not _is_tensor(value):
                raise ValueError(
                    "Only input tensors may be passed as positional arguments. The following argument value "
                    f"should be passed as a keyword argument: {value!r} (of type {type(value)})")
    if "training" in _positional_names(type(layer))[:len(args)]:
        raise TypeError(f"{type(layer).__name__}.call() got multiple values for argument 'training'")
