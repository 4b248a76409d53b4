"""Models and graphs 5,000 layers (or ops) deep: no walk over them may recurse.

Python's default recursion limit is 1,000 frames, so a recursive walk over a
chain of 5,000 layers raises ``RecursionError``; and a walk repeated once per
added layer makes building them quadratic.  Each test goes through one path
(building, running, training, summary, configs, JSON, weight files, the eager
tape, the graph engine) on such a chain, and checks the numbers, not just the
absence of an error.
"""
import sys

import numpy as np
import pytest

from kerasette import Input, Model, Sequential, Tensor, backend, optimizers
from kerasette import graph as tf
from kerasette.layers import Dense
from kerasette.models import model_from_json

DEPTH = 5000
X = np.array([[0.1, 0.2], [0.3, -0.4], [-0.5, 0.6], [0.7, 0.8]], dtype=np.float32)


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    assert sys.getrecursionlimit() < DEPTH   # else these tests would prove nothing
    yield


def identity_chain(depth=DEPTH):
    """Input -> depth x Dense(2) with identity kernels and zero biases: the output is the input."""
    inputs = Input(shape=(2,), name="x")
    h = inputs
    for _ in range(depth):
        h = Dense(2, kernel_initializer="identity")(h)
    return Model(inputs, h, name="deep")


