"""What keras.io's "Training & evaluation with the built-in methods" guide
showed kerasette doing differently from Keras 3.15.

* A metric object passed to ``compile(metrics=[...])`` (the guide's first
  example, ``keras.metrics.SparseCategoricalAccuracy()``) was reported as 0:
  the model kept the list it was given, so the user's own, never updated
  object was found again among the model's tracked metrics, under the same
  name, and its 0 overwrote the compiled copy's value in the logs;
  ``evaluate`` returned one value too many.
"""
import os

import numpy as np
import pytest

import kerasette as keras
from kerasette import backend


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    backend.set_seed(0)
    yield


rng = np.random.default_rng(0)
X = rng.random((96, 12)).astype("float32")
Y = rng.integers(0, 5, 96).astype("float32")


def _classifier(lib):
    inputs = lib.Input(shape=(12,), name="digits")
    hidden = lib.layers.Dense(16, activation="relu", name="dense_1")(inputs)
    outputs = lib.layers.Dense(5, activation="softmax", name="predictions")(hidden)
    return lib.Model(inputs=inputs, outputs=outputs)


def test_metric_object_in_compile_is_reported_not_zero():
    model = _classifier(keras)
    model.compile(optimizer=keras.optimizers.RMSprop(), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    history = model.fit(X, Y, batch_size=32, epochs=2, verbose=0)
    assert model.metrics_names == ["loss", "sparse_categorical_accuracy"]
    assert all(value > 0 for value in history.history["sparse_categorical_accuracy"])
    results = model.evaluate(X, Y, batch_size=32, verbose=0)
    assert len(results) == 2
    expected = np.mean(np.argmax(model.predict(X, verbose=0), axis=1) == Y)
    np.testing.assert_allclose(results[1], expected, rtol=1e-6)
    named = model.evaluate(X, Y, batch_size=32, verbose=0, return_dict=True)
    assert sorted(named) == ["loss", "sparse_categorical_accuracy"]


def test_metric_objects_in_compile_match_keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    ours, theirs = _classifier(keras), _classifier(real)
    theirs.set_weights(ours.get_weights())
    for lib, model in ((keras, ours), (real, theirs)):
        model.compile(optimizer="rmsprop", loss=lib.losses.SparseCategoricalCrossentropy(),
                      metrics=[lib.metrics.SparseCategoricalAccuracy(), lib.metrics.SparseTopKCategoricalAccuracy(k=2)])
    got = ours.evaluate(X, Y, batch_size=32, verbose=0, return_dict=True)
    want = theirs.evaluate(X, Y, batch_size=32, verbose=0, return_dict=True)
    assert sorted(got) == sorted(want)
    for name in want:
        np.testing.assert_allclose(got[name], float(want[name]), rtol=1e-5, atol=1e-6)


class _KeyRecorder:
    """Builds, for a library, a callback that records the keys of every logs dict it is given."""

    @staticmethod
    def make(lib):
        class Recorder(lib.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.keys = []

            def on_train_batch_end(self, batch, logs=None):
                self.keys.append(("train_batch", list(logs)))

            def on_test_batch_end(self, batch, logs=None):
                self.keys.append(("test_batch", list(logs)))

            def on_epoch_end(self, epoch, logs=None):
                self.keys.append(("epoch", list(logs)))

            def on_train_end(self, logs=None):
                self.keys.append(("train_end", list(logs)))

        return Recorder()


def test_logs_are_in_key_order_like_keras():
    """Keras 3 hands out every logs dict sorted by key (the guide's custom metric
    ``categorical_true_positives`` shows before ``loss``); evaluate()'s list keeps
    the compile order."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    x = rng.random((16, 12)).astype("float32")
    y = rng.random((16, 1)).astype("float32")
    seen = {}
    for lib in (keras, real):
        model = lib.Sequential([lib.Input((12,)), lib.layers.Dense(1)])
        model.compile("sgd", "mse", metrics=["mae", lib.metrics.MeanSquaredError(name="a_mse"),
                                             lib.metrics.RootMeanSquaredError(name="zz")])
        recorder = _KeyRecorder.make(lib)
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_split=0.5, callbacks=[recorder])
        seen[lib] = (recorder.keys, list(history.history), list(model.evaluate(x, y, verbose=0, return_dict=True)),
                     list(model.test_on_batch(x, y, return_dict=True)), len(model.evaluate(x, y, verbose=0)))
    assert seen[keras] == seen[real]
    assert seen[keras][1] == ["a_mse", "loss", "mae", "val_a_mse", "val_loss", "val_mae", "val_zz", "zz"]


def test_the_users_metric_object_is_the_one_updated():
    """Keras 3 updates the metric object given to compile() itself: its result() after
    fit is the last epoch's value (a copy is made only where one object serves several
    outputs, each renamed after its output)."""
    accuracy = keras.metrics.SparseCategoricalAccuracy()
    model = _classifier(keras)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=[accuracy])
    history = model.fit(X, Y, batch_size=32, epochs=2, verbose=0)
    assert float(accuracy.result()) == pytest.approx(history.history["sparse_categorical_accuracy"][-1])
    assert float(accuracy.result()) > 0

    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    theirs = _classifier(real)
    theirs.set_weights(model.get_weights())
    ours_metric, their_metric = keras.metrics.SparseCategoricalAccuracy(), real.metrics.SparseCategoricalAccuracy()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=[ours_metric])
    theirs.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=[their_metric])
    model.evaluate(X, Y, batch_size=32, verbose=0)
    theirs.evaluate(X, Y, batch_size=32, verbose=0)
    assert float(ours_metric.result()) == pytest.approx(float(their_metric.result()), rel=1e-6)


def test_one_metric_object_for_two_outputs_is_copied_per_output():
    inputs = keras.Input((12,), name="x")
    first = keras.layers.Dense(5, activation="softmax", name="first")(inputs)
    second = keras.layers.Dense(5, activation="softmax", name="second")(inputs)
    model = keras.Model(inputs, [first, second])
    shared = keras.metrics.SparseCategoricalAccuracy(name="acc")
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=[shared])
    logs = model.evaluate(X, [Y, Y], verbose=0, return_dict=True)
    assert {"first_acc", "second_acc"} <= set(logs) and shared.name == "acc"
