"""Public activation ops: values, gradients (against PyTorch where installed), symbolic use."""
import math

import numpy as np
import pytest
from scipy.special import expit
from scipy.special import log_softmax as reference_log_softmax
from scipy.special import softmax as reference_softmax

from kerasette import Tensor, engine, ops
from kerasette.primitives import ShapeError

ALL = ["relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid",
       "hard_silu", "log_sigmoid", "softplus", "softsign", "silu", "swish", "tanh",
       "softmax", "log_softmax"]


def data(shape=(4, 6), seed=0, scale=3.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


# ------------------------------------------------------------- plain arrays

@pytest.mark.parametrize("name", ALL)
def test_float32_in_float32_out(name):
    assert getattr(ops, name)(data()).dtype == np.float32
    assert getattr(ops, name)(data().astype(np.float64)).dtype == np.float64


@pytest.mark.parametrize("name", [n for n in ALL if n not in ("softmax", "log_softmax")])
def test_scalar_input(name):
    # numpy hands 0-d results back as scalars: the in-place forwards must cope
    out = getattr(ops, name)(np.float32(-0.5))
    assert np.shape(out) == () and np.asarray(out).dtype == np.float32
    np.testing.assert_allclose(out, getattr(ops, name)(np.array([-0.5], np.float32))[0])


def test_values_against_formulas():
    x = np.array([-4.0, -1.0, -0.25, 0.0, 0.5, 2.0, 7.0], dtype=np.float32)
    x64 = x.astype(np.float64)
    cases = {
        "relu": np.maximum(x64, 0), "relu6": np.clip(x64, 0, 6),
        "leaky_relu": np.where(x64 > 0, x64, 0.2 * x64),
        "elu": np.where(x64 > 0, x64, np.expm1(x64)),
        "selu": 1.0507009873554805 * np.where(x64 > 0, x64, 1.6732632423543772 * np.expm1(x64)),
        "sigmoid": expit(x64), "hard_sigmoid": np.clip(x64 + 3, 0, 6) / 6,
        "hard_silu": x64 * np.clip(x64 + 3, 0, 6) / 6, "log_sigmoid": np.log(expit(x64)),
        "softplus": np.log1p(np.exp(x64)), "softsign": x64 / (1 + np.abs(x64)),
        "silu": x64 * expit(x64), "swish": x64 * expit(x64), "tanh": np.tanh(x64),
        "gelu": 0.5 * x64 * (1 + np.tanh(math.sqrt(2 / math.pi) * (x64 + 0.044715 * x64 ** 3))),
    }
    for name, expected in cases.items():
        np.testing.assert_allclose(getattr(ops, name)(x), expected, rtol=1e-6, atol=1e-7,
                                   err_msg=name)


def test_keras_defaults():
    x = np.array([-2.0, 3.0], dtype=np.float32)
    np.testing.assert_allclose(ops.leaky_relu(x), [-0.4, 3.0])                  # slope 0.2
    np.testing.assert_allclose(ops.leaky_relu(x, negative_slope=0.5), [-1.0, 3.0])
    np.testing.assert_allclose(ops.elu(x, alpha=2.0), [2.0 * np.expm1(-2.0), 3.0], rtol=1e-6)
    # keras.ops.gelu approximates with tanh unless told otherwise
    from scipy.special import erf
    exact = 0.5 * x * (1 + erf(x / math.sqrt(2)))
    assert not np.allclose(ops.gelu(x), exact, rtol=1e-6)
    np.testing.assert_allclose(ops.gelu(x, approximate=False), exact, rtol=1e-6)
    assert ops.swish is ops.silu and ops.hard_swish is ops.hard_silu


def test_extremes_are_finite_and_quiet():
    x = np.array([-1e4, -100.0, 100.0, 1e4], dtype=np.float32)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        np.testing.assert_allclose(ops.sigmoid(x), [0.0, 0.0, 1.0, 1.0], atol=1e-38)
        np.testing.assert_allclose(ops.softplus(x), [0.0, 0.0, 100.0, 1e4], atol=1e-30)
        np.testing.assert_array_equal(ops.elu(x), [-1.0, -1.0, 100.0, 1e4])
        for approximate in (True, False):
            np.testing.assert_array_equal(ops.gelu(x, approximate), [0.0, 0.0, 100.0, 1e4])
            t = Tensor(x, requires_grad=True)
            ops.gelu(t, approximate).sum().backward()
            np.testing.assert_array_equal(t.grad.numpy(), [0.0, 0.0, 1.0, 1.0])
    big = np.array([[1000.0, 1001.0, 1002.0]], dtype=np.float32)
    np.testing.assert_allclose(ops.softmax(big), reference_softmax([[0.0, 1.0, 2.0]], axis=-1), rtol=1e-6)
    np.testing.assert_allclose(ops.log_softmax(-big), reference_log_softmax([[0.0, -1.0, -2.0]], axis=-1),
                               rtol=1e-6)


def test_softmax_axes():
    x = data((2, 3, 4))
    np.testing.assert_allclose(ops.softmax(x, axis=1), reference_softmax(x, axis=1), rtol=1e-5)
    np.testing.assert_allclose(ops.softmax(x, axis=(1, 2)), reference_softmax(x, axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(ops.log_softmax(x, axis=0), reference_log_softmax(x, axis=0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.softmax(x).sum(axis=-1), np.ones((2, 3)), rtol=1e-6)


# ------------------------------------------------------ eager and PyTorch

def test_eager_sigmoid_gradient_from_output():
    x = Tensor([3.0], requires_grad=True)
    ops.sigmoid(x).backward()
    s = expit(3.0)
    np.testing.assert_allclose(x.grad.numpy(), [s * (1 - s)], rtol=1e-6)
    assert x.grad.dtype == np.float32


def test_eager_relu_gradient():
    x = Tensor([-1.0, 2.0, 0.5], requires_grad=True)
    (ops.relu(x) * Tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 3.0])


TORCH_CASES = [
    ("relu", {}, lambda F, x: F.relu(x)),
    ("relu6", {}, lambda F, x: F.relu6(x)),
    ("leaky_relu", {}, lambda F, x: F.leaky_relu(x, 0.2)),
    ("leaky_relu", {"negative_slope": 0.01}, lambda F, x: F.leaky_relu(x, 0.01)),
    ("elu", {}, lambda F, x: F.elu(x)),
    ("elu", {"alpha": 0.7}, lambda F, x: F.elu(x, alpha=0.7)),
    ("selu", {}, lambda F, x: F.selu(x)),
    ("gelu", {}, lambda F, x: F.gelu(x, approximate="tanh")),
    ("gelu", {"approximate": False}, lambda F, x: F.gelu(x)),
    ("sigmoid", {}, lambda F, x: F.sigmoid(x)),
    ("hard_sigmoid", {}, lambda F, x: F.hardsigmoid(x)),
    ("hard_silu", {}, lambda F, x: F.hardswish(x)),
    ("log_sigmoid", {}, lambda F, x: F.logsigmoid(x)),
    ("softplus", {}, lambda F, x: F.softplus(x)),
    ("softsign", {}, lambda F, x: F.softsign(x)),
    ("silu", {}, lambda F, x: F.silu(x)),
    ("tanh", {}, lambda F, x: F.tanh(x)),
    ("softmax", {}, lambda F, x: F.softmax(x, dim=-1)),
    ("softmax", {"axis": 1}, lambda F, x: F.softmax(x, dim=1)),
    ("log_softmax", {}, lambda F, x: F.log_softmax(x, dim=-1)),
    ("log_softmax", {"axis": 0}, lambda F, x: F.log_softmax(x, dim=0)),
]


@pytest.mark.parametrize("name, kwargs, torch_function", TORCH_CASES,
                         ids=[f"{n}-{k}" if k else n for n, k, _ in TORCH_CASES])
def test_forward_and_backward_match_torch(name, kwargs, torch_function):
    torch = pytest.importorskip("torch")
    x_value = data((5, 7), seed=1)
    weights = data((5, 7), seed=2, scale=1.0)

    x = Tensor(x_value, requires_grad=True)
    out = getattr(ops, name)(x, **kwargs)
    out.backward(weights)

    x_torch = torch.tensor(x_value, requires_grad=True)
    out_torch = torch_function(torch.nn.functional, x_torch)
    out_torch.backward(torch.tensor(weights))

    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), out_torch.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), x_torch.grad.numpy(), rtol=1e-4, atol=1e-6)


