"""Keras 3's ``.weights.h5`` layout (also ``model.weights.h5`` inside a ``.keras`` file).

Keras 3 walks the model as an object graph and stores each object's own
variables at the object's path, in a group ``<path>/vars`` with datasets
``"0", "1", ...`` (trainable variables first) and the attribute ``name``::

    layers/dense/vars          @name='hidden'   0 kernel, 1 bias
    layers/dense_1/vars        @name='out'
    layers/sequential/layers/dense/vars          (a nested model)
    layers/lstm/cell/vars                        (a sub-layer held in an attribute)
    optimizer/vars             @name='adam'     iteration, learning_rate, slots...
    vars                       @name='<model>'

A path comes from attribute names and, inside lists (``layers``), from the
snake-case class name made unique within that list (``dense``, ``dense_1``),
not from the user's layer names.  Models list ``layers`` first (Sequential
without its InputLayer), then their other attributes sorted, private ones
last.  ``walk`` reproduces that order for kerasette objects, so the same
code writes files Keras 3 loads and reads files Keras 3 wrote.

Reading reports what Keras 3 reports: an object whose entry holds another
number of variables than it has (an object with no variables included, such
as the model itself with a dataset ``vars/0``) is an error, or a warning with
``skip_mismatch`` (Keras 3's ``_raise_loading_failure``).  It is strict where
Keras 3 is lax: Keras 3 never looks at entries no object of the model
visits, kerasette reports them (they mean another architecture): a ``vars``
group with variables that no part of the model takes, and any dataset
outside a ``vars`` group, which no Keras version writes; again an error, or
a warning with ``skip_mismatch``.  When the path of a layer is missing, a
``vars`` group whose ``name`` attribute equals the layer's name is used
instead (``by_name`` loads by that attribute throughout, and reports
nothing unused).  No data is read before its shape fits the variable.
"""
from __future__ import annotations

import re
import warnings

import h5py
import numpy

from ..variables import in_creation_order
from .hdf5 import StoredArray, WeightFileError, materialize, write_dataset
from .plan import LoadPlan

__all__ = ["walk", "save_weights_to_file", "plan_weights_from_file", "is_keras3_weights_file",
           "own_variables"]

# kerasette's internal bookkeeping attributes; never part of a saved path
_SKIP = {
    "_layers", "_graph_layers", "_stack", "_calls", "_own_weights", "_schedule", "_input_structure",
    "_output_structure", "inputs", "outputs", "_outputs_so_far", "_input_node", "_regularized",
    "_call_losses", "_pending_updates", "_programs", "_resolved", "_loss_objects", "_metric_objects",
    "input_spec", "activity_regularizer", "history", "_last_output_shape", "loss", "_loss_spec",
    "_metrics_spec", "_weighted_metrics_spec", "_loss_weights_spec", "_loss_weights", "_compile_given",
}


