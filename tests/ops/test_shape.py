"""Public shape ops and indexing: plain arrays, eager Tensors (with backward), graphs with an unknown batch."""
import numpy as np
import pytest

import kerasette.ops as ops
from kerasette import engine
from kerasette.eager import Tensor
from kerasette.primitives import ShapeError


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def grad_of(function, data, weights=None):
    """d sum(function(x) * weights) / dx on an eager Tensor."""
    x = Tensor(data, requires_grad=True)
    out = function(x)
    weights = np.ones(out.shape, np.float32) if weights is None else weights
    (out * Tensor(weights)).sum().backward()
    assert x.grad.dtype == np.float32
    return x.grad.numpy()


# ------------------------------------------------------------ reshape family

def test_reshape_shape_rule_with_unknown_batch():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 4, 4, 20))
        assert ops.reshape(x, (-1, 320)).shape == (None, 320)
        assert x.reshape(-1, 4, 80).shape == (None, 4, 80)
        assert ops.flatten(x).shape == (None,)
        y = engine.placeholder("float32", (None, 300))
        with pytest.raises(ShapeError, match=r"reshape: cannot reshape \(None, 300\) into \(-1, 320\)"):
            ops.reshape(y, (-1, 320))
        with pytest.raises(ShapeError, match=r"cannot reshape \(2, 3\) into \(4, 2\)"):
            ops.reshape(engine.placeholder("float32", (2, 3)), (4, 2))


def test_reshape_round_trip_on_graph_with_gradient():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 2, 3))
        flat = ops.reshape(x, (-1, 6))
        (g,) = engine.gradients(ops.sum(flat * np.arange(6, dtype=np.float32)), [x])
        data = rand((5, 2, 3))
        value, grad = engine.Session().run([flat, g], feed_dict={x: data})
        np.testing.assert_array_equal(value, data.reshape(5, 6))
        np.testing.assert_array_equal(grad, np.broadcast_to(np.arange(6).reshape(2, 3), (5, 2, 3)))


def test_transpose_expand_squeeze():
    x = rand((2, 3, 4))
    np.testing.assert_array_equal(ops.transpose(x), x.T)
    np.testing.assert_array_equal(ops.transpose(x, (1, -1, 0)), x.transpose(1, 2, 0))
    assert ops.expand_dims(x, -1).shape == (2, 3, 4, 1)
    assert ops.expand_dims(x, (0, 2)).shape == (1, 2, 1, 3, 4)
    assert ops.squeeze(rand((1, 3, 1))).shape == (3,)
    assert ops.squeeze(rand((1, 3, 1)), axis=-1).shape == (1, 3)
    weights = rand((4, 3, 2), 1)
    np.testing.assert_array_equal(grad_of(lambda t: t.T, x, weights), weights.T)
    permuted = rand((4, 2, 3), 2)
    np.testing.assert_array_equal(grad_of(lambda t: t.permute(2, 0, 1), x, permuted), permuted.transpose(1, 2, 0))
    with engine.Graph().as_default():
        p = engine.placeholder("float32", (None, 3, 1))
        assert ops.squeeze(p).shape == (None, 3)       # the batch is never squeezed blindly
        assert ops.expand_dims(p, 1).shape == (None, 1, 3, 1)
        with pytest.raises(ShapeError, match=r"squeeze: cannot squeeze axis 1 of size 3"):
            ops.squeeze(p, axis=1)
        with pytest.raises(ShapeError, match="transpose"):
            ops.transpose(p, (0, 1))


# ------------------------------------------------------------ joining and splitting

def test_concatenate_stack_and_their_gradients():
    a, b = rand((2, 3)), rand((2, 5), 1)
    np.testing.assert_array_equal(ops.concatenate([a, b], axis=-1), np.concatenate([a, b], axis=1))
    np.testing.assert_array_equal(ops.stack([a, a], axis=-1), np.stack([a, a], axis=-1))
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    weights = rand((2, 8), 2)
    (ops.concatenate([ta, tb], axis=1) * Tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ta.grad.numpy(), weights[:, :3])
    np.testing.assert_array_equal(tb.grad.numpy(), weights[:, 3:])
    tc = Tensor(a, requires_grad=True)
    weights = rand((2, 2, 3), 3)
    (ops.stack([tc, tc * 2.0], axis=0) * Tensor(weights)).sum().backward()
    np.testing.assert_allclose(tc.grad.numpy(), weights[0] + 2 * weights[1], rtol=1e-6)


