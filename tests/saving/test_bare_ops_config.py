"""Functional models that apply ops straight to symbolic tensors, saved like Keras 3 saves them.

Keras 3 writes each such op call as an operation entry of the config's
``"layers"`` (``keras.src.ops.numpy`` / ``Multiply`` with ``0.5`` among the
call's args, ``Mean`` with ``axis`` and ``keepdims`` in its config, ...).
kerasette writes the same entries and reads them back; real Keras 3 reads
kerasette's files (in this interpreter, as ``test_real_keras.py`` does) and
kerasette reads Keras' files (tests/fixtures/bare_ops, made by
tests/fixtures/make_bare_ops_fixtures.py).
"""
import json
import os
import zipfile

import numpy as np
import pytest

import kerasette
from kerasette import backend, ops
from kerasette.layers.op_serialization import OPERATIONS, REQUIRED, UnknownOperationError
from kerasette.saving import load_model, model_from_json
from kerasette.serialization.errors import ConfigError
from tests.fixtures.make_bare_ops_fixtures import BUILDERS, HERE, KERAS_ONLY, inputs_for, outputs_list, random_weights
from tests.saving.test_real_keras import real_keras

FIXTURES = np.load(os.path.join(HERE, "bare_ops.npz"), allow_pickle=False)


def _config_json(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def _entries(path):
    return {entry["name"]: entry for entry in _config_json(path)["config"]["layers"]}


def _model(case):
    backend.clear_session()
    rng = np.random.default_rng(sum(map(ord, case)) + 1)
    model = BUILDERS[case](kerasette)
    model.set_weights(random_weights(model, rng))
    return model, inputs_for(case, rng)


def _assert_same(actual, expected, rtol=1e-5):
    actual, expected = outputs_list(actual), outputs_list(expected)
    assert len(actual) == len(expected)
    for i, (a, b) in enumerate(zip(actual, expected)):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"output {i}: shape {a.shape} != {b.shape}"
        np.testing.assert_allclose(a.astype("float64"), b.astype("float64"), rtol=rtol, atol=1e-6,
                                   err_msg=f"output {i}")


# ------------------------------------------------------------------ kerasette writes, kerasette reads

@pytest.mark.parametrize("case", sorted(BUILDERS))
def test_round_trip_in_kerasette(case, tmp_path):
    model, x = _model(case)
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = load_model(path)
    _assert_same(loaded.predict(x, verbose=0), expected, rtol=1e-6)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    # and again: the loaded model's ops are bare ops too, written the same way
    loaded.save(str(tmp_path / "again.keras"))
    _assert_same(load_model(str(tmp_path / "again.keras")).predict(x, verbose=0), expected, rtol=1e-6)


def test_entries_are_written_as_keras_writes_them(tmp_path):
    backend.clear_session()
    x = kerasette.Input((3, 4), name="x")
    d = kerasette.layers.Dense(4, name="dense")(x)
    outputs = [ops.multiply(d, 0.5), ops.add(d, x), ops.reshape(d, (-1, 12)), ops.mean(d, axis=1, keepdims=True),
               d[:, 0], ops.concatenate([d, x], axis=-1), ops.cast(d, "float16"), ops.gelu(d, approximate=False),
               d * 0.01]
    model = kerasette.Model(x, outputs)
    model.save(str(tmp_path / "m.keras"))
    entries = _entries(str(tmp_path / "m.keras"))
    tensor = {"class_name": "__keras_tensor__",
              "config": {"shape": [None, 3, 4], "dtype": "float32", "keras_history": ["dense", 0, 0]}}
    assert entries["multiply"] == {
        "module": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": "multiply"},
        "registered_name": "Multiply", "name": "multiply", "inbound_nodes": [{"args": [tensor, 0.5], "kwargs": {}}]}
    assert entries["add"]["inbound_nodes"][0]["args"][1]["config"]["keras_history"] == ["x", 0, 0]
    assert entries["reshape"]["config"] == {"name": "reshape", "newshape": [-1, 12]}
    assert entries["mean"]["config"] == {"name": "mean", "axis": 1, "keepdims": True}
    assert entries["get_item"]["inbound_nodes"][0]["args"][1] == [
        {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}}, 0,
        {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}}]
    assert entries["concatenate"]["config"] == {"name": "concatenate", "axis": 2}
    assert len(entries["concatenate"]["inbound_nodes"][0]["args"]) == 1      # one list of tensors
    assert entries["cast"]["module"] == "keras.src.ops.core" and entries["cast"]["config"]["dtype"] == "float16"
    assert entries["gelu"]["module"] == "keras.src.ops.nn" and entries["gelu"]["config"]["approximate"] is False
    assert entries["multiply_1"]["inbound_nodes"][0]["args"][1] == 0.01     # float32's shortest text
    outputs_named = [ref[0] for ref in _config_json(str(tmp_path / "m.keras"))["config"]["output_layers"]]
    assert outputs_named[:2] == ["multiply", "add"]


