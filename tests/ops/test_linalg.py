"""Public matrix products: plain arrays, eager Tensors, graphs, numpy semantics and PyTorch parity."""
import numpy as np
import pytest

import kerasette.ops as ops
from kerasette import engine
from kerasette.eager import Tensor
from kerasette.primitives import ShapeError


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("x_shape, y_shape", [
    ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)), ((4,), (4,)),
])
def test_matmul_matches_numpy_and_keeps_float32(x_shape, y_shape):
    x, y = rand(x_shape), rand(y_shape, 1)
    out = ops.matmul(x, y)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out, np.matmul(x, y), rtol=1e-5, atol=1e-6)
    assert out.shape == np.matmul(x, y).shape


def test_matmul_eager_graph_and_operator_agree():
    x, y = rand((2, 3, 4)), rand((4, 5), 1)
    g = rand((2, 3, 5), 2)
    tx, ty = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    tz = tx @ ty
    tz.backward(g)
    np.testing.assert_allclose(tz.numpy(), x @ y, rtol=1e-6)
    np.testing.assert_allclose(tx.grad.numpy(), g @ y.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ty.grad.numpy(), np.einsum("bij,bik->jk", x, g), rtol=1e-5, atol=1e-6)
    assert tx.grad.dtype == np.float32 and ty.grad.dtype == np.float32

    with engine.Graph().as_default():
        px = engine.placeholder("float32", (None, 3, 4))
        py = engine.placeholder("float32", (4, 5))
        z = ops.matmul(px, py)
        assert z.shape == (None, 3, 5) and z.dtype == np.float32
        gx, gy = engine.gradients(z, [px, py], grad_ys=engine.constant(g))
        assert gx.shape == (None, 3, 4) and gy.shape == (4, 5)
        vz, vx, vy = engine.Session().run([z, gx, gy], feed_dict={px: x, py: y})
    np.testing.assert_allclose(vz, x @ y, rtol=1e-6)
    np.testing.assert_allclose(vx, tx.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(vy, ty.grad.numpy(), rtol=1e-6)


def test_matmul_shape_error_at_graph_build():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 3))
        with pytest.raises(ShapeError, match=r"matmul: shapes \(None, 3\) and \(4, 5\) are incompatible"):
            ops.matmul(x, engine.placeholder("float32", (4, 5)))


@pytest.mark.parametrize("x_shape, y_shape", [
    ((), (3,)), ((3,), (3,)), ((2, 3), (3, 4)), ((2, 3, 4), (4,)), ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (5, 4, 6)), ((4,), (2, 4, 3)),
])
def test_dot_follows_numpy_dot(x_shape, y_shape):
    x, y = rand(x_shape), rand(y_shape, 1)
    out = np.asarray(ops.dot(x, y))
    np.testing.assert_allclose(out, np.dot(x, y), rtol=1e-5, atol=1e-6)
    assert out.shape == np.dot(x, y).shape and out.dtype == np.float32


def test_dot_gradient_through_tensordot():
    x, y = rand((2, 3, 4)), rand((5, 4, 6), 1)
    tx, ty = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    out = ops.dot(tx, ty)
    g = rand(out.shape, 2)
    out.backward(g)
    np.testing.assert_allclose(tx.grad.numpy(), np.einsum("abcd,ced->abe", g, y), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ty.grad.numpy(), np.einsum("abcd,abe->ced", g, x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("axes", [2, 1, 0, ([1, 2], [0, 1]), ([-1], [0]), (0, 2)])
def test_tensordot_axes_forms(axes):
    x = rand((3, 4, 4))
    y = rand((4, 4, 3), 1)
    np.testing.assert_allclose(ops.tensordot(x, y, axes), np.tensordot(x, y, axes), rtol=1e-5, atol=1e-5)


def test_einsum_eager_and_graph_with_unknown_batch():
    q, k = rand((2, 5, 3, 4)), rand((2, 6, 3, 4), 1)
    expected = np.einsum("bqhd,bkhd->bhqk", q, k)
    np.testing.assert_allclose(ops.einsum("bqhd,bkhd->bhqk", q, k), expected, rtol=1e-5, atol=1e-6)
    g = rand(expected.shape, 2)
    tq = Tensor(q, requires_grad=True)
    ops.einsum("bqhd,bkhd->bhqk", tq, Tensor(k)).backward(g)
    np.testing.assert_allclose(tq.grad.numpy(), np.einsum("bhqk,bkhd->bqhd", g, k), rtol=1e-5, atol=1e-5)
    with engine.Graph().as_default():
        pq = engine.placeholder("float32", (None, 5, 3, 4))
        pk = engine.placeholder("float32", (None, 6, 3, 4))
        node = ops.einsum("bqhd,bkhd->bhqk", pq, pk)
        assert node.shape == (None, 3, 5, 6)
        (gq,) = engine.gradients(node, [pq], grad_ys=engine.constant(g))
        value, grad_q = engine.Session().run([node, gq], feed_dict={pq: q, pk: k})
    np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad_q, tq.grad.numpy(), rtol=1e-6)
    with pytest.raises(ShapeError, match="index 'd' has sizes 4 and 5"):
        ops.einsum("bqhd,bkhd->bhqk", engine.placeholder("float32", (None, 5, 3, 4)),
                   engine.placeholder("float32", (None, 6, 3, 5)))


def test_einsum_traces_and_diagonals():
    x, y = rand((3, 3)), rand((2, 3, 3), 1)
    np.testing.assert_allclose(ops.einsum("ii->", x), np.trace(x), rtol=1e-6)
    np.testing.assert_allclose(ops.einsum("ii", x), np.trace(x), rtol=1e-6)
    np.testing.assert_allclose(ops.einsum("ii->i", x), np.diag(x), rtol=1e-6)
    np.testing.assert_allclose(ops.einsum("bii,bij->bj", y, y), np.einsum("bii,bij->bj", y, y), rtol=1e-5)
    np.testing.assert_allclose(ops.einsum("...ii->...", y), np.einsum("...ii->...", y), rtol=1e-6)


def test_second_derivative_through_matmul():
    # g1 = d sum((x w)^2)/dx = 2 (x w) w^T; d sum(g1 * v)/dx = 2 v w w^T
    x, w, v = rand((2, 3)), rand((3, 3), 1), rand((2, 3), 2)
    with engine.Graph().as_default():
        px = engine.placeholder("float32", (None, 3))
        z = ops.matmul(px, engine.constant(w))
        (g1,) = engine.gradients(z * z, [px])
        (g2,) = engine.gradients(g1 * engine.constant(v), [px])
        first, second = engine.Session().run([g1, g2], feed_dict={px: x})
    np.testing.assert_allclose(first, 2 * (x @ w) @ w.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(second, 2 * v @ w @ w.T, rtol=1e-5, atol=1e-5)


def test_matmul_matches_torch_forward_and_backward():
    torch = pytest.importorskip("torch")
    x, y = rand((2, 1, 3, 4)), rand((5, 4, 6), 1)
    g = rand((2, 5, 3, 6), 2)
    tx, ty = Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)
    out = ops.matmul(tx, ty)
    out.backward(g)
    rx = torch.tensor(x, requires_grad=True)
    ry = torch.tensor(y, requires_grad=True)
    ref = torch.matmul(rx, ry)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tx.grad.numpy(), rx.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ty.grad.numpy(), ry.grad.numpy(), rtol=1e-5, atol=1e-5)
    assert tx.grad.shape == (2, 1, 3, 4) and ty.grad.shape == (5, 4, 6)
