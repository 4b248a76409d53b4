"""Whole models in one file: ``save_model`` / ``load_model``.

A ``.keras`` name gives Keras 3's zip archive (``keras_zip``); any other
name Keras' legacy HDF5 layout.  A legacy model file holds, as tf.keras
writes it::

    /  @model_config     JSON {"class_name": "Functional" | "Sequential", "config": {...}}
       @training_config  JSON (compiled models): optimizer config, loss, metrics, loss weights
       @backend @keras_version
    model_weights/       the legacy weights layout (see ``legacy_h5``)
    optimizer_weights/   @weight_names: every optimizer variable (iterations, learning rate,
                         slots), in ``optimizer.variables`` order

so tf.keras and Keras 3 load kerasette's files with ``load_model``, and
kerasette loads theirs.  The optimizer's state comes back with the model:
after ``save``, ``load_model`` and one more ``fit`` step, the weights equal
those of the run that never stopped.

``load_model`` reads both, whoever wrote them (kerasette, tf.keras, Keras 2
or Keras 3).  It never runs code from a file (no pickle; Lambda bytecode
only with ``safe_mode=False``), and reads and checks the whole file before
returning anything.  A model from a file Keras 2 wrote computes what Keras 2
computed: its ``"hard_sigmoid"`` is Keras 2's (``activations.keras2_names``).
"""
from __future__ import annotations

import json
import os
import warnings
import zlib

import h5py

from .. import activations
from . import legacy_h5, serialization
from .hdf5 import (StoredArray, WeightFileError, open_for_reading, read_string, read_string_list, write_dataset,
                   write_string_list, writing)
from .json_text import parse_json
from .keras_zip import (is_keras_zip, load_zip_assets, open_zip_weights, read_zip_config, read_zip_metadata,
                        write_keras_zip)
from .object_registration import resolve_custom_objects
from .plan import LoadPlan

__all__ = ["save_model", "load_model"]

_CHECKSUMS = "kerasette_checksums"


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf8"))


def save_model(model, filepath, overwrite: bool = True, include_optimizer: bool = True,
               save_format=None, **kwargs) -> None:
    """Write the whole model to one file, atomically: Keras 3's ``.keras`` archive for a
    ``.keras`` name, else HDF5 in the legacy layout (``.h5``), which tf.keras reads too.

    Both hold the architecture, the weights, the compile() arguments and the
    optimizer's state (``include_optimizer=False`` leaves the last two out of
    an HDF5 file; like Keras 3, a ``.keras`` file always holds them).
    ``save_format`` is Keras 3's: accepted (with a warning) beside a name
    that says the format, an error otherwise.

    >>> model.save("model.keras")
    >>> restored = kerasette.models.load_model("model.keras")
    """
    filepath = os.fspath(filepath)
    kwargs.pop("signatures", None)
    kwargs.pop("options", None)
    if kwargs.pop("zipped", None) is False:
        raise ValueError("kerasette writes '.keras' files as zip archives only: zipped=False (an unzipped "
                         "folder, for the Hugging Face Hub) is not supported")
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs)}")
    if save_format:
        if not filepath.endswith((".h5", ".hdf5", ".keras")):
            raise ValueError("The `save_format` argument is deprecated in Keras 3. Please remove this argument "
                             "and pass a file path with either `.keras` or `.h5` extension. "
                             f"Received: save_format={save_format}")
        warnings.warn("The `save_format` argument is deprecated in Keras 3. We recommend removing this argument "
                      f"as it can be inferred from the file path. Received: save_format={save_format}",
                      stacklevel=3)
    if filepath.endswith(".weights.h5"):
        raise ValueError(f"'{filepath}' is a weights file name: use model.save_weights() for it, "
                         "or a '.keras' (or '.h5') name for the whole model")
    if filepath.endswith(".keras"):
        # a subclassed model is written as Keras 3 writes it: its class's record (get_config) with
        # its build_config; loading needs the class (registered, or in custom_objects)
        write_keras_zip(model, filepath, overwrite=overwrite)
        return
    architecture = serialization.architecture_config(model)
    legacy_h5.check_has_weights(model)
    _warn_assets_left_out(model, filepath)
    model_json = json.dumps(architecture, default=serialization.json_default)
    compiled = getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None
    training_json = None
    if include_optimizer and compiled:
        training_json = json.dumps(serialization.training_config(model), default=serialization.json_default)
    with writing(filepath, overwrite=overwrite) as handle:
        legacy_h5.write_root_attributes(handle)
        handle.attrs["model_config"] = model_json
        checksums = {"model_config": _crc(model_json)}
        if training_json is not None:
            handle.attrs["training_config"] = training_json
            checksums["training_config"] = _crc(training_json)
        handle.attrs[_CHECKSUMS] = json.dumps(checksums)
        legacy_h5.save_weights_to_group(handle.create_group("model_weights"), model)
        if include_optimizer and compiled and model.optimizer.built:
            _save_optimizer_weights(handle.create_group("optimizer_weights"), model.optimizer)


