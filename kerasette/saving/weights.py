"""``save_weights`` / ``load_weights``: the file format chosen by name, the layout found by content.

Saving: a name ending in ``.weights.h5`` gets Keras 3's layout (Keras 3
insists on that suffix and reads it with its new loader); any other name
gets Keras' legacy layout, which tf.keras, Keras 2 and Keras 3 all read.

Loading looks inside the file instead of trusting its name: a root with
``layer_names`` is the legacy layout, a ``model_weights`` group is a whole
model file (its weights are read), ``layers``/``vars`` groups are Keras 3's
layout.  Everything is read and checked first; weights change only if the
whole file fits the model.
"""
from __future__ import annotations

import os

from .hdf5 import WeightFileError, open_for_reading, writing
from . import keras3_weights, legacy_h5

__all__ = ["save_weights", "load_weights", "plan_weights"]


def _uses_keras3_layout(filepath: str) -> bool:
    return filepath.endswith(".weights.h5")


def save_weights(model, filepath, overwrite: bool = True, save_format=None, **kwargs) -> None:
    """Write ``model``'s weights to ``filepath`` (atomically).

    >>> model.save_weights("w.h5")            # legacy layout (tf.keras, Keras 2, Keras 3)
    >>> model.save_weights("w.weights.h5")    # Keras 3's layout
    """
    filepath = os.fspath(filepath)
    if kwargs.pop("max_shard_size", None) is not None:
        raise NotImplementedError("Sharded weight files (max_shard_size) are not supported by kerasette")
    if kwargs:
        raise TypeError(f"save_weights got unexpected arguments {sorted(kwargs)}")
    if save_format not in (None, "h5", "keras", "hdf5"):
        raise ValueError(f"kerasette saves weights as HDF5 only; save_format={save_format!r} is not supported")
    if filepath.endswith(".keras"):
        raise ValueError(f"'{filepath}' is the name of a whole-model '.keras' archive: use model.save() for it, "
                         "or a '.weights.h5' name for the weights alone")
    legacy_h5.check_has_weights(model)
    with writing(filepath, overwrite=overwrite) as handle:
        if _uses_keras3_layout(filepath):
            keras3_weights.save_weights_to_file(handle, model)
        else:
            legacy_h5.save_weights_to_group(handle, model)


def plan_weights(handle, model, filepath: str, by_name=False, skip_mismatch=False, reshape=False):
    """The checked assignments that loading ``handle`` into ``model`` makes (none made yet)."""
    if legacy_h5.is_legacy_weights_group(handle):
        return legacy_h5.plan_weights_from_group(handle, model, filepath, by_name, skip_mismatch, reshape)
    model_weights = handle.get("model_weights")
    if model_weights is not None and legacy_h5.is_legacy_weights_group(model_weights):
        return legacy_h5.plan_weights_from_group(model_weights, model, filepath, by_name, skip_mismatch, reshape)
    if keras3_weights.is_keras3_weights_file(handle):
        if reshape:
            raise ValueError("reshape=True is only supported for legacy '.h5' weight files")
        return keras3_weights.plan_weights_from_file(handle, model, filepath, skip_mismatch=skip_mismatch,
                                                     by_name=by_name)
    raise WeightFileError(
        f"'{filepath}' is an HDF5 file but holds no Keras weights: no 'layer_names' attribute, no "
        "'model_weights' group and no Keras 3 'layers'/'vars' groups")


def load_weights(model, filepath, by_name: bool = False, skip_mismatch: bool = False,
                 reshape: bool = False, **kwargs) -> None:
    """Load weights written by kerasette, tf.keras / Keras 2 or Keras 3 into ``model``.

    Topological matching by default (layers with weights, in order);
    ``by_name=True`` matches layer names; ``skip_mismatch=True`` skips, with
    a warning, layers whose weight count or shapes differ.  A ``.keras``
    file's weights load too.  Nothing changes unless the whole file fits.
    """
    if kwargs:
        raise TypeError(f"load_weights got unexpected arguments {sorted(kwargs)}")
    filepath = os.fspath(filepath)
    from .keras_zip import is_keras_zip, open_zip_weights
    opened = open_zip_weights(filepath, model) if is_keras_zip(filepath) else open_for_reading(filepath)
    with opened as handle:
        try:
            plan = plan_weights(handle, model, filepath, by_name, skip_mismatch, reshape)
        except (OSError, RuntimeError, KeyError) as error:
            raise WeightFileError(f"Cannot read '{filepath}': the file is corrupt ({error})") from None
    plan.apply()
