"""kerasette.activations: Keras' formulas on arrays, Tensors (with gradients) and nodes; get/serialize."""
import math

import numpy as np
import pytest

from kerasette import Tensor, activations, engine

# values away from the kinks at -3, -1, -0.5, 0, 0.5, 1, 3 and 6
X = np.array([[-7.1, -3.4, -2.2, -0.8, -0.3], [0.2, 0.7, 1.6, 3.3, 6.8]], dtype=np.float32)
erf = np.vectorize(math.erf)


def softplus(x):
    return np.logaddexp(0, x)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


REFERENCES = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "celu": lambda x: np.where(x >= 0, x, np.expm1(x)),
    "gelu": lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))),
    "sigmoid": sigmoid,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "log_sigmoid": lambda x: np.log(sigmoid(x)),
    "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "silu": lambda x: x * sigmoid(x),
    "swish": lambda x: x * sigmoid(x),
    "softmax": softmax,
    "log_softmax": lambda x: np.log(softmax(x)),
    "softplus": softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "tanh": np.tanh,
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "exponential": np.exp,
    "linear": lambda x: x,
    "mish": lambda x: x * np.tanh(softplus(x)),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_forward_matches_numpy_and_keeps_float32(name):
    out = activations.get(name)(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, REFERENCES[name](X.astype(np.float64)), rtol=2e-6, atol=2e-6)