def _warn_assets_left_out(model, filepath) -> None:
    """Legacy HDF5 has no place for assets (a lookup layer's learned vocabulary): say so, where Keras
    3 and tf.keras lose them silently."""
    from .keras_zip import _assets
    if not any(callable(getattr(layer, "save_assets", None)) for layer in getattr(model, "layers", [])):
        return
    owners = sorted({name.split("/")[2] for name, _ in _assets(model) if name.startswith("assets/layers/")})
    if owners:
        warnings.warn(f"'{filepath}': legacy HDF5 files cannot hold the assets (learned vocabularies) of the "
                      f"layers at {owners}; they load without them. Save as '.keras' to keep them.", stacklevel=3)


def _save_optimizer_weights(group, optimizer) -> None:
    variables = optimizer.variables
    names, used = [], set()
    for variable in variables:
        name = str(getattr(variable, "legacy_path", None) or getattr(variable, "path", None) or variable.name)
        stem, suffix = name, 1
        while name in used:
            name = f"{stem}_{suffix}"
            suffix += 1
        used.add(name)
        names.append(name)
    write_string_list(group, "weight_names", names)
    for name, variable in zip(names, variables):
        write_dataset(group, name, variable.numpy())


# ------------------------------------------------------------------- loading
def _checked_text(handle, name, filepath):
    try:
        text = read_string(handle, name)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise WeightFileError(f"Cannot read the '{name}' of '{filepath}': the file is corrupt ({error})") from None
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # h5py hands undecodable bytes back as lone surrogates
        raise WeightFileError(f"The '{name}' of '{filepath}' is not valid UTF-8 text: the file is corrupt") from None
    try:
        stored = read_string(handle, _CHECKSUMS)
    except (OSError, ValueError, TypeError, UnicodeDecodeError):
        raise WeightFileError(f"'{filepath}': its checksum record is corrupt") from None
    if stored is not None:
        try:
            checksums = parse_json(stored, f"the '{_CHECKSUMS}' of '{filepath}'")
        except WeightFileError:
            raise WeightFileError(f"'{filepath}': its checksum record is corrupt") from None
        if not isinstance(checksums, dict):
            raise WeightFileError(f"'{filepath}': its checksum record is corrupt (not a JSON object)")
        if name in checksums and checksums[name] != _crc(text):
            raise WeightFileError(f"The '{name}' of '{filepath}' fails its checksum: the file is corrupt")
    return parse_json(text, f"the '{name}' of '{filepath}'")


def _plan_optimizer(group, optimizer, model, filepath) -> LoadPlan | None:
    """The optimizer's saved state, matched to its variables; None (with a warning) if it does not fit."""
    try:
        names = read_string_list(group, "weight_names") or []
    except (OSError, ValueError, TypeError) as error:
        raise WeightFileError(f"Cannot read the optimizer weight names of '{filepath}' ({error}): the file is "
                              "corrupt") from None
    arrays = []
    for name in names:
        try:
            item = group.get(name)
        except (OSError, ValueError, KeyError, TypeError):
            item = None
        if not isinstance(item, h5py.Dataset):
            raise WeightFileError(f"'{filepath}': optimizer weight '{name}' is missing: the file is corrupt")
        arrays.append(StoredArray(item, filepath, f"optimizer weight '{name}'"))
    optimizer.build(model.trainable_weights)
    variables = optimizer.variables
    if len(arrays) == len(variables) - 1 and len(variables) >= 2 and \
            str(getattr(variables[1], "path", "")).endswith("learning_rate") and \
            not any("learning_rate" in name for name in names) and _interleaved(names):
        # tf.keras' optimizers keep the learning rate out of their variables
        arrays = [arrays[0], variables[1].numpy()] + arrays[1:]
        names = [names[0], "(learning rate from the config)"] + names[1:]
    plan = LoadPlan(filepath)
    label = f"optimizer '{optimizer.name}'"
    # shapes first, no data read: a misfit is a warning, damaged data (read below) an error
    problem = plan.check_layer(label, variables, arrays, "the saved optimizer state", names)
    if problem is not None:
        warnings.warn(f"The optimizer state in '{filepath}' does not fit the optimizer, which starts afresh: "
                      f"{problem}", stacklevel=3)
        return None
    plan.add_layer(label, variables, arrays, "the saved optimizer state", names)
    return plan


