"""Nested graph models in legacy ``.h5`` files and Keras 2 configs, numbered as tf.keras numbers them.

A model with a graph of its own (functional, or Sequential with a known input
shape) has that graph as its node 0 in tf.keras, so references to its calls
count from 1 in a config (tf.keras' ``_should_skip_first_node``), while its
``inbound_nodes`` list the calls alone.  kerasette writes and reads that; a
config kerasette wrote before (counting from 0) still loads.
"""
import json

import h5py
import numpy as np
import pytest

import kerasette
from kerasette import backend
from tests.saving.test_real_keras import real_keras

RNG = np.random.default_rng(3)
A = RNG.normal(0, 1, (6, 4)).astype("float32")
B = RNG.normal(0, 1, (6, 4)).astype("float32")


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def build(K, deferred_sequential=True):
    """A functional model holding a functional model (called twice, one call an output), a Sequential
    with an input shape and, where the Keras can, one without (built by its call)."""
    L = K.layers
    i = K.Input((4,), name="inner_in")
    inner = K.Model(i, L.Dense(3, activation="tanh", name="inner_dense")(i), name="inner")
    stack = K.Sequential([K.Input((3,)), L.Dense(3, name="stack_dense")], name="stack")
    x = K.Input((4,), name="a_in")
    x2 = K.Input((4,), name="b_in")
    a, b = inner(x), inner(x2)
    s = stack(K.layers.Add(name="add")([a, b]))
    outputs = [a, L.Dense(2, name="head")(s)]
    if deferred_sequential:
        lazy = K.Sequential([L.Dense(2, name="lazy_dense")], name="lazy")
        outputs.append(lazy(b))
    return K.Model([x, x2], outputs, name="outer")


def references(config):
    """(layer, node index) of every reference to a layer's output in a legacy functional config."""
    found = []
    for layer in config["layers"]:
        for node in layer["inbound_nodes"]:
            found += [(item[0], item[1]) for item in node]
    found += [(ref[0], ref[1]) for ref in config["input_layers"] + config["output_layers"]]
    return sorted(found)


def predictions(model):
    return [np.asarray(y) for y in model.predict([A, B], verbose=0)]


def test_kerasette_numbers_nested_models_as_tf_keras_does(tmp_path):
    tf_keras = real_keras("tf_keras")
    theirs = build(tf_keras).get_config()
    ours = build(kerasette).get_config()
    assert references(ours) == references(theirs)
    assert ("inner", 1) in references(ours) and ("inner", 2) in references(ours)
    assert ("stack", 1) in references(ours) and ("lazy", 1) in references(ours)


def test_kerasette_loads_tf_keras_nested_models(tmp_path):
    tf_keras = real_keras("tf_keras")
    theirs = build(tf_keras)
    theirs.set_weights([RNG.normal(0, 1, w.shape).astype("float32") for w in theirs.get_weights()])
    theirs.save(str(tmp_path / "t.h5"))
    ours = kerasette.models.load_model(tmp_path / "t.h5")
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    for got, want in zip(predictions(ours), predictions(theirs)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    again = kerasette.models.model_from_json(theirs.to_json())
    assert references(again.get_config()) == references(theirs.get_config())


def test_tf_keras_loads_kerasette_nested_models(tmp_path):
    tf_keras = real_keras("tf_keras")
    ours = build(kerasette)
    ours.set_weights([RNG.normal(0, 1, w.shape).astype("float32") for w in ours.get_weights()])
    ours.save(tmp_path / "k.h5")
    config = json.loads(h5py.File(tmp_path / "k.h5", "r").attrs["model_config"])["config"]
    assert references(config) == references(build(tf_keras).get_config())
    theirs = tf_keras.models.load_model(str(tmp_path / "k.h5"))
    for got, want in zip(predictions(theirs), predictions(ours)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    back = kerasette.models.load_model(tmp_path / "k.h5")
    for got, want in zip(predictions(back), predictions(ours)):
        np.testing.assert_array_equal(got, want)


def test_nested_models_round_trip_in_kerasette_alone(tmp_path):
    model = build(kerasette)
    model.save(tmp_path / "m.h5")
    restored = kerasette.models.load_model(tmp_path / "m.h5")
    for got, want in zip(predictions(restored), predictions(model)):
        np.testing.assert_array_equal(got, want)
    clone = kerasette.models.Model.from_config(model.get_config())
    assert references(clone.get_config()) == references(model.get_config())


def test_configs_kerasette_wrote_counting_from_zero_still_load():
    model = build(kerasette, deferred_sequential=False)
    config = model.get_config()
    old = json.loads(json.dumps(config))

    def from_zero(ref):
        if ref[0] in ("inner", "stack"):
            ref[1] -= 1

    for layer in old["layers"]:
        for node in layer["inbound_nodes"]:
            for item in node:
                from_zero(item)
    for ref in old["output_layers"]:
        from_zero(ref)
    assert ("inner", 0) in references(old)
    restored = kerasette.models.Model.from_config(old)
    model.set_weights(restored.get_weights())
    for got, want in zip(predictions(restored), predictions(model)):
        np.testing.assert_array_equal(got, want)
    assert references(restored.get_config()) == references(config)


def test_kerasette_loads_keras3_nested_models_from_h5(tmp_path):
    # Keras 3's '.h5' holds Keras 3's config: inbound nodes count calls from 0, input_layers and
    # output_layers count a nested functional model's graph as its node 0
    keras3 = real_keras("keras")
    theirs = build(keras3)
    theirs.set_weights([RNG.normal(0, 1, w.shape).astype("float32") for w in theirs.get_weights()])
    theirs.save(str(tmp_path / "k3.h5"))
    ours = kerasette.models.load_model(tmp_path / "k3.h5")
    for got, want in zip(predictions(ours), predictions(theirs)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
