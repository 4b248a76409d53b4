"""Keras 3 user code: callbacks during fit's validation, frozen models, and a
Sequential built from its first batch.

* Validation inside ``fit`` runs through the callbacks as Keras 3's does
  (it calls ``evaluate(callbacks=...)``): ``on_test_begin``, the test-batch
  hooks and ``on_test_end`` between the last train batch and
  ``on_epoch_end``.  The sequences below were recorded on Keras 3.15.
* A model without trainable weights (none at all, or all frozen) trains:
  losses and metrics are reported, nothing is updated, the optimizer's
  ``iterations`` stays 0 (Keras 3's numbers).
* A Sequential without an ``Input`` builds from the first batch in every
  entry point, and says what it lacks before that, as Keras 3 does.
"""
import contextlib
import io

import numpy as np
import pytest

import kerasette as keras
from kerasette import backend


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    backend.set_seed(0)
    yield
    backend.set_parallel_shards("auto")


rng = np.random.default_rng(0)
X = rng.random((10, 3)).astype(np.float32)
Y = rng.random((10, 1)).astype(np.float32)

HOOKS = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
         "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
         "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"]


class Recorder(keras.callbacks.Callback):
    """Every hook with its batch or epoch and the keys of its logs."""

    def __init__(self):
        super().__init__()
        self.calls = []
        self.logs = {}

    def record(self, hook, *args, logs=None):
        self.calls.append((hook, *args, tuple(sorted(logs or {}))))
        self.logs[hook] = dict(logs or {})


for _hook in HOOKS:
    if "batch" in _hook or "epoch" in _hook:
        setattr(Recorder, _hook, lambda self, number, logs=None, _hook=_hook: self.record(_hook, number, logs=logs))
    else:
        setattr(Recorder, _hook, lambda self, logs=None, _hook=_hook: self.record(_hook, logs=logs))


def dense_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    return model


TRAIN_EPOCH = [item for step in range(3) for item in
               [("on_train_batch_begin", step, ()), ("on_train_batch_end", step, ("loss", "mae"))]]
VALIDATION = [("on_test_begin", ()), ("on_test_batch_begin", 0, ()), ("on_test_batch_end", 0, ("loss", "mae")),
              ("on_test_batch_begin", 1, ()), ("on_test_batch_end", 1, ("loss", "mae")),
              ("on_test_end", ("loss", "mae"))]
EPOCH_KEYS = ("loss", "mae")
VAL_EPOCH_KEYS = ("loss", "mae", "val_loss", "val_mae")


# ------------------------------------------------------- item 15: callbacks
def test_validation_in_fit_calls_the_test_hooks_as_keras_3():
    model, recorder = dense_model(), Recorder()
    model.fit(X, Y, epochs=2, batch_size=4, verbose=0, validation_data=(X[:6], Y[:6]), validation_freq=2,
              callbacks=[recorder])
    # recorded on Keras 3.15.1: validation (every 2nd epoch) runs after the last train batch
    assert recorder.calls == (
        [("on_train_begin", ()), ("on_epoch_begin", 0, ())] + TRAIN_EPOCH + [("on_epoch_end", 0, EPOCH_KEYS)]
        + [("on_epoch_begin", 1, ())] + TRAIN_EPOCH + VALIDATION
        + [("on_epoch_end", 1, VAL_EPOCH_KEYS), ("on_train_end", VAL_EPOCH_KEYS)])
    # on_test_end has the validation logs without the val_ prefix; on_epoch_end, with it
    epoch_logs = recorder.logs["on_epoch_end"]
    assert recorder.logs["on_test_end"] == {"loss": epoch_logs["val_loss"], "mae": epoch_logs["val_mae"]}
    assert epoch_logs["val_loss"] == pytest.approx(model.evaluate(X[:6], Y[:6], batch_size=4, verbose=0)[0])


def test_evaluate_and_predict_call_their_hooks_as_keras_3():
    model = dense_model()
    recorder = Recorder()
    model.evaluate(X, Y, batch_size=8, verbose=0, callbacks=[recorder])
    assert recorder.calls == [("on_test_begin", ()), ("on_test_batch_begin", 0, ()),
                              ("on_test_batch_end", 0, ("loss", "mae")), ("on_test_batch_begin", 1, ()),
                              ("on_test_batch_end", 1, ("loss", "mae")), ("on_test_end", ("loss", "mae"))]
    recorder = Recorder()
    model.predict(X, batch_size=8, verbose=0, callbacks=[recorder])
    assert recorder.calls == [("on_predict_begin", ()), ("on_predict_batch_begin", 0, ()),
                              ("on_predict_batch_end", 0, ("outputs",)), ("on_predict_batch_begin", 1, ()),
                              ("on_predict_batch_end", 1, ("outputs",)), ("on_predict_end", ())]


