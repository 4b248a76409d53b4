"""Creation ops and ``ops.shape``: Keras 3's values and dtypes, eagerly and in compiled models
where sizes are known only at run time."""
import json
import os
import pkgutil

import numpy as np
import pytest

import kerasette as keras
from kerasette import Tensor, engine, ops

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_creation.npz")


def _decode(value):
    if isinstance(value, dict) and "array" in value:
        return np.array(value["array"], dtype=value["dtype"])
    if isinstance(value, dict) and "scalar" in value:
        return np.dtype(value["dtype"]).type(value["scalar"])
    return value


def _keras_cases():
    with np.load(FIXTURE, allow_pickle=False) as data:
        return json.loads(str(data["cases"]))


def _case_id(case):
    return f"{case['op']}{tuple(case['args'])}{case['kwargs'] or ''}"


@pytest.mark.parametrize("case", _keras_cases(), ids=_case_id)
def test_values_and_dtypes_match_keras(case):
    result = getattr(ops, case["op"])(*[_decode(a) for a in case["args"]], **case["kwargs"])
    if "value" in case:
        got = list(result) if case["op"] == "shape" else result
        assert got == case["value"]
        assert all(type(d) is int for d in result) if case["op"] == "shape" else True
        return
    results = result if isinstance(result, tuple) else (result,)
    dtypes, shapes, values = ((case[k],) if not isinstance(result, tuple) else case[k]
                              for k in ("dtype", "shape", "values"))
    for got, dtype, shape, value in zip(results, dtypes, shapes, values):
        got = np.asarray(got)
        assert got.dtype.name == dtype and list(got.shape) == shape
        if value is not None:
            rtol = 2e-3 if dtype == "float16" else 1e-6
            np.testing.assert_allclose(got.astype("float64"), value, rtol=rtol, atol=1e-7)


# ----------------------------------------------------------------- eagerly

def test_shape_is_the_op_and_no_submodule_shadows_an_op():
    assert callable(ops.shape) and ops.shape(np.zeros((2, 3))) == (2, 3)
    op_names = set()
    for info in pkgutil.iter_modules(ops.__path__):
        op_names.update(getattr(getattr(ops, info.name, None), "__all__", ()))
    modules = {info.name for info in pkgutil.iter_modules(ops.__path__)}
    assert "shape" in op_names and not modules & op_names
    for name in ("shape", "ndim", "size", "dtype", "zeros", "ones", "arange", "eye", "identity"):
        assert callable(getattr(ops, name)), name


def test_shape_ndim_size_dtype_of_tensors_and_arrays():
    t = Tensor(np.zeros((4, 5), "float32"))
    assert ops.shape(t) == (4, 5) and type(ops.shape(t)[0]) is int
    assert ops.ndim(t) == 2 and ops.size(t) == 20 and ops.dtype(t) == "float32"
    assert ops.shape([[1, 2, 3]]) == (1, 3) and ops.dtype(np.zeros(2, "int64")) == "int64"


def test_like_ops_keep_64_bit_dtypes():
    # Keras' numpy and TensorFlow backends keep the input's dtype (jax narrows it: x64 is off)
    assert ops.ones_like(np.zeros(2, "int64")).dtype == np.int64
    assert ops.full_like(np.zeros(2, "float64"), 2).dtype == np.float64
    assert ops.zeros_like(np.zeros(2, "float64")).dtype == np.float64


def test_creation_on_eager_tensors_and_python_values():
    t = Tensor(np.ones((2, 3), "float32"), requires_grad=True)
    zeros = ops.zeros(ops.shape(t))
    assert zeros.shape == (2, 3) and zeros.dtype == np.float32
    like = ops.ones_like(t, dtype="int32")
    assert isinstance(like, Tensor) and like.dtype == np.int32
    full = ops.full((2, 3), Tensor(np.float32(2.0)))
    np.testing.assert_array_equal(np.asarray(full.data if isinstance(full, Tensor) else full), 2.0)
    assert ops.zeros(np.int64(3)).shape == (3,) and ops.ones(Tensor(np.array([2, 2]))).shape == (2, 2)
    assert ops.full((2,), 0.1, dtype="float64")[0] == 0.1       # the fill value is not rounded to float32
    np.testing.assert_array_equal(ops.arange(Tensor(np.int32(4))), np.arange(4))


