"""The done-when of issue 17: a model with Normalization, StringLookup, IntegerLookup, TextVectorization
and Discretization goes through ``.keras`` files both ways with the installed real Keras 3 and predicts
the same; ``.weights.h5`` carries Keras 3's named ``idf_weights`` entries; bad files fail clearly."""
import importlib.util
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import kerasette
from kerasette.saving.hdf5 import WeightFileError

from .keras_side import build

HERE = os.path.dirname(os.path.abspath(__file__))

ADAPT = {
    "numbers": np.random.default_rng(5).normal(3.0, 2.0, size=(40, 3)).astype("float32"),
    "words": np.array(["red", "green", "green", "blue", "blue", "blue", "é"]),
    "ids": np.array([[4, 4], [8, 15], [16, 23], [42, 4]]),
    "texts": np.array(["The quick brown fox.", "the lazy dog", "A quick dog, a lazy fox!", "jumps over"]),
}
X = [np.array([[1.0, 2.0, 3.0], [5.0, -1.0, 0.5]], "float32"), np.array([["blue"], ["purple"]]),
     np.array([[4, 0], [99, 23]]), np.array(["the quick fox jumps", "an unseen lazy cat"])]


def _outputs(model):
    return [np.asarray(y) for y in model.predict(X, verbose=0)]


def _keras_available():
    return all(importlib.util.find_spec(name) for name in ("keras", "tensorflow", "farmhash"))


def test_both_ways_with_real_keras(tmp_path):
    if not _keras_available():
        pytest.skip("real Keras 3 with TensorFlow and pyfarmhash (the test and text extras) are not installed")
    kerasette.backend.clear_session()
    kerasette.utils.set_random_seed(3)
    model = build(kerasette, ADAPT)
    expected = _outputs(model)
    model.save(str(tmp_path / "kerasette.keras"))
    names = zipfile.ZipFile(tmp_path / "kerasette.keras").namelist()
    assert "assets/layers/string_lookup/vocabulary.txt" in names
    assert "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt" in names
    np.savez(tmp_path / "inputs.npz", **{f"x.{i}": x for i, x in enumerate(X)},
             **{f"adapt.{key}": value for key, value in ADAPT.items()})
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    done = subprocess.run([sys.executable, os.path.join(HERE, "keras_side.py"), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    # kerasette's file, read by Keras 3: the same predictions
    with np.load(tmp_path / "kerasette_in_keras.npz") as keras_read:
        for i, y in enumerate(expected):
            np.testing.assert_allclose(keras_read[f"y.{i}"], y, rtol=1e-5, atol=1e-5)
    # Keras 3's file, read by kerasette: Keras' predictions
    loaded = kerasette.models.load_model(str(tmp_path / "keras.keras"))
    with np.load(tmp_path / "keras.npz") as keras_own:
        for i, y in enumerate(_outputs(loaded)):
            reference = keras_own[f"y.{i}"]
            np.testing.assert_allclose(y, reference, rtol=1e-5, atol=1e-5)
            assert y.dtype == reference.dtype
    def lookup(m):
        return next(layer for layer in m.layers if type(layer).__name__ == "StringLookup")
    assert lookup(loaded).get_vocabulary() == lookup(model).get_vocabulary() == ["[UNK]", "[UNK]", "blue", "green",
                                                                                 "é", "red"]


def test_keras_round_trip_without_keras(tmp_path):
    pytest.importorskip("farmhash", reason="the text extra (pyfarmhash) is not installed")
    kerasette.backend.clear_session()
    kerasette.utils.set_random_seed(4)
    model = build(kerasette, ADAPT)
    expected = _outputs(model)
    model.save(str(tmp_path / "m.keras"))
    again = kerasette.models.load_model(str(tmp_path / "m.keras"))
    for y, e in zip(_outputs(again), expected):
        np.testing.assert_allclose(y, e, rtol=1e-6, atol=1e-6)
    # weights only: the trained layers and the tf_idf weights (named 'idf_weights', as Keras 3 writes them)
    model.save_weights(str(tmp_path / "m.weights.h5"))
    import h5py
    with h5py.File(tmp_path / "m.weights.h5") as handle:
        assert sorted(handle["layers/text_vectorization_1/vars"].keys()) == ["idf_weights"]
        assert sorted(handle["layers/text_vectorization_1/_lookup_layer/vars"].keys()) == ["idf_weights"]
    tf_idf = again.get_layer("text_vectorization_1")
    tf_idf._lookup_layer.idf_weights = tf_idf._lookup_layer.idf_weights * 0
    again.load_weights(str(tmp_path / "m.weights.h5"))
    for y, e in zip(_outputs(again), expected):
        np.testing.assert_allclose(y, e, rtol=1e-6, atol=1e-6)


def test_missing_vocabulary_asset_is_a_clear_error(tmp_path):
    kerasette.backend.clear_session()
    layer = kerasette.layers.StringLookup()
    layer.adapt(np.array(["a", "b"]))
    inputs = kerasette.Input((1,), dtype="string")
    kerasette.Model(inputs, layer(inputs)).save(str(tmp_path / "m.keras"))
    with zipfile.ZipFile(tmp_path / "m.keras") as source, \
            zipfile.ZipFile(tmp_path / "broken.keras", "w") as target:
        for name in source.namelist():
            if not name.startswith("assets/"):
                target.writestr(name, source.read(name))
    with pytest.raises(WeightFileError, match="assets of StringLookup 'string_lookup'.*vocabulary.txt.* is missing"):
        kerasette.models.load_model(str(tmp_path / "broken.keras"))


def test_string_inputs_checked_by_predict():
    inputs = kerasette.Input((1,), dtype="string")
    lookup = kerasette.layers.StringLookup(vocabulary=["a", "b"])
    model = kerasette.Model(inputs, lookup(inputs))
    np.testing.assert_array_equal(model.predict(np.array([["b"], ["z"]]), verbose=0), [[2], [0]])
    with pytest.raises(TypeError, match="x must hold strings"):
        model.predict(np.array([[1.0], [2.0]]), verbose=0)
    numeric = kerasette.Input((1,))
    other = kerasette.Model(numeric, kerasette.layers.Dense(1)(numeric))
    with pytest.raises(TypeError, match="x must hold numbers"):
        other.predict(np.array([["b"]]), verbose=0)


def test_keras3_text_model_file(tmp_path):
    pytest.importorskip("farmhash", reason="the text extra (pyfarmhash) is not installed")
    from .fixtures import data, path
    kerasette.backend.clear_session()
    source = path("text_model.keras")
    model = kerasette.models.load_model(source)
    x = [data()[f"text_model.x.{i}"] for i in range(3)]
    expected = [data()[f"text_model.y.{i}"] for i in range(4)]
    for got, want in zip(model.predict(x, verbose=0), expected):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    model.save(str(tmp_path / "again.keras"))
    with zipfile.ZipFile(source) as theirs, zipfile.ZipFile(tmp_path / "again.keras") as ours:
        their_assets = {n: theirs.read(n) for n in theirs.namelist() if n.startswith("assets/")}
        our_assets = {n: ours.read(n) for n in ours.namelist() if n.startswith("assets/")}
    assert our_assets == their_assets          # the same files, byte for byte
    again = kerasette.models.load_model(str(tmp_path / "again.keras"))
    for got, want in zip(again.predict(x, verbose=0), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
