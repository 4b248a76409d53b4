"""BatchNormalization and LayerNormalization: Keras' weights, PyTorch's numbers, moving statistics."""
import numpy as np
import pytest

from kerasette import Tensor, backend, ops
from kerasette.engine import Session, function, variable_from_holder
from kerasette.layers import Input
from kerasette.layers.normalization import BatchNormalization, LayerNormalization
from kerasette.primitives.base import ShapeError


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def rng(seed=0):
    return np.random.default_rng(seed)


def randomize(layer, seed=1):
    """Non-trivial weights (moving variance kept positive)."""
    generator = rng(seed)
    values = []
    for w in layer.weights:
        value = generator.standard_normal(w.shape).astype(np.float32)
        if w.name == "moving_variance":
            value = np.abs(value) + 0.5
        values.append(value)
    layer.set_weights(values)
    return {w.name: v for w, v in zip(layer.weights, values)}


def three_ways(layer, x, **kwargs):
    from_arrays = layer(x, **kwargs)
    from_tensor = layer(Tensor(x), **kwargs).numpy()
    node_in = Input(shape=x.shape[1:])
    node_out = layer(node_in, **kwargs)
    from_graph = Session().run(node_out, {node_in: x})
    return from_arrays, from_tensor, from_graph


# ------------------------------------------------------- BatchNormalization

def test_batchnorm_weights_order_and_counts():
    layer = BatchNormalization()
    layer(Input(shape=(8, 8, 6)))
    assert [w.path for w in layer.weights] == ["batch_normalization/gamma", "batch_normalization/beta",
                                               "batch_normalization/moving_mean",
                                               "batch_normalization/moving_variance"]
    assert layer.count_params() == 4 * 6
    assert sum(w.size for w in layer.trainable_weights) == 12
    assert sum(w.size for w in layer.non_trainable_weights) == 12
    np.testing.assert_array_equal(layer.gamma.numpy(), np.ones(6))
    np.testing.assert_array_equal(layer.moving_variance.numpy(), np.ones(6))

    no_scale = BatchNormalization(scale=False)
    no_scale.build((None, 5))
    assert [w.name for w in no_scale.weights] == ["beta", "moving_mean", "moving_variance"]
    bare = BatchNormalization(center=False, scale=False)
    bare.build((None, 5))
    assert [w.name for w in bare.weights] == ["moving_mean", "moving_variance"]
    assert bare.count_params() == 10 and bare.trainable_weights == []


