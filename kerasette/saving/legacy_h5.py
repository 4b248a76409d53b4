"""Keras' legacy HDF5 weight layout (``model.save_weights("w.h5")`` in Keras 2 / tf.keras).

Layout (the same inside a whole-model file's ``model_weights`` group)::

    /  @layer_names=[every layer of model.layers, in order]  @backend  @keras_version
    <layer name>/  @weight_names=["<layer>/kernel:0", "<layer>/bias:0"]
        <layer>/kernel:0   (the dataset; the "/" makes an inner group)
    top_level_model_weights/  @weight_names=[]   (variables the model owns itself)

Per layer the weights are ``layer.trainable_weights + layer.non_trainable_weights``;
a nested model is one group holding all its weights, named without the outer
prefix (``hidden/kernel:0``).  Reading follows tf.keras' semantics:

* topological (default): the model's layers that have weights are matched,
  in order, with the file's layers that have weights; weightless layers may
  differ freely;
* ``by_name=True``: each saved layer goes to the model layer of that name;
  layers missing from either side are skipped;
* ``skip_mismatch=True``: a layer whose weight count or shapes differ is
  skipped with a warning instead of failing the load.

Readers accept every variant Keras has written: names as bytes or str,
fixed or variable length, chunked ``layer_names0, ...`` attributes, the
empty float64 ``weight_names`` of weightless layers, names with or without
``:0``.
"""
from __future__ import annotations

import h5py

from ..variables import in_creation_order
from .hdf5 import StoredArray, WeightFileError, read_string_list, write_dataset, write_string_list
from .plan import LoadPlan

__all__ = ["KERAS_FORMAT_VERSION", "BACKEND_NAME", "save_weights_to_group", "plan_weights_from_group",
           "is_legacy_weights_group", "legacy_weight_names"]

#: the Keras release whose layouts and configs kerasette writes (tf.keras 2.x)
KERAS_FORMAT_VERSION = "2.15.0"
BACKEND_NAME = "numpy"


def _kerasette_version() -> str:
    from ..version import __version__
    return __version__


def write_root_attributes(group) -> None:
    group.attrs["backend"] = BACKEND_NAME
    group.attrs["keras_version"] = KERAS_FORMAT_VERSION
    group.attrs["kerasette_version"] = _kerasette_version()


def legacy_weight_names(layer, weights) -> list:
    """Keras' dataset names for ``weights`` of ``layer``: ``dense/kernel:0``, unique within the layer."""
    from ..layers.serialization import model_classes
    model_class, _ = model_classes()
    names, used = [], {}
    for index, variable in enumerate(weights):
        # legacy_path: tf.keras' layer/weight name where Keras 3's path differs
        path = (getattr(variable, "legacy_path", None) or getattr(variable, "path", None)
                or getattr(variable, "name", None) or f"param_{index}")
        path = str(path).lstrip("/")
        if not isinstance(layer, model_class) and not path.startswith(layer.name + "/"):
            path = f"{layer.name}/{path}"
        name = path if path.endswith(":0") else path + ":0"
        if name in used:
            used[name] += 1
            stem = name[:-2]
            name = f"{stem}_{used[name]}:0"
        used.setdefault(name, 0)
        names.append(name)
    return names


def model_own_weights(model) -> list:
    own = list(getattr(model, "_own_weights", []))
    return in_creation_order(own)


def check_has_weights(model) -> None:
    unbuilt = [layer.name for layer in model.layers if not layer.built]
    if not model.built or (unbuilt and not model.weights):
        raise ValueError(
            f"Model '{model.name}' has not created its weights yet (unbuilt layers: {unbuilt or 'all'}): "
            "call it on data, or build(input_shape), before saving or loading weights")


def legacy_weights(layer) -> list:
    """A top-level layer's weights in the legacy files' order: all its trainable weights, then
    all its non-trainable ones (tf.keras' ``_legacy_weights``), which for a layer holding
    sublayers differs from ``layer.weights`` (layer by layer)."""
    seen, ordered = set(), []
    for variable in list(layer.trainable_weights) + list(layer.non_trainable_weights):
        if id(variable) not in seen:
            seen.add(id(variable))
            ordered.append(variable)
    return ordered


def save_weights_to_group(group, model) -> None:
    """Write the legacy layout for ``model`` into an open HDF5 group."""
    layers = list(model.layers)
    write_string_list(group, "layer_names", [layer.name for layer in layers])
    write_root_attributes(group)
    # tf.keras creates the groups in sorted order "to ensure that group names are strictly growing"
    for layer in sorted(layers, key=lambda item: item.name):
        layer_group = group.create_group(layer.name)
        weights = legacy_weights(layer)
        names = legacy_weight_names(layer, weights)
        write_string_list(layer_group, "weight_names", names)
        for name, variable in zip(names, weights):
            write_dataset(layer_group, name, variable.numpy())
    top = group.require_group("top_level_model_weights")
    own = model_own_weights(model)
    names = [f"{w.name}:0" for w in own]
    write_string_list(top, "weight_names", names)
    for name, variable in zip(names, own):
        write_dataset(top, name, variable.numpy())


