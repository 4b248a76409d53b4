"""Public elementwise math ops on plain arrays, eager Tensors and symbolic nodes."""
import numpy as np
import pytest

from kerasette import Tensor, engine, ops
from kerasette.primitives import ShapeError


def run(fetch, feeds):
    return engine.Session().run(fetch, feed_dict=feeds)


# ------------------------------------------------------------- plain arrays

@pytest.mark.parametrize("name, reference, low, high", [
    ("square", np.square, -3, 3), ("sqrt", np.sqrt, 0.1, 4), ("exp", np.exp, -3, 3),
    ("expm1", np.expm1, -3, 3), ("log", np.log, 0.1, 4), ("log1p", np.log1p, -0.5, 3),
    ("reciprocal", np.reciprocal, 0.5, 3), ("sin", np.sin, -3, 3), ("cos", np.cos, -3, 3),
    ("abs", np.abs, -3, 3), ("absolute", np.abs, -3, 3), ("sign", np.sign, -3, 3),
    ("floor", np.floor, -3, 3), ("ceil", np.ceil, -3, 3), ("round", np.round, -3, 3),
])
def test_unary_on_arrays_keeps_float32(name, reference, low, high):
    x = np.random.default_rng(0).uniform(low, high, (4, 5)).astype(np.float32)
    out = getattr(ops, name)(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, reference(x), rtol=1e-6)


def test_erf_matches_scipy():
    from scipy.special import erf
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(ops.erf(x), erf(x), rtol=1e-12)


def test_integer_input_to_float_function_gives_floatx():
    out = ops.sqrt(np.array([1, 4, 9], dtype=np.int32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [1, 2, 3])


def test_round_half_to_even_and_decimals():
    np.testing.assert_array_equal(ops.round(np.array([0.5, 1.5, 2.5, -0.5])), [0, 2, 2, -0])
    np.testing.assert_allclose(ops.round(np.array([1.234, 5.678]), decimals=1), [1.2, 5.7])


def test_comparisons_broadcast_and_give_bool():
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=np.float32)
    y = np.array([2.0, 2.0, 2.0], dtype=np.float32)
    expected = {
        "equal": [[0, 1, 0], [0, 1, 0]], "not_equal": [[1, 0, 1], [1, 0, 1]],
        "less": [[1, 0, 0], [0, 0, 1]], "less_equal": [[1, 1, 0], [0, 1, 1]],
        "greater": [[0, 0, 1], [1, 0, 0]], "greater_equal": [[0, 1, 1], [1, 1, 0]],
    }
    for name, values in expected.items():
        out = getattr(ops, name)(x, y)
        assert out.dtype == np.bool_, name
        np.testing.assert_array_equal(out, np.array(values, dtype=bool), err_msg=name)


def test_logical_ops():
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    np.testing.assert_array_equal(ops.logical_and(a, b), [1, 0, 0, 0])
    np.testing.assert_array_equal(ops.logical_or(a, b), [1, 1, 1, 0])
    np.testing.assert_array_equal(ops.logical_xor(a, b), [0, 1, 1, 0])
    np.testing.assert_array_equal(ops.logical_not(a), [0, 0, 1, 1])
    np.testing.assert_array_equal(ops.isnan(np.array([1.0, np.nan, np.inf])), [0, 1, 0])
    np.testing.assert_array_equal(ops.isinf(np.array([1.0, np.nan, -np.inf])), [0, 0, 1])
    np.testing.assert_array_equal(ops.isfinite(np.array([1.0, np.nan, np.inf])), [1, 0, 0])


def test_maximum_minimum_clip_where_on_arrays():
    x = np.array([-2.0, 0.5, 3.0], dtype=np.float32)
    np.testing.assert_array_equal(ops.maximum(x, 0.0), [0.0, 0.5, 3.0])
    np.testing.assert_array_equal(ops.minimum(x, 1.0), [-2.0, 0.5, 1.0])
    out = ops.clip(x, -1, 1)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(ops.clip(np.array([1, 5, 9]), 2, 6), [2, 5, 6])
    np.testing.assert_array_equal(ops.where(x > 0, x, -x), [2.0, 0.5, 3.0])


def test_cast_accepts_dtype_spellings():
    x = np.array([1.7, -2.2])
    assert ops.cast(x, "float32").dtype == np.float32
    assert ops.cast(x, np.float16).dtype == np.float16
    assert ops.cast(x, np.dtype("float64")).dtype == np.float64
    assert ops.cast(x, float).dtype == np.float32          # floatx, like Keras
    np.testing.assert_array_equal(ops.cast(x, "int32"), [1, -2])


def test_where_with_one_argument_is_nonzero():
    condition = np.array([[True, False, True], [False, False, True]])
    for got, expected in zip(ops.where(condition), np.where(condition)):
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == np.int32
    with pytest.raises(ValueError, match="both x1 and x2"):
        ops.where(condition, 1.0)


# ----------------------------------------------------------- eager Tensors

def test_eager_unary_gradients():
    x = Tensor([3.0], requires_grad=True)
    (ops.square(x) + ops.sqrt(x) + ops.exp(x) + ops.log(x)).sum().backward()
    expected = 2 * 3.0 + 0.5 / np.sqrt(3.0) + np.exp(3.0) + 1 / 3.0
    np.testing.assert_allclose(x.grad.numpy(), [expected], rtol=1e-6)
    assert x.grad.dtype == np.float32


def test_eager_trig_and_reciprocal_gradients():
    x = Tensor([0.7, -1.3], requires_grad=True)
    (ops.sin(x) + ops.cos(x) + ops.reciprocal(x) + ops.log1p(x * x) + ops.expm1(x)).sum().backward()
    v = np.array([0.7, -1.3])
    expected = np.cos(v) - np.sin(v) - 1 / v ** 2 + 2 * v / (1 + v * v) + np.exp(v)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5)


