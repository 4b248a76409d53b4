"""The TensorFlow 1 face (``import kerasette.graph as tf``): the tutorial's
snippets, feeding errors, the Session's program cache, fetch structures,
``cond`` with gradients, ``function`` with updates, variables and initializers."""
import numpy as np
import pytest

import kerasette.graph as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    # node names count per graph: each test starts from "mul", "Placeholder", ...
    with tf.Graph().as_default() as graph:
        yield graph


# ------------------------------------------------------------------ the tutorial

def test_tutorial_constants_print_symbolically_and_run():
    x = tf.constant([3.0])
    y = tf.constant([2.0])
    z = x * y
    assert repr(z) == 'Tensor("mul:0", shape=(1,), dtype=float32)'
    result = tf.InteractiveSession().run(z)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, [6.0])


def test_tutorial_placeholder_fed_with_feed_dict():
    first = tf.constant([3.0]) * tf.constant([2.0])
    x = tf.placeholder(tf.float32, shape=(1,))
    y = tf.constant([2.0])
    z = x * y
    assert repr(first) == 'Tensor("mul:0", shape=(1,), dtype=float32)'
    assert repr(z) == 'Tensor("mul_1:0", shape=(1,), dtype=float32)'
    result = tf.InteractiveSession().run(z, feed_dict={x: [3.0]})
    assert repr(result) == "array([6.], dtype=float32)"


def test_dtypes_are_numpy_dtypes():
    assert tf.float32 == np.float32 and tf.float32.name == "float32"
    assert tf.float16 == np.float16 and tf.float64 == np.float64
    assert tf.int32 == np.int32 and tf.int64 == np.int64 and tf.bool == np.bool_
    x = tf.placeholder(tf.int32, shape=(None, 2), name="ids")
    assert x.dtype == np.int32 and x.shape == (None, 2)
    assert repr(x) == 'Tensor("ids:0", shape=(None, 2), dtype=int32)'


def test_constant_shape_fills_or_reshapes():
    np.testing.assert_array_equal(tf.constant(7.0, shape=(2, 2)).numpy(), np.full((2, 2), 7.0))
    np.testing.assert_array_equal(tf.constant([1, 2, 3, 4], shape=[2, 2]).numpy(), [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="3 values cannot fill shape"):
        tf.constant([1.0, 2.0, 3.0], shape=(2, 2))
    zeros = tf.zeros([2, 3])
    assert zeros.shape == (2, 3) and zeros.dtype == np.float32
    np.testing.assert_array_equal(tf.Session().run(tf.ones([2], dtype=tf.int32)), [1, 1])
    assert tf.ones([2], dtype=tf.int32).dtype == np.int32


# ------------------------------------------------------------------ feeding

def test_wrong_feed_shape_names_placeholder_and_both_shapes():
    x = tf.placeholder(tf.float32, shape=(1,), name="x")
    z = x * 2.0
    with pytest.raises(tf.FeedError) as error:
        tf.Session().run(z, feed_dict={x: [1.0, 2.0]})
    message = str(error.value)
    assert "'x:0'" in message and "(2,)" in message and "(1,)" in message


def test_wrong_feed_shape_with_batch_axis():
    images = tf.placeholder(tf.float32, shape=(None, 3), name="images")
    z = images * 2.0
    sess = tf.Session()
    # any batch size fits the None axis ...
    assert sess.run(z, feed_dict={images: np.ones((5, 3), np.float32)}).shape == (5, 3)
    # ... but the other axes must match
    with pytest.raises(tf.FeedError) as error:
        sess.run(z, feed_dict={images: np.ones((4, 2), np.float32)})
    message = str(error.value)
    assert "'images:0'" in message and "(4, 2)" in message and "(None, 3)" in message


def test_unfed_placeholder_is_an_error_naming_it():
    x = tf.placeholder(tf.float32, shape=(None, 2), name="inputs")
    z = x + 1.0
    with pytest.raises(tf.FeedError, match=r"must feed a value for placeholder 'inputs:0'.*\(None, 2\)"):
        tf.Session().run(z)


def test_placeholder_needs_a_shape():
    with pytest.raises(ValueError, match="needs a shape"):
        tf.placeholder(tf.float32)


def test_unused_feed_is_allowed():
    x = tf.placeholder(tf.float32, shape=(1,), name="x")
    unused = tf.placeholder(tf.float32, shape=(1,), name="unused")
    result = tf.Session().run(x * 3.0, feed_dict={x: [2.0], unused: [5.0]})
    np.testing.assert_array_equal(result, [6.0])


# ------------------------------------------------------------------ the Session

def test_session_compiles_once_per_fetches_and_feeds():
    x = tf.placeholder(tf.float32, shape=(None,), name="x")
    z = x * x + 1.0
    sess = tf.Session()
    np.testing.assert_allclose(sess.run(z, feed_dict={x: [1.0, 2.0]}), [2.0, 5.0])
    program = next(iter(sess._programs.values()))[0]
    # another batch, of another size: the same compiled program runs again
    np.testing.assert_allclose(sess.run(z, feed_dict={x: [3.0, 4.0, 5.0]}), [10.0, 17.0, 26.0])
    assert len(sess._programs) == 1
    assert next(iter(sess._programs.values()))[0] is program
    # other fetches are another program
    sess.run([z, x * 2.0], feed_dict={x: [1.0]})
    assert len(sess._programs) == 2
    sess.close()
    assert len(sess._programs) == 0


def test_session_as_context_manager():
    z = tf.constant([1.0, 2.0]) * 3.0
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(z), [3.0, 6.0])


