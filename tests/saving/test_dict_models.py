"""Models whose inputs and outputs are dicts: Keras 3 orders them by sorted key (keras.tree), returns
predict's arrays as a dict, and writes ``{name: reference}`` into the config; kerasette does the same,
so each library reads the other's ``.keras`` file of such a model."""
import numpy as np

import kerasette
from tests.saving.test_real_keras import real_keras


def _build(K):
    a = K.Input((2,), name="a")
    b = K.Input((3,), name="b")
    out = K.layers.Dense(1, name="d")(K.layers.Concatenate(name="joined")([a, b]))
    other = K.layers.Dense(2, name="e")(a)
    return K.Model({"b": b, "a": a}, {"out": out, "other": other})


X = {"a": np.linspace(-1, 1, 8).reshape(4, 2).astype("float32"),
     "b": np.linspace(0, 2, 12).reshape(4, 3).astype("float32")}


def test_dict_outputs_predict_as_a_dict_in_keras_order():
    kerasette.backend.clear_session()
    model = _build(kerasette)
    result = model.predict(X, verbose=0)
    assert isinstance(result, dict) and list(result) == ["out", "other"]
    assert result["out"].shape == (4, 1) and result["other"].shape == (4, 2)
    assert [node.name for node in model.inputs][0].startswith("a")      # sorted: a before b
    assert [layer.name for layer in model.layers if layer.name in ("d", "e")] == ["e", "d"]
    single = model.predict_on_batch(X)
    np.testing.assert_allclose(single["other"], result["other"], rtol=1e-6)


def test_dict_models_round_trip_through_keras_files_both_ways(tmp_path):
    K = real_keras("keras")
    kerasette.backend.clear_session()
    ours = _build(kerasette)
    expected = ours.predict(X, verbose=0)
    ours.save(tmp_path / "ours.keras")
    again = kerasette.models.load_model(tmp_path / "ours.keras").predict(X, verbose=0)
    theirs = K.models.load_model(str(tmp_path / "ours.keras")).predict(X, verbose=0)
    for key in ("out", "other"):
        np.testing.assert_allclose(again[key], expected[key], rtol=1e-6)
        np.testing.assert_allclose(np.asarray(theirs[key]), expected[key], rtol=1e-5, atol=1e-6)
    keras_model = _build(K)
    keras_expected = keras_model.predict(X, verbose=0)
    keras_model.save(str(tmp_path / "theirs.keras"))
    loaded = kerasette.models.load_model(tmp_path / "theirs.keras").predict(X, verbose=0)
    for key in ("out", "other"):
        np.testing.assert_allclose(loaded[key], np.asarray(keras_expected[key]), rtol=1e-5, atol=1e-6)