def test_validation_from_batches_and_a_split_call_the_test_hooks_too():
    for kwargs in (dict(validation_data=[(X[:4], Y[:4]), (X[4:6], Y[4:6])]), dict(validation_split=0.6)):
        model, recorder = dense_model(), Recorder()
        model.fit(X, Y, epochs=1, batch_size=4, verbose=0, callbacks=[recorder], **kwargs)
        hooks = [call[0] for call in recorder.calls]
        assert hooks[-8:] == ["on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_batch_begin",
                              "on_test_batch_end", "on_test_end", "on_epoch_end", "on_train_end"]


def test_a_callback_can_stop_the_validation_pass():
    class StopAfterOne(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            self.model.stop_evaluating = True

    model, recorder = dense_model(), Recorder()
    model.fit(X, Y, epochs=1, batch_size=2, verbose=0, validation_data=(X, Y), callbacks=[StopAfterOne(), recorder])
    assert [call[0] for call in recorder.calls].count("on_test_batch_end") == 1
    assert recorder.logs["on_epoch_end"]["val_loss"] == pytest.approx(
        model.evaluate(X[:2], Y[:2], verbose=0)[0])


def test_the_progress_bar_stays_silent_during_fit_validation():
    model = dense_model()
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        model.fit(X, Y, epochs=2, batch_size=4, verbose=2, validation_data=(X, Y))
    lines = [line for line in output.getvalue().splitlines() if line.strip()]
    # Epoch 1/2, its line with val_loss, Epoch 2/2, its line: no separate bar for the validation
    assert len(lines) == 4 and "val_loss" in lines[1] and "val_loss" in lines[3]


# ---------------------------------------------- item 13: no trainable weights
KERAS_FROZEN_LOSS, KERAS_FROZEN_MAE = 1.4163185358047485, 1.0593851804733276


@pytest.mark.parametrize("run_eagerly", [False, True], ids=["compiled", "eager"])
@pytest.mark.parametrize("freeze", ["model", "layer"])
def test_a_frozen_model_trains_without_updates(freeze, run_eagerly):
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(1, kernel_initializer="ones", trainable=freeze != "layer")])
    if freeze == "model":
        model.trainable = False
    model.compile(optimizer="adam", loss="mse", metrics=["mae"], run_eagerly=run_eagerly)
    before = model.get_weights()
    history = model.fit(X, Y, epochs=2, batch_size=4, verbose=0, validation_data=(X, Y))
    # Keras 3.15's numbers: the loss and the metric of weights that never move
    np.testing.assert_allclose(history.history["loss"], [KERAS_FROZEN_LOSS] * 2, rtol=1e-6)
    np.testing.assert_allclose(history.history["mae"], [KERAS_FROZEN_MAE] * 2, rtol=1e-6)
    np.testing.assert_allclose(history.history["val_loss"], [KERAS_FROZEN_LOSS] * 2, rtol=1e-6)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert int(model.optimizer.iterations.numpy()) == 0
    assert model.train_on_batch(X, Y, return_dict=True)["loss"] == pytest.approx(KERAS_FROZEN_LOSS, rel=1e-6)


@pytest.mark.parametrize("run_eagerly", [False, True], ids=["compiled", "eager"])
@pytest.mark.parametrize("freeze", ["model", "layer", "none"])
def test_only_trainable_weights_add_their_regularization_penalty(freeze, run_eagerly):
    # Keras 3's numbers: mse 9, and the l2 penalty 3 only while the kernel trains
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 1), np.float32)
    dense = keras.layers.Dense(1, kernel_initializer="ones", kernel_regularizer=keras.regularizers.l2(1.0))
    model = keras.Sequential([keras.Input((3,)), keras.Sequential([keras.Input((3,)), dense])])
    if freeze == "model":
        model.trainable = False
    elif freeze == "layer":
        dense.trainable = False
    model.compile(optimizer="sgd", loss="mse", run_eagerly=run_eagerly)
    expected = 12.0 if freeze == "none" else 9.0
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected)
    assert model.fit(x, y, verbose=0).history["loss"] == [pytest.approx(expected)]


