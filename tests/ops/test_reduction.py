"""Public reductions: plain arrays, eager Tensors (with backward), graphs with an unknown batch."""
import numpy as np
import pytest

import kerasette.ops as ops
from kerasette import engine
from kerasette.eager import Tensor
from kerasette.primitives import ShapeError


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------ plain arrays

@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "var", "std"])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), (-1, True), ((0, 2), False),
                                           ((0, -1), True)])
def test_reductions_match_numpy_and_keep_float32(name, axis, keepdims):
    x = rand((3, 4, 5))
    out = getattr(ops, name)(x, axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(x.astype(np.float64), axis=axis, keepdims=keepdims)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=2e-5, atol=1e-6)


def test_logsumexp_is_stable_and_matches_the_formula():
    x = rand((3, 5)) * 3
    np.testing.assert_allclose(ops.logsumexp(x, axis=1), np.log(np.exp(x.astype(np.float64)).sum(axis=1)),
                               rtol=1e-5)
    big = np.array([[1000.0, 1000.0], [-1000.0, -1000.0]], dtype=np.float32)
    out = ops.logsumexp(big, axis=1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [1000 + np.log(2), -1000 + np.log(2)], rtol=1e-6)
    with np.errstate(divide="ignore"):
        assert ops.logsumexp(np.full((2,), -np.inf, np.float32)) == -np.inf
    assert ops.logsumexp(x, axis=0, keepdims=True).shape == (1, 5)


def test_integer_and_boolean_dtypes_follow_keras():
    ints = np.arange(12, dtype=np.int32).reshape(3, 4)
    assert ops.sum(ints, axis=0).dtype == np.int32
    assert ops.prod(ints + 1, axis=1).dtype == np.int32
    assert ops.cumsum(ints, axis=1).dtype == np.int32
    assert ops.sum(ints > 5).dtype == np.int32 and int(ops.sum(ints > 5)) == 6
    mean = ops.mean(ints, axis=0)
    assert mean.dtype == np.float32
    np.testing.assert_allclose(mean, [4, 5, 6, 7])
    assert ops.var(ints).dtype == np.float32


def test_argmax_argmin_and_cumsum_axes():
    x = rand((3, 4, 2))
    assert ops.argmax(x).dtype == np.int32
    assert int(ops.argmax(x)) == int(np.argmax(x))
    assert int(ops.argmin(x)) == int(np.argmin(x))
    np.testing.assert_array_equal(ops.argmax(x, axis=-2), np.argmax(x, axis=-2))
    assert ops.argmax(x, keepdims=True).shape == (1, 1, 1)
    np.testing.assert_array_equal(ops.argmin(x, axis=0, keepdims=True), np.argmin(x, axis=0, keepdims=True))
    np.testing.assert_allclose(ops.cumsum(x), np.cumsum(x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ops.cumsum(x, axis=-1), np.cumsum(x, axis=-1), rtol=1e-6)


def test_max_initial_and_prod_dtype():
    x = np.array([[1.0, -2.0], [0.5, -3.0]], dtype=np.float32)
    np.testing.assert_allclose(ops.max(x, axis=1, initial=0.75), [1.0, 0.75])
    np.testing.assert_allclose(ops.min(x, axis=0, initial=-2.5), [0.5 * 0 - 2.5, -3.0])
    assert ops.prod(np.array([2, 3]), dtype="float32").dtype == np.float32


# ------------------------------------------------------------ eager tensors

def test_eager_mean_and_sum_backward():
    x = Tensor(rand((4, 3)), requires_grad=True)
    ops.mean(x, axis=0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), np.full((4, 3), 0.25))
    x.zero_grad()
    (x.sum(axis=1) * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.repeat([[1.0], [2.0], [3.0], [4.0]], 3, axis=1))


def test_max_gradient_splits_evenly_among_ties():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [5.0, 0.0, 1.0]], requires_grad=True)
    ops.max(x, axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [1, 0, 0]], rtol=1e-6)
    y = Tensor([[1.0, 3.0], [1.0, 0.0]], requires_grad=True)
    ops.min(y).backward()
    np.testing.assert_allclose(y.grad.numpy(), [[0, 0], [0, 1]])