def test_op_names_avoid_layer_names(tmp_path):
    backend.clear_session()
    x = kerasette.Input((4,), name="x")
    a = kerasette.layers.Dense(4, name="add")(x)
    b = kerasette.layers.Dense(4, name="add_1")(x)
    model = kerasette.Model(x, ops.add(a, b) * 2.0)
    model.save(str(tmp_path / "m.keras"))
    entries = _entries(str(tmp_path / "m.keras"))
    assert entries["add_2"]["class_name"] == "Add" and entries["add"]["class_name"] == "Dense"
    x_value = np.ones((2, 4), "float32")
    _assert_same(load_model(str(tmp_path / "m.keras")).predict(x_value, verbose=0), model.predict(x_value, verbose=0))


def test_an_op_without_a_keras_operation_is_refused_clearly(tmp_path):
    backend.clear_session()
    x = kerasette.Input((4,), name="x")
    y = ops.apply("sum_to_like", kerasette.layers.Dense(4)(x), x)
    model = kerasette.Model(x, y)
    with pytest.raises(ValueError, match="applies the op 'sum_to_like' directly.*Lambda"):
        model.save(str(tmp_path / "m.keras"))


def test_an_op_reading_a_variable_is_refused_clearly(tmp_path):
    backend.clear_session()
    x = kerasette.Input((4,), name="x")
    dense = kerasette.layers.Dense(4)
    model = kerasette.Model(x, ops.matmul(dense(x), dense.kernel))
    with pytest.raises(ValueError, match="applies the op 'matmul' directly.*a variable"):
        model.save(str(tmp_path / "m.keras"))


def test_to_json_round_trip(tmp_path):
    model, x = _model("shapes")
    text = model.to_json()
    config = json.loads(text)
    assert any(entry.get("module") == "keras.src.ops.numpy" for entry in config["config"]["layers"])
    rebuilt = model_from_json(text)
    rebuilt.set_weights(model.get_weights())
    _assert_same(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


# ------------------------------------------------------------------ real Keras 3 reads kerasette's files

@pytest.mark.parametrize("case", sorted(BUILDERS))
def test_real_keras_reads_kerasette_files(case, tmp_path):
    keras = real_keras("keras")
    model, x = _model(case)
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    _assert_same(loaded.predict(x, verbose=0), expected)


def test_real_keras_reads_kerasette_json():
    keras = real_keras("keras")
    model, x = _model("arithmetic")
    rebuilt = keras.models.model_from_json(model.to_json())
    rebuilt.set_weights(model.get_weights())
    _assert_same(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0))


# ------------------------------------------------------------------ kerasette reads Keras 3's files

@pytest.mark.parametrize("case", sorted(BUILDERS) + sorted(KERAS_ONLY))
def test_keras_files_load_with_keras_numbers(case):
    path = os.path.join(HERE, f"{case}.keras")
    assert any(entry.get("module", "").startswith("keras.src.ops") for entry in _entries(path).values())
    model = load_model(path)
    expected = [FIXTURES[f"{case}.y.{i}"] for i in range(len(model.outputs))]
    assert f"{case}.y.{len(model.outputs)}" not in FIXTURES
    _assert_same(model.predict(FIXTURES[f"{case}.x"], verbose=0), expected)