def numeric_gradient(function, x, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[index] = (function(x + step) - function(x - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize("name, kwargs", [("softmax", {}), ("log_softmax", {}), ("gelu", {}),
                                          ("gelu", {"approximate": False})])
def test_eager_second_derivative(name, kwargs):
    """The fused backward primitives have gradients of their own: d/dx |grad f(x)|^2."""
    x_value = np.random.default_rng(3).standard_normal((2, 4))
    weights = np.random.default_rng(4).standard_normal((2, 4))

    def squared_gradient_norm(value):
        x = Tensor(value, requires_grad=True)
        getattr(ops, name)(x, **kwargs).backward(weights)
        return float((x.grad.numpy() ** 2).sum())

    x = Tensor(x_value, requires_grad=True)
    getattr(ops, name)(x, **kwargs).backward(weights, create_graph=True)
    first = x.grad
    x.grad = None
    (first * first).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), numeric_gradient(squared_gradient_norm, x_value),
                               rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------- symbolic nodes

def test_symbolic_relu_keeps_batch_axis_and_runs():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 4))
        y = ops.relu(x)
        assert y.shape == (None, 4) and y.dtype == np.float32
        (grad,) = engine.gradients(y, [x])
        value = np.array([[-1.0, 2.0, -3.0, 4.0], [5.0, -6.0, 7.0, -8.0]], dtype=np.float32)
        out, grad_value = engine.Session().run([y, grad], feed_dict={x: value})
    np.testing.assert_array_equal(out, np.maximum(value, 0))
    np.testing.assert_array_equal(grad_value, (value > 0).astype(np.float32))
    assert out.dtype == np.float32 and grad_value.dtype == np.float32


