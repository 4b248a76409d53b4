"""A Transformer encoder classifier written in Keras 3 code trains, predicts and saves as Keras 3 does.

The model (tests/fixtures/make_transformer_fixtures.py, ``build_model``) is
the same source for both libraries: custom ``TokenAndPositionEmbedding`` and
``TransformerBlock`` layers (sublayer attributes, ``ops.arange``, a padding
mask turned into the attention mask), two blocks, pooling, a softmax head.
Real Keras 3 (jax) trained it four Adam steps from fixed weights and saved
it as ``keras_transformer.weights.h5`` and ``keras_transformer.keras``; kerasette must
give the same losses, weights and predictions, read both files, and write
files that the installed Keras 3 reads back (that part skips only where
Keras 3 is not installed; the test extra installs it).
"""
import importlib
import json
import os

import numpy as np
import pytest

import kerasette
from kerasette import backend
from tests.fixtures import make_transformer_fixtures as spec

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures")
DATA = np.load(os.path.join(FIXTURES, "keras_transformer.npz"))


def numbered(prefix):
    count = sum(1 for key in DATA.files if key.startswith(prefix + "."))
    return [DATA[f"{prefix}.{i}"] for i in range(count)]


@pytest.fixture(autouse=True)
def fresh_session():
    backend.clear_session()
    yield
    backend.clear_session()


def trained_model():
    model = spec.build_model(kerasette)
    model.set_weights(numbered("weights"))
    model.compile(optimizer=kerasette.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    losses = [float(np.ravel(model.train_on_batch(x, y))[0]) for x, y in zip(numbered("x"), numbered("y"))]
    return model, losses


def test_four_adam_steps_give_keras_losses_and_weights():
    model, losses = trained_model()
    np.testing.assert_allclose(losses, DATA["losses"], rtol=1e-4)
    # the same weights in the same order, under Keras 3's full paths (the enclosing custom layers'
    # names too: ``transformer_block/multi_head_attention/query/kernel``)
    keras_paths = json.loads(str(DATA["paths"]))
    assert [w.path for w in model.weights] == keras_paths
    for weight, final in zip(model.get_weights(), numbered("final")):
        np.testing.assert_allclose(weight, final, rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(np.asarray(model.predict(DATA["predict.x"], verbose=0)), DATA["predict.y"],
                               rtol=1e-4, atol=1e-6)


def test_the_padding_mask_reaches_attention_and_pooling():
    """Padded positions neither attend nor get attended to nor pooled: their embeddings cannot matter."""
    model = spec.build_model(kerasette)
    model.set_weights(numbered("weights"))
    x = DATA["predict.x"]
    padded = (x[:, -1] == 0)
    assert padded.any() and not padded.all(), "the fixture batch should mix padded and full rows"
    before = np.asarray(model.predict(x, verbose=0))
    embedding = model.layers[1]
    token_table, position_table = (np.asarray(w).copy() for w in embedding.get_weights())
    token_table[0] += 5.0            # the padding id's embedding
    position_table[-1] += 5.0        # the last position, padding in the padded rows only
    embedding.set_weights([token_table, position_table])
    after = np.asarray(model.predict(x, verbose=0))
    np.testing.assert_allclose(after[padded], before[padded], rtol=1e-5, atol=1e-6)
    assert np.abs(after[~padded] - before[~padded]).max() > 1e-3


def test_keras3_weights_file_and_archive_load_and_predict_keras_numbers():
    model = spec.build_model(kerasette)
    model.load_weights(os.path.join(FIXTURES, "keras_transformer.weights.h5"))
    np.testing.assert_allclose(np.asarray(model.predict(DATA["predict.x"], verbose=0)), DATA["predict.y"],
                               rtol=1e-5, atol=1e-6)
    for weight, final in zip(model.get_weights(), numbered("final")):
        np.testing.assert_array_equal(weight, final)
    loaded = kerasette.models.load_model(os.path.join(FIXTURES, "keras_transformer.keras"))
    np.testing.assert_allclose(np.asarray(loaded.predict(DATA["predict.x"], verbose=0)), DATA["predict.y"],
                               rtol=1e-5, atol=1e-6)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "InputLayer", "TokenAndPositionEmbedding", "TransformerBlock", "TransformerBlock",
        "GlobalAveragePooling1D", "Dense"]


def real_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        module = importlib.import_module("keras")
    except Exception as error:   # absent, or present without a working backend
        pytest.skip(f"keras is not importable here: {type(error).__name__}")
    if module is kerasette or not hasattr(module, "saving"):
        pytest.skip("keras is not real Keras 3")
    return module


@pytest.mark.filterwarnings(r"ignore:`build\(\)` was called on layer:UserWarning")   # Keras 3 on custom layers
def test_keras3_reads_kerasette_weights_file_and_archive(tmp_path):
    keras = real_keras()
    model, _ = trained_model()
    expected = np.asarray(model.predict(DATA["predict.x"], verbose=0))
    model.save_weights(tmp_path / "t.weights.h5")
    model.save(tmp_path / "t.keras")
    rebuilt = spec.build_model(keras)
    rebuilt.load_weights(str(tmp_path / "t.weights.h5"))
    np.testing.assert_allclose(np.asarray(rebuilt.predict(DATA["predict.x"], verbose=0)), expected,
                               rtol=1e-5, atol=1e-6)
    loaded = keras.models.load_model(str(tmp_path / "t.keras"))
    np.testing.assert_allclose(np.asarray(loaded.predict(DATA["predict.x"], verbose=0)), expected,
                               rtol=1e-5, atol=1e-6)
    # Keras' optimizer state came back too: one more step from the same place gives the same loss
    x, y = DATA["x.0"], DATA["y.0"]
    np.testing.assert_allclose(float(loaded.train_on_batch(x, y)),
                               float(np.ravel(model.train_on_batch(x, y))[0]), rtol=1e-4)