def keras_snake_case(name: str) -> str:
    """``keras.src.utils.naming.to_snake_case``: the class part of a path."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def _class_name(obj) -> str:
    from ..layers.serialization import class_name_of
    return class_name_of(obj)


def own_variables(obj) -> list:
    """An object's own variables in Keras 3's order: trainable ones, then the others."""
    from ..optimizers.base import Optimizer
    if isinstance(obj, Optimizer):
        return list(obj.variables)
    own = list(getattr(obj, "_own_weights", []))
    return in_creation_order(own)


def _is_saveable(value) -> bool:
    from ..layers.layer import Layer
    from ..optimizers.base import Optimizer
    return isinstance(value, (Layer, Optimizer))


def _children(obj):
    from ..layers.serialization import model_classes
    from ..optimizers.base import Optimizer
    if isinstance(obj, Optimizer):
        return
    functional, _ = model_classes()
    attributes = dict(vars(obj))
    if isinstance(obj, functional):
        if obj.is_functional:
            yield "layers", list(obj.layers)
        else:
            # a subclassed model: Keras 3 walks its public attributes in name order, and
            # ``layers`` (every tracked layer) is one of them
            attributes.setdefault("layers", list(obj.layers))
    for name in sorted(attributes, key=lambda n: (n.startswith("_"), n)):
        if name.startswith("__") or name in _SKIP:
            continue
        value = attributes[name]
        if name == "optimizer":
            if isinstance(value, Optimizer) and value.built:
                yield name, value
            continue
        if _is_saveable(value) or (isinstance(value, (list, tuple, dict)) and any(
                _is_saveable(item) for item in (value.values() if isinstance(value, dict) else value))):
            yield name, value


def walk(model) -> list:
    """``[(path, object)]`` for the model and everything saved inside it, in Keras 3's order
    (depth first, each object before what it holds; a loop, so models nested thousands deep
    are walked too)."""
    visited, result = set(), []
    stack = [iter([("", model)])]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        path, obj = entry
        if id(obj) in visited:
            continue
        visited.add(id(obj))
        result.append((path, obj))
        stack.append(iter(_child_entries(obj, path)))
    return result


def _child_entries(obj, path) -> list:
    """``[(path, child)]`` of what ``obj`` holds, in Keras 3's order and with its names: an
    attribute by its name, an item of a list by its class's snake-case name made unique there."""
    entries = []
    for attribute, child in _children(obj):
        child_path = f"{path}/{attribute}" if path else attribute
        if _is_saveable(child):
            entries.append((child_path, child))
            continue
        used = {}
        items = child.values() if isinstance(child, dict) else child
        for item in items:
            if not _is_saveable(item):
                continue
            base = keras_snake_case(_class_name(item))
            if base in used:
                used[base] += 1
                name = f"{base}_{used[base]}"
            else:
                used[base] = 0
                name = base
            entries.append((f"{child_path}/{name}", item))
    return entries


def _vars_path(path: str) -> str:
    return f"{path}/vars" if path else "vars"


def save_weights_to_file(handle: h5py.File, model) -> None:
    """Write ``model`` (and its built optimizer) in the ``.weights.h5`` layout."""
    groups = {"": handle}
    for path, obj in walk(model):
        group = _require_group(groups, _vars_path(path))
        name = getattr(obj, "name", None)
        if isinstance(name, str):
            group.attrs["name"] = name
        if _saves_itself(obj):
            # a layer whose state is not variables (a lookup's idf_weights) names its entries, as in Keras 3
            store = {}
            obj.save_own_variables(store)
            for key, value in store.items():
                write_dataset(group, str(key), numpy.asarray(value))
            continue
        for index, variable in enumerate(own_variables(obj)):
            write_dataset(group, str(index), variable.numpy())


def _saves_itself(obj) -> bool:
    """Whether ``obj`` writes and reads its own entries (``save_own_variables``/``load_own_variables``
    with a dict of named arrays, Keras 3's protocol), instead of its variables as "0", "1", ..."""
    from ..layers.layer import Layer
    from ..layers.own_variables import overrides_own_variables
    if isinstance(obj, Layer):
        # a layer with Layer's defaults is read here, with this module's checks and messages
        return overrides_own_variables(obj)
    return callable(getattr(obj, "save_own_variables", None)) and callable(getattr(obj, "load_own_variables", None))


def _read_named(group, filepath, label) -> dict:
    """A ``vars`` group's datasets by name, read (only self-saving layers' small state goes here)."""
    store = {}
    try:
        keys = list(group.keys())
    except (OSError, ValueError) as error:
        raise WeightFileError(f"Cannot list the entries of '{group.name}' in '{filepath}': the file is corrupt "
                              f"({error})") from None
    for key in keys:
        item = group.get(key)
        if not isinstance(item, h5py.Dataset):
            raise WeightFileError(f"'{filepath}': '{group.name}/{key}' is not a dataset: the file is corrupt")
        stored = StoredArray(item, filepath, f"entry '{key}' of {label} ('{group.name}')")
        stored.check_readable()
        store[key] = materialize(stored)
    return store


