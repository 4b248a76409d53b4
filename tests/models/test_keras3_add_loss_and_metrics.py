"""Keras 3 user code: losses from ``add_loss()`` alone, and metrics updated in a layer's ``call()``.

Each test runs the keras.io pattern as written (``import kerasette as keras``)
and checks the numbers against a hand computation in numpy: the loss of each
step, the weights after it, what ``evaluate`` reports, and metric values that
are reset at every epoch.
"""
import numpy as np
import pytest

import kerasette as keras
from kerasette import backend, layers, ops


@pytest.fixture(autouse=True)
def fresh_state():
    backend.clear_session()
    backend.set_seed(0)
    yield
    backend.set_parallel_shards("auto")


def data(count=8, features=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((count, features)).astype(np.float32)


class SquaredActivity(layers.Layer):
    """keras.io's ActivityRegularizationLayer, with a squared activity."""

    def __init__(self, rate=0.5, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        return inputs


def hand_sgd(x, kernel, bias, rate, learning_rate, steps):
    """The add_loss value of each full-batch SGD step, and the weights after them:
    L = rate * mean((x W + b)^2), dL/dh = 2 rate h / h.size."""
    losses = []
    for _ in range(steps):
        h = x @ kernel + bias
        losses.append(rate * float(np.mean(h ** 2)))
        grad_h = 2.0 * rate * h / h.size
        kernel = kernel - learning_rate * (x.T @ grad_h)
        bias = bias - learning_rate * grad_h.sum(axis=0)
    return losses, kernel, bias


def functional_model():
    inputs = keras.Input(shape=(3,))
    hidden = layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")(inputs)
    return keras.Model(inputs, SquaredActivity(0.5)(hidden))


class SubclassedNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")

    def call(self, inputs):
        h = self.dense(inputs)
        self.add_loss(0.5 * ops.mean(ops.square(h)))
        return h


# ------------------------------------------------------------- add_loss alone
@pytest.mark.parametrize("build", [functional_model, SubclassedNet], ids=["functional", "subclassed"])
@pytest.mark.parametrize("run_eagerly", [False, True], ids=["compiled", "eager"])
def test_fit_x_alone_trains_on_the_add_loss_losses(build, run_eagerly):
    x = data()
    model = build()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), run_eagerly=run_eagerly)
    history = model.fit(x, batch_size=8, epochs=3, shuffle=False, verbose=0)

    losses, kernel, bias = hand_sgd(x, np.ones((3, 2), np.float32), np.zeros(2, np.float32), 0.5, 0.1, 3)
    assert sorted(history.history) == ["loss"]
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)
    assert losses[-1] < losses[0]
    np.testing.assert_allclose(model.get_weights()[0], kernel, rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[1], bias, rtol=1e-5, atol=1e-7)
    # evaluate reports the add_loss value as `loss`
    expected = 0.5 * float(np.mean((x @ kernel + bias) ** 2))
    assert model.evaluate(x, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert model.evaluate(x, verbose=0, return_dict=True) == {"loss": pytest.approx(expected, rel=1e-5)}
    assert model.train_on_batch(x) == pytest.approx(expected, rel=1e-5)
    assert model.predict(x, verbose=0).shape == (8, 2)


def test_batches_without_targets_train_on_the_add_loss_losses():
    x = data(16)
    model = functional_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1))

    def batches():
        while True:
            yield (x,)

    history = model.fit(batches(), steps_per_epoch=1, epochs=2, verbose=0)
    losses, _, _ = hand_sgd(x, np.ones((3, 2), np.float32), np.zeros(2, np.float32), 0.5, 0.1, 2)
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)
    assert model.evaluate([(x[:8],), (x[8:],)], verbose=0) > 0


