"""Public nn ops: moments, batch_normalization, dropout and the cross-entropies, in the three
callers (arrays, eager Tensors, graphs), against Keras' formulas and PyTorch."""
import numpy as np
import pytest

import kerasette.ops as ops
from kerasette import backend, engine
from kerasette.eager import Tensor
from kerasette.ops.nn import random_normal_like, random_uniform_like
from kerasette.primitives import ShapeError


def rand(shape, seed=0, low=None, high=None):
    rng = np.random.default_rng(seed)
    if low is not None:
        return rng.uniform(low, high, size=shape).astype(np.float32)
    return rng.standard_normal(shape).astype(np.float32)


def probabilities(shape, seed):
    p = rand(shape, seed, 0.05, 1.0)
    return p / p.sum(-1, keepdims=True)


# ------------------------------------------------------------------ moments

def test_moments_on_arrays_and_keepdims():
    x = rand((4, 5, 3)) * 3 + 10
    mean, variance = ops.moments(x, axes=[0, 1])
    assert mean.shape == (3,) and variance.shape == (3,)
    assert mean.dtype == np.float32 and variance.dtype == np.float32
    np.testing.assert_allclose(mean, x.mean((0, 1)), rtol=1e-5)
    np.testing.assert_allclose(variance, x.astype(np.float64).var((0, 1)), rtol=1e-4)
    mean, variance = ops.moments(x, axes=(0, 1), keepdims=True)
    assert mean.shape == (1, 1, 3) and variance.shape == (1, 1, 3)


def test_moments_graph_gradient_matches_eager():
    x = rand((6, 4))
    tx = Tensor(x, requires_grad=True)
    mean, variance = ops.moments(tx, axes=[0])
    (mean * 2.0 + variance).sum().backward()
    # d/dx [2 mean + var] = 2/N + 2 (x - mean) / N
    expected = 2 / 6 + 2 * (x - x.mean(0)) / 6
    np.testing.assert_allclose(tx.grad.numpy(), expected, rtol=1e-5, atol=1e-6)
    with engine.Graph().as_default():
        px = engine.placeholder("float32", (None, 4))
        m, v = ops.moments(px, axes=[0])
        assert m.shape == (4,) and v.shape == (4,)
        (gx,) = engine.gradients([m * 2.0 + v], [px])
        value_v, value_g = engine.Session().run([v, gx], feed_dict={px: x})
    np.testing.assert_allclose(value_v, x.var(0), rtol=1e-5)
    np.testing.assert_allclose(value_g, expected, rtol=1e-5, atol=1e-6)