def test_concatenate_along_the_unknown_batch_axis_is_differentiable():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 3))
        y = engine.placeholder("float32", (None, 3))
        joined = ops.concatenate([x, y * 2.0], axis=0)
        assert joined.shape == (None, 3)
        weights = engine.placeholder("float32", (None, 3))
        gx, gy = engine.gradients(ops.sum(joined * weights), [x, y])
        sess = engine.Session()
        for rows_x, rows_y in ((2, 3), (4, 1)):
            w = rand((rows_x + rows_y, 3), 9)
            got_x, got_y = sess.run([gx, gy], feed_dict={x: rand((rows_x, 3)), y: rand((rows_y, 3), 1),
                                                         weights: w})
            np.testing.assert_array_equal(got_x, w[:rows_x])
            np.testing.assert_allclose(got_y, 2 * w[rows_x:])
        with pytest.raises(ShapeError, match=r"concatenate: shapes \(None, 3\) and \(None, 4\) cannot be "
                                             r"concatenated along axis 0"):
            ops.concatenate([x, engine.placeholder("float32", (None, 4))], axis=0)
        assert ops.concatenate([x, engine.placeholder("float32", (None, 4))], axis=1).shape == (None, 7)


def test_split_round_trip_and_gradient():
    x = rand((2, 6, 3))
    parts = ops.split(x, 3, axis=1)
    assert [p.shape for p in parts] == [(2, 2, 3)] * 3
    np.testing.assert_array_equal(ops.concatenate(parts, axis=1), x)
    uneven = ops.split(x, [1, 4], axis=-2)
    assert [p.shape[1] for p in uneven] == [1, 3, 2]
    np.testing.assert_array_equal(ops.concatenate(uneven, axis=1), x)
    with pytest.raises(ValueError, match="does not divide"):
        ops.split(x, 4, axis=1)

    t = Tensor(x, requires_grad=True)
    first, second = ops.split(t, 2, axis=1)
    (first * 3.0 + second).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy()[:, :3], 3.0)
    np.testing.assert_array_equal(t.grad.numpy()[:, 3:], 1.0)

    with engine.Graph().as_default():
        p = engine.placeholder("float32", (None, 6))
        pieces = ops.split(p, 2, axis=1)
        assert [q.shape for q in pieces] == [(None, 3), (None, 3)]
        rows = ops.split(p, [2], axis=0)
        assert [q.shape for q in rows] == [(None, 6), (None, 6)]
        data = rand((5, 6))
        top, rest = engine.Session().run(rows, feed_dict={p: data})
        np.testing.assert_array_equal(top, data[:2])
        np.testing.assert_array_equal(rest, data[2:])


# ------------------------------------------------------------ indexing

def test_basic_indexing_on_tensors_with_backward():
    data = rand((4, 5))
    t = Tensor(data, requires_grad=True)
    part = t[:, 1:3]
    np.testing.assert_array_equal(part.numpy(), data[:, 1:3])
    part.sum().backward()
    expected = np.zeros((4, 5), np.float32)
    expected[:, 1:3] = 1
    np.testing.assert_array_equal(t.grad.numpy(), expected)

    x = rand((3, 4, 5))
    for key in [(1,), (slice(None), -1), (Ellipsis, 2), (None, 0, slice(None, None, -2)),
                (slice(1, None), None, Ellipsis, slice(0, 4, 3)), (-1, -2, -3)]:
        np.testing.assert_array_equal(ops.getitem(x, key), x[key])
        weights = rand(np.shape(x[key]), 4)
        expected = np.zeros_like(x)
        expected[key] = weights
        np.testing.assert_array_equal(grad_of(lambda v: v[key], x, weights), expected)


def test_indexing_symbolic_batch_none():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 5))
        part = x[:, 1:3]
        assert part.shape == (None, 2)
        assert x[0].shape == (5,) and x[..., -1].shape == (None,) and x[:, None].shape == (None, 1, 5)
        with pytest.raises(IndexError, match="out of range"):
            x[:, 5]
        (g,) = engine.gradients(ops.sum(part), [x])
        data = rand((3, 5))
        value, grad = engine.Session().run([part, g], feed_dict={x: data})
        np.testing.assert_array_equal(value, data[:, 1:3])
        np.testing.assert_array_equal(grad, np.repeat([[0, 1, 1, 0, 0]], 3, axis=0))


