"""Validate everything, then assign: a load either changes all weights or none.

Readers do not assign as they go.  They collect ``(variable, array)`` pairs
in a ``LoadPlan``, each array checked against its variable's shape and
dtype, then read (and checksummed) and cast to the variable's dtype.  Only
when the whole file has been read and every check has passed does
``apply()`` assign them, so a corrupt file, or one of another architecture,
leaves the model exactly as it was.

Readers hand over datasets unread (``hdf5.StoredArray``): shape and dtype are
compared with the model before any data is read, so a file declaring a
dataset of (100000, 100000) is refused without allocating it.
"""
from __future__ import annotations

import warnings

import numpy

from ..primitives.base import format_shape
from .hdf5 import StoredArray, WeightFileError, materialize

__all__ = ["LoadPlan", "describe_shapes"]


def describe_shapes(arrays) -> str:
    return "[" + ", ".join(format_shape(tuple(a.shape)) for a in arrays) + "]"


def _size(shape) -> int:
    return int(numpy.prod(shape, dtype=object))


class LoadPlan:
    """The assignments one load will make, checked before any is made."""

    def __init__(self, filepath: str, skip_mismatch: bool = False, reshape: bool = False):
        self.filepath = filepath
        self.skip_mismatch = skip_mismatch
        self.reshape = reshape
        self.pairs: list = []
        self.skipped: list = []
        #: calls made after the assignments: layers that load their own state (``load_own_variables``)
        self.deferred: list = []

    def mismatch(self, message: str) -> None:
        """A layer that does not fit: an error, or a warning with ``skip_mismatch``."""
        if self.skip_mismatch:
            warnings.warn(f"Skipping loading weights: {message}", stacklevel=4)
            self.skipped.append(message)
            return
        raise WeightFileError(message)

    def check_layer(self, label: str, variables: list, arrays: list, saved_label: str,
                    names: list | None = None) -> str | None:
        """Why the saved ``arrays`` (read or not) do not fit ``variables``; None if they do.

        Reads no data: only declared shapes and dtypes are compared.
        """
        if len(variables) != len(arrays):
            return (f"Weight count mismatch: {label} expects {len(variables)} weight(s) "
                    f"{describe_shapes(variables)}, but {saved_label} in '{self.filepath}' has {len(arrays)} "
                    f"saved weight(s) {describe_shapes(arrays)}; the file is for another architecture")
        for index, (variable, array) in enumerate(zip(variables, arrays)):
            expected = tuple(variable.shape)
            got = tuple(array.shape)
            if got != expected and not (self.reshape and _size(got) == _size(expected)):
                saved_name = f" (saved as '{names[index]}')" if names else ""
                return (f"Shape mismatch in {label} for weight '{variable.path}': the model expects shape "
                        f"{format_shape(expected)}, {saved_label} in '{self.filepath}' has shape "
                        f"{format_shape(got)}{saved_name}")
        return None

    def add_layer(self, label: str, variables: list, arrays: list, saved_label: str,
                  names: list | None = None) -> bool:
        """Check one layer's saved arrays against its variables; read and queue them if they fit."""
        problem = self.check_layer(label, variables, arrays, saved_label, names)
        if problem is not None:
            self.mismatch(problem)
            return False
        for variable, array in zip(variables, arrays):
            self._check_dtype(array, variable, label)
        prepared = []
        for variable, array in zip(variables, arrays):
            fresh = isinstance(array, StoredArray)
            array = materialize(array)
            expected = tuple(variable.shape)
            if tuple(array.shape) != expected:
                array = array.reshape(expected)
            prepared.append((variable, self._cast(array, variable, copy=not fresh)))
        self.pairs.extend(prepared)
        return True

    def _check_dtype(self, array, variable, label) -> None:
        dtype = numpy.dtype(array.dtype)
        what = f"{label}: weight '{variable.path}' in '{self.filepath}'"
        if isinstance(array, StoredArray):
            array.check_readable()
        elif dtype.kind not in "biufc":
            raise WeightFileError(f"{what} is not numeric (dtype {dtype})")
        if dtype.kind == "c" and numpy.dtype(variable.dtype).kind != "c":
            raise WeightFileError(f"{what} is complex (dtype {dtype}), the variable is {variable.dtype}")

    def _cast(self, array, variable, copy: bool = True):
        target = numpy.dtype(variable.dtype)
        if array.dtype == target:
            return array.copy() if copy else array
        return array.astype(target)

    def defer(self, load) -> None:
        """Call ``load()`` in ``apply``, after the assignments (a layer loading its own state)."""
        self.deferred.append(load)

    def apply(self) -> None:
        for variable, array in self.pairs:
            variable.assign(array)
        for load in self.deferred:
            load()