def is_legacy_weights_group(group) -> bool:
    return "layer_names" in group.attrs or "layer_names0" in group.attrs


def read_layers(group, filepath: str) -> list:
    """``[(layer name, [weight names], [StoredArray])]`` in ``layer_names`` order; no data read yet."""
    try:
        layer_names = read_string_list(group, "layer_names")
    except (OSError, ValueError, TypeError) as error:
        raise WeightFileError(f"Cannot read the layer names of '{filepath}': the file is corrupt ({error})") from None
    if layer_names is None:
        raise WeightFileError(f"'{filepath}' holds no Keras weights: its root has no 'layer_names' attribute")
    layers = []
    for name in layer_names:
        try:
            layer_group = group[name]
        except (KeyError, OSError, ValueError) as error:
            raise WeightFileError(f"'{filepath}' lists layer '{name}' but has no readable group for it "
                                  f"({error}): the file is truncated or corrupt") from None
        if not isinstance(layer_group, h5py.Group):
            raise WeightFileError(f"'{filepath}': layer '{name}' is not a group: the file is corrupt")
        try:
            weight_names = read_string_list(layer_group, "weight_names") or []
        except (OSError, ValueError, TypeError) as error:
            raise WeightFileError(f"Cannot read the weight names of layer '{name}' in '{filepath}' "
                                  f"({error}): the file is corrupt") from None
        arrays = []
        for weight_name in weight_names:
            dataset = _find_dataset(layer_group, weight_name)
            if dataset is None:
                raise WeightFileError(f"'{filepath}': layer '{name}' lists weight '{weight_name}', which the "
                                      "file does not hold: the file is truncated or corrupt")
            arrays.append(StoredArray(dataset, filepath, f"weight '{weight_name}' of layer '{name}'"))
        layers.append((name, weight_names, arrays))
    return layers


def _find_dataset(group, name):
    for candidate in (name, name[:-2] if name.endswith(":0") else name + ":0"):
        try:
            item = group.get(candidate)
        except (OSError, ValueError, KeyError):
            raise WeightFileError(f"weight '{name}' of group '{group.name}' cannot be read: "
                                  "the file is corrupt") from None
        if isinstance(item, h5py.Dataset):
            return item
    return None


def _top_level(group, filepath):
    if "top_level_model_weights" not in group:
        return [], []
    top = group["top_level_model_weights"]
    try:
        names = read_string_list(top, "weight_names") or []
    except (OSError, ValueError, TypeError) as error:
        raise WeightFileError(f"Cannot read the top-level weight names of '{filepath}' ({error}): the file is "
                              "corrupt") from None
    arrays = []
    for name in names:
        dataset = _find_dataset(top, name)
        if dataset is None:
            raise WeightFileError(f"'{filepath}': top-level weight '{name}' is missing: the file is corrupt")
        arrays.append(StoredArray(dataset, filepath, f"top-level weight '{name}'"))
    return names, arrays


def _label(model, index, layer) -> str:
    return f"layer #{index} (named '{layer.name}', {type(layer).__name__}) of model '{model.name}'"


def plan_weights_from_group(group, model, filepath: str, by_name: bool = False,
                            skip_mismatch: bool = False, reshape: bool = False) -> LoadPlan:
    """Read and check every weight the model will take from ``group``; assign nothing yet."""
    check_has_weights(model)
    saved = read_layers(group, filepath)
    plan = LoadPlan(filepath, skip_mismatch=skip_mismatch, reshape=reshape)
    if by_name:
        by_layer_name = {}
        for index, layer in enumerate(model.layers):
            by_layer_name.setdefault(layer.name, []).append((index, layer))
        for name, weight_names, arrays in saved:
            for index, layer in by_layer_name.get(name, []):
                plan.add_layer(_label(model, index, layer), legacy_weights(layer), arrays,
                               f"the saved layer '{name}'", weight_names)
    else:
        model_layers = [(index, layer) for index, layer in enumerate(model.layers) if layer.weights]
        saved_layers = [entry for entry in saved if entry[2]]
        if len(model_layers) != len(saved_layers):
            names = [layer.name for _, layer in model_layers]
            raise WeightFileError(
                f"Layer count mismatch when loading weights from '{filepath}': model '{model.name}' has "
                f"{len(model_layers)} layers with weights {names}, the file has "
                f"{len(saved_layers)} {[entry[0] for entry in saved_layers]}. The file is for another "
                "architecture; by_name=True loads the layers whose names match.")
        for (index, layer), (name, weight_names, arrays) in zip(model_layers, saved_layers):
            plan.add_layer(_label(model, index, layer), legacy_weights(layer), arrays,
                           f"the saved layer '{name}'", weight_names)
    own = model_own_weights(model)
    names, arrays = _top_level(group, filepath)
    if own or arrays:
        plan.add_layer(f"the top-level weights of model '{model.name}'", own, arrays,
                       "the saved top-level weights", names)
    return plan
