"""Variable as Keras 3 prints it (the Sequential-model guide prints ``layer.weights``)."""
import os

import numpy as np
import pytest

import kerasette as keras


def test_variable_repr_shows_path_shape_dtype_and_values_as_keras_3_does():
    layer = keras.layers.Dense(3, name="probe")
    layer.build((None, 2))
    layer.kernel.assign(np.arange(6, dtype="float32").reshape(2, 3))
    assert repr(layer.bias) == "<Variable path=probe/bias, shape=(3,), dtype=float32, value=[0. 0. 0.]>"
    assert repr(layer.kernel) == ("<Variable path=probe/kernel, shape=(2, 3), dtype=float32, "
                                  "value=[[0. 1. 2.]\n [3. 4. 5.]]>")
    layer.bias.assign([1.5, -2.0, 0.25])                 # the value shown is the current one
    assert repr(layer.bias).endswith("value=[ 1.5  -2.    0.25]>")

    os.environ.setdefault("KERAS_BACKEND", "jax")
    k = pytest.importorskip("keras")
    theirs = k.layers.Dense(3, name="probe")
    theirs.build((None, 2))
    theirs.kernel.assign(np.arange(6, dtype="float32").reshape(2, 3))
    theirs.bias.assign([1.5, -2.0, 0.25])
    assert repr(theirs.kernel) == repr(layer.kernel)
    assert repr(theirs.bias) == repr(layer.bias)
    assert repr(k.Variable(3.0)).split(", ", 1)[1] == repr(keras.Variable(3.0)).split(", ", 1)[1]


def _names(k):
    k.backend.clear_session()
    first = k.Variable(1.0)

    class Scale(k.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(), initializer="ones")

        def call(self, x):
            return x * self.scale

    layer = Scale()
    layer(np.ones((1, 2), "float32"))
    named = k.Variable(2.0, name="named")
    second = k.Variable(3.0)
    return [first.path, layer.scale.path, named.path, second.path]


def test_unnamed_variables_share_keras_3s_automatic_names_with_layer_weights():
    ours = _names(keras)
    assert ours == ["variable", "scale/variable_1", "named", "variable_2"]
    os.environ.setdefault("KERAS_BACKEND", "jax")
    k = pytest.importorskip("keras")
    assert _names(k) == ours


def _keras3():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def test_variable_takes_keras_3_arguments_in_keras_3_order():
    # the researchers' intro guide makes its weights with keras.Variable(initializer, ...)
    k = _keras3()
    for lib in (keras, k):
        by_name = lib.Variable("ones", (2, 3), "float32", False, name="by_name")
        assert (by_name.name, tuple(by_name.shape), by_name.trainable) == ("by_name", (2, 3), False)
        np.testing.assert_array_equal(np.asarray(by_name.numpy() if lib is keras else by_name), np.ones((2, 3)))
        by_object = lib.Variable(initializer=lib.initializers.Constant(0.5), shape=(4,), dtype="float32")
        np.testing.assert_array_equal(np.asarray(by_object.numpy() if lib is keras else by_object), np.full(4, 0.5))
        from_value = lib.Variable(initializer=np.arange(3, dtype="float32"), trainable=True)
        assert tuple(from_value.shape) == (3,) and str(from_value.dtype) == "float32"
        assert (from_value.aggregation, from_value.synchronization) == ("none", "auto")
        assert lib.Variable(np.zeros(2), aggregation="sum", synchronization=None).aggregation == "sum"
        assert lib.Variable(np.zeros(2), synchronization=None).synchronization == "none"
        layered = lib.Variable(np.zeros(2), layout=None)
        assert tuple(layered.shape) == (2,)
    # a value from an initializer draws as the initializer does when called alone
    seeded = keras.Variable(keras.initializers.RandomNormal(seed=3), shape=(5,))
    np.testing.assert_array_equal(seeded.numpy(), keras.initializers.RandomNormal(seed=3)((5,)))


@pytest.mark.parametrize("arguments, match", [
    ({"initializer": "zeros"}, r"needs the `shape` argument, got shape=None"),
    ({"initializer": np.zeros(2), "aggregation": "max"}, r"aggregation must be one of .* got aggregation='max'"),
    ({"initializer": np.zeros(2), "synchronization": "x"}, r"synchronization must be one of .* got synchronization='x'"),
])
def test_variable_refuses_what_keras_3_refuses_naming_the_argument(arguments, match):
    k = _keras3()
    with pytest.raises(ValueError, match=match):
        keras.Variable(**arguments)
    with pytest.raises(ValueError):
        k.Variable(**arguments)


@pytest.mark.parametrize("value", [[1, 2], 3, 2.5, [True, False], [[1.5, 2]], np.int64(3), np.float32(1.0)])
def test_variable_from_python_values_takes_keras_3s_dtype(value):
    k = _keras3()
    assert keras.Variable(value).dtype == np.dtype(k.Variable(value).dtype)
    np.testing.assert_array_equal(keras.Variable(value).numpy(), np.asarray(k.Variable(value)))
