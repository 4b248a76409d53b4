"""``InputSpec``: what a layer accepts, checked on every call (``keras.InputSpec``).

A layer's ``input_spec`` is an ``InputSpec``, or a list (or nested structure)
of them, one per input, ``None`` where anything goes.  Each spec may fix the
input's rank (``ndim``, ``min_ndim``, ``max_ndim``), its dtype, its whole
shape (``shape``, ``None`` for a free axis, the batch axis included) or the
sizes of some axes (``axes``).  ``allow_last_axis_squeeze`` lets a spec of
shape ``(*s, 1)`` take inputs of shape ``s`` and a spec of shape ``s`` take
``(*s, 1)``; ``name`` is the key of this input when inputs come as a dict;
``optional`` lets the input be ``None``.

``Layer.__call__`` checks the first argument against the spec before calling
the layer (``assert_input_compatibility``); a mismatch raises a ``ShapeError``
(a ``ValueError``) naming the layer, the input and both shapes, or a
``ValueError`` for a wrong dtype or count of inputs, before anything runs.
"""
from __future__ import annotations

from .. import backend
from ..primitives.base import ShapeError, format_shape
from .structure import flatten


class InputSpec:
    """What one input of a layer must be: rank limits, dtype, shape, sizes of some axes."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = None if dtype is None else backend.standardize_dtype(dtype)
        if shape is not None:
            self.shape = tuple(None if size is None else int(size) for size in shape)
            self.ndim = len(self.shape)
        else:
            self.shape = None
            self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            self.axes = {int(axis): size for axis, size in dict(axes or {}).items()}
        except (TypeError, ValueError):
            raise TypeError(f"InputSpec: axes must be a dict with integer keys, got axes={axes!r}") from None
        rank = self.ndim if self.ndim is not None else self.max_ndim
        if self.axes and rank is not None and max(self.axes) > rank - 1:
            raise ValueError(f"InputSpec: axis {max(self.axes)} is greater than the largest axis of an input "
                             f"of rank {rank} ({rank - 1})")

    def __repr__(self):
        fields = (("dtype", self.dtype), ("shape", self.shape), ("ndim", self.ndim), ("max_ndim", self.max_ndim),
                  ("min_ndim", self.min_ndim), ("axes", self.axes))
        return "InputSpec(" + ", ".join(f"{key}={value}" for key, value in fields if value) + ")"

    def get_config(self) -> dict:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes, "optional": self.optional}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def check(self, layer, x, index=0):
        """Raise if ``x`` (anything with ``.shape``; its ``.dtype`` when the spec fixes one)
        does not fit, naming ``layer`` and, for a layer of several inputs, which one."""
        where = f"{type(layer).__name__} '{layer.name}'"
        if index or self.name:
            where += f" (input {index}" + (f" '{self.name}'" if self.name else "") + ")"
        if not hasattr(x, "shape"):
            raise ValueError(f"{where} takes tensors as inputs, got {x!r} of type {type(x).__name__}")
        shape = tuple(None if size is None else int(size) for size in x.shape)
        rank = len(shape)
        if self.ndim is not None and not self.allow_last_axis_squeeze and rank != self.ndim:
            raise ShapeError(f"{where} expects an input of rank {self.ndim}, got shape {format_shape(shape)}")
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ShapeError(f"{where} expects an input of rank at least {self.min_ndim}, "
                             f"got shape {format_shape(shape)}")
        if self.max_ndim is not None and rank > self.max_ndim:
            raise ShapeError(f"{where} expects an input of rank at most {self.max_ndim}, "
                             f"got shape {format_shape(shape)}")
        if self.dtype is not None:
            dtype = backend.standardize_dtype(x.dtype)
            if dtype != self.dtype:
                raise ValueError(f"{where} expects an input of dtype {self.dtype}, got {dtype} "
                                 f"(shape {format_shape(shape)})")
        for axis, size in self.axes.items():
            if size is None:
                continue
            if not -rank <= axis < rank:
                raise ShapeError(f"{where} expects an input with an axis {axis} (of size {size}), "
                                 f"got shape {format_shape(shape)}")
            if shape[axis] is not None and shape[axis] != size:
                axis_name = "last axis" if axis == -1 else f"axis {axis}"
                raise ShapeError(f"{where} expects an input with {axis_name} {size}, got {format_shape(shape)}")
        if self.shape is not None:
            self._check_shape(where, shape)

    def _check_shape(self, where, shape):
        expected, given, note = self.shape, shape, ""
        if self.allow_last_axis_squeeze:
            note = " (a last axis of 1 may be added or left out)"
            if len(given) == len(expected) + 1 and given[-1] == 1:
                given = given[:-1]
            elif len(expected) == len(given) + 1 and expected[-1] == 1:
                expected = expected[:-1]
        # with the squeeze allowed, ranks that still differ compare their leading axes only (as
        # Keras 3.15 does: a functional model adjusts or refuses the rank of its own inputs)
        if (len(given) != len(expected) and not self.allow_last_axis_squeeze) or any(
                want is not None and got is not None and want != got for want, got in zip(expected, given)):
            raise ShapeError(f"{where} expects an input of shape {format_shape(self.shape)}{note}, "
                             f"got {format_shape(shape)}")


def assert_input_compatibility(input_spec, inputs, layer) -> None:
    """Check ``inputs`` (the first argument of a call: one tensor, a list, a dict or any
    nesting of them) against ``input_spec`` (one spec or a structure of specs)."""
    if not input_spec:
        return
    if isinstance(input_spec, InputSpec) and not isinstance(inputs, (list, tuple, dict)):
        if not (inputs is None and input_spec.optional):
            input_spec.check(layer, inputs)
        return
    specs = flatten(input_spec)
    if isinstance(inputs, dict):
        names = [spec.name if spec is not None else None for spec in specs]
        if all(names):
            missing = [name for name in names if name not in inputs]
            if missing:
                raise ValueError(f"{type(layer).__name__} '{layer.name}' is missing the input "
                                 f"{missing[0]!r}: it expects the keys {names}, got {list(inputs)}")
            inputs = [inputs[name] for name in names]
    given = flatten(inputs)
    if len(given) != len(specs):
        raise ValueError(f"{type(layer).__name__} '{layer.name}' expects {len(specs)} input(s), "
                         f"got {len(given)}")
    for index, (x, spec) in enumerate(zip(given, specs)):
        if spec is None or (x is None and spec.optional):
            continue
        spec.check(layer, x, index)