def test_full_with_a_tensor_fill_value_passes_its_gradient():
    value = Tensor(np.array([1.0, 2.0], "float32"), requires_grad=True)
    filled = ops.full((3, 2), value)
    filled.sum().backward()
    np.testing.assert_array_equal(value.grad.numpy(), [3.0, 3.0])


def test_convert_to_tensor_and_numpy():
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.convert_to_tensor([1.0, 2]).dtype == np.float32
    assert ops.convert_to_tensor([1, 2], dtype="float16").dtype == np.float16
    t = Tensor(np.ones(2, "float32"))
    assert ops.convert_to_tensor(t) is t and ops.convert_to_tensor(t, "int32").dtype == np.int32
    assert ops.is_tensor(t) and ops.is_tensor(np.zeros(2)) and not ops.is_tensor([1])
    assert isinstance(ops.convert_to_numpy(t), np.ndarray) and ops.convert_to_numpy([1.5]).dtype == np.float64
    with pytest.raises(ValueError, match="sparse"):
        ops.convert_to_tensor([1], sparse=True)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="unknown size"):
        ops.zeros((None, 3))
    with pytest.raises(TypeError, match="integers"):
        ops.ones((2.5, 3))
    with pytest.raises(ValueError, match="step"):
        ops.arange(0, 4, 0)
    with pytest.raises(ValueError, match="num"):
        ops.linspace(0, 1, -1)
    with pytest.raises(ValueError, match="axis"):
        ops.linspace(0, 1, 3, axis=2)


# ------------------------------------------------------- in graphs: run-time sizes

def test_shape_in_a_graph_gives_nodes_for_run_time_sizes():
    x = engine.placeholder("float32", (None, 4, None))
    batch, four, steps = ops.shape(x)
    assert four == 4 and isinstance(batch, engine.Node) and isinstance(steps, engine.Node)
    assert batch.shape == () and ops.size(x).shape == ()
    made = [ops.zeros((batch, 3)), ops.ones(ops.shape(x)), ops.full_like(x, 7.0, dtype="int32"),
            ops.eye(steps), ops.tri(batch, steps), ops.arange(steps), ops.arange(1, batch + 1, 2),
            ops.reshape(x, (batch, -1)), ops.reshape(x, (batch, steps, 4)),
            ops.broadcast_to(ops.ones((1, 4, 1)), (batch, 4, steps)), ops.size(x),
            ops.tile(ops.ones((1, 2)), (batch, 1)), x.reshape(batch, -1)]
    assert [m.shape for m in made] == [(None, 3), (None, 4, None), (None, 4, None), (None, None),
                                       (None, None), (None,), (None,), (None, None), (None, None, 4),
                                       (None, 4, None), (), (None, 2), (None, None)]
    session = engine.Session()
    for n, s in ((2, 3), (5, 1)):
        value = np.arange(n * 4 * s, dtype="float32").reshape(n, 4, s)
        out = session.run(made, feed_dict={x: value})
        assert out[0].shape == (n, 3) and out[1].shape == (n, 4, s) and out[2].dtype == np.int32
        np.testing.assert_array_equal(out[3], np.eye(s))
        np.testing.assert_array_equal(out[4], np.tri(n, s))
        np.testing.assert_array_equal(out[5], np.arange(s))
        np.testing.assert_array_equal(out[6], np.arange(1, n + 1, 2))
        np.testing.assert_array_equal(out[7], value.reshape(n, -1))
        np.testing.assert_array_equal(out[8], value.reshape(n, s, 4))
        assert out[9].shape == (n, 4, s) and out[10] == n * 4 * s and out[11].shape == (n, 2)
        np.testing.assert_array_equal(out[12], value.reshape(n, -1))


def test_reshape_by_its_own_batch_size_keeps_the_other_sizes_known():
    x = engine.placeholder("float32", (None, 4, 5))
    batch = ops.shape(x)[0]
    assert ops.reshape(x, (batch, -1)).shape == (None, 20)
    assert ops.reshape(x, (batch, 2, 10)).shape == (None, 2, 10)
    assert x.reshape(batch, 5, -1).shape == (None, 5, 4)
    # another tensor's batch size, or sizes that do not add up, are only known when run
    other = engine.placeholder("float32", (None, 3))
    assert ops.reshape(x, (ops.shape(other)[0], -1)).shape == (None, None)
    wrong = ops.reshape(x, (batch, 10))
    with pytest.raises(ValueError, match="cannot reshape"):
        engine.Session().run(wrong, feed_dict={x: np.ones((2, 4, 5), "float32")})