def test_fetch_structures_list_tuple_dict_nested():
    x = tf.placeholder(tf.float32, shape=(2,), name="x")
    doubled, squared = x * 2.0, x * x
    sess = tf.Session()
    feed = {x: [1.0, 3.0]}

    as_list = sess.run([doubled, squared], feed_dict=feed)
    assert isinstance(as_list, list) and len(as_list) == 2
    np.testing.assert_array_equal(as_list[0], [2.0, 6.0])
    np.testing.assert_array_equal(as_list[1], [1.0, 9.0])

    as_tuple = sess.run((squared,), feed_dict=feed)
    assert isinstance(as_tuple, tuple) and len(as_tuple) == 1
    np.testing.assert_array_equal(as_tuple[0], [1.0, 9.0])

    nested = sess.run({"double": doubled, "more": [squared, (doubled, {"x": x})]}, feed_dict=feed)
    assert set(nested) == {"double", "more"}
    np.testing.assert_array_equal(nested["double"], [2.0, 6.0])
    np.testing.assert_array_equal(nested["more"][0], [1.0, 9.0])
    assert isinstance(nested["more"][1], tuple)
    np.testing.assert_array_equal(nested["more"][1][0], [2.0, 6.0])
    np.testing.assert_array_equal(nested["more"][1][1]["x"], [1.0, 3.0])


def test_fetching_something_that_is_not_a_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="Cannot fetch"):
        tf.Session().run([tf.constant(1.0), "loss"])


# ------------------------------------------------------------------ gradients and cond

def test_gradients_of_a_product():
    x = tf.placeholder(tf.float32, shape=(1,), name="x")
    y = tf.constant([2.0])
    z = x * y
    (dz_dx,) = tf.gradients(z, [x])
    np.testing.assert_array_equal(tf.Session().run(dz_dx, feed_dict={x: [3.0]}), [2.0])
    # ys that do not depend on an x give None, like TensorFlow
    other = tf.placeholder(tf.float32, shape=(1,), name="other")
    assert tf.gradients(z, [x, other])[1] is None


def test_cond_picks_a_branch_at_run_time_with_its_gradient():
    x = tf.placeholder(tf.float32, shape=(), name="x")
    y = tf.cond(x > 0.0, lambda: x * x, lambda: -x)
    (dy_dx,) = tf.gradients(y, [x])
    sess = tf.Session()
    value, grad = sess.run([y, dy_dx], feed_dict={x: 3.0})
    assert value == pytest.approx(9.0) and grad == pytest.approx(6.0)      # x * x, 2x
    value, grad = sess.run([y, dy_dx], feed_dict={x: -2.0})
    assert value == pytest.approx(2.0) and grad == pytest.approx(-1.0)     # -x, -1
    # both runs used one cached program: the branch is chosen inside it
    assert len(sess._programs) == 1


# ------------------------------------------------------------------ variables, function, updates

def test_function_with_updates_is_one_sgd_step():
    w = tf.Variable([1.0, -2.0], name="w")
    x = tf.placeholder(tf.float32, shape=(2,), name="x")
    target = tf.constant([0.5, 0.5])
    error = w * x - target
    loss = error * error                       # per component; gradients sum over it
    (grad_w,) = tf.gradients(loss, [w])
    learning_rate = 0.1
    step = tf.function([x], [loss], updates=[(w, w - learning_rate * grad_w)])

    x_value = np.array([1.0, 2.0], np.float32)
    w_before = np.array([1.0, -2.0], np.float32)
    (loss_value,) = step([x_value])
    # the fetched loss is computed with w as it was when the run started
    np.testing.assert_allclose(loss_value, (w_before * x_value - 0.5) ** 2, rtol=1e-6)
    expected = w_before - learning_rate * 2.0 * (w_before * x_value - 0.5) * x_value
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(w.numpy(), [0.9, -0.2], rtol=1e-6)  # by hand: 1 - 0.1 * 1, -2 + 0.1 * 18
    # a second call reads the updated value
    (loss_value,) = step([x_value])
    np.testing.assert_allclose(loss_value, (expected * x_value - 0.5) ** 2, rtol=1e-6)
    assert w.numpy().dtype == np.float32