def _require_group(groups: dict, path: str):
    """The group at ``path``, made where missing, from the nearest group already at hand: HDF5
    resolves a full path one level at a time, which for models nested thousands deep would cost
    the depth at every object."""
    parts = path.split("/")
    known = len(parts)
    while known and "/".join(parts[:known]) not in groups:
        known -= 1
    group = groups["/".join(parts[:known])]
    for end in range(known + 1, len(parts) + 1):
        group = group.require_group(parts[end - 1])
        groups["/".join(parts[:end])] = group
    return group


def is_keras3_weights_file(handle) -> bool:
    return isinstance(handle.get("layers"), h5py.Group) or isinstance(handle.get("vars"), h5py.Group)


def _read_vars(group, filepath, label) -> list:
    try:
        keys = list(group.keys())
    except (OSError, ValueError) as error:
        raise WeightFileError(f"Cannot list the variables of '{group.name}' in '{filepath}': "
                              f"the file is corrupt ({error})") from None
    numeric = []
    for key in keys:
        if not key.isdigit():
            raise WeightFileError(f"'{filepath}': unexpected entry '{group.name}/{key}' (expected 0, 1, ...)")
        numeric.append(int(key))
    # h5py lists "0, 1, 10, 11, 2": the order is numeric
    numeric.sort()
    if numeric != list(range(len(numeric))):
        raise WeightFileError(f"'{filepath}': the variables of '{group.name}' are numbered {numeric}, "
                              "not 0..n-1: the file is corrupt")
    arrays = []
    for index in numeric:
        try:
            item = group.get(str(index))
        except (OSError, ValueError, KeyError, TypeError):
            item = None
        if not isinstance(item, h5py.Dataset):
            raise WeightFileError(f"'{filepath}': '{group.name}/{index}' is not a dataset: the file is corrupt")
        arrays.append(StoredArray(item, filepath, f"variable {index} of {label} ('{group.name}')"))
    return arrays


def _is_vars_path(name: str) -> bool:
    return name == "vars" or name.endswith("/vars")


def _all_vars_groups(handle, filepath, strays: list | None = None) -> dict:
    """Every ``.../vars`` group of the file: path -> group; datasets outside them go to ``strays``."""
    found = {}
    # depth first in name order, like HDF5's own visit, but from each group's handle: a full
    # path resolved from the root for every entry would cost the depth of files nested thousands deep
    def entries(prefix, group):
        return [(f"{prefix}/{key}" if prefix else key, prefix, group.get(key)) for key in group.keys()]

    try:
        stack = entries("", handle)[::-1]
        while stack:
            name, prefix, item = stack.pop()
            if isinstance(item, h5py.Group):
                if _is_vars_path(name):
                    found[name] = item
                stack.extend(entries(name, item)[::-1])
            elif strays is not None and isinstance(item, h5py.Dataset) and not _is_vars_path(prefix):
                strays.append(name)
    except (OSError, ValueError, RuntimeError, KeyError) as error:
        raise WeightFileError(f"Cannot walk '{filepath}': the file is truncated or corrupt ({error})") from None
    return found


