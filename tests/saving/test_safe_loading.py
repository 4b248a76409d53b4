"""Safe mode: a model file never makes kerasette import a module or call a function it names.

Every path that reads a config is tried with a hostile one: JSON
(``model_from_json``), a legacy ``.h5`` (``load_model``), a Keras 3
``.keras`` archive, and ``from_config`` (``Lambda``, ``Model``,
``model_from_config``, nested layers).  The hostile configs name a module
written by the test itself that, when imported, leaves a marker file; in
safe mode the module must never be imported and the marker never appear.
"""
import io
import json
import operator
import os
import shutil
import sys
import zipfile

import h5py
import numpy as np
import pytest

import kerasette
from kerasette import Input, Model, Sequential, layers, ops
from kerasette.layers import Dense, Lambda
from kerasette.saving.hdf5 import seal
from kerasette.saving import (ConfigError, SafeModeScope, UnsafeDeserializationError, load_model, model_from_config,
                              model_from_json, register_keras_serializable)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "saving")


@pytest.fixture
def trap(tmp_path, monkeypatch):
    """A module ``kerasette_trap_<n>`` that writes a marker when imported or called."""
    name = f"kerasette_trap_{abs(hash(str(tmp_path))) % 10**8}"
    marker = tmp_path / "marker"
    (tmp_path / f"{name}.py").write_text(
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('imported')\n"
        "def evil(x, **kwargs):\n"
        f"    pathlib.Path({str(marker)!r}).write_text('called')\n"
        "    return x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name, marker
    sys.modules.pop(name, None)


def _lambda_model_json(function_fields: dict) -> str:
    """A kerasette model JSON: Input(3) -> Lambda 'hostile' (fields replaced) -> Dense."""
    inputs = Input(shape=(3,), name="x")
    hidden = Lambda(ops.relu, name="hostile")(inputs)
    model = Model(inputs, Dense(2, name="head")(hidden))
    config = json.loads(model.to_json())
    for entry in config["config"]["layers"]:
        if entry["name"] == "hostile":
            entry["config"].update(function_fields)
    return json.dumps(config)


HOSTILE_FORMS = {
    "keras2_function": lambda module: {"function": "evil", "function_type": "function", "module": module},
    "keras3_function": lambda module: {"function": {"module": module, "class_name": "function",
                                                    "config": "evil", "registered_name": "function"}},
    "output_shape_module": lambda module: {"output_shape": "evil", "output_shape_type": "function",
                                           "output_shape_module": module},
    "mask_module": lambda module: {"mask": "evil", "mask_type": "function", "mask_module": module},
}


def _assert_refused(error, module):
    text = str(error.value)
    assert "hostile" in text                 # the layer
    assert module in text                    # the module
    assert "evil" in text                    # the function
    assert "safe_mode=False" in text and "custom_objects" in text   # how to allow it


@pytest.mark.parametrize("form", sorted(HOSTILE_FORMS))
def test_model_from_json_never_imports_a_module_named_by_the_file(trap, form):
    module, marker = trap
    text = _lambda_model_json(HOSTILE_FORMS[form](module))
    with pytest.raises(UnsafeDeserializationError) as error:
        model_from_json(text)
    _assert_refused(error, module)
    assert module not in sys.modules and not marker.exists()


def test_pydoc_pipepager_in_a_config_runs_no_shell_command(tmp_path):
    marker = tmp_path / "pwned"
    text = _lambda_model_json({"function": "pipepager", "function_type": "function", "module": "pydoc",
                               "arguments": {"cmd": f"touch {marker}"}})
    with pytest.raises(UnsafeDeserializationError, match="pipepager"):
        model_from_json(text)
    with pytest.raises(UnsafeDeserializationError, match="pydoc"):
        kerasette.models.model_from_json(text)
    assert not marker.exists()


def _h5_with_config(tmp_path, text):
    inputs = Input(shape=(3,), name="x")
    model = Model(inputs, Dense(2, name="head")(Lambda(ops.relu, name="hostile")(inputs)))
    path = tmp_path / "model.h5"
    model.save(str(path))
    with h5py.File(path, "r+") as handle:
        handle.attrs["model_config"] = text
        del handle.attrs["kerasette_checksums"]      # as tf.keras writes it: no checksums
    seal(str(path))          # a hostile file can carry a valid kerasette seal: the format is public
    return path


@pytest.mark.parametrize("form", sorted(HOSTILE_FORMS))
def test_load_model_of_an_h5_file_refuses_a_named_module(trap, tmp_path, form):
    module, marker = trap
    path = _h5_with_config(tmp_path, _lambda_model_json(HOSTILE_FORMS[form](module)))
    with pytest.raises(UnsafeDeserializationError) as error:
        load_model(str(path))
    _assert_refused(error, module)
    assert module not in sys.modules and not marker.exists()


def _keras_archive_with_lambda(tmp_path, function_value) -> str:
    """The Keras 3 fixture archive with its Conv2D entry replaced by a hostile Lambda."""
    source = os.path.join(FIXTURES, "keras3_cnn.keras")
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    for entry in config["config"]["layers"]:
        if entry["class_name"] == "Conv2D":
            entry["class_name"] = "Lambda"
            entry["config"] = {"name": "hostile", "trainable": True, "dtype": "float32",
                               "function": function_value, "arguments": {}}
            entry["name"] = "hostile"
    for entry in config["config"]["layers"]:
        for node in entry.get("inbound_nodes", []):
            for argument in node.get("args", []):
                history = argument.get("config", {}).get("keras_history") if isinstance(argument, dict) else None
                if history and history[0] == "conv":
                    history[0] = "hostile"
    members["config.json"] = json.dumps(config).encode()
    path = tmp_path / "hostile.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(path)


def test_load_model_of_a_keras_archive_refuses_a_named_module(trap, tmp_path):
    module, marker = trap
    path = _keras_archive_with_lambda(tmp_path, {"module": module, "class_name": "function", "config": "evil",
                                                 "registered_name": "function"})
    with pytest.raises(UnsafeDeserializationError) as error:
        load_model(path)
    _assert_refused(error, module)
    assert module not in sys.modules and not marker.exists()


def test_keras_archive_lambda_bytecode_is_refused_in_safe_mode(tmp_path):
    path = _keras_archive_with_lambda(tmp_path, {"class_name": "__lambda__", "config": {
        "code": "YQ==", "defaults": None, "closure": None}})
    with pytest.raises(UnsafeDeserializationError, match="bytecode"):
        load_model(path)


@pytest.mark.parametrize("form", sorted(HOSTILE_FORMS))
def test_from_config_paths_refuse_a_named_module(trap, form):
    module, marker = trap
    config = json.loads(_lambda_model_json(HOSTILE_FORMS[form](module)))
    lambda_config = next(e for e in config["config"]["layers"] if e["name"] == "hostile")["config"]
    for build in (lambda: Lambda.from_config(dict(lambda_config)),
                  lambda: Model.from_config(config["config"]),
                  lambda: model_from_config(config),
                  lambda: layers.Bidirectional.from_config({
                      "layer": {"class_name": "LSTM", "config": {"units": 2, "name": "l"}},
                      "backward_layer": None, "merge_mode": "concat", "name": "b"}) and
                  layers.TimeDistributed.from_config({"layer": {"class_name": "Lambda", "config": lambda_config},
                                                      "name": "td"})):
        with pytest.raises(UnsafeDeserializationError) as error:
            build()
        _assert_refused(error, module)
    assert module not in sys.modules and not marker.exists()


def test_unsafe_mode_imports_the_named_module_when_the_user_asks(trap, tmp_path):
    module, marker = trap
    text = _lambda_model_json(HOSTILE_FORMS["keras2_function"](module))
    model = model_from_json(text, safe_mode=False)
    assert marker.exists()                  # the user allowed it: the module was imported and called
    x = np.array([[1.0, -2.0, 3.0]], dtype="float32")
    np.testing.assert_allclose(model.get_layer("hostile")(x), x)
    path = _h5_with_config(tmp_path, text)
    assert load_model(str(path), safe_mode=False).get_layer("hostile").function.__name__ == "evil"
    with SafeModeScope(False):
        assert model_from_json(text).get_layer("hostile").function.__module__ == module


def test_functions_the_user_provides_load_in_safe_mode(trap):
    module, marker = trap
    text = _lambda_model_json({"function": "evil", "function_type": "function", "module": module})
    model = model_from_json(text, custom_objects={"evil": operator.neg})
    x = np.array([[1.0, -2.0, 3.0]], dtype="float32")
    np.testing.assert_allclose(model.get_layer("hostile")(x), -x)

    @register_keras_serializable(package="safe_test")
    def flip(x):
        return -x

    text = _lambda_model_json({"function": "flip", "function_type": "function", "module": module})
    np.testing.assert_allclose(model_from_json(text).get_layer("hostile")(x), -x)
    assert module not in sys.modules and not marker.exists()


@pytest.mark.parametrize("module", [None, "kerasette.ops", "kerasette.ops.activations", "keras.src.ops.nn",
                                    "keras.activations", "tensorflow.nn", "builtins"])
def test_kerasette_builtins_load_in_safe_mode(module):
    text = _lambda_model_json({"function": "relu", "function_type": "function", "module": module})
    x = np.array([[1.0, -2.0, 3.0]], dtype="float32")
    np.testing.assert_allclose(model_from_json(text).get_layer("hostile")(x), [[1.0, 0.0, 3.0]])


@pytest.mark.parametrize("name", ["_masks", "__class__", "importlib", "os", "numpy", "Tensor"])
def test_only_public_kerasette_functions_count_as_builtins(name):
    # private names, classes and the modules kerasette's own modules import are never reachable
    text = _lambda_model_json({"function": name, "function_type": "function", "module": "kerasette.ops"})
    with pytest.raises(ValueError, match=name):
        model_from_json(text)


def test_a_non_library_module_is_refused_even_for_a_builtin_name():
    # a user's own __main__.relu must not silently become kerasette's relu
    text = _lambda_model_json({"function": "relu", "function_type": "function", "module": "__main__"})
    with pytest.raises(UnsafeDeserializationError, match="__main__"):
        model_from_json(text)


@pytest.mark.parametrize("class_name", ["core", "__class__", "layer", "serialization", "np", "Node", 42, None])
def test_a_class_name_that_is_not_a_layer_class_is_an_unknown_layer(class_name):
    config = json.loads(_lambda_model_json({}))
    config["config"]["layers"][2]["class_name"] = class_name
    with pytest.raises(ValueError, match="Unknown layer|class_name"):
        model_from_json(json.dumps(config))
    with pytest.raises(ValueError, match="Unknown layer|class_name"):
        Sequential.from_config({"name": "s", "layers": [{"class_name": class_name, "config": {}}]})


def test_a_custom_object_that_is_not_a_class_is_a_clear_error():
    config = json.loads(_lambda_model_json({}))
    config["config"]["layers"][2]["class_name"] = "Head"
    with pytest.raises(ConfigError, match="'Head' must name a layer class"):
        model_from_json(json.dumps(config), custom_objects={"Head": operator.neg})


def test_legacy_h5_lambda_fixture_is_refused_then_loads_when_trusted():
    # tf.keras wrote this file with a Lambda stored as bytecode
    path = os.path.join(FIXTURES, "tf_keras_lambda.h5")
    with pytest.raises(UnsafeDeserializationError, match="safe_mode=False"):
        load_model(path)


def test_safe_mode_scope_and_errors_leave_no_state_behind(trap, tmp_path):
    module, _ = trap
    text = _lambda_model_json(HOSTILE_FORMS["keras2_function"](module))
    with pytest.raises(UnsafeDeserializationError):
        model_from_json(text, safe_mode=True)
    buffer = io.StringIO()
    # after a refusal, safe mode is still on and ordinary models still load
    with pytest.raises(UnsafeDeserializationError):
        model_from_json(text)
    plain = model_from_json(_lambda_model_json({}))
    plain.summary(print_fn=lambda line, **_: buffer.write(line + "\n"))
    assert "hostile" in buffer.getvalue()
    shutil.rmtree(tmp_path / "__pycache__", ignore_errors=True)


@pytest.mark.parametrize("name", ["eval", "exec", "open", "__import__", "getattr"])
def test_builtins_module_never_gives_python_builtins(name):
    # Keras 3 writes module "builtins" for some functions: only kerasette's own functions answer it
    text = _lambda_model_json({"function": name, "function_type": "function", "module": "builtins",
                               "arguments": {}})
    with pytest.raises(UnsafeDeserializationError, match=name):
        model_from_json(text)