def _interleaved(names) -> bool:
    slots = [name for name in names[1:]]
    if any("/m/" in n or "/v/" in n for n in slots):
        return all(("/m/" in n) if i % 2 == 0 else ("/v/" in n) for i, n in enumerate(slots))
    return True


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True):
    """The model saved in ``filepath`` (kerasette, tf.keras, Keras 2 or Keras 3 ``.h5``; Keras 3 ``.keras``).

    ``custom_objects`` maps class/function names to your own layers, losses
    and metrics; ``compile=False`` skips the training configuration;
    ``safe_mode=False`` allows Lambda layers stored as bytecode (only for
    files you trust: it runs their code).
    """
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file or directory found at '{filepath}'")
    if is_keras_zip(filepath):
        return _load_keras_zip(filepath, custom_objects, compile, safe_mode)
    with open_for_reading(filepath) as handle:
        try:
            return _load_from_handle(handle, filepath, custom_objects, compile, safe_mode)
        except (OSError, RuntimeError, KeyError) as error:
            raise WeightFileError(f"Cannot read '{filepath}': the file is corrupt ({error})") from None


def _load_from_handle(handle, filepath, custom_objects, compile, safe_mode):
    config = _checked_text(handle, "model_config", filepath)
    if config is None:
        if legacy_h5.is_legacy_weights_group(handle) or "layers" in handle or "vars" in handle:
            raise WeightFileError(f"'{filepath}' holds weights only, not a whole model: build the model in "
                                  "code, then model.load_weights(...)")
        raise WeightFileError(f"'{filepath}' holds no model: it has no 'model_config' attribute")
    keras2 = serialization.written_by_keras2(_attribute(handle, "keras_version"), _attribute(handle, "backend"),
                                             _attribute(handle, "kerasette_version"))
    if str(_attribute(handle, "keras_version") or "").startswith("3."):
        # Keras 3's configs, as in its '.keras' files (nested functional models' offsets included)
        from .keras3_serialization import normalize_keras3_config
        config = normalize_keras3_config(config)
    with activations.keras2_names(keras2):
        model = serialization.model_from_config(config, custom_objects, safe_mode=safe_mode)
    if "model_weights" not in handle:
        raise WeightFileError(f"'{filepath}' has a model config but no 'model_weights' group: the file is "
                              "truncated or corrupt")
    plans = [legacy_h5.plan_weights_from_group(handle["model_weights"], model, filepath)]
    training = _checked_text(handle, "training_config", filepath) if compile else None
    if training is not None:
        if _compile_from(model, training, custom_objects, filepath) and "optimizer_weights" in handle:
            optimizer_plan = _plan_optimizer(handle["optimizer_weights"], model.optimizer, model, filepath)
            if optimizer_plan is not None:
                plans.append(optimizer_plan)
    for plan in plans:
        plan.apply()
    return model


def _attribute(handle, name):
    """A root attribute as text, or None where it is absent or unreadable."""
    try:
        return read_string(handle, name)
    except (OSError, ValueError, TypeError, UnicodeDecodeError):
        return None


def _compile_from(model, training, custom_objects, filepath) -> bool:
    objects = resolve_custom_objects(custom_objects)
    outputs = len(model.outputs) if getattr(model, "is_functional", False) else 1
    try:
        arguments = serialization.compile_arguments(training, objects, output_count=outputs)
    except (ValueError, TypeError, KeyError) as error:
        warnings.warn(f"'{filepath}': the model loads uncompiled, because its training configuration "
                      f"cannot be rebuilt ({error}). Compile it yourself.", stacklevel=3)
        return False
    model.compile(**arguments)
    return True


def _load_keras_zip(filepath, custom_objects, compile, safe_mode):
    from .keras3_serialization import apply_compile_config, build_from_record, normalize_keras3_config
    from .keras3_weights import plan_weights_from_file
    raw_config = read_zip_config(filepath)
    config = normalize_keras3_config(raw_config)
    metadata = read_zip_metadata(filepath)
    # tf.keras 2.13 to 2.15 wrote '.keras' archives too, with Keras 2's names
    keras2 = serialization.written_by_keras2(metadata.get("keras_version"),
                                             kerasette_version=metadata.get("kerasette_version"))
    with activations.keras2_names(keras2):
        model = serialization.model_from_config(config, custom_objects, safe_mode=safe_mode)
        build_from_record(model, config)
    compile_config = config.get("compile_config") if compile else None
    if compile_config:
        try:
            apply_compile_config(model, compile_config, raw_config.get("compile_config"), custom_objects)
        except (ValueError, TypeError, KeyError) as error:
            warnings.warn(f"'{filepath}': the model loads uncompiled, because its compile_config cannot be "
                          f"rebuilt ({error}). Compile it yourself.", stacklevel=3)
    with open_zip_weights(filepath, model) as handle:
        try:
            plan = plan_weights_from_file(handle, model, filepath,
                                          include_optimizer=getattr(model, "compiled", False))
        except (OSError, RuntimeError, KeyError) as error:
            raise WeightFileError(f"Cannot read '{filepath}': the file is corrupt ({error})") from None
    plan.apply()
    # then the assets (a lookup layer's vocabulary), as Keras 3 loads them after the variables
    load_zip_assets(filepath, model)
    return model