def test_moments_synchronized_on_one_process_are_the_moments():
    # several processes: tests/distribution; one: the statistics of x
    x = rand((2, 3))
    mean, variance = ops.moments(x, axes=[0], synchronized=True)
    np.testing.assert_allclose(mean, x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(variance, x.var(0), rtol=1e-5)


# ------------------------------------------------------- batch normalization

def test_batch_normalization_matches_keras_formula_on_any_axis():
    x = rand((2, 3, 4, 5))
    for axis, channels in ((-1, 5), (1, 3)):
        mean, variance = rand((channels,), 1), rand((channels,), 2, 0.5, 2.0)
        offset, scale = rand((channels,), 3), rand((channels,), 4)
        shape = [1] * 4
        shape[axis] = channels
        r = [p.reshape(shape) for p in (mean, variance, offset, scale)]
        expected = (x - r[0]) / np.sqrt(r[1] + 1e-3) * r[3] + r[2]
        out = ops.batch_normalization(x, mean, variance, axis, offset=offset, scale=scale)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    plain = ops.batch_normalization(x, mean, variance, axis=1, epsilon=1e-5)
    np.testing.assert_allclose(plain, (x - r[0]) / np.sqrt(r[1] + 1e-5), rtol=1e-5, atol=1e-5)


def test_batch_normalization_shape_error_at_graph_build():
    with engine.Graph().as_default():
        x = engine.placeholder("float32", (None, 8))
        with pytest.raises(ShapeError, match="batch_normalization"):
            ops.batch_normalization(x, np.zeros(7, "float32"), np.ones(7, "float32"), axis=-1)


def test_training_batch_norm_matches_torch_forward_and_backward():
    torch = pytest.importorskip("torch")
    x = rand((8, 5, 5, 3)) * 2 + 1
    gamma, beta = rand((3,), 1, 0.5, 1.5), rand((3,), 2)
    g = rand(x.shape, 3)

    tx = Tensor(x, requires_grad=True)
    tgamma, tbeta = Tensor(gamma, requires_grad=True), Tensor(beta, requires_grad=True)
    mean, variance = ops.moments(tx, axes=[0, 1, 2])
    out = ops.batch_normalization(tx, mean, variance, axis=-1, offset=tbeta, scale=tgamma,
                                  epsilon=1e-3)
    out.backward(g)

    rx = torch.tensor(x.transpose(0, 3, 1, 2).copy(), requires_grad=True)
    rgamma = torch.tensor(gamma, requires_grad=True)
    rbeta = torch.tensor(beta, requires_grad=True)
    ref = torch.nn.functional.batch_norm(rx, None, None, rgamma, rbeta, training=True, eps=1e-3)
    ref.backward(torch.tensor(g.transpose(0, 3, 1, 2).copy()))

    np.testing.assert_allclose(out.numpy(), ref.detach().numpy().transpose(0, 2, 3, 1),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tx.grad.numpy(), rx.grad.numpy().transpose(0, 2, 3, 1),
                               rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(tgamma.grad.numpy(), rgamma.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tbeta.grad.numpy(), rbeta.grad.numpy(), rtol=1e-4, atol=1e-4)
    assert tx.grad.dtype == np.float32 and tgamma.grad.dtype == np.float32


# ------------------------------------------------------------------- dropout

def test_dropout_scales_and_preserves_the_mean():
    x = np.ones((400, 500), np.float32)
    y = ops.dropout(x, 0.3, seed=0)
    assert y.dtype == np.float32
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.01
    assert abs(y.mean() - 1.0) < 0.01


def test_dropout_seed_rate_zero_and_noise_shape():
    x = rand((5, 6, 4))
    np.testing.assert_array_equal(ops.dropout(x, 0.5, seed=7), ops.dropout(x, 0.5, seed=7))
    assert not np.array_equal(ops.dropout(x, 0.5, seed=7), ops.dropout(x, 0.5, seed=8))
    assert ops.dropout(x, 0.0) is x
    y = ops.dropout(x, 0.5, noise_shape=(None, 1, 4), seed=1)
    zeros = (y == 0)
    assert (zeros == zeros[:, :1, :]).all()          # one draw shared along axis 1
    generator = np.random.default_rng(5)
    first = ops.dropout(x, 0.5, seed=generator)
    second = ops.dropout(x, 0.5, seed=generator)
    assert not np.array_equal(first, second)         # a Generator advances
    with pytest.raises(ValueError):
        ops.dropout(x, 1.0)


def test_dropout_gradient_is_the_scaled_mask():
    x = rand((6, 7))
    tx = Tensor(x, requires_grad=True)
    y = ops.dropout(tx, 0.4, seed=3)
    y.backward(np.ones_like(x))
    mask = (y.numpy() != 0).astype(np.float32)
    np.testing.assert_allclose(tx.grad.numpy(), mask / 0.6, rtol=1e-6)


def test_graph_draws_a_fresh_mask_every_run():
    x = np.ones((50, 40), np.float32)
    with engine.Graph().as_default():
        px = engine.placeholder("float32", (None, 40))
        y = ops.dropout(px, 0.5, seed=11)
        (gx,) = engine.gradients(y, [px])
        session = engine.Session()
        first, grad = session.run([y, gx], feed_dict={px: x})
        second = session.run(y, feed_dict={px: x})
    assert first.shape == (50, 40) and first.dtype == np.float32
    assert not np.array_equal(first, second)
    # within one run the gradient uses that run's mask
    np.testing.assert_allclose(grad, first, rtol=1e-6)


def test_noise_like_helpers():
    x = np.zeros((200, 200), np.float32)
    n = random_normal_like(x, 2.0, 0.1, seed=0)
    u = random_uniform_like(x, 1.0, 2.0, seed=0)
    assert n.dtype == np.float32 and abs(n.mean() - 2.0) < 0.01
    assert u.min() >= 1.0 and u.max() < 2.0


# ----------------------------------------------------------- cross-entropies

def test_categorical_crossentropy_matches_keras_example():
    # the example from Keras' documentation: [0.051, 2.302]
    target = np.array([[0, 1, 0], [0, 0, 1]], np.float32)
    output = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], np.float32)
    out = ops.categorical_crossentropy(target, output)
    assert out.dtype == np.float32 and out.shape == (2,)
    np.testing.assert_allclose(out, [0.0513, 2.3026], atol=1e-4)
    sparse = ops.sparse_categorical_crossentropy(np.array([1, 2]), output)
    np.testing.assert_allclose(sparse, out, rtol=1e-6)
    # float labels are labels too
    np.testing.assert_allclose(ops.sparse_categorical_crossentropy(np.array([1.0, 2.0]), output), out)


def test_binary_crossentropy_elementwise():
    target = np.array([[0, 1], [0, 0]], np.float32)
    output = np.array([[0.6, 0.4], [0.4, 0.6]], np.float32)
    out = ops.binary_crossentropy(target, output)
    assert out.shape == (2, 2) and out.dtype == np.float32
    expected = -(target * np.log(output) + (1 - target) * np.log(1 - output))
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    logits = np.log(output / (1 - output))
    np.testing.assert_allclose(ops.binary_crossentropy(target, logits, from_logits=True), expected,
                               rtol=1e-5)


