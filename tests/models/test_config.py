"""Model configs: get_config / from_config round trips give the same graph."""
import json

import numpy as np
import pytest

from kerasette import Input, Model, Sequential, backend, ops
from kerasette.layers import Dense
from tests.models.test_summary import tutorial_model
from kerasette.models.summary import summary_text


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def copy_weights(source, target):
    target.set_weights(source.get_weights())


def test_functional_round_trip_predicts_the_same():
    model = tutorial_model()
    config = model.get_config()
    assert config["input_layers"] == [["input_1", 0, 0]]
    assert config["output_layers"] == [["activation_3", 0, 0]]
    assert config["layers"][1]["inbound_nodes"] == [[["input_1", 0, 0, {}]]]
    json.dumps(config)
    clone = Model.from_config(config)
    copy_weights(model, clone)
    x = np.random.default_rng(0).standard_normal((3, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(clone(x), model(x), rtol=1e-6)
    assert summary_text(clone) == summary_text(model)


def test_multi_input_shared_layer_round_trip():
    shared = Dense(3, name="shared")
    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    from kerasette.layers import Layer

    class Join(Layer):
        def call(self, inputs):
            return ops.concatenate(inputs, axis=-1)

    joined = Join(name="join")([shared(a), shared(b)])
    out = Dense(1, name="out")(joined)
    model = Model([a, b], out)
    config = model.get_config()
    shared_entry = next(e for e in config["layers"] if e["name"] == "shared")
    assert shared_entry["inbound_nodes"] == [[["a", 0, 0, {}]], [["b", 0, 0, {}]]]
    clone = Model.from_config(config, custom_objects={"Join": Join})
    copy_weights(model, clone)
    xa, xb = np.ones((2, 4), np.float32), np.full((2, 4), 2.0, np.float32)
    np.testing.assert_allclose(clone([xa, xb]), model([xa, xb]), rtol=1e-6)


def test_sequential_round_trip():
    model = Sequential([Input(shape=(6,)), Dense(4, activation="relu"), Dense(2)], name="seq")
    config = model.get_config()
    assert config["layers"][0]["config"]["batch_input_shape"] == (None, 6)
    clone = Sequential.from_config(config)
    copy_weights(model, clone)
    x = np.ones((3, 6), np.float32)
    np.testing.assert_allclose(clone(x), model(x), rtol=1e-6)


def test_unknown_layer_is_a_clear_error():
    model = Sequential([Input(shape=(2,)), Dense(1)])
    config = model.get_config()
    config["layers"][0]["class_name"] = "Mystery"
    with pytest.raises(ValueError, match="Unknown layer: 'Mystery'"):
        Sequential.from_config(config)


def test_bare_op_in_graph_is_described_as_a_keras3_operation():
    inputs = Input(shape=(3,))
    model = Model(inputs, Dense(1)(ops.relu(inputs)))
    assert model(np.ones((1, 3), np.float32)).shape == (1, 1)
    config = model.get_config()
    assert [entry["class_name"] for entry in config["layers"]][:2] == ["InputLayer", "Relu"]
    rebuilt = Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt(np.ones((1, 3), np.float32)), model(np.ones((1, 3), np.float32)))


def test_every_tutorial_layer_round_trips_its_config():
    for layer in tutorial_model().layers[1:]:
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


def test_sequential_config_starts_with_an_input_layer_entry():
    model = Sequential([Input(shape=(6,)), Dense(2)], name="seq")
    entries = model.get_config()["layers"]
    assert entries[0]["class_name"] == "InputLayer"
    assert tuple(entries[0]["config"]["batch_input_shape"]) == (None, 6)
    assert [e["class_name"] for e in entries[1:]] == ["Dense"]


def test_keras3_inbound_nodes_are_read():
    from kerasette.models.config import _inbound
    tensor = {"class_name": "__keras_tensor__", "config": {"shape": [None, 4], "dtype": "float32",
                                                            "keras_history": ["a", 0, 0]}}
    other = dict(tensor, config=dict(tensor["config"], keras_history=["b", 1, 0]))
    entry = {"inbound_nodes": [{"args": [[tensor, other]], "kwargs": {}}]}
    assert _inbound(entry) == [[["a", 0, 0, {}], ["b", 1, 0, {}]]]