def test_batchnorm_training_matches_torch_nhwc():
    torch = pytest.importorskip("torch")
    x = rng().standard_normal((4, 5, 5, 3)).astype(np.float32) * 3 + 1
    layer = BatchNormalization(epsilon=1e-3)
    layer.build(x.shape)
    w = randomize(layer)
    x_t = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    gamma_t = torch.tensor(w["gamma"], requires_grad=True)
    beta_t = torch.tensor(w["beta"], requires_grad=True)
    expected = torch.nn.functional.batch_norm(x_t, None, None, gamma_t, beta_t, training=True, eps=1e-3)
    upstream = rng(2).standard_normal(expected.shape).astype(np.float32)
    (expected * torch.tensor(upstream)).sum().backward()

    x_k = Tensor(x, requires_grad=True)
    out = layer(x_k, training=True)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy().transpose(0, 2, 3, 1), rtol=1e-4, atol=1e-5)
    ops.sum(ops.multiply(out, upstream.transpose(0, 2, 3, 1))).backward()
    np.testing.assert_allclose(x_k.grad.numpy(), x_t.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(layer.gamma.grad.numpy(), gamma_t.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.beta.grad.numpy(), beta_t.grad.numpy(), rtol=1e-4, atol=1e-4)
    assert layer.moving_mean.grad is None


def test_batchnorm_inference_matches_torch_and_uses_moving_statistics():
    torch = pytest.importorskip("torch")
    x = rng().standard_normal((4, 5, 5, 3)).astype(np.float32)
    layer = BatchNormalization(epsilon=1e-3)
    layer.build(x.shape)
    w = randomize(layer)
    expected = torch.nn.functional.batch_norm(
        torch.tensor(x.transpose(0, 3, 1, 2)), torch.tensor(w["moving_mean"]),
        torch.tensor(w["moving_variance"]), torch.tensor(w["gamma"]), torch.tensor(w["beta"]),
        training=False, eps=1e-3).numpy().transpose(0, 2, 3, 1)
    for training in (None, False):
        for out in three_ways(layer, x, training=training):
            np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    # inference never moves the statistics
    np.testing.assert_array_equal(layer.moving_mean.numpy(), w["moving_mean"])


def test_batchnorm_axis_one_matches_torch_directly():
    torch = pytest.importorskip("torch")
    x = rng().standard_normal((6, 4, 7)).astype(np.float32)
    layer = BatchNormalization(axis=1)
    layer.build(x.shape)
    w = randomize(layer)
    expected = torch.nn.functional.batch_norm(torch.tensor(x), None, None, torch.tensor(w["gamma"]),
                                              torch.tensor(w["beta"]), training=True, eps=1e-3).numpy()
    np.testing.assert_allclose(layer(x, training=True), expected, rtol=1e-4, atol=1e-5)
    assert layer.gamma.shape == (4,)


def test_batchnorm_eager_update_uses_keras_momentum_and_biased_variance():
    x = rng().standard_normal((16, 3)).astype(np.float32) * 2 + 5
    layer = BatchNormalization(momentum=0.9)
    layer.build(x.shape)
    layer(Tensor(x), training=True)
    mean, variance = x.mean(axis=0), x.var(axis=0)          # biased, as Keras
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.9 * 0 + 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 * 1 + 0.1 * variance, rtol=1e-5)
    layer(x, training=True)                                  # arrays update too
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.9 * (0.1 * mean) + 0.1 * mean, rtol=1e-5)
    assert layer._pending_updates == []


def test_batchnorm_graph_collects_updates_that_read_variables_at_run_time():
    x = rng().standard_normal((16, 3)).astype(np.float32) + 2
    layer = BatchNormalization(momentum=0.5)
    inputs = Input(shape=(3,))
    outputs = layer(inputs, training=True)
    assert [variable.name for variable, _ in layer._pending_updates] == ["moving_mean", "moving_variance"]
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))   # nothing assigned yet
    updates = [(variable_from_holder(variable), value) for variable, value in layer._pending_updates]
    step = function([inputs], [outputs], updates=updates)
    (out,) = step([x])
    mean, variance = x.mean(axis=0), x.var(axis=0)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(variance + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.5 * mean, rtol=1e-5)
    step([x])
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.75 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.25 + 0.75 * variance, rtol=1e-5)
    # an inference call adds no updates
    layer(Input(shape=(3,)))
    assert len(layer._pending_updates) == 2


def test_batchnorm_frozen_layer_runs_in_inference_mode():
    x = rng().standard_normal((8, 3)).astype(np.float32) + 4
    layer = BatchNormalization()
    layer.build(x.shape)
    layer.trainable = False
    out = layer(x, training=True)
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))


def test_batchnorm_mask_excludes_positions_from_statistics():
    x = rng().standard_normal((2, 5, 3)).astype(np.float32)
    mask = np.array([[True, True, False, True, False], [True, False, True, True, True]])
    layer = BatchNormalization(momentum=0.0)
    layer(x, training=True, mask=mask)
    kept = x[mask]
    np.testing.assert_allclose(layer.moving_mean.numpy(), kept.mean(axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), kept.var(axis=0), rtol=1e-4, atol=1e-6)