def test_function_accepts_a_dict_and_a_single_output():
    x = tf.placeholder(tf.float32, shape=(None,), name="x")
    square = tf.function([x], x * x)
    np.testing.assert_array_equal(square({x: [1.0, 2.0]}), [1.0, 4.0])
    np.testing.assert_array_equal(square([[3.0]]), [9.0])


def test_variable_assign_and_initializer():
    w = tf.Variable([1.0, 2.0], name="w")
    counter = tf.Variable(0, name="counter", trainable=False)
    assert tf.global_variables() == [w, counter]
    assert tf.trainable_variables() == [w]
    sess = tf.Session()
    assert sess.run(tf.global_variables_initializer()) is None
    np.testing.assert_array_equal(sess.run(w), [1.0, 2.0])

    np.testing.assert_array_equal(sess.run(tf.assign(w, w * 3.0)), [3.0, 6.0])
    np.testing.assert_array_equal(w.numpy(), [3.0, 6.0])
    increment = tf.assign_add(counter, 1)
    sess.run(increment)
    sess.run(increment)
    assert counter.numpy() == 2
    sess.run(tf.assign_sub(w, [1.0, 1.0]))
    np.testing.assert_array_equal(w.numpy(), [2.0, 5.0])

    # the initializer sets variables back to their initial values; in a
    # structure it stands for None, like a TensorFlow op
    result = sess.run([tf.global_variables_initializer(), w])
    assert result[0] is None
    np.testing.assert_array_equal(result[1], [1.0, 2.0])
    assert counter.numpy() == 0


def test_variables_initializer_only_resets_its_list():
    a = tf.Variable([1.0], name="a")
    b = tf.Variable([1.0], name="b")
    a.assign([5.0])
    b.assign([5.0])
    tf.Session().run(tf.variables_initializer([a]))
    assert a.numpy()[0] == 1.0 and b.numpy()[0] == 5.0


def test_variable_from_a_graph_value():
    w = tf.Variable(tf.ones([2, 2]) * 0.5, name="w")
    np.testing.assert_array_equal(w.numpy(), np.full((2, 2), 0.5, np.float32))
    x = tf.placeholder(tf.float32, shape=(2,))
    with pytest.raises(tf.FeedError):
        tf.Variable(x * 2.0)


# ------------------------------------------------------------------ names

def test_ops_are_reexported_and_nn_resolves_lazily():
    import kerasette.ops as ops

    assert tf.multiply is ops.multiply and tf.add is ops.add
    for name in ("relu", "softmax", "sigmoid", "tanh", "log_softmax", "conv2d", "max_pool2d",
                 "sparse_softmax_cross_entropy_with_logits"):
        assert hasattr(tf.nn, name), name
    assert not hasattr(tf.nn, "no_such_op")
    with pytest.raises(AttributeError, match="no_such_op"):
        tf.no_such_op  # noqa: B018
    from kerasette.graph.nn import conv2d  # nn is importable as a module too
    assert conv2d is tf.nn.conv2d


def test_star_import_gives_the_tensorflow_names():
    namespace = {}
    exec("from kerasette.graph import *", namespace)
    for name in ("placeholder", "constant", "Variable", "Session", "InteractiveSession", "gradients",
                 "function", "cond", "global_variables_initializer", "float32", "nn", "multiply", "matmul"):
        assert name in namespace, name
    # Python's own functions are not shadowed by ops or dtypes of the same name
    for name in ("bool", "sum", "max", "min", "abs", "round"):
        assert name not in namespace, name
    assert tf.bool == np.bool_ and tf.sum is not sum


# ------------------------------------------------------------------ TensorFlow 1 spellings of Keras ops

def test_reductions_with_tensorflow_names():
    x = tf.placeholder(tf.float32, shape=(None, 3), name="x")
    value = np.array([[1.0, 2.0, 3.0], [4.0, 6.0, 8.0]], np.float32)
    sess = tf.Session()
    fetched = sess.run({
        "mean": tf.reduce_mean(x),
        "sum_rows": tf.reduce_sum(x, axis=1),
        "max_cols": tf.reduce_max(x, axis=0, keepdims=True),
        "min_old_spelling": tf.reduce_min(x, 1, keep_dims=True),
    }, feed_dict={x: value})
    assert fetched["mean"] == pytest.approx(4.0)
    np.testing.assert_allclose(fetched["sum_rows"], [6.0, 18.0])
    np.testing.assert_allclose(fetched["max_cols"], [[4.0, 6.0, 8.0]])
    np.testing.assert_allclose(fetched["min_old_spelling"], [[1.0], [4.0]])
    assert fetched["mean"].dtype == np.float32