def test_integer_array_and_mask_indexing():
    x = rand((4, 5))
    np.testing.assert_array_equal(ops.getitem(x, [2, 0, 2]), x[[2, 0, 2]])
    np.testing.assert_array_equal(ops.getitem(x, (slice(None), np.array([4, 1]))), x[:, [4, 1]])
    np.testing.assert_array_equal(ops.getitem(x, (1, [0, 3])), x[1, [0, 3]])
    np.testing.assert_array_equal(ops.getitem(x, (slice(1, 3), [[0], [3]])), x[1:3, [[0], [3]]])
    mask = x > 0
    np.testing.assert_array_equal(ops.getitem(x, mask), x[mask])
    np.testing.assert_array_equal(ops.getitem(x, mask[:, 0]), x[mask[:, 0]])
    # more than one array on plain arrays: numpy's meaning
    np.testing.assert_array_equal(ops.getitem(x, ([0, 1], [2, 3])), x[[0, 1], [2, 3]])

    t = Tensor(x, requires_grad=True)
    picked = t[[2, 0, 2]]
    (picked * Tensor(np.arange(15, dtype=np.float32).reshape(3, 5))).sum().backward()
    expected = np.zeros_like(x)
    expected[2] = np.arange(5) + np.arange(10, 15)
    expected[0] = np.arange(5, 10)
    np.testing.assert_array_equal(t.grad.numpy(), expected)

    t = Tensor(x, requires_grad=True)
    positive = t[t > 0.0]
    np.testing.assert_array_equal(positive.numpy(), x[x > 0])
    positive.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), (x > 0).astype(np.float32))

    with pytest.raises(NotImplementedError):
        t[[0, 1], [2, 3]]
    with pytest.raises(IndexError):
        t[4]
    assert len(list(Tensor(x))) == 4            # iteration stops at the IndexError
    with engine.Graph().as_default():
        p = engine.placeholder("float32", (None, 5))
        with pytest.raises(TypeError, match="boolean mask"):
            p[p > 0.0]
        ids = engine.placeholder("int32", (None,))
        assert p[ids].shape == (None, 5)
        assert p[:, [0, 0, 1]].shape == (None, 3)


def test_take_embedding_gradient_and_graph():
    table = rand((10, 8))
    ids = np.array([[1, 3, 3], [9, 1, 0]])
    np.testing.assert_array_equal(ops.take(table, ids, axis=0), table[ids])
    np.testing.assert_array_equal(ops.take(table, [3, -1]), table.reshape(-1)[[3, -1]])
    weights = rand((2, 3, 8), 1)
    expected = np.zeros_like(table)
    np.add.at(expected, ids.reshape(-1), weights.reshape(-1, 8))
    np.testing.assert_allclose(grad_of(lambda t: ops.take(t, ids, axis=0), table, weights), expected, rtol=1e-6)

    with engine.Graph().as_default():
        w = engine.placeholder("float32", (10, 8))
        idx = engine.placeholder("int32", (None, 3))
        out = ops.take(w, idx, axis=0)
        assert out.shape == (None, 3, 8)
        (g,) = engine.gradients(ops.sum(out), [w])
        grad = engine.Session().run(g, feed_dict={w: table, idx: ids.astype(np.int32)})
        np.testing.assert_array_equal(grad, np.bincount(ids.reshape(-1), minlength=10)[:, None] * np.ones(8))


def test_take_along_axis():
    x = rand((3, 4))
    idx = np.array([[0, 3], [1, 1], [2, 0]])
    np.testing.assert_array_equal(ops.take_along_axis(x, idx, axis=1), np.take_along_axis(x, idx, axis=1))
    np.testing.assert_array_equal(ops.take_along_axis(x, [5, 0], axis=None), x.reshape(-1)[[5, 0]])
    expected = np.zeros_like(x)
    np.add.at(expected, (np.arange(3)[:, None], idx), 1.0)
    np.testing.assert_array_equal(grad_of(lambda t: ops.take_along_axis(t, idx, axis=1), x), expected)
    with engine.Graph().as_default():
        p = engine.placeholder("float32", (None, 4))
        assert ops.take_along_axis(p, engine.placeholder("int32", (None, 2)), axis=1).shape == (None, 2)
        with pytest.raises(ShapeError, match="different ranks"):
            ops.take_along_axis(p, np.array([0, 1]), axis=1)


# ------------------------------------------------------------ pad, tile, repeat, broadcast