def plan_weights_from_file(handle, model, filepath: str, skip_mismatch: bool = False,
                           by_name: bool = False, include_optimizer: bool = True) -> LoadPlan:
    """Read and check everything ``model`` takes from a ``.weights.h5`` file; assign nothing yet."""
    from ..optimizers.base import Optimizer
    from .legacy_h5 import check_has_weights
    check_has_weights(model)
    plan = LoadPlan(filepath, skip_mismatch=skip_mismatch)
    strays = []
    groups = _all_vars_groups(handle, filepath, strays)
    by_attribute = {}
    for path, group in groups.items():
        try:
            name = group.attrs.get("name")
        except (OSError, ValueError) as error:
            raise WeightFileError(f"Cannot read the attributes of '{path}' in '{filepath}' ({error})") from None
        if name is not None:
            name = name.decode("utf8") if isinstance(name, bytes) else str(name)
            by_attribute.setdefault(name, []).append(path)
    used = set()
    optimizer_entry = None
    for path, obj in walk(model):
        if isinstance(obj, Optimizer):
            optimizer_entry = (path, obj)
            continue
        variables = own_variables(obj)
        label = f"{type(obj).__name__} '{obj.name}' (path '{path}')"
        if _saves_itself(obj):
            group = groups.get(_vars_path(path))
            if group is not None:
                used.add(_vars_path(path))
            store = _read_named(group, filepath, label) if group is not None else {}
            plan.defer(lambda obj=obj, store=store: obj.load_own_variables(store))
            continue
        if not variables:
            if _vars_path(path) in groups:
                used.add(_vars_path(path))
                if not by_name:
                    _check_no_variables(groups[_vars_path(path)], label, model, plan, filepath)
            continue
        candidates = []
        if not by_name and _vars_path(path) in groups:
            candidates.append(_vars_path(path))
        candidates += [p for p in by_attribute.get(obj.name, []) if p not in candidates and p not in used]
        if not candidates:
            if by_name:
                continue
            plan.mismatch(f"{label} of model '{model.name}' has {len(variables)} variable(s) but "
                          f"'{filepath}' has no entry '{_vars_path(path)}' for it: the file is for "
                          "another architecture")
            continue
        chosen = candidates[0]
        arrays = _read_vars(groups[chosen], filepath, label)
        if len(candidates) > 1 and not _fits(variables, arrays):
            # the path's entry does not fit; an entry carrying the layer's name may
            for alternative in candidates[1:]:
                other = _read_vars(groups[alternative], filepath, label)
                if _fits(variables, other):
                    chosen, arrays = alternative, other
                    break
        used.add(chosen)
        plan.add_layer(f"{label} of model '{model.name}'", variables, arrays, f"the saved entry '{chosen}'")
    if optimizer_entry is not None or "optimizer/vars" in groups:
        used.add("optimizer/vars")
        if include_optimizer:
            _plan_optimizer(handle, groups, model, plan, filepath)
    unused = [path for path, group in groups.items()
              if path not in used and len(group.keys()) and not path.startswith("optimizer/")]
    unused += [f"{name} (a dataset outside any 'vars' group)" for name in strays]
    if unused and not by_name:
        plan.mismatch(f"'{filepath}' holds variables that no layer of model '{model.name}' takes: "
                      f"{sorted(unused)}. The file is for another architecture.")
    return plan


def _check_no_variables(group, label, model, plan, filepath) -> None:
    """An object without variables whose entry holds some: reported, as Keras 3 does."""
    try:
        keys = sorted(group.keys())
    except (OSError, ValueError) as error:
        raise WeightFileError(f"Cannot list the variables of '{group.name}' in '{filepath}': "
                              f"the file is corrupt ({error})") from None
    if keys:
        plan.mismatch(f"{label} of model '{model.name}' has no variables, but '{filepath}' holds {len(keys)} "
                      f"for it in '{group.name}' ({', '.join(keys[:10])}): the file is for another "
                      "architecture, or was altered")


def _fits(variables, arrays) -> bool:
    return len(variables) == len(arrays) and all(
        tuple(v.shape) == tuple(a.shape) for v, a in zip(variables, arrays))


def _plan_optimizer(handle, groups, model, plan, filepath) -> None:
    optimizer = getattr(model, "optimizer", None)
    if "optimizer/vars" not in groups or optimizer is None:
        return
    arrays = _read_vars(groups["optimizer/vars"], filepath, "the optimizer")
    if not optimizer.built:
        optimizer.build(model.trainable_weights)
    variables = optimizer.variables
    if len(arrays) <= 2 < len(variables) and all(array.ndim == 0 for array in arrays):
        # Keras 3's optimizer before its first step: its iteration count and learning rate only
        # (the rate is in the compile config); nothing to restore, as for a fresh optimizer
        return
    if not _fits(variables, arrays):
        warnings.warn(f"Skipping the optimizer state in '{filepath}': optimizer '{optimizer.name}' has "
                      f"{len(variables)} variables, the file has {len(arrays)} (or their shapes differ)",
                      stacklevel=4)
        return
    plan.add_layer(f"optimizer '{optimizer.name}'", variables, arrays, "the saved optimizer state")
