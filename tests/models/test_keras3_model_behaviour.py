"""Model behaviour as Keras 3 has it: fit scales the loss through the optimizer (LossScaleOptimizer and
loss_scale_factor train like the plain optimizer), outputs made by bare ops (names, eager calls,
configs), inputs one axis short or long, and models that start at an intermediate tensor."""
import numpy as np
import pytest

import kerasette as keras


def _trained(optimizer, run_eagerly=False, steps=3, target_scale=1.0):
    keras.backend.clear_session()
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", run_eagerly=run_eagerly)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = (target_scale * rng.normal(size=(16, 1))).astype("float32")
    history = model.fit(x, y, batch_size=16, epochs=steps, verbose=0, shuffle=False)
    return model, history.history["loss"]


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_loss_scale_optimizer_in_fit_trains_like_its_inner_optimizer(run_eagerly):
    plain, plain_loss = _trained(keras.optimizers.SGD(0.1), run_eagerly)
    scaled, scaled_loss = _trained(keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1),
                                                                       initial_scale=1024.0), run_eagerly)
    np.testing.assert_allclose(scaled_loss, plain_loss, rtol=1e-5)
    assert plain_loss[-1] < plain_loss[0]
    for a, b in zip(plain.get_weights(), scaled.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)
    assert float(scaled.optimizer.dynamic_scale.numpy()) == 1024.0
    assert int(scaled.optimizer.iterations.numpy()) == 3


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_loss_scale_factor_in_fit_trains_like_no_factor(run_eagerly):
    plain, plain_loss = _trained(keras.optimizers.Adam(0.01), run_eagerly)
    scaled, scaled_loss = _trained(keras.optimizers.Adam(0.01, loss_scale_factor=128.0), run_eagerly)
    np.testing.assert_allclose(scaled_loss, plain_loss, rtol=1e-5)
    for a, b in zip(plain.get_weights(), scaled.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


def test_dynamic_scale_halves_on_overflow_inside_fit():
    keras.utils.set_random_seed(4)
    start = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(1)]).get_weights()
    model, _ = _trained(keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=1e38),
                        steps=1, target_scale=100.0)
    # 1e38 * a loss of ~1e4 overflows float32: the step is skipped, the scale halved, the weights kept
    assert float(model.optimizer.dynamic_scale.numpy()) == pytest.approx(5e37, rel=1e-6)
    assert int(model.optimizer.iterations.numpy()) == 0
    for a, b in zip(start, model.get_weights()):
        np.testing.assert_array_equal(b, a)


def test_a_model_whose_output_is_a_bare_op_predicts_and_trains():
    keras.backend.clear_session()
    x = keras.Input((3,))
    y = keras.ops.add(keras.layers.Dense(2, name="proj")(x), 1.0)
    model = keras.Model(x, [y, keras.layers.Dense(1, name="head")(x)])
    assert model.output_names[0].startswith("add") and model.output_names[1] == "head"
    data = np.ones((4, 3), "float32")
    first, second = model.predict(data, verbose=0)
    assert first.shape == (4, 2) and second.shape == (4, 1)
    model.compile(optimizer="sgd", loss=["mse", "mse"])
    history = model.fit(data, [np.zeros((4, 2)), np.zeros((4, 1))], epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_inputs_one_axis_short_or_long_are_adjusted_as_keras_3_does():
    keras.backend.clear_session()
    a = keras.Input((1,), name="a")
    b = keras.Input((2,), name="b")
    model = keras.Model({"a": a, "b": b}, keras.layers.Dense(1)(keras.layers.Concatenate()([a, b])))
    column = np.arange(4.0, dtype="float32")
    wide = np.ones((4, 2), "float32")
    # (N,) for an Input((1,)) gains its axis; (N, 2, 1) for an Input((2,)) loses its last one
    expected = model.predict({"a": column[:, None], "b": wide}, verbose=0)
    np.testing.assert_allclose(model.predict({"a": column, "b": wide[..., None]}, verbose=0), expected)
    model.compile(optimizer="sgd", loss="mse")
    assert np.isfinite(model.fit({"a": column, "b": wide}, np.zeros(4), verbose=0).history["loss"][0])
    with pytest.raises(ValueError, match=r"expects arrays of shape \(None, 2\), got \(4,\)"):
        model.predict({"a": column, "b": column}, verbose=0)


def test_a_model_may_start_at_an_intermediate_tensor_and_shares_its_layers():
    """Keras 3's FeatureSpace guide: Model(encoded_features, predictions) then Model(raw_inputs, ...)."""
    keras.backend.clear_session()
    a = keras.Input((2,), name="a")
    b = keras.Input((3,), name="b")
    encoded = keras.layers.Concatenate()([a, keras.layers.Dense(2, name="pre")(b)])
    head = keras.layers.Dense(1, name="head")(keras.ops.multiply(keras.layers.Dense(4, name="mid")(encoded), 2.0))
    full = keras.Model({"a": a, "b": b}, head)
    training_model = keras.Model(encoded, head)
    assert [layer.name for layer in training_model.layers][1:] == ["mid", "head"]
    assert tuple(training_model.inputs[0].shape) == (None, 4)
    rng = np.random.default_rng(1)
    x = {"a": rng.normal(size=(6, 2)).astype("float32"), "b": rng.normal(size=(6, 3)).astype("float32")}
    features = keras.Model({"a": a, "b": b}, encoded).predict(x, verbose=0)
    np.testing.assert_allclose(training_model.predict(features, verbose=0), full.predict(x, verbose=0), rtol=1e-6)
    before = full.predict(x, verbose=0)
    training_model.compile(optimizer="sgd", loss="mse")
    training_model.fit(features, np.zeros((6, 1)), epochs=2, verbose=0)
    after = full.predict(x, verbose=0)
    assert not np.allclose(after, before)       # the same layers, trained through the smaller model
    np.testing.assert_allclose(training_model.predict(features, verbose=0), after, rtol=1e-6)


def test_calling_a_model_with_bare_op_constants_on_arrays_gives_values_and_gradients():
    keras.backend.clear_session()
    x = keras.Input((3,))
    dense = keras.layers.Dense(2)
    model = keras.Model(x, keras.ops.add(keras.ops.multiply(dense(x), 2.0), np.array([1.0, 2.0], "float32")))
    data = np.linspace(-1, 1, 6).reshape(2, 3).astype("float32")
    expected = model.predict(data, verbose=0)
    np.testing.assert_allclose(np.asarray(model(data)), expected, rtol=1e-6)
    out = model(keras.Tensor(data))
    assert isinstance(out, keras.Tensor)
    dense.kernel.zero_grad()
    out.sum().backward()
    # d/dW of sum(2 * (x W + b)) is 2 * column sums of x, for every output unit
    np.testing.assert_allclose(dense.kernel.grad, np.repeat(2 * data.sum(0)[:, None], 2, axis=1), rtol=1e-6)


def test_get_config_of_a_model_with_bare_ops_round_trips_through_from_config():
    keras.backend.clear_session()
    x = keras.Input((3,))
    model = keras.Model(x, keras.ops.multiply(keras.layers.Dense(2)(x), 2.0))
    config = model.get_config()
    assert any(entry.get("class_name") == "Multiply" and "ops" in str(entry.get("module"))
               for entry in config["layers"])
    rebuilt = keras.Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    data = np.ones((2, 3), "float32")
    np.testing.assert_allclose(rebuilt.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6)
    clone = keras.models.clone_model(model)
    assert clone.predict(data, verbose=0).shape == (2, 2)