@pytest.mark.parametrize("name", ALL)
def test_symbolic_matches_eager(name):
    value = data((3, 5), seed=5)
    weights = data((3, 5), seed=6, scale=1.0)
    x = Tensor(value, requires_grad=True)
    eager_out = getattr(ops, name)(x)
    eager_out.backward(weights)
    with engine.Graph().as_default():
        node = engine.placeholder("float32", (None, 5))
        out = getattr(ops, name)(node)
        assert out.shape == (None, 5) and out.dtype == np.float32
        (grad,) = engine.gradients(out, [node], grad_ys=engine.constant(weights))
        out_value, grad_value = engine.Session().run([out, grad], feed_dict={node: value})
    np.testing.assert_allclose(out_value, eager_out.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grad_value, x.grad.numpy(), rtol=1e-6, atol=1e-7)
    assert grad_value.dtype == np.float32


def test_symbolic_softmax_second_order():
    with engine.Graph().as_default():
        x = engine.placeholder("float64", (None, 3))
        y = ops.softmax(x)
        (first,) = engine.gradients(y * engine.constant(np.array([1.0, -2.0, 0.5])), [x])
        (second,) = engine.gradients(first * first, [x])
        value = np.array([[0.3, -1.2, 2.0]])
        result = engine.Session().run(second, feed_dict={x: value})

    def squared(v):
        y = reference_softmax(v, axis=-1)
        w = np.array([1.0, -2.0, 0.5])
        return float(((y * (w - (w * y).sum(axis=-1, keepdims=True))) ** 2).sum())

    np.testing.assert_allclose(result, numeric_gradient(squared, value), rtol=1e-6, atol=1e-9)


def test_softmax_axis_out_of_range_is_a_shape_error():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 4))
        with pytest.raises(ShapeError, match="softmax"):
            ops.softmax(x, axis=2)
        with pytest.raises(ShapeError, match="log_softmax"):
            ops.log_softmax(x, axis=-3)


@pytest.mark.parametrize("approximate", [True, False])
def test_gelu_keeps_float32_precision_on_the_negative_tail(approximate):
    # 1 + tanh(u) and 1 + erf(x / sqrt 2) cancel here; the sigmoid / erfc forms do not
    x = np.linspace(-6, -3, 7)
    exact = ops.gelu(x, approximate)                    # float64 reference
    t = Tensor(x.astype(np.float32), requires_grad=True)
    out = ops.gelu(t, approximate)
    out.sum().backward()
    reference = Tensor(x, requires_grad=True)
    ops.gelu(reference, approximate).sum().backward()
    np.testing.assert_allclose(out.numpy(), exact, rtol=2e-6)
    np.testing.assert_allclose(t.grad.numpy(), reference.grad.numpy(), rtol=2e-5)


@pytest.mark.parametrize("name", ALL)
def test_inputs_are_not_written_to(name):
    value = data((3, 4), seed=7)
    kept = value.copy()
    x = Tensor(value, requires_grad=True)
    getattr(ops, name)(x).backward(np.ones((3, 4), np.float32))
    np.testing.assert_array_equal(value, kept)


def test_exact_gelu_float32_path_matches_float64():
    x = np.linspace(-8, 8, 4001)
    x32 = x.astype(np.float32)
    np.testing.assert_allclose(ops.gelu(x32, approximate=False),
                               ops.gelu(x32.astype(np.float64), approximate=False), rtol=5e-6, atol=1e-7)


def test_relu_keeps_integer_dtype():
    out = ops.relu(np.array([-2, 3], dtype=np.int32))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [0, 3])
