"""Validate everything, then assign: a load either changes all weights or none.

Readers do not assign as they go.  They collect ``(variable, array)`` pairs
in a ``LoadPlan``, each array already read (and checksummed), cast to the
variable's dtype and checked against its shape.  Only when the whole file
has been read and every check has passed does ``apply()`` assign them, so a
corrupt file, or one of another architecture, leaves the model exactly as it
was.
"""
from __future__ import annotations

import warnings

import numpy

from ..primitives.base import format_shape
from .hdf5 import WeightFileError

__all__ = ["LoadPlan", "describe_shapes"]


def describe_shapes(arrays) -> str:
    return "[" + ", ".join(format_shape(tuple(a.shape)) for a in arrays) + "]"


class LoadPlan:
    """The assignments one load will make, checked before any is made."""

    def __init__(self, filepath: str, skip_mismatch: bool = False, reshape: bool = False):
        self.filepath = filepath
        self.skip_mismatch = skip_mismatch
        self.reshape = reshape
        self.pairs: list = []
        self.skipped: list = []

    def mismatch(self, message: str) -> None:
        """A layer that does not fit: an error, or a warning with ``skip_mismatch``."""
        if self.skip_mismatch:
            warnings.warn(f"Skipping loading weights: {message}", stacklevel=4)
            self.skipped.append(message)
            return
        raise WeightFileError(message)

    def add_layer(self, label: str, variables: list, arrays: list, saved_label: str,
                  names: list | None = None) -> bool:
        """Check one layer's saved arrays against its variables; queue them if they fit."""
        if len(variables) != len(arrays):
            self.mismatch(
                f"Weight count mismatch: {label} expects {len(variables)} weight(s) "
                f"{describe_shapes(variables)}, but {saved_label} in '{self.filepath}' has {len(arrays)} "
                f"saved weight(s) {describe_shapes(arrays)}; the file is for another architecture")
            return False
        prepared = []
        for index, (variable, array) in enumerate(zip(variables, arrays)):
            expected = tuple(variable.shape)
            got = tuple(array.shape)
            if got != expected:
                if self.reshape and int(numpy.prod(got)) == int(numpy.prod(expected)):
                    array = array.reshape(expected)
                else:
                    saved_name = f" (saved as '{names[index]}')" if names else ""
                    self.mismatch(
                        f"Shape mismatch in {label} for weight '{variable.path}': the model expects shape "
                        f"{format_shape(expected)}, {saved_label} in '{self.filepath}' has shape "
                        f"{format_shape(got)}{saved_name}")
                    return False
            prepared.append((variable, self._cast(array, variable, label)))
        self.pairs.extend(prepared)
        return True

    def _cast(self, array, variable, label):
        target = numpy.dtype(variable.dtype)
        if array.dtype == target:
            return array.copy()
        if array.dtype.kind == "c" and target.kind != "c":
            raise WeightFileError(f"{label}: weight '{variable.path}' is complex in '{self.filepath}'")
        return array.astype(target)

    def apply(self) -> None:
        for variable, array in self.pairs:
            variable.assign(array)