@pytest.mark.parametrize("run_eagerly", [False, True], ids=["compiled", "eager"])
def test_a_model_without_weights_trains(run_eagerly):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Flatten()])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=run_eagerly)
    assert model.fit(X, X, epochs=2, verbose=0).history["loss"] == [0.0, 0.0]
    assert model.fit(X, X + 1.0, epochs=1, verbose=0).history["loss"] == [pytest.approx(1.0)]

    class NoWeights(keras.Model):
        def call(self, inputs):
            return inputs * 2.0

    subclassed = NoWeights()
    subclassed.compile(optimizer="adam", loss="mae", run_eagerly=run_eagerly)
    history = subclassed.fit(X, 2.0 * X + 0.5, batch_size=5, epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [0.5, 0.5], rtol=1e-6)
    assert int(subclassed.optimizer.iterations.numpy()) == 0


def test_a_frozen_convolutional_model_trains_with_shards_on():
    backend.set_parallel_shards(2)
    images = np.random.default_rng(1).random((64, 8, 8, 1)).astype(np.float32)
    targets = np.random.default_rng(2).random((64, 1)).astype(np.float32)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3), keras.layers.MaxPooling2D(),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    model.trainable = False
    model.compile(optimizer="adam", loss="mse")
    expected = model.evaluate(images, targets, batch_size=64, verbose=0)
    history = model.fit(images, targets, batch_size=64, epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [expected] * 2, rtol=1e-5)
    assert int(model.optimizer.iterations.numpy()) == 0


# ----------------------------------------- item 8: a Sequential without Input
def unbuilt(run_eagerly=False):
    model = keras.Sequential([keras.layers.Dense(4, activation="relu", kernel_initializer="ones"),
                              keras.layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=run_eagerly)
    return model


def test_a_sequential_without_input_says_what_it_lacks_before_it_is_built():
    model = unbuilt()
    for attribute, what in (("inputs", "inputs"), ("outputs", "outputs"), ("input_shape", "input shape"),
                            ("output_shape", "output shape")):
        with pytest.raises(AttributeError, match=f"Sequential model '{model.name}' has no defined {what} yet"):
            getattr(model, attribute)
    assert not hasattr(model, "inputs")
    with pytest.raises(ValueError, match="is not built yet"):
        model.count_params()
    assert model.weights == []
    with contextlib.redirect_stdout(io.StringIO()):
        model.summary()   # an unbuilt table, as Keras prints


@pytest.mark.parametrize("run_eagerly", [False, True], ids=["compiled", "eager"])
@pytest.mark.parametrize("first", ["fit", "fit_generator", "evaluate", "predict", "train_on_batch", "test_on_batch",
                                   "predict_on_batch", "call"])
def test_a_sequential_without_input_builds_from_its_first_batch(first, run_eagerly):
    model = unbuilt(run_eagerly)
    reference = keras.Sequential([keras.Input((3,))] + [type(layer).from_config(layer.get_config())
                                                       for layer in unbuilt().layers])
    reference.compile(optimizer="sgd", loss="mse")
    calls = {
        "fit": lambda m: m.fit(X, Y, batch_size=10, verbose=0).history["loss"][0],
        "fit_generator": lambda m: m.fit(iter([(X, Y)]), verbose=0).history["loss"][0],
        "evaluate": lambda m: m.evaluate(X, Y, verbose=0),
        "predict": lambda m: m.predict(X, verbose=0),
        "train_on_batch": lambda m: m.train_on_batch(X, Y),
        "test_on_batch": lambda m: m.test_on_batch(X, Y),
        "predict_on_batch": lambda m: m.predict_on_batch(X),
        "call": lambda m: np.asarray(m(X)),
    }
    np.testing.assert_allclose(calls[first](model), calls[first](reference), rtol=1e-6)
    assert model.built and model.input_shape == (None, 3) and model.output_shape == (None, 1)
    assert model.count_params() == 21
    # and every other entry point works on it afterwards
    model.fit(X, Y, epochs=1, verbose=0)
    assert model.predict(X, verbose=0).shape == (10, 1)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        model.summary()
    assert "(None, 4)" in output.getvalue() and "Total params: 21" in output.getvalue()
    assert model.get_config()["layers"][0]["class_name"] == "InputLayer"