def _numeric_grad(function, x, weights, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = ((function(plus) * weights).sum() - (function(minus) * weights).sum()) / (2 * eps)
    return grad


@pytest.mark.parametrize("name", sorted(set(REFERENCES) - {"linear"}))
def test_tensor_gradient_matches_finite_differences(name):
    x = X.astype(np.float64)
    if name == "exponential":
        x = x / 3  # keep exp's slope in a range finite differences resolve
    weights = np.random.default_rng(0).normal(size=x.shape)
    tensor = Tensor(x, requires_grad=True)
    output = activations.get(name)(tensor)
    assert isinstance(output, Tensor) and output.requires_grad
    (output * weights).sum().backward()
    np.testing.assert_allclose(tensor.grad.numpy(), _numeric_grad(REFERENCES[name], x, weights),
                               rtol=1e-5, atol=1e-7)


def test_get_relu_on_a_tensor_backpropagates_the_step():
    tensor = Tensor(X, requires_grad=True)
    activations.get("relu")(tensor).sum().backward()
    np.testing.assert_array_equal(tensor.grad.numpy(), (X > 0).astype(np.float32))


def test_relu_options_follow_keras():
    x = np.array([-4.0, -1.0, 0.5, 1.5, 3.0, 8.0], dtype=np.float32)
    relu = activations.relu
    np.testing.assert_allclose(relu(x, negative_slope=0.1), np.where(x >= 0, x, 0.1 * x), rtol=1e-6)
    np.testing.assert_allclose(relu(x, max_value=2.0), np.clip(x, 0, 2), rtol=1e-6)
    np.testing.assert_allclose(relu(x, max_value=6), np.clip(x, 0, 6), rtol=1e-6)
    np.testing.assert_allclose(relu(x, threshold=1.0), np.where(x > 1.0, x, 0), rtol=1e-6)
    # all three: slope below the threshold, identity above it, capped
    expected = np.where(x > 1.0, np.minimum(x, 5.0), 0.25 * (x - 1.0))
    np.testing.assert_allclose(relu(x, negative_slope=0.25, max_value=5.0, threshold=1.0), expected, rtol=1e-6)
    np.testing.assert_allclose(relu(x, negative_slope=0.5, max_value=2.0),
                               np.where(x >= 0, np.minimum(x, 2.0), 0.5 * x), rtol=1e-6)


def test_arguments_of_parametrised_activations():
    x = X.astype(np.float64)
    np.testing.assert_allclose(activations.leaky_relu(x, negative_slope=0.01), np.where(x >= 0, x, 0.01 * x))
    np.testing.assert_allclose(activations.elu(x, alpha=2.0), np.where(x > 0, x, 2 * np.expm1(x)), rtol=1e-12)
    np.testing.assert_allclose(activations.celu(x, alpha=2.0), np.where(x >= 0, x, 2 * np.expm1(x / 2)),
                               rtol=1e-12)
    tanh_gelu = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(activations.gelu(x, approximate=True), tanh_gelu, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(activations.softmax(x, axis=0), softmax(x, axis=0), rtol=1e-12)
    np.testing.assert_allclose(activations.log_softmax(x, axis=0), np.log(softmax(x, axis=0)), rtol=1e-12)
    np.testing.assert_allclose(activations.hard_shrink(x, threshold=1.0), np.where(np.abs(x) > 1, x, 0))
    np.testing.assert_allclose(activations.soft_shrink(x, threshold=1.0),
                               np.sign(x) * np.maximum(np.abs(x) - 1, 0), rtol=1e-12)
    np.testing.assert_allclose(activations.threshold(x, 0.5, -9.0), np.where(x > 0.5, x, -9.0))
    np.testing.assert_allclose(activations.squareplus(x, b=1), (x + np.sqrt(x * x + 1)) / 2, rtol=1e-12)


def test_softmax_rows_sum_to_one_and_extremes_are_stable():
    big = np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32)
    out = activations.softmax(big)
    assert np.all(np.isfinite(out)) and out.sum() == pytest.approx(1.0)
    assert np.all(np.isfinite(activations.log_sigmoid(big)))
    assert np.all(np.isfinite(activations.softplus(big)))


def test_activations_on_symbolic_nodes():
    x = engine.placeholder("float32", (None, 5))
    session = engine.Session()
    for name in ["relu", "gelu", "softmax", "mish", "hard_silu", "sparse_plus", "threshold"]:
        function = activations.get(name)
        node = function(x, 0.5, -1.0) if name == "threshold" else function(x)
        assert isinstance(node, engine.Node) and node.shape == (None, 5) and node.dtype == np.float32
        expected = (np.where(X > 0.5, X, -1.0) if name == "threshold" else REFERENCES[name](X.astype(np.float64)))
        np.testing.assert_allclose(session.run(node, {x: X}), expected, rtol=2e-6, atol=2e-6)
    (grad,) = engine.gradients(activations.relu(x).sum(), [x])
    np.testing.assert_array_equal(session.run(grad, {x: X}), (X > 0).astype(np.float32))


def test_lists_become_float32_arrays():
    out = activations.relu([-1.0, 2.0])
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_array_equal(out, [0.0, 2.0])


def test_get_resolves_none_names_aliases_dicts_and_callables():
    assert activations.get(None) is activations.linear
    assert activations.get("linear") is activations.linear
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    keras3 = {"module": "keras.activations", "class_name": "function", "config": "softmax",
              "registered_name": "softmax"}
    assert activations.get(keras3) is activations.softmax

    def custom(x):
        return x * 2
    assert activations.get(custom) is custom
    assert activations.deserialize("custom", custom_objects={"custom": custom}) is custom
    with pytest.raises(ValueError, match="reul"):
        activations.get("reul")
    with pytest.raises(ValueError):
        activations.get(3)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_serialize_gives_the_canonical_name_and_round_trips(name):
    function = activations.get(name)
    serialized = activations.serialize(function)
    assert serialized == {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
    assert activations.get(serialized) is function


def test_serialize_of_none_and_custom_functions():
    assert activations.serialize(None) == "linear"

    def my_activation(x):
        return x
    assert activations.serialize(my_activation) == "my_activation"


@pytest.mark.parametrize("options", [
    dict(negative_slope=0.1), dict(max_value=2.0), dict(max_value=6), dict(threshold=1.0),
    dict(negative_slope=0.25, max_value=5.0, threshold=1.0),
])
def test_relu_options_backpropagate_and_keep_float32(options):
    x = np.array([-4.0, -1.3, 0.5, 1.5, 3.0, 8.0])
    slope, cap, threshold = (options.get("negative_slope", 0.0), options.get("max_value"),
                             options.get("threshold", 0.0))

    def reference(v):
        above = v if cap is None else np.minimum(v, cap)
        return np.where(v > threshold, above, slope * (v - threshold))
    weights = np.random.default_rng(1).normal(size=x.shape)
    tensor = Tensor(x, requires_grad=True)
    (activations.relu(tensor, **options) * weights).sum().backward()
    np.testing.assert_allclose(tensor.grad.numpy(), _numeric_grad(reference, x, weights), rtol=1e-6, atol=1e-9)
    assert activations.relu(x.astype(np.float32), **options).dtype == np.float32


def test_docstring_examples():
    import doctest

    from kerasette import activations as module
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