def test_batchnorm_shape_error_and_config_round_trip():
    layer = BatchNormalization(name="bn")
    layer(Input(shape=(16,)))
    with pytest.raises(ShapeError, match=r"BatchNormalization 'bn' expects an input with last axis 16, got \(None, 8\)"):
        layer(Input(shape=(8,)))
    with pytest.raises(ShapeError, match="known size"):
        BatchNormalization()(Input(shape=(None,)))
    configured = BatchNormalization(axis=1, momentum=0.8, epsilon=1e-5, center=False,
                                    gamma_initializer="random_normal", gamma_regularizer="l2", name="b2")
    config = configured.get_config()
    clone = BatchNormalization.from_config(config)
    assert clone.get_config() == config
    clone.build((None, 4, 2))
    assert [w.name for w in clone.weights] == ["gamma", "moving_mean", "moving_variance"]
    assert len(clone.losses) == 1


# ------------------------------------------------------- LayerNormalization

def test_layernorm_matches_torch_with_gradients():
    torch = pytest.importorskip("torch")
    x = rng().standard_normal((3, 4, 6)).astype(np.float32) * 2 + 1
    layer = LayerNormalization(epsilon=1e-5)
    layer.build(x.shape)
    assert [w.path for w in layer.weights] == ["layer_normalization/gamma", "layer_normalization/beta"]
    assert layer.count_params() == 12
    w = randomize(layer)
    x_t = torch.tensor(x, requires_grad=True)
    gamma_t = torch.tensor(w["gamma"], requires_grad=True)
    beta_t = torch.tensor(w["beta"], requires_grad=True)
    expected = torch.nn.functional.layer_norm(x_t, (6,), gamma_t, beta_t, eps=1e-5)
    upstream = rng(3).standard_normal(x.shape).astype(np.float32)
    (expected * torch.tensor(upstream)).sum().backward()
    for out in three_ways(layer, x):
        np.testing.assert_allclose(out, expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    x_k = Tensor(x, requires_grad=True)
    ops.sum(ops.multiply(layer(x_k), upstream)).backward()
    np.testing.assert_allclose(x_k.grad.numpy(), x_t.grad.numpy(), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(layer.gamma.grad.numpy(), gamma_t.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.beta.grad.numpy(), beta_t.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_layernorm_over_two_trailing_axes_matches_torch():
    torch = pytest.importorskip("torch")
    x = rng().standard_normal((2, 3, 4, 5)).astype(np.float32)
    layer = LayerNormalization(axis=[-2, -1])
    layer.build(x.shape)
    w = randomize(layer)
    assert layer.gamma.shape == (4, 5)
    expected = torch.nn.functional.layer_norm(torch.tensor(x), (4, 5), torch.tensor(w["gamma"]),
                                              torch.tensor(w["beta"]), eps=1e-3).numpy()
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-5)


def test_layernorm_non_trailing_axis_against_numpy():
    x = rng().standard_normal((2, 4, 3)).astype(np.float32)
    layer = LayerNormalization(axis=1, center=False)
    layer.build(x.shape)
    assert [w.name for w in layer.weights] == ["gamma"]
    gamma = rng(5).standard_normal(4).astype(np.float32)
    layer.set_weights([gamma])
    mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-3) * gamma[None, :, None]
    for out in three_ways(layer, x):
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)


def test_layernorm_errors_and_config():
    layer = LayerNormalization(name="ln")
    layer(Input(shape=(5, 6)))
    with pytest.raises(ShapeError, match=r"LayerNormalization 'ln' expects an input with last axis 6, got \(None, 5, 7\)"):
        layer(Input(shape=(5, 7)))
    with pytest.raises(ValueError, match="batch axis"):
        LayerNormalization(axis=0).build((None, 3))
    configured = LayerNormalization(axis=[1, 2], epsilon=1e-6, scale=False, beta_initializer="ones", name="l2")
    clone = LayerNormalization.from_config(configured.get_config())
    assert clone.get_config() == configured.get_config()
    assert clone.axis == [1, 2]
