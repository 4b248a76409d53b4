"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax, ThresholdedReLU against PyTorch."""
import numpy as np
import pytest

from kerasette import Tensor, backend, ops
from kerasette.engine import Session
from kerasette.layers import Input
from kerasette.layers.activation import ELU, PReLU, ReLU, LeakyReLU, Softmax, ThresholdedReLU
from kerasette.layers.layer import get_mask
from kerasette.primitives.base import ShapeError

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()
    yield


def sample(shape=(4, 6), seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 3).astype(np.float32)


def three_ways(layer, x, **kwargs):
    from_arrays = layer(x, **kwargs)
    from_tensor = layer(Tensor(x), **kwargs).numpy()
    node_in = Input(shape=x.shape[1:])
    node_out = layer(node_in, **kwargs)
    from_graph = Session().run(node_out, {node_in: x})
    return from_arrays, from_tensor, from_graph


def check_against(layer, x, expected, rtol=1e-6, atol=1e-6):
    for out in three_ways(layer, x):
        np.testing.assert_allclose(out, expected, rtol=rtol, atol=atol)


def round_trip(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    return clone


def test_relu_variants_match_torch_and_keras_formula():
    x = sample()
    t = torch.tensor(x)
    check_against(ReLU(), x, F.relu(t).numpy())
    check_against(ReLU(max_value=6.0), x, F.relu6(t).numpy())
    check_against(ReLU(max_value=2.5), x, torch.clamp(t, 0, 2.5).numpy())
    check_against(ReLU(negative_slope=0.1), x, F.leaky_relu(t, 0.1).numpy())
    # Keras: max_value above; x from threshold up; negative_slope * (x - threshold) below
    keras = np.where(x >= 4.0, 4.0, np.where(x >= 1.0, x, 0.2 * (x - 1.0)))
    check_against(ReLU(max_value=4.0, negative_slope=0.2, threshold=1.0), x, keras, atol=1e-5)
    check_against(ReLU(threshold=1.0), x, F.threshold(t, 1.0, 0.0).numpy())


def test_relu_validation_and_config():
    for kwargs in ({"max_value": -1.0}, {"negative_slope": -0.1}, {"threshold": -1.0}):
        with pytest.raises(ValueError, match="cannot be a negative value"):
            ReLU(**kwargs)
    clone = round_trip(ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5, name="r"))
    assert (clone.max_value, clone.negative_slope, clone.threshold) == (6.0, 0.1, 0.5)


def test_leaky_relu_default_alias_and_torch():
    x = sample()
    layer = LeakyReLU()
    assert layer.negative_slope == 0.3
    check_against(layer, x, F.leaky_relu(torch.tensor(x), 0.3).numpy())
    old_style = LeakyReLU(alpha=0.05)
    assert old_style.negative_slope == 0.05 and old_style.alpha == 0.05
    assert round_trip(old_style).negative_slope == 0.05
    assert "alpha" not in old_style.get_config()
    with pytest.raises(ValueError, match="negative_slope"):
        LeakyReLU(negative_slope=-1.0)


def test_prelu_weight_shapes_and_counts_like_keras():
    layer = PReLU()
    layer(Input(shape=(8, 8, 3)))
    assert [w.path for w in layer.weights] == ["p_re_lu/alpha"]
    assert layer.alpha.shape == (8, 8, 3) and layer.count_params() == 192
    np.testing.assert_array_equal(layer.alpha.numpy(), np.zeros((8, 8, 3)))
    shared = PReLU(shared_axes=[1, 2])
    shared(Input(shape=(8, 8, 3)))
    assert shared.alpha.shape == (1, 1, 3) and shared.count_params() == 3
    one = PReLU(shared_axes=1)
    one.build((None, 5, 4))
    assert one.alpha.shape == (1, 4)
    with pytest.raises(ShapeError, match=r"PReLU 'pr' expects an input with last axis 3, got \(None, 8, 8, 4\)"):
        shared_named = PReLU(shared_axes=[1, 2], name="pr")
        shared_named(Input(shape=(8, 8, 3)))
        shared_named(Input(shape=(8, 8, 4)))


