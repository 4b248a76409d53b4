"""``tf.layers`` of the TensorFlow 1 face (``import kerasette.graph as tf``): the tutorial's
graph, variables named and listed like TensorFlow's, numbers against the same Keras
layers on arrays, training through ``gradients`` and ``assign``, reuse, dropout and
batch normalization with its update ops."""
import numpy as np
import pytest

import kerasette.graph as tf
from kerasette import backend, ops


@pytest.fixture(autouse=True)
def fresh_graph():
    backend.clear_session()      # layer names count from conv2d, dense again
    backend.set_seed(0)
    with tf.Graph().as_default() as graph:
        yield graph


def tutorial_graph():
    input = tf.placeholder(tf.float32, shape=(None, 28, 28, 1))  # noqa: A001 - the tutorial's name
    x = tf.layers.conv2d(input, filters=10, kernel_size=5)
    x = tf.nn.relu(x)
    x = tf.layers.max_pooling2d(x, pool_size=2, strides=2)
    x = tf.layers.conv2d(x, filters=20, kernel_size=5)
    x = tf.nn.relu(x)
    x = tf.layers.max_pooling2d(x, pool_size=2, strides=2)
    x = tf.reshape(x, [-1, 4 * 4 * 20])
    x = tf.layers.dense(x, 50)
    x = tf.nn.relu(x)
    x = tf.layers.dense(x, 10)
    x = tf.nn.softmax(x)
    return input, x


def test_tutorial_graph_builds_like_tensorflow():
    input, x = tutorial_graph()
    assert repr(x) == 'Tensor("Softmax:0", shape=(None, 10), dtype=float32)'
    assert [(v.name, v.shape) for v in tf.global_variables()] == [
        ("conv2d/kernel", (5, 5, 1, 10)), ("conv2d/bias", (10,)),
        ("conv2d_1/kernel", (5, 5, 10, 20)), ("conv2d_1/bias", (20,)),
        ("dense/kernel", (320, 50)), ("dense/bias", (50,)),
        ("dense_1/kernel", (50, 10)), ("dense_1/bias", (10,)),
    ]
    assert tf.trainable_variables() == tf.global_variables()
    assert tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope="dense") == tf.global_variables()[4:]


def test_tutorial_graph_computes_what_the_layers_compute_on_arrays():
    input, x = tutorial_graph()
    values = {v.name: v.numpy() for v in tf.global_variables()}
    batch = np.random.default_rng(1).random((5, 28, 28, 1), dtype=np.float32)
    with tf.Session() as sess:
        result = sess.run(x, feed_dict={input: batch})
    # the same computation with the ops on arrays, from the graph's variable values
    h = ops.relu(ops.conv(batch, values["conv2d/kernel"]) + values["conv2d/bias"])
    h = ops.max_pool(h, 2, strides=2)
    h = ops.relu(ops.conv(h, values["conv2d_1/kernel"]) + values["conv2d_1/bias"])
    h = ops.max_pool(h, 2, strides=2).reshape(-1, 320)
    h = ops.relu(h @ values["dense/kernel"] + values["dense/bias"])
    expected = ops.softmax(h @ values["dense_1/kernel"] + values["dense_1/bias"])
    assert result.shape == (5, 10)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-6)


def test_training_with_gradients_and_assign_changes_the_layer_weights():
    x = tf.placeholder(tf.float32, shape=(None, 2))
    y = tf.placeholder(tf.int64, shape=(None,))
    hidden = tf.layers.dense(x, 16, activation="tanh")
    logits = tf.layers.dense(hidden, 2)
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    variables = tf.trainable_variables()
    grads = tf.gradients(loss, variables)
    train = [tf.assign(v, v - 0.5 * g) for v, g in zip(variables, grads)]
    rng = np.random.default_rng(0)
    data = rng.normal(size=(64, 2)).astype(np.float32)
    labels = (data[:, 0] * data[:, 1] > 0).astype(np.int64)        # XOR of the signs
    initial_kernel = variables[0].numpy().copy()
    with tf.Session() as sess:
        first = sess.run(loss, {x: data, y: labels})
        for _ in range(300):
            sess.run(train, {x: data, y: labels})
        last = sess.run(loss, {x: data, y: labels})
        assert last < 0.5 * first
        # the graph variable is the Keras layer's weight: the same storage
        assert not np.allclose(variables[0].numpy(), initial_kernel)
        # the initializer sets the layers' weights back, as TensorFlow's does
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(variables[0].numpy(), initial_kernel)
        assert sess.run(loss, {x: data, y: labels}) == pytest.approx(first, rel=1e-6)


