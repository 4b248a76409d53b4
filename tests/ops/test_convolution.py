"""Public convolution and pooling functions: plain arrays, eager Tensors, graphs, and PyTorch parity."""
import numpy as np
import pytest

import kerasette.ops as ops
from kerasette import engine
from kerasette.eager import Tensor
from kerasette.primitives import ShapeError

from tests.primitives.test_convolution import naive_conv
from tests.primitives.test_pooling import naive_pool


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------ three callers

def test_conv2d_on_arrays_eager_and_graph_agree():
    x, kernel = rand((2, 9, 8, 3)), rand((3, 3, 3, 4), 1)
    expected = naive_conv(x.astype(np.float64), kernel.astype(np.float64), (2, 2), "same")
    y = ops.conv2d(x, kernel, strides=2, padding="same")
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (2, 5, 4, 4)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)

    g = rand(y.shape, 2)
    tx, tk = Tensor(x, requires_grad=True), Tensor(kernel, requires_grad=True)
    ty = ops.conv2d(tx, tk, strides=2, padding="same")
    np.testing.assert_allclose(ty.numpy(), y, rtol=1e-6)
    ty.backward(g)
    assert tx.grad.dtype == np.float32 and tk.grad.dtype == np.float32

    with engine.Graph().as_default():
        px = engine.placeholder("float32", (None, 9, 8, 3))
        pk = engine.placeholder("float32", (3, 3, 3, 4))
        node = ops.conv2d(px, pk, strides=2, padding="same")
        assert node.shape == (None, 5, 4, 4)
        gx, gk = engine.gradients(node, [px, pk], grad_ys=engine.constant(g))
        assert gx.shape == (None, 9, 8, 3) and gk.shape == (3, 3, 3, 4)
        out, vx, vk = engine.Session().run([node, gx, gk], feed_dict={px: x, pk: kernel})
    np.testing.assert_allclose(out, y, rtol=1e-6)
    np.testing.assert_allclose(vx, tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(vk, tk.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert vx.dtype == np.float32 and vk.dtype == np.float32


def test_pooling_on_arrays_eager_and_graph_agree():
    x = rand((2, 7, 6, 3))
    y = ops.max_pool(x, 2)          # strides default to the pool size
    np.testing.assert_allclose(y, naive_pool(x, (2, 2), (2, 2), "valid", "max"))
    assert y.dtype == np.float32 and y.shape == (2, 3, 3, 3)
    a = ops.average_pool(x, (3, 3), strides=(2, 1), padding="same")
    np.testing.assert_allclose(a, naive_pool(x, (3, 3), (2, 1), "same", "avg"), rtol=1e-5)
    assert ops.avg_pool is ops.average_pool

    g = rand(y.shape, 1)
    tx = Tensor(x, requires_grad=True)
    ops.max_pool2d(tx, 2).backward(g)
    with engine.Graph().as_default():
        px = engine.placeholder("float32", (None, 7, 6, 3))
        node = ops.max_pool2d(px, 2)
        (gx,) = engine.gradients(node, [px], grad_ys=engine.constant(g))
        (vx,) = engine.Session().run([gx], feed_dict={px: x})
    np.testing.assert_allclose(vx, tx.grad.numpy())
    # every window sends its gradient to exactly one position
    assert np.count_nonzero(vx) == g.size
    np.testing.assert_allclose(vx.sum(), g.sum(), rtol=1e-5)


def test_second_derivative_through_max_pool_and_conv():
    x = Tensor(rand((1, 4, 4, 2)), requires_grad=True)
    kernel = Tensor(rand((2, 2, 2, 2), 1), requires_grad=True)
    y = ops.max_pool2d(ops.conv2d(x, kernel, padding="same"), 2)
    y.backward(np.ones(y.shape, np.float32), create_graph=True)
    assert x.grad.requires_grad and kernel.grad.requires_grad


def test_convenience_names_and_ranks():
    x1, k1 = rand((2, 10, 3)), rand((3, 3, 4), 1)
    np.testing.assert_allclose(ops.conv1d(x1, k1, padding="causal", dilation_rate=2),
                               naive_conv(x1, k1, (1,), "causal", (2,)), rtol=1e-4, atol=1e-5)
    x3, k3 = rand((1, 4, 5, 6, 2)), rand((2, 2, 2, 2, 3), 1)
    assert ops.conv3d(x3, k3, strides=(1, 2, 2)).shape == (1, 3, 2, 3, 3)
    assert ops.max_pool1d(x1, 2).shape == (2, 5, 3)
    assert ops.avg_pool3d(x3, 2, padding="same").shape == (1, 2, 3, 3, 2)
    assert ops.max_pool3d(x3, (2, 2, 3)).shape == (1, 2, 2, 2, 2)
    assert ops.avg_pool1d(x1, 3, strides=1).shape == (2, 8, 3)
    with pytest.raises(ValueError, match="conv2d: the kernel must have rank 4"):
        ops.conv2d(x1, k1)
    with pytest.raises(ValueError, match="max_pool2d: the input must have rank 4"):
        ops.max_pool2d(x1, 2)


def test_grouped_conv_is_inferred_from_the_kernel_like_keras():
    x, kernel = rand((2, 6, 6, 4)), rand((3, 3, 2, 6), 1)
    y = ops.conv(x, kernel, padding="same")
    np.testing.assert_allclose(y, naive_conv(x, kernel, (1, 1), "same", groups=2), rtol=1e-4, atol=1e-5)


def test_separable_conv_is_depthwise_then_pointwise():
    x, depthwise, pointwise = rand((2, 6, 6, 3)), rand((3, 3, 3, 2), 1), rand((1, 1, 6, 4), 2)
    y = ops.separable_conv(x, depthwise, pointwise, padding="same")
    hidden = naive_conv(x, depthwise, (1, 1), "same", depthwise=True)
    np.testing.assert_allclose(y, naive_conv(hidden, pointwise, (1, 1)), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------- errors at build

def test_shape_errors_at_graph_build_name_op_and_shapes():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 28, 28, 3))
        with pytest.raises(ShapeError, match=r"conv: input \(None, 28, 28, 3\) and kernel \(5, 5, 1, 10\)"):
            ops.conv2d(x, engine.placeholder("float32", (5, 5, 1, 10)))
        with pytest.raises(ShapeError, match="larger than the input"):
            ops.conv2d(x, engine.placeholder("float32", (30, 3, 3, 1)))
        with pytest.raises(ShapeError, match=r"conv_transpose: input \(None, 28, 28, 3\)"):
            ops.conv2d_transpose(x, engine.placeholder("float32", (3, 3, 8, 4)), strides=2)
        with pytest.raises(ShapeError, match="max_pool"):
            ops.max_pool(x, 29)
        with pytest.raises(ShapeError, match="conv_transpose"):
            # Keras' output size 4 does not convolve back to 3 with these strides
            ops.conv2d_transpose(engine.placeholder("float32", (None, 3, 3, 1)),
                                 engine.placeholder("float32", (2, 2, 1, 1)), 2, "same", output_padding=0)


def test_bad_arguments():
    x, kernel = rand((1, 5, 5, 1)), rand((3, 3, 1, 1))
    with pytest.raises(ValueError, match="data_format"):
        ops.conv(x, kernel, data_format="NHWC")
    with pytest.raises(ValueError, match="data_format"):
        ops.max_pool(x, 2, data_format="channels")
    with pytest.raises(ValueError, match="padding"):
        ops.conv(x, kernel, padding="full")
    with pytest.raises(ValueError, match="causal"):
        ops.conv2d(x, kernel, padding="causal")
    with pytest.raises(ValueError, match="strides"):
        ops.conv2d(x, kernel, strides=(1, 1, 1))


def test_float64_stays_float64():
    x, kernel = rand((1, 5, 5, 2)).astype(np.float64), rand((3, 3, 2, 2)).astype(np.float64)
    assert ops.conv2d(x, kernel).dtype == np.float64
    assert ops.conv2d_transpose(x, kernel, 2).dtype == np.float64
    assert ops.average_pool(x, 2, padding="same").dtype == np.float64