def test_argmax_defaults_to_axis_0_and_int64_like_tensorflow_1():
    x = tf.constant([[1.0, 9.0], [5.0, 2.0], [0.0, 3.0]])
    sess = tf.Session()
    first_axis = sess.run(tf.argmax(x))
    np.testing.assert_array_equal(first_axis, [1, 0])
    assert first_axis.dtype == np.int64
    np.testing.assert_array_equal(sess.run(tf.argmax(x, axis=1, output_type=tf.int32)), [1, 0, 1])
    assert sess.run(tf.argmax(x, axis=1, output_type=tf.int32)).dtype == np.int32


def test_nn_conv2d_and_pooling_take_nhwc_strides_and_upper_case_padding():
    import kerasette.ops as ops

    rng = np.random.default_rng(0)
    images = rng.normal(size=(2, 7, 7, 3)).astype(np.float32)
    kernel = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    x = tf.placeholder(tf.float32, shape=(None, 7, 7, 3), name="images")
    conv = tf.nn.conv2d(x, kernel, strides=[1, 2, 2, 1], padding="SAME")
    assert conv.shape == (None, 4, 4, 4)
    pooled = tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")
    assert pooled.shape == (None, 3, 3, 3)
    averaged = tf.nn.avg_pool2d(x, ksize=3, strides=2, padding="SAME")
    assert averaged.shape == (None, 4, 4, 3)
    results = tf.Session().run([conv, pooled, averaged], feed_dict={x: images})
    np.testing.assert_allclose(results[0], ops.conv(images, kernel, strides=2, padding="same"), rtol=1e-5)
    np.testing.assert_allclose(results[1], images[:, :6, :6].reshape(2, 3, 2, 3, 2, 3).max(axis=(2, 4)))
    np.testing.assert_allclose(results[2], ops.average_pool(images, 3, strides=2, padding="same"), rtol=1e-6)
    with pytest.raises(ValueError, match="NHWC"):
        tf.nn.conv2d(x, kernel, strides=1, padding="SAME", data_format="NCHW")
    with pytest.raises(ValueError, match="padding"):
        tf.nn.conv2d(x, kernel, strides=1, padding="FULL")


def test_nn_activations():
    logits = tf.constant([[1.0, 2.0, 3.0]])
    sess = tf.Session()
    expected = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    np.testing.assert_allclose(sess.run(tf.nn.softmax(logits)), [expected], rtol=1e-6)
    np.testing.assert_allclose(sess.run(tf.nn.log_softmax(logits)), [np.log(expected)], rtol=1e-5)
    np.testing.assert_allclose(sess.run(tf.nn.relu(logits - 2.0)), [[0.0, 0.0, 1.0]])
    np.testing.assert_allclose(sess.run(tf.nn.leaky_relu(logits - 2.0, alpha=0.1)), [[-0.1, 0.0, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(sess.run(tf.nn.bias_add(logits, [1.0, 0.0, -1.0])), [[2.0, 2.0, 2.0]])
    assert sess.run(tf.nn.l2_loss(logits)) == pytest.approx(7.0)


def test_nn_cross_entropies_with_logits():
    logits_value = np.array([[2.0, -1.0, 0.5], [0.0, 1.0, 3.0]], np.float32)
    labels_value = np.array([0, 2], np.int64)
    log_probabilities = logits_value - np.log(np.exp(logits_value).sum(axis=1, keepdims=True))
    expected = -log_probabilities[[0, 1], labels_value]

    logits = tf.placeholder(tf.float32, shape=(None, 3), name="logits")
    labels = tf.placeholder(tf.int64, shape=(None,), name="labels")
    one_hot = tf.placeholder(tf.float32, shape=(None, 3), name="one_hot")
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    dense = tf.nn.softmax_cross_entropy_with_logits_v2(labels=one_hot, logits=logits)
    binary = tf.nn.sigmoid_cross_entropy_with_logits(labels=one_hot, logits=logits)
    (grad_logits,) = tf.gradients(tf.reduce_mean(sparse), [logits])
    feed = {logits: logits_value, labels: labels_value, one_hot: np.eye(3, dtype=np.float32)[labels_value]}
    results = tf.Session().run([sparse, dense, binary, grad_logits], feed_dict=feed)

    np.testing.assert_allclose(results[0], expected, rtol=1e-5)
    np.testing.assert_allclose(results[1], expected, rtol=1e-5)
    targets = feed[one_hot]
    binary_expected = np.maximum(logits_value, 0) - logits_value * targets + np.log1p(np.exp(-np.abs(logits_value)))
    np.testing.assert_allclose(results[2], binary_expected, rtol=1e-5)
    # d mean(loss) / d logits = (softmax - one_hot) / batch
    np.testing.assert_allclose(results[3], (np.exp(log_probabilities) - targets) / 2, rtol=1e-5, atol=1e-7)