def test_reuse_shares_a_named_layer():
    a = tf.placeholder(tf.float32, shape=(None, 3))
    b = tf.placeholder(tf.float32, shape=(None, 3))
    first = tf.layers.dense(a, 4, name="shared")
    second = tf.layers.dense(b, 4, name="shared", reuse=True)
    assert [v.name for v in tf.global_variables()] == ["shared/kernel", "shared/bias"]
    value = np.ones((2, 3), np.float32)
    out_a, out_b = tf.Session().run([first, second], {a: value, b: value})
    np.testing.assert_array_equal(out_a, out_b)
    with pytest.raises(ValueError, match="'shared' already exists.*reuse=True"):
        tf.layers.dense(a, 4, name="shared")
    with pytest.raises(ValueError, match="no layer named 'missing'"):
        tf.layers.dense(a, 4, name="missing", reuse=True)


def test_pooling_flatten_and_conv_options():
    x = tf.placeholder(tf.float32, shape=(None, 9, 9, 3))
    conv = tf.layers.conv2d(x, filters=4, kernel_size=3, strides=2, padding="SAME", use_bias=False)
    assert conv.shape == (None, 5, 5, 4)
    assert [v.name for v in tf.global_variables()] == ["conv2d/kernel"]
    assert tf.layers.average_pooling2d(x, pool_size=3, strides=3).shape == (None, 3, 3, 3)
    assert tf.layers.max_pooling2d(x, pool_size=2, strides=1, padding="same").shape == (None, 9, 9, 3)
    assert tf.layers.flatten(x).shape == (None, 243)
    batch = np.random.default_rng(0).random((2, 9, 9, 3), dtype=np.float32)
    pooled = tf.Session().run(tf.layers.average_pooling2d(x, pool_size=3, strides=3), {x: batch})
    np.testing.assert_allclose(pooled, batch.reshape(2, 3, 3, 3, 3, 3).mean(axis=(2, 4)), rtol=1e-5)
    with pytest.raises(ValueError, match="channels-last"):
        tf.layers.conv2d(x, filters=4, kernel_size=3, data_format="channels_first")


def test_dropout_with_a_bool_and_with_a_fed_flag():
    x = tf.placeholder(tf.float32, shape=(None, 200))
    ones = np.ones((4, 200), np.float32)
    sess = tf.Session()
    np.testing.assert_array_equal(sess.run(tf.layers.dropout(x, rate=0.5), {x: ones}), ones)  # training=False
    dropped = sess.run(tf.layers.dropout(x, rate=0.5, training=True), {x: ones})
    assert 0.35 < (dropped == 0).mean() < 0.65
    assert set(np.unique(dropped)) <= {0.0, 2.0}
    training = tf.placeholder(tf.bool, shape=())
    switched = tf.layers.dropout(x, rate=0.5, training=training)
    assert (sess.run(switched, {x: ones, training: True}) == 0).mean() > 0.35
    np.testing.assert_array_equal(sess.run(switched, {x: ones, training: False}), ones)


def test_batch_normalization_update_ops_move_the_statistics():
    x = tf.placeholder(tf.float32, shape=(None, 3))
    y = tf.layers.batch_normalization(x, training=True, momentum=0.5)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    assert [v.name for v in tf.global_variables()] == [
        "batch_normalization/gamma", "batch_normalization/beta",
        "batch_normalization/moving_mean", "batch_normalization/moving_variance"]
    assert [v.name for v in tf.trainable_variables()] == ["batch_normalization/gamma", "batch_normalization/beta"]
    data = np.array([[1, 2, 3], [3, 6, 5]], np.float32)
    sess = tf.Session()
    normalized = sess.run(y, {x: data})
    np.testing.assert_allclose(normalized, (data - data.mean(0)) / np.sqrt(data.var(0) + 1e-3), rtol=1e-5)
    moving_mean, moving_variance = tf.global_variables()[2:]
    np.testing.assert_array_equal(moving_mean.numpy(), 0.0)     # running y alone updates nothing
    sess.run([y, updates], {x: data})
    np.testing.assert_allclose(moving_mean.numpy(), 0.5 * data.mean(0), rtol=1e-6)
    np.testing.assert_allclose(moving_variance.numpy(), 0.5 + 0.5 * data.var(0), rtol=1e-6)
    # an inference graph on the same layer reads the moved statistics
    inference = tf.layers.batch_normalization(x, training=False, name="batch_normalization", reuse=True)
    np.testing.assert_allclose(sess.run(inference, {x: data}),
                               (data - moving_mean.numpy()) / np.sqrt(moving_variance.numpy() + 1e-3),
                               rtol=1e-5)


def test_softmax_node_names_follow_tensorflow():
    logits = tf.placeholder(tf.float32, shape=(None, 4))
    assert tf.nn.softmax(logits).name == "Softmax"
    assert tf.nn.softmax(logits).name == "Softmax_1"
    assert tf.nn.softmax(logits, name="probabilities").name == "probabilities"
    assert tf.nn.log_softmax(logits).name == "LogSoftmax"


def test_layers_on_arrays_compute_at_once():
    value = np.ones((2, 3), np.float32)
    out = tf.layers.dense(value, 4, kernel_initializer="ones")
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, np.full((2, 4), 3.0))
