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