def test_sparse_cross_entropy_in_a_graph_with_unknown_batch():
    logits = rand((7, 10), 1)
    labels = np.random.default_rng(2).integers(0, 10, 7)
    with engine.Graph().as_default():
        z = engine.placeholder("float32", (None, 10))
        y = engine.placeholder("int64", (None,))
        per_sample = ops.sparse_categorical_crossentropy(y, z, from_logits=True)
        assert per_sample.shape == (None,) and per_sample.dtype == np.float32
        loss = ops.mean(per_sample)
        (grad,) = engine.gradients(loss, [z])
        assert grad.shape == (None, 10)
        session = engine.Session()
        value, g = session.run([loss, grad], feed_dict={z: logits, y: labels})
        value_again, _ = session.run([loss, grad], feed_dict={z: logits[:3], y: labels[:3]})
        with pytest.raises(ShapeError, match="labels of shape"):
            ops.sparse_categorical_crossentropy(engine.placeholder("int64", (None, 3)), z)
    shifted = logits - logits.max(1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    np.testing.assert_allclose(value, -log_p[np.arange(7), labels].mean(), rtol=1e-5)
    np.testing.assert_allclose(value_again, -log_p[np.arange(3), labels[:3]].mean(), rtol=1e-5)
    expected = np.exp(log_p)
    expected[np.arange(7), labels] -= 1
    np.testing.assert_allclose(g, expected / 7, rtol=1e-4, atol=1e-6)
    assert g.dtype == np.float32


def _torch_pair(torch, array):
    return Tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def test_cross_entropies_from_logits_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    logits, labels = rand((6, 5), 1) * 3, np.random.default_rng(0).integers(0, 5, 6)
    onehot = np.eye(5, dtype=np.float32)[labels] * 0.9 + 0.02     # label smoothing
    g = rand((6,), 2)

    ours, theirs = _torch_pair(torch, logits)
    out = ops.sparse_categorical_crossentropy(labels, ours, from_logits=True)
    ref = F.cross_entropy(theirs, torch.tensor(labels), reduction="none")
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)

    ours, theirs = _torch_pair(torch, logits)
    target, torch_target = _torch_pair(torch, onehot)
    out = ops.categorical_crossentropy(target, ours, from_logits=True)
    ref = F.cross_entropy(theirs, torch_target, reduction="none")
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(target.grad.numpy(), torch_target.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert out.dtype == np.float32 and ours.grad.dtype == np.float32

    x, z = rand((4, 3), 3) * 4, rand((4, 3), 4, 0.0, 1.0)
    g = rand((4, 3), 5)
    ours, theirs = _torch_pair(torch, x)
    target, torch_target = _torch_pair(torch, z)
    out = ops.binary_crossentropy(target, ours, from_logits=True)
    ref = F.binary_cross_entropy_with_logits(theirs, torch_target, reduction="none")
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(target.grad.numpy(), torch_target.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_cross_entropies_from_probabilities_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    p = probabilities((6, 5), 1)
    labels = np.random.default_rng(0).integers(0, 5, 6)
    g = rand((6,), 2)

    ours, theirs = _torch_pair(torch, p)
    out = ops.sparse_categorical_crossentropy(labels, ours)
    ref = F.nll_loss(torch.log(theirs), torch.tensor(labels), reduction="none")
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    # p sums to 1, so Keras' renormalisation moves the gradient by a per-row constant only
    ours_grad = ours.grad.numpy()
    theirs_grad = theirs.grad.numpy()
    centred = theirs_grad - (theirs_grad * p).sum(1, keepdims=True)
    np.testing.assert_allclose(ours_grad, centred, rtol=1e-4, atol=1e-5)

    ours, theirs = _torch_pair(torch, p)
    onehot = np.eye(5, dtype=np.float32)[labels]
    out = ops.categorical_crossentropy(onehot, ours)
    ref = -(torch.tensor(onehot) * torch.log(theirs)).sum(-1)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)

    q, z = rand((4, 3), 3, 0.05, 0.95), rand((4, 3), 4, 0.0, 1.0)
    g = rand((4, 3), 5)
    ours, theirs = _torch_pair(torch, q)
    target, torch_target = _torch_pair(torch, z)
    out = ops.binary_crossentropy(target, ours)
    ref = F.binary_cross_entropy(theirs, torch_target, reduction="none")
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert out.dtype == np.float32 and ours.grad.dtype == np.float32 and target.grad is not None


def test_cross_entropy_shape_errors_at_graph_build():
    with engine.Graph().as_default():
        z = engine.placeholder("float32", (None, 10))
        with pytest.raises(ShapeError, match=r"\(None, 9\) and \(None, 10\)"):
            ops.categorical_crossentropy(engine.placeholder("float32", (None, 9)), z)
        with pytest.raises(ShapeError, match=r"\(None, 1\) and \(None, 10\)"):
            ops.binary_crossentropy(engine.placeholder("float32", (None, 1)), z)


def test_epsilon_follows_the_backend():
    previous = backend.epsilon()
    try:
        backend.set_epsilon(1e-3)
        out = ops.categorical_crossentropy(np.array([[1.0, 0.0]], np.float32),
                                           np.array([[0.0, 1.0]], np.float32))
        np.testing.assert_allclose(out, [-np.log(1e-3)], rtol=1e-5)
    finally:
        backend.set_epsilon(previous)