@pytest.mark.parametrize("mode", ["constant", "reflect", "symmetric", "edge", "wrap"])
def test_pad_values_and_gradient(mode):
    x = rand((3, 4))
    width = ((1, 2), (3, 0))
    kwargs = {"constant_values": 1.5} if mode == "constant" else {}
    out = ops.pad(x, width, mode=mode, **kwargs)
    np.testing.assert_array_equal(out, np.pad(x, width, mode=mode, **kwargs))
    assert out.dtype == np.float32
    # the gradient is the transpose of the (linear, for these values) pad map
    weights = rand(out.shape, 1).astype(np.float64)
    jacobian = np.stack([np.pad(e.reshape(3, 4), width, mode=mode).reshape(-1)
                         for e in np.eye(12)])
    expected = (jacobian @ weights.reshape(-1)).reshape(3, 4)
    np.testing.assert_allclose(grad_of(lambda t: ops.pad(t, width, mode=mode, **kwargs), x,
                                       weights.astype(np.float32)), expected, rtol=1e-5, atol=1e-6)


def test_pad_width_forms_and_batch_none():
    x = rand((2, 3))
    np.testing.assert_array_equal(ops.pad(x, 1), np.pad(x, 1))
    np.testing.assert_array_equal(ops.pad(x, (1, 2)), np.pad(x, (1, 2)))
    with pytest.raises(ValueError, match="constant_values"):
        ops.pad(x, 1, mode="reflect", constant_values=1.0)
    with engine.Graph().as_default():
        p = engine.placeholder("float32", (None, 4, 4, 3))
        assert ops.pad(p, ((0, 0), (1, 1), (2, 2), (0, 0))).shape == (None, 6, 8, 3)


def test_tile_repeat_broadcast_to_and_their_gradients():
    x = rand((2, 3))
    np.testing.assert_array_equal(ops.tile(x, 2), np.tile(x, 2))
    np.testing.assert_array_equal(ops.tile(x, (2, 1, 2)), np.tile(x, (2, 1, 2)))
    np.testing.assert_array_equal(ops.repeat(x, 2), np.repeat(x, 2))
    np.testing.assert_array_equal(ops.repeat(x, 3, axis=-1), np.repeat(x, 3, axis=1))
    np.testing.assert_array_equal(ops.repeat(x, [1, 0, 2], axis=1), np.repeat(x, [1, 0, 2], axis=1))
    np.testing.assert_array_equal(ops.broadcast_to(x[0], (4, 3)), np.broadcast_to(x[0], (4, 3)))

    np.testing.assert_array_equal(grad_of(lambda t: ops.tile(t, (2, 1, 2)), x), np.full((2, 3), 4.0))
    weights = rand((2, 6), 1)
    np.testing.assert_allclose(grad_of(lambda t: ops.repeat(t, 2, axis=1), x, weights),
                               weights.reshape(2, 3, 2).sum(axis=2), rtol=1e-6)
    np.testing.assert_array_equal(grad_of(lambda t: ops.broadcast_to(t, (5, 2, 3)), x), np.full((2, 3), 5.0))
    with engine.Graph().as_default():
        p = engine.placeholder("float32", (None, 3))
        assert ops.tile(p, (1, 2)).shape == (None, 6)
        assert ops.repeat(p, 2, axis=0).shape == (None, 3)
        with pytest.raises(ShapeError, match="broadcast_to"):
            ops.broadcast_to(p, (4, 2))
        (g,) = engine.gradients(ops.sum(ops.tile(p, (3, 2))), [p])
        grad = engine.Session().run(g, feed_dict={p: rand((4, 3))})
        np.testing.assert_array_equal(grad, np.full((4, 3), 6.0))


def test_one_hot():
    labels = np.array([0, 2, 1, 3])
    out = ops.one_hot(labels, 3)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(ops.one_hot(labels, 4, axis=0), np.eye(4)[labels].T)
    assert ops.one_hot(labels, 4, dtype="int32").dtype == np.int32
    with engine.Graph().as_default():
        p = engine.placeholder("int64", (None, 5))
        assert ops.one_hot(p, 10).shape == (None, 5, 10)
        assert ops.one_hot(p, 10, axis=1).shape == (None, 10, 5)


def test_shape_ops_keep_float32_on_tensors():
    t = Tensor(rand((2, 3, 4)), requires_grad=True)
    outs = [ops.reshape(t, (6, 4)), ops.transpose(t), ops.concatenate([t, t]), ops.stack([t, t]),
            t[0], ops.take(t, [1], axis=2), ops.pad(t, 1), ops.tile(t, 2), ops.repeat(t, 2, axis=0),
            ops.broadcast_to(t, (3, 2, 3, 4)), ops.expand_dims(t, 0), ops.flatten(t)]
    for out in outs:
        assert out.dtype == np.float32
        out.sum().backward()
    assert t.grad.dtype == np.float32
