"""Training against real Keras: same model, same start, same batches, same numbers.

``tests/fixtures/keras_training.npz`` was written by real Keras 3 (jax backend)
with ``tests/fixtures/make_keras_fixtures.py``. It holds two runs of
``train_on_batch`` from fixed initial weights on fixed batches:

* ``cnn``: the tutorial's CNN (Conv2D 10@5x5 relu, MaxPooling2D, Conv2D 20@5x5
  relu, MaxPooling2D, Flatten, Dense 50 relu, Dense 10 softmax) with
  SGD(learning_rate=0.05, momentum=0.9) and sparse_categorical_crossentropy,
  four batches of 16 images (stored as uint8, divided by 255 on both sides);
* ``mlp``: Dense 16 relu, Dense 3 softmax on 20 features with
  Adam(learning_rate=0.01), categorical_crossentropy and accuracy, five
  batches of 32 (weights after every step are stored too).

Each test rebuilds the model in kerasette, sets Keras' initial weights,
compiles with the same optimizer, loss and metrics, and checks the loss (and
accuracy) ``train_on_batch`` returns at each step, the weights after training,
and ``evaluate``/``predict`` on a held-out batch.
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from kerasette import backend
from kerasette.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from kerasette.models import Model
from kerasette.optimizers import SGD, Adam

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_training.npz")
# one step: float32 rounding only. Several steps compound it (momentum and Adam's
# 1/sqrt(v) amplify tiny gradient differences), hence the looser weight rtol below.
LOSS_RTOL = 1e-5
WEIGHT_RTOL, WEIGHT_ATOL = 1e-5, 1e-6


def load_fixture() -> dict:
    with np.load(FIXTURE, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


DATA = load_fixture()


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def pixels(array_uint8):
    """Exactly the fixture script's conversion."""
    return array_uint8.astype("float32") / np.float32(255.0)


def stored(prefix: str, field: str) -> list:
    return [DATA[f"{prefix}.{field}_{i}"] for i in range(int(DATA[f"{prefix}.weight_count"]))]


def tutorial_cnn():
    inputs = Input(shape=(28, 28, 1))
    x = Conv2D(10, 5, activation="relu")(inputs)
    x = MaxPooling2D()(x)
    x = Conv2D(20, 5, activation="relu")(x)
    x = MaxPooling2D()(x)
    x = Flatten()(x)
    x = Dense(50, activation="relu")(x)
    outputs = Dense(10, activation="softmax")(x)
    return Model(inputs, outputs)


def mlp():
    inputs = Input(shape=(20,))
    x = Dense(16, activation="relu")(inputs)
    outputs = Dense(3, activation="softmax")(x)
    return Model(inputs, outputs)


def cnn_setup():
    model = tutorial_cnn()
    model.set_weights(stored("cnn", "initial"))
    model.compile(optimizer=SGD(learning_rate=0.05, momentum=0.9), loss="sparse_categorical_crossentropy")
    images, labels = DATA["cnn.images_uint8"], DATA["cnn.labels"]
    batches = [(pixels(images[i]), labels[i]) for i in range(4)]
    return model, batches, (pixels(images[4]), labels[4])


def mlp_setup():
    model = mlp()
    model.set_weights(stored("mlp", "initial"))
    model.compile(optimizer=Adam(learning_rate=0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    features, onehot = DATA["mlp.features"], DATA["mlp.onehot"]
    batches = [(features[i], onehot[i]) for i in range(5)]
    return model, batches, (features[5], onehot[5])


def assert_weights_equal(actual, expected, what, rtol=WEIGHT_RTOL, atol=WEIGHT_ATOL):
    assert len(actual) == len(expected)
    for index, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape, f"{what}: weight {index} shape {a.shape}, Keras {e.shape}"
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=f"{what}: weight {index}")


def test_models_have_keras_weight_layout():
    for prefix, build in (("cnn", tutorial_cnn), ("mlp", mlp)):
        model = build()
        shapes = [tuple(w.shape) for w in model.get_weights()]
        assert shapes == [w.shape for w in stored(prefix, "initial")]
        assert model.count_params() == sum(w.size for w in stored(prefix, "initial"))


def test_cnn_sgd_momentum_train_on_batch_matches_keras():
    model, batches, _ = cnn_setup()
    losses = [float(np.ravel(model.train_on_batch(x, y))[0]) for x, y in batches]
    np.testing.assert_allclose(losses, DATA["cnn.train_on_batch"][:, 0], rtol=LOSS_RTOL)
    assert_weights_equal(model.get_weights(), stored("cnn", "final"), "cnn after 4 steps")


def test_cnn_evaluate_and_predict_after_training_match_keras():
    model, batches, (x, y) = cnn_setup()
    for batch_x, batch_y in batches:
        model.train_on_batch(batch_x, batch_y)
    np.testing.assert_allclose(model.predict(x, batch_size=len(x), verbose=0), DATA["cnn.predict"],
                               rtol=1e-5, atol=1e-6)
    result = np.atleast_1d(model.evaluate(x, y, batch_size=len(x), verbose=0))
    np.testing.assert_allclose(result, DATA["cnn.evaluate"], rtol=LOSS_RTOL)


def test_mlp_adam_train_on_batch_matches_keras_step_by_step():
    model, batches, _ = mlp_setup()
    expected = DATA["mlp.train_on_batch"]        # rows: steps; columns: loss, accuracy
    for step, (x, y) in enumerate(batches):
        loss, accuracy = model.train_on_batch(x, y)
        np.testing.assert_allclose(loss, expected[step, 0], rtol=LOSS_RTOL, err_msg=f"loss at step {step}")
        assert accuracy == pytest.approx(float(expected[step, 1]), abs=1e-7), f"accuracy at step {step}"
        assert_weights_equal(model.get_weights(), stored("mlp", f"step_{step}_weight"), f"mlp after step {step}")
    assert_weights_equal(model.get_weights(), stored("mlp", "final"), "mlp final")


def test_mlp_evaluate_and_predict_after_training_match_keras():
    model, batches, (x, y) = mlp_setup()
    for batch_x, batch_y in batches:
        model.train_on_batch(batch_x, batch_y)
    np.testing.assert_allclose(model.predict(x, batch_size=len(x), verbose=0), DATA["mlp.predict"],
                               rtol=1e-5, atol=1e-6)
    loss, accuracy = model.evaluate(x, y, batch_size=len(x), verbose=0)
    keras_loss, keras_accuracy = DATA["mlp.evaluate"]
    np.testing.assert_allclose(loss, keras_loss, rtol=LOSS_RTOL)
    assert accuracy == pytest.approx(float(keras_accuracy), abs=1e-7)


def test_run_eagerly_gives_the_same_training_numbers():
    """Define-by-run training (run_eagerly=True) follows the same Keras numbers."""
    model, batches, _ = mlp_setup()
    model.compile(optimizer=Adam(learning_rate=0.01), loss="categorical_crossentropy", metrics=["accuracy"],
                  run_eagerly=True)
    for step, (x, y) in enumerate(batches):
        loss, _ = model.train_on_batch(x, y)
        np.testing.assert_allclose(loss, DATA["mlp.train_on_batch"][step, 0], rtol=LOSS_RTOL)
    assert_weights_equal(model.get_weights(), stored("mlp", "final"), "mlp final (eager)")


def test_fixture_was_made_by_keras_3_on_jax():
    versions = json.loads(str(DATA["versions"]))
    assert versions["keras"].startswith("3.") and versions["backend"] == "jax"
