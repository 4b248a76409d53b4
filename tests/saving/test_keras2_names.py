"""``hard_sigmoid`` (issue 14, item 17): a loaded model computes what the Keras that saved it computed.

Keras 2 and tf.keras define ``hard_sigmoid`` as ``clip(0.2 x + 0.5, 0, 1)``,
Keras 3 (and kerasette) as ``relu6(x + 3) / 6``.  Files written by Keras 2
(``keras_version`` 2.x, no ``kerasette_version``) get Keras 2's function,
``activations.keras2_hard_sigmoid``; kerasette's own files, whichever of the two
they hold, read back to the same numbers.
"""
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import kerasette as keras
from kerasette import Input, Sequential, activations, backend, layers
from kerasette.saving import hdf5, load_model, model_from_json

RNG = np.random.default_rng(17)
X = RNG.normal(0, 2, (4, 6, 3)).astype("float32")


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def gated(recurrent="hard_sigmoid", dense="hard_sigmoid"):
    model = Sequential([Input(shape=(6, 3)), layers.LSTM(4, recurrent_activation=recurrent, name="lstm"),
                        layers.Dense(3, activation=dense, name="gate")], name="gated")
    model.set_weights([RNG.normal(0, 1, w.shape).astype("float32") for w in model.get_weights()])
    return model


def as_keras2_file(path, version="2.3.1"):
    """Make a kerasette .h5 file look as if Keras 2 (multi-backend, on TensorFlow) had written it."""
    hdf5.unseal(path)
    with h5py.File(path, "r+") as handle:
        for group in (handle, handle["model_weights"]):
            for name in ("kerasette_version", "kerasette_checksums"):
                if name in group.attrs:
                    del group.attrs[name]
            group.attrs["keras_version"] = version
            group.attrs["backend"] = "tensorflow"


def test_the_two_functions():
    x = np.array([-4.0, -2.5, -1.0, 0.0, 1.0, 2.5, 4.0], "float32")
    np.testing.assert_array_equal(activations.hard_sigmoid(x), np.clip(x + 3, 0, 6) / 6)
    np.testing.assert_array_equal(activations.keras2_hard_sigmoid(x),
                                  np.clip(x * np.float32(0.2) + np.float32(0.5), 0, 1))
    assert activations.get("hard_sigmoid") is activations.hard_sigmoid
    with activations.keras2_names():
        assert activations.get("hard_sigmoid") is activations.keras2_hard_sigmoid
        assert activations.deserialize("hard_sigmoid", {"hard_sigmoid": np.tanh}) is np.tanh
    assert activations.get("hard_sigmoid") is activations.hard_sigmoid
    assert activations.serialize(activations.keras2_hard_sigmoid) == "keras2_hard_sigmoid"
    assert activations.get("keras2_hard_sigmoid") is activations.keras2_hard_sigmoid


def test_a_keras2_file_computes_keras2s_hard_sigmoid(tmp_path):
    model = gated()
    model.save(tmp_path / "k2.h5")
    as_keras2_file(tmp_path / "k2.h5")
    loaded = load_model(tmp_path / "k2.h5")
    assert loaded.get_layer("lstm").cell.recurrent_activation is activations.keras2_hard_sigmoid
    assert loaded.get_layer("gate").activation is activations.keras2_hard_sigmoid
    reference = gated("keras2_hard_sigmoid", "keras2_hard_sigmoid")
    reference.set_weights(model.get_weights())
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), reference.predict(X, verbose=0))
    assert not np.allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    # gradients flow through it: the loaded model trains like the reference
    for network in (loaded, reference):
        network.compile(optimizer="sgd", loss="mse")
        network.fit(X, np.full((4, 3), 0.5, "float32"), epochs=2, verbose=0, shuffle=False)
    for a, b in zip(loaded.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("suffix", [".h5", ".keras", ".json"])
def test_kerasettes_files_round_trip_both_functions(tmp_path, suffix):
    for recurrent, dense in (("hard_sigmoid", "hard_sigmoid"), ("keras2_hard_sigmoid", "keras2_hard_sigmoid")):
        model = gated(recurrent, dense)
        path = tmp_path / f"{recurrent}{suffix}"
        if suffix == ".json":
            again = model_from_json(model.to_json())
            again.set_weights(model.get_weights())
        else:
            model.save(path)
            again = load_model(path)
        assert again.get_layer("gate").activation is activations.get(dense)
        np.testing.assert_array_equal(again.predict(X, verbose=0), model.predict(X, verbose=0))


def test_a_loaded_keras2_model_saved_again_keeps_its_numbers(tmp_path):
    model = gated()
    model.save(tmp_path / "k2.h5")
    as_keras2_file(tmp_path / "k2.h5")
    loaded = load_model(tmp_path / "k2.h5")
    expected = loaded.predict(X, verbose=0)
    for name in ("again.h5", "again.keras"):
        loaded.save(tmp_path / name)
        np.testing.assert_array_equal(load_model(tmp_path / name).predict(X, verbose=0), expected)
    again = model_from_json(loaded.to_json())
    assert again.get_layer("gate").activation is activations.keras2_hard_sigmoid


def test_json_and_archives_from_keras2_mean_keras2(tmp_path):
    model = gated()
    config = json.loads(model.to_json())
    config.update(keras_version="2.3.1", backend="tensorflow")
    from_keras2 = model_from_json(json.dumps(config))
    assert from_keras2.get_layer("gate").activation is activations.keras2_hard_sigmoid
    config.update(keras_version="3.15.1", backend="jax")
    assert model_from_json(json.dumps(config)).get_layer("gate").activation is activations.hard_sigmoid
    # tf.keras 2.13 to 2.15 wrote '.keras' archives too
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        contents = {info.filename: archive.read(info) for info in archive.infolist()}
    contents["metadata.json"] = json.dumps({"keras_version": "2.13.1", "date_saved": "2023-07-01@12:00:00"})
    with zipfile.ZipFile(tmp_path / "tf213.keras", "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    assert load_model(tmp_path / "tf213.keras").get_layer("gate").activation is activations.keras2_hard_sigmoid
    assert load_model(tmp_path / "m.keras").get_layer("gate").activation is activations.hard_sigmoid


def test_a_real_tf_keras_file(tmp_path):
    """tf.keras (Keras 2 API) saves an LSTM with hard_sigmoid gates; kerasette predicts its numbers."""
    from tests.saving.test_real_keras import real_keras
    tf_keras = real_keras("tf_keras")
    K = tf_keras
    model = K.Sequential([K.Input(shape=(6, 3)), K.layers.LSTM(4, recurrent_activation="hard_sigmoid"),
                          K.layers.Dense(3, activation="hard_sigmoid")])
    model.set_weights([RNG.normal(0, 1, w.shape).astype("float32") for w in model.get_weights()])
    path = os.path.join(tmp_path, "tf.h5")
    model.save(path)
    expected = model.predict(X, verbose=0)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)
    loaded.save(tmp_path / "again.keras")
    np.testing.assert_allclose(load_model(tmp_path / "again.keras").predict(X, verbose=0), expected,
                               rtol=1e-5, atol=1e-6)
