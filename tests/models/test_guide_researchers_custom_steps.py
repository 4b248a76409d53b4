"""A Model subclass's own train_step/test_step, called by fit/evaluate as Keras 3 calls them
(shown by the keras.io guide 'Introduction to Keras for researchers', whose CustomModel
overrides train_step and compiles with no loss)."""
import os

import numpy as np
import pytest

import kerasette as keras


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _data():
    rng = np.random.default_rng(0)
    return rng.random((64, 12)).astype("float32"), rng.integers(0, 5, 64)


def _functional(k, seed=3):
    inputs = k.Input(shape=(12,))
    x = k.layers.Dense(8, activation="relu", kernel_initializer=k.initializers.GlorotUniform(seed))(inputs)
    return inputs, k.layers.Dense(5, kernel_initializer=k.initializers.GlorotUniform(seed + 1))(x)


class CustomModel(keras.Model):
    """The guide's CustomModel, its gradients taken the kerasette way (loss.backward())."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy = keras.metrics.SparseCategoricalAccuracy()
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.seen = []

    def train_step(self, data):
        x, y = data
        self.seen.append(type(data))
        y_pred = self(x, training=True)
        loss = self.loss_fn(y, y_pred)
        for weight in self.trainable_weights:
            weight.zero_grad()
        loss.backward()
        self.optimizer.apply_gradients(zip([w.grad for w in self.trainable_weights], self.trainable_weights))
        self.loss_tracker.update_state(loss)
        self.accuracy.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "accuracy": self.accuracy.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy]


def test_fit_calls_the_models_train_step_with_no_loss_compiled_and_matches_keras_fit():
    k = _keras()
    x, y = _data()
    model = CustomModel(*_functional(keras))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1))     # no loss: the step has its own
    initial = model.get_weights()
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert model.seen == [tuple] * 8
    assert list(history.history) == ["accuracy", "loss"]

    reference = k.Model(*_functional(k))
    reference.set_weights(initial)
    reference.compile(optimizer=k.optimizers.SGD(learning_rate=0.1),
                      loss=k.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[k.metrics.SparseCategoricalAccuracy(name="accuracy")])
    expected = reference.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    for ours, theirs in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    # the step's Mean and accuracy are reset each epoch, as Keras 3 resets model.metrics
    np.testing.assert_allclose(history.history["loss"], expected["loss"], rtol=1e-5)
    np.testing.assert_allclose(history.history["accuracy"], expected["accuracy"], rtol=1e-6)


def test_compile_with_no_optimizer_replaces_the_one_set_in_init_as_keras_does():
    k = _keras()
    for lib in (keras, k):
        class Holder(lib.Model):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.optimizer = lib.optimizers.Adam(learning_rate=1e-3)

        model = Holder(*_functional(lib))
        model.compile()
        assert type(model.optimizer).__name__ == "RMSprop"


def test_data_is_packed_as_keras_packs_it_and_logs_are_flattened_floats():
    seen = []

    class Recorder(keras.Model):
        def train_step(self, data):
            seen.append(data)
            return {"outer": {"inner": keras.ops.convert_to_tensor(2.5)}, "count": 3, "name": "text"}

    model = Recorder(*_functional(keras))
    model.compile()
    x, y = _data()
    history = model.fit(x, batch_size=32, epochs=1, verbose=0)
    assert isinstance(seen[0], keras.Tensor) and tuple(seen[0].shape) == (32, 12)    # x alone
    assert history.history == {"count": [3.0], "inner": [2.5], "name": ["text"]}
    seen.clear()
    model.fit(x, y, sample_weight=np.ones(64), batch_size=64, epochs=1, shuffle=False, verbose=0)
    assert len(seen[0]) == 3 and [tuple(part.shape) for part in seen[0]] == [(64, 12), (64,), (64,)]
    np.testing.assert_array_equal(seen[0][1].numpy(), y)


def test_evaluate_calls_the_models_test_step():
    class Tested(keras.Model):
        def test_step(self, data):
            x, y = data
            error = keras.ops.mean(keras.ops.abs(keras.ops.max(self(x), axis=-1) - keras.ops.cast(y, "float32")))
            return {"mae_of_max": error}

    x, y = _data()
    model = Tested(*_functional(keras))
    model.compile()
    logs = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    expected = np.mean(np.abs(model.predict(x, verbose=0).max(axis=-1) - y))
    assert list(logs) == ["mae_of_max"]
    np.testing.assert_allclose(logs["mae_of_max"], expected, rtol=1e-6)


def test_a_train_step_that_returns_no_dict_is_named_in_the_error():
    class Bad(keras.Model):
        def train_step(self, data):
            return 1.0

    model = Bad(*_functional(keras))
    model.compile()
    before = [w.copy() for w in model.get_weights()]
    x, y = _data()
    with pytest.raises(TypeError, match=r"Bad.train_step\(\) must return a dict"):
        model.fit(x, y, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_on_batch_methods_call_the_steps_and_list_values_as_keras_3_does():
    k = _keras()
    x, y = _data()
    model = CustomModel(*_functional(keras))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    initial = model.get_weights()
    values = model.train_on_batch(x, y)
    logs = model.train_on_batch(x, y, return_dict=True)

    reference = k.Model(*_functional(k))
    reference.set_weights(initial)
    reference.compile(optimizer=k.optimizers.SGD(learning_rate=0.1),
                      loss=k.losses.SparseCategoricalCrossentropy(from_logits=True))
    first = reference.train_on_batch(x, y)
    second = reference.train_on_batch(x, y)
    # model.metrics lists [loss, accuracy]: Keras 3 gives the values in that order
    assert len(values) == 2 and list(logs) == ["accuracy", "loss"]
    np.testing.assert_allclose(values[0], first, rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], second, rtol=1e-5)


def test_predict_calls_the_models_predict_step_and_joins_its_structure():
    class Probabilities(keras.Model):
        def predict_step(self, data):
            logits = self(data, training=False)
            return {"probs": keras.ops.softmax(logits), "top": keras.ops.argmax(logits, axis=-1)}

    x, _ = _data()
    model = Probabilities(*_functional(keras))
    out = model.predict(x, batch_size=20, verbose=0)      # 4 batches, the last of 4 rows
    logits = keras.Model(model.inputs, model.outputs).predict(x, verbose=0)
    assert sorted(out) == ["probs", "top"] and out["probs"].shape == (64, 5)
    np.testing.assert_allclose(out["probs"], np.exp(logits) / np.exp(logits).sum(-1, keepdims=True), rtol=1e-5)
    np.testing.assert_array_equal(out["top"], logits.argmax(-1))
    np.testing.assert_array_equal(model.predict_on_batch(x[:3])["top"], logits[:3].argmax(-1))