def test_eager_abs_and_piecewise_constant_gradients():
    x = Tensor([-2.0, 1.5], requires_grad=True)
    (ops.abs(x) + ops.sign(x) + ops.floor(x) + ops.round(x)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 1.0])


def test_eager_maximum_ties_go_to_first_input():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = Tensor([2.0, 2.0, 2.0], requires_grad=True)
    ops.maximum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 0.0, 0.0])
    x.zero_grad(), y.zero_grad()
    ops.minimum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 0.0, 1.0])


def test_eager_maximum_broadcast_gradient_is_summed():
    x = Tensor(np.array([[1.0, 5.0], [4.0, -1.0], [0.0, 3.0]]), requires_grad=True)
    bias = Tensor([2.0, 2.0], requires_grad=True)
    ops.maximum(x, bias).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1], [1, 0], [0, 1]])
    np.testing.assert_array_equal(bias.grad.numpy(), [2, 1])


def test_eager_clip_gradient_passes_inside_bounds_included():
    x = Tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    ops.clip(x, -1.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 0])


def test_eager_clip_with_tensor_bounds():
    x = Tensor([-2.0, 0.5, 2.0], requires_grad=True)
    low = Tensor([-1.0], requires_grad=True)
    out = ops.clip(x, low, 1.0)
    np.testing.assert_array_equal(out.numpy(), [-1.0, 0.5, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 0])
    np.testing.assert_array_equal(low.grad.numpy(), [1])


def test_eager_where_gradients_with_broadcasting():
    condition = np.array([[True, False, True], [False, False, True]])
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    out = ops.where(condition, x, y)
    np.testing.assert_array_equal(out.numpy(), [[1, 20, 3], [10, 20, 6]])
    (out * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 0, 2], [0, 0, 2]])
    np.testing.assert_array_equal(y.grad.numpy(), [2, 4, 0])


def test_eager_cast_gradient_comes_back_in_input_dtype():
    x = Tensor(np.array([1.5, -0.25], dtype=np.float64), requires_grad=True)
    y = ops.cast(x, "float32")
    assert y.dtype == np.float32
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_eager_cast_to_int_stops_the_gradient():
    x = Tensor([1.5, 2.5], requires_grad=True)
    y = ops.cast(x, "int32") * x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])


def test_comparisons_on_tensors_do_not_require_grad():
    x = Tensor([1.0, -1.0], requires_grad=True)
    mask = x > 0
    assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal(mask.numpy(), [True, False])
    np.testing.assert_array_equal((~mask).numpy(), [False, True])


def test_tensor_methods_from_ops():
    x = Tensor([[4.0, -9.0]], requires_grad=True)
    np.testing.assert_array_equal(x.abs().sqrt().numpy(), [[2.0, 3.0]])
    np.testing.assert_array_equal(x.clip(-1.0, 1.0).numpy(), [[1.0, -1.0]])
    assert x.astype("float64").dtype == np.float64


# ---------------------------------------------------------- symbolic nodes

def test_symbolic_unary_keeps_batch_axis_and_runs():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 4))
        y = ops.sqrt(ops.abs(x)) + ops.exp(ops.minimum(x, 0.0))
        assert y.shape == (None, 4) and y.dtype == np.float32
        value = np.array([[4.0, -1.0, 0.25, -9.0]], dtype=np.float32)
        out = run(y, {x: value})
    np.testing.assert_allclose(out, np.sqrt(np.abs(value)) + np.exp(np.minimum(value, 0)), rtol=1e-6)
    assert out.dtype == np.float32


def test_symbolic_comparison_and_where_gradient():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 3))
        mask = ops.greater(x, 0.0)
        assert mask.shape == (None, 3) and mask.dtype == np.bool_
        y = ops.where(mask, x * x, -x)
        (grad,) = engine.gradients(y, [x])
        value = np.array([[2.0, -3.0, 0.5]], dtype=np.float32)
        out, grad_value = run([y, grad], {x: value})
    np.testing.assert_array_equal(out, [[4.0, 3.0, 0.25]])
    np.testing.assert_array_equal(grad_value, [[4.0, -1.0, 1.0]])
    assert grad_value.dtype == np.float32


def test_symbolic_clip_and_cast():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 2))
        y = ops.cast(ops.clip(x, 0.0, 1.0), "float64")
        assert y.dtype == np.float64 and y.shape == (None, 2)
        (grad,) = engine.gradients(y, [x])
        assert grad.dtype == np.float32
        out, grad_value = run([y, grad], {x: np.array([[-1.0, 0.5], [3.0, 0.25]], np.float32)})
    np.testing.assert_array_equal(out, [[0.0, 0.5], [1.0, 0.25]])
    np.testing.assert_array_equal(grad_value, [[0, 1], [0, 1]])


# ------------------------------------------------- shape errors at build time

def test_broadcast_errors_are_raised_when_building():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 3))
        y = engine.placeholder("float32", (4,))
        for op in (ops.maximum, ops.minimum, ops.equal, ops.less, ops.logical_and):
            with pytest.raises(ShapeError, match=r"\(None, 3\) and \(4,\)"):
                op(x, y)
        with pytest.raises(ShapeError, match="where"):
            ops.where(ops.greater(x, 0.0), x, y)



def test_clip_with_inverted_bounds_gives_max_like_numpy():
    np.testing.assert_array_equal(ops.clip(np.array([0.0, 5.0]), 2.0, 1.0), [1.0, 1.0])