def perturb(model, seed=0):
    """Weights near the identity, so the chain computes something and stays finite."""
    rng = np.random.default_rng(seed)
    weights = [w + rng.uniform(-0.01, 0.01, w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)


def test_functional_chain_builds_and_predicts():
    model = identity_chain()
    assert len(model.layers) == DEPTH + 1 and model.layers[0].name == "x"
    assert [layer.name for layer in model.layers[1:3]] == ["dense", "dense_1"]
    assert model.layers[-1].name == f"dense_{DEPTH - 1}"
    assert len(model._schedule) == DEPTH
    np.testing.assert_array_equal(model.predict(X, verbose=0), X)
    np.testing.assert_array_equal(model(X), X)


def test_functional_chain_trains_one_step():
    """One SGD step on mean squared error; every layer's gradient is known in closed form.

    With identity kernels every activation is x and every upstream gradient is
    g = dL/d(output) = 2 (x - y) / (batch * 2), so each kernel moves by
    -lr x^T g and each bias by -lr sum(g).
    """
    model = identity_chain()
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    y = X[::-1].copy()
    history = model.fit(X, y, batch_size=len(X), epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(history.history["loss"][0], np.mean((X - y) ** 2), rtol=1e-6)
    g = 2 * (X - y) / X.size
    expected_kernel = np.eye(2, dtype=np.float32) - 0.1 * X.T @ g
    expected_bias = -0.1 * g.sum(axis=0)
    for layer in (model.layers[1], model.layers[DEPTH // 2], model.layers[-1]):
        np.testing.assert_allclose(layer.kernel.numpy(), expected_kernel, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(layer.bias.numpy(), expected_bias, rtol=1e-5, atol=1e-7)


def test_functional_chain_summary():
    model = identity_chain()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert text.count("(Dense)") == DEPTH
    assert "x (InputLayer)" in text and f"dense_{DEPTH - 1} (Dense)" in text
    assert f"Total params: {DEPTH * 6:,}" in text


def test_functional_chain_config_round_trip():
    model = identity_chain()
    perturb(model)
    config = model.get_config()
    assert len(config["layers"]) == DEPTH + 1
    rebuilt = Model.from_config(config)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    expected = model.predict(X, verbose=0)
    assert not np.allclose(expected, X)
    np.testing.assert_array_equal(rebuilt.predict(X, verbose=0), expected)


def test_functional_chain_json_round_trip():
    model = identity_chain()
    perturb(model)
    rebuilt = model_from_json(model.to_json())
    assert type(rebuilt) is Model and len(rebuilt.layers) == DEPTH + 1
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict(X, verbose=0), model.predict(X, verbose=0))


def test_functional_chain_weights_file_round_trip(tmp_path):
    model = identity_chain()
    perturb(model)
    path = str(tmp_path / "deep.h5")
    saved, expected = model.get_weights(), model.predict(X, verbose=0)
    model.save_weights(path)
    model.set_weights([np.zeros_like(w) for w in saved])
    model.load_weights(path)
    for mine, loaded in zip(saved, model.get_weights()):
        np.testing.assert_array_equal(mine, loaded)
    np.testing.assert_array_equal(model.predict(X, verbose=0), expected)


def deep_sequential(depth=DEPTH):
    return Sequential([Input(shape=(2,))] + [Dense(2, kernel_initializer="identity") for _ in range(depth)],
                      name="deep_sequential")


def test_sequential_chain_builds_predicts_and_round_trips_its_config():
    model = deep_sequential()
    assert len(model.layers) == DEPTH and len(model._schedule) == DEPTH
    np.testing.assert_array_equal(model.predict(X, verbose=0), X)
    lines = []
    model.summary(print_fn=lines.append)
    assert "\n".join(lines).count("(Dense)") == DEPTH
    perturb(model, seed=1)
    expected = model.predict(X, verbose=0)
    rebuilt = Sequential.from_config(model.get_config())
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict(X, verbose=0), expected)


def test_sequential_chain_json_round_trip():
    model = deep_sequential()
    perturb(model, seed=2)
    rebuilt = model_from_json(model.to_json())
    assert type(rebuilt) is Sequential and len(rebuilt.layers) == DEPTH
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict(X, verbose=0), model.predict(X, verbose=0))


def test_sequential_chain_keras3_weights_file_round_trip(tmp_path):
    model = deep_sequential()
    perturb(model, seed=3)
    path = str(tmp_path / "deep.weights.h5")
    saved, expected = model.get_weights(), model.predict(X, verbose=0)
    model.save_weights(path)
    model.set_weights([np.zeros_like(w) for w in saved])
    model.load_weights(path)
    for mine, loaded in zip(saved, model.get_weights()):
        np.testing.assert_array_equal(mine, loaded)
    np.testing.assert_array_equal(model.predict(X, verbose=0), expected)


def test_sequential_add_keeps_the_schedule_a_full_walk_gives():
    from kerasette.models.model import _schedule
    inner = Sequential([Input(shape=(2,)), Dense(2)], name="inner")
    model = Sequential([Input(shape=(2,)), Dense(2), inner, Dense(2)])
    model.pop()
    model.add(Dense(2, name="last"))
    order, layers = _schedule(model.inputs, model.outputs)
    assert [id(step) for step in order] == [id(step) for step in model._schedule]
    assert [id(layer) for layer in layers] == [id(layer) for layer in model._graph_layers]
    assert model.layers[-1].name == "last" and model.layers[1] is inner
    with pytest.raises(ValueError, match="unique names"):
        model.add(Dense(2, name="last"))


def test_eager_chain_backward():
    """y_{k+1} = a y_k + x, 5,000 times from y_0 = x: dy/dx = sum of a^j for j = 0..5000."""
    a = 1.0001
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True)
    y = x
    for _ in range(DEPTH):
        y = y * a + x
    y.sum().backward()
    expected = sum(a ** j for j in range(DEPTH + 1))
    np.testing.assert_allclose(x.grad.numpy(), [expected, expected], rtol=1e-12)
    np.testing.assert_allclose(y.numpy(), np.array([0.5, -1.0]) * expected, rtol=1e-12)


def test_eager_run_of_a_deep_model_backward():
    model = identity_chain()
    x = Tensor(X, requires_grad=True)
    out = model(x)
    np.testing.assert_array_equal(out.numpy(), X)
    (out * out).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * X, rtol=1e-6)
    np.testing.assert_allclose(model.layers[-1].bias.grad.numpy(), 2 * X.sum(axis=0), rtol=1e-6)


def test_graph_chain_gradients_and_session():
    """The engine: gradients() and the compiler over a chain of 10,000 nodes."""
    a = 1.0001
    with tf.Graph().as_default():
        x = tf.placeholder("float64", (2,))
        y = x
        for _ in range(DEPTH):
            y = y * a + x
        (dx,) = tf.gradients(tf.reduce_sum(y), [x])
        with tf.Session() as session:
            value, grad = session.run([y, dx], feed_dict={x: np.array([0.5, -1.0])})
    expected = sum(a ** j for j in range(DEPTH + 1))
    np.testing.assert_allclose(grad, [expected, expected], rtol=1e-12)
    np.testing.assert_allclose(value, np.array([0.5, -1.0]) * expected, rtol=1e-12)