def test_compiled_loss_plus_add_loss_and_regularization_in_fit_and_evaluate():
    # Keras 3: loss = compiled loss + every add_loss value + weight penalties, in evaluate too
    x = np.ones((4, 3), np.float32)
    y = np.zeros((4, 1), np.float32)
    inputs = keras.Input(shape=(3,))
    dense = layers.Dense(1, kernel_initializer="ones", kernel_regularizer=keras.regularizers.l2(1.0))
    model = keras.Model(inputs, SquaredActivity(0.5)(dense(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    # mse 9, l2 penalty 3, add_loss 0.5 * 9
    assert model.evaluate(x, y, verbose=0) == pytest.approx(9.0 + 3.0 + 4.5)
    assert model.test_on_batch(x, y) == pytest.approx(16.5)
    assert model.fit(x, y, epochs=1, verbose=0, batch_size=4).history["loss"] == [pytest.approx(16.5)]


def test_multi_output_losses_are_per_output_and_add_loss_joins_the_total():
    x = data(6)
    y = np.ones((6, 1), np.float32)
    inputs = keras.Input(shape=(3,))
    first = layers.Dense(1, kernel_initializer="ones", name="first")(inputs)
    second = layers.Dense(1, kernel_initializer="zeros", name="second")(inputs)
    model = keras.Model(inputs, [SquaredActivity(0.5, name="penalty")(first), second])
    prediction = x.sum(axis=1, keepdims=True)
    mse_first, mse_second = float(np.mean((prediction - 1.0) ** 2)), 1.0
    activity = 0.5 * float(np.mean(prediction ** 2))
    # one loss among the outputs: Keras 3 logs `loss` alone
    model.compile(optimizer="sgd", loss=["mse", None])
    logs = model.evaluate(x, [y, y], verbose=0, return_dict=True)
    assert logs == {"loss": pytest.approx(mse_first + activity, rel=1e-5)}
    # two: each output's loss too; the add_loss value is in `loss` alone
    model.compile(optimizer="sgd", loss=["mse", "mse"])
    logs = model.evaluate(x, [y, y], verbose=0, return_dict=True)
    assert logs == {"loss": pytest.approx(mse_first + mse_second + activity, rel=1e-5),
                    "penalty_loss": pytest.approx(mse_first, rel=1e-5), "second_loss": pytest.approx(1.0)}
    assert model.metrics_names == ["loss", "penalty_loss", "second_loss"]


def test_a_shared_layer_adds_a_loss_at_each_call():
    # Keras 3 keeps every add_loss of one outer call, a shared layer's two included
    x = data(4)
    activity = SquaredActivity(1.0)
    inputs = keras.Input(shape=(3,))
    outputs = layers.Add()([activity(inputs), activity(inputs * 2.0)])
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd")
    expected = float(np.mean(x ** 2) + np.mean((2 * x) ** 2))
    assert model.evaluate(x, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_a_batch_sum_add_loss_is_not_split_into_shards():
    # a loss that sums over the batch would halve if each half-batch shard computed it
    class BatchSum(layers.Layer):
        def call(self, inputs):
            self.add_loss(0.01 * ops.sum(ops.square(inputs)))
            return inputs

    x = np.random.default_rng(1).standard_normal((64, 6, 6, 1)).astype(np.float32)
    results = []
    for shards in (1, 2):
        backend.clear_session()
        backend.set_parallel_shards(shards)
        inputs = keras.Input(shape=(6, 6, 1))
        hidden = layers.Conv2D(2, 3, kernel_initializer="ones")(inputs)
        model = keras.Model(inputs, BatchSum()(layers.Flatten()(hidden)))
        model.compile(optimizer=keras.optimizers.SGD(0.001))
        results.append(model.fit(x, batch_size=64, epochs=2, verbose=0, shuffle=False).history["loss"])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)


def test_no_loss_at_all_is_refused_before_any_step():
    x = data()
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd")
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"No loss to compute\. Provide a `loss` argument in `compile\(\)`"):
        model.fit(x, np.zeros((8, 1), np.float32), verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"fit\(\) needs targets"):
        model.fit(x, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_add_metric_is_refused_as_in_keras_3():
    with pytest.raises(NotImplementedError, match=r"Layer `add_metric\(\)` method is deprecated"):
        layers.Dense(1).add_metric(1.0, name="one")


# ------------------------------------------------ metrics updated in call()
class LogisticEndpoint(keras.layers.Layer):
    """keras.io's endpoint layer ("Training & evaluation with the built-in methods")."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.accuracy_fn = keras.metrics.BinaryAccuracy()
        self.samples = keras.metrics.Sum(name="samples_seen")

    def call(self, targets, logits, sample_weights=None):
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)
        self.accuracy_fn.update_state(targets, logits, sample_weights)
        self.samples.update_state(ops.ones_like(logits[:, 0]))
        return ops.softmax(logits)


def endpoint_model():
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    return keras.Model(inputs=[inputs, targets], outputs=predictions)


def endpoint_data(count, seed=0):
    rng = np.random.default_rng(seed)
    return {"inputs": rng.random((count, 3)).astype(np.float32),
            "targets": (rng.random((count, 10)) > 0.5).astype(np.float32)}


def hand_endpoint(model, data):
    """Binary cross-entropy from logits and binary accuracy (logit > 0.5) by hand."""
    kernel, bias = model.get_weights()
    logits = data["inputs"] @ kernel + bias
    targets = data["targets"]
    loss = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    accuracy = np.mean((logits > 0.5) == (targets == 1))
    return float(loss.mean()), float(accuracy)


@pytest.mark.parametrize("run_eagerly", [False, True], ids=["compiled", "eager"])
def test_the_endpoint_layer_pattern_logs_its_metric_per_epoch(run_eagerly):
    train, validation = endpoint_data(12), endpoint_data(5, seed=1)
    model = endpoint_model()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), run_eagerly=run_eagerly)
    first_loss, first_accuracy = hand_endpoint(model, train)
    history = model.fit(train, batch_size=12, epochs=3, validation_data=(validation,), verbose=0)
    assert sorted(history.history) == ["binary_accuracy", "loss", "samples_seen", "val_binary_accuracy",
                                       "val_loss", "val_samples_seen"]
    # one batch per epoch: the first epoch's numbers are those of the initial weights
    assert history.history["loss"][0] == pytest.approx(first_loss, rel=1e-5)
    assert history.history["binary_accuracy"][0] == pytest.approx(first_accuracy, rel=1e-6)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # reset at every epoch (a Sum would keep growing otherwise), and per evaluation
    assert history.history["samples_seen"] == [12.0, 12.0, 12.0]
    assert history.history["val_samples_seen"] == [5.0, 5.0, 5.0]
    loss, accuracy = hand_endpoint(model, validation)
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-5)
    assert history.history["val_binary_accuracy"][-1] == pytest.approx(accuracy, rel=1e-6)
    assert model.metrics_names == ["loss", "binary_accuracy", "samples_seen"]
    results = model.evaluate(validation, verbose=0)
    assert results == [pytest.approx(loss, rel=1e-5), pytest.approx(accuracy), 5.0]
    assert model.predict(validation, verbose=0).shape == (5, 10)


def test_endpoint_metric_follows_sample_weights_and_train_on_batch_resets():
    data = endpoint_data(6)

    class WeightedEndpoint(LogisticEndpoint):
        pass

    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    weights = keras.Input(shape=(), name="weights")
    dense = keras.layers.Dense(10)
    outputs = WeightedEndpoint(name="predictions")(targets, dense(inputs), weights)
    model = keras.Model([inputs, targets, weights], outputs)
    model.compile(optimizer="sgd")
    sample_weights = np.array([1, 0, 0, 1, 0, 0], np.float32)
    logs = model.test_on_batch({**data, "weights": sample_weights}, return_dict=True)
    logits = data["inputs"] @ dense.get_weights()[0] + dense.get_weights()[1]
    hits = ((logits > 0.5) == (data["targets"] == 1)).mean(axis=1)
    assert logs["binary_accuracy"] == pytest.approx(float(hits[[0, 3]].mean()), rel=1e-6)
    assert logs["samples_seen"] == 6.0
    # each on-batch call starts from reset metrics, as Keras 3's
    assert model.test_on_batch({**data, "weights": sample_weights}, return_dict=True)["samples_seen"] == 6.0


def test_compiled_metrics_come_before_the_layers_metrics():
    x = data(10)
    y = (x.sum(axis=1, keepdims=True) > 0).astype(np.float32)

    class Tracked(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.mean_activation = keras.metrics.Mean(name="mean_activation")

        def call(self, inputs):
            self.mean_activation.update_state(inputs)
            return inputs

    inputs = keras.Input(shape=(3,))
    dense = layers.Dense(1, activation="sigmoid")
    model = keras.Model(inputs, Tracked()(dense(inputs)))
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    assert model.metrics_names == ["loss", "accuracy", "mean_activation"]
    results = model.evaluate(x, y, batch_size=4, verbose=0)
    prediction = model.predict(x, verbose=0)
    assert results[1] == pytest.approx(float(np.mean((prediction > 0.5) == y)))
    assert results[2] == pytest.approx(float(prediction.mean()), rel=1e-6)


def test_metrics_of_layers_nested_in_a_subclassed_model_and_a_custom_metric():
    class CountPositives(keras.metrics.Metric):
        def __init__(self, name="positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_variable((), "zeros", name="count")

        def update_state(self, values):
            self.count.assign(self.count.numpy() + float((np.asarray(values) > 0).sum()))

        def result(self):
            return self.count.numpy()

    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(4, kernel_initializer="ones")
            self.counters = [CountPositives()]

        def call(self, inputs):
            h = self.dense(inputs)
            self.counters[0].update_state(h)
            return h

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.loss_tracker = keras.metrics.Mean(name="activity")

        def call(self, inputs):
            h = self.block(inputs)
            activity = ops.mean(ops.square(h))
            self.add_loss(activity)
            self.loss_tracker.update_state(activity)
            return h

    x = data(8)
    for run_eagerly in (False, True):
        model = Net()
        model.compile(optimizer=keras.optimizers.SGD(0.0), run_eagerly=run_eagerly)
        history = model.fit(x, batch_size=4, epochs=2, shuffle=False, verbose=0)
        h = x @ np.ones((3, 4), np.float32)
        assert history.history["positives"] == [float((h > 0).sum())] * 2
        halves = [float(np.mean(h[:4] ** 2)), float(np.mean(h[4:] ** 2))]
        # Mean of the two per-batch scalars; loss is the batch-size weighted mean of the same
        assert history.history["activity"] == [pytest.approx(np.mean(halves), rel=1e-5)] * 2
        assert history.history["loss"] == [pytest.approx(np.mean(halves), rel=1e-5)] * 2


def test_a_metric_updated_on_symbolic_values_outside_a_layer_call_is_refused():
    from kerasette import engine
    with engine.Graph().as_default():
        node = engine.placeholder("float32", (None,))
        with pytest.raises(TypeError, match="Metrics accumulate concrete values"):
            keras.metrics.Mean().update_state(node)


def test_an_endpoint_layer_may_return_one_of_its_later_arguments():
    # call(original, reconstructed) returning `reconstructed`: the model's graph has no cycle
    class Reconstruction(layers.Layer):
        def call(self, original, reconstructed):
            self.add_loss(ops.mean(ops.square(original - reconstructed)))
            return reconstructed

    x = data(8)
    inputs = keras.Input(shape=(3,))
    decoded = layers.Dense(3, kernel_initializer="zeros")(inputs)
    model = keras.Model(inputs, Reconstruction()(inputs, decoded))
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    assert model.evaluate(x, verbose=0) == pytest.approx(float(np.mean(x ** 2)), rel=1e-6)
    history = model.fit(x, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.asarray(model(x)))