def test_keras_json_config_loads(tmp_path):
    # Keras 3's to_json() text (its Functional record), read by model_from_json and deserialize_keras_object
    keras = real_keras("keras")
    backend.clear_session()
    keras_model = BUILDERS["mobile_block"](keras)
    rng = np.random.default_rng(5)
    keras_model.set_weights(random_weights(keras_model, rng))
    x = inputs_for("mobile_block", rng)
    expected = keras_model.predict(x, verbose=0)
    model = model_from_json(keras_model.to_json())
    model.set_weights(keras_model.get_weights())
    _assert_same(model.predict(x, verbose=0), expected)
    again = kerasette.saving.deserialize_keras_object(json.loads(keras_model.to_json()))
    again.set_weights(keras_model.get_weights())
    _assert_same(again.predict(x, verbose=0), expected)


def _edited_fixture(tmp_path, case, edit):
    path = os.path.join(HERE, f"{case}.keras")
    target = str(tmp_path / f"{case}.keras")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                edit(config["config"]["layers"])
                data = json.dumps(config).encode()
            out.writestr(item, data)
    return target


@pytest.mark.parametrize("class_name", ["Kron", "__import__", "Operation", "WhileLoop", "VectorizedMap"])
def test_an_unknown_operation_class_is_named(tmp_path, class_name):
    def edit(layers):
        entry = next(e for e in layers if e.get("class_name") == "Multiply")
        entry["class_name"] = class_name
    with pytest.raises(UnknownOperationError, match=f"Unknown operation: '{class_name}'"):
        load_model(_edited_fixture(tmp_path, "arithmetic", edit))


def test_operations_never_import_what_a_file_names(tmp_path, monkeypatch):
    import importlib
    imported = []
    real_import = importlib.import_module
    monkeypatch.setattr(importlib, "import_module", lambda name, *a: imported.append(name) or real_import(name, *a))

    def edit(layers):
        entry = next(e for e in layers if e.get("class_name") == "Multiply")
        entry["module"] = "os"
        entry["class_name"] = "system"
    with pytest.raises(ValueError, match="system"):
        load_model(_edited_fixture(tmp_path, "arithmetic", edit))
    assert not [name for name in imported if name.startswith(("os", "keras"))]


@pytest.mark.parametrize("edit, message", [
    (lambda e: e["config"].update(evil=1), r"unknown argument\(s\) \['evil'\]"),
    (lambda e: e["inbound_nodes"][0]["args"].append(
        {"class_name": "__numpy__", "config": {"value": [1], "dtype": "object"}}), "numeric dtype"),
    (lambda e: e["inbound_nodes"][0]["args"].append({"class_name": "__lambda__", "config": {"code": "x"}}),
     "cannot rebuild"),
    (lambda e: e["inbound_nodes"].append(e["inbound_nodes"][0]), "at most one call"),
])
def test_malformed_operation_entries_are_config_errors(tmp_path, edit, message):
    def change(layers):
        edit(next(e for e in layers if e.get("class_name") == "Multiply"))
    with pytest.raises(ConfigError, match=message):
        load_model(_edited_fixture(tmp_path, "arithmetic", change))


def test_every_mapped_operation_is_a_kerasette_op():
    for class_name, (module, function, _) in OPERATIONS.items():
        assert module.startswith("keras.src.ops."), class_name
        assert callable(getattr(ops, function)), class_name


def test_mapped_operations_match_keras_classes():
    # each mapped class exists in the Keras module named, with the constructor arguments and
    # defaults listed, and Keras' op function of the same name takes the same arguments as kerasette's
    import importlib
    import inspect
    keras = real_keras("keras")
    for class_name, (module, function, params) in OPERATIONS.items():
        cls = getattr(importlib.import_module(module), class_name)
        keras_params = {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()
                        if name not in ("self", "name", "kwargs")}
        ours = {name: inspect.Parameter.empty if default is REQUIRED else default for name, default in params}
        assert set(ours) == set(keras_params), class_name
        for name, default in ours.items():
            assert default == keras_params[name] or (isinstance(keras_params[name], tuple)
                                                     and list(keras_params[name]) == default), (class_name, name)
        keras_function = getattr(keras.ops, function, None)
        assert list(inspect.signature(getattr(ops, function)).parameters) == \
            list(inspect.signature(keras_function).parameters), class_name


# ------------------------------------------------------------------ applications

