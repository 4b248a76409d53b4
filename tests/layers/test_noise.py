"""Noise layers (GaussianNoise, GaussianDropout, AlphaDropout) and ActivityRegularization."""
import math

import numpy as np
import pytest

from kerasette import Tensor, backend, ops
from kerasette.engine import Session
from kerasette.layers import Input
from kerasette.layers.noise import ActivityRegularization, AlphaDropout, GaussianDropout, GaussianNoise

ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def sample(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("layer", [GaussianNoise(0.5), GaussianDropout(0.3), AlphaDropout(0.2)],
                         ids=["gaussian_noise", "gaussian_dropout", "alpha_dropout"])
def test_noise_layers_are_identity_outside_training(layer):
    x = sample((4, 6))
    for training in (None, False):
        np.testing.assert_array_equal(layer(x, training=training), x)
        np.testing.assert_array_equal(layer(Tensor(x), training=training).numpy(), x)
        node = Input(shape=(6,))
        np.testing.assert_array_equal(Session().run(layer(node, training=training), {node: x}), x)
    assert layer.count_params() == 0
    assert layer.compute_output_shape((None, 6)) == (None, 6)


def test_gaussian_noise_statistics_seed_and_gradient():
    x = np.full((400, 250), 2.0, np.float32)
    out = GaussianNoise(0.5, seed=1)(x, training=True)
    noise = out - x
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    np.testing.assert_array_equal(GaussianNoise(0.5, seed=4)(x[:3], training=True),
                                  GaussianNoise(0.5, seed=4)(x[:3], training=True))
    x_t = Tensor(x[:2], requires_grad=True)
    ops.sum(GaussianNoise(0.5)(x_t, training=True)).backward()
    np.testing.assert_array_equal(x_t.grad.numpy(), np.ones((2, 250)))
    with pytest.raises(ValueError, match="stddev"):
        GaussianNoise(-0.1)


def test_gaussian_noise_graph_draws_afresh_each_run():
    node = Input(shape=(10,))
    out = GaussianNoise(1.0, seed=0)(node, training=True)
    session = Session()
    x = np.zeros((2, 10), np.float32)
    first, second = session.run(out, {node: x}), session.run(out, {node: x})
    assert first.std() > 0.3 and not np.array_equal(first, second)


def test_gaussian_dropout_statistics_and_gradient():
    rate = 0.3
    x = np.ones((400, 250), np.float32)
    out = GaussianDropout(rate, seed=2)(x, training=True)
    assert abs(out.mean() - 1.0) < 0.01
    assert abs(out.std() - math.sqrt(rate / (1 - rate))) < 0.01
    x_t = Tensor(np.full((2, 3), 5.0, np.float32), requires_grad=True)
    layer = GaussianDropout(0.5, seed=3)
    result = layer(x_t, training=True)
    ops.sum(result).backward()
    np.testing.assert_allclose(x_t.grad.numpy(), result.numpy() / 5.0, rtol=1e-6)   # the noise itself
    with pytest.raises(ValueError, match="rate"):
        GaussianDropout(1.2)


def test_alpha_dropout_keras_formula():
    rate = 0.2
    x = sample((50, 40))
    out = AlphaDropout(rate, seed=5)(x, training=True)
    a = ((1 - rate) * (1 + rate * ALPHA_P ** 2)) ** -0.5
    b = -a * ALPHA_P * rate
    kept = np.isclose(out, a * x + b, rtol=1e-5, atol=1e-6)
    dropped = np.isclose(out, a * ALPHA_P + b, rtol=1e-5, atol=1e-6)
    assert np.all(kept | dropped)
    assert abs(dropped.mean() - rate) < 0.03


def test_alpha_dropout_keeps_mean_and_variance_of_standard_inputs():
    x = sample((500, 400), seed=7)
    out = AlphaDropout(0.1, seed=8)(x, training=True)
    assert abs(out.mean()) < 0.01 and abs(out.var() - 1.0) < 0.02


def test_alpha_dropout_noise_shape_graph_and_config():
    x = sample((4, 6, 3))
    out = AlphaDropout(0.5, noise_shape=(None, 1, 3), seed=1)(x, training=True)
    a = ((1 - 0.5) * (1 + 0.5 * ALPHA_P ** 2)) ** -0.5
    b = -a * ALPHA_P * 0.5
    dropped = np.isclose(out, a * ALPHA_P + b, atol=1e-6)
    assert np.all(dropped == dropped[:, :1, :]) and dropped.any() and not dropped.all()
    node = Input(shape=(6, 3))
    graph_out = AlphaDropout(0.5, seed=0)(node, training=True)
    session = Session()
    assert not np.array_equal(session.run(graph_out, {node: x}), session.run(graph_out, {node: x}))
    layer = AlphaDropout(0.25, noise_shape=[None, 1, 3], seed=9, name="ad")
    clone = AlphaDropout.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config() and clone.noise_shape == (None, 1, 3)


def test_noise_configs_round_trip():
    for layer in (GaussianNoise(0.2, seed=3, name="gn"), GaussianDropout(0.4, name="gd")):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()


def test_activity_regularization_penalty():
    x = np.array([[1.0, -2.0], [3.0, 0.5]], np.float32)
    layer = ActivityRegularization(l1=0.1, l2=0.01)
    out = layer(x)
    np.testing.assert_array_equal(out, x)
    (penalty,) = layer.losses
    expected = 0.1 * np.abs(x).sum() + 0.01 * (x ** 2).sum()
    # kerasette's Layer averages activity penalties over the batch (tf.keras 2 does the same)
    np.testing.assert_allclose(np.asarray(penalty), expected / x.shape[0], rtol=1e-6)
    x_t = Tensor(x, requires_grad=True)
    layer(x_t)
    (penalty,) = layer.losses
    penalty.backward()
    np.testing.assert_allclose(x_t.grad.numpy(), (0.1 * np.sign(x) + 0.02 * x) / 2, rtol=1e-6)
    config = layer.get_config()
    assert config["l1"] == 0.1 and config["l2"] == 0.01
    clone = ActivityRegularization.from_config(config)
    assert clone.get_config() == config and clone.activity_regularizer.l1 == pytest.approx(0.1)
    assert layer.count_params() == 0