def test_var_std_prod_logsumexp_backward_match_formulas():
    data = rand((5, 3), 1)
    x64 = data.astype(np.float64)
    centred = x64 - x64.mean(axis=0)

    x = Tensor(data, requires_grad=True)
    ops.var(x, axis=0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * centred / 5, rtol=1e-5, atol=1e-6)

    x = Tensor(data, requires_grad=True)
    ops.std(x, axis=0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), centred / (5 * x64.std(axis=0)), rtol=1e-4, atol=1e-6)

    x = Tensor(data, requires_grad=True)
    ops.prod(x, axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x64.prod(axis=1, keepdims=True) / x64, rtol=1e-4)

    x = Tensor(data, requires_grad=True)
    ops.logsumexp(x, axis=1).sum().backward()
    softmax = np.exp(x64) / np.exp(x64).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), softmax, rtol=1e-5)


def test_cumsum_backward_is_reversed_cumsum():
    x = Tensor(rand((2, 4)), requires_grad=True)
    weights = rand((2, 4), 3)
    (ops.cumsum(x, axis=1) * Tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cumsum(weights[:, ::-1], axis=1)[:, ::-1], rtol=1e-6)


def test_second_derivative_of_logsumexp():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    out = ops.logsumexp(x)
    out.backward(create_graph=True)
    first = x.grad
    x.grad = None
    (first * Tensor([1.0, 0.0, 0.0])).sum().backward()
    p = np.exp(x.numpy()) / np.exp(x.numpy()).sum()
    np.testing.assert_allclose(x.grad.numpy(), p[0] * (np.eye(3)[0] - p), rtol=1e-10)


def test_methods_on_tensors():
    data = rand((3, 4))
    t = Tensor(data)
    np.testing.assert_allclose(t.sum(axis=1).numpy(), data.sum(axis=1), rtol=1e-6)
    np.testing.assert_allclose(t.mean().numpy(), data.mean(), rtol=1e-6)
    assert t.argmax().item() == int(data.argmax())


# ------------------------------------------------------------ graphs

def test_mean_over_unknown_batch_uses_the_run_time_size():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 3))
        m = ops.mean(x, axis=0)
        assert m.shape == (3,) and m.dtype == np.float32
        (grad,) = engine.gradients(ops.sum(m), [x])
        assert grad.shape == (None, 3)
        sess = engine.Session()
        for rows in (5, 7):
            data = rand((rows, 3), rows)
            value, g = sess.run([m, grad], feed_dict={x: data})
            np.testing.assert_allclose(value, data.mean(axis=0), rtol=1e-6)
            assert g.dtype == np.float32
            np.testing.assert_allclose(g, np.full((rows, 3), 1 / rows), rtol=1e-6)


def test_var_and_std_over_unknown_batch():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 2))
        v, s = ops.var(x, axis=0), ops.std(x, axis=0, keepdims=True)
        assert s.shape == (1, 2)
        gv, gs = engine.gradients(ops.sum(v), [x])[0], engine.gradients(ops.sum(s), [x])[0]
        sess = engine.Session()
        for rows in (4, 9):
            data = rand((rows, 2), rows).astype(np.float64)
            values = sess.run([v, s, gv, gs], feed_dict={x: data.astype(np.float32)})
            centred = data - data.mean(axis=0)
            np.testing.assert_allclose(values[0], data.var(axis=0), rtol=1e-5)
            np.testing.assert_allclose(values[1], data.std(axis=0, keepdims=True), rtol=1e-5)
            np.testing.assert_allclose(values[2], 2 * centred / rows, rtol=1e-4, atol=1e-6)
            np.testing.assert_allclose(values[3], centred / (rows * data.std(axis=0)), rtol=1e-4, atol=1e-6)


def test_max_and_logsumexp_on_graphs_with_batch_none():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 4))
        top = ops.max(x, axis=1)
        lse = ops.logsumexp(x, axis=-1, keepdims=True)
        assert top.shape == (None,) and lse.shape == (None, 1)
        assert ops.argmax(x, axis=1).shape == (None,)
        assert ops.cumsum(x, axis=0).shape == (None, 4)
        (g,) = engine.gradients(ops.sum(top), [x])
        data = rand((3, 4))
        value, grad = engine.Session().run([top, g], feed_dict={x: data})
        np.testing.assert_allclose(value, data.max(axis=1))
        np.testing.assert_allclose(grad, (data == data.max(axis=1, keepdims=True)).astype(np.float32))


def test_reduction_axis_errors_at_build_time():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 3))
        with pytest.raises(ShapeError, match="sum: axis 2 is out of range for rank 2"):
            ops.sum(x, axis=2)
        with pytest.raises(ShapeError, match="argmax"):
            ops.argmax(x, axis=-3)