def _perturbed_images(model, seed):
    """Nudge ``model``'s weights (kerasette's or Keras') off their initial values and return two
    32x32 images in [0, 255] for it, both drawn from one generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.normal(scale=0.05, size=w.shape).astype(w.dtype) for w in model.get_weights()])
    return rng.uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")


@pytest.mark.parametrize("name, kwargs", [
    ("MobileNetV3Small", dict(input_shape=(32, 32, 3), classes=10)),
    ("ConvNeXtTiny", dict(input_shape=(32, 32, 3), classes=10)),
])
def test_applications_with_bare_ops_save_whole(name, kwargs, tmp_path):
    backend.clear_session()
    model = getattr(kerasette.applications, name)(weights=None, **kwargs)
    x = _perturbed_images(model, 0)
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = load_model(path)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    _assert_same(loaded.predict(x, verbose=0), expected, rtol=1e-6)


def test_real_keras_reads_kerasette_mobilenet_v3(tmp_path):
    keras = real_keras("keras")
    backend.clear_session()
    model = kerasette.applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3), classes=10)
    x = _perturbed_images(model, 1)
    path = str(tmp_path / "m.keras")
    model.save(path)
    _assert_same(keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)


def test_real_keras_reads_kerasette_convnext(tmp_path):
    # ConvNeXt's residual adds are bare ops; its LayerScale is written under Keras' applications module
    keras = real_keras("keras")
    backend.clear_session()
    model = kerasette.applications.ConvNeXtTiny(weights=None, input_shape=(32, 32, 3), classes=10)
    x = _perturbed_images(model, 2)
    path = str(tmp_path / "m.keras")
    model.save(path)
    assert {"Add", "LayerScale"} <= {entry["class_name"] for entry in _entries(path).values()}
    _assert_same(keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)


@pytest.mark.parametrize("name", ["MobileNetV3Small", "ConvNeXtTiny"])
def test_keras_application_files_load_with_keras_numbers(name, tmp_path):
    keras = real_keras("keras")
    keras_model = getattr(keras.applications, name)(weights=None, input_shape=(32, 32, 3), classes=10)
    x = _perturbed_images(keras_model, 3)
    path = str(tmp_path / "m.keras")
    keras_model.save(path)
    backend.clear_session()
    model = load_model(path)
    assert [layer.name for layer in model.layers] == [layer.name for layer in keras_model.layers]
    _assert_same(model.predict(x, verbose=0), keras_model.predict(x, verbose=0), rtol=1e-5)


def test_nested_model_with_bare_ops(tmp_path):
    keras = real_keras("keras")
    backend.clear_session()
    inner_x = kerasette.Input((4,), name="inner_x")
    inner = kerasette.Model(inner_x, ops.tanh(kerasette.layers.Dense(4, name="inner_dense")(inner_x)) * 2.0,
                            name="inner")
    x = kerasette.Input((4,), name="x")
    y = kerasette.layers.Dense(3, name="head")(ops.concatenate([inner(x), x * 0.5], axis=-1))
    model = kerasette.Model(x, y, name="outer")
    rng = np.random.default_rng(4)
    model.set_weights(random_weights(model, rng))
    x_value = rng.normal(size=(5, 4)).astype("float32")
    expected = model.predict(x_value, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    inner_entries = {entry["name"]: entry for entry in _entries(path)["inner"]["config"]["layers"]}
    assert inner_entries["multiply"]["inbound_nodes"][0]["args"][1] == 2.0
    _assert_same(load_model(path).predict(x_value, verbose=0), expected, rtol=1e-6)
    _assert_same(keras.models.load_model(path).predict(x_value, verbose=0), expected)


def test_h5_files_hold_keras3_records_for_bare_ops(tmp_path):
    # Keras 2's config form has no place for bare ops: the .h5 model_config is Keras 3's record
    import h5py
    keras = real_keras("keras")
    model, x = _model("mobile_block")
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / "m.h5")
    model.save(path)
    with h5py.File(path, "r") as handle:
        config = json.loads(handle.attrs["model_config"])
    assert config["module"] == "keras.src.models.functional"
    assert {"Add", "Multiply", "HardSigmoid", "Mean"} <= {entry["class_name"] for entry in config["config"]["layers"]}
    _assert_same(load_model(path).predict(x, verbose=0), expected, rtol=1e-6)
    _assert_same(keras.models.load_model(path).predict(x, verbose=0), expected)