class FlattenByHand(keras.layers.Layer):
    def call(self, x):
        return ops.reshape(x, (ops.shape(x)[0], -1))


def test_a_reshape_by_batch_size_feeds_a_dense_layer():
    inputs = keras.Input((4, 5))
    model = keras.Model(inputs, keras.layers.Dense(2)(FlattenByHand()(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((6, 4, 5), "float32")
    model.fit(x, np.zeros((6, 2), "float32"), batch_size=4, verbose=0)
    assert model.predict(x, verbose=0).shape == (6, 2)


def test_run_time_reshape_passes_gradients():
    x = engine.placeholder("float32", (None, 6))
    batch = ops.shape(x)[0]
    y = ops.reshape(x, (batch, 3, 2)) * ops.arange(2.0)
    grad, = engine.gradients(ops.sum(y), [x])
    value = engine.Session().run(grad, feed_dict={x: np.ones((2, 6), "float32")})
    np.testing.assert_array_equal(value, np.tile([0.0, 1.0], (2, 3)))


class PadWithZeros(keras.layers.Layer):
    """Keras-style user code: sizes from ops.shape, arrays from the creation ops."""

    def __init__(self, extra, **kwargs):
        super().__init__(**kwargs)
        self.extra = extra

    def call(self, x):
        batch_size = ops.shape(x)[0]
        zeros = ops.zeros((batch_size, self.extra))
        positions = ops.cast(ops.arange(ops.shape(x)[-1]), x.dtype)
        return ops.concatenate([x * ops.ones(ops.shape(x)) + positions, zeros], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (input_shape[-1] + self.extra,)


class Attention(keras.layers.Layer):
    """Reshapes with the batch and the sequence length both known only at run time."""

    def __init__(self, heads, **kwargs):
        super().__init__(**kwargs)
        self.heads = heads

    def call(self, x):
        batch, steps = ops.shape(x)[0], ops.shape(x)[1]
        split = ops.reshape(x, (batch, -1, self.heads, ops.shape(x)[-1] // self.heads))
        split = ops.transpose(split, (0, 2, 1, 3))
        scores = ops.softmax(ops.matmul(split, ops.transpose(split, (0, 1, 3, 2))))
        mask = ops.tri(steps, steps)     # causal: a step sees itself and the steps before
        scores = scores * mask
        merged = ops.transpose(ops.matmul(scores, split), (0, 2, 1, 3))
        return ops.reshape(merged, (batch, steps, ops.shape(x)[-1]))


def test_a_custom_layer_using_shape_and_zeros_compiles_and_fits():
    inputs = keras.Input((5,))
    hidden = PadWithZeros(3)(inputs)
    outputs = keras.layers.Dense(1)(hidden)
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).normal(size=(20, 5)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    for batch in (4, 7):
        assert model.predict(x[:batch], verbose=0).shape == (batch, 1)
    eager = model(x[:3])
    np.testing.assert_allclose(model.predict(x[:3], verbose=0), eager, rtol=1e-6)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, batch_size=6, epochs=3, verbose=0)       # batches of 6, 6, 6 and 2
    assert len(history.history["loss"]) == 3 and np.isfinite(history.history["loss"]).all()


def test_a_layer_with_two_run_time_sizes_in_a_model_with_unknown_steps():
    inputs = keras.Input((None, 8))
    outputs = keras.layers.Dense(2)(Attention(heads=2)(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(1)
    for steps in (3, 6):
        x = rng.normal(size=(4, steps, 8)).astype("float32")
        model.fit(x, np.zeros((4, steps, 2), "float32"), batch_size=3, epochs=1, verbose=0)
        np.testing.assert_allclose(model.predict(x, verbose=0), model(x), rtol=1e-5, atol=1e-6)


def test_docstring_examples():
    import doctest

    from kerasette.ops import core, creation, introspection
    for module in (core, creation, introspection):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert result.attempted and not result.failed, module.__name__
