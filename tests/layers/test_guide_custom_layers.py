"""Custom layers as the keras.io subclassing guide writes them, against Keras 3.15.1."""
import os

import numpy as np
import pytest

import kerasette as keras


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _paths(k):
    """The paths of the guide's MLPBlock of Linear layers whose add_weight() calls name nothing."""
    k.backend.clear_session()

    class Linear(k.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs):
            return k.ops.matmul(inputs, self.w) + self.b

    class MLPBlock(k.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(8)
            self.linear_2 = Linear(1)

        def call(self, inputs):
            return self.linear_2(k.activations.relu(self.linear_1(inputs)))

    first = Linear(4)
    first(np.ones((2, 3), "float32"))
    mlp = MLPBlock()
    mlp(np.ones((3, 5), "float32"))
    named = Linear(2)
    named.build((None, 2))
    return [w.path for w in first.weights + mlp.weights + named.weights]


def test_unnamed_weights_take_session_unique_automatic_names():
    ours = _paths(keras)
    assert ours[:2] == ["linear/variable", "linear/variable_1"]
    assert ours[2:6] == ["mlp_block/linear_1/variable_2", "mlp_block/linear_1/variable_3",
                         "mlp_block/linear_2/variable_4", "mlp_block/linear_2/variable_5"]
    assert _paths(keras) == ours                 # clear_session starts the numbers again
    assert _paths(_keras()) == ours