def test_prelu_matches_torch_per_channel_with_gradients():
    x = sample((2, 5, 5, 3))
    layer = PReLU(shared_axes=[1, 2])
    layer.build(x.shape)
    slopes = np.array([0.1, 0.25, -0.5], np.float32)
    layer.set_weights([slopes.reshape(1, 1, 3)])
    x_t = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    weight_t = torch.tensor(slopes, requires_grad=True)
    expected = F.prelu(x_t, weight_t)
    upstream = sample((2, 3, 5, 5), seed=4)
    (expected * torch.tensor(upstream)).sum().backward()
    check_against(layer, x, expected.detach().numpy().transpose(0, 2, 3, 1))
    x_k = Tensor(x, requires_grad=True)
    ops.sum(ops.multiply(layer(x_k), upstream.transpose(0, 2, 3, 1))).backward()
    np.testing.assert_allclose(x_k.grad.numpy(), x_t.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.alpha.grad.numpy().reshape(3), weight_t.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_prelu_config():
    layer = PReLU(alpha_initializer="ones", alpha_regularizer="l2", shared_axes=[1], name="p")
    clone = round_trip(layer)
    assert clone.shared_axes == [1]
    clone.build((None, 4, 2))
    np.testing.assert_array_equal(clone.alpha.numpy(), np.ones((1, 2)))
    assert len(clone.losses) == 1


def test_elu_matches_torch():
    x = sample()
    check_against(ELU(), x, F.elu(torch.tensor(x)).numpy(), rtol=1e-5)
    check_against(ELU(alpha=0.5), x, F.elu(torch.tensor(x), alpha=0.5).numpy(), rtol=1e-5)
    assert round_trip(ELU(alpha=0.5)).alpha == 0.5
    x_k = Tensor(np.array([[-1.0, 2.0]], np.float32), requires_grad=True)
    ops.sum(ELU()(x_k)).backward()
    np.testing.assert_allclose(x_k.grad.numpy(), [[np.exp(-1.0), 1.0]], rtol=1e-6)


def test_softmax_matches_torch_on_any_axis():
    x = sample((2, 3, 4))
    t = torch.tensor(x)
    check_against(Softmax(), x, F.softmax(t, dim=-1).numpy(), rtol=1e-5)
    check_against(Softmax(axis=1), x, F.softmax(t, dim=1).numpy(), rtol=1e-5)
    both = torch.exp(t - torch.logsumexp(t, dim=(1, 2), keepdim=True)).numpy()
    check_against(Softmax(axis=[1, 2]), x, both, rtol=1e-5)
    assert round_trip(Softmax(axis=[1, 2])).axis == [1, 2]


def test_softmax_honours_a_mask():
    x = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.5, 0.5]], np.float32)
    mask = np.array([[True, False, True, False], [False, False, False, False]])
    out = Softmax()(x, mask=mask)
    e = np.exp([1.0, 3.0])
    np.testing.assert_allclose(out[0], [e[0] / e.sum(), 0.0, e[1] / e.sum(), 0.0], rtol=1e-6)
    np.testing.assert_array_equal(out[1], np.zeros(4))     # fully masked row: zeros
    assert get_mask(out) is mask
    node_x, node_m = Input(shape=(4,)), Input(shape=(4,), dtype="bool")
    graph = Session().run(Softmax()(node_x, mask=node_m), {node_x: x, node_m: mask})
    np.testing.assert_allclose(graph, out, rtol=1e-6)


def test_thresholded_relu_matches_torch():
    x = sample()
    check_against(ThresholdedReLU(), x, F.threshold(torch.tensor(x), 1.0, 0.0).numpy())
    check_against(ThresholdedReLU(theta=2.5), x, F.threshold(torch.tensor(x), 2.5, 0.0).numpy())
    with pytest.raises(ValueError, match="theta"):
        ThresholdedReLU(theta=-1)
    assert round_trip(ThresholdedReLU(theta=0.7)).theta == 0.7


def test_activation_layers_have_no_params_and_keep_shapes():
    for layer in (ReLU(), LeakyReLU(), ELU(), Softmax(), ThresholdedReLU()):
        out = layer(Input(shape=(7, 3)))
        assert out.shape == (None, 7, 3)
        assert layer.count_params() == 0
        assert layer.compute_output_shape((None, 7, 3)) == (None, 7, 3)
